"""Timing and accuracy of ``reunite cohort solve`` on simulated rescued cohorts.

    python benchmarks/cohort.py            # timings (3/6/12 found vs 2/5/10 families) and accuracy
    python benchmarks/cohort.py --quick    # one repeat, fewer accuracy cohorts (the smoke test)

Timings: found children vs families, without and with the bundled published mutation rates
(``"default"``), over the 23 Chinese-kit markers of the NIST 1036 U.S. Asian table; each cohort
has one unreported full sibling and one unrelated child among its found children; load + solve,
median of the repeats, in one process.

Accuracy: cohorts of 12 found children against 10 families with two unreported full siblings
(never reported missing) and one unrelated child among the found, half the families listing
their other children.  Counted per found child: identified, identified wrongly (not the missing
child of that family: an unreported sibling, an unrelated child, or the other family), and the
same for a pairwise pipeline in the manner of dvir's ``dviSolve`` (``findExcluded`` then
``findUndisputed``: LR >= 10^4 and 10^4 times every other LR of its row and column, iterated;
it omits dvir's transfer of identified data to the families and its joint step for families
with several missing, so it is an approximation of dvir, stated as such).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import time

from reunite.genetics.cohort import load_cohort, simulate_cohort, solve_cohort

TABLE = "nist1036_us_asian"
SIZES = ((3, 2), (6, 5), (12, 10))


def timing(repeats: int) -> list[dict]:
    rows = []
    for mutation in (None, "default"):
        for n_found, n_fam in SIZES:
            spec, _ = simulate_cohort(TABLE, n_fam, n_found, seed=100 + n_found, markers="cn23",
                                      mutation=mutation, unreported=1, unrelated=1)
            times = []
            for _ in range(repeats):
                t = time.perf_counter()
                res = solve_cohort(load_cohort(spec))
                times.append(time.perf_counter() - t)
            rows.append({"found": n_found, "families": n_fam, "mutation": mutation or "none",
                         "seconds": statistics.median(times), "admissible": res.n_admissible,
                         "shared": res.method})
    return rows


def dvir_like(res, threshold=1e4, max_inconsistent=2) -> dict[str, str]:
    """Undisputed identifications from the pairwise LRs, iterated (see the module docstring)."""
    lr = {(r["found"], r["missing"]): (r["log10_lr"] if r["inconsistent"] <= max_inconsistent
                                       and r["log10_lr"] is not None else None)
          for r in res.pairwise}
    t = math.log10(threshold)
    found = {f for f, _ in lr}
    missing = {m for _, m in lr}
    out: dict[str, str] = {}
    while True:
        new = {}
        for (f, m), v in lr.items():
            if v is None or f not in found or m not in missing or v < t:
                continue
            others = [w for (g, n), w in lr.items() if w is not None and (g == f) != (n == m)
                      and g in found and n in missing]
            if all(v - w >= t for w in others):
                new[f] = m
        if not new:
            return out
        out.update(new)
        found -= set(new)
        missing -= set(new.values())


def accuracy(n_cohorts: int, mutation=None) -> dict:
    counts = {"found": 0, "missing_children": 0, "siblings": 0, "unrelated": 0}
    for policy in ("downgrade", "note", "dvir-like"):
        counts[f"{policy}_identified"] = 0
        counts[f"{policy}_wrong"] = 0
        counts[f"{policy}_siblings_identified"] = 0
    counts["right_family_swapped"] = 0
    for seed in range(n_cohorts):
        spec, truth = simulate_cohort(TABLE, 10, 12, seed=1000 + seed, markers="cn23",
                                      mutation=mutation, unreported=2, unrelated=1, listed=0.5)
        counts["found"] += len(truth)
        counts["siblings"] += sum(1 for v in truth.values() if v and v.startswith("sibling:"))
        counts["unrelated"] += sum(1 for v in truth.values() if v is None)
        counts["missing_children"] += sum(1 for v in truth.values() if v and not v.startswith("sibling:"))
        for policy in ("downgrade", "note"):
            spec["rules"] = {"unreported_siblings": policy}
            res = solve_cohort(load_cohort(spec))
            for c in res.conclusions:
                if c["conclusion"] != "identified":
                    continue
                counts[f"{policy}_identified"] += 1
                want = truth[c["found"]]
                if want != c["missing"]:
                    same_family = want is not None and not want.startswith("sibling:") and \
                        want.split("_")[0] == c["family"]
                    if same_family and "symmetric" in c["note"]:
                        counts["right_family_swapped"] += policy == "downgrade"
                    else:
                        counts[f"{policy}_wrong"] += 1
                        counts[f"{policy}_siblings_identified"] += bool(want and want.startswith("sibling:"))
        for f, m in dvir_like(res).items():
            counts["dvir-like_identified"] += 1
            want = truth[f]
            if want != m:
                counts["dvir-like_wrong"] += 1
                counts["dvir-like_siblings_identified"] += bool(want and want.startswith("sibling:"))
    return counts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one repeat and 3 accuracy cohorts")
    ap.add_argument("--cohorts", type=int, default=40, help="accuracy cohorts (default 40)")
    args = ap.parse_args(argv)
    repeats = 1 if args.quick else 3
    n = 3 if args.quick else args.cohorts
    print(f"# machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    print("| found | families | mutation | seconds (median) | admissible assignments |")
    print("|---|---|---|---|---|")
    for r in timing(repeats):
        print(f"| {r['found']} | {r['families']} | {r['mutation']} | {r['seconds']:.3f} | {r['admissible']:,.0f} |")
    for mutation in (None, "default"):
        c = accuracy(n, mutation)
        print(f"\naccuracy over {n} cohorts (12 found vs 10 families, mutation {mutation or 'none'}): "
              f"{c['found']} found = {c['missing_children']} missing children + {c['siblings']} unreported "
              f"siblings + {c['unrelated']} unrelated")
        print("| rule | identified | wrongly | of which unreported siblings |")
        print("|---|---|---|---|")
        for policy in ("downgrade", "note", "dvir-like"):
            print(f"| {policy} | {c[f'{policy}_identified']} | {c[f'{policy}_wrong']} | "
                  f"{c[f'{policy}_siblings_identified']} |")
        if c["right_family_swapped"]:
            print(f"(identified to the right family as symmetric, the other missing member named: "
                  f"{c['right_family_swapped']})")
        print(f"# load after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
