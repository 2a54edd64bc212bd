"""The cohort review page (joint solution, conclusions, found siblings, pairwise matrix; solving
with CSRF), the sampling guidance on the report pages, and the family's other children, in Chinese
and English."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from cases.test_cohorts import FEW, TABLE, store_simulated
from reunite.cases import db as store
from reunite.cases.models import AuditEntry, CohortSolution, MissingReport
from reunite.genetics.cohort import simulate_cohort


@pytest.fixture
def cohort(world, tmp_path, monkeypatch):
    """The seeded store plus a simulated rescue (cohort RESCUE-1: 6 children against 5 families, one of
    them an unreported sibling); the matching settings: the bundled table, no mutation model."""
    monkeypatch.setenv("REUNITE_FREQUENCIES", TABLE)
    monkeypatch.setenv("REUNITE_MUTATION", "none")
    spec, truth = simulate_cohort(TABLE, 5, 6, seed=11, markers=FEW, two_missing=0.0, unreported=1, listed=0.5)
    with store.open_session(world[0]) as s:
        store_simulated(s, tmp_path, spec)
    return spec, truth


def _solve(c) -> None:
    r = c.post("/cohorts/RESCUE-1/solve", data={"csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/cohorts/RESCUE-1?solved=1"


def test_the_review_page_in_english(as_user, cohort, world):
    spec, _truth = cohort
    inv = as_user("inv")
    page = inv.get("/cohorts/RESCUE-1?lang=en").text
    assert "not been solved yet" in page and 'id="cohort-solve"' in page
    _solve(inv)
    page = inv.get("/cohorts/RESCUE-1?solved=1").text
    assert "The cohort has been solved." in page and "Solved " in page and "(dvir)" in page
    for section in ("cohort-conclusions", "cohort-assignments", "cohort-matrix", "cohort-provenance"):
        assert f'id="{section}"' in page
    # One row per found child, its conclusion in words, the rule behind it.
    for c in spec["found"]:
        assert f'id="conclusion-{c["id"]}"' in page
    assert re.search(r"is (identified|probably)", page) and "Rule:" in page
    assert "nist1036_us_asian" in page and "none" in page
    # The matrix has a row per child and names the families' missing members.
    assert page.count("<tr><th><a href=\"/children/V0") == 6
    # No genotype on the page.
    allele = next(iter(spec["found"][0]["genotypes"].values()))
    assert f"{allele[0]}, {allele[1]}" not in page and "genotypes" not in page
    with store.open_session(world[0]) as s:
        assert s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "cohort.solve")).all() == ["inv"]
        assert len(s.scalars(select(CohortSolution)).all()) == 1


def test_the_review_page_in_chinese(as_user, cohort):
    inv = as_user("inv")
    _solve(inv)
    page = inv.get("/cohorts/RESCUE-1?lang=zh").text
    assert "解救批次 RESCUE-1" in page and "每名儿童的结论" in page and "最佳联合分配" in page
    assert "两两似然比" in page and "被解救儿童之间的亲缘关系" in page
    assert re.search("(认定|很可能|有争议|不能确定|不匹配|排除)", page)
    assert "Solve again" not in page and "重新计算" in page


def test_the_unreported_sibling_is_named_among_the_found_relatives(as_user, cohort):
    _spec, truth = cohort
    lab = as_user("lab")
    _solve(lab)
    page = lab.get("/cohorts/RESCUE-1?lang=en").text
    sib = next(v for v, who in truth.items() if who and who.startswith("sibling:"))
    fam = truth[sib].split(":")[1]
    brother = next(v for v, who in truth.items() if who and who.startswith(fam + "_MP"))
    table = page.split('id="cohort-relatives"')[1].split("</table>")[0]
    pair = next(row for row in table.split("<tr>") if sib in row and brother in row)
    assert "full siblings" in pair
    # Nobody is identified or made probable wrongly: such a child is the missing child the truth says.
    rows = re.findall(r'id="conclusion-(V\d+)"><td[^>]*>.*?</td><td class="concl-(\w+)[^"]*">.*?</td><td[^>]*>'
                      r'(?:<a href="/reports/([^"]+)">)?', page)
    assert len(rows) == 6
    for v, concl, f in rows:
        if concl in ("identified", "probable"):
            assert truth[v] is not None and truth[v].startswith(f + "_MP"), (v, f, truth[v])


def test_a_stale_solution_says_so(as_user, cohort, world):
    inv = as_user("inv")
    _solve(inv)
    assert 'id="cohort-stale"' not in inv.get("/cohorts/RESCUE-1").text
    with store.open_session(world[0]) as s:
        rep = s.scalars(select(MissingReport).where(MissingReport.report_number == "F01")).one()
        from reunite.cases.cohorts import set_other_children

        set_other_children(s, rep, True, [("female", 2008), ("male", 2011)])
        s.commit()
    assert 'id="cohort-stale"' in inv.get("/cohorts/RESCUE-1").text


def test_links_list_and_access(as_user, cohort):
    inv = as_user("inv")
    assert 'href="/cohorts/RESCUE-1"' in inv.get("/dashboard").text
    assert 'id="child-cohort-link"' in inv.get("/children/V01").text
    assert 'id="cohort-link-RESCUE-1"' in inv.get("/cohorts").text
    assert inv.get("/cohorts/NOPE").status_code == 404
    cw = as_user("cw")
    assert cw.get("/cohorts/RESCUE-1").status_code == 403
    assert cw.post("/cohorts/RESCUE-1/solve", data={"csrf_token": cw.csrf}).status_code == 403
    assert as_user("fam").get("/cohorts").status_code == 403
    # Solving needs the form's CSRF token.
    r = inv.post("/cohorts/RESCUE-1/solve", data={"csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403


# ------------------------------------------------------------------------------- guidance


def test_the_investigators_report_page_shows_the_guidance(as_user, cohort):
    inv = as_user("inv")
    # F02 has the mother typed only (the simulation's second structure): the father is available.
    page = inv.get("/reports/F02?lang=en").text
    box = page.split('id="report-guidance"')[1].split("</div>")[0]
    assert 'id="guidance-advice"' in box and "LR &gt;= 10,000" in box and "father (F02_F)" in box
    assert "Monte Carlo over 300 simulated children" in box
    zh = inv.get("/reports/F02?lang=zh").text.split('id="report-guidance"')[1].split("</div>")[0]
    assert "父亲 (F02_F)" in zh and "蒙特卡罗" in zh


def test_the_family_page_shows_the_guidance_in_plain_words(as_user, cohort, world):
    with store.open_session(world[0]) as s:
        rep = s.scalars(select(MissingReport).where(MissingReport.report_number == "F02")).one()
        from reunite.cases.models import User

        rep.family_user_id = s.scalars(select(User.id).where(User.name == "fam")).one()
        s.commit()
    fam = as_user("fam")
    page = fam.get("/family/reports/F02?lang=en").text
    box = page.split('id="family-guidance"')[1].split("</div>")[0]
    assert "father" in box and "of 100" in box
    for forbidden in ("LR", "F02_F", "10,000", "likelihood"):
        assert forbidden not in box, forbidden
    zh = fam.get("/family/reports/F02?lang=zh").text.split('id="family-guidance"')[1].split("</div>")[0]
    assert "父亲" in zh and "LR" not in zh


# ------------------------------------------------------------------------- other children


def test_the_family_lists_its_other_children(as_user, world):
    fam = as_user("fam")
    assert "Not given yet." in fam.get("/family/reports/R-1?lang=en").text
    r = fam.post("/family/reports/R-1/other-children",
                 data={"csrf_token": fam.csrf, "other_children": "女 2008；男 2015"}, follow_redirects=False)
    assert r.status_code == 303
    page = fam.get("/family/reports/R-1?lang=zh").text
    assert "女孩, 2008年出生; 男孩, 2015年出生" in page
    bad = fam.post("/family/reports/R-1/other-children", data={"csrf_token": fam.csrf, "other_children": "cat"})
    assert bad.status_code == 400 and 'id="other-children-error"' in bad.text
    with store.open_session(world[0]) as s:
        rep = s.scalars(select(MissingReport).where(MissingReport.report_number == "R-1")).one()
        assert rep.other_children_listed and [(c.sex, c.birth_year) for c in rep.other_children] == \
            [("female", 2008), ("male", 2015)]
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == "R-1")).all()
        assert actions.count("report.other_children") == 1
    # Another family cannot.
    other = as_user("fam2")
    assert other.post("/family/reports/R-1/other-children",
                      data={"csrf_token": other.csrf, "other_children": "none"}).status_code == 404
    inv = as_user("inv")
    assert "2008" in inv.get("/reports/R-1").text.split('id="report-other-children"')[1].split("</p>")[0]


def test_the_new_report_form_takes_other_children(as_user, world):
    fam = as_user("fam2")
    form = {"csrf_token": fam.csrf, "child_name": "王小", "sex": "male", "disappeared_on": "2013-09-01",
            "disappeared_place": "昭通", "contact_phone": "123", "other_children": "girl 2010"}
    bad = fam.post("/family/reports", data={**form, "other_children": "girl twenty"})
    assert bad.status_code == 400 and 'id="report-other_children-error"' in bad.text
    r = fam.post("/family/reports", data=form, follow_redirects=False)
    assert r.status_code == 303
    with store.open_session(world[0]) as s:
        rep = s.scalars(select(MissingReport).where(MissingReport.child_name == "王小")).one()
        assert rep.other_children_listed and [(c.sex, c.birth_year) for c in rep.other_children] == [("female", 2010)]
    # No pedigree yet: the guidance assumes the usual family, and says so to the investigators.
    inv = as_user("inv")
    page = inv.get(f"/reports/{rep.report_number}?lang=en").text
    assert "no family tree yet" in page and "father" in page
