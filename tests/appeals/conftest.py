"""Fixtures of the appeal tests: a store (SQLite and PostgreSQL) with found children, a missing child's
report, photos and DNA, and the tools the poster tests need (a CJK font, poppler's pdftotext),
skipped with the reason when missing, except on CI (``CI=true``), where that is a failure."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image, ImageDraw

from cases.conftest import _pg_migrated, _sqlite_template, backend, db_url, session  # noqa: F401
from cases.conftest import url as url
from cases.helpers import write
from needs import need_cjk_font, need_tool
from web.conftest import app, as_user, client, ids, seeded, web_backend, world  # noqa: F401  (the web tests' seeded store)

#: An exact address: the public must never see more than its county.
ADDRESS = "云南省昆明市盘龙区金星立交桥东12号"
FOUND = f"""\
case_number,sex,age_months,age_sd_months,age_assessed_on,found_on,found_place,care_location,marks,sample
KM-A,male,8,1.5,2014-02-20,2014-02-20,{ADDRESS},昆明市儿童福利院,congenital glaucoma (left eye),S-A
KM-B,female,8,1.5,2014-02-20,2014-02-20,"Dali, Yunnan",大理福利院,,
KM-C,female,30,4,2020-05-01,2020-05-01,山东省济南市,Jinan,,
"""
REPORTS = """\
report_number,child_name,sex,date_of_birth,disappeared_on,disappeared_place,contact_name,contact_phone,marks
R-Z,Li Xiaoming,male,2013-06-01,2013-09-01,云南省昭通市镇雄县坡头镇某村3组,Li Wei,+86 139 0000 0000,mole on the neck
"""
PROFILES = """\
sample,marker,allele1,allele2
S-A,D3S1358,15,16
S-A,vWA,17,18
S-A,TH01,9.3,9.3
"""
TODAY = dt.date(2026, 12, 5)
HOTLINE = "+86 871 6316 1110"
#: The key the posters are signed with in these tests ($REUNITE_SECRET_KEY, set for every test here).
SECRET = "appeals-test-secret-key"




@pytest.fixture(autouse=True)
def secret_key(monkeypatch, tmp_path):
    """$REUNITE_SECRET_KEY set and the key ring in the test's folder (none unless a test writes one)."""
    monkeypatch.setenv("REUNITE_SECRET_KEY", SECRET)
    monkeypatch.setenv("REUNITE_KEY_RING", str(tmp_path / "key-ring"))
    (tmp_path / "key-ring").touch()
    return SECRET


def signer():
    """The signer of :data:`SECRET` and the test's key ring (what the CLI and the web use)."""
    from reunite.cases.signing import Signer

    return Signer.from_env()


def photo_bytes(color=(180, 120, 90)) -> bytes:
    img = Image.new("RGB", (300, 400), color)
    ImageDraw.Draw(img).ellipse((80, 90, 220, 260), fill=(240, 205, 170))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def store(session, tmp_path):  # noqa: F811  (the session fixture imported above)
    """The session with the children, the report, one photo of KM-A, the DNA of KM-A; ``store.media``."""
    from reunite.cases import add_photo, add_user, import_found, import_profiles, import_reports

    import_found(session, write(tmp_path / "found.csv", FOUND), user="inv")
    import_reports(session, write(tmp_path / "reports.csv", REPORTS), user="inv")
    import_profiles(session, write(tmp_path / "profiles.csv", PROFILES), lab="Kunming lab", user="lab")
    add_user(session, "inv", "investigator")
    media = tmp_path / "media"
    session.info["photo"] = add_photo(session, photo_bytes(), found_child="KM-A", user="cw", media=media).id
    session.info["media"] = media
    return session


@pytest.fixture
def cjk_font():
    from reunite.reports.fonts import find_cjk_font

    need_cjk_font()
    return find_cjk_font()


@pytest.fixture
def pdftotext():
    return need_tool("pdftotext")
