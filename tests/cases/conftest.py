"""Fixtures of the case-store tests: every test that takes ``db_url`` runs on SQLite and PostgreSQL.

PostgreSQL tests use a fresh schema per test in the database of ``$REUNITE_TEST_PG_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``).  If the server cannot be reached they are
skipped with the reason, except on CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy.orm import sessionmaker

from needs import PG_URL, need_postgresql, pg_conninfo
from reunite.cases import db as store

from .helpers import FAMILIES, FOUND, PROFILES, REPORTS, write


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(pg_conninfo(), autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    """The database backend of the test; PostgreSQL is skipped (or fails on CI) if unreachable."""
    if request.param == "postgresql":
        need_postgresql()
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
