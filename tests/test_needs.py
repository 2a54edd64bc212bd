"""The one way a test says what it needs from the machine: skipped with the reason, failed on CI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from needs import need, on_ci

TESTS = Path(__file__).parent


def test_a_missing_need_skips_with_the_reason_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert not on_ci()
    with pytest.raises(pytest.skip.Exception, match="pdftotext not found; install the Debian package"):
        need("pdftotext not found", "install the Debian package poppler-utils")
    need(None, "nothing to do")  # a need that is met does nothing


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_a_missing_need_fails_on_ci(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match=r"^CI=true but PostgreSQL .* unreachable; start it"):
        need("PostgreSQL at x is unreachable", "start it")


def test_no_test_decides_about_ci_or_the_machine_by_itself():
    """Every check of CI, poppler, Chromium, a CJK font or PostgreSQL goes through needs.py."""
    own = re.compile(r"""environ\.get\(["']CI["']|shutil\.which\(["']pdf|pytest\.skip\([^)]*"""
                     r"""(?i:poppler|chromium|font|postgres)""")
    offenders = [f"{p.relative_to(TESTS)}:{n}" for p in TESTS.rglob("*.py") if p.name != "needs.py"
                 for n, line in enumerate(p.read_text("utf-8").splitlines(), 1) if own.search(line)]
    assert not offenders, f"use tests/needs.py (need_chromium, need_tool, need_cjk_font, need_postgresql): {offenders}"
