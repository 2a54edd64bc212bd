"""reunite convert end to end: lab files in, Reunite's files out, errors with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.shared_paths import SHARED

from reunite.cli import main

HERE = Path(__file__).parent


def test_convert_genemapper(tmp_path, capsys):
    out = tmp_path / "profiles.csv"
    assert main(["convert", "genemapper", str(HERE / "genemapper_good.txt"), "--out", str(out)]) == 0
    cap = capsys.readouterr()
    assert "2 samples, 9 rows written to" in cap.out   # DYS391 is written as a Y-STR row
    assert "note: Y-STR haplotype read for 1 sample(s) at 1 locus/loci: DYS391" in cap.err
    assert out.read_text().splitlines()[1] == "S-C1,D3S1358,15,16"


def test_convert_genemapper_errors_write_nothing(tmp_path, capsys):
    out = tmp_path / "profiles.csv"
    assert main(["convert", "genemapper", str(HERE / "genemapper_bad.txt"), "--out", str(out)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 7 and all(e.startswith(f"error: {HERE / 'genemapper_bad.txt'}, line ") for e in err)
    assert not out.exists() and not list(tmp_path.iterdir())
    assert main(["convert", "genemapper", str(tmp_path / "absent.txt"), "--out", str(out)]) == 2
    assert "cannot read the file" in capsys.readouterr().err


def test_convert_cmf_both_ways(tmp_path, capsys):
    csv = tmp_path / "p.csv"
    assert main(["convert", "cmf", str(HERE / "specimens.xml"), "--out", str(csv)]) == 0
    assert "2 samples, 5 rows" in capsys.readouterr().out   # S-C1's DYS391 a Y-STR row
    xml = tmp_path / "out.xml"
    assert main(["convert", "to-cmf", str(csv), "--out", str(xml), "--source-lab", "XX1", "--destination-ori",
                 "XX0", "--kit", "GlobalFiler"]) == 0
    assert "2 specimens written" in capsys.readouterr().out
    csv2 = tmp_path / "p2.csv"
    assert main(["convert", "cmf", str(xml), "--out", str(csv2)]) == 0
    assert csv2.read_text() == csv.read_text()


def test_convert_familias_both_ways_and_the_lr(tmp_path, capsys):
    fam = tmp_path / "k.fam"
    case = SHARED / "kinship-cases" / "K0005.json"
    assert main(["convert", "to-familias", str(case), "--out", str(fam)]) == 0
    assert "Familias file written" in capsys.readouterr().out
    out = tmp_path / "k.json"
    assert main(["convert", "familias", str(fam), "--out", str(out)]) == 0
    assert "found person 'POI'" in capsys.readouterr().out
    assert main(["kinship", "lr", str(out), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["log10_lr"] == pytest.approx(json.loads(case.read_text())["expected"]["log10_lr"], abs=1e-9)
    assert main(["convert", "familias", str(HERE / "duo.fam"), "--out", str(out), "--h1", "nope"]) == 2
    assert "no pedigree is named 'nope'" in capsys.readouterr().err


def test_convert_to_pedtools(tmp_path, capsys):
    out = tmp_path / "ped"
    assert main(["convert", "to-pedtools", str(SHARED / "kinship-cases" / "K0001.json"), "--out", str(out)]) == 0
    assert "Rscript lr.R" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["frequencies.txt", "lr.R", "ped.tsv", "reunite.json"]
    ped = (out / "ped.tsv").read_text().splitlines()
    assert ped[0].startswith("id\tfid\tmid\tsex\tD3S1358") and ped[3].startswith("POI\tREF\tU1\t2\t15/16")


def test_convert_help_is_the_documentation(capsys):
    assert main(["convert", "--help"]) == 0
    out = capsys.readouterr().out
    for sub in ("genemapper", "cmf", "familias", "to-familias", "to-pedtools", "to-cmf"):
        assert sub in out


def test_convert_errors_write_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.fam"
    bad.write_text((HERE / "duo.fam").read_text().replace('"Known relations"', '"Unknown"'))
    out = tmp_path / "out"
    assert main(["convert", "familias", str(bad), "--out", str(out / "c.json")]) == 2
    assert f"error: {bad}, line 36: expected the line \"Known relations\"" in capsys.readouterr().err
    case = json.loads((SHARED / "kinship-cases" / "K0001.json").read_text())
    case["mutation"] = {"model": "onestep", "rate": 0.001}
    cj = tmp_path / "onestep.json"
    cj.write_text(json.dumps(case))
    assert main(["convert", "to-familias", str(cj), "--out", str(out / "c.fam")]) == 2
    assert "no Familias equivalent" in capsys.readouterr().err
    xml = tmp_path / "mix.xml"
    xml.write_text('<CODISImportFile xmlns="urn:CODISImportFile-schema"><SPECIMEN><SPECIMENID>A</SPECIMENID>'
                   '<LOCUS><LOCUSNAME>FGA</LOCUSNAME>'
                   + "".join(f"<ALLELE><ALLELEVALUE>{a}</ALLELEVALUE></ALLELE>" for a in (20, 21, 22))
                   + "</LOCUS></SPECIMEN></CODISImportFile>")
    assert main(["convert", "cmf", str(xml), "--out", str(out / "p.csv")]) == 2
    err = capsys.readouterr().err
    assert "possible mixture" in err and "(CMF 3.2 schema)" in err     # both checks, every problem
    assert main(["convert", "cmf", str(xml), "--out", str(out / "p.csv"), "--lenient"]) == 2
    err = capsys.readouterr().err
    assert "possible mixture" in err and "(CMF 3.2 schema)" not in err
    assert main(["convert", "to-cmf", str(bad), "--out", str(out / "x.xml"), "--source-lab", "A",
                 "--destination-ori", "B"]) == 2
    assert not out.exists()
