"""The append-only, hash-chained audit log.

Each entry's ``hash`` is ``sha256(prev_hash + canonical_json(content))`` where ``content`` is the
entry's id, time, actor, action, entity, entity id and details, and ``prev_hash`` is the previous
entry's hash (64 zeros for the first).  Editing, deleting or inserting an entry in the middle of
the chain breaks it, and :func:`verify_audit` finds the first broken entry.  ``prev_hash`` is
unique, so two writers cannot fork the chain; on PostgreSQL appends also take a transaction-level
advisory lock so concurrent writers queue instead of failing.

Keyed and anchored.  Each new entry's ``hash`` is an HMAC-SHA256 under a key kept outside the
database, so that nobody who can write the database but not read the key can recompute the chain
after an edit; entries written before the key existed (plain SHA-256) are accepted only as the
chain's first entries.  After every commit that appends, an *anchor* outside the database records the
newest entry's id and hash with their MAC; :func:`verify_anchor` compares the chain's head with it and
so detects truncation, deletion of every entry and a recomputed chain.

The key (:func:`audit_key`) is ``$REUNITE_AUDIT_KEY``, else the file ``$REUNITE_AUDIT_KEY_FILE``,
else ``<database file>.audit-key`` beside a SQLite database, else
``$XDG_STATE_HOME/reunite/audit.key`` (``~/.local/state/reunite/audit.key``); a key file is created on
first use with permissions 0600.
The anchor is ``$REUNITE_AUDIT_ANCHOR_FILE``, else ``<database file>.audit-anchor`` beside a SQLite
database, else ``$XDG_STATE_HOME/reunite/anchors/<database digest>.json``.  Keep the key out of the
database's backups and readable only by the service; losing it means the chain can no longer be
verified (``reunite audit verify`` says so).

Free text in ``details`` may not carry numbers that could be a phone or an ID number: runs of six
or more digits are replaced by ``[number removed]`` (:func:`scrub_details`).

What goes into an entry: who, what, which record (by its case or report number, never a name)
and counts or statuses.  Never names of children or families, and never genotypes.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from .models import AuditEntry, utcnow

__all__ = ["GENESIS", "anchor_path", "append_audit", "audit_key", "canonical_json", "chain_head", "entry_hash",
           "scrub_details", "verify_anchor", "verify_audit"]

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
               entity_id: str | None, details: str, key: bytes | None = None) -> str:
    """The hash an entry with this content must carry: HMAC-SHA256 under ``key``, or plain SHA-256
    without one (entries written before the chain was keyed)."""
    content = {
        "id": id,
        "at": _timestamp(at),
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "details": details,
    }
    message = (prev_hash + canonical_json(content)).encode("ascii")
    if key is not None:
        return hmac.new(key, message, hashlib.sha256).hexdigest()
    return hashlib.sha256(message).hexdigest()


# ----------------------------------------------------------------------------- the key and the anchor

def _state() -> Path:
    """Reunite's state folder: ``$XDG_STATE_HOME/reunite``, by default ``~/.local/state/reunite``."""
    return Path(os.environ.get("XDG_STATE_HOME") or "~/.local/state").expanduser() / "reunite"
# A phone or ID number standing alone (not part of a hash or a file name); ISO dates are kept.
_NUMBER = re.compile(r"(?<![\w.:/-])\+?\(?\d[\d\s().-]{4,}[\dXx](?![\w:/-])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _sqlite_file(session: Session) -> Path | None:
    url = session.get_bind().url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve()
    return None


def _identity(session: Session) -> str:
    url = session.get_bind().url
    return hashlib.sha256(url.render_as_string(hide_password=True).encode("utf-8")).hexdigest()[:32]


def _key_file(session: Session) -> Path:
    if os.environ.get("REUNITE_AUDIT_KEY_FILE"):
        return Path(os.environ["REUNITE_AUDIT_KEY_FILE"])
    db = _sqlite_file(session)
    return db.with_name(db.name + ".audit-key") if db else _state() / "audit.key"


def audit_key(session: Session, *, create: bool = True) -> bytes | None:
    """The audit key (see the module docstring); a key file is created (0600) on first use when
    ``create``, else None when there is none."""
    if os.environ.get("REUNITE_AUDIT_KEY"):
        return os.environ["REUNITE_AUDIT_KEY"].encode("utf-8")
    path = _key_file(session)
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        if not create:
            return None
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


def anchor_path(session: Session) -> Path:
    """Where the chain's anchor is kept (see the module docstring)."""
    if os.environ.get("REUNITE_AUDIT_ANCHOR_FILE"):
        return Path(os.environ["REUNITE_AUDIT_ANCHOR_FILE"])
    db = _sqlite_file(session)
    if db:
        return db.with_name(db.name + ".audit-anchor")
    return _state() / "anchors" / f"{_identity(session)}.json"


def _anchor_mac(key: bytes, identity: str, entry_id: int, entry_hash_: str) -> str:
    return hmac.new(key, f"anchor|{identity}|{entry_id}|{entry_hash_}".encode("ascii"), hashlib.sha256).hexdigest()


def _read_anchor(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}


def _write_anchor(path: Path, identity: str, key: bytes, entry_id: int, hash_: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Two committers may write in either order: an anchor a step behind the head still verifies.
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        body = {"database": identity, "id": entry_id, "hash": hash_,
                "mac": _anchor_mac(key, identity, entry_id, hash_)}
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(body), encoding="utf-8")
        os.replace(tmp, path)


def _after_commit(session: Session) -> None:
    pending = session.info.pop("reunite_audit_anchor", None)
    if pending:
        _write_anchor(*pending)


def _after_rollback(session: Session) -> None:
    session.info.pop("reunite_audit_anchor", None)


def verify_anchor(session: Session) -> str | None:
    """Compare the chain's head with the anchor; return what is wrong (a sentence), or None.

    Finds a truncated chain (the anchored entry is gone or differs), a chain emptied or recomputed
    (the head differs from the anchored one), and a forged anchor (its MAC does not verify)."""
    path = anchor_path(session)
    anchor = _read_anchor(path)
    head = chain_head(session)
    key = audit_key(session, create=False)
    if anchor is None:
        # The first keyed entry writes the anchor before it is committed (append_audit), so a key
        # with entries and no anchor means the anchor was removed: a chain recomputed in the old,
        # unkeyed form would otherwise verify.  A key file of the database's own (SQLite's default,
        # created by the first keyed entry) shows that entries were written, even if none is left.
        if key is None and (head is None or _unkeyed(head)):
            return None  # never keyed: nothing more to check
        if head is not None:
            return (f"there is no anchor at {path} although the log has {head.id} entries: the anchor was "
                    f"removed (keep the anchor and the key with the database)")
        if _own_key_file(session):
            return (f"the log is empty and there is no anchor at {path}, but the audit key {_key_file(session)} "
                    f"was made by a first entry: every entry and the anchor were deleted")
        return None  # a new store
    if key is None:
        return f"the audit key is missing ({_key_file(session)}); the chain cannot be verified without it"
    identity = _identity(session)
    try:
        aid, ahash, amac = int(anchor["id"]), str(anchor["hash"]), str(anchor["mac"])
    except (KeyError, TypeError, ValueError):
        return f"the anchor at {path} is damaged"
    if not hmac.compare_digest(amac, _anchor_mac(key, identity, aid, ahash)):
        return f"the anchor at {path} does not verify under the audit key: it was forged or belongs elsewhere"
    if head is None:
        return None if aid == 0 else f"the log is empty but the anchor records {aid} entries: every entry was deleted"
    if head.id > aid and _unkeyed(head):
        return (f"entries after the anchored entry {aid} are not keyed (plain SHA-256): they were written "
                f"without the audit key, or the chain was recomputed")
    if aid == 0:
        return None  # anchored before the first keyed entry, on an empty log
    anchored = session.get(AuditEntry, aid)
    if anchored is None or head.id < aid:
        return f"the log ends at entry {head.id} but the anchor records entry {aid}: the log was truncated"
    if anchored.hash != ahash:
        return f"entry {aid} is not the one anchored: the chain was rewritten (recomputed)"
    return None


def _own_key_file(session: Session) -> bool:
    """Whether the key is the database's own file (SQLite's default): made by its first keyed entry."""
    return not (os.environ.get("REUNITE_AUDIT_KEY") or os.environ.get("REUNITE_AUDIT_KEY_FILE")) \
        and _sqlite_file(session) is not None and _key_file(session).exists()


def _unkeyed(head: AuditEntry) -> bool:
    """Whether ``head`` is an entry written before the chain was keyed (plain SHA-256)."""
    fields = dict(id=head.id, at=head.at, actor=head.actor, action=head.action, entity=head.entity,
                  entity_id=head.entity_id, details=head.details)
    return entry_hash(head.prev_hash, **fields) == head.hash


def _free_text(value: Any) -> Any:
    if isinstance(value, str):
        return _NUMBER.sub(lambda m: "[number removed]" if sum(c.isdigit() for c in m.group()) >= 6
                           and not _DATE.fullmatch(m.group().strip()) else m.group(), value)
    if isinstance(value, dict):
        return {k: _free_text(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_free_text(v) for v in value]
    return value


def scrub_details(details: dict[str, Any] | None) -> dict[str, Any]:
    """``details`` with every run of six or more digits in its text replaced by ``[number removed]``
    (a phone, an ID card or a bank number typed into a free-text field).  Natural keys belong in
    ``entity_id``, counts are numbers, not text."""
    return _free_text(details or {})


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
    body = canonical_json(scrub_details(details))
    ent_id = None if entity_id is None else str(entity_id)
    key = audit_key(session)
    apath = anchor_path(session)
    if not apath.exists():
        # The first keyed entry anchors the chain as it was before it (id 0 on an empty log), at once:
        # from then on a missing anchor is a removed one (verify_anchor).
        _write_anchor(apath, _identity(session), key, head.id if head is not None else 0, prev)
    entry = AuditEntry(id=new_id, at=at, actor=str(actor), action=action, entity=entity, entity_id=ent_id,
                       details=body, prev_hash=prev,
                       hash=entry_hash(prev, id=new_id, at=at, actor=str(actor), action=action, entity=entity,
                                       entity_id=ent_id, details=body, key=key))
    session.add(entry)
    session.flush()
    # The anchor moves when the entry is committed (never for a transaction rolled back).
    session.info["reunite_audit_anchor"] = (apath, _identity(session), key, new_id, entry.hash)
    if not event.contains(session, "after_commit", _after_commit):
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)
    return entry


def verify_audit(session: Session) -> AuditEntry | None:
    """Check the whole chain; return the first entry that does not verify, or None if all do.

    An entry is broken when its ``prev_hash`` is not the previous entry's hash (an entry was
    removed or inserted) or its ``hash`` does not match its content under the audit key (it was
    edited); an unkeyed entry after a keyed one is broken too.  See :func:`verify_anchor` for what
    the chain alone cannot show (truncation, deletion of everything, recomputation).
    """
    key = audit_key(session, create=False)
    legacy = True  # plain SHA-256 entries are accepted only before the first keyed one
    prev = GENESIS
    expect_id = 1
    query = select(AuditEntry).order_by(AuditEntry.id).execution_options(populate_existing=True, yield_per=1000)
    for entry in session.scalars(query):
        if entry.id != expect_id or entry.prev_hash != prev:
            return entry
        fields = dict(id=entry.id, at=entry.at, actor=entry.actor, action=entry.action, entity=entry.entity,
                      entity_id=entry.entity_id, details=entry.details)
        if key is not None and hmac.compare_digest(entry_hash(prev, key=key, **fields), entry.hash):
            legacy = False
        elif not (legacy and entry_hash(prev, **fields) == entry.hash):
            return entry
        prev = entry.hash
        expect_id += 1
    return None
