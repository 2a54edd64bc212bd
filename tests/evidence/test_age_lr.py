"""The age LR: Gaussian closed forms against independent formulas, and properties."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.evidence import AgeReference, age_lr, months_between

SETTINGS = settings(max_examples=100, deadline=None)
ON = dt.date(2014, 3, 1)
MONTH = 365.2425 / 12


def _phi(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def _npdf(x: float, sd: float) -> float:
    return math.exp(-0.5 * (x / sd) ** 2) / (sd * math.sqrt(2 * math.pi))


def _born(months_before: float) -> dt.date:
    return ON - dt.timedelta(days=round(months_before * MONTH))


def test_gaussian_lr_with_a_uniform_reference():
    lo, hi = 0.0, 216.0
    ref = AgeReference.uniform(lo, hi)
    for x, sd, true_months, bsd, eps in [(8, 2, 8, 0.5, 0.0), (8, 2, 12, 0.5, 0.001), (60, 12, 40, 0.0, 0.01),
                                         (1, 0.5, 0.3, 0.1, 0.0), (200, 24, 210, 1.0, 0.0)]:
        born = _born(true_months)
        mu = (ON - born).days / MONTH
        s = math.hypot(sd, bsd)
        num = _npdf(x - mu, s)
        den = (_phi((x - lo) / sd) - _phi((x - hi) / sd)) / (hi - lo)
        expected = (1 - eps) * num / den + eps
        item = age_lr(x, sd, ON, birth_date=born, birth_date_sd_months=bsd, reference=ref, e_gross=eps)
        assert item.lr == pytest.approx(expected, rel=1e-9)
        assert item.observed["expected_from"] == "date of birth"


def test_gaussian_lr_with_an_exponential_reference():
    m = 36.0
    ref = AgeReference.exponential(m)
    for x, sd, true_months in [(8, 2, 8), (30, 6, 20), (0.5, 0.25, 0.5), (120, 30, 100)]:
        born = _born(true_months)
        mu = (ON - born).days / MONTH
        s = math.hypot(sd, 0.5)
        # the exponential convolved with N(0, sd²), written with erf
        den = (1 / m) * math.exp(-x / m + sd * sd / (2 * m * m)) * _phi((x - sd * sd / m) / sd)
        item = age_lr(x, sd, ON, birth_date=born, reference=ref, e_gross=0.0)
        assert item.lr == pytest.approx(_npdf(x - mu, s) / den, rel=1e-9)


def _numeric_den(ref_pdf, x, sd):
    a = np.linspace(1e-6, 3000, 600_001)
    f = ref_pdf(a) * np.exp(-0.5 * ((x - a) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
    return float(np.sum(0.5 * np.diff(a) * (f[1:] + f[:-1])))


@pytest.mark.parametrize(("x", "sd"), [(8, 2), (0.5, 0.2), (36, 12), (150, 40), (600, 5), (20, 300)])
def test_lognormal_reference_against_brute_force_integration(x, sd):
    median, sigma = 30.0, 1.1
    ref = AgeReference.lognormal(median, sigma)

    def pdf(a):
        return np.exp(-0.5 * ((np.log(a) - math.log(median)) / sigma) ** 2) / (a * sigma * math.sqrt(2 * math.pi))

    got = math.exp(ref.log_estimate_density(x, sd))
    assert got == pytest.approx(_numeric_den(pdf, x, sd), rel=1e-4)


def test_default_reference_against_brute_force_integration():
    ref = AgeReference.default()

    def pdf(a):
        return 0.7 * np.exp(-a / 36) / 36 + 0.3 * (a <= 1200) / 1200

    for x, sd in [(8, 2), (0.5, 0.25), (300, 24), (1100, 60)]:
        assert math.exp(ref.log_estimate_density(x, sd)) == pytest.approx(_numeric_den(pdf, x, sd), rel=1e-4)


def test_histogram_reference_is_a_mixture_of_uniform_bins():
    edges, counts = [0, 6, 12, 36, 216], [50, 30, 15, 5]
    ref = AgeReference.histogram(edges, counts)
    x, sd = 10.0, 3.0
    den = sum(c / 100 * (_phi((x - lo) / sd) - _phi((x - hi) / sd)) / (hi - lo)
              for c, lo, hi in zip(counts, edges, edges[1:], strict=False))
    assert math.exp(ref.log_estimate_density(x, sd)) == pytest.approx(den, rel=1e-9)
    mix = AgeReference.mixture([(1, ref), (1, AgeReference.uniform(0, 1200))])
    assert math.exp(mix.log_estimate_density(x, sd)) == pytest.approx(0.5 * den + 0.5 * (
        _phi(x / sd) - _phi((x - 1200) / sd)) / 1200, rel=1e-9)


def test_infant_lrs_strong_only_when_consistent():
    consistent = age_lr(8, 2, ON, birth_date=_born(8))
    assert consistent.lr == pytest.approx(12, rel=0.05)
    assert age_lr(8, 2, ON, birth_date=_born(9)).lr > 5
    assert age_lr(8, 2, ON, birth_date=_born(14)).lr < 0.3
    assert age_lr(8, 2, ON, birth_date=_born(20)).lr < 0.0011  # down to the gross-error floor
    assert age_lr(8, 2, ON, birth_date=_born(20), e_gross=0).lr < 1e-6


def test_age_at_disappearance_route():
    # missing at 3 months (sd 1) on 2013-09-01; six months later they would be about 9 months old
    gone = dt.date(2013, 9, 1)
    mu = 3 + months_between(gone, ON)
    item = age_lr(9, 2, ON, disappeared_on=gone, age_at_disappearance_months=3,
                  age_at_disappearance_sd_months=1, reference=AgeReference.uniform(0, 216), e_gross=0)
    s = math.hypot(2, 1)
    den = (_phi(9 / 2) - _phi((9 - 216) / 2)) / 216
    assert item.lr == pytest.approx(_npdf(9 - mu, s) / den, rel=1e-9)
    assert item.observed["expected_from"] == "age at disappearance"
    assert item.parameters["age_at_disappearance_sd_months"] == 1


def test_nothing_to_compare_gives_one():
    for item in (age_lr(None, None, None, birth_date="2013-01-01"), age_lr(8, 2, ON)):
        assert item.lr == 1.0 and item.log10_lr == 0.0
        assert "says nothing" in item.sentence


def test_estimate_sd_zero_is_allowed_when_the_report_has_uncertainty():
    ref = AgeReference.uniform(0, 216)
    item = age_lr(8, 0, ON, birth_date=_born(8), birth_date_sd_months=1, reference=ref, e_gross=0)
    mu = (ON - _born(8)).days / MONTH
    assert item.lr == pytest.approx(_npdf(8 - mu, 1) * 216, rel=1e-9)


def test_extreme_tails_stay_finite_in_log_space():
    item = age_lr(1200, 0.5, ON, birth_date=_born(1200), reference=AgeReference.exponential(12), e_gross=0)
    assert item.log10_lr is not None and item.log10_lr > 30 and math.isfinite(item.log10_lr)
    far = age_lr(0, 0.5, ON, birth_date=_born(1000), e_gross=0)
    assert far.lr == 0.0 or far.lr > 0  # underflow of the LR itself is allowed ...
    assert far.log10_lr is not None and far.log10_lr < -1000  # ... its log10 is exact


@SETTINGS
@given(st.floats(0, 1200), st.floats(0.05, 600), st.floats(-50, 1300), st.floats(0, 24))
def test_lr_always_positive(x, sd, true_months, bsd):
    born = ON - dt.timedelta(days=round(true_months * MONTH))
    item = age_lr(x, sd, ON, birth_date=born, birth_date_sd_months=bsd)
    assert item.lr > 0 and item.lr >= 0.001 * (1 - 1e-9)  # the gross-error floor
    assert item.log10_lr is not None and math.isfinite(item.log10_lr)


@SETTINGS
@given(st.floats(0, 240), st.floats(0, 240))
def test_huge_uncertainty_is_uninformative(x, true_months):
    ref = AgeReference.exponential(36)
    item = age_lr(x, 1200, ON, birth_date=_born(true_months), reference=ref)
    assert item.lr == pytest.approx(1, abs=0.05)
    assert abs(age_lr(x, 1200, ON, birth_date=_born(true_months)).log10_lr) < 0.05


@SETTINGS
@given(st.integers(30, 18000), st.floats(0.5, 60), st.integers(0, 3000), st.integers(1, 3000))
def test_lr_symmetric_and_decreasing_in_the_difference(age_days, sd, k1, dk):
    """For a fixed estimate, the LR depends on |difference| only and falls as it grows."""
    centre = ON - dt.timedelta(days=age_days)
    x = age_days / MONTH  # the estimate equals the report's age exactly at shift 0

    def lr(shift_days):
        return age_lr(x, sd, ON, birth_date=centre + dt.timedelta(days=shift_days), e_gross=0).log10_lr

    assert lr(k1) == pytest.approx(lr(-k1), rel=1e-9, abs=1e-9)
    assert lr(k1 + dk) <= lr(k1) + 1e-12
    assert age_lr(x, sd, ON, birth_date=centre + dt.timedelta(days=k1 + dk)).lr <= \
        age_lr(x, sd, ON, birth_date=centre + dt.timedelta(days=k1)).lr * (1 + 1e-12)


@pytest.mark.parametrize("ref", [AgeReference.default(), AgeReference.lognormal(36, 1), AgeReference.uniform(0, 216)])
@pytest.mark.parametrize("sd", [0.0, 1e-300, 1e-80, 1e-9])
def test_vanishing_estimate_error_gives_the_reference_density(ref, sd):
    """With (next to) no estimate error the H2 density is the reference density at the estimate."""
    assert ref.log_estimate_density(20.0, sd) == pytest.approx(ref.log_density(20.0), rel=1e-6)
    item = age_lr(20, sd, ON, birth_date=_born(20), reference=ref, e_gross=0)
    assert item.lr > 0 and math.isfinite(item.log10_lr)
