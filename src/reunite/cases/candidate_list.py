"""The candidate list as investigators and lab analysts work through it: filtered, sorted, paged.

A :class:`CandidateQuery` says what to list: DNA candidates or the pairs without DNA (listed apart:
whose DNA to ask for first; non-DNA evidence never ranks a pair among the DNA candidates), the
review status, a range of the DNA likelihood ratio (log10), families flagged as suspected of the
sale, the found child's care place (unit), the sort (posterior, DNA LR, date found) and the page.
Every public entry validates its input once and reports every problem together, naming the field;
the order is total (the id breaks ties) so that pages neither repeat nor skip a candidate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from ..errors import InputError, Problem
from .models import CANDIDATE_STATUSES, Candidate, FoundChild, MissingReport, Review

__all__ = ["MAX_PER_PAGE", "ORDERS", "SORTS", "CandidatePage", "CandidateQuery", "care_places",
           "list_candidate_page", "parse_candidate_query"]

#: What the list can be sorted by: the posterior, the DNA likelihood ratio, the date the pair was found.
SORTS = ("posterior", "lr", "date")
#: Best or newest first (``desc``, the default), or the other way round.
ORDERS = ("desc", "asc")
#: The most candidates on one page.
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class CandidateQuery:
    """What to list.  ``dna``: True, DNA candidates only; False, pairs without DNA only; None, both
    (DNA candidates first).  ``min_log10_lr``/``max_log10_lr``: the DNA LR's range (log10, inclusive;
    a pair without DNA has none, so a range leaves only DNA candidates).  ``suspected_of_sale``: only
    flagged families (True) or only the others (False).  ``unit``: the found child's care place."""

    dna: bool | None = True
    status: str | None = None
    min_log10_lr: float | None = None
    max_log10_lr: float | None = None
    suspected_of_sale: bool | None = None
    unit: str | None = None
    sort: str = "posterior"
    order: str = "desc"
    page: int = 1
    per_page: int = 25

    def __post_init__(self):
        problems = []
        if self.status is not None and self.status not in CANDIDATE_STATUSES:
            problems.append(Problem(f"status must be one of {', '.join(CANDIDATE_STATUSES)}", field="status",
                                    code="filter_status", params={"values": ", ".join(CANDIDATE_STATUSES)}))
        for name in ("min_log10_lr", "max_log10_lr"):
            v = getattr(self, name)
            if v is not None and not math.isfinite(v):
                problems.append(Problem("a log10 likelihood ratio is a finite number", field=name, code="filter_lr"))
        if (self.min_log10_lr is not None and self.max_log10_lr is not None
                and self.min_log10_lr > self.max_log10_lr):
            problems.append(Problem("the lowest log10 LR is above the highest", field="min_log10_lr",
                                    code="filter_lr_order"))
        if self.unit is not None and not 1 <= len(self.unit) <= 200:
            problems.append(Problem("a unit is 1 to 200 characters long", field="unit", code="filter_unit"))
        if self.sort not in SORTS:
            problems.append(Problem(f"sort must be one of {', '.join(SORTS)}", field="sort", code="filter_one_of",
                                    params={"values": ", ".join(SORTS)}))
        if self.order not in ORDERS:
            problems.append(Problem(f"order must be one of {', '.join(ORDERS)}", field="order", code="filter_one_of",
                                    params={"values": ", ".join(ORDERS)}))
        if not 1 <= self.page <= 10**6:
            problems.append(Problem("page is a whole number from 1", field="page", code="filter_page"))
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            problems.append(Problem(f"per_page is a whole number from 1 to {MAX_PER_PAGE}", field="per_page",
                                    code="filter_per_page", params={"max": MAX_PER_PAGE}))
        if problems:
            raise InputError(problems)


_BOOLS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def parse_candidate_query(params: Mapping[str, str | None]) -> CandidateQuery:
    """A :class:`CandidateQuery` from text parameters (a page's query string; blank: not given).
    Raises :class:`InputError` with every problem, by field (an unknown parameter is one)."""
    problems: list[Problem] = []
    known = {f.name for f in fields(CandidateQuery)}
    values: dict = {}
    for name, raw in params.items():
        text = (raw or "").strip()
        if name not in known:
            problems.append(Problem("is not a filter of the candidate list", field=name, code="filter_unknown"))
        elif text:
            try:
                values[name] = _convert(name, text)
            except ValueError:
                problems.append(Problem(_EXPECTED[name], field=name, code=_EXPECTED_CODES[name]))
    try:
        query = CandidateQuery(**values)
    except InputError as exc:
        problems += [p for p in exc.problems if p.field not in {q.field for q in problems}]
        query = None
    if problems:
        raise InputError(problems)
    return query


#: What a parameter that cannot be converted should be (text parameters always convert).
_EXPECTED = {"dna": "dna is true or false", "suspected_of_sale": "suspected_of_sale is true or false",
             "min_log10_lr": "a log10 likelihood ratio is a number",
             "max_log10_lr": "a log10 likelihood ratio is a number",
             "page": "page is a whole number from 1", "per_page": "per_page is a whole number"}
_EXPECTED_CODES = {"dna": "filter_bool", "suspected_of_sale": "filter_bool", "min_log10_lr": "filter_lr",
                   "max_log10_lr": "filter_lr", "page": "filter_page", "per_page": "filter_whole"}


def _convert(name: str, text: str):
    if name in ("dna", "suspected_of_sale"):
        if text.lower() not in _BOOLS:
            raise ValueError(text)
        return _BOOLS[text.lower()]
    if name in ("min_log10_lr", "max_log10_lr"):
        return float(text)
    if name in ("page", "per_page"):
        if not text.isdigit() or len(text) > 7:
            raise ValueError(text)
        return int(text)
    return text


@dataclass(frozen=True)
class CandidatePage:
    """One page of the list: its candidates, how many match in all, and how many DNA candidates and
    pairs without DNA match the other filters (for the two tabs)."""

    query: CandidateQuery
    items: list[Candidate]
    total: int
    with_dna: int
    without_dna: int

    @property
    def pages(self) -> int:
        """The number of pages (at least 1)."""
        return max(1, math.ceil(self.total / self.query.per_page))


def _filtered(q: CandidateQuery) -> Select:
    s = (select(Candidate).join(FoundChild, Candidate.found_child_id == FoundChild.id)
         .join(MissingReport, Candidate.report_id == MissingReport.id))
    if q.status is not None:
        s = s.where(Candidate.status == q.status)
    if q.min_log10_lr is not None:
        s = s.where(Candidate.dna_log10_lr >= q.min_log10_lr)
    if q.max_log10_lr is not None:
        s = s.where(Candidate.dna_log10_lr <= q.max_log10_lr)
    if q.suspected_of_sale is not None:
        s = s.where(MissingReport.suspected_of_sale.is_(q.suspected_of_sale))
    if q.unit is not None:
        s = s.where(FoundChild.care_location == q.unit)
    return s


def _order(q: CandidateQuery) -> list:
    desc = q.order == "desc"

    def by(col):
        return (col.desc() if desc else col.asc()).nulls_last()

    keys = {"posterior": [by(Candidate.posterior), by(Candidate.dna_log10_lr)],
            "lr": [by(Candidate.dna_log10_lr), by(Candidate.posterior)],
            "date": [by(Candidate.created_at)]}[q.sort]
    first = [Candidate.has_dna.desc()] if q.dna is None else []
    return [*first, *keys, Candidate.id.desc() if desc and q.sort == "date" else Candidate.id.asc()]


def _count(session: Session, s: Select) -> int:
    return session.scalar(select(func.count()).select_from(s.with_only_columns(Candidate.id).subquery())) or 0


def list_candidate_page(session: Session, query: CandidateQuery | None = None) -> CandidatePage:
    """One page of candidates matching ``query`` (default: DNA candidates, best posterior first)."""
    q = query or CandidateQuery()
    base = _filtered(q)
    with_dna = _count(session, base.where(Candidate.has_dna))
    without_dna = _count(session, base.where(~Candidate.has_dna))
    total = {True: with_dna, False: without_dna, None: with_dna + without_dna}[q.dna]
    rows = base if q.dna is None else base.where(Candidate.has_dna if q.dna else ~Candidate.has_dna)
    rows = (rows.options(selectinload(Candidate.evidence), selectinload(Candidate.found_child),
                         selectinload(Candidate.report),
                         selectinload(Candidate.reviews).selectinload(Review.user))
            .order_by(*_order(q)).offset((q.page - 1) * q.per_page).limit(q.per_page))
    return CandidatePage(q, list(session.scalars(rows)), total, with_dna, without_dna)


def care_places(session: Session) -> list[str]:
    """The care places (units) of found children with candidates, by name, for the list's filter."""
    s = (select(FoundChild.care_location).join(Candidate, Candidate.found_child_id == FoundChild.id)
         .where(FoundChild.care_location.is_not(None)).distinct().order_by(FoundChild.care_location))
    return [p for p in session.scalars(s) if p]

