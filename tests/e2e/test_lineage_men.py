"""End to end in a real headless Chromium: two typed men of the paternal line (issue 15) and the population
method chosen on the imports page.

The demo's lineage example (a boy whose paternal uncle is typed) gains the paternal grandfather, typed at the
Yfiler Plus loci only and one repeat apart from the uncle at DYS576.  The lab analyst imports the profiles
and chooses the augmented count on the imports page; the matching runs again; the candidate page lists both
men with their meioses, differences and own LR, says that the grandfather (the closest) is used and why, and
names the method, in English and Chinese, on a desktop and a 390 px phone; the Chinese PDF report has the
table.  Screenshots go to a temporary folder, or with ``REUNITE_UPDATE_SCREENSHOTS=1`` to
``docs/screenshots/lineage/``.
"""

from __future__ import annotations

import re
import subprocess
import time

import pytest

from e2e.test_lineage import _write
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

Y_PREFIXES = ("DYS", "DYF", "YGATA", "Y-GATA")


@pytest.fixture(scope="module")
def stored(server):  # noqa: F811
    from reunite.cases import import_families, import_found, import_reports, open_session
    from reunite.kunming import LINEAGE_REPORT, build_lineage_example

    root = server["root"]
    ex = build_lineage_example()
    header, rows = ex["profiles"]
    uncle = next(r[0] for r in rows if r[0].endswith("-U"))
    gf_sample = uncle[:-2] + "-GF"
    extra = []
    for r in rows:
        if r[0] == uncle and r[1].upper().startswith(Y_PREFIXES):
            a1 = str(int(r[2]) + 1) if r[1] == "DYS576" else r[2]
            extra.append((gf_sample, r[1], a1, *r[3:]))
    ex["profiles"] = (header, [*rows, *extra])
    fh, frows = ex["families"]
    ex["families"] = (fh, [(*r[:5], gf_sample, r[6]) if r[1] == "GF" else r for r in frows])
    files = {k: _write(root / f"men_{k}.csv", h, rs) for k, (h, rs) in ex.items()}
    with open_session(f"sqlite:///{root / 'reunite.db'}") as s:
        import_reports(s, files["reports"], user="setup")
        import_found(s, files["found"], user="setup")
        import_families(s, files["families"], user="setup")
    return {"profiles": files["profiles"], "report": LINEAGE_REPORT}


def test_two_typed_men_and_the_method_on_the_pages(server, browser, stored, tmp_path):  # noqa: F811
    from playwright.sync_api import expect
    from sqlalchemy import select

    from reunite.cases import open_session
    from reunite.cases.models import Candidate

    need_cjk_font()
    base = server["base"]
    folder = ROOT / "docs" / "screenshots" / "lineage" if update_screenshots() else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    url = f"sqlite:///{server['root'] / 'reunite.db'}"

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

    def shot(page, name):
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    def lineage_data():
        with open_session(url) as s:
            cand = s.scalars(select(Candidate).where(Candidate.report.has(report_number=stored["report"]))).one()
            return cand.id, cand.item("dna").data["lineage"][0]

    # ---- the lab analyst imports the profiles, then chooses the augmented count
    lab = login(context(), "li.lab")
    lab.goto("/imports")
    lab.select_option("#import-kind", "profiles")
    lab.set_input_files("#import-file", str(stored["profiles"]))
    lab.fill("#import-lab", "Kunming PSB lab")
    lab.click("#import-submit")
    lab.wait_for_url(re.compile(r"/imports/[0-9a-f]{32}$"))
    expect(lab.locator("#import-status")).to_have_text(re.compile("done|failed"), timeout=120_000)
    assert lab.locator("#import-status").inner_text() == "done"
    cid, y = lineage_data()
    assert (y["relative"], y["method"]) == ("GF", "clopper_pearson")
    lab.goto("/imports?lang=zh")
    expect(lab.locator("#lineage-method-form")).to_be_visible()
    lab.select_option("#lineage-method-select", "augmented")
    lab.click("#lineage-method-submit")
    expect(lab.locator("#lineage-method-saved")).to_be_visible()
    shot(lab, "method-form-desktop-zh")
    for _ in range(120):            # the matching runs again in the background
        cid, y = lineage_data()
        if y["method"] == "augmented":
            break
        time.sleep(0.5)
    assert y["method"] == "augmented" and [m["relative"] for m in y["line"]] == ["GF", "U"]

    # ---- the candidate page: both men, the one used and why, the method
    for lang, viewport, name in (("en", VIEWPORT, "men-desktop-en"), ("zh", PHONE, "men-phone-zh"),
                                 ("en", PHONE, "men-phone-en")):
        page = login(context(viewport, "zh-CN" if lang == "zh" else "en-US"), "zhang.inv")
        page.goto(f"/candidates/{cid}?lang={lang}")
        line = page.locator("#lineage-y-line")
        expect(line).to_be_visible()
        text = line.inner_text()
        choice = page.locator("#lineage-y-choice").inner_text()
        method = page.locator("#lineage-y").inner_text()
        if lang == "en":
            assert "GF (paternal grandfather)" in text and "U (paternal uncle)" in text, text
            assert "1 step(s) (DYS576)" in text and "used" in text and "listed" in text, text
            assert "closest typed man" in choice and "not multiplied" in choice
            assert "augmented count (count + 1) / (N + 1)" in method
        else:
            assert "GF（祖父）" in text and "U（伯父或叔父）" in text and "采用" in text and "仅列出" in text, text
            assert "不相乘" in choice and "加一计数" in method
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], (name, width)
        page.locator("#lineage").scroll_into_view_if_needed()
        shot(page, f"candidate-{name}")
        page.locator("#lineage").screenshot(path=str(folder / f"section-{name}.png"))
        if name == "men-desktop-en":
            html = page.request.get(f"/files/reports/candidate-{cid}.html?lang=en")
            assert html.ok and 'id="lineage-y-line"' in html.text() and "closest typed man" in html.text()
        if name == "men-phone-zh":
            pdf = page.request.get(f"/files/reports/candidate-{cid}.pdf?lang=zh")
            assert pdf.ok, pdf.status
            (folder / "men-report-zh.pdf").write_bytes(pdf.body())
    need_tool("pdftotext")
    need_tool("pdftoppm")
    text = subprocess.run(["pdftotext", str(folder / "men-report-zh.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "该亲缘线上所有已检测亲属" in text and "GF（祖父）" in text and "不相乘" in text and "加一计数" in text
    subprocess.run(["pdftoppm", "-png", "-r", "70", str(folder / "men-report-zh.pdf"), str(folder / "men-report-zh")],
                   check=True)
    (folder / "men-report-zh.pdf").unlink()
    assert not errors, errors
