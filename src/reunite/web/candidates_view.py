"""The candidate list page (``/candidates``): DNA candidates and pairs without DNA on two tabs,
filters, sorting and pages (the list itself is :mod:`reunite.cases.candidate_list`); the families
flagged as suspected of the sale (``/suspected-families``, :mod:`reunite.cases.suspicion`)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from ..cases.candidate_list import (
    ORDERS,
    SORTS,
    CandidateQuery,
    care_places,
    list_candidate_page,
    parse_candidate_query,
)
from ..cases.models import CANDIDATE_STATUSES, User
from ..cases.suspicion import flagged_families
from ..errors import InputError
from . import views
from .access import authorize, current_user, get_db
from .responses import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False, dependencies=[Depends(authorize)])

DB = Annotated[Session, Depends(get_db)]
Me = Annotated[User | None, Depends(current_user)]
#: Parameters the page keeps in its links (the language is kept by the session).
_PARAMS = ("dna", "status", "min_log10_lr", "max_log10_lr", "suspected_of_sale", "unit", "sort", "order", "page",
           "per_page")


def _link(params: dict[str, str], **changes) -> str:
    """The list's address with ``params`` changed (a change of filter goes back to page 1)."""
    merged = {**params, **{k: str(v) for k, v in changes.items()}}
    if "page" not in changes:
        merged.pop("page", None)
    return "/candidates?" + urlencode({k: v for k, v in merged.items() if v not in ("", None)})


@router.get("/candidates")
def candidate_list(request: Request, db: DB):
    """The list, as the query string asks; bad filters are shown next to the form (400), not a 422."""
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    problems: list[dict] = []
    try:
        query = parse_candidate_query(params)
    except InputError as exc:
        problems = [p.as_dict() for p in exc.problems]
        query = CandidateQuery()
    got = list_candidate_page(db, query)
    kept = {k: v for k, v in params.items() if k in _PARAMS} if not problems else {}
    links = {"dna": _link(kept, dna="true"), "without_dna": _link(kept, dna="false"),
             "prev": _link(kept, page=query.page - 1) if query.page > 1 else None,
             "next": _link(kept, page=query.page + 1) if query.page < got.pages else None}
    return render(request, "candidates.html", {
        "got": got, "q": query, "rows": [views.candidate_view(c) | {"care_location": c.found_child.care_location,
                                                                    "found_at": c.created_at}
                                         for c in got.items],
        "links": links, "problems": problems, "params": params, "statuses": CANDIDATE_STATUSES,
        "sorts": SORTS, "orders": ORDERS, "units": care_places(db)}, status=400 if problems else 200)


@router.get("/suspected-families")
def suspected_families_page(request: Request, user: Me, db: DB):
    """Families flagged as suspected of the sale, each with who flagged it, when and from what (audited)."""
    return render(request, "suspected.html", {"families": flagged_families(db, user=user.name)})
