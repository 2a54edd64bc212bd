"""A Familias case uploaded by a lab analyst (kind ``fam``, with the report it belongs to): the same job,
lock and status as every import; the family and its relatives' DNA stored; a bad file named by line."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from reunite.cases import db as store
from reunite.cases.models import DnaSample, FoundChild, ImportRun, MissingReport

DUO = Path(__file__).resolve().parents[1] / "labfiles" / "duo.fam"


def _post(who, data: dict, content: bytes, name: str = "case.fam"):
    return who.post("/api/v1/imports", data={"kind": "fam", **data}, files={"file": (name, content)},
                    headers={"X-CSRF-Token": who.csrf})


def test_a_familias_case_becomes_a_family_through_the_web(as_user, client, world):
    lab = as_user("lab")
    r = _post(lab, {"lab": "LAB9", "report": "R-9", "create_reports": "true"}, DUO.read_bytes())
    assert r.status_code == 202, r.text
    client.app.state.jobs.wait()
    st = lab.get(r.json()["status_url"]).json()
    assert st["status"] == "done" and st["counts"] == {"added": 1, "updated": 0, "unchanged": 0}
    assert "note: found child R-9-F created for the person of interest 'F'" in st["summary"]
    with Session(store.make_engine(world[0])) as s:
        rep = s.scalars(select(MissingReport).where(MissingReport.report_number == "R-9")).one()
        assert sorted((m.member_id, m.sample, m.missing) for m in rep.pedigree) == [
            ("C", "R-9-C", False), ("F", None, True), ("M", None, False)]
        assert s.scalars(select(DnaSample).where(DnaSample.sample == "R-9-C")).one().lab == "LAB9"
        assert s.scalars(select(ImportRun).where(ImportRun.kind == "fam")).one().outcome == "done"
    # A bad file: nothing stored, the problem at its line and field.
    bad = DUO.read_text().replace('"TH01"', '"D99S999"').encode()
    r = _post(lab, {"lab": "LAB9", "report": "R-10", "create_reports": "true"}, bad, "bad.fam")
    client.app.state.jobs.wait()
    st = lab.get(r.json()["status_url"]).json()
    assert st["status"] == "failed" and not st["stored"]
    assert [(p["file"], p["line"], p["field"]) for p in st["problems"]] == [("bad.fam", 15, "locus"),
                                                                            ("bad.fam", 33, "locus")]
    with Session(store.make_engine(world[0])) as s:
        assert s.scalars(select(MissingReport).where(MissingReport.report_number == "R-10")).first() is None


def test_a_familias_case_needs_its_report_and_a_lab_analyst(as_user):
    lab, inv = as_user("lab"), as_user("inv")
    r = _post(lab, {"lab": "LAB9"}, DUO.read_bytes())
    assert r.status_code == 400 and "needs the report number" in r.text
    assert _post(inv, {"lab": "LAB9", "report": "R-1"}, DUO.read_bytes()).status_code == 403
    en, zh = lab.get("/imports?lang=en").text, lab.get("/imports?lang=zh").text
    assert '<option value="fam">Familias case (.fam)</option>' in en and 'id="import-report"' in en
    assert "报告编号（仅用于 Familias 案例）" in zh


def test_the_found_case_of_the_person_of_interest_is_chosen_on_the_form(as_user, client, world):
    lab = as_user("lab")
    en, zh = lab.get("/imports?lang=en").text, lab.get("/imports?lang=zh").text
    assert 'id="import-found-case"' in en and "待查人员对应的被解救儿童案件编号" in zh
    r = _post(lab, {"lab": "LAB9", "report": "R-9", "create_reports": "true", "found_case": "FC-WEB-1"},
              DUO.read_bytes())
    client.app.state.jobs.wait()
    st = lab.get(r.json()["status_url"]).json()
    assert st["status"] == "done" and "found child FC-WEB-1 created" in st["summary"]
    with Session(store.make_engine(world[0])) as s:
        child = s.scalars(select(FoundChild).where(FoundChild.case_number == "FC-WEB-1")).one()
        assert child.sample == "R-9-F"
