"""The review workflow of a candidate match, from ``new`` to ``confirmed`` or ``excluded``.

======================  ===========================================================
from                    to
======================  ===========================================================
new                     under_review
under_review            confirmation_requested, excluded
confirmation_requested  confirmed, excluded, under_review (inconclusive)
confirmed               under_review (re-opened on new evidence)
excluded                under_review (re-opened on new evidence)
closed                  under_review (re-opened by hand)
======================  ===========================================================

``confirmation_requested`` asks for a second, independent sample or an extended marker set.  From
there the candidate is confirmed, excluded, or sent back to review (the confirmation was
inconclusive).  A confirmed or excluded candidate can be re-opened (back to ``under_review``)
when new evidence appears; the history stays in ``reviews`` and the audit log.

Every transition is made by a registered investigator or lab analyst with a non-empty reason.
Confirming records the outcome: ``reunited``, ``referred_for_investigation`` (the family is
suspected of having sold the child) or ``placed_in_care``.  A report cannot be confirmed against
two children unless it is marked ``multiple_missing`` (twins, siblings taken together), and a
child cannot be confirmed against two reports.

A confirmation finishes the case.  The competing candidates still open (``new``, ``under_review``,
``confirmation_requested``) of the same child, and of the same report unless it is
``multiple_missing``, become ``closed``, each with a review saying why ("the found child was
confirmed as the child of report R" / "report R was confirmed to found child C") and
``closed_by`` naming the confirmed candidate; the report is closed (not a ``multiple_missing``
one: its other children may still be found); a confirmation whose outcome is
``referred_for_investigation`` flags the report ``suspected_of_sale``.  Re-opening the confirmed
candidate re-opens what it closed (the candidates go back to ``under_review``, the report is open
again unless another confirmation holds it).  Every step is a review and an audit entry, in the
confirmation's transaction.  Nobody moves a candidate to ``closed`` by hand.
"""

from __future__ import annotations

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from ..errors import InputError, Problem
from .audit import append_audit
from .models import CANDIDATE_STATUSES, OUTCOMES, Candidate, FoundChild, MissingReport, Review, User
from .records import get_user

__all__ = ["OPEN_STATUSES", "REVIEWER_ROLES", "TRANSITIONS", "WorkflowError", "allowed_transitions", "review"]

#: Status -> the statuses a candidate may move to from it.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("under_review",),
    "under_review": ("confirmation_requested", "excluded"),
    "confirmation_requested": ("confirmed", "excluded", "under_review"),
    "confirmed": ("under_review",),
    "excluded": ("under_review",),
    "closed": ("under_review",),
}

#: The statuses of a candidate still waiting for a decision (what a confirmation closes).
OPEN_STATUSES = ("new", "under_review", "confirmation_requested")

#: Roles that may review candidates.
REVIEWER_ROLES = ("investigator", "lab_analyst")


class WorkflowError(InputError):
    """A review step that the workflow does not allow (it says which ones it does)."""


def allowed_transitions(status: str) -> tuple[str, ...]:
    """The statuses a candidate in ``status`` may move to."""
    return TRANSITIONS.get(status, ())


def review(session: Session, candidate_id: int, to: str, *, user: str, reason: str, outcome: str | None = None,
           commit: bool = True) -> Review:
    """Move candidate ``candidate_id`` to status ``to``; record the review and an audit entry.

    Raises :class:`WorkflowError` (nothing written) for an unknown candidate or user, a user whose
    role may not review, an empty reason, an illegal transition, a missing or misplaced outcome,
    or a confirmation that would give a report (not marked ``multiple_missing``) two children
    or a child two reports.
    """
    try:
        rv = _review(session, candidate_id, to, user=user, reason=reason, outcome=outcome)
        if commit:
            session.commit()
        return rv
    except BaseException:
        session.rollback()
        raise


def _review(session: Session, candidate_id: int, to: str, *, user: str, reason: str,
            outcome: str | None) -> Review:
    cand = session.get(Candidate, candidate_id, with_for_update=True)
    if cand is None:
        raise WorkflowError(Problem(f"there is no candidate {candidate_id}", field="candidate"))
    problems: list[Problem] = []
    if to not in CANDIDATE_STATUSES:
        problems.append(Problem(f"status {to!r} is not one of {', '.join(CANDIDATE_STATUSES)}", field="to"))
    who = get_user(session, user) if user else None
    if who is None:
        problems.append(Problem(f"user {user!r} is not registered; add them with `reunite users add`", field="user"))
    elif who.role not in REVIEWER_ROLES:
        problems.append(Problem(f"user {user!r} is a {who.role}; only an investigator or a lab analyst may review "
                                f"candidates", field="user"))
    reason = (reason or "").strip()
    if not reason:
        problems.append(Problem("a reason is required for every review decision", field="reason"))
    if to in CANDIDATE_STATUSES and to not in allowed_transitions(cand.status):
        allowed = " or ".join(allowed_transitions(cand.status)) or "nothing"
        problems.append(Problem(f"candidate {cand.id} is {cand.status}; it can move to {allowed}, not {to}",
                                field="to"))
    if to == "confirmed":
        if outcome is None:
            problems.append(Problem(f"confirming needs an outcome: {', '.join(OUTCOMES)}", field="outcome"))
        elif outcome not in OUTCOMES:
            problems.append(Problem(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}", field="outcome"))
    elif outcome is not None:
        problems.append(Problem("an outcome is recorded only when confirming", field="outcome"))
    if to == "confirmed" and not problems:
        problems.extend(_confirmation_conflicts(session, cand))
    if problems:
        raise WorkflowError(problems)

    before = cand.status
    cand.status = to
    cand.outcome = outcome if to == "confirmed" else None
    if before == "closed":
        cand.closed_by_id = None
    rv = Review(candidate_id=cand.id, from_status=before, to_status=to, outcome=outcome, user_id=who.id,
                reason=reason)
    session.add(rv)
    session.flush()
    append_audit(session, who.name, "candidate.review", entity="candidate", entity_id=cand.id,
                 details={"review_id": rv.id, "from": before, "to": to, "outcome": outcome, "reason": reason})
    if to == "confirmed":
        _finish_case(session, cand, who, outcome)
    elif before == "confirmed":
        _reopen_case(session, cand, who)
    return rv


def _finish_case(session: Session, cand: Candidate, who: User, outcome: str) -> None:
    """Close the competitors of a confirmed candidate and its report; flag a family referred for
    investigation as suspected of the sale."""
    report, child = cand.report, cand.found_child
    same_report = (Candidate.report_id == cand.report_id) if not report.multiple_missing else false()
    rivals = session.scalars(select(Candidate).where(
        Candidate.id != cand.id, Candidate.status.in_(OPEN_STATUSES),
        (Candidate.found_child_id == cand.found_child_id) | same_report).order_by(Candidate.id)).all()
    for other in rivals:
        if other.found_child_id == cand.found_child_id:
            why, reason = "child_confirmed", (f"closed: found child {child.case_number} was confirmed as the child "
                                              f"of report {report.report_number} (candidate {cand.id})")
        else:
            why, reason = "report_confirmed", (f"closed: report {report.report_number} was confirmed to found child "
                                               f"{child.case_number} (candidate {cand.id})")
        _move(session, other, "closed", who, reason, action="candidate.close",
              details={"closed_by": cand.id, "why": why})
        other.closed_by_id = cand.id
    if not report.multiple_missing and report.status != "closed":
        report.status = "closed"
        append_audit(session, who.name, "report.close", entity="report", entity_id=report.report_number,
                     details={"candidate": cand.id, "case_number": child.case_number})
    if outcome == "referred_for_investigation" and not report.suspected_of_sale:
        report.suspected_of_sale = True
        append_audit(session, who.name, "report.suspected_of_sale", entity="report", entity_id=report.report_number,
                     details={"source": "confirmation", "candidate": cand.id})
    session.flush()


def _reopen_case(session: Session, cand: Candidate, who: User) -> None:
    """Undo :func:`_finish_case` when a confirmation is re-opened (the suspicion flag stays: an
    investigator lifts it)."""
    closed = session.scalars(select(Candidate).where(Candidate.closed_by_id == cand.id,
                                                     Candidate.status == "closed").order_by(Candidate.id)).all()
    for other in closed:
        _move(session, other, "under_review", who, f"re-opened: the confirmation of candidate {cand.id} was re-opened",
              action="candidate.reopen", details={"closed_by": cand.id})
        other.closed_by_id = None
    report = cand.report
    held = session.scalars(select(Candidate.id).where(Candidate.report_id == report.id, Candidate.id != cand.id,
                                                      Candidate.status == "confirmed")).first()
    if report.status == "closed" and held is None:
        report.status = "open"
        append_audit(session, who.name, "report.reopen", entity="report", entity_id=report.report_number,
                     details={"candidate": cand.id})
    session.flush()


def _move(session: Session, cand: Candidate, to: str, who: User, reason: str, *, action: str, details: dict) -> None:
    """A status change made by the workflow itself (in a confirmation's transaction): a review and an audit entry."""
    rv = Review(candidate_id=cand.id, from_status=cand.status, to_status=to, outcome=None, user_id=who.id,
                reason=reason)
    cand.status, cand.outcome = to, None
    session.add(rv)
    session.flush()
    append_audit(session, who.name, action, entity="candidate", entity_id=cand.id,
                 details={"review_id": rv.id, "from": rv.from_status, "to": to, **details})


def _confirmation_conflicts(session: Session, cand: Candidate) -> list[Problem]:
    # Lock the report and the child so that two confirmations cannot race past this check.
    report = session.get(MissingReport, cand.report_id, with_for_update=True)
    session.get(FoundChild, cand.found_child_id, with_for_update=True)
    problems = []
    others = session.scalars(select(Candidate).where(Candidate.status == "confirmed", Candidate.id != cand.id,
                                                     (Candidate.report_id == cand.report_id)
                                                     | (Candidate.found_child_id == cand.found_child_id))).all()
    for o in others:
        if o.found_child_id == cand.found_child_id:
            problems.append(Problem(
                f"the found child of candidate {cand.id} is already confirmed as the child of another report "
                f"(candidate {o.id}); re-open that candidate first", field="to"))
        elif not report.multiple_missing:
            problems.append(Problem(
                f"report {report.report_number} is already confirmed against another found child (candidate "
                f"{o.id}); only a report marked as multiple missing children (twins) may have two",
                field="to"))
    return problems
