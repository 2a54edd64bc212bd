"""mtDNA haplotypes from an EMPOP table (``reunite import mt``): read with every problem named (file, line,
field, sample) and said in Chinese, stored in the sample's mtDNA column exactly as the profiles CSV's mtDNA
rows store it, all-or-nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from cases.helpers import snapshot
from reunite.cases.importing import import_lab_profiles, import_profiles
from reunite.cases.models import DnaSample, ImportRun
from reunite.cli import main
from reunite.errors import InputError
from reunite.labfiles import read_emp
from reunite.web.i18n import problem_words

HERE = Path(__file__).parent
GOOD, BAD, TABLE = HERE / "empop_good.emp", HERE / "empop_bad.emp", HERE / "empop_table.csv"
HV = "16024-16365 73-340"
CR = "16024-16569 1-576"    # EMPOP's 16024-576, through the origin
# Hand-read from empop_good.emp (249DEL is written 249d, as Reunite writes a deletion).
WANT = {
    "R1-M1": {"range": HV, "variants": "16223T 16362C 73G 263G 315.1C"},
    "R1-B1": {"range": HV, "variants": "16223T 16362C 73G 263G 309.1C 315.1C"},
    "R2-M2": {"range": HV, "variants": "263G 315.1C"},
    "R3-GM": {"range": CR, "variants": "16189C 16217C 16519C 73G 249d 263G 315.1C 499A"},
    "R3-M3": {"range": CR, "variants": "16189Y 16217C 16519C 73G 249d 263G 315.1C 499A"},
}


def test_an_emp_file_is_read_range_by_range():
    r = read_emp(GOOD)
    assert {s.sample: dict(s.mt_sequence) for s in r.samples} == WANT
    assert [s.lines["mtDNA"] for s in r.samples] == [5, 6, 7, 9, 10]
    assert all(len(s.profile) == 0 and s.y_haplotype is None for s in r.samples)
    assert r.notes == ["mtDNA sequence read for 5 sample(s)"]


def test_a_sample_range_haplotype_table_reads_the_same():
    r = read_emp(TABLE)
    assert {s.sample: dict(s.mt_sequence) for s in r.samples} == {k: WANT[k] for k in ("R1-M1", "R2-M2", "R3-GM")}
    assert "1 sample(s) without a range read as HVS-I and HVS-II" in r.notes[1]


def test_every_problem_is_named_and_said_in_both_languages():
    with pytest.raises(InputError) as exc:
        read_emp(BAD)
    got = [(p.file, p.line, p.field, p.code, p.params.get("sample")) for p in exc.value.problems]
    b = str(BAD)
    assert got == [(b, 3, "range", "mt_no_range", None),
                   (b, 6, "sample", "mt_sample_empty", None),
                   (b, 7, "count", "mt_count", "R1-B1"),
                   (b, 8, "count", "mt_row_short", "R1-C1"),
                   (b, 9, "variants", "mt_variants", "R1-D1"),    # 16223Q: not a base
                   (b, 9, "variants", "mt_variants_outside", "R1-D1"),    # 400A: outside the range
                   (b, 10, "sample", "mt_sample_twice", "R1-M1"),
                   (b, 11, "range", "mt_range", None)], got
    assert "'16223Q'" in exc.value.problems[4].message and "outside" in exc.value.problems[5].message
    for p in exc.value.problems:
        assert problem_words(p, "zh"), p.code
    assert "第 5 行" in problem_words(exc.value.problems[6], "zh")


def test_empty_files_are_refused(tmp_path):
    for text in ("", "# only a comment\n", "Title\nGeography\n#! 16024-16365 73-340\n"):
        p = tmp_path / "e.emp"
        p.write_text(text)
        with pytest.raises(InputError) as exc:
            read_emp(p)
        assert [x.code for x in exc.value.problems] == ["mt_empty"]


def test_stored_as_the_profiles_csv_stores_it(session, tmp_path):
    result = import_lab_profiles(session, GOOD, kind="mt", lab="LAB1", user="ana")
    assert (result.added, result.notes["mt_sequences"]) == (5, 5)
    session.expire_all()
    stored = {s.sample: s.mt_sequence for s in session.scalars(select(DnaSample))}
    assert stored == WANT
    # The profiles CSV's mtDNA row of the same sequence stores the same value.
    csv = tmp_path / "p.csv"
    csv.write_text("sample,marker,allele1,allele2,mt_range,mt_variants\n"
                   "CSV-1,mtDNA,,,16024-16569 1-576,16189C 16217C 16519C 73G 249DEL 263G 315.1C 499A\n")
    import_profiles(session, csv, lab="LAB1", user="ana")
    session.expire_all()
    assert session.scalars(select(DnaSample).where(DnaSample.sample == "CSV-1")).one().mt_sequence == WANT["R3-GM"]
    again = import_lab_profiles(session, GOOD, kind="mt", lab="LAB1", user="ana")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)


def test_nothing_is_written_when_anything_is_wrong(session, tmp_path):
    import_lab_profiles(session, GOOD, kind="mt", lab="LAB1", user="ana")
    before = snapshot(session)
    with pytest.raises(InputError):
        import_lab_profiles(session, BAD, kind="mt", lab="LAB1", user="ana")
    # One sequence that differs from the stored one, one sample of another lab, one new sample: refused whole.
    changed = tmp_path / "c.emp"
    changed.write_text(GOOD.read_text().replace("R2-M2\tH\t1\t263G", "R2-M2\tH\t1\t16111T\t263G")
                       + "R9-NEW\t?\t1\t263G\n")
    with pytest.raises(InputError) as exc:
        import_lab_profiles(session, changed, kind="mt", lab="LAB1", user="ana")
    (p,) = exc.value.problems
    assert (p.line, p.field, p.code, p.params) == (7, "variants", "mt_differs", {"sample": "R2-M2"})
    with pytest.raises(InputError) as exc:
        import_lab_profiles(session, GOOD, kind="mt", lab="LAB2", user="ana")
    assert {p.code for p in exc.value.problems} == {"sample_other_lab"}
    assert snapshot(session) == before


def test_the_command(url, monkeypatch, capsys, tmp_path):
    from reunite.cases import db as store

    monkeypatch.setenv("REUNITE_DATABASE_URL", url)
    monkeypatch.setenv("REUNITE_INDEX_DIR", str(tmp_path / "idx"))
    assert main(["import", "mt", str(GOOD), "--lab", "LAB1", "--user", "ana", "--no-match"]) == 0
    cap = capsys.readouterr()
    assert "mt from empop_good.emp: 5 added" in cap.out and "note: mtDNA sequence read for 5 sample(s)" in cap.err
    assert main(["import", "mt", str(BAD), "--lab", "LAB1", "--no-match"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 8 and all(e.startswith(f"error: {BAD}, line ") for e in err), err
    assert f"error: {BAD}, line 7, field 'count': sample 'R1-B1': column C is '2'" in err[2]
    with store.open_session() as s:
        runs = [(r.kind, r.outcome, r.added, r.problems) for r in s.scalars(select(ImportRun).order_by(ImportRun.id))]
    assert runs == [("mt", "done", 5, 0), ("mt", "failed", 0, 8)]
