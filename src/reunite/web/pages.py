"""The server-rendered pages: staff workspace, family portal, public appeals (rules in access.RULES)."""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path as FsPath
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..cases.accounts import (
    approve_user,
    disable_user,
    end_sessions,
    list_tokens,
    request_account,
    revoke_token,
)
from ..cases.cohorts import (
    current_solution,
    get_cohort,
    list_cohorts,
    solution_is_current,
    solve_stored_cohort,
)
from ..cases.guidance import report_guidance
from ..cases.import_history import import_history
from ..cases.labs import list_labs
from ..cases.lineage import database_info, lineage_method, set_lineage_method, validate_method
from ..cases.models import OUTCOMES, ROLES, Appeal, MissingReport, Photo, Tip, User
from ..cases.queries import search_children
from ..cases.selfsearch import read_memories
from ..cases.settings import MatchingSettings
from ..cases.timeline import child_timeline
from ..cases.workflow import allowed_transitions, review
from ..errors import InputError, Problem, ReuniteError
from ..genetics.ystr import Y_METHODS
from ..reports.kinship import familias_line, render_html, split_sup
from ..reports.lineage import lineage_section
from ..reports.store import candidate_report, write_candidate_report
from ..search.index import index_status
from . import views
from .access import WebError, authorize, can_see_photo, current_user, get_db, visible_children
from .api import (
    _child,
    check_login,
    get_candidate,
    get_job,
    read_upload,
    staff_report,
    start_import,
    store_child_photo,
)
from .cohort_view import cohort_page_data, guidance_box
from .i18n import LANGUAGES, choose_language, translator
from .imports_view import run_view
from .jobs import DB_KINDS, KINDS, LAB_KINDS, _matching_settings
from .network_view import child_chains, sale_records
from .public_view import staff_appeal
from .responses import render
from .security import fingerprint

__all__ = ["router"]

router = APIRouter(include_in_schema=False, dependencies=[Depends(authorize)])

DB = Annotated[Session, Depends(get_db)]
Me = Annotated[User | None, Depends(current_user)]
IntId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Key = Annotated[str, Path(min_length=1, max_length=64)]
Text = Annotated[str, Form(max_length=4000)]
OptText = Annotated[str | None, Form(max_length=4000)]

HOME = {"investigator": "/dashboard", "lab_analyst": "/dashboard", "caseworker": "/dashboard",
        "family": "/family", "public": "/appeals", "admin": "/admin/users"}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _local(url: str | None) -> str | None:
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return None


@router.get("/")
def home(user: Me):
    return _see_other(HOME.get(user.role, "/appeals") if user else "/appeals")


# ----------------------------------------------------------------------------------- login


@router.get("/login")
def login_page(request: Request, next: Annotated[str | None, Query(max_length=300)] = None):
    return render(request, "login.html", {"next": _local(next) or "", "message": None})


@router.post("/login")
def login(request: Request, db: DB, username: Annotated[str, Form(max_length=100)] = "",
          password: Annotated[str, Form(max_length=1000)] = "",
          next: Annotated[str, Form(max_length=300)] = ""):
    t = translator(choose_language(request))
    try:
        user = check_login(request, db, username, password)
    except WebError as exc:
        msg = t("login.too_many") if exc.status == 429 else t("login.failed")
        return render(request, "login.html", {"next": _local(next) or "", "message": msg, "username": username},
                      status=429 if exc.status == 429 else 400)
    _start_session(request, user)
    return _see_other(_local(next) or HOME.get(user.role, "/"))


def _start_session(request: Request, user: User) -> None:
    lang = request.session.get("lang")
    request.session.clear()  # a new session (and CSRF token) at every login: no fixation
    request.session.update({"uid": user.id, "fp": fingerprint(user.password_hash), "ep": user.session_epoch or 0})
    if lang:
        request.session["lang"] = lang


@router.post("/logout")
def logout(request: Request, user: Me, db: DB):
    """Log out: every session cookie of the user stops working, this one and any saved copy."""
    if user is not None and request.state.auth == "cookie":
        end_sessions(db, user)
    request.session.clear()
    return _see_other("/login")


@router.get("/account")
def account_page(request: Request, user: Me, db: DB):
    """The user's own API tokens, each revocable."""
    return render(request, "account.html", {"tokens": list_tokens(db, user)})


@router.post("/tokens/{token_id}/revoke")
def revoke_token_page(token_id: IntId, request: Request, user: Me, db: DB):
    """Revoke a bearer token (its owner, or an admin)."""
    try:
        revoke_token(db, token_id, user)
    except InputError:
        raise WebError(404, "not_found", "there is no such token") from None
    return _see_other("/admin/users?msg=token+revoked" if user.role == "admin" else "/account")


# ------------------------------------------------------------------------------------ staff


@router.get("/dashboard")
def dashboard(request: Request, user: Me, db: DB):
    data = views.dashboard(db, user)
    appeals = []
    if user.role == "investigator":
        appeals = list(db.scalars(select(Appeal).where(Appeal.published.is_(True)).order_by(Appeal.id)))
    children = search_children(db, None, within=visible_children(user), limit=50) if user.role == "caseworker" else []
    cohorts = list_cohorts(db)[:20] if user.role in ("investigator", "lab_analyst") else []
    return render(request, "dashboard.html", {"data": data, "appeals": appeals, "children": children,
                                              "cohorts": cohorts})


@router.get("/children")
def children(request: Request, user: Me, db: DB, q: Annotated[str | None, Query(max_length=200)] = None):
    rows = search_children(db, q, within=visible_children(user))
    return render(request, "children.html", {"children": rows, "q": q or ""})


@router.get("/children/{case_number}")
def child_page(request: Request, case_number: Key, user: Me, db: DB):
    child = _child(db, user, case_number)
    # (best first: a child may have dozens of reports without DNA that its evidence does not exclude)
    cands = sorted(child.candidates, key=lambda c: (-(c.posterior or 0.0), c.id)) \
        if user.role in ("investigator", "lab_analyst") else []
    cohort = child.cohort if user.role in ("investigator", "lab_analyst") else None
    appeal = staff_appeal(db, found_child_id=child.id)
    timeline = child_timeline(db, child, restricted=user.role in ("investigator", "lab_analyst"))
    memories = read_memories(db, child, user=user.name) if user.role in ("investigator", "lab_analyst") else None
    return render(request, "child.html", {"child": child, "candidates": cands, "appeal": appeal, "cohort": cohort,
                                          "timeline": timeline, "message": request.query_params.get("msg"),
                                          "memories": memories,
                                          "network_chains": child_chains(db, user, child.case_number)})


@router.post("/children/{case_number}/photos")
async def child_photo(request: Request, case_number: Key, user: Me, db: DB,
                      photo: Annotated[UploadFile, File()]):
    data = await read_upload(photo, request.app.state.settings.max_photo_bytes)
    store_child_photo(request, db, user, case_number, data)
    return _see_other(f"/children/{case_number}?msg=photo+added")


@router.get("/reports/{report_number}")
def report_page(request: Request, report_number: Key, user: Me, db: DB):
    rep = staff_report(db, user, report_number)
    timeline = sorted(((r.at, c.found_child.case_number, r) for c in rep.candidates for r in c.reviews),
                      key=lambda x: x[0])
    t = translator(choose_language(request))
    guidance, guidance_error = None, None
    try:
        g = _guidance(request, db, rep)
        guidance = guidance_box(g, t, choose_language(request)) if g is not None else None
    except ReuniteError as exc:
        guidance_error = str(exc.problems[0].message) if isinstance(exc, InputError) else str(exc)
    return render(request, "report.html", {"rep": rep, "timeline": timeline,
                                           "set_aside": _set_aside(rep.report_number), "guidance": guidance,
                                           "guidance_error": guidance_error,
                                           "sale_records": sale_records(db, user, rep.report_number),
                                           "appeal": staff_appeal(db, report_id=rep.id),
                                           "message": request.query_params.get("msg")})


def _guidance(request: Request, db: Session, rep: MissingReport) -> dict | None:
    """A report's sampling guidance (300 seeded draws), kept in the app's cache by its input."""
    return report_guidance(db, rep, settings=MatchingSettings.from_env(), cache=request.app.state.guidance_cache)


def _set_aside(report_number: str) -> list[dict]:
    """Why the matching index set this report's family aside (read from the index's status; none if
    there is no index yet)."""
    try:
        status = index_status(_matching_settings()["index_dir"])
    except InputError:
        return []
    return [e for e in status["set_aside"] if e.get("family") == report_number]


@router.get("/candidates/{candidate_id}")
def candidate_page(request: Request, candidate_id: IntId, user: Me, db: DB):
    cand = get_candidate(db, candidate_id)
    report_html, report_error, familias = None, None, None
    try:
        report = candidate_report(db, cand.id, user=user.name, lang=choose_language(request))
        report_html = render_html(report)
        line = familias_line(report.familias, choose_language(request))   # a Familias file's own LR
        familias = None if line is None else Markup("").join(
            Markup("<sup>{}</sup>").format(x) if up else escape(x) for x, up in split_sup(line))
    except InputError as exc:
        report_error = str(exc.problems[0].message)
    cand = get_candidate(db, candidate_id)
    dna = cand.item("dna")
    lineage = lineage_section(dna.data if dna is not None else None, choose_language(request),
                              current_method=lineage_method(db).as_dict())
    return render(request, "candidate.html", {"c": cand, "next": allowed_transitions(cand.status),
                                              "lineage": lineage, "familias": familias,
                                              "outcomes": OUTCOMES, "report_html": report_html,
                                              "report_error": report_error,
                                              "message": request.query_params.get("msg"),
                                              "sale_records": sale_records(db, user, cand.report.report_number)})


@router.post("/candidates/{candidate_id}/review")
def candidate_review(candidate_id: IntId, user: Me, db: DB, to: Annotated[str, Form(max_length=30)] = "",
                     reason: Text = "", outcome: Annotated[str, Form(max_length=40)] = ""):
    get_candidate(db, candidate_id)
    review(db, candidate_id, to, user=user.name, reason=reason, outcome=outcome or None)
    return _see_other(f"/candidates/{candidate_id}?msg=decision+recorded")


@router.get("/cohorts")
def cohorts_page(request: Request, db: DB):
    rows = [{"c": c, "solution": current_solution(c)} for c in list_cohorts(db)]
    return render(request, "cohorts.html", {"rows": rows})


def _cohort(db: Session, code: str):
    c = get_cohort(db, code)
    if c is None:
        raise WebError(404, "not_found", "there is no cohort with this code")
    return c


@router.get("/cohorts/{code}")
def cohort_page(request: Request, code: Key, db: DB):
    c = _cohort(db, code)
    sol = current_solution(c)
    t = translator(choose_language(request))
    data = cohort_page_data(sol.result, t, choose_language(request)) if sol is not None else None
    current = solution_is_current(db, sol, settings=MatchingSettings.from_env()) if sol is not None else None
    msg = t("cohort.solved") if request.query_params.get("solved") else None
    return render(request, "cohort.html", {"c": c, "sol": sol, "d": data, "current": current, "message": msg})


@router.post("/cohorts/{code}/solve")
def cohort_solve(code: Key, user: Me, db: DB):
    _cohort(db, code)
    solve_stored_cohort(db, code, settings=MatchingSettings.from_env(), user=user.name)
    return _see_other(f"/cohorts/{code}?solved=1")


REPORT_FILE = re.compile(r"^candidate-([1-9][0-9]{0,9})\.(html|pdf)$")


def _inside(base: FsPath, name: str) -> FsPath:
    base = base.resolve()
    path = (base / name).resolve()
    if not path.is_relative_to(base) or path == base:
        raise WebError(404, "not_found", "there is no such file")
    return path


@router.get("/files/reports/{filename}")
def report_file(request: Request, filename: Annotated[str, Path(max_length=40)], user: Me, db: DB):
    m = REPORT_FILE.match(filename)
    if m is None:
        raise WebError(404, "not_found", "there is no such file")
    cid, fmt = int(m.group(1)), m.group(2)
    if cid >= 2**31:
        raise WebError(404, "not_found", "there is no such file")
    get_candidate(db, cid)
    folder = request.app.state.settings.reports_dir
    lang = request.query_params.get("lang")
    if lang is not None and lang not in LANGUAGES:
        raise WebError(422, "invalid", "lang must be zh or en")
    written = write_candidate_report(db, cid, folder, fmt=fmt, user=user.name, lang=lang)
    path = _inside(folder, written.name)
    media = "text/html; charset=utf-8" if fmt == "html" else "application/pdf"
    return FileResponse(path, media_type=media, filename=path.name,
                        content_disposition_type="attachment")


MEDIA_PATH = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}\.(jpg|png|webp)$")


@router.get("/media/{path:path}")
def media(request: Request, path: str, user: Me, db: DB):
    if len(path) > 200 or MEDIA_PATH.match(path) is None:
        raise WebError(404, "not_found", "there is no such photo")
    photo = db.scalars(select(Photo).where(Photo.path == path)).first()
    if photo is None or not can_see_photo(db, user, photo):
        raise WebError(404, "not_found", "there is no such photo")
    file = _inside(request.app.state.settings.media_dir, photo.path)
    if not file.is_file():
        raise WebError(404, "not_found", "there is no such photo")
    return FileResponse(file, media_type=photo.mime or mimetypes.guess_type(file.name)[0],
                        headers={"Cache-Control": "private, max-age=300"})


@router.get("/imports")
def imports_page(request: Request, user: Me, db: DB, page: Annotated[int, Query(ge=1, le=10**6)] = 1):
    """The upload form (the lab chosen from the registered laboratories), templates, the history."""
    kinds = [k for k, role in KINDS.items() if role == user.role]
    history = import_history(db, page=page, per_page=20)
    lineage = ({"y": database_info(db)["y"], "method": lineage_method(db), "methods": Y_METHODS,
                "saved": request.query_params.get("lineage") == "saved",
                "fit": request.app.state.jobs.method_state()} if "ydb" in kinds else None)
    return render(request, "imports.html", {"kinds": kinds, "lab_kinds": LAB_KINDS, "db_kinds": DB_KINDS,
                                            "problems": [], "lineage": lineage,
                                            "labs": list_labs(db), "history": history,
                                            "runs": [run_view(r) for r in history.runs]})


@router.post("/imports")
async def imports_post(request: Request, user: Me, db: DB, kind: Annotated[str, Form(max_length=20)] = "",
                       file: Annotated[UploadFile | None, File()] = None,
                       lab: Annotated[str | None, Form(max_length=100)] = None,
                       kit: Annotated[str | None, Form(max_length=100)] = None,
                       typed_on: Annotated[str | None, Form(max_length=10)] = None,
                       create_reports: Annotated[bool, Form()] = False,
                       report: Annotated[str | None, Form(max_length=64)] = None,
                       found_case: Annotated[str | None, Form(max_length=64)] = None):
    if file is None:
        raise WebError(400, "invalid", "choose a CSV file to import",
                       [Problem("choose a file to import", field="file", code="file_required").as_dict()])
    data = await read_upload(file, request.app.state.settings.max_csv_bytes)
    job = start_import(request, db, user, kind, file.filename or f"{kind}.csv", data, lab, kit, typed_on,
                       create_reports, report, found_case)
    return _see_other(f"/imports/{job.id}")


@router.post("/imports/lineage-method")
def lineage_method_post(request: Request, user: Me, db: DB, method: Annotated[str, Form(max_length=32)],
                        alpha: Annotated[float, Form(gt=0, lt=1)] = 0.05):
    """Choose the population method of the store's Y-STR database (lab analysts): audited; the matching runs
    again in the background and re-evaluates every candidate's lineage evidence.  The discrete Laplace method
    fits the database first (minutes for a large one): the fit, the change and the matching run in the
    background (:meth:`reunite.web.jobs.JobManager.start_method`) and the page says the fit is running."""
    try:
        if method == "discrete_laplace":
            validate_method(method, alpha)
            request.app.state.jobs.start_method(method, alpha, user.name)
            return _see_other("/imports?lineage=fitting#lineage-method")
        set_lineage_method(db, method, alpha=alpha, user=user.name)
    except InputError as exc:
        db.rollback()
        raise WebError(400, "invalid", str(exc.problems[0].message), [p.as_dict() for p in exc.problems]) from None
    request.app.state.jobs.finish_owed_matching()
    return _see_other("/imports?lineage=saved#lineage-method")


@router.get("/imports/{job_id}")
def import_job(request: Request, user: Me, job_id: Annotated[str, Path(max_length=64)]):
    return render(request, "import_job.html", {"job": get_job(request, user, job_id)})


@router.get("/tips")
def tips_page(request: Request, db: DB):
    rows = list(db.scalars(select(Tip).order_by(Tip.id.desc()).limit(500)))
    return render(request, "tips.html", {"tips": rows})




# ----------------------------------------------------------------------------------- admin


@router.get("/admin/users")
def admin_users(request: Request, user: Me, db: DB):
    """Accounts: list, create, approve, disable; bearer tokens (admins only; no cases, no genotypes)."""
    users = db.scalars(select(User).order_by(User.name)).all()
    return render(request, "admin_users.html", {"users": users, "roles": ROLES, "tokens": list_tokens(db),
                                                "message": request.query_params.get("msg")})


@router.post("/admin/users")
def admin_add_user(user: Me, db: DB, name: Annotated[str, Form(min_length=1, max_length=100)],
                   role: Annotated[str, Form(max_length=20)], password: Annotated[str, Form(max_length=200)],
                   unit: Annotated[str, Form(max_length=200)] = ""):
    """Create an account; a staff account waits for a second admin's approval."""
    try:
        u = request_account(db, name, role, by=user, unit=unit, password=password)
    except InputError as exc:
        db.rollback()
        raise WebError(400, "invalid", str(exc.problems[0].message),
                       [p.as_dict() for p in exc.problems]) from None
    return _see_other("/admin/users?msg=" + ("account+waits+for+approval" if u.pending_approval_by
                                             else "account+created"))


@router.post("/admin/users/{name}/approve")
def admin_approve_user(name: Key, user: Me, db: DB):
    """Approve a staff account another admin asked for."""
    try:
        approve_user(db, name, by=user)
    except InputError as exc:
        raise WebError(400, "invalid", str(exc.problems[0].message), [p.as_dict() for p in exc.problems]) from None
    return _see_other("/admin/users?msg=account+approved")


@router.post("/admin/users/{name}/disable")
def admin_disable_user(name: Key, user: Me, db: DB):
    if name == user.name:
        raise WebError(400, "invalid", "an administrator cannot disable their own account",
                       [Problem("an administrator cannot disable their own account", field="name",
                                code="disable_own").as_dict()])
    try:
        disable_user(db, name, by=user.name)
    except InputError:
        raise WebError(404, "not_found", "there is no such user") from None
    return _see_other("/admin/users?msg=account+disabled")
