"""With a mutation model the search peels many (family, marker) problems together; every
hit must still equal the kinship engine's result on the same pair."""

from __future__ import annotations

import numpy as np
import pytest

from reunite.genetics import load_frequencies
from reunite.genetics.kinship import KinshipCase, missing_person_lr
from reunite.genetics.markers import parse_profile
from reunite.genetics.simulate import STRUCTURES, simulate_population
from reunite.search.index import ReferenceIndex, build_index
from reunite.search.io import FamilyRecord
from reunite.search.kernel import search_child, search_family
from reunite.simulation.io import family_records

STEPWISE = {"model": "stepwise", "rate": 0.002, "rate2": 1e-06, "range": 0.1}
EQUAL = {"model": "equal", "rate": 0.005}
SEX_SPECIFIC = {"female": {"model": "stepwise", "rate": 0.001, "rate2": 1e-06, "range": 0.1},
                "male": {"model": "stepwise", "rate": 0.004, "rate2": 2e-06, "range": 0.2}}
MIXED = {"female": {"model": "equal", "rate": 0.001}, "male": STEPWISE}


def _records(pop):
    return family_records(pop)


def _kids(pop):
    return {c.sample: parse_profile({m: list(g) for m, g in c.profile.items()}) for c in pop.found}


@pytest.fixture(scope="module")
def table():
    return load_frequencies("nist1036_us_asian")


@pytest.fixture(scope="module")
def population(table):
    # Simulated with mutation, so that some families are inconsistent without it.
    pop = simulate_population(table, 48, 6, 0.5, 11, markers="cn23", mutation={"model": "equal", "rate": 0.02})
    assert {pop.structure_of(i) for i in range(pop.n_families)} == set(STRUCTURES)
    return pop, _records(pop), _kids(pop)


def _engine(table, fam, child, mutation):
    return missing_person_lr(KinshipCase(fam.pedigree, fam.profiles, fam.missing, child, table, mutation),
                             skip_unknown_markers=True)


def _assert_same(c, res):
    if res.lr == 0:
        assert c.lr == 0 and c.log10_lr is None
    else:
        assert c.log10_lr == pytest.approx(res.log10_lr, abs=1e-9)
    assert c.inconsistent == len(res.inconsistent_markers)
    assert c.markers_compared == res.markers_compared


@pytest.mark.parametrize("mutation", [STEPWISE, EQUAL, SEX_SPECIFIC, MIXED], ids=["stepwise", "equal", "sex", "mixed"])
def test_every_hit_equals_the_kinship_engine(table, population, mutation):
    _pop, fams, kids = population
    idx = build_index(fams, table, mutation=mutation)
    assert not idx.records and idx.groups            # all families searched by the batched path
    by_id = {f.family: f for f in fams}
    checked = inconsistent = 0
    for sample, child in list(kids.items())[:3]:
        cands = search_child(idx, child, sample=sample, min_lr=0.0, top=0)
        assert len(cands) == len(fams)
        for c in cands:
            res = _engine(table, by_id[c.family], child, idx.mutation)
            _assert_same(c, res)
            checked += 1
            inconsistent += c.inconsistent > 0
    assert checked == 3 * len(fams) and inconsistent > 0


def test_family_against_children_and_thresholds(table, population):
    _pop, fams, kids = population
    idx = build_index(fams, table, mutation=STEPWISE)
    by_id = {f.family: f for f in fams}
    for fam in (fams[0].family, fams[7].family):
        rev = search_family(idx, fam, kids, min_lr=0.0, top=0)
        assert len(rev) == len(kids)
        for c in rev:
            _assert_same(c, _engine(table, by_id[fam], kids[c.sample], idx.mutation))
    sample, child = next(iter(kids.items()))
    every = search_child(idx, child, sample=sample, min_lr=0.0, top=0)
    best = search_child(idx, child, sample=sample, min_lr=1.0, top=5)
    assert best == [c for c in every if c.lr >= 1.0][:5]


def test_relatives_only_markers_and_markers_outside_the_index(table, population):
    """A marker typed only in the relatives contributes L1/L2; one typed only in the child (not in
    the index) contributes L1/P(child) under mutation."""
    _pop, fams, kids = population
    drop = "PENTAE"
    trimmed = []
    for f in fams:
        gts = {pid: parse_profile({p.names[k]: list(v) for k, v in p.genotypes.items() if k != drop})
               for pid, p in f.profiles.items()}
        trimmed.append(FamilyRecord(family=f.family, pedigree=f.pedigree, missing=f.missing, profiles=gts))
    idx = build_index(trimmed, table, mutation=STEPWISE)
    assert drop not in idx.markers and not idx.records
    by_id = {f.family: f for f in trimmed}
    sample, child = list(kids.items())[1]
    part = parse_profile({child.names[k]: list(v) for k, v in child.genotypes.items() if k != "D3S1358"})
    for kid in (child, part):
        for c in search_child(idx, kid, sample=sample, min_lr=0.0, top=0):
            _assert_same(c, _engine(table, by_id[c.family], kid, idx.mutation))


def test_unknown_allele_family_stays_an_engine_record(table, population):
    _pop, fams, kids = population
    f0 = fams[0]
    pid = next(iter(f0.profiles))
    prof = f0.profiles[pid]
    d = {prof.names[k]: list(v) for k, v in prof.genotypes.items()}
    d["FGA"] = ["99", "99"]
    odd = FamilyRecord(family="ODD", pedigree=f0.pedigree, missing=f0.missing,
                       profiles={**f0.profiles, pid: parse_profile(d)})
    idx = build_index([*fams[1:], odd], table, mutation=STEPWISE)
    assert list(idx.records) == ["ODD"]
    sample, child = next(iter(kids.items()))
    got = {c.family: c for c in search_child(idx, child, sample=sample, min_lr=0.0, top=0)}
    _assert_same(got["ODD"], _engine(table, odd, child, idx.mutation))


def test_save_load_and_incremental(table, population, tmp_path):
    _pop, fams, kids = population
    full = build_index(fams, table, mutation=SEX_SPECIFIC)
    part = build_index(fams[:20], table, mutation=SEX_SPECIFIC)
    part.add_families(fams[20:])
    part.save(tmp_path / "ix")
    loaded = ReferenceIndex.load(tmp_path / "ix")
    assert loaded.mutation == full.mutation
    assert all("pid" in g.extra and "q" in g.extra for g in loaded.groups)
    for sample, child in list(kids.items())[:2]:
        a = search_child(full, child, sample=sample, min_lr=0.0, top=0)
        b = search_child(loaded, child, sample=sample, min_lr=0.0, top=0)
        key = [(c.family, c.inconsistent, c.markers_compared) for c in a]
        assert key == [(c.family, c.inconsistent, c.markers_compared) for c in b]
        la = np.array([c.log10_lr if c.log10_lr is not None else np.nan for c in a])
        lb = np.array([c.log10_lr if c.log10_lr is not None else np.nan for c in b])
        np.testing.assert_allclose(la, lb, atol=1e-12)
    loaded.remove_family(a[0].family)
    assert a[0].family not in {c.family for c in search_child(loaded, child, min_lr=0.0, top=0)}


@pytest.mark.slow
def test_dask_batch_with_a_mutation_index(table, population, tmp_path):
    from reunite.search.batch import batch_search

    _pop, fams, kids = population
    idx = build_index(fams, table, mutation=STEPWISE)
    idx.save(tmp_path / "ix")
    some = dict(list(kids.items())[:2])
    res = batch_search(tmp_path / "ix", some, scheduler="local", min_lr=1.0, top=5, partitions=3, workers=1,
                       progress=False)
    for s, child in some.items():
        single = [(c.family, c.log10_lr) for c in search_child(idx, child, sample=s, min_lr=1.0, top=5)]
        assert [(c.family, pytest.approx(c.log10_lr, abs=1e-12)) for c in res[s]] == single


@pytest.mark.parametrize("mutation", [STEPWISE, EQUAL], ids=["stepwise", "equal"])
def test_exact_on_a_table_not_summing_to_one(table, mutation):
    """The engine gives unobserved alleles the mass 1 - sum(observed) (lumped or rescaled) but
    keeps a single unobserved allele's own frequency; the batched path must do the same."""
    from reunite.genetics.frequencies import FrequencyTable, MarkerFrequencies

    skewed = FrequencyTable("skewed", {k: MarkerFrequencies(v.name, v.alleles, np.asarray(v.freqs) *
                                                            (0.993 if i % 2 else 1.004))
                                       for i, (k, v) in enumerate(table.markers.items())})
    pop = simulate_population(skewed, 24, 3, 0.5, 5, markers="cn23")
    fams, kids = _records(pop), _kids(pop)
    idx = build_index(fams, skewed, mutation=mutation)
    by_id = {f.family: f for f in fams}
    for sample, child in kids.items():
        for c in search_child(idx, child, sample=sample, min_lr=0.0, top=0):
            _assert_same(c, _engine(skewed, by_id[c.family], child, idx.mutation))
