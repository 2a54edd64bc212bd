"""Automatic matching from the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import math

import pytest
from sqlalchemy import select

from reunite.cases.importing import import_families, import_found, import_profiles, import_reports
from reunite.cases.matching import population_context, run_matching
from reunite.cases.models import Candidate, FoundChild, MissingReport
from reunite.evidence import compute_items
from reunite.evidence.fusion import NON_DNA_EXCLUDES_LOG10, nondna_log10
from reunite.genetics import load_frequencies
from reunite.genetics.kinship import KinshipCase, missing_person_lr
from reunite.genetics.markers import parse_profile
from reunite.genetics.mutation import parse_mutation
from reunite.genetics.pedigree import make_pedigree
from reunite.kunming import build_demo, write_demo_files


@pytest.fixture
def files(tmp_path):
    data = build_demo(7)
    # Keep the test small: the infants, their families and a few unrelated reports.
    keep = {r for r in data.truth.values() if r} | {r["report_number"] for r in data.reports[-6:]}
    data.reports = [r for r in data.reports if r["report_number"] in keep]
    data.families = [f for f in data.families if f["family"] in keep]
    samples = {f["sample"] for f in data.families if f["sample"]} | {c["sample"] for c in data.found}
    data.profiles = [p for p in data.profiles if p[0] in samples]
    return data, write_demo_files(data, tmp_path / "in")


def _load(session, paths):
    import_reports(session, paths["reports"], user="t")
    import_found(session, paths["found"], user="t")
    import_profiles(session, paths["profiles"], lab="lab", user="t")
    import_families(session, paths["families"], user="t")


def test_candidates_rank_the_true_family_first_and_equal_the_engine(session, files, tmp_path):
    data, paths = files
    _load(session, paths)
    summary = run_matching(session, index_dir=tmp_path / "ix")
    assert summary.children_searched == 11
    cands = session.scalars(select(Candidate)).all()
    assert cands
    by_child: dict[str, list[Candidate]] = {}
    for c in cands:
        by_child.setdefault(c.found_child.case_number, []).append(c)
    for case, report in data.truth.items():
        dna = sorted((c for c in by_child.get(case, []) if c.dna_log10_lr is not None), key=lambda c: -c.dna_log10_lr)
        if report in data.with_dna:
            assert dna[0].report.report_number == report
            assert dna[0].posterior > 0.99 and dna[0].sex_lr > 1 and dna[0].age_lr > 1
    # One candidate against the kinship engine, from the CSV files themselves.
    c = max(cands, key=lambda c: c.dna_log10_lr or -1)
    report = c.report.report_number
    rows = [r for r in csv.DictReader(open(paths["families"], encoding="utf-8")) if r["family"] == report]
    prof: dict[str, dict] = {}
    for r in csv.DictReader(open(paths["profiles"], encoding="utf-8")):
        prof.setdefault(r["sample"], {})[r["marker"]] = [r["allele1"], r["allele2"]]
    ped = make_pedigree([{"id": r["id"], "father": r["father"] or None, "mother": r["mother"] or None,
                          "sex": r["sex"]} for r in rows])
    gts = {r["id"]: parse_profile(prof[r["sample"]]) for r in rows if r["sample"]}
    child = parse_profile(prof[c.found_child.sample])
    # The matching runs with the bundled published per-marker rates by default; so does the engine here.
    res = missing_person_lr(KinshipCase(ped, gts, "C", child, load_frequencies("nist1036_us_asian"),
                                        parse_mutation("default")), skip_unknown_markers=True)
    assert c.dna_log10_lr == pytest.approx(res.log10_lr, abs=1e-9)


def test_matching_is_idempotent_and_incremental(session, files, tmp_path):
    _data, paths = files
    _load(session, paths)
    first = run_matching(session, index_dir=tmp_path / "ix")
    assert first.candidates["added"] > 0
    again = run_matching(session, index_dir=tmp_path / "ix")
    assert again.candidates["added"] == 0 and again.candidates["updated"] == 0
    assert again.families_recompiled == 0


def test_reports_without_dna_are_ranked_by_other_evidence(session, files, tmp_path):
    data, paths = files
    _load(session, paths)
    run_matching(session, index_dir=tmp_path / "ix")
    no_dna = {r["report_number"] for r in data.reports} - data.with_dna
    nondna = [c for c in session.scalars(select(Candidate)) if not c.has_dna]
    assert nondna and {c.report.report_number for c in nondna} <= no_dna
    # every registered non-DNA item (sex, age, time, place, marks ...) is stored; none of the kept pairs is
    # excluded by them together (LR above 1/100)
    assert all(math.fsum(e.log10_lr for e in c.evidence) > NON_DNA_EXCLUDES_LOG10 for c in nondna)
    assert all({"sex", "time"} <= {e.kind for e in c.evidence} for c in nondna)
    # ... and every pair of a report without DNA that is not kept is one its evidence excludes
    kept = {(c.found_child.case_number, c.report.report_number) for c in nondna}
    context = population_context(session)
    reports = [r for r in session.scalars(select(MissingReport)) if r.report_number in no_dna]
    left_out = [(child, rep) for child in session.scalars(select(FoundChild)) for rep in reports
                if (child.case_number, rep.report_number) not in kept]
    assert left_out, "the demo has pairs its evidence excludes (girls against boys' reports, ages)"
    assert all(nondna_log10(compute_items(child, rep, **context)) <= NON_DNA_EXCLUDES_LOG10
               for child, rep in left_out)


def test_cli_imports_run_the_matching_and_match_takes_a_prior(url, files, tmp_path, monkeypatch, capsys):
    from reunite.cli import main

    _data, paths = files
    monkeypatch.setenv("REUNITE_DATABASE_URL", url)
    monkeypatch.setenv("REUNITE_INDEX_DIR", str(tmp_path / "ix"))
    assert main(["import", "reports", str(paths["reports"]), "--user", "t"]) == 0
    assert main(["import", "found", str(paths["found"]), "--user", "t"]) == 0
    assert main(["import", "profiles", str(paths["profiles"]), "--lab", "lab", "--user", "t"]) == 0
    assert main(["import", "families", str(paths["families"]), "--user", "t"]) == 0
    out = capsys.readouterr().out
    assert "matching: 11 found children searched" in out
    assert main(["match", "--prior", "0.001"]) == 0
    out = capsys.readouterr().out
    assert "0 added" in out and "updated" in out
    from reunite.cases.db import open_session

    with open_session(url) as s:
        assert {c.prior for c in s.scalars(select(Candidate))} == {0.001}


def test_a_family_that_gives_dna_later_updates_its_non_dna_candidates(session, files, tmp_path):
    data, paths = files
    import_reports(session, paths["reports"], user="t")
    import_found(session, paths["found"], user="t")
    run_matching(session, index_dir=tmp_path / "ix")          # no DNA yet: non-DNA candidates only
    before = {(c.found_child.case_number, c.report.report_number) for c in session.scalars(select(Candidate))}
    assert before
    import_profiles(session, paths["profiles"], lab="lab", user="t")
    import_families(session, paths["families"], user="t")
    run_matching(session, index_dir=tmp_path / "ix")
    for c in session.scalars(select(Candidate)):
        report = c.report.report_number
        if report in data.with_dna and c.found_child.sample:
            assert c.dna_lr is not None, (c.found_child.case_number, report)
            if c.dna_lr == 0:
                assert c.posterior == 0.0
            if data.truth.get(c.found_child.case_number) != report:
                assert c.dna_lr == 0 or (c.dna_log10_lr is not None and c.dna_log10_lr < 4)


def test_earlier_candidates_are_updated_with_the_index_mutation_model(session, files, tmp_path):
    _data, paths = files
    stepwise = {"model": "stepwise", "rate": 0.002, "rate2": 1e-06, "range": 0.1}
    import_reports(session, paths["reports"], user="t")
    import_found(session, paths["found"], user="t")
    run_matching(session, index_dir=tmp_path / "ix", mutation=stepwise)   # non-DNA candidates only
    import_profiles(session, paths["profiles"], lab="lab", user="t")
    import_families(session, paths["families"], user="t")
    run_matching(session, index_dir=tmp_path / "ix", mutation=stepwise, min_lr=1e30)  # only earlier ones updated
    prof: dict[str, dict] = {}
    for r in csv.DictReader(open(paths["profiles"], encoding="utf-8")):
        prof.setdefault(r["sample"], {})[r["marker"]] = [r["allele1"], r["allele2"]]
    checked = 0
    for c in session.scalars(select(Candidate)):
        if c.dna_log10_lr is None:
            continue
        rows = [r for r in csv.DictReader(open(paths["families"], encoding="utf-8"))
                if r["family"] == c.report.report_number]
        ped = make_pedigree([{"id": r["id"], "father": r["father"] or None, "mother": r["mother"] or None,
                              "sex": r["sex"]} for r in rows])
        gts = {r["id"]: parse_profile(prof[r["sample"]]) for r in rows if r["sample"]}
        res = missing_person_lr(KinshipCase(ped, gts, "C", parse_profile(prof[c.found_child.sample]),
                                            load_frequencies("nist1036_us_asian"), parse_mutation(stepwise)))
        assert c.dna_log10_lr == pytest.approx(res.log10_lr, abs=1e-9)
        checked += 1
    assert checked
