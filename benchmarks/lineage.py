"""Accuracy of the Y-STR lineage LR on simulated paternal lines (reunite.genetics.ystr).

    python benchmarks/lineage.py            # 1000 pairs per relationship; databases of 500, 5,000, 50,000
    python benchmarks/lineage.py --quick    # 200 pairs; databases of 500 and 5,000 (the smoke test)

Population: the clan process of ``reunite.genetics.simulate_lineage`` (seed 15, Yfiler Plus loci).
Its first 500 men are the shipped SIMULATED database (``data/lineage/simulated_ystr_database.csv``);
larger databases are its first N men.  Paternal lines are rooted in men drawn *after* the largest
database (the same population, never in the database), and dropped with the model's own mutation
process (the bundled rates, two-step share 1/26.23):

* brother: the father is a held-out man; the typed brother and the found boy are his sons (2 meioses);
* grandfather: the found boy is the held-out man's grandson (2 meioses);
* uncle: the uncle is the held-out man's son, the found boy his grandson (3 meioses);
* father (1 meiosis) and the paternal cousin (4 meioses) for comparison;
* unrelated: two held-out men, evaluated as brothers (2 meioses) — false positives.

Each database is evaluated by counting (one-sided 95% Clopper–Pearson bound) and, up to 5,000
haplotypes, by the discrete Laplace mixture fitted to it (reunite.genetics.disclap).

Printed (JSON): per database size, method and relationship, the share of pairs with LR >= 10^2, 10^3,
10^4, the share with LR 0, and the median log10 LR (null when it is LR 0); and the LR's cap,
1 / (one-sided 95% Clopper–Pearson bound of an unseen haplotype), which no pair can pass.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np

from reunite.genetics.simulate_lineage import as_haplotype, mutate_y, simulate_y_population
from reunite.genetics.ystr import YDatabase, clopper_pearson_upper, y_lineage_lr

SEED = 15
RELATIONS = {"father": (0, 1, 1), "brother": (1, 1, 2), "grandfather": (0, 2, 2), "uncle": (1, 2, 3),
             "cousin": (2, 2, 4)}
THRESHOLDS = (1e2, 1e3, 1e4)
DL_MAX = 5000   # the discrete Laplace method is also run on databases up to this size


def pairs(held_out, n, rng):
    """(relative, found, meioses) per relationship: the relative is ``a`` meioses below the line's
    founder, the found boy ``b`` meioses below it."""
    out = {}
    for rel, (a, b, m) in RELATIONS.items():
        rows = []
        for i in range(n):
            founder = held_out[i % len(held_out)]
            rows.append((as_haplotype(mutate_y(founder, a, rng)), as_haplotype(mutate_y(founder, b, rng)), m))
        out[rel] = rows
    unrel = []
    for i in range(n):
        x, y = held_out[(2 * i) % len(held_out)], held_out[(2 * i + 1) % len(held_out)]
        unrel.append((as_haplotype(x), as_haplotype(y), 2))
    out["unrelated"] = unrel
    return out


def summarise(db, rows, method="clopper_pearson"):
    logs = [y_lineage_lr(r, f, m, db, method=method).log10_lr for r, f, m in rows]
    return {"n": len(rows),
            **{f"share_lr_ge_1e{int(np.log10(t))}": sum(x >= np.log10(t) for x in logs) / len(logs)
               for t in THRESHOLDS},
            "share_lr_0": sum(x == -np.inf for x in logs) / len(logs),
            "median_log10_lr": None if statistics.median(logs) == -np.inf else round(statistics.median(logs), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="200 pairs, databases of 500 and 5,000")
    ap.add_argument("--pairs", type=int, default=None)
    args = ap.parse_args()
    sizes = (500, 5000) if args.quick else (500, 5000, 50000)
    n = args.pairs or (200 if args.quick else 1000)
    t0 = time.perf_counter()
    pop = simulate_y_population(max(sizes) + 2 * n, seed=SEED)
    t_sim = time.perf_counter() - t0
    held_out = pop[max(sizes):]
    rng = np.random.default_rng(SEED + 1)
    cases = pairs(held_out, n, rng)
    results = []
    for size in sizes:
        db = YDatabase([as_haplotype(h) for h in pop[:size]], f"simulated clan population, first {size}",
                       simulated=True)
        t = time.perf_counter()
        rows = {rel: summarise(db, cases[rel]) for rel in cases}
        dt = time.perf_counter() - t
        results.append({"database": size, "method": "clopper_pearson", "lr_cap": 1 / clopper_pearson_upper(0, size),
                        "relations": rows, "seconds_per_lr": dt / sum(len(v) for v in cases.values())})
        if size <= DL_MAX:
            t = time.perf_counter()
            db.discrete_laplace(db.loci)
            fit_s = time.perf_counter() - t
            t = time.perf_counter()
            rows = {rel: summarise(db, cases[rel], "discrete_laplace") for rel in cases}
            dt = time.perf_counter() - t
            results.append({"database": size, "method": "discrete_laplace", "lr_cap": None,
                            "clusters": db.discrete_laplace(db.loci).clusters, "fit_seconds": round(fit_s, 2),
                            "relations": rows, "seconds_per_lr": dt / sum(len(v) for v in cases.values())})
    print(json.dumps({"benchmark": "lineage", "pairs_per_relation": n, "seed": SEED,
                      "simulate_seconds": round(t_sim, 2), "results": results,
                      "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                  "load": os.getloadavg()}}, indent=1))


if __name__ == "__main__":
    main()
