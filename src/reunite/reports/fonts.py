"""The CJK font the PDF reports embed.

Children's and families' names are often Chinese, and the PDF core fonts have no Chinese glyphs,
so every PDF embeds (a subset of) a CJK font from the machine; nothing is downloaded.  The font is
found in this order:

1. the ``font`` argument of :func:`find_cjk_font` (and of ``render_pdf``);
2. the environment variable ``REUNITE_CJK_FONT``;
3. the Debian packages' files listed in :data:`CANDIDATES` (``fonts-noto-cjk`` first).

A path may name a ``.ttf``/``.otf`` font or a ``.ttc``/``.otc`` collection; in a collection the
Simplified Chinese face (``SC``/``GB`` in its name) is chosen.  Append ``#N`` to pick face ``N``
yourself (``NotoSansCJK-Regular.ttc#2``).  A bold face is used when it sits beside the regular
one (``NotoSansCJK-Bold.ttc``); otherwise bold text is set in the regular face.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont, TTLibError

from ..errors import ReuniteError

__all__ = ["CANDIDATES", "ENV_VAR", "INSTALL_HINT", "CJKFont", "MissingFontError", "find_cjk_font"]

#: Environment variable naming the CJK font file to embed in PDF reports.
ENV_VAR = "REUNITE_CJK_FONT"

#: Font files looked for when neither an argument nor the environment names one.
CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),    # fonts-noto-cjk
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),   # fonts-noto-cjk
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),            # fonts-wqy-microhei
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),              # fonts-wqy-zenhei
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),                # fonts-arphic-uming
)

INSTALL_HINT = ("install the Debian package fonts-noto-cjk (apt-get install fonts-noto-cjk), "
                f"or set {ENV_VAR} to a .ttf, .otf or .ttc font that has Chinese glyphs")

_SUFFIXES = {".ttf", ".otf", ".ttc", ".otc"}
_PROBE = "中国儿童"  # a font without these glyphs cannot print Chinese names


class MissingFontError(ReuniteError, FileNotFoundError):
    """No usable CJK font for a PDF report; the message says which package to install."""


@dataclass(frozen=True)
class CJKFont:
    """A CJK font face to embed: a file and, for a collection, the face's index."""

    path: Path
    index: int = 0
    bold_path: Path | None = None
    bold_index: int = 0
    name: str = ""


def _split_index(spec: str | Path) -> tuple[Path, int | None]:
    text = str(spec)
    if "#" in text:
        head, _, tail = text.rpartition("#")
        if tail.isdigit():
            return Path(head), int(tail)
    return Path(text), None


@lru_cache(maxsize=32)
def _inspect(path: Path, index: int | None) -> tuple[int, str]:
    """The face index to use in ``path`` and its name; raises MissingFontError if unusable."""
    try:
        if path.suffix.lower() in (".ttc", ".otc"):
            faces = TTCollection(str(path), lazy=True).fonts
        else:
            faces = [TTFont(str(path), lazy=True)]
    except (OSError, TTLibError, AssertionError) as exc:
        raise MissingFontError(f"cannot read the font {path}: {exc}; {INSTALL_HINT}") from None
    if index is not None and not 0 <= index < len(faces):
        raise MissingFontError(f"the font collection {path} has {len(faces)} face(s); face #{index} "
                               f"does not exist (faces are numbered from 0)")

    def name(face) -> str:
        return face["name"].getDebugName(4) or face["name"].getDebugName(1) or path.stem

    def has_cjk(face) -> bool:
        cmap = face.getBestCmap() or {}
        return all(ord(ch) in cmap for ch in _PROBE)

    if index is None:
        names = [name(f) for f in faces]
        order = sorted(range(len(faces)), key=lambda i: (
            "mono" in names[i].lower(),
            not any(tag in names[i] for tag in (" SC", " GB", " CN", "Hei")),
            i))
        index = next((i for i in order if has_cjk(faces[i])), None)
        if index is None:
            raise MissingFontError(f"the font {path} has no Chinese glyphs; {INSTALL_HINT}")
    elif not has_cjk(faces[index]):
        raise MissingFontError(f"face #{index} of the font {path} has no Chinese glyphs; {INSTALL_HINT}")
    return index, name(faces[index])


def _bold_sibling(path: Path) -> Path | None:
    for a, b in (("-Regular", "-Bold"), ("Regular", "Bold")):
        if a in path.name:
            cand = path.with_name(path.name.replace(a, b))
            if cand.is_file():
                return cand
    return None


def find_cjk_font(font: str | Path | None = None) -> CJKFont:
    """The CJK font to embed in PDF reports (see the module docstring for the search order).

    Raises :class:`MissingFontError`, naming the Debian package to install, when the font given
    does not exist or has no Chinese glyphs, or when none of :data:`CANDIDATES` is installed.
    """
    explicit = font if font is not None else os.environ.get(ENV_VAR) or None
    if explicit is not None:
        path, index = _split_index(explicit)
        origin = "the font given" if font is not None else f"{ENV_VAR}"
        if not path.is_file():
            raise MissingFontError(f"{origin} ({path}) is not a file; {INSTALL_HINT}")
        if path.suffix.lower() not in _SUFFIXES:
            raise MissingFontError(f"{origin} ({path}) is not a .ttf, .otf, .ttc or .otc font file")
        candidates = [(path, index)]
    else:
        candidates = [(p, None) for p in CANDIDATES if p.is_file()]
        if not candidates:
            raise MissingFontError(
                "no CJK font found for the PDF report (looked for "
                + ", ".join(str(p) for p in CANDIDATES) + f"); {INSTALL_HINT}")
    path, index = candidates[0]
    index, name = _inspect(path.resolve(), index)
    bold = _bold_sibling(path)
    bold_index = index
    if bold is not None:
        try:
            bold_index, _ = _inspect(bold.resolve(), index)
        except MissingFontError:
            bold = None
    return CJKFont(path, index, bold, bold_index, name)
