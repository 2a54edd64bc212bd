"""Invariants of the engine as hypothesis properties, and textbook closed forms."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reunite.genetics import (
    MISSING,
    MarkerData,
    MutationModel,
    load_case,
    make_pedigree,
    marker_likelihoods,
    missing_person_lr,
    mutation_matrix,
    person_genotype_table,
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LABELS = ("10", "11", "12", "13", "14", "15")
MODELS = [
    None,
    MutationModel("equal", rate=0.02),
    MutationModel("proportional", rate=0.01),
    MutationModel("stepwise", rate=0.03, rate2=0.001, range=0.4),
    MutationModel("onestep", rate=0.05),
]


# ---------------------------------------------------------------------------------------------
# Strategies


@st.composite
def pedigrees(draw, max_size: int = 6) -> list[dict]:
    """Records of a random pedigree (loops allowed: the likelihood engine is exact on them)."""
    size = draw(st.integers(1, max_size))
    recs: list[dict] = []
    for i in range(size):
        sex = draw(st.sampled_from(["male", "female"]))
        men = [r["id"] for r in recs if r["sex"] == "male"]
        women = [r["id"] for r in recs if r["sex"] == "female"]
        father = mother = None
        if i >= 1 and men and women and draw(st.booleans()):
            father, mother = draw(st.sampled_from(men)), draw(st.sampled_from(women))
        recs.append({"id": f"i{i}", "father": father, "mother": mother, "sex": sex})
    return recs


@st.composite
def frequencies(draw, n: int | None = None) -> np.ndarray:
    n = n if n is not None else draw(st.integers(2, 5))
    counts = draw(st.lists(st.integers(1, 60), min_size=n, max_size=n))
    return np.array(counts, dtype=float) / sum(counts)


@st.composite
def markers(draw, sex_specific: bool = True) -> MarkerData:
    freqs = draw(frequencies())
    labels = LABELS[: len(freqs)]
    fem = draw(st.sampled_from(MODELS))
    male = draw(st.sampled_from(MODELS[1:])) if sex_specific and fem is not None else fem
    if fem is None:
        return MarkerData("M", labels, freqs)
    return MarkerData("M", labels, freqs, mutation_matrix(fem, labels, freqs),
                      mutation_matrix(male, labels, freqs))


def _genotype(draw, n: int) -> tuple[int, int]:
    a, b = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
    return (min(a, b), max(a, b))


def _rel_close(a: float, b: float, rtol: float = 1e-10) -> bool:
    return math.isclose(a, b, rel_tol=rtol, abs_tol=1e-300)


# ---------------------------------------------------------------------------------------------
# Genotype probabilities of a member sum to one


@SETTINGS
@given(recs=pedigrees(), md=markers(), data=st.data())
def test_genotype_table_of_anyone_sums_to_one_with_nobody_typed(recs, md, data):
    ped = make_pedigree(recs)
    person = data.draw(st.sampled_from([r["id"] for r in recs]))
    (tab,) = person_genotype_table(ped, [md], {}, person)
    assert tab.shape == (md.n, md.n) and (tab >= 0).all()
    assert _rel_close(float(tab.sum()), 1.0, 1e-12)
    if ped[person].is_founder:
        np.testing.assert_allclose(tab, np.outer(md.freqs, md.freqs), rtol=1e-12)


@SETTINGS
@given(recs=pedigrees(), md=markers(), data=st.data())
def test_genotype_table_sums_to_the_likelihood_without_that_person(recs, md, data):
    ids = [r["id"] for r in recs]
    person = data.draw(st.sampled_from(ids))
    typed = {pid: _genotype(data.draw, md.n) for pid in ids
             if pid != person and data.draw(st.booleans())}
    geno = {pid: np.array([g]) for pid, g in typed.items()}
    ped = make_pedigree(recs)
    (tab,) = person_genotype_table(ped, [md], geno, person)
    lik = float(marker_likelihoods(ped, [md], geno)[0])
    assert _rel_close(float(tab.sum()), lik)


@SETTINGS
@given(recs=pedigrees(), md=markers(), data=st.data())
def test_typing_a_member_partitions_the_likelihood(recs, md, data):
    """sum over every unordered genotype g of L(data, person = g) == L(data)."""
    ids = [r["id"] for r in recs]
    person = data.draw(st.sampled_from(ids))
    typed = {pid: _genotype(data.draw, md.n) for pid in ids
             if pid != person and data.draw(st.booleans())}
    all_g = [(a, b) for a in range(md.n) for b in range(a, md.n)]
    ped = make_pedigree(recs)
    geno = {pid: np.array([g] * len(all_g)) for pid, g in typed.items()}
    geno[person] = np.array(all_g)
    parts = marker_likelihoods(ped, [md] * len(all_g), geno)
    whole = float(marker_likelihoods(ped, [md], {pid: np.array([g]) for pid, g in typed.items()})[0])
    assert (parts >= 0).all()
    assert _rel_close(math.fsum(parts), whole)


@SETTINGS
@given(recs=pedigrees(), md=markers())
def test_untyped_rows_are_ignored(recs, md):
    ped = make_pedigree(recs)
    geno = {r["id"]: np.full((2, 2), MISSING) for r in recs}
    assert list(marker_likelihoods(ped, [md, md], geno)) == [1.0, 1.0]


# ---------------------------------------------------------------------------------------------
# The LR is 1 when the missing member has no typed relative


def _spec(freqs, pedigree, missing, found, genotypes, mutation=None) -> dict:
    spec = {"frequencies": freqs, "pedigree": pedigree, "missing": missing, "found": found,
            "genotypes": genotypes}
    if mutation is not None:
        spec["mutation"] = mutation
    return spec


def _freq_table(draw, names=("D1", "D2", "D3")) -> dict:
    out = {}
    for name in names:
        p = draw(frequencies(n=draw(st.integers(2, 5))))
        out[name] = dict(zip(LABELS, (float(x) for x in p), strict=False))
    # frequencies rounded by float(); they still sum to 1 within the table's tolerance
    return out


def _profile(draw, table: dict) -> dict:
    prof = {}
    for name, fr in table.items():
        if draw(st.integers(0, 4)) == 0:
            continue  # untyped at this marker
        alleles = list(fr)
        prof[name] = [draw(st.sampled_from(alleles)), draw(st.sampled_from(alleles))]
    return prof


MUTATION_SPECS = [
    None,
    {"model": "equal", "rate": 0.01},
    {"model": "stepwise", "rate": 0.02, "rate2": 0.001, "range": 0.3},
    {"female": {"model": "proportional", "rate": 0.01}, "male": {"model": "onestep", "rate": 0.03}},
]


@SETTINGS
@given(data=st.data())
def test_lr_is_one_without_typed_relatives(data):
    """Typed people who are not blood relatives of the missing member carry no information:
    an unrelated typed founder line, a stepmother (through an untyped half sibling), the
    missing member's spouse (through an untyped child)."""
    draw = data.draw
    table = _freq_table(draw)
    recs = [{"id": "F", "sex": "male"}, {"id": "M", "sex": "female"},
            {"id": "MP", "father": "F", "mother": "M", "sex": "male"},
            # a separate founder line: X and X's child Y with an untyped partner
            {"id": "X", "sex": "female"}, {"id": "XP", "sex": "male"},
            {"id": "Y", "father": "XP", "mother": "X", "sex": "male"},
            # a stepmother S and her untyped child with F
            {"id": "S", "sex": "female"}, {"id": "H", "father": "F", "mother": "S", "sex": "female"},
            # the missing member's spouse W and their untyped child
            {"id": "W", "sex": "female"}, {"id": "K", "father": "MP", "mother": "W", "sex": "male"}]
    typed_ids = draw(st.lists(st.sampled_from(["X", "Y", "S", "W"]), unique=True))
    genotypes = {pid: _profile(draw, table) for pid in typed_ids}
    if "Y" in genotypes and "X" in genotypes:
        # keep the separate line consistent with itself (so that its own likelihood is > 0)
        genotypes["Y"] = {k: [v[0], v[0]] for k, v in genotypes["X"].items()}
    found = _profile(draw, table)
    random.Random(draw(st.integers(0, 100))).shuffle(recs)
    mutation = draw(st.sampled_from(MUTATION_SPECS))
    res = missing_person_lr(load_case(_spec(table, recs, "MP", found, genotypes, mutation)))
    for m in res.markers:
        assert _rel_close(m.lr, 1.0, 1e-12), (m.marker, m.lr)
    assert res.log10_lr == pytest.approx(0.0, abs=1e-12)
    assert res.inconsistent_markers == []


@SETTINGS
@given(data=st.data())
def test_lr_is_one_for_a_lone_relative_unconnected(data):
    """A typed person in the pedigree file who has no parents and no children at all."""
    draw = data.draw
    table = _freq_table(draw)
    recs = [{"id": "F"}, {"id": "M"}, {"id": "MP", "father": "F", "mother": "M"}, {"id": "L"}]
    mutation = draw(st.sampled_from(MUTATION_SPECS))
    res = missing_person_lr(load_case(_spec(table, recs, "MP", _profile(draw, table),
                                            {"L": _profile(draw, table)}, mutation)))
    assert all(_rel_close(m.lr, 1.0, 1e-12) for m in res.markers)


# ---------------------------------------------------------------------------------------------
# Textbook formulas (no mutation, theta 0)
#
# Alleles a, b, c, d are "10", "11", "12", "13"; "14" holds the rest of the frequency mass.
# Derivations, with the alleged parent typed and the other parent an untyped founder, the child
# being the missing member, L_H2 = P(parent) P_HW(child):
#   child a/b, parent a/c: parent passes a (1/2), other parent b (p_b)  -> (p_b/2) / (2 p_a p_b)
#   child a/a, parent a/b: 1/2 * p_a / p_a^2
#   child a/b, parent a/b: (1/2 p_b + 1/2 p_a) / (2 p_a p_b)
#   child a/a, parent a/a: 1 * p_a / p_a^2
#   child a/b, parent a/a: 1 * p_b / (2 p_a p_b)
#   child a/b, parent c/d: 0
PARENT_CHILD = [
    ("a/b", "a/c", lambda p: 1 / (4 * p["a"])),
    ("a/b", "c/b", lambda p: 1 / (4 * p["b"])),
    ("a/a", "a/b", lambda p: 1 / (2 * p["a"])),
    ("a/b", "a/b", lambda p: (p["a"] + p["b"]) / (4 * p["a"] * p["b"])),
    ("a/a", "a/a", lambda p: 1 / p["a"]),
    ("a/b", "a/a", lambda p: 1 / (2 * p["a"])),
    ("a/b", "c/d", lambda p: 0.0),
    ("a/a", "b/c", lambda p: 0.0),
]
# Full siblings (parents untyped founders): IBD 0, 1, 2 with probabilities 1/4, 1/2, 1/4.
# LR = 1/4 + 1/2 * P(g2 | one allele IBD with g1) / P(g2) + 1/4 * [g1 = g2] / P(g2).
FULL_SIBS = [
    ("a/a", "a/a", lambda p: (1 + p["a"]) ** 2 / (4 * p["a"] ** 2)),
    ("a/b", "a/b", lambda p: (1 + p["a"] + p["b"] + 2 * p["a"] * p["b"]) / (8 * p["a"] * p["b"])),
    ("a/a", "a/b", lambda p: (1 + 1 / p["a"]) / 4),
    ("a/b", "a/a", lambda p: (1 + 1 / p["a"]) / 4),
    ("a/b", "a/c", lambda p: (2 + 1 / p["a"]) / 8),
    ("a/b", "c/d", lambda p: 0.25),
]
# Half siblings: IBD 0 or 1 with probability 1/2 each: LR = 1/2 + 1/2 * (one-IBD ratio).
HALF_SIBS = [
    ("a/a", "a/a", lambda p: (1 + 1 / p["a"]) / 2),
    ("a/b", "a/b", lambda p: 0.5 + (p["a"] + p["b"]) / (8 * p["a"] * p["b"])),
    ("a/a", "a/b", lambda p: 0.5 + 1 / (4 * p["a"])),
    ("a/b", "a/c", lambda p: 0.5 + 1 / (8 * p["a"])),
    ("a/b", "c/d", lambda p: 0.5),
]

LETTER = {"a": "10", "b": "11", "c": "12", "d": "13"}


def _alleles(g: str) -> list[str]:
    return [LETTER[x] for x in g.split("/")]


def _table_abcd(counts) -> tuple[dict, dict]:
    total = sum(counts)
    p = [c / total for c in counts]
    return ({"D1": {"10": p[0], "11": p[1], "12": p[2], "13": p[3], "14": p[4]}},
            dict(zip("abcd", p[:4], strict=False)))


COUNTS = st.lists(st.integers(1, 100), min_size=5, max_size=5)
FATHER_CHILD = [{"id": "AF", "sex": "male"}, {"id": "MO", "sex": "female"},
                {"id": "MP", "father": "AF", "mother": "MO"}]
MOTHER_CHILD = [{"id": "FA", "sex": "male"}, {"id": "AM", "sex": "female"},
                {"id": "MP", "father": "FA", "mother": "AM"}]
SIBS = [{"id": "U1", "sex": "male"}, {"id": "U2", "sex": "female"},
        {"id": "REF", "father": "U1", "mother": "U2"}, {"id": "MP", "father": "U1", "mother": "U2"}]
HALF = [{"id": "U1", "sex": "male"}, {"id": "W1", "sex": "female"}, {"id": "W2", "sex": "female"},
        {"id": "REF", "father": "U1", "mother": "W1"}, {"id": "MP", "father": "U1", "mother": "W2"}]


def _single_marker_lr(table, recs, ref_id, ref_g, found_g) -> float:
    res = missing_person_lr(load_case(_spec(table, recs, "MP", {"D1": _alleles(found_g)},
                                            {ref_id: {"D1": _alleles(ref_g)}})))
    (m,) = res.markers
    assert res.lr == m.lr or math.isclose(res.lr, m.lr, rel_tol=1e-12)
    return m.lr


@pytest.mark.parametrize(("child", "parent", "formula"), PARENT_CHILD)
@pytest.mark.parametrize(("recs", "ref"), [(FATHER_CHILD, "AF"), (MOTHER_CHILD, "AM")])
@settings(max_examples=15, deadline=None)
@given(counts=COUNTS)
def test_parent_child_index(child, parent, formula, recs, ref, counts):
    table, p = _table_abcd(counts)
    want = formula(p)
    got = _single_marker_lr(table, recs, ref, parent, child)
    if want == 0:
        assert got == 0
    else:
        assert math.isclose(got, want, rel_tol=1e-12), (got, want)


@pytest.mark.parametrize(("g_ref", "g_mp", "formula"), FULL_SIBS)
@settings(max_examples=15, deadline=None)
@given(counts=COUNTS)
def test_full_sibling_index(g_ref, g_mp, formula, counts):
    table, p = _table_abcd(counts)
    got = _single_marker_lr(table, SIBS, "REF", g_ref, g_mp)
    assert math.isclose(got, formula(p), rel_tol=1e-12), (got, formula(p))


@pytest.mark.parametrize(("g_ref", "g_mp", "formula"), HALF_SIBS)
@settings(max_examples=15, deadline=None)
@given(counts=COUNTS)
def test_half_sibling_index(g_ref, g_mp, formula, counts):
    table, p = _table_abcd(counts)
    got = _single_marker_lr(table, HALF, "REF", g_ref, g_mp)
    assert math.isclose(got, formula(p), rel_tol=1e-12), (got, formula(p))


@settings(max_examples=25, deadline=None)
@given(counts=COUNTS)
def test_trio(counts):
    """Both parents typed: child a/b, father a/c, mother b/d: P(child | parents) = 1/4, so
    LR = (1/4) / (2 p_a p_b)."""
    table, p = _table_abcd(counts)
    res = missing_person_lr(load_case(_spec(table, FATHER_CHILD, "MP", {"D1": ["10", "11"]},
                                            {"AF": {"D1": ["10", "12"]}, "MO": {"D1": ["11", "13"]}})))
    assert math.isclose(res.lr, 1 / (8 * p["a"] * p["b"]), rel_tol=1e-12)


# ---------------------------------------------------------------------------------------------
# Order of the input does not matter

FAMILY = [
    {"id": "GF", "sex": "male"}, {"id": "GM", "sex": "female"},
    {"id": "FA", "father": "GF", "mother": "GM", "sex": "male"},
    {"id": "UN", "father": "GF", "mother": "GM", "sex": "female"},
    {"id": "MO", "sex": "female"},
    {"id": "MP", "father": "FA", "mother": "MO", "sex": "female"},
    {"id": "SIB", "father": "FA", "mother": "MO", "sex": "male"},
]


def _shuffled(d: dict, rnd: random.Random) -> dict:
    items = list(d.items())
    rnd.shuffle(items)
    return dict(items)


@settings(max_examples=30, deadline=None)
@given(data=st.data(), seed=st.integers(0, 10**6))
def test_order_of_members_and_markers_does_not_matter(data, seed):
    draw = data.draw
    table = _freq_table(draw, names=("D1", "D2", "D3", "D4"))
    genotypes = {pid: _profile(draw, table) for pid in ("GF", "UN", "MO", "SIB")}
    found = _profile(draw, table)
    # models under which any genotype can follow from any other, so that no family is impossible
    mutation = draw(st.sampled_from(MUTATION_SPECS[1:3]))
    base = missing_person_lr(load_case(_spec(table, FAMILY, "MP", found, genotypes, mutation)))
    rnd = random.Random(seed)
    recs = FAMILY[:]
    rnd.shuffle(recs)
    spec = _spec({k: _shuffled(v, rnd) for k, v in _shuffled(table, rnd).items()}, recs, "MP",
                 _shuffled(found, rnd),
                 _shuffled({k: _shuffled(v, rnd) for k, v in genotypes.items()}, rnd), mutation)
    res = missing_person_lr(load_case(spec))
    assert {m.marker: m.lr for m in res.markers} == pytest.approx(
        {m.marker: m.lr for m in base.markers}, rel=1e-12)
    if base.log10_lr is None:
        assert res.log10_lr is None and res.lr == 0
    else:
        assert res.log10_lr == pytest.approx(base.log10_lr, rel=1e-12, abs=1e-12)
    assert sorted(res.inconsistent_markers) == sorted(base.inconsistent_markers)


def test_markers_absent_from_the_table_do_not_change_the_lr():
    table = {"D1": {"10": 0.5, "11": 0.25, "12": 0.25}}
    mutation = {"model": "stepwise", "rate": 0.05, "rate2": 0.001, "range": 0.5}
    found = {"D1": ["10", "11"]}
    plain = {"REF": {"D1": ["10", "12"]}}
    extra = {**plain, "U1": {"TPOX": ["8", "9"]}}  # TPOX is not in the table: never used
    a = missing_person_lr(load_case(_spec(table, SIBS, "MP", found, plain, mutation)))
    b = missing_person_lr(load_case(_spec(table, SIBS, "MP", found, extra, mutation)))
    assert b.markers[0].lr == pytest.approx(a.markers[0].lr, rel=1e-12)


# ---------------------------------------------------------------------------------------------
# Inconsistent markers


INCONSISTENT_TABLE = {"D1": {"10": 0.1, "11": 0.2, "12": 0.3, "13": 0.25, "14": 0.15}}
INCONSISTENT_TABLE["D2"] = dict(INCONSISTENT_TABLE["D1"])


@pytest.mark.parametrize("mutation", [None, {"model": "equal", "rate": 0.005},
                                      {"model": "stepwise", "rate": 0.003, "rate2": 1e-6, "range": 0.5},
                                      {"female": {"model": "equal", "rate": 0.001},
                                       "male": {"model": "onestep", "rate": 0.004}}])
def test_inconsistent_marker(mutation):
    # D1: father 10/10, child 11/11: the child cannot have inherited the father's allele.
    # D2: father 11/12, child 10/11: consistent, LR 1 / (4 p_11) without mutation.
    spec = _spec(INCONSISTENT_TABLE, FATHER_CHILD, "MP", {"D1": ["11", "11"], "D2": ["10", "11"]},
                 {"AF": {"D1": ["10", "10"], "D2": ["11", "12"]}}, mutation)
    res = missing_person_lr(load_case(spec))
    by = {m.marker: m for m in res.markers}
    assert res.inconsistent_markers == ["D1"]
    assert by["D1"].inconsistent and not by["D2"].inconsistent
    if mutation is None:
        assert by["D1"].lr == 0 and res.lr == 0 and res.log10_lr is None
        assert by["D2"].lr == pytest.approx(1 / (4 * 0.2), rel=1e-12)
        # One inconsistency and no mutation model: GB/T 37223 asks for the LR with mutation, so
        # neither the decision nor the verbal phrase says exclusion (issue 10).
        c = res.conclusion(load_case(spec))
        assert c.relationship == "parentage_duo" and c.decision == "inconclusive" and not c.excluded
        assert "exclusion" not in res.verbal and "mutation model" in res.sentence()
    else:
        assert 0 < by["D1"].lr < 0.05
        assert res.lr > 0 and res.log10_lr is not None
        assert res.as_dict()["inconsistent_markers"] == ["D1"]


def test_inconsistent_marker_lr_with_equal_mutation_by_hand():
    """Father 10/10, child 11/11, mother untyped, equal model (rate r, 5 alleles): the father
    passes 11 with probability r/4; the mother's transmitted allele is 11 with probability
    (p M)_11 = p_11 (1 - r) + (1 - p_11) r / 4 (no stationarity adjustment).
    LR = (r/4) (p M)_11 / p_11^2."""
    r, p11 = 0.005, 0.2
    spec = _spec({"D1": INCONSISTENT_TABLE["D1"]}, FATHER_CHILD, "MP", {"D1": ["11", "11"]},
                 {"AF": {"D1": ["10", "10"]}}, {"model": "equal", "rate": r})
    (m,) = missing_person_lr(load_case(spec)).markers
    pm = p11 * (1 - r) + (1 - p11) * r / 4
    assert m.lr == pytest.approx((r / 4) * pm / p11**2, rel=1e-12)
