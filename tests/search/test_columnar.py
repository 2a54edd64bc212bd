"""The columnar reader gives build_index's groups and records, and the readers' errors."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from reunite.errors import InputError
from reunite.genetics import load_frequencies
from reunite.genetics.simulate import simulate_population
from reunite.search import columnar
from reunite.search import index as index_mod
from reunite.search.io import read_families, read_profiles
from reunite.simulation.io import write_population

from .test_io import FAMILIES, PROFILES, write  # the readers' small files: both paths on one set

TABLE = load_frequencies("nist1036_us_asian")
STEPWISE = {"model": "stepwise", "rate": 0.002, "rate2": 1e-06, "range": 0.1}


def expected(families: Path, profiles: Path, mutation=None):
    """What build_index hands compile_index for the readers' records."""
    seen = {}

    def capture(table, markers, family_ids, structures, records, *, mutation=None, k=None):
        seen["args"] = (markers, family_ids, structures, records)

    fams = read_families(families, read_profiles(profiles))
    orig = index_mod.compile_index
    index_mod.compile_index = capture
    try:
        index_mod.build_index(fams.values(), TABLE, mutation=mutation)
    finally:
        index_mod.compile_index = orig
    return seen["args"]


def canon(result):
    """Everything compile_index reads, per family, with pedigrees compared by content."""
    markers, ids, structures, records = result
    groups = []
    for s in structures:
        assert s.geno.dtype == np.int16 and s.rows.dtype == np.int64
        assert s.geno.shape == (len(s.rows), len(markers), len(s.typed), 2)
        groups.append((index_mod._signature(s.pedigree), s.pedigree.as_records(), s.missing, tuple(s.typed),
                       s.rows.tolist(), s.geno.tolist()))
    recs = [(k, r.family, r.pedigree.as_records(), r.missing, r.profiles, r.samples,
             {pid: (p.names, p.amelogenin) for pid, p in r.profiles.items()}) for k, r in records.items()]
    return list(markers), list(ids), groups, recs


def assert_same(families: Path, profiles: Path, mutation=None, *, columnar_only=False):
    want = expected(families, profiles, mutation)
    if columnar_only:  # the exact readers must not be needed
        orig = columnar._io.read_profiles
        columnar._io.read_profiles = _no_fallback
    try:
        got = columnar.read_reference_columns(families, profiles, TABLE, mutation=mutation)
    finally:
        if columnar_only:
            columnar._io.read_profiles = orig
    assert canon(got) == canon(want)
    return got


def _no_fallback(*_a, **_k):
    raise AssertionError("the columnar pass fell back to the exact readers")


def read_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


@pytest.fixture(scope="module")
def population(tmp_path_factory) -> dict[str, Path]:
    """A simulated population of all six structures, edited to hold what real files hold."""
    out = tmp_path_factory.mktemp("pop")
    paths = write_population(simulate_population(TABLE, 60, 0, 0.0, 7, markers="cn23"), out)
    prof = read_rows(paths["profiles"])
    fam = read_rows(paths["families"])
    samples = list(dict.fromkeys(r[0] for r in prof[1:]))
    families = list(dict.fromkeys(r[0] for r in fam[1:]))
    head, prof = prof[0], prof[1:]
    by_sample: dict[str, list[list[str]]] = {}
    for r in prof:
        by_sample.setdefault(r[0], []).append(r)
    # An allele absent from the table (the family goes to the kinship engine).
    by_sample[samples[0]][3][2] = "99"
    # A member typed at a few markers only, and one typed at Amelogenin only.
    by_sample[samples[3]] = [r for r in by_sample[samples[3]] if r[1] in ("D3S1358", "TH01", "Amelogenin")]
    by_sample[samples[5]] = [r for r in by_sample[samples[5]] if r[1] == "Amelogenin"]
    # A member typed only at a marker the table lacks (typed without mutation, not with it).
    by_sample[samples[7]] = [[samples[7], "D99S999", "10", "11"]]
    # Marker spellings and homozygotes written with allele2 empty.
    for i, s in enumerate(samples):
        for r in by_sample[s]:
            if r[1] == "vWA" and i % 2:
                r[1] = "VWA"
            elif r[1] == "Penta E" and i % 3 == 0:
                r[1] = "PENTA_E"
            elif r[1] == "Amelogenin" and i % 4 == 1:
                r[1] = "AMEL"
            if r[2] == r[3] and i % 2 == 0:
                r[3] = ""
    # Sample rows not all together: one sample's last rows come at the end of the file.
    moved = by_sample[samples[10]][-5:]
    by_sample[samples[10]] = by_sample[samples[10]][:-5]
    rows = [r for s in samples for r in by_sample[s]] + moved
    write_rows(paths["profiles"], [head, *rows])
    fhead, fam = fam[0], fam[1:]
    sex_codes = {"male": ["m", "1", "male", "M"], "female": ["f", "2", "female", "F"]}
    for j, r in enumerate(fam):
        if r[4] in sex_codes:
            r[4] = sex_codes[r[4]][families.index(r[0]) % 4]
        if r[6] == "0" and j % 3 == 0:
            r[6] = ""
        if r[2] == "" and j % 5 == 0:
            r[2] = r[3] = "0"
    # A sample shared by two families (the same parent in a second family).
    shared = [r for r in fam if r[0] == families[1]]
    extra = [["EXTRA", *r[1:]] for r in shared]
    # A family nobody in which is typed (compiled without mutation, set aside with it).
    untyped = [["NOBODY", *r[1:5], "", r[6]] for r in shared]
    # Rows of one family not together.
    split = [r for r in fam if r[0] == families[2]]
    rest = [r for r in fam if r[0] != families[2]]
    write_rows(paths["families"], [fhead, split[0], *rest, *extra, *untyped, *split[1:]])
    return paths


@pytest.mark.parametrize("mutation", [None, STEPWISE], ids=["no-mutation", "stepwise"])
def test_groups_and_records_are_build_index_s(population, mutation):
    got = assert_same(population["families"], population["profiles"], mutation, columnar_only=True)
    markers, ids, structures, records = got
    assert len(ids) == 62 and "EXTRA" in ids and len(structures) > 6
    assert "PENTAE" in markers and "VWA" in markers and "AMEL" not in markers
    assert (mutation is None) == ("NOBODY" not in records)
    assert any(any(a == "99" for g in r.profiles.values() for a in sum(g.genotypes.values(), ()))
               for r in records.values())


def test_an_unmodified_population_compiles_to_the_same_index(tmp_path):
    paths = write_population(simulate_population(TABLE, 30, 0, 0.0, 3), tmp_path)
    markers, ids, structures, records = assert_same(paths["families"], paths["profiles"], columnar_only=True)
    idx = index_mod.compile_index(TABLE, markers, ids, structures, records)
    ref = index_mod.build_index(read_families(paths["families"], read_profiles(paths["profiles"])).values(), TABLE)
    assert np.array_equal(idx.family_alleles, ref.family_alleles)
    assert np.array_equal(idx.genotype_tables, ref.genotype_tables)
    assert np.array_equal(idx.row_group, ref.row_group) and np.array_equal(idx.row_pos, ref.row_pos)




@pytest.mark.parametrize("profiles, families", [
    (PROFILES, FAMILIES),
    # Spaces, quotes, CRLF, a BOM, blank lines, extra and reordered columns.
    ('\ufeffAllele2, Marker ,Sample,Allele1,lab\r\n16 , D3S1358, S-F ,15,x\r\n\r\n"",vWA,S-F,"17",y\r\n'
     "9,TH01,S-M,6,\r\n", "family,sample,id,father,mother,sex,missing,note\n"
     "A, S-F ,F,,,male,0,n\n\nA,S-M,M,,,female,0,\nA,,C,F,M,female,1,\n"),
    # Header only.
    ("sample,marker,allele1,allele2\n", "family,id,father,mother,sex,sample,missing\n"),
    # Families without any sample, profiles nobody links.
    (PROFILES, "family,id,father,mother,sex,sample,missing\nX,F,,,male,,0\nX,M,,,female,,0\nX,C,F,M,male,,1\n"),
], ids=["small", "layout-variants", "header-only", "unlinked"])
@pytest.mark.parametrize("mutation", [None, STEPWISE], ids=["no-mutation", "stepwise"])
def test_small_files_and_layout_variants(tmp_path, profiles, families, mutation):
    assert_same(write(tmp_path, "f.csv", families), write(tmp_path, "p.csv", profiles), mutation, columnar_only=True)


def test_a_family_too_large_for_the_columnar_pass_is_grouped_from_records(tmp_path):
    rows = ["family,id,father,mother,sex,sample,missing", "A,F,,,male,S-F,0", "A,M,,,female,S-M,0",
            "A,C,F,M,female,,1"]
    rows += [f"A,X{i},,,male,,0" for i in range(70)]
    rows += ["B,F,,,male,S-K,0", "B,M,,,female,,0", "B,C,F,M,male,,1"]
    assert_same(write(tmp_path, "f.csv", "\n".join(rows) + "\n"), write(tmp_path, "p.csv", PROFILES))


HEAD_P = "sample,marker,allele1,allele2\n"
HEAD_F = "family,id,father,mother,sex,sample,missing\n"
GOOD_F = "A,F,,,male,S-F,0\nA,M,,,female,S-M,0\nA,C,F,M,female,,1\n"


@pytest.mark.parametrize("profiles, families", [
    (HEAD_P + ",D3S1358,15,16\n", GOOD_F),
    (HEAD_P + "S1, ,15,16\n", GOOD_F),
    (HEAD_P + "S1,D3S1358,,16\n", GOOD_F),
    (HEAD_P + "S1,D3S1358,15a,16\n", GOOD_F),
    (HEAD_P + "S1,D3S1358,15,9.30\n", GOOD_F),
    (HEAD_P + "S1,Amelogenin,X,Z\n", GOOD_F),
    (HEAD_P + "S1,D3S1358,X,16\n", GOOD_F),
    (HEAD_P + "S1,D3S1358,15,16\nS1,D3 S1358,15,17\n", GOOD_F),
    (HEAD_P + "S1,D3S1358,15,16\nS2,D3S1358,15,17\nS1,d3s1358,15,17\n", GOOD_F),
    (HEAD_P + "S1,D3S1358,15,16,17\n", GOOD_F),
    (HEAD_P + 'S1,D3S1358,15,16\n"S\n2",D3S1358,15,x\n', GOOD_F),
    ("sample,marker,allele1\nS1,D3S1358,15\n", GOOD_F),
    ("", GOOD_F),
    (PROFILES, "X,F,,,male,S-NOPE,0\nX,M,,,female,,0\nX,C,F,M,female,,1\n" + GOOD_F),
    (PROFILES, "X,F,,,male,S-F,1\nX,M,,,female,,0\nX,C,F,M,female,,1\n" + GOOD_F),
    (PROFILES, "X,F,,,male,S-F,0\nX,M,,,female,,0\nX,C,F,M,female,,0\n" + GOOD_F),
    (PROFILES, "X,F,,,man,S-F,0\nX,M,,,female,,0\nX,C,F,M,female,,1\n" + GOOD_F),
    (PROFILES, "X,F,,,male,S-F,0\nX,M,,,female,,0\nX,C,F,Q,female,,1\n" + GOOD_F),
    (PROFILES, "X,F,C,M,male,S-F,0\nX,M,,,female,,0\nX,C,F,M,male,,1\n" + GOOD_F),
    (PROFILES, "X,F,,,female,S-F,0\nX,M,,,female,,0\nX,C,F,M,female,,1\n" + GOOD_F),
    (PROFILES, "X,F,,,male,S-F,0\nX,M,,,female,,0\nX,C,F,M,female,S-M,1\n" + GOOD_F),
    (PROFILES, "X,F,,,male,S-F,0\nX,M,,,female,S-F,0\nX,C,F,M,female,,1\n" + GOOD_F),
    (PROFILES, "X,0,,,male,S-F,0\nX,M,,,female,,0\nX,C,F,M,female,,1\n" + GOOD_F),
    (PROFILES, ",F,,,male,S-F,0\n" + GOOD_F),
    (PROFILES, "L,A,,,male,,0\nL,B,,,female,,0\nL,S,A,B,male,,0\nL,D,A,B,female,,0\nL,C,S,D,male,,1\n"),
    (PROFILES, GOOD_F + "B,F,,,male,S-NOPE,0\nB,M,,,female,,1\nB,C,F,M,female,,1\n"
     "D,F,,,female,,0\nD,M,,,female,,0\nD,C,F,M,x,,1\n"),
    (PROFILES, "\n" + GOOD_F.replace("\n", "\r\n", 1) + "\n ,,, ,,,\nB,F,,,male,,0\n"),
    (HEAD_P + "S1,D3S1358,15,16\n,vWA,17,18\nS1,TH01,6,x\n", "X,F,,,male,S-F,1\nX,C,F,M,female,,1\n"),
])
def test_errors_are_the_readers_own(tmp_path, profiles, families):
    p = write(tmp_path, "p.csv", profiles)
    f = write(tmp_path, "f.csv", HEAD_F + families)
    with pytest.raises(InputError) as want:
        read_families(f, read_profiles(p))
    with pytest.raises(InputError) as got:
        columnar.read_reference_columns(f, p, TABLE)
    as_tuples = [(q.file, q.line, q.field, q.message) for q in want.value.problems]
    assert [(q.file, q.line, q.field, q.message) for q in got.value.problems] == as_tuples
    assert str(got.value) == str(want.value)


def test_unreadable_files(tmp_path):
    f = write(tmp_path, "f.csv", HEAD_F + GOOD_F)
    with pytest.raises(InputError, match="cannot read"):
        columnar.read_reference_columns(f, tmp_path / "nope.csv", TABLE)
    p = tmp_path / "p.csv"
    p.write_bytes(HEAD_P.encode() + b"S-F,D3S1358,15,16\nS\xff2,D3S1358,15,16\n")
    with pytest.raises(InputError, match="UTF-8"):
        columnar.read_reference_columns(f, p, TABLE)


def test_extra_columns_are_checked_as_the_readers_check_them(tmp_path):
    f = write(tmp_path, "f.csv", HEAD_F + GOOD_F)
    p = tmp_path / "p.csv"
    p.write_bytes(b"sample,marker,allele1,allele2,note\nS-F,D3S1358,15,16,ok\nS-M,D3S1358,15,16,\xff\n")
    with pytest.raises(InputError) as want:
        read_profiles(p)
    with pytest.raises(InputError) as got:
        columnar.read_reference_columns(f, p, TABLE)
    assert str(got.value) == str(want.value) and "UTF-8" in str(got.value)
    # A quoted line break in an extra column shifts the line numbers pyarrow would give.
    p.write_text('sample,marker,allele1,allele2,note\nS-F,D3S1358,15,16,"a\nb"\nS-M,D3S1358,15,x,\n')
    with pytest.raises(InputError) as want:
        read_profiles(p)
    with pytest.raises(InputError) as got:
        columnar.read_reference_columns(f, p, TABLE)
    assert [(q.line, q.field) for q in got.value.problems] == [(q.line, q.field) for q in want.value.problems]
    assert got.value.problems[0].line == 4
