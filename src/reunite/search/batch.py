"""All-against-all search on Dask: found children and index rows are split into tasks.

Every task runs the single-process search (:func:`reunite.search.kernel.search_child`) for a
chunk of found children against a contiguous range of index rows, and returns each child's best
hits in that range; the client merges them.  Since every reported LR is exact and each range
keeps its own top ``top`` in the search's own order (``search.hits``; ties broken by family id),
the merged result equals the single-process result.

What makes it cost no more per child than the single process:

* each worker process loads the saved index once (memory-mapped, so workers on one machine share
  the pages) and keeps it in a per-process cache keyed by the index directory and its
  ``meta.json`` modification time and size (a saved-again index is loaded again);
* the found children are sent to every worker once (``client.scatter(..., broadcast=True)``);
  a task carries only the positions of its children and its row range;
* the compiled kernels (numba, ``cache=True``) are warmed first in the client, which writes the
  on-disk cache if it is missing, then once in every worker, which loads it from there (no
  worker compiles them, and no task pays for loading them);
* the work is split over found children rather than index rows whenever there are at least as
  many children as worker threads: splitting the rows repeats, per range, the per-child work that
  does not shrink with the range (exact recomputation of the range's best hits, set-up),
  while splitting the children repeats nothing.  Rows are split only when there are fewer
  children than threads, or when ``partitions`` asks for it;
* the workers of the local cluster run without ``MALLOC_TRIM_THRESHOLD_`` (see below) and
  without dask's statistical profiler.

Workers of a remote cluster (``tcp://HOST:PORT``) must see the index directory at the same path.
Start them without the ``MALLOC_TRIM_THRESHOLD_`` that dask's nanny sets by default: with it every
child costs about 15% more CPU (``timings["workers"]`` shows the value each worker has).  Either
``dask worker --no-nanny ...``, or a dask configuration file (in ``$DASK_CONFIG`` or
``~/.config/dask/``) with ``distributed: {nanny: {pre-spawn-environ: {MALLOC_TRIM_THRESHOLD_: null}}}``
(the ``DASK_...`` environment variables cannot express it: they lower-case the name).
"""

from __future__ import annotations

import itertools
import math
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from ..genetics.markers import Profile
from . import _nb
from .hits import SearchHit, _rank
from .index import ReferenceIndex
from .kernel import search_child
from .lineage import lineage_options

__all__ = ["batch_search", "write_results"]

_TASKS_PER_THREAD = 8       # tasks per worker thread: small enough tails for balance, few enough for overhead
_WORKER_WAIT_S = 60.0       # how long a remote cluster is given to show at least one worker
_INDEXES: dict[tuple[str, int, int], object] = {}   # per-process cache of loaded indexes


def _index_key(index_dir: str | Path) -> tuple[str, int, int]:
    path = Path(index_dir).resolve()
    try:
        st = (path / "meta.json").stat()
    except OSError:
        raise InputError(f"{path}: not a Reunite index (no meta.json); build one with "
                         "`reunite index build`") from None
    return str(path), st.st_mtime_ns, st.st_size


def cached_index(index_dir: str | Path):
    """The index saved in ``index_dir``, loaded (memory-mapped) once per process.

    A new ``meta.json`` (the index was saved again) loads it again and drops the older copy."""
    key = _index_key(index_dir)
    index = _INDEXES.get(key)
    if index is None:
        for old in [k for k in _INDEXES if k[0] == key[0]]:
            del _INDEXES[old]
        index = ReferenceIndex.load(key[0])
        _INDEXES[key] = index
    return index


def _kernel_stats() -> dict:
    """numba's cache hits and misses of the compiled kernels in this process (misses: compiled here)."""
    hits = misses = 0
    for fn in (_nb.approx_all, _nb.family_vs_children):
        st = fn.stats
        hits += sum(st.cache_hits.values())
        misses += sum(st.cache_misses.values())
    return {"kernel_cache_hits": hits, "kernel_cache_misses": misses}


def _warm(index_dir: str, kids, min_lr: float, top: int) -> dict:
    """Load the index into this process's cache and run the search once on a few rows, so that
    the compiled kernels are loaded (from numba's on-disk cache) before the first task."""
    t0 = time.perf_counter()
    index = cached_index(index_dir)
    t1 = time.perf_counter()
    samples, profiles = kids[0], kids[1]
    n = len(index.family_ids)
    if samples:
        search_child(index, profiles[0], sample=samples[0], min_lr=min_lr, top=top, rows=range(0, min(n, 8)),
                     **_lineage_kwargs(kids, 0))
    t2 = time.perf_counter()
    return {"pid": os.getpid(), "load_s": round(t1 - t0, 3), "warm_s": round(t2 - t1, 3), **_kernel_stats(),
            "MALLOC_TRIM_THRESHOLD_": os.environ.get("MALLOC_TRIM_THRESHOLD_")}


def _search_task(index_dir: str, kids, c_lo: int, c_hi: int, lo: int, hi: int, min_lr: float, top: int):
    """Children ``c_lo..c_hi`` (positions in the broadcast list) against index rows ``lo..hi``."""
    t0 = time.thread_time()
    index = cached_index(index_dir)
    samples, profiles = kids[0], kids[1]
    rows = range(lo, hi)
    out = [(samples[i], search_child(index, profiles[i], sample=samples[i], min_lr=min_lr, top=top, rows=rows,
                                     **_lineage_kwargs(kids, i)))
           for i in range(c_lo, c_hi)]
    return out, time.thread_time() - t0


def _lineage_kwargs(kids, i: int) -> dict:
    """The lineage arguments of child ``i`` of the broadcast (samples, profiles[, lineage, options])."""
    if len(kids) < 4 or kids[2] is None:
        return {}
    y, mt = kids[2][i]
    return {"found_y": y, "found_mt": mt, "lineage": kids[3]}


def _plan(n_children: int, n_rows: int, threads: int, partitions: int | None,
          chunk: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Edges of the row ranges and of the children chunks."""
    if partitions is not None and partitions < 1:
        raise InputError(f"partitions must be positive, got {partitions}")
    if chunk is not None and chunk < 1:
        raise InputError(f"chunk must be positive, got {chunk}")
    if partitions is None:
        partitions = 1 if n_children >= threads else math.ceil(threads / max(1, n_children))
    parts = max(1, min(partitions, n_rows))
    if chunk is None:
        chunks = max(1, min(n_children, math.ceil(_TASKS_PER_THREAD * threads / parts)))
    else:
        chunks = max(1, math.ceil(n_children / chunk))
    rows = np.unique(np.linspace(0, n_rows, parts + 1).astype(int))
    kids = np.unique(np.linspace(0, n_children, chunks + 1).astype(int))
    return rows, kids


def _sort_key(c: SearchHit):
    """The single-process search's order of hits."""
    return _rank(c, "family")


def batch_search(index_dir: str | Path, children: Mapping[str, Profile], *, scheduler: str = "local",
                 min_lr: float = 1.0, top: int = 20, partitions: int | None = None,
                 workers: int | None = None, progress: bool = True, chunk: int | None = None,
                 timings: dict | None = None, found_lineage: Mapping[str, tuple] | None = None,
                 lineage=None) -> dict[str, list[SearchHit]]:
    """Every child against every family on a Dask cluster; same results as the single process.

    ``scheduler`` is ``"local"`` (a local cluster of ``workers`` processes, one thread each,
    default 2) or the address of a running scheduler (``tcp://HOST:PORT``).  ``partitions`` is the
    number of contiguous row ranges and ``chunk`` the number of children per task; both are
    chosen from the number of worker threads when not given.  ``timings``, if a dict, receives
    the time spent starting the cluster, sending the children, searching (the workers' warm-up
    included) and closing, the CPU time of the tasks' threads, the plan, and each worker's index
    load, warm-up and kernel cache figures.  ``found_lineage`` (sample → (Y-STR haplotype, mtDNA
    sequence)) and ``lineage`` (:class:`~reunite.search.lineage.LineageOptions`) make the search
    lineage-aware as :func:`~reunite.search.kernel.search_child` is.
    """
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # Dask is the optional extra "batch"
        raise ImportError("the batch search needs Dask (dask, distributed): pip install 'reunite[batch]'") from exc

    t_start = time.perf_counter()
    index_dir = _index_key(index_dir)[0]
    samples = list(children)
    profiles = [children[s] for s in samples]
    if not samples:
        return {}
    # In the client: checks the options and the index, and writes numba's on-disk cache of the
    # kernels for this index's array types if it is missing, so that no worker compiles them.
    index = cached_index(index_dir)
    n_rows = len(index.family_ids)
    if found_lineage and index.lineage is not None:
        none = (None, None)
        payload = (samples, profiles, [found_lineage.get(s, none) for s in samples], lineage or lineage_options())
    else:
        payload = (samples, profiles)
    search_child(index, profiles[0], sample=samples[0], min_lr=min_lr, top=top, rows=range(0, min(n_rows, 8)),
                 **_lineage_kwargs(payload, 0))
    cluster = None
    if scheduler == "local":
        import dask  # the optional extra "batch", as above

        # No MALLOC_TRIM_THRESHOLD_ in the workers (dask sets it by default): it also fixes glibc's
        # mmap threshold at 128 KiB, so that every array of the search over all rows is mapped and
        # faulted in afresh, which made each child cost ~15% more CPU than in the client.  No
        # statistical profiler (2-3% of a worker's CPU; it feeds only the dashboard).  No memory
        # limit: a worker's resident size counts the pages of the memory-mapped index, which all
        # workers share, and the nanny would pause or kill workers of a large index for them.
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                              "distributed.worker.profile.enabled": False}):
            cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                                   dashboard_address=None, memory_limit=0)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        if cluster is None:
            try:
                client.wait_for_workers(1, timeout=_WORKER_WAIT_S)
            except TimeoutError:
                raise InputError(f"the Dask scheduler at {scheduler} has no workers "
                                 f"(waited {_WORKER_WAIT_S:.0f} s)") from None
        info = client.scheduler_info(n_workers=-1).get("workers", {})
        threads = max(1, sum(int(w.get("nthreads", 1)) for w in info.values()))
        t_cluster = time.perf_counter()
        kids = client.scatter([payload], broadcast=True, hash=False)[0]
        # One warm-up per worker, submitted first (so run first) but not waited for: the search
        # tasks queue behind them instead of behind a round trip.
        warming = [client.submit(_warm, index_dir, kids, min_lr, top, workers=[addr], allow_other_workers=False,
                                 pure=False) for addr in info]
        t_warm = time.perf_counter()
        row_edges, kid_edges = _plan(len(samples), n_rows, threads, partitions, chunk)
        futures = [client.submit(_search_task, index_dir, kids, int(c_lo), int(c_hi), int(lo), int(hi),
                                 min_lr, top, pure=False)
                   for c_lo, c_hi in itertools.pairwise(kid_edges)
                   for lo, hi in itertools.pairwise(row_edges)]
        merged: dict[str, list[SearchHit]] = {s: [] for s in samples}
        cpu = 0.0
        for done, fut in enumerate(as_completed(futures), start=1):
            found, task_cpu = fut.result()
            cpu += task_cpu
            for s, cands in found:
                merged[s].extend(cands)
            if progress:
                print(f"\r  {done}/{len(futures)} tasks searched", end="", file=sys.stderr, flush=True)
        if progress:
            print(file=sys.stderr)
        t_search = time.perf_counter()
        warm = client.gather(warming)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    t_end = time.perf_counter()
    if len(row_edges) > 2:
        for s, cands in merged.items():
            cands.sort(key=_sort_key)
            merged[s] = cands[:top] if top else cands
    if timings is not None:
        timings.update({"start_s": round(t_cluster - t_start, 3), "scatter_s": round(t_warm - t_cluster, 3),
                        "search_s": round(t_search - t_warm, 3), "close_s": round(t_end - t_search, 3),
                        "task_cpu_s": round(cpu, 3), "threads": threads,
                        "row_ranges": len(row_edges) - 1, "children_chunks": len(kid_edges) - 1,
                        "tasks": len(futures), "workers": warm})
    return merged


def write_results(results: Mapping[str, list[SearchHit]], out: str | Path) -> Path:
    """Write search results as Parquet: sample, rank, family, lr, log10_lr, inconsistent, markers_compared
    and log10_lr_consistent (the log10 LR over the consistent markers of a flagged hit); when lineage
    markers were used, also the parts of log10_lr (log10_lr_autosomal, log10_lr_y, log10_lr_mt: the LRs
    multiply) and the relative of each line (y_relation, y_meioses, mt_relation, mt_meioses, mt_conclusion)."""

    rows = {"sample": [], "rank": [], "family": [], "lr": [], "log10_lr": [], "inconsistent": [],
            "markers_compared": []}
    rows["log10_lr_consistent"] = []
    lineage = any(c.lineage for cands in results.values() for c in cands)
    if lineage:  # the parts of each LR (columns only when lineage markers were used)
        for k in ("log10_lr_autosomal", "log10_lr_y", "log10_lr_mt", "y_relation", "y_meioses", "mt_relation",
                  "mt_meioses", "mt_conclusion"):
            rows[k] = []
    for s, cands in results.items():
        for i, c in enumerate(cands, start=1):
            rows["sample"].append(s)
            rows["rank"].append(i)
            rows["family"].append(c.family)
            rows["lr"].append(None if c.lr is None else float(c.lr))
            rows["log10_lr"].append(c.log10_lr)
            rows["inconsistent"].append(c.inconsistent)
            rows["markers_compared"].append(c.markers_compared)
            rows["log10_lr_consistent"].append(c.log10_lr_consistent)
            if lineage:
                ent = {e["marker"]: e for e in c.lineage}
                y, mt = ent.get("Y-STR", {}), ent.get("mtDNA", {})
                rows["log10_lr_autosomal"].append(c.log10_lr_autosomal if c.lineage else c.log10_lr)
                rows["log10_lr_y"].append(c.log10_lr_y)
                rows["log10_lr_mt"].append(c.log10_lr_mt)
                rows["y_relation"].append(y.get("relation"))
                rows["y_meioses"].append(y.get("meioses"))
                rows["mt_relation"].append(mt.get("relation"))
                rows["mt_meioses"].append(mt.get("meioses"))
                rows["mt_conclusion"].append(mt.get("conclusion"))
    out = Path(out)
    pq.write_table(pa.table(rows), out)
    return out
