"""Appeal posters: one page in Chinese or English, A4 or A3, as PDF (fpdf2) and PNG, and a press kit.

A poster prints :func:`reunite.cases.appeals.public_view` of a published appeal and nothing else: the
approved photo (or the stated reason there is none), the facts the investigator chose to publish
(the place as a county or prefecture, never the address typed; never a genotype), the hotline, and
a QR code (``segno``, drawn as vector squares) that opens the appeal's page with the poster's signed
token, where anyone can check that the poster is genuine, superseded or withdrawn.

The PDF embeds the CJK font of the kinship reports (:func:`reunite.reports.fonts.find_cjk_font`;
without one, :class:`~reunite.reports.fonts.MissingFontError` names the package to install).  The
PNG is the PDF's page rendered by PDFium (``pypdfium2``) at :data:`PNG_DPI`, so both show the same
layout.  The layout is drawn for A4 in millimetres and scaled for A3.

:func:`write_posters` and :func:`write_press_kit` write files and register them in
``written_files`` (kind ``poster``, with the appeal), so unpublishing the appeal or a withdrawal by
the family deletes them (:mod:`reunite.cases.privacy`).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import segno
from fpdf import FPDF
from fpdf.enums import WrapMode
from PIL import Image, UnidentifiedImageError

from ..cases.appeals import PublicAppeal, age_parts, get_appeal, poster_token, poster_url, public_view
from ..cases.audit import append_audit
from ..cases.privacy import register_written_file
from ..cases.signing import Signer
from ..errors import InputError, Problem
from ..evidence.marks import describe_marks
from .fonts import find_cjk_font

__all__ = ["FORMATS", "LANGS", "PNG_DPI", "SIZES", "Poster", "fact_lines", "load_poster", "marks_text", "poster_files",
           "press_kit", "press_text", "render_pdf", "render_png", "render_poster", "write_posters", "write_press_kit"]

#: Page sizes (width, height) in mm.
SIZES = {"a4": (210.0, 297.0), "a3": (297.0, 420.0)}
LANGS = ("zh", "en")
FORMATS = ("pdf", "png")
#: Resolution of the PNG posters (A4: 1240 x 1754 pixels; A3: 1754 x 2480).
PNG_DPI = 150

RED = (179, 38, 30)
INK = (26, 26, 26)
MUTED = (90, 90, 90)
PALE = (242, 244, 247)
WHITE = (255, 255, 255)

WORDS = {
    "zh": {
        "title.found": "寻找这个孩子的家人", "title.missing": "寻找失踪儿童",
        "sub.found": "这个孩子已被解救，目前安全。如果您认识这个孩子或其家人，请拨打热线。",
        "sub.missing": "如果您见过这个孩子或知道任何线索，请立即拨打热线。",
        "sex": "性别", "sex.male": "男孩", "sex.female": "女孩", "sex.unknown": "不详",
        "name": "姓名", "age_now": "现在约", "age_then.found": "被发现时约", "age_then.missing": "走失时约",
        "place.found": "发现地点", "place.missing": "走失地点", "date.found": "发现日期", "date.missing": "走失日期",
        "months": "{n}个月", "years": "{n}岁", "description": "情况", "marks": "特征",
        "no_photo": "暂无照片", "hotline": "热线电话", "scan": "扫码查看公告，核实这张海报的真伪",
        "published": "发布于 {date} · 公告编号 {id}",
        "warning": "请勿向任何索要钱财的人付款。线索只交给警方。",
        "press.title": "新闻资料：寻亲公告 {id}",
        "press.files": "附件：中文和英文海报，A4和A3，PDF（印刷）和PNG（网络）。",
        "press.page": "公告网页（可核实海报真伪）：{url}",
        "press.note": "请只使用以上公布的信息和照片；请勿猜测或发布孩子的确切住址。",
    },
    "en": {
        "title.found": "DO YOU KNOW THIS CHILD'S FAMILY?", "title.missing": "MISSING CHILD",
        "sub.found": "This child was found and is safe. If you know the child or the family, call the hotline.",
        "sub.missing": "If you have seen this child or know anything, call the hotline now.",
        "sex": "Sex", "sex.male": "boy", "sex.female": "girl", "sex.unknown": "unknown",
        "name": "Name", "age_now": "Age now", "age_then.found": "Age when found",
        "age_then.missing": "Age when missing", "place.found": "Found in", "place.missing": "Missing from",
        "date.found": "Found on", "date.missing": "Missing since",
        "months": "about {n} months", "years": "about {n} years", "description": "About", "marks": "Marks",
        "no_photo": "No photo", "hotline": "Hotline",
        "scan": "Scan to open the appeal and check this poster is genuine",
        "published": "Published {date} · appeal {id}",
        "warning": "Never pay anyone who asks for money. Tips go to the police only.",
        "press.title": "Press kit: appeal {id}", "press.files": "Attached: posters in Chinese and English, A4 and A3, "
                                                               "PDF (print) and PNG (web).",
        "press.page": "The appeal's page (checks a poster is genuine): {url}",
        "press.note": "Please use only the facts and photo published here; do not guess or publish the child's "
                      "address.",
    },
}


@dataclass(frozen=True)
class Poster:
    """What a poster prints: the public view, the QR code's URL, the photo file (None: no photo)."""

    view: PublicAppeal
    url: str
    photo: Path | None


def _check(lang: str, size: str) -> None:
    problems = []
    if lang not in LANGS:
        problems.append(Problem(f"the poster's language must be zh or en, not {lang!r}", field="lang"))
    if size not in SIZES:
        problems.append(Problem(f"the poster's size must be a4 or a3, not {size!r}", field="size"))
    if problems:
        raise InputError(problems)


def _age(w: dict, months: float | None) -> str | None:
    if months is None:
        return None
    unit, n = age_parts(months)
    return w[unit].format(n=n)


def fact_lines(view: PublicAppeal, lang: str) -> list[tuple[str, str]]:
    """The (label, value) lines of the facts a poster prints, in order; only published facts."""
    w, k = WORDS[lang], view.kind
    # in English the Chinese name too, as the pages say it: it is what the place is called where the poster
    # is read, and what a reader would tell the police
    place = view.place_zh if lang == "zh" or not view.place_en else f"{view.place_en} ({view.place_zh})"
    rows = [(w["name"], view.name), (w["sex"], w[f"sex.{view.sex}"] if view.sex else None),
            (w["age_now"], _age(w, view.age_now_months)), (w[f"age_then.{k}"], _age(w, view.age_then_months)),
            (w[f"place.{k}"], place), (w[f"date.{k}"], view.date)]
    return [(label, value) for label, value in rows if value]


# --------------------------------------------------------------------------------- drawing


class _Page:
    """One poster page; coordinates in A4 millimetres, scaled by ``k`` for larger paper."""

    def __init__(self, size: str, font):
        w, h = SIZES[size]
        self.k = w / SIZES["a4"][0]
        pdf = FPDF(orientation="P", unit="mm", format=(w, h))
        pdf.set_auto_page_break(False)
        pdf.set_margins(0, 0, 0)
        pdf.add_font("cjk", "", str(font.path), collection_font_number=font.index)
        pdf.add_font("cjk", "B", str(font.bold_path or font.path),
                     collection_font_number=font.bold_index if font.bold_path else font.index)
        pdf.add_page()
        self.pdf = pdf

    def font(self, pt: float, bold: bool = False, color=INK) -> None:
        self.pdf.set_font("cjk", "B" if bold else "", pt * self.k)
        self.pdf.set_text_color(*color)

    def rect(self, x, y, w, h, color) -> None:
        self.pdf.set_fill_color(*color)
        self.pdf.rect(x * self.k, y * self.k, w * self.k, h * self.k, style="F")

    def text(self, x, y, w, lh, text, *, align="L", wrap=WrapMode.WORD, max_lines=None) -> float:
        """Write wrapped text in the box at (x, y), ``w`` wide; returns the y below it (A4 mm)."""
        k, pdf = self.k, self.pdf
        lines = pdf.multi_cell(w * k, lh * k, text, dry_run=True, output="LINES", wrapmode=wrap)
        if max_lines is not None and len(lines) > max_lines:
            lines = lines[:max_lines]
            lines[-1] = lines[-1][: max(1, len(lines[-1]) - 1)] + "…"
        for i, line in enumerate(lines):
            pdf.set_xy(x * k, (y + i * lh) * k)
            pdf.cell(w * k, lh * k, line, align=align)
        return y + len(lines) * lh

    def image(self, img: Image.Image, x, y, w, h) -> None:
        """Fit the image in the box, centred, keeping its proportions."""
        scale = min(w / img.width, h / img.height)
        iw, ih = img.width * scale, img.height * scale
        k = self.k
        self.pdf.image(img, x=(x + (w - iw) / 2) * k, y=(y + (h - ih) / 2) * k, w=iw * k, h=ih * k)

    def qr(self, url: str, x, y, side) -> None:
        """The QR code of ``url`` as black squares, with its quiet zone of 4 modules, ``side`` mm wide."""
        code = segno.make(url, error="m")
        matrix = code.matrix
        n = len(matrix) + 8
        m = side / n
        self.rect(x, y, side, side, WHITE)
        self.pdf.set_fill_color(0, 0, 0)
        k = self.k
        for r, row in enumerate(matrix):
            for c, dark in enumerate(row):
                if dark:
                    self.pdf.rect((x + (c + 4) * m) * k, (y + (r + 4) * m) * k, m * k + 0.01, m * k + 0.01,
                                  style="F")


def _photo(path: Path | None) -> Image.Image | None:
    if path is None or not path.is_file():
        return None
    try:
        with Image.open(path) as img:
            return img.convert("RGB")
    except (OSError, UnidentifiedImageError):
        return None


def render_pdf(poster: Poster, *, lang: str = "zh", size: str = "a4", font=None) -> bytes:
    """The poster as a one-page PDF (bytes)."""
    _check(lang, size)
    v, w = poster.view, WORDS[lang]
    # at spaces, and inside a run too long for the line (Chinese has no spaces; mixed texts keep their words)
    wrap = WrapMode.WORD
    page = _Page(size, find_cjk_font(font))
    page.pdf.set_title(w[f"title.{v.kind}"])
    page.pdf.set_creator("Reunite")
    # band: title and one line on what to do
    page.rect(0, 0, 210, 34, RED)
    page.font(30 if lang == "zh" else 25, bold=True, color=WHITE)
    page.text(10, 6, 190, 13, w[f"title.{v.kind}"], align="C", wrap=wrap, max_lines=1)
    page.font(11.5, color=WHITE)
    page.text(12, 21, 186, 5.6, w[f"sub.{v.kind}"], align="C", wrap=wrap, max_lines=2)
    # photo (or why there is none), facts on the right
    img = _photo(poster.photo)
    page.rect(12, 42, 100, 124, PALE)
    if img is not None:
        page.image(img, 12, 42, 100, 124)
    else:
        page.font(20, bold=True, color=MUTED)
        page.text(12, 82, 100, 10, w["no_photo"], align="C", wrap=wrap)
        page.font(11, color=MUTED)
        page.text(20, 96, 84, 5.5, v.no_photo_reason or "", align="C", wrap=wrap, max_lines=8)
    y = 44.0
    for label, value in fact_lines(v, lang):
        page.font(10, color=MUTED)
        page.text(120, y, 80, 5, label, wrap=wrap)
        page.font(15, bold=True)
        y = page.text(120, y + 5, 80, 7.2, value, wrap=wrap, max_lines=3) + 3.5
    # description and marks, full width
    y = 172.0
    for key, text in (("marks", marks_text(v, lang)), ("description", v.description)):
        if text:
            page.font(11, bold=True)
            page.text(12, y, 30, 6, w[key], wrap=wrap)
            page.font(11)
            y = page.text(34 if lang == "zh" else 36, y, 164, 6, text, wrap=wrap, max_lines=3) + 2
    # hotline
    page.rect(12, 212, 186, 22, PALE)
    page.font(12, color=MUTED)
    page.text(16, 214.5, 60, 6, w["hotline"], wrap=wrap)
    page.font(30, bold=True, color=RED)
    page.text(16, 220, 178, 12, v.hotline, wrap=WrapMode.CHAR, max_lines=1)
    # QR code and how to check the poster
    page.qr(poster.url, 152, 240, 46)
    page.font(12, bold=True)
    y = page.text(12, 243, 134, 6.2, w["scan"], wrap=wrap, max_lines=2)
    page.font(7.5, color=MUTED)
    y = page.text(12, y + 1.5, 134, 3.8, poster.url, wrap=WrapMode.CHAR, max_lines=3)
    page.font(10)
    y = page.text(12, y + 3, 134, 5.5, w["published"].format(date=v.published_at or "", id=v.id), wrap=wrap)
    page.font(10, bold=True, color=RED)
    page.text(12, y + 1, 134, 5.5, w["warning"], wrap=wrap, max_lines=2)
    return bytes(page.pdf.output())


def render_png(pdf: bytes, *, dpi: int = PNG_DPI) -> bytes:
    """The first page of a PDF as a PNG (PDFium), ``dpi`` dots per inch."""
    doc = pypdfium2.PdfDocument(pdf)
    try:
        image = doc[0].render(scale=dpi / 72).to_pil()
    finally:
        doc.close()
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "PNG", optimize=True)
    return buf.getvalue()


def marks_text(view: PublicAppeal, lang: str) -> str | None:
    """The appeal's marks as the poster of ``lang`` prints them: the marks vocabulary's names in that
    language (:func:`reunite.evidence.marks.describe_marks`: "先天性青光眼（左眼睛）" on a Chinese poster,
    "congenital glaucoma (left eye)" on an English one), free text kept where no term matches."""
    words = describe_marks(view.marks, lang)
    return ("；" if lang == "zh" else "; ").join(words) or None


def render_poster(poster: Poster, *, lang: str, size: str, fmt: str, font=None) -> bytes:
    """The poster in one language, size and format (``pdf`` or ``png``)."""
    if fmt not in FORMATS:
        raise InputError(Problem(f"the poster's format must be pdf or png, not {fmt!r}", field="format"))
    pdf = render_pdf(poster, lang=lang, size=size, font=font)
    return pdf if fmt == "pdf" else render_png(pdf)


# ----------------------------------------------------------------------------- from the store


def load_poster(session, appeal_id: int, *, base_url: str, media_dir: str | Path, signer: Signer | None = None
                ) -> Poster:
    """The poster of a published appeal: its public view, its signed URL and its photo's file.

    ``signer`` signs the QR code's token (default: :meth:`Signer.from_env`, which needs
    ``$REUNITE_SECRET_KEY``)."""
    appeal = get_appeal(session, appeal_id, published_only=True)
    view = public_view(appeal)
    signer = signer or Signer.from_env(needed_for="a poster's QR code")
    url = poster_url(base_url, appeal.id, poster_token(appeal, signer))
    return Poster(view, url, Path(media_dir) / view.photo_path if view.photo_path else None)


def poster_files(appeal_id: int) -> list[tuple[str, str, str, str]]:
    """(file name, lang, size, format) of every poster of an appeal, Chinese first."""
    return [(f"appeal-{appeal_id}-{lang}-{size}.{fmt}", lang, size, fmt)
            for lang in LANGS for size in SIZES for fmt in FORMATS]


def press_text(poster: Poster) -> str:
    """The press kit's text: the appeal in Chinese, then in English."""
    parts = []
    for lang in LANGS:
        w, v = WORDS[lang], poster.view
        lines = [w["press.title"].format(id=v.id), "", w[f"title.{v.kind}"], w[f"sub.{v.kind}"], ""]
        lines += [f"{label}: {value}" for label, value in fact_lines(v, lang)]
        lines += [f"{w[k]}: {text}" for k, text in (("marks", marks_text(v, lang)), ("description", v.description))
                  if text]
        if v.photo_path is None:
            lines.append(f"{w['no_photo']}: {v.no_photo_reason}")
        lines += [f"{w['hotline']}: {v.hotline}", w["press.page"].format(url=poster.url),
                  w["published"].format(date=v.published_at, id=v.id), "", w["press.files"], w["press.note"],
                  w["warning"]]
        parts.append("\n".join(lines))
    return ("\n\n" + "-" * 60 + "\n\n").join(parts) + "\n"


def _renders(poster: Poster, wanted, font=None):
    """(name, bytes) of each wanted poster file, one PDF drawn per language and size."""
    done: dict[tuple[str, str], bytes] = {}
    for name, lang, size, fmt in wanted:
        if (lang, size) not in done:
            done[(lang, size)] = render_pdf(poster, lang=lang, size=size, font=font)
        pdf = done[(lang, size)]
        yield name, pdf if fmt == "pdf" else render_png(pdf)


def press_kit(poster: Poster, *, font=None) -> bytes:
    """The press kit as a ZIP: every poster (zh, en; A4, A3; PDF, PNG) and the text in both languages."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in _renders(poster, poster_files(poster.view.id), font):
            z.writestr(name, data)
        z.writestr(f"appeal-{poster.view.id}-press-zh-en.txt", press_text(poster))
    return buf.getvalue()


def _register(session, path: Path, appeal_id: int, user: str) -> None:
    register_written_file(session, path, kind="poster", user=user, appeal_id=appeal_id, commit=False)


def write_posters(session, appeal_id: int, folder: str | Path, *, base_url: str, media_dir: str | Path,
                  user: str, langs=LANGS, sizes=tuple(SIZES), formats=FORMATS, font=None,
                  signer: Signer | None = None) -> list[Path]:
    """Write the posters of a published appeal into ``folder`` (``appeal-ID-LANG-SIZE.FMT``), registered
    for erasure and audited; the paths written."""
    for lang in langs:
        for size in sizes:
            _check(lang, size)
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise InputError(Problem(f"the poster's format must be pdf or png, not {bad[0]!r}", field="format"))
    poster = load_poster(session, appeal_id, base_url=base_url, media_dir=media_dir, signer=signer)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    wanted = [f for f in poster_files(appeal_id) if f[1] in langs and f[2] in sizes and f[3] in formats]
    for name, data in _renders(poster, wanted, font):
        path = folder / name
        path.write_bytes(data)
        _register(session, path, appeal_id, user)
        out.append(path)
    append_audit(session, user, "appeal.poster", entity="appeal", entity_id=appeal_id,
                 details={"files": len(out)})
    session.commit()
    return out


def write_press_kit(session, appeal_id: int, folder: str | Path, *, base_url: str, media_dir: str | Path,
                    user: str, font=None, signer: Signer | None = None) -> Path:
    """Write the press kit of a published appeal (``appeal-ID-press-kit.zip``), registered and audited."""
    poster = load_poster(session, appeal_id, base_url=base_url, media_dir=media_dir, signer=signer)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"appeal-{appeal_id}-press-kit.zip"
    path.write_bytes(press_kit(poster, font=font))
    _register(session, path, appeal_id, user)
    append_audit(session, user, "appeal.press_kit", entity="appeal", entity_id=appeal_id, details={"files": 1})
    session.commit()
    return path
