"""The national search with Y-STR lineage markers: accuracy and cost (reunite.search.lineage).

    python benchmarks/lineage_search.py                      # 10,000 families, the shipped 500 database
    python benchmarks/lineage_search.py --database 50000     # the same with a 50,000-man database
    python benchmarks/lineage_search.py --quick              # 300 families (a few seconds)

Reference families (all in one mutation-free index, built by ``build_index`` with the Y-STR haplotypes):

* ``--paternal`` of each kind whose only typed relative is the missing boy's brother (2 meioses),
  paternal uncle (3) or paternal grandfather (2) (``reunite.simulation.lineage.paternal_line_families``:
  23 autosomal STRs of the Chinese kits gene-dropped without mutation, NIST 1036 U.S. Asian frequencies;
  a Yfiler Plus haplotype dropped along the paternal line with the model's own mutation process);
* the rest simulated by ``reunite simulate``'s gene dropping over its six structures, the typed men
  with Y-STR haplotypes (``population_y``).

Line founders are men of the clan population of ``reunite.genetics.simulate_lineage`` (seed 15) drawn
after the database (its first N men; N = 500 is the shipped SIMULATED database), so never in it.
The found boys are the paternal-line families' missing boys.

Printed (JSON):

(a) per relative type, the share of true pairs with combined LR >= 10^4 with and without the Y-STR LR
    (the family's row searched alone, so every true pair is measured), and the largest LR of an unrelated
    pair over ``--children`` boys searched against every family (with Y, and without);
(b) search time per boy (``search_child``, min LR 1, top 20) with lineage and without, in this process,
    and their ratio;
(c) the vectorized Y-STR kernel (``lineage_log10`` over every row) against the loop of ``y_lineage_lr``
    over the rows with a paternal-line man, for a few boys: time, ratio, and the largest difference.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time

import numpy as np

from reunite.genetics import load_frequencies
from reunite.genetics.mtdna import bundled_mt_database
from reunite.genetics.simulate import resolve_markers, simulate_population
from reunite.genetics.simulate_lineage import as_haplotype, simulate_y_population
from reunite.genetics.ystr import YDatabase, bundled_y_database, y_lineage_lr
from reunite.search.index import build_index
from reunite.search.io import FamilyRecord
from reunite.search.kernel import search_child
from reunite.search.lineage import LineageOptions, lineage_log10
from reunite.simulation.io import family_records
from reunite.simulation.lineage import PATERNAL_KINDS, paternal_line_families, population_y

SEED = 15
TABLE = "nist1036_us_asian"


def world(n_families: int, paternal: int, database: int, seed: int = 7):
    table = load_frequencies(TABLE)
    markers = resolve_markers(table, "cn23")
    n_other = max(0, n_families - 3 * paternal)
    pop = simulate_population(table, n_other, 0, 0.0, seed, markers="cn23") if n_other else None
    men_needed = 3 * paternal + (sum(sum(1 for _p, fa, _m, _s in g.layout.members if fa is None) * len(g)
                                     for g in pop.groups) if pop else 0)
    t0 = time.perf_counter()
    men = simulate_y_population(database + men_needed, seed=SEED)
    t_men = time.perf_counter() - t0
    db = bundled_y_database() if database == 500 else YDatabase([as_haplotype(h) for h in men[:database]],
                                                                f"first {database} men (SIMULATED)", True)
    held = men[database:]
    fams, ys, kids, kid_y, truth = paternal_line_families(
        table, markers, dict.fromkeys(PATERNAL_KINDS, paternal), seed=seed, founders=held[: 3 * paternal])
    if pop is not None:
        other_y, _ = population_y(pop, seed=seed, founders=held[3 * paternal:])
        for f in family_records(pop):
            fams.append(FamilyRecord(f.family, f.pedigree, f.missing, f.profiles,
                                     {pid: f"{f.family}-{pid}" for pid in f.profiles}))
        ys.update(other_y)
    kind_of = {f.family: _kind(f) for f in fams[: 3 * paternal]}
    return table, fams, ys, kids, kid_y, truth, db, kind_of, t_men


def _kind(f) -> str:
    ped = f.pedigree
    if "GF" in ped and ped["R"].father == "GF":
        return "paternal_uncle"
    if ped["F"].father == "R":
        return "paternal_grandfather"
    return "brother"


def run(n_families: int = 10_000, paternal: int = 1_000, database: int = 500, children: int = 200,
        kernel_children: int = 3, seed: int = 7) -> dict:
    t0 = time.perf_counter()
    table, fams, ys, kids, kid_y, truth, db, kind_of, t_men = world(n_families, paternal, database, seed)
    t1 = time.perf_counter()
    idx = build_index(fams, table, y=ys)
    t2 = time.perf_counter()
    opts = LineageOptions(db, bundled_mt_database())
    # (a) every true pair, the family's row alone, with and without Y
    rows = idx._rows
    share = {k: {"with_y": 0, "without_y": 0, "n": 0} for k in PATERNAL_KINDS}
    for boy, fam in truth.items():
        r = rows[fam]
        k = kind_of[fam]
        plain = search_child(idx, kids[boy], sample=boy, min_lr=0.0, top=0, rows=range(r, r + 1))
        both = search_child(idx, kids[boy], sample=boy, min_lr=0.0, top=0, rows=range(r, r + 1),
                            found_y=kid_y[boy], lineage=opts)
        share[k]["n"] += 1
        share[k]["without_y"] += bool(plain and plain[0].log10_lr is not None and plain[0].log10_lr >= 4)
        share[k]["with_y"] += bool(both and both[0].log10_lr is not None and both[0].log10_lr >= 4)
    accuracy = {k: {"pairs": v["n"], "lr_ge_1e4_without_y": round(v["without_y"] / max(v["n"], 1), 3),
                    "lr_ge_1e4_with_y": round(v["with_y"] / max(v["n"], 1), 3)} for k, v in share.items()}
    t3 = time.perf_counter()
    # (b) full searches: time per boy without and with lineage; the best unrelated pair (with Y)
    boys = list(truth)[:children]
    for boy in boys[:3]:   # warm the compiled kernels and the database's count tables
        search_child(idx, kids[boy], sample=boy, min_lr=1.0, top=20)
        search_child(idx, kids[boy], sample=boy, min_lr=1.0, top=20, found_y=kid_y[boy], lineage=opts)
    s0 = time.perf_counter()
    plain_hits = {boy: search_child(idx, kids[boy], sample=boy, min_lr=1.0, top=20) for boy in boys}
    s1 = time.perf_counter()
    worst_plain = max([h.log10_lr for boy, hs in plain_hits.items() for h in hs
                       if h.family != truth[boy] and h.log10_lr is not None], default=-math.inf)
    worst = -math.inf
    first = 0
    for boy in boys:
        hits = search_child(idx, kids[boy], sample=boy, min_lr=1.0, top=20, found_y=kid_y[boy], lineage=opts)
        first += bool(hits and hits[0].family == truth[boy])
        other = [h.log10_lr for h in hits if h.family != truth[boy] and h.log10_lr is not None]
        if other:
            worst = max(worst, max(other))
    s2 = time.perf_counter()
    # (c) the vectorized kernel against y_lineage_lr pair by pair
    li = idx.lineage
    all_rows = np.arange(len(idx.family_ids))
    y_rows = np.nonzero(np.asarray(li.y_meioses) >= 0)[0]
    k_fast = k_slow = 0.0
    diff = 0.0
    for boy in boys[:kernel_children]:
        a = time.perf_counter()
        fast = lineage_log10(li, all_rows, kid_y[boy], None, opts).y
        b = time.perf_counter()
        for r in y_rows:
            try:
                want = y_lineage_lr(li.haplotype(int(r)), kid_y[boy], int(li.y_meioses[r]), db).log10_lr
            except Exception:
                want = math.nan
            got = float(fast[r])
            if math.isfinite(want) and math.isfinite(got):
                diff = max(diff, abs(want - got))
            elif not (math.isnan(want) and math.isnan(got)) and want != got:
                diff = math.inf
        c = time.perf_counter()
        k_fast += b - a
        k_slow += c - b
    n = max(len(boys), 1)
    return {
        "families": len(idx.family_ids), "paternal_line_families": 3 * paternal,
        "families_with_y": int((np.asarray(li.y_meioses) >= 0).sum()), "database": len(db),
        "database_name": db.source,
        "a_accuracy": accuracy, "a_max_log10_lr_unrelated_with_y": None if worst == -math.inf else round(worst, 2),
        "a_max_log10_lr_unrelated_without_y": None if worst_plain == -math.inf else round(worst_plain, 2),
        "a_true_family_first_with_y": round(first / n, 3),
        "b_ms_per_boy_without_lineage": round(1000 * (s1 - s0) / n, 2),
        "b_ms_per_boy_with_lineage": round(1000 * (s2 - s1) / n, 2),
        "b_ratio_with_over_without": round((s2 - s1) / max(s1 - s0, 1e-9), 2),
        "c_boys": min(kernel_children, len(boys)), "c_rows_with_y": len(y_rows),
        "c_ms_vectorized_per_boy": round(1000 * k_fast / max(min(kernel_children, len(boys)), 1), 2),
        "c_ms_pair_by_pair_per_boy": round(1000 * k_slow / max(min(kernel_children, len(boys)), 1), 1),
        "c_ratio_pair_by_pair_over_vectorized": round(k_slow / max(k_fast, 1e-9), 1),
        "c_max_abs_difference_log10": diff,
        "seconds": {"simulate_men": round(t_men, 1), "simulate_all": round(t1 - t0, 1),
                    "build_index": round(t2 - t1, 1), "true_pairs": round(t3 - t2, 1), "searches": round(s2 - s0, 1)},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", type=int, default=10_000)
    ap.add_argument("--paternal", type=int, default=1_000, help="families of each paternal-line kind")
    ap.add_argument("--database", type=int, default=500, help="Y-STR database size (500: the shipped one)")
    ap.add_argument("--children", type=int, default=200, help="boys searched against every family")
    ap.add_argument("--quick", action="store_true", help="300 families, 50 of each kind, 30 boys")
    a = ap.parse_args()
    if a.quick:
        a.families, a.paternal, a.children = 300, 50, 30
    out = run(a.families, a.paternal, a.database, a.children)
    out["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                      "load_average": [round(x, 1) for x in os.getloadavg()]}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
