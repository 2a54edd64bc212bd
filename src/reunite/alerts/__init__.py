"""Alerts: appeals pushed to subscribers within a radius that widens with time (as China's Tuanyuan).

A layer beside the case store (it uses the store, the gazetteer of the place evidence, the
trafficking network and :mod:`reunite.notify`):

* :mod:`reunite.alerts.models` — the tables (``alert_subscriptions``, ``alerts``, ``alert_deliveries``;
  migration 0014);
* :mod:`reunite.alerts.subscriptions` — subscribe (double opt-in by a signed link), confirm, unsubscribe;
* :mod:`reunite.alerts.area` — the radius schedule (100, 200, 300, then 500 km), who is inside, and the
  direction the network gives;
* :mod:`reunite.alerts.subjects` — what an alert is about (a report, a found or a missing child's appeal)
  and when its clock starts (:func:`alert_subject`, what the web and the CLI call);
* :mod:`reunite.alerts.sender` — create an alert, fan it out ring by ring (claim, then send: at most once),
  retries with backoff, rate limits, recovery after a crash, the delivery log.

See docs/alerts.md.
"""

from __future__ import annotations

from .area import TUANYUAN, Schedule, direction_provinces, reached
from .models import Alert, AlertDelivery, AlertSubscription
from .sender import FanOut, SendPolicy, create_alert, delivery_log, fan_out, recover, tick
from .subjects import alert_subject, lost_at
from .subscriptions import AlertError, Links, confirm, subscribe, unsubscribe

__all__ = [
    "TUANYUAN",
    "Alert",
    "AlertDelivery",
    "AlertError",
    "AlertSubscription",
    "FanOut",
    "Links",
    "Schedule",
    "SendPolicy",
    "alert_subject",
    "confirm",
    "create_alert",
    "delivery_log",
    "direction_provinces",
    "fan_out",
    "lost_at",
    "reached",
    "recover",
    "subscribe",
    "tick",
    "unsubscribe",
]
