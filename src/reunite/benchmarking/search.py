"""Figures for the search: simulate a population, build the index, search both ways.

Used by ``reunite bench search`` and ``benchmarks/search.py`` (and ``benchmarks/batch.py`` builds
its index with :func:`index_from_population`).
"""

from __future__ import annotations

import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from ..genetics import load_frequencies, make_pedigree
from ..genetics.markers import marker_key, parse_profile
from ..genetics.mutation import parse_mutation
from ..genetics.simulate import simulate_population
from ..search.index import ReferenceIndex, build_index_arrays
from ..search.kernel import (
    FoundChildIndex,
    approx_log10,
    exact_log10,
    prefilter_rows,
    search_child,
    search_family,
)

__all__ = ["index_from_population", "run_bench"]


def index_from_population(pop, table, mutation: object = None) -> ReferenceIndex:
    """Compile a simulated population's families straight from its arrays (under ``mutation``, a
    mutation model or None for the mutation-free index)."""
    markers = [marker_key(m) for m in pop.markers]
    luts = []
    for mi, m in enumerate(markers):
        mf = table.markers[m]
        luts.append(np.array([mf.index(a) for a in pop.alleles[mi]], dtype=np.int16))
    structures = {}
    for g in pop.groups:
        lay = g.layout
        recs = [{**r, "sex": "unknown" if r["sex"] == "random" else r["sex"]} for r in lay.records({})]
        ped = make_pedigree(recs)
        geno = np.stack([g.alleles[t] for t in lay.typed], axis=2)  # (n, M, T, 2)
        out = np.empty(geno.shape, dtype=np.int16)
        for mi in range(len(markers)):
            out[:, mi] = luts[mi][geno[:, mi]]
        fids = [pop.family_id(int(i)) for i in g.family_index]
        structures[lay.name] = (ped, lay.missing, lay.typed, fids, out)
    return build_index_arrays(table, markers, structures, mutation=mutation)


def _child_array(pop, table, j) -> np.ndarray:
    markers = [marker_key(m) for m in pop.markers]
    x = np.empty((len(markers), 2), dtype=np.int64)
    for mi, m in enumerate(markers):
        mf = table.markers[m]
        a = pop.found_alleles[j, mi]
        x[mi] = (mf.index(pop.alleles[mi][a[0]]), mf.index(pop.alleles[mi][a[1]]))
    return np.sort(x, axis=1)


def run_bench(n_families: int, n_found: int, frequencies: str = "nist1036_us_asian", seed: int = 1,
              related_fraction: float = 0.5, searches: int = 100, accuracy: bool = True,
              mutation: object = None) -> dict:
    """Simulate, build, save/load and search; return a dict of figures.

    ``build_s`` is the index build, ``index_bytes`` the saved index directory's size on disk,
    ``median_s`` / ``p95_s`` one found child against all families by :func:`search_child` (the
    whole search: prefilter, exact recomputation, ranking; ``min_lr`` 1, top 20), and
    ``peak_rss_bytes`` the process's peak resident set size (``resource.getrusage`` ru_maxrss).
    ``mutation`` (a model, as JSON would give it, or None) is the index's mutation model; the
    kernel-level figures (``search_child_s_*``, the numpy baseline) are those of the
    mutation-free index only."""
    mut = parse_mutation(mutation)

    table = load_frequencies(frequencies)
    t0 = time.perf_counter()
    related_fraction = min(related_fraction, 0.5 * n_families / max(1, n_found))
    pop = simulate_population(table, n_families, n_found, related_fraction, seed, markers="cn23")
    t_sim = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = index_from_population(pop, table, mut)
    t_build = time.perf_counter() - t0
    tmp = Path(tempfile.mkdtemp(prefix="reunite-bench-"))
    try:
        t0 = time.perf_counter()
        index.save(tmp / "index")
        t_save = time.perf_counter() - t0
        disk = sum(f.stat().st_size for f in (tmp / "index").iterdir())
        t0 = time.perf_counter()
        loaded = ReferenceIndex.load(tmp / "index")
        np.asarray(loaded.genotype_tables).sum()  # touch the pages
        t_load = time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ids = pop.found_ids()
    n_search = min(searches, n_found)
    profiles = [_profile(pop.found[j]) for j in range(n_search)]
    if profiles:  # compile (or load) the kernels outside the timing
        search_child(index, profiles[0], min_lr=1.0, top=20)
    whole = []
    for prof in profiles:
        t0 = time.perf_counter()
        search_child(index, prof, min_lr=1.0, top=20)
        whole.append(time.perf_counter() - t0)
    whole = np.array(whole)
    times = []
    rows_all = np.arange(len(index.family_ids))
    for j in range(n_search if mut is None else 0):
        x = _child_array(pop, table, j)
        t0 = time.perf_counter()
        approx, _ = approx_log10(index, x, None)
        sel = rows_all[prefilter_rows(approx, 1.0, 20)]
        exact_log10(index, x, sel)
        times.append(time.perf_counter() - t0)
    times = np.array(times)
    # Baseline in the same process: the numpy kernel (no numba) on the same children.
    base = []
    for j in range(min(5, n_found) if mut is None else 0):
        x = _child_array(pop, table, j)
        t0 = time.perf_counter()
        approx_log10(index, x, None, kernel="numpy")
        base.append(time.perf_counter() - t0)
    figures = {
        "families": n_families, "found": n_found, "markers": len(index.markers), "table": frequencies,
        "mutation": mut.as_dict() if mut is not None else None,
        "simulate_s": round(t_sim, 2), "build_s": round(t_build, 2),
        "index_bytes": disk, "set_aside_families": len({e["family"] for e in index.set_aside}),
        "searches": len(whole),
        "median_s": round(float(np.median(whole)), 4) if len(whole) else None,
        "p95_s": round(float(np.percentile(whole, 95)), 4) if len(whole) else None,
        "index_bytes_memory": index.nbytes(), "index_bytes_disk": disk,
        "bytes_per_family_marker": round(index.nbytes() / max(1, n_families * len(index.markers)), 1),
        "bytes_per_family_marker_disk": round(disk / max(1, n_families * len(index.markers)), 1),
        "save_s": round(t_save, 2), "load_s": round(t_load, 2),
        "search_child_s_median": round(float(np.median(times)), 4) if len(times) else None,
        "search_child_s_p95": round(float(np.percentile(times, 95)), 4) if len(times) else None,
        "pairs_per_s": round(n_families / float(np.median(times))) if len(times) else None,
        "numpy_kernel_s_median": round(float(np.median(base)), 4) if base else None,
        "speedup_vs_numpy_kernel": round(float(np.median(base)) / float(np.median(times)), 1) if base else None,
    }
    # A new family against all found children.
    X = np.stack([_child_array(pop, table, j) for j in range(n_found)]).astype(np.int16)
    kids = FoundChildIndex(ids, X, set(), None if mut is None else {ids[j]: _profile(pop.found[j])
                                                                   for j in range(n_found)})
    ftimes = []
    for fam in index.family_ids[:20]:
        t0 = time.perf_counter()
        search_family(index, fam, kids, min_lr=1.0, top=20)
        ftimes.append(time.perf_counter() - t0)
    figures["search_family_vs_children_s_median"] = round(float(np.median(ftimes)), 4) if ftimes else None
    if accuracy:
        figures["accuracy"] = _accuracy(pop, table, index, min(n_found, 400))
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # KiB on Linux
    figures["peak_rss_bytes"] = int(peak_kib) * 1024
    figures["peak_rss_source"] = "resource.getrusage(RUSAGE_SELF).ru_maxrss (KiB on Linux) x 1024"
    figures["peak_rss_mb"] = round(peak_kib / 1024, 1)
    return figures


def _profile(child):
    return parse_profile({m: list(g) for m, g in child.profile.items()})


def _accuracy(pop, table, index, n) -> dict:
    per: dict[str, dict] = {}
    unrelated = 0
    false_hi = 0
    false_by: dict[str, int] = {}
    for j in range(n):
        fam = int(pop.found_family[j])
        x = _child_array(pop, table, j)
        res = search_child(index, _profile(pop.found[j]), min_lr=1e-300, top=5)
        if fam < 0:
            unrelated += 1
            for c in res:
                if c.log10_lr is not None and c.log10_lr >= 4:
                    false_hi += 1
                    st = pop.structure_of(int(c.family[1:]) - 1)
                    false_by[st] = false_by.get(st, 0) + 1
            continue
        st = pop.structure_of(fam)
        d = per.setdefault(st, {"true_pairs": 0, "ranked_first": 0, "lr_ge_1e4": 0})
        d["true_pairs"] += 1
        fid = pop.family_id(fam)
        if res and res[0].family == fid:
            d["ranked_first"] += 1
        row = index.row_of(fid)
        if index.mutation is None:
            lg = float(exact_log10(index, x, np.array([row]))[0][0])
        else:  # the whole search on this one row: exact under the index's mutation model
            (c,) = search_child(index, _profile(pop.found[j]), min_lr=0.0, top=0, rows=range(row, row + 1))
            lg = c.log10_lr if c.log10_lr is not None else -np.inf
        if lg >= 4:
            d["lr_ge_1e4"] += 1
    for d in per.values():
        d["share_ranked_first"] = round(d["ranked_first"] / d["true_pairs"], 3)
        d["share_lr_ge_1e4"] = round(d["lr_ge_1e4"] / d["true_pairs"], 3)
    return {"per_structure": per, "unrelated_children": unrelated,
            "false_candidates_lr_ge_1e4_per_1000_unrelated": round(1000 * false_hi / max(1, unrelated), 2),
            "false_candidates_lr_ge_1e4_by_structure": false_by}
