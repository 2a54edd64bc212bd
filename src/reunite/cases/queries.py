"""Read-only listings of the store: candidates (best first), one candidate, found children, users,
rows per table."""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from ..errors import InputError
from . import db as store
from .models import CANDIDATE_STATUSES, Base, Candidate, FoundChild, MissingReport, User

__all__ = ["get_candidate", "like_pattern", "list_candidates", "list_users", "search_children", "table_counts"]


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its wildcards escaped (with ``\\``)."""
    text = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{text}%"


def search_children(session: Session, q: str | None, *, within: Select | None = None,
                    limit: int = 200) -> list[FoundChild]:
    """Found children (among ``within``, a select of the children the caller may see; default all)
    whose case number, place, care location or ring matches ``q``, by case number."""
    query = within if within is not None else select(FoundChild)
    if q:
        pat = like_pattern(q)
        query = query.where(or_(FoundChild.case_number.ilike(pat, escape="\\"),
                                FoundChild.found_place.ilike(pat, escape="\\"),
                                FoundChild.care_location.ilike(pat, escape="\\"),
                                FoundChild.ring_reference.ilike(pat, escape="\\")))
    return list(session.scalars(query.options(selectinload(FoundChild.photos))
                                .order_by(FoundChild.case_number).limit(limit)))


def list_candidates(session: Session, status: str | None = None) -> list[tuple[Candidate, str, str]]:
    """Candidates (only those of ``status`` if given) with their case and report numbers, best
    posterior first, then best DNA LR, then by id."""
    if status is not None and status not in CANDIDATE_STATUSES:
        raise InputError(f"status {status!r} is not one of {', '.join(CANDIDATE_STATUSES)}")
    q = (select(Candidate, FoundChild.case_number, MissingReport.report_number)
         .join(FoundChild, Candidate.found_child_id == FoundChild.id)
         .join(MissingReport, Candidate.report_id == MissingReport.id))
    if status:
        q = q.where(Candidate.status == status)
    q = q.order_by(Candidate.posterior.desc().nulls_last(), Candidate.dna_log10_lr.desc().nulls_last(),
                   Candidate.id)
    return [(c, case, rep) for c, case, rep in session.execute(q).all()]


def get_candidate(session: Session, candidate_id: int) -> Candidate:
    """Candidate ``candidate_id``; an :class:`InputError` if there is none."""
    c = session.get(Candidate, candidate_id)
    if c is None:
        raise InputError(f"there is no candidate {candidate_id}")
    return c


def list_users(session: Session) -> list[User]:
    """Every registered user, by name."""
    return list(session.scalars(select(User).order_by(User.name)).all())


def table_counts(url: str | None = None) -> list[tuple[str, int]]:
    """(table, number of rows) of every table of the store, by table name."""
    with store.make_engine(url).connect() as conn:
        return [(name, conn.execute(select(func.count()).select_from(table)).scalar_one())
                for name, table in sorted(Base.metadata.tables.items())]
