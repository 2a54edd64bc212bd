"""The store's functions behind the appeal, tip, family-report and genotype routes (once written in
the web layer): what they write, what they audit, and the store's own errors, on both backends."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from reunite.cases import add_user, import_found, import_profiles, import_reports
from reunite.cases.appeals import add_tip, publish, published_appeal, search, set_published
from reunite.cases.family_reports import add_relative, create_report, record_other_children
from reunite.cases.models import Appeal, AuditEntry, MissingReport, Relative, Tip
from reunite.cases.records import read_genotypes
from reunite.errors import InputError, NotFoundError


@pytest.fixture
def store(session, files):
    import_found(session, files["found"])
    import_reports(session, files["reports"])
    add_user(session, "Inspector Chen", "investigator")
    return session


def _audit(session, action):
    return session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def test_publishing_unpublishing_and_tips_are_written_and_audited(store):
    a = publish(store, case_number="KM-002", hotline="+86 871 110", no_photo_reason="no photo yet",
                user="Inspector Chen")
    assert (a.published, a.hotline, a.published_by) == (True, "+86 871 110", "Inspector Chen")
    assert [x.id for x in search(store)] == [a.id]
    tip = add_tip(store, a.id, "  I saw this baby in Qujing  ", " ")
    assert (tip.message, tip.contact) == ("I saw this baby in Qujing", None)
    tip_audit = _audit(store, "tip.receive")[-1]
    assert json.loads(tip_audit.details) == {"tip_id": tip.id}          # never the tip's text
    set_published(store, a.id, False, user="Inspector Chen")
    assert search(store) == []
    with pytest.raises(NotFoundError):
        published_appeal(store, a.id)
    with pytest.raises(NotFoundError):                                 # no tips on an unpublished appeal
        add_tip(store, a.id, "another tip here", None)
    assert [e.action for e in _audit(store, "appeal.publish") + _audit(store, "appeal.unpublish")] == [
        "appeal.publish", "appeal.unpublish"]
    assert store.scalar(select(Tip.id).where(Tip.message == "another tip here")) is None


def test_a_bad_appeal_names_every_field_and_writes_nothing(store):
    with pytest.raises(NotFoundError, match="no found child"):
        publish(store, case_number="KM-999", hotline="110", user="Inspector Chen")
    with pytest.raises(InputError) as exc:
        publish(store, case_number="KM-001", hotline="call me", photo_id=12345, user="Inspector Chen")
    assert [p.field for p in exc.value.problems] == ["hotline", "photo_id"]
    assert not isinstance(exc.value, NotFoundError)
    store.rollback()
    assert store.scalars(select(Appeal)).all() == [] and _audit(store, "appeal.publish") == []


def test_a_bad_tip_names_every_field(store):
    a = publish(store, case_number="KM-001", hotline="110", no_photo_reason="no photo yet", user="Inspector Chen")
    with pytest.raises(InputError) as exc:
        add_tip(store, a.id, "hi", "x" * 201)
    assert [p.field for p in exc.value.problems] == ["message", "contact"]


def test_a_family_report_its_relatives_and_other_children(store):
    fam = add_user(store, "li-family", "family")
    rep = create_report(store, fam, child_name=" Li Xiaoming ", sex="male", date_of_birth=None,
                        disappeared_on=None, disappeared_place=" Zhaotong ", circumstances=" ", marks="",
                        contact_phone=" 13800000000 ", other_children=(True, [("female", 2010)]))
    assert rep.report_number.startswith("W-") and rep.family_user_id == fam.id
    assert (rep.child_name, rep.disappeared_place, rep.circumstances, rep.contact_phone) == (
        "Li Xiaoming", "Zhaotong", None, "13800000000")
    created = _audit(store, "report.create")[-1]
    assert "Li" not in created.details and "138" not in created.details    # no name, no phone number
    add_relative(store, rep, "mother", True, "all_missing", user="li-family")
    add_relative(store, rep, "father", False, "this_report", user="li-family")
    rows = store.scalars(select(Relative).where(Relative.report_id == rep.id).order_by(Relative.id)).all()
    assert [(r.member_id, r.relation, r.consent_scope) for r in rows] == [
        ("web-1", "mother", "all_missing"), ("web-2", "father", None)]
    with pytest.raises(InputError) as exc:
        add_relative(store, rep, "cousin", True, "everything", user="li-family")
    assert [p.field for p in exc.value.problems] == ["relation", "scope"]
    assert record_other_children(store, rep, True, [("female", 2010)], user="li-family") is False   # unchanged
    assert record_other_children(store, rep, False, [], user="li-family") is True
    assert len(_audit(store, "report.other_children")) == 1
    assert store.get(MissingReport, rep.id).other_children_listed is False


def test_reading_genotypes_is_audited_and_an_unknown_sample_is_not_found(store, files):
    import_profiles(store, files["profiles"], lab="Kunming PSB lab")
    s = read_genotypes(store, "S-C1", user="Inspector Chen", purpose="web")
    assert s.genotypes["D3S1358"] and s.marker_count == 4
    entry = _audit(store, "genotypes.read")[-1]
    assert (entry.actor, entry.entity_id, json.loads(entry.details)) == (
        "Inspector Chen", "S-C1", {"purpose": "web", "markers": 4})
    with pytest.raises(NotFoundError):
        read_genotypes(store, "S-NONE", user="Inspector Chen", purpose="web")
