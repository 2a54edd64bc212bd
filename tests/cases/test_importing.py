"""Imports validate everything first, write all or nothing, and are idempotent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import select

from reunite.cases import (
    DnaSample,
    FoundChild,
    MissingReport,
    Relative,
    erase_sample,
    import_families,
    import_found,
    import_profiles,
    import_reports,
)
from reunite.cases.models import AuditEntry
from reunite.errors import InputError

from .helpers import snapshot, write


def import_all(session, files):
    return [
        import_found(session, files["found"], user="officer"),
        import_reports(session, files["reports"], user="officer"),
        import_profiles(session, files["profiles"], lab="Kunming lab", kit="GlobalFiler", user="analyst"),
        import_families(session, files["families"], user="officer"),
    ]


def problems(exc: pytest.ExceptionInfo) -> list[tuple]:
    return [(p.line, p.field) for p in exc.value.problems]


def test_import_everything(session, files):
    found, reports, profiles, families = import_all(session, files)
    assert (found.added, reports.added, profiles.added, families.added) == (3, 3, 3, 2)
    c1 = session.scalars(select(FoundChild).where(FoundChild.case_number == "KM-001")).one()
    assert (c1.sex, c1.age_months, c1.age_sd_months, c1.found_lat) == ("male", 8.0, 1.5, 25.04)
    assert c1.age_assessed_on == c1.found_on  # defaults to the day found
    assert c1.ring_reference == "KM-RING-2014" and c1.sample == "S-C1"
    r3 = session.scalars(select(MissingReport).where(MissingReport.report_number == "R-3")).one()
    assert r3.multiple_missing is True
    s = session.scalars(select(DnaSample).where(DnaSample.sample == "S-M1")).one()
    # Marker names folded, pairs sorted, an empty allele2 is a homozygote.
    assert s.genotypes == {"D3S1358": ["16", "17"], "VWA": ["18", "19"], "TH01": ["9.3", "9.3"]}
    assert (s.lab, s.kit, s.imported_by, s.marker_count) == ("Kunming lab", "GlobalFiler", "analyst", 3)
    c1s = session.scalars(select(DnaSample).where(DnaSample.sample == "S-C1")).one()
    assert c1s.genotypes["AMEL"] == ["X", "Y"]
    r1 = session.scalars(select(MissingReport).where(MissingReport.report_number == "R-1")).one()
    assert sorted((m.member_id, m.missing) for m in r1.pedigree) == [("C", True), ("F", False), ("M", False)]
    assert sorted((d.member_id, d.relation, d.consent_given) for d in r1.relatives) == [
        ("F", "father", None), ("M", "mother", None)]
    assert families.notes["samples_awaiting_profiles"] == 1  # S-M2
    assert families.notes["donors_without_recorded_consent"] == 3


def test_importing_the_same_files_twice_changes_nothing(session, files):
    import_all(session, files)
    before = snapshot(session)
    again = import_all(session, files)
    assert [(r.added, r.updated) for r in again] == [(0, 0)] * 4
    assert [r.unchanged for r in again] == [3, 3, 3, 2]
    assert snapshot(session) == before


def test_a_changed_row_updates_only_its_record(session, files, tmp_path):
    import_found(session, files["found"])
    changed = files["found"].read_text().replace("Kunming nursery,congenital", "Kunming hospital,congenital")
    res = import_found(session, write(tmp_path / "f2.csv", changed))
    assert (res.added, res.updated, res.unchanged) == (0, 1, 2)
    # A file without an optional column leaves that column as stored.
    res = import_found(session, write(tmp_path / "f3.csv", "case_number,sex\nKM-002,female\n"))
    assert res.unchanged == 1
    c2 = session.scalars(select(FoundChild).where(FoundChild.case_number == "KM-002")).one()
    assert c2.care_location == "Kunming hospital" and c2.health_conditions == "congenital glaucoma"


def test_every_problem_is_reported_with_file_line_and_field(session, tmp_path):
    bad = write(tmp_path / "found.csv", """\
        case_number,sex,age_months,found_on,found_lat,found_lon
        KM-1,boy,8,2014-02-20,25,102
        KM-2,male,-3,20/02/2014,25,
        ,female,8,2014-02-20,,
        KM-1,male,8,2099-01-01,,
        """)
    with pytest.raises(InputError) as exc:
        import_found(session, bad)
    assert all(p.file == str(bad) for p in exc.value.problems)
    assert set(problems(exc)) == {(2, "sex"), (3, "age_months"), (3, "found_on"), (3, "found_lon"),
                                  (4, "case_number"), (5, "case_number")}
    assert "found.csv, line 2, field 'sex': 'boy' is not a sex" in str(exc.value)


def test_unknown_and_missing_columns_are_refused(session, tmp_path):
    with pytest.raises(InputError) as exc:
        import_reports(session, write(tmp_path / "r.csv", "report,child_nme\nR-1,x\n"))
    msgs = str(exc.value)
    assert "column 'report_number' is missing" in msgs and "unknown column 'child_nme'" in msgs


def test_missing_file_and_wrong_field_count(session, tmp_path):
    with pytest.raises(InputError, match="file not found"):
        import_found(session, tmp_path / "nope.csv")
    with pytest.raises(InputError) as exc:
        import_found(session, write(tmp_path / "f.csv", "case_number,sex\nKM-1,male,extra\n"))
    assert problems(exc) == [(2, None)]


def test_a_failed_import_writes_nothing(session, files, tmp_path):
    import_found(session, files["found"])
    before = snapshot(session)
    audit_before = snapshot(session, "audit_log")
    # Two good rows (one new, one changed) and one bad row: nothing at all is written.
    bad = write(tmp_path / "found.csv", """\
        case_number,sex,care_location
        KM-004,male,Kunming nursery
        KM-001,male,somewhere else
        KM-005,robot,Kunming nursery
        """)
    with pytest.raises(InputError):
        import_found(session, bad)
    assert snapshot(session) == before
    assert snapshot(session, "audit_log") == audit_before


def test_profile_problems(session, tmp_path):
    bad = write(tmp_path / "profiles.csv", """\
        sample,marker,allele1,allele2
        S1,D3S1358,15,16
        S1,D3S1358,15,17
        S1,D99S999,1,2
        S1,vWA,17,9.30
        S1,Amelogenin,X,Z
        S2,TH01,,
        """)
    with pytest.raises(InputError) as exc:
        import_profiles(session, bad, lab="lab")
    assert problems(exc) == [(3, "marker"), (4, "marker"), (5, "allele2"), (6, "allele2"), (7, "allele1")]
    assert "mixture" in str(exc.value)
    with pytest.raises(InputError, match="lab"):
        import_profiles(session, bad, lab=" ")


def test_a_stored_profile_may_gain_markers_but_never_change(session, files, tmp_path):
    import_profiles(session, files["profiles"], lab="Kunming lab")
    more = write(tmp_path / "p2.csv", "sample,marker,allele1,allele2\nS-F1,FGA,21,22\nS-F1,vWA,17,17\n")
    res = import_profiles(session, more, lab="Kunming lab")
    assert (res.added, res.updated) == (0, 1)
    f1 = session.scalars(select(DnaSample).where(DnaSample.sample == "S-F1")).one()
    assert f1.marker_count == 4 and f1.genotypes["FGA"] == ["21", "22"]
    before = snapshot(session)
    conflict = write(tmp_path / "p3.csv", "sample,marker,allele1,allele2\nS-F1,vWA,17,18\nS-NEW,vWA,17,18\n")
    with pytest.raises(InputError) as exc:
        import_profiles(session, conflict, lab="Kunming lab")
    assert problems(exc) == [(2, "marker")]
    assert not any("17" in p.message or "18" in p.message for p in exc.value.problems)  # no genotypes
    with pytest.raises(InputError, match="another lab"):
        import_profiles(session, more, lab="Other lab")
    assert snapshot(session) == before


def test_an_erased_sample_cannot_come_back(session, files):
    import_profiles(session, files["profiles"], lab="Kunming lab")
    erase_sample(session, "S-F1", user="officer", reason="consent withdrawn by the relative")
    f1 = session.scalars(select(DnaSample).where(DnaSample.sample == "S-F1")).one()
    assert f1.erased and f1.genotypes == {}
    with pytest.raises(InputError, match="erased"):
        import_profiles(session, files["profiles"], lab="Kunming lab")


def test_family_problems(session, files, tmp_path):
    import_reports(session, files["reports"])
    bad = write(tmp_path / "families.csv", """\
        family,id,father,mother,sex,sample,missing
        R-1,F,,,female,S1,0
        R-1,M,,,female,S2,0
        R-1,C,F,M,male,,1
        R-2,A,,,male,,1
        R-2,B,,,male,,1
        R-9,X,,,male,,1
        R-3,P,,,male,S5,0
        R-3,Q,P,,male,S5,1
        R-2,A,,,male,,0
        """)
    with pytest.raises(InputError) as exc:
        import_families(session, bad)
    got = set(problems(exc))
    assert (4, "father") in got  # a female father
    assert (6, "missing") in got  # two missing members
    assert (7, "family") in got  # no such report
    assert (10, "id") in got  # duplicate id
    assert (9, "sample") in got  # missing child typed, and a sample used twice
    assert (9, "mother") in got  # only one parent
    assert session.scalars(select(Relative)).all() == []


def test_family_sex_must_agree_with_the_report_and_reports_can_be_created(session, tmp_path):
    fam = write(tmp_path / "families.csv", "family,id,father,mother,sex,sample,missing\n"
                                           "N-1,F,,,male,S1,0\nN-1,M,,,female,,0\nN-1,C,F,M,male,,1\n")
    with pytest.raises(InputError, match="not a stored report"):
        import_families(session, fam)
    res = import_families(session, fam, create_reports=True)
    assert res.added == 1
    rep = session.scalars(select(MissingReport).where(MissingReport.report_number == "N-1")).one()
    assert rep.sex == "male" and [d.relation for d in rep.relatives] == ["father"]
    wrong = write(tmp_path / "fam2.csv", fam.read_text().replace("C,F,M,male", "C,F,M,female"))
    with pytest.raises(InputError, match="missing member is female"):
        import_families(session, wrong)


def test_relations_and_consent_columns(session, tmp_path):
    write(tmp_path / "r.csv", "report_number\nG-1\n")
    import_reports(session, tmp_path / "r.csv")
    fam = write(tmp_path / "families.csv", """\
        family,id,father,mother,sex,sample,missing,consent,consent_scope
        G-1,GF,,,male,S-GF,0,1,missing-child search only
        G-1,GM,,,female,,0,,
        G-1,F,GF,GM,male,,0,,
        G-1,U,GF,GM,female,S-U,0,0,
        G-1,M,,,female,,0,,
        G-1,SIB,F,M,male,S-SIB,0,1,any
        G-1,C,F,M,female,,1,,
        """)
    res = import_families(session, fam)
    rep = session.scalars(select(MissingReport).where(MissingReport.report_number == "G-1")).one()
    got = {d.member_id: (d.relation, d.consent_given, d.consent_scope) for d in rep.relatives}
    assert got == {"GF": ("grandparent", True, "missing-child search only"), "U": ("aunt or uncle", False, None),
                   "SIB": ("full sibling", True, "any")}
    assert res.notes["donors_without_recorded_consent"] == 0
    # Re-importing without the consent columns keeps the recorded consent.
    plain = write(tmp_path / "plain.csv", "family,id,father,mother,sex,sample,missing\n" + "\n".join(
        ",".join(line.split(",")[:7]) for line in fam.read_text().splitlines()[1:]) + "\n")
    res = import_families(session, plain)
    assert res.unchanged == 1


def test_a_changed_pedigree_replaces_the_stored_one(session, files, tmp_path):
    import_reports(session, files["reports"])
    import_families(session, files["families"])
    changed = files["families"].read_text().replace("R-2,F2,,,male,,0", "R-2,F2,,,male,S-F2,0")
    res = import_families(session, write(tmp_path / "f2.csv", changed))
    assert (res.added, res.updated, res.unchanged) == (0, 1, 1)
    r2 = session.scalars(select(MissingReport).where(MissingReport.report_number == "R-2")).one()
    assert sorted(d.member_id for d in r2.relatives) == ["F2", "M2"]


def test_imports_are_audited_without_personal_data(session, files):
    import_all(session, files)
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["import.found_children", "import.missing_reports", "import.profiles",
                                           "import.families"]
    assert [e.actor for e in entries] == ["officer", "officer", "analyst", "officer"]
    text = " ".join(e.details for e in entries)
    assert '"added":3' in text
    for personal in ("Li Ming", "Wang", "Zhang", "9.3", "15", "mole", "glaucoma"):
        assert personal not in text


INTERRUPT = """
import sys, time
from reunite.cases import db, importing

real_audit = importing._audit

def audit_then_hang(session, user, result):
    real_audit(session, user, result)
    session.flush()
    print("written, not committed", flush=True)
    time.sleep(120)

importing._audit = audit_then_hang
with db.open_session() as s:
    importing.import_found(s, sys.argv[1])
"""


def test_an_interrupted_import_leaves_the_database_as_it_was(url, session, files, tmp_path):
    import_found(session, files["found"])
    before = snapshot(session)
    audit_before = snapshot(session, "audit_log")
    session.close()
    many = "case_number,sex,care_location\n" + "".join(f"KM-{i:04d},male,nursery\n" for i in range(10, 400))
    many += "KM-001,male,moved\n"
    path = write(tmp_path / "many.csv", many)
    env = {**os.environ, "REUNITE_DATABASE_URL": url}
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(INTERRUPT), str(path)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "written, not committed", proc.stderr.read()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert snapshot(session) == before
    assert snapshot(session, "audit_log") == audit_before
    # The store is usable afterwards (SQLite rolled back its journal, PostgreSQL the transaction).
    assert import_found(session, path).added == 390


def test_profiles_and_families_accept_extra_columns_as_the_search_does(session, files, tmp_path):
    import_reports(session, files["reports"])
    prof = write(tmp_path / "p.csv", "sample,marker,allele1,allele2,run\nS-X,vWA,17,18,plate 3\n")
    assert import_profiles(session, prof, lab="lab").added == 1
    text = files["families"].read_text().replace("\n", ",x\n").replace("missing,x", "missing,note", 1)
    fam = write(tmp_path / "f.csv", text)
    assert import_families(session, fam).added == 2


def test_the_documented_columns_are_the_imported_ones():
    from pathlib import Path

    from reunite.cases.importing import (
        FAMILY_COLUMNS,
        FOUND_COLUMNS,
        PROFILE_COLUMNS,
        REPORT_COLUMNS,
        SAMPLE_COLUMNS,
    )

    docs = (Path(__file__).resolve().parents[2] / "docs" / "formats.md").read_text()
    for col in FOUND_COLUMNS + REPORT_COLUMNS + SAMPLE_COLUMNS + ["consent", "consent_scope"]:
        assert f"`{col}`" in docs, col
    assert "`" + ",".join(PROFILE_COLUMNS) + "`" in docs and "`" + ",".join(FAMILY_COLUMNS) + "`" in docs
