"""Importing CSV files into the case store.

Every import reads and checks the whole file first, against itself and against what is already
stored, and raises :class:`reunite.errors.InputError` listing every problem (file, line, field)
before anything is written.  The writes then happen in one transaction with an audit entry (who,
which file, counts; never names or genotypes).  Records are matched on their natural keys, so
importing the same file twice changes nothing; a changed row updates its record.  Optional
columns that a file leaves out are left as stored; an empty cell clears the value.

All files are UTF-8 CSV with a header line; dates are ``YYYY-MM-DD``; yes/no cells are ``1``/``0``
(also ``yes``/``no``); sex is ``male``, ``female`` or ``unknown`` (also ``M``, ``F``, ``U``).

``found_children.csv`` (:func:`import_found`), one row per found child:

===================  =========  ===============================================================
column               required   meaning
===================  =========  ===============================================================
case_number          yes        the case number (unique; the natural key)
sex                             sex of the child (empty: unknown)
age_months                      estimated age in months, 0–240
age_sd_months                   uncertainty of the estimate (one standard deviation, months)
age_assessed_on                 date the age was estimated (empty: ``found_on``)
found_on                        date found or rescued
found_place                     where, as text (village, county, province)
found_lat, found_lon            where, as WGS84 decimal degrees (both or neither)
care_location                   where the child is cared for now
health_conditions               health conditions (e.g. congenital glaucoma)
marks                           distinguishing marks
ring_reference                  the case or trafficking ring the child was rescued from
sample                          code of the child's DNA sample (its profile may come later)
cohort                          code of the rescue the child is one of (letters, digits, ``.``,
                                ``-``, ``_``; a new code creates the cohort, dated by the rows'
                                ``found_on`` and placed at their ``found_place`` when they agree);
                                the cohort is solved jointly (``reunite cohort solve-stored``)
===================  =========  ===============================================================

``missing_reports.csv`` (:func:`import_reports`), one row per missing-child report:

===================  =========  ===============================================================
column               required   meaning
===================  =========  ===============================================================
report_number        yes        the report number (unique; the natural key; the ``family`` of
                                ``families.csv``)
child_name                      the missing child's name
sex                             the child's sex
date_of_birth                   the child's date of birth
disappeared_on                  date the child went missing
disappeared_place               where, as text
disappeared_lat, …_lon          where, as WGS84 decimal degrees (both or neither)
circumstances                   how the child went missing
marks                           distinguishing marks
contact_name                    the reporting family's contact person
contact_phone                   their phone number
contact_address                 their address
multiple_missing                1 if twins or several children went missing together (only
                                then may the report be confirmed against several children)
suspected_of_sale               1 if investigators suspect the family sold the child (a match
                                is then flagged for referral rather than reunion)
other_children                  the family's other children, not missing: ``none``, or each
                                child's sex and birth year, ``female 2008; male 2015`` (empty: the
                                report does not list them; a found child who fits may then be an
                                unreported brother or sister, see docs/cohort.md)
===================  =========  ===============================================================

``profiles.csv`` (:func:`import_profiles`): ``sample,marker,allele1,allele2``, one row per sample
and marker, the format of the search, read by :func:`reunite.search.io.read_profiles` (so the
store and the reference index accept the same files; extra columns are ignored).  Homozygotes
repeat the allele (an empty ``allele2`` means the same).  Marker names are folded over aliases
(``vWA``/``VWA``, ``Penta D``/``PENTA_D``) and must be a marker of one of the bundled frequency
tables, or Amelogenin (alleles ``X``/``Y``).  A marker given twice for one sample is refused
(more than two alleles suggests a mixture).  A stored sample may gain markers (an extended
marker set) but never change a stored genotype: a new typing needs a new sample code.

Optional columns describe each sample and its chain of custody, printed in the lab report; a
sample's rows must agree on them (empty cells on some of its rows are fine; all of them empty
clears the stored value):

===================  ===============================================================
column               meaning
===================  ===============================================================
kit                  the typing kit (default: ``--kit``)
typed_on             the date it was typed (default: ``--typed-on``)
sample_kind          ``blood_card``, ``buccal_swab``, ``blood``, ``hair``, ``tissue``, ``bone``,
                     ``tooth`` or ``other`` (``blood card`` and ``buccal-swab`` are read too)
collected_on         the date the sample was taken
collected_by         who took it
sealed_by            who sealed it
received_by          who received it at the laboratory
received_on          the date the laboratory received it
===================  ===============================================================

Dates must be in order: collected, then received, then typed.

Lineage markers (docs/formats.md, docs/lineage.md) are rows of the same file:

- a **Y-STR locus** (any ``DYS…``, ``DYF…S…``, ``Y-GATA-…`` name) is a row of the sample's Y-STR
  haplotype: ``S1,DYS19,15,``; a multi-copy locus with both copies, ``S1,DYS385,13,19`` (or
  ``13,19`` in ``allele1``, or ``DYS385a`` and ``DYS385b`` rows); one allele at a multi-copy locus
  is that allele on every copy; ``null`` a null allele; two different alleles at a single-copy
  locus a duplication; up to four alleles.
- the **mtDNA** sequence is the sample's row with marker ``mtDNA`` and empty allele cells, the
  differences to the rCRS in ``mt_variants`` (EMPOP notation, space separated; empty: as the rCRS)
  and the range sequenced in ``mt_range`` (default ``16024-16365 73-340``).

A stored haplotype may gain loci, and a sample may gain a sequence, but neither changes.

``families.csv`` (:func:`import_families`): ``family,id,father,mother,sex,sample,missing``, one
row per pedigree member, the format of the search, read by
:func:`reunite.search.io.read_families` (extra columns are ignored); ``family`` is the report number, ``father`` and
``mother`` are ids in the same family (empty or ``0`` for a founder), ``sample`` the code of the
member's DNA sample (empty when untyped), ``missing`` is 1 for the missing child (exactly one per
family, untyped).  Two optional columns record the typed relative's consent: ``consent`` (1/0)
and ``consent_scope`` (text).  Without them, consent is stored as not recorded.  Typed members
become the report's relatives, with their relation to the missing child derived from the
pedigree.  Re-importing a family with a different pedigree replaces the stored pedigree.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import getpass
import itertools
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..errors import InputError, MarkerError, Problem
from ..genetics import bundled_tables, display_name, load_frequencies, marker_key
from ..genetics.haplotype import HaplotypeError
from ..genetics.markers import AMELOGENIN
from ..genetics.mtdna import parse_mt_sequence
from ..genetics.pedigree import Person
from ..genetics.ystr import parse_y_haplotype, y_locus_key
from ..labfiles import read_cmf, read_emp, read_genemapper
from ..labfiles._common import is_y_str, y_allele_text
from ..search.io import FAMILY_COLUMNS, PROFILE_COLUMNS, read_families, read_profiles
from ._csv import Row, Sheet, read_sheet
from .audit import append_audit
from .cohorts import cohort_code_problem, parse_other_children, set_other_children
from .models import SAMPLE_KINDS, Cohort, DnaSample, FoundChild, MissingReport, PedigreeMember, Relative
from .state import lock_store, owe_matching

__all__ = [
    "FAMILY_COLUMNS",
    "FOUND_COLUMNS",
    "LAB_FORMATS",
    "PROFILE_COLUMNS",
    "REPORT_COLUMNS",
    "SAMPLE_COLUMNS",
    "ImportResult",
    "default_user",
    "import_families",
    "import_found",
    "import_lab_profiles",
    "import_profiles",
    "import_reports",
    "known_markers",
]

FOUND_COLUMNS = ["case_number", "sex", "age_months", "age_sd_months", "age_assessed_on", "found_on",
                 "found_place", "found_lat", "found_lon", "care_location", "health_conditions", "marks",
                 "ring_reference", "sample", "cohort"]
REPORT_COLUMNS = ["report_number", "child_name", "sex", "date_of_birth", "disappeared_on", "disappeared_place",
                  "disappeared_lat", "disappeared_lon", "circumstances", "marks", "contact_name", "contact_phone",
                  "contact_address", "multiple_missing", "suspected_of_sale", "other_children"]
FAMILY_OPTIONAL = ["consent", "consent_scope"]
#: The optional columns of ``profiles.csv`` holding a sample's mtDNA sequence (on its ``mtDNA`` row).
LINEAGE_COLUMNS = ["mt_range", "mt_variants"]
#: The optional columns of ``profiles.csv`` describing each sample (one value per sample).
SAMPLE_COLUMNS = ["kit", "typed_on", "sample_kind", "collected_on", "collected_by", "sealed_by", "received_by",
                  "received_on"]
_SAMPLE_DATES = ("typed_on", "collected_on", "received_on")
_SAMPLE_PEOPLE = ("collected_by", "sealed_by", "received_by")

_CHUNK = 500


@dataclass
class ImportResult:
    """What an import did: records added, updated and left unchanged, plus other counts."""

    kind: str
    file: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    notes: dict[str, Any] = field(default_factory=dict)
    #: What a lab-file reader left out or flagged (said to the user, not audited: it names markers and lines).
    remarks: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "file": self.file, "added": self.added, "updated": self.updated,
                "unchanged": self.unchanged, **self.notes}

    def __str__(self) -> str:
        extra = "".join(f", {k.replace('_', ' ')} {v}" for k, v in self.notes.items())
        return (f"{self.kind} from {self.file}: {self.added} added, {self.updated} updated, "
                f"{self.unchanged} unchanged{extra}")


def default_user() -> str:
    """Who is acting: ``$REUNITE_USER``, else the operating-system login name."""
    name = os.environ.get("REUNITE_USER")
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


@functools.cache
def known_markers() -> frozenset[str]:
    """Keys of every marker in a bundled frequency table, and Amelogenin."""
    keys = {AMELOGENIN}
    for name in bundled_tables():
        keys.update(marker_key(m) for m in load_frequencies(name).markers)
    return frozenset(keys)


def _chunks(items: list, n: int = _CHUNK) -> Iterator[list]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _existing(session: Session, model, key_col, keys: Iterable[str], *, load=()) -> dict[str, Any]:
    keys = list(keys)
    out: dict[str, Any] = {}
    for part in _chunks(keys):
        for obj in session.scalars(select(model).where(key_col.in_(part)).options(*load)):
            out[getattr(obj, key_col.key)] = obj
    return out


def _finish(session: Session, result: ImportResult, user: str | None, commit: bool) -> ImportResult:
    _audit(session, user or default_user(), result)
    if result.added or result.updated:
        owe_matching(session)   # in the import's transaction: a kill before the matching leaves it owed
    if commit:
        session.commit()
    return result


def _audit(session: Session, user: str, result: ImportResult) -> None:
    append_audit(session, user, f"import.{result.kind}", entity=result.kind, details=result.as_dict())


def _guard(fn):
    """Run the import under the store's lock (one import or matching run at a time, across processes),
    and roll back the session if it fails part-way, so a failed import leaves nothing."""

    @functools.wraps(fn)
    def wrapper(session: Session, *args, **kwargs):
        try:
            lock_store(session)
            return fn(session, *args, **kwargs)
        except BaseException:
            session.rollback()
            raise

    return wrapper


# ------------------------------------------------------------------------ records by natural key


def _cells(sheet: Sheet, row: Row, spec: list[tuple[str, str, dict]]) -> dict[str, Any]:
    """Typed values of the spec's columns present in the file (absent columns are left out)."""
    today = dt.date.today()
    rec: dict[str, Any] = {}
    for col, kind, kw in spec:
        if not sheet.has(col):
            continue
        if kind == "text":
            rec[col] = sheet.text(row, col, **kw)
        elif kind == "number":
            rec[col] = sheet.number(row, col, **kw)
        elif kind == "date":
            rec[col] = sheet.date(row, col, not_after=today)
        elif kind == "flag":
            rec[col] = sheet.flag(row, col, default=False)
        elif kind == "sex":
            rec[col] = sheet.sex(row, col)
    return rec


def _keyed(sheet: Sheet, key: str) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    if not sheet.has(key):
        return rows   # (the header's problem says the column is missing)
    for row in sheet.rows:
        k = sheet.text(row, key, required=True, max_len=64)
        if k is None:
            continue
        if k in rows:
            sheet.problem(f"{k!r} is also on line {rows[k].line}; each must appear once", row.line, key,
                          "duplicate_key", other=rows[k].line)
            continue
        rows[k] = row
    return rows


def _upsert(session: Session, model, key: str, records: dict[str, dict[str, Any]], result: ImportResult) -> None:
    stored = _existing(session, model, getattr(model, key), records)
    for k, rec in records.items():
        obj = stored.get(k)
        if obj is None:
            session.add(model(**{key: k}, **rec))
            result.added += 1
            continue
        changed = False
        for col, value in rec.items():
            if getattr(obj, col) != value:
                setattr(obj, col, value)
                changed = True
        if changed:
            result.updated += 1
        else:
            result.unchanged += 1
    session.flush()


_FOUND_SPEC: list[tuple[str, str, dict]] = [
    ("sex", "sex", {}),
    ("age_months", "number", {"low": 0, "high": 240}),
    ("age_sd_months", "number", {"low": 0, "high": 120}),
    ("age_assessed_on", "date", {}),
    ("found_on", "date", {}),
    ("found_place", "text", {}),
    ("care_location", "text", {}),
    ("health_conditions", "text", {}),
    ("marks", "text", {}),
    ("ring_reference", "text", {"max_len": 100}),
    ("sample", "text", {"max_len": 64}),
]


@_guard
def import_found(session: Session, path: str | Path, *, user: str | None = None, commit: bool = True) -> ImportResult:
    """Import found children from ``found_children.csv`` (columns in the module docstring).

    Returns what was added, updated and unchanged; raises :class:`InputError` with every problem
    and writes nothing if any row is wrong.  Commits unless ``commit`` is false.
    """
    sheet = read_sheet(path, required=["case_number"], optional=FOUND_COLUMNS[1:], header_problems_later=True)
    records: dict[str, dict[str, Any]] = {}
    for case, row in _keyed(sheet, "case_number").items():
        rec = _cells(sheet, row, _FOUND_SPEC)
        if sheet.has("found_lat") or sheet.has("found_lon"):
            if not (sheet.has("found_lat") and sheet.has("found_lon")):
                sheet.problem("give both columns found_lat and found_lon, or neither", 1, "found_lat", "both_columns",
                              a="found_lat", b="found_lon")
            else:
                rec["found_lat"], rec["found_lon"] = sheet.place(row, "found_lat", "found_lon")
        if rec.get("age_sd_months") is not None and rec.get("age_months") is None:
            sheet.problem("an uncertainty is given without an age", row.line, "age_sd_months", "sd_without_age")
        if rec.get("age_months") is not None and rec.get("age_assessed_on") is None and "found_on" in rec:
            rec["age_assessed_on"] = rec["found_on"]
        a, f = rec.get("age_assessed_on"), rec.get("found_on")
        if a is not None and f is not None and a < f:
            sheet.problem(f"the age was assessed ({a}) before the child was found ({f})", row.line, "age_assessed_on",
                          "assessed_before_found")
        records[case] = rec
    cohorts = _cohort_cells(sheet, records) if sheet.has("cohort") else {}
    sheet.raise_if_problems()
    result = ImportResult("found_children", sheet.name)
    if sheet.has("cohort"):
        ids, added = _ensure_cohorts(session, cohorts, records, user or default_user())
        for case, code in cohorts.items():
            records[case]["cohort_id"] = ids[code] if code is not None else None
        result.notes["cohorts_added"] = added
    _upsert(session, FoundChild, "case_number", records, result)
    return _finish(session, result, user, commit)


def _cohort_cells(sheet: Sheet, records: dict[str, dict[str, Any]]) -> dict[str, str | None]:
    """Each row's cohort code (None: not in a cohort), checked."""
    rows = {row.get("case_number"): row for row in sheet.rows}
    out: dict[str, str | None] = {}
    for case in records:
        row = rows[case]
        code = sheet.text(row, "cohort", max_len=64)
        if code is not None:
            msg = cohort_code_problem(code)
            if msg:
                sheet.problem(msg, row.line, "cohort", "cohort_code")
        out[case] = code
    return out


def _ensure_cohorts(session: Session, cohorts: dict[str, str | None], records: dict[str, dict[str, Any]],
                    user: str) -> tuple[dict[str, int], int]:
    """The ids of the cohorts named, creating the new ones (dated and placed by their rows when
    those agree)."""
    codes = sorted({c for c in cohorts.values() if c is not None})
    have = _existing(session, Cohort, Cohort.code, codes)
    added = 0
    for code in codes:
        if code in have:
            continue
        rows = [records[case] for case, c in cohorts.items() if c == code]
        dates = {r.get("found_on") for r in rows}
        places = {r.get("found_place") for r in rows}
        have[code] = Cohort(code=code, created_by=user, rescued_on=dates.pop() if len(dates) == 1 else None,
                            place=places.pop() if len(places) == 1 else None)
        session.add(have[code])
        added += 1
    session.flush()
    return {code: have[code].id for code in codes}, added


_REPORT_SPEC: list[tuple[str, str, dict]] = [
    ("child_name", "text", {}),
    ("sex", "sex", {}),
    ("date_of_birth", "date", {}),
    ("disappeared_on", "date", {}),
    ("disappeared_place", "text", {}),
    ("circumstances", "text", {}),
    ("marks", "text", {}),
    ("contact_name", "text", {}),
    ("contact_phone", "text", {}),
    ("contact_address", "text", {}),
    ("multiple_missing", "flag", {}),
    ("suspected_of_sale", "flag", {}),
]


@_guard
def import_reports(session: Session, path: str | Path, *, user: str | None = None,
                   commit: bool = True) -> ImportResult:
    """Import missing-child reports from ``missing_reports.csv`` (columns in the module docstring).

    Returns what was added, updated and unchanged; raises :class:`InputError` with every problem
    and writes nothing if any row is wrong.  Commits unless ``commit`` is false.
    """
    sheet = read_sheet(path, required=["report_number"], optional=REPORT_COLUMNS[1:], header_problems_later=True)
    records: dict[str, dict[str, Any]] = {}
    for number, row in _keyed(sheet, "report_number").items():
        rec = _cells(sheet, row, _REPORT_SPEC)
        if sheet.has("disappeared_lat") or sheet.has("disappeared_lon"):
            if not (sheet.has("disappeared_lat") and sheet.has("disappeared_lon")):
                sheet.problem("give both columns disappeared_lat and disappeared_lon, or neither", 1,
                              "disappeared_lat", "both_columns", a="disappeared_lat", b="disappeared_lon")
            else:
                rec["disappeared_lat"], rec["disappeared_lon"] = sheet.place(row, "disappeared_lat",
                                                                             "disappeared_lon")
        b, d = rec.get("date_of_birth"), rec.get("disappeared_on")
        if b is not None and d is not None and d < b:
            sheet.problem(f"the child went missing ({d}) before being born ({b})", row.line, "disappeared_on",
                          "missing_before_birth")
        records[number] = rec
    others: dict[str, tuple[bool, list]] = {}
    if sheet.has("other_children"):
        lines = {row.get("report_number"): row for row in sheet.rows}
        for number in records:
            try:
                others[number] = parse_other_children(lines[number].get("other_children"))
            except ValueError as exc:
                sheet.problem(str(exc), lines[number].line, "other_children", "other_children")
    sheet.raise_if_problems()
    result = ImportResult("missing_reports", sheet.name)
    if others:
        stored = _existing(session, MissingReport, MissingReport.report_number, others,
                           load=(selectinload(MissingReport.other_children),))
        moved = [n for n, rec in records.items() if n in stored
                 and all(getattr(stored[n], c) == v for c, v in rec.items())]
    flagged = _newly_flagged(session, records)
    _upsert(session, MissingReport, "report_number", records, result)
    for number in flagged:
        append_audit(session, user or default_user(), "report.suspected_of_sale", entity="report", entity_id=number,
                     details={"source": "reports import", "file": sheet.name})
    if others:
        reports = _existing(session, MissingReport, MissingReport.report_number, others,
                            load=(selectinload(MissingReport.other_children),))
        changed = {n for n, (listed, items) in others.items()
                   if set_other_children(session, reports[n], listed, items)}
        # A report whose only change is its list of other children is updated, not unchanged.
        shift = len(changed & set(moved))
        result.unchanged -= shift
        result.updated += shift
        result.notes["other_children_listed"] = sum(1 for listed, _ in others.values() if listed)
    return _finish(session, result, user, commit)


def _newly_flagged(session: Session, records: dict[str, dict[str, Any]]) -> list[str]:
    """The reports an import is about to flag as suspected of the sale that are not flagged yet."""
    asked = [n for n, rec in records.items() if rec.get("suspected_of_sale")]
    stored = _existing(session, MissingReport, MissingReport.report_number, asked)
    return [n for n in asked if n not in stored or not stored[n].suspected_of_sale]


# ------------------------------------------------------------------------------------ profiles


@_guard
def import_profiles(session: Session, path: str | Path, *, lab: str, kit: str | None = None,
                    typed_on: dt.date | None = None, user: str | None = None, commit: bool = True) -> ImportResult:
    """Import DNA profiles typed by ``lab`` from ``profiles.csv`` (``sample,marker,allele1,allele2``).

    The file is read by the search's reader (:func:`reunite.search.io.read_profiles`), so the
    store and the reference index accept the same files; in addition every marker must be in a
    bundled frequency table (or be Amelogenin).  ``kit`` and ``typed_on`` describe the typing
    and are stored with new samples.  A sample already stored may gain markers; a different
    genotype at a stored marker, another lab, or a sample erased on withdrawal of consent is
    refused.  Returns samples added, updated (markers added) and unchanged.
    """
    if not lab or not lab.strip():
        raise InputError(Problem("the lab that typed the profiles is required (--lab NAME)", file=str(path),
                                 code="lab_required"))
    lab = lab.strip()
    sheet = read_sheet(path, required=PROFILE_COLUMNS, optional=[*SAMPLE_COLUMNS, *LINEAGE_COLUMNS],
                       extra_columns=True)
    meta = _sample_metadata(sheet)
    lineage = _lineage_rows(sheet)
    try:
        if lineage.lines:
            # The search's reader takes the autosomal rows; the lineage rows, read above, are blanked
            # (same line numbers) in a copy of the file it reads.
            with tempfile.TemporaryDirectory() as tmp:
                parsed = read_profiles(_autosomal_copy(sheet, lineage.lines, Path(tmp) / sheet.name))
        else:
            parsed = read_profiles(path)
    except InputError as exc:
        parsed = None
        _merge_reader_problems(sheet, InputError([dataclasses.replace(p, file=str(path)) if p.file else p
                                                  for p in exc.problems]))
    known = known_markers()
    first_line: dict[str, int] = {}
    where: dict[tuple[str, str], int] = {}
    for row in sheet.rows:
        sample, name = row.get("sample"), row.get("marker")
        if sample is None or name is None:
            continue
        if row.line in lineage.lines:
            first_line.setdefault(sample, row.line)
            continue
        try:
            key = marker_key(name)
        except MarkerError:
            continue
        first_line.setdefault(sample, row.line)
        where.setdefault((sample, key), row.line)
        if key not in known:
            sheet.problem(f"marker {name!r} is not in any bundled frequency table; check its spelling",
                          row.line, "marker", "marker_unknown", marker=name)
    profiles = {sample: _genotypes(prof) for sample, prof in (parsed or {}).items()}
    result = ImportResult("profiles", sheet.name)
    names = list(dict.fromkeys([*(profiles or first_line), *lineage.y, *lineage.mt]))
    described = _store_profiles(session, sheet, result, profiles, names=names, lab=lab,
                                kit=kit, typed_on=typed_on, meta=meta, first_line=first_line,
                                where={**where, **lineage.where}, user=user, y=lineage.y, mt=lineage.mt)
    result.notes["rows"] = len(sheet.rows)
    if lineage.y:
        result.notes["y_haplotypes"] = len(lineage.y)
    if lineage.mt:
        result.notes["mt_sequences"] = len(lineage.mt)
    result.notes["lab"] = lab
    if any(sheet.has(c) for c in SAMPLE_COLUMNS):
        result.notes["samples_described"] = described
    return _finish(session, result, user, commit)


@dataclass
class _Lineage:
    """The lineage rows of a profiles file: each sample's Y-STR haplotype (as stored) and mtDNA
    sequence, the lines they were on, and the line of each (sample, ``Y:locus`` or ``mtDNA``)."""

    y: dict[str, dict[str, str]] = field(default_factory=dict)
    mt: dict[str, dict[str, str]] = field(default_factory=dict)
    lines: set[int] = field(default_factory=set)
    where: dict[tuple[str, str], int] = field(default_factory=dict)


_MT_MARKERS = {"mtdna", "mt", "mtdna control region"}


def _lineage_rows(sheet: Sheet) -> _Lineage:
    """Read the Y-STR and mtDNA rows of a profiles file (see the module docstring); problems join the sheet's."""
    out = _Lineage()
    raw: dict[str, dict[str, list[str]]] = {}
    names: dict[tuple[str, str], int] = {}
    for row in sheet.rows:
        sample, name = row.get("sample"), row.get("marker")
        is_mt = name is not None and name.strip().lower() in _MT_MARKERS
        if not is_mt and (row.get("mt_variants") is not None or row.get("mt_range") is not None):
            sheet.problem("mt_variants and mt_range belong on the sample's mtDNA row (marker mtDNA, allele cells "
                          "empty)", row.line, "mt_variants", "lineage_mt_column_stray", column="mt_variants")
        if not is_mt and (name is None or not is_y_str(name)):
            continue
        out.lines.add(row.line)
        if sample is None:
            sheet.problem("the sample id is empty", row.line, "sample", "sample_empty")
            continue
        a1, a2 = row.get("allele1"), row.get("allele2")
        if is_mt:
            if a1 is not None or a2 is not None:
                sheet.problem("an mtDNA row leaves allele1 and allele2 empty; the sequence goes in mt_variants "
                              "(and mt_range)", row.line, "allele1", "lineage_mt_alleles")
            if not sheet.has("mt_variants"):
                sheet.problem("an mtDNA row needs the column mt_variants in the header (differences to the rCRS)",
                              row.line, "marker", "lineage_mt_no_column")
                continue
            if sample in out.mt:
                sheet.problem(f"sample {sample!r}: the mtDNA sequence is also on line {out.where[sample, 'mtDNA']}; "
                              "give it once", row.line, "marker", "lineage_mt_twice", sample=sample,
                              other=out.where[sample, "mtDNA"])
                continue
            try:
                seq = parse_mt_sequence(row.get("mt_variants") or "", row.get("mt_range"), source=sheet.name)
            except HaplotypeError as exc:
                for p in exc.problems:
                    fld = "mt_range" if p.field == "range" else "mt_variants"
                    sheet.problem(f"sample {sample!r}: {p.message}", row.line, fld, "lineage_mt_invalid",
                                  sample=sample, column=fld)
                continue
            out.mt[sample] = seq.as_dict()
            out.where[sample, "mtDNA"] = row.line
            continue
        key = y_locus_key(name)
        if a1 is None:
            sheet.problem(f"sample {sample!r}: allele1 is empty; give the allele(s) of {name} (null for a null "
                          "allele)", row.line, "allele1", "lineage_y_allele_empty", sample=sample, marker=name)
            continue
        labels = [x for x in re.split(r"[,/;]\s*|\s+", a1) if x]
        if len(labels) > 1 and a2 is not None:
            sheet.problem(f"sample {sample!r}: {name} lists several alleles in allele1 and one more in allele2; "
                          "give them all in allele1 (13,19) or one per cell", row.line, "allele2", "lineage_y_allele2",
                          sample=sample, marker=name)
            continue
        spelled = re.sub(r"[\s_\-.]", "", name).upper()
        if (sample, key) in out.where and (spelled == key or (sample, spelled) in names):
            sheet.problem(f"sample {sample!r}: Y-STR locus {name} is also on line {out.where[sample, key]}; give "
                          "each locus once", row.line, "marker", "lineage_y_twice", sample=sample, marker=name,
                          other=out.where[sample, key])
            continue
        value = y_allele_text(name, [*labels, *([a2] if a2 is not None else [])])
        try:
            parse_y_haplotype({key: ",".join([*raw.get(sample, {}).get(key, []), value])}, source=sheet.name)
        except HaplotypeError as exc:
            for p in exc.problems:
                sheet.problem(f"sample {sample!r}: {p.message}", row.line, "allele1", "lineage_y_invalid",
                              sample=sample, marker=name)
            continue
        out.where.setdefault((sample, key), row.line)
        out.where.setdefault((sample, f"Y:{key}"), row.line)
        names[sample, spelled] = row.line
        raw.setdefault(sample, {}).setdefault(key, []).extend(value.split(","))
    for sample, loci in raw.items():
        out.y[sample] = parse_y_haplotype({k: ",".join(v) for k, v in loci.items()}, source=sheet.name).as_dict()
    return out


def _autosomal_copy(sheet: Sheet, skip: set[int], dest: Path) -> Path:
    """A copy of the profiles file without the lines ``skip`` (left blank: the others keep their line numbers)."""
    by_line = {r.line: r for r in sheet.rows if r.line not in skip}
    last = max((r.line for r in sheet.rows), default=1)
    with dest.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(PROFILE_COLUMNS)
        for n in range(2, last + 1):
            r = by_line.get(n)
            w.writerow([(r.get(c) or "").replace("\n", " ").replace("\r", " ") for c in PROFILE_COLUMNS]
                       if r is not None else [""] * len(PROFILE_COLUMNS))
    return dest


def _genotypes(profile) -> dict[str, list[str]]:
    """A profile as the store keeps it: ``{marker key: [a, b]}`` sorted by key, Amelogenin included."""
    gts = {k: list(v) for k, v in profile.genotypes.items()}
    if profile.amelogenin is not None:
        gts[AMELOGENIN] = list(profile.amelogenin)
    return dict(sorted(gts.items()))


def _store_profiles(session: Session, sheet: Sheet, result: ImportResult, profiles: dict[str, dict[str, list[str]]],
                    *, names: Iterable[str], lab: str, kit: str | None, typed_on: dt.date | None,
                    meta: dict[str, dict[str, Any]], first_line: dict[str, int], where: dict[tuple[str, str], int],
                    user: str | None, fields: tuple[str, str] = ("sample", "marker"),
                    y: dict[str, dict[str, str]] | None = None, mt: dict[str, dict[str, str]] | None = None) -> int:
    """Check checked profiles against the store, then store them: the one path every profile import
    takes (CSV, GeneMapper, CMF).

    ``names`` are every sample the file names (checked even when the reader refused some rows);
    ``first_line`` and ``where`` give the line of a sample and of a (sample, marker key) for the
    problems, ``fields`` the file's names of the sample and marker columns.  Problems (a sample erased
    on withdrawal of consent, typed by another lab, or with a different stored genotype) join the
    sheet's, and all are raised before anything is written.  Counts go to ``result``; returns the
    number of samples whose description (:data:`SAMPLE_COLUMNS`) was stored or changed."""
    sample_field, marker_field = fields
    y, mt = y or {}, mt or {}
    stored: dict[str, DnaSample] = _existing(session, DnaSample, DnaSample.sample, names)
    for sample, obj in stored.items():
        line = first_line.get(sample)
        if obj.erased:
            sheet.problem(f"sample {sample!r} was erased when consent was withdrawn; it cannot be imported again",
                          line, sample_field, "sample_erased", sample=sample)
            continue
        if obj.lab != lab:
            sheet.problem(f"sample {sample!r} is stored as typed by another lab; a sample code belongs to one lab",
                          line, sample_field, "sample_other_lab", sample=sample)
            continue
        differs = sorted(k for k, gt in profiles.get(sample, {}).items()
                         if k in obj.genotypes and obj.genotypes[k] != gt)
        for k in differs:
            sheet.problem(f"sample {sample!r}: marker {display_name(k)} differs from the stored profile; a new "
                          f"typing needs a new sample code", where.get((sample, k), line), marker_field,
                          "marker_differs", sample=sample, marker=display_name(k))
        have_y = obj.y_haplotype or {}
        for k in sorted(k for k, v in (y.get(sample) or {}).items() if k in have_y and have_y[k] != v):
            sheet.problem(f"sample {sample!r}: Y-STR locus {k} differs from the stored haplotype; a new typing "
                          f"needs a new sample code", where.get((sample, f"Y:{k}"), line), marker_field, "y_differs",
                          sample=sample, marker=k)
        if sample in mt and obj.mt_sequence and obj.mt_sequence != mt[sample]:
            sheet.problem(f"sample {sample!r}: the mtDNA sequence differs from the stored one; a new typing needs "
                          f"a new sample code", where.get((sample, "mtDNA"), line), marker_field, "mt_differs",
                          sample=sample)
    sheet.raise_if_problems()
    imported_by = user or default_user()
    described = 0
    for sample in dict.fromkeys([*profiles, *y, *mt]):
        gts = profiles.get(sample, {})
        obj = stored.get(sample)
        info = meta.get(sample, {})
        if obj is None:
            session.add(DnaSample(sample=sample, lab=lab, imported_by=imported_by, genotypes=gts,
                                  marker_count=len(gts), y_haplotype=y.get(sample), mt_sequence=mt.get(sample),
                                  **{"kit": kit, "typed_on": typed_on, **info}))
            result.added += 1
            described += bool(info)
            continue
        changed = {k: v for k, v in info.items() if getattr(obj, k) != v}
        for k, v in changed.items():
            setattr(obj, k, v)
        described += bool(changed)
        lineage_changed = False
        if set(y.get(sample) or {}) - set(obj.y_haplotype or {}):
            obj.y_haplotype = dict(sorted({**(obj.y_haplotype or {}), **y[sample]}.items()))
            lineage_changed = True
        if sample in mt and not obj.mt_sequence:
            obj.mt_sequence = mt[sample]
            lineage_changed = True
        if set(gts) - set(obj.genotypes):
            merged = dict(sorted({**obj.genotypes, **gts}.items()))
            obj.genotypes = merged
            obj.marker_count = len(merged)
            result.updated += 1
        elif changed or lineage_changed:
            result.updated += 1
        else:
            result.unchanged += 1
    session.flush()
    return described


#: The lab-file formats :func:`import_lab_profiles` reads, with the file's names of the sample and marker.
LAB_FORMATS = {"genemapper": ("Sample Name", "Marker"), "cmf": ("SPECIMENID", "LOCUSNAME"),
               "mt": ("sample", "variants")}


@_guard
def import_lab_profiles(session: Session, path: str | Path, *, kind: str, lab: str | None = None,
                        kit: str | None = None, typed_on: dt.date | None = None, skip_unknown_markers: bool = False,
                        user: str | None = None, commit: bool = True) -> ImportResult:
    """Import the profiles of a lab file (``kind`` ``genemapper``: a GeneMapper ID-X Genotypes table;
    ``cmf``: a CODIS CMF XML file; ``mt``: an EMPOP ``.emp`` table of mtDNA haplotypes) into the store, as
    :func:`import_profiles` does with the profiles CSV: all-or-nothing, every problem named (file, line,
    sample, marker or field), idempotent, audited.

    The file is read by :mod:`reunite.labfiles` (a sample with more than two alleles at a marker is
    refused as a possible mixture); ``lab`` defaults to the file's ``SOURCELAB`` for CMF.  Y-STR
    haplotypes and mtDNA sequences go into the sample's ``y_haplotype`` and ``mt_sequence`` as the
    profiles CSV's lineage rows do.  What the reader left out or flagged is in the result's ``remarks``."""
    if kind not in LAB_FORMATS:
        raise InputError(Problem(f"{kind!r} is not a lab-file format; use one of {', '.join(LAB_FORMATS)}",
                                 file=str(path), code="not_lab_format", params={"formats": ", ".join(LAB_FORMATS)}))
    if kind == "mt":
        conv = read_emp(path)
    else:
        read = read_genemapper if kind == "genemapper" else read_cmf
        conv = read(path, skip_unknown_markers=skip_unknown_markers)
    lab = (lab or conv.source_lab or "").strip()
    if not lab:
        raise InputError(Problem("the lab that typed the profiles is required (--lab CODE)", file=str(path),
                                 code="lab_required"))
    sheet = Sheet(Path(path), [], [])
    profiles = {s.sample: _genotypes(s.profile) for s in conv.samples if len(s.profile) or s.profile.amelogenin}
    ys = {s.sample: parse_y_haplotype(dict(s.y_haplotype), source=sheet.name).as_dict()
          for s in conv.samples if getattr(s, "y_haplotype", None)}
    mts = {s.sample: dict(s.mt_sequence) for s in conv.samples if getattr(s, "mt_sequence", None)}
    first_line = {s.sample: min(s.lines.values()) for s in conv.samples if s.lines}
    where = {(s.sample, k): n for s in conv.samples for k, n in s.lines.items()}
    result = ImportResult(kind, sheet.name, remarks=conv.notes)
    _store_profiles(session, sheet, result, profiles, names=[s.sample for s in conv.samples], lab=lab, kit=kit,
                    typed_on=typed_on, meta={}, first_line=first_line, where=where, user=user,
                    fields=LAB_FORMATS[kind], y=ys, mt=mts)
    result.notes["samples"] = len(conv.samples)
    if ys:
        result.notes["y_haplotypes"] = len(ys)
    if mts:
        result.notes["mt_sequences"] = len(mts)
    result.notes["lab"] = lab
    return _finish(session, result, user, commit)


def _merge_reader_problems(sheet: Sheet, exc: InputError) -> None:
    """Add the search reader's problems to the sheet's: the reader reports the rows' shape (fields,
    markers, alleles, pedigrees), the sheet the rest.  A cell both report, or a row whose shape the
    reader refused (a problem of the whole line), is reported once, by the reader."""
    seen = {(p.line, p.field) for p in exc.problems}
    whole = {p.line for p in exc.problems if p.field is None}
    sheet.problems = [*exc.problems, *(p for p in sheet.problems
                                       if (p.line, p.field) not in seen and p.line not in whole)]


def _sample_kind(sheet: Sheet, row: Row) -> str | None:
    v = sheet.text(row, "sample_kind")
    if v is None:
        return None
    kind = v.strip().lower().replace(" ", "_").replace("-", "_")
    if kind not in SAMPLE_KINDS:
        sheet.problem(f"{v!r} is not a sample kind; use one of {', '.join(SAMPLE_KINDS)}", row.line, "sample_kind",
                      "not_sample_kind", kinds=", ".join(SAMPLE_KINDS))
        return None
    return kind


def _sample_metadata(sheet: Sheet) -> dict[str, dict[str, Any]]:
    """Each sample's values of the optional :data:`SAMPLE_COLUMNS` present in the file; rows of one
    sample that disagree are a problem (the values of people are not repeated in the message)."""
    cols = [c for c in SAMPLE_COLUMNS if sheet.has(c)]
    if not cols:
        return {}
    today = dt.date.today()
    out: dict[str, dict[str, Any]] = {}
    first: dict[tuple[str, str], int] = {}
    for row in sheet.rows:
        sample = row.get("sample")
        if sample is None:
            continue
        rec = out.setdefault(sample, dict.fromkeys(cols))
        for col in cols:
            if col in _SAMPLE_DATES:
                value: Any = sheet.date(row, col, not_after=today)
            elif col == "sample_kind":
                value = _sample_kind(sheet, row)
            else:
                value = sheet.text(row, col, max_len=100)
            if value is None:
                continue
            if rec[col] is None:
                rec[col] = value
                first[sample, col] = row.line
            elif rec[col] != value:
                shown = "" if col in _SAMPLE_PEOPLE else f" ({rec[col]} there, {value} here)"
                sheet.problem(f"sample {sample!r}: {col} differs from line {first[sample, col]}{shown}; "
                              f"a sample has one", row.line, col, "sample_differs", sample=sample, column=col,
                              other=first[sample, col])
    for sample, rec in out.items():
        dates = [(c, rec.get(c)) for c in ("collected_on", "received_on", "typed_on") if rec.get(c) is not None]
        for (c1, d1), (c2, d2) in itertools.pairwise(dates):
            if d2 < d1:
                sheet.problem(f"sample {sample!r}: {c2} ({d2}) is before {c1} ({d1}); a sample is collected, "
                              f"then received, then typed", first.get((sample, c2)), c2, "sample_dates_order",
                              sample=sample, a=c1, b=c2)
    return out


# ------------------------------------------------------------------------------------ families


def _relation_kind(relation: str) -> str:
    """Relations compared across sources: full and half siblings are both "sibling"."""
    return "sibling" if "sibling" in relation else relation


def _relation(mid: str, by_id: dict[str, Person], missing: Person) -> str:
    """The relation of pedigree member ``mid`` to the missing child, from the pedigree."""
    p = by_id[mid]
    f, m = p.father, p.mother
    mf, mm = missing.father, missing.mother
    if mid == mf:
        return "father"
    if mid == mm:
        return "mother"
    if f is not None and (f, m) == (mf, mm):
        return "full sibling"
    if f is not None and mf is not None and (f == mf or m == mm):
        return "half sibling"
    if missing.id in (f, m):
        return "child"
    for parent in (mf, mm):
        if parent is None:
            continue
        gp = by_id[parent]
        if mid in (gp.father, gp.mother):
            return "grandparent"
        if f is not None and (f, m) == (gp.father, gp.mother) and mid != parent:
            return "aunt or uncle"
    return "other relative"


@_guard
def import_families(session: Session, path: str | Path, *, user: str | None = None, create_reports: bool = False,
                    commit: bool = True) -> ImportResult:
    """Import reference pedigrees from ``families.csv`` (``family,id,father,mother,sex,sample,missing``).

    The file is read by the search's reader (:func:`reunite.search.io.read_families`), so the
    store and the reference index accept the same files.  ``family`` is the report number: the
    report must be stored already, unless ``create_reports`` is true (then a report with only
    its number and the missing member's sex is created for each unknown family).  A sample need
    not be typed yet.  Returns families added, updated (pedigree replaced) and unchanged, plus
    member, relative and consent counts.
    """
    sheet = read_sheet(path, required=FAMILY_COLUMNS, optional=FAMILY_OPTIONAL, extra_columns=True)
    try:
        fams = read_families(path)
    except InputError as exc:
        fams = {}
        _merge_reader_problems(sheet, exc)
    consent_cols = sheet.has("consent") or sheet.has("consent_scope")
    first_line: dict[str, int] = {}
    lines: dict[tuple[str, str], int] = {}
    consent: dict[tuple[str, str], tuple[bool | None, str | None]] = {}
    for row in sheet.rows:
        fam, pid = row.get("family"), row.get("id")
        if fam is None or pid is None:
            continue
        first_line.setdefault(fam, row.line)
        lines.setdefault((fam, pid), row.line)
        if consent_cols:
            consent[fam, pid] = (sheet.flag(row, "consent", default=None) if sheet.has("consent") else None,
                                 sheet.text(row, "consent_scope") if sheet.has("consent_scope") else None)
    reports = _existing(session, MissingReport, MissingReport.report_number, first_line,
                        load=(selectinload(MissingReport.pedigree), selectinload(MissingReport.relatives)))
    for fam, line in first_line.items():
        if fam not in reports and not create_reports:
            sheet.problem(f"family {fam!r} is not a stored report number; import the reports first "
                          f"(or use --create-reports)", line, "family", "family_not_stored", family=fam)
    for fam, rec in fams.items():
        rep = reports.get(fam)
        msex = rec.pedigree[rec.missing].sex
        if rep is not None and "unknown" not in (msex, rep.sex) and msex != rep.sex:
            sheet.problem(f"family {fam!r}: the missing member is {msex} but report {fam} says {rep.sex}",
                          lines.get((fam, rec.missing)), "sex", "family_sex", family=fam)
    sheet.raise_if_problems()

    result = ImportResult("families", sheet.name)
    members = relatives = no_consent = 0
    samples_seen: set[str] = set()
    for fam, rec in fams.items():
        rep = reports.get(fam)
        persons = rec.pedigree.persons
        missing = persons[rec.missing]
        if rep is None:
            rep = MissingReport(report_number=fam, sex=missing.sex)
            session.add(rep)
        want_ped = sorted((p.id, p.father, p.mother, p.sex, rec.samples.get(p.id), p.id == rec.missing)
                          for p in persons.values())
        have_ped = sorted((p.member_id, p.father, p.mother, p.sex, p.sample, p.missing) for p in rep.pedigree)
        old = {d.member_id: (d.sample, d.consent_given, d.consent_scope) for d in rep.relatives}
        # Relatives declared outside the pedigree file (e.g. by the family in the web portal) are kept;
        # without consent columns, a typed member takes the consent such a relative of the same
        # relation gave.
        kept = [(d.member_id, d.relation, d.consent_given, d.consent_scope, d.sample) for d in rep.relatives
                if d.member_id not in persons]
        declared = {_relation_kind(relation): (given, scope) for _m, relation, given, scope, _s in kept
                    if given is not None}
        want_relatives = list(kept)
        for pid, sample in rec.samples.items():
            given, scope = consent.get((fam, pid), (None, None))
            prev = old.get(pid)
            relation = _relation(pid, persons, missing)
            if not consent_cols and prev is not None and prev[0] == sample:
                given, scope = prev[1], prev[2]
            elif not consent_cols and _relation_kind(relation) in declared:
                given, scope = declared[_relation_kind(relation)]
            want_relatives.append((pid, relation, given, scope, sample))
            samples_seen.add(sample)
            no_consent += given is None
        want_relatives.sort(key=lambda t: t[0])
        have_relatives = sorted(((d.member_id, d.relation, d.consent_given, d.consent_scope, d.sample)
                              for d in rep.relatives), key=lambda t: t[0])
        members += len(persons)
        relatives += len(want_relatives)
        if want_ped == have_ped and want_relatives == have_relatives:
            result.unchanged += 1
            continue
        if rep.pedigree or rep.relatives:
            result.updated += 1
        else:
            result.added += 1
        if rep.pedigree or rep.relatives:
            rep.pedigree.clear()
            rep.relatives.clear()
            session.flush()  # delete before inserting rows with the same member ids
        for mid, father, mother, sex, sample, miss in want_ped:
            rep.pedigree.append(PedigreeMember(member_id=mid, father=father, mother=mother, sex=sex,
                                               sample=sample, missing=miss))
        for mid, relation, given, scope, sample in want_relatives:
            rep.relatives.append(Relative(member_id=mid, relation=relation, consent_given=given,
                                          consent_scope=scope, sample=sample))
    session.flush()
    typed = set(_existing(session, DnaSample, DnaSample.sample, samples_seen))
    result.notes.update(members=members, donors=relatives, donors_without_recorded_consent=no_consent,
                        samples_awaiting_profiles=len(samples_seen - typed))
    return _finish(session, result, user, commit)
