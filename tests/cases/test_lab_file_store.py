"""Lab files straight into the store and out of it: ``import_lab_profiles`` (GeneMapper ID-X, CODIS CMF)
and ``export_cmf``, through the functions and through ``reunite import genemapper|cmf`` and
``reunite export cmf`` (both backends)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from reunite.cases import db as store
from reunite.cases.importing import import_lab_profiles
from reunite.cases.labexport import export_cmf
from reunite.cases.models import AuditEntry, DnaSample, ImportRun, WrittenFile
from reunite.cases.privacy import erase_everywhere
from reunite.cli import main
from reunite.errors import InputError
from reunite.labfiles import read_cmf, read_genemapper, validate_cmf

from .helpers import snapshot, write

LAB = Path(__file__).resolve().parents[1] / "labfiles"
GOOD, BAD, CMF = LAB / "genemapper_good.txt", LAB / "genemapper_bad.txt", LAB / "specimens.xml"


def _stored(session) -> dict[str, dict[str, list[str]]]:
    session.expire_all()
    return {s.sample: s.genotypes for s in session.scalars(select(DnaSample).order_by(DnaSample.sample))}


def _alleles(conv) -> dict[str, tuple[dict, tuple | None]]:
    """Each sample's genotypes and Amelogenin (the file's spelling of a marker and its order aside)."""
    return {s.sample: (dict(s.profile.genotypes), s.profile.amelogenin) for s in conv.samples}


def test_genemapper_into_the_store_out_as_cmf_and_back_equal(session, tmp_path):
    result = import_lab_profiles(session, GOOD, kind="genemapper", lab="LAB1", kit="GlobalFiler", user="ana")
    assert (result.added, result.updated, result.unchanged) == (2, 0, 0)
    assert any("DYS391" in r for r in result.remarks)          # the Y marker was read as a haplotype, and said so
    session.expire_all()
    assert session.scalars(select(DnaSample).where(DnaSample.sample == "S-C1")).one().y_haplotype == {"DYS391": "10"}
    # Hand-read from genemapper_good.txt: S-C1 vWA given once (17 -> 17/17), AMEL X,Y; D8S1179 uncalled.
    assert _stored(session)["S-C1"] == {"AMEL": ["X", "Y"], "D3S1358": ["15", "16"], "TH01": ["9.3", "9.3"],
                                        "VWA": ["17", "17"]}
    again = import_lab_profiles(session, GOOD, kind="genemapper", lab="LAB1", user="ana")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)  # idempotent
    out = tmp_path / "out" / "specimens.xml"
    assert export_cmf(session, out, source_lab="XX1", destination_ori="XX0", user="ana") == 2
    assert validate_cmf(out) == []        # the export validates against the CMF 3.2 schema
    assert _alleles(read_cmf(out)) == _alleles(read_genemapper(GOOD))
    assert read_cmf(out).source_lab == "XX1"
    row = session.scalars(select(WrittenFile).where(WrittenFile.table_name == "cmf")).one()
    assert (row.kind, row.path) == ("export", str(out.resolve()))
    actions = [a.action for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions.count("import.genemapper") == 2 and actions[-1] == "export.cmf"
    details = json.dumps([a.details for a in session.scalars(select(AuditEntry))])
    assert "15" not in details.replace("2015", "") and "9.3" not in details   # no genotype in the audit
    # A withdrawal of consent removes the export like every other.
    assert erase_everywhere(session, "R-none", index_dir=tmp_path / "idx").exports == 1 and not out.exists()


def test_a_bad_file_changes_nothing_and_names_line_sample_and_marker(session, tmp_path):
    import_lab_profiles(session, GOOD, kind="genemapper", lab="LAB1", user="ana")
    before = snapshot(session)
    with pytest.raises(InputError) as err:
        import_lab_profiles(session, BAD, kind="genemapper", lab="LAB1", user="ana")
    assert snapshot(session) == before
    found = {(p.line, p.field) for p in err.value.problems}
    assert {(2, "Allele 2"), (3, "Allele 3"), (4, "Allele 1"), (8, "Marker Name"), (9, "Sample Name")} <= found
    mixture = next(p for p in err.value.problems if p.line == 3)
    assert "sample 'S-X1', marker vWA" in str(mixture) and "mixture" in str(mixture)
    assert all(p.file == str(BAD) for p in err.value.problems)


def test_a_changed_genotype_is_refused_at_its_line(session, tmp_path):
    import_lab_profiles(session, GOOD, kind="genemapper", lab="LAB1", user="ana")
    changed = write(tmp_path / "g.txt", "Sample Name\tMarker\tAllele 1\tAllele 2\n"
                                        "S-M1\tTH01\t7\t9.3\nS-M1\tFGA\t22\t24\nS-M1\tvWA\t16\t18\n")
    before = snapshot(session)
    with pytest.raises(InputError) as err:
        import_lab_profiles(session, changed, kind="genemapper", lab="LAB1", user="ana")
    assert [(p.line, p.field) for p in err.value.problems] == [(4, "Marker")]
    assert "sample 'S-M1': marker vWA differs from the stored profile" in str(err.value)
    assert snapshot(session) == before
    with pytest.raises(InputError, match="typed by another lab"):
        import_lab_profiles(session, GOOD, kind="genemapper", lab="LAB2", user="ana")


def test_cmf_takes_its_lab_from_the_file_and_refuses_a_mixture(session, tmp_path):
    result = import_lab_profiles(session, CMF, kind="cmf", user="ana")
    assert result.added == 2 and result.notes["lab"] == "XX0000001"
    mix = write(tmp_path / "mix.xml", CMF.read_text().replace(
        "<ALLELE><ALLELEVALUE>16</ALLELEVALUE></ALLELE>",
        "<ALLELE><ALLELEVALUE>16</ALLELEVALUE></ALLELE><ALLELE><ALLELEVALUE>17</ALLELEVALUE></ALLELE>", 1))
    before = snapshot(session)
    with pytest.raises(InputError, match=r"specimen 'S-C1', locus D3S1358: 3 alleles.*mixture"):
        import_lab_profiles(session, mix, kind="cmf", lab="XX0000001", user="ana")
    assert snapshot(session) == before
    with pytest.raises(InputError, match="not a lab-file format"):
        import_lab_profiles(session, CMF, kind="fam", user="ana")


def test_export_names_every_sample_it_cannot_write(session, tmp_path):
    import_lab_profiles(session, GOOD, kind="genemapper", lab="LAB1", user="ana")
    out = tmp_path / "x.xml"
    with pytest.raises(InputError) as err:
        export_cmf(session, out, samples=["S-C1", "nope", "gone"], source_lab="", destination_ori="D")
    assert [p.field for p in err.value.problems] == ["source_lab"]
    with pytest.raises(InputError) as err:
        export_cmf(session, out, samples=["S-C1", "nope", "gone"], source_lab="L", destination_ori="D")
    assert ["'nope' is not stored" in str(err.value), "'gone' is not stored" in str(err.value)] == [True, True]
    assert not out.exists()


def test_the_commands(url, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("REUNITE_DATABASE_URL", url)
    monkeypatch.setenv("REUNITE_INDEX_DIR", str(tmp_path / "idx"))
    assert main(["import", "genemapper", str(GOOD), "--lab", "LAB1", "--user", "ana"]) == 0
    cap = capsys.readouterr()
    assert "genemapper from genemapper_good.txt: 2 added" in cap.out and "matching:" in cap.out
    assert "note: Y-STR haplotype read for 1 sample(s) at 1 locus/loci: DYS391" in cap.err
    assert main(["import", "genemapper", str(BAD), "--lab", "LAB1"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 7 and all(e.startswith(f"error: {BAD}, line ") for e in err)
    with store.open_session() as s:   # both imports are in the history of imports, under their kind
        runs = [(r.kind, r.outcome, r.added, r.problems) for r in s.scalars(select(ImportRun).order_by(ImportRun.id))]
    assert runs == [("genemapper", "done", 2, 0), ("genemapper", "failed", 0, 7)]
    out = tmp_path / "s.xml"
    assert main(["export", "cmf", "--out", str(out), "--samples", "S-M1", "--source-lab", "L",
                 "--destination-ori", "D"]) == 0
    assert "1 specimens written" in capsys.readouterr().out
    assert [s.sample for s in read_cmf(out).samples] == ["S-M1"]
    assert main(["export", "cmf", "--source-lab", "L", "--destination-ori", "D"]) == 2
    assert "give --out" in capsys.readouterr().err
    assert main(["import", "cmf", str(CMF)]) == 2       # the same sample codes, another lab (the file's)
    assert "typed by another lab" in capsys.readouterr().err


def test_a_nul_in_a_lab_file_is_refused_by_file_line_and_column(session, url, tmp_path, monkeypatch, capsys):
    """A NUL in a GeneMapper cell reached PostgreSQL and stopped the import on an unexpected DataError
    (`reunite import genemapper`; on the web 'the import failed unexpectedly'); on SQLite it was stored.
    It is refused like a NUL in a CSV import: file, line and column, never the value, nothing stored."""
    secret = "Li Ming"
    text = GOOD.read_text(encoding="utf-8").splitlines()
    cells = text[1].split("\t")
    cells[1] = cells[1] + "\x00" + secret
    bad = write(tmp_path / "nul.txt", "\n".join([text[0], "\t".join(cells), *text[2:]]) + "\n")
    with pytest.raises(InputError) as info:
        import_lab_profiles(session, bad, kind="genemapper", lab="LAB1", user="ana")
    [p] = info.value.problems
    assert (p.line, p.field, p.code) == (2, "Sample Name", "nul") and p.file.endswith("nul.txt")
    assert secret not in str(info.value)
    assert session.scalars(select(DnaSample)).first() is None
    session.rollback()   # (end the read: the command's write waits for it on SQLite)
    monkeypatch.setenv("REUNITE_DATABASE_URL", url)
    monkeypatch.setenv("REUNITE_INDEX_DIR", str(tmp_path / "idx"))
    capsys.readouterr()
    code = main(["import", "genemapper", str(bad), "--lab", "LAB1", "--no-match"])
    out, err = capsys.readouterr()
    assert code == 2, err
    assert "line 2" in err and "Sample Name" in err and "NUL" in err
    assert secret not in out + err and "Traceback" not in out + err and "unexpected" not in err
