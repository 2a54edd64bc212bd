"""The store's own state: one import or matching run at a time, and whether matching is owed.

:func:`lock_store` serialises imports and matching runs across threads and processes: it locks the
``import_lock`` row of ``store_state`` until the session's transaction ends (``SELECT … FOR UPDATE``
on PostgreSQL; on SQLite the transaction begins with ``BEGIN IMMEDIATE``, which takes the database's
write lock at once, so two writers never both read and then deadlock on their first write).

:func:`owe_matching` is called in the transaction of an import that changed something, and
:func:`matching_done` in the transaction that completes a matching run, so a process killed between
the two leaves ``matching_owed`` set; the next import, ``reunite match`` or the web application's
start finishes it (:func:`is_matching_owed`).

(The random key that signed the appeal posters, once kept here, left the store with migration 0019:
signing keys live outside the database, :mod:`reunite.cases.signing`.)
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .models import StoreState, utcnow

__all__ = ["is_matching_owed", "lock_store", "matching_done", "owe_matching"]

LOCK = "import_lock"
OWED = "matching_owed"


def _insert(session: Session, **values):
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(StoreState).values(**values)


def _upsert(session: Session, name: str, value: str | None) -> None:
    stmt = _insert(session, name=name, value=value, updated_at=utcnow())
    session.execute(stmt.on_conflict_do_update(index_elements=["name"],
                                               set_={"value": value, "updated_at": stmt.excluded.updated_at}))


def lock_store(session: Session) -> None:
    """Hold the store's import lock until the session's transaction ends (waits for it if taken).

    Call it first in a transaction: on SQLite a transaction that has read already cannot wait for
    the write lock (it would deadlock), so the lock is then taken by a write, which may fail with
    "database is locked" if another writer holds it.  The lock row is never changed."""
    if session.get_bind().dialect.name == "sqlite" and not session.in_transaction():
        session.connection(execution_options={"reunite_begin": "IMMEDIATE"})
    session.execute(_insert(session, name=LOCK).on_conflict_do_nothing(index_elements=["name"]))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(StoreState.name).where(StoreState.name == LOCK).with_for_update())


def owe_matching(session: Session) -> None:
    """Record, in the session's transaction, that the matching must run again."""
    _upsert(session, OWED, "1")


def matching_done(session: Session) -> None:
    """Record, in the session's transaction, that a matching run has completed."""
    _upsert(session, OWED, "0")


def is_matching_owed(session: Session) -> bool:
    """Whether an import changed the store since the last completed matching run."""
    return session.scalar(select(StoreState.value).where(StoreState.name == OWED)) == "1"
