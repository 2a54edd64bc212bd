"""The kinship report as an A4 PDF, drawn with fpdf2 (pure Python) in an embedded CJK font.

:func:`render_pdf` prints the texts of :func:`reunite.reports.kinship.view`, so the PDF and the HTML
page say the same things: the DNA opinion from page 1, then the investigative evidence on a last page
of its own.  Every page carries the report's header (laboratory, the pair) and a footer with the
software version, the content hash and the page number.  Chinese text wraps at any character,
English at spaces.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import WrapMode

from .fonts import find_cjk_font
from .kinship import KinshipReport, split_sup, view
from .pedigree_drawing import PedigreeDrawing

__all__ = ["render_pdf", "write_pdf"]

INK = (26, 26, 26)
MUTED = (90, 90, 90)
RULE = (184, 184, 184)
BAND = (242, 244, 247)
ACCENT = (31, 58, 95)
ALERT = (179, 38, 30)
ALERT_BAND = (253, 232, 230)
WHITE = (255, 255, 255)
#: A pedigree member typed only at lineage markers (Y-STR, mtDNA).
LINEAGE_GREY = (140, 140, 140)

MARGIN = 15.0
PAD = 1.2          # cell padding, mm
BOTTOM = 18.0      # space kept for the footer, mm


class _Doc:
    """An fpdf2 document with the report's header, footer, tables and rich text."""

    def __init__(self, v: dict, font):
        v_ = v

        class Page(FPDF):
            def header(self):
                self.set_font("cjk", "", 8)
                self.set_text_color(*MUTED)
                self.set_xy(MARGIN, 8)
                self.cell(80, 4, v_["t"]["header"])
                self.set_xy(self.w - MARGIN - 100, 8)
                self.cell(100, 4, v_["header_pair"], align="R")
                self.set_draw_color(*RULE)
                self.set_line_width(0.2)
                self.line(MARGIN, 12.5, self.w - MARGIN, 12.5)
                self.set_y(17)

            def footer(self):
                self.set_draw_color(*RULE)
                self.set_line_width(0.2)
                self.line(MARGIN, self.h - 13, self.w - MARGIN, self.h - 13)
                self.set_font("cjk", "", 7)
                self.set_text_color(*MUTED)
                self.set_xy(MARGIN, self.h - 12)
                self.cell(24, 4, v_["software"])
                self.set_font("Courier", "", 6.8)
                self.set_xy(MARGIN + 24, self.h - 12)
                self.cell(112, 4, f"sha256:{v_['hash']}")
                self.set_font("cjk", "", 7.5)
                self.set_xy(self.w - MARGIN - 40, self.h - 12)
                self.cell(40, 4, v_["t"]["page"].format(n=self.page_no(), total="{nb}"), align="R")

        pdf = Page(orientation="P", unit="mm", format="A4")
        pdf.set_title(v["title"])
        pdf.set_creator(v["software"])
        pdf.set_author(v["software"])
        pdf.set_subject(f"sha256:{v['hash']}")
        pdf.set_margins(MARGIN, 17, MARGIN)
        pdf.set_auto_page_break(False)
        pdf.add_font("cjk", "", str(font.path), collection_font_number=font.index)
        if font.bold_path is not None:
            pdf.add_font("cjk", "B", str(font.bold_path), collection_font_number=font.bold_index)
        else:
            pdf.add_font("cjk", "B", str(font.path), collection_font_number=font.index)
        self.pdf = pdf
        self.width = pdf.w - 2 * MARGIN
        self.v = v
        self.wrap = WrapMode.CHAR if v["lang"] == "zh" else WrapMode.WORD

    # --------------------------------------------------------------------- primitives
    def font(self, size: float, bold: bool = False, color=INK):
        self.pdf.set_font("cjk", "B" if bold else "", size)
        self.pdf.set_text_color(*color)

    def ensure(self, height: float) -> bool:
        """Start a new page unless ``height`` mm fit; True if a page was added."""
        if self.pdf.get_y() + height > self.pdf.h - BOTTOM:
            self.pdf.add_page()
            return True
        return False

    def wrap_for(self, text: str) -> WrapMode:
        """Chinese text wraps at any character; text that is mostly Latin (a citation, a model) at spaces."""
        if self.wrap == WrapMode.WORD:
            return WrapMode.WORD
        latin = sum(ch.isascii() for ch in text)
        return WrapMode.WORD if latin > 0.6 * max(len(text), 1) else WrapMode.CHAR

    def runs_width(self, text: str) -> float:
        return sum(self.pdf.get_string_width(t) * (self.pdf.sup_scale if sup else 1.0)
                   for t, sup in split_sup(text))

    def lines_needed(self, text: str, width: float) -> int:
        plain = "".join(t for t, _ in split_sup(text)) or " "
        lines = self.pdf.multi_cell(width, 4, plain, dry_run=True, output="LINES", wrapmode=self.wrap_for(plain))
        return max(1, len(lines))

    def rich(self, x: float, y: float, w: float, lh: float, text: str, align: str = "L"):
        """Write ``text`` (``10^N`` as superscript) in the box starting at (x, y), ``w`` wide.

        Each line of ``text`` that fits is aligned; a longer one wraps, left-aligned.
        """
        pdf = self.pdf
        old = pdf.l_margin, pdf.r_margin
        wrap = self.wrap_for(text)
        for line in text.split("\n"):
            width = self.runs_width(line)
            fits = width <= w
            lx = x + (w - width) / (2 if align == "C" else 1) if align != "L" and fits else x
            pdf.set_left_margin(lx)
            # A line that fits is never wrapped (fpdf2's rounding would sometimes wrap it).
            pdf.set_right_margin(0 if fits else max(pdf.w - (x + w), 0))
            pdf.set_xy(lx, y)
            for t, sup in split_sup(line):
                pdf.char_vpos = "SUP" if sup else "LINE"
                pdf.write(lh, t, wrapmode=wrap)
            pdf.char_vpos = "LINE"
            y = pdf.get_y() + lh
        pdf.set_left_margin(old[0])
        pdf.set_right_margin(old[1])

    def row(self, cells, *, size: float = 9.0, lh: float = 4.2, fills=None, header=None,
            min_h: float = 0.0):
        """One table row of ``(width, text, bold, align, color)`` cells, grid lines, wrapped text.

        ``header`` (a callable) is drawn again at the top of a new page.
        """
        pdf = self.pdf
        heights = []
        for w, text, bold, *_ in cells:
            self.font(size, bold)
            heights.append(self.lines_needed(text, w - 2 * PAD) * lh)
        h = max([*heights, min_h]) + 2 * PAD
        if self.ensure(h) and header is not None:
            header()
        x, y = MARGIN, pdf.get_y()
        pdf.set_draw_color(*RULE)
        pdf.set_line_width(0.2)
        for i, (w, text, bold, align, color) in enumerate(cells):
            fill = fills[i] if fills else None
            if fill is not None:
                pdf.set_fill_color(*fill)
            pdf.rect(x, y, w, h, style="DF" if fill is not None else "D")
            self.font(size, bold, color)
            self.rich(x + PAD, y + PAD, w - 2 * PAD, lh, text, align)
            x += w
        pdf.set_xy(MARGIN, y + h)

    def heading(self, text: str, keep: float = 12.0):
        """A section heading, kept on one page with the next ``keep`` mm."""
        self.ensure(12 + keep)
        pdf = self.pdf
        pdf.ln(4)
        self.font(11.5, True, ACCENT)
        pdf.set_x(MARGIN)
        pdf.cell(self.width, 6, text)
        pdf.ln(6.5)
        pdf.set_draw_color(*ACCENT)
        pdf.set_line_width(0.5)
        pdf.line(MARGIN, pdf.get_y() - 0.8, MARGIN + self.width, pdf.get_y() - 0.8)
        pdf.ln(1.2)

    def kv(self, pairs, key_w: float = 58.0, size: float = 9.0):
        for key, value in pairs:
            self.row([(key_w, key, True, "L", INK), (self.width - key_w, value, False, "L", INK)],
                     size=size, fills=[BAND, None])

    def paragraph(self, text: str, size: float = 8.5, color=MUTED):
        self.font(size, False, color)
        self.ensure(self.lines_needed(text, self.width) * 4 + 2)
        self.rich(MARGIN, self.pdf.get_y(), self.width, 4, text)
        self.pdf.ln(5)


# ------------------------------------------------------------------------ sections
def _title(d: _Doc):
    pdf, v = d.pdf, d.v
    d.font(16, True, ACCENT)
    pdf.set_x(MARGIN)
    pdf.cell(d.width, 8, v["title"])
    pdf.ln(8.5)
    d.font(10, False, INK)
    pdf.set_x(MARGIN)
    pdf.cell(d.width, 5, v["subtitle"])
    pdf.ln(5.5)
    d.font(8.5, False, MUTED)
    pdf.set_x(MARGIN)
    pdf.cell(d.width, 4, f"{v['t']['generated']}: {v['generated']} · {v['software']}")
    pdf.ln(4)


def _grid(d: _Doc, items, kw: float = 42.0):
    """Key-value pairs two to a row."""
    half = d.width / 2
    for i in range(0, len(items), 2):
        cells, fills = [], []
        for key, value in items[i:i + 2]:
            cells += [(kw, key, True, "L", INK), (half - kw, value, False, "L", INK)]
            fills += [BAND, None]
        if len(cells) == 2:
            cells[1] = (d.width - kw, cells[1][1], False, "L", INK)
        d.row(cells, size=9, fills=fills)


def _lab(d: _Doc):
    d.heading(d.v["t"]["lab"])
    d.kv(d.v["lab"], key_w=42.0)


def _identifiers(d: _Doc):
    d.heading(d.v["t"]["case"])
    _grid(d, d.v["identifiers"])


def _samples(d: _Doc):
    v = d.v
    d.heading(v["t"]["samples"], keep=20)
    if not v["samples"]:
        d.paragraph(v["t"]["no_samples"])
        return
    widths = [28.0, 22.0, 16.0, 27.0, 24.0, 15.0, 24.0, 0.0]
    widths[-1] = d.width - sum(widths)

    def header():
        d.row([(w, h, True, "C", INK) for w, h in zip(widths, v["t"]["sample_cols"], strict=True)],
              size=7.5, lh=3.6, fills=[BAND] * len(widths))

    header()
    for cells in v["samples"]:
        d.row([(w, text, i == 0, "L" if i < 2 else "C", INK) for i, (w, text) in enumerate(zip(widths, cells,
                                                                                              strict=True))],
              size=7.5, lh=3.6, header=header)


def _hypotheses(d: _Doc):
    d.heading(d.v["t"]["hypotheses"])
    d.kv(d.v["hypotheses"], key_w=14.0)


def _conclusion(d: _Doc):
    """The conclusion in a box: the sentence, then its rows; a box too long for the page goes on over
    the next one (closed at the foot of the page, opened again at the top)."""
    pdf, v = d.pdf, d.v
    colour = ALERT if v["exclusion"] else ACCENT
    lh, slh = 5.0, 5.4
    d.font(9.2, True)
    key_w = min(70.0, max(44.0, *(pdf.get_string_width(k) + 4 for k, _ in v["conclusion"])))
    d.font(10.5, True, colour)
    n = d.lines_needed(v["sentence"], d.width - 8)
    heights = []
    for _key, value in v["conclusion"]:
        d.font(9.2)
        heights.append(max(1, d.lines_needed(value, d.width - key_w - 10)) * lh)
    d.heading(v["t"]["conclusion"], keep=n * slh + 8 + sum(heights[:4]))

    def close(top: float, bottom: float) -> None:
        pdf.set_draw_color(*colour)
        pdf.set_line_width(0.7)
        pdf.rect(MARGIN, top, d.width, bottom - top)

    top = pdf.get_y()
    d.font(10.5, True, colour)
    d.rich(MARGIN + 4, top + 3, d.width - 8, slh, v["sentence"])
    y = top + 3 + n * slh + 2
    for (key, value), h in zip(v["conclusion"], heights, strict=True):
        if y + h + 2 > pdf.h - BOTTOM:
            close(top, y + 2)
            pdf.add_page()
            top = pdf.get_y()
            y = top + 3
        d.font(9.2, True)
        pdf.set_xy(MARGIN + 4, y)
        pdf.cell(key_w, lh, key)
        strong = key in (v["t"]["decision"], v["t"]["lr"])
        d.font(9.2, strong, colour if key == v["t"]["decision"] else INK)
        d.rich(MARGIN + 4 + key_w, y, d.width - key_w - 10, lh, value)
        y += h
    close(top, y + 2)
    pdf.set_y(y + 2)
    if v.get("familias"):
        # A Familias file's own LR: a comparison below the box, not the evidence.
        pdf.set_y(pdf.get_y() + 1.5)
        d.paragraph(v["familias"], size=8.5, color=MUTED)


def _symbol(pdf, sex: str, cx: float, cy: float, size: float, style: str):
    h = size / 2
    if sex == "male":
        pdf.rect(cx - h, cy - h, size, size, style=style)
    elif sex == "female":
        pdf.ellipse(cx - h, cy - h, size, size, style=style)
    else:
        pdf.polygon([(cx, cy - h), (cx + h, cy), (cx, cy + h), (cx - h, cy)], style=style)


def _pedigree(d: _Doc, drawing: PedigreeDrawing):
    pdf, v = d.pdf, d.v
    s = min(10.0, d.width / drawing.width, 75.0 / drawing.height)
    d.heading(v["t"]["pedigree"], keep=drawing.height * s + 12)
    x0 = MARGIN + (d.width - drawing.width * s) / 2
    y0 = pdf.get_y()
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.35)
    for x1, y1, x2, y2 in drawing.lines:
        pdf.line(x0 + x1 * s, y0 + y1 * s, x0 + x2 * s, y0 + y2 * s)
    label_size = max(5.5, min(8.5, s * 0.75))
    for n in drawing.nodes:
        cx, cy = x0 + n.x * s, y0 + n.y * s
        if n.missing:
            pdf.set_draw_color(*ALERT)
            pdf.set_fill_color(*ALERT)
        else:
            pdf.set_draw_color(*INK)
            pdf.set_fill_color(*(INK if n.typed else (LINEAGE_GREY if n.lineage else WHITE)))
        pdf.set_line_width(0.45)
        _symbol(pdf, n.sex, cx, cy, s, "DF")
        if n.missing:
            d.font(max(6.0, s * 1.1), True, WHITE)
            pdf.text(cx - pdf.get_string_width("?") / 2, cy + s * 0.22, "?")
        elif n.lineage:
            d.font(max(4.5, s * (0.55 if "+" in n.lineage else 0.75)), True, WHITE)
            pdf.text(cx - pdf.get_string_width(n.lineage) / 2, cy + s * 0.16, n.lineage)
        d.font(label_size, True, INK)
        pdf.text(cx - pdf.get_string_width(n.id) / 2, cy + s / 2 + label_size * 0.42, n.id)
        if n.label:
            d.font(label_size, False, MUTED)
            pdf.text(cx - pdf.get_string_width(n.label) / 2, cy + s / 2 + label_size * 0.84, n.label)
    pdf.set_y(y0 + drawing.height * s + 1)
    # Legend.
    d.font(8, False, MUTED)
    x, y = MARGIN, pdf.get_y()
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.3)
    shapes = [("male", WHITE, INK), ("female", WHITE, INK), ("unknown", WHITE, INK), ("male", INK, INK),
              ("male", WHITE, INK), ("female", ALERT, ALERT)]
    for (sex, fill, draw), text in zip(shapes, v["legend"], strict=True):
        step = 4.2 + pdf.get_string_width(text) + 5
        if x > MARGIN and x + step - 5 > MARGIN + d.width:
            x, y = MARGIN, y + 5
        pdf.set_fill_color(*fill)
        pdf.set_draw_color(*draw)
        _symbol(pdf, sex, x + 1.6, y + 2, 3.0, "DF")
        pdf.text(x + 4.2, y + 3.1, text)
        x += step
    for kind, text in v.get("legend_lineage") or []:
        # A member typed only at lineage markers: grey, with Y or mt in the symbol.
        label = f"{kind} {text}"
        step = 4.2 + pdf.get_string_width(label) + 5
        if x > MARGIN and x + step - 5 > MARGIN + d.width:
            x, y = MARGIN, y + 5
        pdf.set_fill_color(*LINEAGE_GREY)
        pdf.set_draw_color(*INK)
        _symbol(pdf, "male", x + 1.6, y + 2, 3.0, "DF")
        pdf.text(x + 4.2, y + 3.1, label)
        x += step
    pdf.set_y(y + 6)


def _markers(d: _Doc):
    pdf, v = d.pdf, d.v
    t = v["t"]
    d.heading(t["markers"], keep=40)
    rels = v["relatives"]
    size = 8.5 if len(rels) <= 4 else (7.5 if len(rels) <= 7 else 6.5)
    fixed = {"marker": 22.0, "lr": 26.0, "log10": 16.0, "note": 23.0}
    gw = min(24.0, (d.width - sum(fixed.values())) / (len(rels) + 1))
    fixed["marker"] += d.width - sum(fixed.values()) - gw * (len(rels) + 1)
    heads = [(fixed["marker"], t["m_marker"]), (gw, v["found_head"])]
    heads += [(gw, pid + (f"\n{label}" if label else "")) for pid, label in rels]
    heads += [(fixed["lr"], t["m_lr"]), (fixed["log10"], t["m_log10"]), (fixed["note"], t["m_note"])]

    def header():
        d.row([(w, text, True, "C", INK) for w, text in heads], size=size, lh=3.8, fills=[BAND] * len(heads))

    header()
    for r in v["rows"]:
        colour = ALERT if r["inconsistent"] else INK
        cells = [(fixed["marker"], r["marker"], r["inconsistent"], "L", colour), (gw, r["found"], False, "C", colour)]
        cells += [(gw, g, False, "C", colour) for g in r["relatives"]]
        cells += [(fixed["lr"], r["lr"], r["inconsistent"], "R", colour),
                  (fixed["log10"], r["log10"], False, "R", colour),
                  (fixed["note"], r["note"], False, "C", colour)]
        fills = [ALERT_BAND if r["inconsistent"] else None] * len(cells)
        d.row(cells, size=size, lh=3.8, fills=fills, header=header)
    pdf.ln(1.5)
    d.paragraph(t["m_legend"])


def _lineage(d: _Doc):
    """The lineage section (Y-STR, mtDNA), when the candidate's DNA LR has lineage evidence."""
    lin = d.v.get("lineage")
    if not lin:
        return
    d.heading(lin["title"])
    for e in lin["entries"]:
        d.font(10, True)
        d.pdf.set_x(MARGIN)
        d.pdf.cell(d.width, 6, e["heading"])
        d.pdf.ln(6)
        d.kv(e["rows"], key_w=52.0, size=8.5)
        d.pdf.ln(1)
        if e.get("line"):
            _lineage_line(d, e)
    d.kv(lin["summary"], key_w=52.0, size=9.0)
    d.pdf.ln(2)
    d.paragraph(lin["sentence"], size=9.0, color=INK)
    if lin.get("closest"):
        d.paragraph(lin["closest"])


def _lineage_line(d: _Doc, e: dict):
    """Every typed relative of the line: meioses, differences, his own LR, the one used (bold)."""
    line = e["line"]
    d.font(9, True)
    d.pdf.set_x(MARGIN)
    d.pdf.cell(d.width, 5, line["title"])
    d.pdf.ln(5)
    widths = [46.0, 20.0, 0.0, 40.0, 18.0]
    widths[2] = d.width - sum(widths)

    def header():
        d.row([(w, h, True, "L", INK) for w, h in zip(widths, line["head"], strict=True)], size=8.0, lh=3.8,
              fills=[BAND] * len(widths))

    header()
    for r in line["rows"]:
        d.row([(w, c, r["used"], "L", INK) for w, c in zip(widths, r["cells"], strict=True)], size=8.0, lh=3.8,
              header=header)
    d.pdf.ln(1)
    d.paragraph(e["choice"])
    d.pdf.ln(1)


def _method(d: _Doc):
    d.heading(d.v["t"]["method"])
    d.kv(d.v["method"], key_w=40.0, size=8.5)


def _provenance(d: _Doc):
    pdf, v = d.pdf, d.v
    t = v["t"]
    d.heading(t["provenance"])
    d.kv([(t["software"], v["software"]), (t["generated"], v["generated"])], key_w=40.0)
    d.ensure(10)
    y = pdf.get_y()
    pdf.set_draw_color(*RULE)
    pdf.set_fill_color(*BAND)
    pdf.rect(MARGIN, y, 40, 7, style="DF")
    pdf.rect(MARGIN + 40, y, d.width - 40, 7)
    d.font(9, True)
    pdf.set_xy(MARGIN + PAD, y + 1.4)
    pdf.cell(38, 4.2, t["hash"])
    pdf.set_font("Courier", "", 8.6)
    pdf.set_text_color(*INK)
    pdf.set_xy(MARGIN + 40 + PAD, y + 1.4)
    pdf.cell(d.width - 40 - 2 * PAD, 4.2, v["hash"])
    pdf.set_y(y + 7)


def _signatures(d: _Doc):
    """Analyst, reviewer, authorised signatory and date of issue, and the box for the seal."""
    pdf, v = d.pdf, d.v
    t = v["t"]
    size = 44.0
    d.heading(t["signatures"], keep=size + 4)
    top = pdf.get_y() + 2
    left = d.width - size - 8
    half = (left - 8) / 2
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.3)
    for i, who in enumerate(t["sign"]):
        x = MARGIN + (i % 2) * (half + 8)
        y = top + 14 + (i // 2) * 22
        pdf.line(x, y, x + half, y)
        d.font(8, False, MUTED)
        pdf.text(x, y + 4, who)
    # The seal: a box the stamp goes in.
    sx = MARGIN + d.width - size
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.4)
    pdf.set_dash_pattern(dash=1.5, gap=1.2)
    pdf.rect(sx, top, size, size)
    pdf.set_dash_pattern()
    d.font(8.5, False, MUTED)
    lines = t["seal"].split("\n")
    for i, line in enumerate(lines):
        width = min(pdf.get_string_width(line), size - 4)
        pdf.text(sx + (size - width) / 2, top + size - 4 - 4 * (len(lines) - 1 - i), line)
    pdf.set_y(top + size + 2)


def _investigative(d: _Doc):
    """The last page: the investigative evidence, saying in both languages that it is not the DNA opinion."""
    pdf, v = d.pdf, d.v
    t = v["t"]
    pdf.add_page()
    d.font(14, True, ALERT)
    pdf.set_x(MARGIN)
    pdf.cell(d.width, 8, t["inv_title"])
    pdf.ln(10)
    # The notice, boxed, Chinese then English whatever the report's language.
    lines = 0
    for text in v["notice"]:
        d.font(9.5, True)
        lines += d.lines_needed(text, d.width - 8)
    top = pdf.get_y()
    y = top + 3
    for i, text in enumerate(v["notice"]):
        d.font(9.5, True, ALERT)
        old = d.wrap
        d.wrap = WrapMode.CHAR if i == 0 else WrapMode.WORD
        n = d.lines_needed(text, d.width - 8)
        d.rich(MARGIN + 4, y, d.width - 8, 4.6, text)
        d.wrap = old
        y += n * 4.6 + 1.5
    pdf.set_draw_color(*ALERT)
    pdf.set_line_width(0.6)
    pdf.rect(MARGIN, top, d.width, y - top + 1.5)
    pdf.set_y(y + 4)
    widths = (38.0, 27.0, 17.0, d.width - 82.0)

    def header():
        d.row([(w, text, True, "L", INK) for w, text in zip(widths, (t["evidence"], t["m_lr"], t["m_log10"],
                                                                       t["says"]), strict=True)],
              fills=[BAND] * 4)

    header()
    for e in v["evidence"]:
        d.row([(widths[0], e["name"], True, "L", INK), (widths[1], e["lr"], False, "L", INK),
               (widths[2], e["log10"], False, "L", INK), (widths[3], e["sentence"], False, "L", INK)],
              header=header)
    pdf.ln(2)
    if v["odds"]:
        d.kv(v["odds"])
    else:
        d.paragraph(t["no_prior"])


def write_pdf(report: KinshipReport, v: dict, path: Path, *, font=None) -> Path:
    """Draw the report's texts ``v`` (from ``view``) into a PDF at ``path``."""
    d = _Doc(v, find_cjk_font(font))
    # The generation time, not the time of writing: the same report gives the same bytes.
    d.pdf.set_creation_date(report.generated_at)
    d.pdf.add_page()
    _title(d)
    _lab(d)
    _identifiers(d)
    _samples(d)
    _hypotheses(d)
    _conclusion(d)
    _pedigree(d, report.drawing())
    _markers(d)
    _lineage(d)
    _method(d)
    _provenance(d)
    _signatures(d)
    _investigative(d)
    path.parent.mkdir(parents=True, exist_ok=True)
    d.pdf.output(str(path))
    return path


def render_pdf(report: KinshipReport, path: str | Path, *, font: str | Path | None = None) -> Path:
    """Write the report as a PDF (A4) to ``path`` and return the path.

    Names are set in an embedded CJK font (see :mod:`reunite.reports.fonts`: ``font``, then the
    ``REUNITE_CJK_FONT`` environment variable, then the Debian fonts-noto-cjk files); without one
    this raises :class:`~reunite.reports.fonts.MissingFontError` naming the package to install.
    """
    return write_pdf(report, view(report), Path(path), font=font)
