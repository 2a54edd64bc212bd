"""Lab files from the web: a stored candidate as a Familias case or pedtools files (the candidate page),
and stored profiles as CODIS CMF XML (the lab's profiles page).

* ``GET /candidates/{id}/case.fam`` — the candidate's kinship case as a Familias ``.fam`` file;
* ``GET /candidates/{id}/pedtools.zip`` — the same case as R pedsuite files, zipped;
* ``GET /candidates/{id}/familias.fam`` — for a family imported from a Familias file, the case with the
  file's own frequencies, mutation model and theta;
* ``GET /lab/profiles?lab=NAME`` — the stored samples of a lab (codes, kit, date, number of markers;
  never a genotype), with the CMF export form;
* ``POST /lab/profiles/cmf`` — the chosen samples of a lab (or all of them) as CMF 3.2 XML;
* ``POST /lab/profiles/mt`` — the mtDNA sequences of a lab's samples as an EMPOP table (``.emp``).

Investigators and lab analysts only (:mod:`reunite.web.access`).  The files are written by
:mod:`reunite.cases.labexport` (which audits each export and registers the file, so that a withdrawal
of consent deletes it) into ``reports_dir/exports`` and sent as attachments.  Sample codes travel in
the POST body, not the URL, so no access log holds them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path as FsPath
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from ..cases.labexport import (
    export_candidate_fam,
    export_candidate_familias_fam,
    export_candidate_pedtools,
    export_cmf,
    export_mt,
    lab_mt_samples,
    lab_samples,
    sample_labs,
)
from ..cases.labs import list_labs
from ..cases.models import User
from ..genetics.ystr import KITS
from .access import authorize, current_user, get_db
from .api import get_candidate
from .responses import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False, dependencies=[Depends(authorize)])

DB = Annotated[Session, Depends(get_db)]
Me = Annotated[User | None, Depends(current_user)]
IntId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Short = Annotated[str, Form(max_length=100)]


def _exports(request: Request) -> FsPath:
    return FsPath(request.app.state.settings.reports_dir) / "exports"


def _attachment(path: FsPath, media: str, name: str) -> FileResponse:
    return FileResponse(path, media_type=media, filename=name, content_disposition_type="attachment",
                        headers={"Cache-Control": "no-store"})


@router.get("/candidates/{candidate_id}/case.fam")
def candidate_fam(request: Request, candidate_id: IntId, user: Me, db: DB):
    """The candidate's case as a Familias file, with the frequencies and mutation model of its LR."""
    cand = get_candidate(db, candidate_id)
    done = export_candidate_fam(db, cand.id, _exports(request) / f"candidate-{cand.id}.fam", user=user.name)
    return _attachment(done.paths[0], "text/plain; charset=utf-8", f"candidate-{cand.id}.fam")


@router.get("/candidates/{candidate_id}/familias.fam")
def candidate_familias_fam(request: Request, candidate_id: IntId, user: Me, db: DB):
    """For a family imported from a Familias file: the candidate's case with the file's own frequencies,
    mutation model and theta, as a Familias file."""
    cand = get_candidate(db, candidate_id)
    done = export_candidate_familias_fam(db, cand.id, _exports(request) / f"candidate-{cand.id}-familias.fam",
                                         user=user.name)
    return _attachment(done.paths[0], "text/plain; charset=utf-8", f"candidate-{cand.id}-familias.fam")


@router.get("/candidates/{candidate_id}/pedtools.zip")
def candidate_pedtools(request: Request, candidate_id: IntId, user: Me, db: DB):
    """The candidate's case as R pedsuite files (ped.tsv, frequencies.txt, lr.R, reunite.json), zipped."""
    cand = get_candidate(db, candidate_id)
    done = export_candidate_pedtools(db, cand.id, zip_path=_exports(request) / f"candidate-{cand.id}-pedtools.zip",
                                     user=user.name)
    return _attachment(done.paths[0], "application/zip", f"candidate-{cand.id}-pedtools.zip")


@router.get("/lab/profiles")
def lab_profiles(request: Request, db: DB, lab: Annotated[str | None, Query(max_length=100)] = None):
    """The labs with stored profiles; for the chosen lab its samples and the CMF export form."""
    labs = sample_labs(db)
    chosen = lab if lab in {name for name, _ in labs} else (labs[0][0] if len(labs) == 1 else None)
    samples = lab_samples(db, chosen) if chosen is not None else []
    mt_count = len(lab_mt_samples(db, chosen)) if chosen is not None else 0
    names_zh = {r.name: r.name_zh for r in list_labs(db) if r.name_zh}   # a registered lab's Chinese name
    return render(request, "lab_profiles.html", {"labs": labs, "lab": chosen, "samples": samples,
                                                 "mt_count": mt_count, "y_kits": sorted(KITS),
                                                 "names_zh": names_zh,
                                                 "unknown_lab": lab is not None and lab != chosen})


@router.post("/lab/profiles/cmf")
def lab_profiles_cmf(request: Request, user: Me, db: DB, lab: Short = "", source_lab: Short = "",
                     destination_ori: Short = "", kit: Short = "", y_kit: Short = "",
                     samples: Annotated[list[str] | None, Form(max_length=64)] = None,
                     scope: Annotated[str, Form(max_length=10)] = "all"):
    """The lab's samples (``scope`` ``all``) or the chosen ones (``chosen``: ``samples``) as CMF XML."""
    chosen = None if scope == "all" else (samples or [])
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    out = _exports(request) / f"cmf-{stamp}-{secrets.token_hex(4)}.xml"
    export_cmf(db, out, samples=chosen, lab=lab.strip() or None, source_lab=source_lab,
               destination_ori=destination_ori, kit=kit.strip(), y_kit=y_kit, user=user.name)
    return _attachment(out, "application/xml", f"reunite-cmf-{stamp}.xml")


@router.post("/lab/profiles/mt")
def lab_profiles_mt(request: Request, user: Me, db: DB, lab: Short = ""):
    """The mtDNA sequences of the lab's samples as an EMPOP table (what ``reunite import mt`` reads)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    out = _exports(request) / f"mt-{stamp}-{secrets.token_hex(4)}.emp"
    export_mt(db, out, lab=lab.strip() or None, user=user.name)
    return _attachment(out, "text/plain; charset=utf-8", f"reunite-mtdna-{stamp}.emp")
