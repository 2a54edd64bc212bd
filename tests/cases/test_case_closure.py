"""A confirmation finishes the case: competing candidates closed with the reason, the report closed,
the child's timeline telling it, a family referred for investigation flagged with its record; and
re-opening the confirmation undoes it.  On SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from reunite.cases import add_user, import_found, import_reports, record_candidate, review
from reunite.cases.models import AuditEntry, Candidate, MissingReport
from reunite.cases.suspicion import flagged_families
from reunite.cases.timeline import TimelineEvent, child_timeline, timeline_source
from reunite.cases.workflow import WorkflowError

from .helpers import write


@pytest.fixture
def case(session, files):
    import_found(session, files["found"])
    import_reports(session, files["reports"])
    add_user(session, "Inspector Chen", "investigator")
    ids = {}
    for case, report in [("KM-001", "R-1"), ("KM-001", "R-2"), ("KM-002", "R-1"), ("KM-003", "R-2"),
                         ("KM-002", "R-2"), ("KM-001", "R-3"), ("KM-002", "R-3")]:
        c, _ = record_candidate(session, case, report, dna_log10_lr=5.0, prior=0.1, commit=True)
        ids[case, report] = c.id
    review(session, ids["KM-002", "R-2"], "under_review", user="Inspector Chen", reason="look")
    review(session, ids["KM-002", "R-2"], "excluded", user="Inspector Chen", reason="DNA excludes")
    return session, ids


def confirm(session, cid, outcome="reunited"):
    for to in ("under_review", "confirmation_requested"):
        review(session, cid, to, user="Inspector Chen", reason=f"to {to}")
    return review(session, cid, "confirmed", user="Inspector Chen", reason="second sample agrees", outcome=outcome)


def status(session, ids, key):
    session.expire_all()
    c = session.get(Candidate, ids[key])
    return c.status, c.closed_by_id


def report(session, number):
    return session.scalars(select(MissingReport).where(MissingReport.report_number == number)).one()


def test_a_confirmation_closes_the_competitors_and_the_report(case):
    s, ids = case
    win = ids["KM-001", "R-1"]
    confirm(s, win)
    assert status(s, ids, ("KM-001", "R-2")) == ("closed", win)      # the same child
    assert status(s, ids, ("KM-002", "R-1")) == ("closed", win)      # the same report
    assert status(s, ids, ("KM-001", "R-3")) == ("closed", win)      # the same child, twins' report
    assert status(s, ids, ("KM-003", "R-2")) == ("new", None)        # unrelated
    assert status(s, ids, ("KM-002", "R-2")) == ("excluded", None)   # decided already: left as it is
    assert report(s, "R-1").status == "closed" and report(s, "R-2").status == "open"
    reasons = {c.id: c.reviews[-1].reason for c in s.scalars(select(Candidate).where(Candidate.status == "closed"))}
    assert reasons[ids["KM-001", "R-2"]] == (f"closed: found child KM-001 was confirmed as the child of report R-1 "
                                             f"(candidate {win})")
    assert reasons[ids["KM-002", "R-1"]] == (f"closed: report R-1 was confirmed to found child KM-001 "
                                             f"(candidate {win})")
    actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions.count("candidate.close") == 3 and actions.count("report.close") == 1
    with pytest.raises(WorkflowError, match="can move to under_review, not confirmed"):
        review(s, ids["KM-002", "R-1"], "confirmed", user="Inspector Chen", reason="x", outcome="reunited")
    with pytest.raises(WorkflowError):     # nobody closes by hand
        review(s, ids["KM-003", "R-2"], "closed", user="Inspector Chen", reason="x")


def test_re_opening_the_confirmation_re_opens_what_it_closed(case):
    s, ids = case
    win = ids["KM-001", "R-1"]
    confirm(s, win)
    review(s, win, "under_review", user="Inspector Chen", reason="the second sample was swapped")
    for key in [("KM-001", "R-2"), ("KM-002", "R-1"), ("KM-001", "R-3")]:
        assert status(s, ids, key) == ("under_review", None)
    assert report(s, "R-1").status == "open"
    assert [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.action.like("report.%")))] == [
        "report.close", "report.reopen"]


def test_twins_keep_their_report_open_and_the_other_twin_candidate(case):
    s, ids = case
    confirm(s, ids["KM-001", "R-3"])
    assert status(s, ids, ("KM-002", "R-3")) == ("new", None)         # the other twin may still be found
    assert report(s, "R-3").status == "open"
    assert status(s, ids, ("KM-001", "R-1")) == ("closed", ids["KM-001", "R-3"])


def test_the_timeline_tells_the_closure(case):
    s, ids = case
    win = ids["KM-001", "R-1"]
    confirm(s, win)
    km1 = s.get(Candidate, win).found_child
    km2 = s.get(Candidate, ids["KM-002", "R-1"]).found_child
    kinds = [e.kind for e in child_timeline(s, km1)]
    assert kinds[0] == "found" and "registered" in kinds and "report_closed" in kinds
    closed = [e for e in child_timeline(s, km1) if e.kind == "closed_child"]
    assert {e.values["report"] for e in closed} == {"R-2", "R-3"} and all(e.values["by_report"] == "R-1"
                                                                          for e in closed)
    other = [e for e in child_timeline(s, km2) if e.kind == "closed_report"]
    assert [(e.values["report"], e.values["by_child"], e.values["by"]) for e in other] == [("R-1", "KM-001", win)]
    assert [e.at for e in child_timeline(s, km1)] == sorted(e.at for e in child_timeline(s, km1))
    assert all(not e.restricted for e in child_timeline(s, km1, restricted=False))
    assert {e.kind for e in child_timeline(s, km1, restricted=False)} == {"found", "registered"}


def test_another_layer_adds_events_to_the_timeline(case):
    s, ids = case
    child = s.get(Candidate, ids["KM-003", "R-2"]).found_child

    def custody(session, ch):
        yield TimelineEvent(child.created_at, "custody", {"step": 1})

    timeline_source(custody)
    try:
        assert "custody" in [e.kind for e in child_timeline(s, child)]
    finally:
        from reunite.cases import timeline
        timeline._SOURCES.remove(custody)


def test_flags_are_recorded_and_listed_with_their_source(case, tmp_path):
    s, ids = case
    confirm(s, ids["KM-003", "R-2"], outcome="referred_for_investigation")
    write(tmp_path / "more.csv", "report_number,child_name,sex,suspected_of_sale\nR-9,Zhao Lei,male,1\n")
    import_reports(s, tmp_path / "more.csv", user="Inspector Chen")
    got = {f.report.report_number: f for f in flagged_families(s, user="Inspector Chen")}
    assert set(got) == {"R-2", "R-9"}
    (r2,), (r9,) = got["R-2"].records, got["R-9"].records
    assert (r2.source, r2.actor, r2.details["candidate"]) == ("confirmation", "Inspector Chen", ids["KM-003", "R-2"])
    assert (r9.source, r9.details["file"]) == ("reports import", "more.csv")
    assert [c.id for c in got["R-2"].candidates] == sorted(ids[k] for k in ids if k[1] == "R-2")
    read = s.scalars(select(AuditEntry).where(AuditEntry.action == "suspected.read")).one()
    assert json.loads(read.details) == {"reports": 2} and "Zhao" not in read.details
    import_reports(s, tmp_path / "more.csv", user="Inspector Chen")      # flagged already: no second record
    assert len(flagged_families(s, user="Inspector Chen")[1].records) == 1
