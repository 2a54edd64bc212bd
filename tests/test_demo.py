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


def test_the_cohort_identifies_the_infants_whose_families_gave_dna_and_none_wrongly(demo):
    _out, result, text = demo
    truth, with_dna = result["truth"], result["with_dna"]
    conclusions = {c["found"]: c for c in result["cohort"]["conclusions"]}
    assert set(conclusions) == set(truth)
    identified = 0
    for case, report in truth.items():
        c = conclusions[case]
        if c["conclusion"] in ("identified", "probable", "disputed"):
            assert c["family"] == report, (case, c["family"], report)      # never a wrong family
        if report is not None and report in with_dna:
            assert c["conclusion"] == "identified", (case, c["conclusion"], c["note"])
            identified += 1
        else:
            assert c["conclusion"] in ("excluded", "no_match", "inconclusive"), (case, c["conclusion"])
    assert identified >= 7
    assert "as one cohort (KM-2014-RESCUE)" in text and "identified" in text


def test_the_families_of_the_unidentified_infants_are_told_whom_to_swab(demo):
    _out, result, text = demo
    asked = result["cohort"]["guidance_for"]
    assert asked and all(r not in result["with_dna"] for r in asked)
    assert "Which relatives to swab" in text and "Swabbing the father" in text and "再采集" in text


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
    from reunite.evidence.face import faces_available

    out, _result, _text = demo
    with open_session(f"sqlite:///{out / 'reunite-demo.db'}") as s:   # (the demo's settings: its photographs too)
        summary = run_matching(s, index_dir=out / "index", faces=faces_available(), media=out / "media")
    assert summary.candidates["added"] == 0 and summary.candidates["updated"] == 0
    assert summary.candidates["unchanged"] > 0
    assert summary.families_recompiled == 0


def test_demo_command(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "d")]) == 0
    out = capsys.readouterr().out
    assert "KM-2014-001" in out and "Kunming" in out
    assert (tmp_path / "d" / "reunite-demo.db").exists()


def test_the_demo_shows_place_marks_and_photographs_beside_dna(demo):
    """The glaucoma case (one infant, and its family's report without DNA), the photographs (licensed
    stand-ins) and the place: each a line with its LR and its sentence, in English and Chinese."""
    from sqlalchemy import select

    from reunite.cases.db import open_session
    from reunite.cases.models import Candidate
    from reunite.evidence.face import faces_available

    out, result, text = demo
    glaucoma = next(case for case, rep in result["truth"].items() if rep and rep not in result["with_dna"])
    assert "Evidence beside DNA for the infants without a DNA match" in text
    block = text.split(f"  {glaucoma}: ")[1].split("\n  KM-")[0]
    best = block.splitlines()[1]
    assert best.split()[0] == result["truth"][glaucoma]            # the true report first
    assert "marks and conditions 1,000" in best
    assert "体征与疾病：体征与疾病证据在" in block and "1,000 times more probable" in block
    assert "place (lost in 云南省" in block and "found in 云南省昆明市): LR" in block
    with open_session(f"sqlite:///{out / 'reunite-demo.db'}") as s:
        cand = s.scalars(select(Candidate).where(Candidate.found_child.has(case_number=glaucoma),
                                                 Candidate.report.has(report_number=result["truth"][glaucoma]))).one()
        marks = cand.item("marks")
        assert marks.data["terms"][0]["term"] == "congenital_glaucoma" and marks.data["terms"][0]["outcome"] == "both"
        assert not cand.has_dna and cand.posterior < 0.99
        if faces_available():
            # the same person on both photographs, but the glaucoma shows on a face: counted by the marks only
            assert "photographs 1 " in best + " " and cand.item("face").data["counted_by_marks"] == [
                "congenital_glaucoma"]
            faced = [c for c in s.scalars(select(Candidate)) if c.item("face") is not None]
            assert any(c.item("face").log10_lr > 0 for c in faced)       # the other pair of photographs: LR 1.2
