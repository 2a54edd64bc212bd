"""Marks typed as free text, said to the public in the marks vocabulary's words of the poster's or the
page's language (reunite.evidence.marks.describe_marks); the expected words are read off marks.json by hand."""

from __future__ import annotations

import pytest

from reunite.errors import InputError
from reunite.evidence.marks import describe_marks, load_vocabulary

V = load_vocabulary()


@pytest.mark.parametrize(("text", "zh", "en"), [
    ("congenital glaucoma (left eye)", ["先天性青光眼（左眼睛）"], ["congenital glaucoma (left eye)"]),
    ("左手臂有一块红色胎记，患有先天性青光眼", ["胎记（左手臂）", "先天性青光眼"],
     ["birthmark (left arm)", "congenital glaucoma"]),
    ("mole on the neck", ["痣（颈部）"], ["mole (neck)"]),
    ("右脸颊有一块硬币大小的红色胎记，左手多指", ["胎记（右脸）", "多指（左手）"],
     ["birthmark (right face)", "polydactyly (left hand)"]),
    # no term of the vocabulary, or only a negated one: kept as typed, in the language typed
    ("wears a red string on her wrist", ["wears a red string on her wrist"], ["wears a red string on her wrist"]),
    ("背部有蒙古斑；没有疤痕", ["蒙古斑（背部）", "没有疤痕"], ["mongolian spot (back)", "没有疤痕"]),
    ("a dragon tattoo, birthmark on the back", ["a dragon tattoo", "胎记（背部）"],
     ["a dragon tattoo", "birthmark (back)"]),
])
def test_known_marks_in_the_languages_words_and_free_text_as_typed(text, zh, en):
    assert list(describe_marks(text, "zh")) == zh
    assert list(describe_marks(text, "en")) == en


def test_every_term_typed_in_either_language_is_said_in_both():
    for term in V.terms.values():
        for typed in (term.zh[0], term.en[0]):
            assert describe_marks(typed, "zh")[0].startswith(term.zh[0]), typed
            assert describe_marks(typed, "en")[0].startswith(term.en[0]), typed


def test_nothing_typed_says_nothing_and_the_language_is_checked():
    assert describe_marks(None, "zh") == () and describe_marks("  ", "en") == ()
    with pytest.raises(InputError, match="lang"):
        describe_marks("mole", "fr")
