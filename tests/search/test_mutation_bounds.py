"""The mutation-model index prefilters with bounds; the bounds must hold for every pair, and the
prefiltered search must return exactly what computing every family exactly returns."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reunite.genetics import load_frequencies
from reunite.genetics.kinship import KinshipCase, missing_person_lr
from reunite.genetics.markers import parse_profile
from reunite.genetics.simulate import simulate_population
from reunite.search.index import ReferenceIndex, build_index
from reunite.search.kernel import FoundChildIndex, search_child, search_family
from reunite.search.mutation import search_bounds
from reunite.simulation.io import family_records

MODELS = {
    "stepwise": {"model": "stepwise", "rate": 0.002, "rate2": 1e-06, "range": 0.1},
    "stepwise-fast": {"model": "stepwise", "rate": 0.05, "rate2": 1e-04, "range": 0.5},
    "equal": {"model": "equal", "rate": 0.005},
    "proportional": {"model": "proportional", "rate": 0.003},
    "sex-specific": {"female": {"model": "stepwise", "rate": 0.001, "rate2": 1e-06, "range": 0.1},
                     "male": {"model": "stepwise", "rate": 0.004, "rate2": 2e-06, "range": 0.2}},
    "mixed": {"female": {"model": "equal", "rate": 0.001},
              "male": {"model": "stepwise", "rate": 0.002, "rate2": 1e-06, "range": 0.1}},
    "onestep": {"model": "onestep", "rate": 0.01},
    "per-marker": {"per_marker": {"FGA": {"model": "stepwise", "rate": 0.02, "rate2": 1e-5, "range": 0.3},
                                  "TH01": {"model": "equal", "rate": 0.01},
                                  "vWA": {"female": {"model": "proportional", "rate": 0.002},
                                          "male": {"model": "stepwise", "rate": 0.004, "rate2": 1e-6, "range": 0.1}},
                                  "D3S1358": {"model": "trivial"}},
                   "default": {"model": "stepwise", "rate": 0.002, "rate2": 1e-06, "range": 0.1}},
    "published": "default",
}


@pytest.fixture(scope="module")
def table():
    return load_frequencies("nist1036_us_asian")


def _integer_markers(table):
    """Markers whose alleles are all integers (the onestep model needs them)."""
    out = []
    for mf in table.markers.values():
        if all(float(a) == int(float(a)) for a in mf.alleles):
            out.append(mf.name)
    return out


def _population(table, n, found, seed, model_name):
    markers = _integer_markers(table) if model_name == "onestep" else "cn23"
    # Simulated with mutation, so that some true pairs and some families need it.
    pop = simulate_population(table, n, found, 0.5, seed, markers=markers,
                              mutation={"model": "stepwise", "rate": 0.03, "rate2": 1e-4, "range": 0.3}
                              if model_name != "onestep" else {"model": "onestep", "rate": 0.03})
    fams = family_records(pop)
    kids = {c.sample: parse_profile({m: list(g) for m, g in c.profile.items()}) for c in pop.found}
    return fams, kids


def _key(c):
    return -(c.log10_lr if c.log10_lr is not None else -math.inf)


def _brute(index, child, sample, min_lr, top):
    """Every family computed exactly, then filtered and cut as the search promises."""
    every = search_child(index, child, sample=sample, min_lr=0.0, top=0)
    kept = [c for c in every if c.lr >= min_lr]
    kept.sort(key=lambda c: (_key(c), c.family))
    return kept[:top] if top else kept


@pytest.mark.parametrize("model_name", sorted(MODELS))
def test_bounds_hold_for_every_pair(table, model_name):
    fams, kids = _population(table, 60, 8, 3, model_name)
    idx = build_index(fams, table, mutation=MODELS[model_name])
    assert not idx.records
    widths = []
    for sample, child in kids.items():
        ids, lo, hi = search_bounds(idx, child)
        exact = {c.family: (c.log10_lr if c.log10_lr is not None else -math.inf)
                 for c in search_child(idx, child, sample=sample, min_lr=0.0, top=0)}
        for f, a, b in zip(ids, lo, hi, strict=True):
            assert a <= exact[f] <= b, (model_name, sample, f, a, exact[f], b)
            if np.isfinite(a) and np.isfinite(b):
                widths.append(b - a)
    # The bounds are tight for most families (float32 rounding and the margin: ~1e-7 per marker).
    assert np.median(widths) < 1e-4


@pytest.mark.parametrize("model_name", ["stepwise", "sex-specific", "equal", "per-marker"])
def test_bounds_against_the_kinship_engine(table, model_name):
    """An independent check: the bounds enclose the kinship engine's LR itself."""
    fams, kids = _population(table, 24, 3, 9, model_name)
    idx = build_index(fams, table, mutation=MODELS[model_name])
    by_id = {f.family: f for f in fams}
    for child in kids.values():
        ids, lo, hi = search_bounds(idx, child)
        for f, a, b in zip(ids, lo, hi, strict=True):
            fam = by_id[f]
            res = missing_person_lr(KinshipCase(fam.pedigree, fam.profiles, fam.missing, child, table,
                                                idx.mutation), skip_unknown_markers=True)
            lg = res.log10_lr if res.lr > 0 else -math.inf
            assert a <= lg <= b


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), n=st.integers(6, 40),
       model_name=st.sampled_from(sorted(MODELS)),
       min_lr=st.sampled_from([0.0, 1e-3, 1.0, 100.0, 1e4]), top=st.sampled_from([0, 1, 2, 5, 20]))
def test_prefilter_never_drops_a_family(table, seed, n, model_name, min_lr, top):
    fams, kids = _population(table, n, 3, seed, model_name)
    idx = build_index(fams, table, mutation=MODELS[model_name])
    for sample, child in kids.items():
        got = search_child(idx, child, sample=sample, min_lr=min_lr, top=top)
        ref = _brute(idx, child, sample, min_lr, top)
        assert [c.family for c in got] == [c.family for c in ref]
        for a, b in zip(got, ref, strict=True):
            assert a.log10_lr == b.log10_lr and a.inconsistent == b.inconsistent


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), model_name=st.sampled_from(["stepwise", "sex-specific", "equal"]),
       min_lr=st.sampled_from([0.0, 1.0, 1e4]), top=st.sampled_from([0, 1, 3]))
def test_family_against_children_prefilter(table, tmp_path_factory, seed, model_name, min_lr, top):
    fams, kids = _population(table, 24, 30, seed, model_name)
    idx = build_index(fams, table, mutation=MODELS[model_name])
    found = FoundChildIndex.from_profiles(idx, kids)
    for fam in [f.family for f in fams[:4]]:
        every = search_family(idx, fam, found, min_lr=0.0, top=0)
        ref = sorted([c for c in every if c.lr >= min_lr], key=lambda c: (_key(c), c.sample))
        ref = ref[:top] if top else ref
        got = search_family(idx, fam, found, min_lr=min_lr, top=top)
        assert [c.sample for c in got] == [c.sample for c in ref]
        # Loaded from disk (no profiles): the same.
        d = tmp_path_factory.mktemp("found")
        found.save(d)
        got2 = search_family(idx, fam, FoundChildIndex.load(d), min_lr=min_lr, top=top)
        assert [c.sample for c in got2] == [c.sample for c in ref]


def test_saved_index_searches_the_same(table, tmp_path):
    fams, kids = _population(table, 40, 4, 5, "stepwise")
    idx = build_index(fams, table, mutation=MODELS["stepwise"])
    idx.save(tmp_path / "ix")
    loaded = ReferenceIndex.load(tmp_path / "ix")
    for sample, child in kids.items():
        a = search_child(idx, child, sample=sample, min_lr=1.0, top=5)
        b = search_child(loaded, child, sample=sample, min_lr=1.0, top=5)
        assert [(c.family, c.log10_lr) for c in a] == [(c.family, c.log10_lr) for c in b]
        ids_a, lo_a, hi_a = search_bounds(idx, child)
        ids_b, lo_b, hi_b = search_bounds(loaded, child)
        assert ids_a == ids_b
        np.testing.assert_array_equal(lo_a, lo_b)
        np.testing.assert_array_equal(hi_a, hi_b)


@pytest.mark.parametrize("model_name", ["proportional", "onestep", "stepwise", "sex-specific", "per-marker",
                                        "published"])
def test_reported_lrs_equal_reunite_kinship_lr(table, tmp_path, capsys, model_name):
    """Every reported hit equals ``reunite kinship lr`` on a case file of the same pair."""
    import json

    from reunite.cli import main

    fams, kids = _population(table, 30, 4, 13, model_name)
    idx = build_index(fams, table, mutation=MODELS[model_name])
    by_id = {f.family: f for f in fams}
    checked = 0
    for sample, child in kids.items():
        for c in search_child(idx, child, sample=sample, min_lr=1e-6, top=3):
            fam = by_id[c.family]
            case = {"frequencies": "nist1036_us_asian", "mutation": MODELS[model_name],
                    "pedigree": fam.pedigree.as_records(), "missing": fam.missing,
                    "genotypes": {pid: {prof.names[k]: list(v) for k, v in prof.genotypes.items()}
                                  for pid, prof in fam.profiles.items()},
                    "found": {child.names[k]: list(v) for k, v in child.genotypes.items()}}
            path = tmp_path / f"{c.family}-{sample}.json"
            path.write_text(json.dumps(case), encoding="utf-8")
            capsys.readouterr()
            assert main(["kinship", "lr", str(path), "--json"]) == 0
            got = json.loads(capsys.readouterr().out)
            assert c.log10_lr == pytest.approx(got["log10_lr"], rel=1e-9, abs=1e-9)
            assert c.inconsistent == len(got["inconsistent_markers"])
            checked += 1
    assert checked >= 4


def test_families_added_after_a_search_are_searched(table):
    """An index that has answered a query, then gains families of new shapes, searches them too."""
    fams, kids = _population(table, 40, 4, 21, "stepwise")
    shapes = {}
    for f in fams:
        shapes.setdefault(tuple(sorted(f.profiles)), []).append(f)
    first = next(iter(shapes.values()))
    rest = [f for f in fams if f not in first]
    idx = build_index(first, table, mutation=MODELS["stepwise"])
    sample, child = next(iter(kids.items()))
    search_child(idx, child, sample=sample, min_lr=1.0, top=5)
    idx.add_families(rest)
    full = build_index(fams, table, mutation=MODELS["stepwise"])
    for sample, child in kids.items():
        a = search_child(idx, child, sample=sample, min_lr=1e-3, top=10)
        b = search_child(full, child, sample=sample, min_lr=1e-3, top=10)
        assert [(c.family, c.log10_lr) for c in a] == [(c.family, c.log10_lr) for c in b]


def test_saving_over_a_loaded_index_keeps_its_readers_working(table, tmp_path):
    """A process with the index memory-mapped keeps searching while the index is saved again."""
    fams, kids = _population(table, 30, 3, 17, "stepwise")
    idx = build_index(fams, table, mutation=MODELS["stepwise"])
    idx.save(tmp_path / "ix")
    loaded = ReferenceIndex.load(tmp_path / "ix")
    sample, child = next(iter(kids.items()))
    before = [(c.family, c.log10_lr) for c in search_child(loaded, child, sample=sample, min_lr=1e-3, top=5)]
    build_index(fams[:10], table, mutation=MODELS["stepwise"]).save(tmp_path / "ix")   # smaller, same folder
    after = [(c.family, c.log10_lr) for c in search_child(loaded, child, sample=sample, min_lr=1e-3, top=5)]
    assert after == before
    assert len(ReferenceIndex.load(tmp_path / "ix").family_ids) == 10
