"""End to end in a real headless Chromium: the whole story of one reunion, through the pages only.

The real server (``reunite serve``) runs in a subprocess on a free loopback port against a fresh
SQLite store; the staff accounts are made beforehand with ``reunite users add``.  The data are the
Kunming demo's (``reunite.kunming.build_demo``), adapted so that one of its families registers
through the family portal: its web report number (``W-…``, made by the portal) replaces the demo's
number in ``families.csv`` and ``profiles.csv``, and its demo report is left out of
``missing_reports.csv``.

The story: a family registers, reports its missing child (with a photo) and names a relative; an
investigator imports the found children and the other reports and a lab analyst imports profiles
and families through the imports page (background jobs; matching runs after each); the candidate
appears on the dashboard; the investigator reviews it to ``confirmed`` (reunited) with typed
reasons, and solves the rescued infants as one cohort on its review page; the family sees the news
in plain words (no genotype); a caseworker adds a photo of another rescued child and the
investigator publishes its appeal; the public finds it by place and
age and sends a tip; the investigator reads the tip.  Every page visited is saved as
``NN-name.png`` in a temporary folder, or, with ``REUNITE_UPDATE_SCREENSHOTS=1``, over the tracked
``docs/screenshots/NN-name.png`` that the README shows (the only way they are rewritten); either
way the names must be the README's.

Chromium is Debian's ``/usr/bin/chromium`` (installed by ``.ci/run``): missing, the test is
skipped with the reason, except on CI (``CI=true``), where that is a failure (``tests/needs.py``).
"""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from needs import CHROMIUM, need_chromium
from web.test_zh_pages import english_words

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
UPDATE_ENV = "REUNITE_UPDATE_SCREENSHOTS"  # =1: the test rewrites docs/screenshots
PASSWORD = "e2e password 2014"
FAMILY_PASSWORD = "family password 2014"
CARE = "昆明市儿童福利院"
VIEWPORT = {"width": 1200, "height": 900}
PHONE = {"width": 390, "height": 844}
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--no-first-run", "--disable-sync",
               # sandboxed iframes (the kinship report) in the same process, so screenshots include them
               "--disable-features=IsolateOrigins,site-per-process"]
STAFF = {"zhang.inv": ("investigator", None), "li.lab": ("lab_analyst", None), "wang.cw": ("caseworker", CARE)}


@pytest.fixture(scope="module")
def sync_playwright():
    need_chromium()
    from playwright.sync_api import sync_playwright

    return sync_playwright


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _png(color: tuple[int, int, int], size: tuple[int, int] = (160, 120)) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, color)
    d = ImageDraw.Draw(img)
    d.ellipse((size[0] // 3, size[1] // 5, 2 * size[0] // 3, 4 * size[1] // 5), fill=(240, 205, 170))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _write_csv(path: Path, rows: list[dict]) -> Path:
    header = list(rows[0])
    for r in rows:
        header += [k for k in r if k not in header]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, header, restval="")
        w.writeheader()
        w.writerows(rows)
    return path


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def demo():
    """The Kunming demo, the rescued infant of the story's family, and an infant nobody reported."""
    from reunite.kunming import build_demo

    data = build_demo()
    reports = {r["report_number"]: r for r in data.reports}
    typed = {}
    for row in data.families:
        typed[row["family"]] = typed.get(row["family"], 0) + bool(row["sample"])
    story = [(typed.get(rep, 0), case, rep) for case, rep in sorted(data.truth.items())
             if rep is not None and rep in data.with_dna and reports[rep]["suspected_of_sale"] == "0"]
    _, case, rep = max(story, key=lambda t: t[0])
    unreported = [c for c, r in sorted(data.truth.items()) if r is None] or \
        [c for c in sorted(data.truth) if c != case]
    return {"data": data, "case": case, "report": reports[rep], "appeal_case": unreported[0]}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[dict]:
    """``reunite serve`` on a fresh store with the staff accounts; yields its base URL and folders."""
    root = tmp_path_factory.mktemp("e2e")
    env = {**os.environ, "REUNITE_DATABASE_URL": f"sqlite:///{root / 'reunite.db'}",
           "REUNITE_MEDIA_DIR": str(root / "media"), "REUNITE_REPORTS_DIR": str(root / "reports"),
           "REUNITE_INDEX_DIR": str(root / "index"), "REUNITE_SECRET_KEY": "e2e-secret-key-not-for-production",
           "REUNITE_USER": "setup", "REUNITE_NOTIFY_BACKEND": "console",
           "REUNITE_NOTIFY_CONSOLE_FILE": str(root / "texts.jsonl")}
    # `reunite users add NAME --role R [--unit U] --password-stdin` for each, in one interpreter (faster).
    commands = [["users", "add", name, "--role", role, "--password-stdin", *(["--unit", unit] if unit else [])]
                for name, (role, unit) in STAFF.items()]
    script = ("import sys\nfrom reunite.cli import main\n"
              f"for argv in {commands!r}:\n    assert main(argv) == 0, argv\n")
    done = subprocess.run([sys.executable, "-c", script], input=(PASSWORD + "\n") * len(STAFF), text=True,
                          env=env, cwd=root, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    port = _free_port()
    log = open(root / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "reunite", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--insecure-cookies"], env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited ({proc.returncode}):\n{(root / 'server.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(base + "/appeals", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the server did not answer within 30 s")
            time.sleep(0.1)
        yield {"base": base, "root": root, "log": root / "server.log"}
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


@pytest.fixture(scope="module")
def browser(sync_playwright):
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


def texted_code(server: dict, phone: str) -> str:
    """The last verification code the server texted to ``phone`` (the console notification backend
    writes each message as a JSON line to ``texts.jsonl``)."""
    import json

    lines = (server["root"] / "texts.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line) for line in lines if json.loads(line)["to"].endswith(phone)]
    assert texts, f"no text message to {phone}"
    return re.search(r"\b(\d{6})\b", texts[-1]["body_en"]).group(1)


def update_screenshots() -> bool:
    """True when the run should rewrite the tracked screenshots (``REUNITE_UPDATE_SCREENSHOTS=1``)."""
    return os.environ.get(UPDATE_ENV, "").lower() in ("1", "true", "yes")


class Shots:
    """Numbered full-page screenshots into ``folder``."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.n = 0
        self.taken: list[str] = []

    def __call__(self, page, name: str, max_height: int = 2000) -> None:
        self.n += 1
        file = self.folder / f"{self.n:02d}-{name}.png"
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        height = page.evaluate("document.documentElement.scrollHeight")
        clip = None
        if height > max_height:  # long tables: the top of the page is enough
            clip = {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": max_height}
        page.screenshot(path=str(file), full_page=True, clip=clip)
        self.taken.append(file.name)


def test_story(server, browser, demo, tmp_path):
    from playwright.sync_api import expect

    base, data, case, rep = server["base"], demo["data"], demo["case"], demo["report"]
    shot = Shots(SHOTS if update_screenshots() else tmp_path / "screenshots")
    errors: list[str] = []

    def context(viewport=VIEWPORT, locale="en-US", **kw):
        ctx = browser.new_context(base_url=base, viewport=viewport, locale=locale, **kw)
        ctx.set_default_timeout(20_000)
        return ctx

    def watch(page):
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
        return page

    def login(ctx, name, password=PASSWORD, screenshot=False):
        page = watch(ctx.new_page())
        page.goto("/login")
        page.fill("#login-username", name)
        page.fill("#login-password", password)
        if screenshot:
            shot(page, "login")
        page.click("#login-submit")
        page.wait_for_url(re.compile(r"/(dashboard|family)$"))
        return page

    # ---- 1. A family registers, reports its missing child with a photo, and names a relative.
    fam_ctx = context()
    fam = watch(fam_ctx.new_page())
    fam.goto("/register")
    fam.fill("#register-phone", "138 0871 0000")
    fam.fill("#register-password", FAMILY_PASSWORD)
    fam.fill("#register-password2", FAMILY_PASSWORD)
    fam.click("#register-more")
    fam.fill("#register-username", "chen.family")
    shot(fam, "family-register")
    fam.click("#register-submit")
    fam.wait_for_url(re.compile(r"/register/verify$"))
    fam.fill("#verify-code", texted_code(server, "13808710000"))
    fam.click("#verify-submit")
    fam.wait_for_url(re.compile(r"/family\?welcome=1$"))
    expect(fam.locator("#family-none")).to_be_visible()
    fam.click("#family-new")
    fam.wait_for_url(re.compile(r"/family/reports/new$"))
    fam.fill("#report-child_name", rep["child_name"])
    fam.fill("#report-date_of_birth", rep["date_of_birth"])
    fam.fill("#report-disappeared_on", rep["disappeared_on"])
    fam.fill("#report-disappeared_place", rep["disappeared_place"])
    fam.fill("#report-contact_phone", rep["contact_phone"])
    fam.select_option("#report-sex", rep["sex"])
    fam.fill("#report-circumstances", "A stranger took the baby from the courtyard while we were in the fields.")
    fam.fill("#report-marks", "small birthmark behind the left ear")
    fam.set_input_files("#report-photo", files=[{"name": "baby.png", "mimeType": "image/png",
                                                 "buffer": _png((120, 160, 200))}])
    shot(fam, "family-report-form")
    phone_ctx = context(viewport=PHONE, storage_state=fam_ctx.storage_state(), is_mobile=True, has_touch=True,
                        device_scale_factor=1)
    phone = watch(phone_ctx.new_page())
    phone.goto("/family/reports/new")
    expect(phone.locator("#report-form")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the family form scrolls sideways on a phone ({width}px)"
    shot(phone, "family-report-form-phone")
    phone_ctx.close()
    fam.click("#report-submit")
    fam.wait_for_url(re.compile(r"/family/reports/W-[^/?]+\?created=1$"))
    number = fam.locator("#family-report-number").inner_text().strip()
    assert re.fullmatch(r"W-\d{8}-[0-9A-F]{6}", number), number
    expect(fam.locator("#message")).to_contain_text(number)
    expect(fam.locator("#family-status")).to_have_text("We are searching. No possible match has been found yet.")
    assert fam.locator("#family-report img").count() == 1
    fam.select_option("#relative-relation", "mother")
    fam.check("#relative-consent")
    fam.select_option("#relative-scope", "this_report")
    fam.click("#relative-submit")
    fam.wait_for_url(re.compile(r"\?added=1$"))
    expect(fam.locator("#relatives")).to_contain_text("consent given")
    shot(fam, "family-report-created")

    # ---- 2. The CSVs: the demo's files, with the web report number for the story's family.
    old = rep["report_number"]
    folder = tmp_path / "csv"
    folder.mkdir()
    from reunite.kunming import write_demo_files

    files = write_demo_files(data, folder)
    _write_csv(files["reports"], [r for r in _read_csv(files["reports"]) if r["report_number"] != old])
    fams = []
    for r in _read_csv(files["families"]):
        if r["family"] == old:
            r["family"] = number
            if r["sample"]:
                r["sample"] = r["sample"].replace(old, number)
                r["consent"], r["consent_scope"] = "1", "this_report"
        fams.append(r)
    _write_csv(files["families"], fams)
    _write_csv(files["profiles"], [{**r, "sample": r["sample"].replace(old, number)}
                                   for r in _read_csv(files["profiles"])])

    def import_file(page, kind, path, name, **fields):
        page.goto("/imports")
        page.select_option("#import-kind", kind)
        page.set_input_files("#import-file", str(path))
        for field, value in fields.items():
            page.fill(f"#import-{field}", value)
        if name:
            shot(page, name)
        page.click("#import-submit")
        page.wait_for_url(re.compile(r"/imports/[0-9a-f]{32}$"))
        expect(page.locator("#import-status")).to_have_text(re.compile("done|failed"), timeout=90_000)
        assert page.locator("#import-status").inner_text() == "done", page.locator("#import-job").inner_text()
        return page.locator("#import-summary").inner_text()

    # ---- 3. The investigator imports the found children and the other reports; the analyst the DNA.
    inv_ctx = context()
    inv = login(inv_ctx, "zhang.inv", screenshot=True)
    import_file(inv, "reports", files["reports"], None)
    summary = import_file(inv, "found", files["found"], None)
    assert "added" in summary, summary
    lab_ctx = context()
    lab = login(lab_ctx, "li.lab")
    import_file(lab, "profiles", files["profiles"], "imports", lab="昆明市公安局DNA实验室", kit="Goldeneye 22NC",
                **{"typed-on": "2014-02-01"})
    summary = import_file(lab, "families", files["families"], None)
    assert "matching: candidates" in summary, summary
    shot(lab, "import-job-done")

    # ---- 4. The candidate is on the dashboard; the investigator reviews it to confirmed.
    inv.goto("/dashboard")
    row = inv.locator("#table-new-candidates tr").filter(has_text=number).filter(has_text=case)
    expect(row).to_have_count(1)
    shot(inv, "dashboard")
    row.locator("a[id^=candidate-link-]").click()
    inv.wait_for_url(re.compile(r"/candidates/\d+$"))
    expect(inv.locator("#candidate-status")).to_have_text("new")
    lr = inv.locator("#candidate-dna-lr").inner_text()
    log10 = re.search(r"log10 (-?[0-9.]+)", lr)
    assert log10 and float(log10.group(1)) > 3, f"the true family should have strong DNA evidence: {lr}"
    expect(inv.locator("#dna-decision")).not_to_be_empty()
    report = inv.frame_locator("#kinship-report")
    expect(report.locator("h1")).to_contain_text("Kinship report")
    expect(report.locator("table.markers")).to_be_visible()
    shot(inv, "candidate-review")
    steps = [("under_review", "Strong DNA match with the family; starting the review."),
             ("confirmation_requested", "Asked the lab for a second sample from the mother."),
             ("confirmed", "Second sample typed: consistent at every marker. The birthmark matches.")]
    for to, reason in steps:
        inv.fill(f"#review-{to}-reason", reason)
        if to == "confirmed":
            inv.select_option("#review-confirmed-outcome", "reunited")
        inv.click(f"#review-{to}-submit")
        inv.wait_for_url(re.compile(r"\?msg=decision\+recorded$"))
        expect(inv.locator("#candidate-status")).to_have_attribute("data-status", to)
    expect(inv.locator("#candidate-status")).to_have_text("confirmed (reunited)")
    expect(inv.locator("#candidate-history li")).to_have_count(3)
    expect(inv.frame_locator("#kinship-report").locator("h1")).to_contain_text("Kinship report")
    shot(inv, "candidate-confirmed")
    confirmed_path = urllib.parse.urlparse(inv.url).path

    # ---- 4b. The rescued infants are one cohort (the found file's cohort column): solved jointly.
    inv.goto("/dashboard")
    inv.locator("#dashboard-cohorts a").first.click()
    inv.wait_for_url(re.compile(r"/cohorts/KM-2014-RESCUE$"))
    expect(inv.locator("#cohort-not-solved")).to_be_visible()
    inv.click("#cohort-solve")
    inv.wait_for_url(re.compile(r"/cohorts/KM-2014-RESCUE\?solved=1$"), timeout=60_000)
    expect(inv.locator("#message")).to_have_text("The cohort has been solved.")
    expect(inv.locator(f"#conclusion-{case}")).to_contain_text(number)
    expect(inv.locator("#cohort-matrix")).to_be_visible()
    assert inv.locator("#cohort-conclusions tr[id^=conclusion-]").count() >= 8

    # ---- 5. The family logs in again and reads the news in plain words, with no genotype.
    fam_ctx.close()
    fam_ctx = context()
    fam = login(fam_ctx, "chen.family", FAMILY_PASSWORD)
    expect(fam.locator(f"#family-report-{number} .family-status")).to_have_text(
        "Your child has been found. The investigators will contact you.")
    fam.click(f"#family-view-{number}")
    fam.wait_for_url(re.compile(rf"/family/reports/{number}$"))
    expect(fam.locator("#family-status")).to_have_text("Your child has been found. The investigators will contact you.")
    expect(fam.locator("#family-dna")).to_contain_text("DNA samples received from your family:")
    shot(fam, "family-status")
    html = fam.content()
    from reunite.genetics.simulate import MARKER_SETS

    for secret in [*MARKER_SETS["cn23"], "Amelogenin", "log10", "posterior", f"{number}-F", f"{number}-M", case]:
        assert secret not in html, f"the family page shows {secret!r}"
    phone_ctx = context(viewport=PHONE, storage_state=fam_ctx.storage_state(), is_mobile=True, has_touch=True,
                        device_scale_factor=1)
    phone = watch(phone_ctx.new_page())
    phone.goto(f"/family/reports/{number}")
    expect(phone.locator("#family-status")).to_contain_text("Your child has been found")
    shot(phone, "family-status-phone")
    phone_ctx.close()
    assert fam.goto("/dashboard").status == 403

    # ---- 6. A caseworker adds a photo of an unclaimed child; the investigator publishes its appeal.
    appeal_case = demo["appeal_case"]
    cw_ctx = context()
    cw = login(cw_ctx, "wang.cw")
    cw.goto(f"/children/{appeal_case}")
    cw.set_input_files("#photo-file", files=[{"name": "infant.png", "mimeType": "image/png",
                                              "buffer": _png((200, 180, 120))}])
    cw.click("#photo-submit")
    cw.wait_for_url(re.compile(r"\?msg=photo\+added$"))
    expect(cw.locator("#child-photos img")).to_have_count(1)
    inv.goto(f"/children/{appeal_case}")
    inv.fill("#publish-hotline", "+86 871 6316 0110")
    inv.select_option("#publish-photo", index=1)
    inv.click("#publish-submit")
    inv.wait_for_url(re.compile(r"\?msg=appeal\+published$"))
    expect(inv.locator("#appeal-public-link")).to_be_visible()
    shot(inv, "child-appeal-published")
    appeal_url = inv.locator("#appeal-public-link").get_attribute("href")
    appeal_id = appeal_url.rsplit("/", 1)[1]

    # ---- 7. The public (no login) finds the appeal by place and age, and sends a tip.
    pub_ctx = context()
    pub = watch(pub_ctx.new_page())
    pub.goto("/appeals")
    expect(pub.locator(f"#appeal-{appeal_id}")).to_be_visible()
    pub.fill("#appeals-place", "北京")
    pub.click("#appeals-search-submit")
    expect(pub.locator("#appeals-none")).to_be_visible()
    pub.fill("#appeals-place", "昆明")
    pub.fill("#appeals-min-age", "5")
    pub.fill("#appeals-max-age", "20")
    pub.click("#appeals-search-submit")
    pub.wait_for_url(re.compile(r"place=.*min_age=5"))
    card = pub.locator(f"#appeal-{appeal_id}")
    expect(card).to_contain_text("昆明")
    expect(card).to_contain_text("+86 871 6316 0110")
    assert pub.locator(f"#appeal-{appeal_id} img").evaluate("img => img.naturalWidth") > 0, "the photo did not load"
    public_html = pub.content()
    for secret in (appeal_case, CARE, "KM-2014-RING"):
        assert secret not in public_html, f"the public page shows {secret!r}"
    shot(pub, "appeals")
    pub.click(f"#appeal-link-{appeal_id}")
    pub.wait_for_url(re.compile(rf"/appeals/{appeal_id}$"))
    tip = "I saw a family with a baby like this at Kunming railway station in January 2014."
    pub.fill("#tip-text", tip)
    pub.fill("#tip-contact", "139 0000 1234")
    shot(pub, "appeal-tip-form")
    pub.click("#tip-submit")
    expect(pub.locator("#tip-message")).to_have_text("Thank you. Your tip has been passed to the investigators.")
    assert tip not in pub.content(), "a tip must never be shown to the public"
    shot(pub, "appeal-tip-sent")

    # ---- 8. The investigator reads the tip.
    inv.goto("/tips")
    row = inv.locator("#tips-table .tip-row").filter(has_text=tip)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(appeal_case)
    expect(row).to_contain_text("139 0000 1234")
    shot(inv, "tips")

    # ---- 9. The same staff pages in Chinese, on a desktop and on a phone: no English word left.
    zh_ctx = context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    zh = login(zh_ctx, "zhang.inv")
    for path, name, check in (("/dashboard", "dashboard-zh", "#count-children"),
                              (confirmed_path, "candidate-zh", "#candidate-status"),
                              ("/cohorts/KM-2014-RESCUE", "cohort-zh", "#cohort-conclusions")):
        zh.goto(path)
        expect(zh.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(zh.locator(check)).to_be_visible()
        html = zh.content()
        for _to, reason in steps:  # what the investigator typed above is data, not the page's words
            html = html.replace(reason, "")
        english = english_words(html)
        assert not english, f"English words on the Chinese page {path}: {sorted(set(english))}"
        shot(zh, name)
    expect(zh.locator("#cohort-conclusions")).to_contain_text("认定")
    zh.goto(confirmed_path)
    expect(zh.locator("#candidate-status")).to_have_text("已确认（已团圆）")
    phone_ctx = context(viewport=PHONE, storage_state=zh_ctx.storage_state(), is_mobile=True, has_touch=True,
                        device_scale_factor=1, locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"})
    phone = watch(phone_ctx.new_page())
    for path, name in (("/dashboard", "dashboard-zh-phone"), (confirmed_path, "candidate-zh-phone"),
                       ("/cohorts/KM-2014-RESCUE", "cohort-zh-phone")):
        phone.goto(path)
        shot(phone, name)
        width = phone.evaluate("document.documentElement.scrollWidth")
        wide = phone.evaluate("""() => [...document.querySelectorAll('body *')]
                                   .filter(e => e.getBoundingClientRect().right > 391)
                                   .slice(0, 3).map(e => e.tagName + '#' + e.id + '.' + e.className)""")
        assert width <= PHONE["width"], f"{path} scrolls sideways on a phone ({width}px): {wide}"
    phone_ctx.close()
    zh_ctx.close()

    for ctx in (fam_ctx, inv_ctx, lab_ctx, cw_ctx, pub_ctx):
        ctx.close()
    assert not errors, f"JavaScript errors: {errors}"
    assert "Traceback" not in server["log"].read_text(), server["log"].read_text()[-3000:]
    readme = set(re.findall(r"docs/screenshots/(\d\d-[\w-]+\.png)", (ROOT / "README.md").read_text(encoding="utf-8")))
    assert set(shot.taken) == readme, f"screenshots taken {shot.taken}, shown in the README {sorted(readme)}"
