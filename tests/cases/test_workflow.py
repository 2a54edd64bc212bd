"""The review workflow: legal and illegal transitions, reasons, roles, outcomes and the twins rule."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reunite.cases import WorkflowError, add_user, import_found, import_reports, record_candidate, review
from reunite.cases.models import AuditEntry, Candidate, Review
from reunite.cases.workflow import TRANSITIONS
from reunite.errors import InputError


@pytest.fixture
def wf(session, files):
    import_found(session, files["found"])
    import_reports(session, files["reports"])
    add_user(session, "Inspector Chen", "investigator")
    add_user(session, "Dr Liu", "lab_analyst")
    add_user(session, "Nurse Ma", "caseworker")
    return session


def cand(session, case, report, log10=6.0):
    c, _ = record_candidate(session, case, report, dna_log10_lr=log10, prior=0.01, commit=True)
    return c.id


def walk(session, cid, *steps, user="Inspector Chen"):
    for step in steps:
        to, _, outcome = step.partition(":")
        review(session, cid, to, user=user, reason=f"step to {to}", outcome=outcome or None)


def test_the_full_path_is_recorded(wf):
    cid = cand(wf, "KM-001", "R-1")
    walk(wf, cid, "under_review", "confirmation_requested")
    review(wf, cid, "confirmed", user="Dr Liu", reason="second sample, 23 markers, LR 10^12",
           outcome="referred_for_investigation")
    c = wf.get(Candidate, cid)
    assert (c.status, c.outcome) == ("confirmed", "referred_for_investigation")
    rows = wf.scalars(select(Review).where(Review.candidate_id == cid).order_by(Review.id)).all()
    assert [(r.from_status, r.to_status, r.user.name) for r in rows] == [
        ("new", "under_review", "Inspector Chen"), ("under_review", "confirmation_requested", "Inspector Chen"),
        ("confirmation_requested", "confirmed", "Dr Liu")]
    audit = wf.scalars(select(AuditEntry).where(AuditEntry.action == "candidate.review")).all()
    assert len(audit) == 3 and '"outcome":"referred_for_investigation"' in audit[-1].details


@pytest.mark.parametrize("path, illegal", [
    ([], "confirmed"),
    ([], "confirmation_requested"),
    ([], "excluded"),
    (["under_review"], "confirmed"),
    (["under_review", "excluded"], "confirmed"),
    (["under_review", "confirmation_requested", "confirmed:reunited"], "excluded"),
])
def test_illegal_transitions_are_refused(wf, path, illegal):
    cid = cand(wf, "KM-001", "R-1")
    walk(wf, cid, *path)
    status = wf.get(Candidate, cid).status
    with pytest.raises(WorkflowError, match=f"is {status}; it can move to .*not {illegal}"):
        review(wf, cid, illegal, user="Inspector Chen", reason="try", outcome="reunited"
               if illegal == "confirmed" else None)
    assert wf.get(Candidate, cid).status == status


def test_every_status_has_its_rules():
    from reunite.cases.models import CANDIDATE_STATUSES

    assert set(TRANSITIONS) == set(CANDIDATE_STATUSES)
    assert all(set(v) <= set(CANDIDATE_STATUSES) for v in TRANSITIONS.values())


def test_reopen_and_back_to_review(wf):
    cid = cand(wf, "KM-001", "R-1")
    walk(wf, cid, "under_review", "confirmation_requested", "under_review", "excluded", "under_review",
         "confirmation_requested", "confirmed:reunited", "under_review")
    c = wf.get(Candidate, cid)
    assert (c.status, c.outcome) == ("under_review", None)


def test_reason_user_role_and_outcome_are_required(wf):
    cid = cand(wf, "KM-001", "R-1")
    with pytest.raises(WorkflowError, match="a reason is required"):
        review(wf, cid, "under_review", user="Inspector Chen", reason="   ")
    with pytest.raises(WorkflowError, match="is not registered"):
        review(wf, cid, "under_review", user="nobody", reason="x")
    with pytest.raises(WorkflowError, match="is a caseworker"):
        review(wf, cid, "under_review", user="Nurse Ma", reason="x")
    with pytest.raises(WorkflowError, match="not one of"):
        review(wf, cid, "approved", user="Inspector Chen", reason="x")
    with pytest.raises(WorkflowError, match="only when confirming"):
        review(wf, cid, "under_review", user="Inspector Chen", reason="x", outcome="reunited")
    with pytest.raises(WorkflowError, match="there is no candidate"):
        review(wf, 999, "under_review", user="Inspector Chen", reason="x")
    walk(wf, cid, "under_review", "confirmation_requested")
    with pytest.raises(WorkflowError, match="needs an outcome"):
        review(wf, cid, "confirmed", user="Inspector Chen", reason="x")
    with pytest.raises(WorkflowError, match="outcome 'adopted'"):
        review(wf, cid, "confirmed", user="Inspector Chen", reason="x", outcome="adopted")
    assert wf.scalars(select(Review).where(Review.candidate_id == cid)).all()[-1].to_status == "confirmation_requested"
    assert issubclass(WorkflowError, InputError)


def test_a_report_is_confirmed_against_one_child_unless_twins(wf):
    a, b = cand(wf, "KM-001", "R-1"), cand(wf, "KM-002", "R-1")
    walk(wf, a, "under_review", "confirmation_requested", "confirmed:reunited")
    walk(wf, b, "under_review", "confirmation_requested")
    with pytest.raises(WorkflowError, match=r"report R-1 is already confirmed.*twins"):
        review(wf, b, "confirmed", user="Inspector Chen", reason="x", outcome="reunited")
    # R-3 is a report of twins: two children may be confirmed against it.
    t1, t2 = cand(wf, "KM-002", "R-3"), cand(wf, "KM-003", "R-3")
    walk(wf, t1, "under_review", "confirmation_requested", "confirmed:placed_in_care")
    walk(wf, t2, "under_review", "confirmation_requested", "confirmed:placed_in_care")
    assert wf.get(Candidate, t2).status == "confirmed"


def test_a_child_is_confirmed_against_one_report(wf):
    a, b = cand(wf, "KM-003", "R-2"), cand(wf, "KM-003", "R-3")
    walk(wf, a, "under_review", "confirmation_requested", "confirmed:reunited")
    walk(wf, b, "under_review", "confirmation_requested")
    with pytest.raises(WorkflowError, match="already confirmed as the child of another report"):
        review(wf, b, "confirmed", user="Inspector Chen", reason="x", outcome="reunited")
    walk(wf, a, "under_review")  # re-open the first: now the second may be confirmed
    walk(wf, b, "confirmed:reunited")


def test_record_candidate_is_idempotent_and_keeps_the_status(wf):
    c, what = record_candidate(wf, "KM-001", "R-1", dna_log10_lr=7.0, sex_lr=1.9, age_lr=2.0, time_lr=1.0,
                               prior=1 / 3, commit=True)
    assert what == "added" and c.dna_lr == pytest.approx(1e7) and c.posterior == pytest.approx(1, abs=1e-6)
    assert record_candidate(wf, "KM-001", "R-1", dna_log10_lr=7.0, sex_lr=1.9, age_lr=2.0, time_lr=1.0,
                            prior=1 / 3, commit=True)[1] == "unchanged"
    walk(wf, c.id, "under_review")
    c2, what = record_candidate(wf, "KM-001", "R-1", dna_log10_lr=8.0, commit=True)
    assert (what, c2.id, c2.status) == ("updated", c.id, "under_review")
    assert (c2.dna_lr, c2.sex_lr, c2.prior) == (pytest.approx(1e8), 1.9, 1 / 3)
    c3, _ = record_candidate(wf, "KM-001", "R-1", dna_log10_lr=-2.0, sex_lr=None, age_lr=None, time_lr=None,
                             commit=True)
    assert c3.posterior == pytest.approx(0.005 / 1.005)  # prior odds 1:2, LR 1/100
    with pytest.raises(InputError) as exc:
        record_candidate(wf, "KM-404", "R-404", dna_lr=3.0)
    assert len(exc.value.problems) == 2
