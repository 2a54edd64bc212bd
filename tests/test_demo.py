"""The Kunming demo end to end: every rescued infant whose family gave DNA is ranked first."""

from __future__ import annotations

import pytest

from reunite.cli import main


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from reunite.kunming import run_demo

    out = tmp_path_factory.mktemp("demo")
    lines: list[str] = []
    result = run_demo(out, echo=lines.append)
    return out, result, "\n".join(lines)


def test_every_infant_with_a_typed_family_is_ranked_first(demo):
    _out, result, _text = demo
    truth, ranking, with_dna = result["truth"], result["ranking"], result["with_dna"]
    assert len(truth) == 11
    checked = 0
    for case, report in truth.items():
        ranked = ranking[case]
        if report is not None and report in with_dna:
            assert ranked, case
            best, log10_lr, posterior = ranked[0]
            assert best == report, (case, ranked[:3])
            assert log10_lr > 6 and posterior > 0.99
            checked += 1
        else:
            # No DNA from the family: no DNA candidate may pass as this child's family.
            assert all(lg is None or lg < 4 for _r, lg, _p in ranked), (case, ranked[:3])
    assert checked >= 7


def test_infants_without_dna_get_families_to_ask_first(demo):
    _out, _result, text = demo
    assert "ask for DNA first" in text
    assert "SUSPECTED SALE" in text


def test_demo_store_is_consistent(demo):
    from reunite.cases.audit import verify_audit
    from reunite.cases.db import open_session

    out, _result, _text = demo
    with open_session(f"sqlite:///{out / 'reunite-demo.db'}") as s:
        assert verify_audit(s) is None


def test_matching_again_changes_nothing(demo):
    from reunite.cases.db import open_session
    from reunite.cases.matching import run_matching

    out, _result, _text = demo
    with open_session(f"sqlite:///{out / 'reunite-demo.db'}") as s:
        summary = run_matching(s, index_dir=out / "index")
    assert summary.candidates["added"] == 0 and summary.candidates["updated"] == 0
    assert summary.candidates["unchanged"] > 0
    assert summary.families_recompiled == 0


def test_demo_command(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "d")]) == 0
    out = capsys.readouterr().out
    assert "KM-2014-001" in out and "Kunming" in out
    assert (tmp_path / "d" / "reunite-demo.db").exists()
