"""The history of imports: one row per file imported, whatever its end (:class:`ImportRun`).

:func:`record_import_run` writes it when an import ends (the web's background jobs call it): who,
when it started and ended, the kind, the file's name, the counts, how it ended (``done``, ``failed``
with nothing stored, or ``stored`` when the rows were stored and the matching after them failed),
and for a failure the number of problems and the error's type, never a value of the file.
:func:`import_history` pages through them, newest first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import InputError, Problem
from .models import IMPORT_OUTCOMES, ImportRun, utcnow

__all__ = ["ImportHistory", "import_history", "record_import_run"]


def record_import_run(session: Session, *, kind: str, file_name: str, user: str, started_at: dt.datetime,
                      outcome: str, added: int = 0, updated: int = 0, unchanged: int = 0, problems: int = 0,
                      error: str | None = None) -> ImportRun:
    """Record one import's end (committed in its own transaction)."""
    if outcome not in IMPORT_OUTCOMES:
        raise InputError(Problem(f"outcome must be one of {', '.join(IMPORT_OUTCOMES)}", field="outcome"))
    run = ImportRun(kind=kind[:20], file_name=file_name[:200], user=user[:100], started_at=started_at,
                    finished_at=utcnow(), outcome=outcome, added=added, updated=updated, unchanged=unchanged,
                    problems=problems, error=(error or None) and error[:200])
    session.add(run)
    session.commit()
    return run


@dataclass(frozen=True)
class ImportHistory:
    """One page of the history: its runs (newest first), the total and the page asked for."""

    runs: list[ImportRun]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """The number of pages (at least 1)."""
        return max(1, -(-self.total // self.per_page))


def import_history(session: Session, *, page: int = 1, per_page: int = 20, user: str | None = None) -> ImportHistory:
    """Page ``page`` of the imports (only ``user``'s if given), newest first (the id breaks ties)."""
    problems = []
    if not 1 <= page <= 10**6:
        problems.append(Problem("page is a whole number from 1", field="page"))
    if not 1 <= per_page <= 200:
        problems.append(Problem("per_page is a whole number from 1 to 200", field="per_page"))
    if problems:
        raise InputError(problems)
    q = select(ImportRun)
    if user is not None:
        q = q.where(ImportRun.user == user)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    runs = session.scalars(q.order_by(ImportRun.finished_at.desc(), ImportRun.id.desc())
                           .offset((page - 1) * per_page).limit(per_page))
    return ImportHistory(list(runs), total, page, per_page)
