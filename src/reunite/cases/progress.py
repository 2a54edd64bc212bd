"""The steps of a case as a family, or a grown child searching for their own family, follows them.

A family's report goes through :data:`REPORT_STEPS`: reported → relatives named → sample given →
profile typed → searched → candidate under review → outcome.  A self-registered search (寻家,
:mod:`reunite.cases.selfsearch`) goes through :data:`SELF_STEPS`: registered → DNA consent → sample
given → profile typed → searched → candidate under review → outcome.  Each step is ``done``, ``current``
(the first not done: what happens next) or ``todo``; the portal words them plainly, in the family's
language, and never shows an LR, a genotype or another family.

What each step reads from the store:

- *relatives named*: a relative who agreed to give DNA (``consent_given``);
- *sample given*: a sample code recorded for such a relative (the lab registered their swab); for the
  self-registered child, whose code is given at consent, the lab's record of that sample;
- *profile typed*: a stored, not erased DNA profile with at least one marker for one of those samples;
- *searched*: a profile is typed and no matching is owed (:func:`reunite.cases.state.is_matching_owed`):
  the matching has run since the profile came in;
- *candidate under review*: a candidate of the report (of the child) under review, confirmation
  requested or confirmed;
- *outcome*: a candidate confirmed, or the report closed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import DnaSample, FoundChild, MissingReport
from .state import is_matching_owed

__all__ = ["REPORT_STEPS", "SELF_STEPS", "Step", "report_steps", "self_search_steps"]

REPORT_STEPS = ("reported", "relatives_named", "sample_given", "profile_typed", "searched", "under_review",
                "outcome")
SELF_STEPS = ("registered", "dna_consent", "sample_given", "profile_typed", "searched", "under_review", "outcome")
_REVIEWED = ("under_review", "confirmation_requested", "confirmed")


@dataclass(frozen=True)
class Step:
    """One step of a case: its name (one of :data:`REPORT_STEPS` or :data:`SELF_STEPS`) and its state,
    ``done``, ``current`` (what happens next) or ``todo``."""

    name: str
    state: str


def _typed(session: Session, samples: list[str]) -> bool:
    if not samples:
        return False
    rows = session.scalars(select(DnaSample).where(DnaSample.sample.in_(samples), DnaSample.erased.is_(False)))
    return any(r.marker_count for r in rows)


def _steps(names: tuple[str, ...], done: list[bool]) -> list[Step]:
    # a step counts as done only when every step before it is (a later fact does not skip the queue)
    out, ok = [], True
    for name, d in zip(names, done, strict=True):
        ok = ok and d
        out.append(Step(name, "done" if ok else "todo"))
    first = next((i for i, s in enumerate(out) if s.state == "todo"), None)
    if first is not None:
        out[first] = Step(out[first].name, "current")
    return out


def report_steps(session: Session, report: MissingReport) -> list[Step]:
    """The steps of a family's report (see the module docstring)."""
    consenting = [d for d in report.relatives if d.consent_given]
    samples = [d.sample for d in consenting if d.sample]
    samples += [m.sample for m in report.pedigree if m.sample and not m.missing]
    typed = _typed(session, samples)
    statuses = {c.status for c in report.candidates}
    return _steps(REPORT_STEPS, [True, bool(consenting), bool(samples), typed,
                                 typed and not is_matching_owed(session), bool(statuses & set(_REVIEWED)),
                                 "confirmed" in statuses or report.status == "closed"])


def self_search_steps(session: Session, child: FoundChild) -> list[Step]:
    """The steps of a self-registered search (see the module docstring)."""
    consent = child.dna_consent_at is not None
    received = consent and child.sample is not None and session.scalars(
        select(DnaSample.id).where(DnaSample.sample == child.sample)).first() is not None
    typed = received and _typed(session, [child.sample])
    statuses = {c.status for c in child.candidates}
    return _steps(SELF_STEPS, [True, consent, received, typed,
                               typed and not is_matching_owed(session), bool(statuses & set(_REVIEWED)),
                               "confirmed" in statuses])
