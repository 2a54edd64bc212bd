"""The family portal and the found child's own search (寻家): pages for people on their phones.

- Registration with a mobile number and a code sent to it by text message (:func:`reunite.cases.accounts.
  send_code` through :mod:`reunite.notify`'s ``sms`` channel: ``app.state.sms`` when set, else the one the
  environment configures), and a password reset the same way.
- A family's reports: the form (every field kept when one is wrong, the error beside it with
  ``aria-invalid`` and ``aria-describedby``, the first wrong field focused; a phone's photo kept between
  tries and scaled down, not refused), the report's page with the steps of the case, the page that says
  where and how to give a sample, and a withdrawal of consent that says what will be deleted first.
- 寻家: a grown child registers what they remember, agrees (or not) to give DNA, and follows the steps.

The domain does the writing (:mod:`reunite.cases.accounts`, :mod:`~reunite.cases.family_reports`,
:mod:`~reunite.cases.selfsearch`, :mod:`~reunite.cases.records`); this module parses forms and translates
the domain's problems into the family's language.  Rules for every route are in :data:`access.RULES`.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..cases import accounts
from ..cases.accounts import (
    find_by_phone,
    normalise_phone,
    register_family,
    reset_password,
    send_code,
    send_taken_notice,
    verify_phone,
)
from ..cases.appeals import HOTLINE
from ..cases.cohorts import parse_other_children
from ..cases.family_reports import (
    BEFORE_BIRTH,
    RELATIONS,
    SCOPES,
    add_relative,
    create_report,
    date_problems,
    record_other_children,
)
from ..cases.labs import list_labs
from ..cases.models import SEXES, DnaSample, MissingReport, User
from ..cases.photos import add_photo, clean_photo
from ..cases.privacy import erase_child_files, planned_erasure
from ..cases.progress import report_steps, self_search_steps
from ..cases.records import withdraw_consent
from ..cases.selfsearch import Memories, give_dna_consent, own_self_search, register_self_search, withdraw_dna_consent
from ..errors import InputError, ReuniteError
from ..notify import ChannelNotConfigured, channel
from . import views
from .access import WebError, authorize, current_user, get_db
from .api import client_ip, own_report
from .cohort_view import LruCache, family_guidance_lines
from .i18n import choose_language, translator
from .pages import _guidance, _see_other, _start_session
from .responses import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False, dependencies=[Depends(authorize)])

DB = Annotated[Session, Depends(get_db)]
Me = Annotated[User | None, Depends(current_user)]
Key = Annotated[str, Path(min_length=1, max_length=64)]
Short = Annotated[str, Form(max_length=100)]
Secret = Annotated[str, Form(max_length=1000)]
Long = Annotated[str, Form(max_length=2000)]

#: The domain's problems (by message) -> the key of their words on the pages.
_ACCOUNT_WORDS = {accounts.BAD_PHONE: "register.bad_phone", accounts.PASSWORDS_DIFFER: "register.mismatch",
                  accounts.PHONE_TAKEN: "register.phone_taken", accounts.NAME_TAKEN: "register.taken",
                  accounts.BAD_NAME: "register.bad_name", accounts.NAME_IS_NUMBER: "register.name_number",
                  accounts.BAD_DISPLAY_NAME: "register.bad_display_name",
                  accounts.TOO_MANY_CODES: "code.too_many"}
_CODE_WORDS = {accounts.CODE_WRONG: "code.wrong", accounts.CODE_EXPIRED: "code.expired",
               accounts.CODE_LOCKED: "code.locked"}
#: Photos kept between two tries of a form (cleaned and scaled down), by a token in the session.
KEPT_PHOTOS = 64


def _t(request: Request):
    return translator(choose_language(request))


def _sms(request: Request):
    """The text-message channel: ``app.state.sms`` if the application was given one, else the
    environment's (:func:`reunite.notify.channel`); 503 when none is configured."""
    sms = getattr(request.app.state, "sms", None)
    if sms is None:
        try:
            sms = request.app.state.sms = channel("sms")
        except ChannelNotConfigured:
            raise WebError(503, "unavailable", "text messages are not configured on this server "
                                               "(REUNITE_NOTIFY_BACKEND or REUNITE_SMS_URL)") from None
    return sms


def _masked(phone: str | None) -> str:
    """A phone number as shown back to its owner: 138****8000."""
    return f"{phone[:3]}****{phone[-4:]}" if phone and len(phone) == 11 else ""


def _by_field(exc: InputError, t, words: dict[str, str] | None = None, default: str = "report.invalid_field") \
        -> dict[str, str]:
    """An :class:`InputError`'s problems as ``{field: words}`` in the page's language (first per field)."""
    out: dict[str, str] = {}
    for p in exc.problems:
        key = (words or {}).get(p.message) or ("register.weak" if p.field == "password" else default)
        out.setdefault(p.field or "form", t(key))
    return out


# ------------------------------------------------------------------------------- register

_REGISTER_FIELDS = ("phone", "display_name", "username", "password", "password2")


def _register_page(request: Request, values: dict, problems: dict, status: int = 200):
    ordered = {f: problems[f] for f in (*_REGISTER_FIELDS, "form") if f in problems}
    return render(request, "register.html", {"values": values, "problems": ordered,
                                             "first": next(iter(ordered), None)}, status=status)


@router.get("/register")
def register_page(request: Request):
    """Register a family account with a mobile number."""
    return _register_page(request, {}, {})


@router.post("/register")
def register(request: Request, db: DB, phone: Annotated[str, Form(max_length=40)] = "",
             display_name: Short = "", username: Short = "", password: Secret = "", password2: Secret = ""):
    """Create the account (not able to log in yet) and text a code to the phone."""
    t = _t(request)
    values = {"phone": phone, "display_name": display_name, "username": username}
    limiter = request.app.state.register_limiter
    if limiter.blocked(client_ip(request)):
        return _register_page(request, values, {"form": t("register.too_many")}, status=429)
    try:
        user = register_family(db, phone, password, display_name=display_name, name=username, password2=password2)
    except InputError as exc:
        db.rollback()
        # A registered number is not said so (that would tell anyone whose number has an account): with
        # nothing else wrong, the page goes on as for a new number and the owner gets a notice instead.
        others = [p for p in exc.problems if p.message != accounts.PHONE_TAKEN]
        if others:
            problems = {("username" if f == "name" else f): v
                        for f, v in _by_field(InputError(others), t, _ACCOUNT_WORDS).items()}
            return _register_page(request, values, problems, status=400)
        limiter.hit(client_ip(request))
        number = normalise_phone(phone)
        sent = send_taken_notice(db, number, _sms(request))
        request.session.pop("verify_uid", None)
        request.session.update(verify_phone=number, verify_sends=1, verify_tries=0)
        return _see_other("/register/verify" + ("" if sent else "?unsent=1"))
    limiter.hit(client_ip(request))
    sent = _send(request, db, user, "register")
    request.session.pop("verify_phone", None)
    request.session["verify_uid"] = user.id
    return _see_other("/register/verify" + ("" if sent else "?unsent=1"))


def _send(request: Request, db: Session, user: User, purpose: str) -> bool:
    """Text a code; False when it did not go out or too many were sent (the page then says so)."""
    try:
        return send_code(db, user, purpose, _sms(request))
    except InputError:
        db.rollback()
        return False


def _pending(request: Request, db: Session) -> User | None:
    uid = request.session.get("verify_uid")
    user = db.get(User, uid) if isinstance(uid, int) else None
    return user if user is not None and user.phone_verified_at is None else None


def _taken(request: Request) -> str | None:
    """The number of a registration refused because it is registered (see :func:`register`), or None."""
    number = request.session.get("verify_phone")
    return number if isinstance(number, str) and "verify_uid" not in request.session else None


@router.get("/register/verify")
def verify_page(request: Request, db: DB):
    """Type the code texted to the phone."""
    user = _pending(request, db)
    number = user.phone if user is not None else _taken(request)
    if number is None:
        return _see_other("/register")
    t = _t(request)
    message = t("code.unsent") if request.query_params.get("unsent") else t("code.sent", phone=_masked(number))
    return render(request, "register_verify.html", {"message": message, "problems": {}})


@router.post("/register/verify")
def verify(request: Request, db: DB, code: Annotated[str, Form(max_length=20)] = ""):
    """Check the code: right, the account is verified and logged in."""
    user = _pending(request, db)
    t = _t(request)
    if user is None and _taken(request):
        # no code was sent for a registered number: every code is wrong, locked after as many tries
        tries = int(request.session.get("verify_tries") or 0) + 1
        request.session["verify_tries"] = tries
        answer = accounts.CODE_WRONG if tries < accounts.CODE_ATTEMPTS else accounts.CODE_LOCKED
        return render(request, "register_verify.html", {"message": None,
                                                        "problems": {"code": t(_CODE_WORDS[answer])}}, status=400)
    if user is None:
        return _see_other("/register")
    answer = verify_phone(db, user, code)
    if answer != accounts.CODE_OK:
        return render(request, "register_verify.html", {"message": None,
                                                        "problems": {"code": t(_CODE_WORDS[answer])}}, status=400)
    _start_session(request, user)
    return _see_other("/family?welcome=1")


@router.post("/register/resend")
def resend(request: Request, db: DB):
    """Text a new code (the earlier one stops working)."""
    user = _pending(request, db)
    if user is None and _taken(request):
        # as many "sends" as a new number is allowed, then the same "not sent" answer (no second notice)
        sends = int(request.session.get("verify_sends") or 0) + 1
        request.session.update(verify_sends=sends, verify_tries=0)
        return _see_other("/register/verify" + ("" if sends <= accounts.CODES_PER_HOUR else "?unsent=1"))
    if user is None:
        return _see_other("/register")
    return _see_other("/register/verify" + ("" if _send(request, db, user, "register") else "?unsent=1"))


# ------------------------------------------------------------------------- password reset


@router.get("/password/reset")
def reset_page(request: Request):
    """Ask for a code to reset a forgotten password."""
    return render(request, "password_reset.html", {"values": {}, "problems": {}})


@router.post("/password/reset")
def reset_ask(request: Request, db: DB, phone: Annotated[str, Form(max_length=40)] = ""):
    """Text a reset code to a registered number (the page answers the same whether it is registered)."""
    t = _t(request)
    try:
        number = normalise_phone(phone)
    except InputError:
        return render(request, "password_reset.html", {"values": {"phone": phone},
                                                       "problems": {"phone": t("register.bad_phone")}}, status=400)
    limiter, key = request.app.state.register_limiter, f"reset|{client_ip(request)}"
    if limiter.blocked(key):
        return render(request, "password_reset.html", {"values": {"phone": phone},
                                                       "problems": {"phone": t("register.too_many")}}, status=429)
    limiter.hit(key)
    user = find_by_phone(db, number)
    if user is not None and user.role == "family" and not user.disabled:
        _send(request, db, user, "reset")
    request.session["reset_phone"] = number
    return _see_other("/password/reset/verify")


@router.get("/password/reset/verify")
def reset_verify_page(request: Request):
    """Type the code and a new password."""
    phone = request.session.get("reset_phone")
    if not phone:
        return _see_other("/password/reset")
    t = _t(request)
    return render(request, "password_reset_verify.html", {"message": t("code.sent_if", phone=_masked(phone)),
                                                          "problems": {}})


@router.post("/password/reset/verify")
def reset_verify(request: Request, db: DB, code: Annotated[str, Form(max_length=20)] = "",
                 password: Secret = "", password2: Secret = ""):
    """Set the new password if the code is right; the account is then logged in (every other session ends)."""
    phone = request.session.get("reset_phone")
    if not phone:
        return _see_other("/password/reset")
    t = _t(request)
    problems: dict[str, str] = {}
    user = find_by_phone(db, phone)
    if password != password2:
        problems["password2"] = t("register.mismatch")
    elif user is None or user.role != "family" or user.disabled:
        problems["code"] = t("code.wrong")
    else:
        try:
            answer = reset_password(db, user, code, password)
        except InputError as exc:
            problems = _by_field(exc, t)
        else:
            if answer == accounts.CODE_OK:
                _start_session(request, user)
                return _see_other("/family?reset=1")
            problems["code"] = t(_CODE_WORDS[answer])
    ordered = {f: problems[f] for f in ("code", "password", "password2") if f in problems}
    return render(request, "password_reset_verify.html", {"message": None, "problems": ordered}, status=400)


# ----------------------------------------------------------------------------------- family


@router.get("/family")
def family_home(request: Request, user: Me, db: DB):
    """The family's reports and their own search (寻家), each with what happens next."""
    t = _t(request)
    rows = db.scalars(select(MissingReport).where(MissingReport.family_user_id == user.id).order_by(MissingReport.id))
    message = t("family.welcome") if request.query_params.get("welcome") else (
        t("password.changed") if request.query_params.get("reset") else None)
    return render(request, "family.html", {"reports": [views.family_view(db, r, t) for r in rows],
                                           "self_search": own_self_search(db, user), "message": message})


_REPORT_FIELDS = ("child_name", "sex", "date_of_birth", "disappeared_on", "disappeared_place", "contact_phone",
                  "circumstances", "marks", "other_children", "photo")


def _kept(request: Request) -> LruCache:
    cache = getattr(request.app.state, "kept_photos", None)
    if cache is None:
        cache = request.app.state.kept_photos = LruCache(KEPT_PHOTOS)
    return cache


def _kept_photo(request: Request, user: User) -> bytes | None:
    """The photo this user chose on a form that was sent back with a problem, if still kept."""
    got = _kept(request).get(request.session.get("kept_photo") or "")
    return got[1] if got and got[0] == user.id else None


def _thumbnail(data: bytes | None) -> str | None:
    """A small data: URL of a kept photo, shown on the form again."""
    if not data:
        return None
    with Image.open(io.BytesIO(data)) as im:
        im = im.convert("RGB")
        im.thumbnail((240, 240))
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def _report_form(request: Request, user: User, values: dict, problems: dict, status: int = 200):
    ordered = {f: problems[f] for f in _REPORT_FIELDS if f in problems}
    return render(request, "family_new.html", {"values": values, "problems": ordered, "sexes": SEXES,
                                               "first": next(iter(ordered), None),
                                               "kept_photo": _thumbnail(_kept_photo(request, user))}, status=status)


@router.get("/family/reports/new")
def family_new(request: Request, user: Me):
    """The form to report a missing child."""
    request.session.pop("kept_photo", None)
    return _report_form(request, user, {}, {})


def _parse_date(value: str) -> dt.date | None:
    """A YYYY-MM-DD date (None when blank); ValueError for what is not a day (2014-02-30)."""
    value = value.strip()
    return dt.date.fromisoformat(value) if value else None


async def _photo_of(request: Request, photo: UploadFile | None) -> tuple[bytes | None, bool]:
    """The chosen photo, checked, upright, without metadata and scaled down; (None, False) when none was
    chosen, (None, True) when it was refused."""
    if photo is None or not photo.filename:
        return None, False
    limit = request.app.state.settings.max_photo_bytes
    data = await photo.read(limit + 1)
    try:
        if len(data) > limit:
            raise InputError("too large")
        return clean_photo(data, max_bytes=limit)[0], False
    except InputError:
        return None, True


@router.post("/family/reports")
async def family_create(request: Request, user: Me, db: DB,
                        child_name: Annotated[str, Form(max_length=200)] = "",
                        sex: Annotated[str, Form(max_length=10)] = "unknown",
                        date_of_birth: Annotated[str, Form(max_length=10)] = "",
                        disappeared_on: Annotated[str, Form(max_length=10)] = "",
                        disappeared_place: Annotated[str, Form(max_length=300)] = "",
                        circumstances: Annotated[str, Form(max_length=4000)] = "",
                        marks: Long = "",
                        contact_phone: Annotated[str, Form(max_length=40)] = "",
                        other_children: Annotated[str, Form(max_length=500)] = "",
                        photo: Annotated[UploadFile | None, File()] = None):
    """File the report; with a problem, the form comes back whole (the photo kept), errors beside fields."""
    t = _t(request)
    values = {"child_name": child_name, "sex": sex, "date_of_birth": date_of_birth, "disappeared_on": disappeared_on,
              "disappeared_place": disappeared_place, "circumstances": circumstances, "marks": marks,
              "contact_phone": contact_phone, "other_children": other_children}
    problems: dict[str, str] = {}
    try:
        others = parse_other_children(other_children)
    except ValueError:
        problems["other_children"] = t("report.bad_other_children")
        others = (False, [])
    for f in ("child_name", "disappeared_on", "disappeared_place", "contact_phone"):
        if not values[f].strip():
            problems[f] = t("report.required")
    if contact_phone.strip() and not HOTLINE.match(contact_phone.strip()):
        problems["contact_phone"] = t("report.bad_phone")
    dates: dict[str, dt.date | None] = {}
    for f in ("date_of_birth", "disappeared_on"):
        try:
            dates[f] = _parse_date(values[f])
        except ValueError:
            problems.setdefault(f, t("report.bad_date"))
    for p in date_problems(dates.get("date_of_birth"), dates.get("disappeared_on")):
        problems.setdefault(p.field, t("report.before_birth" if p.message == BEFORE_BIRTH else "report.bad_day"))
    if sex not in SEXES:
        problems["sex"] = t("report.required")
    data, refused = await _photo_of(request, photo)
    if refused:
        problems["photo"] = t("report.bad_photo")
    elif data is not None:
        token = secrets.token_urlsafe(16)
        _kept(request)[token] = (user.id, data)
        request.session["kept_photo"] = token
    else:
        data = _kept_photo(request, user)
    if problems:
        return _report_form(request, user, values, problems, status=400)
    rep = create_report(db, user, child_name=child_name, sex=sex, date_of_birth=dates.get("date_of_birth"),
                        disappeared_on=dates.get("disappeared_on"), disappeared_place=disappeared_place,
                        circumstances=circumstances, marks=marks, contact_phone=contact_phone, other_children=others)
    if data:
        add_photo(db, data, report=rep.report_number, user=user.name, media=request.app.state.settings.media_dir,
                  max_bytes=max(len(data), 1))
    _kept(request).pop(request.session.pop("kept_photo", None) or "", None)
    return _see_other(f"/family/reports/{rep.report_number}?created=1")


_REPORT_MESSAGES = {"created": "report.created", "withdrawn": "relatives.withdrawn", "others": "others.saved"}


def _report_page(request: Request, db: Session, rep: MissingReport, *, message: str | None = None,
                 problems: dict | None = None, status: int = 200, **extra):
    t = _t(request)
    try:
        g = _guidance(request, db, rep)
        guidance = family_guidance_lines(g, t) if g is not None else []
    except ReuniteError:
        guidance = []   # (the investigators' page says why)
    return render(request, "family_report.html", {"r": views.family_view(db, rep, t), "message": message,
                                                  "relations": RELATIONS, "scopes": SCOPES, "guidance": guidance,
                                                  "steps": report_steps(db, rep), "problems": problems or {},
                                                  **extra}, status=status)


@router.get("/family/reports/{report_number}")
def family_report(request: Request, report_number: Key, user: Me, db: DB):
    """A report as its family sees it, with the steps of the case."""
    t = _t(request)
    rep = own_report(db, user, report_number)
    msg = next((t(key, number=rep.report_number) for q, key in _REPORT_MESSAGES.items()
                if request.query_params.get(q)), None)
    return _report_page(request, db, rep, message=msg)


@router.post("/family/reports/{report_number}/other-children")
def family_other_children(request: Request, report_number: Key, user: Me, db: DB,
                          other_children: Annotated[str, Form(max_length=500)] = ""):
    """The family lists its other children (sex, birth year), or says it has none."""
    rep = own_report(db, user, report_number)
    try:
        listed, items = parse_other_children(other_children)
    except ValueError:
        return _report_page(request, db, rep, problems={"other_children": _t(request)("report.bad_other_children")},
                            status=400, other_children_value=other_children)
    record_other_children(db, rep, listed, items, user=user.name)
    return _see_other(f"/family/reports/{report_number}?others=1")


@router.post("/family/reports/{report_number}/relatives")
def family_relative(report_number: Key, user: Me, db: DB, relation: Annotated[str, Form(max_length=20)] = "",
                    consent: Annotated[bool, Form()] = False, scope: Annotated[str, Form(max_length=20)] = ""):
    """Name a relative who can give DNA; then the page says where and how."""
    rep = own_report(db, user, report_number)
    add_relative(db, rep, relation, consent, scope, user=user.name)
    return _see_other(f"/family/reports/{report_number}/sample?added=1")


def _labs(db: Session, lang: str) -> list[dict]:
    return [{"name": (lab.name_zh if lang == "zh" and lab.name_zh else lab.name),
             "other_name": (lab.name if lang == "zh" and lab.name_zh else lab.name_zh),
             "address": lab.address, "accreditation": lab.accreditation} for lab in list_labs(db)]


@router.get("/family/reports/{report_number}/sample")
def family_sample(request: Request, report_number: Key, user: Me, db: DB):
    """Where and how the named relatives give a DNA sample, and the steps of the case."""
    t = _t(request)
    rep = own_report(db, user, report_number)
    return render(request, "family_sample.html", {
        "r": views.family_view(db, rep, t), "labs": _labs(db, choose_language(request)),
        "steps": report_steps(db, rep), "relations": RELATIONS, "scopes": SCOPES,
        "message": t("relatives.added") if request.query_params.get("added") else None})


def _relative(rep: MissingReport, member_id: str):
    d = next((d for d in rep.relatives if d.member_id == member_id), None)
    if d is None:
        raise WebError(404, "not_found", "there is no such relative on this report")
    return d


def _withdrawal(request: Request, db: Session, rep: MissingReport, member_id: str, problems: dict | None = None,
                status: int = 200):
    """The confirmation page: exactly what a withdrawal would delete, and what stays."""
    d = _relative(rep, member_id)
    sample = d.sample or next((m.sample for m in rep.pedigree if m.member_id == member_id and m.sample), None)
    typed = sample is not None and db.scalars(select(DnaSample).where(
        DnaSample.sample == sample, DnaSample.erased.is_(False))).first() is not None
    files = planned_erasure(db, rep.report_number)   # (the index directory withdraw_consent erases)
    return render(request, "family_withdraw.html", {
        "r": views.family_view(db, rep, _t(request)), "d": d, "relations": RELATIONS, "typed": typed,
        "files": files, "candidates": sum(1 for c in rep.candidates if c.has_dna), "problems": problems or {}},
        status=status)


@router.get("/family/reports/{report_number}/relatives/{member_id}/withdraw")
def family_withdraw_page(request: Request, report_number: Key, member_id: Key, user: Me, db: DB):
    """Before a relative withdraws consent: what will be deleted, and a confirmation."""
    return _withdrawal(request, db, own_report(db, user, report_number), member_id)


@router.post("/family/reports/{report_number}/relatives/{member_id}/withdraw")
def family_withdraw(request: Request, report_number: Key, member_id: Key, user: Me, db: DB,
                    reason: Annotated[str, Form(max_length=500)] = "",
                    confirm: Annotated[str, Form(max_length=10)] = ""):
    """A relative withdraws consent (confirmed): the genotype is erased everywhere, candidates are marked."""
    rep = own_report(db, user, report_number)
    _relative(rep, member_id)
    if confirm != "yes":
        return _withdrawal(request, db, rep, member_id, {"confirm": _t(request)("withdraw.confirm_needed")},
                           status=400)
    try:
        withdraw_consent(db, rep.report_number, member_id, user=user.name,
                         reason=reason.strip() or "withdrawn by the family")
    except InputError as exc:
        raise WebError(400, "invalid", str(exc)) from None
    return _see_other(f"/family/reports/{report_number}?withdrawn=1")


# ------------------------------------------------------------------------------- 寻家

_SELF_FIELDS = ("sex", "birth_year", "year_taken", "age_taken", "places", "names", "grew_up", "marks", "story",
                "photo")


@router.get("/xunjia")
def xunjia(request: Request, user: Me, db: DB):
    """寻家: what a grown child who believes they were taken can do here, in plain words."""
    mine = own_self_search(db, user) if user is not None and user.role == "family" else None
    return render(request, "xunjia.html", {"mine": mine})


def _self_form(request: Request, values: dict, problems: dict, status: int = 200):
    ordered = {f: problems[f] for f in _SELF_FIELDS if f in problems}
    return render(request, "xunjia_new.html", {"values": values, "problems": ordered, "sexes": SEXES,
                                               "first": next(iter(ordered), None)}, status=status)


@router.get("/xunjia/new")
def xunjia_new(request: Request, user: Me, db: DB):
    """The form of what the grown child remembers."""
    if own_self_search(db, user) is not None:
        return _see_other("/xunjia/me")
    return _self_form(request, {}, {})


def _year(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 4:
        raise ValueError(value)
    return int(value)


@router.post("/xunjia/new")
async def xunjia_create(request: Request, user: Me, db: DB, sex: Annotated[str, Form(max_length=10)] = "unknown",
                        birth_year: Annotated[str, Form(max_length=10)] = "",
                        birth_year_sure: Annotated[bool, Form()] = False,
                        year_taken: Annotated[str, Form(max_length=10)] = "",
                        age_taken: Annotated[str, Form(max_length=10)] = "",
                        places: Long = "", names: Long = "", grew_up: Long = "", marks: Long = "", story: Long = "",
                        photo: Annotated[UploadFile | None, File()] = None):
    """Register the self-search; then the page of what happens next (and the DNA consent)."""
    t = _t(request)
    values = {"sex": sex, "birth_year": birth_year, "birth_year_sure": birth_year_sure, "year_taken": year_taken,
              "age_taken": age_taken, "places": places, "names": names, "grew_up": grew_up, "marks": marks,
              "story": story}
    problems: dict[str, str] = {}
    numbers: dict[str, int | None] = {}
    for f in ("birth_year", "year_taken", "age_taken"):
        try:
            numbers[f] = _year(values[f])
        except ValueError:
            problems[f] = t("xunjia.bad_number")
    data, refused = await _photo_of(request, photo)
    if refused:
        problems["photo"] = t("report.bad_photo")
    memories = Memories(sex=sex, birth_year_sure=birth_year_sure, places=places, names=names, grew_up=grew_up,
                        marks=marks, story=story, **{k: v for k, v in numbers.items() if k not in problems})
    if not problems:
        try:
            child = register_self_search(db, user, memories)
        except InputError as exc:
            db.rollback()
            problems = {p.field or "places": t(f"xunjia.bad.{p.field}") for p in reversed(exc.problems)}
    if problems:
        return _self_form(request, values, problems, status=400)
    if data:
        add_photo(db, data, found_child=child.case_number, user=user.name,
                  media=request.app.state.settings.media_dir, max_bytes=max(len(data), 1))
    return _see_other("/xunjia/me?created=1")


def _mine(db: Session, user: User):
    child = own_self_search(db, user)
    if child is None:
        raise WebError(404, "not_found", "this account has not registered its own search")
    return child


def _me_page(request: Request, db: Session, child, *, message: str | None = None, problems: dict | None = None,
             status: int = 200):
    """The grown child's own page (see :func:`xunjia_me`)."""
    typed = child.sample is not None and db.scalars(select(DnaSample).where(
        DnaSample.sample == child.sample, DnaSample.erased.is_(False))).first() is not None
    return render(request, "xunjia_me.html", {
        "c": child, "m": child.memories or {}, "message": message, "steps": self_search_steps(db, child),
        "labs": _labs(db, choose_language(request)), "problems": problems or {}, "typed": typed,
        "files": erase_child_files(db, child.id, dry_run=True),
        "candidates": sum(1 for c in child.candidates if c.has_dna)}, status=status)


_ME_MESSAGES = {"consent": "xunjia.consented", "withdrawn": "xunjia.withdrawn"}


@router.get("/xunjia/me")
def xunjia_me(request: Request, user: Me, db: DB):
    """The grown child's own page: what they told us, the DNA consent (given, or withdrawn after a list of
    what is deleted), where to give a sample, and the next steps."""
    t = _t(request)
    child = _mine(db, user)
    msg = t("xunjia.created", number=child.case_number) if request.query_params.get("created") else next(
        (t(key) for q, key in _ME_MESSAGES.items() if request.query_params.get(q)), None)
    return _me_page(request, db, child, message=msg)


@router.post("/xunjia/me/consent")
def xunjia_consent(request: Request, user: Me, db: DB, agree: Annotated[bool, Form()] = False):
    """The grown child agrees to give DNA (the box must be ticked)."""
    child = _mine(db, user)
    if not agree:
        return _me_page(request, db, child, problems={"agree": _t(request)("xunjia.consent_needed")}, status=400)
    give_dna_consent(db, child, user=user.name)
    return _see_other("/xunjia/me?consent=1")


@router.post("/xunjia/me/withdraw")
def xunjia_withdraw(request: Request, user: Me, db: DB, confirm: Annotated[str, Form(max_length=10)] = ""):
    """The grown child withdraws their DNA consent (confirmed): the profile and the files that may hold it
    are deleted, the possible matches lose the DNA evidence."""
    child = _mine(db, user)
    if child.dna_consent_at is None:
        return _see_other("/xunjia/me")
    if confirm != "yes":
        return _me_page(request, db, child, problems={"confirm": _t(request)("withdraw.confirm_needed")}, status=400)
    withdraw_dna_consent(db, child, user=user.name)
    return _see_other("/xunjia/me?withdrawn=1")
