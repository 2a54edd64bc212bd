"""The fast engine against the brute-force reference, on seeded random small pedigrees.

The engine lumps unobserved alleles and prunes untyped people without typed descendants; both
are exact, so the two must agree to rounding (relative 1e-12) for every pedigree, typing
pattern, mutation model and theta.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from reference.brute import (
    brute_genotype_table,
    brute_likelihood,
    brute_missing_person_lr,
    enumeration_size,
)
from reference.simulate import (
    MUTATIONS,
    exact_freqs,
    gene_drop,
    labels_for,
    matrices,
    parent_map,
    random_pedigree,
)
from reunite.genetics import MISSING, MarkerData, load_case, make_pedigree, marker_likelihoods, missing_person_lr
from reunite.genetics import person_genotype_table as engine_table

RTOL = 1e-12
MAX_ENUMERATION = 30_000


def close(got: float, want: float, rtol: float = RTOL) -> bool:
    if want == 0.0:
        return got == 0.0
    return abs(got - want) <= rtol * abs(want)


def _random_marker(rng, recs, *, mutation: str, typed_p: float, max_size: int = MAX_ENUMERATION):
    """One random marker: (MarkerData, {pid: unordered genotype or None})."""
    n = int(rng.integers(3, 6))
    labels = labels_for(mutation, n)
    freqs = exact_freqs(rng, n)
    fem, male = matrices(mutation, labels, freqs)
    md = MarkerData("M", labels, freqs, fem, male)
    truth = gene_drop(rng, recs, freqs, fem, male)
    typed = {r["id"]: tuple(sorted(truth[r["id"]])) for r in recs if rng.random() < typed_p}
    if typed and rng.random() < 0.15:
        # an arbitrary genotype: often inconsistent with the family
        pid = sorted(typed)[int(rng.integers(len(typed)))]
        typed[pid] = tuple(sorted(int(x) for x in rng.integers(0, n, size=2)))
    parents = parent_map(recs)
    untyped = [r["id"] for r in recs if r["id"] not in typed]
    rng.shuffle(untyped)
    while enumeration_size(parents, typed, n) > max_size:
        pid = untyped.pop()
        typed[pid] = tuple(sorted(truth[pid]))
    return md, typed


def _engine_genotypes(recs, typings: list[dict]) -> dict[str, np.ndarray]:
    out = {}
    for r in recs:
        rows = [typing.get(r["id"]) for typing in typings]
        if any(g is not None for g in rows):
            out[r["id"]] = np.array([g if g is not None else (MISSING, MISSING) for g in rows])
    return out


def _brute(recs, md: MarkerData, typed, theta=0.0) -> float:
    return brute_likelihood(parent_map(recs), md.freqs, typed, mut_female=md.mut_female,
                            mut_male=md.mut_male, theta=theta)


CASES = [(seed, mut) for seed in range(24) for mut in MUTATIONS]


@pytest.mark.parametrize(("seed", "mutation"), CASES)
def test_marker_likelihoods_match_brute_force(seed, mutation):
    rng = np.random.default_rng([seed, list(MUTATIONS).index(mutation)])
    size = int(rng.integers(2, 7))
    recs = random_pedigree(rng, size)
    nm = int(rng.integers(1, 4))
    typed_p = float(rng.choice([0.3, 0.5, 0.8]))
    drawn = [_random_marker(rng, recs, mutation=mutation, typed_p=typed_p) for _ in range(nm)]
    mds = [d[0] for d in drawn]
    typings = [d[1] for d in drawn]
    order = list(rng.permutation(len(recs)))
    ped = make_pedigree([recs[i] for i in order])
    geno = _engine_genotypes(recs, typings)
    got = marker_likelihoods(ped, mds, geno)
    got_unlumped = marker_likelihoods(ped, mds, geno, lump=False)
    for z in range(nm):
        want = _brute(recs, mds[z], typings[z])
        assert close(float(got[z]), want), (z, got[z], want, recs, typings[z])
        assert close(float(got_unlumped[z]), want), (z, got_unlumped[z], want)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("theta", [0.01, 0.1])
def test_marker_likelihoods_with_theta_match_brute_force(seed, theta):
    rng = np.random.default_rng([seed, 99])
    recs = random_pedigree(rng, int(rng.integers(2, 7)))
    mutation = ["none", "equal", "stepwise"][seed % 3]
    md, typed = _random_marker(rng, recs, mutation=mutation, typed_p=0.6)
    ped = make_pedigree(recs)
    got = float(marker_likelihoods(ped, [md], _engine_genotypes(recs, [typed]), theta=theta)[0])
    assert close(got, _brute(recs, md, typed, theta=theta))


@pytest.mark.parametrize("seed", range(10))
def test_random_mutation_matrices_match_brute_force(seed):
    """Arbitrary stochastic matrices (never lumpable) and different ones per sex."""
    rng = np.random.default_rng([seed, 7])
    recs = random_pedigree(rng, int(rng.integers(3, 7)))
    n = int(rng.integers(3, 6))
    freqs = exact_freqs(rng, n)
    fem = rng.dirichlet(np.ones(n) * 0.5, size=n)
    male = rng.dirichlet(np.ones(n) * 0.5, size=n)
    md = MarkerData("R", tuple(str(10 + i) for i in range(n)), freqs, fem, male)
    truth = gene_drop(rng, recs, freqs, fem, male)
    typed = {r["id"]: tuple(sorted(truth[r["id"]])) for r in recs if rng.random() < 0.6}
    ids = [r["id"] for r in recs if r["id"] not in typed]
    while enumeration_size(parent_map(recs), typed, n) > MAX_ENUMERATION:
        pid = ids.pop()
        typed[pid] = tuple(sorted(truth[pid]))
    got = float(marker_likelihoods(make_pedigree(recs), [md], _engine_genotypes(recs, [typed]))[0])
    assert close(got, _brute(recs, md, typed))


@pytest.mark.parametrize("seed", range(10))
def test_markers_with_different_models_batched_together(seed):
    """Markers typed in the same people are computed as one batch: mix models and sizes."""
    rng = np.random.default_rng([seed, 3])
    recs = random_pedigree(rng, int(rng.integers(3, 7)))
    typed_ids = [r["id"] for r in recs if rng.random() < 0.6] or [recs[-1]["id"]]
    mds, typings = [], []
    for mutation in MUTATIONS:
        md, _ = _random_marker(rng, recs, mutation=mutation, typed_p=0.0)
        truth = gene_drop(rng, recs, md.freqs, md.mut_female, md.mut_male)
        mds.append(md)
        typings.append({pid: tuple(sorted(truth[pid])) for pid in typed_ids})
    while enumeration_size(parent_map(recs), typings[0], 5) > MAX_ENUMERATION:
        pid = next(r["id"] for r in recs if r["id"] not in typed_ids)
        typed_ids.append(pid)
        for md, typing in zip(mds, typings, strict=True):
            typing[pid] = (0, md.n - 1)
    got = marker_likelihoods(make_pedigree(recs), mds, _engine_genotypes(recs, typings))
    for z, md in enumerate(mds):
        assert close(float(got[z]), _brute(recs, md, typings[z])), (z, list(MUTATIONS)[z])


def test_nobody_typed_gives_one():
    rng = np.random.default_rng(5)
    recs = random_pedigree(rng, 4)
    labels = labels_for("stepwise", 3)
    freqs = exact_freqs(rng, 3)
    md = MarkerData("M", labels, freqs, *matrices("sex-specific stepwise", labels, freqs))
    got = marker_likelihoods(make_pedigree(recs), [md, md], {"p0": np.full((2, 2), MISSING)})
    assert list(got) == [1.0, 1.0]
    assert math.isclose(_brute(recs, md, {}), 1.0, rel_tol=1e-12)


@pytest.mark.parametrize("seed", range(16))
def test_person_genotype_table_matches_brute_force(seed):
    rng = np.random.default_rng([seed, 11])
    mutation = list(MUTATIONS)[seed % len(MUTATIONS)]
    recs = random_pedigree(rng, int(rng.integers(2, 6)))
    md, typed = _random_marker(rng, recs, mutation=mutation, typed_p=0.5, max_size=3_000)
    untyped = [r["id"] for r in recs if r["id"] not in typed]
    if not untyped:
        typed.pop(recs[-1]["id"])
        untyped = [recs[-1]["id"]]
    person = untyped[int(rng.integers(len(untyped)))]
    ped = make_pedigree(recs)
    geno = _engine_genotypes(recs, [typed])
    (tab,) = engine_table(ped, [md], geno, person)
    want = brute_genotype_table(parent_map(recs), md.freqs, typed, person,
                                mut_female=md.mut_female, mut_male=md.mut_male)
    assert tab.shape == (md.n, md.n)
    scale = max(float(want.max()), 1e-300)
    assert np.all(np.abs(tab - want) <= RTOL * scale), (tab, want)
    assert close(float(tab.sum()), float(marker_likelihoods(ped, [md], geno)[0]), 1e-11)


# ---------------------------------------------------------------------------------------------
# The missing-person LR, end to end through load_case, against the reference built on brute.


def _case(rng, mutation: str):
    recs = random_pedigree(rng, int(rng.integers(2, 7)), loops=False)
    missing = recs[int(rng.integers(len(recs)))]["id"]
    nm = int(rng.integers(1, 4))
    markers = []
    for z in range(nm):
        n = int(rng.integers(3, 6))
        labels = labels_for(mutation, n)
        freqs = exact_freqs(rng, n)
        fem, male = matrices(mutation, labels, freqs)
        # the family's own data must be possible: relatives simulated without error
        truth = gene_drop(rng, recs, freqs, fem, male)
        if mutation == "none" or rng.random() < 0.5:
            truth_found = truth[missing]
        else:
            truth_found = tuple(int(x) for x in rng.integers(0, n, size=2))
        rel = {r["id"]: tuple(sorted(truth[r["id"]])) for r in recs
               if r["id"] != missing and rng.random() < 0.6}
        others = [r["id"] for r in recs if r["id"] != missing and r["id"] not in rel]
        rng.shuffle(others)
        while enumeration_size(parent_map(recs), rel, n) > MAX_ENUMERATION:
            pid = others.pop()
            rel[pid] = tuple(sorted(truth[pid]))
        found = tuple(sorted(truth_found)) if rng.random() < 0.9 else None
        if mutation == "none" and found is not None and rng.random() < 0.2:
            found = tuple(sorted(int(x) for x in rng.integers(0, n, size=2)))  # maybe an exclusion
        markers.append((f"M{z}", labels, freqs, fem, male, rel, found))
    return recs, missing, markers


def _case_spec(recs, missing, markers, mutation):
    models = MUTATIONS[mutation]
    spec = {
        "frequencies": {name: dict(zip(labels, map(float, freqs), strict=True))
                        for name, labels, freqs, *_ in markers},
        "pedigree": recs,
        "missing": missing,
        "found": {name: [labels[a] for a in found] for name, labels, *_, found in markers
                  if found is not None},
        "genotypes": {},
    }
    for name, labels, *_, rel, _found in markers:
        for pid, g in rel.items():
            spec["genotypes"].setdefault(pid, {})[name] = [labels[a] for a in g]
    if models is not None:
        spec["mutation"] = {"female": models[0].as_dict(), "male": models[1].as_dict()}
    return spec


LR_CASES = [(seed, mut) for seed in range(12) for mut in MUTATIONS]


@pytest.mark.parametrize(("seed", "mutation"), LR_CASES)
def test_missing_person_lr_matches_brute_force(seed, mutation):
    rng = np.random.default_rng([seed, 1000 + list(MUTATIONS).index(mutation)])
    recs, missing, markers = _case(rng, mutation)
    res = missing_person_lr(load_case(_case_spec(recs, missing, markers, mutation)))
    by_name = {m.marker: m for m in res.markers}
    log_sum, zero = 0.0, False
    typed_anywhere = {pid for *_, rel, _found in markers for pid in rel}
    for name, _labels, freqs, fem, male, rel, found in markers:
        want = brute_missing_person_lr(parent_map(recs), freqs, rel, missing, found,
                                       mut_female=fem, mut_male=male, typed_elsewhere=typed_anywhere)
        if name not in by_name:
            # a marker nobody is typed at is not listed; it contributes 1
            assert want == 1.0 and found is None and not rel
            continue
        got = by_name[name]
        assert close(got.lr, want), (name, got.lr, want)
        plain = brute_missing_person_lr(parent_map(recs), freqs, rel, missing, found)
        assert got.inconsistent == (plain == 0.0)
        assert (name in res.inconsistent_markers) == (plain == 0.0)
        if want == 0:
            zero = True
        else:
            log_sum += math.log10(want)
    if zero:
        assert res.lr == 0 and res.log10_lr is None
    else:
        assert res.log10_lr is not None and abs(res.log10_lr - log_sum) < 1e-11


def test_forrel_convention_matters_with_mutation():
    """Under H2 a lone typed full sibling is Hardy–Weinberg (forrel), not p·M: the reference
    without the convention differs, the engine follows it (as the golden cases require)."""
    recs = [{"id": "U1", "sex": "male"}, {"id": "U2", "sex": "female"},
            {"id": "REF", "father": "U1", "mother": "U2", "sex": "male"},
            {"id": "MP", "father": "U1", "mother": "U2", "sex": "female"}]
    labels = ("9", "10", "11", "12")
    freqs = np.array([0.5, 0.25, 0.125, 0.125])
    mutation = "stepwise"
    fem, male = matrices(mutation, labels, freqs)
    markers = [("M0", labels, freqs, fem, male, {"REF": (0, 2)}, (0, 3))]
    res = missing_person_lr(load_case(_case_spec(recs, "MP", markers, mutation)))
    ped = parent_map([{**r, "father": r.get("father"), "mother": r.get("mother")} for r in recs])
    conv = brute_missing_person_lr(ped, freqs, {"REF": (0, 2)}, "MP", (0, 3), mut_female=fem,
                                   mut_male=male)
    literal = brute_missing_person_lr(ped, freqs, {"REF": (0, 2)}, "MP", (0, 3), mut_female=fem,
                                      mut_male=male, reduce=False)
    assert close(res.markers[0].lr, conv)
    assert not close(conv, literal, 1e-6)
