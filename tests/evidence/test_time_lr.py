"""The time LR: the ex-Gaussian closed form, a numerical check of it, and properties."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.evidence import time_lr

SETTINGS = settings(max_examples=100, deadline=None)
FOUND = dt.date(2014, 3, 1)
YEAR = 365.2425


def _expected(delay_days, sd=3.0, mean_years=10.0, window_years=40.0, eps=0.001):
    m, s = mean_years * YEAR, math.sqrt(2) * sd
    p1 = (1 / m) * math.exp(-delay_days / m + s * s / (2 * m * m)) * 0.5 * math.erfc(
        -(delay_days - s * s / m) / (s * math.sqrt(2)))
    return (1 - eps) * p1 * window_years * YEAR + eps


@pytest.mark.parametrize("delay", [0, 1, 7, 30, 365, 3650, 10000, -1, -5, -10])
def test_closed_form(delay):
    item = time_lr(FOUND - dt.timedelta(days=delay), FOUND)
    assert item.lr == pytest.approx(_expected(delay), rel=1e-9)
    assert item.observed["delay_days"] == delay


@pytest.mark.parametrize(("delay", "sd", "mean"), [(0, 3, 10), (10, 3, 1), (-4, 5, 2), (400, 30, 0.5)])
def test_closed_form_matches_numerical_convolution(delay, sd, mean):
    """The H1 density is the exponential delay convolved with the recording error; integrate it."""
    m, s = mean * YEAR, math.sqrt(2) * sd
    t = np.linspace(0, 60 * m, 2_000_001)
    f = np.exp(-t / m) / m * np.exp(-0.5 * ((delay - t) / s) ** 2) / (s * math.sqrt(2 * math.pi))
    p1 = float(np.sum(0.5 * np.diff(t) * (f[1:] + f[:-1])))
    item = time_lr(FOUND - dt.timedelta(days=delay), FOUND, record_sd_days=sd, mean_delay_years=mean, e_gross=0)
    assert item.lr == pytest.approx(p1 * 40 * YEAR, rel=1e-5)


def test_default_figures():
    assert time_lr(FOUND, FOUND).lr == pytest.approx(2.0, rel=0.01)  # found the same day
    assert time_lr(FOUND - dt.timedelta(days=round(10 * YEAR)), FOUND).lr == pytest.approx(4 / math.e, rel=0.01)
    assert time_lr(FOUND - dt.timedelta(days=round(30 * YEAR)), FOUND).lr == pytest.approx(4 / math.e ** 3, rel=0.01)
    before = time_lr(FOUND + dt.timedelta(days=365), FOUND)
    assert before.lr == pytest.approx(0.001, rel=1e-6)
    assert "before it went missing" in before.sentence
    # a few days "before" is within recording error
    assert time_lr(FOUND + dt.timedelta(days=2), FOUND).lr > 0.5


def test_no_floor_without_gross_errors_but_never_negative():
    item = time_lr(FOUND + dt.timedelta(days=3650), FOUND, e_gross=0)
    assert item.lr == 0.0 or item.lr > 0
    assert item.log10_lr is not None and item.log10_lr < -1e4


def test_record_sd_zero_is_a_hard_boundary_softened_by_the_floor():
    assert time_lr(FOUND + dt.timedelta(days=1), FOUND, record_sd_days=0).lr == pytest.approx(0.001)
    assert time_lr(FOUND + dt.timedelta(days=1), FOUND, record_sd_days=0, e_gross=0).lr == 0.0
    m = 10 * YEAR
    exact = 0.999 * math.exp(-1 / m) / m * 40 * YEAR + 0.001
    assert time_lr(FOUND - dt.timedelta(days=1), FOUND, record_sd_days=0).lr == pytest.approx(exact, rel=1e-12)


def test_missing_dates_give_one():
    for item in (time_lr(None, FOUND), time_lr("2010-01-01", None), time_lr("", "")):
        assert item.lr == 1.0 and item.log10_lr == 0.0 and "not recorded" in item.sentence


def test_string_and_datetime_dates():
    a = time_lr("2013-03-01", "2014-03-01").lr
    assert a == time_lr(dt.datetime(2013, 3, 1, 18, 30), dt.date(2014, 3, 1)).lr


dates = st.dates(dt.date(1950, 1, 1), dt.date(2030, 12, 31))


@SETTINGS
@given(dates, dates, st.floats(0, 60), st.floats(0.1, 50), st.floats(1, 100))
def test_lr_positive_and_floored(gone, found, sd, mean, window):
    item = time_lr(gone, found, record_sd_days=sd, mean_delay_years=mean, window_years=window)
    assert item.lr >= 0.001 * (1 - 1e-12) and math.isfinite(item.lr)
    # at most window / mean (times the small gain of the error term) plus the floor
    assert item.lr <= (window / mean) * math.exp((math.sqrt(2) * sd) ** 2 / (2 * (mean * YEAR) ** 2)) + 0.001


@SETTINGS
@given(dates, st.integers(365, 20000))
def test_found_years_before_is_near_zero(gone, days_before):
    item = time_lr(gone, gone - dt.timedelta(days=days_before))
    assert item.lr < 0.001 * (1 + 1e-9)


@SETTINGS
@given(st.integers(60, 30000), st.integers(1, 3000))
def test_decreasing_in_long_delays_increasing_towards_zero(d, dd):
    def lr(delay):
        return time_lr(FOUND - dt.timedelta(days=delay), FOUND, e_gross=0).log10_lr

    assert lr(d + dd) < lr(d)
    assert lr(-d) <= lr(-d + min(dd, d)) + 1e-12
