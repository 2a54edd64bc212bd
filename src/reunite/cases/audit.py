"""The append-only, hash-chained audit log.

Each entry's ``hash`` is ``sha256(prev_hash + canonical_json(content))`` where ``content`` is the
entry's id, time, actor, action, entity, entity id and details, and ``prev_hash`` is the previous
entry's hash (64 zeros for the first).  Editing, deleting or inserting an entry in the middle of
the chain breaks it, and :func:`verify_audit` finds the first broken entry.  ``prev_hash`` is
unique, so two writers cannot fork the chain; on PostgreSQL appends also take a transaction-level
advisory lock so concurrent writers queue instead of failing.

Truncation of the newest entries is not detectable from the chain alone; keep the latest hash
(:func:`chain_head`) somewhere else (a signed report, a printout) to detect it.

What goes into an entry: who, what, which record (by its case or report number, never a name)
and counts or statuses.  Never names of children or families, and never genotypes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from .models import AuditEntry, utcnow

__all__ = ["GENESIS", "append_audit", "canonical_json", "chain_head", "entry_hash", "verify_audit"]

#: ``prev_hash`` of the first entry.
GENESIS = "0" * 64

# Any constant; the transaction-level advisory lock serialises appends on PostgreSQL.
_PG_LOCK_KEY = 0x52_45_55_4E  # "REUN"


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no spaces and ASCII escapes: the same text on every platform."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"cannot put a {type(value).__name__} in an audit entry")


def _timestamp(at: dt.datetime) -> str:
    return at.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def entry_hash(prev_hash: str, *, id: int, at: dt.datetime, actor: str, action: str, entity: str | None,
               entity_id: str | None, details: str) -> str:
    """The hash an entry with this content must carry."""
    content = {
        "id": id,
        "at": _timestamp(at),
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "details": details,
    }
    return hashlib.sha256((prev_hash + canonical_json(content)).encode("ascii")).hexdigest()


def chain_head(session: Session) -> AuditEntry | None:
    """The newest audit entry, or None when the log is empty."""
    return session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()


def append_audit(session: Session, actor: str, action: str, *, entity: str | None = None,
                 entity_id: object = None, details: dict[str, Any] | None = None) -> AuditEntry:
    """Append an entry in the session's transaction (it is committed with the work it records).

    ``details`` must hold no personal data: counts, statuses, natural keys, file names.
    """
    if not actor or not str(actor).strip():
        raise ValueError("an audit entry needs the name of who acted")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    session.flush()
    head = chain_head(session)
    prev = head.hash if head is not None else GENESIS
    # Ids are assigned here, not by the database, so that the hash can cover them.
    new_id = head.id + 1 if head is not None else 1
    at = utcnow()
    body = canonical_json(details or {})
    ent_id = None if entity_id is None else str(entity_id)
    entry = AuditEntry(id=new_id, at=at, actor=str(actor), action=action, entity=entity, entity_id=ent_id,
                       details=body, prev_hash=prev,
                       hash=entry_hash(prev, id=new_id, at=at, actor=str(actor), action=action, entity=entity,
                                       entity_id=ent_id, details=body))
    session.add(entry)
    session.flush()
    return entry


def verify_audit(session: Session) -> AuditEntry | None:
    """Check the whole chain; return the first entry that does not verify, or None if all do.

    An entry is broken when its ``prev_hash`` is not the previous entry's hash (an entry was
    removed or inserted) or its ``hash`` does not match its content (it was edited).
    """
    prev = GENESIS
    expect_id = 1
    query = select(AuditEntry).order_by(AuditEntry.id).execution_options(populate_existing=True, yield_per=1000)
    for entry in session.scalars(query):
        if entry.id != expect_id or entry.prev_hash != prev:
            return entry
        want = entry_hash(prev, id=entry.id, at=entry.at, actor=entry.actor, action=entry.action,
                          entity=entry.entity, entity_id=entry.entity_id, details=entry.details)
        if want != entry.hash:
            return entry
        prev = entry.hash
        expect_id += 1
    return None
