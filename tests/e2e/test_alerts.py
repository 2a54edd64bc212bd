"""End to end in a real headless Chromium: a missing-child alert from subscription to delivery.

The real server (``reunite serve``) runs in a subprocess against a fresh SQLite store with a report lost
in Kunming, e-mail configured to a real SMTP server (aiosmtpd) started by the test.  On a phone (390 px,
Chinese) a neighbour in Anning (36 km from Kunming) subscribes on the public form and confirms by the link
the mail carried; on a desktop (English) a subscriber in Dali (270 km) does the same; the investigator
sends the alert of the report (the child went missing ten minutes ago): the mail reaches Anning, not
Dali; then ``reunite alerts tick --now`` (what cron runs; the clock injected 2.5 hours later) widens the
radius to 300 km and the mail reaches Dali, once; the investigator's page shows the log; the neighbour
unsubscribes by the link in the alert.

Screenshots ``alerts-NN-name.png`` go to a temporary folder, or, with ``REUNITE_UPDATE_SCREENSHOTS=1``,
to ``docs/screenshots``.  Chromium missing: skipped with the reason, except on CI (``CI=true``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from e2e.test_story import PASSWORD, PHONE, SHOTS, VIEWPORT, _free_port, update_screenshots
from e2e.test_story import browser as browser  # the fixtures of the story's Chromium
from e2e.test_story import sync_playwright as sync_playwright
from notify.servers import SmtpSink

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPORTS = """report_number,child_name,sex,date_of_birth,disappeared_on,disappeared_place,contact_name,contact_phone
R-E2E,Test Child,female,2023-03-01,2026-12-05,云南省昆明市,Test Parent,+86 13900000000
"""
LINK = re.compile(r"(https?://[^\s]+/alerts/(?:confirm|unsubscribe)/[A-Za-z0-9._-]+)")


def _shoot(folder: Path, taken: list[str]):
    def shot(page, name: str) -> None:
        file = folder / f"alerts-{len(taken) + 1:02d}-{name}.png"
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        page.screenshot(path=str(file), full_page=True)
        taken.append(file.name)
    return shot


def _cli(env, root, *args) -> str:
    done = subprocess.run([sys.executable, "-m", "reunite", *args], env=env, cwd=root, capture_output=True,
                          text=True, timeout=120, input=PASSWORD + "\n")
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _wait_for(predicate, what: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """An SMTP server, and ``reunite serve`` on a fresh store with an investigator and a report."""
    root = tmp_path_factory.mktemp("e2e-alerts")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with SmtpSink() as smtp:
        env = {**os.environ, **smtp.env(), "REUNITE_DATABASE_URL": f"sqlite:///{root / 'reunite.db'}",
               "REUNITE_MEDIA_DIR": str(root / "media"), "REUNITE_REPORTS_DIR": str(root / "reports"),
               "REUNITE_INDEX_DIR": str(root / "index"), "REUNITE_SECRET_KEY": "e2e-alerts-secret-not-for-production",
               "REUNITE_PUBLIC_URL": base, "REUNITE_USER": "setup"}
        (root / "reports.csv").write_text(REPORTS, encoding="utf-8")
        _cli(env, root, "users", "add", "zhang.inv", "--role", "investigator", "--password-stdin")
        _cli(env, root, "import", "reports", str(root / "reports.csv"), "--no-match")
        log = open(root / "server.log", "w")
        proc = subprocess.Popen([sys.executable, "-m", "reunite", "serve", "--host", "127.0.0.1", "--port", str(port),
                                 "--insecure-cookies"], env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT)
        try:
            def up() -> bool:
                assert proc.poll() is None, (root / "server.log").read_text()[-3000:]
                try:
                    with urllib.request.urlopen(base + "/alerts/subscribe", timeout=2) as r:
                        return r.status == 200
                except OSError:
                    return False
            _wait_for(up, "the server", 30)
            yield {"base": base, "root": root, "env": env, "smtp": smtp}
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


def _subscribe(ctx, shot, address: str, place: str, lang: str, name: str) -> None:
    page = ctx.new_page()
    page.goto(f"/alerts/subscribe?lang={lang}")
    page.fill("#alerts-recipient", address)
    page.fill("#alerts-place", place)
    page.select_option("#alerts-radius", "10")
    shot(page, f"subscribe-{name}")
    page.click("#alerts-submit")
    page.wait_for_selector("#alerts-message")
    shot(page, f"subscribed-{name}")
    page.close()


def test_alert_from_subscription_to_delivery(world, browser, tmp_path):
    from playwright.sync_api import expect

    smtp, base = world["smtp"], world["base"]
    folder = SHOTS if update_screenshots() else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    taken: list[str] = []
    shot = _shoot(folder, taken)
    errors: list[str] = []

    def context(viewport, locale):
        ctx = browser.new_context(base_url=base, viewport=viewport, locale=locale)
        ctx.set_default_timeout(20_000)
        ctx.on("page", lambda p: p.on("pageerror", lambda exc: errors.append(str(exc))))
        return ctx

    phone = context(PHONE, "zh-CN")
    desk = context(VIEWPORT, "en-US")
    # ---- 1. Two people subscribe: a neighbour in Anning on a phone (zh), someone in Dali on a desktop (en).
    _subscribe(phone, shot, "neighbour@example.org", "云南安宁", "zh", "phone-zh")
    _subscribe(desk, shot, "dali@example.org", "Dali, Yunnan", "en", "desktop-en")
    for address, ctx, name in (("neighbour@example.org", phone, "phone-zh"), ("dali@example.org", desk, "desktop-en")):
        _wait_for(lambda a=address: smtp.to(a), f"the confirmation to {address}")
        link = LINK.search(smtp.to(address)[0].text).group(1)
        assert link.startswith(base + "/alerts/confirm/")
        page = ctx.new_page()
        page.goto(link)
        if name == "phone-zh":
            shot(page, "confirm-phone-zh")
        page.click("#alerts-link-submit")
        expect(page.locator("#alerts-link-message")).to_be_visible()
        if name == "phone-zh":
            shot(page, "confirmed-phone-zh")
        page.close()

    # ---- 2. The investigator sends the report's alert: the child went missing ten minutes ago.
    inv = desk.new_page()
    inv.goto("/login")
    inv.fill("#login-username", "zhang.inv")
    inv.fill("#login-password", PASSWORD)
    inv.click("#login-submit")
    inv.wait_for_url(re.compile(r"/dashboard$"))
    inv.goto("/alerts")
    inv.fill("#alerts-number", "R-E2E")
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")
    inv.fill("#alerts-missing-since", since)
    inv.fill("#alerts-hotline", "0871-110")
    inv.fill("#alerts-description-en", "Red coat, a small scar above the left eyebrow.")
    inv.fill("#alerts-description-zh", "穿红色外套，左眉上方有一道小疤。")
    shot(inv, "send-desktop-en")
    inv.click("#alerts-send-submit")
    inv.wait_for_url(re.compile(r"/alerts/\d+$"))
    alert_url = inv.url
    expect(inv.locator("#alert-counts")).to_contain_text("sent: 1")
    shot(inv, "sent-first-hour-desktop-en")
    _wait_for(lambda: len(smtp.to("neighbour@example.org")) == 2, "the alert to Anning")
    assert len(smtp.to("dali@example.org")) == 1                    # the confirmation only: 270 km > 100 km
    alert_mail = smtp.to("neighbour@example.org")[1].text
    assert "0871-110" in alert_mail and "红色外套" in alert_mail and "Test Child" not in alert_mail

    # ---- 3. The clock: cron runs `reunite alerts tick`; 2.5 hours after, the radius is 300 km.
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2.5)).replace(tzinfo=None).isoformat(timespec="seconds")
    out = _cli(world["env"], world["root"], "alerts", "tick", "--now", later)
    assert '"radius_km": 300.0' in out and '"sent": 1' in out
    _wait_for(lambda: len(smtp.to("dali@example.org")) == 2, "the alert to Dali")
    assert len(smtp.to("neighbour@example.org")) == 2              # nobody twice
    inv.goto(alert_url)
    expect(inv.locator("#alert-counts")).to_contain_text("sent: 2")
    assert inv.locator(".log-row").count() == 2
    assert "example.org" not in inv.content()
    shot(inv, "log-desktop-en")
    inv.goto(alert_url + "?lang=zh")
    shot(inv, "log-desktop-zh")

    # ---- 4. The neighbour stops the alerts by the link in the alert; the phone page in English too.
    unsub = next(u for u in LINK.findall(alert_mail) if "/unsubscribe/" in u)
    page = phone.new_page()
    page.goto(unsub)
    shot(page, "unsubscribe-phone-zh")
    page.click("#alerts-link-submit")
    expect(page.locator("#alerts-link-message")).to_contain_text("已退订")
    shot(page, "unsubscribed-phone-zh")
    page.goto("/alerts/subscribe?lang=en")
    shot(page, "subscribe-phone-en")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the form is wider than a phone ({width} px)"
    assert not errors, errors
    phone.close()
    desk.close()
