"""mtDNA lineage evidence: EMPOP parsing, heteroplasmy, the SWGDAM bands, counting bounds, maternal lines."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.genetics.mtdna import (
    DEFAULT_RANGE,
    MtDatabase,
    bundled_mt_database,
    compare_mt,
    load_mt_database,
    maternal_meioses,
    maternal_relatives,
    mt_lineage_lr,
    parse_mt_sequence,
    parse_range,
)
from reunite.genetics.pedigree import make_pedigree
from reunite.genetics.ystr import HaplotypeError, clopper_pearson_upper

EXAMPLE = "16223T 16362C 73G 263G 309.1C 315.1C 249d 16189Y"


def test_empop_notation_round_trips():
    s = parse_mt_sequence(EXAMPLE)
    assert s.range == DEFAULT_RANGE
    assert s.variants[(309, 1)] == "C" and s.variants[(249, 0)] == "-" and s.variants[(16189, 0)] == "Y"
    assert parse_mt_sequence(s.notation()).variants == s.variants
    assert parse_mt_sequence(["249DEL"]).variants == {(249, 0): "-"}


def test_parsing_errors_are_collected_and_named():
    with pytest.raises(HaplotypeError) as exc:
        parse_mt_sequence("249D 16223Q 500T x73G 16223T 16223C", source="case.json")
    text = str(exc.value)
    assert "ambiguous" in text and "249d" in text           # D is IUPAC A/G/T, not a deletion
    assert "'Q' is not a base" in text
    assert "outside the sequenced range" in text             # 500 is outside HVS-I/HVS-II
    assert "not EMPOP notation" in text and "given twice" in text
    assert len(exc.value.problems) == 5
    with pytest.raises(HaplotypeError):
        parse_range("16365-16024")
    with pytest.raises(HaplotypeError):
        parse_range("HVS1")
    assert parse_range("16024-16365;73-340") == DEFAULT_RANGE


def test_heteroplasmy_sharing_a_base_is_not_a_difference():
    a = parse_mt_sequence("16189Y 16223T")
    assert compare_mt(a, parse_mt_sequence("16189C 16223T")).count == 0
    assert compare_mt(a, parse_mt_sequence("16223T")).count == 0          # Y includes the rCRS base
    assert compare_mt(a, parse_mt_sequence("16189A 16223T")).differences == ["16189"]
    assert compare_mt(parse_mt_sequence("16189R"), parse_mt_sequence("16189Y")).count == 1


def test_length_variants_in_c_stretches_are_ignored_and_others_count():
    a = parse_mt_sequence("309.1C 315.1C 16193.1C")
    b = parse_mt_sequence("309.1C 309.2C 315.1C")
    c = compare_mt(a, b)
    assert c.count == 0 and c.ignored == ["16193.1", "309.2"]
    assert compare_mt(parse_mt_sequence("150.1T"), parse_mt_sequence("")).count == 1
    assert compare_mt(parse_mt_sequence("249d"), parse_mt_sequence("")).count == 1


@pytest.mark.parametrize("other, want", [
    ("16223T 16362C 73G", "cannot_exclude"),
    ("16223T 16362C 73G 263G", "inconclusive"),
    ("16223T 73G 263G", "exclusion"),
])
def test_swgdam_bands(other, want):
    a = parse_mt_sequence("16223T 16362C 73G")
    assert compare_mt(a, parse_mt_sequence(other)).conclusion == want


def test_comparison_is_over_the_common_range_only():
    a = parse_mt_sequence("16223T 73G", "16024-16365 73-340")
    b = parse_mt_sequence("16223T", "16024-16365")
    c = compare_mt(a, b)
    assert c.range == ((16024, 16365),) and c.count == 0


def test_lr_by_hand_with_a_tiny_database():
    seqs = [parse_mt_sequence("16223T")] * 3 + [parse_mt_sequence("16362C")] * 7
    db = MtDatabase(seqs, "tiny")
    found = parse_mt_sequence("16223T")
    r = mt_lineage_lr(parse_mt_sequence("16223T 309.1C"), found, db, relative_id="GM", meioses=2)
    assert r.population.count == 3 and r.population.n == 10
    assert r.lr == pytest.approx(1 / clopper_pearson_upper(3, 10))
    unseen = mt_lineage_lr(parse_mt_sequence("73G"), parse_mt_sequence("73G"), db)
    assert unseen.lr == pytest.approx(1 / (1 - 0.05 ** 0.1))
    ex = mt_lineage_lr(parse_mt_sequence("73G 263G"), parse_mt_sequence(""), db)
    assert ex.lr == 0.0 and ex.log10_lr == -math.inf and ex.as_dict()["log10_lr"] is None
    inc = mt_lineage_lr(parse_mt_sequence("73G"), parse_mt_sequence(""), db)
    assert inc.lr is None and "inconclusive" in inc.sentence()
    d = r.as_dict()
    assert d["conclusion"] == "cannot_exclude" and "不能排除" in d["sentence"]["zh"]


def test_database_loading_and_errors(tmp_path):
    db = bundled_mt_database()
    assert len(db) == 500 and db.simulated
    p = tmp_path / "mt.csv"
    p.write_text("id,range,variants\n1,16024-16365 73-340,16223T 249D\n2,,73G\n")
    with pytest.raises(HaplotypeError) as exc:
        load_mt_database(p)
    assert exc.value.problems[0].line == 2
    p.write_text("id,range,variants\n1,16024-16365 73-340,16223T\n2,16024-16365,16223T\n")
    db = load_mt_database(p)
    assert db.count(parse_mt_sequence("16223T"), DEFAULT_RANGE) == (1, 1)      # 2 does not cover HVS-II
    assert db.count(parse_mt_sequence("16223T"), ((16024, 16365),)) == (2, 2)


PED = make_pedigree([
    {"id": "GGM", "sex": "female"}, {"id": "GGF", "sex": "male"},
    {"id": "GM", "father": "GGF", "mother": "GGM", "sex": "female"}, {"id": "GF", "sex": "male"},
    {"id": "M", "father": "GF", "mother": "GM", "sex": "female"}, {"id": "F", "sex": "male"},
    {"id": "MA", "father": "GF", "mother": "GM", "sex": "female"}, {"id": "MAH", "sex": "male"},
    {"id": "MU", "father": "GF", "mother": "GM", "sex": "male"}, {"id": "MUW", "sex": "female"},
    {"id": "MAC", "father": "MAH", "mother": "MA", "sex": "male"},
    {"id": "MUC", "father": "MU", "mother": "MUW", "sex": "female"},
    {"id": "B", "father": "F", "mother": "M", "sex": "male"},
    {"id": "C", "father": "F", "mother": "M", "sex": "female"},
])


def test_maternal_line_from_the_pedigree():
    typed = ["GGM", "GM", "GF", "M", "F", "MA", "MU", "MAC", "MUC", "B"]
    rel = dict(maternal_relatives(PED, "C", typed))
    assert rel == {"M": 1, "B": 2, "GM": 2, "MA": 3, "MU": 3, "GGM": 3, "MAC": 4}
    assert maternal_meioses(PED, "C", "MUC") is None      # the maternal uncle's daughter: her mother's line
    assert maternal_meioses(PED, "C", "F") is None


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(16024, 16365), st.sampled_from("ACGT")), max_size=6, unique_by=lambda t: t[0]),
       st.integers(0, 4))
def test_differences_are_symmetric_and_grow_with_changes(variants, k):
    a = parse_mt_sequence([f"{p}{b}" for p, b in variants])
    extra = [p for p in range(73, 340) if (p, 0) not in a.variants][:k]
    b = parse_mt_sequence([f"{p}{b}" for p, b in variants] + [f"{p}A" for p in extra])
    assert compare_mt(a, b).count == compare_mt(b, a).count == k
