"""The alert pages through the app (FastAPI's TestClient) with a real SMTP server: the public subscribes
on the form, confirms by the link the mail carried (a page with a button: a GET changes nothing), an
investigator sends an alert and reads the log, the subscriber unsubscribes; Chinese and English."""

from __future__ import annotations

import re

import pytest

from web.conftest import app, client, ids, seeded, web_backend, world  # noqa: F401
from web.conftest import as_user as as_user

from .conftest import SmtpSink

LINK = re.compile(r"http://testserver(/alerts/(?:confirm|unsubscribe)/[A-Za-z0-9._-]+)")


@pytest.fixture
def smtp(monkeypatch):
    with SmtpSink() as sink:
        for k, v in sink.env().items():
            monkeypatch.setenv(k, v)
        monkeypatch.delenv("REUNITE_PUBLIC_URL", raising=False)
        yield sink


def test_subscribe_confirm_send_log_unsubscribe(as_user, smtp):
    public = as_user(None)
    page = public.get("/alerts/subscribe?lang=zh")
    assert page.status_code == 200 and "接收儿童失踪预警" in page.text and 'value="email"' in page.text
    form = {"csrf_token": public.csrf, "channel": "email", "recipient": "li@example.org", "area": "place",
            "place": "昭通", "radius_km": "10", "kind": "person"}
    bad = public.post("/alerts/subscribe", data={**form, "recipient": "nope", "place": "Atlantis"})
    assert bad.status_code == 400 and "找不到这个地点" in bad.text and "无法向此联系方式发送" in bad.text
    ok = public.post("/alerts/subscribe", data=form)
    assert ok.status_code == 200 and "还差一步" in ok.text
    confirm = LINK.search(smtp.to("li@example.org")[0].text).group(1)
    assert "/alerts/confirm/" in confirm
    page = public.get(confirm)                          # a mail scanner's GET changes nothing
    assert page.status_code == 200 and "alerts-link-submit" in page.text
    assert public.post(confirm, data={"csrf_token": public.csrf}).status_code == 200

    inv = as_user("inv")
    listing = inv.get("/alerts?lang=en")
    assert listing.status_code == 200 and "Send an alert" in listing.text
    r = inv.post("/alerts", data={"csrf_token": inv.csrf, "subject": "report", "number": "R-1", "hotline": "110"},
                 follow_redirects=False)
    assert r.status_code == 303
    alert_page = inv.get(r.headers["location"])
    assert alert_page.status_code == 200 and "sent: 1" in alert_page.text and "li@example.org" not in alert_page.text
    mails = smtp.to("li@example.org")
    assert len(mails) == 2 and "Zhaotong" in mails[1].text and "110" in mails[1].text
    unsub = LINK.findall(mails[1].text)[-1]
    assert "/alerts/unsubscribe/" in unsub
    assert "alerts-link-submit" in public.get(unsub).text
    done = public.post(unsub, data={"csrf_token": public.csrf})
    assert done.status_code == 200 and "已退订" in done.text
    assert inv.post(r.headers["location"] + "/tick", data={"csrf_token": inv.csrf}).status_code == 200
    assert len(smtp.to("li@example.org")) == 2


def test_bad_links_and_no_channel(as_user, monkeypatch):
    for k in ("REUNITE_SMTP_HOST", "REUNITE_NOTIFY_BACKEND", "REUNITE_SMS_URL", "REUNITE_WECHAT_URL",
              "REUNITE_WEBHOOK_SECRET"):
        monkeypatch.delenv(k, raising=False)
    public = as_user(None)
    assert "alerts-no-channel" in public.get("/alerts/subscribe").text
    r = public.get("/alerts/confirm/forged-token-123")
    assert r.status_code == 400 and "alerts-link-message" in r.text
    r = public.post("/alerts/unsubscribe/forged-token-123", data={"csrf_token": public.csrf})
    assert r.status_code == 400
    assert public.post("/alerts/confirm/forged-token-123", data={}).status_code == 403      # CSRF
