"""Shared helpers of the evidence layer: input checks and log-space normal arithmetic.

Every check raises :class:`reunite.errors.InputError` with a :class:`~reunite.errors.Problem`
naming the field; messages describe the kind of value expected and never repeat personal data
(a date or a sex is not echoed back).
"""

from __future__ import annotations

import datetime as dt
import math
import numbers

from ..errors import InputError, Problem
from ..genetics.pedigree import SEX_ALIASES

#: Mean length of a Gregorian month in days (365.2425 / 12).
DAYS_PER_MONTH = 365.2425 / 12
#: Mean length of a Gregorian year in days.
DAYS_PER_YEAR = 365.2425

_SQRT2 = math.sqrt(2.0)
LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
LN10 = math.log(10.0)


def fail(field: str, message: str) -> InputError:
    return InputError(Problem(message, field=field))


# ---------------------------------------------------------------------------------------------
# Input checks


def number(value: object, field: str, *, lo: float | None = None, hi: float | None = None,
           lo_open: bool = False, hi_open: bool = False) -> float:
    """A finite real number within [lo, hi] (ends open when asked), as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise fail(field, "must be a number")
    x = float(value)
    if not math.isfinite(x):
        raise fail(field, "must be a finite number")
    if lo is not None and (x < lo or (lo_open and x == lo)):
        raise fail(field, f"must be {'greater than' if lo_open else 'at least'} {lo:g}")
    if hi is not None and (x > hi or (hi_open and x == hi)):
        raise fail(field, f"must be {'less than' if hi_open else 'at most'} {hi:g}")
    return x


def probability(value: object, field: str, *, lo: float = 0.0, hi: float = 1.0,
                lo_open: bool = False, hi_open: bool = False) -> float:
    return number(value, field, lo=lo, hi=hi, lo_open=lo_open, hi_open=hi_open)


def date_value(value: object, field: str) -> dt.date:
    """A date: a :class:`datetime.date` (a datetime is cut to its date) or ISO text YYYY-MM-DD."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise fail(field, "is not a valid date (expected YYYY-MM-DD)") from None
    raise fail(field, "must be a date (a datetime.date or text YYYY-MM-DD)")


def optional_date(value: object, field: str) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return date_value(value, field)


# The pedigree's table without its PED codes 1/2/0 (a number is not a sex in these forms), with
# the words people write on them.
_SEX_WORDS = {
    **{k: v for k, v in SEX_ALIASES.items() if not k.isdigit()},
    "boy": "male", "girl": "female", "": "unknown", "?": "unknown",
}


def sex_value(value: object, field: str) -> str:
    """``male``, ``female`` or ``unknown`` (None, ``M``/``F``/``U`` and case are accepted)."""
    if value is None:
        return "unknown"
    if not isinstance(value, str):
        raise fail(field, "must be one of male, female, unknown")
    key = value.strip().lower()
    if key not in _SEX_WORDS:
        raise fail(field, "must be one of male, female, unknown")
    return _SEX_WORDS[key]


# ---------------------------------------------------------------------------------------------
# Log-space normal arithmetic (no scipy)


def log_norm_pdf(x: float, sd: float) -> float:
    """log of the N(0, sd²) density at x (sd > 0)."""
    z = x / sd
    return -0.5 * z * z - math.log(sd) - LOG_SQRT_2PI


def log_ndtr(z: float) -> float:
    """log Φ(z), accurate in both tails (asymptotic series below z = -20)."""
    if z > 5.0:
        return math.log1p(-0.5 * math.erfc(z / _SQRT2))
    if z > -20.0:
        return math.log(0.5 * math.erfc(-z / _SQRT2))
    z2 = z * z  # may be inf for absurd z: then the result is -inf
    u = 1.0 / z2
    series = 1.0 - u * (1.0 - u * (3.0 - u * (15.0 - u * (105.0 - u * 945.0))))
    return -0.5 * z2 - math.log(-z) - LOG_SQRT_2PI + math.log(series)


def log1mexp(x: float) -> float:
    """log(1 - e^x) for x <= 0 (-inf at x = 0)."""
    if x >= 0.0:
        return -math.inf
    if x > -math.log(2.0):
        return math.log(-math.expm1(x))
    return math.log1p(-math.exp(x))


def logaddexp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    m = max(a, b)
    return m + math.log1p(math.exp(-abs(a - b)))


def log_ndtr_diff(a: float, b: float) -> float:
    """log(Φ(b) - Φ(a)) for a < b, without cancellation in either tail."""
    if not a < b:
        return -math.inf
    if b - a < 1e-7:
        mid = 0.5 * (a + b)
        return math.log(b - a) - 0.5 * mid * mid - LOG_SQRT_2PI
    if a >= 0.0:  # both in the upper tail: Q(a) - Q(b)
        la, lb = log_ndtr(-a), log_ndtr(-b)
        return -math.inf if la == -math.inf else la + log1mexp(lb - la)
    if b <= 0.0:  # both in the lower tail
        lb, la = log_ndtr(b), log_ndtr(a)
        return -math.inf if lb == -math.inf else lb + log1mexp(la - lb)
    mass = 1.0 - 0.5 * math.erfc(b / _SQRT2) - 0.5 * math.erfc(-a / _SQRT2)
    return math.log(mass)


def log_exp_gauss(x: float, mean: float, sd: float) -> float:
    """log density at x of T + E with T ~ Exponential(mean), E ~ N(0, sd²) (the ex-Gaussian).

    ∫_0^∞ (1/m) e^{-t/m} φ(x - t; sd) dt = (1/m) exp(-x/m + sd²/(2m²)) Φ((x - sd²/m)/sd);
    with sd = 0 it is the exponential density itself (-inf below 0).
    """
    if sd == 0.0:
        return -math.log(mean) - x / mean if x >= 0 else -math.inf
    return -math.log(mean) - x / mean + sd * sd / (2.0 * mean * mean) + log_ndtr((x - sd * sd / mean) / sd)


def lr_from_log(log_lr: float) -> tuple[float, float | None]:
    """(LR, log10 LR) from a natural-log LR; LR overflows to inf but log10 stays exact."""
    if log_lr == -math.inf:
        return 0.0, None
    log10 = log_lr / LN10
    return (10.0 ** log10 if log10 < 308 else math.inf), log10
