"""A relative typed only at lineage markers (a Y-STR haplotype, an mtDNA sequence) is drawn as typed in the
pedigree of the kinship report (HTML, PDF) and so of the candidate page: grey with Y or mt in the symbol,
with a legend entry in Chinese and English; one typed at autosomal STRs stays black."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from cases.test_lineage_store import PROFILES, load_store
from reunite.cases.matching import run_matching
from reunite.cases.models import Candidate, MissingReport
from reunite.genetics import make_pedigree
from reunite.reports import draw_pedigree, render_html, render_pdf
from reunite.reports.store import candidate_report


def _store(session, tmp_path, profiles=PROFILES):
    load_store(session, tmp_path, profiles)
    run_matching(session, mutation=None, index_dir=tmp_path / "ix")
    return session.scalars(select(Candidate).join(MissingReport).where(MissingReport.report_number == "R-U")).one()


def _members(html: str) -> dict[str, str]:
    """data-id -> the member's class and data-lineage, as the SVG says them."""
    out = {}
    for m in re.finditer(r'<g class="member([^"]*)" data-id="([^"]+)" data-sex="[^"]+"(?: data-lineage="([^"]+)")?>',
                         html):
        out[m.group(2)] = (m.group(1).split(), m.group(3))
    return out


@pytest.mark.parametrize("lang, words", [("en", "typed at mtDNA only"), ("zh", "仅有线粒体DNA分型")])
def test_the_mt_only_grandmother_is_drawn_typed(session, tmp_path, lang, words):
    # R-U: the uncle U is typed at the autosomal marker and Y-STR, the maternal grandmother MGM at mtDNA only.
    cand = _store(session, tmp_path)
    report = candidate_report(session, cand.id, lang=lang)
    assert report.lineage_typed() == {"MGM": "mt"}
    html = render_html(report)
    members = _members(html)
    assert members["MGM"] == (["lineage-typed"], "mt")
    assert "typed" in members["U"][0] and members["U"][1] is None           # autosomal: black, as before
    assert members["GF"] == ([], None)                                      # untyped: white
    assert words in html and "仅有Y-STR分型" not in html and "typed at Y-STR only" not in html


def test_a_y_only_uncle_beside_a_grandmother_typed_at_autosomal_strs(session, tmp_path):
    # The uncle's autosomal genotype left out (typed at Y-STR only); the grandmother given one, so that the
    # family has an autosomal typed relative and a kinship report.
    profiles = "\n".join(line for line in PROFILES.splitlines() if not line.startswith("S-U,D3S1358"))
    cand = _store(session, tmp_path, profiles + "\nS-MGM,D3S1358,15,18,,\n")
    report = candidate_report(session, cand.id, lang="zh")
    assert report.typed_relatives == ("MGM",) and report.lineage_typed() == {"U": "Y"}
    html = render_html(report)
    members = _members(html)
    assert members["U"] == (["lineage-typed"], "Y") and "typed" in members["MGM"][0]
    assert "仅有Y-STR分型" in html and "仅有线粒体DNA分型" not in html
    pdf = tmp_path / "r.pdf"
    render_pdf(report, pdf)
    assert pdf.stat().st_size > 1000


def test_the_drawing_marks_lineage_only_members():
    ped = make_pedigree([{"id": "F", "sex": "male"}, {"id": "M", "sex": "female"},
                         {"id": "U", "sex": "male"}, {"id": "C", "father": "F", "mother": "M", "sex": "male"}])
    d = draw_pedigree(ped, typed=["M"], missing="C", lineage_typed={"U": "Y", "M": "mt", "C": "Y", "F": "Y+mt"})
    got = {n.id: (n.typed, n.lineage) for n in d.nodes}
    # M is typed autosomally (drawn black); the missing member is never lineage-marked.
    assert got == {"F": (False, "Y+mt"), "M": (True, ""), "U": (False, "Y"), "C": (False, "")}
