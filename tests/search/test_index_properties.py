"""Properties of the mutation-free reference index against the kinship engine, on random small
simulated populations (hypothesis): every hit's LR is the engine's ``missing_person_lr`` to
1e-9, and ``search_child`` with ``top`` and ``min_lr`` returns what computing every family with
the engine and ranking them by the search's documented rules returns."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reunite.genetics import load_frequencies
from reunite.genetics.kinship import KinshipCase, missing_person_lr
from reunite.genetics.markers import parse_profile
from reunite.genetics.simulate import MARKER_SETS, STRUCTURES, simulate_population
from reunite.search.index import build_index
from reunite.search.kernel import MAX_INCONSISTENT, search_child
from reunite.simulation.io import family_records

TABLE = load_frequencies("nist1036_us_asian")
TOL = 1e-9

populations = st.fixed_dictionaries({
    "seed": st.integers(0, 2**31 - 1),
    "families": st.integers(1, 12),
    "found": st.integers(1, 5),
    "related": st.sampled_from([0.0, 0.5, 1.0]),
    # Few markers: unrelated children then often have only 1-2 inconsistent markers (flagged).
    "markers": st.lists(st.sampled_from(MARKER_SETS["cn23"]), min_size=1, max_size=8, unique=True),
    "structures": st.lists(st.sampled_from(sorted(STRUCTURES)), min_size=1, max_size=3, unique=True),
})


def _world(p):
    related = min(p["related"], 0.5 * p["families"] / p["found"])
    pop = simulate_population(TABLE, p["families"], p["found"], related, p["seed"], structures=p["structures"],
                              markers=p["markers"])
    fams = family_records(pop)
    kids = {c.sample: parse_profile({m: list(g) for m, g in c.profile.items()}) for c in pop.found}
    return fams, kids, build_index(fams, TABLE)


def _engine(fam, child):
    """The engine's result for every family: (lr, log10 lr, inconsistent markers, log10 over the
    consistent markers)."""
    res = missing_person_lr(KinshipCase(fam.pedigree, fam.profiles, fam.missing, child, TABLE, None),
                            skip_unknown_markers=True)
    consistent = sum(math.log10(m.lr) for m in res.markers if m.lr > 0)
    return res.lr, res.log10_lr, len(res.inconsistent_markers), consistent


def _expected(fams, idx, child, min_lr, top):
    """Every searched family computed by the engine, then filtered and ranked as search_child's
    documentation says: LR >= min_lr best first; then flagged families (LR 0 with 1 or 2
    inconsistent markers) whose LR over the consistent markers passes, best first; at min_lr 0 also
    the rest; ties by family (``top`` is applied by the caller).  Each entry: (family, tier, value)."""
    searched = {f for f, a in zip(idx.family_ids, idx.searched, strict=True) if a}
    floor = math.log10(min_lr) if min_lr > 0 else -math.inf
    out = []
    for fam in fams:
        if fam.family not in searched:
            continue
        lr, lg, bad, cons = _engine(fam, child)
        if lr > 0 and lr >= min_lr:
            out.append((fam.family, 0, lg))
        elif lr == 0 and 0 < bad <= MAX_INCONSISTENT and cons >= floor:
            out.append((fam.family, 1, cons))
        elif min_lr <= 0:
            out.append((fam.family, 2, 0.0))
    out.sort(key=lambda e: (e[1], -e[2], e[0]))
    return out


def _got(c):
    if c.lr > 0:
        return (c.family, 0, c.log10_lr)
    if c.flagged:
        return (c.family, 1, c.log10_lr_consistent)
    return (c.family, 2, 0.0)


SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(populations)
def test_every_hit_lr_is_the_engines(p):
    fams, kids, idx = _world(p)
    by_id = {f.family: f for f in fams}
    for sample, child in kids.items():
        for c in search_child(idx, child, sample=sample, min_lr=0.0, top=0):
            lr, lg, bad, cons = _engine(by_id[c.family], child)
            assert c.inconsistent == bad
            if lr == 0:
                assert c.lr == 0 and c.log10_lr is None
                if 0 < bad <= MAX_INCONSISTENT:
                    assert c.log10_lr_consistent == pytest.approx(cons, abs=TOL)
            else:
                assert c.log10_lr == pytest.approx(lg, abs=TOL)


@SETTINGS
@given(populations, st.sampled_from([0.0, 1e-3, 1.0, 100.0, 1e4]), st.integers(0, 6))
def test_top_and_min_lr_are_computing_every_family(p, min_lr, top):
    fams, kids, idx = _world(p)
    for sample, child in kids.items():
        got = [_got(c) for c in search_child(idx, child, sample=sample, min_lr=min_lr, top=top)]
        every = _expected(fams, idx, child, min_lr, top)
        want = every[:top] if top else every
        assert len(got) == len(want), (got, want)
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert g[1] == w[1] and g[2] == pytest.approx(w[2], abs=TOL), (i, got, want)
            # The family at each rank is the engine's, unless its value ties another's.
            tied = any(j != i and e[1] == w[1] and abs(e[2] - w[2]) <= TOL for j, e in enumerate(every))
            assert g[0] == w[0] or tied, (i, got, want)
