"""The words of every page, in English and Chinese, read from gettext catalogues with Babel.

WHERE STRINGS GO NOW: not in this file.  A page's words are messages in
``src/reunite/web/locale/{en,zh}/LC_MESSAGES/reunite.po`` (msgid = the key used with ``t("key")``,
msgstr = the text); add every new key to both files (docs/i18n.md says how; tests/web/test_i18n.py
checks that every key used exists in both languages with the same ``{placeholders}``).

The language is ``?lang=en|zh`` (then remembered in the session), else the session's, else the
first of ``Accept-Language`` that we speak, else English.  Dates and numbers on pages are
formatted for the language with Babel's locale data (:func:`formatters`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from fastapi import Request

__all__ = ["LANGUAGES", "LOCALE_DIR", "MESSAGES", "choose_language", "formatters", "translator"]

LANGUAGES = ("en", "zh")
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "reunite"
# The CLDR locale whose conventions a page in that language follows (dates, digits grouping).
BABEL_LOCALES = {"en": "en_GB", "zh": "zh_Hans_CN"}


def catalogue_path(lang: str) -> Path:
    """The .po file of one language."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(lang: str) -> dict[str, str]:
    """``{key: text}`` of one language's catalogue; an empty msgstr (not translated yet) is left out."""
    with catalogue_path(lang).open("rb") as f:
        catalogue = read_po(f, locale=BABEL_LOCALES[lang], domain=DOMAIN)
    return {m.id: m.string for m in catalogue if m.id and isinstance(m.id, str) and m.string}


MESSAGES: dict[str, dict[str, str]] = {lang: read_catalogue(lang) for lang in LANGUAGES}


def choose_language(request: Request) -> str:
    """The language of this request (see the module docstring)."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        request.session["lang"] = asked
        return asked
    kept = request.session.get("lang")
    if kept in LANGUAGES:
        return kept
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


def translator(lang: str):
    """``t(key, **values)`` for the language; an unknown key is shown as itself."""
    table = MESSAGES.get(lang, MESSAGES["en"])

    def t(key: str, **values) -> str:
        text = table.get(key) or MESSAGES["en"].get(key) or key
        return text.format(**values) if values else text

    return t


def formatters(lang: str) -> dict:
    """``date(d)``, ``datetime(ts)`` and ``number(x)`` for the language, for the templates."""
    locale = BABEL_LOCALES.get(lang, BABEL_LOCALES["en"])

    def date(value: dt.date | str | None) -> str:
        if value in (None, ""):
            return "–"
        if isinstance(value, str):
            value = dt.date.fromisoformat(value[:10])
        return format_date(value, format="medium", locale=locale)

    def datetime(value: dt.datetime | str | None) -> str:
        if value in (None, ""):
            return "–"
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return format_datetime(value, format="medium", locale=locale)

    def number(value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=locale)

    return {"date": date, "datetime": datetime, "number": number}
