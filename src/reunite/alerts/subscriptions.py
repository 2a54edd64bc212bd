"""Subscribing to alerts: double opt-in by a signed link, and a signed unsubscribe link in every message.

:func:`subscribe` stores a ``pending`` subscription and sends the confirmation message (the link
carries a token signed with the site's key, valid :data:`CONFIRM_MAX_AGE` seconds);
:func:`confirm` makes it ``active``; :func:`unsubscribe` ends it (its token never expires, so an
old message's link still works).  Tokens are made by :class:`Links` through the one signer of
:mod:`reunite.cases.signing` (salted per purpose, so a confirmation token cannot unsubscribe nor the
reverse; a retired key of the key ring still reads the links it signed).  Nothing here writes a
recipient to a log: the audit entries carry the subscription's id and channel only.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..cases.audit import append_audit
from ..cases.models import utcnow
from ..cases.signing import Signer, SigningKeyMissing
from ..errors import InputError, Problem, ReuniteError
from ..evidence.place import place_of_adcode, resolve_place
from ..notify import Channel, Delivery, Message, check_recipient
from .models import SUBSCRIBER_KINDS, AlertSubscription

__all__ = ["CONFIRM_MAX_AGE", "AlertError", "Links", "confirm", "subscribe", "unsubscribe"]

#: How long a confirmation link works (seconds): a week.
CONFIRM_MAX_AGE = 7 * 24 * 3600
MAX_RADIUS_KM = 2000.0


class AlertError(ReuniteError):
    """An alert or subscription step that cannot be done (a bad or expired link, no secret …)."""


@dataclass(frozen=True)
class Links:
    """Signs and reads the confirmation and unsubscribe tokens, and makes their URLs under ``base_url``
    (the site's public address: ``$REUNITE_PUBLIC_URL``).  ``secret`` is the one signer of
    :mod:`reunite.cases.signing` (purposes ``alerts-confirm`` and ``alerts-unsubscribe``), or the key
    itself."""

    secret: Signer | str
    base_url: str = "http://127.0.0.1:8000"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Links:
        env = os.environ if environ is None else environ
        try:
            signer = Signer.from_env(env, needed_for="the confirmation and unsubscribe links")
        except SigningKeyMissing as exc:
            raise AlertError(str(exc)) from None
        return cls(signer, (env.get("REUNITE_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/"))

    @property
    def signer(self) -> Signer:
        return self.secret if isinstance(self.secret, Signer) else Signer(self.secret)

    def _serializer(self, purpose: str):
        timed = purpose == "confirm"
        return self.signer.serializer("alerts-confirm" if timed else "alerts-unsubscribe", timed=timed)

    @functools.cached_property
    def _unsubscribe(self):          # made once: a fan-out signs one link per message
        return self._serializer("unsubscribe")

    def token(self, purpose: str, subscription_id: int) -> str:
        if purpose == "confirm":
            return self._serializer(purpose).dumps(subscription_id)
        return self._unsubscribe.dumps(subscription_id)

    def read(self, purpose: str, token: str, *, max_age: int = CONFIRM_MAX_AGE) -> int:
        """The subscription id a token of ``purpose`` carries, or :class:`AlertError`."""
        try:
            if purpose == "confirm":
                value = self._serializer(purpose).loads(token, max_age=max_age)
            else:
                value = self._serializer(purpose).loads(token)
        except SignatureExpired:
            raise AlertError("this confirmation link has expired; subscribe again") from None
        except BadSignature:
            raise AlertError(f"this {purpose} link is not valid (it was changed or cut short)") from None
        if not isinstance(value, int):
            raise AlertError(f"this {purpose} link is not valid")
        return value

    def url(self, purpose: str, subscription_id: int) -> str:
        path = "confirm" if purpose == "confirm" else "unsubscribe"
        return f"{self.base_url}/alerts/{path}/{self.token(purpose, subscription_id)}"


def _area(place: str | None, radius_km: float | None, provinces: list[str] | None) -> dict:
    """The area's columns from a place and radius, or a list of province names; problems collected."""
    problems: list[Problem] = []
    if provinces:
        codes = []
        for name in provinces:
            p = resolve_place(name)
            if p is None:
                problems.append(Problem("a province is not in the gazetteer (write it in Chinese or pinyin, "
                                        "e.g. 云南 or Yunnan)", field="provinces"))
            else:
                codes.append(p.adcode[:2] + "0000")
        if problems:
            raise InputError(problems)
        return {"provinces": sorted(set(codes)), "place": None, "place_adcode": None, "lat": None, "lon": None,
                "radius_km": None}
    resolved = resolve_place(place) if place else None
    if resolved is None:
        problems.append(Problem("the place is missing or not in the gazetteer (a county, city or province of "
                                "mainland China, in Chinese or pinyin)", field="place"))
    if radius_km is None or not (0 <= radius_km <= MAX_RADIUS_KM):
        problems.append(Problem(f"the radius is a number of km from 0 to {MAX_RADIUS_KM:g}", field="radius_km"))
    if problems:
        raise InputError(problems)
    return {"provinces": None, "place": resolved.name_zh, "place_adcode": resolved.adcode, "lat": resolved.lat,
            "lon": resolved.lon, "radius_km": float(radius_km)}


def _confirmation(links: Links, sub: AlertSubscription) -> Message:
    url = links.url("confirm", sub.id)
    where = sub.place or "、".join(p.name_zh for p in map(place_of_adcode, sub.provinces or []) if p)
    where_en = (place_of_adcode(sub.place_adcode).name_en if sub.place_adcode else
                "; ".join(p.name_en for p in map(place_of_adcode, sub.provinces or []) if p))
    radius = f"{sub.radius_km:g} 公里内" if sub.radius_km is not None else ""
    radius_en = f"within {sub.radius_km:g} km of " if sub.radius_km is not None else ""
    return Message(
        "请确认订阅儿童失踪预警 / Confirm your Reunite alerts",
        body_zh=f"您（或有人用您的联系方式）订阅了{where}{radius}的儿童失踪预警。\n请打开以下链接确认：\n{url}\n"
                "如果不是您本人，请忽略本消息，您不会收到预警。",
        body_en=f"You (or someone using your contact) asked for missing-child alerts {radius_en}{where_en}.\n"
                f"Open this link to confirm:\n{url}\nIf it was not you, ignore this message: no alert will be sent.",
        key=f"confirm-{sub.id}", unsubscribe_url=links.url("unsubscribe", sub.id))


def subscribe(session: Session, *, channel_kind: str, recipient: str, links: Links, sender: Channel,
              place: str | None = None, radius_km: float | None = None, provinces: list[str] | None = None,
              kind: str = "person", organisation: str | None = None, lang: str = "zh",
              user: str = "public") -> tuple[AlertSubscription, Delivery]:
    """Store a pending subscription and send its confirmation link by ``sender`` (a channel of
    ``channel_kind``); returns it and the delivery.  Every problem of the input is reported together.
    The same recipient, channel and area again while pending: the same row, the link sent again."""
    problems: list[Problem] = []
    try:
        recipient = check_recipient(channel_kind, recipient)
    except InputError as exc:
        problems += exc.problems
    if kind not in SUBSCRIBER_KINDS:
        problems.append(Problem(f"a subscriber is one of {', '.join(SUBSCRIBER_KINDS)}", field="kind"))
    if lang not in ("zh", "en"):
        problems.append(Problem("the language is zh or en", field="lang"))
    try:
        area = _area(place, radius_km, provinces)
    except InputError as exc:
        problems += exc.problems
    if problems:
        raise InputError(problems)
    same = [s for s in session.scalars(select(AlertSubscription).where(
        AlertSubscription.channel == channel_kind, AlertSubscription.recipient == recipient,
        AlertSubscription.status == "pending")) if (s.place_adcode, s.radius_km, s.provinces) ==
        (area["place_adcode"], area["radius_km"], area["provinces"])]
    sub = same[0] if same else AlertSubscription(kind=kind, organisation=(organisation or "").strip() or None,
                                                 channel=channel_kind, recipient=recipient, lang=lang,
                                                 status="pending", **area)
    if not same:
        session.add(sub)
        session.flush()
        append_audit(session, user, "alerts.subscribe", entity="alert_subscription", entity_id=str(sub.id),
                     details={"channel": channel_kind, "kind": kind})
    session.commit()
    return sub, sender.send(recipient, _confirmation(links, sub))


def _get(session: Session, subscription_id: int) -> AlertSubscription:
    sub = session.get(AlertSubscription, subscription_id)
    if sub is None:
        raise AlertError("this subscription no longer exists")
    return sub


def confirm(session: Session, token: str, links: Links) -> AlertSubscription:
    """Confirm the subscription of a confirmation token (again: no change); an unsubscribed one stays so."""
    sub = _get(session, links.read("confirm", token))
    if sub.status == "pending":
        sub.status, sub.confirmed_at = "active", utcnow()
        append_audit(session, "public", "alerts.confirm", entity="alert_subscription", entity_id=str(sub.id),
                     details={"channel": sub.channel})
        session.commit()
    return sub


def unsubscribe(session: Session, token: str, links: Links) -> AlertSubscription:
    """End the subscription of an unsubscribe token (again: no change).  The recipient is erased."""
    sub = _get(session, links.read("unsubscribe", token))
    if sub.status != "unsubscribed":
        sub.status, sub.unsubscribed_at = "unsubscribed", utcnow()
        sub.recipient = f"(unsubscribed {sub.id})"     # no reason to keep a contact who left
        append_audit(session, "public", "alerts.unsubscribe", entity="alert_subscription", entity_id=str(sub.id),
                     details={"channel": sub.channel})
        session.commit()
    return sub
