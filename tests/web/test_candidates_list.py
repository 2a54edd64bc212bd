"""The candidate list (page ``/candidates`` and API ``/api/v1/candidates``): DNA candidates apart from
pairs without DNA, filters, sorting, stable server-side pages, validated parameters, and a page that
fits a 390 px phone (measured in a real Chromium)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from needs import CHROMIUM, need_chromium
from reunite.cases import db as store
from reunite.cases.models import MissingReport
from reunite.cases.records import record_candidate

from .conftest import bearer

# The seeded store has KM-001 × R-1 (DNA log10 LR 4.2, posterior from prior 0.5) and KM-002 × R-2
# (log10 LR -1.0).  These add the other four pairs: two with DNA, two without (sex or age only).
EXTRA = [("KM-001", "R-2", {"dna_log10_lr": 2.0, "prior": 0.5}),
         ("KM-003", "R-1", {"dna_log10_lr": 7.5, "prior": 0.5}),
         ("KM-002", "R-1", {"sex_lr": 1.9, "prior": 0.5}),
         ("KM-003", "R-2", {"age_lr": 3.0, "sex_lr": 1.9, "prior": 0.5})]


@pytest.fixture
def listed(world):
    """The world with six candidates (four with DNA) and R-2's family flagged as suspected of the sale."""
    url = world[0]
    with store.open_session(url) as s:
        for case, report, ev in EXTRA:
            record_candidate(s, case, report, **ev)
        s.scalars(select(MissingReport).where(MissingReport.report_number == "R-2")).one().suspected_of_sale = True
        s.commit()
    return world


def _pairs(items):
    return [(c["case_number"], c["report_number"]) for c in items]


def test_the_api_lists_dna_candidates_first_then_pages_without_repeating(listed, client):
    h = bearer(client, "lab")
    every = client.get("/api/v1/candidates", headers=h).json()
    assert (every["total"], every["with_dna"], every["without_dna"], every["pages"]) == (6, 4, 2, 1)
    assert [c["dna"] for c in every["items"]] == [True] * 4 + [False] * 2
    # DNA candidates by posterior (the same prior for all: by DNA LR), best first
    assert _pairs(every["items"][:4]) == [("KM-003", "R-1"), ("KM-001", "R-1"), ("KM-001", "R-2"), ("KM-002", "R-2")]
    seen = []
    for page in (1, 2, 3):
        got = client.get(f"/api/v1/candidates?per_page=2&page={page}", headers=h).json()
        assert got["pages"] == 3 and len(got["items"]) == 2
        seen += [c["id"] for c in got["items"]]
    assert seen == [c["id"] for c in every["items"]]       # the same order, nothing repeated or skipped
    past = client.get("/api/v1/candidates?per_page=2&page=4", headers=h).json()
    assert past["items"] == [] and past["total"] == 6


def test_the_api_filters_and_sorts(listed, client):
    h = bearer(client, "inv")

    def pairs(query):
        r = client.get(f"/api/v1/candidates?{query}", headers=h)
        assert r.status_code == 200, r.text
        return _pairs(r.json()["items"])

    assert pairs("dna=false&sort=posterior") == [("KM-003", "R-2"), ("KM-002", "R-1")]   # 3×1.9 > 1.9
    assert pairs("dna=true&min_log10_lr=2&max_log10_lr=5") == [("KM-001", "R-1"), ("KM-001", "R-2")]
    assert pairs("dna=true&sort=lr&order=asc") == [("KM-002", "R-2"), ("KM-001", "R-2"), ("KM-001", "R-1"),
                                                   ("KM-003", "R-1")]
    assert pairs("suspected_of_sale=true") == [("KM-001", "R-2"), ("KM-002", "R-2"), ("KM-003", "R-2")]
    assert pairs("unit=Dali%20welfare%20home") == [("KM-003", "R-1"), ("KM-003", "R-2")]
    assert pairs("status=under_review") == []
    newest = pairs("sort=date&dna=true")
    assert newest[0] == ("KM-003", "R-1") and newest[-1] == ("KM-001", "R-1")   # recorded last / first


@pytest.mark.parametrize("query, field", [("status=sold", "status"), ("sort=name", "sort"), ("per_page=0", "per_page"),
                                          ("per_page=201", "per_page"), ("page=0", "page"),
                                          ("min_log10_lr=abc", "min_log10_lr"), ("dna=maybe", "dna"),
                                          ("order=up", "order"), ("min_log10_lr=nan", "min_log10_lr")])
def test_the_api_refuses_bad_parameters_by_name(listed, client, query, field):
    r = client.get(f"/api/v1/candidates?{query}", headers=bearer(client, "lab"))
    assert r.status_code in (400, 422), r.text
    assert field in {p["field"] for p in r.json()["error"]["problems"]}


def test_a_range_upside_down_is_refused(listed, client):
    r = client.get("/api/v1/candidates?min_log10_lr=5&max_log10_lr=2", headers=bearer(client, "lab"))
    assert r.status_code == 400 and r.json()["error"]["problems"][0]["field"] == "min_log10_lr"


# ------------------------------------------------------------------------------------ the page


def test_the_page_shows_dna_candidates_and_pairs_without_dna_on_two_tabs(listed, as_user):
    c = as_user("inv")
    page = c.get("/candidates?lang=en")
    assert page.status_code == 200
    assert re.findall(r'id="clist-row-(\d+)"', page.text) and "With DNA evidence (4)" in page.text
    assert "Without DNA: ask for DNA first (2)" in page.text
    assert len(re.findall(r'class="clist-row"', page.text)) == 4
    without = c.get("/candidates?dna=false")
    assert len(re.findall(r'class="clist-row"', without.text)) == 2 and "non-DNA log10 LR" in without.text
    flagged = c.get("/candidates?suspected_of_sale=true&per_page=1")
    assert len(re.findall(r'class="clist-row"', flagged.text)) == 1 and "page 1 of 2" in flagged.text
    nxt = re.search(r'id="clist-next" href="([^"]+)"|href="([^"]+)" id="clist-next"', flagged.text)
    assert nxt and "suspected_of_sale=true" in nxt.group(2).replace("&amp;", "&") and "page=2" in nxt.group(2)


def test_the_page_shows_bad_filters_next_to_the_form(listed, as_user):
    page = as_user("lab").get("/candidates?min_log10_lr=lots&sort=name&lang=en")
    assert page.status_code == 400
    assert 'id="clist-problems"' in page.text and "min_log10_lr" in page.text and "sort" in page.text


def test_the_page_is_for_investigators_and_lab_analysts(listed, as_user):
    assert as_user("cw").get("/candidates").status_code == 403
    assert as_user("fam").get("/candidates").status_code == 403


def test_the_page_in_chinese(listed, as_user):
    page = as_user("inv").get("/candidates?lang=zh")
    assert "候选匹配列表" in page.text and "涉嫌出卖孩子" in page.text and "有 DNA 证据" in page.text


# ------------------------------------------------------------------------- a 390 px phone, in Chromium


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_fits_a_390_px_phone(listed, as_user, tmp_path, lang):
    need_chromium()
    from playwright.sync_api import sync_playwright

    html = as_user("inv").get(f"/candidates?lang={lang}").text
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            for width in (390, 1200):
                page = browser.new_page(viewport={"width": width, "height": 844})
                page.set_content(html)
                scroll = page.evaluate("document.documentElement.scrollWidth")
                page.screenshot(path=str(tmp_path / f"candidates-{lang}-{width}.png"), full_page=True)
                if os.environ.get("REUNITE_SHOTS_DIR"):
                    page.screenshot(path=str(Path(os.environ["REUNITE_SHOTS_DIR"]) / f"candidates-{lang}-{width}.png"),
                                    full_page=True)
                assert scroll <= width, f"the list is {scroll} px wide on a {width} px screen"
                rows = page.locator(".clist-row")
                assert rows.count() == 4 and rows.first.is_visible()
                page.close()
        finally:
            browser.close()
