"""Y-STR haplotypes in CODIS CMF files: read into the sample's Y haplotype, written back valid against the
schema, refused with every problem named (file, line, specimen, locus), all-or-nothing, through the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from cases.helpers import snapshot
from reunite.cases.importing import import_lab_profiles
from reunite.cases.labexport import export_cmf
from reunite.cases.models import DnaSample
from reunite.errors import InputError
from reunite.labfiles import cmf_text, read_cmf, read_genemapper, validate_cmf

HERE = Path(__file__).parent
GOOD, BAD = HERE / "specimens_ystr.xml", HERE / "specimens_ystr_bad.xml"
# Hand-read from specimens_ystr.xml: DYS385 written 19 then 13 is the set {13, 19}; DYF387S1 with one
# allele is that allele on both copies; DYS448 "null" a null allele; DYS385a 13 + DYS385b 20 join;
# DYS19 14 and 15 a duplication; Y-GATA-H4 folds to YGATAH4.
F1 = {"DYS19": "15", "DYS385": "13,19", "DYS389I": "13", "DYS389II": "29", "DYF387S1": "36,36", "YGATAH4": "11",
      "DYS448": "null"}
B1 = {"DYS19": "14,15", "DYS385": "13,20", "DYS391": "10"}


def test_cmf_y_loci_are_read_as_the_haplotype():
    r = read_cmf(GOOD)
    f1, b1 = r.samples
    assert (f1.sample, dict(f1.y_haplotype)) == ("S-F1", F1)
    assert dict(f1.profile.genotypes) == {"D3S1358": ("15", "16")} and f1.profile.amelogenin == ("X", "Y")
    assert (b1.sample, dict(b1.y_haplotype), len(b1.profile)) == ("S-B1", B1, 0)   # a Y-only specimen is kept
    assert r.notes == ["Y-STR haplotype read for 2 specimen(s) at 8 locus/loci: DYF387S1, DYS19, DYS385, "
                       "DYS389I, DYS389II, DYS391, DYS448, YGATAH4"]
    assert f1.lines["Y:DYS385"] == 17 and b1.lines["Y:DYS385"] == 28


def test_cmf_y_round_trip_is_valid_and_equal(tmp_path):
    samples = read_cmf(GOOD).samples
    text = cmf_text(samples, source_lab="XX1", destination_ori="XX0", user="analyst1", y_kit="Yfiler Plus")
    assert text.count("<LOCUSNAME>DYS385</LOCUSNAME>") == 2   # DYS385a/b written as one locus, two alleles
    assert text.count("<ALLELEVALUE>36</ALLELEVALUE>") == 2   # both copies of DYF387S1
    out = tmp_path / "y.xml"
    out.write_text(text, encoding="utf-8")
    assert validate_cmf(out) == []
    back = read_cmf(out).samples
    assert [(s.sample, dict(s.y_haplotype), dict(s.profile.genotypes)) for s in back] == [
        ("S-F1", F1, {"D3S1358": ("15", "16")}), ("S-B1", B1, {})]
    # A GeneMapper Yfiler Plus table goes through CMF unchanged too.
    gm = read_genemapper(HERE / "genemapper_yfiler.txt").samples
    out.write_text(cmf_text(gm, source_lab="XX1", destination_ori="XX0", user="a"), encoding="utf-8")
    assert {s.sample: dict(s.y_haplotype or {}) for s in read_cmf(out).samples} == {
        s.sample: dict(s.y_haplotype or {}) for s in gm}


def test_cmf_bad_y_data_is_refused_naming_line_specimen_and_locus():
    with pytest.raises(InputError) as exc:
        read_cmf(BAD)
    got = [(p.file, p.line, p.field, p.code, p.message.split(":")[0]) for p in exc.value.problems]
    b = str(BAD)
    assert got == [(b, 15, "ALLELEVALUE", "cmf_y_allele", "specimen 'S-F1', locus DYS385"),
                   (b, 16, "ALLELEVALUE", "cmf_y_allele", "specimen 'S-F1', locus DYS389I"),
                   (b, 17, "ALLELEVALUE", "off_ladder", "specimen 'S-F1', locus DYS391"),
                   (b, 18, "LOCUSNAME", "cmf_locus_twice", "specimen 'S-F1', locus DYS19"),
                   (b, 24, "LOCUSNAME", "cmf_locus_twice", "specimen 'S-B1', locus DYS385a"),
                   (b, 25, "ALLELEVALUE", "cmf_y_allele", "specimen 'S-B1', locus DYS448")], got
    assert "5 alleles" in exc.value.problems[0].message and "13.25" in exc.value.problems[1].message


def test_cmf_y_into_the_store_and_out(session, tmp_path):
    result = import_lab_profiles(session, GOOD, kind="cmf", user="ana")
    assert (result.added, result.notes["y_haplotypes"], result.notes["lab"]) == (2, 2, "XX0000001")
    session.expire_all()
    stored = {s.sample: s.y_haplotype for s in session.scalars(select(DnaSample).order_by(DnaSample.sample))}
    assert stored == {"S-B1": B1, "S-F1": F1}
    again = import_lab_profiles(session, GOOD, kind="cmf", user="ana")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    out = tmp_path / "out.xml"
    assert export_cmf(session, out, source_lab="XX1", destination_ori="XX0", user="ana") == 2   # S-B1: Y only
    assert validate_cmf(out) == []
    assert {s.sample: dict(s.y_haplotype) for s in read_cmf(out).samples} == {"S-F1": F1, "S-B1": B1}
    assert export_cmf(session, out, samples=["S-B1"], source_lab="XX1", destination_ori="XX0", user="ana") == 1


def test_cmf_bad_y_writes_nothing(session, tmp_path):
    import_lab_profiles(session, GOOD, kind="cmf", user="ana")
    before = snapshot(session)
    with pytest.raises(InputError):
        import_lab_profiles(session, BAD, kind="cmf", user="ana")
    assert snapshot(session) == before
    # A stored haplotype that differs is refused too, named by line, specimen and locus, and nothing changes.
    changed = tmp_path / "changed.xml"
    changed.write_text(GOOD.read_text().replace("<ALLELEVALUE>29</ALLELEVALUE>", "<ALLELEVALUE>30</ALLELEVALUE>")
                       .replace("<ALLELEVALUE>15</ALLELEVALUE><ALLELEVALUE>16", "<ALLELEVALUE>15</ALLELEVALUE>"
                                "<ALLELEVALUE>16"), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        import_lab_profiles(session, changed, kind="cmf", user="ana")
    (p,) = exc.value.problems
    assert (p.line, p.field) == (19, "LOCUSNAME") and "S-F1" in p.message and "DYS389II" in p.message
    assert snapshot(session) == before
