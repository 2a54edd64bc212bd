"""The audit chain is keyed (HMAC under a key outside the database) and anchored outside it:
truncation, deletion of every entry and a recomputed chain are found; no phone numbers in details."""

from __future__ import annotations

import json
import os
import stat

import pytest
from sqlalchemy import select, text

from reunite.cases import append_audit, verify_audit
from reunite.cases.audit import GENESIS, anchor_path, audit_key, entry_hash, verify_anchor
from reunite.cases.models import AuditEntry
from reunite.cli import main


@pytest.fixture(autouse=True)
def _key_and_anchor(tmp_path, monkeypatch):
    monkeypatch.delenv("REUNITE_AUDIT_KEY", raising=False)
    monkeypatch.setenv("REUNITE_AUDIT_KEY_FILE", str(tmp_path / "keys" / "audit.key"))
    monkeypatch.setenv("REUNITE_AUDIT_ANCHOR_FILE", str(tmp_path / "anchor" / "audit-anchor.json"))


def fill(session, n=5):
    for i in range(n):
        append_audit(session, "officer", "test.event", entity="found_child", entity_id=f"KM-{i:03d}",
                     details={"i": i})
    session.commit()


def verify_cli(url, monkeypatch, capsys) -> tuple[int, str]:
    monkeypatch.setenv("REUNITE_DATABASE_URL", url)
    capsys.readouterr()
    code = main(["audit", "verify"])
    out, err = capsys.readouterr()
    return code, out + err


def test_the_key_is_made_once_with_0600_and_the_anchor_follows_the_head(session, tmp_path):
    fill(session)
    key_file = tmp_path / "keys" / "audit.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert audit_key(session) == bytes.fromhex(key_file.read_text().strip())
    anchor = json.loads(anchor_path(session).read_text())
    assert anchor["id"] == 5 and anchor["hash"] == session.get(AuditEntry, 5).hash
    assert verify_audit(session) is None and verify_anchor(session) is None
    # Under another key the keyed entries do not verify.
    os.environ["REUNITE_AUDIT_KEY"] = "someone else's key"
    try:
        assert verify_audit(session).id == 1
    finally:
        del os.environ["REUNITE_AUDIT_KEY"]
    # A rolled-back append does not move the anchor.
    append_audit(session, "officer", "test.event")
    session.rollback()
    assert json.loads(anchor_path(session).read_text())["id"] == 5


def test_truncation_is_found(session, url, monkeypatch, capsys):
    fill(session)
    session.execute(text("DELETE FROM audit_log WHERE id >= 4"))
    session.commit()
    assert verify_audit(session) is None  # the chain alone cannot see it
    assert "truncated" in verify_anchor(session)
    code, out = verify_cli(url, monkeypatch, capsys)
    assert code == 1 and "truncated" in out


def test_deleting_every_entry_is_found(session, url, monkeypatch, capsys):
    fill(session)
    session.execute(text("DELETE FROM audit_log"))
    session.commit()
    assert "every entry was deleted" in verify_anchor(session)
    assert verify_cli(url, monkeypatch, capsys)[0] == 1


def test_a_chain_recomputed_without_the_key_is_found(session, url, monkeypatch, capsys):
    fill(session)
    prev = GENESIS
    for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all():
        actor = "forger" if e.id == 2 else e.actor
        h = entry_hash(prev, id=e.id, at=e.at, actor=actor, action=e.action, entity=e.entity,
                       entity_id=e.entity_id, details=e.details)
        session.execute(text("UPDATE audit_log SET actor = :a, prev_hash = :p, hash = :h WHERE id = :i"),
                        {"a": actor, "p": "x" * 63 + str(e.id), "h": "y" * 63 + str(e.id), "i": e.id})
        session.execute(text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE id = :i"),
                        {"p": prev, "h": h, "i": e.id})
        prev = h
    session.commit()
    # A plain SHA-256 chain from the start would pass as one written before keying; the anchor says no.
    assert verify_audit(session) is None
    assert "rewritten" in verify_anchor(session)
    code, out = verify_cli(url, monkeypatch, capsys)
    assert code == 1 and "rewritten" in out


def _recompute_unkeyed(session, upto=None):
    """Rewrite the chain as plain SHA-256 from the start (what someone without the key can do), keeping
    the entries up to ``upto``."""
    if upto is not None:
        session.execute(text("DELETE FROM audit_log WHERE id > :n"), {"n": upto})
    prev = GENESIS
    for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all():
        h = entry_hash(prev, id=e.id, at=e.at, actor=e.actor, action=e.action, entity=e.entity,
                       entity_id=e.entity_id, details=e.details)
        session.execute(text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE id = :i"),
                        {"p": "x" * 63 + str(e.id), "h": "y" * 63 + str(e.id), "i": e.id})
        session.execute(text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE id = :i"),
                        {"p": prev, "h": h, "i": e.id})
        prev = h
    session.commit()


def test_a_recomputed_and_truncated_chain_with_its_anchor_removed_is_found(session, url, monkeypatch, capsys):
    """The attack: truncate, recompute the rest as an old unkeyed chain, delete the anchor (on SQLite it
    sits beside the database file, as writable as it).  It verified: an unkeyed chain with no anchor was
    taken for one written before the key."""
    fill(session)
    _recompute_unkeyed(session, upto=3)
    anchor_path(session).unlink()
    assert verify_audit(session) is None  # the chain alone cannot see it
    assert "anchor was removed" in verify_anchor(session)
    code, out = verify_cli(url, monkeypatch, capsys)
    assert code == 1 and "anchor was removed" in out


def _add_unkeyed(session, n):
    """Append ``n`` entries in the old, unkeyed form (what someone without the key can write)."""
    import datetime as dt

    for _ in range(n):
        head = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
        prev, new_id = (head.hash, head.id + 1) if head else (GENESIS, 1)
        at = dt.datetime(2014, 2, 20, 8, new_id)
        h = entry_hash(prev, id=new_id, at=at, actor="old", action="test.event", entity=None, entity_id=None,
                       details="{}")
        session.add(AuditEntry(id=new_id, at=at, actor="old", action="test.event", entity=None, entity_id=None,
                               details="{}", prev_hash=prev, hash=h))
        session.flush()
    session.commit()


def test_unkeyed_entries_after_the_anchor_are_found(session):
    """A log of entries written before the key, anchored by a first keyed entry: unkeyed entries after
    the anchored one were written without the key (the chain alone accepts them)."""
    _add_unkeyed(session, 3)
    append_audit(session, "officer", "test.event")   # anchors the chain at entry 3, then rolled back
    session.rollback()
    assert json.loads(anchor_path(session).read_text())["id"] == 3
    assert verify_anchor(session) is None and verify_audit(session) is None
    _add_unkeyed(session, 2)
    assert verify_audit(session) is None
    assert "not keyed" in verify_anchor(session)


def test_the_first_keyed_entry_anchors_the_chain_before_it_is_committed(session):
    """A key with no anchor is a removed anchor only if the anchor is written with the first keyed
    entry, whatever becomes of its transaction."""
    append_audit(session, "officer", "test.event")
    session.rollback()
    body = json.loads(anchor_path(session).read_text())
    assert (body["id"], body["hash"]) == (0, GENESIS)
    assert verify_anchor(session) is None   # an empty log anchored at 0: a new store
    fill(session, 2)
    assert verify_anchor(session) is None and json.loads(anchor_path(session).read_text())["id"] == 2


def test_emptying_the_log_and_removing_the_anchor_is_found_on_sqlite(tmp_path, monkeypatch, capsys):
    """With SQLite's own key file beside the database (the default), an empty log without an anchor is
    not a new store: the key file is made by the first entry."""
    from sqlalchemy.orm import sessionmaker

    from reunite.cases import db as store

    monkeypatch.delenv("REUNITE_AUDIT_KEY_FILE")
    monkeypatch.delenv("REUNITE_AUDIT_ANCHOR_FILE")
    url = f"sqlite:///{tmp_path / 'own.db'}"
    store.init_db(url)
    try:
        with sessionmaker(store.make_engine(url))() as s:
            assert verify_anchor(s) is None  # a new store: no key, no anchor, no entry
            fill(s, 3)
            assert (tmp_path / "own.db.audit-key").exists()
            s.execute(text("DELETE FROM audit_log"))
            s.commit()
            anchor_path(s).unlink()
            assert "every entry and the anchor were deleted" in verify_anchor(s)
        code, out = verify_cli(url, monkeypatch, capsys)
        assert code == 1 and "deleted" in out
    finally:
        store.dispose_engines()


def test_a_forged_anchor_is_found(session):
    fill(session)
    path = anchor_path(session)
    body = json.loads(path.read_text())
    body.update(id=3, hash=session.get(AuditEntry, 3).hash)
    path.write_text(json.dumps(body))
    assert "does not verify" in verify_anchor(session)


def test_phone_and_id_numbers_never_reach_the_audit_details(session):
    e = append_audit(session, "officer", "consent.withdraw", entity="report", entity_id="R-1",
                     details={"reason": "call my son on +86 138 0013 8000, ID 53010219800101123X",
                              "file": "profiles-2014.csv", "on": "2014-02-20", "rows": 1234567})
    session.commit()
    details = json.loads(e.details)
    assert "138" not in e.details and "5301021980" not in e.details
    assert details["reason"] == "call my son on [number removed], ID [number removed]"
    assert (details["file"], details["on"], details["rows"]) == ("profiles-2014.csv", "2014-02-20", 1234567)
