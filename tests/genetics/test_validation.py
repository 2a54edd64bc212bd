"""Friendly input is validated once, with errors that say what, where and how to fix it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from reunite.errors import (
    FrequencyError,
    InconsistencyError,
    InputError,
    MarkerError,
    PedigreeError,
    Problem,
)
from reunite.genetics import (
    display_name,
    load_case,
    load_frequencies,
    make_pedigree,
    marker_key,
    missing_person_lr,
    parse_profile,
)

TRIO = [
    {"id": "F", "sex": "male"},
    {"id": "M", "sex": "female"},
    {"id": "C", "father": "F", "mother": "M", "sex": "female"},
]
FREQS = {
    "D3S1358": {"14": 0.25, "15": 0.25, "16": 0.5},
    "vWA": {"16": 0.5, "17": 0.5},
}
# Allele labels that occur nowhere else in the cases below, to spot them in error messages.
SECRET = ["27.3", "31.2"]


def _case(**kw) -> dict:
    spec = {
        "frequencies": FREQS,
        "pedigree": TRIO,
        "missing": "C",
        "found": {"D3S1358": ["14", "15"]},
        "genotypes": {"F": {"D3S1358": ["14", "16"]}},
    }
    spec.update(kw)
    return spec


def _messages(exc: InputError) -> str:
    return str(exc) + "\n" + "\n".join(str(p) for p in exc.problems)


# ---------------------------------------------------------------------------------------------
# Pedigrees


def test_unknown_parent():
    with pytest.raises(PedigreeError) as info:
        make_pedigree([*TRIO, {"id": "K", "father": "Q", "mother": "M"}])
    (p,) = info.value.problems
    assert "K" in p.message and "'Q'" in p.message and "not in the pedigree" in p.message
    assert p.field == "father"


def test_one_parent_child():
    with pytest.raises(PedigreeError) as info:
        make_pedigree([{"id": "F", "sex": "male"}, {"id": "K", "father": "F", "sex": "male"}])
    msg = str(info.value)
    assert "K" in msg and "only one parent" in msg and "untyped founder" in msg


def test_cycle():
    recs = [{"id": "A", "father": "B", "mother": "M", "sex": "male"},
            {"id": "B", "father": "A", "mother": "M", "sex": "male"},
            {"id": "M", "sex": "female"}]
    with pytest.raises(PedigreeError, match="cycle") as info:
        make_pedigree(recs)
    assert "A -> B -> A" in str(info.value) or "B -> A -> B" in str(info.value)


def test_female_father_and_male_mother():
    recs = [{"id": "F", "sex": "female"}, {"id": "M", "sex": "male"},
            {"id": "K", "father": "F", "mother": "M"}]
    with pytest.raises(PedigreeError) as info:
        make_pedigree(recs)
    assert len(info.value.problems) == 2  # both reported at once
    msg = str(info.value)
    assert "father 'F' has sex female" in msg and "mother 'M' has sex male" in msg


def test_own_parent_and_duplicate_id_and_bad_sex():
    recs = [{"id": "A", "father": "A", "mother": "M", "sex": "male"}, {"id": "M", "sex": "female"},
            {"id": "M", "sex": "female"}, {"id": "X", "sex": "robot"}]
    with pytest.raises(PedigreeError) as info:
        make_pedigree(recs)
    msg = _messages(info.value)
    assert "own father" in msg and "'M' is used twice" in msg and "'robot'" in msg


def test_unknown_sex_parents_take_their_role():
    ped = make_pedigree([{"id": "F"}, {"id": "M"}, {"id": "K", "father": "F", "mother": "M"}])
    assert ped["F"].sex == "male" and ped["M"].sex == "female" and ped["K"].sex == "unknown"


def test_missing_member_not_in_pedigree():
    with pytest.raises(InputError) as info:
        load_case(_case(missing="Q"))
    (p,) = info.value.problems
    assert "'Q'" in p.message and p.field == "missing"


def test_loop_refused_by_load_case():
    recs = [{"id": "F", "sex": "male"}, {"id": "M", "sex": "female"},
            {"id": "S", "father": "F", "mother": "M", "sex": "male"},
            {"id": "D", "father": "F", "mother": "M", "sex": "female"},
            {"id": "C", "father": "S", "mother": "D", "sex": "female"}]
    with pytest.raises(InputError, match="loop"):
        load_case(_case(pedigree=recs))


def test_genotypes_of_someone_not_in_pedigree_and_missing_typed():
    spec = _case(genotypes={"W": {"vWA": ["16", "17"]}, "C": {"vWA": ["16", "17"]}})
    with pytest.raises(InputError) as info:
        load_case(spec)
    msg = _messages(info.value)
    assert "'W'" in msg and "missing member 'C' is typed" in msg
    assert len(info.value.problems) == 2


def test_case_file_errors_name_the_file(tmp_path):
    path = tmp_path / "K9.json"
    path.write_text(json.dumps(_case(missing="Q")))
    with pytest.raises(InputError) as info:
        load_case(path)
    assert info.value.problems[0].file == str(path)
    bad = tmp_path / "bad.json"
    bad.write_text('{"frequencies": ')
    with pytest.raises(InputError) as info:
        load_case(bad)
    assert info.value.problems[0].file == str(bad) and "JSON" in str(info.value)


@pytest.mark.parametrize("pedigree", [
    [*TRIO, {"id": "K", "father": "Q", "mother": "M"}],
    [*TRIO, {"id": "K", "father": "F"}],
    [{"id": "F", "sex": "female"}, {"id": "M", "sex": "female"},
     {"id": "C", "father": "F", "mother": "M"}],
])
def test_pedigree_errors_carry_no_genotypes(pedigree):
    spec = _case(pedigree=pedigree, found={"D3S1358": SECRET},
                 genotypes={"F": {"vWA": SECRET}, "M": {"D3S1358": SECRET}})
    with pytest.raises(InputError) as info:
        load_case(spec)
    msg = _messages(info.value)
    assert not any(s in msg for s in SECRET), msg


def test_other_case_errors_carry_no_genotypes():
    freqs = {"D3S1358": {"14": 0.5, "15": 0.5, "27.3": 0.0001, "31.2": 0.0001}}
    # an unknown marker typed in the found person
    case = load_case(_case(frequencies=freqs, found={"D3S1358": SECRET, "TPOX": SECRET}))
    with pytest.raises(MarkerError) as info:
        missing_person_lr(case)
    assert not any(s in _messages(info.value) for s in SECRET)
    # a family inconsistent with itself
    recs = [*TRIO, {"id": "S", "father": "F", "mother": "M", "sex": "male"}]
    case = load_case(_case(frequencies=freqs, pedigree=recs,
                           genotypes={"F": {"D3S1358": ["27.3", "27.3"]},
                                      "S": {"D3S1358": ["31.2", "31.2"]}}))
    with pytest.raises(InconsistencyError) as info:
        missing_person_lr(case)
    assert "D3S1358" in str(info.value)
    assert not any(s in str(info.value) for s in SECRET)


# ---------------------------------------------------------------------------------------------
# Alleles and profiles


@pytest.mark.parametrize(("allele", "words"), [
    ("9.30", ["'9.30'", "one decimal"]),
    ("abc", ["'abc'", "malformed"]),
    ("", ["''", "malformed"]),
    ("12.", ["'12.'"]),
    ("-3", ["'-3'"]),
    (9.3, ["9.3", "text"]),
    (None, ["None"]),
])
def test_malformed_alleles(allele, words):
    with pytest.raises(MarkerError) as info:
        parse_profile({"TH01": [allele, "9"]}, source="found")
    (p,) = info.value.problems
    assert p.field == "TH01" and p.file == "found"
    for w in words:
        assert w in p.message, (w, p.message)


def test_three_alleles():
    with pytest.raises(MarkerError) as info:
        parse_profile({"FGA": ["20", "21", "22"]})
    assert "FGA" in str(info.value) and "3 alleles" in str(info.value)


def test_all_profile_problems_reported_together():
    with pytest.raises(MarkerError) as info:
        parse_profile({"FGA": ["20", "21", "22"], "TH01": ["abc", "9"], "vWA": "16,17"})
    assert len(info.value.problems) == 3


def test_same_marker_twice_under_two_spellings():
    with pytest.raises(MarkerError, match="given twice"):
        parse_profile({"vWA": ["16", "17"], "VWA": ["16", "17"]})


def test_profile_normal_forms():
    prof = parse_profile({"D8S1179": ["13", " 10 "], "TH01": ["9.3"], "D5S818": [], "D7": None,
                          "AMEL": ["x", "Y"]})
    assert prof.genotypes == {"D8S1179": ("10", "13"), "TH01": ("9.3", "9.3")}
    assert prof.sex() == "male"
    assert len(prof) == 2


@pytest.mark.parametrize(("names", "key", "shown"), [
    (["vWA", "VWA", "vwa", "v WA"], "VWA", "vWA"),
    (["Penta D", "PentaD", "PENTA_D", "penta-d", "PENTA D"], "PENTAD", "Penta D"),
    (["TH01", "THO1", "th01", "TH 01"], "TH01", "TH01"),
    (["D3S1358", "d3s1358"], "D3S1358", "D3S1358"),
    (["FGA", "FIBRA"], "FGA", "FGA"),
    (["Amelogenin", "AMEL"], "AMEL", "Amelogenin"),
])
def test_marker_aliases(names, key, shown):
    for name in names:
        assert marker_key(name) == key, name
        assert display_name(name) == shown


def test_aliases_fold_across_table_profiles_and_case():
    freqs = {"Penta D": {"9": 0.5, "10": 0.5}, "THO1": {"6": 0.5, "7": 0.5}}
    table = load_frequencies(freqs)
    assert "PENTA_D" in table and "TH01" in table
    case = load_case(_case(frequencies=freqs, found={"PentaD": ["9", "10"], "TH01": ["6", "6"]},
                           genotypes={"F": {"PENTA_D": ["9", "9"], "tho1": ["6", "7"]}}))
    res = missing_person_lr(case)
    assert {m.marker for m in res.markers} == {"Penta D", "THO1"}
    by = {m.marker: m.lr for m in res.markers}
    assert by["Penta D"] == pytest.approx(1 / (2 * 0.5))  # child 9/10, father 9/9
    assert by["THO1"] == pytest.approx(1 / (2 * 0.5))  # child 6/6, father 6/7


# ---------------------------------------------------------------------------------------------
# Frequency tables


def test_marker_summing_to_point_nine():
    with pytest.raises(FrequencyError) as info:
        load_frequencies({"D3S1358": {"14": 0.5, "15": 0.4}, "vWA": {"16": 0.5, "17": 0.5}})
    (p,) = info.value.problems
    assert "D3S1358" in p.message and "0.9" in p.message and "never renormalised" in p.message


@pytest.mark.parametrize("bad", [-0.1, 0, 0.0, 1.5, "x", None, float("nan"), True])
def test_bad_frequency(bad):
    with pytest.raises(FrequencyError) as info:
        load_frequencies({"D3S1358": {"14": 1.0, "15": bad}})
    p = info.value.problems[0]
    assert "D3S1358" in p.message and "15" in p.message and repr(bad) in p.message
    assert p.field == "frequency"


def test_duplicate_allele_in_table():
    with pytest.raises(FrequencyError, match=r"allele 14 is listed twice"):
        load_frequencies({"D3S1358": {"14": 0.5, " 14 ": 0.5}})


def test_duplicate_allele_in_csv(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("marker,allele,frequency\nD3S1358,14,0.5\nD3S1358,15,0.25\nD3S1358,14,0.25\n")
    with pytest.raises(FrequencyError) as info:
        load_frequencies(path)
    p = info.value.problems[0]
    assert (p.file, p.line, p.field) == (str(path), 4, "allele")
    assert "14" in p.message and "twice" in p.message


def test_csv_lacking_a_column(tmp_path):
    path = tmp_path / "nofreq.csv"
    path.write_text("marker,allele\nD3S1358,14\n")
    with pytest.raises(FrequencyError) as info:
        load_frequencies(path)
    (p,) = info.value.problems
    assert p.file == str(path) and p.line == 1 and "frequency" in p.message
    assert str(path) in str(info.value) and "line 1" in str(info.value)


def test_csv_short_row_names_file_and_line(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("marker,allele,frequency\nD3S1358,14,0.5\nD3S1358,15\n")
    with pytest.raises(FrequencyError) as info:
        load_frequencies(path)
    (p,) = info.value.problems
    assert p.file == str(path) and p.line == 3
    assert f"{path}, line 3" in str(info.value)


def test_csv_short_row_names_the_missing_field(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("marker,allele,frequency\nD3S1358,14,0.5\nD3S1358,15\n")
    with pytest.raises(FrequencyError) as info:
        load_frequencies(path)
    assert info.value.problems[0].field == "frequency"


def test_csv_bad_values_name_file_line_and_field(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("Marker, Allele ,Frequency\nD3S1358,14,0.5\nD3S1358,9.30,0.25\nD3S1358,16,abc\n"
                    ",17,0.25\n")
    with pytest.raises(FrequencyError) as info:
        load_frequencies(path)
    where = {(p.line, p.field) for p in info.value.problems}
    assert {(3, "allele"), (4, "frequency"), (5, "marker")} <= where
    assert all(p.file == str(path) for p in info.value.problems)
    text = str(info.value)
    assert f"{path}, line 4, field 'frequency'" in text and "'abc'" in text


def test_csv_good_table_keeps_order(tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text("\ufeffmarker,allele,frequency\nTH01,9.3,0.5\nTH01,6,0.25\n\nTH01,7,0.25\n")
    table = load_frequencies(path)
    assert table["TH01"].alleles == ("9.3", "6", "7")
    np.testing.assert_array_equal(table["TH01"].freqs, [0.5, 0.25, 0.25])


def test_unknown_table_name():
    with pytest.raises(FrequencyError) as info:
        load_frequencies("no_such_table")
    assert "'no_such_table'" in str(info.value) and "nist1036_us_asian" in str(info.value)


def test_bundled_tables_load():
    from reunite.genetics import bundled_tables

    names = bundled_tables()
    assert "nist1036_us_asian" in names
    for name in names:
        table = load_frequencies(name)
        for mf in table.markers.values():
            assert abs(float(mf.freqs.sum()) - 1) < 0.01


# ---------------------------------------------------------------------------------------------
# Alleles absent from the table; markers absent from the table


def test_new_allele_added_at_0001_others_scaled():
    # father 16/16 typed, found child 16/18: 18 is not in the table
    case = load_case(_case(found={"vWA": ["16", "18"]}, genotypes={"F": {"vWA": ["16", "16"]}}))
    res = missing_person_lr(case)
    assert res.added_alleles == {"vWA": ["18"]}
    (m,) = res.markers
    assert m.added_alleles == ("18",)
    p16 = 0.5 * 0.999
    assert m.lr == pytest.approx(1 / (2 * p16), rel=1e-12)
    table = load_frequencies(FREQS).with_alleles({"VWA": ["18"]})
    assert table["vWA"].alleles == ("16", "17", "18")
    np.testing.assert_allclose(table["vWA"].freqs, [0.4995, 0.4995, 0.001], rtol=1e-15)
    assert table.added == {"VWA": ("18",)}
    # the original table is untouched
    assert load_frequencies(FREQS)["vWA"].alleles == ("16", "17")


def test_two_new_alleles_both_reported_and_table_still_sums_to_one():
    case = load_case(_case(found={"vWA": ["18", "16"]}, genotypes={"F": {"vWA": ["16", "19"]}}))
    res = missing_person_lr(case)
    assert res.added_alleles == {"vWA": ["18", "19"]}
    table = load_frequencies(FREQS).with_alleles({"VWA": ["19", "18"]})
    assert float(table["vWA"].freqs.sum()) == pytest.approx(1.0, abs=1e-15)
    assert table["vWA"].alleles[-2:] == ("18", "19")


def test_new_allele_frequency_must_be_a_proportion():
    with pytest.raises(FrequencyError):
        load_frequencies(FREQS).with_alleles({"VWA": ["18"]}, freq=0)


def test_marker_typed_in_found_but_not_in_table():
    case = load_case(_case(found={"D3S1358": ["14", "15"], "TPOX": ["8", "9"], "CSF": ["10", "11"]}))
    with pytest.raises(MarkerError) as info:
        missing_person_lr(case)
    assert {p.field for p in info.value.problems} == {"TPOX", "CSF"}
    assert "skip" in str(info.value)
    res = missing_person_lr(case, skip_unknown_markers=True)
    assert res.skipped_markers == ["TPOX", "CSF"]
    assert [m.marker for m in res.markers] == ["D3S1358"]
    assert res.as_dict()["skipped_markers"] == ["TPOX", "CSF"]


def test_problem_rendering():
    p = Problem("bad", file="f.csv", line=3, field="allele")
    assert str(p) == "f.csv, line 3, field 'allele': bad"
    assert p.as_dict() == {"file": "f.csv", "line": 3, "field": "allele", "message": "bad"}
    err = InputError([Problem("one"), "two"])
    assert str(err).startswith("2 problems:")
    assert isinstance(PedigreeError("x"), InputError) and isinstance(PedigreeError("x"), ValueError)
