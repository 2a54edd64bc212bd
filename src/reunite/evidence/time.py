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
"""

from __future__ import annotations

import math

from ._common import DAYS_PER_YEAR, log_exp_gauss, logaddexp, lr_from_log, number, optional_date, probability
from .fusion import EvidenceItem

__all__ = ["DEFAULT_E_GROSS_TIME", "DEFAULT_MEAN_DELAY_YEARS", "DEFAULT_RECORD_SD_DAYS", "DEFAULT_WINDOW_YEARS",
           "time_lr"]

DEFAULT_RECORD_SD_DAYS = 3.0
DEFAULT_MEAN_DELAY_YEARS = 10.0
DEFAULT_WINDOW_YEARS = 40.0
DEFAULT_E_GROSS_TIME = 0.001

MODEL = ("H1: delay found − disappeared ~ exponential(mean_delay_years) + N(0, 2 × record_sd_days²); "
         "H2: disappearance date uniform over window_years, independent of the found date; "
         "with probability e_gross a date is wrong and uninformative")


def time_lr(disappeared_on: object, found_on: object, *, record_sd_days: float = DEFAULT_RECORD_SD_DAYS,
            mean_delay_years: float = DEFAULT_MEAN_DELAY_YEARS, window_years: float = DEFAULT_WINDOW_YEARS,
            e_gross: float = DEFAULT_E_GROSS_TIME) -> EvidenceItem:
    """The time LR of a found child against a missing-child report (see the module for the model).

    ``disappeared_on`` is the report's date of disappearance, ``found_on`` the date the child was
    found (dates or YYYY-MM-DD).  When either is not recorded (None) the LR is 1.
    """
    gone = optional_date(disappeared_on, "disappeared_on")
    found = optional_date(found_on, "found_on")
    sd = number(record_sd_days, "record_sd_days", lo=0.0, hi=3650.0)
    mean = number(mean_delay_years, "mean_delay_years", lo=0.0, hi=200.0, lo_open=True)
    window = number(window_years, "window_years", lo=0.0, hi=500.0, lo_open=True)
    e_gross = probability(e_gross, "e_gross")
    params = {"record_sd_days": sd, "mean_delay_years": mean, "window_years": window, "e_gross": e_gross}
    if gone is None or found is None:
        side = "date of disappearance" if gone is None else "date found"
        return EvidenceItem("time", 1.0, 0.0, MODEL, params, {},
                            f"(The {side} is not recorded, so time says nothing here.)")
    d = float((found - gone).days)
    mean_days = mean * DAYS_PER_YEAR
    log_h1 = log_exp_gauss(d, mean_days, math.sqrt(2.0) * sd)
    log_model = log_h1 + math.log(window * DAYS_PER_YEAR)
    log_lr = logaddexp(math.log1p(-e_gross) + log_model if e_gross < 1 else -math.inf,
                       math.log(e_gross) if e_gross > 0 else -math.inf)
    lr, log10 = lr_from_log(log_lr)
    note = ""
    if d < 0:
        note = "(The child is recorded as found before it went missing.)"
    return EvidenceItem("time", lr, log10, MODEL, params, {"delay_days": int(d)}, note)
