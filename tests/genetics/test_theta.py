"""Theta as pedprobr computes it: the alleles of all founders of one pedigree sampled jointly by
the Balding–Nichols sampling formula (../shared/KINSHIP.md, "Founders and frequencies").

Checked against pedprobr's own test value (0.0921), the duo of the issue (LR 2.43 at θ = 0.03),
closed forms, and the brute force of ``tests/reference/brute.py`` (which enumerates every
founder allele and applies the formula term by term) on random small pedigrees, typings,
mutation models and theta values drawn by hypothesis.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference.brute import (
    bn_joint,
    brute_genotype_table,
    brute_likelihood,
    brute_missing_person_lr,
    enumeration_size,
)
from reference.simulate import exact_freqs, gene_drop, labels_for, matrices, parent_map, random_pedigree
from reunite.errors import InputError
from reunite.genetics import MISSING, MarkerData, load_case, make_pedigree, marker_likelihoods, missing_person_lr
from reunite.genetics import likelihood as engine
from reunite.genetics import person_genotype_table as engine_table
from reunite.genetics.kinship import hw_genotype_prob
from reunite.genetics.likelihood import THETA_CONVENTION, THETA_CONVENTION_ZH, balding_nichols

README = Path(__file__).resolve().parents[2] / "README.md"
P = np.array([0.3, 0.7])


def _linear_ped(generations: int) -> list[dict]:
    """pedtools' linearPed(n): founder couples down a line, the last child typed."""
    recs = [{"id": "1", "sex": "male"}, {"id": "2", "sex": "female"},
            {"id": "3", "father": "1", "mother": "2", "sex": "male"}]
    nxt = 4
    for _ in range(generations - 1):
        father = str(nxt - 1)
        recs.append({"id": str(nxt), "sex": "female"})
        recs.append({"id": str(nxt + 1), "father": father, "mother": str(nxt), "sex": "male"})
        nxt += 2
    return recs


def _ancestral_ped() -> list[dict]:
    """pedtools' ancestralPed(2): four grandparents, two parents, one child (7)."""
    return [{"id": "1", "sex": "male"}, {"id": "2", "sex": "female"},
            {"id": "3", "sex": "male"}, {"id": "4", "sex": "female"},
            {"id": "5", "father": "1", "mother": "2", "sex": "male"},
            {"id": "6", "father": "3", "mother": "4", "sex": "female"},
            {"id": "7", "father": "5", "mother": "6", "sex": "male"}]


@pytest.mark.parametrize(("recs", "who"), [(_linear_ped(2), "5"), (_ancestral_ped(), "7")])
def test_pedprobr_two_generation_check_value(recs, who):
    """pedprobr tests/testthat/test-theta-correction.R: grandchild A/A, p_A = 0.3, θ = 0.01."""
    ped = make_pedigree(recs)
    md = MarkerData("M", ("A", "B"), P)
    geno = {who: np.array([[0, 0]])}
    assert marker_likelihoods(ped, [md], geno, theta=0.01)[0] == pytest.approx(0.0921, abs=1e-15)
    assert marker_likelihoods(ped, [md], geno)[0] == pytest.approx(0.09, abs=1e-15)
    # the same through the brute force
    assert brute_likelihood(parent_map([{"father": None, "mother": None, **r} for r in recs]), P,
                            {who: (0, 0)}, theta=0.01) == pytest.approx(0.0921, abs=1e-15)


def _duo_spec(theta: float) -> dict:
    # p_a = 0.1 for the shared allele; the LR is 1 / (4 p_a (1 + θ)) under Balding–Nichols
    return {"frequencies": {"D3S1358": {"10": 0.1, "11": 0.2, "12": 0.3, "13": 0.4}},
            "pedigree": [{"id": "F", "sex": "male"}, {"id": "M", "sex": "female"},
                         {"id": "C", "father": "F", "mother": "M", "sex": "male"}],
            "genotypes": {"F": {"D3S1358": ["10", "11"]}}, "missing": "C",
            "found": {"D3S1358": ["10", "12"]}, "theta": theta}


def test_duo_of_the_issue():
    """Parent ab, child ac: 2.50 at θ = 0; pedprobr's 2.43 at θ = 0.03 (the per-founder NRC II
    4.10 correction gave 2.58, i.e. 1 / (4 p_a (1 − θ)))."""
    assert missing_person_lr(load_case(_duo_spec(0.0))).lr == pytest.approx(2.5, rel=1e-12)
    lr = missing_person_lr(load_case(_duo_spec(0.03))).lr
    assert lr == pytest.approx(1 / (4 * 0.1 * 1.03), rel=1e-12)
    assert round(lr, 2) == 2.43
    assert round(1 / (4 * 0.1 * 0.97), 2) == 2.58 != round(lr, 2)


def test_singleton_is_the_two_allele_joint():
    p = [0.1, 0.2, 0.7]
    for a, b in [(0, 0), (0, 2), (2, 2)]:
        want = bn_joint([a, b], p, 0.05) * (1 if a == b else 2)
        assert hw_genotype_prob(np.array(p), a, b, 0.05) == pytest.approx(want, rel=1e-14)
        assert balding_nichols([a, b], p, 0.05) == pytest.approx(bn_joint([a, b], p, 0.05), rel=1e-14)


def test_balding_nichols_is_exchangeable_and_sums_to_one():
    p = [0.2, 0.3, 0.5]
    theta = 0.07
    seqs = [(a, b, c) for a in range(3) for b in range(3) for c in range(3)]
    assert sum(balding_nichols(s, p, theta) for s in seqs) == pytest.approx(1.0, rel=1e-14)
    assert balding_nichols([0, 0, 1], p, theta) == pytest.approx(balding_nichols([1, 0, 0], p, theta))


def test_separate_pedigrees_are_separate():
    """Two unrelated founders in one pedigree object are two pedigrees: no joint between them."""
    recs = [{"id": "A", "sex": "male"}, {"id": "B", "sex": "female"}]
    md = MarkerData("M", ("1", "2", "3"), np.array([0.2, 0.3, 0.5]))
    got = marker_likelihoods(make_pedigree(recs), [md], {"A": np.array([[0, 0]]), "B": np.array([[0, 1]])},
                             theta=0.1)[0]
    want = hw_genotype_prob(md.freqs, 0, 0, 0.1) * hw_genotype_prob(md.freqs, 0, 1, 0.1)
    assert got == pytest.approx(want, rel=1e-13)


def test_theta_zero_is_hardy_weinberg():
    recs = _ancestral_ped()
    md = MarkerData("M", ("A", "B"), P)
    geno = {"7": np.array([[0, 1]]), "1": np.array([[1, 1]])}
    ped = make_pedigree(recs)
    assert marker_likelihoods(ped, [md], geno, theta=0.0)[0] == pytest.approx(
        brute_likelihood(ped, P, {"7": (0, 1), "1": (1, 1)}), rel=1e-13)


def test_too_large_a_joint_is_refused_with_the_pedigree_size():
    # 12 untyped founder couples each with two typed children: 24 founders, 48 founder alleles
    recs, geno = [], {}
    n = 6
    for i in range(12):
        recs += [{"id": f"F{i}", "sex": "male"}, {"id": f"M{i}", "sex": "female"}]
        for j in range(2):
            recs.append({"id": f"C{i}{j}", "father": f"F{i}", "mother": f"M{i}", "sex": "male"})
            geno[f"C{i}{j}"] = np.array([[i % n, (i + j) % n]])
    md = MarkerData("M", tuple(str(x) for x in range(n)), np.full(n, 1 / n))
    ped = make_pedigree(recs)
    with pytest.raises(InputError, match="24 founders") as err:
        marker_likelihoods(ped, [md], geno, theta=0.01)
    assert "theta 0" in str(err.value)
    assert marker_likelihoods(ped, [md], geno, theta=0.0)[0] > 0   # theta 0 has no limit


def test_the_convention_is_named():
    assert "Balding–Nichols" in THETA_CONVENTION and "pedprobr" in THETA_CONVENTION
    assert "Balding–Nichols" in THETA_CONVENTION_ZH


def test_readme_theta_example_runs():
    """The README's Python example of theta (its code block runs as written)."""
    text = README.read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"^```python\n(.*?)^```", text, re.M | re.S) if "theta" in b]
    assert blocks, "the README has no Python example of theta"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})


# ---------------------------------------------------------------------------------------------
# Against the brute force, on random small pedigrees (hypothesis draws the seeds and theta).

MAX_ENUMERATION = 4_000
MUTS = ["none", "equal", "stepwise", "sex-specific stepwise", "onestep"]


def _random_problem(seed: int, mutation: str, typed_p: float):
    rng = np.random.default_rng(seed)
    recs = random_pedigree(rng, int(rng.integers(2, 7)))
    n = int(rng.integers(2, 5))
    labels = labels_for(mutation, n)
    freqs = exact_freqs(rng, n)
    fem, male = matrices(mutation, labels, freqs)
    truth = gene_drop(rng, recs, freqs, fem, male)
    typed = {r["id"]: tuple(sorted(truth[r["id"]])) for r in recs if rng.random() < typed_p}
    if typed and rng.random() < 0.1:
        pid = sorted(typed)[0]
        typed[pid] = tuple(sorted(int(x) for x in rng.integers(0, n, size=2)))
    untyped = [r["id"] for r in recs if r["id"] not in typed]
    rng.shuffle(untyped)
    while enumeration_size(parent_map(recs), typed, n) > MAX_ENUMERATION:
        pid = untyped.pop()
        typed[pid] = tuple(sorted(truth[pid]))
    return recs, MarkerData("M", labels, freqs, fem, male), typed


def _geno(recs, typed):
    return {r["id"]: np.array([typed[r["id"]]]) for r in recs if r["id"] in typed}


def _close(got, want, rtol=1e-11):
    return got == want == 0.0 or abs(got - want) <= rtol * abs(want)


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), mutation=st.sampled_from(MUTS),
       theta=st.sampled_from([0.001, 0.01, 0.03, 0.1, 0.25]) | st.floats(0.0005, 0.4),
       typed_p=st.floats(0.2, 0.9))
def test_marker_likelihood_matches_brute_force(seed, mutation, theta, typed_p):
    recs, md, typed = _random_problem(seed, mutation, typed_p)
    got = float(marker_likelihoods(make_pedigree(recs), [md], _geno(recs, typed), theta=theta)[0])
    want = brute_likelihood(parent_map(recs), md.freqs, typed, mut_female=md.mut_female,
                            mut_male=md.mut_male, theta=theta)
    assert _close(got, want), (got, want)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), mutation=st.sampled_from(MUTS), theta=st.floats(0.001, 0.3))
def test_genotype_table_matches_brute_force(seed, mutation, theta):
    recs, md, typed = _random_problem(seed, mutation, 0.5)
    untyped = [r["id"] for r in recs if r["id"] not in typed]
    if not untyped:
        typed.pop(recs[-1]["id"])
        untyped = [recs[-1]["id"]]
    person = untyped[seed % len(untyped)]
    ped = make_pedigree(recs)
    (tab,) = engine_table(ped, [md], _geno(recs, typed) or {person: np.array([[MISSING, MISSING]])},
                          person, theta=theta)
    want = brute_genotype_table(parent_map(recs), md.freqs, typed, person, theta=theta,
                                mut_female=md.mut_female, mut_male=md.mut_male)
    assert np.all(np.abs(tab - want) <= 1e-11 * max(float(want.max()), 1e-300))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), mutation=st.sampled_from(MUTS), theta=st.floats(0.001, 0.3))
def test_missing_person_lr_matches_brute_force(seed, mutation, theta):
    rng = np.random.default_rng(seed)
    recs = random_pedigree(rng, int(rng.integers(2, 7)), loops=False)
    missing = recs[int(rng.integers(len(recs)))]["id"]
    n = int(rng.integers(2, 5))
    labels = labels_for(mutation, n)
    freqs = exact_freqs(rng, n)
    fem, male = matrices(mutation, labels, freqs)
    truth = gene_drop(rng, recs, freqs, fem, male)
    rel = {r["id"]: tuple(sorted(truth[r["id"]])) for r in recs if r["id"] != missing and rng.random() < 0.6}
    others = [r["id"] for r in recs if r["id"] != missing and r["id"] not in rel]
    while enumeration_size(parent_map(recs), rel, n) > MAX_ENUMERATION:
        pid = others.pop()
        rel[pid] = tuple(sorted(truth[pid]))
    found = tuple(sorted(truth[missing]))
    spec = {"frequencies": {"M": dict(zip(labels, map(float, freqs), strict=True))},
            "pedigree": recs, "missing": missing, "theta": theta,
            "found": {"M": [labels[a] for a in found]},
            "genotypes": {pid: {"M": [labels[a] for a in g]} for pid, g in rel.items()}}
    if mutation != "none":
        from reference.simulate import MUTATIONS
        f, m = MUTATIONS[mutation]
        spec["mutation"] = {"female": f.as_dict(), "male": m.as_dict()}
    try:
        res = missing_person_lr(load_case(spec))
    except Exception as exc:  # the family's own data impossible: the brute force agrees
        assert brute_likelihood(parent_map(recs), freqs, rel, mut_female=fem, mut_male=male) == 0.0, exc
        return
    want = brute_missing_person_lr(parent_map(recs), freqs, rel, missing, found, mut_female=fem,
                                   mut_male=male, theta=theta)
    got = res.markers[0].lr
    assert _close(got, want, 1e-10), (got, want)
    assert math.isfinite(want)


class _forced:
    """Force the engine's way of computing the joint: "joint" (one factor) or "copies"."""

    def __init__(self, method: str):
        self.method = method

    def __enter__(self):
        self.saved = (engine._THETA_JOINT_PREFERRED, engine._THETA_MAX_FREE)
        engine._THETA_JOINT_PREFERRED, engine._THETA_MAX_FREE = (
            (10**18, 0) if self.method == "joint" else (0, 10))

    def __exit__(self, *exc):
        engine._THETA_JOINT_PREFERRED, engine._THETA_MAX_FREE = self.saved


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), mutation=st.sampled_from(MUTS), theta=st.floats(0.001, 0.4),
       typed_p=st.floats(0.1, 0.9), method=st.sampled_from(["joint", "copies"]))
def test_both_ways_of_computing_the_joint_match_brute_force(seed, mutation, theta, typed_p, method):
    recs, md, typed = _random_problem(seed, mutation, typed_p)
    with _forced(method):
        got = float(marker_likelihoods(make_pedigree(recs), [md], _geno(recs, typed), theta=theta)[0])
        untyped = [r["id"] for r in recs if r["id"] not in typed]
        tab = None
        if untyped and typed:
            (tab,) = engine_table(make_pedigree(recs), [md], _geno(recs, typed), untyped[0], theta=theta)
    want = brute_likelihood(parent_map(recs), md.freqs, typed, mut_female=md.mut_female,
                            mut_male=md.mut_male, theta=theta)
    assert _close(got, want), (got, want)
    if tab is not None:
        wt = brute_genotype_table(parent_map(recs), md.freqs, typed, untyped[0], theta=theta,
                                  mut_female=md.mut_female, mut_male=md.mut_male)
        assert np.all(np.abs(tab - wt) <= 1e-11 * max(float(wt.max()), 1e-300))


def test_many_alleles_kept_by_the_mutation_model_use_the_copies():
    """Stepwise mutation keeps every allele (55 here): the joint factor of two untyped parents
    would have 55^4 cells; the copies mixture (15 configurations) computes it exactly."""
    labels = tuple(str(x) for x in range(5, 60))
    p = np.full(len(labels), 1 / len(labels))
    from reunite.genetics.mutation import MutationModel, mutation_matrix
    m = mutation_matrix(MutationModel("stepwise", rate=0.005, rate2=1e-6, range=0.1), labels, p, "M")
    md = MarkerData("M", labels, p, m, m)
    recs = [{"id": "F", "sex": "male"}, {"id": "M", "sex": "female"},
            {"id": "A", "father": "F", "mother": "M", "sex": "male"},
            {"id": "B", "father": "F", "mother": "M", "sex": "female"}]
    geno = {"A": np.array([[3, 10]]), "B": np.array([[3, 11]])}
    got = marker_likelihoods(make_pedigree(recs), [md], geno, theta=0.02)[0]
    # (both ways agree with the brute force on small markers, test above); here: it runs, the
    # joint alone is refused, and theta -> 0 gives Hardy–Weinberg
    assert got > 0
    with _forced("joint"), pytest.raises(InputError, match="founders"):
        marker_likelihoods(make_pedigree(recs), [md], geno, theta=0.02)
    low = marker_likelihoods(make_pedigree(recs), [md], geno, theta=1e-12)[0]
    assert low == pytest.approx(marker_likelihoods(make_pedigree(recs), [md], geno)[0], rel=1e-9)
