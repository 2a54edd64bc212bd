"""Every public function validates its input with an InputError naming the field, without echoing data."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from reunite.errors import InputError
from reunite.evidence import AgeReference, age_lr, amelogenin_sex, sex_lr, time_lr

SECRET = "Zhang Wei 2013-07-01"  # a name and a date of birth that must never appear in a message
ON = dt.date(2014, 3, 1)


def _raises(field, fn, *args, **kw):
    with pytest.raises(InputError) as info:
        fn(*args, **kw)
    (problem,) = info.value.problems
    assert problem.field == field, (problem.field, problem.message)
    text = str(info.value)
    assert "Zhang" not in text and "2013-07-01" not in text and "2099-13-45" not in text
    return problem


@pytest.mark.parametrize(("kw", "field"), [
    ({"found_sex": SECRET}, "found_sex"),
    ({"found_sex": 1}, "found_sex"),
    ({"report_sex": "mal"}, "report_sex"),
    ({"amelogenin": SECRET}, "amelogenin"),
    ({"amelogenin": ("X", "Y", "Y")}, "amelogenin"),
    ({"amelogenin": 7}, "amelogenin"),
    ({"e_record": -0.1}, "e_record"),
    ({"e_record": 0.5}, "e_record"),
    ({"e_amel": math.nan}, "e_amel"),
    ({"p_male": 0.0}, "p_male"),
    ({"p_male": 1.0}, "p_male"),
    ({"p_male": "0.5"}, "p_male"),
])
def test_sex_inputs(kw, field):
    args = {"found_sex": "male", "report_sex": "female"} | kw
    _raises(field, sex_lr, **args)


def test_sex_accepts_common_spellings():
    assert sex_lr("M", "m").lr == sex_lr("male", "male").lr
    assert sex_lr(" Female ", "F").lr == sex_lr("female", "female").lr
    assert amelogenin_sex("U") is None


@pytest.mark.parametrize(("args", "kw", "field"), [
    ((-1, 2, ON), {"birth_date": "2013-07-01"}, "estimated_age_months"),
    ((1201, 2, ON), {"birth_date": "2013-07-01"}, "estimated_age_months"),
    ((math.inf, 2, ON), {"birth_date": "2013-07-01"}, "estimated_age_months"),
    (("8", 2, ON), {"birth_date": "2013-07-01"}, "estimated_age_months"),
    ((8, -2, ON), {"birth_date": "2013-07-01"}, "estimate_sd_months"),
    ((8, None, ON), {"birth_date": "2013-07-01"}, "estimate_sd_months"),
    ((8, 0, ON), {"birth_date": "2013-07-01", "birth_date_sd_months": 0}, "estimate_sd_months"),
    ((8, 2, "2099-13-45"), {"birth_date": "2013-07-01"}, "assessed_on"),
    ((8, 2, None), {"birth_date": "2013-07-01"}, "assessed_on"),
    ((8, 2, 20140301), {"birth_date": "2013-07-01"}, "assessed_on"),
    ((8, 2, ON), {"birth_date": "2099-13-45"}, "birth_date"),
    ((8, 2, ON), {"birth_date": "2013-07-01", "birth_date_sd_months": -1}, "birth_date_sd_months"),
    ((8, 2, ON), {"age_at_disappearance_months": 3}, "disappeared_on"),
    ((8, 2, ON), {"age_at_disappearance_months": -3, "disappeared_on": ON}, "age_at_disappearance_months"),
    ((8, 2, ON), {"age_at_disappearance_months": 3, "disappeared_on": "yesterday"}, "disappeared_on"),
    ((8, 2, ON), {"age_at_disappearance_months": 3, "disappeared_on": ON,
                  "age_at_disappearance_sd_months": -1}, "age_at_disappearance_sd_months"),
    ((8, 2, ON), {"birth_date": "2013-07-01", "e_gross": 1.5}, "e_gross"),
    ((8, 2, ON), {"birth_date": "2013-07-01", "reference": "lognormal"}, "reference"),
    ((None, -1, None), {}, "estimate_sd_months"),
    ((None, None, "2099-13-45"), {}, "assessed_on"),
])
def test_age_inputs(args, kw, field):
    _raises(field, age_lr, *args, **kw)


def test_reference_with_no_probability_at_the_estimate_is_refused():
    ref = AgeReference.uniform(100, 200)
    _raises("reference", age_lr, 8, 0, ON, birth_date="2013-07-01", reference=ref)


@pytest.mark.parametrize(("fn", "args", "field"), [
    (AgeReference.exponential, (0,), "mean_months"),
    (AgeReference.uniform, (10, 5), "hi_months"),
    (AgeReference.uniform, (-1, 5), "lo_months"),
    (AgeReference.lognormal, (36, 0), "sigma"),
    (AgeReference.lognormal, (-36, 1), "median_months"),
    (AgeReference.histogram, ([0, 6, 12], [1]), "counts"),
    (AgeReference.histogram, ([0, 12, 6], [1, 1]), "edges_months"),
    (AgeReference.histogram, ([0, 6, 12], [0, 0]), "counts"),
    (AgeReference.histogram, ([0, 6, 12], [1, -1]), "counts"),
    (AgeReference.histogram, ("0,6", [1]), "edges_months"),
    (AgeReference.mixture, ([(1, "x")],), "parts[0]"),
    (AgeReference.mixture, ([(-1, AgeReference.default())],), "parts[0]"),
    (AgeReference.mixture, ([],), "parts"),
])
def test_reference_inputs(fn, args, field):
    _raises(field, fn, *args)


@pytest.mark.parametrize(("args", "kw", "field"), [
    (("2099-13-45", ON), {}, "disappeared_on"),
    ((ON, "2014/03/01"), {}, "found_on"),
    ((ON, 3.5), {}, "found_on"),
    ((ON, ON), {"record_sd_days": -1}, "record_sd_days"),
    ((ON, ON), {"mean_delay_years": 0}, "mean_delay_years"),
    ((ON, ON), {"window_years": -40}, "window_years"),
    ((ON, ON), {"e_gross": 2}, "e_gross"),
    ((ON, ON), {"e_gross": None}, "e_gross"),
])
def test_time_inputs(args, kw, field):
    _raises(field, time_lr, *args, **kw)
