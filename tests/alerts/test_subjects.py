"""What an alert is about: a missing child's appeal is alerted as its report (the place and the day lost,
the appeal's hotline and page), and a report's clock starts at the end of the day lost (China time)
unless the investigator gives the time; through the library (both backends) and the web form."""

from __future__ import annotations

import datetime as dt

from reunite.alerts import alert_subject, delivery_log, lost_at, tick
from reunite.cases.appeals import publish
from reunite.cases.models import MissingReport
from reunite.notify import NotifySettings
from web.conftest import app, client, ids, seeded, web_backend, world  # noqa: F401
from web.conftest import as_user as as_user

from .conftest import T0
from .helpers import active


def _channels(smtp):
    return NotifySettings.from_env(smtp.env()).channel


def test_the_clock_of_a_report_starts_at_the_end_of_the_day_lost_in_china():
    r = MissingReport(report_number="R", disappeared_on=dt.date(2013, 9, 1))
    # by hand: 2013-09-01 23:59:59 at UTC+8 is 15:59:59 UTC the same day
    assert lost_at(r, dt.datetime(2026, 12, 5, 8, 0)) == dt.datetime(2013, 9, 1, 15, 59, 59)
    today = MissingReport(report_number="T", disappeared_on=dt.date(2026, 12, 5))
    assert lost_at(today, dt.datetime(2026, 12, 5, 8, 0)) == dt.datetime(2026, 12, 5, 8, 0)   # later than now
    assert lost_at(MissingReport(report_number="U"), T0) == T0                                 # no day: now


def test_a_missing_childs_appeal_is_alerted_with_the_reports_place_and_day(store, links, smtp):
    near = active(store, links, "email", "km@example.org", place="云南省昆明市安宁市", radius_km=0)   # 36 km
    dali = active(store, links, "email", "dali@example.org", place="云南省大理白族自治州", radius_km=0)  # 270 km
    rep = store.query(MissingReport).filter_by(report_number="R-KM").one()
    rep.disappeared_on = dt.date(2026, 12, 1)          # four days before T0: 500 km at once
    store.commit()
    appeal = publish(store, user="inv", hotline="+86 871 110", report_number="R-KM",
                     no_photo_reason="the family has no photo", facts=["sex", "age", "place", "date"])
    alert = alert_subject(store, user="inv", appeal_id=appeal.id, now=T0, public_url="http://reunite.test")
    assert (alert.report_id, alert.appeal_id) == (rep.id, None)
    assert alert.started_at == dt.datetime(2026, 12, 1, 15, 59, 59)
    assert alert.place_adcode == "530100" and alert.url == f"http://reunite.test/appeals/{appeal.id}"
    tick(store, links=links, now=T0, channels=_channels(smtp))
    text = smtp.to("km@example.org")[0].text
    assert f"http://reunite.test/appeals/{appeal.id}" in text and "+86 871 110" in text and "2026-12-01" in text
    assert "Secret Name" not in text
    assert smtp.to("dali@example.org")                  # 270 km: inside the 500 km of a child missing 4 days
    rings = {row["subscriber"]: row["radius_km"] for row in delivery_log(store, alert.id)}
    assert rings == {near.id: 500, dali.id: 500}


def test_a_time_given_still_starts_the_clock(store, links):
    alert = alert_subject(store, user="inv", report="R-KM", started_at=T0, now=T0 + dt.timedelta(minutes=5))
    assert alert.started_at == T0


def test_the_web_form_sends_a_missing_childs_appeal(client, as_user, monkeypatch):  # noqa: F811
    monkeypatch.setenv("REUNITE_NOTIFY_BACKEND", "console")
    inv = as_user("inv")
    form = {"csrf_token": inv.csrf, "hotline": "+86 870 110", "facts_chosen": "1", "fact_sex": "1",
            "fact_place": "1", "no_photo_reason": "The family has no photo of him."}
    assert inv.post("/reports/R-1/appeal", data=form, follow_redirects=False).status_code == 303
    [aid] = [a["id"] for a in client.get("/api/v1/appeals", params={"kind": "missing"}).json()["items"]]
    r = inv.post("/alerts", data={"csrf_token": inv.csrf, "subject": "appeal", "number": str(aid)},
                 follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    page = inv.get(r.headers["location"] + "?lang=en").text
    assert f"/appeals/{aid}" in page and "Zhaotong" in page

