"""Consent withdrawal: the genotype is erased, the candidates it supported are marked, matching keeps it out."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reunite.cases.importing import import_families, import_found, import_profiles, import_reports
from reunite.cases.matching import run_matching
from reunite.cases.models import AuditEntry, Candidate, DnaSample, Relative
from reunite.cases.records import withdraw_consent
from reunite.errors import InputError
from reunite.kunming import build_demo, write_demo_files


@pytest.fixture
def loaded(session, tmp_path):
    data = build_demo(11)
    keep = {r for r in data.truth.values() if r}
    data.reports = [r for r in data.reports if r["report_number"] in keep]
    data.families = [f for f in data.families if f["family"] in keep]
    samples = {f["sample"] for f in data.families if f["sample"]} | {c["sample"] for c in data.found}
    data.profiles = [p for p in data.profiles if p[0] in samples]
    paths = write_demo_files(data, tmp_path / "in")
    import_reports(session, paths["reports"], user="t")
    import_found(session, paths["found"], user="t")
    import_profiles(session, paths["profiles"], lab="lab", user="t")
    import_families(session, paths["families"], user="t")
    run_matching(session, index_dir=tmp_path / "ix")
    return data


def _best(session):
    return max((c for c in session.scalars(select(Candidate)) if c.dna_log10_lr is not None),
               key=lambda c: c.dna_log10_lr)


def test_withdrawal_erases_marks_and_stays_out_of_matching(session, loaded, tmp_path):
    best = _best(session)
    report = best.report.report_number
    relatives = session.scalars(select(Relative).where(Relative.report_id == best.report_id)).all()
    typed = [d for d in relatives if d.sample]
    assert typed
    for d in typed:
        done = withdraw_consent(session, report, d.member_id, user="officer", reason="the relative withdrew consent")
        assert done["sample"] == d.sample
    session.refresh(best)
    assert best.dna_withdrawn and best.dna_lr is None and best.dna_log10_lr is None
    for d in typed:
        s = session.scalars(select(DnaSample).where(DnaSample.sample == d.sample)).one()
        assert s.erased and s.genotypes == {}
        assert d.consent_given is False
    actions = [e.action for e in session.scalars(select(AuditEntry))]
    assert actions.count("consent.withdraw") == len(typed) and "sample.erase" in actions
    # Matching again does not bring the DNA back.
    run_matching(session, index_dir=tmp_path / "ix")
    session.refresh(best)
    assert best.dna_lr is None and best.dna_withdrawn


def test_withdrawal_needs_a_reason_and_a_known_relative(session, loaded):
    best = _best(session)
    with pytest.raises(InputError, match="reason"):
        withdraw_consent(session, best.report.report_number, "M", user="officer", reason=" ")
    with pytest.raises(InputError, match="no relative"):
        withdraw_consent(session, best.report.report_number, "nobody", user="officer", reason="x")


def test_relatives_declared_on_the_web_survive_a_families_import(session, tmp_path):
    from reunite.cases.models import MissingReport

    paths = write_demo_files(build_demo(3), tmp_path / "in")
    import_reports(session, paths["reports"], user="t")
    rep = session.scalars(select(MissingReport)).first()
    session.add(Relative(report_id=rep.id, member_id="web-1", relation="mother", consent_given=True,
                               consent_scope="this_report"))
    session.commit()
    import_families(session, paths["families"], user="t")
    session.refresh(rep)
    relatives = {d.member_id: d for d in rep.relatives}
    assert "web-1" in relatives
    if "M" in relatives:  # the mother typed in the file takes the consent she gave on the web
        assert relatives["M"].consent_given is True and relatives["M"].consent_scope == "this_report"
    import_families(session, paths["families"], user="t")   # idempotent
    session.refresh(rep)
    assert {d.member_id for d in rep.relatives} == set(relatives)
