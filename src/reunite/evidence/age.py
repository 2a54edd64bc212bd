"""The age likelihood ratio: a found child's estimated age against the age the missing child would have.

Model
-----
The found child's age is estimated (``estimated_age_months``, from a doctor, dental or skeletal
age) on a date (``assessed_on``, usually the day the child was found) with a standard deviation
``estimate_sd_months``: estimate = true age + N(0, sd²).

* H1 (the found child is the report's missing child): the true age is the missing child's age on
  that date, known from the report up to its own uncertainty:

  - from the date of birth: age = assessed_on − birth_date, uncertain by ``birth_date_sd_months``
    (default 0.5: reported dates of birth are usually exact; the half month covers clerical
    errors of days to weeks, e.g. a lunar-calendar date written as a Gregorian one);
  - else from an age at disappearance: age = age_at_disappearance + (assessed_on − disappeared_on),
    uncertain by ``age_at_disappearance_sd_months`` (default 3.5: an age reported in whole years
    is uniform over a year, sd 12/√12 ≈ 3.5 months; pass the middle of the year as the age).

  So estimate ~ N(expected age, sd² + sd_report²).
* H2 (another child): the true age is a draw from a reference distribution of the ages of found
  children (:class:`AgeReference`), and the estimate adds the same N(0, sd²) error; the density
  of the estimate is the reference convolved with that error.
* Gross errors: with probability ``e_gross`` (default 0.001) the report's age is wrong altogether
  (a wrong year of birth, a mixed-up file) and says nothing, so
  LR = (1 − e_gross) × LR_gauss + e_gross: no age mismatch pushes the LR below 0.001, and DNA can
  still overturn it.

The default reference, :meth:`AgeReference.default`, is a documented stand-in until the registry
has enough found children to use their own histogram (:meth:`AgeReference.histogram`): 70 %
exponential with a mean of 36 months (children of unknown identity are mostly infants and young
children: abandoned newborns, trafficked babies, lost toddlers; its density does not vanish at
birth, so matching newborns are not over-rewarded) and 30 % uniform over 0–100 years (older
children, and adults taken as children who search for their families; it spans every age
accepted, so no estimate falls in a tail where the reference density, and with it the
denominator, would be vanishingly small).  With it, an 8-month estimate (sd 2 months) that
agrees with the report gives LR ≈ 12, and the LR falls below 1 once the difference exceeds
about 2.2 standard deviations.

Population reference
--------------------
:meth:`AgeReference.from_population` builds the H2 reference from the store's own found children
(their estimated ages; pass it as ``reference=``): an equal-count histogram, 10 children a bin
(narrow bins where children are many, as infants are in a trafficking case), mixed with 5 % of
the default so that an age the store has not seen keeps a density.  With fewer than
``MIN_REFERENCE_CHILDREN`` (30) estimates it returns the default.  Where the found children are
mostly infants the default's density at infant ages is too low, so an agreeing age was worth 12
when it is worth about 4 (docs/calibration.md).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._common import (
    DAYS_PER_MONTH,
    LOG_SQRT_2PI,
    date_value,
    fail,
    log_exp_gauss,
    log_ndtr_diff,
    log_norm_pdf,
    logaddexp,
    lr_from_log,
    number,
    optional_date,
    probability,
)
from .fusion import EvidenceItem

__all__ = [
    "DEFAULT_AGE_AT_DISAPPEARANCE_SD_MONTHS",
    "DEFAULT_BIRTH_DATE_SD_MONTHS",
    "DEFAULT_E_GROSS_AGE",
    "MAX_AGE_MONTHS",
    "MIN_REFERENCE_CHILDREN",
    "AgeReference",
    "age_lr",
    "months_between",
]

DEFAULT_BIRTH_DATE_SD_MONTHS = 0.5
DEFAULT_AGE_AT_DISAPPEARANCE_SD_MONTHS = 3.5
DEFAULT_E_GROSS_AGE = 0.001
#: Largest age accepted (100 years), in months.
MAX_AGE_MONTHS = 1200.0
#: Fewest found children with an age estimate for :meth:`AgeReference.from_population` to use the
#: store's own ages; below it the default reference is used.
MIN_REFERENCE_CHILDREN = 30
#: Weight of the default reference mixed into a population reference (ages the store has not seen).
POPULATION_DEFAULT_WEIGHT = 0.05
#: Found children per bin of a population reference (equal-count bins).
POPULATION_BIN_COUNT = 10

MODEL = ("H1: estimate ~ N(expected age from the report, sd² + sd_report²); H2: estimate ~ reference "
         "distribution of found children's ages convolved with N(0, sd²); with probability e_gross the "
         "report's age is wrong and uninformative")


def months_between(start: dt.date, end: dt.date) -> float:
    """Months from ``start`` to ``end`` (mean Gregorian months of 30.436875 days; negative if end < start)."""
    return (end - start).days / DAYS_PER_MONTH


# ---------------------------------------------------------------------------------------------
# Reference distributions of the true ages of found children (months)


@dataclass(frozen=True)
class _Uniform:
    lo: float
    hi: float

    def log_pdf(self, a: float) -> float:
        return -math.log(self.hi - self.lo) if self.lo <= a <= self.hi else -math.inf

    def log_conv(self, x: float, sd: float) -> float:
        if sd == 0.0:
            return self.log_pdf(x)
        return log_ndtr_diff((x - self.hi) / sd, (x - self.lo) / sd) - math.log(self.hi - self.lo)

    def describe(self) -> str:
        return f"uniform {self.lo:g}–{self.hi:g} months"


@dataclass(frozen=True)
class _Exponential:
    mean: float

    def log_pdf(self, a: float) -> float:
        return -math.log(self.mean) - a / self.mean if a >= 0 else -math.inf

    def log_conv(self, x: float, sd: float) -> float:
        return log_exp_gauss(x, self.mean, sd)

    def describe(self) -> str:
        return f"exponential, mean {self.mean:g} months"


@dataclass(frozen=True)
class _LogNormal:
    mu: float  # log of the median, in log-months
    sigma: float

    def log_pdf(self, a: float) -> float:
        if a <= 0:
            return -math.inf
        z = (math.log(a) - self.mu) / self.sigma
        return -0.5 * z * z - math.log(a) - math.log(self.sigma) - LOG_SQRT_2PI

    def log_conv(self, x: float, sd: float) -> float:
        if sd < 1e-6 * max(x, 1e-3):  # an error far narrower than the density's scale: f(x) itself
            return self.log_pdf(x)
        # trapezoid rule in log space on a grid that resolves both the error (around x) and
        # the log-normal's bulk, and bridges the two
        bulk = np.exp(np.linspace(self.mu - 12 * self.sigma, self.mu + 12 * self.sigma, 4001))
        lo, hi = max(x - 40 * sd, 0.0), x + 40 * sd
        window = np.linspace(lo, hi, 2001)
        bridge = np.linspace(min(lo, bulk[0]), max(hi, bulk[-1]), 2001)
        a = np.unique(np.concatenate([bulk, window, bridge]))
        a = a[a > 0]
        la = np.log(a)
        z = (la - self.mu) / self.sigma
        e = (x - a) / sd
        log_f = -0.5 * z * z - la - math.log(self.sigma) - LOG_SQRT_2PI - 0.5 * e * e - math.log(sd) - LOG_SQRT_2PI
        m = float(log_f.max())
        if m == -math.inf:
            return -math.inf
        v = np.exp(log_f - m)
        total = float(np.sum(0.5 * np.diff(a) * (v[1:] + v[:-1])))
        return math.log(total) + m if total > 0 else -math.inf

    def describe(self) -> str:
        return f"log-normal, median {math.exp(self.mu):g} months, sigma {self.sigma:g}"


class AgeReference:
    """The distribution of the true ages (months) of found children, used under H2.

    A mixture of components (uniform bins, exponential, log-normal); build one with
    :meth:`default`, :meth:`histogram`, :meth:`exponential`, :meth:`uniform`, :meth:`lognormal`
    or :meth:`mixture`.
    """

    def __init__(self, components: Sequence[tuple[float, object]], name: str):
        total = math.fsum(w for w, _ in components)
        self.components = tuple((w / total, c) for w, c in components if w > 0)
        self.name = name
        self._cache: dict[tuple[float, float], float] = {}

    # -- constructors -------------------------------------------------------------------------

    @classmethod
    def default(cls) -> AgeReference:
        """70 % exponential (mean 36 months) + 30 % uniform over 0–1200 months (see the module)."""
        return cls([(0.7, _Exponential(36.0)), (0.3, _Uniform(0.0, MAX_AGE_MONTHS))],
                   "default: 70% exponential (mean 36 months) + 30% uniform 0–1200 months")

    @classmethod
    def exponential(cls, mean_months: float) -> AgeReference:
        mean = number(mean_months, "mean_months", lo=0.0, lo_open=True)
        return cls([(1.0, _Exponential(mean))], f"exponential, mean {mean:g} months")

    @classmethod
    def uniform(cls, lo_months: float, hi_months: float) -> AgeReference:
        lo = number(lo_months, "lo_months", lo=0.0)
        hi = number(hi_months, "hi_months", lo=lo, lo_open=True)
        return cls([(1.0, _Uniform(lo, hi))], f"uniform {lo:g}–{hi:g} months")

    @classmethod
    def lognormal(cls, median_months: float, sigma: float) -> AgeReference:
        median = number(median_months, "median_months", lo=0.0, lo_open=True)
        s = number(sigma, "sigma", lo=0.0, lo_open=True)
        return cls([(1.0, _LogNormal(math.log(median), s))], f"log-normal, median {median:g} months, sigma {s:g}")

    @classmethod
    def histogram(cls, edges_months: Sequence[float], counts: Sequence[float]) -> AgeReference:
        """An empirical histogram: ``counts[i]`` found children aged [edges[i], edges[i+1]) months
        (uniform within a bin).  Bins with no children get no probability, so keep the bins wide
        enough (or mix in a broad component with :meth:`mixture`)."""
        if isinstance(edges_months, str | bytes) or not isinstance(edges_months, Sequence | np.ndarray):
            raise fail("edges_months", "must be a list of bin edges in months")
        if isinstance(counts, str | bytes) or not isinstance(counts, Sequence | np.ndarray):
            raise fail("counts", "must be a list of counts, one per bin")
        edges = [number(e, "edges_months", lo=0.0) for e in edges_months]
        cnt = [number(c, "counts", lo=0.0) for c in counts]
        if len(edges) < 2 or len(cnt) != len(edges) - 1:
            raise fail("counts", "must have one count per bin (one fewer than the edges)")
        if any(b <= a for a, b in itertools.pairwise(edges)):
            raise fail("edges_months", "must be strictly increasing")
        if math.fsum(cnt) <= 0:
            raise fail("counts", "must not all be zero")
        comps = [(c, _Uniform(a, b)) for c, (a, b) in zip(cnt, itertools.pairwise(edges), strict=True) if c > 0]
        return cls(comps, f"histogram of {math.fsum(cnt):g} found children in {len(cnt)} bins, "
                          f"{edges[0]:g}–{edges[-1]:g} months")

    @classmethod
    def from_population(cls, ages_months: Sequence[float | None], *,
                        min_children: int = MIN_REFERENCE_CHILDREN,
                        default_weight: float = POPULATION_DEFAULT_WEIGHT,
                        per_bin: int = POPULATION_BIN_COUNT) -> AgeReference:
        """The reference taken from the store's own found children: their estimated ages (months).

        An equal-count histogram (``per_bin`` children a bin, so bins are narrow where children
        are many: infants) mixed with ``default_weight`` of :meth:`default` (so an age the store
        has not seen still has a density).  With fewer than ``min_children`` estimates (None
        entries are skipped) it is :meth:`default` itself: a histogram of a handful of children
        says more about chance than about the population.  The estimates carry their own error,
        which the LR adds again (a slight over-smoothing of the reference, on the safe side).
        """
        if isinstance(ages_months, str | bytes) or not isinstance(ages_months, Sequence | np.ndarray):
            raise fail("ages_months", "must be a list of ages in months")
        ages = np.sort(np.array([number(a, "ages_months", lo=0.0, hi=MAX_AGE_MONTHS)
                                 for a in ages_months if a is not None], dtype=float))
        w = probability(default_weight, "default_weight", hi=1.0, lo_open=True)
        k = int(number(per_bin, "per_bin", lo=1.0))
        if len(ages) < int(number(min_children, "min_children", lo=1.0)):
            return cls.default()
        # Equal-count bins: edges at every k-th order statistic, half-way between neighbours.
        cuts = [0.5 * (ages[i - 1] + ages[i]) for i in range(k, len(ages) - k + 1, k)]
        edges = [0.0, *cuts, MAX_AGE_MONTHS]
        # (bins at least half a month wide: estimates recorded to the day would make spikes)
        merged = [edges[0]]
        for e in edges[1:-1]:
            if e - merged[-1] >= 0.5:
                merged.append(e)
        if MAX_AGE_MONTHS - merged[-1] < 0.5:
            merged.pop()
        merged.append(MAX_AGE_MONTHS)
        idx = np.searchsorted(np.array(merged[1:-1]), ages, side="right")
        counts = np.bincount(idx, minlength=len(merged) - 1).astype(float)
        # The last bin runs to 100 years: cut it at the oldest child (plus a year) so its count is
        # not spread over a century.
        top = min(MAX_AGE_MONTHS, float(ages[-1]) + 12.0)
        if top > merged[-2]:
            merged[-1] = top
        hist = cls.histogram(merged, counts.tolist())
        ref = cls.mixture([(1.0 - w, hist), (w, cls.default())])
        name = (f"population: equal-count histogram of {len(ages)} found children's estimated ages "
                f"({len(counts)} bins, {k} a bin) mixed with {w:g} of the default")
        return cls(list(ref.components), name)

    @classmethod
    def mixture(cls, parts: Sequence[tuple[float, AgeReference]]) -> AgeReference:
        """A weighted mixture of references (weights need not sum to 1)."""
        comps: list[tuple[float, object]] = []
        names = []
        for i, part in enumerate(parts):
            if not (isinstance(part, tuple) and len(part) == 2 and isinstance(part[1], AgeReference)):
                raise fail(f"parts[{i}]", "must be a (weight, AgeReference) pair")
            w = number(part[0], f"parts[{i}]", lo=0.0)
            comps += [(w * cw, c) for cw, c in part[1].components]
            names.append(f"{w:g} × ({part[1].name})")
        if not comps or math.fsum(w for w, _ in comps) <= 0:
            raise fail("parts", "must have a positive total weight")
        return cls(comps, "mixture: " + " + ".join(names))

    # -- densities ----------------------------------------------------------------------------

    def log_density(self, age_months: float) -> float:
        """log of the reference density at an age (per month)."""
        return self._logsum([c.log_pdf(age_months) for _, c in self.components])  # type: ignore[attr-defined]

    def log_estimate_density(self, estimate_months: float, sd_months: float) -> float:
        """log density of an estimate with N(0, sd²) error: the reference convolved with the error."""
        key = (float(estimate_months), float(sd_months))
        out = self._cache.get(key)
        if out is None:
            out = self._logsum([c.log_conv(estimate_months, sd_months) for _, c in self.components])  # type: ignore[attr-defined]
            if len(self._cache) < 100_000:  # (one entry per found child in a matching run)
                self._cache[key] = out
        return out

    def _logsum(self, logs: list[float]) -> float:
        out = -math.inf
        for (w, _), lv in zip(self.components, logs, strict=True):
            out = logaddexp(out, math.log(w) + lv)
        return out

    def describe(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"AgeReference({self.name!r})"


# ---------------------------------------------------------------------------------------------


def _one(note: str, params: dict) -> EvidenceItem:
    return EvidenceItem("age", 1.0, 0.0, MODEL, params, {}, note)


def age_lr(estimated_age_months: float | None, estimate_sd_months: float | None, assessed_on: object, *,
           birth_date: object = None, birth_date_sd_months: float = DEFAULT_BIRTH_DATE_SD_MONTHS,
           disappeared_on: object = None, age_at_disappearance_months: float | None = None,
           age_at_disappearance_sd_months: float = DEFAULT_AGE_AT_DISAPPEARANCE_SD_MONTHS,
           reference: AgeReference | None = None, e_gross: float = DEFAULT_E_GROSS_AGE) -> EvidenceItem:
    """The age LR of a found child against a missing-child report (see the module for the model).

    ``estimated_age_months`` ± ``estimate_sd_months`` is the found child's estimated age on
    ``assessed_on`` (a date or YYYY-MM-DD; usually the date found).  The report gives
    ``birth_date``, or else ``age_at_disappearance_months`` with ``disappeared_on``.  When the
    found child has no estimate, or the report neither a date of birth nor an age, the LR is 1.
    """
    reference = AgeReference.default() if reference is None else reference
    if not isinstance(reference, AgeReference):
        raise fail("reference", "must be an AgeReference")
    e_gross = probability(e_gross, "e_gross", hi=1.0)
    bsd = number(birth_date_sd_months, "birth_date_sd_months", lo=0.0, hi=MAX_AGE_MONTHS)
    dsd = number(age_at_disappearance_sd_months, "age_at_disappearance_sd_months", lo=0.0, hi=MAX_AGE_MONTHS)
    born = optional_date(birth_date, "birth_date")
    gone = optional_date(disappeared_on, "disappeared_on")
    age_gone = None
    if age_at_disappearance_months is not None:
        age_gone = number(age_at_disappearance_months, "age_at_disappearance_months", lo=0.0, hi=MAX_AGE_MONTHS)
        if gone is None and born is None:
            raise fail("disappeared_on", "is needed with an age at disappearance")
    if estimated_age_months is None:
        if estimate_sd_months is not None:
            number(estimate_sd_months, "estimate_sd_months", lo=0.0, hi=MAX_AGE_MONTHS)
        if assessed_on is not None:
            date_value(assessed_on, "assessed_on")
        params = {"reference": reference.describe(), "e_gross": e_gross}
        return _one("(The found child has no age estimate, so age says nothing here.)", params)
    x = number(estimated_age_months, "estimated_age_months", lo=0.0, hi=MAX_AGE_MONTHS)
    if estimate_sd_months is None:
        raise fail("estimate_sd_months", "is needed with an age estimate (its standard deviation in months)")
    sd = number(estimate_sd_months, "estimate_sd_months", lo=0.0, hi=MAX_AGE_MONTHS)
    on = date_value(assessed_on, "assessed_on")

    params: dict[str, object] = {"estimate_sd_months": sd, "reference": reference.describe(), "e_gross": e_gross}
    if born is not None:
        mu, sd_rep, source = months_between(born, on), bsd, "date of birth"
        params["birth_date_sd_months"] = bsd
    elif age_gone is not None and gone is not None:
        mu, sd_rep, source = age_gone + months_between(gone, on), dsd, "age at disappearance"
        params["age_at_disappearance_sd_months"] = dsd
    else:
        return _one("(The report gives neither a date of birth nor an age, so age says nothing here.)", params)
    total = math.hypot(sd, sd_rep)
    if total == 0.0:
        raise fail("estimate_sd_months", "an age comparison needs some uncertainty; the estimate's and the "
                                         "report's standard deviations cannot both be 0")
    log_num = log_norm_pdf(x - mu, total)
    log_den = reference.log_estimate_density(x, sd)
    if log_den == -math.inf:
        raise fail("reference", "gives no probability to this age estimate; use a reference that covers all ages")
    log_model = log_num - log_den
    log_lr = logaddexp(math.log1p(-e_gross) + log_model if e_gross < 1 else -math.inf,
                       math.log(e_gross) if e_gross > 0 else -math.inf)
    lr, log10 = lr_from_log(log_lr)
    observed = {
        "estimate_months": x,
        "expected_months": round(mu, 2),
        "expected_from": source,
        "difference_months": round(x - mu, 2),
        "combined_sd_months": round(total, 3),
        "z": round((x - mu) / total, 3),
    }
    return EvidenceItem("age", lr, log10, MODEL, params, observed)
