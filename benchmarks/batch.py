"""The Dask batch search against the single-process search (not a test): one JSON object.

Usage: python benchmarks/batch.py [--quick] [--families N] [--found M] [--cache DIR] [--repeat R]
                                  [--min-lr X] [--top K] [--compare-rows] [--no-single]
                                  [--mutation none|default|JSON]

Builds (or reuses from DIR, default $REUNITE_BENCH_CACHE or /tmp/reunite-bench-batch) a
simulated index of N families (mutation-free, or with ``--mutation``) (default 200,000; --quick 20,000) of the six
structures over the 23 Chinese-kit loci, and M found children (default 1,000; --quick 100),
half of them the missing children of some family.  Then, in this order and in this process:

* the single-process search of every child against the loaded (memory-mapped) index, one
  child after the other (the baseline);
* ``batch_search`` on a local cluster of 1 worker, then of 2 workers (one thread each).

Batch times are end to end (cluster start, warm-up, search and shut-down), with the phases given
as well, and the CPU time of the search itself (thread time of the single process, of the
tasks' threads in the workers): on a shared machine the wall times include other jobs, the CPU
times mostly do not.
``--compare-rows`` adds a 2-worker run that splits the index rows in two instead of the children.
``--repeat R`` runs all of it R times, interleaved, and reports the best time of each (and all
of them): on a shared machine the best round is the one least disturbed by other jobs.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path


def _opt(argv: list[str], name: str, default):
    return type(default)(argv[argv.index(name) + 1]) if name in argv else default


def build_or_load(n_families: int, n_found: int, cache: Path, seed: int = 1, mutation: str = "none"):
    """(index directory, {sample: Profile}) of a simulated population, built once per size and
    mutation model (``none``, ``default`` or JSON, as ``--mutation`` of ``reunite index build``)."""
    from reunite.errors import InputError
    from reunite.genetics import load_frequencies
    from reunite.genetics.markers import parse_profile
    from reunite.search.index import ReferenceIndex

    tag = "" if mutation == "none" else "-mut" + hashlib.sha1(mutation.encode()).hexdigest()[:8]
    d = cache / f"batch-{n_families}-{n_found}-s{seed}{tag}"
    found = d / "found.json"
    try:
        ReferenceIndex.load(d / "index")
        ok = found.exists()
    except InputError:  # missing, or saved by another index version
        ok = False
    if not ok:
        from reunite.benchmarking.search import index_from_population
        from reunite.genetics.simulate import simulate_population

        table = load_frequencies("nist1036_us_asian")
        t0 = time.perf_counter()
        pop = simulate_population(table, n_families, n_found, 0.5, seed, markers="cn23")
        spec = mutation if mutation in ("none", "default") else json.loads(mutation)
        index = index_from_population(pop, table, mutation=None if spec == "none" else spec)
        d.mkdir(parents=True, exist_ok=True)
        index.save(d / "index")
        kids = {c.sample: {m: list(g) for m, g in c.profile.items()} for c in pop.found}
        found.write_text(json.dumps(kids), encoding="utf-8")
        print(f"built {n_families} families and {n_found} children in {time.perf_counter() - t0:.1f} s -> {d}",
              file=sys.stderr)
    kids = json.loads(found.read_text(encoding="utf-8"))
    return d / "index", {s: parse_profile(g) for s, g in kids.items()}


def main(argv: list[str]) -> dict:
    from reunite.search.batch import batch_search
    from reunite.search.index import ReferenceIndex
    from reunite.search.kernel import search_child

    quick = "--quick" in argv
    n = _opt(argv, "--families", 20_000 if quick else 200_000)
    m = _opt(argv, "--found", 100 if quick else 1_000)
    min_lr = _opt(argv, "--min-lr", 1.0)
    top = _opt(argv, "--top", 20)
    rounds = _opt(argv, "--repeat", 1)
    cache = Path(_opt(argv, "--cache", os.environ.get("REUNITE_BENCH_CACHE", "/tmp/reunite-bench-batch")))
    index_dir, kids = build_or_load(n, m, cache, mutation=_opt(argv, "--mutation", "none"))
    out: dict = {"families": n, "found": m, "min_lr": min_lr, "top": top, "rounds": rounds,
                 "cores": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}

    index = ReferenceIndex.load(index_dir)
    first = next(iter(kids))
    search_child(index, kids[first], sample=first, min_lr=min_lr, top=top)  # warm-up (kernels, pages)
    runs = [("batch1", {"workers": 1}), ("batch2", {"workers": 2})]
    if "--compare-rows" in argv:
        runs.append(("batch2_rows", {"workers": 2, "partitions": 2, "chunk": m}))
    do_single = "--no-single" not in argv
    figures: dict[str, dict[str, list]] = {}
    single = None
    identical = {}

    def note(name: str, **kw) -> None:
        for k, v in kw.items():
            figures.setdefault(name, {}).setdefault(k, []).append(v)

    for _ in range(rounds):   # interleaved, so that every configuration sees the machine's other jobs alike
        if do_single:
            t0, c0 = time.perf_counter(), time.thread_time()
            single = {s: search_child(index, p, sample=s, min_lr=min_lr, top=top) for s, p in kids.items()}
            note("single", per_child_s=(time.perf_counter() - t0) / m, cpu_per_child_s=(time.thread_time() - c0) / m)
        for name, kw in runs:
            timings: dict = {}
            t0 = time.perf_counter()
            res = batch_search(index_dir, kids, scheduler="local", min_lr=min_lr, top=top, progress=False,
                               timings=timings, **kw)
            wall = time.perf_counter() - t0
            note(name, per_child_s=wall / m, search_only_per_child_s=timings["search_s"] / m,
                 task_cpu_per_child_s=timings["task_cpu_s"] / m,
                 phases_s={k: timings[k] for k in ("start_s", "scatter_s", "search_s", "close_s")})
            out[f"{name}_plan"] = {k: timings[k] for k in ("row_ranges", "children_chunks", "tasks")}
            out[f"{name}_workers"] = timings["workers"]   # of the last round
            if single is not None:
                identical[name] = identical.get(name, True) and res == single

    def best(name: str, key: str) -> float:
        return min(figures[name][key])

    for name, f in figures.items():
        for key, values in f.items():
            if key == "phases_s":
                out[f"{name}_phases_s"] = values
                continue
            out[f"{name}_{key}"] = round(min(values), 5)            # best of the rounds
            if rounds > 1:
                out[f"{name}_{key}_all"] = [round(v, 5) for v in values]
    if do_single:
        out["ratio_batch1_vs_single"] = round(best("batch1", "per_child_s") / best("single", "per_child_s"), 3)
        out["ratio_batch1_search_only_vs_single"] = round(best("batch1", "search_only_per_child_s")
                                                          / best("single", "per_child_s"), 3)
        out["ratio_batch1_task_cpu_vs_single_cpu"] = round(best("batch1", "task_cpu_per_child_s")
                                                           / best("single", "cpu_per_child_s"), 3)
    out["speedup_2_vs_1"] = round(best("batch1", "per_child_s") / best("batch2", "per_child_s"), 3)
    out["speedup_2_vs_1_search_only"] = round(best("batch1", "search_only_per_child_s")
                                              / best("batch2", "search_only_per_child_s"), 3)
    if "batch2_rows" in figures:
        out["speedup_2_rows_vs_1"] = round(best("batch1", "per_child_s") / best("batch2_rows", "per_child_s"), 3)
    out["identical"] = all(identical.values()) if do_single else None
    out["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])), flush=True)
