"""Search hits beyond 10^±300: the LR is said by its log10 (``lr`` None), never printed as 0 or ranked
as an exclusion; LR 0 (an exclusion) is ``log10_lr`` None."""

from __future__ import annotations

from reunite.search.hits import SearchHit, _passes, _rank, lr_from_log10


def test_lr_from_log10_never_underflows_to_zero():
    assert lr_from_log10(None) == 0.0
    assert lr_from_log10(-340.0) is None and lr_from_log10(400.0) is None
    assert lr_from_log10(-300.0) == 1e-300 and lr_from_log10(2.0) == 100.0


def test_a_tiny_lr_ranks_above_an_exclusion_and_reads_as_null():
    tiny = SearchHit("F1", "S", lr_from_log10(-340.0), -340.0, 0, 60)
    zero = SearchHit("F2", "S", 0.0, None, 4, 60)
    assert sorted([zero, tiny], key=lambda c: _rank(c, "family"))[0] is tiny
    d = tiny.as_dict()
    assert d["lr"] is None and d["log10_lr"] == -340.0
    assert not tiny.flagged
    assert _passes(tiny, 0.0) and not _passes(tiny, 1e-300) and _passes(tiny, 0.0)
    assert not _passes(zero, 1e-300) and _passes(zero, 0.0)
