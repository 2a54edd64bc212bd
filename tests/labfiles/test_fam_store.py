"""``reunite import fam`` stores what the file holds: the family and the relatives' DNA, the person of
interest's genotypes as a found child's sample, and the file's frequency database, mutation model and theta
as the report's kinship settings; the LR of the case rebuilt from the store is the LR the file implies, and
``reunite export fam --report`` writes the persons, genotypes and frequencies back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from cases.helpers import snapshot
from reunite.cases.famimport import import_fam, stored_fam_case
from reunite.cases.labexport import export_report_fam
from reunite.cases.models import AuditEntry, DnaSample, FoundChild, ReportKinship, WrittenFile
from reunite.cli import main
from reunite.errors import InputError
from reunite.genetics import marker_key
from reunite.genetics.kinship import load_case, missing_person_lr
from reunite.labfiles import read_fam, write_fam
from shared_paths import SHARED

HERE = Path(__file__).parent
DUO = HERE / "duo.fam"
# Golden cases of ../shared/kinship-cases (LRs computed by the R pedsuite, independent of Reunite), one or two
# per relationship, with and without mutation models.
GOLDEN = ["K0005", "K0007", "K0023", "K0027", "K0041", "K0061", "K0077", "K0096", "K0117", "K0133"]


def _by_key(profile: dict[str, list[str]]) -> dict[str, list[str]]:
    return {marker_key(m): sorted(a) for m, a in profile.items()}


@pytest.mark.parametrize("name", GOLDEN)
def test_the_stored_case_gives_the_golden_lr(session, tmp_path, name):
    spec = json.loads((SHARED / "kinship-cases" / f"{name}.json").read_text())
    fam = tmp_path / f"{name}.fam"
    write_fam(load_case(spec), fam)
    import_fam(session, fam, report=f"R-{name}", lab="LAB1", create_report=True, user="ana")
    session.expire_all()
    got = missing_person_lr(stored_fam_case(session, f"R-{name}"))
    assert got.log10_lr == pytest.approx(spec["expected"]["log10_lr"], abs=1e-9)


def test_duo_stored_lr_is_the_files_lr_by_hand_and_by_kinship_lr(session, tmp_path, capsys):
    import_fam(session, DUO, report="R-9", lab="LAB1", create_report=True, user="ana")
    session.expire_all()
    stored = missing_person_lr(stored_fam_case(session, "R-9"))
    # By hand (duo.fam, D3S1358, no mutation there): F 15/16 is the person of interest, C 14/16 the typed
    # child, the mother untyped; p14 0.1, p16 0.4.  If F is C's father, C has F's 16 with probability 1/2
    # and its mother's 14 with p14: 0.05; if unrelated, 2 p14 p16 = 0.08; LR 0.05 / 0.08 = 0.625.
    assert stored.markers[0].marker == "D3S1358" and stored.markers[0].lr == pytest.approx(0.625, abs=1e-12)
    # The whole LR (TH01 under the file's extended stepwise model) against `reunite kinship lr` on the JSON
    # case that `reunite convert familias` writes from the same file.
    js = tmp_path / "duo.json"
    assert main(["convert", "familias", str(DUO), "--out", str(js)]) == 0
    capsys.readouterr()
    assert main(["kinship", "lr", str(js), "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[0])
    assert stored.log10_lr == pytest.approx(out["log10_lr"], abs=1e-12)
    # and the stored table is the file's database to the last bit
    kin = session.scalars(select(ReportKinship)).one()
    table = stored_fam_case(session, "R-9").frequencies
    assert (kin.frequencies, kin.theta) == ("fam:R-9:duo.fam", 0.0)
    assert table.markers["TH01"].alleles == ("6", "7", "9.3") and table.markers["TH01"].freqs.tolist() == [0.2, 0.3,
                                                                                                           0.5]
    assert kin.mutation_model["model"]["per_marker"]["TH01"]["male"] == {"model": "stepwise", "rate": 0.002,
                                                                          "rate2": 1e-06, "range": 0.1}


def test_the_person_of_interest_is_a_found_childs_sample(session):
    result = import_fam(session, DUO, report="R-9", lab="LAB1", create_report=True, user="ana")
    assert result.notes["found_case"] == "R-9-F" and any("found child R-9-F created" in r for r in result.remarks)
    child = session.scalars(select(FoundChild)).one()
    assert (child.case_number, child.sex, child.sample) == ("R-9-F", "male", "R-9-F")
    # duo.fam: F is 15/16 at D3S1358 (allele indices 1, 2) and 9.3/9.3 at TH01 (2, 2).
    poi = session.scalars(select(DnaSample).where(DnaSample.sample == "R-9-F")).one()
    assert (poi.lab, poi.genotypes) == ("LAB1", {"D3S1358": ["15", "16"], "TH01": ["9.3", "9.3"]})
    again = import_fam(session, DUO, report="R-9", lab="LAB1", user="ana")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)
    assert session.scalars(select(FoundChild)).one().id == child.id and len(session.scalars(
        select(ReportKinship)).all()) == 1
    # Another database in a new file of the same case: the report's settings follow the file.
    changed = DUO.with_name("x.fam")
    try:
        changed.write_text(DUO.read_text().replace('"6"\n0.2\n"7"\n0.3', '"6"\n0.25\n"7"\n0.25'))
        assert import_fam(session, changed, report="R-9", lab="LAB1", user="ana").updated == 1
    finally:
        changed.unlink()
    session.expire_all()
    assert stored_fam_case(session, "R-9").frequencies.markers["TH01"].freqs.tolist() == [0.25, 0.25, 0.5]


def test_export_fam_of_the_stored_case_gives_the_files_persons_genotypes_and_frequencies(session, tmp_path):
    import_fam(session, DUO, report="R-9", lab="LAB1", create_report=True, user="ana")
    out = tmp_path / "back.fam"
    done = export_report_fam(session, "R-9", out, user="ana")
    a, b = read_fam(DUO), read_fam(out)
    assert b.case["missing"] == a.case["missing"] == "F"
    assert {p["id"]: (p["father"], p["mother"], p["sex"]) for p in b.case["pedigree"]} == {
        p["id"]: (p["father"], p["mother"], p["sex"]) for p in a.case["pedigree"]}
    assert _by_key(b.case["found"]) == _by_key(a.case["found"])
    assert {k: _by_key(v) for k, v in b.case["genotypes"].items()} == {
        k: _by_key(v) for k, v in a.case["genotypes"].items()}
    assert b.case["frequencies"] == a.case["frequencies"]
    assert b.case["mutation"] == a.case["mutation"] and b.case["theta"] == a.case["theta"]
    assert done.log10_lr == pytest.approx(missing_person_lr(load_case(a.case)).log10_lr, abs=1e-12)
    assert session.scalars(select(WrittenFile).where(WrittenFile.table_name == "fam")).one().path == str(out.resolve())
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "export.fam")).one()
    assert json.loads(audit.details)["report"] == "R-9" and "15" not in audit.details
    with pytest.raises(InputError, match="no case imported from a Familias file"):
        export_report_fam(session, "R-1", tmp_path / "none.fam")


def test_a_found_case_that_holds_another_sample_refuses_the_file_whole(session, tmp_path):
    session.add(FoundChild(case_number="FC-1", sex="male", sample="OTHER"))
    session.commit()
    before = snapshot(session)
    with pytest.raises(InputError) as exc:
        import_fam(session, DUO, report="R-9", lab="LAB1", create_report=True, found_case="FC-1", user="ana")
    (p,) = exc.value.problems
    assert (p.file, p.field, p.code) == (str(DUO), "found_case", "fam_found_case_sample") and p.line
    # An unknown marker of the person of interest is named at its line (F's TH01 genotype: lines 15-17).
    bad = tmp_path / "bad.fam"
    bad.write_text(DUO.read_text().replace('"TH01"', '"D99S999"'))
    with pytest.raises(InputError) as exc:
        import_fam(session, bad, report="R-9", lab="LAB1", create_report=True, user="ana")
    assert sorted((x.line, x.field) for x in exc.value.problems) == [(15, "locus"), (33, "locus")]
    assert snapshot(session) == before
    # A stored found child without a sample takes the person of interest's.
    session.add(FoundChild(case_number="FC-2", sex="male"))
    session.commit()
    import_fam(session, DUO, report="R-9", lab="LAB1", create_report=True, found_case="FC-2", user="ana")
    session.expire_all()
    assert session.scalars(select(FoundChild).where(FoundChild.case_number == "FC-2")).one().sample == "R-9-F"


def test_the_commands(url, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("REUNITE_DATABASE_URL", url)
    monkeypatch.setenv("REUNITE_INDEX_DIR", str(tmp_path / "idx"))
    assert main(["import", "fam", str(DUO), "--report", "R-9", "--lab", "LAB1", "--create-report",
                 "--found-case", "FC-9", "--no-match"]) == 0
    cap = capsys.readouterr()
    assert "found case FC-9" in cap.out and "note: found child FC-9 created" in cap.err
    out = tmp_path / "r.fam"
    assert main(["export", "fam", "--report", "R-9", str(out)]) == 0
    want = missing_person_lr(load_case(read_fam(DUO).case)).log10_lr
    assert f"report R-9's case (log10 LR {want:.6f}) written to {out}" in capsys.readouterr().out
    assert main(["export", "fam", "--report", "R-0", str(out)]) == 2
