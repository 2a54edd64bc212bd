"""The family's report form (errors beside fields, values and photo kept, dates checked, phone photos
scaled down), the page of where and how to give a sample with the steps of the case, the confirmed
withdrawal of consent, and 寻家 (a grown child's own search)."""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from reunite.cases import db as store
from reunite.cases.labs import add_lab
from reunite.cases.models import Candidate, DnaSample, FoundChild, MissingReport, Photo, WrittenFile
from reunite.cases.photos import photo_path
from reunite.cases.privacy import register_written_file

from .conftest import png

GOOD = {"child_name": "李小明", "sex": "male", "date_of_birth": "2013-06-01", "disappeared_on": "2014-01-05",
        "disappeared_place": "云南省昭通市", "contact_phone": "139 1234 5678", "circumstances": "在院子里被抱走",
        "marks": "左手有痣", "other_children": "none"}


@pytest.fixture
def big_app(world, tmp_path):
    """The app with the default upload limit (15 MB), as a server runs it."""
    from reunite.web import create_app

    url, media, _ = world
    return create_app(url, media, reports_dir=tmp_path / "reports", secret_key="test-secret", secure_cookies=False,
                      match_after_import=False)


def phone_photo() -> bytes:
    """A phone's 12-megapixel JPEG, rotated by its EXIF orientation tag, several megabytes."""
    im = Image.effect_noise((4000, 3000), 60).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (25.0, 2.0, 30.0)}
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=95, exif=exif.tobytes())
    return buf.getvalue()


def field(html: str, name: str, prefix: str = "report") -> str:
    m = re.search(rf'<(input|select|textarea) id="{prefix}-{name}"[^>]*>', html)
    assert m, f"no field {name}"
    return m.group(0)


def post_report(c, files=None, **changes):
    return c.post("/family/reports", data={**GOOD, **changes, "csrf_token": c.csrf}, files=files,
                  follow_redirects=False)


@pytest.mark.parametrize("changes, name, words", [
    ({"disappeared_on": "2013-01-05"}, "disappeared_on", "before the date of birth"),   # before birth
    ({"date_of_birth": "2014-02-30"}, "date_of_birth", "not a date"),                    # impossible day
    ({"disappeared_on": "2999-01-01"}, "disappeared_on", "cannot be right"),            # in the future
    ({"date_of_birth": "1850-01-01"}, "date_of_birth", "cannot be right"),
    ({"contact_phone": "abc"}, "contact_phone", "digits only"),
])
def test_a_wrong_field_is_marked_beside_itself_and_the_rest_is_kept(as_user, changes, name, words):
    c = as_user("fam")
    r = post_report(c, **changes)
    assert r.status_code == 400 and words in r.text
    tag = field(r.text, name)
    assert 'aria-invalid="true"' in tag and f'aria-describedby="report-{name}-error' in tag and "autofocus" in tag
    assert f'id="report-{name}-error"' in r.text and r.text.count("autofocus") == 1
    for other in ("child_name", "disappeared_place", "other_children"):
        assert f'value="{GOOD[other]}"' in field(r.text, other)
    assert "在院子里被抱走" in r.text and "selected" in re.search(r'<option value="male"[^>]*>', r.text).group(0)


def test_the_first_wrong_field_in_the_form_is_focused(as_user):
    c = as_user("fam")
    r = post_report(c, child_name="", contact_phone="abc", disappeared_on="2013-01-01")
    assert r.status_code == 400
    assert "autofocus" in field(r.text, "child_name") and r.text.count("autofocus") == 1
    assert all('aria-invalid="true"' in field(r.text, n) for n in ("child_name", "disappeared_on", "contact_phone"))


def test_a_phone_photo_is_scaled_down_not_refused_and_kept_when_another_field_is_wrong(big_app, world):
    url, media, _ = world
    data = phone_photo()
    assert len(data) > 5 * 1024 * 1024 - 1 or len(data) > 4_000_000
    with TestClient(big_app, raise_server_exceptions=False) as c:
        from .conftest import csrf_of, login

        login(c, "fam")
        c.csrf = csrf_of(c, "/family/reports/new")
        r = post_report(c, files={"photo": ("IMG_0001.jpg", data, "image/jpeg")}, disappeared_on="2013-01-05")
        assert r.status_code == 400 and 'id="report-photo-kept"' in r.text and "data:image/jpeg;base64," in r.text
        r = post_report(c)   # the date corrected; no photo chosen again
        assert r.status_code == 303, r.text
        number = r.headers["location"].split("/")[3].split("?")[0]
    with store.open_session(url) as s:
        photo = s.scalars(select(Photo).join(Photo.report).where(Photo.report.has(report_number=number))).one()
        assert (photo.width, photo.height) == (1200, 1600)   # upright (EXIF orientation 6), longest side 1600
        stored = photo_path(photo, media).read_bytes()
        assert b"Exif" not in stored and len(stored) < len(data) / 4


def test_a_photo_over_the_limit_is_refused_beside_its_field(as_user):
    c = as_user("fam")   # the test app's limit: 50,000 bytes
    noise = io.BytesIO()
    Image.effect_noise((400, 400), 90).convert("RGB").save(noise, "PNG")
    r = post_report(c, files={"photo": ("big.png", noise.getvalue(), "image/png")})
    assert r.status_code == 400 and "autofocus" in field(r.text, "photo")


def _new_report(c) -> str:
    r = post_report(c, files={"photo": ("p.png", png(), "image/png")})
    assert r.status_code == 303, r.text
    return r.headers["location"].split("/")[3].split("?")[0]


def test_after_naming_a_relative_the_sample_page_says_where_and_how(as_user, world):
    with store.open_session(world[0]) as s:
        add_lab(s, "Kunming lab", name_zh="昆明市公安局物证鉴定所", accreditation="CNAS L1234",
                address="昆明市北京路 1 号", user="adm")
    c = as_user("fam")
    number = _new_report(c)
    page = c.get(f"/family/reports/{number}").text
    assert 'id="step-relatives_named" data-state="current"' in page and 'id="step-reported" data-state="done"' in page
    r = c.post(f"/family/reports/{number}/relatives", data={"csrf_token": c.csrf, "relation": "mother",
                                                            "consent": "true", "scope": "this_report"},
               follow_redirects=False)
    assert r.headers["location"] == f"/family/reports/{number}/sample?added=1"
    zh = c.get(r.headers["location"] + "&lang=zh").text
    assert "昆明市公安局物证鉴定所" in zh and "昆明市北京路 1 号" in zh and "CNAS L1234" in zh
    assert number in zh and "身份证" in zh and "免费" in zh and "母亲" in zh
    assert 'id="step-sample_given" data-state="current"' in zh and "下一步" in zh
    en = c.get(f"/family/reports/{number}/sample?lang=en").text
    assert "Kunming lab" in en and "ID card" in en and "free" in en
    # the seven steps, in order, in plain words
    names = re.findall(r'id="step-(\w+)" data-state', en)
    assert names == ["reported", "relatives_named", "sample_given", "profile_typed", "searched", "under_review",
                     "outcome"]
    for secret in ("log10", "LR", "D3S1358"):
        assert secret not in en.replace("LR ", "")
    assert as_user("fam2").get(f"/family/reports/{number}/sample").status_code == 404


def test_withdrawing_consent_asks_first_and_says_exactly_what_is_deleted(as_user, world, tmp_path, monkeypatch):
    url = world[0]
    monkeypatch.setenv("REUNITE_INDEX_DIR", str(tmp_path / "index"))
    (tmp_path / "index").mkdir()
    for name in ("meta.json", "manifest.json", "family_ids.txt", "genotypes.npy"):
        (tmp_path / "index" / name).write_text("x")
    report_file = tmp_path / "candidate-1.html"
    report_file.write_text("report")
    with store.open_session(url) as s:
        rep = s.scalars(select(MissingReport).where(MissingReport.report_number == "R-1")).one()
        cand = s.scalars(select(Candidate).where(Candidate.report_id == rep.id)).first()
        register_written_file(s, report_file, kind="report", user="inv", candidate_id=cand.id)
        mother = next(d for d in rep.relatives if d.member_id == "M")   # typed (families.csv), consent given
        mother.relation, mother.consent_given, mother.consent_scope = "mother", True, "this_report"
        s.commit()
    c = as_user("fam")
    page = c.get("/family/reports/R-1").text
    assert 'href="/family/reports/R-1/relatives/M/withdraw"' in page
    confirm = c.get("/family/reports/R-1/relatives/M/withdraw?lang=en").text
    assert "The DNA profile the laboratory made from the mother" in confirm
    assert "search index files (4)" in confirm and "1 laboratory report file(s)" in confirm
    assert "1 possible match(es)" in confirm and "cannot be undone" in confirm
    zh = c.get("/family/reports/R-1/relatives/M/withdraw?lang=zh").text
    assert "以下内容将立即删除" in zh and "母亲" in zh
    # without the box ticked nothing happens
    r = c.post("/family/reports/R-1/relatives/M/withdraw", data={"csrf_token": c.csrf, "reason": ""})
    assert r.status_code == 400 and 'aria-invalid="true"' in r.text and report_file.exists()
    with store.open_session(url) as s:
        assert not s.scalars(select(DnaSample).where(DnaSample.sample == "S-M1")).one().erased
    r = c.post("/family/reports/R-1/relatives/M/withdraw", data={"csrf_token": c.csrf, "confirm": "yes"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/family/reports/R-1?withdrawn=1"
    assert not report_file.exists() and not (tmp_path / "index" / "meta.json").exists()
    with store.open_session(url) as s:
        assert s.scalars(select(DnaSample).where(DnaSample.sample == "S-M1")).one().erased
        assert s.scalars(select(WrittenFile)).first() is None
    assert "consent withdrawn" in c.get("/family/reports/R-1?lang=en").text


def test_a_grown_child_registers_gives_consent_and_follows_the_steps(as_user, world):
    c = as_user("fam2")
    assert "寻家" in as_user(None).get("/xunjia?lang=zh").text
    form = c.get("/xunjia/new?lang=zh").text
    assert "您记得什么" in form
    data = {"csrf_token": c.csrf, "sex": "female", "birth_year": "2013", "birth_year_sure": "true",
            "year_taken": "2010", "age_taken": "1", "places": "一条河，红色的大门", "names": "小芳",
            "grew_up": "山东济南", "marks": "", "story": "养父母说我是抱养的"}
    r = c.post("/xunjia/new", data=data)
    assert r.status_code == 400   # taken before being born
    assert "autofocus" in field(r.text, "year_taken", "xunjia") and 'value="2013"' in r.text and "一条河" in r.text
    r = c.post("/xunjia/new", data={**data, "year_taken": "2014"}, files={"photo": ("me.png", png(), "image/png")},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/xunjia/me?created=1"
    me = c.get("/xunjia/me?created=1&lang=zh").text
    assert "XJ-" in me and 'id="step-dna_consent" data-state="current"' in me and "我同意" in me
    with store.open_session(world[0]) as s:
        child = s.scalars(select(FoundChild).where(FoundChild.kind == "self_registered")).one()
        assert (child.sex, child.found_place, len(child.photos)) == ("female", "山东济南", 1)
    assert c.post("/xunjia/me/consent", data={"csrf_token": c.csrf}).status_code == 400
    r = c.post("/xunjia/me/consent", data={"csrf_token": c.csrf, "agree": "true"}, follow_redirects=False)
    assert r.headers["location"] == "/xunjia/me?consent=1"
    me = c.get("/xunjia/me?lang=en").text
    assert f"{child.case_number}-DNA" in me and 'id="step-sample_given" data-state="current"' in me
    # the investigators see the grown child as a found child, with what they remember (the read audited);
    # another family account does not
    staff = as_user("inv").get(f"/children/{child.case_number}?lang=zh").text
    assert child.case_number in staff and "本人登记寻家" in staff and "一条河，红色的大门" in staff
    with store.open_session(world[0]) as s:
        from reunite.cases.models import AuditEntry

        read = s.scalars(select(AuditEntry).where(AuditEntry.action == "self_search.read")).one()
        assert read.actor == "inv" and "一条河" not in read.details
    assert as_user("fam").get("/xunjia/me").status_code == 404
    assert c.get("/xunjia/new", follow_redirects=False).headers["location"] == "/xunjia/me"


def test_a_grown_child_withdraws_dna_consent_after_reading_what_is_deleted(as_user, world):
    c = as_user("fam2")
    r = c.post("/xunjia/new", data={"csrf_token": c.csrf, "sex": "male", "places": "昭通", "birth_year": "2012"},
               follow_redirects=False)
    assert r.status_code == 303
    c.post("/xunjia/me/consent", data={"csrf_token": c.csrf, "agree": "true"})
    page = c.get("/xunjia/me?lang=en").text
    assert 'id="xunjia-withdraw"' in page and "No DNA profile has been made from your sample yet" in page
    r = c.post("/xunjia/me/withdraw", data={"csrf_token": c.csrf})
    assert r.status_code == 400 and 'aria-invalid="true"' in r.text
    r = c.post("/xunjia/me/withdraw", data={"csrf_token": c.csrf, "confirm": "yes"}, follow_redirects=False)
    assert r.headers["location"] == "/xunjia/me?withdrawn=1"
    page = c.get("/xunjia/me?withdrawn=1&lang=en").text
    assert "your DNA has been deleted" in page and 'id="xunjia-consent-form"' in page
    with store.open_session(world[0]) as s:
        assert s.scalars(select(FoundChild).where(FoundChild.kind == "self_registered")).one().dna_consent_at is None
