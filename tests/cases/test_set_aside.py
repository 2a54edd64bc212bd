"""Matching from the store when a family's own relatives are inconsistent without mutation: the
family is set aside (the run goes on), stays so until its DNA changes, and the index says why.
These runs ask for the mutation-free matching (mutation=None); the default model indexes the family."""

from __future__ import annotations

from reunite.cases.importing import import_families, import_found, import_profiles, import_reports
from reunite.cases.matching import run_matching
from reunite.search.index import index_status

from .helpers import FAMILIES, PROFILES, write

# R-1 gains a brother S, 20/20 at vWA, where the father is 17/17.
SIBLING_PROFILE = PROFILES + """\
S-S1,D3S1358,15,16
S-S1,vWA,20,20
S-S1,TH01,9.3,9.3
"""
SIBLING_FAMILY = FAMILIES + "R-1,S,F,M,male,S-S1,0\n"


def test_an_inconsistent_family_is_set_aside_and_the_index_says_why(session, files, tmp_path):
    import_reports(session, files["reports"], user="t")
    import_found(session, files["found"], user="t")
    import_profiles(session, write(tmp_path / "p.csv", SIBLING_PROFILE), lab="lab", user="t")
    import_families(session, write(tmp_path / "f.csv", SIBLING_FAMILY), user="t")
    first = run_matching(session, index_dir=tmp_path / "ix", mutation=None)
    assert first.families_indexed == 0 and first.families_recompiled == 1
    (entry,) = index_status(tmp_path / "ix")["set_aside"]
    assert (entry["family"], entry["members"], entry["marker"]) == ("R-1", ["F", "S"], "vWA")
    again = run_matching(session, index_dir=tmp_path / "ix", mutation=None)
    assert again.families_recompiled == 0
    assert [e["family"] for e in index_status(tmp_path / "ix")["set_aside"]] == ["R-1"]


def test_a_family_set_aside_later_keeps_its_earlier_dna_evidence(session, files, tmp_path):
    from sqlalchemy import select

    from reunite.cases.models import Candidate

    import_reports(session, files["reports"], user="t")
    import_found(session, files["found"], user="t")
    import_profiles(session, write(tmp_path / "p.csv", SIBLING_PROFILE), lab="lab", user="t")
    import_families(session, files["families"], user="t")
    run_matching(session, index_dir=tmp_path / "ix", mutation=None)
    before = {(c.found_child.case_number, c.report.report_number): c.dna_log10_lr
              for c in session.scalars(select(Candidate))}
    assert before.get(("KM-001", "R-1")) is not None
    import_families(session, write(tmp_path / "f.csv", SIBLING_FAMILY), user="t")
    summary = run_matching(session, index_dir=tmp_path / "ix", mutation=None)   # no error: R-1 is set aside
    assert summary.families_indexed == 0
    assert [e["family"] for e in index_status(tmp_path / "ix")["set_aside"]] == ["R-1"]
    after = {(c.found_child.case_number, c.report.report_number): c.dna_log10_lr
             for c in session.scalars(select(Candidate))}
    assert after[("KM-001", "R-1")] == before[("KM-001", "R-1")]
