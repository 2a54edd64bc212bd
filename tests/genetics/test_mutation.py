"""Mutation matrices (pedmut's definitions, see shared/KINSHIP.md) checked entry by entry."""

from __future__ import annotations

import numpy as np
import pytest

from reunite.errors import InputError, MutationError
from reunite.genetics import MutationModel, SexSpecificMutation, mutation_matrix, parse_mutation

P4 = np.array([0.1, 0.2, 0.3, 0.4])


def _rows_sum_to_one(m: np.ndarray) -> None:
    np.testing.assert_allclose(m.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    assert (m >= 0).all()


def test_equal():
    m = mutation_matrix(MutationModel("equal", rate=0.006), ["10", "11", "12", "13"], P4)
    want = np.full((4, 4), 0.002)
    np.fill_diagonal(want, 0.994)
    np.testing.assert_allclose(m, want, rtol=1e-15)
    _rows_sum_to_one(m)


def test_equal_two_alleles_and_rate_one():
    m = mutation_matrix(MutationModel("equal", rate=1.0), ["a", "b"], np.array([0.5, 0.5]))
    np.testing.assert_array_equal(m, [[0.0, 1.0], [1.0, 0.0]])


def test_proportional():
    r = 0.01
    m = mutation_matrix(MutationModel("proportional", rate=r), ["10", "11", "12", "13"], P4)
    alpha = r / (0.1 * 0.9 + 0.2 * 0.8 + 0.3 * 0.7 + 0.4 * 0.6)  # = 0.01 / 0.70
    assert alpha == pytest.approx(1 / 70, rel=1e-14)
    for i in range(4):
        for j in range(4):
            want = 1 - alpha + alpha * P4[i] if i == j else alpha * P4[j]
            assert m[i, j] == pytest.approx(want, rel=1e-14), (i, j)
    _rows_sum_to_one(m)
    # the expected mutation rate sum_i p_i (1 - M_ii) is the given rate
    assert float(P4 @ (1 - np.diag(m))) == pytest.approx(r, rel=1e-12)
    # stationary: p M = p
    np.testing.assert_allclose(P4 @ m, P4, rtol=1e-14)


def test_proportional_impossible():
    with pytest.raises(MutationError, match="D5") as info:
        mutation_matrix(MutationModel("proportional", rate=0.5), ["1", "2"], np.array([0.9, 0.1]),
                        marker="D5")
    assert "rate" in str(info.value)


def test_proportional_never_negative():
    p = np.array([0.1, 0.45, 0.45])
    try:
        m = mutation_matrix(MutationModel("proportional", rate=1.0), ["1", "2", "3"], p, marker="D5")
    except MutationError:
        return
    assert (m >= 0).all(), m


def test_stepwise_with_a_lone_microvariant():
    r, r2, rng = 0.01, 0.001, 0.1
    alleles = ["9", "10", "11", "11.3"]
    m = mutation_matrix(MutationModel("stepwise", rate=r, rate2=r2, range=rng), alleles, P4)
    # row 9: within its group {9, 10, 11} weights 0.1 (to 10) and 0.01 (to 11), scaled to r
    assert m[0, 1] == pytest.approx(r * 0.1 / 0.11, rel=1e-12)
    assert m[0, 2] == pytest.approx(r * 0.01 / 0.11, rel=1e-12)
    assert m[0, 3] == pytest.approx(r2 / 1, rel=1e-12)  # n - size of own group = 4 - 3
    assert m[0, 0] == pytest.approx(1 - r - r2, rel=1e-14)
    # row 10: both neighbours one step away
    assert m[1, 0] == pytest.approx(r / 2, rel=1e-12)
    assert m[1, 2] == pytest.approx(r / 2, rel=1e-12)
    assert m[1, 3] == pytest.approx(r2, rel=1e-12)
    assert m[1, 1] == pytest.approx(1 - r - r2, rel=1e-14)
    # row 11.3: alone in its group: only rate2, split over the 3 others; 11.3 -> 11 is not a step
    np.testing.assert_allclose(m[3, :3], r2 / 3, rtol=1e-12)
    assert m[3, 3] == pytest.approx(1 - r2, rel=1e-14)
    _rows_sum_to_one(m)


def test_stepwise_one_group():
    r, rng = 0.02, 0.5
    m = mutation_matrix(MutationModel("stepwise", rate=r, rate2=0.0003, range=rng),
                        ["8", "9", "10"], np.array([0.25, 0.25, 0.5]))
    # every allele in one group: the diagonal is 1 - rate (rate2 unused)
    np.testing.assert_allclose(np.diag(m), 1 - r, rtol=1e-14)
    # row 8: weights 0.5 (to 9) and 0.25 (to 10)
    assert m[0, 1] == pytest.approx(r * 0.5 / 0.75, rel=1e-12)
    assert m[0, 2] == pytest.approx(r * 0.25 / 0.75, rel=1e-12)
    assert m[1, 0] == pytest.approx(r / 2, rel=1e-12)
    assert m[1, 2] == pytest.approx(r / 2, rel=1e-12)
    _rows_sum_to_one(m)


def test_stepwise_two_microvariant_groups():
    r, r2, rng = 0.004, 1e-5, 0.2
    alleles = ["9", "9.3", "10", "10.3", "11"]
    m = mutation_matrix(MutationModel("stepwise", rate=r, rate2=r2, range=rng), alleles,
                        np.full(5, 0.2))
    # groups: {9, 10, 11} (size 3) and {9.3, 10.3} (size 2)
    # row 9.3: within its group only 10.3 (weight 1 after scaling), to the other group r2 / 3
    assert m[1, 3] == pytest.approx(r, rel=1e-12)
    for j in (0, 2, 4):
        assert m[1, j] == pytest.approx(r2 / 3, rel=1e-12)
    assert m[1, 1] == pytest.approx(1 - r - r2, rel=1e-14)
    # row 11: 10 (weight 0.2) and 9 (0.04); to the microvariants r2 / 2 each
    assert m[4, 2] == pytest.approx(r * 0.2 / 0.24, rel=1e-12)
    assert m[4, 0] == pytest.approx(r * 0.04 / 0.24, rel=1e-12)
    assert m[4, 1] == pytest.approx(r2 / 2, rel=1e-12)
    assert m[4, 3] == pytest.approx(r2 / 2, rel=1e-12)
    _rows_sum_to_one(m)


def test_stepwise_range_one_spreads_evenly():
    m = mutation_matrix(MutationModel("stepwise", rate=0.03, rate2=0.0, range=1.0),
                        ["5", "6", "9", "12"], P4)
    np.testing.assert_allclose(m[0, 1:], 0.01, rtol=1e-12)


def test_onestep_ends_and_gaps():
    r = 0.01
    alleles = ["8", "9", "10", "12"]
    m = mutation_matrix(MutationModel("onestep", rate=r), alleles, P4)
    want = np.array([
        [1 - r, r, 0, 0],          # 8: only 9 exists (7 does not)
        [r / 2, 1 - r, r / 2, 0],  # 9: both neighbours
        [0, r, 1 - r, 0],          # 10: only 9 (11 is missing from the ladder)
        [0, 0, 0, 1.0],            # 12: no neighbour, cannot mutate
    ])
    np.testing.assert_allclose(m, want, rtol=1e-15, atol=0)
    _rows_sum_to_one(m)


def test_onestep_order_of_alleles_is_the_tables():
    m = mutation_matrix(MutationModel("onestep", rate=0.02), ["10", "8", "9"], np.full(3, 1 / 3))
    np.testing.assert_allclose(m, [[0.98, 0, 0.02], [0, 0.98, 0.02], [0.01, 0.01, 0.98]], rtol=1e-15)


@pytest.mark.parametrize("model", [
    MutationModel("trivial"),
    MutationModel("equal", rate=0.0),
    MutationModel("proportional", rate=0.0),
    MutationModel("onestep", rate=0.0),
    MutationModel("stepwise", rate=0.0, rate2=0.0, range=0.5),
])
def test_trivial_and_zero_rates_are_the_identity(model):
    m = mutation_matrix(model, ["10", "11", "12", "13"], P4)
    np.testing.assert_array_equal(m, np.eye(4))


@pytest.mark.parametrize("model", [
    MutationModel("equal", rate=0.1),
    MutationModel("proportional", rate=0.1),
    MutationModel("stepwise", rate=0.1, rate2=0.01, range=0.5),
    MutationModel("onestep", rate=0.1),
    MutationModel("trivial"),
])
def test_single_allele_is_the_identity(model):
    np.testing.assert_array_equal(mutation_matrix(model, ["12"], np.array([1.0])), [[1.0]])


@pytest.mark.parametrize("model", [
    MutationModel("equal", rate=0.002),
    MutationModel("proportional", rate=0.002),
    MutationModel("stepwise", rate=0.002, rate2=1e-6, range=0.1),
    MutationModel("onestep", rate=0.002),
])
def test_rows_sum_to_one_on_a_real_marker(model):
    alleles = [str(x) for x in range(5, 16)]
    p = np.arange(1, 12, dtype=float)
    p /= p.sum()
    _rows_sum_to_one(mutation_matrix(model, alleles, p))


@pytest.mark.parametrize("model", ["stepwise", "onestep"])
def test_non_numeric_alleles_rejected(model):
    mm = MutationModel(model, rate=0.01, rate2=0.001, range=0.5) if model == "stepwise" \
        else MutationModel(model, rate=0.01)
    with pytest.raises(MutationError, match="TH01") as info:
        mutation_matrix(mm, ["9", "X1"], np.array([0.5, 0.5]), marker="TH01")
    assert "numeric" in str(info.value)


def test_stepwise_two_decimals_rejected():
    with pytest.raises(MutationError, match="FGA"):
        mutation_matrix(MutationModel("stepwise", rate=0.01, rate2=0.001, range=0.5),
                        ["9", "9.25"], np.array([0.5, 0.5]), marker="FGA")


def test_onestep_microvariant_rejected():
    with pytest.raises(MutationError, match="integer"):
        mutation_matrix(MutationModel("onestep", rate=0.01), ["9", "9.3"], np.array([0.5, 0.5]),
                        marker="TH01")


def test_unknown_model_in_matrix():
    with pytest.raises(MutationError, match="dawid"):
        mutation_matrix(MutationModel("dawid", rate=0.01), ["9", "10"], np.array([0.5, 0.5]))


# ---------------------------------------------------------------------------------------------
# parse_mutation


def test_parse_none_and_one_model():
    assert parse_mutation(None) is None
    m = parse_mutation({"model": "equal", "rate": 0.002})
    assert isinstance(m, SexSpecificMutation)
    assert m.female == m.male == MutationModel("equal", rate=0.002)
    assert m.describe() == "equal (rate 0.002)"


def test_parse_sex_specific():
    m = parse_mutation({"female": {"model": "equal", "rate": 0.001},
                        "male": {"model": "stepwise", "rate": 0.004, "rate2": 1e-6, "range": 0.1}})
    assert m.female == MutationModel("equal", rate=0.001)
    assert m.male == MutationModel("stepwise", rate=0.004, rate2=1e-6, range=0.1)
    assert "female" in m.describe() and "male" in m.describe()
    assert parse_mutation(m.as_dict()) == m


@pytest.mark.parametrize(("spec", "words"), [
    ({"model": "equal", "rate": 1.5}, ["rate", "1.5"]),
    ({"model": "equal", "rate": -0.1}, ["rate", "-0.1"]),
    ({"model": "proportional", "rate": 2}, ["rate"]),
    ({"model": "onestep", "rate": "0.01"}, ["rate", "number"]),
    ({"model": "equal", "rate": float("nan")}, ["rate", "number"]),
    ({"model": "equal", "rate": True}, ["rate", "number"]),
    ({"model": "equal"}, ["rate"]),
    ({"model": "stepwise", "rate": 0.6, "rate2": 0.5, "range": 0.1}, ["rate2"]),
    ({"model": "stepwise", "rate": 0.01, "rate2": 0.001}, ["range"]),
    ({"model": "stepwise", "rate": 0.01, "rate2": 0.001, "range": 0}, ["range", "positive"]),
    ({"model": "equal", "rate": 0.01, "range": 0.5}, ["range"]),
    ({"model": "dawid", "rate": 0.01}, ["dawid", "equal"]),
    ({"model": None}, ["None"]),
    ({"rate": 0.01}, ["model"]),
    ("equal", ["model"]),
    ({"female": {"model": "equal", "rate": 0.001}}, ["female", "male"]),
    ({"female": {"model": "equal", "rate": 0.001}, "male": {"model": "equal", "rate": 0.001},
      "other": {}}, ["female", "male"]),
    ({"female": {"model": "equal", "rate": 0.001}, "male": {"model": "equal", "rate": 7}},
     ["mutation.male", "rate"]),
])
def test_parse_rejects_bad_parameters(spec, words):
    with pytest.raises(MutationError) as info:
        parse_mutation(spec)
    assert isinstance(info.value, InputError)
    for w in words:
        assert w in str(info.value), (w, str(info.value))


def test_custom_matrix_is_reordered_to_the_table():
    spec = {"model": "custom", "alleles": ["1", "2"], "matrix": [[0.9, 0.1], [0.3, 0.7]]}
    m = parse_mutation(spec).female
    np.testing.assert_allclose(mutation_matrix(m, ["2", "1"], np.array([0.5, 0.5])),
                               [[0.7, 0.3], [0.1, 0.9]])
    with pytest.raises(MutationError, match="lacks 1 allele"):
        mutation_matrix(m, ["1", "2", "3"], np.full(3, 1 / 3), marker="D8")
    with pytest.raises(MutationError, match="rows summing to 1"):
        parse_mutation({"model": "custom", "alleles": ["1", "2"], "matrix": [[0.9, 0.2], [0.3, 0.7]]})


# ---------------------------------------------------------------------------------------------
# the words, for_marker, per-marker specs (more in test_mutation_per_marker.py)


def test_parse_words():
    from reunite.genetics import DEFAULT_MUTATION, MutationSpec, default_mutation

    assert parse_mutation("none") is None
    spec = parse_mutation("default")
    assert isinstance(spec, MutationSpec) and spec == default_mutation()
    assert parse_mutation(DEFAULT_MUTATION) == spec
    with pytest.raises(MutationError, match="none"):
        parse_mutation("stepwise")


def test_sex_specific_for_marker_is_itself():
    m = parse_mutation({"model": "equal", "rate": 0.002})
    assert m.for_marker("D3S1358") is m


def test_parse_per_marker_returns_a_spec():
    from reunite.genetics import MutationSpec

    spec = parse_mutation({"per_marker": {"vWA": {"model": "equal", "rate": 0.004}},
                           "default": {"model": "equal", "rate": 0.001}})
    assert isinstance(spec, MutationSpec)
    assert spec.for_marker("VWA").male == MutationModel("equal", rate=0.004)
    assert spec.for_marker("FGA").male == MutationModel("equal", rate=0.001)
    assert parse_mutation(spec.as_dict()) == spec
