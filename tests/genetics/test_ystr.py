"""Y-STR lineage evidence: hand-computed cases, brute force over mutation paths, counting bounds, pedigrees."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.errors import PedigreeError
from reunite.genetics.lineage import combine_with_autosomal
from reunite.genetics.pedigree import make_pedigree
from reunite.genetics.simulate_lineage import as_haplotype, mutate_y, simulate_y_population
from reunite.genetics.ystr import (
    DEFAULT_RATE,
    KITS,
    TWO_STEP_SHARE,
    HaplotypeError,
    YDatabase,
    bundled_y_database,
    clopper_pearson_upper,
    compare_y,
    haplotype_probability,
    load_y_database,
    load_y_rates,
    parse_y_haplotype,
    paternal_meioses,
    paternal_relatives,
    step_distribution,
    y_lineage_lr,
    y_locus_key,
)

H = {"DYS19": "15", "DYS385": "13,19", "DYS389I": "13", "DYS390": "23", "DYS391": "10", "DYS392": "13",
     "DYS393": "13", "DYS439": "12", "DYS456": "15", "YGATAH4": "12"}


def _brute(meioses: int, rate: float, w: float, d: int) -> float:
    steps = {0: 1 - rate, 1: rate * (1 - w) / 2, -1: rate * (1 - w) / 2, 2: rate * w / 2, -2: rate * w / 2}
    total = 0.0
    for path in itertools.product(steps, repeat=meioses):
        if sum(path) == d:
            total += math.prod(steps[s] for s in path)
    return total


# ---------------------------------------------------------------- parsing

def test_locus_names_fold():
    assert y_locus_key("Y-GATA-H4") == y_locus_key("GATA H4.1") == y_locus_key("YGATAH4") == "YGATAH4"
    assert y_locus_key("DYS385a") == y_locus_key("DYS385 a/b") == y_locus_key("dys385") == "DYS385"
    assert y_locus_key("DYS389II") == "DYS389II" and y_locus_key("DYS389I") == "DYS389I"
    assert y_locus_key("DYF387S1a/b") == "DYF387S1"


def test_multicopy_is_an_unordered_multiset_and_columns_fold():
    a = parse_y_haplotype({"DYS385": "19,13"})
    b = parse_y_haplotype({"DYS385a": "19", "DYS385b": "13"})
    c = parse_y_haplotype({"DYS385": ["13", "19"]})
    assert a.alleles["DYS385"] == b.alleles["DYS385"] == c.alleles["DYS385"] == ("13", "19")
    assert parse_y_haplotype({"DYS385": "13/19"}).alleles["DYS385"] == ("13", "19")


def test_null_duplicated_microvariant_and_untyped():
    h = parse_y_haplotype({"DYS19": "null", "DYS390": "23,24", "DYS458": "17.2", "DYS439": "", "DYS391": "NA"})
    assert h.alleles["DYS19"] == ()
    assert h.alleles["DYS390"] == ("23", "24")
    assert h.alleles["DYS458"] == ("17.2",)
    assert "DYS439" not in h.alleles and "DYS391" not in h.alleles
    assert h.as_dict()["DYS19"] == "null"


def test_parsing_errors_are_collected_and_named():
    with pytest.raises(HaplotypeError) as exc:
        parse_y_haplotype({"D8S1179": "13", "DYS19": "15a", "DYS390": "null,23", "DYS385": "1,2,3,4,5"},
                          source="case.json")
    text = str(exc.value)
    assert len(exc.value.problems) == 4
    assert "'D8S1179' is not a Y-STR locus" in text and "'15a'" in text and "null allele" in text
    assert "mixture" in text and "case.json" in text


def test_kits_are_listed_with_their_sizes():
    assert len(KITS["yfiler"]) == 16            # 17 loci counting DYS385a/b as two
    assert len(KITS["yfiler_plus"]) == 25       # 27 counting DYS385a/b and DYF387S1a/b
    assert len(KITS["ppy23"]) == 22 and len(KITS["agcu_y24"]) == 22


def test_bundled_rates_and_default():
    rates = load_y_rates()
    assert rates.rate("DYS19") == (0.0022, False)
    assert rates.rate("DYS576") == (0.0126, False)
    assert rates.rate("DYS643") == (DEFAULT_RATE, True)
    assert rates.copies["DYS385"] == 2


# ---------------------------------------------------------------- mutation model

@pytest.mark.parametrize("meioses", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("w", [0.0, TWO_STEP_SHARE])
def test_step_distribution_is_every_mutation_path_summed(meioses, w):
    rate = 0.01
    dist = step_distribution(meioses, rate, w)
    assert sum(dist.values()) == pytest.approx(1.0, abs=1e-12)
    for d in range(-2 * meioses - 1, 2 * meioses + 2):
        assert dist.get(d, 0.0) == pytest.approx(_brute(meioses, rate, w, d), abs=1e-15)


def test_one_difference_over_one_meiosis_by_hand():
    rel = parse_y_haplotype({"DYS19": "15", "DYS390": "23"})
    found = parse_y_haplotype({"DYS19": "16", "DYS390": "23"})
    c = compare_y(rel, found, 1, two_step=0.0)
    # DYS19 rate 0.00220: a one-step gain has probability 0.0011; DYS390 (0.00208) unchanged: 0.99792
    assert c.probability == pytest.approx(0.0011 * 0.99792, rel=1e-12)
    assert c.differences == 1 and c.differing_loci == ["DYS19"]
    c2 = compare_y(rel, found, 1)
    assert c2.probability == pytest.approx(0.0022 * (1 - TWO_STEP_SHARE) / 2 * 0.99792, rel=1e-12)


def test_two_steps_in_one_meiosis_needs_the_multistep_share():
    rel = parse_y_haplotype({"DYS19": "15"})
    found = parse_y_haplotype({"DYS19": "17"})
    assert compare_y(rel, found, 1, two_step=0.0).probability == 0.0
    assert compare_y(rel, found, 1).probability == pytest.approx(0.0022 * TWO_STEP_SHARE / 2)
    # over two meioses two single steps are possible: (μ/2)² with w = 0
    assert compare_y(rel, found, 2, two_step=0.0).probability == pytest.approx((0.0011) ** 2)


def test_multicopy_locus_sums_over_pairings_brute_force():
    rel = parse_y_haplotype({"DYS385": "13,19"})
    found = parse_y_haplotype({"DYS385": "13,20"})
    mu = 0.00686 / 2  # per copy
    for m in (1, 2, 3):
        want = 0.0
        for a, b in ((13, 19), (19, 13)):
            want += _brute(m, mu, TWO_STEP_SHARE, 13 - a) * _brute(m, mu, TWO_STEP_SHARE, 20 - b)
        assert compare_y(rel, found, m).probability == pytest.approx(want, rel=1e-12)
    same = parse_y_haplotype({"DYS385": "13,13"})
    assert compare_y(same, same, 1).probability == pytest.approx((1 - mu) ** 2)


def test_null_duplication_and_microvariant_changes_are_not_compared():
    rel = parse_y_haplotype({"DYS19": "null", "DYS390": "23", "DYS458": "17.2", "DYS391": "10"})
    found = parse_y_haplotype({"DYS19": "15", "DYS390": "23,24", "DYS458": "17", "DYS391": "10"})
    c = compare_y(rel, found, 1)
    assert [x.locus for x in c.not_compared] == ["DYS19", "DYS390", "DYS458"]
    assert [x.locus for x in c.compared] == ["DYS391"]
    assert "microvariant" in c.not_compared[2].note
    nulls = parse_y_haplotype({"DYS19": "null"})
    assert compare_y(nulls, nulls, 1).probability == 1.0
    mv = parse_y_haplotype({"DYS458": "18.2"})
    assert compare_y(rel, mv, 1, two_step=0).probability == pytest.approx(0.00617 / 2)


# ---------------------------------------------------------------- population frequency

def test_unseen_haplotype_bound_by_hand():
    # 1 − 0.05^(1/500) = 0.005973…: the p at which an unseen haplotype is seen 0 times with probability 0.05
    p = clopper_pearson_upper(0, 500, 0.05)
    assert p == pytest.approx(1 - 0.05 ** (1 / 500), rel=1e-12)
    assert p == pytest.approx(0.0059736, rel=1e-4)
    assert (1 - p) ** 500 == pytest.approx(0.05)


def test_clopper_pearson_with_counts_by_hand():
    # P(X <= 1 | n = 10, p) = (1-p)^10 + 10 p (1-p)^9 = 0.05 at p = 0.3942…
    p = clopper_pearson_upper(1, 10, 0.05)
    assert (1 - p) ** 10 + 10 * p * (1 - p) ** 9 == pytest.approx(0.05, abs=1e-9)
    assert p == pytest.approx(0.39416, abs=1e-4)
    assert clopper_pearson_upper(10, 10) == 1.0
    e = haplotype_probability(3, 100, method="count")
    assert e.probability == 0.03
    assert haplotype_probability(0, 100, method="count").probability == pytest.approx(1 - 0.05 ** 0.01)
    assert haplotype_probability(3, 100, method="augmented").probability == pytest.approx(4 / 101)
    with pytest.raises(ValueError):
        haplotype_probability(1, 10, method="laplace")


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5000), st.data(), st.sampled_from([0.01, 0.05, 0.1]))
def test_the_bound_is_conservative(n, data, alpha):
    x = data.draw(st.integers(0, n))
    p = clopper_pearson_upper(x, n, alpha)
    assert x / n <= p <= 1
    if x < n:
        # at the bound, seeing x or fewer has probability alpha: any larger p makes x even less likely
        from reunite.genetics.ystr import _binom_cdf
        assert _binom_cdf(x, n, p) == pytest.approx(alpha, rel=1e-3, abs=1e-9)
    # a larger database never raises the bound of an unseen haplotype
    assert clopper_pearson_upper(0, n + 1, alpha) < clopper_pearson_upper(0, n, alpha)


def test_database_counts_and_csv_errors(tmp_path):
    p = tmp_path / "db.csv"
    p.write_text("id,DYS19,DYS385a,DYS385b\n1,15,13,19\n2,15,19,13\n3,16,13,19\n")
    db = load_y_database(p)
    assert len(db) == 3 and db.loci == ["DYS19", "DYS385"]
    assert db.count(parse_y_haplotype({"DYS19": "15", "DYS385": "13,19"}), ["DYS19", "DYS385"]) == (2, 3)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,DYS19,XYZ\n1,15a,3\n")
    with pytest.raises(HaplotypeError) as exc:
        load_y_database(bad)
    assert all(pr.line == 2 for pr in exc.value.problems) and len(exc.value.problems) == 2


def test_bundled_database_is_simulated():
    db = bundled_y_database()
    assert len(db) == 500 and db.simulated
    assert set(db.loci) == set(KITS["yfiler_plus"])


# ---------------------------------------------------------------- the LR

def test_lr_by_hand_with_a_tiny_database():
    rel = parse_y_haplotype({"DYS19": "15", "DYS390": "23"})
    found = parse_y_haplotype({"DYS19": "16", "DYS390": "23"})
    db = YDatabase([parse_y_haplotype({"DYS19": str(15 + i % 3), "DYS390": "23"}) for i in range(30)], "tiny")
    r = y_lineage_lr(rel, found, 1, db, two_step=0.0, method="count")
    assert r.population.count == 10 and r.population.n == 30
    assert r.lr == pytest.approx(0.0011 * 0.99792 / (10 / 30))
    d = r.as_dict()
    assert d["differences"] == 1 and d["population"]["n"] == 30 and "Y-STR" in d["sentence"]["en"]
    assert "似然比" in d["sentence"]["zh"]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 6), st.integers(1, 5))
def test_lr_decreases_with_more_differences(k, meioses):
    db = bundled_y_database()
    base = db.haplotypes[7]
    loci = sorted(base.alleles)
    single = [x for x in loci if len(base.alleles[x]) == 1]

    def with_diffs(j):
        vals = dict(base.as_dict())
        for locus in single[:j]:
            vals[locus] = str(int(float(vals[locus])) + 1)
        return parse_y_haplotype(vals)

    a = compare_y(base, with_diffs(k), meioses).log10_probability
    b = compare_y(base, with_diffs(k + 1), meioses).log10_probability
    assert b < a


def test_lr_falls_with_distance_for_identical_haplotypes():
    db = bundled_y_database()
    h = db.haplotypes[0]
    lrs = [y_lineage_lr(h, h, m, db).log10_lr for m in range(1, 7)]
    assert all(x > y for x, y in itertools.pairwise(lrs))
    # the unseen/seen bound caps the LR: at most 1 / (CP bound) for N = 500
    assert 10 ** lrs[0] <= 1 / clopper_pearson_upper(0, 500) + 1e-9


def test_simulated_dropping_agrees_with_the_model():
    rng = np.random.default_rng(3)
    anc = {"DYS576": (18,)}
    diffs = [mutate_y(anc, 3, rng)["DYS576"][0] - 18 for _ in range(40000)]
    dist = step_distribution(3, 0.0126)
    assert np.mean([d == 0 for d in diffs]) == pytest.approx(dist[0], abs=0.003)
    assert np.mean([d == 1 for d in diffs]) == pytest.approx(dist[1], abs=0.002)
    pop = simulate_y_population(20, seed=1)
    assert len(pop) == 20 and as_haplotype(pop[0]).alleles["DYS385"][0].isdigit()


# ---------------------------------------------------------------- pedigree

PED = make_pedigree([
    {"id": "GF", "sex": "male"}, {"id": "GM", "sex": "female"},
    {"id": "F", "father": "GF", "mother": "GM", "sex": "male"}, {"id": "M", "sex": "female"},
    {"id": "U", "father": "GF", "mother": "GM", "sex": "male"}, {"id": "UW", "sex": "female"},
    {"id": "AU", "father": "GF", "mother": "GM", "sex": "female"}, {"id": "AH", "sex": "male"},
    {"id": "UC", "father": "U", "mother": "UW", "sex": "male"},
    {"id": "AC", "father": "AH", "mother": "AU", "sex": "male"},
    {"id": "B", "father": "F", "mother": "M", "sex": "male"},
    {"id": "S", "father": "F", "mother": "M", "sex": "female"},
    {"id": "C", "father": "F", "mother": "M", "sex": "male"},
])


def test_paternal_line_from_the_pedigree():
    rel = paternal_relatives(PED, "C", ["GF", "GM", "F", "M", "U", "UC", "AU", "AC", "B", "S", "AH"])
    assert rel == [("F", 1), ("B", 2), ("GF", 2), ("U", 3), ("UC", 4)]
    assert paternal_meioses(PED, "AC", "C") is None       # the aunt's son: another paternal line
    assert paternal_meioses(PED, "UC", "B") == 4


def test_a_father_of_unknown_sex_is_a_man_of_the_line():
    ped = make_pedigree([{"id": "F"}, {"id": "M"}, {"id": "X"}, {"id": "C", "father": "F", "mother": "M"},
                         {"id": "B", "father": "F", "mother": "M"}])
    assert paternal_relatives(ped, "C", ["F", "M", "B", "X"]) == [("F", 1)]


def test_y_needs_a_male_missing_person():
    with pytest.raises(PedigreeError):
        paternal_relatives(PED, "S", ["F"])
    with pytest.raises(PedigreeError):
        paternal_relatives(PED, "nobody", ["F"])


def test_combination_multiplies():
    r = combine_with_autosomal(2.5, 3.25)
    assert r["log10_lr"] == pytest.approx(5.75)
    assert "multiply" in r["sentence"]["en"] and "相乘" in r["sentence"]["zh"]
    z = combine_with_autosomal(4.0, -math.inf, marker="mtDNA")
    assert z["lr"] == 0.0 and z["log10_lr"] is None and "线粒体" in z["sentence"]["zh"]


def test_two_meioses_equal_the_sum_over_the_untyped_fathers_haplotype():
    """Grandfather to grandson: summing over every haplotype the untyped father could carry."""
    gf = parse_y_haplotype({"DYS19": "15", "DYS385": "13,19"})
    c = parse_y_haplotype({"DYS19": "16", "DYS385": "12,19"})
    want = 1.0
    for locus in ("DYS19", "DYS385"):
        total = 0.0
        alleles = [int(a) for a in gf.alleles[locus]]
        grids = [range(a - 3, a + 4) for a in alleles]
        rate, _ = load_y_rates().rate(locus)
        per_copy = rate / load_y_rates().copies.get(locus, 1)
        for f in itertools.product(*grids):       # the father's copies, each labelled by its origin
            p1 = math.prod(step_distribution(1, per_copy).get(x - a, 0.0) for x, a in zip(f, alleles, strict=True))
            fh = parse_y_haplotype({locus: ",".join(str(x) for x in f)})
            total += p1 * compare_y(fh, parse_y_haplotype({locus: c.alleles[locus]}), 1).probability
        want *= total
    assert compare_y(gf, c, 2).probability == pytest.approx(want, rel=1e-9)


# ---------------------------------------------------------------- discrete Laplace

def test_discrete_laplace_pmf_and_mle():
    from reunite.genetics.disclap import _p_from_mad, discrete_laplace_pmf

    d = np.arange(-400, 401)
    for p in (0.05, 0.5, 0.9):
        assert discrete_laplace_pmf(d, p).sum() == pytest.approx(1.0, abs=1e-12)
    # the closed-form MLE maximises n log((1-p)/(1+p)) + log(p) Σ|d| for mean |d| = m
    for m in (0.1, 0.7, 2.0):
        grid = np.linspace(1e-4, 0.95, 200001)
        ll = np.log((1 - grid) / (1 + grid)) + m * np.log(grid)
        assert float(_p_from_mad(np.array([m]))[0]) == pytest.approx(grid[np.argmax(ll)], abs=1e-4)


def test_discrete_laplace_recovers_a_known_cluster_and_sums_to_one():
    from reunite.genetics.disclap import fit_discrete_laplace

    rng = np.random.default_rng(5)
    centre, ps = {"DYS19": 15, "DYS390": 23}, {"DYS19": 0.2, "DYS390": 0.5}

    def draw(p):   # a discrete Laplace variable is the difference of two geometric variables
        return int(rng.geometric(1 - p) - rng.geometric(1 - p))

    haps = [parse_y_haplotype({k: str(centre[k] + draw(ps[k])) for k in centre}) for _ in range(4000)]
    fit = fit_discrete_laplace(haps, ["DYS19", "DYS390"], {}, max_clusters=1)
    assert list(fit.centres[0]) == [15, 23]
    assert fit.dispersion[0] == pytest.approx([0.2, 0.5], abs=0.03)
    total = sum(fit.probability(parse_y_haplotype({"DYS19": str(a), "DYS390": str(b)}))
                for a in range(1, 60) for b in range(1, 100))
    assert total == pytest.approx(1.0, abs=1e-6)     # the mass below 1 repeat is left out
    with pytest.raises(HaplotypeError):
        fit.probability(parse_y_haplotype({"DYS19": "null", "DYS390": "23"}))


def test_lineage_lr_with_the_discrete_laplace_method():
    db = bundled_y_database()
    h = db.haplotypes[3]
    r = y_lineage_lr(h, h, 2, db, method="discrete_laplace")
    assert r.population.method == "discrete_laplace" and 0 < r.population.probability < 1
    assert "discrete Laplace" in r.population.sentence
    assert r.log10_lr > y_lineage_lr(h, h, 2, db).log10_lr      # not capped by the database size
