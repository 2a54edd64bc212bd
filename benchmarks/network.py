"""Timing of the trafficking network at scale: the import, and a child's chain of custody.

    python benchmarks/network.py              # 100,000 people, 200,000 transfers (issue 13's figures)
    python benchmarks/network.py --quick      # 10,000 people, 20,000 transfers (the smoke test)
    python benchmarks/network.py --analyses   # also the whole-network analyses (load, gaps, unfound,
                                              # components, communities, brokers)

A seeded network is written as ``ring.csv`` (people, each with one or two relations) and
``transfers.csv`` (chains of four handovers: a parent or nobody, a broker, a courier, a seller, a
buyer); one chain in ten is a found child (registered first with ``import_found``, timed apart),
the others are children known from confessions (labels).  Then, on a fresh SQLite file:
``import_network`` of both files (one transaction, checks included), the same import again (it
must change nothing), and ``chain_of`` for 300 random children (after one warm-up query),
median, 95th percentile and maximum; and ``matching_context`` (every found child's chain source,
what each matching run reads of the network).  ``--analyses`` adds the network page's graph
(a place filter and the Cytoscape elements).  Prints one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from reunite.cases.db import dispose_engines, open_session
from reunite.cases.importing import import_found
from reunite.network import Network, chain_of, import_network, matching_context
from reunite.network.graph import elements, filtered
from reunite.network.importing import PEOPLE_COLUMNS, TRANSFER_COLUMNS

ROLES = ["broker", "courier", "seller", "buyer", "organiser", "forger"]
PLACES = ["云南省昭通市镇雄县", "云南省曲靖市会泽县", "云南省昆明市", "山东省临沂市", "福建省莆田市", "河南省周口市"]


def write_network(folder: Path, people: int, transfers: int, seed: int) -> tuple[dict[str, Path], list[str]]:
    """Write the CSV files; return them and the children's codes."""
    rng = np.random.default_rng(seed)
    codes = [f"N{i:06d}" for i in range(people)]
    roles = rng.choice(len(ROLES), size=people)
    chains = transfers // 4
    n_found = max(1, chains // 10)
    with open(folder / "found_children.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["case_number", "sex", "found_on", "found_place"])
        for k in range(n_found):
            w.writerow([f"F{k:06d}", "unknown", "2014-01-15", "云南省昆明市"])
    with open(folder / "ring.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(PEOPLE_COLUMNS)
        for i, code in enumerate(codes):
            others = rng.integers(0, people, size=1 + (i % 2))
            rels = "; ".join(sorted({f"{codes[o]}:{('kin', 'friend', 'same_town', 'paid', 'phoned')[int(o) % 5]}"
                                     for o in others if o != i}))
            arrested = "2014-01-15" if i % 3 == 0 else ""
            w.writerow([code, ROLES[roles[i]], f"name {i}", PLACES[i % len(PLACES)],
                        "arrested" if arrested else "at_large", arrested, "", rels, f"record {i // 100}"])
    children = []
    start = dt.date(2010, 1, 1)
    with open(folder / "transfers.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(TRANSFER_COLUMNS)
        for c in range(chains):
            child = f"F{c:06d}" if c < n_found else f"confession {c:06d}"
            children.append(child)
            picks = rng.integers(0, people, size=5)
            while len(set(picks.tolist())) < 5:
                picks = rng.integers(0, people, size=5)
            holders = [None if c % 5 == 0 else codes[int(picks[0])], *(codes[int(x)] for x in picks[1:])]
            day = start + dt.timedelta(days=int(rng.integers(0, 1400)))
            price = int(rng.integers(3, 11)) * 1000
            for k in range(4):
                cols = [child, "", ""] if c < n_found else ["", "", child]
                w.writerow([f"T{c:06d}-{k}", *cols, holders[k] or "", holders[k + 1], day.isoformat(),
                            PLACES[min(k, 5)], price, f"doc {c}"])
                day += dt.timedelta(days=int(rng.integers(1, 10)))
                price = int(price * rng.uniform(1.2, 3.0))
    return {"found": folder / "found_children.csv", "ring": folder / "ring.csv",
            "transfers": folder / "transfers.csv"}, children


def run(people: int, transfers: int, seed: int, queries: int, analyses: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        files, children = write_network(folder, people, transfers, seed)
        write_s = time.perf_counter() - t
        url = f"sqlite:///{folder / 'bench.db'}"
        with open_session(url) as s:
            t = time.perf_counter()
            import_found(s, files["found"], user="bench")
            found_s = time.perf_counter() - t
            t = time.perf_counter()
            res = import_network(s, files["ring"], files["transfers"], investigation="BENCH", user="bench")
            import_s = time.perf_counter() - t
            t = time.perf_counter()
            again = import_network(s, files["ring"], files["transfers"], investigation="BENCH", user="bench")
            again_s = time.perf_counter() - t
            assert all(c["added"] == 0 and c.get("updated", 0) == 0 for c in again.counts.values()), again.counts
        dispose_engines()
        rng = np.random.default_rng(seed + 1)
        picks = [children[int(i)] for i in rng.integers(0, len(children), size=queries)]
        times = []
        with open_session(url) as s:
            chain_of(s, picks[0])      # warm-up: the connection and the statement cache
            for child in picks:
                t = time.perf_counter()
                chains = chain_of(s, child)
                times.append((time.perf_counter() - t) * 1000)
                assert len(chains) == 1 and len(chains[0].steps) == 4, child
            out = {"people": people, "transfers": transfers, "relations": res.counts["relations"]["added"],
                   "children": len(children), "write_csv_s": round(write_s, 2), "import_found_s": round(found_s, 2),
                   "import_network_s": round(import_s, 2), "reimport_unchanged_s": round(again_s, 2),
                   "chain_ms": {"queries": queries, "median": round(statistics.median(times), 2),
                                "p95": round(float(np.percentile(times, 95)), 2), "max": round(max(times), 2)}}
            # what every matching run reads of the network: each found child's chain source
            t = time.perf_counter()
            sources = matching_context(s)["network_sources"]
            out["matching_context_s"] = round(time.perf_counter() - t, 3)
            assert len(sources) == sum(1 for c in children if c.startswith("F")), len(sources)
            if analyses:
                t = time.perf_counter()
                net = Network.from_store(s, "BENCH")
                timings = {"load_s": time.perf_counter() - t}
                for name, fn in (("gaps_s", net.gaps), ("unfound_s", net.unfound), ("components_s", net.components),
                                 ("communities_s", net.communities), ("brokers_s", net.brokers),
                                 ("page_graph_s", lambda: elements(filtered(net, place="山东")))):
                    t = time.perf_counter()
                    fn()
                    timings[name] = time.perf_counter() - t
                out["analyses"] = {k: round(v, 2) for k, v in timings.items()}
        dispose_engines()
    out["machine"] = {"cpus": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 2),
                      "python": platform.python_version(), "platform": platform.platform()}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--transfers", type=int, default=200_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--quick", action="store_true", help="10,000 people and 20,000 transfers")
    ap.add_argument("--analyses", action="store_true", help="also time the whole-network analyses")
    a = ap.parse_args()
    if a.quick:
        a.people, a.transfers, a.queries = 10_000, 20_000, 100
    print(json.dumps(run(a.people, a.transfers, a.seed, a.queries, a.analyses), indent=1))


if __name__ == "__main__":
    main()
