"""The reports search as it was before its indexes (migration 0014): a case-insensitive substring
match (``ILIKE '%q%'``, wildcards escaped) on the number, the child's name and the place lost, by
report number, at most ``limit``.  Written out here on purpose, sharing nothing with
:func:`reunite.cases.queries.search_reports`, so that the indexed search can be compared with it."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from reunite.cases.models import MissingReport


def scan_reports(session: Session, q: str | None, limit: int = 200) -> list[str]:
    """Report numbers matching ``q`` by the plain scan."""
    query = select(MissingReport.report_number)
    if q:
        esc = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pat = f"%{esc}%"
        query = query.where(or_(MissingReport.report_number.ilike(pat, escape="\\"),
                                MissingReport.child_name.ilike(pat, escape="\\"),
                                MissingReport.disappeared_place.ilike(pat, escape="\\")))
    return list(session.scalars(query.order_by(MissingReport.report_number).limit(limit)))
