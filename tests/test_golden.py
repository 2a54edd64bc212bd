"""Every golden kinship case (computed by forrel 1.9.0, independent software) agrees to 1e-9."""

from __future__ import annotations

import json
import math

import pytest

from reunite.genetics import load_case, missing_person_lr
from reunite.genetics.markers import marker_key
from shared_paths import SHARED

CASES = sorted((SHARED / "kinship-cases").glob("*.json"))


def test_golden_cases_present():
    assert len(CASES) >= 72, f"expected the 72 golden cases in {SHARED / 'kinship-cases'}"


def _close(got: float, want: float) -> bool:
    if want == 0:
        return got == 0
    if got <= 0:
        return False
    rel = abs(got - want) / abs(want)
    return rel < 1e-9 or abs(math.log10(got) - math.log10(want)) < 1e-9


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_case(path):
    spec = json.loads(path.read_text())
    expected = spec["expected"]
    res = missing_person_lr(load_case(path))
    if expected["log10_lr"] is None:
        assert res.lr == 0 and res.log10_lr is None
        assert res.inconsistent_markers, "an exclusion must name its inconsistent markers"
    else:
        assert res.log10_lr is not None
        assert abs(res.log10_lr - expected["log10_lr"]) < 1e-9 or _close(res.lr, expected["lr"])
        assert _close(res.lr, expected["lr"]), (res.lr, expected["lr"])
    got = {marker_key(m.marker): m.lr for m in res.markers}
    for name, want in expected["markers"].items():
        assert _close(got.get(marker_key(name), 1.0), want), (name, got.get(marker_key(name)), want)
