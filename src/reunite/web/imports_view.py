"""Imports, besides the upload itself: CSV templates to download and the history of imports, as
pages' links and in the API (the upload and its job are in :mod:`reunite.web.pages` and
:mod:`reunite.web.api`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ..cases.import_history import import_history
from ..cases.import_templates import TEMPLATE_KINDS, import_template
from .access import authorize, get_db

__all__ = ["router", "run_view"]

router = APIRouter(dependencies=[Depends(authorize)])

DB = Annotated[Session, Depends(get_db)]
Kind = Annotated[Literal[TEMPLATE_KINDS], Path()]  # type: ignore[valid-type]


def _csv(kind: str) -> Response:
    return Response(import_template(kind).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="reunite-{kind}-template.csv"'})


@router.get("/imports/templates/{kind}.csv", include_in_schema=False)
def template_page(kind: Kind) -> Response:
    """The template of an import kind, to download from the imports page."""
    return _csv(kind)


@router.get("/api/v1/imports/templates/{kind}", tags=["api"], summary="A CSV template of an import kind")
def template_api(kind: Kind) -> Response:
    """The header the importer reads and example rows (made-up values), as CSV."""
    return _csv(kind)


def run_view(run) -> dict[str, Any]:
    """One import of the history, as the API and the imports page show it."""
    return {"id": run.id, "kind": run.kind, "file_name": run.file_name, "user": run.user,
            "started_at": run.started_at.isoformat(), "finished_at": run.finished_at.isoformat(),
            "outcome": run.outcome, "added": run.added, "updated": run.updated, "unchanged": run.unchanged,
            "problems": run.problems, "error": run.error}


@router.get("/api/v1/imports", tags=["api"], summary="The history of imports")
def history_api(db: DB, page: Annotated[int, Query(ge=1, le=10**6)] = 1,
                per_page: Annotated[int, Query(ge=1, le=200)] = 20) -> dict[str, Any]:
    """Every import, newest first, paged: who, when, kind, file name, counts and how it ended."""
    h = import_history(db, page=page, per_page=per_page)
    return {"items": [run_view(r) for r in h.runs], "total": h.total, "page": h.page, "per_page": h.per_page,
            "pages": h.pages}
