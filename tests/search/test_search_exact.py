"""The search reports, for every hit, exactly the kinship engine's LR on the same pair."""

from __future__ import annotations

import json

import numpy as np
import pytest

from reunite.genetics import load_frequencies
from reunite.genetics.kinship import KinshipCase, missing_person_lr
from reunite.genetics.markers import parse_profile
from reunite.genetics.simulate import simulate_population
from reunite.search.index import ReferenceIndex, build_index
from reunite.search.kernel import search_child, search_family
from reunite.simulation.io import family_records


def _records(pop):
    return family_records(pop)


@pytest.fixture(scope="module")
def population():
    table = load_frequencies("nist1036_us_asian")
    pop = simulate_population(table, 90, 30, 0.5, 7, markers="cn23")
    fams = _records(pop)
    kids = {c.sample: parse_profile({m: list(g) for m, g in c.profile.items()}) for c in pop.found}
    return table, pop, fams, kids


@pytest.mark.slow
@pytest.mark.parametrize("mutation", [None, {"model": "stepwise", "rate": 0.002, "rate2": 1e-06, "range": 0.1}])
def test_every_hit_equals_the_kinship_engine(population, mutation):
    table, _pop, fams, kids = population
    idx = build_index(fams, table, mutation=mutation)
    by_id = {f.family: f for f in fams}
    children = list(kids.items())[:8] if mutation else list(kids.items())
    checked = 0
    for sample, child in children:
        for c in search_child(idx, child, sample=sample, min_lr=0.0, top=0):
            f = by_id[c.family]
            res = missing_person_lr(KinshipCase(f.pedigree, f.profiles, f.missing, child, table,
                                                idx.mutation), skip_unknown_markers=True)
            if res.lr == 0:
                assert c.lr == 0
            else:
                assert c.log10_lr == pytest.approx(res.log10_lr, abs=1e-9)
                checked += 1
    assert checked > 50


def test_true_family_ranked_first_and_threshold(population):
    table, pop, fams, kids = population
    idx = build_index(fams, table)
    truth = pop.truth
    hits = 0
    for sample, fam in truth.items():
        res = search_child(idx, kids[sample], sample=sample, min_lr=1.0, top=20)
        # LR 0 hits are reported only flagged (1-2 inconsistent markers), after all the others.
        assert all(c.lr >= 1.0 or (c.flagged and c.log10_lr_consistent >= 0) for c in res)
        pos = [c.log10_lr for c in res if c.lr > 0]
        assert pos == sorted(pos, reverse=True) and all(c.lr > 0 for c in res[:len(pos)])
        if fam is not None and pop.structure_of(int(fam[1:]) - 1) == "both_parents":
            assert res and res[0].family == fam and res[0].log10_lr > 4
            hits += 1
    assert hits >= 1


def test_reverse_direction_matches_forward(population):
    table, _pop, fams, kids = population
    idx = build_index(fams, table)
    fam = fams[0].family
    rev = {c.sample: c.log10_lr for c in search_family(idx, fam, kids, min_lr=0.0, top=0)}
    for sample, child in list(kids.items())[:10]:
        fwd = {c.family: c.log10_lr for c in search_child(idx, child, min_lr=0.0, top=0)}
        a, b = rev.get(sample), fwd.get(fam)
        assert (a is None and b is None) or a == pytest.approx(b, abs=1e-9)


def test_save_load_and_incremental(population, tmp_path):
    table, _pop, fams, kids = population
    full = build_index(fams, table)
    part = build_index(fams[:50], table)
    part.add_families(fams[50:])
    part.save(tmp_path / "idx")
    loaded = ReferenceIndex.load(tmp_path / "idx")
    _sample, child = next(iter(kids.items()))
    a = [(c.family, round(c.log10_lr, 9)) for c in search_child(full, child, min_lr=1e-9, top=0) if c.log10_lr]
    b = [(c.family, round(c.log10_lr, 9)) for c in search_child(loaded, child, min_lr=1e-9, top=0) if c.log10_lr]
    assert a == b
    loaded.remove_family(a[0][0])
    assert a[0][0] not in {c.family for c in search_child(loaded, child, min_lr=1e-9, top=0)}
    assert np.asarray(loaded.genotype_tables).dtype == np.float32


def test_cli_build_search_and_batch(tmp_path, population, capsys):
    from reunite.cli import main
    from reunite.simulation.io import write_population

    _table, pop, fams, kids = population
    files = write_population(pop, tmp_path / "sim")
    d = tmp_path / "sim"
    assert main(["index", "build", "--families", str(d / "families.csv"), "--profiles",
                 str(d / "profiles.csv"), "--frequencies", "nist1036_us_asian", "--out", str(tmp_path / "ix")]) == 0
    capsys.readouterr()
    assert main(["search", "--index", str(tmp_path / "ix"), "--profiles", str(d / "found.csv"), "--json",
                 "--top", "3"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines) == len(kids)
    assert all(len(x["candidates"]) <= 3 for x in lines)
    fam = fams[0].family
    assert main(["search", "--index", str(tmp_path / "ix"), "--family", fam, "--found-profiles",
                 str(d / "found.csv"), "--json"]) == 0
    rev = json.loads(capsys.readouterr().out)
    assert rev["sample"] == fam
    assert main(["index", "found", "--profiles", str(d / "found.csv"), "--index", str(tmp_path / "ix"),
                 "--out", str(tmp_path / "fx")]) == 0
    capsys.readouterr()
    assert main(["search", "--index", str(tmp_path / "ix"), "--family", fam, "--found-index", str(tmp_path / "fx"),
                 "--json"]) == 0
    rev2 = json.loads(capsys.readouterr().out)
    assert rev2 == rev
    assert files


def test_found_children_are_incremental(population):
    from reunite.search.kernel import FoundChildIndex

    table, _pop, fams, kids = population
    idx = build_index(fams, table)
    items = list(kids.items())
    full = FoundChildIndex.from_profiles(idx, dict(items))
    part = FoundChildIndex.from_profiles(idx, dict(items[:10]))
    part.add(idx, dict(items[10:]))
    fam = fams[0].family
    a = [(c.sample, c.log10_lr) for c in search_family(idx, fam, full, min_lr=0.0, top=0)]
    b = [(c.sample, c.log10_lr) for c in search_family(idx, fam, part, min_lr=0.0, top=0)]
    assert a == b
    part.remove(items[0][0])
    assert items[0][0] not in {c.sample for c in search_family(idx, fam, part, min_lr=0.0, top=0)}
    with pytest.raises(Exception, match="already compiled"):
        part.add(idx, dict(items[1:2]))


def test_compiled_kernels_agree_with_the_numpy_ones(population):
    from reunite.search.kernel import COMPILED, FoundChildIndex, approx_log10, child_alleles

    if not COMPILED:
        pytest.skip("numba is not installed")
    table, _pop, fams, kids = population
    idx = build_index(fams, table)
    found = FoundChildIndex.from_profiles(idx, kids)
    for child in list(kids.values())[:5]:
        x, _ = child_alleles(idx, child)
        a, _ = approx_log10(idx, x, kernel="numba")
        b, _ = approx_log10(idx, x, kernel="numpy")
        assert np.array_equal(np.isfinite(a), np.isfinite(b))
        assert np.allclose(a[np.isfinite(a)], b[np.isfinite(b)], atol=1e-9)
    fam = fams[0].family
    fast = [(c.sample, c.log10_lr) for c in search_family(idx, fam, found, min_lr=0.0, top=0, kernel="numba")]
    slow = [(c.sample, c.log10_lr) for c in search_family(idx, fam, found, min_lr=0.0, top=0, kernel="numpy")]
    assert [s for s, _ in fast] == [s for s, _ in slow]
    assert all((x is None and y is None) or abs(x - y) < 1e-9 for (_, x), (_, y) in zip(fast, slow, strict=True))
