"""The audit chain verifies, and an edited, removed or inserted entry breaks it."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from reunite.cases import append_audit, verify_audit
from reunite.cases.audit import GENESIS, canonical_json, chain_head
from reunite.cases.models import AuditEntry


def fill(session, n=5):
    for i in range(n):
        append_audit(session, "officer", "test.event", entity="found_child", entity_id=f"KM-{i:03d}",
                     details={"i": i, "note": "ünïcode ok"})
    session.commit()


def test_the_chain_links_every_entry(session):
    assert verify_audit(session) is None  # an empty log verifies
    fill(session)
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.id for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert verify_audit(session) is None
    assert chain_head(session).id == 5


@pytest.mark.parametrize("column, value", [("details", '{"i":99}'), ("actor", "someone else"),
                                           ("action", "test.other"), ("entity_id", "KM-999")])
def test_an_edited_row_is_detected(session, column, value):
    fill(session)
    session.execute(text(f"UPDATE audit_log SET {column} = :v WHERE id = 3"), {"v": value})
    session.commit()
    bad = verify_audit(session)
    assert bad is not None and bad.id == 3


def test_an_edited_time_is_detected(session):
    fill(session)
    session.execute(text("UPDATE audit_log SET at = :v WHERE id = 2"),
                    {"v": session.get(AuditEntry, 1).at})
    session.commit()
    assert verify_audit(session).id == 2


def test_a_removed_entry_is_detected(session):
    fill(session)
    session.execute(text("DELETE FROM audit_log WHERE id = 2"))
    session.commit()
    assert verify_audit(session).id == 3


def test_a_rehashed_edit_is_still_detected_by_the_next_entry(session):
    fill(session)
    # A forger who edits entry 2 and recomputes its hash breaks the link from entry 3.
    from reunite.cases.audit import entry_hash

    e = session.get(AuditEntry, 2)
    forged = entry_hash(e.prev_hash, id=e.id, at=e.at, actor="forger", action=e.action, entity=e.entity,
                        entity_id=e.entity_id, details=e.details)
    session.execute(text("UPDATE audit_log SET actor = 'forger', hash = :h WHERE id = 2"), {"h": forged})
    session.commit()
    # Without the audit key the forged hash is not the entry's HMAC: entry 2 itself is found.
    assert verify_audit(session).id == 2


def test_the_chain_cannot_fork(session):
    fill(session, 2)
    head = chain_head(session)
    session.add(AuditEntry(id=10, at=head.at, actor="x", action="fork", details="{}", prev_hash=head.prev_hash,
                           hash="f" * 64))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_canonical_json_is_stable():
    assert canonical_json({"b": 1, "a": [1, "é"]}) == '{"a":[1,"\\u00e9"],"b":1}'
