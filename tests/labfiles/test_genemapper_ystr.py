"""GeneMapper Genotypes tables with Y-STR loci (a Yfiler Plus run, or DYS391 of an autosomal kit): read as
each sample's Y-STR haplotype, every problem named (file, line, column, sample, locus).

The example tables are written by hand in the layout of genemapper_good.txt (tests/labfiles/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reunite.errors import InputError
from reunite.labfiles import read_genemapper
from reunite.labfiles._common import profiles_csv_text, y_allele_text

HERE = Path(__file__).parent


def test_a_yfiler_table_gives_haplotypes():
    r = read_genemapper(HERE / "genemapper_yfiler.txt")
    u, c = r.samples
    # One peak at the two-copy DYF387S1 is 36 on both copies; DYS19 15 and 16 is a duplication; DYS448 was
    # not called (untyped); DYS385a and DYS385b rows join one locus.
    assert u.y_haplotype == {"DYS576": "18", "DYS389I": "13", "DYS385": "13,19", "DYF387S1": "36,36",
                             "DYS19": "15,16"}
    assert len(u.profile) == 0 and u.profile.amelogenin is None
    assert c.y_haplotype == {"DYS576": "19", "DYS385": "13,19"}
    assert dict(c.profile.genotypes) == {"D3S1358": ("15", "16")} and c.profile.amelogenin == ("X", "Y")
    notes = " | ".join(r.notes)
    assert "Y-STR haplotype read for 2 sample(s)" in notes
    assert "not STRs left out: Y indel" in notes and "line 6" in notes   # the Check flag on DYS19


def test_every_y_problem_is_named():
    with pytest.raises(InputError) as exc:
        read_genemapper(HERE / "genemapper_yfiler_bad.txt")
    got = [(p.line, p.field) for p in exc.value.problems]
    # (line 5, DYS385a, is not a repeat of line 2's DYS385: that row was refused)
    assert got == [(2, "Allele 1"), (3, "Allele 1"), (4, "Allele 1"), (7, "Allele 1")]
    msgs = [p.message for p in exc.value.problems]
    assert "5 alleles at DYS385" in msgs[0] and "mixture" in msgs[0]
    assert "off-ladder" in msgs[1]
    assert "23.25" in msgs[2]
    assert "also on line 6" in msgs[3]


def test_y_allele_text_by_hand():
    assert y_allele_text("DYS385", ["13"]) == "13,13"          # one peak, two copies
    assert y_allele_text("DYS385a", ["13"]) == "13"            # one copy named
    assert y_allele_text("DYS19", ["15", "15"]) == "15"        # a single-copy locus written as a homozygote
    assert y_allele_text("DYS19", ["15", "16"]) == "15,16"     # a duplication
    assert y_allele_text("DYS448", ["null"]) == "null"


def test_the_profiles_csv_carries_the_haplotype():
    text = profiles_csv_text(read_genemapper(HERE / "genemapper_yfiler.txt").samples)
    assert "S-U1,DYS385,\"13,19\",\n" in text and "S-C9,DYS576,19,\n" in text


# A property: any haplotype written as profiles-CSV rows reads back the same (the writer of `reunite convert`
# and the reader of the converters agree), whatever the loci, copies, null alleles and duplications.
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from reunite.genetics.markers import parse_profile  # noqa: E402
from reunite.genetics.ystr import KITS, load_y_rates, parse_y_haplotype  # noqa: E402
from reunite.labfiles import read_profiles_csv, write_profiles_csv  # noqa: E402
from reunite.labfiles._common import SampleProfile  # noqa: E402


@st.composite
def haplotypes(draw):
    copies = load_y_rates().copies
    loci = draw(st.lists(st.sampled_from(KITS["yfiler_plus"]), min_size=1, max_size=8, unique=True))
    out = {}
    for locus in loci:
        n = copies.get(locus, 1)
        if draw(st.booleans()) and n == 1 and draw(st.booleans()):
            out[locus] = "null"
            continue
        k = draw(st.integers(min_value=n, max_value=min(4, n + 1)))
        alleles = sorted(draw(st.lists(st.integers(min_value=5, max_value=45), min_size=k, max_size=k)))
        if n == 1 and k == 2 and alleles[0] == alleles[1]:
            alleles = alleles[:1]      # written twice, a single-copy allele is one allele
        out[locus] = ",".join(map(str, alleles))
    return parse_y_haplotype(out).as_dict()


@settings(max_examples=60, deadline=None)
@given(haplotypes())
def test_a_haplotype_written_as_rows_reads_back_the_same(tmp_path_factory, hap):
    path = tmp_path_factory.mktemp("y") / "profiles.csv"
    write_profiles_csv([SampleProfile("S1", parse_profile({}), y_haplotype=hap)], path)
    (back,) = read_profiles_csv(path)
    assert back.y_haplotype == hap


def test_more_identical_alleles_than_copies_are_a_duplication_kept(tmp_path):
    # Found by the property above: 5,5,5 at the two-copy DYS385 came back as 5,5.
    path = tmp_path / "profiles.csv"
    for value, copies in (("5,5,5", 3), ("13,13", 2)):
        write_profiles_csv([SampleProfile("S1", parse_profile({}), y_haplotype={"DYS385": value})], path)
        (back,) = read_profiles_csv(path)
        assert back.y_haplotype["DYS385"].split(",") == [value.split(",")[0]] * copies
