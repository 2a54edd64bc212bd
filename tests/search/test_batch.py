"""The Dask batch search gives exactly the single-process results, on a local cluster and on a
scheduler and workers started as separate processes; the work plan and the per-process index
cache behave as documented."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reunite.errors import InputError
from reunite.genetics import load_frequencies
from reunite.genetics.markers import parse_profile
from reunite.genetics.simulate import simulate_population
from reunite.search.batch import _plan, batch_search, cached_index, write_results
from reunite.search.index import ReferenceIndex, build_index
from reunite.search.kernel import search_child
from reunite.simulation.io import family_records


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A mutation-free index of 90 simulated families saved to disk, and 30 found children."""
    table = load_frequencies("nist1036_us_asian")
    pop = simulate_population(table, 90, 30, 0.5, 7, markers="cn23")
    kids = {c.sample: parse_profile({m: list(g) for m, g in c.profile.items()}) for c in pop.found}
    d = tmp_path_factory.mktemp("batch") / "ix"
    build_index(family_records(pop), table).save(d)
    return d, kids


def _single(index_dir, kids, min_lr, top):
    index = ReferenceIndex.load(index_dir)
    return {s: search_child(index, p, sample=s, min_lr=min_lr, top=top) for s, p in kids.items()}


def test_plan_splits_children_before_rows():
    rows, kids = _plan(1000, 200_000, 2, None, None)
    assert list(rows) == [0, 200_000]                      # whole index per task
    assert len(kids) - 1 == 16 and kids[0] == 0 and kids[-1] == 1000
    rows, kids = _plan(1, 200_000, 2, None, None)          # one child: the rows are split instead
    assert list(rows) == [0, 100_000, 200_000] and list(kids) == [0, 1]
    rows, kids = _plan(30, 90, 2, 3, 7)                    # explicit: 3 row ranges, at most 7 children a task
    assert list(rows) == [0, 30, 60, 90] and list(kids) == [0, 6, 12, 18, 24, 30]
    rows, _ = _plan(5, 2, 4, 10, None)                     # never more ranges than rows
    assert list(rows) == [0, 1, 2]
    with pytest.raises(InputError):
        _plan(5, 10, 2, 0, None)
    with pytest.raises(InputError):
        _plan(5, 10, 2, None, 0)


def test_index_is_loaded_once_per_process_and_again_when_saved_again(saved, tmp_path):
    d, _kids = saved
    shutil.copytree(d, tmp_path / "ix")
    a = cached_index(tmp_path / "ix")
    assert cached_index(str(tmp_path / "ix") + "/") is a          # same resolved path, same meta.json
    # Saved again (only meta.json is rewritten here: saving over the files of a memory-mapped index
    # would truncate the pages under it).
    meta = tmp_path / "ix" / "meta.json"
    meta.write_text(meta.read_text(encoding="utf-8"), encoding="utf-8")
    st = meta.stat()
    os.utime(meta, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    b = cached_index(tmp_path / "ix")
    assert b is not a and b.family_ids == a.family_ids
    assert cached_index(tmp_path / "ix") is b


def test_options_are_checked_before_a_cluster_starts(saved, tmp_path):
    d, kids = saved
    assert batch_search(d, {}, progress=False) == {}
    with pytest.raises(InputError, match="--top"):
        batch_search(d, kids, top=-1, progress=False)
    with pytest.raises(InputError, match="not a Reunite index"):
        batch_search(tmp_path, kids, progress=False)


@pytest.mark.slow
def test_dask_batch_equals_single_process(saved, tmp_path):
    """Both splits (children only; rows and children) against the single process, in one
    2-worker cluster each; the workers load the compiled kernels from numba's cache."""
    import pyarrow.parquet as pq

    d, kids = saved
    some = dict(list(kids.items())[:12])
    single = _single(d, some, 1.0, 5)
    timings: dict = {}
    res = batch_search(d, some, scheduler="local", min_lr=1.0, top=5, workers=2, progress=False,
                       timings=timings)
    assert res == single                                    # hit by hit: same LRs, same order
    assert (timings["row_ranges"], timings["tasks"]) == (1, 12)
    assert len(timings["workers"]) == 2
    assert all(w["kernel_cache_misses"] == 0 for w in timings["workers"])
    assert all(w["MALLOC_TRIM_THRESHOLD_"] is None for w in timings["workers"])
    timings = {}
    res = batch_search(d, some, scheduler="local", min_lr=0.0, top=0, partitions=3, chunk=5, workers=2,
                       progress=False, timings=timings)
    assert (timings["row_ranges"], timings["children_chunks"]) == (3, 3)
    assert res == _single(d, some, 0.0, 0)
    t = pq.read_table(write_results(res, tmp_path / "r.parquet"))
    assert set(t.column_names) >= {"sample", "rank", "family", "lr", "log10_lr", "inconsistent"}
    assert t.num_rows == sum(len(v) for v in res.values())


@pytest.mark.slow
def test_dask_batch_on_an_existing_cluster_by_address(saved):
    from dask.distributed import LocalCluster

    d, kids = saved
    some = dict(list(kids.items())[:3])
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://")
        res = batch_search(d, some, scheduler=cluster.scheduler_address, top=5, progress=False)
    assert res == _single(d, some, 1.0, 5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask_command() -> list[str]:
    exe = Path(sys.executable).parent / "dask"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("dask")
    if found is None:
        pytest.skip("the dask command is not installed")
    return [found]


def _stop(procs: list[subprocess.Popen], timeout: float = 30.0) -> list[int | None]:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
    codes = []
    for p in procs:
        try:
            codes.append(p.wait(timeout=timeout))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            codes.append(None)
    return codes


@pytest.mark.slow
def test_dask_batch_against_a_scheduler_and_two_worker_processes(saved, tmp_path):
    """`dask scheduler` and two `dask worker` processes on 127.0.0.1, started and stopped here."""
    from dask.distributed import Client

    d, kids = saved
    some = dict(list(kids.items())[:10])
    dask = _dask_command()
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    # The configuration batch.py recommends for workers: no MALLOC_TRIM_THRESHOLD_ from the nanny.
    (tmp_path / "dask-config").mkdir()
    (tmp_path / "dask-config" / "reunite.yaml").write_text(
        "distributed:\n  nanny:\n    pre-spawn-environ:\n      MALLOC_TRIM_THRESHOLD_: null\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    env.update(PYTHONUNBUFFERED="1", DASK_CONFIG=str(tmp_path / "dask-config"))
    logs = []
    procs: list[subprocess.Popen] = []

    def start(args, name):
        log = open(tmp_path / f"{name}.log", "w")  # closed in the finally clause below
        logs.append(log)
        procs.append(subprocess.Popen(dask + args, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, env=env))

    try:
        start(["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], "scheduler")
        for i in range(2):
            start(["worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--nworkers", "1",
                   "--no-dashboard", "--name", f"w{i}", "--local-directory", str(tmp_path / f"w{i}")], f"w{i}")
        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout=5) as c:
                    c.wait_for_workers(2, timeout=max(1.0, deadline - time.monotonic()))
                break
            except OSError:
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    raise
                time.sleep(0.5)
        timings: dict = {}
        res = batch_search(d, some, scheduler=address, min_lr=1.0, top=5, progress=False, timings=timings)
        pids = {w["pid"] for w in timings["workers"]}
        assert len(pids) == 2 and os.getpid() not in pids
        assert all(w["MALLOC_TRIM_THRESHOLD_"] is None for w in timings["workers"])
        assert timings["threads"] == 2
        assert res == _single(d, some, 1.0, 5)
    finally:
        codes = _stop(procs[1:]) + _stop(procs[:1])
        for log in logs:
            log.close()
    assert codes == [0, 0, 0], f"dask processes ended with {codes} (None: killed)"
    assert all(p.poll() is not None for p in procs)
