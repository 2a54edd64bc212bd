"""The profiles.csv and families.csv readers and writers."""

from __future__ import annotations

from pathlib import Path

import pytest

from reunite.errors import InputError
from reunite.genetics import load_frequencies, make_pedigree, parse_profile
from reunite.search.io import (
    FAMILY_COLUMNS,
    PROFILE_COLUMNS,
    FamilyRecord,
    read_families,
    read_profiles,
    write_families,
    write_profiles,
)

PROFILES = """\
sample,marker,allele1,allele2
S-F,D3S1358,16,15
S-F,vWA,17,
S-F,TH01,9.3,9.3
S-F,Penta D,12,9
S-F,Amelogenin,X,Y
S-M,D3S1358,15,15
S-M,VWA,14,18
S-M,TH01,6,9.3
S-M,AMEL,X,X
S-K,D3S1358,14,16
"""

FAMILIES = """\
family,id,father,mother,sex,sample,missing
A,F,,,male,S-F,0
A,M,,,female,S-M,0
A,C,F,M,female,,1
B,M,,,f,S-M,
B,F,0,0,m,,
B,C,F,M,u,,1
C,GF,,,male,S-K,0
C,GM,,,female,,0
C,F,GF,GM,male,,0
C,M,,,female,,0
C,C,F,M,unknown,,1
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def problems_of(exc: pytest.ExceptionInfo) -> list[tuple[int | None, str | None]]:
    return [(p.line, p.field) for p in exc.value.problems]


# ---------------------------------------------------------------------------------- reading


def test_profiles_are_read_folded_and_ordered(tmp_path):
    profs = read_profiles(write(tmp_path, "p.csv", PROFILES))
    assert list(profs) == ["S-F", "S-M", "S-K"]
    f = profs["S-F"]
    assert f.genotypes == {"D3S1358": ("15", "16"), "VWA": ("17", "17"), "TH01": ("9.3", "9.3"),
                           "PENTAD": ("9", "12")}
    assert f.amelogenin == ("X", "Y") and f.sex() == "male"
    assert f.names["VWA"] == "vWA" and f.names["PENTAD"] == "Penta D"
    assert profs["S-M"].names["VWA"] == "VWA" and profs["S-M"].sex() == "female"
    assert profs["S-M"].genotypes["TH01"] == ("6", "9.3")
    # The same profile as the engine's own parser builds.
    assert f == parse_profile({"D3S1358": ["16", "15"], "vWA": ["17"], "TH01": ["9.3", "9.3"],
                               "Penta D": ["12", "9"], "Amelogenin": ["X", "Y"]})


def test_profiles_tolerate_layout_variants(tmp_path):
    text = ('\ufeffAllele2, Marker ,Sample,Allele1,lab\r\n'
            '16 , D3S1358, S1 ,15,x\r\n'
            '\r\n'
            '"",vWA,S1,"17",y\r\n')
    profs = read_profiles(write(tmp_path, "p.csv", text))
    assert profs["S1"].genotypes == {"D3S1358": ("15", "16"), "VWA": ("17", "17")}


def test_quoted_line_break_keeps_line_numbers(tmp_path):
    text = 'sample,marker,allele1,allele2\n"S\n1",D3S1358,15,16\nS2,D3S1358,15,16\nS3,D3S1358,15,x\n'
    with pytest.raises(InputError) as exc:
        read_profiles(write(tmp_path, "p.csv", text))
    assert problems_of(exc) == [(5, "allele2")]


def test_families_are_read_with_profiles(tmp_path):
    profs = read_profiles(write(tmp_path, "p.csv", PROFILES))
    fams = read_families(write(tmp_path, "f.csv", FAMILIES), profs)
    assert list(fams) == ["A", "B", "C"]
    a = fams["A"]
    assert isinstance(a, FamilyRecord) and a.family == "A" and a.missing == "C"
    assert a.samples == {"F": "S-F", "M": "S-M"} and a.typed == ["F", "M"]
    assert a.profiles == {"F": profs["S-F"], "M": profs["S-M"]}
    assert a.pedigree.as_records() == [
        {"id": "F", "father": None, "mother": None, "sex": "male"},
        {"id": "M", "father": None, "mother": None, "sex": "female"},
        {"id": "C", "father": "F", "mother": "M", "sex": "female"}]
    b = fams["B"]
    assert b.samples == {"M": "S-M"} and b.pedigree["C"].sex == "unknown" and b.pedigree["F"].sex == "male"
    c = fams["C"]
    assert c.pedigree["F"].father == "GF" and c.profiles == {"GF": profs["S-K"]}


def test_families_without_profiles_keep_sample_ids(tmp_path):
    fams = read_families(write(tmp_path, "f.csv", FAMILIES))
    assert fams["A"].samples == {"F": "S-F", "M": "S-M"} and fams["A"].profiles == {}


def test_families_of_one_shape_share_their_pedigree(tmp_path):
    rows = "".join(f"X{i},F,,,male,S{i}F,0\nX{i},M,,,female,,0\nX{i},C,F,M,male,,1\n" for i in range(5))
    fams = read_families(write(tmp_path, "f.csv", "family,id,father,mother,sex,sample,missing\n" + rows))
    assert len({id(f.pedigree) for f in fams.values()}) == 1
    assert [f.samples["F"] for f in fams.values()] == [f"S{i}F" for i in range(5)]


def test_rows_of_a_family_need_not_be_adjacent(tmp_path):
    text = ("family,id,father,mother,sex,sample,missing\n"
            "A,F,,,male,,\nB,F,,,male,,\nA,M,,,female,,\nB,M,,,female,,\nA,C,F,M,male,,1\nB,C,F,M,male,,1\n")
    fams = read_families(write(tmp_path, "f.csv", text))
    assert list(fams) == ["A", "B"] and len(fams["B"].pedigree) == 3


# --------------------------------------------------------------------------------- round trip


def test_round_trip(tmp_path):
    profs = read_profiles(write(tmp_path, "p.csv", PROFILES))
    fams = read_families(write(tmp_path, "f.csv", FAMILIES), profs)
    write_profiles(tmp_path / "p2.csv", profs)
    write_families(tmp_path / "f2.csv", fams)
    assert (tmp_path / "p2.csv").read_text().splitlines()[0] == ",".join(PROFILE_COLUMNS)
    assert (tmp_path / "f2.csv").read_text().splitlines()[0] == ",".join(FAMILY_COLUMNS)
    profs2 = read_profiles(tmp_path / "p2.csv")
    fams2 = read_families(tmp_path / "f2.csv", profs2)
    assert profs2 == profs
    assert list(fams2) == list(fams)
    for k, f in fams.items():
        g = fams2[k]
        assert (g.family, g.missing, g.samples, g.profiles) == (f.family, f.missing, f.samples, f.profiles)
        assert g.pedigree.as_records() == f.pedigree.as_records()
    # Writing what was read back again gives the same bytes.
    write_profiles(tmp_path / "p3.csv", profs2)
    write_families(tmp_path / "f3.csv", fams2.values())
    assert (tmp_path / "p3.csv").read_bytes() == (tmp_path / "p2.csv").read_bytes()
    assert (tmp_path / "f3.csv").read_bytes() == (tmp_path / "f2.csv").read_bytes()


def test_writer_quotes_awkward_ids(tmp_path):
    prof = parse_profile({"D3S1358": ["15", "16"]})
    ped = make_pedigree([{"id": "dad, senior", "sex": "male"}, {"id": "M", "sex": "female"},
                         {"id": "C", "father": "dad, senior", "mother": "M"}])
    fam = FamilyRecord("fam,1", ped, "C", {"dad, senior": prof}, {"dad, senior": 'lab "7"'})
    write_profiles(tmp_path / "p.csv", {'lab "7"': prof})
    write_families(tmp_path / "f.csv", [fam])
    back = read_families(tmp_path / "f.csv", read_profiles(tmp_path / "p.csv"))
    assert back["fam,1"].samples == {"dad, senior": 'lab "7"'}
    assert back["fam,1"].profiles["dad, senior"] == prof


# ------------------------------------------------------------------------------------ errors

HEAD_P = "sample,marker,allele1,allele2\n"


@pytest.mark.parametrize("rows, line, field, words", [
    (",D3S1358,15,16", 2, "sample", "sample id is empty"),
    ("S1, ,15,16", 2, "marker", "empty"),
    ("S1,D3S1358,,16", 2, "allele1", "allele1 is empty"),
    ("S1,D3S1358,15a,16", 2, "allele1", "malformed"),
    ("S1,D3S1358,15,9.30", 2, "allele2", "more than one decimal"),
    ("S1,Amelogenin,X,Z", 2, "allele2", "X or Y"),
    ("S1,D3S1358,X,16", 2, "allele1", "malformed"),
    ("S1,D3S1358,15,16\nS1,D3 S1358,15,17", 3, "marker", "already given on line 2"),
    ("S1,D3S1358,15,16,17", 2, None, "expected 4 fields"),
    ("S1,D3S1358,15", 2, None, "expected 4 fields"),
])
def test_each_profile_error_names_file_line_and_field(tmp_path, rows, line, field, words):
    path = write(tmp_path, "profiles.csv", HEAD_P + rows + "\n")
    with pytest.raises(InputError) as exc:
        read_profiles(path)
    [p] = exc.value.problems
    assert (p.file, p.line, p.field) == (str(path), line, field)
    assert words in p.message
    assert str(path) in str(exc.value) and f"line {line}" in str(exc.value)


def test_unknown_marker_is_an_error_only_against_a_table(tmp_path):
    path = write(tmp_path, "p.csv", HEAD_P + "S1,D3S1358,15,16\nS1,DXS999,1,2\nS1,AMEL,X,X\n")
    assert "DXS999" in read_profiles(path)["S1"].genotypes
    with pytest.raises(InputError) as exc:
        read_profiles(path, frequencies=load_frequencies("nist1036_us_asian"))
    assert problems_of(exc) == [(3, "marker")] and "not in the frequency table" in exc.value.problems[0].message


@pytest.mark.parametrize("text, words", [
    ("", "empty"),
    ("sample,marker,allele1\nS1,D3S1358,15\n", "lacks column(s) allele2"),
    ("S1,D3S1358,15,16\n", "lacks column(s)"),
    ("sample,marker,allele1,allele2,Sample\n", "appear twice"),
])
def test_header_problems(tmp_path, text, words):
    path = write(tmp_path, "p.csv", text)
    with pytest.raises(InputError) as exc:
        read_profiles(path)
    assert exc.value.problems[0].line == 1 and words in str(exc.value)


def test_unreadable_and_non_utf8_files(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        read_profiles(tmp_path / "nope.csv")
    path = tmp_path / "p.csv"
    path.write_bytes(HEAD_P.encode() + b"S1,D3S1358,15,16\nS\xff2,D3S1358,15,16\n")
    with pytest.raises(InputError) as exc:
        read_profiles(path)
    assert problems_of(exc) == [(3, None)] and "UTF-8" in str(exc.value)


def test_all_profile_problems_are_reported_together(tmp_path):
    path = write(tmp_path, "p.csv", HEAD_P + "S1,D3S1358,15,16\n,vWA,17,18\nS1,TH01,6,x\nS2,,1,2\nS1,d3s1358,15,15\n"
                 "S3,TPOX,8,9\n")
    with pytest.raises(InputError) as exc:
        read_profiles(path)
    assert problems_of(exc) == [(3, "sample"), (4, "allele2"), (5, "marker"), (6, "marker")]
    assert str(exc.value).startswith("4 problems")


HEAD_F = "family,id,father,mother,sex,sample,missing\n"
GOOD_F = "A,F,,,male,S-F,0\nA,M,,,female,S-M,0\nA,C,F,M,female,,1\n"


@pytest.mark.parametrize("rows, line, field, words", [
    ("X,F,,,male,S-NOPE,0\nX,M,,,female,,0\nX,C,F,M,female,,1", 2, "sample", "not in the profiles"),
    ("X,F,,,male,S-F,1\nX,M,,,female,,0\nX,C,F,M,female,,1", 4, "missing", "second member is marked missing"),
    ("X,F,,,male,S-F,0\nX,M,,,female,,0\nX,C,F,M,female,,0", 2, "missing", "no member is marked missing"),
    ("X,F,,,man,S-F,0\nX,M,,,female,,0\nX,C,F,M,female,,1", 2, "sex", "not male, female or unknown"),
    ("X,F,,,male,S-F,0\nX,M,,,female,,0\nX,C,F,Q,female,,1", 4, "mother", "not a member of the family"),
    ("X,F,C,M,male,S-F,0\nX,M,,,female,,0\nX,C,F,M,male,,1", 2, "father", "their own ancestor"),
    ("X,F,,,male,S-F,0\nX,M,,,female,,0\nX,C,F,,female,,1", 4, "mother", "has a father but no mother"),
    ("X,F,,,female,S-F,0\nX,M,,,female,,0\nX,C,F,M,female,,1", 4, "father", "a father must be male"),
    ("X,F,,,male,S-F,0\nX,M,,,male,,0\nX,C,F,M,female,,1", 4, "mother", "a mother must be female"),
    ("X,F,,,male,S-F,0\nX,F,,,female,,0\nX,C,F,F,female,,1", 3, "id", "used twice in the family (first on line 2)"),
    ("X,F,,,male,S-F,0\nX,M,,,female,,0\nX,C,F,M,female,S-M,1", 4, "sample", "missing member"),
    ("X,F,,,male,S-F,0\nX,M,,,female,,0\nX,C,F,M,female,,yes", 4, "missing", "write 1 for the missing child"),
    ("X,F,,,male,S-F,0\nX,M,,,female,S-F,0\nX,C,F,M,female,,1", 3, "sample", "linked to two members"),
    ("X,F,,,male,S-F,0\nX,M,,,female,,0\nX,C,C,M,female,,1", 4, "father", "own father"),
    ("X,0,,,male,S-F,0\nX,M,,,female,,0\nX,C,F,M,female,,1", 2, "id", "means 'no parent'"),
    (",F,,,male,S-F,0", 2, "family", "family id is empty"),
])
def test_each_family_error_names_file_line_and_field(tmp_path, rows, line, field, words):
    profs = read_profiles(write(tmp_path, "p.csv", PROFILES))
    # Family X is on lines 2-4; the good family A follows.
    path = write(tmp_path, "families.csv", HEAD_F + rows + "\n" + GOOD_F)
    with pytest.raises(InputError) as exc:
        read_families(path, profs)
    hits = [p for p in exc.value.problems if words in p.message]
    assert hits, str(exc.value)
    assert (hits[0].file, hits[0].line, hits[0].field) == (str(path), line, field)


def test_a_marriage_loop_is_refused(tmp_path):
    rows = ("L,A,,,male,,0\nL,B,,,female,,0\nL,S,A,B,male,,0\nL,D,A,B,female,,0\nL,C,S,D,male,,1\n")
    with pytest.raises(InputError) as exc:
        read_families(write(tmp_path, "f.csv", HEAD_F + rows))
    assert problems_of(exc) == [(2, None)] and "loop" in str(exc.value)


def test_all_family_problems_are_reported_together_and_nothing_is_returned(tmp_path):
    profs = read_profiles(write(tmp_path, "p.csv", PROFILES))
    rows = (GOOD_F +
            "B,F,,,male,S-NOPE,0\nB,M,,,female,,1\nB,C,F,M,female,,1\n"   # unknown sample, two missing
            "D,F,,,female,,0\nD,M,,,female,,0\nD,C,F,M,x,,1\n"            # female father, bad sex
            "E,F,,,male,,0\nE,M,,,female,,0\nE,C,F,M,male,,1\n")          # fine
    path = write(tmp_path, "f.csv", HEAD_F + rows)
    with pytest.raises(InputError) as exc:
        read_families(path, profs)
    assert problems_of(exc) == [(5, "sample"), (7, "missing"), (10, "father"), (10, "sex")]
    assert all(p.file == str(path) for p in exc.value.problems)


def test_errors_name_no_genotypes(tmp_path):
    path = write(tmp_path, "p.csv", HEAD_P + "S1,D3S1358,15,16\nS1,D3S1358,17,18\n")
    with pytest.raises(InputError) as exc:
        read_profiles(path)
    assert "17" not in str(exc.value).replace(str(path), "") and "18" not in str(exc.value).replace(str(path), "")


def test_header_only_files_hold_nothing(tmp_path):
    assert read_profiles(write(tmp_path, "p.csv", HEAD_P)) == {}
    assert read_families(write(tmp_path, "f.csv", HEAD_F), {}) == {}


def test_blank_lines_do_not_shift_line_numbers(tmp_path):
    path = write(tmp_path, "f.csv", HEAD_F + "\n" + GOOD_F.replace("\n", "\r\n", 1) + "\n ,,, ,,,\nB,F,,,male,,0\n")
    with pytest.raises(InputError) as exc:
        read_families(path)
    assert problems_of(exc) == [(8, "missing")]
