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
from collections.abc import Mapping
from pathlib import Path

from babel.dates import format_date, format_time
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from fastapi import Request
from markupsafe import Markup, escape

from ..genetics.mutation import DEFAULT_MUTATION

__all__ = ["LANGUAGES", "LOCALE_DIR", "MESSAGES", "choose_language", "formatters", "mutation_words", "problem_line",
           "problem_words", "translator"]

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
    """``t(key, **values)`` for the language; an unknown key is shown as itself.  ``t.term(prefix, code)``
    names a stored code in the language."""
    table = MESSAGES.get(lang, MESSAGES["en"])

    def t(key: str, **values) -> str:
        text = table.get(key) or MESSAGES["en"].get(key) or key
        return text.format(**values) if values else text

    def term(prefix: str, code: str | None) -> str:
        """The word for a stored code (a status, a role, an outcome, an audit action): ``prefix + code``
        translated, else the code itself (a code added to the store before its word)."""
        if code is None:
            return "–"
        return t(prefix + code) if prefix + code in MESSAGES["en"] else code

    t.term = term
    t.keys = MESSAGES["en"].keys()
    return t


def formatters(lang: str) -> dict:
    """``date(d)``, ``datetime(ts)``, ``number(x)`` and ``mutation_words(m)`` for the language, for the
    templates."""
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
        return f'{format_date(value, format="medium", locale=locale)} {format_time(value, "HH:mm", locale=locale)}'

    def number(value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=locale)

    return {"date": date, "datetime": datetime, "number": number,
            "mutation_words": lambda stored: mutation_words(stored, lang),
            "problem_words": lambda problem: problem_words(problem, lang),
            "problem_line": lambda problem: problem_line(problem, lang)}


def _get(problem, name: str):
    return problem.get(name) if isinstance(problem, Mapping) else getattr(problem, name, None)


def problem_words(problem, lang: str) -> str | None:
    """What is wrong, in ``lang``, from the problem's ``code`` and ``params`` (a :class:`reunite.errors.Problem`
    or its ``as_dict()``): ``problem.<code>`` of the catalogue.  None in English (the problem's own message
    says it, with the value) and when the problem has no code or no words in ``lang``: the caller then shows
    the English message, marked ``lang="en"``."""
    code = _get(problem, "code")
    if lang == "en" or not code:
        return None
    text = MESSAGES.get(lang, {}).get(f"problem.{code}")
    if not text:
        return None
    try:
        return text.format(**(_get(problem, "params") or {}))
    except (KeyError, IndexError, ValueError):
        return None


def problem_line(problem, lang: str, *, html: bool = False) -> tuple[str, bool]:
    """The whole problem on one line in ``lang`` ("bad.csv，第 12 行，字段 date_of_birth：日期格式应为 YYYY-MM-DD"),
    and whether it is all in that language (False: the message is the English one).  With ``html``, the line
    is markup (escaped) with the field name, a code the same in every language, in ``<code translate="no">``."""
    t = translator(lang)
    esc = escape if html else str
    words = problem_words(problem, lang)
    where = []
    if _get(problem, "file"):
        where.append(esc(str(_get(problem, "file"))))
    if _get(problem, "line"):
        where.append(esc(t("problem.where.line", line=_get(problem, "line"))))
    if _get(problem, "field"):
        field = str(_get(problem, "field"))
        named = Markup('<code translate="no">{}</code>').format(field) if html else field
        where.append(esc(t("problem.where.field", field="\x00")).replace("\x00", named))
    what = esc(words if words is not None else str(_get(problem, "message") or ""))
    text = esc(t("problem.where.colon")).join([esc(t("problem.where.sep")).join(where), what]) if where else what
    return text, words is not None or lang == "en"


def _sex_parts(model: dict) -> list[dict]:
    return [model[k] for k in ("female", "male") if k in model] or [model]


def mutation_words(stored: dict | None, lang: str) -> str:
    """A stored mutation model (``{"spec", "model", "description"}``, see :mod:`reunite.cases.provenance`)
    in the page's language: English is the model's own description; other languages name the source,
    the number of markers, the kinds of model and the range of rates from the model's parameters."""
    t = translator(lang)
    if not stored:
        return t("mutation.none")
    if lang == "en" and stored.get("description"):
        return stored["description"]
    model = stored.get("model") or {}
    if "per_marker" not in model:   # one model for every marker
        model = {"per_marker": {}, "default": model}
    parts = [p for m in model["per_marker"].values() for p in _sex_parts(m)]
    if model.get("default"):
        parts += _sex_parts(model["default"])
    kinds = sorted({p.get("model") for p in parts if p.get("model")})
    rates = [p["rate"] for p in parts if isinstance(p.get("rate"), int | float)]
    source = t("mutation.published" if stored.get("spec") == DEFAULT_MUTATION else "mutation.given")
    n = len(model["per_marker"])
    text = t("mutation.summary" if n else "mutation.summary_all", source=source, n=n,
             kinds=t("guidance.and").join(t.term("mutation.model.", k) for k in kinds))
    if rates:
        text += t("mutation.rates", low=f"{min(rates):g}", high=f"{max(rates):g}")
    return text
