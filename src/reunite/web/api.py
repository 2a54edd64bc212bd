"""The JSON API under ``/api/v1`` (access rules: :data:`reunite.web.access.RULES`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..cases import appeals
from ..cases.accounts import authenticate, list_tokens, record_token, revoke_token
from ..cases.appeals import FACTS, add_tip, check_tip, published_appeal, set_published
from ..cases.candidate_list import MAX_PER_PAGE, ORDERS, SORTS, CandidateQuery, list_candidate_page
from ..cases.labs import list_labs
from ..cases.models import CANDIDATE_STATUSES, OUTCOMES, SEXES, Candidate, FoundChild, MissingReport, Tip, User
from ..cases.photos import add_photo
from ..cases.queries import search_children, search_reports
from ..cases.records import read_genotypes
from ..cases.workflow import allowed_transitions
from ..cases.workflow import review as do_review
from ..errors import InputError
from . import views
from .access import WebError, authorize, can_see_child, current_user, get_db, visible_children, visible_reports
from .i18n import choose_language, problem_words, translator
from .jobs import KINDS, LAB_KINDS
from .security import fingerprint

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["api"], dependencies=[Depends(authorize)])

DB = Annotated[Session, Depends(get_db)]
Me = Annotated[User | None, Depends(current_user)]
IntId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Key = Annotated[str, Path(min_length=1, max_length=64)]
Search = Annotated[str | None, Query(max_length=200)]


class TokenRequest(BaseModel):
    """A user name and password for a bearer token."""

    username: str = Field(max_length=100)
    password: str = Field(max_length=1000)


class ReviewRequest(BaseModel):
    """A review decision: the new status, the reason, and the outcome when confirming."""

    to: Literal[CANDIDATE_STATUSES]  # type: ignore[valid-type]
    reason: str = Field(min_length=1, max_length=4000)
    outcome: Literal[OUTCOMES] | None = None  # type: ignore[valid-type]


class AppealRequest(BaseModel):
    """Publish the appeal of a found child (``case_number``) or of a missing child (``report_number``)."""

    case_number: str | None = Field(default=None, min_length=1, max_length=64)
    report_number: str | None = Field(default=None, min_length=1, max_length=64)
    hotline: str = Field(min_length=3, max_length=40)
    photo_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    facts: list[Literal[FACTS]] | None = Field(default=None, max_length=len(FACTS))  # type: ignore[valid-type]
    description: str | None = Field(default=None, max_length=2000)
    marks: str | None = Field(default=None, max_length=2000)
    no_photo_reason: str | None = Field(default=None, max_length=500)


class TipRequest(BaseModel):
    """A tip from the public."""

    message: str = Field(min_length=5, max_length=2000)
    contact: str | None = Field(default=None, max_length=200)


def client_ip(request: Request) -> str:
    """The caller's address (the direct peer: put a proxy's header handling in the proxy)."""
    return request.client.host if request.client else "unknown"


def check_login(request: Request, db: Session, username: str, password: str) -> User:
    """The user if the password is right; 429 after too many failures per user and address."""
    state = request.app.state
    name, ip = (username or "").strip().lower(), client_ip(request)
    # per user name and address (a typo), per address (guessing many names), per name (many addresses)
    keys = ((state.login_limiter, f"{name}|{ip}"), (state.login_ip_limiter, ip), (state.login_name_limiter, name))
    for limiter, key in keys:
        if limiter.blocked(key):
            raise WebError(429, "rate_limited", "too many failed logins; wait a minute and try again",
                           headers={"Retry-After": str(int(limiter.window))})
    user = authenticate(db, (username or "").strip(), password or "")
    if user is None:
        for limiter, key in keys:
            limiter.hit(key)
        raise WebError(401, "unauthorized", "the user name or password is wrong, or the account is disabled")
    state.login_limiter.reset(keys[0][1])
    return user


@router.post("/token", summary="Get a bearer token")
def token(body: TokenRequest, request: Request, db: DB) -> dict[str, Any]:
    """Exchange a user name and password for a bearer token (rate-limited)."""
    user = check_login(request, db, body.username, body.password)
    tok, tid = request.app.state.tokens.make(user.id, fingerprint(user.password_hash))
    rec = record_token(db, user, tid, request.app.state.tokens.max_age)
    return {"access_token": tok, "token_type": "bearer", "expires_in": request.app.state.tokens.max_age,
            "token_number": rec.id}


def token_view(tok) -> dict[str, Any]:
    """A bearer token as listed (never the token itself)."""
    return {"number": tok.id, "user": tok.user.name, "created_at": tok.created_at.isoformat(),
            "expires_at": tok.expires_at.isoformat(), "revoked": tok.revoked_at is not None,
            "revoked_by": tok.revoked_by}


@router.get("/tokens", summary="Bearer tokens")
def tokens(user: Me, db: DB) -> dict[str, Any]:
    """The unexpired bearer tokens of the caller (an admin: of everyone), newest first."""
    return {"items": [token_view(t) for t in list_tokens(db, None if user.role == "admin" else user)]}


@router.post("/tokens/{token_id}/revoke", summary="Revoke a bearer token")
def revoke(token_id: IntId, user: Me, db: DB) -> dict[str, Any]:
    """Revoke one of the caller's tokens (an admin: anyone's); it stops working at once."""
    try:
        return token_view(revoke_token(db, token_id, user))
    except InputError:
        raise WebError(404, "not_found", "there is no such token") from None


@router.get("/me", summary="Who am I")
def me(user: Me) -> dict[str, Any]:
    """The logged-in user's name, role and unit."""
    return {"name": user.name, "role": user.role, "unit": user.unit}


@router.get("/dashboard", summary="Open cases, new candidates, outstanding confirmations")
def dashboard(user: Me, db: DB) -> dict[str, Any]:
    """Counts and lists for the staff dashboard."""
    return views.dashboard(db, user)


@router.get("/found-children", summary="Search found children")
def found_children(user: Me, db: DB, q: Search = None) -> dict[str, Any]:
    """Found children the user may see, searched by case number, place, care location or ring."""
    return {"items": [views.child_view(c) for c in search_children(db, q, within=visible_children(user))]}


def _child(db: Session, user: User, case_number: str) -> FoundChild:
    child = db.scalars(select(FoundChild).where(FoundChild.case_number == case_number)).first()
    if not can_see_child(user, child):
        raise WebError(404, "not_found", "there is no found child with this case number")
    return child


@router.get("/found-children/{case_number}", summary="One found child")
def found_child(case_number: Key, user: Me, db: DB) -> dict[str, Any]:
    """A found child (no genotype: ask /samples for that)."""
    return views.child_view(_child(db, user, case_number))


async def read_upload(upload: UploadFile, limit: int) -> bytes:
    """The bytes of an upload, refused (413) past ``limit``."""
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise WebError(413, "too_large", f"the file is larger than {limit:,} bytes",
                       [{"file": None, "line": None, "field": "file", "message": f"at most {limit:,} bytes"}])
    return data


def store_child_photo(request: Request, db: Session, user: User, case_number: str, data: bytes):
    """Check and store a photo of a found child the user may see."""
    child = _child(db, user, case_number)
    settings = request.app.state.settings
    return add_photo(db, data, found_child=child.case_number, user=user.name, media=settings.media_dir,
                     max_bytes=settings.max_photo_bytes)


@router.post("/found-children/{case_number}/photos", status_code=201, summary="Add a photo of a found child")
async def add_child_photo(case_number: Key, request: Request, user: Me, db: DB,
                          file: Annotated[UploadFile, File(description="JPEG, PNG or WebP")]) -> dict[str, Any]:
    """Store a photo (checked: type, size, pixels) of a found child."""
    data = await read_upload(file, request.app.state.settings.max_photo_bytes)
    photo = store_child_photo(request, db, user, case_number, data)
    return {"id": photo.id, "url": f"/media/{photo.path}", "width": photo.width, "height": photo.height}


@router.get("/reports", summary="Search missing-child reports")
def reports(user: Me, db: DB, q: Search = None) -> dict[str, Any]:
    """Reports, searched by number, name or place."""
    rows = search_reports(db, q, within=visible_reports(user))
    return {"items": [{"report_number": r.report_number, "child_name": r.child_name, "sex": r.sex,
                       "disappeared_on": r.disappeared_on.isoformat() if r.disappeared_on else None,
                       "disappeared_place": r.disappeared_place, "status": r.status} for r in rows]}


def staff_report(db: Session, user: User, report_number: str) -> MissingReport:
    """A report the staff user may see, or 404."""
    rep = db.scalars(visible_reports(user).where(MissingReport.report_number == report_number)).first()
    if rep is None:
        raise WebError(404, "not_found", "there is no report with this number")
    return rep


@router.get("/reports/{report_number}", summary="One missing-child report")
def report(report_number: Key, user: Me, db: DB) -> dict[str, Any]:
    """A report with its pedigree and relatives (sample codes only, no genotypes)."""
    return views.report_view(staff_report(db, user, report_number))


@router.get("/candidates", summary="List candidates")
def candidates(db: DB, status: Annotated[Literal[CANDIDATE_STATUSES] | None, Query()] = None,  # type: ignore
               dna: Annotated[bool | None, Query(description="true: only candidates with DNA evidence; false: only "
                                                             "pairs without DNA (ask for DNA first)")] = None,
               min_log10_lr: Annotated[float | None, Query(ge=-1000, le=1000, description="lowest DNA log10 LR")
                                       ] = None,
               max_log10_lr: Annotated[float | None, Query(ge=-1000, le=1000, description="highest DNA log10 LR")
                                       ] = None,
               suspected_of_sale: Annotated[bool | None, Query(description="only families flagged as suspected "
                                                                           "of the sale (true) or the others")] = None,
               unit: Annotated[str | None, Query(min_length=1, max_length=200,
                                                 description="the found child's care place")] = None,
               sort: Annotated[Literal[SORTS], Query()] = "posterior",  # type: ignore[valid-type]
               order: Annotated[Literal[ORDERS], Query()] = "desc",  # type: ignore[valid-type]
               page: Annotated[int, Query(ge=1, le=10**6)] = 1,
               per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50) -> dict[str, Any]:
    """Candidates, filtered, sorted (posterior, DNA LR or date found; best or newest first) and paged.
    Unless ``dna`` is given, those with DNA evidence come first, then the pairs without DNA (each item's
    ``dna`` says which; non-DNA evidence never ranks a pair above a DNA candidate).  ``total`` counts
    every match, ``with_dna``/``without_dna`` each kind."""
    got = list_candidate_page(db, CandidateQuery(
        dna=dna, status=status, min_log10_lr=min_log10_lr, max_log10_lr=max_log10_lr,
        suspected_of_sale=suspected_of_sale, unit=unit, sort=sort, order=order, page=page, per_page=per_page))
    return {"items": [views.candidate_view(c) for c in got.items], "total": got.total, "page": page,
            "per_page": per_page, "pages": got.pages, "with_dna": got.with_dna, "without_dna": got.without_dna}


def get_candidate(db: Session, candidate_id: int) -> Candidate:
    """A candidate, or 404."""
    c = db.get(Candidate, candidate_id)
    if c is None:
        raise WebError(404, "not_found", "there is no candidate with this number")
    return c


@router.get("/candidates/{candidate_id}", summary="One candidate")
def candidate(candidate_id: IntId, db: DB) -> dict[str, Any]:
    """A candidate with its evidence LRs and review history."""
    c = get_candidate(db, candidate_id)
    return {**views.candidate_view(c), "may_move_to": list(allowed_transitions(c.status))}


@router.post("/candidates/{candidate_id}/review", summary="Review a candidate")
def review(candidate_id: IntId, body: ReviewRequest, user: Me, db: DB) -> dict[str, Any]:
    """Move a candidate through the workflow (a reason is required; audited)."""
    get_candidate(db, candidate_id)
    rv = do_review(db, candidate_id, body.to, user=user.name, reason=body.reason, outcome=body.outcome)
    return {"candidate": candidate_id, "from": rv.from_status, "to": rv.to_status, "outcome": rv.outcome}


@router.get("/samples/{sample}", summary="A DNA profile (audited)")
def sample(sample: Key, user: Me, db: DB) -> dict[str, Any]:
    """The genotypes of a sample; every read is written to the audit log."""
    return views.genotype_view(read_genotypes(db, sample, user=user.name, purpose="web"))


def start_import(request: Request, db: Session, user: User, kind: str, filename: str, data: bytes, lab: str | None,
                 kit: str | None, typed_on: str | None, create_reports: bool, report: str | None = None,
                 found_case: str | None = None):
    """Check the kind and options (a profiles import names a registered laboratory, when any is
    registered), then start a background import."""
    need = KINDS.get(kind)
    if need is None:
        raise WebError(400, "invalid", f"kind must be one of {', '.join(KINDS)}")
    if user.role != need:
        raise WebError(403, "forbidden", f"only a {need.replace('_', ' ')} may import {kind}")
    options: dict[str, Any] = {}
    if kind in ("profiles", *LAB_KINDS):
        if kind != "cmf" and not (lab or "").strip():   # a CMF file names its lab (SOURCELAB)
            raise WebError(400, "invalid", "importing profiles needs the lab",
                           [{"file": None, "line": None, "field": "lab", "message": "required"}])
        labs = [x.name for x in list_labs(db)]
        if labs and lab.strip() not in labs:
            raise WebError(400, "invalid", "choose one of the registered laboratories",
                           [{"file": None, "line": None, "field": "lab", "message": "not a registered laboratory; "
                             "register it with `reunite labs add`"}])
        options.update(lab=(lab or "").strip()[:100] or None, kit=(kit or "").strip()[:100] or None)
        if typed_on:
            try:
                options["typed_on"] = dt.date.fromisoformat(typed_on)
            except ValueError:
                raise WebError(400, "invalid", "typed_on is a date written YYYY-MM-DD") from None
    if kind == "families":
        options["create_reports"] = bool(create_reports)
    if kind == "fam":   # a Familias case: the report whose family it is (created on request)
        if not (report or "").strip():
            raise WebError(400, "invalid", "importing a Familias case needs the report number",
                           [{"file": None, "line": None, "field": "report", "message": "required"}])
        options.update(report=report.strip()[:64], create_report=bool(create_reports),
                       found_case=(found_case or "").strip()[:64] or None)
    safe_name = "".join(ch for ch in filename if ch.isalnum() or ch in "._- ")[-100:].strip()
    if not safe_name.strip("."):   # ('.' and '..' name a folder, not a file)
        safe_name = f"{kind}.csv"
    return request.app.state.jobs.start(kind, safe_name, data, user.name, options)


@router.post("/imports", status_code=202, summary="Start an import (runs in the background)")
async def imports(request: Request, user: Me, db: DB,
                  kind: Annotated[Literal["found", "reports", "profiles", "families", "genemapper", "cmf", "mt",
                                          "fam", "ydb", "mtdb"], Form()],
                  file: Annotated[UploadFile, File(description="The CSV file")],
                  lab: Annotated[str | None, Form(max_length=100)] = None,
                  kit: Annotated[str | None, Form(max_length=100)] = None,
                  typed_on: Annotated[str | None, Form(max_length=10)] = None,
                  create_reports: Annotated[bool, Form()] = False,
                  report: Annotated[str | None, Form(max_length=64, description="fam: the report number")] = None,
                  found_case: Annotated[str | None, Form(max_length=64, description="fam: the found child that "
                                                         "holds the person of interest's profile")] = None,
                  ) -> dict[str, Any]:
    """Upload a CSV file (or a lab file: ``genemapper``, ``cmf``, ``mt`` (an EMPOP mtDNA table), ``fam`` with its
    ``report``; or a lineage reference database: ``ydb``, ``mtdb``); follow the job at ``/api/v1/imports/{job_id}``."""
    data = await read_upload(file, request.app.state.settings.max_csv_bytes)
    job = start_import(request, db, user, kind, file.filename or f"{kind}.csv", data, lab, kit, typed_on,
                       create_reports, report, found_case)
    return {**job.as_dict(), "status_url": f"/api/v1/imports/{job.id}"}


def get_job(request: Request, user: User, job_id: str):
    """A job the user may follow, or 404."""
    job = request.app.state.jobs.get(job_id)
    if job is None or (job.user != user.name and user.role != "investigator"):
        raise WebError(404, "not_found", "there is no import job with this id")
    return job


@router.get("/imports/{job_id}", summary="The status of an import")
def import_status(request: Request, user: Me, job_id: Annotated[str, Path(max_length=64)]) -> dict[str, Any]:
    """queued, running, done or failed, with the problems row by row (each with ``words``: what is wrong in
    the language of the request, when that is not English and the problem has them)."""
    job = get_job(request, user, job_id).as_dict()
    lang = choose_language(request)
    job["problems"] = [{**p, "words": w} if (w := problem_words(p, lang)) is not None else p for p in job["problems"]]
    return job


Years = Annotated[float | None, Query(ge=0, le=120)]


@router.get("/appeals", summary="Published appeals")
def appeals_list(db: DB, place: Search = None, sex: Annotated[Literal[SEXES] | None, Query()] = None,  # type: ignore
                 kind: Annotated[Literal["found", "missing"] | None, Query()] = None,
                 min_age: Years = None, max_age: Years = None, min_age_then: Years = None,
                 max_age_then: Years = None, date_from: Annotated[dt.date | None, Query()] = None,
                 date_to: Annotated[dt.date | None, Query()] = None) -> dict[str, Any]:
    """Active appeals, searched by place (Chinese, pinyin or English), sex, kind, approximate age now
    (``min_age``/``max_age``, years) and then (``min_age_then``/``max_age_then``), and the day found or lost."""
    rows = appeals.search(db, place=place, sex=sex, kind=kind, age_now=(min_age, max_age),
                          age_then=(min_age_then, max_age_then), date_from=date_from, date_to=date_to)
    return {"items": [v.as_dict() for v in rows]}


@router.get("/appeals/{appeal_id}", summary="One published appeal")
def appeal(appeal_id: IntId, db: DB) -> dict[str, Any]:
    """A published appeal (404 once unpublished)."""
    return views.appeal_public(published_appeal(db, appeal_id))


@router.post("/appeals", status_code=201, summary="Publish an appeal")
def publish(body: AppealRequest, user: Me, db: DB) -> dict[str, Any]:
    """Publish (or update and re-publish) the appeal of a found child (``case_number``) or of a missing
    child (``report_number``), with the facts chosen; without a photo, ``no_photo_reason`` says why."""
    a = appeals.publish(db, user=user.name, hotline=body.hotline, case_number=body.case_number,
                        report_number=body.report_number, photo_id=body.photo_id, facts=body.facts,
                        description=body.description, marks=body.marks, no_photo_reason=body.no_photo_reason)
    return {**views.appeal_public(a), "reference": a.case_reference, "published": a.published}


@router.post("/appeals/{appeal_id}/publish", summary="Publish an appeal again")
def republish(appeal_id: IntId, user: Me, db: DB) -> dict[str, Any]:
    """Publish an appeal."""
    a = set_published(db, appeal_id, True, user=user.name)
    return {"id": a.id, "published": a.published}


@router.post("/appeals/{appeal_id}/unpublish", summary="Unpublish an appeal")
def unpublish(appeal_id: IntId, user: Me, db: DB) -> dict[str, Any]:
    """Hide an appeal from the public at once."""
    a = set_published(db, appeal_id, False, user=user.name)
    return {"id": a.id, "published": a.published}


def take_tip(request: Request, db: Session, appeal_id: int, message: str | None, contact: str | None) -> Tip:
    """Validate, rate-limit and store a tip for a published appeal (the store's errors: not found,
    invalid; 429 past the address's limit)."""
    published_appeal(db, appeal_id)
    check_tip(message, contact)
    limiter = request.app.state.tip_limiter
    key = client_ip(request)
    if limiter.blocked(key):
        raise WebError(429, "rate_limited", "too many tips from this address; try again later",
                       headers={"Retry-After": str(int(limiter.window))})
    limiter.hit(key)
    return add_tip(db, appeal_id, message, contact)


@router.post("/appeals/{appeal_id}/tips", status_code=201, summary="Send a tip")
def tip(appeal_id: IntId, body: TipRequest, request: Request, db: DB) -> dict[str, Any]:
    """A tip about a published appeal; it goes to the investigators only."""
    take_tip(request, db, appeal_id, body.message, body.contact)
    return {"received": True}


@router.get("/tips", summary="Tips received")
def tips(db: DB) -> dict[str, Any]:
    """Every tip, newest first (investigators only)."""
    rows = db.scalars(select(Tip).order_by(Tip.id.desc()).limit(1000))
    return {"items": [{"id": t.id, "appeal_id": t.appeal_id, "case_number": t.appeal.case_reference,
                       "message": t.message, "contact": t.contact, "received_at": t.received_at.isoformat()}
                      for t in rows]}


def own_report(db: Session, user: User, report_number: str) -> MissingReport:
    """A report the family account filed, or 404."""
    rep = db.scalars(select(MissingReport).where(MissingReport.report_number == report_number,
                                                 MissingReport.family_user_id == user.id)).first()
    if rep is None:
        raise WebError(404, "not_found", "there is no report with this number")
    return rep


@router.get("/my/reports", summary="My reports (family accounts)")
def my_reports(request: Request, user: Me, db: DB, lang: Annotated[Literal["en", "zh"], Query()] = "en",
               ) -> dict[str, Any]:
    """The family's own reports, their status in plain words."""
    t = translator(lang)
    rows = db.scalars(select(MissingReport).where(MissingReport.family_user_id == user.id)
                      .order_by(MissingReport.id))
    return {"items": [views.family_view(db, r, t) for r in rows]}


@router.get("/my/reports/{report_number}", summary="One of my reports (family accounts)")
def my_report(report_number: Key, user: Me, db: DB, lang: Annotated[Literal["en", "zh"], Query()] = "en",
              ) -> dict[str, Any]:
    """One of the family's own reports, in plain words."""
    return views.family_view(db, own_report(db, user, report_number), translator(lang))


def json_error(status: int, code: str, message: str) -> JSONResponse:
    """The one error shape as a response (for code paths outside the exception handlers)."""
    return JSONResponse({"error": {"code": code, "message": message, "problems": []}}, status_code=status)
