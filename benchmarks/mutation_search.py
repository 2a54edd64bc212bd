"""National search under a mutation model (not a test): prints one JSON object.

Usage: python benchmarks/mutation_search.py [--families N] [--found M] [--children C]
                                            [--model stepwise|published|JSON] [--no-baseline] [--reverse N]
       python benchmarks/mutation_search.py --accuracy RELATED [--families N] [--model ...]

Simulates N families of the six structures over the 23 Chinese-kit markers (NIST 1036 U.S. Asian
frequencies, every transmission through the stepwise model so that true pairs carry mutations),
builds the mutation-model index straight from the simulated arrays, and times: the build, the
index's bytes per family and marker, one found child against all families (median and p95
over C children, top 20, LR >= 1), one family against N_reverse found children, and — unless
--no-baseline — the mutation-free index of the same families in the same process (the ratio of
the two searches).  Peak memory is the process's ru_maxrss.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np

from reunite.genetics import load_frequencies, make_pedigree
from reunite.genetics.markers import marker_key
from reunite.genetics.simulate import simulate_population
from reunite.search.index import build_index_arrays
from reunite.search.kernel import FoundChildIndex, search_child, search_family

STEPWISE = {"model": "stepwise", "rate": 0.002, "rate2": 1e-06, "range": 0.1}


def _structures(pop, table):
    markers = [marker_key(m) for m in pop.markers]
    luts = [np.array([table.markers[m].index(a) for a in pop.alleles[mi]], dtype=np.int16)
            for mi, m in enumerate(markers)]
    out = {}
    for g in pop.groups:
        lay = g.layout
        recs = [{**r, "sex": "unknown" if r["sex"] == "random" else r["sex"]} for r in lay.records({})]
        geno = np.stack([g.alleles[t] for t in lay.typed], axis=2)
        arr = np.empty(geno.shape, dtype=np.int16)
        for mi in range(len(markers)):
            arr[:, mi] = luts[mi][geno[:, mi]]
        out[lay.name] = (make_pedigree(recs), lay.missing, lay.typed,
                         [pop.family_id(int(i)) for i in g.family_index], arr)
    return markers, out


def _profiles(pop):
    from reunite.genetics.markers import parse_profile

    return {c.sample: parse_profile({m: list(g) for m, g in c.profile.items()}) for c in pop.found}


def _index_bytes(idx) -> int:
    n = idx.family_alleles.nbytes + idx.genotype_tables.nbytes
    for g in idx.groups:
        n += g.geno.nbytes + sum(np.asarray(a).nbytes for a in g.extra.values())
    return int(n)


def _time_children(idx, kids, n):
    times = []
    for sample in list(kids)[:n]:
        t0 = time.perf_counter()
        search_child(idx, kids[sample], sample=sample, min_lr=1.0, top=20)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), float(np.percentile(times, 95))


def accuracy(families: int, related: int, model, seed: int = 2) -> dict:
    """Every related child searched (top 5, LR >= 1): per structure, the true pairs, how many
    are found (among the 5) and ranked first, and the same for the pairs whose child is
    inconsistent with the family without mutation (carries mutations)."""
    table = load_frequencies("nist1036_us_asian")
    pop = simulate_population(table, families, related, 1.0, seed, markers="cn23", mutation=STEPWISE)
    markers, structures = _structures(pop, table)
    idx = build_index_arrays(table, markers, structures, mutation=model)
    per: dict[str, dict] = {}
    t0 = time.perf_counter()
    for j, child in enumerate(pop.found):
        fam = int(pop.found_family[j])
        fid = pop.family_id(fam)
        prof = _profiles_one(child)
        res = search_child(idx, prof, sample=child.sample, min_lr=1.0, top=5)
        d = per.setdefault(pop.structure_of(fam), {"true_pairs": 0, "found_top5": 0, "ranked_first": 0,
                                                    "with_mutation": 0, "with_mutation_found_top5": 0,
                                                    "family_set_aside": 0})
        d["true_pairs"] += 1
        if idx.set_aside_of(fid):      # the mutation-free index set the family aside
            d["family_set_aside"] += 1
            continue
        true = search_family(idx, fid, {child.sample: prof}, min_lr=0.0, top=0)[0]
        hit = [c.family for c in res].index(fid) if fid in [c.family for c in res] else -1
        d["found_top5"] += hit >= 0
        d["ranked_first"] += hit == 0
        if true.inconsistent:
            d["with_mutation"] += 1
            d["with_mutation_found_top5"] += hit >= 0
            d.setdefault("inconsistent_markers", {}).setdefault(str(true.inconsistent), 0)
            d["inconsistent_markers"][str(true.inconsistent)] += 1
    return {"families": families, "related_children": related, "search_s_per_child":
            round((time.perf_counter() - t0) / max(1, related), 4), "per_structure": per}


def _profiles_one(child):
    from reunite.genetics.markers import parse_profile

    return parse_profile({m: list(g) for m, g in child.profile.items()})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--families", type=int, default=1_000_000)
    ap.add_argument("--found", type=int, default=200)
    ap.add_argument("--children", type=int, default=50)
    ap.add_argument("--reverse", type=int, default=100_000)
    ap.add_argument("--model", default="stepwise")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--save", metavar="DIR", help="save the index (and the children) to DIR after the build")
    ap.add_argument("--load", metavar="DIR", help="instead: load a saved index memory-mapped and time the search")
    ap.add_argument("--accuracy", type=int, default=0, metavar="RELATED",
                    help="instead: search RELATED related children (simulated with mutation) and report per structure")
    a = ap.parse_args()
    if a.model == "stepwise":
        model = STEPWISE
    elif a.model == "published":
        from reunite.genetics.mutation import default_mutation

        model = default_mutation()
    else:
        model = json.loads(a.model)
    if a.accuracy:
        print(json.dumps(accuracy(a.families, a.accuracy, model)))
        return
    if a.load:
        print(json.dumps(load_and_search(a.load, a.children)))
        return
    table = load_frequencies("nist1036_us_asian")
    n_found = max(a.found, a.children + 1, a.reverse)
    t0 = time.perf_counter()
    pop = simulate_population(table, a.families, n_found, 0.5 if n_found <= 2 * a.families else 0.1, 1,
                              markers="cn23", mutation=STEPWISE)
    sim_s = time.perf_counter() - t0
    markers, structures = _structures(pop, table)
    kids = _profiles(pop) if n_found <= 200_000 else None
    out = {"families": a.families, "markers": len(markers), "model": a.model, "simulate_s": round(sim_s, 1)}
    t0 = time.perf_counter()
    idx = build_index_arrays(table, markers, structures, mutation=model)
    out["build_s"] = round(time.perf_counter() - t0, 2)
    nbytes = _index_bytes(idx)
    out["index_bytes"] = nbytes
    out["bytes_per_family_marker"] = round(nbytes / a.families / len(markers), 1)
    out["records"] = len(idx.records)
    children = {s: kids[s] for s in list(kids)[: a.children + 1]}
    first = next(iter(children))
    search_child(idx, children.pop(first), min_lr=1.0, top=20)        # compile / warm up
    out["median_s"], out["p95_s"] = (round(v, 4) for v in _time_children(idx, children, a.children))
    if a.reverse:
        found = FoundChildIndex.from_profiles(idx, {s: kids[s] for s in list(kids)[: a.reverse]})
        found.profiles = None          # as loaded from disk: the index's markers only
        fams = idx.family_ids[:6]
        search_family(idx, fams[0], found, min_lr=1.0, top=20)
        times = []
        for f in fams[1:]:
            t0 = time.perf_counter()
            search_family(idx, f, found, min_lr=1.0, top=20)
            times.append(time.perf_counter() - t0)
        out["reverse_children"] = len(found.samples)
        out["reverse_median_s"] = round(float(np.median(times)), 4)
    if not a.no_baseline:
        del idx
        t0 = time.perf_counter()
        free = build_index_arrays(table, markers, structures)
        out["baseline_build_s"] = round(time.perf_counter() - t0, 1)
        search_child(free, kids[first], min_lr=1.0, top=20)
        out["baseline_median_s"], out["baseline_p95_s"] = (round(v, 4) for v in _time_children(free, children,
                                                                                                 a.children))
        out["ratio_to_mutation_free"] = round(out["median_s"] / out["baseline_median_s"], 2)
    out["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if a.save:
        import pickle
        from pathlib import Path

        t0 = time.perf_counter()
        idx.save(a.save)
        out["save_s"] = round(time.perf_counter() - t0, 1)
        Path(a.save, "bench_children.pkl").write_bytes(pickle.dumps({s: kids[s] for s in list(kids)[:200]}))
    print(json.dumps(out))


def load_and_search(path: str, n: int) -> dict:
    """A saved index loaded memory-mapped in this fresh process: load time, search time, peak memory."""
    import pickle
    from pathlib import Path

    from reunite.search.index import ReferenceIndex

    t0 = time.perf_counter()
    idx = ReferenceIndex.load(path)
    out = {"families": len(idx.family_ids), "load_s": round(time.perf_counter() - t0, 2),
           "on_disk_bytes": sum(f.stat().st_size for f in Path(path).iterdir())}
    kids = pickle.loads(Path(path, "bench_children.pkl").read_bytes())
    first = next(iter(kids))
    t0 = time.perf_counter()
    search_child(idx, kids[first], min_lr=1.0, top=20)
    out["first_search_s"] = round(time.perf_counter() - t0, 2)
    rest = {s: kids[s] for s in list(kids)[1: n + 1]}
    out["median_s"], out["p95_s"] = (round(v, 4) for v in _time_children(idx, rest, n))
    out["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return out


if __name__ == "__main__":
    main()
