"""Where the store lives, and bringing its schema up to date.

The database URL comes from ``REUNITE_DATABASE_URL``; without it the store is the SQLite file
``reunite.db`` in the working directory.  PostgreSQL is used with
``postgresql+psycopg://user@host:5432/dbname``.  The schema is created and upgraded by the
Alembic migrations shipped in ``reunite/cases/migrations`` (no ``alembic.ini`` is needed).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import ReuniteError

__all__ = [
    "DEFAULT_URL",
    "ENV_URL",
    "SchemaError",
    "check_schema",
    "current_revision",
    "database_url",
    "dispose_engines",
    "downgrade",
    "head_revision",
    "init_db",
    "make_engine",
    "open_session",
    "store_busy",
    "upgrade",
]

ENV_URL = "REUNITE_DATABASE_URL"
DEFAULT_URL = "sqlite:///reunite.db"
MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaError(ReuniteError):
    """The database schema is missing or older than this version of Reunite."""


def database_url(url: str | None = None) -> str:
    """``url`` if given, else ``$REUNITE_DATABASE_URL``, else ``sqlite:///reunite.db``."""
    return url or os.environ.get(ENV_URL) or DEFAULT_URL


def _sqlite_connect(dbapi_conn, _record) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so that a
    # transaction covers its reads and its DDL too (the sqlite3 module would only open one before
    # the first INSERT/UPDATE/DELETE): an import's checks and writes see the same data, and a
    # migration is all-or-nothing.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    # A long writer (an import, a matching run) keeps its changes in memory until it commits instead of
    # spilling them into the database file, which takes the exclusive lock: readers (every page, a job's
    # status) went on reading instead of waiting and failing with "database is locked".
    cur.execute("PRAGMA cache_spill=OFF")
    cur.close()


#: PostgreSQL's SQLSTATEs of a transaction that lost to another one (serialization, deadlock, lock timeout).
_PG_BUSY = frozenset(("40001", "40P01", "55P03"))


def store_busy(exc: BaseException) -> bool:
    """Whether ``exc`` says the store was busy with another writer rather than wrong: SQLite's
    "database is locked" after its busy timeout (an import or a matching holds the write lock longer),
    or PostgreSQL's serialization failure, deadlock or lock timeout.  Trying again later can succeed."""
    if not isinstance(exc, DBAPIError) or exc.orig is None:
        return False
    state = getattr(exc.orig, "sqlstate", None)
    if state is not None:
        return state in _PG_BUSY
    text = str(exc.orig).lower()
    return "database is locked" in text or "database table is locked" in text


def _sqlite_begin(conn) -> None:
    # ``reunite_begin="IMMEDIATE"`` (reunite.cases.state.lock_store): take the write lock at once.
    mode = conn.get_execution_options().get("reunite_begin")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")


_engines: dict[str, Engine] = {}


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (see :func:`database_url`); SQLite enforces foreign keys.

    Engines are cached per URL within the process.
    """
    url = database_url(url)
    eng = _engines.get(url)
    if eng is None:
        # hide_parameters: a database error's text (logged, or printed by the CLI) never carries the
        # submitted values, which may be names or genotypes.
        eng = create_engine(url, future=True, hide_parameters=True)
        if eng.dialect.name == "sqlite":
            event.listen(eng, "connect", _sqlite_connect)
            event.listen(eng, "begin", _sqlite_begin)
        _engines[url] = eng
    return eng


def dispose_engines() -> None:
    """Close every cached engine's connections (tests, and before a process forks)."""
    for eng in _engines.values():
        eng.dispose()
    _engines.clear()


def _alembic_config(url: str):
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@contextmanager
def _migrating(url: str) -> Iterator:
    """A connection in a transaction for migrations.

    On SQLite, foreign keys are off while the migrations run (SQLite's own procedure for schema
    changes): Alembic's batch mode copies a table and drops the old copy, and with foreign keys on,
    that drop would cascade to every row referring to it (a found child's photos and candidates, a
    report's pedigree).  They are checked (``PRAGMA foreign_key_check``) before the commit and
    switched on again afterwards.
    """
    eng = make_engine(url)
    with eng.connect() as conn:
        raw = conn.connection.dbapi_connection if eng.dialect.name == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")   # outside a transaction, or it is ignored
        try:
            with conn.begin():
                yield conn
                if raw is not None:
                    bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if bad:
                        raise SchemaError(f"the migration would leave {len(bad)} rows referring to missing "
                                          f"rows (first in table {bad[0][0]}); nothing was changed")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Run the migrations on the database at ``url`` up to ``revision`` (default: the latest)."""
    url = database_url(url)
    cfg = _alembic_config(url)
    with _migrating(url) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(url: str | None = None, revision: str = "-1") -> None:
    """Undo migrations on the database at ``url`` down to ``revision`` (``"base"``: drop everything)."""
    url = database_url(url)
    cfg = _alembic_config(url)
    with _migrating(url) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def init_db(url: str | None = None) -> Engine:
    """Create (or bring up to date) the schema at ``url``; return its engine."""
    upgrade(url)
    return make_engine(url)


@functools.cache
def head_revision() -> str:
    """The newest migration revision shipped with this version."""
    return ScriptDirectory.from_config(_alembic_config(DEFAULT_URL)).get_current_head()


def current_revision(url: str | None = None) -> str | None:
    """The revision the database at ``url`` is at, or None if it has no schema yet."""
    with make_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def check_schema(url: str | None = None, *, create: bool = True) -> None:
    """Make sure the database at ``url`` has the current schema.

    An empty database is created when ``create`` is true (zero set-up for the SQLite file); a
    database at an older revision raises :class:`SchemaError` with the command that upgrades it.
    """
    url = database_url(url)
    cur = current_revision(url)
    head = head_revision()
    if cur == head:
        return
    if cur is None:
        tables = inspect(make_engine(url)).get_table_names()
        if not tables and create:
            upgrade(url)
            return
        if tables:
            raise SchemaError("the database has tables but no Reunite schema version; "
                              "point REUNITE_DATABASE_URL at an empty or a Reunite database")
        raise SchemaError("the database has no schema; run `reunite db upgrade`")
    raise SchemaError(f"the database schema is at revision {cur}, this version needs {head}; "
                      f"run `reunite db upgrade`")


@contextmanager
def open_session(url: str | None = None, *, create: bool = True) -> Iterator[Session]:
    """A session on the store at ``url``, its schema checked (and created if empty)."""
    check_schema(url, create=create)
    factory = sessionmaker(make_engine(url), expire_on_commit=False)
    with factory() as session:
        yield session
