"""Search figures at several scales (not a test): one JSON line per size.

Usage: python benchmarks/search.py [SIZE ...] [--found N] [--no-accuracy]
       python benchmarks/search.py --mutation [SIZE ...] [--children N] [--old-children N]
Default sizes: 10000 100000 1000000 (the last needs ~4 GB of memory and a few minutes).
Each line: simulate, build, index bytes (memory and disk), save/load, one found child against
all families (median and p95 over 100 children), pairs per second, the numpy kernel in the same
process as the baseline (speedup ratio), a family against all found children, peak memory and,
unless --no-accuracy, accuracy per family structure.

With --mutation (default sizes 1000 10000): an index built with the stepwise model (rate 0.002,
rate2 1e-6, range 0.1); the time per found child of the batched search against the kinship
engine evaluating every family (the path used before), in the same process, and the largest
difference in log10 LR between the two.
"""

from __future__ import annotations

import json
import sys
import time

from reunite.benchmarking.search import run_bench

STEPWISE = {"model": "stepwise", "rate": 0.002, "rate2": 1e-06, "range": 0.1}


def mutation_bench(n: int, children: int = 5, old_children: int = 1) -> dict:
    import numpy as np

    from reunite.genetics import load_frequencies, make_pedigree
    from reunite.genetics.markers import parse_profile
    from reunite.genetics.simulate import simulate_population
    from reunite.search.index import build_index, engine_lr
    from reunite.search.io import FamilyRecord
    from reunite.search.kernel import search_child

    table = load_frequencies("nist1036_us_asian")
    pop = simulate_population(table, n, children + 1, 0.5, 1, markers="cn23")
    fams = []
    for f in pop.families:
        gts = {pid: parse_profile({m: list(g) for m, g in gt.items()}) for pid, gt in f.profiles.items()}
        fams.append(FamilyRecord(family=f.family, pedigree=make_pedigree(f.pedigree), missing=f.missing,
                                 profiles=gts))
    kids = [parse_profile({m: list(g) for m, g in c.profile.items()}) for c in pop.found]
    t0 = time.perf_counter()
    idx = build_index(fams, table, mutation=STEPWISE)
    build_s = time.perf_counter() - t0
    search_child(idx, kids[-1], min_lr=0.0, top=0)  # warm-up
    new = []
    for child in kids[:children]:
        t0 = time.perf_counter()
        search_child(idx, child, min_lr=1.0, top=20)
        new.append(time.perf_counter() - t0)
    old, worst = [], 0.0
    for child in kids[:old_children]:
        got = {c.family: c.log10_lr for c in search_child(idx, child, min_lr=0.0, top=0)}
        t0 = time.perf_counter()
        ref = {f.family: engine_lr(idx, f, child).log10_lr for f in fams}
        old.append(time.perf_counter() - t0)
        worst = max([worst] + [abs(got[k] - v) for k, v in ref.items() if v is not None])
    return {"families": n, "groups": len(idx.groups), "build_s": round(build_s, 2),
            "new_per_child_s": round(float(np.median(new)), 3), "old_per_child_s": round(float(np.median(old)), 2),
            "old_ms_per_family": round(1000 * float(np.median(old)) / n, 2),
            "speedup": round(float(np.median(old)) / float(np.median(new)), 1), "max_abs_log10_diff": worst}


def main(argv: list[str]) -> None:
    def opt(name: str, default: int) -> int:
        return int(argv[argv.index(name) + 1]) if name in argv else default

    values = {argv[i + 1] for i, a in enumerate(argv[:-1]) if a.startswith("--") and a != "--mutation"}
    sizes = [int(a) for a in argv if a.isdigit() and a not in values]
    if "--mutation" in argv:
        for n in sizes or [1_000, 10_000]:
            print(json.dumps(mutation_bench(n, opt("--children", 5), opt("--old-children", 1))), flush=True)
        return
    sizes = sizes or [10_000, 100_000, 1_000_000]
    found = opt("--found", 1000)
    accuracy = "--no-accuracy" not in argv
    for n in sizes:
        print(json.dumps(run_bench(n, found, searches=100, accuracy=accuracy and n <= 100_000)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
