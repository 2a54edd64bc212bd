"""Decision rules (issue 10): one conclusion per result, following a named standard.

Sources of the thresholds and worked values (docs/rules.md has the full citations and says what
could not be verified):

* GB/T 37223-2018 亲权鉴定技术规范 (parentage): CPI >= 10,000 supports; 3 or more loci
  inconsistent exclude; below 10,000 type more markers.  As quoted from the standard and from its
  predecessor SF/Z JD0105001-2016 by secondary sources (e.g. paternity.cn, jfuj.com.cn); 3 or more
  excluding loci also in Wu, Li & Wu, Chinese Journal of Forensic Medicine 2000 (S1).
* GB/T 43641-2024 / SF/T 0117-2021 (full siblings): CFSI thresholds 10,000 and 0.0001, as used in
  Fa Yi Xue Za Zhi 2023;39(3):247-253 (doi:10.12116/j.issn.1004-5619.2023.530203).
* ENFSI Guideline for Evaluative Reporting (2015): the verbal bands 1, 10, 100, 1,000, 10,000, 10^6
  (as in ../shared/KINSHIP.md, "Reporting").
* ISFG (Gjertson et al., FSI Genetics 1 (2007) 223-231): an LR with inconsistencies needs a
  mutation model; no categorical decision.

Real cases are the forrel golden cases in ../shared/kinship-cases and two simulated cases in
rules_cases/ (gene dropping from the bundled norstr_east_asia table, seeds in their descriptions).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.errors import InputError
from reunite.genetics import (
    format_lr,
    load_case,
    make_pedigree,
    missing_person_lr,
    verbal_equivalent,
)
from reunite.genetics.rules import (
    DEFAULT_RULES,
    RELATIONSHIPS,
    RULESETS,
    Alternative,
    alternative_relationships,
    conclude,
    conclude_case,
    load_rules,
    relationship_class,
)
from shared_paths import SHARED

GOLDEN = SHARED / "kinship-cases"
HERE = Path(__file__).parent / "rules_cases"
H1_SUPPORT = "that the found person is the missing member"
LR_ZERO = re.compile(r"\bLR 0(?![.\d])")


def _golden(name: str):
    case = load_case(GOLDEN / f"{name}.json")
    return case, missing_person_lr(case)


# --- rule sets -------------------------------------------------------------------------------

def test_rule_sets_cover_every_relationship_class():
    assert RULESETS == ("gbt", "isfg") and DEFAULT_RULES == "gbt"
    for name in RULESETS:
        rs = load_rules(name)
        assert {r.relationship for r in rs.rules} == set(RELATIONSHIPS)
        for r in rs.rules:
            assert r.source and r.verified, r.id
    assert load_rules(" GBT ").name == "gbt"


def test_unknown_rules_name_the_value():
    with pytest.raises(InputError, match=r"'nfsi'.*gbt, isfg"):
        load_rules("nfsi")
    with pytest.raises(InputError, match="'cousins'"):
        conclude(log10_lr=1.0, inconsistent=0, relationship="cousins")


def test_published_thresholds_are_the_ones_encoded():
    gbt = load_rules("gbt")
    for cls in ("parentage_trio", "parentage_duo"):
        r = gbt.rule(cls)
        assert (r.standard, r.support_log10, r.max_inconsistent_support, r.inconsistent_exclusion,
                r.exclusion_by, r.type_more_markers) == ("GB/T 37223-2018", 4, 2, 3, "inconsistent", True)
    sib = gbt.rule("full_siblings")
    assert (sib.standard, sib.support_log10, sib.exclusion_log10, sib.exclusion_by) == \
        ("GB/T 43641-2024", 4, -4, "lr")
    # Not published (or not found): no threshold, no decision.
    for cls in ("second_degree", "distant"):
        assert not gbt.rule(cls).categorical
    assert not any(r.categorical for r in load_rules("isfg").rules)


def test_rules_are_package_data_like_the_mutation_rates():
    text = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    assert '"data/rules/*.json"' in text and '"data/mutation/*.csv"' in text


# --- relationship classes ----------------------------------------------------------------------

@pytest.mark.parametrize("name, want", [
    ("K0001", "parentage_duo"),      # REF is a parent of POI
    ("K0019", "full_siblings"),      # REF and POI are full siblings
    ("K0055", "second_degree"),      # REF is a grandparent of POI
])
def test_relationship_class_of_golden_cases(name, want):
    case, _ = _golden(name)
    assert relationship_class(case.pedigree, case.missing, case.profiles) == want


def _family():
    # GF+GM -> FA, AUNT; FA+MO -> C (missing), SIB; MO+X -> HALF; AUNT+UX -> COUSIN; C+W -> KID
    return make_pedigree([
        {"id": "GF", "sex": "male"}, {"id": "GM", "sex": "female"},
        {"id": "FA", "father": "GF", "mother": "GM", "sex": "male"},
        {"id": "AUNT", "father": "GF", "mother": "GM", "sex": "female"},
        {"id": "MO", "sex": "female"}, {"id": "X", "sex": "male"}, {"id": "UX", "sex": "male"},
        {"id": "C", "father": "FA", "mother": "MO", "sex": "male"},
        {"id": "SIB", "father": "FA", "mother": "MO"},
        {"id": "HALF", "father": "X", "mother": "MO"},
        {"id": "COUSIN", "father": "UX", "mother": "AUNT"},
        {"id": "W", "sex": "female"}, {"id": "KID", "father": "C", "mother": "W"},
    ])


@pytest.mark.parametrize("typed, want", [
    ({"FA", "MO"}, "parentage_trio"),
    ({"MO"}, "parentage_duo"),
    ({"MO", "SIB"}, "parentage_duo"),            # mixed family: the closest class decides
    ({"KID", "W"}, "parentage_trio"),             # a child and the child's other parent
    ({"KID"}, "parentage_duo"),
    ({"SIB", "GF"}, "full_siblings"),
    ({"HALF"}, "second_degree"),
    ({"GM"}, "second_degree"),
    ({"AUNT"}, "second_degree"),
    ({"COUSIN"}, "distant"),
    (set(), "distant"),
])
def test_relationship_class_takes_the_closest_typed_relative(typed, want):
    assert relationship_class(_family(), "C", typed) == want


# --- GB/T 37223-2018, parentage -----------------------------------------------------------------

def test_gbt_parentage_support_golden_duo():
    """K0001 (forrel golden): a typed parent, 22 markers, CPI 4.85 × 10^7 >= 10,000: supported."""
    case, res = _golden("K0001")
    c = conclude_case(res, case, "gbt")
    assert (c.relationship, c.decision, c.excluded, c.type_more_markers) == ("parentage_duo", "support", False, False)
    assert "GB/T 37223-2018" in c.source and "10^4" in c.reason and H1_SUPPORT in c.verbal
    assert c.alternatives == ()


@pytest.mark.parametrize("log10_lr, decision, more", [
    (4.0, "support", False),                      # CPI 10,000: "大于等于10000"
    (math.log10(9999), "inconclusive", True),     # CPI 9,999: type more markers (or add the mother)
    (-2.0, "inconclusive", True),
    (-6.0, "inconclusive", True),                 # 0 inconsistent markers: no exclusion by the CPI alone
])
def test_gbt_parentage_thresholds(log10_lr, decision, more):
    c = conclude(log10_lr=log10_lr, inconsistent=0, relationship="parentage_trio", rules="gbt")
    assert (c.decision, c.type_more_markers, c.excluded) == (decision, more, False)


def test_gbt_one_or_two_inconsistencies_the_mutation_lr_decides():
    """GB/T 37223: with 1-2 inconsistent loci the CPI computed with mutation decides."""
    ok = conclude(log10_lr=5.0, inconsistent=2, relationship="parentage_duo", mutation=True)
    assert ok.decision == "support" and "mutation model" in ok.reason
    low = conclude(log10_lr=2.0, inconsistent=1, relationship="parentage_duo", mutation=True)
    assert low.decision == "inconclusive" and low.type_more_markers
    tiny = conclude(log10_lr=-9.0, inconsistent=2, relationship="parentage_duo", mutation=True)
    assert tiny.decision == "inconclusive" and not tiny.excluded and "fewer than the 3" in tiny.reason


def test_gbt_three_inconsistent_loci_exclude():
    """3 or more excluding loci (Wu et al. 2000; GB/T 37223 as quoted): excluded, LR 0 or not."""
    c = conclude(log10_lr=None, inconsistent=3, relationship="parentage_trio")
    assert c.decision == "exclusion" and c.excluded and "LR 0" in c.verbal
    c = conclude(log10_lr=-22.48, inconsistent=8, relationship="parentage_duo", mutation=True)
    assert c.decision == "exclusion" and "unrelated" in c.verbal and "at or below" in c.reason


# --- GB/T 43641-2024 / SF/T 0117-2021, full siblings --------------------------------------------

@pytest.mark.parametrize("log10_lr, decision, more", [
    (4.0, "support", False), (-4.0, "exclusion", False), (0.0, "inconclusive", True),
    (3.99, "inconclusive", True), (-3.99, "inconclusive", True),
])
def test_full_sibling_cfsi_thresholds(log10_lr, decision, more):
    """CFSI 10,000 and 0.0001 (Fa Yi Xue Za Zhi 2023;39(3):247-253, after SF/T 0117-2021)."""
    c = conclude(log10_lr=log10_lr, inconsistent=0, relationship="full_siblings")
    assert (c.decision, c.type_more_markers) == (decision, more)
    assert "GB/T 43641-2024" in c.source


def test_full_siblings_golden_case_supported():
    case, res = _golden("K0019")
    c = conclude_case(res, case)
    assert (c.relationship, c.decision) == ("full_siblings", "support")


# --- second degree, distant: no published threshold ---------------------------------------------

def test_second_degree_has_no_categorical_decision():
    case, res = _golden("K0055")    # a grandparent
    c = conclude_case(res, case)
    assert (c.relationship, c.decision, c.excluded, c.type_more_markers) == \
        ("second_degree", "no_decision", False, False)
    assert "no categorical decision under this standard" in c.reason
    assert "无已公布的判定阈值" in c.reason_zh


# --- ISFG / ENFSI --------------------------------------------------------------------------------

@pytest.mark.parametrize("lr, band", [
    (5, "weak support"), (50, "moderate support"), (500, "moderately strong support"),
    (5e3, "strong support"), (5e4, "very strong support"), (5e6, "extremely strong support"),
])
def test_enfsi_verbal_scale(lr, band):
    """ENFSI (2015) bands, both ways."""
    assert verbal_equivalent(lr) == f"{band} {H1_SUPPORT}"
    assert verbal_equivalent(1 / lr) == f"{band} that the found person is unrelated to the family"
    c = conclude(log10_lr=math.log10(lr), inconsistent=0, relationship="parentage_trio", rules="isfg")
    assert c.decision == "no_decision" and c.verbal == f"{band} {H1_SUPPORT}"


def test_isfg_never_decides():
    for rel in RELATIONSHIPS:
        for lg, n, mut in ((9.0, 0, False), (-30.0, 0, True), (7.0, 3, True), (None, 4, False)):
            c = conclude(log10_lr=lg, inconsistent=n, relationship=rel, rules="isfg", mutation=mut)
            assert c.decision == "no_decision" and not c.excluded and not c.type_more_markers


# --- the contradictions of issue 10 ----------------------------------------------------------------

def test_a_mutation_model_and_three_inconsistencies_exclude_as_parent_and_say_what_fits():
    """A full sibling recorded as the father: 40 markers, proportional model; 3 inconsistent markers
    and log10 LR 8.8.  The old code said "exclusion" and "extremely strong support" at once."""
    case = load_case(HERE / "sibling_as_father.json")
    res = missing_person_lr(case)
    assert len(res.inconsistent_markers) == 3 and res.log10_lr > 7
    c = res.conclusion(case)
    assert c.decision == "exclusion" and c.excluded and res.decision == "exclusion"
    assert "support" not in res.verbal and "not used for the conclusion" in res.verbal
    assert "support" not in c.verbal_zh and "不用于本结论" in c.verbal_zh
    assert {a.relationship for a in c.alternatives} == {"full_siblings", "second_degree", "first_cousins"}
    assert c.best_alternative().relationship == "full_siblings"
    assert "fits best as a full sibling of FA" in res.sentence()
    assert "times more probable" not in res.sentence()   # no LR sentence contradicting the exclusion
    d = json.loads(json.dumps(res.as_dict()))
    assert d["conclusion"]["excluded"] and d["conclusion"]["alternatives"]


def test_alternatives_are_the_engines_lrs_on_standard_pedigrees():
    case = load_case(HERE / "sibling_as_father.json")
    alts = alternative_relationships(case.found, {"FA": case.profiles["FA"]}, case.frequencies,
                                     case.mutation)
    by = {a.relationship: a for a in alts}
    sib = load_case({"frequencies": case.frequencies, "mutation": None,
                     "pedigree": [{"id": "F", "sex": "male"}, {"id": "M", "sex": "female"},
                                  {"id": "R", "father": "F", "mother": "M"},
                                  {"id": "X", "father": "F", "mother": "M"}],
                     "genotypes": {"R": dict(_labels(case.profiles["FA"]))}, "missing": "X",
                     "found": dict(_labels(case.found))})
    sib = replace(sib, mutation=case.mutation)
    assert by["full_siblings"].log10_lr == pytest.approx(missing_person_lr(sib).log10_lr, abs=1e-12)
    assert all(isinstance(a, Alternative) and a.relative == "FA" for a in alts)


def _labels(profile):
    return {profile.names[k]: list(v) for k, v in profile.genotypes.items()}


def test_b_one_inconsistency_without_mutation_verbal_and_decision_agree():
    """K0001 with one marker of the found person changed to alleles the parent lacks: LR 0 without a
    mutation model.  The old code: verbal "exclusion", decision "inconclusive"."""
    spec = json.loads((GOLDEN / "K0001.json").read_text())
    parent = next(p for p, g in spec["genotypes"].items() if g)
    marker = next(m for m in spec["found"] if spec["genotypes"][parent].get(m))
    have = set(spec["genotypes"][parent][marker])
    other = [a for a in spec["frequencies"][marker] if a not in have][:2]
    spec["found"][marker] = other
    spec["mutation"] = None
    case = load_case(spec)
    res = missing_person_lr(case)
    assert res.lr == 0 and res.log10_lr is None and len(res.inconsistent_markers) == 1
    c = res.conclusion(case)
    assert c.decision == "inconclusive" and not c.excluded and not c.type_more_markers
    assert "exclusion" not in c.verbal and "mutation model" in c.verbal
    assert "mutation model" in c.reason and "排除" not in c.verbal_zh


def _sixty_marker_trio():
    freqs = {f"D{i}": {str(a): 0.1 for a in range(10, 20)} for i in range(1, 61)}
    return {"frequencies": freqs, "mutation": {"model": "equal", "rate": 0.002},
            "pedigree": [{"id": "FA", "sex": "male"}, {"id": "MO", "sex": "female"},
                         {"id": "C", "father": "FA", "mother": "MO"}],
            "genotypes": {"FA": {k: ["10", "10"] for k in freqs}, "MO": {k: ["11", "11"] for k in freqs}},
            "missing": "C", "found": {k: ["18", "19"] for k in freqs}}


def test_c_sixty_markers_with_mutation_beyond_1e_minus_300():
    """60 markers, equal model 0.002, each marker needing two mutations: log10 LR -318.4 (by hand:
    60 × log10(2 (r/9)^2 / (2 · 0.1 · 0.1))).  The old code printed lr 0.0 and "exclusion … (LR 0)"."""
    case = load_case(_sixty_marker_trio())
    res = missing_person_lr(case)
    want = 60 * math.log10(2 * (0.002 / 9) ** 2 / (2 * 0.1 * 0.1))
    assert res.log10_lr == pytest.approx(want, abs=1e-9) and res.log10_lr < -300
    assert res.lr is None
    assert format_lr(res.lr, res.log10_lr) == "4.12 × 10^-319"
    assert "LR 0" not in res.verbal and "unrelated" in verbal_equivalent(res.lr, res.log10_lr)
    d = json.loads(json.dumps(res.as_dict()))
    assert d["lr"] is None and d["log10_lr"] == pytest.approx(want) and d["lr_text"].endswith("10^-319")
    c = res.conclusion(case)
    assert c.decision == "exclusion" and "LR 0" not in c.verbal and "10^-319" in c.reason
    assert "LR 0" not in res.sentence() and "10^-319" in res.sentence()


def test_d_sibling_lr_far_below_threshold_is_an_exclusion_not_type_more_markers():
    """The full-sibling standard excludes by the LR: 8 × 10^-28 and a simulated unrelated person
    (log10 LR -15.8 against a typed full sibling) are exclusions, not "type more markers"."""
    c = conclude(log10_lr=math.log10(8e-28), inconsistent=0, relationship="full_siblings")
    assert c.decision == "exclusion" and not c.type_more_markers and "8.00 × 10^-28" in c.reason
    case = load_case(HERE / "unrelated_vs_sibling.json")
    res = missing_person_lr(case)
    c = res.conclusion(case)
    assert c.relationship == "full_siblings" and res.log10_lr < -4
    assert c.decision == "exclusion" and not c.type_more_markers
    assert "unrelated" in res.verbal


@pytest.mark.parametrize("relationship", ["full_siblings", "second_degree", "distant"])
def test_e_the_parentage_rule_is_not_applied_to_other_relationships(relationship):
    """GB/T 37223 covers parentage only: 3 inconsistent markers or LR >= 10^4 decide nothing for
    siblings, second-degree or distant relatives under it."""
    c = conclude(log10_lr=5.0, inconsistent=3, relationship=relationship, mutation=True)
    assert "GB/T 37223" not in c.source and "GB/T 37223" not in c.reason
    assert not c.excluded
    if relationship != "full_siblings":
        assert c.decision == "no_decision"
    case, res = _golden("K0055")
    assert conclude_case(res, case).decision == "no_decision"


# --- LR display beyond floating point -------------------------------------------------------------

@pytest.mark.parametrize("lr, log10_lr, text", [
    (None, -340.0, "1.00 × 10^-340"), (None, 400.5, "3.16 × 10^400"), (0.0, None, "0"),
    (5e-324, None, "4.94 × 10^-324"), (12.5, math.log10(12.5), "12.5"), (None, 3.999999, "1.00 × 10^4"),
    (None, -2.0, "0.01"),
])
def test_format_lr_from_log10(lr, log10_lr, text):
    assert format_lr(lr, log10_lr) == text


def test_verbal_says_exclusion_only_for_an_lr_of_exactly_zero():
    assert "exclusion" in verbal_equivalent(0.0)
    assert "exclusion" not in verbal_equivalent(5e-324)
    assert "exclusion" not in verbal_equivalent(None, -340.0)
    assert verbal_equivalent(None, -340.0).startswith("extremely strong support that the found person is unrelated")


# --- the conclusion object -----------------------------------------------------------------------

def test_conclusion_round_trips_to_json_and_reads_in_both_languages():
    case, res = _golden("K0001")
    c = res.conclusion(case, "isfg")
    assert res.rules == "isfg" and res.as_dict()["conclusion"]["rules"] == "isfg"
    assert json.loads(json.dumps(c.as_dict()))["decision"] == "no_decision"
    assert "倍" in res.sentence("zh") and "times more probable" in res.sentence("en")
    with pytest.raises(InputError, match="'fr'"):
        c.sentence("fr")


# --- never a contradiction ------------------------------------------------------------------------

@settings(max_examples=400, deadline=None)
@given(log10_lr=st.one_of(st.none(), st.floats(-400, 400, allow_nan=False)),
       inconsistent=st.integers(0, 12), relationship=st.sampled_from(RELATIONSHIPS),
       rules=st.sampled_from(RULESETS), mutation=st.booleans(),
       markers_compared=st.one_of(st.none(), st.integers(1, 60)))
def test_verbal_decision_and_exclusion_never_contradict(log10_lr, inconsistent, relationship, rules, mutation,
                                                         markers_compared):
    c = conclude(log10_lr=log10_lr, inconsistent=inconsistent, relationship=relationship, rules=rules,
                 mutation=mutation, markers_compared=markers_compared)
    assert c.decision in ("support", "exclusion", "inconclusive", "no_decision")
    assert c.excluded == (c.decision == "exclusion")
    if c.excluded:
        assert H1_SUPPORT not in c.verbal and "“被寻人员是失踪者”" not in c.verbal_zh
    if "exclusion" in c.verbal or "排除" in c.verbal_zh:
        assert c.excluded
    if "exclusion" in c.verbal:
        assert log10_lr is None
    if c.decision == "support":
        assert log10_lr is not None and log10_lr > 0 and H1_SUPPORT in c.verbal
    if c.type_more_markers:
        assert c.decision == "inconclusive"
    if rules == "isfg":
        assert c.decision == "no_decision"
    if log10_lr is not None:
        assert not LR_ZERO.search(c.verbal) and not LR_ZERO.search(c.reason)
    assert c.reason and c.reason_zh and c.verbal and c.verbal_zh
