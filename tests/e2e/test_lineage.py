"""End to end in a real headless Chromium: lineage markers from the imports page to the candidate page and
the kinship report.

The demo's lineage example (:func:`reunite.kunming.build_lineage_example`: a boy found in 2015 whose
family's only typed relative is his paternal uncle, typed at the 23 autosomal STRs and the Yfiler Plus
loci) is stored as the investigator's CLI would (reports, children, pedigree); the lab analyst imports the
profiles with their Y-STR rows and a Y-STR reference database through the imports page; the import's
matching makes the candidate; the candidate page shows the lineage section (English and Chinese, a
desktop and a 390 px phone, no horizontal scrolling), and the PDF report has it too.  Screenshots go to a
temporary folder, or with ``REUNITE_UPDATE_SCREENSHOTS=1`` to ``docs/screenshots/lineage/``.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess

import pytest

from e2e.test_story import (  # noqa: F401  (the story's fixtures and settings)
    PASSWORD,
    PHONE,
    ROOT,
    VIEWPORT,
    browser,
    server,
    sync_playwright,
    update_screenshots,
)
from needs import need_cjk_font, need_tool

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def stored(server):  # noqa: F811  (test_story's fixture, imported above)
    """The lineage example's report, boy and pedigree in the store; its profiles and a Y-STR database as
    files for the analyst to upload."""
    from importlib import resources

    from reunite.cases import import_families, import_found, import_reports, open_session
    from reunite.kunming import LINEAGE_CASE, LINEAGE_REPORT, build_lineage_example

    root = server["root"]
    files = {k: _write(root / f"lineage_{k}.csv", header, rows)
             for k, (header, rows) in build_lineage_example().items()}
    with open_session(f"sqlite:///{root / 'reunite.db'}") as s:
        import_reports(s, files["reports"], user="setup")
        import_found(s, files["found"], user="setup")
        import_families(s, files["families"], user="setup")
    ydb = root / "han_ystr_example.csv"
    with resources.as_file(resources.files("reunite").joinpath("data/lineage/simulated_ystr_database.csv")) as p:
        shutil.copyfile(p, ydb)
    return {"profiles": files["profiles"], "ydb": ydb, "case": LINEAGE_CASE, "report": LINEAGE_REPORT}


def test_lineage_from_the_imports_page_to_the_candidate_page_and_the_report(
        server, browser, stored, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    need_cjk_font()   # the Chinese PDF report
    base = server["base"]
    folder = ROOT / "docs" / "screenshots" / "lineage" if update_screenshots() else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []

    def context(viewport=VIEWPORT, locale="en-US"):
        ctx = browser.new_context(base_url=base, viewport=viewport, locale=locale, accept_downloads=True)
        ctx.set_default_timeout(30_000)
        return ctx

    def login(ctx, name):
        page = ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
        page.goto("/login")
        page.fill("#login-username", name)
        page.fill("#login-password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(re.compile(r"/dashboard$"))
        return page

    def import_file(page, kind, path, **fields):
        page.goto("/imports")
        page.select_option("#import-kind", kind)
        page.set_input_files("#import-file", str(path))
        for field, value in fields.items():
            page.fill(f"#import-{field}", value)
        page.click("#import-submit")
        page.wait_for_url(re.compile(r"/imports/[0-9a-f]{32}$"))
        expect(page.locator("#import-status")).to_have_text(re.compile("done|failed"), timeout=120_000)
        assert page.locator("#import-status").inner_text() == "done", page.locator("#import-job").inner_text()
        return page.locator("#import-summary").inner_text()

    def shot(page, name):
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    # ---- the lab analyst imports the profiles (with Y-STR rows) and a Y-STR reference database
    lab = login(context(), "li.lab")
    summary = import_file(lab, "profiles", stored["profiles"], lab="Kunming PSB lab")
    assert "matching: candidates 1 added" in summary, summary
    lab.goto("/imports")
    assert lab.locator("#import-kind option[value=ydb]").count() == 1
    summary = import_file(lab, "ydb", stored["ydb"])
    assert "1 added" in summary and "candidates 0 added, 1 updated" in summary, summary   # the candidate recounted

    from sqlalchemy import select

    from reunite.cases import open_session
    from reunite.cases.models import Candidate

    with open_session(f"sqlite:///{server['root'] / 'reunite.db'}") as s:
        cand = s.scalars(select(Candidate).where(Candidate.report.has(report_number=stored["report"]))).one()
        cid, data = cand.id, cand.item("dna").data
    assert data["lineage"][0]["database"] == "han_ystr_example.csv" and not data["lineage"][0]["simulated"]

    # ---- the candidate page, in English and Chinese, on a desktop and a phone
    for lang, viewport, name in (("en", VIEWPORT, "desktop-en"), ("zh", VIEWPORT, "desktop-zh"),
                                 ("en", PHONE, "phone-en"), ("zh", PHONE, "phone-zh")):
        page = login(context(viewport, "zh-CN" if lang == "zh" else "en-US"), "zhang.inv")
        page.goto(f"/candidates/{cid}?lang={lang}")
        y = page.locator("#lineage-y")
        expect(y).to_be_visible()
        text = y.inner_text()
        if lang == "en":
            assert "paternal uncle" in text and re.search(r"Meioses between them\s+3\b", text), text
            assert "one-sided 95% Clopper–Pearson upper bound" in text and "of N = 500" in text, text
            assert "imported into the store" in text
            assert "multiply" in page.locator("#lineage-multiply").inner_text()
            combined = page.locator("#lineage-combined").inner_text()
            assert "Autosomal STR LR" in combined and "Combined DNA LR" in combined
        else:
            assert "伯父或叔父" in text and "单侧 95% Clopper–Pearson 置信上限" in text, text
            assert "相乘" in page.locator("#lineage-multiply").inner_text()
            assert "单亲遗传标记" in page.locator("#lineage-title").inner_text()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], (name, width)
        shot(page, f"candidate-{name}")
        if name == "desktop-zh":
            pdf = page.request.get(f"/files/reports/candidate-{cid}.pdf?lang=zh")
            assert pdf.ok, pdf.status
            (folder / "report-zh.pdf").write_bytes(pdf.body())
    need_tool("pdftotext")
    need_tool("pdftoppm")
    text = subprocess.run(["pdftotext", str(folder / "report-zh.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "单亲遗传标记" in text and "伯父或叔父" in text and "相乘" in text
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(folder / "report-zh.pdf"), str(folder / "report-zh")],
                   check=True)
    (folder / "report-zh.pdf").unlink()
    assert not errors, errors
