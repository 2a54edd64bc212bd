"""``reunite alerts``: subscriptions, and appeals pushed to subscribers in a widening radius (:mod:`reunite.alerts`).

``subscribe`` stores a pending subscription and sends its confirmation link; ``confirm`` and
``unsubscribe`` take the token of a link; ``send`` creates an alert of a report or a published
appeal and delivers its first ring; ``tick`` delivers what the clock now asks (wider rings, retries,
what a crashed sender left): run it every few minutes (cron, a systemd timer); ``log`` prints the
delivery log (ids, rings, statuses, attempts, error classes: no recipient, no name).

Channels are configured by the environment (docs/alerts.md, :mod:`reunite.notify`); the links are
signed with ``$REUNITE_SECRET_KEY`` and point at ``$REUNITE_PUBLIC_URL``.  The store is ``--db`` or
``$REUNITE_DATABASE_URL``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer

from ..errors import InputError, Problem, ReuniteError
from ._common import UserOpt, fail

__all__ = ["register"]

alerts_app = typer.Typer(help="Alerts: subscribers, and appeals sent in a radius that widens with time.",
                         no_args_is_help=True)

DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL (default: $REUNITE_DATABASE_URL or "
                                                         "sqlite:///reunite.db).")]
NowOpt = Annotated[str | None, typer.Option("--now", help="The time to act at (ISO, UTC; default: now). For tests "
                                                          "and replays.")]
PoolOpt = Annotated[int, typer.Option("--pool", min=1, max=200, help="SMTP connections used at once.")]


def register(app: typer.Typer) -> None:
    """Add ``reunite alerts`` to ``app``."""
    app.add_typer(alerts_app, name="alerts")


def _user(user: str | None) -> str:
    from ..cases.importing import default_user

    return user or default_user()


def _time(text: str | None, name: str) -> dt.datetime | None:
    if text is None:
        return None
    try:
        t = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(Problem(f"{name} is an ISO date and time such as 2026-12-05T14:30, got {text!r}",
                                 field=name)) from None
    return t.astimezone(dt.UTC).replace(tzinfo=None) if t.tzinfo else t


@alerts_app.command("subscribe")
def alerts_subscribe(
    to: Annotated[str, typer.Option("--to", help="The recipient: an e-mail address, a webhook URL, a phone "
                                                 "number or a WeChat OpenID.")],
    channel: Annotated[str, typer.Option("--channel", help="email, webhook, sms or wechat.")] = "email",
    place: Annotated[str | None, typer.Option("--place", help="The centre of the area (Chinese or pinyin).")] = None,
    radius: Annotated[float | None, typer.Option("--radius", help="The area's radius around --place, in km.")] = None,
    province: Annotated[list[str] | None, typer.Option("--province", help="A province of the area (repeat); "
                                                                          "instead of --place.")] = None,
    kind: Annotated[str, typer.Option("--kind", help="person, organisation or media.")] = "person",
    organisation: Annotated[str | None, typer.Option("--organisation", help="Its name (organisations, media).")]
    = None,
    lang: Annotated[str, typer.Option("--lang", help="zh or en.")] = "zh",
    db: DbOpt = None,
    user: UserOpt = None,
):
    """Subscribe a recipient to the alerts of an area; a confirmation link is sent to it (double opt-in)."""
    from ..alerts import Links, subscribe
    from ..cases.db import open_session
    from ..notify import channel as make_channel

    try:
        links = Links.from_env()
        sender = make_channel(channel) if channel in ("email", "webhook", "sms", "wechat") else None
        if sender is None:
            raise InputError(Problem(f"unknown channel {channel!r}; one of email, webhook, sms, wechat",
                                     field="channel"))
        with open_session(db) as s:
            sub, delivery = subscribe(s, channel_kind=channel, recipient=to, links=links, sender=sender,
                                      place=place, radius_km=radius, provinces=province, kind=kind,
                                      organisation=organisation, lang=lang, user=_user(user))
        sender.close()
    except ReuniteError as exc:
        fail(exc)
    sent = "confirmation sent" if delivery.ok else f"confirmation NOT sent ({delivery.error}); subscribe again later"
    typer.echo(f"subscription {sub.id}: {sub.status}; {sent}")


@alerts_app.command("confirm")
def alerts_confirm(token: Annotated[str, typer.Argument(help="The token of the confirmation link.")],
                   db: DbOpt = None):
    """Confirm a subscription (the link's token)."""
    from ..alerts import Links, confirm
    from ..cases.db import open_session

    try:
        with open_session(db) as s:
            sub = confirm(s, token, Links.from_env())
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"subscription {sub.id}: {sub.status}")


@alerts_app.command("unsubscribe")
def alerts_unsubscribe(token: Annotated[str, typer.Argument(help="The token of an unsubscribe link.")],
                       db: DbOpt = None):
    """End a subscription (the token of the link in every message)."""
    from ..alerts import Links, unsubscribe
    from ..cases.db import open_session

    try:
        with open_session(db) as s:
            sub = unsubscribe(s, token, Links.from_env())
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"subscription {sub.id}: {sub.status}")


@alerts_app.command("send")
def alerts_send(
    report: Annotated[str | None, typer.Option("--report", help="A missing child's report number.")] = None,
    appeal: Annotated[int | None, typer.Option("--appeal", help="A published appeal's number (a missing child's "
                                                                  "is alerted as its report).")] = None,
    missing_since: Annotated[str | None, typer.Option("--missing-since", help="When the child went missing (ISO, "
                                                                              "UTC): starts the radius clock; default "
                                                                              "for a report: the end of the day lost.")]
    = None,
    hotline: Annotated[str | None, typer.Option("--hotline", help="The phone number printed in the alert.")] = None,
    description_zh: Annotated[str, typer.Option("--description-zh", help="What else to publish, in Chinese.")] = "",
    description_en: Annotated[str, typer.Option("--description-en", help="What else to publish, in English.")] = "",
    now: NowOpt = None,
    pool: PoolOpt = 50,
    db: DbOpt = None,
    user: UserOpt = None,
):
    """Create an alert of a report or a published appeal and deliver its first ring (JSON counts)."""
    from ..alerts import Links, SendPolicy, alert_subject, fan_out
    from ..cases.db import open_session

    try:
        links = Links.from_env()
        at = _time(now, "--now")
        with open_session(db) as s:
            alert = alert_subject(s, user=_user(user), report=report, appeal_id=appeal,
                                  started_at=_time(missing_since, "--missing-since"), now=at, hotline=hotline,
                                  description_zh=description_zh, description_en=description_en,
                                  public_url=links.base_url)
            res = fan_out(s, alert.id, links=links, now=at, policy=SendPolicy(smtp_pool=pool))
    except ReuniteError as exc:
        fail(exc)
    typer.echo(json.dumps(res.as_dict()))


@alerts_app.command("tick")
def alerts_tick(now: NowOpt = None, pool: PoolOpt = 50,
                lease: Annotated[float, typer.Option("--lease", min=0, help="Seconds after which another sender's "
                                                                            "claim is taken over.")] = 300.0,
                db: DbOpt = None):
    """Deliver what the clock asks now: wider rings, due retries, what a crashed sender left (JSON lines)."""
    from ..alerts import Links, SendPolicy, tick
    from ..cases.db import open_session

    try:
        with open_session(db) as s:
            results = tick(s, links=Links.from_env(), now=_time(now, "--now"),
                           policy=SendPolicy(smtp_pool=pool, lease_seconds=lease))
    except ReuniteError as exc:
        fail(exc)
    for r in results:
        typer.echo(json.dumps(r.as_dict()))


@alerts_app.command("log")
def alerts_log(alert: Annotated[int | None, typer.Option("--alert", help="One alert only.")] = None,
               limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many rows.")] = 1000,
               as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
               status: Annotated[str | None, typer.Option("--status", help="One status only: `unknown` lists "
                                                                          "what a crashed sender may not have "
                                                                          "delivered (never resent).")] = None,
               db: DbOpt = None, user: UserOpt = None):
    """The delivery log, newest first: delivery, alert, subscriber id, ring, status, attempts, error class."""
    from ..alerts import delivery_log
    from ..cases.db import open_session

    try:
        with open_session(db) as s:
            rows = delivery_log(s, alert, limit=limit, user=_user(user), status=status)
    except ReuniteError as exc:
        fail(exc)
    if as_json:
        for r in rows:
            typer.echo(json.dumps(r))
        return
    if not rows:
        typer.echo("no deliveries")
        return
    typer.echo("delivery  alert  subscriber  step  radius_km  reason     channel  status        attempts  error")
    for r in rows:
        radius = "-" if r["radius_km"] is None else f"{r['radius_km']:g}"
        typer.echo(f"{r['id']:>8}  {r['alert']:>5}  {r['subscriber']:>10}  {r['step']:>4}  {radius:>9}  "
                   f"{r['reason']:<9}  {r['channel']:<7}  {r['status']:<12}  {r['attempts']:>8}  {r['error'] or '-'}")
