"""Imports and matching runs started at once in several threads (each its own session, as several
processes would have) run one at a time under the store's lock, on both backends: each one either
succeeds with its rows stored, or fails with nothing stored."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from reunite.cases import db as store
from reunite.cases import importing
from reunite.cases.audit import verify_audit
from reunite.cases.matching import run_matching
from reunite.cases.models import AuditEntry, FoundChild
from reunite.cases.state import is_matching_owed

from .helpers import write

N = 6


def _found(tmp_path, i: int):
    rows = "".join(f"KM-T{i}{j},male,8,1.5,2014-02-20,Kunming,S-C1\n" for j in range(3))
    return write(tmp_path / f"found{i}.csv", "case_number,sex,age_months,age_sd_months,found_on,found_place,sample\n"
                 + rows)


def test_concurrent_imports_and_matching_runs_are_serialised(url, files, tmp_path):
    with store.open_session(url) as s:
        importing.import_reports(s, files["reports"], user="t")
        importing.import_profiles(s, files["profiles"], lab="Kunming lab", user="t")
        importing.import_families(s, files["families"], user="t")
    paths = [_found(tmp_path, i) for i in range(N)]
    outcome: dict[int, str] = {}
    barrier = threading.Barrier(N)

    def job(i: int) -> None:
        barrier.wait()
        try:
            with store.open_session(url) as s:
                result = importing.import_found(s, paths[i], user="t")
                outcome[i] = f"imported {result.added}"
                s.rollback()
                run_matching(s, index_dir=tmp_path / "ix", user="t")
                outcome[i] += ", matched"
        except Exception as exc:   # recorded, so that the assertion shows every thread's outcome
            outcome[i] = outcome.get(i, "") + f" failed: {type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=job, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert outcome == {i: "imported 3, matched" for i in range(N)}
    with store.open_session(url) as s:
        assert s.scalar(select(func.count()).select_from(FoundChild)) == 3 * N
        assert s.scalar(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.action == "import.found_children")) == N
        assert not is_matching_owed(s)
        assert verify_audit(s) is None   # the chain is whole: no entry broke it


def test_readers_read_while_a_long_writer_holds_the_sqlite_store(tmp_path):
    """A matching writes many rows in one transaction; once they passed SQLite's page cache they were
    spilled into the file under the exclusive lock, and every reader (a page, an import job's status)
    waited and failed with "database is locked" (seen as 500s, then 503s, during six imports at once)."""
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    url = f"sqlite:///{tmp_path / 'spill.db'}"
    store.init_db(url)
    writer = store.make_engine(url).connect()
    reader = store.make_engine(url).connect()
    try:
        writer.exec_driver_sql("CREATE TABLE scratch (x TEXT)")
        writer.commit()
        writer.execute(text("INSERT INTO scratch VALUES (:x)"), [{"x": "a" * 500}] * 20_000)   # ~10 MB, open
        reader.exec_driver_sql("PRAGMA busy_timeout=200")
        try:
            n = reader.execute(select(func.count()).select_from(FoundChild)).scalar_one()
        except OperationalError as exc:   # pragma: no cover - the old behaviour
            pytest.fail(f"a reader was locked out by a writer's open transaction: {exc.orig}")
        assert n == 0
        reader.rollback()
        writer.commit()
    finally:
        writer.close()
        reader.close()
        store.dispose_engines()
