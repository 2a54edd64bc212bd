"""How good is each line of non-DNA evidence? Calibration on true and false pairs.

For a set of pairs whose truth is known (true pairs: the found child is the report's missing
child; false pairs: it is not), every kind of evidence gives a log10 LR per pair.  This module
measures those LRs:

* **Cllr**, the log-likelihood-ratio cost (Brümmer N. & du Preez J., "Application-independent
  evaluation of speaker detection", Computer Speech and Language 20 (2006) 230–275)::

      Cllr = ½ [ mean over true pairs of log2(1 + 1/LR) + mean over false pairs of log2(1 + LR) ]

  0 for perfect LRs, 1 for LRs that are all 1 (no evidence), above 1 for LRs that mislead.
* **Cllr_min**, the cost after the best monotone recalibration of the same LRs: the
  pool-adjacent-violators algorithm (PAV) turns the ranked LRs into the posteriors that fit the
  labels best, which are turned back into LRs by the proportion of true to false pairs.  It
  measures discrimination alone; Cllr − Cllr_min is the cost of miscalibration.
* **Rates of misleading evidence**: the share of true pairs with LR < 1 (and < 1/10, < 1/100) and
  of false pairs with LR > 1 (> 10, > 100).
* **Tippett plots** (PNG, matplotlib with the Agg backend): for each log10 LR on the x axis, the
  share of true and of false pairs with a log10 LR at least that large.

:func:`score_pairs` computes the sex, age and time LRs (the real models of this layer) of every
found child against every report, with the defaults or with references taken from the same
population (:func:`population_references`: :meth:`AgeReference.from_population`,
:meth:`TimeReference.from_population`, and ``p_male`` of :func:`sex_lr` from the found
children), and :func:`evaluate` reports each kind and their fusion (sum of log10 LRs: the
independence assumption of :mod:`.fusion`), with how the true reports rank among each found
child's candidates.  Reports and found children are read by attribute
(``report_number``, ``sex``, ``date_of_birth``, ``disappeared_on``; ``case_number``, ``sex``,
``age_months``, ``age_sd_months``, ``age_assessed_on``, ``found_on``): the store's rows and the
simulator's records (:mod:`reunite.simulation.nondna`) alike.

A pure module: numpy and matplotlib (its object API with the Agg canvas, no pyplot); not imported
by :mod:`reunite.evidence` itself, so the other evidence modules do not load matplotlib.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ._common import LN10, fail
from .age import AgeReference, age_lr
from .sex import MIN_POPULATION_SEXES, p_male_from_population, sex_lr
from .time import TimeReference, time_lr

__all__ = [
    "CalibrationResult",
    "KindCalibration",
    "PairScores",
    "PopulationReferences",
    "calibrate",
    "cllr",
    "cllr_min",
    "evaluate",
    "misleading_rates",
    "pav",
    "population_references",
    "score_pairs",
    "tippett_plot",
]

#: The kinds :func:`score_pairs` computes, and the name of their fusion.
KINDS = ("sex", "age", "time")
FUSION = "fusion"
#: How many of a found child's best reports without DNA the matching keeps as candidates
#: (``run_matching``'s ``nondna_top``), and the size of the "top 10" measured.
KEEP_TOP = 5
TOP = 10
#: Fewest found children of known sex for :func:`population_references` to take P(male) from them.
MIN_SEX_REFERENCE = MIN_POPULATION_SEXES


def _log10s(values: Iterable[float | None], field: str) -> np.ndarray:
    """log10 LRs as a float array; None (an LR of 0) becomes -inf."""
    out = np.array([-math.inf if v is None else float(v) for v in values], dtype=float)
    if np.isnan(out).any():
        raise fail(field, "must not contain NaN")
    return out


def _cost_true(log10: np.ndarray) -> np.ndarray:
    """log2(1 + 1/LR) per true pair (inf for an LR of 0)."""
    return np.logaddexp(0.0, -log10 * LN10) / math.log(2.0)


def _cost_false(log10: np.ndarray) -> np.ndarray:
    """log2(1 + LR) per false pair."""
    return np.logaddexp(0.0, log10 * LN10) / math.log(2.0)


def _check(t: np.ndarray, f: np.ndarray) -> None:
    if len(t) == 0 or len(f) == 0:
        raise fail("pairs", "need at least one true and one false pair")


def cllr(log10_true: Iterable[float | None], log10_false: Iterable[float | None]) -> float:
    """The log-likelihood-ratio cost of log10 LRs of true and false pairs (Brümmer & du Preez 2006)."""
    t, f = _log10s(log10_true, "log10_true"), _log10s(log10_false, "log10_false")
    _check(t, f)
    return float(0.5 * (_cost_true(t).mean() + _cost_false(f).mean()))


def pav(scores: Sequence[float], labels: Sequence[bool]) -> np.ndarray:
    """Pool-adjacent-violators: the non-decreasing fit of ``labels`` (1 true, 0 false) on ``scores``.

    Returns, per input (in input order), the fitted probability of being true; equal scores get
    one value (they are pooled first, so the fit is a function of the score).
    """
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=float)
    if s.shape != y.shape or s.ndim != 1:
        raise fail("labels", "must be one label per score")
    uniq, inv = np.unique(s, return_inverse=True)  # (-inf sorts first; NaN is refused by callers)
    w = np.bincount(inv, minlength=len(uniq)).astype(float)
    m = np.bincount(inv, weights=y, minlength=len(uniq)) / w
    # blocks: value, weight, how many unique scores
    vals: list[float] = []
    wts: list[float] = []
    lens: list[int] = []
    for v, wt in zip(m, w, strict=True):
        vals.append(float(v))
        wts.append(float(wt))
        lens.append(1)
        while len(vals) > 1 and vals[-2] >= vals[-1]:
            v2, w2, n2 = vals.pop(), wts.pop(), lens.pop()
            tot = wts[-1] + w2
            vals[-1] = (vals[-1] * wts[-1] + v2 * w2) / tot
            wts[-1] = tot
            lens[-1] += n2
    fit = np.repeat(np.array(vals), lens)
    return fit[inv]


def cllr_min(log10_true: Iterable[float | None], log10_false: Iterable[float | None]) -> float:
    """Cllr after the best monotone recalibration (PAV): the cost of the discrimination alone."""
    t, f = _log10s(log10_true, "log10_true"), _log10s(log10_false, "log10_false")
    _check(t, f)
    scores = np.concatenate([t, f])
    labels = np.concatenate([np.ones(len(t)), np.zeros(len(f))])
    p = pav(scores, labels)
    pt, pf = p[: len(t)], p[len(t):]
    odds_prior = len(t) / len(f)
    with np.errstate(divide="ignore"):
        # LR = posterior odds / prior odds; costs in log space so that p = 0 or 1 give 0 or inf
        lt = (np.log(pt) - np.log1p(-pt)) - math.log(odds_prior)
        lf = (np.log(pf) - np.log1p(-pf)) - math.log(odds_prior)
    ct = np.logaddexp(0.0, -lt) / math.log(2.0)
    cf = np.logaddexp(0.0, lf) / math.log(2.0)
    return float(0.5 * (ct.mean() + cf.mean()))


def misleading_rates(log10_true: Iterable[float | None], log10_false: Iterable[float | None]) -> dict[str, float]:
    """Shares of misleading evidence: true pairs with LR below 1, 1/10, 1/100; false pairs above 1, 10, 100."""
    t, f = _log10s(log10_true, "log10_true"), _log10s(log10_false, "log10_false")
    _check(t, f)
    return {
        "true_below_1": float(np.mean(t < 0)),
        "true_below_0.1": float(np.mean(t < -1)),
        "true_below_0.01": float(np.mean(t < -2)),
        "false_above_1": float(np.mean(f > 0)),
        "false_above_10": float(np.mean(f > 1)),
        "false_above_100": float(np.mean(f > 2)),
    }


@dataclass(frozen=True)
class KindCalibration:
    """The calibration figures of one kind of evidence (or of the fusion) on true and false pairs."""

    kind: str
    n_true: int
    n_false: int
    cllr: float
    cllr_min: float
    misleading: dict[str, float]
    median_lr_true: float
    median_lr_false: float
    #: Ranking figures (fusion only): true pairs kept as candidates, and among each child's top 10.
    ranking: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "n_true": self.n_true, "n_false": self.n_false, "cllr": self.cllr,
                "cllr_min": self.cllr_min, "misleading": dict(self.misleading),
                "median_lr_true": self.median_lr_true, "median_lr_false": self.median_lr_false,
                "ranking": dict(self.ranking)}


def calibrate(kind: str, log10_true: Iterable[float | None], log10_false: Iterable[float | None]) -> KindCalibration:
    """Every figure of one kind: Cllr, Cllr_min, the misleading rates and the median LRs."""
    t, f = _log10s(log10_true, "log10_true"), _log10s(log10_false, "log10_false")
    _check(t, f)
    return KindCalibration(kind, len(t), len(f), cllr(t, f), cllr_min(t, f), misleading_rates(t, f),
                           float(10.0 ** np.median(t)), float(10.0 ** np.median(f)))


def tippett_plot(path: str | os.PathLike, log10_true: Iterable[float | None], log10_false: Iterable[float | None],
                 *, title: str = "", note: str = "") -> Path:
    """Write a Tippett plot as PNG: the share of true and of false pairs with log10 LR ≥ x.

    LRs of 0 and beyond the plotted range are drawn at its ends.  Returns the path written.
    """
    t, f = _log10s(log10_true, "log10_true"), _log10s(log10_false, "log10_false")
    _check(t, f)
    finite = np.concatenate([t, f])
    finite = finite[np.isfinite(finite)]
    lo = math.floor(min(float(finite.min()) if len(finite) else -1.0, -1.0)) - 0.5
    hi = math.ceil(max(float(finite.max()) if len(finite) else 1.0, 1.0)) + 0.5
    x = np.linspace(lo, hi, 801)

    def share_at_least(v: np.ndarray) -> np.ndarray:
        v = np.sort(np.clip(v, lo, hi))
        return 1.0 - np.searchsorted(v, x, side="left") / len(v)

    fig = Figure(figsize=(6.4, 4.4), dpi=110)  # (no pyplot: no global backend state; PNG via Agg)
    ax = fig.subplots()
    ax.plot(x, share_at_least(t), color="#1f77b4", lw=2, label=f"true pairs (H1), n = {len(t):,}")
    ax.plot(x, share_at_least(f), color="#d62728", lw=2, ls="--", label=f"false pairs (H2), n = {len(f):,}")
    ax.axvline(0.0, color="0.4", lw=0.8, ls=":")
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("log10 LR")
    ax.set_ylabel("share of pairs with log10 LR ≥ x")
    ax.set_title(title or "Tippett plot")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    if note:
        ax.text(0.98, 0.97, note, transform=ax.transAxes, ha="right", va="top", fontsize=8,
                bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85, "edgecolor": "0.7"})
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png")
    return out


# ---------------------------------------------------------------------------------------------
# Scoring a population


@dataclass(frozen=True)
class PopulationReferences:
    """The reference distributions of a population, to pass to :func:`age_lr` and :func:`time_lr`."""

    age: AgeReference
    time: TimeReference
    #: P(male) for :func:`sex_lr`: the share of boys among the found children of known sex (0.5, the
    #: default, with fewer than ``MIN_SEX_REFERENCE`` of them).
    p_male: float = 0.5
    sex_note: str = "default p_male 0.5"

    def describe(self) -> dict[str, str]:
        return {"sex": self.sex_note, "age": self.age.describe(), "time": self.time.describe()}


def population_references(reports: Iterable[object], children: Iterable[object], *,
                          confirmed_delays_days: Sequence[float] | None = None) -> PopulationReferences:
    """The references of a store (or a simulated population): the found children's estimated ages
    (:meth:`AgeReference.from_population`) and the reports' disappearance dates against the
    children's found dates (:meth:`TimeReference.from_population`), with the delays of confirmed
    pairs for H1 when there are enough.  Small populations fall back to the defaults."""
    reports, children = list(reports), list(children)
    age = AgeReference.from_population([c.age_months for c in children])
    time = TimeReference.from_population([r.disappeared_on for r in reports], [c.found_on for c in children],
                                         confirmed_delays_days=confirmed_delays_days)
    p_male, note = p_male_from_population([c.sex for c in children], minimum=MIN_SEX_REFERENCE)
    return PopulationReferences(age, time, p_male, note)


def _age_sd(child: object) -> float | None:
    """The estimate's sd as the matching takes it: recorded, else 20 % of the age (at least 1 month)."""
    if child.age_sd_months is not None:  # type: ignore[attr-defined]
        return child.age_sd_months  # type: ignore[attr-defined]
    return max(1.0, 0.2 * child.age_months) if child.age_months is not None else None  # type: ignore[attr-defined]


@dataclass(frozen=True)
class PairScores:
    """log10 LRs of every found child (rows) against every report (columns), per kind."""

    case_numbers: tuple[str, ...]
    report_numbers: tuple[str, ...]
    log10: Mapping[str, np.ndarray]
    references: Mapping[str, str]

    def fused(self, kinds: Sequence[str] = KINDS) -> np.ndarray:
        """The fusion's log10 LR per pair: the sum over ``kinds`` (independence, as in :func:`fuse`)."""
        return np.sum([self.log10[k] for k in kinds], axis=0)

    def truth_mask(self, true_pairs: Mapping[str, str]) -> np.ndarray:
        """A boolean array of the pairs' shape, True at the true pairs (case number → report number)."""
        row = {c: i for i, c in enumerate(self.case_numbers)}
        col = {r: j for j, r in enumerate(self.report_numbers)}
        truth = np.zeros((len(row), len(col)), dtype=bool)
        for case, rep in true_pairs.items():
            if case not in row or rep not in col:
                raise fail("true_pairs", "names a found child or report that was not scored")
            truth[row[case], col[rep]] = True
        return truth


def score_pairs(reports: Iterable[object], children: Iterable[object], *,
                references: PopulationReferences | None = None) -> PairScores:
    """The sex, age and time log10 LRs of every found child against every report (with the defaults
    when ``references`` is None).  An LR of 0 is -inf."""
    reports, children = list(reports), list(children)
    shape = (len(children), len(reports))
    out = {k: np.zeros(shape) for k in KINDS}
    age_ref = references.age if references is not None else None
    time_ref = references.time if references is not None else None
    p_male = references.p_male if references is not None else 0.5
    for i, c in enumerate(children):
        sd = _age_sd(c)
        on = c.age_assessed_on or c.found_on
        for j, r in enumerate(reports):
            items = [sex_lr(c.sex, r.sex, p_male=p_male), time_lr(r.disappeared_on, c.found_on, reference=time_ref)]
            if c.age_months is not None and on is not None:
                items.append(age_lr(c.age_months, sd, on, birth_date=r.date_of_birth, reference=age_ref))
            for it in items:
                out[it.kind][i, j] = -math.inf if it.log10_lr is None else it.log10_lr
    refs = references.describe() if references is not None else {
        "sex": "default p_male 0.5", "age": AgeReference.default().describe(), "time": "default window and exponential"}
    return PairScores(tuple(c.case_number for c in children), tuple(r.report_number for r in reports), out, refs)


@dataclass(frozen=True)
class CalibrationResult:
    """Per kind and for the fusion: the calibration figures; plus how the pairs were scored."""

    kinds: dict[str, KindCalibration]
    references: Mapping[str, str]
    population: Mapping[str, object]

    def as_dict(self) -> dict:
        return {"population": dict(self.population), "references": dict(self.references),
                "kinds": {k: v.as_dict() for k, v in self.kinds.items()},
                "citation": "Cllr: Brümmer & du Preez, Computer Speech and Language 20 (2006) 230–275; "
                            "Cllr_min by pool-adjacent-violators"}


def _ranks(fused: np.ndarray, report_numbers: Sequence[str]) -> np.ndarray:
    """Rank of every report for every child (1 = best), as the matching orders them: by LR, then number."""
    order_by_number = np.argsort(np.array(report_numbers, dtype=object), kind="stable")
    ranks = np.empty(fused.shape, dtype=np.int64)
    for i, row in enumerate(fused):
        # lexsort: last key is primary
        order = np.lexsort((np.argsort(order_by_number), -row))
        ranks[i, order] = np.arange(1, len(row) + 1)
    return ranks


def evaluate(scores: PairScores, true_pairs: Mapping[str, str], *, keep_top: int = KEEP_TOP,
             top: int = TOP, population: Mapping[str, object] | None = None) -> CalibrationResult:
    """Calibration of each kind and of the fusion on the scored pairs; ``true_pairs`` maps a case
    number to its report number (every other pair is false).

    The fusion also gets its ranking figures: true pairs kept as candidates (among the child's
    ``keep_top`` best reports with a non-DNA LR above 1, as the matching keeps reports without
    DNA), true pairs among the child's ``top`` best, and the true pairs' median rank."""
    truth = scores.truth_mask(true_pairs)
    series = dict(scores.log10)
    series[FUSION] = scores.fused()
    kinds = {k: calibrate(k, v[truth], v[~truth]) for k, v in series.items()}
    if truth.any():
        ranks = _ranks(series[FUSION], scores.report_numbers)
        tr = ranks[truth]
        kept = (tr <= keep_top) & (series[FUSION][truth] > 0)
        f = kinds[FUSION]
        kinds[FUSION] = KindCalibration(f.kind, f.n_true, f.n_false, f.cllr, f.cllr_min, f.misleading,
                                        f.median_lr_true, f.median_lr_false,
                                        {"true_pairs": int(truth.sum()),
                                         "kept_as_candidates": int(kept.sum()),
                                         "keep_rule": f"among the child's {keep_top} best reports, LR > 1",
                                         f"in_top_{top}": int((tr <= top).sum()),
                                         f"top_{top}_share": float(np.mean(tr <= top)),
                                         "ranked_first": int((tr == 1).sum()),
                                         "median_rank": float(np.median(tr)),
                                         # a rule that keeps every pair its evidence does not (nearly) exclude
                                         "true_pairs_lr_above_0.01": int((series[FUSION][truth] > -2).sum()),
                                         "reports_per_child_lr_above_0.01":
                                             float((series[FUSION] > -2).sum(axis=1).mean())})
    pop = dict(population or {})
    pop.setdefault("reports", len(scores.report_numbers))
    pop.setdefault("found_children", len(scores.case_numbers))
    pop.setdefault("true_pairs", int(truth.sum()))
    return CalibrationResult(kinds, dict(scores.references), pop)
