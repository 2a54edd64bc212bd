"""Web load (not a test): the public appeals page and the search API under concurrent clients.

Fills a fresh SQLite store in a temporary folder with N reference families (default 100,000):
gene-dropped by :func:`reunite.genetics.simulate.simulate_population` and written by
:func:`reunite.simulation.io.write_population`, then imported through :mod:`reunite.cases.importing`
(a missing-child report per family, its pedigree, and with ``--profiles`` the typed members' DNA),
plus N/100 found children of whom some have a published appeal.  Then it starts ``reunite serve``
on a free 127.0.0.1 port and, one endpoint after the other, runs C client threads (each with its
own keep-alive ``httpx.Client``) for at most S seconds or R requests:

``appeals_page``     GET /appeals (no login), plain or searched by place and age
``appeals_api``      GET /api/v1/appeals?place=… (no login)
``reports_search``   GET /api/v1/reports?q=… (investigator's bearer token): number, name or place

Before the server starts, ``reports_search_in_process`` times the same kind of searches in this process
through the indexes of migration 0017 and as the plain scan, and gives the ratio (machine load cancels).
``children_search``  GET /api/v1/found-children?q=… (investigator's bearer token)

It prints one JSON object: the setup timings, and per endpoint the requests, errors, throughput
(requests/s) and p50/p95/max latency (ms).  Loopback only; everything is bounded and stops by
itself; the server and the folder are removed at the end.

``import_families`` flushes once per family (about 5 ms a family on SQLite, so some 8 minutes for
100,000); above 20,000 families the pedigrees and relatives are therefore inserted in bulk, the same
rows (``--families-via import`` forces the real import and reports its time).

It also records the machine's load average (1, 5 and 15 minutes) before the first endpoint and after
the last: the figures mean little on a loaded machine.  ``--only`` runs some endpoints only (e.g.
``--only appeals_page,appeals_api``).

Usage: python benchmarks/web_load.py [--quick] [--families N] [--appeals A] [--clients C] [--seconds S]
                                     [--max-requests R] [--profiles] [--families-via import|bulk]
                                     [--only ENDPOINT,...]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

TABLE = "nist1036_us_asian"
PASSWORD = "benchmark password 1"
PLACES = ["云南省昭通市", "云南省曲靖市", "云南省昆明市", "贵州省毕节市", "四川省凉山州", "广西百色市",
          "湖南省邵阳市", "广东省东莞市", "河南省周口市", "安徽省阜阳市", "江西省赣州市", "甘肃省定西市",
          "陕西省汉中市", "福建省莆田市"]
SURNAMES = list("李王张刘陈杨赵黄周吴徐孙马朱胡郭何罗高林")
GIVEN = ["小明", "小红", "子涵", "浩然", "欣怡", "宇轩", "梓萱", "俊杰", "诗琪", "家豪", "雨桐", "志强", "佳怡", "文博"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _timed(fig: dict, key: str):
    class T:
        def __enter__(self):
            self.t0 = time.perf_counter()

        def __exit__(self, *exc):
            fig[key] = round(time.perf_counter() - self.t0, 2)

    return T()


def write_case_files(paths: dict[str, Path], out: Path, n_found: int, rng: random.Random) -> dict[str, Path]:
    """``missing_reports.csv`` (one report per family, numbered as the family, the missing member's
    sex) and ``found_children.csv`` (case numbers, places, ages; the simulated found samples)."""
    fams = pa_csv.read_csv(paths["families"], convert_options=pa_csv.ConvertOptions(
        column_types={"family": "string", "sex": "string", "missing": "string"},
        include_columns=["family", "sex", "missing"]))
    missing = fams.filter(pc.equal(fams["missing"], "1"))
    reports = out / "missing_reports.csv"
    start = dt.date(2000, 1, 1)
    with open(reports, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["report_number", "child_name", "sex", "date_of_birth", "disappeared_on", "disappeared_place",
                    "contact_phone"])
        for fam, sex in zip(missing["family"].to_pylist(), missing["sex"].to_pylist(), strict=True):
            born = start + dt.timedelta(days=rng.randrange(0, 7000))
            gone = born + dt.timedelta(days=rng.randrange(30, 2000))
            w.writerow([fam, rng.choice(SURNAMES) + rng.choice(GIVEN), sex, born.isoformat(), gone.isoformat(),
                        rng.choice(PLACES), f"139{rng.randrange(10**8):08d}"])
    found_ids = pa_csv.read_csv(paths["found"], convert_options=pa_csv.ConvertOptions(
        column_types={"sample": "string"}, include_columns=["sample"]))["sample"]
    samples = list(dict.fromkeys(found_ids.to_pylist()))[:n_found]
    found = out / "found_children.csv"
    with open(found, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["case_number", "sex", "age_months", "age_sd_months", "found_on", "found_place",
                    "care_location", "sample"])
        for i, sample in enumerate(samples):
            found_on = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(0, 4000))
            w.writerow([f"FC-{i + 1:06d}", rng.choice(["male", "female"]), rng.randrange(3, 120), "6",
                        found_on.isoformat(), rng.choice(PLACES), "welfare home", sample])
    return {"missing_reports": reports, "found_children": found}


def bulk_families(session, path: Path) -> None:
    """The rows :func:`reunite.cases.importing.import_families` writes for new families (pedigree
    members and relatives), inserted in bulk (no per-family flush, no audit entry per row)."""
    from sqlalchemy import insert, select

    from reunite.cases.importing import _relation
    from reunite.cases.models import MissingReport, PedigreeMember, Relative
    from reunite.search.io import read_families

    fams = read_families(path)
    ids = dict(session.execute(select(MissingReport.report_number, MissingReport.id)).all())
    members, relatives = [], []
    for fam, rec in fams.items():
        rid, persons = ids[fam], rec.pedigree.persons
        missing = persons[rec.missing]
        members += [{"report_id": rid, "member_id": p.id, "father": p.father, "mother": p.mother, "sex": p.sex,
                     "sample": rec.samples.get(p.id), "missing": p.id == rec.missing} for p in persons.values()]
        relatives += [{"report_id": rid, "member_id": pid, "relation": _relation(pid, persons, missing),
                    "consent_given": None, "consent_scope": None, "sample": sample}
                   for pid, sample in rec.samples.items()]
    session.execute(insert(PedigreeMember), members)
    session.execute(insert(Relative), relatives)
    session.commit()


def fill_store(url: str, work: Path, n_families: int, n_appeals: int, profiles: bool, bulk: bool,
               fig: dict) -> None:
    """Simulate, write and import everything; publish appeals; add the investigator."""
    from sqlalchemy import select

    from reunite.cases import accounts, importing
    from reunite.cases import db as store
    from reunite.cases.models import Appeal, FoundChild, utcnow
    from reunite.cases.records import add_user
    from reunite.genetics.simulate import simulate_population
    from reunite.simulation.io import write_population

    n_found = max(n_appeals, n_families // 100)
    rng = random.Random(1)
    with _timed(fig, "simulate_s"):
        pop = simulate_population(TABLE, n_families, n_found, 0.5, seed=1, markers="cn23")
    with _timed(fig, "write_csv_s"):
        paths = write_population(pop, work / "csv")
        paths.update(write_case_files(paths, work / "csv", n_found, rng))
    with store.open_session(url) as s:
        user = add_user(s, "bench.inv", "investigator", by="benchmark", commit=False)
        user.password_hash = accounts.hash_password(PASSWORD)
        s.commit()
        with _timed(fig, "import_reports_s"):
            importing.import_reports(s, paths["missing_reports"], user="bench.inv")
        if bulk:
            with _timed(fig, "bulk_insert_families_s"):
                bulk_families(s, paths["families"])
        else:
            with _timed(fig, "import_families_s"):
                importing.import_families(s, paths["families"], user="bench.inv")
        with _timed(fig, "import_found_s"):
            importing.import_found(s, paths["found_children"], user="bench.inv")
        if profiles:
            with _timed(fig, "import_profiles_s"):
                importing.import_profiles(s, paths["profiles"], lab="benchmark lab", user="bench.inv")
                importing.import_profiles(s, paths["found"], lab="benchmark lab", user="bench.inv")
        with _timed(fig, "publish_appeals_s"):
            children = s.scalars(select(FoundChild).order_by(FoundChild.id).limit(n_appeals)).all()
            now = utcnow()
            s.add_all([Appeal(found_child_id=c.id, hotline="+86 871 110", published=True, published_at=now,
                              published_by="bench.inv") for c in children])
            s.commit()
        fig["store"] = {"families": n_families, "families_via": "bulk insert" if bulk else "import_families",
                        "found_children": min(n_found, len(pop.found_ids())),
                        "published_appeals": len(children), "profiles_imported": profiles}
    store.dispose_engines()
    db = Path(url.removeprefix("sqlite:///"))
    fig["store"]["db_mb"] = round(db.stat().st_size / 2**20, 1)


def start_server(url: str, work: Path) -> tuple[subprocess.Popen, str, object]:
    env = {**os.environ, "REUNITE_DATABASE_URL": url, "REUNITE_MEDIA_DIR": str(work / "media"),
           "REUNITE_REPORTS_DIR": str(work / "reports"), "REUNITE_INDEX_DIR": str(work / "index"),
           "REUNITE_SECRET_KEY": "benchmark-secret-key"}
    port = _free_port()
    log = open(work / "server.log", "w")  # closed by the caller
    proc = subprocess.Popen([sys.executable, "-m", "reunite", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--insecure-cookies", "--no-match"], env=env, cwd=work, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited: {(work / 'server.log').read_text()[-2000:]}")
        try:
            if httpx.get(base + "/appeals", timeout=5).status_code == 200:
                return proc, base, log
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the server did not start within 60 s")


def run_phase(base: str, make_url, headers: dict, clients: int, seconds: float, max_requests: int) -> dict:
    """``clients`` threads, each with a keep-alive client, until ``seconds`` or ``max_requests``."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors: dict[str, int] = {}
    count = [0]
    stop_at = time.monotonic() + seconds

    def worker(k: int) -> None:
        rng = random.Random(k)
        with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
            while time.monotonic() < stop_at:
                with lock:
                    if count[0] >= max_requests:
                        return
                    count[0] += 1
                t0 = time.perf_counter()
                try:
                    r = c.get(make_url(rng))
                    r.read()
                    err = None if r.status_code == 200 else f"HTTP {r.status_code}"
                except httpx.HTTPError as exc:
                    err = type(exc).__name__
                ms = (time.perf_counter() - t0) * 1000
                with lock:
                    latencies.append(ms)
                    if err:
                        errors[err] = errors.get(err, 0) + 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    wall = time.perf_counter() - t0
    lat = np.array(latencies) if latencies else np.array([np.nan])
    return {"requests": len(latencies), "errors": sum(errors.values()), "error_kinds": errors,
            "seconds": round(wall, 2), "throughput_rps": round(len(latencies) / wall, 1),
            "p50_ms": round(float(np.percentile(lat, 50)), 1), "p95_ms": round(float(np.percentile(lat, 95)), 1),
            "max_ms": round(float(np.max(lat)), 1)}


def report_query(rng: random.Random, n_families: int) -> str:
    """A search of the reports as staff type them: a number's first 6 characters (about 10 reports),
    a child's name (3 characters) or a place (2 characters: no trigram, scanned)."""
    kind = rng.randrange(3)
    if kind == 0:
        return f"F{rng.randrange(n_families) + 1:06d}"[:-1]
    if kind == 1:
        return f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}"
    return rng.choice(PLACES)[3:5]


def search_in_process(url: str, n_families: int, n: int = 60) -> dict:
    """The reports search in this process on the same ``n`` queries, through the indexes and as the plain
    scan (``search_reports(indexed=False)``): median and p95 ms each, and the ratio of the medians."""
    from reunite.cases import db as store
    from reunite.cases.queries import search_reports

    queries = [report_query(random.Random(k), n_families) for k in range(n)]
    out: dict = {"queries": n}
    with store.open_session(url) as s:
        for name, indexed in (("indexed", True), ("scan", False)):
            ms = []
            for q in queries:
                t0 = time.perf_counter()
                search_reports(s, q, indexed=indexed)
                ms.append((time.perf_counter() - t0) * 1000)
                s.expunge_all()
            out[name] = {"p50_ms": round(float(np.percentile(ms, 50)), 2),
                         "p95_ms": round(float(np.percentile(ms, 95)), 2)}
    out["scan_over_indexed_p50"] = round(out["scan"]["p50_ms"] / out["indexed"]["p50_ms"], 1)
    store.dispose_engines()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2,000 families, 2 s per endpoint")
    ap.add_argument("--families", type=int, default=None, help="default 100,000 (2,000 with --quick)")
    ap.add_argument("--appeals", type=int, default=None, help="published appeals (default 200; 50 with --quick)")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=None, help="per endpoint (default 10; 2 with --quick)")
    ap.add_argument("--max-requests", type=int, default=20_000, help="per endpoint")
    ap.add_argument("--profiles", action="store_true", help="also import the families' DNA profiles (slow)")
    ap.add_argument("--families-via", choices=["import", "bulk"], default=None,
                    help="import_families (about 5 ms a family today) or a bulk insert of the same rows; "
                         "default: import up to 20,000 families, bulk above")
    ap.add_argument("--only", default=None, help="comma-separated endpoints to run (default: all four)")
    args = ap.parse_args()
    n_families = args.families or (2_000 if args.quick else 100_000)
    n_appeals = args.appeals if args.appeals is not None else (50 if args.quick else 200)
    seconds = args.seconds or (2.0 if args.quick else 10.0)
    fig: dict = {"python": platform.python_version(), "cpus": os.cpu_count(), "clients": args.clients,
                 "seconds_per_endpoint": seconds, "max_requests_per_endpoint": args.max_requests}
    with tempfile.TemporaryDirectory(prefix="reunite-web-load-") as tmp:
        work = Path(tmp)
        url = f"sqlite:///{work / 'reunite.db'}"
        setup: dict = {}
        bulk = args.families_via == "bulk" or (args.families_via is None and n_families > 20_000)
        fill_store(url, work, n_families, n_appeals, args.profiles, bulk, setup)
        fig["store"] = setup.pop("store")
        fig["setup_s"] = setup
        fig["reports_search_in_process"] = search_in_process(url, n_families)
        proc, base, log = start_server(url, work)
        try:
            token = httpx.post(base + "/api/v1/token", json={"username": "bench.inv", "password": PASSWORD},
                               timeout=30).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            places = [p[3:5] for p in PLACES]

            def appeals_page(rng):
                if rng.random() < 0.5:
                    return "/appeals"
                lo = rng.randrange(0, 10)
                return f"/appeals?place={rng.choice(places)}&min_age={lo}&max_age={lo + 3}"

            def appeals_api(rng):
                return f"/api/v1/appeals?place={rng.choice(places)}"

            def reports_search(rng):
                return f"/api/v1/reports?q={report_query(rng, n_families)}"

            def children_search(rng):
                return f"/api/v1/found-children?q={rng.choice(places)}"

            sample = httpx.get(base + "/api/v1/reports?q=F00001", headers=auth, timeout=60)
            if sample.status_code != 200:
                raise SystemExit(f"the search API answered {sample.status_code}: {sample.text[:300]}")
            fig["endpoints"] = {}
            only = set(args.only.split(",")) if args.only else None
            fig["load_average_before"] = [round(x, 2) for x in os.getloadavg()]
            for name, make, headers in (("appeals_page", appeals_page, {}), ("appeals_api", appeals_api, {}),
                                        ("reports_search", reports_search, auth),
                                        ("children_search", children_search, auth)):
                if only is None or name in only:
                    fig["endpoints"][name] = run_phase(base, make, headers, args.clients, seconds, args.max_requests)
            fig["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            log.close()
    print(json.dumps(fig, ensure_ascii=False))


if __name__ == "__main__":
    main()
