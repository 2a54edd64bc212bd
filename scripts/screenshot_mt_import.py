"""Screenshots of the imports page with the EMPOP mtDNA kind (``mt``), in Chinese on a phone (390 px): the
form, a refused file (tests/labfiles/empop_bad.emp) and a stored one (empop_good.emp), in Chromium
(Debian's /usr/bin/chromium, driven by Playwright) against the application on a free loopback port with an
empty store; prints the pages' scroll widths (390: nothing wider than the screen).

    .venv/bin/python scripts/screenshot_mt_import.py docs/screenshots/labfiles
"""

from __future__ import annotations

import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "e2e password 2014"


def main(out: Path) -> None:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from reunite.cases import accounts
    from reunite.cases import db as store
    from reunite.cases.records import add_user
    from reunite.web import create_app

    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'reunite.db'}"
    store.init_db(url)
    with store.open_session(url) as s:
        user = add_user(s, "李分析员", "lab_analyst", by="setup", commit=False)
        user.password_hash = accounts.hash_password(PASSWORD)
        s.commit()
    store.dispose_engines()
    app = create_app(url, tmp / "media", reports_dir=tmp / "reports", secret_key="shots", secure_cookies=False,
                     match_after_import=False)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    widths = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--lang=zh-CN"])
            page = browser.new_context(base_url=f"http://127.0.0.1:{port}", viewport={"width": 390, "height": 844},
                                       locale="zh-CN").new_page()
            page.goto("/login?lang=zh")
            page.fill("#login-username", "李分析员")
            page.fill("#login-password", PASSWORD)
            page.click("#login-submit")
            for name, shot in (("empop_bad.emp", "mt-import-refused-zh-phone.png"),
                               ("empop_good.emp", "mt-import-done-zh-phone.png")):
                page.goto("/imports?lang=zh")
                page.select_option("#import-kind", "mt")
                page.fill("#import-lab", "LAB9")
                page.set_input_files("#import-file", str(ROOT / "tests" / "labfiles" / name))
                if name == "empop_bad.emp":
                    page.screenshot(path=str(out / "mt-import-form-zh-phone.png"))
                    widths.append(page.evaluate("document.documentElement.scrollWidth"))
                page.click("#import-submit")
                page.wait_for_timeout(1500)
                page.reload()
                page.screenshot(path=str(out / shot), full_page=True)
                widths.append(page.evaluate("document.documentElement.scrollWidth"))
            browser.close()
    finally:
        server.should_exit = True
    print("scroll widths (px):", *widths)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots" / "labfiles")
