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
    over the rows with a paternal-line man, for a few boys: time, ratio, and the largest difference
    (the loop takes the family's closest man, and where he cannot be compared the next ones, closest
    first, as the store's ``pair_lineage``; ``c_rows_next_man`` counts the rows that needed one);
(d) the mtDNA kernel the same way: every typed relative of the families given a sequence of the shipped
    SIMULATED mtDNA database (HVS-I and HVS-II; drawn at random, so it measures time and equality, not
    accuracy), the lineage rows compiled for them, and for a few found sequences (one of each family's,
    drawn from the database) ``lineage_log10`` over every row against ``mt_lineage_lr`` on each row with
    a maternal-line relative.
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
from reunite.genetics.mtdna import bundled_mt_database, maternal_relatives, mt_lineage_lr
from reunite.genetics.simulate import resolve_markers, simulate_population
from reunite.genetics.simulate_lineage import as_haplotype, simulate_y_population
from reunite.genetics.ystr import YDatabase, bundled_y_database, paternal_relatives, y_lineage_lr
from reunite.search.index import build_index
from reunite.search.io import FamilyRecord
from reunite.search.kernel import search_child
from reunite.search.lineage import LineageOptions, compile_lineage, lineage_log10
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
    by_fam = {f.family: f for f in fams}
    next_man = 0

    def line(fam):
        """The family's typed men of the paternal line, closest first (from the records, not the index)."""
        f = by_fam[fam]
        men = {pid: ys[s] for pid, s in f.samples.items() if s in ys and ys[s].alleles}
        return [(men[pid], m) for pid, m in paternal_relatives(f.pedigree, f.missing, men)]

    for boy in boys[:kernel_children]:
        a = time.perf_counter()
        fast = lineage_log10(li, all_rows, kid_y[boy], None, opts).y
        b = time.perf_counter()
        for r in y_rows:
            want = math.nan
            try:
                want = y_lineage_lr(li.haplotype(int(r)), kid_y[boy], int(li.y_meioses[r]), db).log10_lr
            except Exception:
                for hap, m in line(idx.family_ids[int(r)])[1:]:   # the closest cannot be compared: the next
                    try:
                        want = y_lineage_lr(hap, kid_y[boy], m, db).log10_lr
                        next_man += 1
                        break
                    except Exception:
                        continue
            got = float(fast[r])
            if math.isfinite(want) and math.isfinite(got):
                diff = max(diff, abs(want - got))
            elif not (math.isnan(want) and math.isnan(got)) and want != got:
                diff = math.inf
        c = time.perf_counter()
        k_fast += b - a
        k_slow += c - b
    mt = _mt_part(idx, fams, opts, kernel_children, seed)
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
        "c_max_abs_difference_log10": diff, "c_rows_next_man": next_man,
        **mt,
        "seconds": {"simulate_men": round(t_men, 1), "simulate_all": round(t1 - t0, 1),
                    "build_index": round(t2 - t1, 1), "true_pairs": round(t3 - t2, 1), "searches": round(s2 - s0, 1)},
    }


def _mt_part(idx, fams, opts, n_found: int, seed: int) -> dict:
    """(d): the mtDNA kernel against ``mt_lineage_lr`` row by row (random database sequences)."""
    rng = np.random.default_rng(seed + 1)
    mdb = opts.mt_database
    mt = {}
    for f in fams:
        for s in f.samples.values():
            mt[s] = mdb.sequences[int(rng.integers(len(mdb)))]
    t0 = time.perf_counter()
    li = compile_lineage(idx.family_ids, fams, {}, mt)
    t_compile = time.perf_counter() - t0
    rows = np.arange(len(idx.family_ids))
    mt_rows = np.nonzero(np.asarray(li.mt_seq) >= 0)[0]
    by_fam = {f.family: f for f in fams}
    fast_t = slow_t = 0.0
    diff = 0.0
    states = [0, 0, 0]
    w0 = time.perf_counter()
    lineage_log10(li, rows, None, mdb.sequences[0], opts)   # warm-up: the index's table of sequences, built once
    t_warm = time.perf_counter() - w0
    again_t = 0.0
    for j in range(n_found):
        found = li.mt_sequences[int(li.mt_seq[mt_rows[int(rng.integers(len(mt_rows)))]])] if j % 2 == 0 \
            else mdb.sequences[int(rng.integers(len(mdb)))]
        a = time.perf_counter()
        sc = lineage_log10(li, rows, None, found, opts)
        b = time.perf_counter()
        for r in mt_rows:
            f = by_fam[idx.family_ids[int(r)]]
            seqs = {pid: mt[s] for pid, s in f.samples.items() if s in mt}
            want, st = math.nan, -1
            for pid, _m in maternal_relatives(f.pedigree, f.missing, seqs):   # closest comparable, as the store
                try:
                    res = mt_lineage_lr(seqs[pid], found, mdb)
                except Exception:
                    continue
                want = math.nan if res.log10_lr is None else res.log10_lr
                st = ("cannot_exclude", "inconclusive", "exclusion").index(res.comparison.conclusion)
                break
            got = float(sc.mt[r])
            if int(sc.mt_state[r]) != st:
                diff = math.inf
            elif math.isfinite(want) and math.isfinite(got):
                diff = max(diff, abs(want - got))
            elif not (math.isnan(want) and math.isnan(got)) and want != got:
                diff = math.inf
            if st >= 0:
                states[st] += 1
        c = time.perf_counter()
        lineage_log10(li, rows, None, found, opts)    # again: the database count is cached, the kernel alone
        again_t += time.perf_counter() - c
        fast_t += b - a
        slow_t += c - b
    k = max(n_found, 1)
    return {"d_found_sequences": n_found, "d_rows_with_mt": len(mt_rows),
            "d_distinct_family_sequences": len(li.mt_sequences), "d_compile_s": round(t_compile, 2),
            "d_first_call_s": round(t_warm, 2),
            "d_ms_vectorized_per_found": round(1000 * fast_t / k, 2),
            "d_ms_vectorized_per_found_count_cached": round(1000 * again_t / k, 2),
            "d_ms_pair_by_pair_per_found": round(1000 * slow_t / k, 1),
            "d_ratio_pair_by_pair_over_vectorized": round(slow_t / max(fast_t, 1e-9), 1),
            "d_cannot_exclude_inconclusive_exclusion": states, "d_max_abs_difference_log10": diff}


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
