"""Read-only listings of the store: candidates (best first), one candidate, found children, missing-child
reports (searched through the indexes of migration 0017), users, rows per table."""

from __future__ import annotations

from sqlalchemy import Select, func, literal_column, or_, select, text
from sqlalchemy.orm import Session, selectinload

from ..errors import InputError
from . import db as store
from .models import CANDIDATE_STATUSES, Base, Candidate, FoundChild, MissingReport, User

__all__ = ["REPORT_SEARCH_COLUMNS", "get_candidate", "include_in_schema_comparison", "like_pattern", "list_candidates",
           "list_users", "search_children", "search_reports", "table_counts"]

#: The columns the reports search matches (a case-insensitive substring of any of them).
REPORT_SEARCH_COLUMNS = (MissingReport.report_number, MissingReport.child_name, MissingReport.disappeared_place)
#: The search objects of migration 0017, outside the models because they belong to one backend each:
#: the FTS5 table over the reports (SQLite; FTS5 adds its shadow tables ``…_data``, ``…_idx``, ...)
#: and the pg_trgm GIN indexes (PostgreSQL).
REPORTS_FTS = "missing_reports_fts"
TRIGRAM_INDEXES = frozenset(f"ix_missing_reports_{c.key}_trgm" for c in REPORT_SEARCH_COLUMNS)
#: Below this many characters a query has no trigram: the search scans (in report-number order,
#: stopping at the limit) as it always did.
TRIGRAM = 3
#: Up to this many rows found by the FTS5 table, the search reads just those rows; above, it scans.
FTS_ROWS = 2000


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


def search_reports(session: Session, q: str | None, *, within: Select | None = None, limit: int = 200,
                   indexed: bool = True) -> list[MissingReport]:
    """Missing-child reports (among ``within``, a select of the reports the caller may see; default
    all) whose number, child's name or place lost contains ``q`` (case-insensitively, ``%`` and
    ``_`` literal), by report number, at most ``limit``.

    The answer is that of the plain scan (``ILIKE '%q%'`` on the three columns); the indexes only
    find the rows faster.  On PostgreSQL the pg_trgm GIN indexes serve ``ILIKE`` itself.  On SQLite
    (whose ``ILIKE`` folds ASCII letters only, as its ``LIKE`` does, which is used instead) a query
    of 3 characters or more is first looked up in the FTS5 trigram table: its case folding covers
    ASCII's, so it finds every row the scan finds, and the ``LIKE`` keeps exactly those.  When more
    than :data:`FTS_ROWS` rows match, the scan in report-number order reaches the limit sooner than
    sorting them all would, and is used.  A query of 1 or 2 characters has no trigram: it is scanned.
    ``indexed=False`` skips the FTS5 lookup: the plain scan, which benchmarks/web_load.py times
    against the indexed search.
    """
    query = within if within is not None else select(MissingReport)
    if q:
        pat = like_pattern(q)
        sqlite = session.get_bind().dialect.name == "sqlite"
        match = (lambda c: c.like(pat, escape="\\")) if sqlite else (lambda c: c.ilike(pat, escape="\\"))
        query = query.where(or_(*(match(c) for c in REPORT_SEARCH_COLUMNS)))
        if indexed and sqlite and len(q) >= TRIGRAM:
            phrase = '"' + q.replace('"', '""') + '"'
            rowids = (select(literal_column("rowid")).select_from(text(REPORTS_FTS))
                      .where(text(f"{REPORTS_FTS} MATCH :phrase").bindparams(phrase=phrase)))
            found = session.scalar(select(func.count()).select_from(rowids.limit(FTS_ROWS + 1).subquery()))
            if found <= FTS_ROWS:
                query = query.where(MissingReport.id.in_(rowids))
    return list(session.scalars(query.order_by(MissingReport.report_number).limit(limit)))


def include_in_schema_comparison(obj, name: str | None, type_: str, reflected: bool, compare_to) -> bool:
    """Alembic's ``include_object``: leave the search objects of migration 0017 out of the comparison
    of the database with the models (they are not in the models: each belongs to one backend)."""
    if type_ == "table" and name and name.startswith(REPORTS_FTS):
        return False
    return not (type_ == "index" and name in TRIGRAM_INDEXES)


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
