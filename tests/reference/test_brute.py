"""The reference implementation itself, checked against closed forms worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from .brute import brute_genotype_table, brute_likelihood, brute_missing_person_lr, forrel_reduce, hw_prob

P = [0.125, 0.25, 0.625]
TRIO = {"F": (None, None), "M": (None, None), "C": ("F", "M")}


def test_nobody_typed_sums_to_one():
    assert math.isclose(brute_likelihood(TRIO, P, {}), 1.0, rel_tol=1e-15)


def test_founder_is_hardy_weinberg():
    assert math.isclose(brute_likelihood(TRIO, P, {"F": (0, 1)}), 2 * P[0] * P[1], rel_tol=1e-15)
    assert math.isclose(brute_likelihood(TRIO, P, {"M": (2, 2)}), P[2] ** 2, rel_tol=1e-15)


def test_trio_by_hand():
    # F 0/1, M 1/2, C 0/2: F passes 0 (1/2), M passes 2 (1/2).
    want = 2 * P[0] * P[1] * 2 * P[1] * P[2] * 0.25
    got = brute_likelihood(TRIO, P, {"F": (0, 1), "M": (1, 2), "C": (0, 2)})
    assert math.isclose(got, want, rel_tol=1e-15)
    # C 1/1: F passes 1 (1/2) and M passes 1 (1/2).
    got = brute_likelihood(TRIO, P, {"F": (0, 1), "M": (1, 2), "C": (1, 1)})
    assert math.isclose(got, 2 * P[0] * P[1] * 2 * P[1] * P[2] * 0.25, rel_tol=1e-15)
    assert brute_likelihood(TRIO, P, {"F": (0, 0), "C": (1, 1)}) == 0.0


def test_mutation_by_hand():
    # Father 0/0, child 1/1, mother untyped: father mutates 0 -> 1 (rate r/2 with 3 alleles).
    r = 0.01
    m = np.full((3, 3), r / 2)
    np.fill_diagonal(m, 1 - r)
    got = brute_likelihood(TRIO, P, {"F": (0, 0), "C": (1, 1)}, mut_female=m, mut_male=m)
    # mother's transmitted allele: sum_x P(x) M[x, 1] = (p @ m)[1]
    want = P[0] ** 2 * (r / 2) * float(np.asarray(P) @ m[:, 1])
    assert math.isclose(got, want, rel_tol=1e-13)


def test_genotype_table_sums_to_likelihood():
    data = {"F": (0, 1), "C": (1, 2)}
    tab = brute_genotype_table(TRIO, P, data, "M")
    assert math.isclose(tab.sum(), brute_likelihood(TRIO, P, data), rel_tol=1e-13)
    # the father has no 2, so the mother passed on allele 2: she carries it
    assert tab[:2, :2].sum() == 0 and tab[2, 2] > 0


def test_paternity_index_by_hand():
    # child 0/1, alleged father 0/2, mother untyped: PI = 1 / (4 p_0)
    lr = brute_missing_person_lr(TRIO, P, {"F": (0, 2)}, "C", (0, 1))
    assert math.isclose(lr, 1 / (4 * P[0]), rel_tol=1e-13)
    assert brute_missing_person_lr(TRIO, P, {"F": (0, 2)}, "C", None) == 1.0
    assert math.isclose(hw_prob(P, (0, 1)), 2 * P[0] * P[1])


def test_forrel_reduce():
    sibs = {"U1": (None, None), "U2": (None, None), "R": ("U1", "U2"), "MP": ("U1", "U2")}
    assert forrel_reduce(sibs, {"R"}) == {"R": (None, None)}
    assert forrel_reduce(sibs, {"R", "MP"}) == sibs
    half = {"U1": (None, None), "W1": (None, None), "W2": (None, None),
            "R": ("U1", "W1"), "MP": ("U1", "W2")}
    assert forrel_reduce(half, {"R"}) == {"R": (None, None)}
    assert forrel_reduce(half, {"R", "MP"}) == half


def test_cycle_rejected():
    with pytest.raises(ValueError):
        brute_likelihood({"A": ("B", "C"), "B": ("A", "C"), "C": (None, None)}, P, {})
