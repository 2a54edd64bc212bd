"""The discrete Laplace mixture (reunite.genetics.disclap) against computations made here by hand: the mixture
formula with fractions written out, the one-cluster maximum-likelihood fit in closed form (the median and
p = (√(1 + m²) − 1)/m), the log-likelihood summed man by man from the fitted parameters, and the fit's
log-likelihood never below the one-cluster MLE's (BIC only takes more clusters for a higher likelihood)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.genetics.disclap import DiscreteLaplaceFit, fit_discrete_laplace
from reunite.genetics.ystr import parse_y_haplotype


def _hap(a: int, b: int):
    return parse_y_haplotype({"DYS19": str(a), "DYS390": str(b)})


def test_the_mixture_formula_by_hand():
    # Two clusters, two loci: DL(d; p) = (1 − p)/(1 + p) · p^|d|.
    fit = DiscreteLaplaceFit(("DYS19", "DYS390"), {}, np.array([0.3, 0.7]), np.array([[15, 23], [17, 22]]),
                             np.array([[0.2, 0.5], [0.4, 0.1]]), 10, 0.0, 0.0)
    # x = (16, 23): cluster 1: DL(1; .2)·DL(0; .5) = (2/15)(1/3) = 2/45; cluster 2: DL(−1; .4)·DL(1; .1)
    # = (6/35)(9/110) = 27/1925.
    assert fit.probability(_hap(16, 23)) == pytest.approx(0.3 * 2 / 45 + 0.7 * 27 / 1925, rel=1e-12)
    back = DiscreteLaplaceFit.from_dict(json.loads(json.dumps(fit.as_dict())))
    assert back.probability(_hap(16, 23)) == fit.probability(_hap(16, 23))


def _one_cluster_by_hand(rows: list[tuple[int, int]]) -> tuple[list[float], float]:
    """The one-cluster MLE: per locus a median and p from the mean absolute deviation m (clipped as the
    module documents, to [1e-4, 0.95]); its log-likelihood."""
    ps, ll = [], 0.0
    for j in range(2):
        xs = sorted(r[j] for r in rows)
        med = xs[(len(xs) - 1) // 2]
        m = sum(abs(x - med) for x in xs) / len(xs)
        p = (math.sqrt(1 + m * m) - 1) / m if m > 0 else 0.0
        p = min(max(p, 1e-4), 0.95)
        ps.append(p)
        ll += sum(math.log((1 - p) / (1 + p)) + abs(x - med) * math.log(p) for x in xs)
    return ps, ll


def test_a_tiny_database_by_hand():
    rows = [(15, 23), (15, 23), (16, 23), (14, 24), (15, 22)]
    fit = fit_discrete_laplace([_hap(*r) for r in rows], ["DYS19", "DYS390"], {}, max_clusters=1)
    # DYS19: median 15, deviations 0 0 1 1 0, m = 2/5; DYS390: median 23, deviations 0 0 0 1 1, m = 2/5.
    p = (math.sqrt(1 + 0.16) - 1) / 0.4
    assert list(fit.centres[0]) == [15, 23] and fit.dispersion[0] == pytest.approx([p, p], rel=1e-12)
    dl = lambda d: (1 - p) / (1 + p) * p ** abs(d)   # noqa: E731
    assert fit.probability(_hap(17, 23)) == pytest.approx(dl(2) * dl(0), rel=1e-12)
    assert fit.log_likelihood == pytest.approx(_one_cluster_by_hand(rows)[1], rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(10, 20), st.integers(20, 30)), min_size=6, max_size=40))
def test_the_fit_is_never_below_the_one_cluster_mle_and_its_likelihood_is_what_it_says(rows):
    fit = fit_discrete_laplace([_hap(*r) for r in rows], ["DYS19", "DYS390"], {}, max_clusters=3)
    # The log-likelihood summed man by man from the fitted parameters.
    by_hand = sum(math.log(sum(w * math.prod((1 - d) / (1 + d) * d ** abs(x - c)
                                             for x, c, d in zip(r, cs, ds, strict=True))
                               for w, cs, ds in zip(fit.weights, fit.centres, fit.dispersion, strict=True)))
                  for r in rows)
    # The stored log-likelihood is of the parameters before the EM's last update, which never lowers it.
    assert fit.log_likelihood <= by_hand + 1e-9 * abs(by_hand)
    assert by_hand >= _one_cluster_by_hand(rows)[1] - 1e-9
