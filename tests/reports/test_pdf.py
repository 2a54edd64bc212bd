"""The PDF report renders, shows Chinese names with embedded glyphs, and prints the hash."""

from __future__ import annotations

import copy
import subprocess

import numpy as np
import pytest
from PIL import Image

from needs import need_cjk_font, need_tool
from reunite.reports import MissingFontError, render_pdf

from .helpers import CHILD_NAME, FOUND_NAME, LAB, LABELS, report_from


def _text(pdf, *args) -> str:
    out = subprocess.run([need_tool("pdftotext"), "-enc", "UTF-8", *args, str(pdf), "-"],
                         capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def _page_png(pdf, tmp_path, page: int = 1, dpi: int = 60) -> Image.Image:
    prefix = tmp_path / f"page{page}"
    subprocess.run([need_tool("pdftoppm"), "-r", str(dpi), "-f", str(page), "-l", str(page), "-png",
                    str(pdf), str(prefix)], check=True, capture_output=True)
    (png,) = tmp_path.glob(f"page{page}*.png")
    return Image.open(png).convert("RGB")


def test_page_one_renders_and_is_not_blank(pdf_path, tmp_path):
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    img = _page_png(pdf_path, tmp_path)
    w, h = img.size
    assert abs(h / w - 297 / 210) < 0.01  # A4 portrait
    px = np.asarray(img, dtype=int)
    ink = (px.sum(axis=2) < 600).mean()
    assert ink > 0.02, f"page 1 is (nearly) blank: {ink:.1%} ink"
    # The missing member is drawn in red in the pedigree (on page 1 or 2, after the samples).
    reds = 0
    for page in (1, 2):
        px = np.asarray(_page_png(pdf_path, tmp_path, page), dtype=int)
        r, g, b = px[..., 0], px[..., 1], px[..., 2]
        reds += ((r > 150) & (g < 80) & (b < 80)).sum()
    assert reds > 20


def test_chinese_names_are_real_text_in_the_pdf(pdf_path):
    text = _text(pdf_path)
    for name in (CHILD_NAME, FOUND_NAME, LAB, *LABELS.values()):
        assert name in text, name


def test_the_cjk_font_is_embedded(pdf_path):
    out = subprocess.run([need_tool("pdffonts"), str(pdf_path)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in out.splitlines() if "CJK" in line or "Hei" in line or "Ming" in line]
    assert cjk, out
    assert all(" yes " in line for line in cjk), out  # embedded (and subset)


def test_the_pdf_states_result_hash_and_assumptions(pdf_path, report):
    text = " ".join(_text(pdf_path).split())
    assert report.content_hash in text
    assert report.verbal in text
    assert f"{report.log10_lr:.2f}" in text
    for row in report.markers:
        assert row.marker in text
    assert "D21S11 26/31.2 30/31.2 27/31 27/30" in " ".join(_text(pdf_path, "-layout").split())
    for needle in ("inline table", "equal (rate 0.003)", "Theta (FST)", "independent (product rule)",
                   "Prior probability of H1", "Posterior probability of H1", "Reunite 0.1.0",
                   "Analyst (name, signature, date)"):
        assert needle in text, needle


def test_the_same_report_gives_the_same_bytes(report, pdf_path, tmp_path):
    again = render_pdf(report, tmp_path / "again.pdf")
    assert again.read_bytes() == pdf_path.read_bytes()


def test_an_exclusion_with_a_large_pedigree_renders(golden_spec, tmp_path):
    """LR 0 (no mutation model, an inconsistent marker), a 3-generation pedigree, many relatives."""
    need_cjk_font()
    spec = copy.deepcopy(golden_spec)
    spec["mutation"] = None
    spec["pedigree"] = [
        {"id": "GF", "sex": "male"}, {"id": "GM", "sex": "female"},
        {"id": "FA", "father": "GF", "mother": "GM", "sex": "male"}, {"id": "MO", "sex": "female"},
        {"id": "UNC", "father": "GF", "mother": "GM", "sex": "male"}, {"id": "AUN", "sex": "female"},
        {"id": "SIB", "father": "FA", "mother": "MO", "sex": "female"},
        {"id": "POI", "father": "FA", "mother": "MO", "sex": "female"},
        {"id": "C1", "father": "UNC", "mother": "AUN", "sex": "unknown"},
    ]
    rep = report_from(spec, missing_child_name="", member_labels={}, other_evidence=[], prior=None)
    assert rep.combined_lr == 0 and rep.log10_lr is None
    path = render_pdf(rep, tmp_path / "exclusion.pdf")
    text = " ".join(_text(path).split())
    assert "LR 0: 1 marker(s) cannot be explained without mutation" in text and "−∞" in text
    img = _page_png(path, tmp_path)
    assert (np.asarray(img, dtype=int).sum(axis=2) < 600).mean() > 0.02


def test_no_cjk_font_is_a_clear_error_and_writes_nothing(report, tmp_path):
    out = tmp_path / "none.pdf"
    with pytest.raises(MissingFontError, match="fonts-noto-cjk") as exc:
        render_pdf(report, out, font=tmp_path / "no-such-font.ttc")
    assert str(tmp_path / "no-such-font.ttc") in str(exc.value)
    assert not out.exists()
