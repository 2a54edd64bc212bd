"""The candidate page states the DNA conclusion under the stored rules, in the reader's language, with what
computed it; an excluded pair says so and its posterior is 0; LRs beyond 10^±300 are shown from their log10."""

from __future__ import annotations

import html
import re

from reunite.cases import db as store
from reunite.cases.records import record_candidate
from reunite.genetics.rules import conclude

PROVENANCE = {"frequencies": "nist1036_us_asian", "frequencies_sha256": None,
              "mutation_model": {"spec": "published_rates", "model": None, "description": "published rates (test)"},
              "theta": 0.0, "rules": "gbt", "software_version": "test"}


def _record(url: str, case_number: str, report: str, conclusion, **evidence):
    with store.open_session(url) as s:
        cand, _ = record_candidate(s, case_number, report, provenance=PROVENANCE, conclusion=conclusion.as_dict(),
                                   **evidence)
        s.commit()
        return cand.id


def _text(page: str, element_id: str) -> str:
    m = re.search(rf'id="{element_id}"[^>]*>(.*?)</t[dr]>', page, re.S)
    assert m is not None, element_id
    return html.unescape(re.sub(r"<[^>]+>", " ", m.group(1)))


def test_excluded_parent_is_shown_excluded_with_posterior_zero(world, as_user):
    url, _, _ = world
    # A mother typed, a mutation model, three inconsistent markers and yet log10 LR 7 (60 markers):
    # the parentage rule excludes her as the mother whatever the LR.
    concl = conclude(log10_lr=7.0, inconsistent=3, relationship="parentage_duo", rules="gbt", mutation=True,
                     markers_compared=60)
    assert concl.excluded
    cid = _record(url, "KM-001", "R-1", concl, dna_log10_lr=7.0, inconsistent_markers=3, markers_compared=60,
                  prior=0.5)
    c = as_user("inv")
    en = c.get(f"/candidates/{cid}?lang=en").text
    assert 'id="dna-excluded"' in en
    assert _text(en, "dna-decision").strip() == "excluded"
    assert float(_text(en, "candidate-posterior")) == 0.0
    assert "support" not in _text(en, "dna-verbal").lower().replace("not used", "")
    assert "GB/T 37223" in _text(en, "dna-rule")
    zh = c.get(f"/candidates/{cid}?lang=zh").text
    assert _text(zh, "dna-decision").strip() == "排除"
    assert concl.reason_zh in _text(zh, "dna-reason")
    assert concl.source_zh in _text(zh, "dna-rule") and "Specification" not in _text(zh, "dna-rule")
    api = c.get(f"/api/v1/candidates/{cid}").json()
    assert api["dna_excluded"] is True and api["posterior"] == 0.0
    assert api["dna_conclusion"]["rule_id"] == concl.rule_id
    assert api["provenance"]["rules"] == "gbt"


def test_lr_beyond_1e300_is_shown_from_its_log10(world, as_user):
    url, _, _ = world
    concl = conclude(log10_lr=-340.0, inconsistent=0, relationship="full_siblings", rules="isfg", mutation=True)
    cid = _record(url, "KM-002", "R-2", concl, dna_log10_lr=-340.0, markers_compared=60, inconsistent_markers=0,
                  prior=0.5)
    c = as_user("lab")
    page = c.get(f"/candidates/{cid}?lang=en").text
    shown = _text(page, "candidate-dna-lr")
    assert "10^-340" in shown
    assert not re.search(r"\b0\.0\b|LR 0\b", shown)
    api = c.get(f"/api/v1/candidates/{cid}").json()
    assert api["dna_lr"] is None and api["dna_log10_lr"] == -340.0
    assert api["dna_conclusion"]["decision"] == "no_decision"   # isfg: the verbal scale only
