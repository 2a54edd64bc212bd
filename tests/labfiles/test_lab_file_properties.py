"""Properties of the lab-file round trips added for issue 15: any Y-STR haplotype goes through CMF unchanged,
any EMPOP sequence through the .emp reader as the profiles CSV's mtDNA row reads it, and any Familias
database into the store's frequency table to the last bit."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.cases.famimport import frequency_csv
from reunite.genetics.frequencies import load_frequencies
from reunite.genetics.mtdna import parse_mt_sequence
from reunite.genetics.ystr import parse_y_haplotype
from reunite.labfiles import SampleProfile, cmf_text, read_cmf, read_emp
from reunite.labfiles._common import profile_from_alleles

ALLELE = st.builds(lambda n, d: f"{n}.{d}" if d else str(n), st.integers(5, 45), st.sampled_from([0, 0, 0, 1, 2]))
SINGLE = ["DYS19", "DYS389I", "DYS389II", "DYS390", "DYS391", "DYS392", "DYS393", "DYS438", "DYS439", "YGATAH4"]
MULTI = ["DYS385", "DYF387S1", "DYS527"]


@st.composite
def haplotypes(draw):
    h = {}
    # What a lab file can say: one allele or a duplication of two different ones at a single-copy locus, a
    # null; at a two-copy locus both copies (13,13 one peak, as CE shows it) or up to four different ones.
    for locus in draw(st.lists(st.sampled_from(SINGLE), unique=True, min_size=1, max_size=6)):
        h[locus] = "null" if draw(st.integers(0, 15)) == 0 else ",".join(draw(st.lists(ALLELE, min_size=1,
                                                                                             max_size=2, unique=True)))
    for locus in draw(st.lists(st.sampled_from(MULTI), unique=True, max_size=2)):
        same = draw(st.booleans())
        h[locus] = (",".join([draw(ALLELE)] * 2) if same
                    else ",".join(draw(st.lists(ALLELE, min_size=2, max_size=4, unique=True))))
    return parse_y_haplotype(h).as_dict()


@settings(max_examples=60, deadline=None)
@given(st.lists(haplotypes(), min_size=1, max_size=3))
def test_any_y_haplotype_goes_through_cmf_unchanged(tmp_path_factory, hs):
    samples = [SampleProfile(f"S-{i}", profile_from_alleles({}, "t"), y_haplotype=h) for i, h in enumerate(hs)]
    p = tmp_path_factory.mktemp("cmf") / "y.xml"
    p.write_text(cmf_text(samples, source_lab="XX1", destination_ori="XX0", user="u"), encoding="utf-8")
    assert [dict(s.y_haplotype) for s in read_cmf(p).samples] == hs


SUBST = st.builds(lambda pos, b: f"{pos}{b}", st.integers(16024, 16365) | st.integers(73, 340),
                  st.sampled_from("ACGTRY"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(SUBST, max_size=8, unique_by=lambda t: t[:-1]), min_size=1, max_size=4))
def test_any_emp_sequence_reads_as_the_csv_row_reads_it(tmp_path_factory, seqs):
    lines = ["title", "geography", "#! 16024-16365 73-340"]
    lines += ["\t".join([f"S-{i}", "?", "1", *v]) for i, v in enumerate(seqs)]
    p = tmp_path_factory.mktemp("emp") / "m.emp"
    p.write_text("\n".join(lines) + "\n")
    got = [dict(s.mt_sequence) for s in read_emp(p).samples]
    assert got == [parse_mt_sequence(" ".join(v), "16024-16365 73-340").as_dict() for v in seqs]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(1e-9, 1.0), min_size=2, max_size=12))
def test_a_familias_database_is_stored_to_the_last_bit(weights):
    total = math.fsum(weights)
    freqs = [w / total for w in weights]
    freqs[-1] = 1.0 - math.fsum(freqs[:-1])   # (sums to 1 as a database does, up to rounding)
    if not all(0 < f <= 1 for f in freqs):
        return
    db = {"D3S1358": {str(10 + i): f for i, f in enumerate(freqs)}}
    table = load_frequencies(_csv_path(frequency_csv(db)))
    assert table.markers["D3S1358"].freqs.tolist() == freqs   # exactly: repr round-trips a float


def _csv_path(text: str):
    import tempfile
    from pathlib import Path

    p = Path(tempfile.mkdtemp()) / "t.csv"
    p.write_text(text)
    return p
