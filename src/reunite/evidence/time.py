"""The time likelihood ratio: a child cannot be found before it went missing.

Model
-----
The evidence is the recorded delay d = found_on − disappeared_on (days).

* H1 (the found child is the report's missing child): the true delay T >= 0 follows an
  exponential distribution with mean ``mean_delay_years`` (default 10 years: broad on purpose;
  most children are found within a few years, but reunions after 20–30 years are common in
  national DNA databases, and an exponential with a 10-year mean still gives a 30-year delay a
  density only e^-3 of a short one).  Each recorded date is off by N(0, ``record_sd_days``²)
  (default 3 days: reports are often filed days later with an approximate date; the found date
  is a police record), so d = T + N(0, 2 × record_sd_days²): an ex-Gaussian density.
* H2 (another child): the report's disappearance date is unrelated to this child's found date;
  it is taken as uniform over a window of ``window_years`` (default 40: the span of reports a
  national registry holds) around it, a density of 1 / window (per day) whatever d is.  (A
  uniform window rather than the delay distribution marginalised: it needs no model of when
  other children went missing, and it is what a registry's spread of dates looks like.)
* Gross errors: with probability ``e_gross`` (default 0.001) a date is wrong altogether (a
  typed year, a swapped day and month) and says nothing, so
  LR = (1 − e_gross) × p_H1(d) × window + e_gross.  This is the floor: a child found years
  before the disappearance gets LR ≈ 0.001, never 0, so DNA can still overturn a wrong date.

With the defaults the LR is at most window / mean = 4 (a child found soon after the
disappearance), about 2 for a child found the same day, 1.47 after 10 years, 0.20 after 30
years, and 0.001 for a child found more than a few weeks before it went missing.

Population reference
--------------------
The defaults overstate the evidence in a store whose dates span a few years rather than 40: H2's
uniform window makes any child found after any disappearance look 4 times more probable under
H1 (docs/calibration.md measures it).  :meth:`TimeReference.from_population` takes the
distributions from the store itself (the reports' disappearance dates and the found children's
found dates; ``reference=`` of :func:`time_lr`):

* fewer than ``MIN_REFERENCE_DATES`` (30) dates on either side: the defaults above;
* else, with fewer than ``MIN_CONFIRMED_PAIRS`` (20) confirmed pairs, the evidence used is the
  delay's sign only: H1 = the child was found after it went missing (within 3 × √2 ×
  ``record_sd_days`` of recording error), which is certain but for gross errors; H2 = the share
  q of the store's found children found on or after the disappearance date.  LR = 1/q when found
  after, the ``e_gross`` floor when found before.  Nothing about the length of the delay is
  assumed, because the store cannot yet say how long its children stay missing (the default
  10-year exponential, right for a national registry, is far too broad for a trafficking ring's
  infants and made the delay rank pairs the wrong way once H2 came from the store);
* with at least ``MIN_CONFIRMED_PAIRS`` confirmed pairs: H1 = the histogram of their delays, H2 =
  the histogram of the delays of random report × found-child pairs of the store (all pairs, or
  200,000 drawn at random), both in 30-day bins smoothed by a bin each side and mixed with 2 %
  of the defaults (so no delay gets a density of 0).  LR = H1(d) / H2(d).

The gross-error mixture (``e_gross``) applies as above in every case.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np

from ._common import (
    DAYS_PER_YEAR,
    date_value,
    fail,
    log_exp_gauss,
    logaddexp,
    lr_from_log,
    number,
    optional_date,
    probability,
)
from .fusion import EvidenceItem

__all__ = ["DEFAULT_E_GROSS_TIME", "DEFAULT_MEAN_DELAY_YEARS", "DEFAULT_RECORD_SD_DAYS", "DEFAULT_WINDOW_YEARS",
           "MIN_CONFIRMED_PAIRS", "MIN_REFERENCE_DATES", "TimeReference", "time_lr"]

DEFAULT_RECORD_SD_DAYS = 3.0
DEFAULT_MEAN_DELAY_YEARS = 10.0
DEFAULT_WINDOW_YEARS = 40.0
DEFAULT_E_GROSS_TIME = 0.001
#: Fewest disappearance dates and fewest found dates for :meth:`TimeReference.from_population` to
#: use the store's own dates under H2; below either, the default uniform window is used.
MIN_REFERENCE_DATES = 30
#: Fewest confirmed pairs for :meth:`TimeReference.from_population` to take the delay under H1 from
#: them; below it the default exponential is used.
MIN_CONFIRMED_PAIRS = 20
#: Random report × found-child pairs drawn at most for the H2 histogram (all pairs when fewer).
MAX_REFERENCE_PAIRS = 200_000
#: Width of the bins of the delay histograms (days).
BIN_DAYS = 30.0
#: Weight of the default (uniform window, exponential delay) mixed into a population reference.
POPULATION_DEFAULT_WEIGHT = 0.02

MODEL = ("H1: delay found − disappeared ~ exponential(mean_delay_years) + N(0, 2 × record_sd_days²); "
         "H2: disappearance date uniform over window_years, independent of the found date; "
         "with probability e_gross a date is wrong and uninformative")
MODEL_SIGN = ("store reference: H1 the child was found after it went missing (within the dates' recording error); "
              "H2 the share of the store's found children found since the disappearance; only the delay's sign "
              "is used; with probability e_gross a date is wrong and uninformative")
MODEL_CONFIRMED = ("store reference: H1 delay ~ the delays of the store's confirmed pairs, H2 delay ~ the delays of "
                   "random report × found-child pairs of the store (each mixed with the defaults); with "
                   "probability e_gross a date is wrong and uninformative")


class _DelayHistogram:
    """A density of delays (days) from a histogram of ``BIN_DAYS`` bins, smoothed by one bin each side."""

    def __init__(self, delays: np.ndarray, bin_days: float = BIN_DAYS):
        lo = math.floor(float(delays.min()) / bin_days) - 2
        hi = math.ceil(float(delays.max()) / bin_days) + 3
        self.lo, self.bin = lo * bin_days, bin_days
        counts = np.bincount(np.floor(delays / bin_days).astype(np.int64) - lo, minlength=hi - lo).astype(float)
        smooth = np.convolve(counts, [0.25, 0.5, 0.25], mode="same")
        self.density = smooth / (smooth.sum() * bin_days)
        self.n = len(delays)

    def pdf(self, d: float) -> float:
        i = math.floor((d - self.lo) / self.bin)
        return float(self.density[i]) if 0 <= i < len(self.density) else 0.0


class TimeReference:
    """Where the time LR's distributions come from: the store's own population.

    Build one with :meth:`from_population` (see the module for the two models it gives).
    ``found_days`` are the store's found dates (days since 2000-01-01, sorted); ``h2`` the
    histogram of the delays of random report × found-child pairs and ``h1`` that of confirmed
    pairs (None when too few: then the delay's sign alone is used).
    """

    def __init__(self, found_days: np.ndarray, h2: _DelayHistogram | None, h1: _DelayHistogram | None,
                 default_weight: float, name: str):
        self.found_days = np.sort(np.asarray(found_days, dtype=float))
        self.h2, self.h1, self.default_weight, self.name = h2, h1, default_weight, name

    @property
    def usable(self) -> bool:
        """Whether the store was large enough: else :func:`time_lr` uses the default model."""
        return self.h2 is not None

    @classmethod
    def from_population(cls, disappeared_on: Sequence[object], found_on: Sequence[object], *,
                        confirmed_delays_days: Sequence[float] | None = None,
                        min_dates: int = MIN_REFERENCE_DATES, min_confirmed: int = MIN_CONFIRMED_PAIRS,
                        default_weight: float = POPULATION_DEFAULT_WEIGHT,
                        max_pairs: int = MAX_REFERENCE_PAIRS, seed: int = 0) -> TimeReference:
        """The reference of a store: its reports' disappearance dates, its found children's found
        dates (None entries skipped) and, if any, the delays (days) of its confirmed pairs.

        With fewer than ``min_dates`` dates on either side the reference is not usable and
        :func:`time_lr` keeps the default model; with fewer than ``min_confirmed`` confirmed
        delays only the delay's sign is used.  The H2 histogram is over all report × child pairs,
        or ``max_pairs`` drawn at random (seeded) when there are more.
        """
        gone = _days(disappeared_on, "disappeared_on")
        found = _days(found_on, "found_on")
        w = probability(default_weight, "default_weight", hi=1.0, lo_open=True)
        if min(len(gone), len(found)) < int(number(min_dates, "min_dates", lo=1.0)):
            return cls(found, None, None, w, f"default (fewer than {min_dates} dates of disappearance or "
                                             f"found dates in the store: {len(gone)} and {len(found)})")
        if len(gone) * len(found) <= max_pairs:
            delays = (found[:, None] - gone[None, :]).ravel()
        else:
            rng = np.random.default_rng(seed)
            delays = found[rng.integers(0, len(found), max_pairs)] - gone[rng.integers(0, len(gone), max_pairs)]
        h2 = _DelayHistogram(delays.astype(float))
        conf = np.array([number(d, "confirmed_delays_days") for d in (confirmed_delays_days or [])], dtype=float)
        if len(conf) >= int(number(min_confirmed, "min_confirmed", lo=1.0)):
            h1 = _DelayHistogram(conf)
            name = (f"population: H1 the delays of {len(conf)} confirmed pairs, H2 the delays of {h2.n:,} "
                    f"report × found-child pairs of the store ({len(gone)} reports, {len(found)} found "
                    f"children); each mixed with {w:g} of the default")
        else:
            h1 = None
            name = (f"population: found after the disappearance or not, against the share of the store's "
                    f"{len(found)} found children found after it ({len(conf)} confirmed pairs, fewer than "
                    f"{min_confirmed}: the delay's length is not used)")
        return cls(found, h2, h1, w, name)

    def share_found_since(self, day: float) -> float:
        """The share of the store's found children found on or after ``day`` (days since 2000-01-01)."""
        n = len(self.found_days)
        return (n - int(np.searchsorted(self.found_days, day, side="left"))) / n if n else 0.0

    def describe(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"TimeReference({self.name!r})"


_EPOCH = dt.date(2000, 1, 1)


def _days(values: Sequence[object], field: str) -> np.ndarray:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        raise fail(field, "must be a list of dates")
    return np.array([(date_value(v, field) - _EPOCH).days for v in values if v is not None], dtype=float)


def time_lr(disappeared_on: object, found_on: object, *, record_sd_days: float = DEFAULT_RECORD_SD_DAYS,
            mean_delay_years: float = DEFAULT_MEAN_DELAY_YEARS, window_years: float = DEFAULT_WINDOW_YEARS,
            e_gross: float = DEFAULT_E_GROSS_TIME, reference: TimeReference | None = None) -> EvidenceItem:
    """The time LR of a found child against a missing-child report (see the module for the model).

    ``disappeared_on`` is the report's date of disappearance, ``found_on`` the date the child was
    found (dates or YYYY-MM-DD).  When either is not recorded (None) the LR is 1.  ``reference``
    (:meth:`TimeReference.from_population`) takes H2, and H1 when the store has confirmed pairs,
    from the store's own population; without it the defaults of the module are used.
    """
    if reference is not None and not isinstance(reference, TimeReference):
        raise fail("reference", "must be a TimeReference")
    gone = optional_date(disappeared_on, "disappeared_on")
    found = optional_date(found_on, "found_on")
    sd = number(record_sd_days, "record_sd_days", lo=0.0, hi=3650.0)
    mean = number(mean_delay_years, "mean_delay_years", lo=0.0, hi=200.0, lo_open=True)
    window = number(window_years, "window_years", lo=0.0, hi=500.0, lo_open=True)
    e_gross = probability(e_gross, "e_gross")
    params: dict[str, object] = {"record_sd_days": sd, "mean_delay_years": mean, "window_years": window,
                                 "e_gross": e_gross}
    if reference is not None:
        params["reference"] = reference.describe()
    if gone is None or found is None:
        side = "date of disappearance" if gone is None else "date found"
        return EvidenceItem("time", 1.0, 0.0, MODEL, params, {},
                            f"(The {side} is not recorded, so time says nothing here.)")
    d = float((found - gone).days)
    mean_days = mean * DAYS_PER_YEAR
    log_h1 = log_exp_gauss(d, mean_days, math.sqrt(2.0) * sd)
    model = MODEL
    observed: dict[str, object] = {"delay_days": int(d)}
    if reference is None or not reference.usable:
        log_model = log_h1 + math.log(window * DAYS_PER_YEAR)
    elif reference.h1 is None:
        model = MODEL_SIGN
        # Only the sign: under H1 the child was found after it went missing (within the dates'
        # recording error, 3 × the sd of a delay); under H2 that happens for the share of the
        # store's found children found since, read from the store.
        tol = 3.0 * math.sqrt(2.0) * sd
        if d >= -tol:
            q = reference.share_found_since(float((gone - _EPOCH).days) - tol)
            q = max(q, 1.0 / max(len(reference.found_days), 1))
            observed["share_found_since"] = round(q, 4)
            log_model = -math.log(q)
        else:
            log_model = -math.inf
    else:
        model = MODEL_CONFIRMED
        w = reference.default_weight
        p_h1 = (1 - w) * reference.h1.pdf(d) + w * math.exp(log_h1)
        p_h2 = (1 - w) * reference.h2.pdf(d) + w / (window * DAYS_PER_YEAR)
        log_model = math.log(p_h1) - math.log(p_h2) if p_h1 > 0 else -math.inf
    log_lr = logaddexp(math.log1p(-e_gross) + log_model if e_gross < 1 else -math.inf,
                       math.log(e_gross) if e_gross > 0 else -math.inf)
    lr, log10 = lr_from_log(log_lr)
    note = ""
    if d < 0:
        note = "(The child is recorded as found before it went missing.)"
    elif "share_found_since" in observed:
        note = (f"(Of the store's found children, {observed['share_found_since']:.0%} were found after this "
                f"disappearance; how long after is not used.)")
    return EvidenceItem("time", lr, log10, model, params, observed, note)
