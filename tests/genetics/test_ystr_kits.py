"""The Y-STR kits (``reunite.genetics.ystr.KITS``): their sizes as their sources state them, and every
locus in the bundled rate table, with a published rate or listed as one at the default rate."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from reunite.genetics.ystr import DEFAULT_RATE, KIT_LOCI_AT_DEFAULT_RATE, KITS, load_y_rates, y_locus_key

#: Loci per kit as each source counts them (a multi-copy locus counts once per copy).
SIZES = {"yfiler": 17, "yfiler_plus": 27, "ppy23": 23, "agcu_y24": 24, "y36_du2019": 36, "agcu_y_supp": 24,
         "agcu_y24_supp": 41, "microreader_24y": 24}


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


def test_microreader_24y_is_the_list_printed_by_fu_2020():
    # The loci as printed in the abstract of Fu et al. 2020 (Mol Biol Rep 47:7755), in its order and spelling.
    printed = ("DYS576 DYS389I DYS389II DYS448 DYS19 DYS391 DYS481 DYS549 DYS533 DYS438 DYS437 DYS570 DYS635 "
               "DYS390 DYS439 DYS392 DYS643 DYS393 DYS458 DYS460 DYS385ab DYS456 Y-GATA-H4").split()
    assert len(printed) == 23                     # "23 Y-STRs", DYS385ab named once
    assert sorted(y_locus_key(x) for x in printed) == sorted(KITS["microreader_24y"])
    assert set(KITS["microreader_24y"]) == set(KITS["ppy23"]) | {"DYS460"}


#: Counts printed in Table 1 (single-step column) of Boattini et al. 2019, Sci Rep 9:9032: locus ->
#: (mutations, meioses, the rate as printed there in units of 10^-3).
_SCI_REP_2019 = {"DYS385": (8, 1166, 6.86), "DYF387S1": (13, 1166, 11.15), "DYS549": (8, 810, 9.88)}


@pytest.mark.parametrize("locus", sorted(_SCI_REP_2019))
def test_a_rate_is_its_published_mutations_over_meioses(locus):
    mutations, meioses, printed = _SCI_REP_2019[locus]
    expected = mutations / meioses
    assert round(expected * 1000, 2) == printed          # our division agrees with the paper's figure
    row = _table()[locus]
    assert (int(row["mutations"]), int(row["meioses"])) == (mutations, meioses)
    assert load_y_rates().rates[locus] == pytest.approx(expected, abs=5e-6)


def test_every_row_names_its_source_and_counts_agree_with_the_rate():
    for locus, row in _table().items():
        assert (row["source"] or "").strip(), locus
        rate = (row["rate"] or "").strip()
        if rate and row["mutations"] and row["meioses"]:
            assert float(rate) == pytest.approx(int(row["mutations"]) / int(row["meioses"]), abs=5e-6), locus
        if not rate:
            # no figure: no mutation seen (no point estimate) or nothing found; the default is used
            assert locus in KIT_LOCI_AT_DEFAULT_RATE and load_y_rates().rate(locus) == (DEFAULT_RATE, True)
            assert not row["mutations"] or int(row["mutations"]) == 0, locus
