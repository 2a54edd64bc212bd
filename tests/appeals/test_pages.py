"""The public appeal pages and the investigators' forms, through the app (the web tests' seeded store):
search by place in any script, age then and now, share links, posters downloaded and verified."""

from __future__ import annotations

import io
import re
import urllib.parse
import zipfile

import pytest
from PIL import Image

pytestmark = pytest.mark.usefixtures("cjk_font")


def _cards(html: str) -> list[str]:
    return re.findall(r'id="appeal-(\d+)"', html)


@pytest.mark.parametrize("place", ["Kunming", "kunming", "昆明", "Yunnan"])
def test_the_public_finds_kunming_in_any_script(client, ids, place):
    html = client.get("/appeals", params={"place": place, "lang": "en"}).text
    assert _cards(html) == [str(ids["appeal"])]
    assert _cards(client.get("/appeals", params={"place": "Shandong"}).text) == []


def test_an_infants_card_shows_the_age_now_and_the_age_when_found(client, ids):
    html = client.get("/appeals", params={"lang": "en"}).text
    now = re.search(r'class="age-now">([^<]+)<', html).group(1)
    then = re.search(r'class="age-then">([^<]+)<', html).group(1)
    assert then == "about 8 months"                       # found at 8 months in February 2014
    assert re.fullmatch(r"about 1[2-9] years", now)       # a teenager now, never "8 months"
    zh = client.get("/appeals", params={"lang": "zh"}).text
    assert "被发现时约" in zh and "约8个月" in zh and "现在约" in zh
    assert "云南省昆明市" in zh and "Kunming, Yunnan" in html


def test_search_by_sex_and_age_then_and_now(client, ids):
    assert _cards(client.get("/appeals", params={"sex": "female"}).text) == [str(ids["appeal"])]
    assert _cards(client.get("/appeals", params={"sex": "male"}).text) == []
    assert _cards(client.get("/appeals", params={"max_age_then": "0"}).text) == [str(ids["appeal"])]
    assert _cards(client.get("/appeals", params={"max_age": "1"}).text) == []         # nobody is an infant now
    assert _cards(client.get("/appeals", params={"date_from": "2014-01-01", "date_to": "2014-03-01"}).text) == [
        str(ids["appeal"])]
    assert client.get("/appeals", params={"min_age": "x", "date_from": "not a date"}).status_code == 200


def test_the_appeal_page_has_share_links_and_no_third_party_script(client, ids):
    html = client.get(f"/appeals/{ids['appeal']}").text
    url = f"http://testserver/appeals/{ids['appeal']}"
    assert f'value="{url}"' in html
    plain = html.replace("&amp;", "&")
    weibo = re.search(r'href="(https://service\.weibo\.com/share/share\.php\?[^"]+)" id="share-weibo"', plain)
    assert weibo and urllib.parse.parse_qs(urllib.parse.urlsplit(weibo.group(1)).query)["url"] == [url]
    assert 'src="data:image/svg+xml' in html                              # the WeChat QR code, drawn here
    assert not re.search(r"<script[^>]+src=", html)
    for lang in ("zh", "en"):
        for size in ("a4", "a3"):
            assert f'href="/appeals/{ids["appeal"]}/poster?lang={lang}&size={size}&fmt=pdf"' in plain


def test_a_downloaded_posters_qr_code_says_genuine_then_withdrawn(client, as_user, ids):
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp reads the QR codes (pip install -e '.[test]')")
    r = client.get(f"/appeals/{ids['appeal']}/poster", params={"lang": "en", "size": "a4", "fmt": "png"})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert f'filename="appeal-{ids["appeal"]}-en-a4.png"' in r.headers["content-disposition"]
    [url] = [x.text for x in zxingcpp.read_barcodes(Image.open(io.BytesIO(r.content)))]
    path = url.removeprefix("http://testserver")
    page = client.get(path + "&lang=en")
    assert re.search(r"data-status=\"(\w+)\"", page.text).group(1) == "genuine", path
    assert "This poster is genuine" in page.text
    token = path.split("poster=")[1]
    forged = client.get(path.replace(token, token[:-3] + "AAA") + "&lang=en")
    assert 'data-status="forged"' in forged.text and "forged" in forged.text
    inv = as_user("inv")
    assert inv.post(f"/appeals/{ids['appeal']}/unpublish", data={"csrf_token": inv.csrf},
                    follow_redirects=False).status_code == 303
    gone = client.get(path + "&lang=zh")
    assert gone.status_code == 410 and 'data-status="withdrawn"' in gone.text and "已撤回" in gone.text
    assert client.get(f"/appeals/{ids['appeal']}").status_code == 404
    assert client.get(f"/appeals/{ids['appeal']}/poster").status_code == 404


def test_the_press_kit_and_a_pdf_poster_download(client, ids):
    r = client.get(f"/appeals/{ids['appeal']}/poster", params={"lang": "zh", "size": "a3", "fmt": "pdf"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert client.get(f"/appeals/{ids['appeal']}/poster", params={"lang": "fr"}).status_code in (400, 422)
    kit = client.get(f"/appeals/{ids['appeal']}/press-kit")
    assert kit.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(kit.content)) as z:
        assert len([n for n in z.namelist() if n.endswith((".pdf", ".png"))]) == 8


def test_investigators_publish_a_missing_child_with_chosen_facts(client, as_user):
    inv = as_user("inv")
    form = {"csrf_token": inv.csrf, "hotline": "+86 870 110", "facts_chosen": "1", "fact_sex": "1", "fact_age": "1",
            "fact_place": "1", "fact_description": "1", "description": "Last seen at the market with his grandmother."}
    assert inv.post("/reports/R-1/appeal", data=form).status_code == 400      # no photo, no reason
    form["no_photo_reason"] = "The family has no photo of him."
    r = inv.post("/reports/R-1/appeal", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/reports/R-1?msg=appeal+published"
    html = client.get("/appeals", params={"kind": "missing", "lang": "en"}).text
    assert "Missing child" in html and "The family has no photo of him." in html and "Zhaotong, Yunnan" in html
    assert "Li Wei" not in html and "+86 100" not in html                 # the family's contact, never
    [aid] = _cards(html)
    page = client.get(f"/appeals/{aid}", params={"lang": "en"}).text
    assert "Last seen at the market" in page and "Age when missing" in page
    assert "about 3 months" in page                                       # born 2013-06-01, lost 2013-09-01
    assert "Missing from" in page and "Missing since" not in page          # the date was not chosen
    staff = inv.get("/reports/R-1").text
    assert 'id="appeal-admin"' in staff and 'id="unpublish-form"' in staff
    assert as_user(None).post("/reports/R-1/appeal", data=form, follow_redirects=False).status_code in (303, 401)
    assert as_user("fam").post("/reports/R-1/appeal", data={**form, "csrf_token": as_user("fam").csrf}
                               ).status_code == 403


def test_a_found_childs_form_keeps_the_marks_escaped(client, as_user, ids):
    inv = as_user("inv")
    html = inv.get("/children/KM-001").text
    assert 'id="publish-fact-name"' not in html                           # a found child has no public name
    r = inv.post("/children/KM-001/appeal", data={"csrf_token": inv.csrf, "hotline": "110", "facts_chosen": "1",
                                                  "fact_marks": "1", "no_photo_reason": "photo not approved yet"},
                 follow_redirects=False)
    assert r.status_code == 303
    html = client.get("/appeals").text
    assert "<script>" not in html.split("<main>")[1]


def test_the_appeal_page_says_the_marks_in_the_pages_language(client, as_user):
    inv = as_user("inv")
    r = inv.post("/children/KM-002/appeal", data={
        "csrf_token": inv.csrf, "hotline": "110", "facts_chosen": "1", "fact_marks": "1", "fact_sex": "1",
        "marks": "右脸颊有一块红色胎记，congenital glaucoma (left eye), wears a red string on her wrist",
        "no_photo_reason": "photo not approved yet"}, follow_redirects=False)
    assert r.status_code == 303
    [aid] = [a["id"] for a in client.get("/api/v1/appeals").json()["items"] if "胎记" in (a["marks"] or "")]
    zh = re.search(r'id="appeal-marks">([^<]*)<', client.get(f"/appeals/{aid}", params={"lang": "zh"}).text).group(1)
    en = re.search(r'id="appeal-marks">([^<]*)<', client.get(f"/appeals/{aid}", params={"lang": "en"}).text).group(1)
    assert zh == "胎记（右脸）；先天性青光眼（左眼睛）；wears a red string on her wrist"
    assert en == "birthmark (right face); congenital glaucoma (left eye); wears a red string on her wrist"
