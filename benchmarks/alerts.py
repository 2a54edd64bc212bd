"""Timing of one alert's fan-out to many subscribers, and no duplicate after the sender is killed.

    python benchmarks/alerts.py                 # 10,000 subscribers (issue 14's figure), console and SMTP
    python benchmarks/alerts.py --quick         # 1,000 subscribers (the smoke test of `make bench`)
    python benchmarks/alerts.py --no-smtp       # the console backend only

On a fresh SQLite store, N confirmed subscriptions are inserted at seeded random points within 90 km of
Kunming (all inside the first hour's 100 km), and one alert of a report lost in Kunming is created.

* ``console``: :func:`reunite.alerts.fan_out` with the console backend (each message recorded in memory:
  the work of the store and the fan-out, no network), and the **baseline**, in the same process: the same
  N messages built and given to the same channel with no store at all (``ratio`` = fan-out / baseline:
  what the claim, the log and the at-most-once marks cost on top of sending).
* ``smtp``: the same fan-out over SMTP to a local aiosmtpd server that discards what it receives (run in
  its own process, so that it does not share this one's interpreter lock), through a pool of 25
  connections, each message prepared to the final ``.`` and released after the ``sending`` commit; its
  baseline is plain ``send`` on one connection to the same server with no store (``ratio`` = baseline
  rate / fan-out rate).
* ``crash``: ``reunite alerts tick`` in a subprocess with the console backend appending to a file, killed
  by SIGKILL after a quarter of the messages, then run again: the file must hold each subscriber at most
  once, and the log says how many are ``unknown`` (were being released at the kill) — 0 or a few.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from reunite.alerts import Alert, AlertSubscription, Links, SendPolicy, create_alert, delivery_log, fan_out
from reunite.alerts.sender import _message
from reunite.cases.db import dispose_engines, open_session
from reunite.cases.models import MissingReport
from reunite.notify import ConsoleChannel, NotifySettings

T0 = dt.datetime(2026, 12, 5, 8, 0)
KUNMING = (24.880095, 102.832891)
SECRET = "benchmark-secret"


def _store(folder: Path, n: int, seed: int) -> str:
    url = f"sqlite:///{folder / 'reunite.db'}"
    rng = np.random.default_rng(seed)
    r = 90.0 * np.sqrt(rng.random(n))
    a = 2 * np.pi * rng.random(n)
    lat = KUNMING[0] + (r * np.cos(a)) / 111.0
    lon = KUNMING[1] + (r * np.sin(a)) / (111.0 * np.cos(np.radians(KUNMING[0])))
    rows = [{"kind": "person", "channel": "email", "recipient": f"s{k}@example.org", "lang": "zh",
             "place": "云南省昆明市", "place_adcode": "530100", "lat": float(lat[k]), "lon": float(lon[k]),
             "radius_km": 0.0, "status": "active", "created_at": T0} for k in range(n)]
    with open_session(url) as s:
        s.add(MissingReport(report_number="R-BENCH", sex="female", date_of_birth=dt.date(2024, 1, 1),
                            disappeared_on=dt.date(2026, 12, 5), disappeared_place="云南省昆明市"))
        s.execute(insert(AlertSubscription), rows)
        s.commit()
    return url


def _alert(url: str) -> int:
    with open_session(url) as s:
        return create_alert(s, user="bench", report="R-BENCH", started_at=T0, now=T0).id


def _fan_out(url: str, alert_id: int, channels, pool: int = 25) -> tuple[float, dict]:
    links = Links(SECRET, "http://reunite.test")
    with open_session(url) as s:
        t = time.perf_counter()
        res = fan_out(s, alert_id, links=links, now=T0 + dt.timedelta(minutes=5), channels=channels,
                      policy=SendPolicy(smtp_pool=pool))
        return time.perf_counter() - t, res.as_dict()


def _baseline(url: str, alert_id: int, n: int) -> float:
    """The same messages to the same channel, no store: build each message and send it."""
    links = Links(SECRET, "http://reunite.test")
    with open_session(url) as s:
        alert = s.get(Alert, alert_id)
        ch = ConsoleChannel("email", stream=None)
        t = time.perf_counter()
        for k in range(n):
            ch.send(f"s{k}@example.org", _message(alert, k + 1, links))
        return time.perf_counter() - t


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SINK = """
import asyncio, sys
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
c = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
"""


def _smtp(url: str, alert_id: int, pool: int) -> tuple[float, dict, float]:
    """The fan-out over SMTP, and the baseline: plain ``send`` of up to 1,000 messages on one connection
    to the same server, no store (messages per second)."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        env = {"REUNITE_SMTP_HOST": "127.0.0.1", "REUNITE_SMTP_PORT": str(port), "REUNITE_SMTP_TLS": "none",
               "REUNITE_SMTP_FROM": "alerts@reunite.test"}
        channels = NotifySettings.from_env(env).channel
        seconds, res = _fan_out(url, alert_id, channels, pool)
        links = Links(SECRET, "http://reunite.test")
        with open_session(url) as s, channels("email") as ch:
            alert = s.get(Alert, alert_id)
            m = min(1000, res.get("sent", 0)) or 1
            t = time.perf_counter()
            for k in range(m):
                ch.send(f"s{k}@example.org", _message(alert, k + 1, links))
            baseline = m / (time.perf_counter() - t)
        return seconds, res, baseline
    finally:
        proc.stdin.close()
        proc.wait(10)


def _crash(folder: Path, url: str, alert_id: int, n: int) -> dict:
    outbox = folder / "outbox.jsonl"
    env = {**os.environ, "REUNITE_DATABASE_URL": url, "REUNITE_SECRET_KEY": SECRET, "REUNITE_NOTIFY_BACKEND": "console",
           "REUNITE_NOTIFY_CONSOLE_FILE": str(outbox), "PYTHONPATH": os.pathsep.join(sys.path)}
    now = (T0 + dt.timedelta(minutes=5)).isoformat()
    cmd = [sys.executable, "-m", "reunite", "alerts", "tick", "--now", now]

    def lines() -> int:
        return sum(1 for _ in outbox.open(encoding="utf-8")) if outbox.exists() else 0

    first = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while lines() < n // 4 and first.poll() is None:
        time.sleep(0.002)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    at_kill = lines()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    counts = collections.Counter(json.loads(x)["to"] for x in outbox.open(encoding="utf-8"))
    with open_session(url) as s:
        status = collections.Counter(r["status"] for r in delivery_log(s, alert_id, limit=10 * n))
    return {"killed_after": at_kill, "received": len(counts), "duplicates": sum(c > 1 for c in counts.values()),
            "log": dict(status)}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--subscribers", type=int, default=10_000)
    ap.add_argument("--quick", action="store_true", help="1,000 subscribers")
    ap.add_argument("--no-smtp", action="store_true", help="skip the SMTP run")
    ap.add_argument("--pool", type=int, default=25, help="SMTP connections")
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args(argv)
    n = 1000 if args.quick else args.subscribers
    out: dict = {"benchmark": "alerts", "subscribers": n, "python": platform.python_version(),
                 "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                 "load_average": [round(x, 2) for x in os.getloadavg()], "date": dt.date.today().isoformat()}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = _store(folder, n, args.seed)
        alert = _alert(url)
        console = ConsoleChannel("email", stream=None)
        seconds, res = _fan_out(url, alert, lambda kind: console)
        assert res.get("sent") == n == len(console.sent), res
        base = _baseline(url, alert, n)
        out["console"] = {"seconds": round(seconds, 3), "per_second": round(n / seconds), **res,
                          "baseline_seconds": round(base, 3), "ratio": round(seconds / base, 2)}
        if not args.no_smtp:
            alert = _alert(url)
            seconds, res, baseline = _smtp(url, alert, args.pool)
            assert res.get("sent") == n, res
            out["smtp"] = {"seconds": round(seconds, 3), "per_second": round(n / seconds), "pool": args.pool, **res,
                           "baseline_per_second": round(baseline), "ratio": round(baseline / (n / seconds), 2)}
        alert = _alert(url)
        dispose_engines()
        out["crash"] = _crash(folder, url, alert, n)
        assert out["crash"]["duplicates"] == 0, out["crash"]
        dispose_engines()
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
