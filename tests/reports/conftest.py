"""Fixtures of the report tests: the golden case, its report, and that report as a PDF."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from needs import need_cjk_font
from reunite.reports import render_pdf
from shared_paths import SHARED

from .helpers import GOLDEN, report_from


@pytest.fixture(scope="session")
def golden_spec() -> dict:
    path = SHARED / "kinship-cases" / f"{GOLDEN}.json"
    if not path.is_file():
        pytest.fail(f"golden case {path} not found; set REUNITE_SHARED")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def report(golden_spec):
    return report_from(golden_spec)


@pytest.fixture(scope="session")
def pdf_path(report, tmp_path_factory) -> Path:
    """The golden report rendered once as PDF for all the PDF tests."""
    need_cjk_font()
    return render_pdf(report, tmp_path_factory.mktemp("pdf") / "report.pdf")
