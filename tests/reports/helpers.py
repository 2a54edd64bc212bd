"""Helpers of the report tests: a golden kinship case with Chinese names, and the poppler tools.

The PDF checks need ``pdftoppm``, ``pdftotext`` and ``pdffonts`` (Debian ``poppler-utils``) and a
CJK font (Debian ``fonts-noto-cjk``); ``.ci/run`` installs both.  Without them those tests are
skipped with the reason, except on CI (``CI=true``), where that is a failure (``tests/needs.py``).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from reunite.genetics import load_case, missing_person_lr
from reunite.reports import EvidenceLR, build_report

GOLDEN = "K0131"  # father, mother and a full sibling typed; equal mutation model; D21S11 inconsistent
CHILD_NAME = "李小明"
FOUND_NAME = "昆明03号"
LAB = "云南省公安厅物证鉴定中心"
LABELS = {"FA": "父亲 李建国", "MO": "母亲 王芳", "SIB": "姐姐 李小红"}
WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


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
