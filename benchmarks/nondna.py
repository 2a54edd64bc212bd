"""The matching without DNA on a simulated population: what it keeps, how it ranks, how long it takes.

    python benchmarks/nondna.py                # 300 reports, 120 found children, 80 true pairs (issue 16)
    python benchmarks/nondna.py --quick        # 60 reports, 40 found children, 20 true pairs
    python benchmarks/nondna.py --seeds 1 2 3  # several populations

The population of ``reunite evidence calibrate`` (:mod:`reunite.simulation.nondna`: no DNA on either
side; sex, age, dates, places and marks as text) is written as ``missing_reports.csv`` and
``found_children.csv``, imported into a fresh SQLite store through the normal imports, and matched
(``run_matching``; photographs are left out: the simulated ones are embeddings, not image files).
From the store it then reads, per true pair: kept as a candidate or not, its rank among the found
child's candidates by non-DNA LR, and the posterior; per child: how many candidates without DNA it
has.  The baseline, in the same process, is the time to compute the same items for every pair
without storing anything (``compute_items`` over every pair), so the ratio is what storing the kept
pairs costs.  Prints one JSON object.
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

from sqlalchemy import select

from reunite.cases.db import dispose_engines, open_session
from reunite.cases.importing import import_found, import_reports
from reunite.cases.matching import population_context, run_matching
from reunite.cases.models import Candidate, FoundChild, MissingReport
from reunite.cases.records import candidate_items
from reunite.evidence import compute_items
from reunite.evidence.fusion import DNA_SUPPORT_LOG10, nondna_log10
from reunite.simulation.nondna import simulate_nondna_population


def write_population(pop, folder: Path) -> dict[str, Path]:
    """The simulated reports and found children as the import's CSV files."""
    paths = {"reports": folder / "missing_reports.csv", "found": folder / "found_children.csv"}
    with open(paths["reports"], "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["report_number", "sex", "date_of_birth", "disappeared_on", "disappeared_place", "marks"])
        for r in pop.reports:
            # (a gross error of the simulation can put the birth after the disappearance, which the import
            # refuses: the date of birth is then left empty, as a clerk would)
            born = r.date_of_birth if r.date_of_birth and r.disappeared_on and r.date_of_birth <= r.disappeared_on \
                else None
            w.writerow([r.report_number, r.sex, born or "", r.disappeared_on or "",
                        r.disappeared_place or "", r.marks or ""])
    with open(paths["found"], "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["case_number", "sex", "age_months", "age_sd_months", "age_assessed_on", "found_on",
                    "found_place", "marks"])
        for c in pop.children:
            w.writerow([c.case_number, c.sex, c.age_months, c.age_sd_months, c.age_assessed_on or "",
                        c.found_on or "", c.found_place or "", c.marks or ""])
    return paths


def run(n_reports: int, n_children: int, n_true: int, seed: int) -> dict:
    pop = simulate_nondna_population(n_reports, n_children, n_true, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = write_population(pop, folder)
        url = f"sqlite:///{folder / 'store.db'}"
        with open_session(url) as s:
            import_reports(s, paths["reports"], user="bench")
            import_found(s, paths["found"], user="bench")
            s.commit()
            # baseline: the same items for every pair, nothing stored
            t0 = time.perf_counter()
            ctx = population_context(s)
            children = list(s.scalars(select(FoundChild)))
            reports = list(s.scalars(select(MissingReport)))
            for c in children:
                for r in reports:
                    nondna_log10(compute_items(c, r, **ctx))
            baseline = time.perf_counter() - t0
            t0 = time.perf_counter()
            summary = run_matching(s, index_dir=folder / "index")
            seconds = time.perf_counter() - t0
            cands = list(s.scalars(select(Candidate)))
            by_child: dict[str, list] = {}
            for c in cands:
                by_child.setdefault(c.found_child.case_number, []).append(c)
            kept, ranks, posts = 0, [], []
            for case, report in pop.true_pairs.items():
                mine = sorted(by_child.get(case, []), key=lambda c: (-nondna_log10(candidate_items(c)),
                                                                     c.report.report_number))
                numbers = [c.report.report_number for c in mine]
                if report in numbers:
                    kept += 1
                    ranks.append(numbers.index(report) + 1)
                    posts.append(mine[numbers.index(report)].posterior)
            per_child = [len(by_child.get(c.case_number, [])) for c in children]
            max_log10 = max(nondna_log10(candidate_items(c)) for c in cands) if cands else None
        dispose_engines()
    return {"seed": seed, "reports": n_reports, "found_children": n_children, "true_pairs": n_true,
            "seconds_matching": round(seconds, 3), "seconds_items_only_baseline": round(baseline, 3),
            "ratio_vs_baseline": round(seconds / baseline, 2) if baseline else None,
            "candidates_stored": len(cands), "nondna_candidates": summary.nondna_candidates,
            "true_pairs_kept": kept, "true_pairs_kept_share": kept / n_true if n_true else None,
            "true_in_top_10": sum(r <= 10 for r in ranks), "true_ranked_first": sum(r == 1 for r in ranks),
            "true_median_rank": statistics.median(ranks) if ranks else None,
            "kept_per_child_mean": statistics.fmean(per_child), "kept_per_child_max": max(per_child),
            "true_pairs_median_posterior": statistics.median(posts) if posts else None,
            "max_nondna_log10_lr_stored": max_log10, "dna_support_log10": DNA_SUPPORT_LOG10}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="60 reports, 40 found children, 20 true pairs")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    args = ap.parse_args()
    sizes = (60, 40, 20) if args.quick else (300, 120, 80)
    rows = [run(*sizes, seed) for seed in args.seeds]
    print(json.dumps({"benchmark": "nondna", "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                                         "load_average": os.getloadavg()},
                      "runs": rows}, indent=1))


if __name__ == "__main__":
    main()
