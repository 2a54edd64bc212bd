"""A found child's own search (寻家): registered as a self-registered found child, matched like one; and the
steps of a case as the portal shows them."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from reunite.cases import import_families, import_found, import_profiles, import_reports
from reunite.cases.matching import run_matching
from reunite.cases.models import AuditEntry, Candidate, DnaSample, FoundChild, MissingReport, Relative, User
from reunite.cases.progress import report_steps, self_search_steps
from reunite.cases.selfsearch import (
    SD_SURE_MONTHS,
    SD_UNSURE_MONTHS,
    Memories,
    give_dna_consent,
    own_self_search,
    register_self_search,
)
from reunite.errors import InputError

from .helpers import write

TODAY = dt.date(2026, 12, 5)
# the profile of R-1's missing boy (the found child KM-001's), typed again from the grown child's swab
GROWN = """\
sample,marker,allele1,allele2
{sample},D3S1358,15,16
{sample},vWA,17,18
{sample},TH01,9.3,9.3
{sample},AMEL,X,Y
"""


@pytest.fixture
def grown(session):
    user = User(name="li.grown", role="family")
    session.add(user)
    session.commit()
    return user


def remembered(**kw) -> Memories:
    base = {"sex": "male", "birth_year": 2013, "birth_year_sure": True, "year_taken": 2013, "age_taken": 0,
            "places": "a river, a red gate, 昭通", "names": "小明", "grew_up": "Jinan, Shandong",
            "marks": "mole on left hand", "story": "my parents told me I was adopted"}
    return Memories(**{**base, **kw})


def states(steps) -> dict[str, str]:
    return {s.name: s.state for s in steps}


def test_a_grown_child_registers_and_is_a_found_child_of_its_kind(session, grown):
    child = register_self_search(session, grown, remembered(), today=TODAY)
    assert child.kind == "self_registered" and child.account_id == grown.id
    assert child.case_number.startswith("XJ-20") and child.sample is None
    # born mid-2013 (the year as a date: 1 July), assessed on 5 Dec 2026: 13 years 5 months
    assert child.age_months == pytest.approx((TODAY - dt.date(2013, 7, 1)).days / 30.4375)
    assert (child.age_sd_months, child.age_assessed_on) == (SD_SURE_MONTHS, TODAY)
    assert (child.found_place, child.found_on, child.marks) == ("Jinan, Shandong", None, "mole on left hand")
    assert child.memories["names"] == "小明" and child.memories["year_taken"] == 2013
    assert own_self_search(session, grown).id == child.id
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "self_search.register")).one()
    assert "小明" not in audit.details and "Jinan" not in audit.details
    with pytest.raises(InputError, match="already"):
        register_self_search(session, grown, remembered(), today=TODAY)


def test_unsure_year_of_birth_widens_the_age_and_no_year_no_age(session, grown):
    child = register_self_search(session, grown, remembered(birth_year_sure=False), today=TODAY)
    assert child.age_sd_months == SD_UNSURE_MONTHS
    other = User(name="other.grown", role="family")
    session.add(other)
    session.commit()
    child = register_self_search(session, other, remembered(birth_year=None, year_taken=None, age_taken=None))
    assert child.age_months is None and child.age_assessed_on is None


@pytest.mark.parametrize("kw, field", [
    ({"year_taken": 2010}, "year_taken"),                   # taken before being born
    ({"birth_year": 1900}, "birth_year"),                   # impossible years
    ({"year_taken": 2999}, "year_taken"),
    ({"age_taken": 30}, "age_taken"),
    ({"year_taken": 2020, "age_taken": 1}, "age_taken"),    # 2013 + 1 is not 2020
    ({"places": "", "names": "", "story": " "}, "places"),  # nothing remembered
    ({"sex": "boy"}, "sex"),
])
def test_impossible_memories_are_refused_by_field(session, grown, kw, field):
    with pytest.raises(InputError) as err:
        register_self_search(session, grown, remembered(**kw), today=TODAY)
    assert [p.field for p in err.value.problems] == [field]
    assert session.scalars(select(FoundChild)).first() is None


def test_consent_gives_a_sample_code_and_the_dna_matches_the_family(session, grown, files, tmp_path):
    import_found(session, files["found"])
    import_reports(session, files["reports"])
    import_profiles(session, files["profiles"], lab="Kunming lab")
    import_families(session, files["families"])
    child = register_self_search(session, grown, remembered(), today=TODAY)
    steps = states(self_search_steps(session, child))
    assert steps == {"registered": "done", "dna_consent": "current", "sample_given": "todo", "profile_typed": "todo",
                     "searched": "todo", "under_review": "todo", "outcome": "todo"}
    give_dna_consent(session, child, user=grown.name)
    assert child.sample == f"{child.case_number}-DNA" and child.dna_consent_at is not None
    assert states(self_search_steps(session, child))["sample_given"] == "current"
    import_profiles(session, write(tmp_path / "grown.csv", GROWN.format(sample=child.sample)), lab="Kunming lab")
    assert states(self_search_steps(session, child))["searched"] == "current"   # typed, the matching owed
    run_matching(session, index_dir=tmp_path / "index")
    cand = session.scalars(select(Candidate).where(Candidate.found_child_id == child.id)).all()
    report_of = {c.report.report_number: c for c in cand}
    assert "R-1" in report_of and report_of["R-1"].dna_log10_lr > 1   # matched like the rescued KM-001
    assert states(self_search_steps(session, child))["under_review"] == "current"


def test_report_steps_follow_the_case(session, files, tmp_path):
    import_found(session, files["found"])
    import_reports(session, files["reports"])
    rep = session.scalars(select(MissingReport).where(MissingReport.report_number == "R-1")).one()
    assert states(report_steps(session, rep))["relatives_named"] == "current"
    rep.relatives.append(Relative(member_id="web-1", relation="mother", consent_given=True,
                                  consent_scope="this_report"))
    session.commit()
    assert states(report_steps(session, rep))["sample_given"] == "current"
    import_families(session, files["families"])   # the lab registers the relatives' swabs
    session.refresh(rep)
    assert states(report_steps(session, rep))["profile_typed"] == "current"
    import_profiles(session, files["profiles"], lab="Kunming lab")
    assert states(report_steps(session, rep))["searched"] == "current"
    run_matching(session, index_dir=tmp_path / "index")
    session.refresh(rep)
    assert states(report_steps(session, rep))["under_review"] == "current"
    cand = session.scalars(select(Candidate).where(Candidate.report_id == rep.id)).first()
    cand.status = "confirmed"
    session.commit()
    assert set(states(report_steps(session, rep)).values()) == {"done"}


def test_a_grown_child_withdraws_dna_consent_everywhere(session, grown, files, tmp_path):
    from reunite.cases.models import WithdrawalReason, WrittenFile
    from reunite.cases.privacy import register_written_file
    from reunite.cases.selfsearch import withdraw_dna_consent

    import_reports(session, files["reports"])
    import_profiles(session, files["profiles"], lab="Kunming lab")
    import_families(session, files["families"])
    child = register_self_search(session, grown, remembered(), today=TODAY)
    with pytest.raises(InputError, match="no DNA consent"):
        withdraw_dna_consent(session, child, user=grown.name)
    give_dna_consent(session, child, user=grown.name)
    first = child.sample
    import_profiles(session, write(tmp_path / "grown.csv", GROWN.format(sample=first)), lab="Kunming lab")
    run_matching(session, index_dir=tmp_path / "index")
    cand = next(c for c in session.scalars(select(Candidate).where(Candidate.found_child_id == child.id)) if c.has_dna)
    report_file, export_file = tmp_path / "candidate.html", tmp_path / "export.csv"
    for f, kind in ((report_file, "report"), (export_file, "export")):
        f.write_text("15,16 17,18")
        register_written_file(session, f, kind=kind, user="lab", candidate_id=cand.id if kind == "report" else None)
    done = withdraw_dna_consent(session, child, user=grown.name, reason="I call 13800138000 if needed")
    assert done == {"sample": first, "candidates_marked": 1, "index_files": 0, "reports": 1, "exports": 1,
                    "posters": 0}
    assert not report_file.exists() and not export_file.exists()
    # (the index directory stays registered: it holds families, never a found child's profile)
    assert session.scalars(select(WrittenFile).where(WrittenFile.kind != "index")).first() is None
    s = session.scalars(select(DnaSample).where(DnaSample.sample == first)).one()
    assert s.erased and not s.genotypes and child.dna_consent_at is None
    session.refresh(cand)
    assert cand.dna_withdrawn and cand.dna_lr is None
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "self_search.withdraw")).one()
    assert "13800138000" not in audit.details
    assert session.scalars(select(WithdrawalReason)).one().reason.startswith("I call")
    assert states(self_search_steps(session, child))["dna_consent"] == "current"
    # agreeing again gives a new code: the erased sample cannot be imported again
    give_dna_consent(session, child, user=grown.name)
    assert child.sample == f"{child.case_number}-DNA2"
