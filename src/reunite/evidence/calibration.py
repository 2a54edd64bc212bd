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
from .fusion import NON_DNA_EXCLUDES_LOG10, NON_DNA_MAX_LOG10
from .population import describe_context
from .registry import compute_items
from .registry import kinds as registered_kinds

__all__ = [
    "CalibrationResult",
    "KindCalibration",
    "PairScores",
    "calibrate",
    "cllr",
    "cllr_min",
    "evaluate",
    "misleading_rates",
    "pav",
    "score_pairs",
    "tippett_plot",
]

#: The name of the kinds' fusion.
FUSION = "fusion"
#: The size of the "top 10" measured, and how many of a child's best reports the matching's earlier rule kept
#: (with a non-DNA LR above 1), for comparison.
TOP = 10
OLD_KEEP_TOP = 5


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
class PairScores:
    """log10 LRs of every found child (rows) against every report (columns), per kind.

    ``log10[kind]`` is 0 where the kind does not apply to a pair (LR 1: nothing is stored for it)."""

    case_numbers: tuple[str, ...]
    report_numbers: tuple[str, ...]
    log10: Mapping[str, np.ndarray]
    references: Mapping[str, str]

    def product(self) -> np.ndarray:
        """The non-DNA items' combined log10 LR per pair, uncapped: what the matching ranks and keeps by."""
        return np.sum(list(self.log10.values()), axis=0)

    def fused(self) -> np.ndarray:
        """The fusion's log10 LR per pair, as :func:`~reunite.evidence.fusion.fuse` counts it: the sum
        over the kinds (independence), capped above at :data:`~reunite.evidence.fusion.NON_DNA_MAX_LOG10`."""
        return np.minimum(self.product(), NON_DNA_MAX_LOG10)

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
                context: Mapping[str, object] | None = None) -> PairScores:
    """The log10 LR of every registered non-DNA kind for every found child against every report, computed
    by the matching's own code (:func:`~reunite.evidence.registry.compute_items`) with ``context`` (the
    models' references, e.g. :func:`~reunite.evidence.population.reference_context`, and
    ``face_embeddings``; None: every model's defaults).  An LR of 0 is -inf; a kind that applies to no
    pair is left out."""
    reports, children = list(reports), list(children)
    ctx = dict(context or {})
    shape = (len(children), len(reports))
    out: dict[str, np.ndarray] = {k.name: np.zeros(shape) for k in registered_kinds() if k.compute is not None}
    applied: set[str] = set()
    for i, c in enumerate(children):
        for j, r in enumerate(reports):
            for it in compute_items(c, r, **ctx):
                out[it.kind][i, j] = -math.inf if it.log10_lr is None else it.log10_lr
                applied.add(it.kind)
    refs = describe_context(ctx)
    if "face" in applied:
        refs["face"] = "the shipped calibration (adult pairs), shrunk by age band and gap"
    return PairScores(tuple(c.case_number for c in children), tuple(r.report_number for r in reports),
                      {k: v for k, v in out.items() if k in applied}, refs)


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


def evaluate(scores: PairScores, true_pairs: Mapping[str, str], *, top: int = TOP,
             population: Mapping[str, object] | None = None) -> CalibrationResult:
    """Calibration of each kind and of the fusion on the scored pairs; ``true_pairs`` maps a case
    number to its report number (every other pair is false).

    The fusion also gets its ranking figures, by the matching's rules for reports without DNA
    (:func:`~reunite.evidence.fusion.nondna_excludes`, ranked by the uncapped product): the true
    pairs kept as candidates and how many reports a child keeps, the true pairs among the child's
    ``top`` best, ranked first, their median rank; and, for comparison, what the matching's earlier
    rule kept (the child's 5 best reports with a non-DNA LR above 1)."""
    truth = scores.truth_mask(true_pairs)
    series = dict(scores.log10)
    series[FUSION] = scores.fused()
    kinds = {k: calibrate(k, v[truth], v[~truth]) for k, v in series.items()}
    if truth.any():
        product = scores.product()
        ranks = _ranks(product, scores.report_numbers)
        tr = ranks[truth]
        kept = product > NON_DNA_EXCLUDES_LOG10
        per_child = kept.sum(axis=1)
        f = kinds[FUSION]
        kinds[FUSION] = KindCalibration(f.kind, f.n_true, f.n_false, f.cllr, f.cllr_min, f.misleading,
                                        f.median_lr_true, f.median_lr_false,
                                        {"true_pairs": int(truth.sum()),
                                         "kept_as_candidates": int(kept[truth].sum()),
                                         "kept_share": float(kept[truth].mean()),
                                         "keep_rule": f"every pair whose non-DNA LR is above "
                                                      f"{10 ** NON_DNA_EXCLUDES_LOG10:g} (not excluded)",
                                         "kept_per_child_mean": float(per_child.mean()),
                                         "kept_per_child_median": float(np.median(per_child)),
                                         "kept_per_child_max": int(per_child.max()),
                                         f"in_top_{top}": int((tr <= top).sum()),
                                         f"top_{top}_share": float(np.mean(tr <= top)),
                                         "ranked_first": int((tr == 1).sum()),
                                         "median_rank": float(np.median(tr)),
                                         "earlier_rule_kept": int(((tr <= OLD_KEEP_TOP) & (product[truth] > 0)).sum()),
                                         "earlier_rule": f"among the child's {OLD_KEEP_TOP} best reports, LR > 1"})
    pop = dict(population or {})
    pop.setdefault("reports", len(scores.report_numbers))
    pop.setdefault("found_children", len(scores.case_numbers))
    pop.setdefault("true_pairs", int(truth.sum()))
    return CalibrationResult(kinds, dict(scores.references), pop)
