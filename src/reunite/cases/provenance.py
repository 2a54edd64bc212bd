"""What produced a candidate's DNA evidence, stored with it so that it can be replayed later.

A candidate keeps the name of its frequency table and the SHA-256 of the table's content; the
content itself is stored once in ``frequency_tables`` (:class:`~reunite.cases.models.FrequencyTableContent`).
The mutation model is kept as JSON: what was asked (``spec``: a word such as ``published_rates``,
or a model), the model as parsed (``model``: JSON that :func:`~reunite.genetics.mutation.parse_mutation`
takes back, so a later change of the bundled rates does not change it) and its description.  A
report printed later reads these (:func:`stored_table`, :func:`stored_mutation`), never the
environment.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import __version__
from ..errors import FrequencyError, InputError, Problem
from ..genetics import bundled_tables, load_frequencies
from ..genetics.frequencies import FrequencyTable
from ..genetics.mutation import MutationSpec, SexSpecificMutation, parse_mutation
from .models import FrequencyTableContent

__all__ = ["Provenance", "mutation_record", "read_table", "store_table", "stored_mutation", "stored_table"]


@dataclass(frozen=True)
class Provenance:
    """The settings a candidate's DNA evidence was computed with, as stored with it."""

    frequencies: str
    frequencies_sha256: str
    mutation_model: dict | None
    theta: float
    rules: str
    software_version: str = __version__

    def columns(self) -> dict:
        """The candidate columns (see :class:`~reunite.cases.models.Candidate`)."""
        return dataclasses.asdict(self)


def read_table(spec: str | Path) -> tuple[FrequencyTable, str]:
    """The table named ``spec`` (a bundled name or a CSV path) and its text, read once."""
    text_spec = str(spec)
    if isinstance(spec, str) and text_spec in bundled_tables():
        text = (resources.files("reunite") / "data" / "frequencies" / f"{text_spec}.csv").read_text(encoding="utf-8")
        return load_frequencies(text_spec), text
    path = Path(text_spec)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise FrequencyError(Problem(f"cannot read frequency table: {exc.strerror}", file=text_spec)) from None
    return _parse(path.stem, text, source=text_spec), text


def _parse(name: str, text: str, *, source: str) -> FrequencyTable:
    with tempfile.TemporaryDirectory(prefix="reunite-table-") as tmp:
        path = Path(tmp) / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        table = load_frequencies(path)
    return dataclasses.replace(table, name=name, source=source)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def store_table(session: Session, name: str, text: str) -> str:
    """Store a table's content (once per content) and return its SHA-256."""
    sha = _sha256(text)
    have = session.scalars(select(FrequencyTableContent.id).where(FrequencyTableContent.sha256 == sha)).first()
    if have is None:
        session.add(FrequencyTableContent(sha256=sha, name=name, content=text))
        session.flush()
    return sha


def stored_table(session: Session, sha256: str) -> FrequencyTable:
    """The frequency table stored under ``sha256``, parsed as when it was stored."""
    row = session.scalars(select(FrequencyTableContent).where(FrequencyTableContent.sha256 == sha256)).first()
    if row is None:
        raise InputError(Problem(f"no stored frequency table has sha256 {sha256}", field="frequencies_sha256"))
    if _sha256(row.content) != sha256:
        raise InputError(Problem(f"the stored frequency table {row.name} does not match its sha256 {sha256}; "
                                 "the store was altered", field="frequencies_sha256"))
    return _parse(row.name, row.content, source=f"{row.name} (stored, sha256 {sha256[:12]}…)")


def mutation_record(spec: object) -> dict | None:
    """The JSON kept for a mutation model spec (None: no mutation); see the module docstring."""
    model = parse_mutation(spec)
    if model is None:
        return None
    asked = spec if isinstance(spec, str | dict | list) else model.as_dict()
    return {"spec": asked, "model": model.as_dict(), "description": model.describe()}


def stored_mutation(record: dict | None) -> SexSpecificMutation | MutationSpec | None:
    """The mutation model of a stored record (:func:`mutation_record`), parsed from its ``model``."""
    if not record:
        return None
    return parse_mutation(record["model"])
