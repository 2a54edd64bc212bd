"""Alerts on the web (rules in access.RULES): the public's subscription, the investigators' sending.

Public (phones first, Chinese and English):

* ``GET/POST /alerts/subscribe`` — subscribe a phone, an e-mail address, a webhook or a WeChat OpenID
  (the channels the server is configured for) to the alerts of an area: a place and a radius, or
  provinces; a confirmation link is sent (double opt-in); rate-limited per address;
* ``GET/POST /alerts/confirm/{token}`` and ``GET/POST /alerts/unsubscribe/{token}`` — the links of the
  messages open a page with one button: a mail scanner that fetches the link changes nothing.

Investigators:

* ``GET /alerts`` — the alerts sent, with their counts, and the form to send one (a report number or a
  published appeal's number, when the child went missing, a hotline, what else to publish);
* ``POST /alerts`` — create the alert and deliver its first ring (:func:`reunite.alerts.alert_subject`,
  :func:`reunite.alerts.fan_out`);
* ``GET /alerts/{alert_id}`` — the alert and its delivery log (ids, rings, statuses, attempts, error
  classes: no recipient); the read is audited;
* ``POST /alerts/{alert_id}/tick`` — deliver what the clock asks now for this alert (wider ring, retries).

Links are signed with the app's secret key and point at ``$REUNITE_PUBLIC_URL`` (default: the address
the request came to); channels are configured by the environment (:mod:`reunite.notify`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..alerts import (
    Alert,
    AlertDelivery,
    AlertError,
    Links,
    Schedule,
    alert_subject,
    confirm,
    delivery_log,
    fan_out,
    subscribe,
    unsubscribe,
)
from ..alerts import tick as alerts_tick
from ..cases.models import User, utcnow
from ..errors import InputError, Problem
from ..notify import CHANNEL_KINDS, NotifySettings
from .access import WebError, authorize, current_user, get_db
from .api import client_ip
from .i18n import choose_language, problem_words, translator
from .responses import render
from .security import RateLimiter

__all__ = ["router"]

router = APIRouter(include_in_schema=False, dependencies=[Depends(authorize)])

DB = Annotated[Session, Depends(get_db)]
Me = Annotated[User | None, Depends(current_user)]
Token = Annotated[str, Path(min_length=8, max_length=300)]
IntId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Short = Annotated[str, Form(max_length=300)]
RADII = (10, 50, 100, 300, 500)
SUBSCRIBE_LIMIT, SUBSCRIBE_WINDOW = 10, 3600.0


def _links(request: Request) -> Links:
    base = os.environ.get("REUNITE_PUBLIC_URL") or str(request.base_url)
    return Links(request.app.state.signer, base.rstrip("/"))


def _limiter(request: Request) -> RateLimiter:
    state = request.app.state
    if not hasattr(state, "alerts_subscribe_limiter"):
        state.alerts_subscribe_limiter = RateLimiter(SUBSCRIBE_LIMIT, SUBSCRIBE_WINDOW)
    return state.alerts_subscribe_limiter


def _channels() -> list[str]:
    """The channels a subscriber may choose: those configured, phone first."""
    ok = NotifySettings.from_env().configured()
    order = ("sms", "wechat", "email", "webhook")
    return [k for k in order if ok.get(k)]


# ------------------------------------------------------------------------------------ public


def _form(request: Request, values: dict, problems: dict, message: str | None = None, status: int = 200):
    return render(request, "alerts_subscribe.html", {"values": values, "problems": problems, "message": message,
                                                     "channels": _channels(), "radii": RADII}, status=status)


@router.get("/alerts/subscribe")
def subscribe_page(request: Request):
    lang = choose_language(request)
    return _form(request, {"radius_km": "100", "lang": lang, "kind": "person", "area": "place"}, {})


@router.post("/alerts/subscribe")
def subscribe_post(request: Request, db: DB, channel: Annotated[str, Form(max_length=10)] = "",
                   recipient: Short = "", area: Annotated[str, Form(max_length=10)] = "place", place: Short = "",
                   radius_km: Annotated[str, Form(max_length=10)] = "100", provinces: Short = "",
                   kind: Annotated[str, Form(max_length=20)] = "person", organisation: Short = ""):
    lang = choose_language(request)
    t = translator(lang)
    values = {"channel": channel, "recipient": recipient, "area": area, "place": place, "radius_km": radius_km,
              "provinces": provinces, "kind": kind, "organisation": organisation, "lang": lang}
    if _limiter(request).blocked(client_ip(request)):
        return _form(request, values, {"form": t("alerts.too_many")}, status=429)
    if channel not in _channels():
        return _form(request, values, {"channel": t("alerts.bad_channel")}, status=400)
    try:
        radius = float(radius_km) if area == "place" else None
    except ValueError:
        radius = -1.0
    names = [p.strip() for p in provinces.replace("，", ",").replace("、", ",").split(",") if p.strip()]
    try:
        sender = NotifySettings.from_env().channel(channel, stream=None)
        _sub, delivery = subscribe(db, channel_kind=channel, recipient=recipient, links=_links(request),
                                   sender=sender, place=place if area == "place" else None, radius_km=radius,
                                   provinces=names if area == "provinces" else None, kind=kind,
                                   organisation=organisation, lang=lang)
        sender.close()
    except InputError as exc:
        problems = {p.field or "form": t(f"alerts.problem.{p.field}") if p.field in _FIELDS else p.message
                    for p in exc.problems}
        return _form(request, values, problems, status=400)
    _limiter(request).hit(client_ip(request))
    if not delivery.ok:
        return _form(request, values, {"form": t("alerts.not_sent")}, status=502)
    return _form(request, {"radius_km": "100", "lang": lang, "kind": "person", "area": "place"}, {},
                 message=t("alerts.check_inbox") if channel == "email" else t("alerts.check_messages"))


_FIELDS = {"recipient", "place", "radius_km", "provinces", "kind"}


def _link_page(request: Request, db: Session, purpose: str, token: str, done: bool):
    t = translator(choose_language(request))
    links = _links(request)
    try:
        if done:
            sub = (confirm if purpose == "confirm" else unsubscribe)(db, token, links)
            message = t("alerts.confirmed" if purpose == "confirm" else "alerts.unsubscribed")
            return render(request, "alerts_link.html", {"purpose": purpose, "token": token, "message": message,
                                                        "sub": sub, "done": True})
        links.read(purpose, token)
    except AlertError:
        return render(request, "alerts_link.html", {"purpose": purpose, "token": token, "done": False,
                                                    "message": t("alerts.bad_link"), "bad": True}, status=400)
    return render(request, "alerts_link.html", {"purpose": purpose, "token": token, "done": False, "message": None})


@router.get("/alerts/confirm/{token}")
def confirm_page(request: Request, token: Token, db: DB):
    return _link_page(request, db, "confirm", token, done=False)


@router.post("/alerts/confirm/{token}")
def confirm_post(request: Request, token: Token, db: DB):
    return _link_page(request, db, "confirm", token, done=True)


@router.get("/alerts/unsubscribe/{token}")
def unsubscribe_page(request: Request, token: Token, db: DB):
    return _link_page(request, db, "unsubscribe", token, done=False)


@router.post("/alerts/unsubscribe/{token}")
def unsubscribe_post(request: Request, token: Token, db: DB):
    return _link_page(request, db, "unsubscribe", token, done=True)


# ------------------------------------------------------------------------------ investigators


def _counts(db: Session) -> dict[int, Counter]:
    out: dict[int, Counter] = {}
    for aid, status, n in db.execute(select(AlertDelivery.alert_id, AlertDelivery.status, func.count())
                                     .group_by(AlertDelivery.alert_id, AlertDelivery.status)):
        out.setdefault(aid, Counter())[status] = n
    return out


def _list(request: Request, db: Session, values: dict, problems: dict, status: int = 200):
    alerts = list(db.scalars(select(Alert).order_by(Alert.id.desc()).limit(200)))
    return render(request, "alerts.html", {"alerts": alerts, "counts": _counts(db), "values": values,
                                           "problems": problems}, status=status)


@router.get("/alerts")
def alerts_page(request: Request, db: DB):
    return _list(request, db, {}, {})


def _when(text: str) -> dt.datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InputError(Problem("when the child went missing: a date and time such as 2026-12-05T14:30",
                                 field="missing_since", code="alert_when")) from None
    return t.astimezone(dt.UTC).replace(tzinfo=None) if t.tzinfo else t


@router.post("/alerts")
def alerts_send(request: Request, user: Me, db: DB, subject: Annotated[str, Form(max_length=10)] = "report",
                number: Annotated[str, Form(max_length=64)] = "",
                missing_since: Annotated[str, Form(max_length=40)] = "",
                hotline: Annotated[str, Form(max_length=40)] = "",
                description_zh: Annotated[str, Form(max_length=2000)] = "",
                description_en: Annotated[str, Form(max_length=2000)] = ""):
    values = {"subject": subject, "number": number, "missing_since": missing_since, "hotline": hotline,
              "description_zh": description_zh, "description_en": description_en}
    links = _links(request)
    try:
        appeal = None
        if subject == "appeal":
            if not number.strip().isdigit() or not 0 < int(number) < 2**31:
                raise InputError(Problem("an appeal is given by its number", field="appeal", code="appeal_number"))
            appeal = int(number)
        alert = alert_subject(db, user=user.name, report=number.strip() if subject == "report" else None,
                              appeal_id=appeal, started_at=_when(missing_since), hotline=hotline.strip() or None,
                              description_zh=description_zh, description_en=description_en,
                              public_url=links.base_url)
    except InputError as exc:
        lang = choose_language(request)
        said = [(problem_words(p, lang), p.message) for p in exc.problems]
        return _list(request, db, values, {"form": "; ".join(w or m for w, m in said),
                                           "form_english": any(w is None for w, _ in said) and lang != "en"},
                     status=400)
    fan_out(db, alert.id, links=links)
    return RedirectResponse(f"/alerts/{alert.id}", status_code=303)


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, alert_id: IntId, user: Me, db: DB):
    alert = db.get(Alert, alert_id)
    if alert is None:
        raise WebError(404, "not_found", "there is no such alert")
    log = delivery_log(db, alert_id, limit=2000, user=user.name, source="web")
    schedule = Schedule.from_json(alert.schedule)
    step = schedule.step_at(alert.started_at, utcnow())
    return render(request, "alert.html", {"a": alert, "log": log, "counts": Counter(r["status"] for r in log),
                                          "radius_now": schedule.radius(step),
                                          "next_change": schedule.next_change(alert.started_at, step),
                                          "schedule": schedule.steps, "channels": CHANNEL_KINDS})


@router.post("/alerts/{alert_id}/tick")
def alert_tick(request: Request, alert_id: IntId, db: DB):
    if db.get(Alert, alert_id) is None:
        raise WebError(404, "not_found", "there is no such alert")
    alerts_tick(db, links=_links(request), alert_ids=[alert_id])
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)
