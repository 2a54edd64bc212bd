"""Finding the CJK font: argument, environment, Debian files; clear errors naming the package."""

from __future__ import annotations

from pathlib import Path

import pytest

from needs import need_cjk_font
from reunite.errors import ReuniteError
from reunite.reports import fonts
from reunite.reports.fonts import ENV_VAR, MissingFontError, find_cjk_font

NOTO = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def test_the_error_is_a_reunite_error_naming_the_package(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(fonts, "CANDIDATES", (tmp_path / "missing.ttc",))
    with pytest.raises(MissingFontError) as exc:
        find_cjk_font()
    assert isinstance(exc.value, ReuniteError)
    assert "fonts-noto-cjk" in str(exc.value) and ENV_VAR in str(exc.value)
    assert str(tmp_path / "missing.ttc") in str(exc.value)


def test_the_environment_variable_is_used_and_checked(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nope.otf"))
    with pytest.raises(MissingFontError, match=ENV_VAR):
        find_cjk_font()
    text = tmp_path / "font.txt"
    text.write_text("not a font")
    monkeypatch.setenv(ENV_VAR, str(text))
    with pytest.raises(MissingFontError, match=r"not a \.ttf"):
        find_cjk_font()
    bad = tmp_path / "broken.ttf"
    bad.write_bytes(b"\0" * 64)
    monkeypatch.setenv(ENV_VAR, str(bad))
    with pytest.raises(MissingFontError, match="cannot read the font"):
        find_cjk_font()


@pytest.mark.skipif(not DEJAVU.is_file(), reason="no Latin-only font here to test with")
def test_a_font_without_chinese_glyphs_is_refused():
    with pytest.raises(MissingFontError, match="no Chinese glyphs"):
        find_cjk_font(DEJAVU)


def test_the_default_is_a_simplified_chinese_face(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    need_cjk_font()
    font = find_cjk_font()
    assert font.path.is_file()
    if font.path == NOTO:
        assert font.index == 2 and font.name == "Noto Sans CJK SC"
        assert font.bold_path is not None and font.bold_path.name == "NotoSansCJK-Bold.ttc"


@pytest.mark.skipif(not NOTO.is_file(), reason="fonts-noto-cjk is not installed")
def test_a_face_of_a_collection_can_be_chosen():
    assert find_cjk_font(f"{NOTO}#3").name == "Noto Sans CJK TC"
    with pytest.raises(MissingFontError, match="face #42"):
        find_cjk_font(f"{NOTO}#42")
