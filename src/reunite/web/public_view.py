"""The public appeal pages, their posters and press kits, and the investigators' publishing forms.

Public (rules in :data:`reunite.web.access.RULES`): the list of appeals searched by place (Chinese,
pinyin or English), sex, kind, age then and age now, and date; one appeal with its description,
marks, share links (a copy-able link, a Weibo share URL, a QR code to scan in WeChat: no third-party
script) and its posters; the poster's QR code opens the appeal page with ``?poster=<token>``, which
says whether the poster is genuine, superseded, withdrawn or forged.

Investigators: publish a found child's or a missing child's appeal with the facts chosen, unpublish
it (its posters on disk are erased).  The domain is :mod:`reunite.cases.appeals`; posters are drawn
by :mod:`reunite.reports.poster` and cached in memory by content (an edition's token is part of it).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import urllib.parse
from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..cases import appeals
from ..cases.models import SEXES, Appeal, User
from ..cases.signing import SigningKeyMissing
from ..reports import poster as posters
from .access import WebError, authorize, current_user, get_db
from .api import take_tip
from .cohort_view import LruCache
from .i18n import choose_language, translator
from .responses import render

__all__ = ["public_url", "router", "staff_appeal"]

router = APIRouter(include_in_schema=False, dependencies=[Depends(authorize)])

DB = Annotated[Session, Depends(get_db)]
Me = Annotated[User | None, Depends(current_user)]
IntId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Key = Annotated[str, Path(min_length=1, max_length=64)]
Small = Annotated[str | None, Query(max_length=20)]

_cache = LruCache(48)
_cache_lock = threading.Lock()


def public_url(request: Request) -> str:
    """The site's public address: ``$REUNITE_PUBLIC_URL`` or the address the request came to."""
    return (os.environ.get(appeals.PUBLIC_URL_ENV) or str(request.base_url)).rstrip("/")


# ------------------------------------------------------------------------------ the views


def _age(t, months: float | None) -> str | None:
    if months is None:
        return None
    unit, n = appeals.age_parts(months)
    return t(f"age.{unit}", n=n)


def _card(t, lang: str, v: appeals.PublicAppeal) -> dict:
    """An appeal as the templates show it: the public view plus its words in the page's language."""
    # in English the Chinese name too: it is what the place is called where the child was lost or found
    place = v.place_zh if lang == "zh" or not v.place_en else f"{v.place_en} ({v.place_zh})"
    return {**v.as_dict(), "age_now_words": _age(t, v.age_now_months), "age_then_words": _age(t, v.age_then_months),
            "place": place, "marks_words": posters.marks_text(v, lang)}


def _years(value: str | None) -> float | None:
    try:
        x = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    return x if x is not None and 0 <= x <= 120 else None


def _day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/appeals")
def appeals_page(request: Request, db: DB, place: Annotated[str | None, Query(max_length=200)] = None,
                 sex: Small = None, kind: Small = None, min_age: Small = None, max_age: Small = None,
                 min_age_then: Small = None, max_age_then: Small = None, date_from: Small = None,
                 date_to: Small = None):
    """Published appeals, searched (bad values in the form are ignored, not errors: it is a public search)."""
    lang = choose_language(request)
    t = translator(lang)
    form = {"place": place or "", "sex": sex if sex in SEXES else "", "kind": kind if kind in appeals.KINDS else "",
            "min_age": min_age or "", "max_age": max_age or "", "min_age_then": min_age_then or "",
            "max_age_then": max_age_then or "", "date_from": date_from or "", "date_to": date_to or ""}
    rows = appeals.search(db, place=place, sex=form["sex"] or None, kind=form["kind"] or None,
                          age_now=(_years(min_age), _years(max_age)),
                          age_then=(_years(min_age_then), _years(max_age_then)),
                          date_from=_day(date_from), date_to=_day(date_to))
    advanced = any(form[k] for k in ("min_age_then", "max_age_then", "date_from", "date_to", "kind"))
    return render(request, "appeals.html", {"items": [_card(t, lang, v) for v in rows], "form": form,
                                            "sexes": SEXES, "kinds": appeals.KINDS, "advanced": advanced})


def _share(request: Request, appeal_id: int, title: str) -> dict:
    url = f"{public_url(request)}/appeals/{appeal_id}"
    weibo = "https://service.weibo.com/share/share.php?" + urllib.parse.urlencode({"url": url, "title": title})
    return {"url": url, "weibo": weibo, "qr": segno.make(url, error="m").svg_data_uri(scale=4, border=2)}


def _appeal_context(request: Request, db: Session, a: Appeal, verification) -> dict:
    lang = choose_language(request)
    t = translator(lang)
    card = _card(t, lang, appeals.public_view(a))
    return {"a": card, "verification": verification, "share": _share(request, a.id, t(f"appeals.kind.{a.kind}")),
            "posters": [(lang_, size) for lang_ in posters.LANGS for size in posters.SIZES],
            "posters_off": request.app.state.signer.ephemeral,
            "message": None, "problems": False}


@router.get("/appeals/{appeal_id}")
def appeal_page(request: Request, appeal_id: IntId, db: DB,
                poster: Annotated[str | None, Query(max_length=80)] = None):
    """One appeal; with ``?poster=<token>`` (a poster's QR code) it first says whether the poster is
    genuine.  A withdrawn appeal's poster gets a page saying so (410), not the appeal."""
    signer = request.app.state.signer
    verification = appeals.verify_token(db, poster, appeal_id, signer=signer) if poster is not None else None
    a = db.get(Appeal, appeal_id)
    if a is None or not a.published:
        if verification is None:
            raise WebError(404, "not_found", "there is no published appeal with this number")
        status = 410 if verification.status == "withdrawn" else 404
        return render(request, "appeal.html", {"a": None, "verification": verification}, status=status)
    return render(request, "appeal.html", _appeal_context(request, db, a, verification))


@router.post("/appeals/{appeal_id}/tips")
def appeal_tip(request: Request, appeal_id: IntId, db: DB, message: Annotated[str, Form(max_length=4000)] = "",
               contact: Annotated[str | None, Form(max_length=4000)] = None):
    """A tip from the public; it goes to the investigators only."""
    a = appeals.published_appeal(db, appeal_id)
    t = translator(choose_language(request))
    ctx = _appeal_context(request, db, a, None)
    try:
        take_tip(request, db, appeal_id, message, contact)
    except WebError as exc:
        if exc.status not in (400, 429):
            raise
        ctx.update(message=t("tip.too_many") if exc.status == 429 else t("tip.invalid"), problems=True)
        return render(request, "appeal.html", ctx, status=exc.status)
    ctx.update(message=t("tip.thanks"))
    return render(request, "appeal.html", ctx)


def _cached(key: tuple, make) -> bytes:
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    data = make()
    with _cache_lock:
        _cache[key] = data
    return data


def _poster(request: Request, db: Session, appeal_id: int) -> posters.Poster:
    appeals.published_appeal(db, appeal_id)
    try:
        return posters.load_poster(db, appeal_id, base_url=public_url(request),
                                   media_dir=request.app.state.settings.media_dir, signer=request.app.state.signer)
    except SigningKeyMissing as exc:    # a server without REUNITE_SECRET_KEY makes no poster
        raise WebError(503, "unavailable", str(exc)) from None


@router.get("/appeals/{appeal_id}/poster")
def poster_download(request: Request, appeal_id: IntId, db: DB,
                    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
                    size: Annotated[str, Query(pattern="^(a4|a3)$")] = "a4",
                    fmt: Annotated[str, Query(pattern="^(pdf|png)$")] = "pdf"):
    """A published appeal's poster, made from the store (nothing is written to disk)."""
    p = _poster(request, db, appeal_id)
    data = _cached((p, lang, size, fmt), lambda: posters.render_poster(p, lang=lang, size=size, fmt=fmt))
    name = f"appeal-{appeal_id}-{lang}-{size}.{fmt}"
    return Response(data, media_type="application/pdf" if fmt == "pdf" else "image/png",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.get("/appeals/{appeal_id}/press-kit")
def press_kit_download(request: Request, appeal_id: IntId, db: DB):
    """A published appeal's press kit: a ZIP of its posters and a text in Chinese and English."""
    p = _poster(request, db, appeal_id)
    data = _cached((p, "press-kit"), lambda: posters.press_kit(p))
    return Response(data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="appeal-{appeal_id}-press-kit.zip"', "Cache-Control": "no-store"})


# ------------------------------------------------------------------------------ investigators


def _facts(form) -> list[str] | None:
    """The facts ticked in the form (``facts_chosen`` marks a form with the boxes), else the defaults."""
    return [f for f in appeals.FACTS if form.get(f"fact_{f}")] if form.get("facts_chosen") else None


async def _publish(request: Request, db: Session, user: User, **subject) -> Appeal:
    form = await request.form()
    photo = str(form.get("photo_id") or "")
    pid = int(photo) if photo.isdigit() and 0 < int(photo) < 2**31 else None

    def text(name: str, limit: int) -> str:
        value = str(form.get(name) or "")
        if len(value) > limit:
            raise WebError(400, "invalid", f"{name} is at most {limit} characters")
        return value

    return appeals.publish(db, user=user.name, hotline=text("hotline", 40), photo_id=pid, facts=_facts(form),
                           description=text("description", 2000), marks=text("marks", 2000),
                           no_photo_reason=text("no_photo_reason", 500), **subject)


@router.post("/children/{case_number}/appeal")
async def child_appeal(request: Request, case_number: Key, user: Me, db: DB):
    """Publish (or update) a found child's appeal with the facts chosen."""
    await _publish(request, db, user, case_number=case_number)
    return RedirectResponse(f"/children/{case_number}?msg=appeal+published", status_code=303)


@router.post("/reports/{report_number}/appeal")
async def report_appeal(request: Request, report_number: Key, user: Me, db: DB):
    """Publish (or update) a missing child's appeal, which the family agreed to."""
    await _publish(request, db, user, report_number=report_number)
    return RedirectResponse(f"/reports/{report_number}?msg=appeal+published", status_code=303)


@router.post("/appeals/{appeal_id}/unpublish")
def appeal_unpublish(appeal_id: IntId, user: Me, db: DB):
    """Unpublish at once; the posters written for the appeal are erased."""
    a = appeals.set_published(db, appeal_id, False, user=user.name)
    where = f"/children/{a.case_reference}" if a.kind == "found" else f"/reports/{a.case_reference}"
    return RedirectResponse(f"{where}?msg=appeal+unpublished", status_code=303)


def staff_appeal(db: Session, *, found_child_id: int | None = None, report_id: int | None = None) -> Appeal | None:
    """The appeal of a found child or a report, for the staff pages (published or not)."""
    column, value = (Appeal.found_child_id, found_child_id) if found_child_id else (Appeal.report_id, report_id)
    return db.scalars(select(Appeal).where(column == value)).first()
