"""Candidates keep what produced them (table, mutation model, theta, rules, version) and the rules'
conclusion; the rules decide which pairs become candidates; a report uses the stored settings only."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

import reunite
from reunite.cases import db as store
from reunite.cases.matching import run_matching
from reunite.cases.models import Candidate, FoundChild, FrequencyTableContent
from reunite.cases.provenance import read_table, stored_mutation, stored_table
from reunite.cases.records import record_candidate
from reunite.demo import build_report_example
from reunite.errors import InputError
from reunite.reports.store import candidate_report


@pytest.fixture
def trio(url, tmp_path):
    """The trio example (one paternal mutation) and two unrelated found children, matched."""
    ex = build_report_example("trio-mutation", tmp_path / "ex", url=url, unrelated=2)
    with sessionmaker(store.make_engine(url), expire_on_commit=False)() as s:
        yield ex, s


def _cand(s, case: str) -> Candidate | None:
    return s.scalars(select(Candidate).join(Candidate.found_child).where(FoundChild.case_number == case)).first()


def test_a_candidate_stores_what_produced_it(trio):
    ex, s = trio
    c = s.get(Candidate, ex["candidate"])
    assert c.frequencies == "nist1036_us_asian"
    _table, text = read_table("nist1036_us_asian")
    assert c.frequencies_sha256 == hashlib.sha256(text.encode()).hexdigest()
    row = s.scalars(select(FrequencyTableContent)).one()       # stored once
    assert row.content == text and row.sha256 == c.frequencies_sha256
    assert c.mutation_model["spec"] == "published_rates"
    assert c.mutation_model["description"].startswith("published per-locus rates")
    assert stored_mutation(c.mutation_model).for_marker("FGA").male.rate == 0.0028
    assert c.theta == 0.0 and c.rules == "gbt" and c.software_version == reunite.__version__
    assert c.dna_decision == "support" and not c.dna_excluded
    k = c.dna_conclusion
    assert k["rule_id"] == "gbt37223-trio" and k["relationship"] == "parentage_trio"
    assert k["decision"] == "support" and "GB/T 37223" in k["source"] and k["reason"] and k["reason_zh"]
    assert c.inconsistent_markers == 1 and c.dna_log10_lr > 4


def test_a_pair_the_rules_exclude_never_becomes_a_candidate(url, tmp_path):
    ex = build_report_example("trio-mutation", tmp_path / "ex", url=url, unrelated=3)
    with sessionmaker(store.make_engine(url), expire_on_commit=False)() as s:
        # Every pair with LR > 0 is a hit at min_lr 0: the unrelated children have 3+ inconsistent markers.
        summary = run_matching(s, frequencies="nist1036_us_asian", min_lr=0.0, prior=0.001)
        assert summary.excluded_pairs >= 3
        for i in range(3):
            assert _cand(s, f"KM-2014-{101 + i}") is None
        assert s.get(Candidate, ex["candidate"]).dna_decision == "support"


def test_an_existing_candidate_the_rules_exclude_keeps_its_row_with_posterior_0(trio):
    _ex, s = trio
    # A candidate recorded earlier (e.g. before the rules) for an unrelated child.
    cand, what = record_candidate(s, "KM-2014-101", "YN-2013-017", dna_log10_lr=2.0, prior=0.001, commit=True)
    assert what == "added" and cand.posterior > 0 and cand.dna_decision is None
    summary = run_matching(s, frequencies="nist1036_us_asian", prior=0.001)
    s.expire_all()
    cand = _cand(s, "KM-2014-101")
    assert cand is not None and cand.status == "new"              # shown, not hidden
    assert cand.dna_excluded and cand.dna_decision == "exclusion" and cand.posterior == 0.0
    assert cand.dna_conclusion["reason"] and cand.dna_conclusion["excluded"]
    assert cand.rules == "gbt" and cand.frequencies_sha256
    assert summary.candidates_excluded >= 1
    # Running again changes nothing.
    again = run_matching(s, frequencies="nist1036_us_asian", prior=0.001)
    assert again.candidates["added"] == again.candidates["updated"] == 0


def test_the_report_uses_the_stored_settings_not_the_environment(trio, monkeypatch):
    ex, s = trio
    before = candidate_report(s, ex["candidate"], user="李分析师")
    monkeypatch.setenv("REUNITE_FREQUENCIES", "nist1036_us_caucasian")
    monkeypatch.setenv("REUNITE_MUTATION", "none")
    monkeypatch.setenv("REUNITE_RULES", "isfg")
    after = candidate_report(s, ex["candidate"], user="李分析师")
    assert after.canonical_json() == before.canonical_json()
    assert after.content_hash == before.content_hash
    assert after.rules == "gbt" and after.lang == "zh" and after.conclusion.decision == "support"
    assert after.assumptions.frequency_table == "nist1036_us_asian"
    assert after.result.mutation != "none"


def test_the_report_prints_the_stored_prior_and_posterior(trio):
    ex, s = trio
    c = s.get(Candidate, ex["candidate"])
    rep = candidate_report(s, c.id, user="李分析师")
    assert rep.prior == c.prior == 0.001
    assert rep.posterior == c.posterior


def test_a_tampered_table_is_refused(trio):
    _ex, s = trio
    row = s.scalars(select(FrequencyTableContent)).one()
    row.content = row.content.replace("0.", "0.0", 1)
    s.commit()
    with pytest.raises(InputError, match="does not match its sha256"):
        stored_table(s, row.sha256)


def test_a_candidate_without_provenance_is_not_printed_from_the_environment(trio):
    _ex, s = trio
    cand, _ = record_candidate(s, "KM-2014-102", "YN-2013-017", dna_log10_lr=1.0, prior=0.001, commit=True)
    with pytest.raises(InputError, match="no stored DNA provenance"):
        candidate_report(s, cand.id)


@pytest.mark.parametrize("log10", [-340.0, 350.0])
def test_an_lr_beyond_1e300_is_stored_as_its_log10(session, files, log10):
    from reunite.cases import import_families, import_found, import_profiles, import_reports

    import_reports(session, files["reports"], user="t")
    import_found(session, files["found"], user="t")
    import_profiles(session, files["profiles"], lab="lab", user="t")
    import_families(session, files["families"], user="t")
    cand, _ = record_candidate(session, "KM-001", "R-1", dna_log10_lr=log10, prior=0.5, commit=True)
    session.expire_all()
    cand = session.get(Candidate, cand.id)
    assert cand.dna_lr is None and cand.dna_log10_lr == log10
    assert cand.posterior == (0.0 if log10 < 0 else 1.0)


def test_the_report_of_an_excluded_candidate_says_so_with_posterior_0(trio):
    from reunite.reports.kinship import view

    _ex, s = trio
    record_candidate(s, "KM-2014-101", "YN-2013-017", dna_log10_lr=2.0, prior=0.001, commit=True)
    run_matching(s, frequencies="nist1036_us_asian", prior=0.001)
    cand = _cand(s, "KM-2014-101")
    rep = candidate_report(s, cand.id, user="李分析师")
    assert rep.conclusion.excluded and rep.conclusion.decision == "exclusion"
    assert rep.posterior == 0.0 == cand.posterior
    v = view(rep)
    assert v["exclusion"] and dict(v["conclusion"])["判定"] == "排除"
    assert dict(v["odds"])["H1 的后验概率"] == "0（DNA 鉴定意见排除）"


def test_rules_come_from_the_environment_validated():
    from reunite.cases.settings import MatchingSettings

    assert MatchingSettings.from_env({}).rules == "gbt"
    settings = MatchingSettings.from_env({"REUNITE_RULES": " ISFG "})
    assert settings.rules == "isfg" and settings.matching_kwargs()["rules"] == "isfg"
    with pytest.raises(InputError, match="REUNITE_RULES must be one of gbt, isfg"):
        MatchingSettings.from_env({"REUNITE_RULES": "nrc"})
    with pytest.raises(InputError, match="rules must be one of"):
        run_matching(None, rules="nrc")


def test_a_table_edited_under_the_same_name_rebuilds_the_index_and_is_stored_again(url, tmp_path):
    from reunite.cases.provenance import read_table

    _t, text = read_table("nist1036_us_asian")
    path = tmp_path / "lab_table.csv"
    path.write_text(text, encoding="utf-8")
    ex = build_report_example("trio-mutation", tmp_path / "ex", url=url)
    with sessionmaker(store.make_engine(url), expire_on_commit=False)() as s:
        run_matching(s, frequencies=str(path), prior=0.001, index_dir=tmp_path / "index")
        first = s.get(Candidate, ex["candidate"]).frequencies_sha256
        # The lab corrects one frequency pair (the sums stay 1): same name, new content.
        lines = text.splitlines()
        marker = lines[1].split(",")[0]
        rows = [i for i, line in enumerate(lines) if line.startswith(marker + ",")]
        a, b = (lines[i].split(",") for i in rows[:2])
        a[2], b[2] = f"{float(a[2]) + 0.001:.6g}", f"{float(b[2]) - 0.001:.6g}"
        lines[rows[0]], lines[rows[1]] = ",".join(a), ",".join(b)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        summary = run_matching(s, frequencies=str(path), prior=0.001, index_dir=tmp_path / "index")
        assert summary.families_recompiled == 1
        s.expire_all()
        second = s.get(Candidate, ex["candidate"]).frequencies_sha256
        assert second != first and s.get(Candidate, ex["candidate"]).frequencies == "lab_table"
        assert {r.sha256 for r in s.scalars(select(FrequencyTableContent))} == {first, second}


def test_candidates_show_says_what_computed_it(trio, monkeypatch, capsys):
    from reunite.cli import main

    ex, s = trio
    monkeypatch.setenv("REUNITE_DATABASE_URL", str(s.get_bind().url.render_as_string(hide_password=False)))
    assert main(["candidates", "show", str(ex["candidate"])]) == 0
    out = capsys.readouterr().out
    assert "DNA conclusion     support (gbt: gbt37223-trio, parentage_trio)" in out
    assert "computed with      nist1036_us_asian (sha256 " in out and "published per-locus rates" in out


def test_a_report_whose_conclusion_differs_from_the_stored_one_says_so(trio):
    ex, s = trio
    c = s.get(Candidate, ex["candidate"])
    c.dna_conclusion = {**c.dna_conclusion, "decision": "inconclusive"}
    c.dna_decision = "inconclusive"
    s.commit()
    rep = candidate_report(s, c.id, user="李分析师")
    assert rep.conclusion.decision == "support"
    assert any("stored at matching" in n and "'inconclusive'" in n for n in rep.assumptions.notes)
    from reunite.reports.kinship import view

    shown = [value for key, value in view(rep)["method"] if key == "说明"]
    assert any("比对时" in n and "inconclusive" in n for n in shown)
