"""Imports started at once through the API run one at a time, and each job's status is the truth:
``done`` means its rows are stored; ``failed`` says whether they were (``stored``), keeps the error,
and is logged without the file's values."""

from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy import select

from reunite.cases import db as store
from reunite.cases.models import FoundChild
from reunite.cases.state import is_matching_owed

from .conftest import login

N = 6


def _file(i: int) -> bytes:
    rows = "".join(f"KM-C{i}{j},female,{7 + j},1.5,2014-02-20,Kunming,Kunming nursery,KM-RING-2014,S-C{i}{j}\n"
                   for j in range(3))
    return ("case_number,sex,age_months,age_sd_months,found_on,found_place,care_location,ring_reference,sample\n"
            + rows).encode()


def _stored(url: str, i: int) -> int:
    with store.open_session(url) as s:
        return len(s.scalars(select(FoundChild).where(FoundChild.case_number.like(f"KM-C{i}%"))).all())


@pytest.fixture
def matching_app(world, tmp_path, monkeypatch):
    from reunite.web import create_app

    monkeypatch.setenv("REUNITE_INDEX_DIR", str(tmp_path / "ix"))
    url, media, _ = world
    app = create_app(url, media, reports_dir=tmp_path / "reports", secret_key="test-secret", secure_cookies=False,
                     match_after_import=True)
    app.state.jobs.wait()
    return app


def _start_at_once(app, n: int) -> list[str]:
    from fastapi.testclient import TestClient

    clients = []
    for _ in range(n):
        c = TestClient(app, raise_server_exceptions=False)
        assert login(c, "inv").status_code == 303
        clients.append(c)
    from .conftest import csrf_of

    for c in clients:
        c.csrf = csrf_of(c, "/login")
    ids: list[str | None] = [None] * n
    barrier = threading.Barrier(n)

    def post(i: int) -> None:
        barrier.wait()
        r = clients[i].post("/api/v1/imports", data={"kind": "found"}, files={"file": (f"f{i}.csv", _file(i))},
                            headers={"X-CSRF-Token": clients[i].csrf})
        assert r.status_code == 202, r.text
        ids[i] = r.json()["id"]

    threads = [threading.Thread(target=post, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    app.state.jobs.wait(120)
    for c in clients:
        c.close()
    assert all(ids)
    return ids


def test_concurrent_imports_all_succeed_and_say_so(matching_app, world):
    url = world[0]
    ids = _start_at_once(matching_app, N)
    for i, job_id in enumerate(ids):
        job = matching_app.state.jobs.get(job_id).as_dict()
        assert job["status"] == "done", job
        assert job["stored"] is True and "3 added" in job["summary"] and "matching:" in job["summary"]
        assert _stored(url, i) == 3
    with store.open_session(url) as s:
        assert not is_matching_owed(s)


def test_a_failed_matching_after_the_import_is_reported_as_stored_and_logged(matching_app, world, monkeypatch,
                                                                             caplog):
    import reunite.web.jobs as jobs

    def broken(*_a, **_k):
        raise RuntimeError("KM-C01 S-C01 15,16")   # an error whose text carries the file's values

    monkeypatch.setattr(jobs, "run_matching", broken)
    url = world[0]
    with caplog.at_level(logging.INFO, logger="reunite.web.jobs"):
        ids = _start_at_once(matching_app, 3)
    for i, job_id in enumerate(ids):
        job = matching_app.state.jobs.get(job_id).as_dict()
        assert job["status"] == "failed" and job["stored"] is True, job
        assert "nothing was imported" not in job["step"] and "3 added" in job["summary"]
        assert job["error"] == "RuntimeError"
        assert _stored(url, i) == 3
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(logged) == 3 and all(job_id in " ".join(logged) for job_id in ids)
    assert not any("KM-C" in m or "S-C" in m or "15,16" in m for m in logged)
    with store.open_session(url) as s:
        assert is_matching_owed(s)


def test_a_refused_file_is_reported_as_not_stored_and_logged(matching_app, world, caplog):
    bad = b"case_number,sex,age_months\nKM-Z1,male,abc\n"
    from fastapi.testclient import TestClient

    from .conftest import csrf_of

    c = TestClient(matching_app, raise_server_exceptions=False)
    assert login(c, "inv").status_code == 303
    token = csrf_of(c, "/login")
    with caplog.at_level(logging.INFO, logger="reunite.web.jobs"):
        r = c.post("/api/v1/imports", data={"kind": "found"}, files={"file": ("bad.csv", bad)},
                   headers={"X-CSRF-Token": token})
        matching_app.state.jobs.wait()
    job = matching_app.state.jobs.get(r.json()["id"]).as_dict()
    assert job["status"] == "failed" and job["stored"] is False and job["step"] == "nothing was imported"
    assert job["error"].startswith("InputError") and job["problems"]
    assert any(job["id"] in rec.getMessage() for rec in caplog.records)
    assert not any("KM-Z1" in rec.getMessage() or "abc" in rec.getMessage() for rec in caplog.records)
    c.close()


def test_every_concurrent_import_is_in_the_history_of_imports(matching_app, world, monkeypatch):
    """Each job's end is written to the history while it still holds the run lock: written after, it
    raced the next job's import and matching for the store and was lost on SQLite (3 of 6 jobs of an
    attack on the demo's store, 'its history could not be recorded (OperationalError)')."""
    from reunite.cases.models import ImportRun
    from reunite.web import jobs

    real = jobs.record_import_run
    held = []

    def record(*args, **kwargs):
        held.append(matching_app.state.jobs._run_lock.locked())
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs, "record_import_run", record)
    _start_at_once(matching_app, N)
    assert held == [True] * N
    with store.open_session(world[0]) as s:
        runs = s.scalars(select(ImportRun).where(ImportRun.file_name.like("f%.csv"))).all()
        assert sorted(r.file_name for r in runs) == [f"f{i}.csv" for i in range(N)]
        assert {r.outcome for r in runs} == {"done"}


def test_a_store_busy_past_its_timeout_answers_503_not_500(app, world, caplog):
    """On SQLite a request that must write while another writer holds the store (an import's matching)
    waited the busy timeout and answered 500 'internal error'; it is 503 'busy' with Retry-After."""
    import sqlite3

    from fastapi.testclient import TestClient

    from .conftest import PASSWORD

    url = world[0]
    if not url.startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with TestClient(app, raise_server_exceptions=False) as c, caplog.at_level(logging.WARNING):
            r = c.post("/api/v1/token", json={"username": "inv", "password": PASSWORD})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "busy" and r.headers["retry-after"] == "10"
    assert "store busy on POST /api/v1/token" in caplog.text and "internal error" not in caplog.text
    assert PASSWORD not in caplog.text


def test_uploads_left_by_a_stopped_server_are_deleted_at_the_next_start(world, tmp_path, monkeypatch, caplog):
    """A server killed (or restarted) with jobs running or queued left their uploads, names, phone numbers
    or genotypes, in /tmp/reunite-import-* for good.  Uploads wait in a spool; each job locks its folder;
    the next server deletes the folders whose process is gone, never a running server's."""
    import fcntl

    from fastapi.testclient import TestClient

    from reunite.web import create_app

    spool = tmp_path / "spool"
    spool.mkdir()
    left = spool / "job-left"
    left.mkdir()
    (left / ".lock").touch()
    (left / "reports.csv").write_text("report_number,child_name\nR-9,Zhang Xiuying\n", encoding="utf-8")
    running = spool / "job-running"
    running.mkdir()
    held = open(running / ".lock", "a+")   # another server's job, still running
    fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    monkeypatch.setenv("REUNITE_IMPORT_SPOOL", str(spool))
    url, media, _ = world
    try:
        with caplog.at_level(logging.WARNING):
            app = create_app(url, media, reports_dir=tmp_path / "reports", secret_key="test-secret",
                             secure_cookies=False, match_after_import=False)
        assert not left.exists() and running.exists()
        assert "deleted 1 upload(s)" in caplog.text and "Zhang" not in caplog.text
        # A job's own folder goes when it ends.
        with TestClient(app) as c:
            assert login(c, "inv").status_code == 303
            from .conftest import csrf_of

            r = c.post("/api/v1/imports", data={"kind": "found"}, files={"file": ("f.csv", _file(9))},
                       headers={"X-CSRF-Token": csrf_of(c, "/login")})
            assert r.status_code == 202, r.text
            app.state.jobs.wait(60)
        assert sorted(p.name for p in spool.iterdir()) == ["job-running"]
    finally:
        held.close()


@pytest.mark.parametrize("name", ["..", ".", " . "])
def test_an_upload_named_dot_dot_is_imported_under_a_file_name_of_its_own(app, name):
    """A reference database keeps the name it was uploaded under; an upload named '..' was written to its
    folder's parent, a directory: 500 'internal error' (and its folder left behind)."""
    from fastapi.testclient import TestClient

    from .conftest import bearer

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/api/v1/imports", data={"kind": "ydb"}, files={"file": (name, b"not a database\n")},
                   headers=bearer(c, "lab"))
        assert r.status_code == 202, r.text
        app.state.jobs.wait(60)
        job = app.state.jobs.get(r.json()["id"]).as_dict()
        assert job["status"] == "failed" and not job["stored"]
