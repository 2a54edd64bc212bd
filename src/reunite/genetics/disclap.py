"""Y-STR haplotype probabilities by the discrete Laplace method (Andersen, Eriksen & Morling 2013).

A population of haplotypes is modelled as a mixture of clusters (founding lineages).  Cluster ``c``
has a weight τ_c, a central haplotype y_c and, per locus ``l``, a dispersion p_cl in (0, 1); a man
of the cluster differs from the centre at each locus independently by a discrete Laplace amount::

    DL(d; p) = (1 − p)/(1 + p) · p^|d|,   d = 0, ±1, ±2, …
    P(x) = Σ_c τ_c Π_l DL(x_l − y_cl; p_cl)

This is the model of Andersen MM, Eriksen PS, Morling N (2013), "The discrete Laplace exponential
family and estimation of Y-STR haplotype frequencies", J Theor Biol 329:39–51 (R package
``disclapmix``).  Fitted here by EM: responsibilities; τ the mean responsibility; each centre the
weighted median per locus; each p_cl the weighted maximum-likelihood estimate, which for mean
absolute deviation m is ``p = (√(1 + m²) − 1)/m``.  Differences from disclapmix, stated: p_cl is
free per cluster and locus (disclapmix fits log-linear cluster and locus effects by a GLM); p is kept
in [1e-4, 0.95]; the number of clusters is chosen by BIC among ``1 … max_clusters``; a multi-copy
locus enters as its sorted copies, each a locus; haplotypes with a null, a duplicated or a
microvariant allele are left out of the fit (and a query haplotype with one cannot be evaluated).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..errors import Problem
from .haplotype import HaplotypeError, YHaplotype

__all__ = ["DiscreteLaplaceFit", "discrete_laplace_pmf", "fit_discrete_laplace", "haplotype_matrix"]

P_MIN, P_MAX = 1e-4, 0.95


def discrete_laplace_pmf(d: np.ndarray | int, p: np.ndarray | float) -> np.ndarray | float:
    """DL(d; p) = (1 − p)/(1 + p) · p^|d|."""
    return (1 - p) / (1 + p) * np.power(p, np.abs(d))


def _p_from_mad(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(m > 0, (np.sqrt(1 + m * m) - 1) / np.where(m > 0, m, 1), 0.0)
    return np.clip(p, P_MIN, P_MAX)


def haplotype_matrix(haplotypes: Sequence[YHaplotype], loci: Sequence[str], copies: dict[str, int]
                     ) -> tuple[np.ndarray, list[str], list[int]]:
    """Integer matrix (men × columns), a column per copy of each locus; the rows kept (whole, integer alleles)."""
    cols = [f"{locus}.{i}" if copies.get(locus, 1) > 1 else locus
            for locus in loci for i in range(copies.get(locus, 1))]
    rows, kept = [], []
    for k, h in enumerate(haplotypes):
        row = []
        ok = True
        for locus in loci:
            a = h.alleles.get(locus)
            if a is None or len(a) != copies.get(locus, 1) or any("." in x for x in a):
                ok = False
                break
            row += [int(x) for x in a]
        if ok:
            rows.append(row)
            kept.append(k)
    return np.array(rows, dtype=np.int64).reshape(len(rows), len(cols)), cols, kept


@dataclass(frozen=True)
class DiscreteLaplaceFit:
    """A fitted discrete Laplace mixture: weights (C), centres (C × L), dispersions (C × L)."""

    loci: tuple[str, ...]
    copies: dict
    weights: np.ndarray
    centres: np.ndarray
    dispersion: np.ndarray
    n: int
    log_likelihood: float
    bic: float
    #: How long the fit took (seconds; 0 for a fit read back with :meth:`from_dict`).
    seconds: float = 0.0

    def _row(self, h: YHaplotype) -> np.ndarray:
        x, _, kept = haplotype_matrix([h], self.loci, self.copies)
        if not kept:
            raise HaplotypeError(Problem("the haplotype has a null, duplicated or microvariant allele (or an "
                                         "untyped locus) among the fitted loci: the discrete Laplace model "
                                         "cannot evaluate it", code="disclap_cannot_evaluate"))
        return x[0]

    def probability(self, h: YHaplotype) -> float:
        """P(h) under the fitted mixture."""
        x = self._row(h)
        comp = np.prod(discrete_laplace_pmf(x[None, :] - self.centres, self.dispersion), axis=1)
        return float(np.dot(self.weights, comp))

    @property
    def clusters(self) -> int:
        return len(self.weights)

    def as_dict(self) -> dict:
        """The fitted parameters as JSON-able values (:meth:`from_dict` reads them back exactly)."""
        return {"loci": list(self.loci), "copies": dict(self.copies), "weights": self.weights.tolist(),
                "centres": self.centres.tolist(), "dispersion": self.dispersion.tolist(), "n": self.n,
                "log_likelihood": self.log_likelihood, "bic": self.bic}

    @classmethod
    def from_dict(cls, d: dict) -> DiscreteLaplaceFit:
        """A fit from :meth:`as_dict`'s values (no refit: the same probabilities to the last bit)."""
        return cls(tuple(d["loci"]), dict(d["copies"]), np.asarray(d["weights"], dtype=float),
                   np.asarray(d["centres"], dtype=np.int64), np.asarray(d["dispersion"], dtype=float),
                   int(d["n"]), float(d["log_likelihood"]), float(d["bic"]))


def _loglik_terms(x: np.ndarray, w: np.ndarray, y: np.ndarray, p: np.ndarray) -> np.ndarray:
    # log τ_c + Σ_l log DL(x_il − y_cl; p_cl), shape (n, C)
    d = np.abs(x[:, None, :] - y[None, :, :])
    logpmf = np.log((1 - p) / (1 + p))[None, :, :] + d * np.log(p)[None, :, :]
    return np.log(w)[None, :] + logpmf.sum(axis=2)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    out = np.empty(values.shape[1], dtype=np.int64)
    for j in range(values.shape[1]):
        order = np.argsort(values[:, j], kind="stable")
        cw = np.cumsum(weights[order])
        out[j] = values[order[np.searchsorted(cw, cw[-1] / 2)], j]
    return out


def _fit_c(x: np.ndarray, c: int, rng: np.random.Generator, iters: int) -> tuple[float, tuple]:
    n, _ = x.shape
    y = x[rng.choice(n, size=c, replace=False)].copy()
    p = np.full(y.shape, 0.3)
    w = np.full(c, 1 / c)
    ll_old = -math.inf
    ll = -math.inf
    for _ in range(iters):
        t = _loglik_terms(x, w, y, p)
        mx = t.max(axis=1, keepdims=True)
        lse = mx[:, 0] + np.log(np.exp(t - mx).sum(axis=1))
        ll = float(lse.sum())
        r = np.exp(t - lse[:, None])
        w = np.clip(r.mean(axis=0), 1e-12, None)
        w /= w.sum()
        for k in range(c):
            rk = r[:, k]
            if rk.sum() < 1e-9:
                continue
            y[k] = _weighted_median(x, rk)
            mad = (rk[:, None] * np.abs(x - y[k][None, :])).sum(axis=0) / rk.sum()
            p[k] = _p_from_mad(mad)
        if ll - ll_old < 1e-6 * abs(ll):
            break
        ll_old = ll
    return ll, (w, y, p)


def fit_discrete_laplace(haplotypes: Sequence[YHaplotype], loci: Sequence[str], copies: dict[str, int], *,
                         max_clusters: int = 8, seed: int = 1, restarts: int = 2, iters: int = 200
                         ) -> DiscreteLaplaceFit:
    """Fit the mixture to a database by EM, the number of clusters chosen by BIC (seeded, reproducible)."""
    t0 = time.perf_counter()
    x, _, _ = haplotype_matrix(haplotypes, loci, copies)
    n, nl = x.shape
    if n < 2:
        raise HaplotypeError(Problem("too few whole haplotypes to fit the discrete Laplace model",
                                     code="disclap_too_few"))
    rng = np.random.default_rng(seed)
    best = None
    for c in range(1, min(max_clusters, n) + 1):
        fits = [_fit_c(x, c, rng, iters) for _ in range(restarts if c > 1 else 1)]
        ll, (w, y, p) = max(fits, key=lambda f: f[0])
        k = (c - 1) + c * nl * 2          # weights, centres and dispersions
        bic = -2 * ll + k * math.log(n)
        if best is None or bic < best.bic:
            best = DiscreteLaplaceFit(tuple(loci), dict(copies), w, y, p, n, ll, bic)
    return replace(best, seconds=time.perf_counter() - t0)
