"""The staff page of a report says, in English and Chinese, why the matching index set its family
aside (read from the index in $REUNITE_INDEX_DIR)."""

from __future__ import annotations

from reunite.genetics import load_frequencies, make_pedigree, parse_profile
from reunite.search.index import build_index
from reunite.search.io import FamilyRecord


def _index_with_r1_set_aside(path):
    ped = make_pedigree([{"id": "F", "father": None, "mother": None, "sex": "male"},
                         {"id": "M", "father": None, "mother": None, "sex": "female"},
                         {"id": "S", "father": "F", "mother": "M", "sex": "male"},
                         {"id": "C", "father": "F", "mother": "M", "sex": "male"}])
    gts = {"F": parse_profile({"vWA": ["17", "17"]}), "M": parse_profile({"vWA": ["18", "20"]}),
           "S": parse_profile({"vWA": ["20", "20"]})}
    idx = build_index([FamilyRecord("R-1", ped, "C", gts)], load_frequencies("nist1036_us_asian"))
    assert [e["family"] for e in idx.set_aside] == ["R-1"]
    idx.save(path)


def test_report_page_shows_why_the_family_is_set_aside(as_user, tmp_path, monkeypatch):
    monkeypatch.setenv("REUNITE_INDEX_DIR", str(tmp_path / "ix"))
    c = as_user("inv")
    assert "report-set-aside" not in c.get("/reports/R-1").text   # no index yet: nothing to say
    _index_with_r1_set_aside(tmp_path / "ix")
    en = c.get("/reports/R-1?lang=en").text
    assert 'id="report-set-aside"' in en
    assert "Members F, S are inconsistent at vWA without a mutation model." in en
    zh = c.get("/reports/R-1?lang=zh").text
    assert "成员 F, S 在基因座 vWA 上不符合遗传规律" in zh
    assert "20" not in zh.split('id="report-set-aside"')[1].split("</div>")[0]   # labels, never alleles
    assert "report-set-aside" not in c.get("/reports/R-2?lang=en").text
