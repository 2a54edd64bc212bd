"""The mutation-free search reports a family with one or two inconsistent markers (a parent whose
child carries a mutation), flagged, with the LR over its other markers; three leave it out."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from reunite.genetics import load_frequencies
from reunite.genetics.kinship import KinshipCase, missing_person_lr
from reunite.genetics.markers import marker_key, parse_profile
from reunite.genetics.simulate import simulate_population
from reunite.search.index import build_index
from reunite.search.kernel import MAX_INCONSISTENT, approx_log10, child_alleles, search_child, search_family
from reunite.simulation.io import family_records


def _engine(table, fam, genotype: dict, mutation=None):
    child = parse_profile({m: list(g) for m, g in genotype.items()})
    return missing_person_lr(KinshipCase(fam.pedigree, fam.profiles, fam.missing, child, table, mutation),
                             skip_unknown_markers=True)


def _mutate(table, fam, genotype: dict, n: int) -> tuple[dict, list[str]]:
    """The child's genotype with ``n`` markers made inconsistent with its family by moving one
    allele to a neighbour on the table's ladder (checked with the kinship engine)."""
    out = dict(genotype)
    changed: list[str] = []
    for name, (a, b) in genotype.items():
        if len(changed) == n:
            break
        alleles = table.markers[marker_key(name)].alleles
        i = alleles.index(a)
        for j in (i + 1, i - 1):
            if not 0 <= j < len(alleles):
                continue
            trial = {**out, name: (alleles[j], b)}
            if name in _engine(table, fam, trial).inconsistent_markers:
                out, changed = trial, [*changed, name]
                break
    assert len(changed) == n
    assert sorted(_engine(table, fam, out).inconsistent_markers) == sorted(changed)
    return out, changed


@pytest.fixture(scope="module")
def world():
    table = load_frequencies("nist1036_us_asian")
    pop = simulate_population(table, 60, 24, 0.5, 11, structures=["both_parents", "mother_only", "father_only"],
                              markers="cn23")
    fams = {f.family: f for f in family_records(pop)}
    idx = build_index(fams.values(), table)
    related = [(c, c.family) for c in pop.found if c.family is not None][:4]
    assert len(related) == 4
    return table, pop, fams, idx, related


@pytest.mark.parametrize("n", [1, 2])
def test_one_or_two_mutations_are_reported_flagged(world, n):
    table, _pop, fams, idx, related = world
    checked = 0
    for child, fam_id in related:
        fam = fams[fam_id]
        geno, changed = _mutate(table, fam, child.profile, n)
        prof = parse_profile({m: list(g) for m, g in geno.items()})
        res = search_child(idx, prof, sample=child.sample, min_lr=1.0, top=0)
        (c,) = [c for c in res if c.family == fam_id]
        assert c.lr == 0 and c.log10_lr is None and c.inconsistent == n and c.flagged
        # An independent figure: the engine on the child typed only at the consistent markers.
        rest = {m: g for m, g in geno.items() if m not in changed}
        ref = _engine(table, fam, rest)
        assert ref.lr > 0 and not ref.inconsistent_markers
        assert c.log10_lr_consistent == pytest.approx(ref.log10_lr, abs=1e-9)
        assert c.as_dict()["log10_lr_consistent"] == c.log10_lr_consistent
        # Ranked after every hit with LR > 0, the flagged ones by their consistent LR.
        tiers = [0 if x.lr > 0 else 1 for x in res]
        assert tiers == sorted(tiers) and all(x.flagged for x in res if x.lr == 0)
        flagged = [x.log10_lr_consistent for x in res if x.flagged]
        assert flagged == sorted(flagged, reverse=True)
        # The reverse direction says the same.
        rev = search_family(idx, fam_id, {child.sample: prof}, min_lr=1.0, top=0)
        assert [(x.sample, x.inconsistent, x.lr) for x in rev] == [(child.sample, n, 0.0)]
        assert rev[0].log10_lr_consistent == pytest.approx(ref.log10_lr, abs=1e-9)
        checked += 1
    assert checked == len(related)


def test_three_inconsistent_markers_leave_the_family_out(world):
    table, _pop, fams, idx, related = world
    for child, fam_id in related:
        fam = fams[fam_id]
        geno, _changed = _mutate(table, fam, child.profile, MAX_INCONSISTENT + 1)
        prof = parse_profile({m: list(g) for m, g in geno.items()})
        assert fam_id not in {c.family for c in search_child(idx, prof, min_lr=1e-300, top=0)}
        assert search_family(idx, fam_id, {"x": prof}, min_lr=1e-300, top=0) == []
        # With min_lr 0 every family is listed: this one with LR 0, its exact count and not flagged.
        (c,) = [c for c in search_child(idx, prof, min_lr=0.0, top=0) if c.family == fam_id]
        assert c.lr == 0 and c.inconsistent == MAX_INCONSISTENT + 1 and not c.flagged
        (r,) = search_family(idx, fam_id, {"x": prof}, min_lr=0.0, top=0)
        assert r.inconsistent == MAX_INCONSISTENT + 1 and not r.flagged


def test_min_lr_applies_to_the_consistent_markers(world):
    table, _pop, fams, idx, related = world
    child, fam_id = related[0]
    geno, _ = _mutate(table, fams[fam_id], child.profile, 1)
    prof = parse_profile({m: list(g) for m, g in geno.items()})
    (c,) = [c for c in search_child(idx, prof, min_lr=1.0, top=0) if c.family == fam_id]
    above = 10 ** (c.log10_lr_consistent + 0.01)
    assert fam_id not in {x.family for x in search_child(idx, prof, min_lr=above, top=0)}
    assert fam_id in {x.family for x in search_child(idx, prof, min_lr=10 ** (c.log10_lr_consistent - 0.01),
                                                     top=0)}


def test_compiled_and_numpy_prefilters_agree_past_the_first_exclusion(world):
    from reunite.search.kernel import COMPILED

    if not COMPILED:
        pytest.skip("numba is not installed")
    table, _pop, fams, idx, related = world
    for n in (1, 2, 3):
        child, fam_id = related[n]
        geno, _ = _mutate(table, fams[fam_id], child.profile, n)
        x, _ = child_alleles(idx, parse_profile({m: list(g) for m, g in geno.items()}))
        a, za = approx_log10(idx, x, consistent=True, kernel="numba")
        b, zb = approx_log10(idx, x, consistent=True, kernel="numpy")
        assert np.array_equal(za, zb) and za.max() <= MAX_INCONSISTENT + 1
        assert np.array_equal(np.isfinite(a), np.isfinite(b))
        assert np.allclose(a[np.isfinite(a)], b[np.isfinite(b)], atol=1e-9)
        row = idx.row_of(fam_id)
        assert za[row] == n and (math.isfinite(a[row]) == (n <= MAX_INCONSISTENT))
        # The default prefilter still leaves a family at its first exclusion.
        d, zd = approx_log10(idx, x)
        assert zd[row] == 1 and d[row] == -np.inf
        # The reverse kernels agree too, at min_lr 0 (every exclusion counted) and above.
        kids = {"x": parse_profile({m: list(g) for m, g in geno.items()}),
                **{c.sample: parse_profile({m: list(g) for m, g in c.profile.items()}) for c in _pop.found[:10]}}
        for min_lr in (0.0, 1.0):
            fast = search_family(idx, fam_id, kids, min_lr=min_lr, top=0, kernel="numba")
            slow = search_family(idx, fam_id, kids, min_lr=min_lr, top=0, kernel="numpy")
            assert [(c.sample, c.inconsistent, c.lr > 0) for c in fast] == \
                [(c.sample, c.inconsistent, c.lr > 0) for c in slow]
            for f, w in zip(fast, slow, strict=True):
                assert (f.log10_lr_consistent is None) == (w.log10_lr_consistent is None)
                if f.log10_lr_consistent is not None:
                    assert f.log10_lr_consistent == pytest.approx(w.log10_lr_consistent, abs=1e-9)


def test_cli_prints_flagged_hits(world, tmp_path, capsys):
    from reunite.cli import main
    from reunite.search.io import write_profiles
    from reunite.simulation.io import write_population

    table, pop, fams, _idx, related = world
    d = tmp_path / "sim"
    write_population(pop, d)
    child, fam_id = related[0]
    geno, _ = _mutate(table, fams[fam_id], child.profile, 2)
    write_profiles(tmp_path / "kid.csv", {"KID": parse_profile({m: list(g) for m, g in geno.items()})})
    assert main(["index", "build", "--families", str(d / "families.csv"), "--profiles", str(d / "profiles.csv"),
                 "--frequencies", "nist1036_us_asian", "--out", str(tmp_path / "ix"), "--mutation", "none"]) == 0
    capsys.readouterr()
    assert main(["search", "--index", str(tmp_path / "ix"), "--profiles", str(tmp_path / "kid.csv"),
                 "--top", "0"]) == 0
    out = capsys.readouterr().out
    (line,) = [x for x in out.splitlines() if fam_id in x]
    assert "2 inconsistent markers" in line and "LR 0 without a mutation model" in line
    assert "LR over the other" in line
    assert main(["search", "--index", str(tmp_path / "ix"), "--profiles", str(tmp_path / "kid.csv"),
                 "--top", "0", "--json"]) == 0
    (cand,) = [c for c in json.loads(capsys.readouterr().out)["candidates"] if c["family"] == fam_id]
    assert cand["lr"] == 0 and cand["inconsistent"] == 2 and cand["log10_lr_consistent"] > 0


@pytest.mark.parametrize("min_lr", [0.0, 1.0, 100.0])
def test_top_k_is_the_head_of_the_full_ranking(world, min_lr):
    """With a top, flagged families enter only when the LR > 0 ones cannot fill it; the result is
    always the head of the full ranking."""
    table, _pop, fams, idx, related = world
    for n, (child, fam_id) in zip((1, 2, 1, 2), related, strict=True):
        geno, _ = _mutate(table, fams[fam_id], child.profile, n)
        prof = parse_profile({m: list(g) for m, g in geno.items()})
        full = [(c.family, c.lr, c.log10_lr_consistent) for c in search_child(idx, prof, min_lr=min_lr, top=0)]
        assert any(f == fam_id for f, _lr, _c in full) or min_lr > 1
        for top in (1, 3, 8, 40):
            got = [(c.family, c.lr, c.log10_lr_consistent) for c in search_child(idx, prof, min_lr=min_lr, top=top)]
            assert got == full[:top]
