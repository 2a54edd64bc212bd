"""The HTML report: its content, escaping, and the pedigree drawing as inline SVG."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from markupsafe import escape

from reunite.genetics import format_lr
from reunite.reports import render_html

from .helpers import CHILD_NAME, FOUND_NAME, LAB, LABELS, report_from

VOID = {"meta", "br", "rect", "circle", "polygon", "line", "img", "hr", "input", "link"}


class _Balance(HTMLParser):
    """Collects start/end tag mismatches, and the text and attributes seen."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def _parse(html: str) -> _Balance:
    p = _Balance()
    p.feed(html)
    p.close()
    return p


def test_the_page_is_well_formed(report):
    p = _parse(render_html(report))
    assert not p.errors and not p.stack, (p.errors, p.stack)


def test_the_per_marker_table_shows_every_genotype_and_lr(report):
    html = render_html(report)
    table = html[html.index('<table class="markers">'):]
    table = table[:table.index("</table>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)
    assert len(rows) == 1 + len(report.result.markers)  # the header and one row per marker
    for row, m in zip(report.markers, report.result.markers, strict=True):
        line = next(r for r in rows if f"<td>{row.marker}</td>" in r)
        cells = re.findall(r"<td[^>]*>(.*?)</td>", line, flags=re.S)
        assert cells[1] == "/".join(m.found)
        assert cells[2:2 + len(row.relatives)] == list(row.relatives)
        assert cells[2 + len(row.relatives)] == format_lr(m.lr, m.log10_lr)
        assert cells[-1] == ("inconsistent" if m.inconsistent else "")
    # The inconsistent marker of the golden case is flagged on its row.
    assert report.result.inconsistent_markers == ["D21S11"]
    assert re.search(r'<tr class="inconsistent">\s*<td>D21S11</td>', table)
    # Relatives' columns are headed by their ids and labels.
    for pid, label in LABELS.items():
        assert f"{pid}<br><span class=\"sub\">{label}</span>" in table


def test_conclusion_verbal_equivalent_log10_and_hash(report):
    html = render_html(report)
    assert report.verbal.startswith("extremely strong support")
    assert report.verbal in html
    assert f"{report.log10_lr:.2f}" in html
    mantissa, exponent = format_lr(report.combined_lr, report.log10_lr).split(" × 10^")
    assert f"{mantissa} × 10<sup>{exponent}</sup>" in html
    assert str(escape(report.result.decision)) in html  # ">=" is escaped
    assert len(report.content_hash) == 64
    assert html.count(report.content_hash) >= 2  # the header and the provenance table
    assert "Reunite 0.1.0" in html or f"Reunite {report.software_version}" in html


def test_every_assumption_is_stated(report):
    html = render_html(report)
    a = report.assumptions
    assert a.frequency_table == "inline table" and a.frequency_table in html
    assert a.frequency_source in html
    assert a.mutation == "equal (rate 0.003)" and a.mutation in html
    assert "<th>Theta (FST)</th><td>0</td>" in html
    assert "independent (product rule)" in html
    assert "H1" in html and "unrelated to the family" in html


def test_other_evidence_prior_and_posterior(report):
    html = render_html(report)
    for name in ("DNA (autosomal STRs)", "Sex", "Age"):
        assert f"<td>{name}</td>" in html
    assert "The recorded sexes agree." in html
    assert "Prior probability of H1" in html and "(1 in 2,000)" in html
    assert "Posterior probability of H1" in html and "1 − " in html


def test_chinese_names_are_printed_as_given(report):
    html = render_html(report)
    for text in (CHILD_NAME, FOUND_NAME, LAB, *LABELS.values()):
        assert text in html
    assert '<meta charset="utf-8">' in html


def test_script_in_a_name_is_escaped(golden_spec):
    evil = "<script>alert('x')</script>"
    rep = report_from(golden_spec, missing_child_name="小明" + evil, found_child_name=evil,
                      member_labels={"FA": evil}, laboratory=evil, candidate_id=evil,
                      other_evidence=[(evil, 2.0, evil)])
    html = render_html(rep)
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    p = _parse(html)
    assert not p.errors and not p.stack
    assert any(evil in t for t in p.text)  # shown to the reader as text, not run


def test_pedigree_svg_draws_sex_typed_and_missing(report):
    html = render_html(report)
    svg = html[html.index("<svg"):html.index("</svg>")]
    members = re.findall(r'<g class="member([^"]*)" data-id="([^"]+)" data-sex="([^"]+)">(.*?)</g>', svg, re.S)
    assert {m[1] for m in members} == {"FA", "MO", "SIB", "POI"}
    for classes, pid, sex, body in members:
        shape = {"male": "<rect", "female": "<circle"}[sex]
        assert shape in body, pid
        assert ("typed" in classes.split()) == (pid in ("FA", "MO", "SIB"))
        assert ("missing" in classes.split()) == (pid == "POI")
    poi = next(m for m in members if m[1] == "POI")[3]
    assert ">?</text>" in poi and CHILD_NAME in poi
    fa = next(m for m in members if m[1] == "FA")[3]
    assert 'fill="#1a1a1a"' in fa  # typed members are filled
    # A marriage line, a drop line, a sibship line and a line to each of the two children.
    assert len(re.findall(r"<line ", svg)) == 5


def test_unknown_sex_is_a_diamond_and_untyped_members_are_open(golden_spec):
    spec = dict(golden_spec)
    spec["pedigree"] = [*golden_spec["pedigree"], {"id": "KID", "father": "FA", "mother": "MO", "sex": "unknown"}]
    rep = report_from(spec)
    svg = render_html(rep)
    kid = re.search(r'data-id="KID" data-sex="unknown">(.*?)</g>', svg, re.S).group(1)
    assert "<polygon" in kid and 'fill="#ffffff"' in kid
