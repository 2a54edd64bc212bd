"""End to end in a real headless Chromium: a family on a phone, and a grown child searching for their family.

The server, the browser and the helpers are those of :mod:`tests.e2e.test_story` (its ``server`` fixture
runs ``reunite serve`` with the console notification backend, which writes every text message it
"sends" to ``texts.jsonl``: the test reads the verification codes there, as a family reads its phone).

1. A family registers with a mobile number in Chinese on a 390 px phone, types the texted code, reports
   its missing child with a date before the birth (the form comes back whole, the wrong field marked and
   focused), corrects it, names the mother, and lands on the page that says where and how to give a
   sample (the laboratory registered with ``reunite labs add``) with the steps of the case; it opens the
   withdrawal of consent and reads what would be deleted, then cancels.
2. A grown child registers with 寻家: what they remember, then the DNA consent, then their sample code and
   the next steps.

Screenshots, phone (390 px) and desktop (1200 px), Chinese and English, are saved as
``family-*.png`` in a temporary folder, or with ``REUNITE_UPDATE_SCREENSHOTS=1`` into docs/screenshots.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from . import test_story as story
from .test_story import CHROMIUM, PHONE, SHOTS, VIEWPORT, _png, texted_code, update_screenshots

# The story's fixtures, used here by name: the server (with the console notification backend), the browser.
sync_playwright, server, browser = story.sync_playwright, story.server, story.browser

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "qingshui river lantern"
LAB = ("Kunming PSB forensic lab", "昆明市公安局物证鉴定所", "CNAS L1234", "云南省昆明市盘龙区北京路 1 号")


class Shots:
    """Named screenshots (``family-<name>.png``, full page) into ``folder``."""

    def __init__(self, folder):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.taken: list[str] = []

    def __call__(self, page, name: str) -> None:
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        file = self.folder / f"family-{name}.png"
        page.screenshot(path=str(file), full_page=True)
        self.taken.append(file.name)


@pytest.fixture(scope="module")
def with_lab(server):
    """The laboratory families are sent to (``reunite labs add``, as an operator does)."""
    env = {"REUNITE_DATABASE_URL": f"sqlite:///{server['root'] / 'reunite.db'}", "REUNITE_USER": "setup"}
    import os

    name, name_zh, accreditation, address = LAB
    done = subprocess.run([sys.executable, "-m", "reunite", "labs", "add", name, "--name-zh", name_zh,
                           "--accreditation", accreditation, "--address", address], env={**os.environ, **env},
                          cwd=server["root"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return server


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways on a phone ({width}px)"


def _register(page, server, phone: str, name: str) -> None:
    page.goto("/register?lang=zh")
    page.fill("#register-phone", phone)
    page.fill("#register-display_name", name)
    page.fill("#register-password", PASSWORD)
    page.fill("#register-password2", PASSWORD)
    page.click("#register-submit")
    page.wait_for_url(re.compile(r"/register/verify$"))
    page.fill("#verify-code", texted_code(server, re.sub(r"\D", "", phone)))
    page.click("#verify-submit")
    page.wait_for_url(re.compile(r"/family\?welcome=1$"))


def test_family_on_a_phone_and_a_grown_child(with_lab, browser, tmp_path):
    from playwright.sync_api import expect

    server = with_lab
    shot = Shots(SHOTS if update_screenshots() else tmp_path / "screenshots")
    errors: list[str] = []

    def context(viewport=PHONE, **kw):
        phone = viewport == PHONE
        ctx = browser.new_context(base_url=server["base"], viewport=viewport, locale="zh-CN",
                                  is_mobile=phone, has_touch=phone, device_scale_factor=1, **kw)
        ctx.set_default_timeout(20_000)
        return ctx

    def watch(page):
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
        return page

    # ---- 1. A family registers with its phone, in Chinese, on a phone.
    ctx = context()
    fam = watch(ctx.new_page())
    fam.goto("/register?lang=zh")
    fam.fill("#register-phone", "abc")
    fam.fill("#register-display_name", "陈秀英")
    fam.click("#register-submit")
    expect(fam.locator("#register-phone-error")).to_contain_text("11位")
    assert fam.evaluate("document.activeElement.id") == "register-phone"
    assert fam.get_attribute("#register-phone", "aria-invalid") == "true"
    expect(fam.locator("#register-display_name")).to_have_value("陈秀英")   # the rest is kept
    _fits(fam)
    shot(fam, "register-error-zh-phone")
    _register(fam, server, "139 8871 2345", "陈秀英")
    expect(fam.locator("#nav-user")).to_have_text("陈秀英")
    expect(fam.locator("#message")).to_have_text("账号已开通。")

    # ---- the report: a date before the birth comes back beside its field, the rest kept
    fam.click("#family-new")
    fam.fill("#report-child_name", "陈小宝")
    fam.select_option("#report-sex", "male")
    fam.fill("#report-date_of_birth", "2013-06-01")
    fam.fill("#report-disappeared_on", "2013-01-05")
    fam.fill("#report-disappeared_place", "云南省昭通市镇雄县")
    fam.fill("#report-contact_phone", "139 8871 2345")
    fam.fill("#report-marks", "左耳后有胎记")
    fam.set_input_files("#report-photo", files=[{"name": "IMG_2014.png", "mimeType": "image/png",
                                                 "buffer": _png((120, 160, 200), (1200, 900))}])
    fam.click("#report-submit")
    expect(fam.locator("#report-disappeared_on-error")).to_contain_text("失踪日期不能早于出生日期")
    assert fam.evaluate("document.activeElement.id") == "report-disappeared_on"
    assert fam.get_attribute("#report-disappeared_on", "aria-describedby") == "report-disappeared_on-error"
    expect(fam.locator("#report-child_name")).to_have_value("陈小宝")
    expect(fam.locator("#report-marks")).to_have_value("左耳后有胎记")
    expect(fam.locator("#report-photo-kept")).to_be_visible()
    _fits(fam)
    shot(fam, "report-error-zh-phone")
    fam.fill("#report-disappeared_on", "2014-01-05")
    fam.click("#report-submit")
    fam.wait_for_url(re.compile(r"/family/reports/W-[^/?]+\?created=1$"))
    number = fam.locator("#family-report-number").inner_text().strip()
    assert fam.locator("#family-report img").count() == 1   # the kept photo was stored
    expect(fam.locator("#step-relatives_named")).to_have_attribute("data-state", "current")
    fam.select_option("#relative-relation", "mother")
    fam.check("#relative-consent")
    fam.click("#relative-submit")
    fam.wait_for_url(re.compile(rf"/family/reports/{number}/sample\?added=1$"))
    expect(fam.locator("#sample-labs")).to_contain_text(LAB[1])
    expect(fam.locator("#sample-labs")).to_contain_text(LAB[3])
    expect(fam.locator("#sample-how")).to_contain_text(number)
    expect(fam.locator("#step-sample_given")).to_have_attribute("data-state", "current")
    expect(fam.locator("#step-next")).to_contain_text("身份证")
    _fits(fam)
    shot(fam, "sample-zh-phone")
    # the same page on a desktop, in English
    desk = watch(context(VIEWPORT, storage_state=ctx.storage_state()).new_page())
    desk.goto(f"/family/reports/{number}/sample?lang=en")
    expect(desk.locator("#sample-labs")).to_contain_text(LAB[0])
    expect(desk.locator("#case-steps li")).to_have_count(7)
    shot(desk, "sample-en-desktop")
    # withdrawing consent: a page that says what would be deleted, then cancel
    desk.goto(f"/family/reports/{number}?lang=en")
    desk.locator("#relatives a[id^=withdraw-]").click()
    expect(desk.locator("#withdraw-deleted")).to_contain_text("mother")
    expect(desk.locator("#withdraw-kept")).to_contain_text("consent withdrawn")
    shot(desk, "withdraw-en-desktop")
    desk.click("#withdraw-submit")   # the box not ticked: nothing is deleted
    expect(desk.locator("#withdraw-confirm-error")).to_be_visible()
    assert desk.evaluate("document.activeElement.id") == "withdraw-confirm"
    desk.click("#withdraw-cancel")
    desk.wait_for_url(re.compile(rf"/family/reports/{number}$"))
    expect(desk.locator("#relatives")).to_contain_text("consent given")
    fam.goto(f"/family/reports/{number}?lang=zh")
    _fits(fam)
    shot(fam, "report-steps-zh-phone")
    ctx.close()

    # ---- 2. A grown child searches for their family (寻家), on a phone, in Chinese.
    ctx = context()
    me = watch(ctx.new_page())
    me.goto("/xunjia?lang=zh")
    expect(me.locator("#xunjia-page h1")).to_contain_text("寻家")
    _fits(me)
    shot(me, "xunjia-zh-phone")
    _register(me, server, "13700001111", "小芳")
    me.goto("/xunjia/new")
    me.select_option("#xunjia-sex", "female")
    me.fill("#xunjia-birth_year", "2012")
    me.fill("#xunjia-year_taken", "2010")   # before the birth: refused beside the field
    me.fill("#xunjia-places", "村口有一条河，家里有红色的大门")
    me.fill("#xunjia-names", "小名叫芳芳，哥哥叫大军")
    me.fill("#xunjia-grew_up", "山东省济南市")
    me.fill("#xunjia-story", "养父母说我是三岁时从云南抱来的")
    me.click("#xunjia-submit")
    expect(me.locator("#xunjia-year_taken-error")).to_be_visible()
    assert me.evaluate("document.activeElement.id") == "xunjia-year_taken"
    expect(me.locator("#xunjia-places")).to_have_value("村口有一条河，家里有红色的大门")
    me.fill("#xunjia-year_taken", "2015")
    me.fill("#xunjia-age_taken", "3")
    _fits(me)
    shot(me, "xunjia-form-zh-phone")
    me.click("#xunjia-submit")
    me.wait_for_url(re.compile(r"/xunjia/me\?created=1$"))
    case = me.locator("#xunjia-number").inner_text().strip()
    assert re.fullmatch(r"XJ-\d{8}-[0-9A-F]{6}", case), case
    expect(me.locator("#step-dna_consent")).to_have_attribute("data-state", "current")
    _fits(me)
    shot(me, "xunjia-consent-zh-phone")
    me.check("#xunjia-agree")
    me.click("#xunjia-consent-submit")
    me.wait_for_url(re.compile(r"/xunjia/me\?consent=1$"))
    expect(me.locator("#xunjia-sample")).to_have_text(f"{case}-DNA")
    expect(me.locator("#sample-labs")).to_contain_text(LAB[1])
    expect(me.locator("#step-sample_given")).to_have_attribute("data-state", "current")
    _fits(me)
    shot(me, "xunjia-next-zh-phone")
    desk = watch(context(VIEWPORT, storage_state=ctx.storage_state()).new_page())
    desk.goto("/xunjia/me?lang=en")
    expect(desk.locator("#step-next")).to_contain_text("ID card")
    shot(desk, "xunjia-next-en-desktop")
    ctx.close()

    assert not errors, f"JavaScript errors: {errors}"
    assert "Traceback" not in server["log"].read_text(), server["log"].read_text()[-3000:]
    assert CHROMIUM.exists()
