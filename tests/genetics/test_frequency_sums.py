"""A frequency table is accepted only if each marker's frequencies sum to 1 at 3 decimals
(``round(sum, 3) == 1``, ../shared/KINSHIP.md), and the error names the marker and the sum."""

from __future__ import annotations

import pytest

from reunite.errors import FrequencyError
from reunite.genetics.frequencies import bundled_tables, load_frequencies


def _table(total: float, n: int = 4) -> dict:
    first = total - 0.2 * (n - 1)
    return {"D3S1358": {str(10 + i): (first if i == 0 else 0.2) for i in range(n)},
            "TH01": {"6": 0.5, "7": 0.5}}


@pytest.mark.parametrize("total", [0.995, 1.008, 0.9994, 1.0006, 0.99])
def test_sums_off_at_three_decimals_are_rejected(total):
    with pytest.raises(FrequencyError) as err:
        load_frequencies(_table(total))
    msg = str(err.value)
    assert "D3S1358" in msg and f"{total:.6g}" in msg and "3 decimals" in msg
    assert "TH01" not in msg


@pytest.mark.parametrize("total", [0.9996, 1.0004, 1.0])
def test_sums_that_round_to_one_are_accepted(total):
    table = load_frequencies(_table(total))
    assert table["D3S1358"].freqs.sum() == pytest.approx(total, abs=1e-12)   # used as given


def test_csv_sum_error_names_marker_and_sum(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("marker,allele,frequency\nvWA,14,0.5\nvWA,15,0.495\nFGA,20,1\n", encoding="utf-8")
    with pytest.raises(FrequencyError) as err:
        load_frequencies(path)
    assert "vWA" in str(err.value) and "0.995" in str(err.value) and "FGA" not in str(err.value)


def test_every_problem_is_reported_together():
    spec = {"D3S1358": {"10": 0.5, "11": 0.495}, "TH01": {"6": 0.5, "7": 0.508}}
    with pytest.raises(FrequencyError) as err:
        load_frequencies(spec)
    assert len(err.value.problems) == 2


@pytest.mark.parametrize("name", bundled_tables())
def test_bundled_tables_pass(name):
    table = load_frequencies(name)
    assert all(round(float(m.freqs.sum()), 3) == 1.0 for m in table.markers.values())
