"""The sex LR: closed forms, an independent enumeration of the model, and properties."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.evidence import amelogenin_sex, sex_lr

SEXES = ("male", "female", "unknown")
AMEL = (None, "male", "female")
SETTINGS = settings(max_examples=150, deadline=None)


def _enumerated_lr(found, report, amel, e_rec, e_amel, p_male):
    """P(records | H1) / P(records | H2) by summing over both children's true sexes."""

    def p_rec(obs, true, e):
        if obs in (None, "unknown"):
            return 1.0
        return 1 - e if obs == true else e

    prior = {"male": p_male, "female": 1 - p_male}
    h1 = h2 = 0.0
    for s_missing, s_found in itertools.product(prior, prior):
        like = p_rec(report, s_missing, e_rec) * p_rec(found, s_found, e_rec) * p_rec(amel, s_found, e_amel)
        h1 += prior[s_missing] * (s_found == s_missing) * like
        h2 += prior[s_missing] * prior[s_found] * like
    return h1 / h2


def test_closed_forms_with_defaults():
    e = 0.01
    assert sex_lr("male", "male").lr == pytest.approx(((1 - e) ** 2 + e ** 2) / 0.5, rel=1e-12)
    assert sex_lr("female", "female").lr == pytest.approx(1.9604, rel=1e-12)
    assert sex_lr("male", "female").lr == pytest.approx(2 * e * (1 - e) / 0.5, rel=1e-12)  # ≈ 0.04
    # a mismatch that Amelogenin confirms is about 0.02, a match that it confirms about 2
    assert sex_lr("female", "male", "X").lr == pytest.approx(0.02, rel=0.01)
    assert sex_lr("male", "male", ("X", "Y")).lr == pytest.approx(1.98, rel=0.001)
    assert sex_lr("male", "female").lr < 0.05


@pytest.mark.parametrize("found", SEXES)
@pytest.mark.parametrize("report", SEXES)
@pytest.mark.parametrize("amel", AMEL)
def test_matches_enumeration_of_the_model(found, report, amel):
    for e_rec, e_amel, p_male in [(0.01, 0.002, 0.5), (0.05, 0.02, 0.3), (0.2, 0.001, 0.8)]:
        item = sex_lr(found, report, amel, e_record=e_rec, e_amel=e_amel, p_male=p_male)
        assert item.lr == pytest.approx(_enumerated_lr(found, report, amel, e_rec, e_amel, p_male), rel=1e-12)
        assert item.log10_lr == pytest.approx(math.log10(item.lr), abs=1e-12)


@pytest.mark.parametrize("found", SEXES)
@pytest.mark.parametrize("amel", AMEL)
def test_unknown_report_sex_gives_exactly_one(found, amel):
    assert sex_lr(found, "unknown", amel).lr == 1.0
    assert sex_lr(found, None, amel, p_male=0.7).lr == 1.0


@pytest.mark.parametrize("report", SEXES)
def test_unknown_found_sex_without_amelogenin_gives_exactly_one(report):
    item = sex_lr("unknown", report)
    assert item.lr == 1.0 and item.log10_lr == 0.0
    assert "says nothing" in item.sentence


def test_amelogenin_alone_is_informative():
    assert sex_lr("unknown", "male", "XY").lr == pytest.approx(2 * 0.99 * 0.998 + 2 * 0.01 * 0.002, rel=1e-9)
    assert sex_lr("unknown", "male", "X").lr < 0.05


def test_zero_error_rate_makes_a_mismatch_an_exclusion():
    item = sex_lr("male", "female", e_record=0.0)
    assert item.lr == 0.0 and item.log10_lr is None
    assert "excludes" in item.sentence


def test_amelogenin_spellings():
    for v in ("XY", "X,Y", "x/y", ("X", "Y"), ["Y"], "male", "M"):
        assert amelogenin_sex(v) == "male"
    for v in ("X", "XX", "X,X", ("X",), ("X", "X"), "female"):
        assert amelogenin_sex(v) == "female"
    for v in (None, "", "unknown", ()):
        assert amelogenin_sex(v) is None


def test_item_explains_itself():
    item = sex_lr("male", "male", "XY")
    assert item.kind == "sex"
    assert set(item.parameters) == {"e_record", "e_amel", "p_male"}
    assert item.sentence.startswith("The sex evidence is 1.98 times more probable if the found child is the missing")
    assert "support" in item.verbal
    d = item.as_dict()
    assert d["lr"] == item.lr and d["parameters"]["e_record"] == 0.01
    disagree = sex_lr("male", "male", "X")
    assert "disagree" in disagree.sentence


@SETTINGS
@given(st.sampled_from(SEXES), st.sampled_from(SEXES), st.sampled_from(AMEL),
       st.floats(0.0001, 0.49), st.floats(0.0001, 0.49), st.floats(0.01, 0.99))
def test_lr_positive_and_match_beats_mismatch(found, report, amel, e_rec, e_amel, p_male):
    item = sex_lr(found, report, amel, e_record=e_rec, e_amel=e_amel, p_male=p_male)
    assert item.lr > 0 and math.isfinite(item.lr)
    if found != "unknown" and report != "unknown":
        other = "female" if report == "male" else "male"
        mismatch = sex_lr(found, other, amel, e_record=e_rec, e_amel=e_amel, p_male=p_male)
        if found == report and amel in (None, found):  # a disagreeing Amelogenin can cancel the record
            assert item.lr > mismatch.lr
