"""Importing an investigation's people and transfers of children from CSV files.

:func:`import_network` reads ``ring.csv`` (the people and their relations) and ``transfers.csv``
(the children handed from one to another) of one investigation, checks both files entirely,
against each other and against the store, and raises :class:`reunite.errors.InputError` with
every problem (file, line, field) before anything is written.  The writes then happen in one
transaction with one audit entry (who, which files, counts; never a name).  People and transfers
are matched on their codes within the investigation, so importing the same files again changes
nothing; a changed row updates its record (and its ``entered_by``).  An optional column the file
leaves out is left as stored; an empty cell clears the value.  Nothing is deleted, except the
relations a person's row no longer lists (the row's ``relations`` replace the stored ones).

``ring.csv``, one row per person:

===============  ========  ==================================================================
column           required  meaning
===============  ========  ==================================================================
person           yes       the person's code in the investigation (``S01``)
role             yes       organiser, broker, courier, seller, buyer, forger, parent (a parent
                           who handed over their own child), suspect or other
name                       the person's name (kept for investigators; never in the audit)
home_place                 where they live or come from (village, county, province)
arrest_status              at_large, arrested, convicted, released, dead or unknown (empty:
                           arrested when ``arrested_on`` is given, else unknown)
arrested_on                the date of the arrest
parent_of                  for a parent, the report number of their missing child
relations                  ``CODE:KIND`` pairs separated by ``;`` (``S01:kin; S07:paid``); KIND is
                           kin, friend, same_town, paid or phoned; the row's relations replace
                           the person's stored ones
source                     the document the row comes from (interrogation record, exhibit ...)
===============  ========  ==================================================================

``transfers.csv``, one row per handover of a child:

===============  ========  ==================================================================
column           required  meaning
===============  ========  ==================================================================
transfer         yes       the transfer's code in the investigation (``T001``)
found_child                the case number of a found child (stored), or
report                     the report number of a missing-child report (stored), or
child_label                a label for a child known only from a confession; exactly one of
                           the three
from                       the person who handed the child over (empty: not known)
to                         the person who received the child (empty: not known)
date                       the date of the handover
place                      where it happened
price_yuan                 what the receiver paid, in yuan
source                     the document the row comes from
===============  ========  ==================================================================

A transfer names people of the same investigation, from ``ring.csv`` or already stored.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ..cases._csv import Row, Sheet, read_sheet
from ..cases.audit import append_audit
from ..cases.importing import default_user
from ..cases.models import FoundChild, MissingReport, utcnow
from ..errors import InputError
from .models import ARREST_STATUSES, PERSON_ROLES, RELATION_KINDS, NetworkPerson, NetworkRelation, NetworkTransfer
from .suspected import mark_suspected_families

__all__ = ["PEOPLE_COLUMNS", "TRANSFER_COLUMNS", "NetworkImportResult", "import_network"]

PEOPLE_COLUMNS = ["person", "role", "name", "home_place", "arrest_status", "arrested_on", "parent_of", "relations",
                  "source"]
TRANSFER_COLUMNS = ["transfer", "found_child", "report", "child_label", "from", "to", "date", "place", "price_yuan",
                    "source"]
_CHILD_COLUMNS = {"found_child": "found", "report": "report", "child_label": "unknown"}
_CHUNK = 500


@dataclass
class NetworkImportResult:
    """What an import did, per kind of record: added, updated, unchanged."""

    investigation: str
    files: list[str]
    counts: dict[str, dict[str, int]] = field(default_factory=lambda: {
        k: {"added": 0, "updated": 0, "unchanged": 0} for k in ("people", "relations", "transfers")})
    #: Reports this import marked suspected of the sale (a parent of theirs hands a child over).
    suspected: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"investigation": self.investigation, "files": self.files, **self.counts,
                "suspected_of_sale": self.suspected}

    def __str__(self) -> str:
        parts = [f"{k} {c['added']} added, {c['updated']} updated, {c['unchanged']} unchanged"
                 for k, c in self.counts.items()]
        if self.suspected:
            parts.append(f"{len(self.suspected)} reports marked suspected of the sale ({', '.join(self.suspected)})")
        return f"network {self.investigation} from {', '.join(self.files)}: " + "; ".join(parts)


def _chunks(items: list, n: int = _CHUNK) -> Iterator[list]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _guard(fn):
    @functools.wraps(fn)
    def wrapper(session: Session, *args, **kwargs):
        try:
            return fn(session, *args, **kwargs)
        except BaseException:
            session.rollback()
            raise

    return wrapper


def _choice(sheet: Sheet, row: Row, name: str, allowed: tuple[str, ...]) -> str | None:
    v = row.get(name)
    if v is None:
        return None
    low = v.lower().replace(" ", "_")
    if low not in allowed:
        sheet.problem(f"{v!r} is not one of {', '.join(allowed)}", row.line, name)
        return None
    return low


def _existing_keys(session: Session, column, keys: Iterable[str]) -> set[str]:
    keys = sorted(set(keys))
    found: set[str] = set()
    for part in _chunks(keys):
        found.update(session.scalars(select(column).where(column.in_(part))))
    return found


def _stored_people(session: Session, investigation: str) -> dict[str, NetworkPerson]:
    q = select(NetworkPerson).where(NetworkPerson.investigation == investigation)
    return {p.code: p for p in session.scalars(q)}


_PERSON_FIELDS = ("role", "name", "home_place", "arrest_status", "arrested_on", "parent_of", "source")
_TRANSFER_FIELDS = ("child_kind", "child", "from_id", "to_id", "transferred_on", "place", "price_yuan", "source")


def _read_people(sheet: Sheet, today: dt.date) -> tuple[dict[str, dict], dict[str, list[tuple[str, str, int]]]]:
    people: dict[str, dict] = {}
    relations: dict[str, list[tuple[str, str, int]]] = {}
    lines: dict[str, int] = {}
    for row in sheet.rows:
        code = sheet.text(row, "person", required=True, max_len=64)
        if code is None:
            continue
        if code in lines:
            sheet.problem(f"{code!r} is also on line {lines[code]}; each person must appear once", row.line, "person")
            continue
        lines[code] = row.line
        rec: dict[str, Any] = {"role": _choice(sheet, row, "role", PERSON_ROLES)}
        if row.get("role") is None:
            sheet.problem("is empty; a role is required", row.line, "role")
        for col in ("name", "home_place", "source"):
            if sheet.has(col):
                rec[col] = sheet.text(row, col)
        if sheet.has("arrested_on"):
            rec["arrested_on"] = sheet.date(row, "arrested_on", not_after=today)
        if sheet.has("arrest_status") or sheet.has("arrested_on"):
            status = _choice(sheet, row, "arrest_status", ARREST_STATUSES) if sheet.has("arrest_status") else None
            rec["arrest_status"] = status or ("arrested" if rec.get("arrested_on") else "unknown")
        if rec.get("arrested_on") and rec["arrest_status"] == "at_large":
            sheet.problem("a person at large has no arrest date; give arrested (or another status) or no date",
                          row.line, "arrest_status")
        if sheet.has("parent_of"):
            rec["parent_of"] = sheet.text(row, "parent_of", max_len=64)
        if sheet.has("relations"):
            rels = []
            for item in (row.get("relations") or "").split(";"):
                item = item.strip()
                if not item:
                    continue
                other, _, kind = item.partition(":")
                other, kind = other.strip(), kind.strip().lower().replace(" ", "_")
                if not other or kind not in RELATION_KINDS:
                    sheet.problem(f"{item!r} is not CODE:KIND with KIND one of {', '.join(RELATION_KINDS)}",
                                  row.line, "relations")
                elif other == code:
                    sheet.problem(f"{item!r} relates the person to themselves", row.line, "relations")
                else:
                    rels.append((other, kind, row.line))
            relations[code] = rels
        people[code] = rec
    return people, relations


def _read_transfers(sheet: Sheet, today: dt.date) -> dict[str, dict]:
    transfers: dict[str, dict] = {}
    lines: dict[str, int] = {}
    for row in sheet.rows:
        code = sheet.text(row, "transfer", required=True, max_len=64)
        if code is None:
            continue
        if code in lines:
            sheet.problem(f"{code!r} is also on line {lines[code]}; each transfer must appear once", row.line,
                          "transfer")
            continue
        lines[code] = row.line
        given = [(col, kind) for col, kind in _CHILD_COLUMNS.items() if sheet.has(col) and row.get(col) is not None]
        rec: dict[str, Any] = {"line": row.line}
        if len(given) != 1:
            cols = [c for c in _CHILD_COLUMNS if sheet.has(c)]
            sheet.problem(f"give exactly one of {', '.join(cols)} (the child), not {len(given)}", row.line,
                          given[1][0] if len(given) > 1 else (cols[0] if cols else "found_child"))
        else:
            col, kind = given[0]
            rec["child_kind"], rec["child"] = kind, sheet.text(row, col, max_len=100 if kind == "unknown" else 64)
            rec["child_column"] = col
        rec["from"] = sheet.text(row, "from", max_len=64) if sheet.has("from") else None
        rec["to"] = sheet.text(row, "to", max_len=64) if sheet.has("to") else None
        if rec["from"] is None and rec["to"] is None:
            sheet.problem("names neither who handed the child over (from) nor who received it (to)", row.line, "from")
        elif rec["from"] == rec["to"]:
            sheet.problem(f"{rec['from']!r} hands the child to themselves", row.line, "to")
        if sheet.has("date"):
            rec["transferred_on"] = sheet.date(row, "date", not_after=today)
        if sheet.has("place"):
            rec["place"] = sheet.text(row, "place")
        if sheet.has("price_yuan"):
            rec["price_yuan"] = sheet.number(row, "price_yuan", low=0, high=1e9)
        if sheet.has("source"):
            rec["source"] = sheet.text(row, "source")
        transfers[code] = rec
    return transfers


@_guard
def import_network(session: Session, people: str | Path | None = None, transfers: str | Path | None = None, *,
                   investigation: str, user: str | None = None, commit: bool = True) -> NetworkImportResult:
    """Import an investigation's ``ring.csv`` (``people``) and ``transfers.csv`` (``transfers``);
    either may be None.  All-or-nothing over both files; idempotent; audited (columns in the
    module docstring).  Raises :class:`InputError` listing every problem, writing nothing."""
    investigation = (investigation or "").strip()
    if not investigation or len(investigation) > 64:
        raise InputError("the investigation needs a code of 1 to 64 characters (e.g. KM-2014-RING)")
    if people is None and transfers is None:
        raise InputError("give ring.csv, transfers.csv or both")
    user = user or default_user()
    today = dt.date.today()
    psheet = read_sheet(people, required=["person", "role"], optional=PEOPLE_COLUMNS[2:]) if people else None
    tsheet = read_sheet(transfers, required=["transfer"], optional=TRANSFER_COLUMNS[1:]) if transfers else None
    precs, rels = _read_people(psheet, today) if psheet else ({}, {})
    trecs = _read_transfers(tsheet, today) if tsheet else {}
    stored = _stored_people(session, investigation)
    known = set(precs) | set(stored)

    if psheet is not None:
        parents = {r["parent_of"] for r in precs.values() if r.get("parent_of")}
        have = _existing_keys(session, MissingReport.report_number, parents)
        lines = {psheet.rows[i].get("person"): psheet.rows[i].line for i in range(len(psheet.rows))}
        for code, rec in precs.items():
            if rec.get("parent_of") and rec["parent_of"] not in have:
                psheet.problem(f"report {rec['parent_of']!r} is not in the store; import the missing-child reports "
                               "first", lines.get(code), "parent_of")
        for items in rels.values():
            for other, _kind, line in items:
                if other not in known:
                    psheet.problem(f"person {other!r} is neither in this file nor stored in investigation "
                                   f"{investigation}", line, "relations")
    if tsheet is not None:
        for col, model_col in (("found_child", FoundChild.case_number), ("report", MissingReport.report_number)):
            wanted = {r["child"] for r in trecs.values() if r.get("child_column") == col and r.get("child")}
            have = _existing_keys(session, model_col, wanted)
            what = "found child" if col == "found_child" else "report"
            for rec in trecs.values():
                if rec.get("child_column") == col and rec.get("child") and rec["child"] not in have:
                    tsheet.problem(f"{what} {rec['child']!r} is not in the store; import it first, or name the "
                                   "child in child_label", rec["line"], col)
        for rec in trecs.values():
            for side in ("from", "to"):
                if rec[side] is not None and rec[side] not in known:
                    tsheet.problem(f"person {rec[side]!r} is neither in ring.csv nor stored in investigation "
                                   f"{investigation}", rec["line"], side)
    problems = [*(psheet.problems if psheet else []), *(tsheet.problems if tsheet else [])]
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.file or "", p.line or 0)))

    result = NetworkImportResult(investigation, [s.name for s in (psheet, tsheet) if s is not None])
    if psheet is not None:
        _write_people(session, investigation, precs, stored, user, result)
    ids = {code: pid for code, pid in session.execute(select(NetworkPerson.code, NetworkPerson.id)
                                                      .where(NetworkPerson.investigation == investigation))}
    if psheet is not None and psheet.has("relations"):
        _write_relations(session, rels, ids, {c: r.get("source") for c, r in precs.items()}, user, result)
    if tsheet is not None:
        _write_transfers(session, investigation, trecs, ids, user, result)
    result.suspected = [m["report"] for m in mark_suspected_families(session, user, investigation)]
    append_audit(session, user, "network.import", entity="network", entity_id=investigation,
                 details=result.as_dict())
    if commit:
        session.commit()
    return result


def _insert(session: Session, model, rows: list[dict]) -> None:
    """Insert ``rows`` as plain executemany batches (timestamps set here, not per row by the ORM)."""
    now = utcnow()
    conn = session.connection()
    for part in _chunks(rows, 10000):
        conn.execute(insert(model.__table__), [{**r, "created_at": now, "updated_at": now} for r in part])


def _write_people(session: Session, investigation: str, precs: dict[str, dict], stored: dict[str, NetworkPerson],
                  user: str, result: NetworkImportResult) -> None:
    new, changed = [], []
    count = result.counts["people"]
    for code, rec in precs.items():
        obj = stored.get(code)
        if obj is None:
            new.append({"investigation": investigation, "code": code, "entered_by": user,
                        **{k: rec.get(k) for k in _PERSON_FIELDS},
                        "arrest_status": rec.get("arrest_status") or "unknown"})
            continue
        diff = {k: v for k, v in rec.items() if getattr(obj, k) != v}
        if diff:
            changed.append({"id": obj.id, "entered_by": user, "updated_at": utcnow(), **diff})
        else:
            count["unchanged"] += 1
    _insert(session, NetworkPerson, new)
    for row in changed:
        session.execute(update(NetworkPerson).where(NetworkPerson.id == row["id"]).values(
            **{k: v for k, v in row.items() if k != "id"}))
    count["added"] += len(new)
    count["updated"] += len(changed)
    session.expire_all()


def _write_relations(session: Session, rels: dict[str, list[tuple[str, str, int]]], stored: dict[str, int],
                     sources: dict[str, str | None], user: str, result: NetworkImportResult) -> None:
    count = result.counts["relations"]
    ids = [stored[c] for c in rels]
    have: dict[int, set[tuple[int, str]]] = {i: set() for i in ids}
    for part in _chunks(ids):
        for pid, oid, kind in session.execute(select(NetworkRelation.person_id, NetworkRelation.other_id,
                                                     NetworkRelation.kind).where(NetworkRelation.person_id.in_(part))):
            have[pid].add((oid, kind))
    new = []
    gone: list[tuple[int, int, str]] = []
    for code, items in rels.items():
        pid = stored[code]
        want = {(stored[o], k) for o, k, _line in items}
        for oid, kind in sorted(want - have[pid]):
            new.append({"person_id": pid, "other_id": oid, "kind": kind, "entered_by": user,
                        "source": sources.get(code)})
        gone.extend((pid, oid, kind) for oid, kind in have[pid] - want)
        count["unchanged"] += len(want & have[pid])
    _insert(session, NetworkRelation, new)
    for pid, oid, kind in gone:
        session.query(NetworkRelation).filter_by(person_id=pid, other_id=oid, kind=kind).delete()
    count["added"] += len(new)
    count["removed"] = len(gone)


def _write_transfers(session: Session, investigation: str, trecs: dict[str, dict], ids: dict[str, int], user: str,
                     result: NetworkImportResult) -> None:
    count = result.counts["transfers"]
    stored: dict[str, tuple] = {}
    cols = [getattr(NetworkTransfer, f) for f in _TRANSFER_FIELDS]
    for row in session.execute(select(NetworkTransfer.code, NetworkTransfer.id, *cols)
                               .where(NetworkTransfer.investigation == investigation)):
        stored[row[0]] = row[1:]
    new, changed = [], []
    for code, rec in trecs.items():
        values = {"child_kind": rec["child_kind"], "child": rec["child"],
                  "from_id": ids.get(rec["from"]) if rec["from"] else None,
                  "to_id": ids.get(rec["to"]) if rec["to"] else None}
        for k in ("transferred_on", "place", "price_yuan", "source"):
            if k in rec:
                values[k] = rec[k]
        old = stored.get(code)
        if old is None:
            new.append({"investigation": investigation, "code": code, "entered_by": user,
                        **{k: values.get(k) for k in _TRANSFER_FIELDS}})
            continue
        before = dict(zip(_TRANSFER_FIELDS, old[1:], strict=True))
        diff = {k: v for k, v in values.items() if before[k] != v}
        if diff:
            changed.append((old[0], diff))
        else:
            count["unchanged"] += 1
    _insert(session, NetworkTransfer, new)
    now = utcnow()
    for tid, diff in changed:
        session.execute(update(NetworkTransfer).where(NetworkTransfer.id == tid).values(
            entered_by=user, updated_at=now, **diff))
    count["added"] += len(new)
    count["updated"] += len(changed)
