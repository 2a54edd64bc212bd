"""All-against-all search on Dask: the reference index is partitioned across workers.

Each task loads the saved index (memory-mapped, so workers on one machine share the pages),
searches every found child against its slice of family rows with the same kernel as the
single-process search, and returns each child's best candidates in that slice; the client
merges them.  Since every reported LR is exact and the per-slice selection keeps each slice's
top ``top`` by exact LR, the merged result equals the single-process result.
Workers of a remote cluster (``tcp://HOST:PORT``) must see the index directory at the same path.
"""

from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..genetics.markers import Profile
from .kernel import Candidate

__all__ = ["batch_search", "write_results"]


def _slice_search(index_dir: str, lo: int, hi: int, children: dict, min_lr: float, top: int):
    """One partition: every child against index rows lo..hi, by the single-process search."""
    from .index import ReferenceIndex
    from .kernel import search_child

    index = ReferenceIndex.load(index_dir)
    return {sample: search_child(index, prof, sample=sample, min_lr=min_lr, top=top, rows=range(lo, hi))
            for sample, prof in children.items()}


def batch_search(index_dir: str | Path, children: Mapping[str, Profile], *, scheduler: str = "local",
                 min_lr: float = 1.0, top: int = 20, partitions: int | None = None,
                 workers: int | None = None, progress: bool = True) -> dict[str, list[Candidate]]:
    """Every child against every family on a Dask cluster; same results as the single process."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise ImportError("batch search needs dask[distributed]: pip install 'dask[distributed]'") from exc
    from .index import ReferenceIndex

    index_dir = str(Path(index_dir).resolve())
    n_rows = len(ReferenceIndex.load(index_dir).family_ids)
    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        nw = max(1, len(client.scheduler_info().get("workers", {})) or 1)
        parts = partitions or max(1, nw * 2)
        edges = np.linspace(0, n_rows, parts + 1).astype(int)
        kids = dict(children)
        futures = [client.submit(_slice_search, index_dir, int(lo), int(hi), kids, min_lr, top, pure=False)
                   for lo, hi in itertools.pairwise(edges) if hi > lo]
        merged: dict[str, list[Candidate]] = {s: [] for s in kids}
        for done, fut in enumerate(as_completed(futures), start=1):
            for s, cands in fut.result().items():
                merged[s].extend(cands)
            if progress:
                print(f"\r  {done}/{len(futures)} partitions searched", end="", file=sys.stderr, flush=True)
        if progress:
            print(file=sys.stderr)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    for s, cands in merged.items():
        cands.sort(key=lambda c: (-(c.log10_lr if c.log10_lr is not None else -math.inf), c.family))
        merged[s] = cands[:top] if top else cands
    return merged


def write_results(results: Mapping[str, list[Candidate]], out: str | Path) -> Path:
    """Write search results as Parquet: sample, rank, family, lr, log10_lr, inconsistent, markers_compared."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = {"sample": [], "rank": [], "family": [], "lr": [], "log10_lr": [], "inconsistent": [],
            "markers_compared": []}
    for s, cands in results.items():
        for i, c in enumerate(cands, start=1):
            rows["sample"].append(s)
            rows["rank"].append(i)
            rows["family"].append(c.family)
            rows["lr"].append(float(c.lr))
            rows["log10_lr"].append(c.log10_lr)
            rows["inconsistent"].append(c.inconsistent)
            rows["markers_compared"].append(c.markers_compared)
    out = Path(out)
    pq.write_table(pa.table(rows), out)
    return out
