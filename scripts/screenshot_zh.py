"""Walk every staff page (investigator, lab analyst, caseworker, admin) and every family page in Chinese, in
Chromium, at a phone's width (390 px) and a desktop's (1280 px); save a screenshot of each into
docs/screenshots/zh/ and print, per page, the English words left (the filter of tests/web/test_zh_pages.py)
and whether the page is wider than the screen.

    .venv/bin/python scripts/screenshot_zh.py [--out docs/screenshots/zh] [--only phone|desktop]

The store is the Kunming demo (:func:`reunite.kunming.run_demo`) with passwords, a caseworker and two
admins; the application runs in this process (uvicorn on a free loopback port) with a console text-message
channel, so a family registers through the pages with the code it was "texted".  Chromium is Debian's
/usr/bin/chromium, driven by Playwright, started with --lang=zh-CN (its own controls, a file input's button,
in Chinese as on a phone set to Chinese).
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

PASSWORD = "e2e password 2014"
FAMILY_PASSWORD = "family password 2014"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


def build(out: Path) -> tuple[str, dict]:
    """The demo store, its users' passwords set; the ids of a few records to visit."""
    from sqlalchemy import select

    from reunite.cases import accounts
    from reunite.cases import db as store
    from reunite.cases.models import Candidate, Cohort, DnaSample, FoundChild, MissingReport, User
    from reunite.cases.records import add_user
    from reunite.kunming import run_demo

    run_demo(out, reports=False, echo=lambda *_: None)
    url = f"sqlite:///{out / 'reunite-demo.db'}"
    with store.open_session(url) as s:
        care = s.scalars(select(FoundChild.care_location)).first()
        add_user(s, "王社工", "caseworker", by="setup", commit=False).unit = care
        add_user(s, "赵管理员", "admin", by="setup", commit=False)
        add_user(s, "钱管理员", "admin", by="setup", commit=False)
        for u in s.scalars(select(User)):
            u.password_hash = accounts.hash_password(PASSWORD)
        s.commit()
        cand = s.scalars(select(Candidate).join(MissingReport).where(MissingReport.suspected_of_sale.is_(True))
                         .where(Candidate.dna_log10_lr > 4)).first()
        ids = {"report": cand.report.report_number, "candidate": cand.id,
               "child": cand.found_child.case_number, "cohort": s.scalars(select(Cohort.code)).first(),
               "sample": s.scalars(select(DnaSample.sample)).first()}
    store.dispose_engines()
    return url, ids


def serve(url: str, folder: Path):
    """The application on a free port, in a thread; (base URL, app, server)."""
    import uvicorn

    from reunite.notify import ConsoleChannel
    from reunite.web import create_app

    app = create_app(url, folder / "media", reports_dir=folder / "reports", secret_key="screenshots",
                     secure_cookies=False, match_after_import=False)
    app.state.sms = ConsoleChannel("sms", stream=None)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", app, server


def staff_pages(ids: dict) -> dict[str, list[tuple[str, str]]]:
    """(slug, path) per staff user, in the order of their work."""
    inv = [("dashboard", "/dashboard"), ("children", "/children"), ("child", f"/children/{ids['child']}"),
           ("reports", "/reports"), ("report", f"/reports/{ids['report']}"), ("candidates", "/candidates"),
           ("candidates-no-dna", "/candidates?dna=false"), ("candidates-bad-filter", "/candidates?min_lr=abc"),
           ("candidate", f"/candidates/{ids['candidate']}"), ("cohorts", "/cohorts"),
           ("cohort", f"/cohorts/{ids['cohort']}"), ("suspected", "/suspected-families"), ("tips", "/tips"),
           ("network", "/network"), ("network-map", "/map/network"), ("flows", "/map/flows"),
           ("alerts", "/alerts"), ("imports", "/imports"), ("account", "/account"),
           ("not-found", "/children/NO-SUCH"), ("forbidden", "/admin/users")]
    lab = [("dashboard", "/dashboard"), ("imports", "/imports"), ("lab-profiles", "/lab/profiles"),
           ("sample", f"/samples/{ids['sample']}"), ("candidates", "/candidates"), ("cohorts", "/cohorts"),
           ("account", "/account")]
    care = [("dashboard", "/dashboard"), ("children", "/children"), ("child", f"/children/{ids['child']}"),
            ("account", "/account")]
    admin = [("users", "/admin/users"), ("account", "/account")]
    return {"investigator:张警官": inv, "lab:李分析师": lab, "caseworker:王社工": care, "admin:赵管理员": admin}


PUBLIC = [("appeals", "/appeals"), ("appeals-map", "/map/appeals"), ("alerts-subscribe", "/alerts/subscribe"),
          ("login", "/login"), ("register", "/register"), ("password-reset", "/password/reset"),
          ("xunjia", "/xunjia")]


class Walk:
    def __init__(self, base: str, out: Path):
        self.base, self.out, self.found = base, out, {}
        out.mkdir(parents=True, exist_ok=True)

    def look(self, page, name: str, size: str) -> None:
        from PIL import Image

        from web.test_zh_pages import english_words

        page.wait_for_load_state("networkidle")
        words = sorted(set(english_words(page.content())))
        wide = page.evaluate("document.documentElement.scrollWidth") - page.evaluate("window.innerWidth")
        lang = page.evaluate("document.documentElement.lang")
        shot = self.out / f"{name}-{size}.png"
        page.screenshot(path=str(shot), full_page=True)
        # 128 colours without dithering: the text stays sharp and the files a third of their size
        Image.open(shot).convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT,
                                                 dither=Image.Dither.NONE).save(shot, optimize=True)
        self.found[f"{name}-{size}"] = {"path": page.url.removeprefix(self.base), "english": words,
                                        "overflow_px": wide, "lang": lang}
        flag = " WIDE" if wide > 1 else ""
        print(f"{name}-{size}: {page.url.removeprefix(self.base)}{flag} {words if words else ''}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots" / "zh")
    ap.add_argument("--only", choices=sorted(SIZES))
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="reunite-zh-"))
    url, ids = build(work)
    base, app, server = serve(url, work)
    walk = Walk(base, args.out)
    sizes = [args.only] if args.only else list(SIZES)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--lang=zh-CN"])
            for size in sizes:
                def context(viewport=SIZES[size]):
                    return browser.new_context(base_url=base, viewport=viewport, locale="zh-CN",
                                               extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})
                for who, pages in staff_pages(ids).items():
                    role, name = who.split(":")
                    ctx = context()
                    page = ctx.new_page()
                    page.goto("/login?lang=zh")
                    page.fill("#login-username", name)
                    page.fill("#login-password", PASSWORD)
                    page.click("#login-submit")
                    page.wait_for_load_state("networkidle")
                    for slug, path in pages:
                        page.goto(path)
                        walk.look(page, f"{role}-{slug}", size)
                    if role == "lab":
                        page.goto("/imports")
                        page.select_option("#import-kind", "profiles")
                        page.set_input_files("#import-file", files=[{
                            "name": "bad.csv", "mimeType": "text/csv",
                            "buffer": b"sample,marker,allele1,allele2,typed_on\nX-1,vWA,17,oops,2014-13-01\n"
                                      b"X-1,NOPE,12,13,\n,TH01,6,7,\n"}])
                        page.click("#import-submit")
                        page.wait_for_selector('#import-status[data-status="failed"]', timeout=30000)
                        walk.look(page, "lab-import-failed", size)
                    ctx.close()
                ctx = context()
                page = ctx.new_page()
                for slug, path in PUBLIC:
                    page.goto(path)
                    walk.look(page, f"public-{slug}", size)
                page.goto("/appeals")
                link = page.locator("a[href^='/appeals/']").first
                if link.count():
                    link.click()
                    walk.look(page, "public-appeal", size)
                # a family: a wrong phone, then registration with the texted code, a report, a relative
                phone = "13988712345" if size == "phone" else "13988712346"
                page.goto("/register?lang=zh")
                page.fill("#register-phone", "abc")
                page.fill("#register-display_name", "陈秀英")
                page.click("#register-submit")
                walk.look(page, "family-register-error", size)
                page.fill("#register-phone", phone)
                page.fill("#register-password", FAMILY_PASSWORD)
                page.fill("#register-password2", FAMILY_PASSWORD)
                page.click("#register-submit")
                page.wait_for_url(re.compile(r"/register/verify"))
                walk.look(page, "family-verify", size)
                page.fill("#verify-code", "000000")
                page.click("#verify-submit")
                walk.look(page, "family-verify-wrong", size)
                code = re.search(r"\b(\d{6})\b", app.state.sms.sent[-1].message.body_zh).group(1)
                page.fill("#verify-code", code)
                page.click("#verify-submit")
                page.wait_for_url(re.compile(r"/family"))
                walk.look(page, "family-home", size)
                page.goto("/family/reports/new")
                page.fill("#report-child_name", "陈小宝")
                page.select_option("#report-sex", "male")
                page.fill("#report-date_of_birth", "2013-06-01")
                page.fill("#report-disappeared_on", "2013-01-05")
                page.fill("#report-disappeared_place", "云南省昭通市镇雄县")
                page.fill("#report-contact_phone", "abc")
                page.click("#report-submit")
                walk.look(page, "family-report-errors", size)
                page.fill("#report-disappeared_on", "2014-01-05")
                page.fill("#report-contact_phone", "139 8871 2345")
                page.click("#report-submit")
                page.wait_for_url(re.compile(r"/family/reports/W-"))
                walk.look(page, "family-report-created", size)
                number = re.search(r"/family/reports/([^/?]+)", page.url).group(1)
                page.select_option("#relative-relation", "mother")
                page.check("#relative-consent")
                page.click("#relative-submit")
                page.wait_for_url(re.compile(r"/sample"))
                walk.look(page, "family-sample", size)
                page.goto(f"/family/reports/{number}")
                walk.look(page, "family-report", size)
                withdraw = page.locator("#relatives a[id^=withdraw-]")
                if withdraw.count():
                    withdraw.first.click()
                    walk.look(page, "family-withdraw", size)
                    page.click("#withdraw-submit")
                    walk.look(page, "family-withdraw-unticked", size)
                page.goto("/xunjia/new")
                walk.look(page, "family-xunjia-new", size)
                page.goto("/account")
                walk.look(page, "family-account", size)
                page.goto("/no/such/page")
                walk.look(page, "family-not-found", size)
                ctx.close()
            browser.close()
    finally:
        server.should_exit = True
    (args.out / "walk.json").write_text(json.dumps(walk.found, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                        encoding="utf-8")
    left = {k: v for k, v in walk.found.items() if v["english"] or v["overflow_px"] > 1 or v["lang"] != "zh-CN"}
    print(f"{len(walk.found)} pages; {len(left)} with English words, a page wider than the screen or not in "
          f"Chinese")
    return 0


if __name__ == "__main__":
    sys.exit(main())
