"""Reading and checking CSV files cell by cell, collecting every problem with file, line, field."""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, Problem
from ..genetics.pedigree import SEX_ALIASES

#: The problem of a cell holding a NUL character (the value itself is never repeated: it may be personal).
NUL_MESSAGE = "contains a NUL character (byte 0), which no field may hold; remove it and import the file again"
_TRUE = {"1", "yes", "y", "true", "t"}
_FALSE = {"0", "no", "n", "false", "f"}


@dataclass
class Row:
    """One data row: its line number and its trimmed cells (empty cells are None)."""

    line: int
    cells: dict[str, str | None]

    def get(self, name: str) -> str | None:
        return self.cells.get(name)


@dataclass
class Sheet:
    """A CSV file read for checking; ``problems`` collects everything wrong with it."""

    path: Path
    columns: list[str]
    rows: list[Row]
    problems: list[Problem] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    def problem(self, message: str, line: int | None = None, fld: str | None = None, code: str | None = None,
                **params) -> None:
        """Record a problem: its English ``message``, and its ``code`` and ``params`` for the pages' words."""
        self.problems.append(Problem(message, file=str(self.path), line=line, field=fld, code=code, params=params))

    def has(self, column: str) -> bool:
        return column in self.columns

    def raise_if_problems(self) -> None:
        if self.problems:
            raise InputError(sorted(self.problems, key=lambda p: p.line or 0))

    # ---------------------------------------------------------------- typed cells

    def text(self, row: Row, name: str, *, required: bool = False, max_len: int | None = None) -> str | None:
        v = row.get(name)
        if v is None:
            if required:
                self.problem("is empty; a value is required", row.line, name, "required")
            return None
        if max_len is not None and len(v) > max_len:
            self.problem(f"is {len(v)} characters long; at most {max_len} are allowed", row.line, name, "too_long",
                         n=len(v), max=max_len)
        return v

    def number(self, row: Row, name: str, *, low: float | None = None, high: float | None = None) -> float | None:
        v = row.get(name)
        if v is None:
            return None
        try:
            x = float(v)
        except ValueError:
            self.problem(f"{v!r} is not a number", row.line, name, "not_number")
            return None
        if not math.isfinite(x):
            self.problem(f"{v!r} is not a finite number", row.line, name, "not_finite")
            return None
        if (low is not None and x < low) or (high is not None and x > high):
            self.problem(f"{v} is outside the range {low} to {high}", row.line, name, "out_of_range",
                         low=low, high=high)
            return None
        return x

    def date(self, row: Row, name: str, *, required: bool = False, not_after: dt.date | None = None) -> dt.date | None:
        v = row.get(name)
        if v is None:
            if required:
                self.problem("is empty; a date (YYYY-MM-DD) is required", row.line, name, "date_required")
            return None
        try:
            d = dt.date.fromisoformat(v)
            if len(v) != 10:
                raise ValueError
        except ValueError:
            self.problem(f"{v!r} is not a date; write it as YYYY-MM-DD", row.line, name, "not_date")
            return None
        if not_after is not None and d > not_after:
            self.problem(f"{v} is in the future", row.line, name, "future")
        return d

    def flag(self, row: Row, name: str, *, default: bool | None = False) -> bool | None:
        v = row.get(name)
        if v is None:
            return default
        low = v.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        self.problem(f"{v!r} is not a yes/no value; write 1 or 0", row.line, name, "not_yes_no")
        return default

    def sex(self, row: Row, name: str = "sex") -> str:
        v = row.get(name)
        if v is None:
            return "unknown"
        s = SEX_ALIASES.get(v.lower())
        if s is None:
            self.problem(f"{v!r} is not a sex; write male, female or unknown (or M, F, U)", row.line, name, "not_sex")
            return "unknown"
        return s

    def place(self, row: Row, lat: str, lon: str) -> tuple[float | None, float | None]:
        a = self.number(row, lat, low=-90, high=90)
        b = self.number(row, lon, low=-180, high=180)
        if (row.get(lat) is None) != (row.get(lon) is None):
            self.problem(f"give both {lat} and {lon}, or neither", row.line, lat if row.get(lat) is None else lon,
                         "both_or_neither", a=lat, b=lon)
        return a, b


def read_sheet(path: str | Path, *, required: Sequence[str], optional: Sequence[str] = (),
               extra_columns: bool = False, header_problems_later: bool = False) -> Sheet:
    """Read ``path`` as UTF-8 CSV with a header; check its columns.

    A missing required column is a problem, and so is an unknown column unless ``extra_columns``
    (a misspelt optional column would otherwise be ignored silently).  Raises
    :class:`InputError` at once if the file cannot be read or, unless ``header_problems_later``,
    if its header is wrong; cell problems are left in ``Sheet.problems``.  With
    ``header_problems_later`` the header's problems join them and the rows are read all the same
    (a missing column is absent from ``Sheet.columns``, an unknown one is ignored), so that one
    report lists everything wrong with the file.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            return _read(path, fh, list(required), list(optional), extra_columns, header_problems_later)
    except FileNotFoundError:
        raise InputError(Problem("file not found", file=str(path), code="file_not_found")) from None
    except IsADirectoryError:
        raise InputError(Problem("is a directory, not a CSV file", file=str(path), code="is_directory")) from None
    except UnicodeDecodeError as exc:
        raise InputError(Problem(f"is not UTF-8 text (byte {exc.start}); save the file as UTF-8 CSV",
                                 file=str(path), code="not_utf8", params={"byte": exc.start})) from None
    except csv.Error as exc:
        raise InputError(Problem(f"is not a readable CSV file: {exc}", file=str(path), code="not_csv")) from None


def _read(path: Path, fh, required: list[str], optional: list[str], extra_columns: bool,
          header_problems_later: bool) -> Sheet:
    reader = csv.reader(fh)
    header = next(reader, None)
    if header is None:
        raise InputError(Problem("the file is empty; the first line must name the columns", file=str(path), line=1,
                                 code="empty_file"))
    columns = [h.strip() for h in header]
    problems = []
    for i, c in enumerate(columns):
        if "\x00" in c:
            problems.append(Problem(f"column {i + 1}'s name {NUL_MESSAGE}", file=str(path), line=1, code="nul_column",
                                    params={"n": i + 1}))
            columns[i] = c.replace("\x00", "")
    allowed = set(required) | set(optional)
    for c in required:
        if c not in columns:
            problems.append(Problem(f"column {c!r} is missing; the columns are {', '.join(required + optional)}",
                                    file=str(path), line=1, field=c, code="column_missing",
                                    params={"column": c, "columns": ", ".join(required + optional)}))
    for c in columns:
        if c not in allowed and not extra_columns:
            problems.append(Problem(f"unknown column {c!r}; the columns are {', '.join(required + optional)}",
                                    file=str(path), line=1, field=c or None, code="column_unknown",
                                    params={"column": c, "columns": ", ".join(required + optional)}))
    seen = set()
    for c in columns:
        if c in seen:
            problems.append(Problem(f"column {c!r} appears twice", file=str(path), line=1, field=c, code="column_twice",
                                    params={"column": c}))
        seen.add(c)
    if problems and not header_problems_later:
        raise InputError(problems)
    sheet = Sheet(path, columns, [], problems)
    # (an unknown column is read as any other but never asked for; a missing one is not there)
    for cells in _rows(reader):
        line, values = cells
        if len(values) != len(columns):
            sheet.problem(f"has {len(values)} fields; the header has {len(columns)}", line, None, "field_count",
                          n=len(values), header=len(columns))
            continue
        for c, v in zip(columns, values, strict=True):
            if "\x00" in v:  # PostgreSQL cannot store it, and no typed value holds one
                sheet.problem(NUL_MESSAGE, line, c, "nul")
        sheet.rows.append(Row(line, {c: (v.replace("\x00", "").strip() or None)
                                     for c, v in zip(columns, values, strict=True)}))
    return sheet


def _rows(reader) -> Iterator[tuple[int, list[str]]]:
    start = reader.line_num + 1
    for values in reader:
        if values and any(v.strip() for v in values):
            yield start, values
        start = reader.line_num + 1
