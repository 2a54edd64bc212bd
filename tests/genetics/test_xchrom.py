"""X-chromosomal markers: males hemizygous, X inheritance, the found male's H2 probability p_a
(../shared/KINSHIP.md, "X-chromosomal markers").

Closed forms worked by hand, input errors, the table's ``chromosome`` column and known-X-STR
list, and the brute force of ``tests/reference/brute.py`` (its own X enumeration) on random
pedigrees, typings, mutation models and theta drawn by hypothesis.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genetics.test_theta import _forced
from reference.brute import brute_genotype_table, brute_likelihood, brute_missing_person_lr
from reference.simulate import MUTATIONS, exact_freqs, gene_drop_x, labels_for, matrices, parent_map, random_pedigree
from reunite.errors import FrequencyError, InputError
from reunite.genetics import (
    MarkerData,
    load_case,
    load_frequencies,
    make_pedigree,
    marker_likelihoods,
    missing_person_lr,
)
from reunite.genetics import person_genotype_table as engine_table
from reunite.genetics.markers import is_x_marker

README = Path(__file__).resolve().parents[2] / "README.md"
FREQS = {"DXS10135": {"18": 0.1, "19": 0.2, "20": 0.3, "21": 0.4}}
P18, P19, P20, P21 = 0.1, 0.2, 0.3, 0.4


def _nuclear(child_sex: str) -> list[dict]:
    return [{"id": "F", "sex": "male"}, {"id": "M", "sex": "female"},
            {"id": "C", "father": "F", "mother": "M", "sex": child_sex}]


def _lr(pedigree, genotypes, found, missing="C", **kw):
    spec = {"frequencies": FREQS, "pedigree": pedigree, "genotypes": genotypes,
            "missing": missing, "found": found, **kw}
    return missing_person_lr(load_case(spec))


# ---------------------------------------------------------------------------------------------
# Closed forms


def test_father_and_son_share_no_x():
    """The issue's finding: a father and son were 'inconsistent, LR 0'; they share no X."""
    res = _lr(_nuclear("male"), {"F": {"DXS10135": ["18"]}}, {"DXS10135": ["21"]})
    assert res.lr == pytest.approx(1.0, rel=1e-12)
    assert res.inconsistent_markers == []


def test_father_and_daughter():
    # the daughter has her father's allele 18 for certain: LR = p_21 / (2 p_18 p_21) = 1 / (2 p_18)
    res = _lr(_nuclear("female"), {"F": {"DXS10135": ["18"]}}, {"DXS10135": ["18", "21"]})
    assert res.lr == pytest.approx(1 / (2 * P18), rel=1e-12)
    res = _lr(_nuclear("female"), {"F": {"DXS10135": ["18"]}}, {"DXS10135": ["19", "21"]})
    assert res.lr == 0 and res.inconsistent_markers == ["DXS10135"]


def test_mother_and_son_the_found_male_is_p_a():
    # mother 18/20, son 18: she passes 18 with 1/2; H2: a male's genotype has probability p_18
    res = _lr(_nuclear("male"), {"M": {"DXS10135": ["18", "20"]}}, {"DXS10135": ["18"]})
    assert res.lr == pytest.approx(0.5 / P18, rel=1e-12)
    same = _lr(_nuclear("male"), {"M": {"DXS10135": ["18", "20"]}}, {"DXS10135": ["18", "18"]})
    assert same.lr == pytest.approx(res.lr, rel=1e-15)


def test_paternal_half_sisters():
    ped = [{"id": "F", "sex": "male"}, {"id": "M1", "sex": "female"}, {"id": "M2", "sex": "female"},
           {"id": "S", "father": "F", "mother": "M1", "sex": "female"},
           {"id": "MP", "father": "F", "mother": "M2", "sex": "female"}]
    res = _lr(ped, {"S": {"DXS10135": ["18", "20"]}}, {"DXS10135": ["18", "21"]}, missing="MP")
    assert res.lr == pytest.approx(1 / (4 * P18), rel=1e-12)
    # sisters through the father must share his allele: none shared is an exclusion
    res = _lr(ped, {"S": {"DXS10135": ["18", "20"]}}, {"DXS10135": ["19", "21"]}, missing="MP")
    assert res.lr == 0


def test_paternal_grandmother_and_granddaughter():
    # GM -> son F (one of her two alleles) -> daughter MP (F's one allele) + her mother's allele
    ped = [{"id": "GF", "sex": "male"}, {"id": "GM", "sex": "female"},
           {"id": "F", "father": "GF", "mother": "GM", "sex": "male"}, {"id": "M", "sex": "female"},
           {"id": "MP", "father": "F", "mother": "M", "sex": "female"}]
    res = _lr(ped, {"GM": {"DXS10135": ["18", "20"]}}, {"DXS10135": ["18", "21"]}, missing="MP")
    # P(MP 18/21 | GM) = 1/2 p_21 (F has 18) ; H2: 2 p_18 p_21
    assert res.lr == pytest.approx(0.5 * P21 / (2 * P18 * P21), rel=1e-12)
    # the paternal grandfather gives his granddaughter nothing on the X
    res = _lr(ped, {"GF": {"DXS10135": ["19"]}}, {"DXS10135": ["18", "21"]}, missing="MP")
    assert res.lr == pytest.approx(1.0, rel=1e-12)


def test_autosomal_and_x_markers_together():
    freqs = {**FREQS, "D3S1358": {"15": 0.25, "16": 0.25, "17": 0.5}}
    spec = {"frequencies": freqs, "pedigree": _nuclear("male"),
            "genotypes": {"F": {"DXS10135": ["18"], "D3S1358": ["15", "16"]}},
            "missing": "C", "found": {"DXS10135": ["21"], "D3S1358": ["15", "17"]}}
    res = missing_person_lr(load_case(spec))
    by = {m.marker: m.lr for m in res.markers}
    assert by["DXS10135"] == pytest.approx(1.0) and by["D3S1358"] == pytest.approx(1 / (4 * 0.25))


def test_readme_x_example_runs():
    text = README.read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"^```python\n(.*?)^```", text, re.M | re.S) if "DXS" in b]
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})


# ---------------------------------------------------------------------------------------------
# Input errors and sexes


def test_heterozygous_male_is_an_error_naming_person_and_marker():
    with pytest.raises(InputError) as err:
        _lr(_nuclear("female"), {"F": {"DXS10135": ["18", "20"]}}, {"DXS10135": ["18", "21"]})
    msg = str(err.value)
    assert "'F'" in msg and "DXS10135" in msg and "male" in msg
    assert "18" not in msg.replace("DXS10135", "")          # no genotypes in messages
    with pytest.raises(InputError, match="found person"):
        _lr(_nuclear("male"), {"M": {"DXS10135": ["18", "20"]}}, {"DXS10135": ["18", "20"]})


def test_unknown_sex_with_one_allele_asks_for_the_sex():
    ped = _nuclear("unknown")
    with pytest.raises(InputError, match="unknown sex; give the sex"):
        _lr(ped, {"M": {"DXS10135": ["18", "20"]}}, {"DXS10135": ["18"]})
    # Amelogenin gives it
    res = _lr(ped, {"M": {"DXS10135": ["18", "20"]}}, {"DXS10135": ["18"], "AMEL": ["X", "Y"]})
    assert res.lr == pytest.approx(0.5 / P18, rel=1e-12)
    # a heterozygote can only be female
    res = _lr(ped, {"F": {"DXS10135": ["18"]}}, {"DXS10135": ["18", "21"]})
    assert res.lr == pytest.approx(1 / (2 * P18), rel=1e-12)


def test_unknown_sex_does_not_matter_without_x_markers():
    spec = {"frequencies": {"D3S1358": {"15": 0.5, "16": 0.5}}, "pedigree": _nuclear("unknown"),
            "genotypes": {"F": {"D3S1358": ["15", "15"]}}, "missing": "C", "found": {"D3S1358": ["15", "15"]}}
    assert missing_person_lr(load_case(spec)).lr == pytest.approx(2.0)


# ---------------------------------------------------------------------------------------------
# The table says which markers are X


def test_known_x_strs():
    for name in ("DXS10135", "DXS7423", "HPRTB", "GATA172D05", "dxs 10074", "DXS6795"):
        assert is_x_marker(name), name
    for name in ("D3S1358", "TH01", "vWA", "Penta E", "DYS391", "AMEL"):
        assert not is_x_marker(name), name
    table = load_frequencies({"DXS10135": {"18": 1.0}, "D3S1358": {"15": 1.0}, "HPRTB": {"12": 1.0}})
    assert [table[k].chromosome for k in ("DXS10135", "D3S1358", "HPRTB")] == ["X", "A", "X"]
    assert table.x_markers() == ["DXS10135", "HPRTB"]
    assert list(table.autosomal().markers) == ["D3S1358"]


def test_chromosome_column(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("marker,allele,frequency,chromosome\nDXS10135,18,1,\nMYX1,7,0.5,X\nMYX1,8,0.5,x\n"
                    "D3S1358,15,1,A\n", encoding="utf-8")
    table = load_frequencies(path)
    # the column decides: DXS10135 is written as autosomal there (empty), MYX1 as X
    assert table["DXS10135"].chromosome == "A" and table["MYX1"].chromosome == "X"
    assert table["D3S1358"].chromosome == "A" and not table["D3S1358"].is_x
    bad = tmp_path / "bad.csv"
    bad.write_text("marker,allele,frequency,chromosome\nM1,7,0.5,Y\nM1,8,0.5,Y\nM2,7,0.5,X\nM2,8,0.5,A\n",
                   encoding="utf-8")
    with pytest.raises(FrequencyError) as err:
        load_frequencies(bad)
    assert "not X or A" in str(err.value) and "one chromosome per marker" in str(err.value)


def test_x_added_allele_keeps_chromosome():
    table = load_frequencies(FREQS).with_alleles({"DXS10135": ["22"]})
    assert table["DXS10135"].chromosome == "X" and "22" in table["DXS10135"]


# ---------------------------------------------------------------------------------------------
# Against the brute force

MAX_ENUMERATION = 6_000
MUTS = ["none", "equal", "stepwise", "sex-specific stepwise", "onestep"]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _sizes(recs, typed, n):
    """Enumeration size of the brute force with hemizygous males (n choices, not n²)."""
    size = 1
    for r in recs:
        if r["id"] in typed:
            size *= 1 if r["sex"] == "male" else 2
        else:
            size *= n if r["sex"] == "male" else n * n
    return size


def _problem(seed, mutation, typed_p):
    rng = np.random.default_rng(seed)
    recs = random_pedigree(rng, int(rng.integers(2, 8)))
    n = int(rng.integers(2, 5))
    labels = labels_for(mutation, n)
    freqs = exact_freqs(rng, n)
    fem, male = matrices(mutation, labels, freqs)
    truth = gene_drop_x(rng, recs, freqs, fem, male)
    typed = {r["id"]: tuple(sorted(truth[r["id"]])) for r in recs if rng.random() < typed_p}
    if typed and rng.random() < 0.1:
        pid = sorted(typed)[0]
        a, b = (int(x) for x in rng.integers(0, n, size=2))
        typed[pid] = (a, a) if next(r for r in recs if r["id"] == pid)["sex"] == "male" else tuple(sorted((a, b)))
    untyped = [r["id"] for r in recs if r["id"] not in typed]
    rng.shuffle(untyped)
    while _sizes(recs, typed, n) > MAX_ENUMERATION:
        pid = untyped.pop()
        typed[pid] = tuple(sorted(truth[pid]))
    md = MarkerData("X1", labels, freqs, fem, male, chromosome="X")
    return recs, md, typed, {r["id"]: r["sex"] for r in recs}


def _geno(typed):
    return {pid: np.array([g]) for pid, g in typed.items()}


def _close(got, want, rtol=1e-11):
    return got == want == 0.0 or abs(got - want) <= rtol * abs(want)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), mutation=st.sampled_from(MUTS),
       theta=st.sampled_from([0.0, 0.0, 0.01, 0.1]) | st.floats(0.0005, 0.4), typed_p=st.floats(0.2, 0.9))
def test_x_likelihood_matches_brute_force(seed, mutation, theta, typed_p):
    recs, md, typed, sexes = _problem(seed, mutation, typed_p)
    got = float(marker_likelihoods(make_pedigree(recs), [md], _geno(typed), theta=theta)[0])
    want = brute_likelihood(parent_map(recs), md.freqs, typed, mut_female=md.mut_female,
                            mut_male=md.mut_male, theta=theta, sexes=sexes)
    assert _close(got, want), (got, want)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), mutation=st.sampled_from(MUTS),
       theta=st.sampled_from([0.0, 0.05]) | st.floats(0.001, 0.3))
def test_x_genotype_table_matches_brute_force(seed, mutation, theta):
    recs, md, typed, sexes = _problem(seed, mutation, 0.5)
    untyped = [r["id"] for r in recs if r["id"] not in typed]
    if not untyped:
        typed.pop(recs[-1]["id"])
        untyped = [recs[-1]["id"]]
    person = untyped[seed % len(untyped)]
    if not typed:
        return
    (tab,) = engine_table(make_pedigree(recs), [md], _geno(typed), person, theta=theta)
    want = brute_genotype_table(parent_map(recs), md.freqs, typed, person, theta=theta,
                                mut_female=md.mut_female, mut_male=md.mut_male, sexes=sexes)
    if sexes[person] == "male":   # one allele: the engine puts it on the diagonal
        want = np.diag(np.diag(want))
    assert np.all(np.abs(tab - want) <= 1e-11 * max(float(want.max()), 1e-300)), (tab, want)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), mutation=st.sampled_from(MUTS),
       theta=st.sampled_from([0.0, 0.03]) | st.floats(0.001, 0.3))
def test_x_missing_person_lr_matches_brute_force(seed, mutation, theta):
    rng = np.random.default_rng(seed)
    recs = random_pedigree(rng, int(rng.integers(2, 8)), loops=False)
    sexes = {r["id"]: r["sex"] for r in recs}
    missing = recs[int(rng.integers(len(recs)))]["id"]
    n = int(rng.integers(2, 5))
    labels = labels_for(mutation, n)
    freqs = exact_freqs(rng, n)
    fem, male = matrices(mutation, labels, freqs)
    truth = gene_drop_x(rng, recs, freqs, fem, male)
    rel = {r["id"]: tuple(sorted(truth[r["id"]])) for r in recs if r["id"] != missing and rng.random() < 0.6}
    others = [r["id"] for r in recs if r["id"] != missing and r["id"] not in rel]
    while _sizes(recs, rel, n) > MAX_ENUMERATION:
        pid = others.pop()
        rel[pid] = tuple(sorted(truth[pid]))
    found = tuple(sorted(truth[missing]))

    def alleles(pid, g):
        return [labels[g[0]]] if sexes[pid] == "male" else [labels[a] for a in g]

    spec = {"frequencies": {"DXS1": dict(zip(labels, map(float, freqs), strict=True))},
            "pedigree": recs, "missing": missing, "theta": theta,
            "found": {"DXS1": alleles(missing, found)},
            "genotypes": {pid: {"DXS1": alleles(pid, g)} for pid, g in rel.items()}}
    if mutation != "none":
        f, m = MUTATIONS[mutation]
        spec["mutation"] = {"female": f.as_dict(), "male": m.as_dict()}
    try:
        res = missing_person_lr(load_case(spec))
    except Exception as exc:  # the family's own data impossible: the brute force agrees
        assert brute_likelihood(parent_map(recs), freqs, rel, mut_female=fem, mut_male=male,
                                sexes=sexes) == 0.0, exc
        return
    want = brute_missing_person_lr(parent_map(recs), freqs, rel, missing, found, mut_female=fem,
                                   mut_male=male, theta=theta, sexes=sexes)
    assert _close(res.markers[0].lr, want, 1e-10), (res.markers[0].lr, want)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), mutation=st.sampled_from(MUTS), theta=st.floats(0.001, 0.4),
       typed_p=st.floats(0.1, 0.9), method=st.sampled_from(["joint", "copies"]))
def test_x_both_ways_of_computing_the_joint_match_brute_force(seed, mutation, theta, typed_p, method):
    recs, md, typed, sexes = _problem(seed, mutation, typed_p)
    with _forced(method):
        got = float(marker_likelihoods(make_pedigree(recs), [md], _geno(typed), theta=theta)[0])
    want = brute_likelihood(parent_map(recs), md.freqs, typed, mut_female=md.mut_female,
                            mut_male=md.mut_male, theta=theta, sexes=sexes)
    assert _close(got, want), (got, want)
