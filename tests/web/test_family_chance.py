"""The family's sampling advice says how often a test gives a clear answer in words right for every
probability: never "100 of 100" (约每100次中有100次) for a chance just below one, never "0 of 100" for one
just above zero, and the number said is the probability rounded (checked by hand at the edges)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reunite.web.cohort_view import chance_words, family_guidance_lines
from reunite.web.i18n import translator

EN, ZH = translator("en"), translator("zh")


@pytest.mark.parametrize(("p", "en", "zh"), [
    (0.0, "in fewer than 1 of 100 cases", "每100次中不到1次"),
    (0.004, "in fewer than 1 of 100 cases", "每100次中不到1次"),
    (0.005, "in about 1 of 100 cases", "大约每100次中有1次"),
    (0.42, "in about 42 of 100 cases", "大约每100次中有42次"),
    (0.9949, "in about 99 of 100 cases", "大约每100次中有99次"),
    (0.995, "almost every time", "几乎每次都"),     # rounds to 100: "100 of 100" would be wrong
    (0.9996, "almost every time", "几乎每次都"),
    (1.0, "almost every time", "几乎每次都"),
])
def test_the_ends_and_the_middle(p, en, zh):
    assert chance_words(p, EN) == en and chance_words(p, ZH) == zh


def _guidance(p_now: float, p_one: float, p_two: float, typed: bool) -> dict:
    return {"swab": {"p_now": p_now, "options": [{"swab": ["M"], "relation": ["mother"], "p": p_one},
                                                 {"swab": ["F", "B"], "relation": ["father", "brother"],
                                                  "p": p_two}]},
            "typed": {"relatives": ["X"] if typed else []}}


probability = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@given(p=probability)
def test_the_number_said_is_the_probability_rounded_and_never_0_or_100(p):
    for t, pattern in ((EN, r"about (\d+) of 100"), (ZH, r"每100次中有(\d+)次")):
        words = chance_words(p, t)
        m = re.search(pattern, words)
        if m:
            n = int(m.group(1))
            assert 1 <= n <= 99 and abs(n - 100 * p) <= 0.5 + 1e-9
        else:
            assert (p >= 0.995 and words == t("guidance.chance.almost_always")) or \
                   (p < 0.005 and words == t("guidance.chance.almost_never"))


@given(p_now=st.floats(0.0, 0.989), p_one=probability, p_two=probability, typed=st.booleans())
def test_no_line_of_the_advice_says_100_of_100_or_0_of_100(p_now, p_one, p_two, typed):
    g = _guidance(p_now, p_one, p_two, typed)
    for t in (EN, ZH):
        text = " ".join(family_guidance_lines(g, t))
        assert not re.search(r"有(100|0)次|\b(100|0) of 100", text), text
        assert "{" not in text
    zh = " ".join(family_guidance_lines(g, ZH))
    assert not re.search(r"[a-z]", zh), zh   # (DNA stays as it is)


@pytest.mark.parametrize(("p", "words"), [(0.0, "0%"), (0.0004, "< 0.1%"), (0.0006, "0.1%"),
                                          (0.4234, "42.3%"), (0.07, "7%"), (0.9994, "99.9%"), (0.9996, "> 99.9%"),
                                          (1.0, "100%")])
def test_the_staff_advice_percentages(p, words):
    from reunite.genetics.guidance import percent_words

    assert percent_words(p) == words


@given(p=probability)
def test_a_percentage_says_certain_or_impossible_only_when_it_is(p):
    from reunite.genetics.guidance import percent_words

    words = percent_words(p)
    assert (words == "100%") == (p == 1.0) and (words == "0%") == (p == 0.0)
    if words[0].isdigit():
        assert abs(float(words.rstrip("%")) - 100 * p) <= 0.05 + 1e-9
