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
from dataclasses import dataclass, field, replace

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
class SimPhoto:
    """A simulated photograph: an id standing for its ``sha256`` (the store's ``Photo`` attribute)."""

    sha256: str


@dataclass(frozen=True)
class SimReport:
    """A simulated missing-child report (the store's ``MissingReport`` attribute names)."""

    report_number: str
    sex: str
    date_of_birth: dt.date | None
    disappeared_on: dt.date | None
    disappeared_place: str | None = None
    marks: str | None = None
    photos: tuple[SimPhoto, ...] = ()


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
    marks: str | None = None
    photos: tuple[SimPhoto, ...] = ()


@dataclass(frozen=True)
class NonDnaPopulation:
    """Reports, found children and the truth: ``true_pairs`` maps a case number to its report number."""

    reports: tuple[SimReport, ...]
    children: tuple[SimFoundChild, ...]
    true_pairs: dict[str, str] = field(default_factory=dict)
    seed: int = 0
    #: The face embedding of each photograph (by its id): see :func:`_embed`.
    embeddings: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def face_embeddings(self, owner: object) -> list[np.ndarray]:
        """The embeddings of a report's or found child's photographs (the matching's ``face_embeddings``)."""
        return [self.embeddings[p.sha256] for p in getattr(owner, "photos", ()) if p.sha256 in self.embeddings]

    def as_dict(self) -> dict:
        return {"simulated": True, "reports": len(self.reports), "found_children": len(self.children),
                "true_pairs": len(self.true_pairs), "seed": self.seed,
                "simulator": "reunite.simulation.nondna (its docstring states the assumptions)"}


#: Marks and conditions a simulated child may carry: (vocabulary term, Chinese word, prevalence, probability that a
#: side records it, sited).  The prevalences and recording probabilities are those of the marks vocabulary
#: (reunite/data/evidence/marks.json; a test checks it): the simulation draws from the model's own assumptions.
SIM_MARKS = (("birthmark", "胎记", 0.30, 0.7, True), ("double_whorl", "双旋", 0.05, 0.8, False),
             ("preauricular_pit", "耳前瘘管", 0.025, 0.6, False), ("orofacial_cleft", "唇腭裂", 0.0017, 0.9, False),
             ("polydactyly", "多指", 0.0022, 0.8, False), ("congenital_glaucoma", "先天性青光眼", 0.00011, 0.6, False))
#: Body sites of a birthmark (uniform: 5 % of children at each, the vocabulary's sited prevalence).
SIM_SITES = ("背部", "屁股", "手臂", "腿上", "脖子", "脸上")
#: Share of families whose report says anything about marks; the found child's examination always does.
P_REPORT_SPEAKS = 0.7
#: Face embeddings (128 dimensions, the dlib model's): a person's centre is N(0, FACE_SD_PERSON²) per axis and
#: each photograph adds N(0, FACE_SD_PHOTO²): same-person distances about 0.3, different people about 0.8 (the
#: London set's same-session adults: docs/evidence-faces.md).
FACE_DIM, FACE_SD_PERSON, FACE_SD_PHOTO = 128, 0.045, 0.019
#: Share of true infants still recognisable on the found child's photograph (the rest look like anyone):
#: about a third, the figure the best published models reach for same-infant pairs at a 0.1 % false match rate.
P_FACE_RECOGNISABLE = 1 / 3
#: Share of reports with a photograph of the child, and of found children with one.
P_REPORT_PHOTO, P_CHILD_PHOTO = 0.6, 0.95


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


def _features(rng: np.random.Generator) -> list[tuple[str, str | None]]:
    """The marks and conditions one child carries: (Chinese word, Chinese site or None)."""
    out = []
    for _term, word, prevalence, _s, sited in SIM_MARKS:
        if rng.random() < prevalence:
            out.append((word, SIM_SITES[int(rng.integers(0, len(SIM_SITES)))] if sited else None))
    return out


def _marks_text(rng: np.random.Generator, features: list[tuple[str, str | None]], *, speaks: bool,
                nothing: str) -> str | None:
    """What one side writes about a child's marks: each feature recorded with its probability."""
    if not speaks:
        return None
    recorded = {w: p for _t, w, _pi, p, _s in SIM_MARKS}
    said = [f"{site}有{word}" if site else word for word, site in features if rng.random() < recorded[word]]
    return "，".join(said) if said else nothing


def _add_marks_and_faces(rng: np.random.Generator, reports: list[SimReport], children: list[SimFoundChild],
                         truth_of: dict[str, int]) -> tuple[list[SimReport], list[SimFoundChild], dict]:
    """Give the reports and found children marks texts and photographs (with their embeddings).

    ``truth_of`` maps a true child's case number to its report's index.  Drawn from a stream of their own,
    so the rest of the population is the same as without them."""
    feats = [_features(rng) for _ in reports]
    centres = rng.normal(0.0, FACE_SD_PERSON, (len(reports), FACE_DIM))
    embeddings: dict[str, np.ndarray] = {}
    out_r = []
    for i, r in enumerate(reports):
        text = _marks_text(rng, feats[i], speaks=rng.random() < P_REPORT_SPEAKS, nothing="无明显胎记")
        photos: tuple[SimPhoto, ...] = ()
        if rng.random() < P_REPORT_PHOTO:
            photos = (SimPhoto(f"photo-{r.report_number}"),)
            embeddings[photos[0].sha256] = centres[i] + rng.normal(0.0, FACE_SD_PHOTO, FACE_DIM)
        out_r.append(replace(r, marks=text, photos=photos))
    out_c = []
    for c in children:
        i = truth_of.get(c.case_number)
        own = feats[i] if i is not None else _features(rng)
        text = _marks_text(rng, own, speaks=True, nothing="未见明显胎记及畸形")
        photos = ()
        if rng.random() < P_CHILD_PHOTO:
            recognisable = i is not None and rng.random() < P_FACE_RECOGNISABLE
            centre = centres[i] if recognisable else rng.normal(0.0, FACE_SD_PERSON, FACE_DIM)
            photos = (SimPhoto(f"photo-{c.case_number}"),)
            embeddings[photos[0].sha256] = centre + rng.normal(0.0, FACE_SD_PHOTO, FACE_DIM)
        out_c.append(replace(c, marks=text, photos=photos))
    return out_r, out_c, embeddings


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
    children, true_pairs, truth_index = [], {}, {}
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
            truth_index[case] = truth_of[j]
    reports, children, embeddings = _add_marks_and_faces(np.random.default_rng([seed, 1]), reports, children,
                                                         truth_index)
    return NonDnaPopulation(tuple(reports), tuple(children), true_pairs, seed, embeddings)
