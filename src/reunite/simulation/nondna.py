"""A simulated population of missing-child reports and found children without DNA.

Built to calibrate the non-DNA evidence (sex, age, time; place as text for later) on a population
that looks like the Kunming case (DESIGN.md): reports from rural counties, a trafficking ring that
took infants, children rescued months later, and many reports and found children that have
nothing to do with each other.  The records carry the attribute names of the store's
``MissingReport`` and ``FoundChild`` (``report_number``, ``sex``, ``date_of_birth``,
``disappeared_on``, ``disappeared_place``; ``case_number``, ``sex``, ``age_months``,
``age_sd_months``, ``age_assessed_on``, ``found_on``, ``found_place``), so the evidence layer
scores simulated and stored populations by the same code.

Assumptions (each a stated choice, not a measured fact):

* **Reports** (``n_reports``): disappearances uniform over ``start`` .. ``end`` (default
  2012-07-01 .. 2014-06-30: the two years of a ring's activity before the rescue); the child's
  age at disappearance is 80 % infants (uniform 0–12 months: the families a ring buys from or
  steals from report infants), 15 % young children (1–3 years), 5 % older children (3–14 years);
  65 % boys (trafficked infants in China are mostly boys); the place is one of 16 rural counties
  of Yunnan, as Chinese text.  The date of birth is recorded exactly for 90 % of reports and off
  by up to a month for 10 % (a lunar-calendar date written as a Gregorian one); the disappearance
  date is recorded within a few days (N(0, 3 days)); 1 % of reports carry a gross error (a wrong
  year of birth or of disappearance); 1 % a wrong sex.
* **True pairs** (``n_true``): the ring took infants, so the true reports are drawn among reports
  of children under 12 months at disappearance (all reports if there are too few); each true
  child is found ``delay`` after the disappearance, log-normal with median 4 months and sigma 0.8
  (most within a year, a few after two: a ring holds and resells infants for months), and not
  after ``end`` plus a year.
* **Other found children** (``n_children − n_true``): children sold by their own families and never
  reported, or from elsewhere: found uniformly over the same span as the true children, with ages
  drawn from the same mix as the reports (infants most often), sex 65 % boys; their places are
  cities of the buyers' provinces or Kunming.
* **Age estimates**: a doctor's estimate on the day found, true age + N(0, sd²) with sd 15 % of
  the age and at least 1 month (the recorded ``age_sd_months`` is that sd); 1 % are gross errors
  (off by a factor drawn from 0.5–2), with the same stated sd.
* Found children's sex is recorded wrongly 1 % of the time.

``age_bands`` replaces the mix of ages at disappearance (for a store of older children, say);
the rest stays as stated.  The simulation is seeded (numpy's PCG64): the same arguments give the
same population.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

__all__ = ["NonDnaPopulation", "SimFoundChild", "SimReport", "simulate_nondna_population"]

_DAYS_PER_MONTH = 365.2425 / 12

#: Rural counties of Yunnan (place of disappearance), as registered.
COUNTIES = ("云南省昭通市镇雄县", "云南省昭通市彝良县", "云南省昭通市威信县", "云南省昭通市巧家县",
            "云南省昭通市永善县", "云南省昭通市大关县", "云南省昭通市盐津县", "云南省昭通市鲁甸县",
            "云南省曲靖市会泽县", "云南省曲靖市富源县", "云南省曲靖市师宗县", "云南省曲靖市罗平县",
            "云南省文山州广南县", "云南省文山州丘北县", "云南省文山州砚山县", "云南省红河州元阳县")
#: Where found children were found: the rescue in Kunming and cities of the buyers' provinces.
FOUND_PLACES = ("云南省昆明市", "山东省菏泽市", "山东省临沂市", "福建省莆田市", "福建省泉州市",
                "河南省周口市", "河南省商丘市")


@dataclass(frozen=True)
class SimReport:
    """A simulated missing-child report (the store's ``MissingReport`` attribute names)."""

    report_number: str
    sex: str
    date_of_birth: dt.date | None
    disappeared_on: dt.date | None
    disappeared_place: str | None = None


@dataclass(frozen=True)
class SimFoundChild:
    """A simulated found child (the store's ``FoundChild`` attribute names)."""

    case_number: str
    sex: str
    age_months: float | None
    age_sd_months: float | None
    age_assessed_on: dt.date | None
    found_on: dt.date | None
    found_place: str | None = None


@dataclass(frozen=True)
class NonDnaPopulation:
    """Reports, found children and the truth: ``true_pairs`` maps a case number to its report number."""

    reports: tuple[SimReport, ...]
    children: tuple[SimFoundChild, ...]
    true_pairs: dict[str, str] = field(default_factory=dict)
    seed: int = 0

    def as_dict(self) -> dict:
        return {"simulated": True, "reports": len(self.reports), "found_children": len(self.children),
                "true_pairs": len(self.true_pairs), "seed": self.seed,
                "simulator": "reunite.simulation.nondna (its docstring states the assumptions)"}


#: Ages at disappearance (share, from, to months): 80 % 0–12 months, 15 % 1–3 years, 5 % 3–14 years.
KUNMING_AGES = ((0.80, 0.0, 12.0), (0.15, 12.0, 36.0), (0.05, 36.0, 168.0))


def _ages_months(rng: np.random.Generator, n: int, bands: tuple[tuple[float, float, float], ...]) -> np.ndarray:
    """Ages at disappearance drawn from ``bands`` (share, from, to months; uniform within a band)."""
    share = np.array([b[0] for b in bands], dtype=float)
    band = rng.choice(len(bands), size=n, p=share / share.sum())
    lo = np.array([b[1] for b in bands])[band]
    hi = np.array([b[2] for b in bands])[band]
    return rng.uniform(lo, hi)


def _date(origin: dt.date, days: float) -> dt.date:
    return origin + dt.timedelta(days=round(float(days)))


def simulate_nondna_population(n_reports: int = 300, n_children: int = 120, n_true: int = 80, *, seed: int = 0,
                               start: dt.date = dt.date(2012, 7, 1),
                               end: dt.date = dt.date(2014, 6, 30),
                               age_bands: tuple[tuple[float, float, float], ...] = KUNMING_AGES) -> NonDnaPopulation:
    """Simulate reports, found children and true pairs (see the module for every assumption).

    ``age_bands`` (share, from, to months) replaces the Kunming-like mix of ages at disappearance,
    for the reports and the unreported found children alike; the true pairs are still drawn among
    the reports of children under 12 months when there are enough of them, else among all."""
    for name, v in (("n_reports", n_reports), ("n_children", n_children), ("n_true", n_true)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"{name} must be a whole number >= 0")
    if n_true > min(n_reports, n_children):
        raise ValueError("n_true must be at most the number of reports and of found children")
    if not start < end:
        raise ValueError("start must be before end")
    rng = np.random.default_rng(seed)
    span = (end - start).days

    # Reports: true disappearance dates and ages, then what was recorded.
    gone = rng.uniform(0, span, n_reports)
    age_gone = _ages_months(rng, n_reports, age_bands)
    male = rng.random(n_reports) < 0.65
    county = rng.integers(0, len(COUNTIES), n_reports)
    infants = np.flatnonzero(age_gone < 12.0)
    pool = infants if len(infants) >= n_true else np.arange(n_reports)
    true_reports = rng.choice(pool, size=n_true, replace=False)

    reports = []
    for i in range(n_reports):
        born_days = gone[i] - age_gone[i] * _DAYS_PER_MONTH
        rec_born = born_days + (rng.uniform(-30, 30) if rng.random() < 0.10 else 0.0)
        rec_gone = gone[i] + rng.normal(0, 3.0)
        if rng.random() < 0.01:  # a gross error: a wrong year of birth or of disappearance
            if rng.random() < 0.5:
                rec_born += 365.0 * rng.choice([-2, -1, 1, 2])
            else:
                rec_gone += 365.0 * rng.choice([-2, -1, 1, 2])
        sex = "male" if male[i] else "female"
        if rng.random() < 0.01:
            sex = "female" if male[i] else "male"
        reports.append(SimReport(f"R{i + 1:05d}", sex, _date(start, rec_born), _date(start, rec_gone),
                                 COUNTIES[county[i]]))

    # Found children: the true ones first (in a shuffled order of case numbers), then the others.
    latest = span + 365.0
    found_days, true_age, child_male, truth_of = [], [], [], []
    for r in true_reports:
        delay = min(float(np.exp(np.log(4.0 * _DAYS_PER_MONTH) + 0.8 * rng.standard_normal())), latest - gone[r])
        found_days.append(gone[r] + delay)
        true_age.append(age_gone[r] + delay / _DAYS_PER_MONTH)
        child_male.append(bool(male[r]))
        truth_of.append(int(r))
    if found_days:
        lo_f, hi_f = min(found_days), max(found_days)
    else:
        lo_f, hi_f = 0.0, latest
    n_other = n_children - n_true
    other_ages = _ages_months(rng, n_other, age_bands)
    for k in range(n_other):
        found_days.append(rng.uniform(lo_f, hi_f))
        true_age.append(float(other_ages[k]))
        child_male.append(bool(rng.random() < 0.65))
        truth_of.append(-1)
    order = rng.permutation(n_children)
    children, true_pairs = [], {}
    for case_idx, j in enumerate(order):
        age = true_age[j]
        sd = max(1.0, 0.15 * age)
        est = age * rng.uniform(0.5, 2.0) if rng.random() < 0.01 else age + rng.normal(0.0, sd)
        est = max(0.0, est)
        sex = "male" if child_male[j] else "female"
        if rng.random() < 0.01:
            sex = "female" if child_male[j] else "male"
        found = _date(start, found_days[j])
        place = FOUND_PLACES[0] if truth_of[j] >= 0 and rng.random() < 0.5 else \
            FOUND_PLACES[int(rng.integers(0, len(FOUND_PLACES)))]
        case = f"C{case_idx + 1:05d}"
        children.append(SimFoundChild(case, sex, round(est, 1), round(sd, 1), found, found, place))
        if truth_of[j] >= 0:
            true_pairs[case] = reports[truth_of[j]].report_number
    return NonDnaPopulation(tuple(reports), tuple(children), true_pairs, seed)
