"""The tables of the alerts, on the store's :class:`~reunite.cases.models.Base` (migration 0014).

* ``alert_subscriptions`` — who gets alerts: a person, an organisation or a medium, by which channel
  (``email``, ``webhook``, ``sms``, ``wechat``) at which ``recipient`` (personal data: read by the
  sender and by nobody's log), for which area: a place (resolved to coordinates and a province
  by the gazetteer) with a radius in km, or a list of provinces (adcodes).  ``status`` goes
  ``pending`` → ``active`` (confirmed by the link sent to the recipient) → ``unsubscribed``.
* ``alerts`` — one appeal sent out: a missing child's report or a found child's published appeal,
  the place it is centred on (coordinates), ``started_at`` (the clock of the widening radius: when
  the child went missing, or when a found child's appeal was sent), the radius schedule, the
  provinces along the direction the network gives, and the public text (what the police chose to
  publish).  ``step_sent`` is the last ring of the schedule fanned out (-1: none).
* ``alert_deliveries`` — the delivery log, ONE row per (alert, subscription) (the unique key that
  makes the fan-out idempotent): the ring (``step``, ``radius_km``; ``reason`` ``radius`` or
  ``direction``), ``status``, ``attempts``, the error class, who claimed it and when.  No name,
  no recipient, no text of the child: ids, numbers and codes only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..cases.models import Base, utcnow
from ..notify import CHANNEL_KINDS

__all__ = [
    "ALERT_STATUSES",
    "DELIVERY_STATUSES",
    "SUBSCRIBER_KINDS",
    "SUBSCRIPTION_STATUSES",
    "Alert",
    "AlertDelivery",
    "AlertSubscription",
]

#: Who subscribes.
SUBSCRIBER_KINDS = ("person", "organisation", "media")
SUBSCRIPTION_STATUSES = ("pending", "active", "unsubscribed")
ALERT_STATUSES = ("active", "closed")
#: A delivery's life: ``claimed`` (this row is a sender's to send; nothing sent yet), ``sending`` (the
#: irrevocable step is under way), then ``sent``, ``retry`` (a retryable failure; ``next_attempt_at``),
#: ``failed`` (permanent, or out of attempts), ``unknown`` (found ``sending`` after a crash: presumed
#: delivered, never sent again) or ``rate_limited`` (the subscriber had too many alerts in the window).
DELIVERY_STATUSES = ("claimed", "sending", "sent", "retry", "failed", "unknown", "rate_limited")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class AlertSubscription(Base):
    """A subscriber and their area; see the module."""

    __tablename__ = "alert_subscriptions"
    __table_args__ = (
        CheckConstraint(_in("kind", SUBSCRIBER_KINDS), name="kind"),
        CheckConstraint(_in("channel", CHANNEL_KINDS), name="channel"),
        CheckConstraint(_in("status", SUBSCRIPTION_STATUSES), name="status"),
        CheckConstraint(_in("lang", ("zh", "en")), name="lang"),
        CheckConstraint("(lat IS NOT NULL AND lon IS NOT NULL AND radius_km IS NOT NULL AND radius_km >= 0) "
                        "OR provinces IS NOT NULL", name="area"),
        Index("ix_alert_subscriptions_status_channel", "status", "channel"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="person")
    organisation: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(2), default="zh")
    place: Mapped[str | None] = mapped_column(Text)
    place_adcode: Mapped[str | None] = mapped_column(String(6))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    radius_km: Mapped[float | None] = mapped_column(Float)
    #: Province adcodes (``["530000", …]``) of a province-wide subscription; None: a place and radius.
    provinces: Mapped[list[str] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(15), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    def province_codes(self) -> set[str]:
        """The provinces of the area: the listed ones, or the place's."""
        if self.provinces:
            return set(self.provinces)
        return {self.place_adcode[:2] + "0000"} if self.place_adcode else set()


class Alert(Base):
    """One appeal sent to the subscribers; see the module."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint(_in("status", ALERT_STATUSES), name="status"),
        CheckConstraint("(report_id IS NULL) <> (appeal_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("missing_reports.id", ondelete="CASCADE"), index=True)
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    place_adcode: Mapped[str] = mapped_column(String(6))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    #: ``[[hours, km], …, [null, km]]``: the radius is ``km`` until ``hours`` after ``started_at``.
    schedule: Mapped[list[Any]] = mapped_column(JSON)
    #: Province adcodes the network's transfers from this place lead to (see reunite.alerts.area).
    direction: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(Text)
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="active")
    step_sent: Mapped[int] = mapped_column(Integer, default=-1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))

    deliveries: Mapped[list[AlertDelivery]] = relationship(back_populates="alert", cascade="all, delete-orphan",
                                                           passive_deletes=True)


class AlertDelivery(Base):
    """One subscriber's delivery of one alert (the delivery log); see the module."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "subscription_id"),
        CheckConstraint(_in("status", DELIVERY_STATUSES), name="status"),
        CheckConstraint(_in("reason", ("radius", "direction")), name="reason"),
        Index("ix_alert_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("alert_subscriptions.id", ondelete="CASCADE"),
                                                 index=True)
    step: Mapped[int] = mapped_column(Integer)
    radius_km: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(10), default="radius")
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(15), default="claimed")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(100))
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    alert: Mapped[Alert] = relationship(back_populates="deliveries")
