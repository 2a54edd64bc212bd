"""The trafficking network in the investigators' workspace (rules in access.RULES: investigators only).

* ``GET /network`` — the network graph (Cytoscape.js, vendored: roles as colours, transfers as
  arrows; filters by date and place), the flow map of where the children were taken
  (:func:`reunite.network.mapping.flow_map`; the places' map is ``/map/network``), the provinces
  to appeal in, the children not found, the gaps, the brokers, the exports and the upload of
  ``ring.csv`` / ``transfers.csv``;
* ``GET /network/export?format=graphml|csv`` — the GraphML file or a ZIP of the CSV files;
* ``POST /network/import`` — the two CSV files through :func:`reunite.network.import_network`
  (checked whole, all or nothing, idempotent, audited; problems named by file, line and field);
* ``GET /network/cytoscape.min.js`` — the graph library, served by the app (no CDN).

:func:`child_chains` and :func:`sale_records` give the found child's page its chain of custody (a
timeline) and the candidate and report pages the records that mark a family suspected of the sale;
both give investigators only, anyone else gets nothing.  Every read of the network is an audit
entry (:func:`reunite.network.audit_read`); nothing of it is shown to families or the public.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path as FsPath
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from ..cases.models import User
from ..errors import InputError, Problem
from ..network import Network, audit_read, chain_of, import_network, investigations, province_leads
from ..network.exports import FORMATS, export_bytes
from ..network.graph import ROLE_COLOURS, ROLE_ORDER, elements, filtered
from ..network.mapping import flow_map
from ..network.suspected import suspected_families
from .access import WebError, authorize, current_user, get_db
from .api import read_upload
from .i18n import choose_language
from .responses import render

__all__ = ["child_chains", "router", "sale_records"]

router = APIRouter(include_in_schema=False, dependencies=[Depends(authorize)])

DB = Annotated[Session, Depends(get_db)]
Me = Annotated[User | None, Depends(current_user)]
Opt = Annotated[str | None, Query(max_length=200)]
STATIC = FsPath(__file__).with_name("static") / "cytoscape"
#: Above this many people (after the filters) the page draws no graph and ranks no brokers (seconds of
#: betweenness on every view): it asks for a narrower filter; ``reunite network brokers`` ranks them all.
MAX_DRAWN = 2000


def _date(value: str | None, field: str) -> dt.date | None:
    if not (value or "").strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(Problem(f"{value!r} is not a date (YYYY-MM-DD)", field=field)) from None


def _investigation(db: Session, investigation: str | None) -> str | None:
    """The investigation asked for (it must be stored), else the first stored; None if there is none."""
    known = investigations(db)
    if investigation:
        if investigation not in known:
            raise InputError(Problem(f"investigation {investigation!r} has no records; the store has "
                                     f"{', '.join(known) or 'none'}", field="investigation"))
        return investigation
    return known[0] if known else None


def _count(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 10 else 0


@router.get("/network")
def network_page(request: Request, user: Me, db: DB, investigation: Opt = None, since: Opt = None,
                 until: Opt = None, place: Opt = None):
    inv = _investigation(db, investigation)
    lang = choose_language(request)
    filters = {"investigation": inv or "", "since": since or "", "until": until or "", "place": place or ""}
    q = request.query_params
    imported = ({k: _count(q.get(f"imported_{k}")) for k in ("people", "relations", "transfers")}
                | {"marked": _count(q.get("marked"))}) if "imported_people" in q else None
    ctx: dict = {"investigations": investigations(db), "filters": filters, "net": None,
                 "roles": [(r, ROLE_COLOURS[r]) for r in ROLE_ORDER], "imported": imported}
    if inv is not None:
        whole = Network.from_store(db, inv)
        net = filtered(whole, since=_date(since, "since"), until=_date(until, "until"), place=place)
        audit_read(db, user.name, "page", inv, count=len(net.transfers))
        drawn = len(net.people) <= MAX_DRAWN
        ctx.update(net=net, whole=whole, elements=elements(net) if drawn else None, max_drawn=MAX_DRAWN,
                   unfound=net.unfound(), gaps=net.gaps(), provinces=province_leads(net),
                   brokers=net.brokers(10) if net.people and drawn else [],
                   flow_map=Markup(flow_map(db, net, lang)) if net.transfers else None)
    return render(request, "network.html", ctx)


@router.get("/network/export")
def network_export(user: Me, db: DB, format: Annotated[str, Query(max_length=10)] = "graphml",
                   investigation: Opt = None):
    inv = _investigation(db, investigation)
    if inv is None:
        raise InputError(Problem("there is no network to export; import ring.csv and transfers.csv first",
                                 field="investigation"))
    if format not in FORMATS:
        raise InputError(Problem(f"format {format!r} is not one of {', '.join(FORMATS)}", field="format"))
    data = export_bytes(db, Network.from_store(db, inv), format, user=user.name)
    name, media = (f"{inv}.graphml", "application/graphml+xml") if format == "graphml" else (
        f"{inv}-csv.zip", "application/zip")
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                     "Cache-Control": "no-store"})


@router.post("/network/import")
async def network_import(request: Request, user: Me, db: DB,
                         investigation: Annotated[str, Form(max_length=64)] = "",
                         ring: Annotated[UploadFile | None, File()] = None,
                         transfers: Annotated[UploadFile | None, File()] = None):
    limit = request.app.state.settings.max_csv_bytes
    uploads = {}
    for field, upload in (("ring", ring), ("transfers", transfers)):
        if upload is not None and upload.filename:
            uploads[field] = (FsPath(upload.filename).name or f"{field}.csv", await read_upload(upload, limit))
    if not uploads:
        raise InputError(Problem("choose ring.csv, transfers.csv or both", field="ring"))
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for field, (name, data) in uploads.items():
            # (under their own names, so that every problem names the file the investigator chose)
            folder = FsPath(tmp) / field
            folder.mkdir()
            paths[field] = folder / name
            paths[field].write_bytes(data)
        try:
            res = import_network(db, paths.get("ring"), paths.get("transfers"), investigation=investigation,
                                 user=user.name)
        except InputError as exc:   # named by the file the investigator chose, never the server's path
            problems = [{**p.as_dict(), "file": FsPath(p.file).name if p.file else None} for p in exc.problems]
            raise WebError(400, "invalid", problems[0]["message"] if len(problems) == 1
                           else f"{len(problems)} problems", problems) from None
    done = {f"imported_{k}": c["added"] + c["updated"] for k, c in res.counts.items()}
    query = urlencode({"investigation": res.investigation, **done, "marked": len(res.suspected)})
    return RedirectResponse(f"/network?{query}", status_code=303)


@router.get("/network/cytoscape.min.js")
def cytoscape_js():
    return FileResponse(STATIC / "cytoscape.min.js", media_type="text/javascript",
                        headers={"Cache-Control": "private, max-age=86400"})


def child_chains(db: Session, user: User | None, case_number: str) -> list[dict]:
    """The found child's chains of custody for its page's timeline (investigators only; the read is
    audited when there is a chain): each as :meth:`~reunite.network.Chain.as_dict` with its
    investigation's people's roles."""
    if user is None or user.role != "investigator":
        return []
    chains = [c for c in chain_of(db, case_number) if c.child_kind == "found"]
    if chains:
        audit_read(db, user.name, "chain", None, child=case_number)
    return [c.as_dict() for c in chains]


def sale_records(db: Session, user: User | None, report_number: str) -> list[dict]:
    """The network's records of the report's parent handing the child to the ring (what marks the
    report suspected of the sale), for investigators only; the read is audited when there are any."""
    if user is None or user.role != "investigator":
        return []
    rows = suspected_families(db, report=report_number)
    if rows:
        audit_read(db, user.name, "sale", rows[0]["investigation"], child=report_number, count=len(rows))
    return rows
