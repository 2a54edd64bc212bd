"""reunite.labfiles: GeneMapper, CMF, Familias and pedtools files, read and written, by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.shared_paths import SHARED

from reunite.errors import InputError
from reunite.genetics import load_case, missing_person_lr
from reunite.labfiles import (
    SampleProfile,
    cmf_text,
    fam_text,
    pedtools_files,
    read_cmf,
    read_fam,
    read_genemapper,
    read_profiles_csv,
    validate_cmf,
    write_cmf,
    write_fam,
    write_profiles_csv,
)

HERE = Path(__file__).parent


def problems(exc: pytest.ExceptionInfo) -> list[str]:
    return [str(p) for p in exc.value.problems]


# --- GeneMapper ---------------------------------------------------------------------------------

def test_genemapper_good_file():
    r = read_genemapper(HERE / "genemapper_good.txt")
    c1, m1 = r.samples
    assert c1.sample == "S-C1" and m1.sample == "S-M1"
    assert dict(c1.profile.genotypes) == {"D3S1358": ("15", "16"), "VWA": ("17", "17"), "TH01": ("9.3", "9.3")}
    assert c1.profile.amelogenin == ("X", "Y") and m1.profile.amelogenin == ("X", "X")
    # THO1 and VWA are folded; a homozygote given once is doubled.
    assert dict(m1.profile.genotypes) == {"D3S1358": ("14", "15"), "VWA": ("16", "17"), "TH01": ("7", "9.3")}
    # DYS391 (a Y-STR of the autosomal kit) is S-C1's Y-STR haplotype, not a profile marker.
    assert c1.y_haplotype == {"DYS391": "10"} and m1.y_haplotype is None
    notes = " | ".join(r.notes)
    assert "DYS391" in notes and "1 sample-marker row(s) with no allele called" in notes
    assert "Check" in notes and "line 4" in notes


def test_genemapper_every_problem_is_named():
    with pytest.raises(InputError) as exc:
        read_genemapper(HERE / "genemapper_bad.txt")
    got = problems(exc)
    f = str(HERE / "genemapper_bad.txt")
    assert len(got) == 7
    assert got[0].startswith(f"{f}, line 2, field 'Allele 2': sample 'S-X1', marker D3S1358: allele 'OL' is off-ladder")
    assert "line 3, field 'Allele 3': sample 'S-X1', marker vWA: 3 different alleles" in got[1]
    assert "possible mixture or contamination" in got[1]
    assert "line 4" in got[2] and "'9.30' has more than one decimal" in got[2]
    assert "line 5, field 'Sample Quality'" in got[3] and "'Low Quality'" in got[3]
    assert "line 6" in got[4] and "'D99S999' is not a marker Reunite knows" in got[4]
    assert "line 8" in got[5] and "also on line 7" in got[5]
    assert "line 9, field 'Sample Name': the sample name is empty" in got[6]


def _gm(tmp_path, rows: list[str], header="Sample Name\tMarker\tAllele 1\tAllele 2\tAllele 3") -> Path:
    p = tmp_path / "gm.txt"
    p.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return p


def test_genemapper_mixture_refused_but_a_repeated_allele_is_a_homozygote(tmp_path):
    with pytest.raises(InputError) as exc:
        read_genemapper(_gm(tmp_path, ["A\tFGA\t20\t22\t24"]))
    assert "possible mixture" in problems(exc)[0]
    r = read_genemapper(_gm(tmp_path, ["A\tFGA\t20\t20\t", "A\tAMEL\tX\tX\t"]))
    assert r.samples[0].profile.genotypes["FGA"] == ("20", "20")
    with pytest.raises(InputError) as exc:
        read_genemapper(_gm(tmp_path, ["A\tAMEL\tX\tY\tZ"]))
    assert "Amelogenin" in problems(exc)[0]


def test_genemapper_header_and_unknown_markers(tmp_path):
    with pytest.raises(InputError) as exc:
        read_genemapper(_gm(tmp_path, ["A\tFGA\t20"], header="Name\tLocus\tA1"))
    got = problems(exc)
    assert any("'Sample Name'" in g for g in got) and any("'Marker'" in g for g in got)
    assert any("'Allele 1'" in g for g in got)
    r = read_genemapper(_gm(tmp_path, ["A\tFGA\t20\t21", "A\tD99S1\t1\t2"]), skip_unknown_markers=True)
    assert list(r.samples[0].profile.genotypes) == ["FGA"] and "D99S1" in r.notes[0]
    with pytest.raises(InputError):
        read_genemapper(_gm(tmp_path, []))


def test_genemapper_gb18030_sample_names(tmp_path):
    p = tmp_path / "gm.txt"
    p.write_bytes("Sample Name\tMarker\tAllele 1\tAllele 2\n昆明-1\tFGA\t20\t21\n".encode("gb18030"))
    assert read_genemapper(p).samples[0].sample == "昆明-1"


def test_profiles_csv_written_and_read_back(tmp_path):
    r = read_genemapper(HERE / "genemapper_good.txt")
    out = tmp_path / "profiles.csv"
    assert write_profiles_csv(r.samples, out) == 9     # 8 autosomal and Amelogenin rows, S-C1's DYS391
    lines = out.read_text().splitlines()
    assert lines[0] == "sample,marker,allele1,allele2"
    assert "S-C1,vWA,17,17" in lines and "S-C1,Amelogenin,X,Y" in lines and "S-M1,TH01,7,9.3" in lines
    back = read_profiles_csv(out)
    assert [(s.sample, s.profile.genotypes, s.profile.amelogenin, s.y_haplotype) for s in back] == [
        (s.sample, s.profile.genotypes, s.profile.amelogenin, s.y_haplotype) for s in r.samples]
    # the store's reader accepts it
    from reunite.search.io import read_profiles

    assert set(read_profiles(out)) == {"S-C1", "S-M1"}


def test_profiles_csv_problems(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("sample,marker,allele1,allele2\nA,FGA,20,21\nA,FGA,22,\n,vWA,1,2\nB,TH01,,\nB,TH01x,OL,1\n")
    with pytest.raises(InputError) as exc:
        read_profiles_csv(p)
    got = problems(exc)
    assert "line 3" in got[0] and "also on line 2" in got[0]
    assert "line 4" in got[1] and "line 5" in got[2] and "line 6" in got[3]


# --- CMF ----------------------------------------------------------------------------------------

def test_cmf_good_file():
    r = read_cmf(HERE / "specimens.xml")
    c1, m1 = r.samples
    assert c1.sample == "S-C1" and dict(c1.profile.genotypes) == {"D3S1358": ("15", "16"), "TH01": ("9.3", "9.3")}
    assert c1.profile.amelogenin == ("X", "Y")
    assert m1.sample == "S-M1" and dict(m1.profile.genotypes) == {"VWA": ("16", "17")}
    assert "DYS391" in r.notes[0] and c1.y_haplotype == {"DYS391": "10"}   # a Y-STR: S-C1's haplotype
    assert validate_cmf(HERE / "specimens.xml") == []
    assert dict(c1.lines) == {"D3S1358": 15, "TH01": 22, "AMEL": 28, "Y:DYS391": 35}   # the LOCUS elements' lines


def test_cmf_lenient_reading_takes_attributes_and_no_namespace():
    lenient = HERE / "specimens_lenient.xml"
    with pytest.raises(InputError) as exc:
        read_cmf(lenient)            # READINGBY as an attribute, ALLELEVALUE as an attribute: not CMF 3.2
    got = problems(exc)
    assert f"{lenient}, line 14, field 'LOCUS': specimen 'S-C1', locus D3S1358: Element 'LOCUS', attribute " \
           "'READINGBY': The attribute 'READINGBY' is not allowed. (CMF 3.2 schema)" in got
    assert any(p.startswith(f"{lenient}, line 38, field 'ALLELE': specimen 'S-M1', locus VWA:") for p in got)
    r = read_cmf(lenient, validate=False)
    assert [s.sample for s in r.samples] == ["S-C1", "S-M1"] and dict(r.samples[1].profile.genotypes) == {
        "VWA": ("16", "17")}   # attribute form
    assert [(s.sample, s.profile.genotypes) for s in r.samples] == [
        (s.sample, s.profile.genotypes) for s in read_cmf(HERE / "specimens.xml").samples]


def test_cmf_schema_problems_name_line_specimen_and_locus(tmp_path):
    good = (HERE / "specimens.xml").read_text()
    p = tmp_path / "bad.xml"
    # A sample code longer than CMF's 24 characters, a date that is not a date, a mixture (Reunite's check).
    p.write_text(good.replace("<SPECIMENID>S-M1</SPECIMENID>", f"<SPECIMENID>{'M' * 25}</SPECIMENID>")
                 .replace("<READINGDATETIME>2014-03-01T09:00:00</READINGDATETIME>\n      <ALLELE><ALLELEVALUE>9.3",
                          "<READINGDATETIME>yesterday</READINGDATETIME>\n      <ALLELE><ALLELEVALUE>9.3")
                 .replace("<ALLELE><ALLELEVALUE>17</ALLELEVALUE></ALLELE>",
                          "<ALLELE><ALLELEVALUE>17</ALLELEVALUE></ALLELE><ALLELE><ALLELEVALUE>18</ALLELEVALUE></ALLELE>"))
    with pytest.raises(InputError) as exc:
        read_cmf(p)
    got = [(x.line, x.field, x.message.split(":")[0]) for x in exc.value.problems]
    assert got == [(25, "READINGDATETIME", "specimen 'S-C1', locus TH01"),
                   (43, "SPECIMENID", f"specimen '{'M' * 25}'"),
                   (45, "ALLELE", f"specimen '{'M' * 25}', locus VWA")], got
    assert "'yesterday' is not a valid value of the atomic type 'xs:dateTime'" in exc.value.problems[0].message
    assert "3 alleles" in exc.value.problems[2].message
    assert validate_cmf(p) == exc.value.problems[:2]
    # A header element missing: named at the element found in its place (libxml2 then stops checking
    # the rest of that element's content).
    p.write_text(good.replace("  <MESSAGETYPE>Import</MESSAGETYPE>\n", ""))
    assert [(x.line, x.field) for x in validate_cmf(p)] == [(6, "DESTINATIONORI")]
    assert "Expected is ( MESSAGETYPE )" in validate_cmf(p)[0].message
    p.write_text(good.replace('<CODISImportFile xmlns="urn:CODISImportFile-schema">', "<CODISImportFile>"))
    with pytest.raises(InputError, match="not in the CMF namespace"):
        read_cmf(p)
    assert len(read_cmf(p, validate=False).samples) == 2


def test_cmf_round_trip(tmp_path):
    samples = read_genemapper(HERE / "genemapper_good.txt").samples
    text = cmf_text(samples, source_lab="XX0000001", destination_ori="XX0000000", user="analyst1", kit="GlobalFiler")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert '<CODISImportFile xmlns="urn:CODISImportFile-schema">' in text
    assert "<SPECIMENID>S-C1</SPECIMENID>" in text and "<LOCUSNAME>AMEL</LOCUSNAME>" in text
    assert "<READINGBY>analyst1</READINGBY>" in text and 'KIT="GlobalFiler"' in text
    assert text.count("<ALLELEVALUE>17</ALLELEVALUE>") == 2  # vWA 17/17 once in S-C1, 16/17 in S-M1
    p = tmp_path / "out.xml"
    p.write_text(text, encoding="utf-8")
    assert validate_cmf(p) == []          # what is written validates against the schema
    back = read_cmf(p).samples
    assert [(s.sample, s.profile.genotypes, s.profile.amelogenin) for s in back] == [
        (s.sample, s.profile.genotypes, s.profile.amelogenin) for s in samples]


def test_cmf_writer_refuses_what_cmf_cannot_hold(tmp_path):
    samples = read_genemapper(HERE / "genemapper_good.txt").samples
    with pytest.raises(InputError) as exc:
        cmf_text(samples, source_lab="XX00000011", destination_ori="", user="")
    assert [(x.field, x.message) for x in exc.value.problems] == [
        ("destination_ori", "DESTINATIONORI is required (give destination ori)"),
        ("user", "SUBMITBYUSERID and READINGBY is required (give user)")]
    long = [SampleProfile("S" * 25, samples[0].profile)]
    with pytest.raises(InputError) as exc:
        write_cmf(long, tmp_path / "x.xml", source_lab="L", destination_ori="D", user="u")
    assert f"specimen '{'S' * 25}'" in str(exc.value) and "SPECIMENID" in str(exc.value)
    assert not (tmp_path / "x.xml").exists()
    with pytest.raises(InputError, match="at most 10 characters; source lab has 11"):
        cmf_text(samples, source_lab="X" * 11, destination_ori="D", user="u")


def test_cmf_problems(tmp_path):
    def cmf(body: str) -> Path:
        p = tmp_path / "c.xml"
        p.write_text(f'<CODISImportFile xmlns="urn:CODISImportFile-schema">{body}</CODISImportFile>')
        return p

    loc = "<LOCUS><LOCUSNAME>{}</LOCUSNAME>{}</LOCUS>"
    als = "".join
    a = "<ALLELE><ALLELEVALUE>{}</ALLELEVALUE></ALLELE>".format
    body = ("<SPECIMEN><SPECIMENID>A</SPECIMENID>"
            + loc.format("FGA", als([a("20"), a("21"), a("22")]))
            + loc.format("TH01", als([a(">10")]))
            + loc.format("D3S1358", als([a("15")])) + loc.format("D3S1358", als([a("16")]))
            + "</SPECIMEN><SPECIMEN>" + loc.format("FGA", a("20")) + "</SPECIMEN>")
    for validate in (True, False):
        with pytest.raises(InputError) as exc:
            read_cmf(cmf(body), validate=validate)
        got = " | ".join(problems(exc))
        assert "locus FGA: 3 alleles" in got and "possible mixture" in got
        assert "'>10' is off-ladder" in got and "given twice" in got and "has no SPECIMENID" in got
        assert all(x.line == 1 for x in exc.value.problems)
    p = tmp_path / "d.xml"
    p.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><CODISImportFile/>')
    with pytest.raises(InputError, match="document type"):
        read_cmf(p)
    p.write_text('<?xml version="1.0"?>\n<!DOCTYPE x SYSTEM "file:///etc/passwd"><CODISImportFile/>')
    with pytest.raises(InputError, match="document type"):
        read_cmf(p, validate=False)
    p.write_text("<Other/>")
    with pytest.raises(InputError, match="not <CODISImportFile>"):
        read_cmf(p)
    p.write_text("<CODISImportFile>\n<SPECIMEN>")
    with pytest.raises(InputError, match="not well-formed") as exc:
        read_cmf(p)
    assert exc.value.problems[0].line == 2


# --- Familias -----------------------------------------------------------------------------------

def test_familias_hand_written_duo():
    fc = read_fam(HERE / "duo.fam")
    c = fc.case
    assert c["missing"] == "F" and fc.notes == [] and fc.pedigrees == ["H1", "H2"]
    assert c["pedigree"] == [{"id": "F", "father": None, "mother": None, "sex": "male"},
                             {"id": "M", "father": None, "mother": None, "sex": "female"},
                             {"id": "C", "father": "F", "mother": "M", "sex": "female"}]
    assert c["found"] == {"D3S1358": ["15", "16"], "TH01": ["9.3", "9.3"]}
    assert c["genotypes"] == {"C": {"D3S1358": ["14", "16"], "TH01": ["7", "9.3"]}}
    assert c["frequencies"]["D3S1358"] == {"14": 0.1, "15": 0.3, "16": 0.4, "17": 0.2}
    assert c["mutation"] == {"per_marker": {
        "D3S1358": {"model": "trivial"},
        "TH01": {"female": {"model": "stepwise", "rate": 0.001, "rate2": 1e-06, "range": 0.1},
                 "male": {"model": "stepwise", "rate": 0.002, "rate2": 1e-06, "range": 0.1}}}, "default": None}
    res = missing_person_lr(load_case(c))
    # By hand: the child 14/16 has its father's 16 with probability 1/2 and its mother's 14 with
    # p14 = 0.1, against 2 p14 p16 = 0.08 if unrelated: LR 0.05 / 0.08 = 0.625 (no mutation there).
    assert res.markers[0].marker == "D3S1358" and res.markers[0].lr == pytest.approx(0.625, abs=1e-12)
    assert res.markers[1].lr == pytest.approx(1.0, abs=1e-3)  # 9.3/9.3 father, 7/9.3 child: p7 / (2 p7 p9.3) = 1


def _golden(name: str):
    return load_case(SHARED / "kinship-cases" / f"{name}.json")


GOLDEN = sorted(p.stem for p in (SHARED / "kinship-cases").glob("*.json"))


@pytest.mark.parametrize("name", GOLDEN)
def test_familias_round_trip_gives_the_same_case_and_lr(tmp_path, name):
    case = _golden(name)
    p = tmp_path / "case.fam"
    write_fam(case, p)
    fc = read_fam(p)
    assert fc.notes == []
    back = load_case(fc.case)
    assert back.missing == case.missing
    assert {i: (x.father, x.mother, x.sex) for i, x in back.pedigree.persons.items()} == {
        i: (x.father, x.mother, x.sex) for i, x in case.pedigree.persons.items()}
    assert back.found.genotypes == case.found.genotypes
    assert {k: v.genotypes for k, v in back.profiles.items()} == {
        k: v.genotypes for k, v in case.profiles.items() if v.genotypes}
    for k, mf in case.frequencies.markers.items():
        assert back.frequencies.markers[k].alleles == mf.alleles
        assert back.frequencies.markers[k].freqs.tolist() == mf.freqs.tolist()
    a, b = missing_person_lr(case), missing_person_lr(back)
    assert b.log10_lr == pytest.approx(a.log10_lr, abs=1e-12)
    assert [m.lr for m in b.markers] == pytest.approx([m.lr for m in a.markers], rel=1e-12)


def test_familias_export_writes_reunites_h2(tmp_path):
    text, _ = fam_text(_golden("K0073"))   # POI is the child of U3 and U4
    lines = text.splitlines()
    h2 = lines.index('"H2"')
    # one extra male takes POI's place (index 6 = after the 6 persons), POI has no relation in H2
    assert lines[h2 + 1: h2 + 4] == ["0", "1", "6"]
    pairs = list(zip(lines[h2 + 4: h2 + 16: 2], lines[h2 + 5: h2 + 16: 2], strict=True))
    assert ("3", "6") in pairs and ("4", "6") in pairs and all("5" not in p for p in pairs)


def test_familias_paternity_h2_that_is_not_reunites_is_noted(tmp_path):
    text = (HERE / "duo.fam").read_text()
    # H2 without relations: everyone unrelated (the usual Familias paternity H2)
    text = text.replace('"H2"\n0\n0\n1\n1\n2\n', '"H2"\n0\n0\n0\n')
    p = tmp_path / "pat.fam"
    p.write_text(text)
    with pytest.raises(InputError, match="several readings"):
        read_fam(p)   # F and C are both related in H1 and unrelated in H2
    fc = read_fam(p, found="F")
    assert fc.case["missing"] == "F" and "is not Reunite's H2" in fc.notes[0]


def test_familias_errors(tmp_path):
    base = (HERE / "duo.fam").read_text()
    p = tmp_path / "x.fam"
    p.write_text(base.replace('"Known relations"', '"Known relationships"'))
    with pytest.raises(InputError) as exc:
        read_fam(p)
    assert problems(exc)[0] == f"{p}, line 36: expected the line \"Known relations\""
    p.write_text(base.replace("0.001\n0.002\n4\n4", "0.001\n0.002\n3\n3"))
    with pytest.raises(InputError, match="stationary stepwise model"):
        read_fam(p)
    p.write_text(base.replace('"9.3"\n0.5', '"Rest allele"\n0.5'))
    with pytest.raises(InputError, match="rest allele"):
        read_fam(p)
    p.write_text(base.replace("#FALSE#\n0\n3\t(Data", "#TRUE#\n0\n3\t(Data"))
    with pytest.raises(InputError, match="silent allele"):
        read_fam(p)
    p.write_text(base + "[DVI]\n")
    with pytest.raises(InputError, match="DVI"):
        read_fam(p)
    child = '"C"\n#FALSE#\n-1\n#FALSE#\n#FALSE#\n2\n0\n'
    p.write_text(base.replace(child + "2\n0", child + "9\n0"))
    with pytest.raises(InputError, match="allele index beyond"):
        read_fam(p)
    p.write_text("\n".join(base.splitlines()[:20]))
    with pytest.raises(InputError, match="the file ends"):
        read_fam(p)
    with pytest.raises(InputError, match="no pedigree is named"):
        read_fam(HERE / "duo.fam", h1="X")


def test_familias_export_refuses_what_familias_cannot_hold():
    spec = json.loads((SHARED / "kinship-cases" / "K0001.json").read_text())
    spec["mutation"] = {"model": "onestep", "rate": 0.002}
    with pytest.raises(InputError, match="onestep mutation model has no Familias equivalent"):
        fam_text(load_case(spec))


def test_familias_added_alleles_are_written_into_the_database(tmp_path):
    spec = json.loads((SHARED / "kinship-cases" / "K0001.json").read_text())
    spec["found"]["TH01"] = ["9.3", "13"]       # 13 is not in the table
    case = load_case(spec)
    p = tmp_path / "c.fam"
    notes = write_fam(case, p)
    assert any("TH01: 13" in n for n in notes)
    back = load_case(read_fam(p).case)
    assert "13" in back.frequencies["TH01"].alleles
    assert missing_person_lr(back).log10_lr == pytest.approx(missing_person_lr(case).log10_lr, abs=1e-12)


# --- pedtools -----------------------------------------------------------------------------------

def test_pedtools_export_by_hand():
    fc = read_fam(HERE / "duo.fam")
    fc.case["mutation"] = None
    files = pedtools_files(load_case(fc.case))
    assert files["ped.tsv"] == ("id\tfid\tmid\tsex\tD3S1358\tTH01\n"
                                "F\t0\t0\t1\t15/16\t9.3/9.3\n"
                                "M\t0\t0\t2\t-/-\t-/-\n"
                                "C\tF\tM\t2\t14/16\t7/9.3\n")
    assert files["frequencies.txt"] == ("D3S1358\n14\t0.1\n15\t0.3\n16\t0.4\n17\t0.2\n\n"
                                        "TH01\n6\t0.2\n7\t0.3\n9.3\t0.5\n")
    r = files["lr.R"]
    assert 'readFreqDatabase("frequencies.txt", format = "list")' in r
    assert 'as.ped(df, locusAttributes = db, missing = "-", sep = "/")' in r
    assert 'missing = "F"' in r and "setAlleles(h1, ids = missing, alleles = 0)" in r
    assert "mutmod" not in r
    import math

    assert f"reunite_log10_lr = {math.log10(0.625)!r}" in r
    assert json.loads(files["reunite.json"])["markers"] == {"D3S1358": pytest.approx(0.625), "TH01": pytest.approx(1.0)}


def test_pedtools_export_mutation_lines():
    fc = read_fam(HERE / "duo.fam")
    r = pedtools_files(load_case(fc.case))["lr.R"]
    assert 'mutmod(h1, "TH01") = mutationModel(list(' in r
    assert ('female = mutationMatrix("stepwise", alleles = afreq(h1, "TH01") |> names(), afreq = afreq(h1, "TH01"), '
            'rate = 0.001, rate2 = 1e-06, range = 0.1)') in r
    assert 'mutmod(h1, "D3S1358") = mutationModel(list(\n  female = mutationMatrix("trivial"' in r


def test_familias_round_trip_of_a_missing_father_with_theta(tmp_path):
    """The missing member has parents and a child: H2 puts an untyped extra man in his place (with his
    parents and his child), so the file's H2 is Reunite's and the LR survives, theta included."""
    golden = json.loads((SHARED / "kinship-cases" / "K0001.json").read_text())
    found = golden["found"]
    spec = {
        "frequencies": golden["frequencies"], "theta": 0.02,
        "mutation": {"female": {"model": "stepwise", "rate": 0.001, "rate2": 1e-6, "range": 0.5},
                     "male": {"model": "equal", "rate": 0.003}},
        "pedigree": [{"id": "GF", "sex": "male"}, {"id": "GM", "sex": "female"},
                     {"id": "X", "father": "GF", "mother": "GM", "sex": "male"}, {"id": "W", "sex": "female"},
                     {"id": "C", "father": "X", "mother": "W", "sex": "female"}],
        "genotypes": {"GM": {m: [a[0], a[0]] for m, a in found.items()},
                      "C": {m: [a[1], a[1]] for m, a in found.items()}},
        "missing": "X", "found": found,
    }
    case = load_case(spec)
    p = tmp_path / "father.fam"
    write_fam(case, p)
    lines = p.read_text().splitlines()
    h2 = lines.index('"H2"')
    assert lines[h2 + 1: h2 + 4] == ["0", "1", "4"]      # one extra man; X and C have two parents each
    # the extra man (index 5) is GF's and GM's son and C's father; X (index 2) is unrelated
    assert lines[h2 + 4: h2 + 12] == ["0", "5", "1", "5", "5", "4", "3", "4"]
    fc = read_fam(p)
    assert fc.case["missing"] == "X" and fc.case["theta"] == 0.02
    assert [n for n in fc.notes if "H2" in n] == []
    back = load_case(fc.case)
    a, b = missing_person_lr(case), missing_person_lr(back)
    assert b.log10_lr == pytest.approx(a.log10_lr, abs=1e-12) and a.theta == b.theta == 0.02
