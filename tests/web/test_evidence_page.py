"""The candidate page lists every evidence item (its LR and its sentence, in the page's language), generated
from the items; the candidate lists show the pairs without DNA apart from the DNA candidates."""

from __future__ import annotations

import html
import re

import pytest

from reunite.cases import db as store
from reunite.cases.matching import run_matching
from reunite.evidence import from_lr, register
from reunite.evidence.registry import unregister

from .conftest import bearer


def _row(page: str, element_id: str) -> str:
    m = re.search(rf'<tr id="{element_id}"[^>]*>(.*?)</tr>', page, re.S)
    assert m is not None, element_id
    return html.unescape(re.sub(r"<[^>]+>", " ", m.group(1)))


def _table(page: str, element_id: str) -> str:
    m = re.search(rf'<table id="{element_id}"[^>]*>(.*?)</table>', page, re.S)
    assert m is not None, element_id
    return m.group(1)


@pytest.fixture
def matched(world):
    """The seeded store after a matching run (R-1 has DNA; R-2 has none), with a test kind registered."""
    register("test_scar", lambda found, report, context: from_lr("test_scar", 40.0, model="test"),
             label="test scar", label_zh="测试疤痕")
    url, _, ids = world
    try:
        with store.open_session(url) as s:
            run_matching(s, frequencies="nist1036_us_asian", prior=0.01, min_lr=0.0)
        yield url, ids
    finally:
        unregister("test_scar")


def test_each_item_is_a_line_with_its_lr_and_sentence_in_the_page_language(matched, as_user):
    _url, ids = matched
    inv = as_user("inv")
    page = inv.get(f"/candidates/{ids['candidate']}").text
    scar = _row(page, "evidence-test_scar")
    assert "test scar" in scar and "40" in scar and "40 times more probable" in scar
    for kind in ("dna", "sex", "time"):
        assert f'id="evidence-{kind}"' in page
    zh = inv.get(f"/candidates/{ids['candidate']}?lang=zh").text
    scar = _row(zh, "evidence-test_scar")
    assert "测试疤痕" in scar and "测试疤痕证据" in scar and "more probable" not in scar
    assert "性别证据" in _row(zh, "evidence-sex")


def test_pairs_without_dna_are_listed_apart(matched, as_user):
    inv = as_user("inv")
    dash = inv.get("/dashboard").text
    without = _table(dash, "table-without-dna")
    assert "R-2" in without and "R-1" not in without
    assert "R-2" not in _table(dash, "table-new-candidates")
    assert "Without DNA: ask for DNA first" in dash
    assert "无 DNA 证据：请先采集 DNA" in inv.get("/dashboard?lang=zh").text
    child = inv.get("/children/KM-002").text
    assert "R-2" in _table(child, "child-candidates-without-dna") and "R-2" not in _table(child, "child-candidates")
    report = inv.get("/reports/R-2").text
    assert "KM-002" in _table(report, "report-candidates-without-dna")
    page = inv.get("/candidates/" + re.search(r'href="/candidates/(\d+)"', without).group(1)).text
    assert 'id="candidate-no-dna"' in page


def test_the_api_lists_dna_candidates_first_and_filters_by_dna(matched, client):
    headers = bearer(client, "inv")
    items = client.get("/api/v1/candidates", headers=headers).json()["items"]
    flags = [c["dna"] for c in items]
    assert True in flags and False in flags and flags == sorted(flags, reverse=True)   # DNA first, never below
    only = client.get("/api/v1/candidates?dna=false", headers=headers).json()["items"]
    assert only and all(not c["dna"] for c in only)
    bound = 0.01 / 0.99 * 1000        # prior odds × at most LR 1000, however much non-DNA evidence agrees
    assert all(c["posterior"] / (1 - c["posterior"]) <= bound * (1 + 1e-9) for c in only)
    one = items[0]
    kinds = [e["kind"] for e in one["evidence"]]
    assert kinds[0] == "dna" and "test_scar" in kinds
    scar = next(e for e in one["evidence"] if e["kind"] == "test_scar")
    assert scar["label_zh"] == "测试疤痕" and scar["sentence"] and scar["sentence_zh"]


def test_a_childs_pairs_without_dna_are_ranked_and_the_long_tail_folded(world, as_user):
    """Every report its evidence does not exclude is kept, so a child may have dozens: its page shows them
    best first, the first ten in the table and the rest folded under a line that says how many."""
    from reunite.cases.models import MissingReport
    from reunite.cases.records import record_candidate

    url, _, _ = world
    with store.open_session(url) as s:
        for i in range(14):
            s.add(MissingReport(report_number=f"R-T{i:02d}", sex="female"))
        s.commit()
        for i in range(14):   # non-DNA LRs 1.5^i: R-T13 the best
            record_candidate(s, "KM-002", f"R-T{i:02d}", items=[from_lr("age", 1.5 ** i)], prior=0.01, commit=True)
    inv = as_user("inv")
    for lang, more in (("en", "<summary>4 more reports its evidence does not exclude"),
                       ("zh", "另有 4 份报告未被证据排除")):
        page = inv.get(f"/children/KM-002?lang={lang}").text
        shown = re.findall(r'href="/reports/(R-T\d\d)"', _table(page, "child-candidates-without-dna"))
        assert shown == [f"R-T{i:02d}" for i in range(13, 3, -1)]          # the ten best, best first
        rest = re.findall(r'href="/reports/(R-T\d\d)"', _table(page, "child-candidates-without-dna-rest"))
        assert rest == ["R-T03", "R-T02", "R-T01", "R-T00"]
        assert more in page
