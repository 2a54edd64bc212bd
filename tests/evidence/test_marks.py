"""The marks LR: the vocabulary, parsing in Chinese and English, and the prevalence model by hand."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.errors import InputError
from reunite.evidence import fuse
from reunite.evidence.marks import DEFAULT_CAP, Mark, load_vocabulary, marks_lr, parse_marks

V = load_vocabulary()


def test_every_term_has_a_source_and_sane_figures():
    for t in V.terms.values():
        assert t.source and t.zh and t.en
        assert 0 < t.prevalence <= 1 and 0 < t.prevalence_unsited <= 1
        assert 0 < t.p_recorded <= 0.9  # so a mismatch never weakens below 0.1
        assert t.parent is None or t.parent in V.terms
    assert V.terms["congenital_glaucoma"].prevalence == pytest.approx(1.1e-4)
    assert not V.terms["congenital_glaucoma"].assumed and V.terms["mole"].assumed


@pytest.mark.parametrize(("text", "marks"), [
    ("左手臂有一块红色胎记，患有先天性青光眼", [Mark("birthmark", "arm"), Mark("congenital_glaucoma")]),
    ("birthmark on the left arm, congenital glaucoma", [Mark("birthmark", "arm"), Mark("congenital_glaucoma")]),
    ("兔唇", [Mark("orofacial_cleft")]),
    ("born with a harelip", [Mark("orofacial_cleft")]),
    ("右手六指", [Mark("polydactyly")]),
    ("an extra toe on the right foot", [Mark("polydactyly")]),
    ("屁股上有青记", [Mark("mongolian_spot", "buttocks")]),
    ("头顶有两个旋", [Mark("double_whorl")]),
    ("额头有疤", [Mark("scar", "face")]),
    ("a mole near the eye and a scar on the knee", [Mark("mole", "eye"), Mark("scar", "leg")]),
    ("耳前瘘管；并指", [Mark("preauricular_pit"), Mark("syndactyly")]),
])
def test_parsing_in_both_languages(text, marks):
    assert list(parse_marks(text)) == marks


def test_the_longest_synonym_wins_and_negations_drop_a_term():
    assert parse_marks("先天性青光眼") == (Mark("congenital_glaucoma"),)
    assert parse_marks("唇腭裂") == (Mark("orofacial_cleft"),)
    assert parse_marks("背部有青色胎记；无唇腭裂") == (Mark("mongolian_spot", "back"),)
    assert parse_marks("no birthmark; extra finger on the right hand") == (Mark("polydactyly"),)
    assert parse_marks("健康，无明显特征") == ()
    assert parse_marks(["胎记", "背上有胎记"]) == (Mark("birthmark", "back"),)
    assert parse_marks(None) == () and parse_marks("") == ()
    with pytest.raises(InputError):
        parse_marks(42)


def test_a_match_is_one_over_the_prevalence():
    item = marks_lr("患有先天性青光眼", "congenital glaucoma (left eye)", cap=1e6)
    assert item.lr == pytest.approx(1 / 1.1e-4)
    assert marks_lr("左手臂有胎记", "birthmark on the arm").lr == pytest.approx(1 / 0.05)
    # a site on one side only: the less specific description, at the prevalence anywhere
    assert marks_lr("有胎记", "birthmark on the arm").lr == pytest.approx(1 / 0.3)
    # 胎记 and 蒙古斑 are one term at two levels: matched as a birthmark
    assert marks_lr("背上有胎记", "蒙古斑在背上").lr == pytest.approx(1 / 0.05)
    two = marks_lr("唇腭裂，多指", "兔唇，六指", cap=1e9)
    assert two.lr == pytest.approx(1 / (0.0017 * 0.0022))


def test_the_cap():
    item = marks_lr("先天性青光眼，唇腭裂", "先天性青光眼，兔唇")
    assert item.lr == DEFAULT_CAP and not item.observed["uncapped"]
    assert "capped" in item.sentence and "上限" in item.sentence_zh


def test_a_mismatch_weakens_by_hand():
    # report only: (1 − s) / (1 − π s)
    assert marks_lr("先天性青光眼", "健康").lr == pytest.approx(0.4 / (1 - 1.1e-4 * 0.6))
    assert marks_lr("左手臂有胎记", "健康").lr == pytest.approx(0.3 / (1 - 0.05 * 0.7))
    # found only, a congenital condition the family did not write: weakens the same way
    assert marks_lr("无明显特征", "唇腭裂").lr == pytest.approx(0.1 / (1 - 0.0017 * 0.9))
    # found only, an acquired scar: says nothing
    assert marks_lr("无明显特征", "脸上有疤").lr == 1.0
    # a birthmark at another site: the report's mark counts as not found
    assert marks_lr("背上有胎记", "胎记在腿上").lr == pytest.approx((0.3 / (1 - 0.035)) ** 2)


def test_no_information_is_1():
    for report, found in ((None, "先天性青光眼"), ("先天性青光眼", None), ("", ""), ([], ["  "])):
        item = marks_lr(report, found)
        assert item.lr == 1.0 and item.log10_lr == 0.0
    assert marks_lr("走失时穿红衣服", "健康").lr == 1.0  # no term on either side
    # the circumstances add terms but do not make a silent report speak
    assert marks_lr(None, "先天性青光眼", report_notes="在集市走失").lr == 1.0
    assert marks_lr(None, "先天性青光眼", report_notes="孩子患先天性青光眼").lr == DEFAULT_CAP


def test_the_sentences_and_the_record():
    item = marks_lr("患有先天性青光眼", "先天性青光眼")
    d = item.as_dict()
    assert d["kind"] == "marks" and d["sentence_zh"].startswith("体征与疾病证据")
    assert d["observed"]["terms"][0]["outcome"] == "both"
    assert d["parameters"]["vocabulary"].startswith("marks-v1")
    assert fuse([item], open_reports=10).lr == pytest.approx(item.lr)


terms = st.lists(st.sampled_from(sorted(V.terms)), max_size=4, unique=True)


@settings(max_examples=80, deadline=None)
@given(terms, terms)
def test_a_mismatch_never_excludes_and_only_shared_terms_support(r, f):
    report = "，".join(V.terms[t].zh[0] for t in r) or "无明显特征"
    found = ", ".join(V.terms[t].en[0] for t in f) or "healthy"
    item = marks_lr(report, found)
    assert item.lr > 0 and item.log10_lr is not None
    assert 1 / DEFAULT_CAP <= item.lr <= DEFAULT_CAP
    related = {t for t in r for u in f if t == u or V.terms[t].parent == u or V.terms[u].parent == t}
    if not related:
        assert item.lr <= 1.0
    for factor in item.observed["terms"]:
        if factor["outcome"] != "both":
            assert 0.1 <= factor["lr"] <= 1.0


def test_each_vocabulary_term_is_found_by_every_synonym():
    for t in V.terms.values():
        for word in t.zh:
            got = {m.term for m in parse_marks(word)}
            assert t.id in got, (t.id, word)
        for word in t.en:
            got = {m.term for m in parse_marks(word)}
            assert t.id in got, (t.id, word)
    assert math.isfinite(marks_lr("胎记", "胎记").lr)


# ---------------------------------------------------------------------------------------------
# Marks and photographs: a facial feature is counted once


def _pair(report_marks: str, found_marks: str, *, years: float = 30.0):
    import datetime as dt
    from types import SimpleNamespace

    found = SimpleNamespace(case_number="C1", sex=None, age_months=12 * years, age_sd_months=12.0,
                            found_on=dt.date(2020, 1, 1), marks=found_marks, photos=("f",))
    report = SimpleNamespace(report_number="R1", sex=None, date_of_birth=None, disappeared_on=dt.date(2020, 1, 1),
                             marks=report_marks, photos=("r",))
    return found, report


def _items(found, report, distance: float) -> dict:
    import numpy as np

    from reunite.evidence import compute_items

    vectors = {"C1": np.zeros(128), "R1": np.r_[distance, np.zeros(127)]}
    embeddings = lambda owner: [vectors[getattr(owner, "case_number", None) or owner.report_number]]  # noqa: E731
    return {i.kind: i for i in compute_items(found, report, face_embeddings=embeddings)}


def test_a_facial_mark_on_both_records_is_not_counted_again_by_the_face():
    """The same adult face (distance 0: the calibrated LR is capped at 10) with a cleft lip on both
    records: the marks item counts the cleft at its prevalence (1 / 0.0017), the face item gives LR 1
    and says why; with a birthmark on the back instead, the face keeps its 10."""
    cleft = _items(*_pair("唇腭裂", "唇腭裂，做过修补"), 0.0)
    assert cleft["marks"].lr == pytest.approx(1 / 0.0017, rel=1e-6)
    assert cleft["face"].log10_lr == 0.0
    assert cleft["face"].observed["counted_by_marks"] == ["orofacial_cleft"]
    assert "marks item already counts the facial feature both records share (cleft lip)" in cleft["face"].sentence
    assert "面部特征（唇腭裂）已由体征证据计入" in cleft["face"].sentence_zh
    on_face = _items(*_pair("脸上有胎记", "脸颊有胎记"), 0.0)                 # a birthmark at a facial site
    assert on_face["face"].log10_lr == 0.0 and on_face["face"].observed["counted_by_marks"] == ["birthmark@face"]
    assert "(birthmark (face))" in on_face["face"].sentence and "胎记（脸上）" in on_face["face"].sentence_zh
    back = _items(*_pair("背部有胎记", "背上有胎记"), 0.0)
    assert back["face"].log10_lr == pytest.approx(1.0) and "counted_by_marks" not in back["face"].observed


def test_a_face_that_does_not_look_alike_still_weakens_beside_a_facial_mark():
    """Only the face's support is left out; its evidence against the pair keeps its weight."""
    far = _items(*_pair("唇腭裂", "唇腭裂"), 1.0)
    assert far["face"].log10_lr == pytest.approx(-0.5)   # the floor, as without the mark
    assert _items(*_pair("", ""), 1.0)["face"].log10_lr == pytest.approx(-0.5)
