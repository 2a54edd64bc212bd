"""The Y-STR kits (``reunite.genetics.ystr.KITS``): their sizes as their sources state them, and every
locus in the bundled rate table, with a published rate or listed as one at the default rate."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from reunite.genetics.ystr import DEFAULT_RATE, KIT_LOCI_AT_DEFAULT_RATE, KITS, load_y_rates, y_locus_key

#: Loci per kit as each source counts them (a multi-copy locus counts once per copy).
SIZES = {"yfiler": 17, "yfiler_plus": 27, "ppy23": 23, "agcu_y24": 24, "y36_du2019": 36, "agcu_y_supp": 24,
         "agcu_y24_supp": 41}


def _table() -> dict[str, dict]:
    text = resources.files("reunite").joinpath("data/lineage/ystr_mutation_rates.csv").read_text("utf-8")
    return {y_locus_key(r["marker"]): r for r in csv.DictReader(text.splitlines())}


@pytest.mark.parametrize("kit", sorted(KITS))
def test_every_locus_of_a_kit_has_a_rate_or_is_listed_at_the_default(kit):
    table = _table()
    rates = load_y_rates()
    assert set(SIZES) == set(KITS)
    loci = KITS[kit]
    assert len(set(loci)) == len(loci) and all(y_locus_key(x) == x for x in loci)
    missing = [x for x in loci if x not in table]
    assert not missing, f"{kit}: loci without a row in ystr_mutation_rates.csv: {missing}"
    for locus in loci:
        has_rate = bool((table[locus]["rate"] or "").strip())
        assert has_rate != (locus in KIT_LOCI_AT_DEFAULT_RATE), locus
        assert (locus in rates.rates) == has_rate
    assert sum(int(table[x]["copies"]) for x in loci) == SIZES[kit]


def test_the_published_lists():
    # Du et al. 2019 (Int J Legal Med 133:1015): Yfiler Plus and nine more loci (DYS527a/b counted twice).
    assert set(KITS["y36_du2019"]) - set(KITS["yfiler_plus"]) == {
        "DYS388", "DYS444", "DYS447", "DYS522", "DYS527", "DYS549", "DYS596", "DYS643"}
    # AGCU Y SUPP: 11 loci shared with other kits, 13 new ones (DYS459a/b counted twice).
    others = set(KITS["agcu_y24"]) | set(KITS["yfiler_plus"]) | set(KITS["ppy23"])
    assert len(set(KITS["agcu_y_supp"]) - others) == 12 and len(set(KITS["agcu_y_supp"]) & others) == 9
    assert set(KITS["agcu_y24_supp"]) == set(KITS["agcu_y24"]) | set(KITS["agcu_y_supp"])
    assert y_locus_key("Y-GATA-A10") == "YGATAA10" and y_locus_key("DYS459a/b") == "DYS459"
    assert 0 < DEFAULT_RATE < 0.01
