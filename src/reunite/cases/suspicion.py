"""The families flagged as suspected of the sale of their child, with the records of each flag.

A report is flagged (``suspected_of_sale``) by the reports import (its column), by the network
import (a parent recorded handing the child to the ring, :mod:`reunite.network.suspected`) or by a
confirmation referred for investigation (:mod:`reunite.cases.workflow`); each writes an audit entry
``report.suspected_of_sale``.  :func:`flagged_families` lists the flagged reports with those
records (source, date, who, and the codes the source gave), for investigators; reading the list is
audited (counts only).  A report flagged before these entries existed shows no record: its source
is unknown, which the list says.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .audit import append_audit
from .models import AuditEntry, Candidate, MissingReport

__all__ = ["FlagRecord", "FlaggedFamily", "flagged_families"]


@dataclass(frozen=True)
class FlagRecord:
    """Who flagged a report, when, and from what: ``source`` is ``reports import``, ``network`` or
    ``confirmation``; ``details`` the codes it gave (file, investigation, transfer, candidate)."""

    at: dt.datetime
    actor: str
    source: str
    details: dict[str, Any]


@dataclass(frozen=True)
class FlaggedFamily:
    """A flagged report, its flag records (oldest first) and its candidates (id, case, status)."""

    report: MissingReport
    records: list[FlagRecord] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)


def _source(details: dict[str, Any]) -> str:
    if "source" in details:
        return str(details["source"])
    return "network" if "transfer" in details or "investigation" in details else "unknown"


def flagged_families(session: Session, *, user: str, limit: int = 1000) -> list[FlaggedFamily]:
    """Every report flagged as suspected of the sale (by report number) with its flag records and
    candidates; the read is audited under ``user`` and committed."""
    reports = list(session.scalars(select(MissingReport).where(MissingReport.suspected_of_sale.is_(True))
                                   .options(selectinload(MissingReport.candidates))
                                   .order_by(MissingReport.report_number).limit(limit)))
    records: dict[str, list[FlagRecord]] = {}
    numbers = [r.report_number for r in reports]
    for i in range(0, len(numbers), 500):
        q = (select(AuditEntry).where(AuditEntry.action == "report.suspected_of_sale", AuditEntry.entity == "report",
                                      AuditEntry.entity_id.in_(numbers[i:i + 500])).order_by(AuditEntry.id))
        for e in session.scalars(q):
            details = json.loads(e.details or "{}")
            records.setdefault(e.entity_id, []).append(FlagRecord(e.at, e.actor, _source(details), details))
    append_audit(session, user, "suspected.read", entity="report", details={"reports": len(reports)})
    session.commit()
    return [FlaggedFamily(r, records.get(r.report_number, []), sorted(r.candidates, key=lambda c: c.id))
            for r in reports]
