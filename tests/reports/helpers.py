"""Helpers of the report tests: a golden kinship case with Chinese names, and the poppler tools.

The PDF checks need ``pdftoppm``, ``pdftotext`` and ``pdffonts`` (Debian ``poppler-utils``) and a
CJK font (Debian ``fonts-noto-cjk``); ``.ci/run`` installs both.  Without them those tests are
skipped with the reason, except on CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import copy
import os
import shutil
from datetime import UTC, datetime

import pytest

from reunite.genetics import load_case, missing_person_lr
from reunite.reports import EvidenceLR, MissingFontError, build_report, find_cjk_font

GOLDEN = "K0131"  # father, mother and a full sibling typed; equal mutation model; D21S11 inconsistent
CHILD_NAME = "李小明"
FOUND_NAME = "昆明03号"
LAB = "云南省公安厅物证鉴定中心"
LABELS = {"FA": "父亲 李建国", "MO": "母亲 王芳", "SIB": "姐姐 李小红"}
WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def _need(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason + " (CI must install it: see .ci/run)")
    pytest.skip(reason)


def need_tool(name: str) -> str:
    """The path of a poppler tool, or skip (fail on CI) naming the package to install."""
    path = shutil.which(name)
    _need(path is not None, f"{name} not found; install the Debian package poppler-utils")
    return path


def need_cjk_font() -> None:
    try:
        find_cjk_font()
    except MissingFontError as exc:
        _need(False, str(exc))


def report_from(spec: dict, **kw):
    """A report of the case ``spec`` with the test's identifiers and names (overridable)."""
    case = load_case(copy.deepcopy(spec))
    args = {"case_number": "YN-KM-2014-003", "report_number": "R-530102-0417", "candidate_id": "17",
            "missing_child_name": CHILD_NAME, "found_child_name": FOUND_NAME, "member_labels": LABELS,
            "laboratory": LAB, "prior": 1 / 2000, "generated_at": WHEN, "lang": "en",
            "other_evidence": [EvidenceLR("Sex", 1.9, "The recorded sexes agree."),
                               ("Age", 2.4, "The estimated age at finding fits the missing child's age then.")]}
    args.update(kw)
    return build_report(case, missing_person_lr(case), **args)
