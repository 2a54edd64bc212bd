"""Sending alerts: create one, fan it out ring by ring, retry, recover after a crash, read the log.

:func:`create_alert` makes an alert of a missing child's report or of a found child's published
appeal; :func:`tick` (given ``now``: tests inject the clock) delivers each active alert's rings up
to the one in force at ``now`` (:class:`~reunite.alerts.area.Schedule`), the retries that are due,
and takes over what a crashed sender left.  :func:`fan_out` does one alert.

Claim, then send (at most once)
-------------------------------
1. *Claim*: one row per (alert, subscription) is inserted into ``alert_deliveries`` (``claimed``,
   ``claimed_by`` this run) with ``INSERT … ON CONFLICT DO NOTHING`` and committed.  The unique key
   means a subscriber is claimed once per alert, whatever runs at the same time or again.
2. *Prepare* a batch: each message is made ready short of its irrevocable step — with SMTP, MAIL,
   RCPT, DATA and the whole message but the final ``.`` line, one message per connection of a pool
   (:func:`_deliver_fleet`: an asyncio :class:`~reunite.notify.fleet.SmtpFleet`; a turn releases the
   held messages and prepares the next ones, then one commit records the first and marks the second).
3. *Mark*: the batch's rows go ``claimed`` → ``sending`` in one conditional UPDATE (only rows still
   claimed by this run), committed.
4. *Release*: the final ``.`` goes out on every connection; the replies are read; the rows become
   ``sent``, ``retry`` (retryable error; ``next_attempt_at`` backs off) or ``failed``, committed.

After a crash (:func:`recover`, run by every :func:`tick`): rows still ``claimed`` by a dead sender
(same host, process gone) or by one silent for longer than the lease were never released — the SMTP
server discards a DATA that did not end — so they are claimed again and sent.  Rows found
``sending`` are ambiguous: the ``.`` may have gone out.  They become ``unknown`` and are NOT sent
again: delivery is *at most once*.  The window in which a crash loses a message is the writing of
the final ``.`` lines of one batch (a few microseconds per message), after the ``sending`` commit;
no window delivers twice.  A failure after a ``.`` was written (no reply: the server may have taken
it) is ``unknown`` too, never retried.  SMTP cannot be made exactly-once (a server's reply to the final ``.`` can
be lost after it took the message: RFC 1047); we chose to never duplicate and to list the
``unknown`` rows, which an operator may resend by hand.  Channels without a prepare step
(webhook, SMS and WeChat gateways) send in ``release`` and are marked ``sending`` one message at a
time, so the same at-most-once window is one HTTP request; their ``X-Reunite-Delivery`` key lets a
receiver drop a duplicate if an operator resends.

Rate limit: a subscriber who had ``rate_limit`` alerts in the last ``rate_window_hours`` is not sent
another (status ``rate_limited``).  The delivery log holds ids, rings, statuses, attempt counts and
error classes only; never a recipient, a name or the child's description.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import socket
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..cases.audit import append_audit
from ..cases.models import Appeal, FoundChild, MissingReport, utcnow
from ..errors import InputError, Problem
from ..evidence.place import ResolvedPlace, resolve_place
from ..notify import Channel, Delivery, Message, NotifySettings, SmtpChannel, check_recipient
from ..notify.fleet import SmtpFleet
from .area import Schedule, direction_provinces, province_of, reached
from .models import DELIVERY_STATUSES, Alert, AlertDelivery, AlertSubscription
from .subscriptions import AlertError, Links

__all__ = ["FanOut", "SendPolicy", "create_alert", "delivery_log", "fan_out", "recover", "tick"]

ChannelFactory = Callable[[str], Channel]
_CHUNK = 500
_T = AlertDelivery.__table__          # the log is written with Core statements: no ORM bookkeeping per row


@dataclass(frozen=True)
class SendPolicy:
    """How the sender works: attempts and backoff, rate limit, batch and pool sizes, the claim lease."""

    max_attempts: int = 5
    backoff_seconds: float = 60.0          # 60 s, 120 s, 240 s … (doubling), at most backoff_cap_seconds
    backoff_cap_seconds: float = 3600.0
    rate_limit: int = 10                   # alerts per subscriber in the window
    rate_window_hours: float = 24.0
    batch: int = 500                       # messages per batch (console), rows per claim chunk
    smtp_pool: int = 50                    # SMTP connections, one prepared message each (Postfix admits 50 a client)
    lease_seconds: float = 300.0           # a claim silent longer than this is taken over

    def backoff(self, attempts: int) -> dt.timedelta:
        return dt.timedelta(seconds=min(self.backoff_cap_seconds, self.backoff_seconds * 2 ** max(0, attempts - 1)))


@dataclass
class FanOut:
    """What one call delivered: counts by status, the ring, and this run's claim id."""

    alert_id: int | None = None
    step: int | None = None
    radius_km: float | None = None
    claimed: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, status: str, n: int = 1) -> None:
        self.counts[status] = self.counts.get(status, 0) + n

    def as_dict(self) -> dict:
        return {"alert": self.alert_id, "step": self.step, "radius_km": self.radius_km, "claimed": self.claimed,
                **dict(sorted(self.counts.items()))}


def _claimer() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:10]}"


def _dead(claimed_by: str | None) -> bool:
    """Whether the sender that made a claim is a process of this host that no longer runs."""
    if not claimed_by:
        return True
    parts = claimed_by.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname()[:60] or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


# ------------------------------------------------------------------------------------ alerts


def _age_words(months: float | None) -> tuple[str, str]:
    if months is None:
        return "年龄不详", "age unknown"
    if months < 24:
        return f"约 {round(months)} 个月", f"about {round(months)} months old"
    return f"约 {int(months // 12)} 岁", f"about {int(months // 12)} years old"


_SEX = {"male": ("男孩", "boy"), "female": ("女孩", "girl"), "unknown": ("儿童", "child")}


def _report_text(rep: MissingReport, place: ResolvedPlace) -> tuple[str, str, str]:
    months = None
    if rep.date_of_birth and rep.disappeared_on:
        months = (rep.disappeared_on - rep.date_of_birth).days / 30.4375
    zh_age, en_age = _age_words(months)
    sex_zh, sex_en = _SEX.get(rep.sex, _SEX["unknown"])
    when = rep.disappeared_on.isoformat() if rep.disappeared_on else "日期不详"
    when_en = rep.disappeared_on.isoformat() if rep.disappeared_on else "date unknown"
    subject = f"儿童失踪预警 · {place.name_zh} / Missing child alert · {place.name_en}"
    zh = f"一名{sex_zh}（走失时{zh_age}）于 {when} 在{place.name_zh}失踪。"
    en = f"A {sex_en} ({en_age} when missing) went missing in {place.name_en} on {when_en}."
    return subject, zh, en


def _appeal_text(child: FoundChild, place: ResolvedPlace) -> tuple[str, str, str]:
    zh_age, en_age = _age_words(child.age_months)
    sex_zh, sex_en = _SEX.get(child.sex, _SEX["unknown"])
    when = child.found_on.isoformat() if child.found_on else "日期不详"
    when_en = child.found_on.isoformat() if child.found_on else "date unknown"
    subject = f"为被解救儿童寻亲 · {place.name_zh} / Help a found child find the family · {place.name_en}"
    zh = f"一名{sex_zh}于 {when} 在{place.name_zh}被发现（当时{zh_age}），正在寻找家人。"
    en = f"A {sex_en} was found in {place.name_en} on {when_en} ({en_age} then) and is looking for the family."
    return subject, zh, en


def create_alert(session: Session, *, user: str, report: str | None = None, appeal_id: int | None = None,
                 started_at: dt.datetime | None = None, now: dt.datetime | None = None, hotline: str | None = None,
                 description_zh: str = "", description_en: str = "", public_url: str | None = None,
                 schedule: Schedule | None = None) -> Alert:
    """An alert of the missing-child report ``report`` (its number) or of the published appeal
    ``appeal_id``, centred on the place the child was lost (or found), resolved by the gazetteer.

    ``started_at`` starts the radius clock (when the child went missing; default ``now``: a report's
    date alone has no hour).  The text holds only what is public: sex, age then, the place to the
    county, the date, the hotline, the descriptions the investigator chose, and the appeal's page.
    Audited (the alert's id and subject key only)."""
    now = now or utcnow()
    if (report is None) == (appeal_id is None):
        raise InputError(Problem("an alert is for one report or one published appeal", field="report",
                                 code="alert_one_subject"))
    if report is not None:
        rep = session.scalars(select(MissingReport).where(MissingReport.report_number == report)).first()
        if rep is None:
            raise InputError(Problem(f"there is no report {report}", field="report", code="no_report",
                                     params={"report": report}))
        place = resolve_place(rep.disappeared_place)
        subject_key = {"report": rep.report_number}
        subject, zh, en = _report_text(rep, place) if place else ("", "", "")
        url = None
    else:
        ap = session.get(Appeal, appeal_id)
        if ap is None or not ap.published:
            raise InputError(Problem(f"there is no published appeal {appeal_id}", field="appeal", code="no_appeal",
                                     params={"appeal": appeal_id}))
        if ap.found_child is None:  # a missing child's appeal (reunite.cases.appeals): its report is alerted
            raise InputError(Problem(f"appeal {appeal_id} is a missing child's: send the alert of its report "
                                     f"({ap.report.report_number})", field="appeal", code="appeal_of_report",
                                     params={"appeal": appeal_id, "report": ap.report.report_number}))
        place = resolve_place(ap.found_child.found_place)
        subject_key = {"appeal": ap.id}
        subject, zh, en = _appeal_text(ap.found_child, place) if place else ("", "", "")
        hotline = hotline or ap.hotline
        url = f"{public_url.rstrip('/')}/appeals/{ap.id}" if public_url else None
    if place is None:
        raise InputError(Problem("the place the child was lost or found is missing or not in the gazetteer: "
                                 "correct it before sending an alert", field="place", code="alert_no_place"))
    if description_zh.strip():
        zh += "\n" + description_zh.strip()
    if description_en.strip():
        en += "\n" + description_en.strip()
    if hotline:
        zh += f"\n如有线索请拨打：{hotline}"
        en += f"\nIf you know anything, call {hotline}."
    if url:
        zh += f"\n详情：{url}"
        en += f"\nDetails: {url}"
    schedule = schedule or Schedule.from_env()
    alert = Alert(report_id=rep.id if report is not None else None, appeal_id=appeal_id, place_adcode=place.adcode,
                  lat=place.lat, lon=place.lon, started_at=started_at or now, schedule=schedule.as_json(),
                  direction=direction_provinces(session, place), subject=subject, body_zh=zh, body_en=en, url=url,
                  status="active", step_sent=-1, created_at=now, created_by=user)
    session.add(alert)
    session.flush()
    append_audit(session, user, "alerts.create", entity="alert", entity_id=str(alert.id),
                 details={**subject_key, "place_adcode": place.adcode, "direction": alert.direction})
    session.commit()
    return alert


# --------------------------------------------------------------------------------- claiming


def _insert(session: Session):
    return (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(AlertDelivery)


def _rate_limited(session: Session, ids: list[int], now: dt.datetime, policy: SendPolicy) -> set[int]:
    since = now - dt.timedelta(hours=policy.rate_window_hours)
    out: set[int] = set()
    for k in range(0, len(ids), _CHUNK):
        chunk = ids[k:k + _CHUNK]
        q = (select(AlertDelivery.subscription_id, func.count()).where(
            AlertDelivery.subscription_id.in_(chunk), AlertDelivery.status.in_(("sent", "sending", "unknown")),
            AlertDelivery.claimed_at >= since).group_by(AlertDelivery.subscription_id))
        out |= {sid for sid, n in session.execute(q) if n >= policy.rate_limit}
    return out


def _claim(session: Session, alert: Alert, targets: dict[int, str], channels: dict[int, str], step: int,
           radius: float, me: str, now: dt.datetime, policy: SendPolicy, result: FanOut) -> None:
    existing = set(session.scalars(select(AlertDelivery.subscription_id).where(AlertDelivery.alert_id == alert.id)))
    new = sorted(set(targets) - existing)
    limited = _rate_limited(session, new, now, policy) if new else set()
    rows = [{"alert_id": alert.id, "subscription_id": sid, "step": step,
             "radius_km": radius if targets[sid] == "radius" else None, "reason": targets[sid],
             "channel": channels[sid], "status": "rate_limited" if sid in limited else "claimed", "attempts": 0,
             "claimed_by": me, "claimed_at": now} for sid in new]
    if rows:       # executemany of one compiled statement (a multi-row VALUES would be compiled per chunk)
        session.connection().execute(_insert(session).on_conflict_do_nothing(
            index_elements=["alert_id", "subscription_id"]), rows)
    alert.step_sent = max(alert.step_sent, step)
    session.commit()
    result.claimed += len(new) - len(limited)
    if limited:
        result.add("rate_limited", len(limited))


# --------------------------------------------------------------------------------- sending


class _Pools:
    """The channels of a run, by kind: a pool for SMTP (one prepared message per connection)."""

    def __init__(self, factory: ChannelFactory, policy: SendPolicy):
        self.factory, self.policy = factory, policy
        self.pools: dict[str, list[Channel]] = {}
        self.fleets: dict[str, object] = {}

    def get(self, kind: str) -> list[Channel]:
        if kind not in self.pools:
            first = self.factory(kind)
            pool = [first]
            if getattr(first, "prepares", False):
                pool += [self.factory(kind) for _ in range(self.policy.smtp_pool - 1)]
            self.pools[kind] = pool
        return self.pools[kind]

    def fleet(self, kind: str):
        """An SMTP fleet for ``kind`` when its channel is SMTP (:class:`~reunite.notify.fleet.SmtpFleet`), else
        None (the channels' own prepare/release, batch by batch)."""
        if kind not in self.fleets:
            first = self.factory(kind)
            self.fleets[kind] = SmtpFleet.of(first, self.policy.smtp_pool) if isinstance(first, SmtpChannel) else None
            if self.fleets[kind] is None:
                self.pools[kind] = [first] + ([self.factory(kind) for _ in range(self.policy.smtp_pool - 1)]
                                              if getattr(first, "prepares", False) else [])
            else:
                first.close()
        return self.fleets[kind]

    def batch_size(self, kind: str) -> int:
        pool = self.get(kind)
        if getattr(pool[0], "stages", False):         # any number prepared, made irrevocable by one flush()
            return self.policy.batch
        if getattr(pool[0], "prepares", False):       # one prepared message per connection
            return len(pool)
        return 1

    def close(self) -> None:
        for pool in self.pools.values():
            for ch in pool:
                ch.close()
        for fleet in self.fleets.values():
            if fleet is not None:
                fleet.close()


def _message(alert: Alert, sub_id: int, links: Links) -> Message:
    return Message(alert.subject, body_zh=alert.body_zh, body_en=alert.body_en, key=f"alert-{alert.id}-sub-{sub_id}",
                   unsubscribe_url=links.url("unsubscribe", sub_id),
                   data={"alert": alert.id, "url": alert.url, "place_adcode": alert.place_adcode})


def _record(session: Session, ids_by_outcome: dict[tuple, list[int]], now: dt.datetime, policy: SendPolicy,
            attempts: dict[int, int], result: FanOut) -> None:
    for (status, error), ids in ids_by_outcome.items():
        if status == "retry":
            for i in ids:          # each its own backoff
                final = attempts[i] >= policy.max_attempts
                session.execute(update(_T).where(_T.c.id == i).values(
                    status="failed" if final else "retry", error=error,
                    next_attempt_at=None if final else now + policy.backoff(attempts[i])))
                result.add("failed" if final else "retry")
            continue
        values = {"status": status, "error": error, "next_attempt_at": None}
        if status == "sent":
            values["sent_at"] = now
        session.execute(update(_T).where(_T.c.id.in_(ids)).values(**values))
        result.add(status, len(ids))


def _outcome(d: Delivery) -> tuple[str, str | None]:
    if d.ok:
        return "sent", None
    if d.uncertain:                  # may have been delivered (no reply after the final "."): never again
        return "unknown", (d.error or "error")[:100]
    return ("retry" if d.retryable else "failed"), (d.error or "error")[:100]


_EXECUTORS: dict[int, ThreadPoolExecutor] = {}


def _parallel(pool: list[Channel], fn, items: list) -> list:
    """``fn`` over ``items``, the k-th on ``pool[k % len(pool)]``'s lane when the pool has several
    connections (each connection is used by one thread at a time: item k and k + len(pool) share a lane);
    the threads are kept for the pool's size, not made per batch."""
    if len(pool) == 1 or len(items) <= 1:
        return [fn(k, item) for k, item in enumerate(items)]
    ex = _EXECUTORS.get(len(pool))
    if ex is None:
        ex = _EXECUTORS[len(pool)] = ThreadPoolExecutor(max_workers=len(pool), thread_name_prefix="reunite-alerts")
    lanes = [list(range(j, len(items), len(pool))) for j in range(min(len(pool), len(items)))]
    done = ex.map(lambda lane: [(k, fn(k, items[k])) for k in lane], lanes)
    return [r for _k, r in sorted((kr for lane in done for kr in lane), key=lambda kr: kr[0])]


def _send_batch(session: Session, rows: list, pool: list[Channel], alerts: dict[int, Alert],
                recipients: dict[int, str], links: Links, me: str, now: dt.datetime, policy: SendPolicy,
                result: FanOut) -> None:
    """Prepare, mark ``sending`` (one commit), release, record (one commit): see the module."""
    outcomes: dict[tuple, list[int]] = {}
    attempts = {r.id: r.attempts + 1 for r in rows}

    def prepare(k: int, row):
        try:
            return pool[k % len(pool)].prepare(recipients[row.subscription_id],
                                               _message(alerts[row.alert_id], row.subscription_id, links))
        except InputError:
            return None

    prepared = []
    for row, p in zip(rows, _parallel(pool, prepare, rows), strict=True):
        if p is None:
            outcomes.setdefault(("failed", "InvalidRecipient"), []).append(row.id)
        elif p.failed is not None:
            outcomes.setdefault(_outcome(p.failed), []).append(row.id)
        else:
            prepared.append((row, p))
    ids = [r.id for r, _ in prepared]
    mine = set()
    if ids:
        mine = set(session.execute(update(_T).where(_T.c.id.in_(ids), _T.c.claimed_by == me, _T.c.status == "claimed")
                                   .values(status="sending", attempts=_T.c.attempts + 1).returning(_T.c.id)).scalars())
    failed_ids = [i for v in outcomes.values() for i in v]
    if failed_ids:           # a failure while preparing is an attempt too (nothing went out)
        session.execute(update(_T).where(_T.c.id.in_(failed_ids), _T.c.claimed_by == me)
                        .values(attempts=_T.c.attempts + 1))
    session.commit()                                   # the rows are `sending` before anything is released
    for row, p in prepared:
        if row.id in mine:
            p.release()
        else:
            p.abort()                                  # another sender took it over: never release
    for ch in pool:
        flush = getattr(ch, "flush", None)
        if flush is not None:
            flush()                                    # a staging channel's one irrevocable write
    mine_prepared = [(row, p) for row, p in prepared if row.id in mine]
    for (row, _p), d in zip(mine_prepared, _parallel(pool, lambda _k, rp: rp[1].finish(), mine_prepared),
                            strict=True):
        outcomes.setdefault(_outcome(d), []).append(row.id)
    _record(session, outcomes, now, policy, attempts, result)
    session.commit()


_S = AlertSubscription.__table__


def _deliver_fleet(session: Session, me: str, kind: str, fleet, links: Links, now: dt.datetime,
                   policy: SendPolicy, result: FanOut) -> None:
    """The SMTP fast path (:class:`~reunite.notify.fleet.SmtpFleet`).  A *turn* releases the messages the
    fleet's connections hold (marked ``sending`` by the previous commit) and prepares the next ones, one per
    connection; then ONE commit records the released ones and marks the new ones ``sending``, and only then
    does the next turn release them.  While a turn is on the wire the next one's messages are rendered.
    At any moment at most one message per connection is ``sending``: what a crash can leave ``unknown``."""
    state = {"last_id": 0, "exhausted": False}
    templates: dict[int, object] = {}
    queue: collections.deque = collections.deque()
    held: list = [None] * fleet.size
    chunk = max(policy.batch, fleet.size)

    def refill() -> None:
        rows = session.execute(
            select(_T.c.id, _T.c.alert_id, _T.c.subscription_id, _T.c.attempts, _S.c.recipient, _S.c.status)
            .join(_S, _S.c.id == _T.c.subscription_id)
            .where(_T.c.claimed_by == me, _T.c.status == "claimed", _T.c.channel == kind,
                   _T.c.id > state["last_id"]).order_by(_T.c.id).limit(chunk)).all()
        state["exhausted"] = len(rows) < chunk
        if rows:
            state["last_id"] = rows[-1].id
        gone = [r.id for r in rows if r.status != "active"]
        if gone:                                       # unsubscribed since the claim: never sent
            session.execute(update(_T).where(_T.c.id.in_(gone)).values(status="failed", error="Unsubscribed"))
            session.commit()
            result.add("failed", len(gone))
        queue.extend(r for r in rows if r.status == "active")

    def take():
        """The next turn's messages, rendered: (rows, items) per connection, outcomes of the unsendable,
        attempts."""
        outcomes: dict[tuple, list[int]] = {}
        attempts: dict[int, int] = {}
        items: list = [None] * fleet.size
        rows: list = [None] * fleet.size
        for k in range(fleet.size):
            while rows[k] is None:
                if not queue and not state["exhausted"]:
                    refill()
                if not queue:
                    break
                row = queue.popleft()
                attempts[row.id] = row.attempts + 1
                try:
                    recipient = check_recipient(kind, row.recipient)
                except InputError:
                    outcomes.setdefault(("failed", "InvalidRecipient"), []).append(row.id)
                    continue
                if row.alert_id not in templates:
                    alert = session.get(Alert, row.alert_id)
                    templates[row.alert_id] = fleet.template(Message(alert.subject, alert.body_zh, alert.body_en))
                item = fleet.item(recipient, b"")
                if isinstance(item, Delivery):        # an address this fleet cannot send to
                    outcomes.setdefault(_outcome(item), []).append(row.id)
                    continue
                item.data = templates[row.alert_id].render(recipient, f"alert-{row.alert_id}-sub-{row.subscription_id}",
                                                           links.url("unsubscribe", row.subscription_id))
                items[k], rows[k] = item, row
        return rows, items, outcomes, attempts

    def settle(future, rows: list, outcomes: dict, attempts: dict) -> None:
        counted = set()
        for k, (released, failed) in enumerate(future.result()):
            if held[k] is not None:
                outcomes.setdefault(_outcome(released or Delivery(False, kind, error="NotReleased", uncertain=True)),
                                    []).append(held[k].id)
                attempts.setdefault(held[k].id, held[k].attempts + 1)
                counted.add(held[k].id)
                held[k] = None
            if rows[k] is not None and failed is not None:
                outcomes.setdefault(_outcome(failed), []).append(rows[k].id)
                rows[k] = None
        mine = _finish_turn(session, outcomes, [r.id for r in rows if r is not None], me, now, policy, attempts,
                            result, counted)
        for k, row in enumerate(rows):
            if row is not None and row.id in mine:
                held[k] = row              # else another sender took it over: the next turn drops it unsent

    nxt = take()
    while True:
        rows, items, outcomes, attempts = nxt
        releases = [h is not None for h in held]
        if not any(releases) and not any(r is not None for r in rows):
            if outcomes:
                _finish_turn(session, outcomes, [], me, now, policy, attempts, result)
            if not queue and state["exhausted"]:
                break
            nxt = take()
            continue
        future = fleet.submit(list(range(fleet.size)), releases, items)
        nxt = take()                       # rendered while the turn is on the wire (these rows stay `claimed`)
        settle(future, rows, outcomes, attempts)


def _finish_turn(session: Session, outcomes: dict[tuple, list[int]], prepared: list[int], me: str,
                 now: dt.datetime, policy: SendPolicy, attempts: dict[int, int], result: FanOut,
                 counted: set[int] = frozenset()) -> set[int]:
    """One commit: the outcomes of the released (``counted``: their attempt was counted when they were
    marked ``sending``) and of failed preparations (an attempt each), and the prepared rows marked
    ``sending`` (only those still claimed by ``me``; returned)."""
    mine: set[int] = set()
    if prepared:
        mine = set(session.execute(update(_T).where(_T.c.id.in_(prepared), _T.c.claimed_by == me,
                                                    _T.c.status == "claimed")
                                   .values(status="sending", attempts=_T.c.attempts + 1).returning(_T.c.id)).scalars())
    ids = [i for v in outcomes.values() for i in v if i not in counted]
    if ids:    # a failure while preparing is an attempt too (nothing went out)
        session.execute(update(_T).where(_T.c.id.in_(ids), _T.c.claimed_by == me, _T.c.status == "claimed")
                        .values(attempts=_T.c.attempts + 1))
    _record(session, outcomes, now, policy, attempts, result)
    session.commit()
    return mine


def _deliver_claimed(session: Session, me: str, pools: _Pools, links: Links, now: dt.datetime,
                     policy: SendPolicy, result: FanOut) -> None:
    """Send every row this run claimed, batch by batch, channel by channel."""
    alerts: dict[int, Alert] = {}
    for kind in sorted(set(session.scalars(select(AlertDelivery.channel).where(
            AlertDelivery.claimed_by == me, AlertDelivery.status == "claimed").distinct()))):
        fleet = pools.fleet(kind)
        if fleet is not None:
            _deliver_fleet(session, me, kind, fleet, links, now, policy, result)
            continue
        size = pools.batch_size(kind)
        while True:
            rows = session.execute(select(_T.c.id, _T.c.alert_id, _T.c.subscription_id, _T.c.attempts).where(
                _T.c.claimed_by == me, _T.c.status == "claimed", _T.c.channel == kind)
                .order_by(_T.c.id).limit(size)).all()
            if not rows:
                break
            for aid in {r.alert_id for r in rows} - set(alerts):
                alerts[aid] = session.get(Alert, aid)
            subs = dict(session.execute(select(AlertSubscription.id, AlertSubscription.recipient).where(
                AlertSubscription.id.in_([r.subscription_id for r in rows]),
                AlertSubscription.status == "active")).all())
            gone = [r.id for r in rows if r.subscription_id not in subs]
            if gone:                                   # unsubscribed since the claim: never sent
                session.execute(update(_T).where(_T.c.id.in_(gone)).values(status="failed", error="Unsubscribed"))
                session.commit()
                result.add("failed", len(gone))
            rows = [r for r in rows if r.subscription_id in subs]
            if rows:
                _send_batch(session, rows, pools.get(kind), alerts, subs, links, me, now, policy, result)


def _active_subscriptions(session: Session) -> list:
    return session.execute(select(AlertSubscription.id, AlertSubscription.lat, AlertSubscription.lon,
                                  AlertSubscription.radius_km, AlertSubscription.provinces,
                                  AlertSubscription.place_adcode, AlertSubscription.channel)
                           .where(AlertSubscription.status == "active")).all()


def fan_out(session: Session, alert_id: int, *, links: Links, now: dt.datetime | None = None,
            channels: ChannelFactory | None = None, policy: SendPolicy = SendPolicy(),
            subscriptions: list | None = None) -> FanOut:
    """Claim and send one alert's deliveries for the ring in force at ``now`` (see the module)."""
    now = now or utcnow()
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertError(f"there is no alert {alert_id}")
    result = FanOut(alert.id)
    if alert.status != "active":
        return result
    schedule = Schedule.from_json(alert.schedule)
    step = schedule.step_at(alert.started_at, now)
    radius = schedule.radius(step)
    result.step, result.radius_km = step, radius
    subs = _active_subscriptions(session) if subscriptions is None else subscriptions
    targets = reached(subs, alert.lat, alert.lon, radius, province_of(alert.place_adcode), alert.direction or [])
    me = _claimer()
    _claim(session, alert, targets, {s.id: s.channel for s in subs}, step, radius, me, now, policy, result)
    pools = _Pools(channels or NotifySettings.from_env().channel, policy)
    try:
        _deliver_claimed(session, me, pools, links, now, policy, result)
    finally:
        pools.close()
    return result


def recover(session: Session, *, now: dt.datetime | None = None, policy: SendPolicy = SendPolicy(),
            me: str | None = None) -> dict[str, int]:
    """Take over what crashed senders left (see the module): ``claimed`` rows of a dead or silent sender
    are claimed by ``me`` (to be sent), ``sending`` ones become ``unknown`` (never sent again)."""
    now = now or utcnow()
    stale = now - dt.timedelta(seconds=policy.lease_seconds)
    out = {"reclaimed": 0, "unknown": 0}
    rows = session.execute(select(AlertDelivery.claimed_by, AlertDelivery.status, func.min(AlertDelivery.claimed_at))
                           .where(AlertDelivery.status.in_(("claimed", "sending")))
                           .group_by(AlertDelivery.claimed_by, AlertDelivery.status)).all()
    dead: dict[str | None, bool] = {}
    for by, status, at in rows:          # one UPDATE per (sender, status), not per row
        if by == me:
            continue
        if by not in dead:
            dead[by] = _dead(by)
        who = AlertDelivery.claimed_by.is_(None) if by is None else AlertDelivery.claimed_by == by
        if not dead[by]:                 # a live sender: only its claims silent for the lease
            if at is None or at >= stale:
                continue
            who = who & (AlertDelivery.claimed_at < stale)
        if status == "claimed" and me is not None:
            out["reclaimed"] += session.execute(update(AlertDelivery).where(who, AlertDelivery.status == "claimed")
                                                .values(claimed_by=me, claimed_at=now)).rowcount
        elif status == "sending":
            out["unknown"] += session.execute(update(AlertDelivery).where(who, AlertDelivery.status == "sending")
                                              .values(status="unknown", error="CrashedWhileSending")).rowcount
    session.commit()
    return out


def _claim_retries(session: Session, me: str, now: dt.datetime) -> int:
    n = session.execute(update(AlertDelivery).where(AlertDelivery.status == "retry",
                                                    AlertDelivery.next_attempt_at <= now)
                        .values(status="claimed", claimed_by=me, claimed_at=now)).rowcount
    session.commit()
    return n


def tick(session: Session, *, links: Links, now: dt.datetime | None = None, channels: ChannelFactory | None = None,
         policy: SendPolicy = SendPolicy(), alert_ids: Iterable[int] | None = None) -> list[FanOut]:
    """One turn of the clock at ``now``: recover what crashed senders left, send the retries that are due,
    then each active alert's ring in force at ``now`` (the radius widens as hours pass)."""
    now = now or utcnow()
    me = _claimer()
    out = []
    rec = recover(session, now=now, policy=policy, me=me)
    retries = _claim_retries(session, me, now)
    if rec["reclaimed"] or retries:
        first = FanOut(None)
        first.claimed = rec["reclaimed"] + retries
        if rec["unknown"]:
            first.add("unknown", rec["unknown"])
        pools = _Pools(channels or NotifySettings.from_env().channel, policy)
        try:
            _deliver_claimed(session, me, pools, links, now, policy, first)
        finally:
            pools.close()
        out.append(first)
    q = select(Alert.id).where(Alert.status == "active").order_by(Alert.id)
    ids = list(session.scalars(q)) if alert_ids is None else list(alert_ids)
    subs = _active_subscriptions(session) if ids else []
    for aid in ids:
        out.append(fan_out(session, aid, links=links, now=now, channels=channels, policy=policy, subscriptions=subs))
    return out


def delivery_log(session: Session, alert_id: int | None = None, *, limit: int = 1000, user: str | None = None,
                 source: str = "cli", status: str | None = None) -> list[dict]:
    """The delivery log (newest first): ids, ring, reason, channel, status, attempts, error class and
    times; no recipient, no text.  ``status`` keeps one status (``unknown``: what a crash may have lost).
    With ``user``, the read is audited (and committed)."""
    q = select(AlertDelivery).order_by(AlertDelivery.id.desc()).limit(limit)
    if alert_id is not None:
        q = q.where(AlertDelivery.alert_id == alert_id)
    if status is not None:
        if status not in DELIVERY_STATUSES:
            raise InputError(Problem(f"unknown status {status!r}; one of {', '.join(DELIVERY_STATUSES)}",
                                     field="status"))
        q = q.where(AlertDelivery.status == status)
    rows = [{"id": d.id, "alert": d.alert_id, "subscriber": d.subscription_id, "step": d.step,
             "radius_km": d.radius_km, "reason": d.reason, "channel": d.channel, "status": d.status,
             "attempts": d.attempts, "error": d.error,
             "claimed_at": d.claimed_at.isoformat(timespec="seconds") if d.claimed_at else None,
             "sent_at": d.sent_at.isoformat(timespec="seconds") if d.sent_at else None}
            for d in session.scalars(q)]
    if user is not None:
        append_audit(session, user, "alerts.log.read", entity="alert", entity_id=None if alert_id is None
                     else str(alert_id), details={"rows": len(rows), "source": source,
                                                  **({"status": status} if status else {})})
        session.commit()
    return rows
