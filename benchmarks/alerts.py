"""Timing of one alert's fan-out to many subscribers, and no duplicate after the sender is killed.

    python benchmarks/alerts.py                 # 10,000 subscribers (issue 14's figure): console and SMTP
    python benchmarks/alerts.py --quick         # 1,000 subscribers (the smoke test of `make bench`)
    python benchmarks/alerts.py --no-smtp       # the console backend only
    python benchmarks/alerts.py --pool 100      # SMTP connections (default 50)
    python benchmarks/alerts.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres   # store on PostgreSQL
    python benchmarks/alerts.py --profile /tmp/fanout   # pyinstrument of each SMTP fan-out: /tmp/fanout-<server>.txt

SMTP is measured against two local servers, each in its own process:

* Postfix's ``smtp-sink`` (``/usr/sbin/smtp-sink``, a C test server that accepts and discards; Debian package
  ``postfix``: ``DEBIAN_FRONTEND=noninteractive apt-get install -y postfix``).  When it is missing the JSON
  says so under ``smtp_sink`` (and stderr too); the rest still runs.
* an aiosmtpd ``Sink`` (Python, asyncio) in a subprocess.

On a fresh SQLite store (or a new PostgreSQL database with ``--pg``), N confirmed subscriptions are
inserted at seeded random points within 90 km of Kunming (all inside the first hour's 100 km), and one
alert of a report lost in Kunming is created per run.

* ``console``: :func:`reunite.alerts.fan_out` with the console backend (each message recorded in memory:
  the store's and the fan-out's own work, no network); **baseline**, in the same process: the same N
  messages built and given to the same channel with no store (``ratio`` = fan-out time / baseline time).
* ``smtp_sink`` and ``aiosmtpd``: the fan-out over SMTP (:class:`reunite.notify.fleet.SmtpFleet`, ``--pool``
  connections, each message held short of its final ``.`` until its row is committed ``sending``), and two
  baselines in the same process against the same server with no store: ``plain_per_second``, ``smtplib``
  sending up to 2,000 messages on one connection (the simplest client), and ``fleet_no_store_seconds``, the
  same fleet sending the same N messages in turns of ``--pool`` with no store (what the store's claims,
  marks and log cost on top is ``store_ratio`` = fan-out time / that time).
* ``crash``: ``reunite alerts tick`` in a subprocess with the console backend appending to a file, killed
  by SIGKILL after a quarter of the messages, then run again: the file must hold each subscriber at most
  once, and the log says how many are ``unknown``.
* ``crash_smtp`` (with smtp-sink): the same over SMTP, smtp-sink writing each transaction to a file and
  counting those whose DATA ended: no recipient twice, and every subscriber not received is ``unknown``
  (``missing_not_unknown`` must be 0).  The small version runs in CI: tests/alerts/test_crash.py.

Prints one JSON object (with the load average before and after).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
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
from sqlalchemy import insert, select

from reunite.alerts import Alert, AlertSubscription, Links, SendPolicy, create_alert, delivery_log, fan_out
from reunite.alerts.sender import _message
from reunite.cases.db import dispose_engines, open_session
from reunite.cases.models import MissingReport
from reunite.notify import ConsoleChannel, Message, NotifySettings, SmtpChannel
from reunite.notify.fleet import SmtpFleet

T0 = dt.datetime(2026, 12, 5, 8, 0)
KUNMING = (24.880095, 102.832891)
SECRET = "benchmark-secret"


def _store(folder: Path, n: int, seed: int, url: str | None = None) -> str:
    url = url or f"sqlite:///{folder / 'reunite.db'}"
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


def _fan_out(url: str, alert_id: int, channels, pool: int = 50) -> tuple[float, dict]:
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


AIOSMTPD = """
import asyncio, sys
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
c = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
"""
SMTP_SINK = "/usr/sbin/smtp-sink"
INSTALL = "DEBIAN_FRONTEND=noninteractive apt-get install -y postfix"


def _wait_greeting(port: int, proc: subprocess.Popen) -> None:
    for _ in range(500):
        if proc.poll() is not None:
            raise RuntimeError(f"the SMTP server exited ({proc.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                if s.recv(100).startswith(b"220"):
                    return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("the SMTP server did not answer")


def _server(kind: str, port: int) -> subprocess.Popen:
    if kind == "aiosmtpd":
        proc = subprocess.Popen([sys.executable, "-c", AIOSMTPD, str(port)], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, text=True)
    else:
        user = ["-u", "nobody"] if os.geteuid() == 0 else []      # smtp-sink refuses to run as root without -u
        proc = subprocess.Popen([SMTP_SINK, *user, f"127.0.0.1:{port}", "256"], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_greeting(port, proc)
    return proc


def _plain(port: int, alert: Alert, m: int) -> float:
    """Plain ``smtplib``, one connection, no store: messages per second."""
    links = Links(SECRET, "http://reunite.test")
    ch = SmtpChannel("127.0.0.1", port, tls="none", sender="alerts@reunite.test")
    msgs = [_message(alert, k + 1, links) for k in range(m)]
    t = time.perf_counter()
    for k, msg in enumerate(msgs):
        assert ch.send(f"s{k}@example.org", msg).ok
    rate = m / (time.perf_counter() - t)
    ch.close()
    return rate


def _fleet_no_store(port: int, alert: Alert, n: int, pool: int) -> float:
    """The fan-out's fleet sending the same N messages in turns of ``pool``, no store: seconds."""
    links = Links(SECRET, "http://reunite.test")
    fleet = SmtpFleet("127.0.0.1", port, size=pool, tls="none", sender="alerts@reunite.test")
    t = time.perf_counter()
    tpl = fleet.template(Message(alert.subject, alert.body_zh, alert.body_en))
    held, sent, k = [False] * pool, 0, 0
    while k < n or any(held):
        items = []
        for _ in range(pool):
            if k < n:
                rcpt = f"s{k}@example.org"
                items.append(fleet.item(rcpt, tpl.render(rcpt, f"alert-{alert.id}-sub-{k + 1}",
                                                          links.url("unsubscribe", k + 1))))
                k += 1
            else:
                items.append(None)
        out = fleet.turn(held, items)
        sent += sum(1 for r, _ in out if r is not None and r.ok)
        assert all(f is None for _, f in out), out
        held = [i is not None for i in items]
    seconds = time.perf_counter() - t
    fleet.close()
    assert sent == n, sent
    return seconds


def _smtp(kind: str, url: str, n: int, pool: int, profile: str | None = None) -> dict:
    if kind == "smtp_sink" and not os.access(SMTP_SINK, os.X_OK):
        print(f"benchmarks/alerts.py: {SMTP_SINK} is missing: the smtp-sink run is skipped; install it with "
              f"`{INSTALL}`", file=sys.stderr)
        return {"missing": f"{SMTP_SINK} is missing; install it with `{INSTALL}`"}
    port = _free_port()
    proc = _server(kind, port)
    try:
        env = {"REUNITE_SMTP_HOST": "127.0.0.1", "REUNITE_SMTP_PORT": str(port), "REUNITE_SMTP_TLS": "none",
               "REUNITE_SMTP_FROM": "alerts@reunite.test"}
        alert_id = _alert(url)
        profiler = None
        if profile:
            from pyinstrument import Profiler  # a test dependency (pip install -e '.[test]')

            profiler = Profiler()
            profiler.start()
        seconds, res = _fan_out(url, alert_id, NotifySettings.from_env(env).channel, pool)
        if profiler is not None:
            profiler.stop()
            Path(f"{profile}-{kind}.txt").write_text(profiler.output_text(unicode=False, color=False), encoding="utf-8")
        assert res.get("sent") == n, res
        with open_session(url) as s:
            alert = s.get(Alert, alert_id)
            plain = _plain(port, alert, min(n, 2000))
            bare = _fleet_no_store(port, alert, n, pool)
        return {"seconds": round(seconds, 3), "per_second": round(n / seconds), "pool": pool, **res,
                "plain_per_second": round(plain), "ratio_to_plain": round((n / seconds) / plain, 2),
                "fleet_no_store_seconds": round(bare, 3), "store_ratio": round(seconds / bare, 2)}
    finally:
        proc.stdin.close()
        if kind == "smtp_sink":
            proc.terminate()
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


def _crash_smtp(url: str, alert_id: int, n: int, pool: int) -> dict:
    """``reunite alerts tick`` over SMTP to smtp-sink (which writes each transaction to a file and counts the
    ended ones), killed by SIGKILL after a quarter of the messages, then run again."""
    import glob
    import re
    import shutil

    dumps = tempfile.mkdtemp(prefix="alerts-crash-")
    counter = os.path.join(dumps, "counter.txt")
    port = _free_port()
    user = []
    if os.geteuid() == 0:
        os.chown(dumps, 65534, 65534)
        user = ["-u", "nobody"]
    with open(counter, "wb") as fh:
        sink = subprocess.Popen([SMTP_SINK, *user, "-c", "-d", f"{dumps}/%M.", f"127.0.0.1:{port}", "256"],
                                stdout=fh, stderr=subprocess.DEVNULL)

    def ended() -> int:
        with open(counter, "rb") as fh:
            counts = re.findall(rb"mesg=(\d+)", fh.read())
        return int(counts[-1]) if counts else 0

    try:
        _wait_greeting(port, sink)
        env = {**os.environ, "REUNITE_DATABASE_URL": url, "REUNITE_SECRET_KEY": SECRET,
               "REUNITE_SMTP_HOST": "127.0.0.1", "REUNITE_SMTP_PORT": str(port), "REUNITE_SMTP_TLS": "none",
               "REUNITE_SMTP_FROM": "alerts@reunite.test", "PYTHONPATH": os.pathsep.join(sys.path)}
        cmd = [sys.executable, "-m", "reunite", "alerts", "tick", "--now", (T0 + dt.timedelta(minutes=5)).isoformat(),
               "--pool", str(pool)]
        first = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while ended() < n // 4 and first.poll() is None:
            time.sleep(0.002)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        at_kill = ended()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr
        taken_over = json.loads(done.stdout.splitlines()[0])
        received = collections.Counter()
        for path in glob.glob(os.path.join(dumps, "*.*")):
            if path == counter:
                continue
            with open(path, "rb") as fh:      # a DATA that never ended leaves an empty file (nothing flushed)
                head = fh.read(4096)
            received.update(m.group(1).decode() for m in re.finditer(rb"X-Rcpt-Args: <([^>]+)>", head))
        with open_session(url) as s:
            log = delivery_log(s, alert_id, limit=10 * n)
            recipient = dict(s.execute(select(AlertSubscription.id, AlertSubscription.recipient)).all())
        status = collections.Counter(r["status"] for r in log)
        unknown = {recipient[r["subscriber"]] for r in log if r["status"] == "unknown"}
        missing = set(recipient.values()) - set(received)
        return {"server": "smtp-sink", "pool": pool, "ended_at_kill": at_kill, "ended": ended(),
                "received": len(received), "duplicates": sum(c > 1 for c in received.values()),
                "log": dict(status), "restart_reported": {k: taken_over.get(k) for k in ("claimed", "unknown")},
                "missing": len(missing), "missing_not_unknown": len(missing - unknown)}
    finally:
        sink.terminate()
        sink.wait(10)
        shutil.rmtree(dumps, ignore_errors=True)


@contextlib.contextmanager
def _database(server: str | None):
    """A new, empty PostgreSQL database on ``server`` (dropped afterwards), or None for SQLite."""
    if not server:
        yield None
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"reunite_bench_alerts_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        dispose_engines()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--subscribers", type=int, default=10_000)
    ap.add_argument("--quick", action="store_true", help="1,000 subscribers")
    ap.add_argument("--no-smtp", action="store_true", help="skip the SMTP run")
    ap.add_argument("--pool", type=int, default=50, help="SMTP connections")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--pg", metavar="URL", help="a PostgreSQL server (e.g. postgresql+psycopg://postgres@127.0.0.1/"
                                                "postgres): the store is a new database on it, dropped at the end")
    ap.add_argument("--profile", metavar="PREFIX", help="profile each SMTP fan-out with pyinstrument (main thread; "
                                                        "the sender and the store) into PREFIX-<server>.txt")
    args = ap.parse_args(argv)
    n = 1000 if args.quick else args.subscribers
    out: dict = {"benchmark": "alerts", "subscribers": n, "python": platform.python_version(),
                 "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                 "load_average": [round(x, 2) for x in os.getloadavg()], "date": dt.date.today().isoformat()}
    with tempfile.TemporaryDirectory() as tmp, _database(args.pg) as pg_url:
        folder = Path(tmp)
        out["store"] = "postgresql" if pg_url else "sqlite"
        url = _store(folder, n, args.seed, pg_url)
        alert = _alert(url)
        console = ConsoleChannel("email", stream=None)
        seconds, res = _fan_out(url, alert, lambda kind: console)
        assert res.get("sent") == n == len(console.sent), res
        base = _baseline(url, alert, n)
        out["console"] = {"seconds": round(seconds, 3), "per_second": round(n / seconds), **res,
                          "baseline_seconds": round(base, 3), "ratio": round(seconds / base, 2)}
        if not args.no_smtp:
            for kind in ("smtp_sink", "aiosmtpd"):
                out[kind] = _smtp(kind, url, n, args.pool, args.profile)
        alert = _alert(url)
        dispose_engines()
        out["crash"] = _crash(folder, url, alert, n)
        assert out["crash"]["duplicates"] == 0, out["crash"]
        dispose_engines()
        if not args.no_smtp and os.access(SMTP_SINK, os.X_OK):
            alert = _alert(url)
            dispose_engines()
            out["crash_smtp"] = _crash_smtp(url, alert, n, args.pool)
            assert out["crash_smtp"]["duplicates"] == 0 == out["crash_smtp"]["missing_not_unknown"], out["crash_smtp"]
            dispose_engines()
    out["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
