"""Evidence fusion: Bayes in odds form, log-space stability, exclusions, explanations."""

from __future__ import annotations

import math
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.errors import InputError
from reunite.evidence import (
    INDEPENDENCE,
    EvidenceItem,
    Posterior,
    age_lr,
    dna_evidence,
    from_lr,
    fuse,
    prior_from_open_reports,
    sex_lr,
    time_lr,
)
from reunite.evidence.fusion import DNA_SUPPORT_LOG10, NON_DNA_MAX_LOG10
from reunite.genetics import load_case, missing_person_lr

SETTINGS = settings(max_examples=150, deadline=None)


def test_bayes_closed_form():
    items = [from_lr("dna", 1e4), from_lr("sex", 1.96), from_lr("age", 3.1), from_lr("time", 0.5)]
    post = fuse(items, open_reports=1000)
    lr = 1e4 * 1.96 * 3.1 * 0.5
    p = 1 / 1000
    assert post.prior == p and post.prior_source == "1 / 1,000 open reports"
    assert post.lr == pytest.approx(lr, rel=1e-12)
    assert post.posterior_odds == pytest.approx(p / (1 - p) * lr, rel=1e-12)
    assert post.probability == pytest.approx(p * lr / (p * lr + 1 - p), rel=1e-12)
    assert post.probability + post.probability_not == pytest.approx(1, abs=1e-15)
    assert post.factor("age").lr == 3.1 and post.factor("face") is None


def test_given_prior_wins_over_open_reports():
    post = fuse([from_lr("dna", 10)], prior=0.2, open_reports=1000)
    assert post.prior == 0.2 and post.prior_source == "given"
    assert post.probability == pytest.approx(0.2 * 10 / (0.2 * 10 + 0.8), rel=1e-12)


def test_no_evidence_gives_the_prior():
    post = fuse([], prior=0.01)
    assert post.probability == pytest.approx(0.01, rel=1e-12) and post.log10_lr == 0


def test_zero_lr_gives_zero_posterior_whatever_else():
    post = fuse([from_lr("dna", 0), from_lr("face", log10_lr=300), from_lr("age", 1e300)], open_reports=10)
    assert post.probability == 0.0 and post.probability_not == 1.0
    assert post.lr == 0.0 and post.log10_lr is None and post.log10_posterior_odds is None
    assert "excludes" in post.items[0].sentence and "0" in post.sentence


def test_huge_lrs_are_stable_in_log_space():
    # (the non-DNA items count for at most LR 1000 together: 3197 + 3)
    items = [from_lr("dna", log10_lr=3197)] + [from_lr(k, 1e300) for k in ("face", "place", "marks")]
    post = fuse(items, prior=1e-6)
    assert post.log10_lr == pytest.approx(3200, abs=1e-9) and post.non_dna_capped
    assert post.log10_non_dna_lr == pytest.approx(900)
    assert post.log10_posterior_odds == pytest.approx(3200 - 6 - math.log10(1 - 1e-6), abs=1e-9)
    assert post.probability == 1.0 and post.probability_not == 0.0
    assert post.log10_probability_not == pytest.approx(-post.log10_posterior_odds, abs=1e-9)
    assert post.lr == math.inf and post.posterior_odds == math.inf
    assert "1 − " in post.sentence and "10^-3194" in post.sentence
    assert post.as_dict()["lr"] is None and post.as_dict()["log10_lr"] == pytest.approx(3200)


def test_tiny_lrs_are_stable_in_log_space():
    post = fuse([from_lr("dna", 1e-300), from_lr("face", 1e-300)], prior=0.5)
    assert post.log10_posterior_odds == pytest.approx(-600)
    assert post.probability == 0.0 and post.probability_not == 1.0  # 10^-600 underflows; its log does not
    assert post.log10_lr == pytest.approx(-600)


@SETTINGS
@given(st.lists(st.floats(-50, 50), max_size=6), st.floats(1e-6, 0.999), st.floats(0.001, 40))
def test_posterior_increases_with_each_lr_above_one(log10s, prior, extra):
    items = [from_lr(f"f{i}", log10_lr=v) for i, v in enumerate(log10s)]
    before = fuse(items, prior=prior)
    after = fuse([*items, from_lr("dna", log10_lr=extra)], prior=prior)   # (DNA is never capped)
    assert after.log10_posterior_odds > before.log10_posterior_odds
    assert after.probability >= before.probability
    assert after.probability_not <= before.probability_not
    assert after.log10_probability_not < before.log10_probability_not
    lower = fuse([*items, from_lr("dna", log10_lr=-extra)], prior=prior)
    assert lower.log10_posterior_odds < before.log10_posterior_odds


@SETTINGS
@given(st.lists(st.floats(-400, 400), max_size=8), st.floats(1e-9, 1 - 1e-9))
def test_probabilities_are_consistent(log10s, prior):
    post = fuse([from_lr("dna" if i == 0 else f"f{i}", log10_lr=v) for i, v in enumerate(log10s)], prior=prior)
    assert 0 <= post.probability <= 1 and 0 <= post.probability_not <= 1
    assert post.probability + post.probability_not == pytest.approx(1, abs=1e-12)
    expected = (log10s[0] + min(math.fsum(log10s[1:]), NON_DNA_MAX_LOG10)) if log10s else 0.0
    assert post.log10_lr == pytest.approx(expected, abs=1e-9)
    q = post.log10_probability_not
    if q > -300:
        assert post.probability_not == pytest.approx(10 ** q, rel=1e-9)


def test_real_evidence_end_to_end():
    case = load_case({
        "frequencies": {"D3S1358": {"14": 0.25, "15": 0.25, "16": 0.5}},
        "pedigree": [{"id": "F", "sex": "male"}, {"id": "M", "sex": "female"},
                     {"id": "C", "father": "F", "mother": "M", "sex": "female"}],
        "missing": "C",
        "found": {"D3S1358": ["14", "16"]},
        "genotypes": {"F": {"D3S1358": ["14", "16"]}},
    })
    dna = dna_evidence(missing_person_lr(case))
    assert dna.kind == "dna" and dna.lr == pytest.approx(1.5, rel=1e-12)
    assert dna.parameters["theta"] == 0.0 and dna.observed["inconsistent_markers"] == 0
    items = [dna, sex_lr("female", "female"), age_lr(8, 2, "2014-03-01", birth_date="2013-07-01"),
             time_lr("2013-09-01", "2014-03-01")]
    post = fuse(items, open_reports=500)
    assert isinstance(post, Posterior)
    assert post.lr == pytest.approx(math.prod(i.lr for i in items), rel=1e-12)
    lines = post.explain()
    assert lines[0].startswith("Prior: ") and "500 open reports" in lines[0]
    assert any(line.startswith("The age evidence is") and "times more probable if" in line for line in lines)
    assert any(INDEPENDENCE in line for line in lines)
    assert "independent" in post.sentence
    d = post.as_dict()
    assert [e["kind"] for e in d["evidence"]] == ["dna", "sex", "age", "time"]
    assert d["hypotheses"]["H1"].startswith("the found child is the missing child")


def test_dna_exclusion_from_a_kinship_result():
    case = load_case({
        "frequencies": {"D3S1358": {"14": 0.25, "15": 0.25, "16": 0.5}},
        "pedigree": [{"id": "F", "sex": "male"}, {"id": "M", "sex": "female"},
                     {"id": "C", "father": "F", "mother": "M", "sex": "female"}],
        "missing": "C",
        "found": {"D3S1358": ["15", "15"]},
        "genotypes": {"F": {"D3S1358": ["14", "16"]}},
    })
    dna = dna_evidence(missing_person_lr(case))
    assert dna.lr == 0.0 and dna.log10_lr is None and dna.observed["inconsistent_markers"] == 1
    assert fuse([dna, sex_lr("male", "male")], open_reports=3).probability == 0.0


def test_sentences_read_both_ways():
    assert from_lr("age", 3.1).sentence.startswith("The age evidence is 3.1 times more probable if the found child "
                                                   "is the missing child")
    low = from_lr("time", 0.001).sentence
    assert low.startswith("The time evidence is 1,000 times more probable if the found child is some other child")
    assert "LR 1" in from_lr("face", 1.0).sentence
    assert "10^400" in from_lr("dna", log10_lr=400).sentence


def test_prior_and_items_are_validated():
    with pytest.raises(InputError) as info:
        fuse([from_lr("dna", 2)])
    assert info.value.problems[0].field == "prior"
    for bad in (0, 1, -0.1, 1.5, math.nan, "0.1", True):
        with pytest.raises(InputError) as info:
            fuse([], prior=bad)
        assert info.value.problems[0].field == "prior"
    for bad in (0, -3, 2.5, True, "10"):
        with pytest.raises(InputError) as info:
            prior_from_open_reports(bad)
        assert info.value.problems[0].field == "open_reports"
    with pytest.raises(InputError) as info:
        fuse([], open_reports=1)
    assert info.value.problems[0].field == "open_reports"
    with pytest.raises(InputError) as info:
        fuse([from_lr("dna", 2), from_lr("DNA", 3)], prior=0.1)
    assert info.value.problems[0].field == "evidence[1]"
    with pytest.raises(InputError) as info:
        fuse([2.0], prior=0.1)  # type: ignore[list-item]
    assert info.value.problems[0].field == "evidence[0]"


def test_from_lr_validation():
    for kw, field in [({"lr": -1}, "lr"), ({"lr": math.inf}, "lr"), ({"lr": math.nan}, "lr"), ({}, "lr"),
                      ({"lr": 2, "log10_lr": 0.3}, "lr"), ({"log10_lr": math.inf}, "log10_lr")]:
        with pytest.raises(InputError) as info:
            from_lr("face", **kw)
        assert info.value.problems[0].field == field
    with pytest.raises(InputError) as info:
        from_lr("", 2)
    assert info.value.problems[0].field == "kind"
    with pytest.raises(InputError) as info:
        dna_evidence(object())
    assert info.value.problems[0].field == "dna"


def test_items_copy_their_inputs_and_pickle():
    params = {"model": "faces v1"}
    item = from_lr("face", 2.0, parameters=params)
    params["model"] = "changed"
    assert isinstance(item, EvidenceItem) and item.parameters == {"model": "faces v1"}
    with pytest.raises(AttributeError):
        item.lr = 3.0  # type: ignore[misc]
    post = fuse([item, sex_lr("male", "male"), age_lr(8, 2, "2014-03-01", birth_date="2013-07-01")], prior=0.01)
    assert pickle.loads(pickle.dumps(post)) == post


@SETTINGS
@given(st.lists(st.floats(-50, 400), max_size=8), st.floats(1e-9, 1 - 1e-9))
def test_non_dna_evidence_alone_never_reaches_the_dna_support_threshold(log10s, prior):
    post = fuse([from_lr(f"f{i}", log10_lr=v) for i, v in enumerate(log10s)], prior=prior)
    assert post.log10_lr <= NON_DNA_MAX_LOG10 < DNA_SUPPORT_LOG10
    assert not post.has_dna
    assert post.non_dna_capped == (math.fsum(log10s) > NON_DNA_MAX_LOG10)
    # the posterior odds never exceed the prior odds times the cap
    assert post.log10_posterior_odds <= post.log10_prior_odds + NON_DNA_MAX_LOG10 + 1e-9


def test_dna_support_threshold_is_the_lowest_of_the_bundled_rules():
    from reunite.genetics.rules import RULESETS, load_rules

    lowest = min(r.support_log10 for name in RULESETS for r in load_rules(name).rules
                 if r.support_log10 is not None)
    assert DNA_SUPPORT_LOG10 == lowest


def test_an_excluded_pair_has_posterior_zero_whatever_its_lr():
    post = fuse([from_lr("dna", log10_lr=6.0), from_lr("age", 10.0)], prior=0.5, excluded=True)
    assert post.probability == 0.0 and post.log10_posterior_odds is None and post.excluded
