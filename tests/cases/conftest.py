"""Fixtures of the case-store tests: every test that takes ``db_url`` runs on SQLite and PostgreSQL.

PostgreSQL tests use a fresh schema per test in the database of ``$REUNITE_TEST_PG_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``).  If the server cannot be reached they are
skipped with the reason, except on CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import functools
import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from reunite.cases import db as store

from .helpers import FAMILIES, FOUND, PROFILES, REPORTS, write

PG_URL = os.environ.get("REUNITE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_conninfo() -> str:
    from sqlalchemy.engine import make_url

    u = make_url(PG_URL)
    parts = [f"host={u.host or '127.0.0.1'}", f"port={u.port or 5432}", f"dbname={u.database}",
             f"user={u.username or 'postgres'}", "connect_timeout=3"]
    if u.password:
        parts.append(f"password={u.password}")
    return " ".join(parts)


@functools.cache
def _pg_unreachable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(_pg_conninfo()) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()
    return None


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(_pg_conninfo(), autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    """The database backend of the test; PostgreSQL is skipped (or fails on CI) if unreachable."""
    if request.param == "postgresql":
        err = _pg_unreachable()
        if err:
            msg = (f"PostgreSQL at {PG_URL} is unreachable ({err}); start it with "
                   f"`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`")
            if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
                pytest.fail("CI=true but " + msg, pytrace=False)
            pytest.skip(msg)
    return request.param


def _new_pg_schema() -> tuple[str, str]:
    schema = f"reunite_test_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    return schema, f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def db_url(backend, tmp_path):
    """An empty database: a new SQLite file, or a new PostgreSQL schema dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'reunite.db'}"
        store.dispose_engines()
        return
    schema, url = _new_pg_schema()
    try:
        yield url
    finally:
        store.dispose_engines()
        _pg_admin(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "reunite.db"
    store.init_db(f"sqlite:///{path}")
    store.dispose_engines()
    return path


@pytest.fixture(scope="session")
def _pg_migrated():
    schema, url = _new_pg_schema()
    store.init_db(url)
    store.dispose_engines()
    try:
        yield url
    finally:
        store.dispose_engines()
        _pg_admin(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def url(backend, tmp_path, request):
    """A database with the current schema and no rows.

    Migrated once per test session: SQLite copies a migrated file, PostgreSQL empties the
    tables of a migrated schema (``test_schema.py`` runs the migrations on empty databases).
    """
    from sqlalchemy import text

    from reunite.cases.models import Base

    if backend == "sqlite":
        path = tmp_path / "reunite.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        store.dispose_engines()
        return
    url = request.getfixturevalue("_pg_migrated")
    # DELETE is ten times faster than TRUNCATE on tables this small.
    with store.make_engine(url).begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), 1, false)"))
    yield url
    store.dispose_engines()


@pytest.fixture
def session(url):
    """A session on a migrated database."""
    with sessionmaker(store.make_engine(url), expire_on_commit=False)() as s:
        yield s


@pytest.fixture
def media(tmp_path):
    return tmp_path / "media"


@pytest.fixture
def files(tmp_path):
    """The four CSV files of a small Kunming-like case."""
    return {
        "found": write(tmp_path / "found_children.csv", FOUND),
        "reports": write(tmp_path / "missing_reports.csv", REPORTS),
        "profiles": write(tmp_path / "profiles.csv", PROFILES),
        "families": write(tmp_path / "families.csv", FAMILIES),
    }
