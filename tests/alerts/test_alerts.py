"""Alerts end to end through the library, on SQLite and PostgreSQL, against a real SMTP server
(aiosmtpd) and a real webhook receiver: the radius widening with an injected clock, the network's
direction, double opt-in, unsubscribe, retries with backoff, rate limits, and the log's privacy."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from reunite.alerts import (
    TUANYUAN,
    AlertDelivery,
    AlertError,
    Schedule,
    SendPolicy,
    confirm,
    create_alert,
    delivery_log,
    subscribe,
    tick,
    unsubscribe,
)
from reunite.errors import InputError
from reunite.notify import ConsoleChannel, NotifySettings

from .conftest import T0
from .helpers import active

H = dt.timedelta(hours=1)


def _channels(smtp, hook=None):
    env = {**smtp.env(), **({"REUNITE_WEBHOOK_SECRET": hook.secret} if hook else {})}
    return NotifySettings.from_env(env).channel


def test_tuanyuan_schedule_by_hand():
    # 100 km in the first hour, 200 in the second, 300 in the third, 500 after (Shanghai Daily, 2016)
    assert [TUANYUAN.radius(TUANYUAN.step_at(T0, T0 + dt.timedelta(minutes=m))) for m in
            (0, 59, 60, 119, 120, 179, 180, 6000)] == [100, 100, 200, 200, 300, 300, 500, 500]
    assert Schedule.parse("0.5:50, *:80").steps == ((0.5, 50.0), (None, 80.0))
    assert Schedule.from_env({"REUNITE_ALERT_SCHEDULE": "1:100,2:200,3:300,*:500"}) == TUANYUAN
    for bad in ("1:100", "2:100,1:200,*:300", "1:300,*:200", "x:1,*:2"):
        with pytest.raises(InputError, match="REUNITE_ALERT_SCHEDULE"):
            Schedule.parse(bad)


def test_radius_widens_with_the_clock_over_smtp_and_webhook(store, links, smtp, hook):
    near = active(store, links, "email", "near@example.org", place="云南省昆明市安宁市", radius_km=0)      # 36 km
    far = active(store, links, "email", "far@example.org", place="云南省大理白族自治州", radius_km=0)      # 270 km
    media = active(store, links, "webhook", hook.url + "/media", place="贵州省贵阳市", radius_km=10)        # 428 km
    alert = create_alert(store, user="inv", report="R-KM", started_at=T0, now=T0 + 10 * 60 * H / 3600,
                         hotline="110")
    channels = _channels(smtp, hook)
    first = tick(store, links=links, now=T0 + 0.5 * H, channels=channels)
    assert first[-1].as_dict()["radius_km"] == 100 and first[-1].counts == {"sent": 1}
    assert len(smtp.to("near@example.org")) == 1 and smtp.to("far@example.org") == []
    tick(store, links=links, now=T0 + 1.5 * H, channels=channels)               # 200 km: still not far
    assert smtp.to("far@example.org") == []
    third = tick(store, links=links, now=T0 + 2.5 * H, channels=channels)       # 300 km: far gets it
    assert third[-1].counts == {"sent": 1}
    assert len(smtp.to("far@example.org")) == 1 and len(smtp.to("near@example.org")) == 1
    assert hook.hooks == []
    tick(store, links=links, now=T0 + 5 * H, channels=channels)                 # 500 km: the webhook
    tick(store, links=links, now=T0 + 6 * H, channels=channels)                 # nothing new, nothing twice
    assert len(hook.hooks) == 1 and hook.hooks[0].valid
    assert hook.hooks[0].headers["X-Reunite-Delivery"] == f"alert-{alert.id}-sub-{media.id}"
    assert [len(smtp.to(a)) for a in ("near@example.org", "far@example.org")] == [1, 1]
    mail = smtp.to("far@example.org")[0]
    text = mail.text
    assert "昆明" in text and "Kunming" in text and "110" in text and "Secret Name" not in text
    unsub = "".join(str(mail.mail["List-Unsubscribe"]).split()).strip("<>")
    assert unsub.startswith("http://reunite.test/alerts/unsubscribe/") and unsub in text
    log = {r["subscriber"]: r for r in delivery_log(store, alert.id)}
    assert {k: (v["step"], v["radius_km"], v["status"], v["attempts"]) for k, v in log.items()} == {
        near.id: (0, 100, "sent", 1), far.id: (2, 300, "sent", 1), media.id: (3, 500, "sent", 1)}


def test_direction_of_the_network_reaches_a_far_province(store, links, smtp):
    from reunite.network.models import NetworkPerson, NetworkTransfer

    a = NetworkPerson(investigation="KM", code="B1", role="broker", home_place="云南省昆明市", arrest_status="arrested",
                      entered_by="inv")
    b = NetworkPerson(investigation="KM", code="Y1", role="buyer", home_place="山东省临沂市", arrest_status="at_large",
                      entered_by="inv")
    store.add_all([a, b])
    store.flush()
    store.add(NetworkTransfer(investigation="KM", code="T1", child_kind="unknown", child="confession #1",
                              from_id=a.id, to_id=b.id, place="云南省昆明市", entered_by="inv"))
    store.commit()
    shandong = active(store, links, "email", "sd@example.org", provinces=["山东"])          # 1,870 km away
    fujian = active(store, links, "email", "fj@example.org", provinces=["Fujian"])
    alert = create_alert(store, user="inv", report="R-KM", started_at=T0, now=T0)
    assert alert.direction == ["370000"]
    tick(store, links=links, now=T0, channels=_channels(smtp))
    assert len(smtp.to("sd@example.org")) == 1 and smtp.to("fj@example.org") == []
    row = store.scalars(select(AlertDelivery).where(AlertDelivery.subscription_id == shandong.id)).one()
    assert (row.reason, row.radius_km, row.step) == ("direction", None, 0)
    assert fujian.status == "active"


def test_province_subscription_is_reached_when_a_county_is_inside_the_radius(store, links, smtp):
    guizhou = active(store, links, "email", "gz@example.org", provinces=["贵州"])   # its nearest county ~200 km
    create_alert(store, user="inv", report="R-KM", started_at=T0, now=T0)
    tick(store, links=links, now=T0, channels=_channels(smtp))
    assert smtp.to("gz@example.org") == []
    tick(store, links=links, now=T0 + 2.5 * H, channels=_channels(smtp))
    assert len(smtp.to("gz@example.org")) == 1 and guizhou.provinces == ["520000"]


def test_double_opt_in_and_unsubscribe(store, links, smtp):
    sender = NotifySettings.from_env(smtp.env()).channel("email")
    sub, delivery = subscribe(store, channel_kind="email", recipient="new@example.org", links=links, sender=sender,
                              place="Kunming", radius_km=20, lang="en")
    assert delivery.ok and sub.status == "pending"
    create_alert(store, user="inv", report="R-KM", started_at=T0, now=T0)
    tick(store, links=links, now=T0, channels=_channels(smtp))
    confirmation = smtp.to("new@example.org")
    assert len(confirmation) == 1               # the confirmation only: a pending subscriber gets no alert
    token = confirmation[0].text.split("/alerts/confirm/")[1].split()[0]
    with pytest.raises(AlertError, match="not valid"):
        confirm(store, token[:-2] + "xx", links)
    with pytest.raises(AlertError, match="not valid"):
        unsubscribe(store, token, links)        # a confirmation token cannot unsubscribe
    assert confirm(store, token, links).status == "active"
    create_alert(store, user="inv", report="R-KM", started_at=T0, now=T0)
    tick(store, links=links, now=T0 + 0.1 * H, channels=_channels(smtp))
    mails = smtp.to("new@example.org")
    assert len(mails) == 3                      # both active alerts, once each, now that it is confirmed
    unsub = "".join(str(mails[-1].mail["List-Unsubscribe"]).split()).strip("<>").rsplit("/", 1)[1]
    gone = unsubscribe(store, unsub, links)
    assert gone.status == "unsubscribed" and "example.org" not in gone.recipient
    assert unsubscribe(store, unsub, links).status == "unsubscribed"      # the same link again: no change
    create_alert(store, user="inv", report="R-KM", started_at=T0, now=T0)
    tick(store, links=links, now=T0 + 0.2 * H, channels=_channels(smtp))
    assert len(smtp.to("new@example.org")) == 3


def test_bad_subscriptions_report_every_problem(store, links):
    with pytest.raises(InputError) as err:
        subscribe(store, channel_kind="email", recipient="nope", links=links, sender=ConsoleChannel(stream=None),
                  place="Atlantis", radius_km=-3, lang="fr")
    fields = {p.field for p in err.value.problems}
    assert fields == {"recipient", "place", "radius_km", "lang"} and "nope" not in str(err.value)


def test_retries_back_off_then_fail_and_refusals_are_permanent(store, links, smtp, hook):
    active(store, links, "webhook", hook.url + "/down", place="昆明", radius_km=5)
    active(store, links, "email", "refused@example.org", place="昆明", radius_km=5)
    smtp.refuse.add("refused@example.org")
    hook.status = 503
    create_alert(store, user="inv", report="R-KM", started_at=T0, now=T0)
    policy = SendPolicy(max_attempts=3, backoff_seconds=60)
    channels = _channels(smtp, hook)
    tick(store, links=links, now=T0, channels=channels, policy=policy)
    rows = {r["channel"]: r for r in delivery_log(store)}
    assert (rows["email"]["status"], rows["email"]["error"], rows["email"]["attempts"]) == ("failed", "SMTP 550", 1)
    assert (rows["webhook"]["status"], rows["webhook"]["error"]) == ("retry", "HTTP 503")
    tick(store, links=links, now=T0 + dt.timedelta(seconds=30), channels=channels, policy=policy)
    assert len(hook.hooks) == 1                                           # not yet due (60 s)
    tick(store, links=links, now=T0 + dt.timedelta(seconds=61), channels=channels, policy=policy)
    assert len(hook.hooks) == 2                                           # second attempt; next after 120 s
    tick(store, links=links, now=T0 + dt.timedelta(seconds=61 + 119), channels=channels, policy=policy)
    assert len(hook.hooks) == 2
    tick(store, links=links, now=T0 + dt.timedelta(seconds=61 + 121), channels=channels, policy=policy)
    assert len(hook.hooks) == 3
    row = next(r for r in delivery_log(store) if r["channel"] == "webhook")
    assert (row["status"], row["attempts"]) == ("failed", 3)
    tick(store, links=links, now=T0 + 10 * H, channels=channels, policy=policy)
    assert len(hook.hooks) == 3


def test_rate_limit_per_subscriber(store, links, smtp):
    active(store, links, "email", "busy@example.org", place="昆明", radius_km=5)
    policy = SendPolicy(rate_limit=2, rate_window_hours=24)
    for k in range(3):
        create_alert(store, user="inv", report="R-KM", started_at=T0, now=T0)
        tick(store, links=links, now=T0 + k * H, channels=_channels(smtp), policy=policy)
    assert len(smtp.to("busy@example.org")) == 2
    assert [r["status"] for r in delivery_log(store)] == ["rate_limited", "sent", "sent"]
    create_alert(store, user="inv", report="R-KM", started_at=T0 + 30 * H, now=T0 + 30 * H)
    tick(store, links=links, now=T0 + 30 * H, channels=_channels(smtp), policy=policy)    # a day later: again
    assert len(smtp.to("busy@example.org")) == 3


def test_found_child_appeal_alert_and_a_log_without_personal_data(store, links, smtp):
    active(store, links, "email", "km@example.org", place="昆明", radius_km=0)
    alert = create_alert(store, user="inv", appeal_id=1, now=T0, public_url="http://reunite.test")
    tick(store, links=links, now=T0, channels=_channels(smtp))
    text = smtp.to("km@example.org")[0].text
    assert "http://reunite.test/appeals/1" in text and "0871-110" in text and "8 个月" in text
    assert "about 8 months old then" in text
    log = delivery_log(store, alert.id)
    flat = repr(log)
    assert log and "example.org" not in flat and "昆明" not in flat and "Kunming" not in flat
    with pytest.raises(InputError, match="published appeal"):
        create_alert(store, user="inv", appeal_id=99, now=T0)
