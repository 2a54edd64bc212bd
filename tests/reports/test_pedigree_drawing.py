"""The pedigree layout: generations, spouses side by side, no overlaps, up to ~30 members."""

from __future__ import annotations

import itertools
import random
import time

from reunite.genetics import make_pedigree
from reunite.reports import draw_pedigree, layout_pedigree


def _check(ped):
    pos = layout_pedigree(ped)
    assert set(pos) == set(ped.persons)
    rows: dict[int, list[float]] = {}
    for x, g in pos.values():
        rows.setdefault(g, []).append(x)
    for xs in rows.values():
        xs.sort()
        assert all(b - a >= 1.5 for a, b in itertools.pairwise(xs)), xs  # symbols never touch
    for pid, p in ped.persons.items():
        if p.father is not None:
            assert pos[pid][1] > pos[p.father][1] and pos[pid][1] > pos[p.mother][1]
    return pos


def _family(n_generations: int, seed: int) -> list[dict]:
    """A loop-free family: each couple has 1-3 children, some of whom marry in-laws."""
    rng = random.Random(seed)
    recs = [{"id": "G0", "sex": "male"}, {"id": "G1", "sex": "female"}]
    couples = [("G0", "G1")]
    k = 0
    for _ in range(n_generations):
        nxt = []
        for f, m in couples:
            for _ in range(rng.randint(1, 3)):
                k += 1
                sex = rng.choice(["male", "female", "unknown"])
                kid = f"P{k}"
                recs.append({"id": kid, "father": f, "mother": m, "sex": sex})
                if sex != "unknown" and rng.random() < 0.6:
                    k += 1
                    spouse = f"S{k}"
                    recs.append({"id": spouse, "sex": "female" if sex == "male" else "male"})
                    nxt.append((kid, spouse) if sex == "male" else (spouse, kid))
        couples = nxt
    return recs


def test_trio_and_half_siblings():
    trio = make_pedigree([{"id": "FA", "sex": "male"}, {"id": "MO", "sex": "female"},
                          {"id": "C", "father": "FA", "mother": "MO", "sex": "female"}])
    pos = _check(trio)
    assert pos["FA"][0] < pos["MO"][0]  # father on the left
    assert abs(pos["C"][0] - (pos["FA"][0] + pos["MO"][0]) / 2) < 1e-9  # child under the couple
    half = make_pedigree([{"id": "M", "sex": "female"}, {"id": "F1", "sex": "male"}, {"id": "F2", "sex": "male"},
                          {"id": "A", "father": "F1", "mother": "M"}, {"id": "B", "father": "F2", "mother": "M"}])
    pos = _check(half)
    # The mother sits between her two partners, so no marriage line crosses a symbol.
    assert sorted(["F1", "M", "F2"], key=lambda p: pos[p][0])[1] == "M"


def test_in_laws_sit_in_their_spouses_generation():
    ped = make_pedigree([
        {"id": "GF", "sex": "male"}, {"id": "GM", "sex": "female"},
        {"id": "FA", "father": "GF", "mother": "GM", "sex": "male"}, {"id": "MO", "sex": "female"},
        {"id": "POI", "father": "FA", "mother": "MO", "sex": "male"}])
    pos = _check(ped)
    assert pos["MO"][1] == pos["FA"][1] == 1 and pos["POI"][1] == 2


def test_drawings_of_random_families_up_to_30_members():
    for seed in range(40):
        recs = _family(3, seed)[:30]
        ids = {r["id"] for r in recs}
        recs = [r for r in recs if r.get("father") in (None, *ids) and r.get("mother") in (None, *ids)]
        ped = make_pedigree(recs)
        _check(ped)
        start = time.perf_counter()
        d = draw_pedigree(ped, typed=list(ped.persons)[:3], missing=list(ped.persons)[-1])
        assert time.perf_counter() - start < 0.5
        assert len(d.nodes) == len(ped)
        assert sum(n.missing for n in d.nodes) == 1
        for x1, y1, x2, y2 in d.lines:
            assert 0 <= min(x1, x2) and max(x1, x2) <= d.width and 0 <= min(y1, y2) and max(y1, y2) <= d.height
