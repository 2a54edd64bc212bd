"""Reports: the kinship report a lab signs, as HTML and as PDF.

Layer: right of the case store.  The report itself (:mod:`~reunite.reports.kinship`, :mod:`~reunite.reports.pdf`,
:mod:`~reunite.reports.pedigree_drawing`, :mod:`~reunite.reports.fonts`) imports only
:mod:`reunite.genetics` and :mod:`reunite.errors`; :mod:`reunite.reports.store` reads a stored
candidate from the store (:mod:`reunite.cases`: its family, the profiles, the matching settings,
an audit entry) and builds its report from the settings stored with the candidate (never the
environment).  The report is in Chinese or English (``lang``), the DNA opinion first and the
investigative evidence on a last page of its own.  Nothing here imports the web or the CLI.  Build a
:class:`KinshipReport` with :func:`build_report`, then print it with :func:`render_html` or
:func:`render_pdf`::

    case = load_case("K0131.json")
    report = build_report(case, missing_person_lr(case), case_number="YN-KM-2014-003",
                          report_number="R-530102-0417", candidate_id="17", missing_child_name="李小明")
    Path("report.html").write_text(render_html(report), encoding="utf-8")
    render_pdf(report, "report.pdf")
"""

from .fonts import CJKFont, MissingFontError, find_cjk_font
from .kinship import (
    Assumptions,
    EvidenceLR,
    KinshipReport,
    LabInfo,
    MarkerRow,
    SampleRecord,
    build_report,
    render_html,
)
from .pdf import render_pdf
from .pedigree_drawing import PedigreeDrawing, draw_pedigree, layout_pedigree

__all__ = [
    "Assumptions",
    "CJKFont",
    "EvidenceLR",
    "KinshipReport",
    "LabInfo",
    "MarkerRow",
    "MissingFontError",
    "PedigreeDrawing",
    "SampleRecord",
    "build_report",
    "draw_pedigree",
    "find_cjk_font",
    "layout_pedigree",
    "render_html",
    "render_pdf",
]
