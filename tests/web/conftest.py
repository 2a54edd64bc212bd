"""Fixtures of the web tests: a seeded store (migrated once per session, copied per test), an app on
it, and logged-in clients per role.

The store is SQLite; a module marked ``pytestmark = pytest.mark.both_backends`` runs each of its tests
on PostgreSQL as well (the access, fuzzing, session and NUL tests): the seeded store is then also a
PostgreSQL database made once per session, and each test gets its own copy
(``CREATE DATABASE … TEMPLATE``), dropped afterwards.  PostgreSQL missing: skipped with the reason,
a failure on CI (``tests/needs.py``).
"""

from __future__ import annotations

import io
import re
import shutil
import textwrap
import uuid
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from PIL import Image

from cases.conftest import _pg_admin
from needs import PG_URL, need_postgresql
from reunite.cases import accounts
from reunite.cases import db as store

accounts.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))

PASSWORD = "correct horse battery"
XSS = "<script>alert(1)</script>"
USERS = {  # name -> (role, unit)
    "inv": ("investigator", None),
    "lab": ("lab_analyst", None),
    "cw": ("caseworker", "Kunming nursery"),
    "cw2": ("caseworker", "Dali welfare home"),
    "fam": ("family", None),
    "fam2": ("family", None),
    "pub": ("public", None),
    "adm": ("admin", None),
}
ROLE_USER = {"investigator": "inv", "lab_analyst": "lab", "caseworker": "cw", "family": "fam", "public": "pub",
             "admin": "adm"}

FOUND = f"""\
case_number,sex,age_months,age_sd_months,found_on,found_place,care_location,marks,ring_reference,sample
KM-001,male,8,1.5,2014-02-20,Kunming,Kunming nursery,{XSS},KM-RING-2014,S-C1
KM-002,female,8,1.5,2014-02-20,Kunming,Kunming nursery,,KM-RING-2014,S-C2
KM-003,female,7,2,2014-02-20,Dali,Dali welfare home,,KM-RING-2014,S-C3
"""
REPORTS = f"""\
report_number,child_name,sex,date_of_birth,disappeared_on,disappeared_place,contact_name,contact_phone
R-1,{XSS},male,2013-06-01,2013-09-01,Zhaotong,Li Wei,+86 100
R-2,Wang Fang,female,2013-06-10,2013-10-01,Qujing,Wang Jun,+86 200
"""
PROFILES = """\
sample,marker,allele1,allele2
S-C1,D3S1358,15,16
S-C1,vWA,17,18
S-C1,TH01,9.3,9.3
S-F1,D3S1358,15,15
S-F1,vWA,17,17
S-F1,TH01,9.3,6
S-M1,D3S1358,16,17
S-M1,vWA,18,19
S-M1,TH01,9.3,
"""
FAMILIES = """\
family,id,father,mother,sex,sample,missing
R-1,F,,,male,S-F1,0
R-1,M,,,female,S-M1,0
R-1,C,F,M,male,,1
"""


def png(size=(8, 8), color=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def _write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def web_backend() -> str:
    """The backend of a web test: SQLite, unless its module is marked ``both_backends``."""
    return "sqlite"


def pytest_generate_tests(metafunc):
    if "web_backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_backends"):
        metafunc.parametrize("web_backend", BACKENDS, scope="session")


def _pg_database_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _pg_create(name: str, template: str | None = None) -> str:
    _pg_admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return _pg_database_url(name)


def _pg_drop(name: str) -> None:
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def seeded(tmp_path_factory, web_backend):
    """A migrated store with users, children, reports, DNA, a candidate and a published appeal: a SQLite
    file, or a PostgreSQL database (``ids["pg_database"]``) used as the template of each test's copy."""
    from sqlalchemy import select

    from reunite.cases import add_photo, import_families, import_found, import_profiles, import_reports
    from reunite.cases.models import Appeal, FoundChild, MissingReport, User, utcnow
    from reunite.cases.provenance import Provenance, read_table, store_table
    from reunite.cases.records import add_user, record_candidate
    from reunite.genetics.rules import conclude

    root = tmp_path_factory.mktemp("seed")
    ids = {}
    if web_backend == "postgresql":
        need_postgresql()
        ids["pg_database"] = f"reunite_web_seed_{uuid.uuid4().hex[:12]}"
        url = _pg_create(ids["pg_database"])
        store.init_db(url)
    else:
        url = f"sqlite:///{root / 'reunite.db'}"
    media = root / "media"
    with store.open_session(url) as s:
        for name, (role, unit) in USERS.items():
            u = add_user(s, name, role, by="setup", commit=False)
            u.unit = unit
            u.password_hash = accounts.hash_password(PASSWORD)
        s.commit()
        import_found(s, _write(root / "found.csv", FOUND), user="inv")
        import_reports(s, _write(root / "reports.csv", REPORTS), user="inv")
        import_profiles(s, _write(root / "profiles.csv", PROFILES), lab="Kunming lab", user="lab")
        import_families(s, _write(root / "families.csv", FAMILIES), user="lab")
        for number, owner in (("R-1", "fam"), ("R-2", "fam2")):
            rep = s.scalars(select(MissingReport).where(MissingReport.report_number == number)).one()
            rep.family_user_id = s.scalars(select(User.id).where(User.name == owner)).one()
        # Candidates as the matching records them: with what computed them (the bundled table, no
        # mutation model, the gbt rules), so that their lab reports can be printed.
        table, text = read_table("nist1036_us_asian")
        prov = Provenance(table.name, store_table(s, table.name, text), None, 0.0, "gbt").columns()
        cand, _ = record_candidate(s, "KM-001", "R-1", dna_log10_lr=4.2, sex_lr=1.9, prior=0.5,
                                   inconsistent_markers=0, markers_compared=3, provenance=prov,
                                   conclusion=conclude(log10_lr=4.2, inconsistent=0,
                                                       relationship="parentage_trio").as_dict())
        cand2, _ = record_candidate(s, "KM-002", "R-2", dna_log10_lr=-1.0, prior=0.5)
        s.commit()
        ids["candidate"], ids["candidate2"] = cand.id, cand2.id
        p1 = add_photo(s, png(color=(10, 20, 30)), found_child="KM-002", user="cw", media=media)
        p2 = add_photo(s, png(color=(90, 20, 30)), found_child="KM-001", user="cw", media=media)
        p3 = add_photo(s, png(color=(10, 90, 30)), report="R-1", user="fam", media=media)
        child = s.scalars(select(FoundChild).where(FoundChild.case_number == "KM-002")).one()
        appeal = Appeal(found_child_id=child.id, photo_id=p1.id, hotline="+86 871 110", published=True,
                        published_at=utcnow(), published_by="inv")
        s.add(appeal)
        s.commit()
        ids.update(appeal=appeal.id, appeal_photo=p1.path, private_photo=p2.path, report_photo=p3.path)
    store.dispose_engines()
    yield root, ids
    if "pg_database" in ids:
        _pg_drop(ids["pg_database"])


@pytest.fixture
def world(seeded, tmp_path):
    """A fresh copy of the seeded store: (database url, media dir, ids)."""
    root, ids = seeded
    shutil.copytree(root / "media", tmp_path / "media")
    if "pg_database" not in ids:
        shutil.copyfile(root / "reunite.db", tmp_path / "reunite.db")
        yield f"sqlite:///{tmp_path / 'reunite.db'}", tmp_path / "media", ids
        store.dispose_engines()
        return
    name = f"reunite_web_{uuid.uuid4().hex[:12]}"
    url = _pg_create(name, template=ids["pg_database"])
    try:
        yield url, tmp_path / "media", ids
    finally:
        store.dispose_engines()
        _pg_drop(name)


@pytest.fixture
def app(world, tmp_path):
    from reunite.web import create_app

    url, media, _ = world
    return create_app(url, media, reports_dir=tmp_path / "reports", secret_key="test-secret", secure_cookies=False,
                      match_after_import=False, max_photo_bytes=50_000)


@pytest.fixture
def ids(world):
    return world[2]


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(client: TestClient, page: str = "/login") -> str:
    """The CSRF token of the client's session (read from a form on a page)."""
    m = CSRF.search(client.get(page).text)
    assert m, f"no CSRF token on {page}"
    return m.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD):
    token = csrf_of(client)
    return client.post("/login", data={"username": name, "password": password, "csrf_token": token},
                       follow_redirects=False)


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def as_user(app):
    """``as_user(name)``: a client logged in (by cookie) as that user; ``.csrf`` holds its token."""
    clients = []

    def make(name: str | None) -> TestClient:
        c = TestClient(app, raise_server_exceptions=False)
        clients.append(c)
        if name is not None:
            r = login(c, name)
            assert r.status_code == 303, r.text
        c.csrf = csrf_of(c, "/login")
        return c

    yield make
    for c in clients:
        c.close()


def bearer(client: TestClient, name: str, password: str = PASSWORD) -> dict[str, str]:
    r = client.post("/api/v1/token", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
