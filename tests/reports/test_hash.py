"""The content hash: stable for the same content, different for any change to it."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime

from reunite.reports import render_html

from .helpers import report_from


def test_the_hash_is_sha256_of_the_canonical_json(report):
    text = report.canonical_json()
    assert report.content_hash == hashlib.sha256(text.encode("utf-8")).hexdigest()
    data = json.loads(text)
    assert "generated_at" not in text and "content_hash" not in text
    assert data["names"]["missing_child"] == "李小明"  # kept as UTF-8 text, not escaped
    assert data["genotypes"]["FA"]["D21S11"] == ["30", "31.2"]


def test_the_same_content_gives_the_same_hash(golden_spec, report):
    again = report_from(golden_spec, generated_at=datetime(2031, 1, 1, tzinfo=UTC))
    assert again.content_hash == report.content_hash
    assert render_html(again).count(report.content_hash) == render_html(report).count(report.content_hash)


def _changed(spec: dict, who: str, marker: str, alleles: list[str]) -> dict:
    spec = copy.deepcopy(spec)
    if who == "found":
        spec["found"][marker] = alleles
    else:
        spec["genotypes"][who][marker] = alleles
    return spec


def test_a_changed_genotype_changes_the_hash(golden_spec, report):
    sib = golden_spec["genotypes"]["SIB"]["TH01"]
    new = ["6", "9.3"] if sorted(sib) != ["6", "9.3"] else ["7", "9.3"]
    for who in ("SIB", "found"):
        other = report_from(_changed(golden_spec, who, "TH01", new))
        assert other.content_hash != report.content_hash, who


def test_a_changed_allele_order_is_the_same_genotype(golden_spec, report):
    """Genotypes are unordered pairs: writing 31.2/30 for 30/31.2 is the same content."""
    spec = copy.deepcopy(golden_spec)
    spec["genotypes"]["FA"]["D21S11"] = list(reversed(spec["genotypes"]["FA"]["D21S11"]))
    assert report_from(spec).content_hash == report.content_hash


def test_names_identifiers_and_evidence_are_in_the_hash(golden_spec, report):
    for change in ({"missing_child_name": "李小朋"}, {"case_number": "YN-KM-2014-004"},
                   {"candidate_id": "18"}, {"prior": 1 / 3000}, {"other_evidence": []},
                   {"member_labels": {"FA": "父亲"}}, {"frequency_source": "another source"}):
        assert report_from(golden_spec, **change).content_hash != report.content_hash, change
