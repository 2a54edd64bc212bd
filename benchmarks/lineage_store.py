"""Accuracy of the combined autosomal × Y-STR LR through the store's matching (reunite.cases.matching).

    python benchmarks/lineage_store.py            # 100 families per relationship; databases of 500 and 50,000
    python benchmarks/lineage_store.py --quick    # 30 families per relationship; databases of 500 and 5,000
    python benchmarks/lineage_store.py --compare --families 60                  # matching time: pair path vs kernel
    python benchmarks/lineage_store.py --compare --families 667 --children 200  # 2,001 families x 200 children

Families whose only typed relative is on the paternal line of their missing boy — a brother (2 meioses),
the paternal grandfather (2) or a paternal uncle (3) — are imported into a SQLite store with their
pedigrees, profiles (the 23 autosomal STRs of the Chinese kits, NIST 1036 U.S. Asian, gene-dropped
without mutation) and Y-STR haplotypes (Yfiler Plus, 25 loci: the line's founder is a man of the
simulated clan population, seed 15, drawn after the largest database so never in it, dropped along the
line with the model's own mutation process); each missing boy is a found child with both.  The
matching runs as `reunite match` does (bundled per-locus mutation rates for the STRs, gbt rules,
min LR 1), once with the shipped SIMULATED database (500 men) and once after `reunite import ydb` of
the population's first N men.  Every found child is compared with every family.

Printed (JSON): per database and relationship, the share of true pairs whose stored DNA LR reaches 10^4
(and 10^2, 10^3) with the autosomal STRs alone (the item's ``autosomal_log10_lr``) and combined with the
Y-STRs, the median log10 LRs, the number of unrelated pairs that became candidates and the number whose
combined LR reaches 10^4 (false positives), and the matching's seconds.

``--compare``: per database, the matching run twice in the same process on the same store, first with
the lineage markers evaluated pair by pair (``run_matching(lineage_kernel=False)``: ``pair_lineage`` for
every child × family) and then, the candidates deleted, with the vectorized kernel (the default); the
seconds of each, their ratio, whether the stored candidates are identical (every column and evidence
item), and the lineage evaluation alone (every child against every family, both ways).  ``--children``
keeps the first N found children (spread over the relationships) for a larger store.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import select

from reunite.cases.db import open_session
from reunite.cases.importing import import_families, import_found, import_profiles, import_reports
from reunite.cases.lineage import configured_databases, import_lineage_database
from reunite.cases.matching import _child_lineage, _lineage_families, _lineage_index, run_matching
from reunite.cases.models import Candidate, DnaSample, FoundChild
from reunite.genetics import load_frequencies
from reunite.genetics.simulate import MARKER_SETS
from reunite.genetics.simulate_lineage import mutate_y, simulate_y_population, write_y_csv

TABLE = "nist1036_us_asian"
THRESHOLDS = (2, 3, 4)
#: relationship -> (pedigree rows (id, father, mother), the typed man, meioses)
PEDIGREES = {
    "brother": ([("F", "", ""), ("M", "", ""), ("B", "F", "M"), ("C", "F", "M")], "B", 2),
    "grandfather": ([("GF", "", ""), ("GM", "", ""), ("F", "GF", "GM"), ("M", "", ""), ("C", "F", "M")], "GF", 2),
    "uncle": ([("GF", "", ""), ("GM", "", ""), ("F", "GF", "GM"), ("M", "", ""), ("U", "GF", "GM"),
               ("C", "F", "M")], "U", 3),
}
FEMALE = {"M", "GM"}


def build(n: int, held_out: list, rng, folder: Path, children: int | None = None) -> dict[str, Path]:
    """The CSV files of ``n`` families per relationship and their missing boys as found children."""
    table = load_frequencies(TABLE)
    mfs = [table[m] for m in MARKER_SETS["cn23"]]

    def founder():
        return [(rng.choice(len(mf.freqs), p=mf.freqs / mf.freqs.sum()),
                 rng.choice(len(mf.freqs), p=mf.freqs / mf.freqs.sum())) for mf in mfs]

    reports, found, families, profiles = [], [], [], []
    k = 0
    for rel, (rows, typed, _m) in PEDIGREES.items():
        for i in range(n):
            fam, case = f"R-{rel}-{i:04d}", f"K-{rel}-{i:04d}"
            gts, ys = {}, {}
            top = held_out[k % len(held_out)]
            k += 1
            for pid, fa, mo in rows:
                if fa:
                    gts[pid] = [(gts[fa][j][rng.integers(2)], gts[mo][j][rng.integers(2)]) for j in range(len(mfs))]
                    ys[pid] = mutate_y(ys[fa], 1, rng)
                else:
                    gts[pid] = founder()
                    ys[pid] = top if pid not in FEMALE else None
            reports.append((fam, "male"))
            found.append((case, "male", f"{case}-DNA"))
            for pid, fa, mo in rows:
                sample = f"{fam}-{pid}" if pid == typed else ""
                families.append((fam, pid, fa, mo, "female" if pid in FEMALE else "male", sample, int(pid == "C")))
            for sample, pid in ((f"{fam}-{typed}", typed), (f"{case}-DNA", "C")):
                profiles += [(sample, mf.name, mf.alleles[a], mf.alleles[b]) for mf, (a, b) in zip(mfs, gts[pid],
                                                                                                   strict=True)]
                profiles += [(sample, locus, ",".join(map(str, alleles)), "") for locus, alleles in ys[pid].items()]

    def write(name, header, rows):
        path = folder / name
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
        return path

    if children is not None:   # every k-th found child, so that each relationship keeps its share
        step = max(len(found) // children, 1)
        keep = {row[2] for row in found[::step][:children]}
        found = [row for row in found if row[2] in keep]
        profiles = [row for row in profiles if not row[0].startswith("K-") or row[0] in keep]
    return {"reports": write("reports.csv", ["report_number", "sex"], reports),
            "found": write("found.csv", ["case_number", "sex", "sample"], found),
            "profiles": write("profiles.csv", ["sample", "marker", "allele1", "allele2"], profiles),
            "families": write("families.csv", ["family", "id", "father", "mother", "sex", "sample", "missing"],
                              families)}


def measure(session, n: int) -> dict:
    out: dict = {}
    stored = {}
    unrelated = unrelated_1e4 = 0
    for c in session.scalars(select(Candidate)):
        case, rep = c.found_child.case_number, c.report.report_number
        if case[2:] == rep[2:]:
            stored[case] = c
        else:
            unrelated += 1
            unrelated_1e4 += (c.dna_log10_lr or -1) >= 4
    for rel in PEDIGREES:
        auto, comb = [], []
        for i in range(n):
            c = stored.get(f"K-{rel}-{i:04d}")
            data = (c.item("dna").data or {}) if c is not None and c.item("dna") is not None else {}
            a = data.get("autosomal_log10_lr")
            auto.append(a if a is not None else float("-inf"))
            comb.append(c.dna_log10_lr if c is not None and c.dna_log10_lr is not None else float("-inf"))
        out[rel] = {
            "pairs": n, "missing_candidates": sum(1 for i in range(n) if f"K-{rel}-{i:04d}" not in stored),
            "autosomal": {f"share_lr_ge_1e{t}": round(sum(x >= t for x in auto) / n, 3) for t in THRESHOLDS},
            "combined": {f"share_lr_ge_1e{t}": round(sum(x >= t for x in comb) / n, 3) for t in THRESHOLDS},
            "median_log10_autosomal": round(statistics.median(auto), 2),
            "median_log10_combined": round(statistics.median(comb), 2)}
    out["unrelated_candidates"] = unrelated
    out["unrelated_lr_ge_1e4"] = unrelated_1e4
    return out


def _snapshot(session) -> dict:
    def row(obj):
        return {c.key: getattr(obj, c.key) for c in obj.__table__.columns
                if c.key not in ("id", "candidate_id", "created_at", "updated_at", "computed_at")}
    return {(c.found_child.case_number, c.report.report_number): json.dumps(
        {"c": row(c), "items": sorted((row(e) for e in c.evidence), key=lambda d: str(d.get("kind")))},
        sort_keys=True, default=str) for c in session.scalars(select(Candidate))}


def _clear(session) -> None:
    for c in session.scalars(select(Candidate)):
        session.delete(c)
    session.commit()


def compare(session, folder: Path) -> dict:
    """The matching with the lineage pair path, then (candidates deleted) with the kernel; same store."""
    _clear(session)
    t = time.perf_counter()
    slow = run_matching(session, index_dir=folder / "index", lineage_kernel=False)
    slow_s = time.perf_counter() - t
    before = _snapshot(session)
    _clear(session)
    t = time.perf_counter()
    fast = run_matching(session, index_dir=folder / "index")
    fast_s = time.perf_counter() - t
    after = _snapshot(session)
    if before != after:
        print(json.dumps({"differ": [k for k in set(before) | set(after) if before.get(k) != after.get(k)][:5]}))

    def same(summary):   # (the second run reads the saved index back: nothing recompiled)
        return {k: v for k, v in summary.as_dict().items() if k != "families_recompiled"}

    # the lineage evaluation alone: every child against every lineage family, both ways
    samples = {s.sample: s for s in session.scalars(select(DnaSample))}
    fams = _lineage_families(session, samples)
    dbs = configured_databases(session)
    kids = [samples[c.sample] for c in session.scalars(select(FoundChild)) if c.sample in samples]
    t = time.perf_counter()
    for s in kids:
        _child_lineage(s, fams, dbs, None, kernel=False)
    pair_s = time.perf_counter() - t
    t = time.perf_counter()
    compiled = _lineage_index(fams, dbs)
    built = 0
    for s in kids:
        built += len(_child_lineage(s, fams, dbs, compiled).full)
    kernel_s = time.perf_counter() - t
    session.rollback()
    return {"children": len(kids), "lineage_families": len(fams), "lineage_pairs": fast.lineage_pairs,
            "candidates": len(after), "identical": before == after and same(slow) == same(fast),
            "matching_pair_path_s": round(slow_s, 2), "matching_kernel_s": round(fast_s, 2),
            "matching_ratio": round(slow_s / fast_s, 1),
            "lineage_pair_path_s": round(pair_s, 2), "lineage_kernel_s": round(kernel_s, 3),
            "lineage_ratio": round(pair_s / kernel_s, 1), "pairs_evaluated_pair_by_pair_when_scored": built}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="30 families per relationship; databases 500 and 5,000")
    ap.add_argument("--families", type=int, default=None, help="families per relationship")
    ap.add_argument("--database", type=int, default=None, help="the size of the imported database")
    ap.add_argument("--compare", action="store_true",
                    help="time the matching's lineage pair path against the vectorized kernel (same store)")
    ap.add_argument("--children", type=int, default=None, help="keep the first N found children")
    args = ap.parse_args()
    n = args.families or (30 if args.quick else 100)
    big = args.database or (5000 if args.quick else 50000)
    t0 = time.perf_counter()
    population = simulate_y_population(big + 3 * n, seed=15)
    held_out = population[big:]
    rng = np.random.default_rng(2015)
    result = {"families_per_relationship": n, "machine": platform.machine(), "python": platform.python_version(),
              "cpus": os.cpu_count(), "simulate_s": round(time.perf_counter() - t0, 1), "databases": {}}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = build(n, held_out, rng, folder, args.children)
        write_y_csv(population[:big], folder / f"ystr_{big}.csv")
        url = f"sqlite:///{folder / 'bench.db'}"
        with open_session(url) as s:
            t = time.perf_counter()
            import_reports(s, files["reports"], user="bench")
            import_found(s, files["found"], user="bench")
            import_profiles(s, files["profiles"], lab="bench", user="bench")
            import_families(s, files["families"], user="bench")
            result["import_s"] = round(time.perf_counter() - t, 1)
            for name in ("500 (shipped SIMULATED)", f"{big:,}"):
                if name != "500 (shipped SIMULATED)":
                    import_lineage_database(s, folder / f"ystr_{big}.csv", kind="y", user="bench")
                if args.compare:
                    result["databases"][name] = compare(s, folder)
                    print(json.dumps({name: result["databases"][name]}), flush=True)
                    continue
                t = time.perf_counter()
                summary = run_matching(s, index_dir=folder / "index")
                seconds = time.perf_counter() - t
                result["databases"][name] = {"matching_s": round(seconds, 1), "lineage_pairs": summary.lineage_pairs,
                                             **measure(s, n)}
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    result["total_s"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
