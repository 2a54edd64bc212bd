"""The review workflow of a candidate match, from ``new`` to ``confirmed`` or ``excluded``.

======================  ===========================================================
from                    to
======================  ===========================================================
new                     under_review
under_review            confirmation_requested, excluded
confirmation_requested  confirmed, excluded, under_review (inconclusive)
confirmed               under_review (re-opened on new evidence)
excluded                under_review (re-opened on new evidence)
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
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError, Problem
from .audit import append_audit
from .models import CANDIDATE_STATUSES, OUTCOMES, Candidate, FoundChild, MissingReport, Review
from .records import get_user

__all__ = ["REVIEWER_ROLES", "TRANSITIONS", "WorkflowError", "allowed_transitions", "review"]

#: Status -> the statuses a candidate may move to from it.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("under_review",),
    "under_review": ("confirmation_requested", "excluded"),
    "confirmation_requested": ("confirmed", "excluded", "under_review"),
    "confirmed": ("under_review",),
    "excluded": ("under_review",),
}

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
    rv = Review(candidate_id=cand.id, from_status=before, to_status=to, outcome=outcome, user_id=who.id,
                reason=reason)
    session.add(rv)
    session.flush()
    append_audit(session, who.name, "candidate.review", entity="candidate", entity_id=cand.id,
                 details={"review_id": rv.id, "from": before, "to": to, "outcome": outcome, "reason": reason})
    return rv


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
