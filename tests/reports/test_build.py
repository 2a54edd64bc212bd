"""Building a report from a case and its result: the table, the assumptions, prior and posterior."""

from __future__ import annotations

import copy
import math

import pytest

import reunite
import reunite.reports as reports
from reunite.errors import InputError
from reunite.genetics import bundled_tables, load_case, missing_person_lr
from reunite.reports import EvidenceLR, build_report
from reunite.reports.kinship import _bundled_source, view

from .helpers import report_from


def test_public_api():
    assert set(reports.__all__) >= {"KinshipReport", "build_report", "render_html", "render_pdf",
                                    "MissingFontError", "find_cjk_font", "EvidenceLR"}
    for name in reports.__all__:
        assert getattr(reports, name).__doc__, name


def test_the_table_follows_the_result(report):
    assert report.typed_relatives == ("FA", "MO", "SIB")
    assert len(report.markers) == len(report.result.markers) == 23
    for row, m in zip(report.markers, report.result.markers, strict=True):
        assert row.lr == m.lr and row.inconsistent == m.inconsistent
        assert row.found == "/".join(m.found)
    d21 = next(r for r in report.markers if r.marker == "D21S11")
    assert d21.inconsistent and d21.relatives == ("30/31.2", "27/31", "27/30")
    assert report.inconsistent_markers == ["D21S11"]
    assert report.software_version == reunite.__version__


def test_untyped_markers_show_a_dash(golden_spec):
    spec = copy.deepcopy(golden_spec)
    del spec["found"]["TH01"]
    spec["genotypes"]["SIB"]["FGA"] = []
    rep = report_from(spec)
    th01 = next(r for r in rep.markers if r.marker == "TH01")
    assert th01.found == "–" and th01.lr == 1.0
    fga = next(r for r in rep.markers if r.marker == "FGA")
    assert fga.relatives[2] == "–"
    assert any("Not typed in the found child (LR 1): TH01" in n for n in rep.assumptions.notes)


def test_the_posterior_multiplies_prior_odds_and_every_lr(report):
    prior = 1 / 2000
    log_odds = math.log10(prior / (1 - prior)) + report.log10_lr + math.log10(1.9) + math.log10(2.4)
    assert report.posterior_log10_odds == pytest.approx(log_odds, rel=1e-12)
    assert report.posterior == pytest.approx(1 / (1 + 10 ** -log_odds))
    shown = dict(view(report)["odds"])
    assert shown["Posterior probability of H1"].startswith("1 − ")


def test_a_moderate_posterior_is_printed_as_a_probability(golden_spec):
    rep = report_from(golden_spec, prior=None, posterior=0.25)
    shown = dict(view(rep)["odds"])
    assert shown == {"Posterior probability of H1": "0.25"}


def test_bad_prior_or_evidence_is_refused_with_every_problem(golden_spec):
    with pytest.raises(InputError) as exc:
        report_from(golden_spec, prior=1.5, case_number=" ")
    assert len(exc.value.problems) == 2
    with pytest.raises(InputError, match="finite number"):
        report_from(golden_spec, other_evidence=[("Age", -1.0, "")])
    with pytest.raises(InputError, match="finite number"):
        report_from(golden_spec, other_evidence=[EvidenceLR("Age", math.inf)])


def test_a_zero_evidence_lr_gives_posterior_zero(golden_spec):
    rep = report_from(golden_spec, other_evidence=[("Time", 0.0, "Found before going missing.")])
    assert rep.posterior == 0.0


def test_every_bundled_table_has_a_source_text():
    for name in bundled_tables():
        text = _bundled_source(name)
        assert text and "Source:" in text and "Licence:" in text, name
    assert "Hill et al." in _bundled_source("nist1036_us_asian")
    # "as above" in the README is replaced by the source it refers to.
    assert "as above" not in _bundled_source("nist1036_us_caucasian")


def test_a_bundled_table_is_named_with_its_source(golden_spec):
    spec = copy.deepcopy(golden_spec)
    spec["frequencies"] = "nist1036_us_asian"
    spec["mutation"] = None
    case = load_case(spec)
    result = missing_person_lr(case, skip_unknown_markers=True)
    rep = build_report(case, result, case_number="C-1", report_number="R-1")
    assert rep.assumptions.frequency_table == "nist1036_us_asian"
    assert "U.S. Asian" in rep.assumptions.frequency_source and "97 persons" in rep.assumptions.frequency_source
    assert rep.assumptions.mutation.startswith("none")


def test_evidence_without_a_sentence_is_explained_in_words(golden_spec):
    rep = report_from(golden_spec, other_evidence=[("sex", 4.0, ""), ("age", 0.25, ""), ("time", 1.0, "")])
    said = {e["name"]: e["sentence"] for e in view(rep)["evidence"]}
    assert said["sex"] == "This evidence is 4 times more probable if H1 is true than if H2 is."
    assert said["age"] == "This evidence is 4 times more probable if H2 is true than if H1 is."
    assert said["time"] == "This evidence supports neither hypothesis."


def test_an_lr_beyond_1e300_is_printed_from_its_log10(golden_spec):
    """An LR of 10^-340 (lr None, log10 set) is printed as 1.00 × 10^-340, never as 0."""
    import dataclasses

    from reunite.genetics.rules import conclude

    case = load_case(copy.deepcopy(golden_spec))
    res = dataclasses.replace(missing_person_lr(case), lr=None, log10_lr=-340.0)
    c = conclude(log10_lr=-340.0, inconsistent=len(res.inconsistent_markers), relationship="parentage_trio")
    rep = build_report(case, res, case_number="C-1", report_number="R-1", conclusion=c, lang="en", prior=0.5)
    shown = dict(view(rep)["conclusion"])
    assert shown["Combined likelihood ratio (DNA)"] == "1.00 × 10^-340"
    assert shown["log10 LR"] == "−340.00"
    assert "LR 0" not in view(rep)["sentence"] and "10^-340" in view(rep)["sentence"]
    assert rep.posterior == 0.0
