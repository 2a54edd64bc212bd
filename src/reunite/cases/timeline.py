"""The timeline of a found child: what happened to their case, oldest first.

Each event comes from a *source*, a function ``(session, child) -> iterable of TimelineEvent``
registered with :func:`timeline_source`.  Reunite's own sources give: the child found and registered,
every audit entry about the child (photos, appeals), every review of the child's candidates (the
competitors closed by a confirmation among them) and the report closed by it.  Another layer adds
its own events by registering a source (e.g. the chain of custody of the network), without this
module knowing it; a source must return codes and counts only (no names: the events are shown to
staff and written to no log).

An event's ``kind`` names its words on the page (``timeline.<kind>`` in the catalogues, with
``values`` as placeholders); ``restricted`` events (candidates, reports, DNA) are shown only to
the roles that may see candidates.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Appeal, AuditEntry, Candidate, FoundChild, MissingReport, Review

__all__ = ["TimelineEvent", "child_timeline", "timeline_source"]


@dataclass(frozen=True)
class TimelineEvent:
    """One event: when, what (``kind`` and its ``values``), who, and whether only the roles that see
    candidates may see it."""

    at: dt.datetime
    kind: str
    values: dict[str, Any] = field(default_factory=dict)
    actor: str | None = None
    restricted: bool = False


Source = Callable[[Session, FoundChild], Iterable[TimelineEvent]]
_SOURCES: list[Source] = []


def timeline_source(fn: Source) -> Source:
    """Register ``fn`` as a source of a found child's timeline events (usable as a decorator)."""
    if fn not in _SOURCES:
        _SOURCES.append(fn)
    return fn


def child_timeline(session: Session, child: FoundChild, *, restricted: bool = True) -> list[TimelineEvent]:
    """Every event of ``child``'s case from every registered source, oldest first (``restricted``
    False: without the events only the roles that see candidates may see)."""
    events = [e for source in _SOURCES for e in source(session, child) if restricted or not e.restricted]
    return sorted(events, key=lambda e: (e.at, e.kind))


def _midnight(d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time())


@timeline_source
def _found_and_registered(session: Session, child: FoundChild) -> Iterable[TimelineEvent]:
    if child.found_on is not None:
        yield TimelineEvent(_midnight(child.found_on), "found", {"place": child.found_place or "–"})
    if child.created_at is not None:
        yield TimelineEvent(child.created_at, "registered", {"case": child.case_number})


@timeline_source
def _audited(session: Session, child: FoundChild) -> Iterable[TimelineEvent]:
    """Audit entries about the child, or about its appeal."""
    appeal_ids = [str(i) for i in session.scalars(select(Appeal.id).where(Appeal.found_child_id == child.id))]
    q = select(AuditEntry).where(((AuditEntry.entity == "found_child") & (AuditEntry.entity_id == child.case_number))
                                 | ((AuditEntry.entity == "appeal") & AuditEntry.entity_id.in_(appeal_ids)
                                    & AuditEntry.action.in_(("appeal.publish", "appeal.unpublish"))))
    for e in session.scalars(q.order_by(AuditEntry.id).limit(500)):
        yield TimelineEvent(e.at, "audit", {"action": e.action}, e.actor)


@timeline_source
def _reviews(session: Session, child: FoundChild) -> Iterable[TimelineEvent]:
    """Every review of the child's candidates; a closure says which confirmation closed it."""
    q = (select(Review, Candidate, MissingReport.report_number).join(Candidate, Review.candidate_id == Candidate.id)
         .join(MissingReport, Candidate.report_id == MissingReport.id)
         .where(Candidate.found_child_id == child.id).order_by(Review.id))
    for rv, cand, report in session.execute(q):
        values = {"candidate": cand.id, "report": report, "status": rv.to_status, "outcome": rv.outcome}
        if rv.to_status == "closed" and cand.closed_by is not None and rv.id == cand.reviews[-1].id:
            by = cand.closed_by
            values.update(by=by.id, by_report=by.report.report_number, by_child=by.found_child.case_number)
            kind = "closed_child" if by.found_child_id == child.id else "closed_report"
        else:
            kind = "review"
        yield TimelineEvent(rv.at, kind, values, rv.user.name, restricted=True)


@timeline_source
def _reports_closed(session: Session, child: FoundChild) -> Iterable[TimelineEvent]:
    """The report closed by the confirmation of one of the child's candidates."""
    rows = session.execute(select(Candidate.id, MissingReport.report_number)
                           .join(MissingReport, Candidate.report_id == MissingReport.id)
                           .where(Candidate.found_child_id == child.id)).all()
    ids, numbers = {str(i) for i, _ in rows}, sorted({n for _, n in rows})
    if not rows:
        return
    for e in session.scalars(select(AuditEntry).where(AuditEntry.action.in_(("report.close", "report.reopen")),
                                                      AuditEntry.entity == "report",
                                                      AuditEntry.entity_id.in_(numbers)).order_by(AuditEntry.id)):
        details = json.loads(e.details or "{}")
        if str(details.get("candidate")) in ids:
            kind = "report_closed" if e.action == "report.close" else "report_reopened"
            yield TimelineEvent(e.at, kind, {"report": e.entity_id, "candidate": details["candidate"]}, e.actor,
                                restricted=True)
