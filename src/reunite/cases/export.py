"""Exporting any table of the store to CSV or JSON.

CSV text cells that a spreadsheet would run as a formula — those beginning with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return — are written with a leading single quote (``'=1+2``),
as OWASP recommends against CSV injection.  Numbers are written as numbers (``-3.5`` is a
negative log10 LR, not a formula) and are never quoted.  Booleans are ``1``/``0`` in CSV,
dates and times ISO 8601, JSON columns canonical JSON text.  JSON output is one array of
objects; non-finite numbers become the strings ``"inf"``, ``"-inf"``, ``"nan"``.

Every export writes an audit entry (who, which table, how many rows): an export of
``dna_samples`` is a read of genotypes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from ..errors import InputError, Problem
from .audit import append_audit, canonical_json
from .importing import default_user
from .models import Base
from .privacy import register_written_file

__all__ = ["FORMULA_PREFIXES", "csv_cell", "export_table", "table_names", "table_rows"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def table_names() -> list[str]:
    """The names of the tables that can be exported."""
    return sorted(Base.metadata.tables)


def _table(name: str) -> Table:
    table = Base.metadata.tables.get(name)
    if table is None:
        raise InputError(Problem(f"there is no table {name!r}; the tables are {', '.join(table_names())}",
                                 field="table"))
    return table


def table_rows(session: Session, name: str) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """The column names of table ``name`` and its rows as dicts, in primary-key order."""
    table = _table(name)
    columns = [c.name for c in table.columns]
    query = select(table).order_by(*table.primary_key.columns)

    def rows() -> Iterator[dict[str, Any]]:
        for row in session.execute(query.execution_options(yield_per=1000)).mappings():
            yield dict(row)

    return columns, rows()


def csv_cell(value: Any) -> str:
    """A value as a CSV cell, with formula-like text escaped by a leading single quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = canonical_json(value)
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def export_table(session: Session, name: str, fmt: str = "csv", out: str | Path | TextIO | None = None, *,
                 user: str | None = None, commit: bool = True) -> int:
    """Write table ``name`` as ``fmt`` (``csv`` or ``json``) to ``out`` (a path, an open text file,
    or standard output); return the number of rows written."""
    if fmt not in ("csv", "json"):
        raise InputError(Problem(f"format {fmt!r} is not csv or json", field="format"))
    columns, rows = table_rows(session, name)
    if isinstance(out, str | Path):
        with open(out, "w", newline="", encoding="utf-8") as fh:
            n = _write(fh, fmt, columns, rows)
        # Registered, so that a withdrawal of consent deletes it (reunite.cases.privacy).
        register_written_file(session, out, kind="export", user=user or default_user(), table_name=name,
                              commit=False)
    else:
        n = _write(out or sys.stdout, fmt, columns, rows)
    append_audit(session, user or default_user(), "export", entity=name,
                 details={"table": name, "format": fmt, "rows": n})
    if commit:
        session.commit()
    return n


def _write(fh: TextIO, fmt: str, columns: list[str], rows: Iterator[dict[str, Any]]) -> int:
    n = 0
    if fmt == "csv":
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow([csv_cell(row[c]) for c in columns])
            n += 1
        return n
    fh.write("[")
    for row in rows:
        fh.write(",\n" if n else "\n")
        fh.write(json.dumps({c: _json_value(row[c]) for c in columns}, ensure_ascii=False, allow_nan=False))
        n += 1
    fh.write("\n]\n" if n else "]\n")
    return n


def export_string(session: Session, name: str, fmt: str = "csv", **kw: Any) -> str:
    """The export of table ``name`` as a string (for tests and small tables)."""
    buf = io.StringIO()
    export_table(session, name, fmt, buf, **kw)
    return buf.getvalue()
