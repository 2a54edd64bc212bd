"""The message catalogues: every key in both languages, every key the code uses exists, dates per locale."""

from __future__ import annotations

import datetime as dt
import re
import string
from pathlib import Path

import pytest

from reunite.web import i18n

WEB = Path(i18n.__file__).parent
# t("key"), t('key', ...) or t('prefix.' ~ x) in templates and Python: a key must exist, a prefix must start
# some key (the values a dynamic key takes are checked by rendering the pages in Chinese, test_zh_pages.py).
LITERAL_KEY = re.compile(r"""\bt\(\s*f?(['"])([A-Za-z0-9_.]+)(?:\{|\1)""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_is_in_both_languages_with_the_same_placeholders():
    en, zh = i18n.MESSAGES["en"], i18n.MESSAGES["zh"]
    assert len(en) > 200
    assert set(en) == set(zh), f"only in en: {set(en) - set(zh)}; only in zh: {set(zh) - set(en)}"
    for key in en:
        assert en[key].strip() and zh[key].strip(), key
        assert _placeholders(en[key]) == _placeholders(zh[key]), key


def test_every_key_used_in_templates_and_python_exists():
    sources = [*WEB.glob("templates/*.html"), *(p for p in WEB.glob("*.py") if p.name != "i18n.py")]
    used = {(path.name, m.group(2)) for path in sources for m in LITERAL_KEY.finditer(path.read_text("utf-8"))}
    assert len(used) > 100
    keys = i18n.MESSAGES["en"]
    missing = sorted(f"{name}: {key}" for name, key in used
                     if not (any(k.startswith(key) for k in keys) if key.endswith(".") else key in keys))
    assert not missing, missing


def test_catalogues_are_gettext_files_read_with_babel():
    for lang in i18n.LANGUAGES:
        path = i18n.catalogue_path(lang)
        assert path.is_relative_to(WEB / "locale") and path.suffix == ".po"
        assert 'msgid "site.title"' in path.read_text("utf-8")
    assert i18n.translator("zh")("cand.title", id=7) == "候选匹配 7"
    assert i18n.translator("en")("cand.title", id=7) == "Candidate 7"
    assert i18n.translator("zh")("no.such.key") == "no.such.key"


def test_pyproject_ships_the_catalogues():
    pyproject = (WEB.parents[2] / "pyproject.toml").read_text("utf-8")
    assert '"web/locale/*/LC_MESSAGES/*.po"' in pyproject and '"web/templates/*.html"' in pyproject


@pytest.mark.parametrize(("lang", "date", "number"), [
    ("en", "5 Mar 2024", "1,234,567.5"),
    ("zh", "2024年3月5日", "1,234,567.5"),
])
def test_dates_and_numbers_follow_the_locale(lang, date, number):
    fmt = i18n.formatters(lang)
    assert fmt["date"](dt.date(2024, 3, 5)) == date
    assert fmt["date"]("2024-03-05") == date
    assert fmt["number"](1234567.5, 1) == number
    assert fmt["date"](None) == "–"


def test_every_template_compiles():
    """A template that does not compile is a 500 on its page only (Jinja compiles on first use)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(WEB / "templates"), autoescape=True)
    names = env.list_templates(extensions=["html"])
    assert len(names) > 15
    for name in names:
        env.get_template(name)
