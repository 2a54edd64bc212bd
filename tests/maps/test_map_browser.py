"""The map pages in a real Chromium, on a phone (390 px) and a desktop (1200 px), in Chinese and
English, over the Kunming demo's store (its network, and appeals published for its found children):
no page is wider than the screen, the drawing meant for the screen is the one shown, markers and
arrows are drawn, and each page is photographed (into docs/screenshots/maps-*.png with
REUNITE_UPDATE_SCREENSHOTS=1, else into a temporary folder).  Skipped with the reason without
Chromium or Playwright, a failure on CI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from needs import CHROMIUM, need_chromium

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "map pages 2014 kunming"
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1200, "height": 900}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`reunite serve` on the Kunming demo's store, with every found child's appeal published."""
    need_chromium()
    from sqlalchemy import select

    from reunite.cases import accounts
    from reunite.cases.appeals import publish
    from reunite.cases.db import dispose_engines, open_session
    from reunite.cases.models import FoundChild
    from reunite.cases.records import add_user
    from reunite.kunming import run_demo

    out = tmp_path_factory.mktemp("maps-e2e")
    run_demo(out, echo=lambda _line: None, reports=False)
    url = f"sqlite:///{out / 'reunite-demo.db'}"
    with open_session(url) as s:
        user = add_user(s, "map.inv", "investigator", by="test", commit=False)
        user.password_hash = accounts.hash_password(PASSWORD)
        s.commit()
        for case in s.scalars(select(FoundChild.case_number).order_by(FoundChild.id)).all():
            publish(s, user="map.inv", hotline="0871-110", case_number=case, no_photo_reason="photo withheld")
    dispose_engines()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "REUNITE_DATABASE_URL": url, "REUNITE_MEDIA_DIR": str(out / "media"),
           "REUNITE_REPORTS_DIR": str(out / "reports"), "REUNITE_INDEX_DIR": str(out / "index"),
           "REUNITE_SECRET_KEY": "maps-e2e-secret-key-not-for-production"}
    log = open(out / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "reunite", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--insecure-cookies", "--no-match"], env=env, cwd=out, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/map/appeals", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{(out / 'server.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()


def _shots(tmp_path) -> Path:
    if os.environ.get("REUNITE_UPDATE_SCREENSHOTS", "").lower() in ("1", "true", "yes"):
        return SHOTS
    return tmp_path


def _shot(page, path: Path, max_height: int = 1600) -> None:
    """A full-page screenshot, cut at ``max_height`` (the top of a long table is enough)."""
    height = page.evaluate("document.documentElement.scrollHeight")
    clip = {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": max_height} if height > max_height else None
    page.screenshot(path=str(path), full_page=True, clip=clip)


def _check(page, viewport: dict, kinds: set[str]) -> None:
    """Not wider than the screen; the drawing for this width shown; markers of these kinds visible."""
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    shown, hidden = (".map-narrow", ".map-wide") if viewport["width"] < 600 else (".map-wide", ".map-narrow")
    box = page.locator(f"{shown} svg").bounding_box()
    assert box is not None and box["width"] > 0.7 * min(viewport["width"], 960)
    assert page.locator(f"{hidden} svg").bounding_box() is None
    for kind in kinds:
        assert page.locator(f'{shown} g[data-kind="{kind}"]').count() > 0, kind


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_public_map_on_phone_and_desktop(browser, server, tmp_path, lang):
    folder = _shots(tmp_path)
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = browser.new_page(viewport=viewport)
        page.goto(f"{server}/map/appeals?lang={lang}")
        _check(page, viewport, {"found"})
        assert page.locator("#map-places section").count() >= 1
        _shot(page, folder / f"maps-appeals-{lang}-{name}.png")
        page.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_investigator_maps_on_phone_and_desktop(browser, server, tmp_path, lang):
    folder = _shots(tmp_path)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{server}/login?lang={lang}")
    page.fill("input[name=username]", "map.inv")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_load_state()
    for path, kinds in (("network", {"origin", "hub", "found", "lost", "destination"}),
                        ("flows", {"origin", "hub", "destination"})):
        for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            page.goto(f"{server}/map/{path}?lang={lang}")
            _check(page, viewport, kinds)
            if path == "flows":
                assert page.locator("#map-flows tr.map-flow").count() == 10  # 7 villages in, 3 provinces out
            _shot(page, folder / f"maps-{path}-{lang}-{name}.png")
    context.close()
