"""Lineage markers in the store: the samples' Y-STR haplotypes and mtDNA sequences, the configured
reference databases, and the lineage evidence of a found child against a stored family.

What :mod:`reunite.genetics.ystr`, :mod:`~reunite.genetics.mtdna` and :mod:`~reunite.genetics.lineage`
compute, applied to stored records:

- a sample's haplotype (``DnaSample.y_haplotype``) and sequence (``DnaSample.mt_sequence``) are read
  back by :func:`stored_y` and :func:`stored_mt` (None when untyped or erased);
- the reference database of each kind is the one imported into the store (``lineage_databases``,
  :func:`import_lineage_database`: ``reunite import ydb|mtdb``), or the shipped SIMULATED one
  (:func:`configured_databases`);
- :func:`lineage_family` derives from a report's stored pedigree the typed men of the missing boy's
  paternal line (:func:`~reunite.genetics.ystr.paternal_relatives`) and the typed people of the
  missing child's maternal line (:func:`~reunite.genetics.mtdna.maternal_relatives`);
- :func:`pair_lineage` evaluates a found child against such a family: for each marker kind, the
  closest typed relative of the line (fewest meioses; ties by member id), the LR of "same line"
  against "unrelated" with the population probability counted in the database with the one-sided
  Clopper–Pearson bound (the default), or an exclusion (LR 0).  Y-STR and mtDNA LRs multiply with
  each other and with the autosomal LR (independently inherited markers).

What a result keeps is non-identifying: loci names, counts, meioses, positions that differ, the
database's name and SHA-256, never an allele or a variant.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError, PedigreeError, Problem
from ..genetics.haplotype import HaplotypeError, YHaplotype
from ..genetics.mtdna import (
    MtDatabase,
    MtSequence,
    bundled_mt_database,
    load_mt_database,
    maternal_relatives,
    mt_lineage_lr,
    parse_mt_sequence,
)
from ..genetics.pedigree import Pedigree, make_pedigree
from ..genetics.ystr import (
    Y_METHODS,
    YDatabase,
    bundled_y_database,
    load_y_database,
    parse_y_haplotype,
    paternal_relatives,
    y_lineage_lr,
)
from .audit import append_audit
from .importing import ImportResult, default_user
from .models import DnaSample, LineageDatabase, MissingReport
from .state import lock_store, owe_matching

__all__ = [
    "LINEAGE_MODEL",
    "DatabaseInfo",
    "Databases",
    "LineageFamily",
    "LineageResult",
    "configured_databases",
    "database_info",
    "import_lineage_database",
    "import_reference_database",
    "lineage_family",
    "pair_lineage",
    "stored_mt",
    "stored_y",
    "use_simulated_database",
]

#: What the DNA item's model says when lineage markers are multiplied in.
LINEAGE_MODEL = ("× lineage LR (Y-STR: stepwise mutation along the paternal line over the pedigree's meioses; "
                 "mtDNA: SWGDAM 2019 difference rule), the population probability counted in the reference "
                 "database with a one-sided 95% Clopper–Pearson upper bound; the lineage markers are inherited "
                 "independently of the autosomal STRs, so the LRs multiply")

_KIND_NAMES = {"y": "Y-STR", "mt": "mtDNA"}


def stored_y(sample: DnaSample | None) -> YHaplotype | None:
    """The Y-STR haplotype of a stored sample; None if untyped or erased."""
    if sample is None or sample.erased or not sample.y_haplotype:
        return None
    return parse_y_haplotype(sample.y_haplotype, source=f"sample {sample.sample}")


def stored_mt(sample: DnaSample | None) -> MtSequence | None:
    """The mtDNA sequence of a stored sample; None if untyped or erased."""
    if sample is None or sample.erased or not sample.mt_sequence:
        return None
    return parse_mt_sequence(sample.mt_sequence.get("variants") or "", sample.mt_sequence.get("range"),
                             source=f"sample {sample.sample}")


# ------------------------------------------------------------------------------ databases


@dataclass(frozen=True)
class DatabaseInfo:
    """Which database of one kind is configured: its name, size, SHA-256 (None: the shipped one)."""

    kind: str
    name: str
    size: int
    simulated: bool
    sha256: str | None
    imported_by: str | None = None
    imported_at: dt.datetime | None = None

    def as_dict(self) -> dict:
        return {"kind": self.kind, "marker": _KIND_NAMES[self.kind], "name": self.name, "size": self.size,
                "simulated": self.simulated, "sha256": self.sha256, "imported_by": self.imported_by,
                "imported_at": self.imported_at.isoformat() if self.imported_at else None}


@dataclass
class Databases:
    """The Y-STR and mtDNA databases a matching run counts in, with what identifies them."""

    y: YDatabase
    mt: MtDatabase
    y_info: DatabaseInfo
    mt_info: DatabaseInfo


#: Parsed databases by content digest (a database is parsed once per process).
_PARSED: dict[tuple[str, str], YDatabase | MtDatabase] = {}


def _parse(kind: str, name: str, content: str, sha: str) -> YDatabase | MtDatabase:
    key = (kind, sha)
    if key not in _PARSED:
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / name
            p.write_text(content, encoding="utf-8")
            _PARSED[key] = load_y_database(p) if kind == "y" else load_mt_database(p)
    return _PARSED[key]


def _bundled(kind: str) -> YDatabase | MtDatabase:
    key = (kind, "simulated")
    if key not in _PARSED:
        _PARSED[key] = bundled_y_database() if kind == "y" else bundled_mt_database()
    return _PARSED[key]


def _row(session: Session, kind: str) -> LineageDatabase | None:
    return session.scalars(select(LineageDatabase).where(LineageDatabase.kind == kind)).first()


def database_info(session: Session) -> dict[str, DatabaseInfo]:
    """The configured database of each kind (``y``, ``mt``)."""
    out = {}
    for kind in ("y", "mt"):
        row = _row(session, kind)
        if row is None:
            db = _bundled(kind)
            out[kind] = DatabaseInfo(kind, db.source, len(db), True, None)
        else:
            out[kind] = DatabaseInfo(kind, row.name, row.size, False, row.sha256, row.imported_by, row.imported_at)
    return out


def configured_databases(session: Session) -> Databases:
    """The databases the matching uses: the ones imported into the store, else the SIMULATED ones."""
    info = database_info(session)
    dbs = {}
    for kind in ("y", "mt"):
        row = _row(session, kind)
        dbs[kind] = _bundled(kind) if row is None else _parse(kind, row.name, row.content, row.sha256)
    return Databases(dbs["y"], dbs["mt"], info["y"], info["mt"])


def import_lineage_database(session: Session, path: str | Path, *, kind: str, user: str,
                            commit: bool = True) -> DatabaseInfo:
    """Validate a reference database CSV (``kind`` ``y``: one row per man, one column per Y-STR locus;
    ``mt``: columns ``id``, ``range``, ``variants``) and make it the configured database of its kind.

    All-or-nothing: every problem (file, line, locus or field) is raised before anything is stored.
    The content is kept in the store, so a result can always be replayed with the database it used;
    the import is audited (kind, name, size, SHA-256) and the matching becomes owed."""
    if kind not in _KIND_NAMES:
        raise InputError(Problem(f"{kind!r} is not a lineage database kind; use y or mt", field="kind",
                                 code="lineage_database_kind"))
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(Problem(f"cannot read the file: {exc.strerror or exc}", file=path.name,
                                 code="unreadable")) from None
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(Problem("the file is not UTF-8 text; save it as UTF-8", file=path.name, code="not_utf8",
                                 params={"byte": exc.start})) from None
    db = load_y_database(path) if kind == "y" else load_mt_database(path)
    if kind == "y" and not db.loci:
        raise HaplotypeError(Problem("no locus is typed in every haplotype of the database; a database row "
                                     "needs every locus the database is counted on", file=path.name,
                                     code="y_database_no_common_locus"))
    sha = hashlib.sha256(content.encode("utf-8")).hexdigest()
    try:
        lock_store(session)
        row = _row(session, kind)
        if row is None:
            row = LineageDatabase(kind=kind)
            session.add(row)
        changed = row.sha256 != sha
        row.name, row.sha256, row.size, row.content = path.name[:200], sha, len(db), content
        row.imported_by, row.imported_at = user, dt.datetime.now(dt.UTC).replace(tzinfo=None)
        session.flush()
        _PARSED[(kind, sha)] = db
        append_audit(session, user, "lineage_database.import", entity="lineage_database", entity_id=kind,
                     details={"name": row.name, "size": len(db), "sha256": sha})
        if changed:
            owe_matching(session)
        if commit:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    return DatabaseInfo(kind, row.name, row.size, False, sha, user, row.imported_at)


def import_reference_database(session: Session, path: str | Path, *, kind: str, user: str | None = None,
                              commit: bool = True):
    """:func:`import_lineage_database` (``kind`` ``ydb``/``y`` or ``mtdb``/``mt``) as an import of the
    store (an :class:`~reunite.cases.importing.ImportResult`), the way the CLI and the web's jobs run it;
    the path ``simulated`` (no such file) goes back to the shipped SIMULATED database."""
    short = kind.removesuffix("db")
    who = user or default_user()
    if str(path) == "simulated" and not Path(path).exists():
        info = use_simulated_database(session, kind=short, user=who, commit=commit)
    else:
        info = import_lineage_database(session, path, kind=short, user=who, commit=commit)
    what = "haplotypes" if short == "y" else "sequences"
    return ImportResult(f"{short}db", info.name, added=1, notes={what: info.size,
                                                                 "sha256": (info.sha256 or "shipped")[:16]})


def use_simulated_database(session: Session, *, kind: str, user: str, commit: bool = True) -> DatabaseInfo:
    """Go back to the shipped SIMULATED database of ``kind`` (the imported one is removed from the store)."""
    if kind not in _KIND_NAMES:
        raise InputError(Problem(f"{kind!r} is not a lineage database kind; use y or mt", field="kind",
                                 code="lineage_database_kind"))
    lock_store(session)
    row = _row(session, kind)
    if row is not None:
        session.delete(row)
        session.flush()
        append_audit(session, user, "lineage_database.simulated", entity="lineage_database", entity_id=kind,
                     details={})
        owe_matching(session)
    if commit:
        session.commit()
    return database_info(session)[kind]


# ------------------------------------------------------------------------------ families


@dataclass(frozen=True)
class LineageFamily:
    """A report's typed relatives on the missing child's paternal line (with a Y-STR haplotype) and
    maternal line (with an mtDNA sequence), each with its meioses to the missing child, closest first."""

    family: str
    pedigree: Pedigree
    missing: str
    y: list[tuple[str, int, YHaplotype]] = field(default_factory=list)
    mt: list[tuple[str, int, MtSequence]] = field(default_factory=list)


def lineage_family(report: MissingReport, samples: Mapping[str, DnaSample]) -> LineageFamily | None:
    """The lineage relatives of ``report`` (samples looked up by code); None when it has none."""
    rows = report.pedigree
    missing = [r.member_id for r in rows if r.missing]
    if len(missing) != 1:
        return None
    ys: dict[str, YHaplotype] = {}
    mts: dict[str, MtSequence] = {}
    for r in rows:
        if r.missing or not r.sample:
            continue
        s = samples.get(r.sample)
        y, mt = stored_y(s), stored_mt(s)
        if y is not None and y.alleles:
            ys[r.member_id] = y
        if mt is not None:
            mts[r.member_id] = mt
    if not ys and not mts:
        return None
    ped = make_pedigree([{"id": r.member_id, "father": r.father, "mother": r.mother, "sex": r.sex} for r in rows],
                        source=f"report {report.report_number}")
    y_rel: list[tuple[str, int, YHaplotype]] = []
    if ys and ped[missing[0]].sex != "female":
        try:
            y_rel = [(pid, m, ys[pid]) for pid, m in paternal_relatives(ped, missing[0], ys)]
        except PedigreeError:
            y_rel = []
    mt_rel = [(pid, m, mts[pid]) for pid, m in maternal_relatives(ped, missing[0], mts)]
    if not y_rel and not mt_rel:
        return None
    return LineageFamily(report.report_number, ped, missing[0], y_rel, mt_rel)


def _relation(ped: Pedigree, missing: str, pid: str, maternal: bool) -> str:
    me, p = ped[missing], ped[pid]
    parent = me.mother if maternal else me.father
    up = (lambda x: ped[x].mother) if maternal else (lambda x: ped[x].father)
    if pid == parent:
        return "mother" if maternal else "father"
    if parent is not None and (p.mother if maternal else p.father) == parent:
        return "maternal_sibling" if maternal else "brother"
    grand = up(parent) if parent is not None else None
    if grand is not None and pid == grand:
        return "maternal_grandmother" if maternal else "paternal_grandfather"
    if grand is not None and (p.mother if maternal else p.father) == grand:
        return "maternal_aunt_or_uncle" if maternal else "paternal_uncle"
    pp = p.mother if maternal else p.father
    if grand is not None and pp is not None and (ped[pp].mother if maternal else ped[pp].father) == grand:
        return "maternal_cousin" if maternal else "paternal_cousin"
    return "maternal_line" if maternal else "paternal_line"


# ------------------------------------------------------------------------------ the pair


@dataclass(frozen=True)
class LineageResult:
    """The lineage evidence of one found child against one family: an entry per marker kind used
    (``data``: non-identifying), the product of their LRs as log10 (None: LR 0, an exclusion)."""

    entries: list[dict]
    log10_lr: float | None

    @property
    def excluded(self) -> bool:
        return self.log10_lr is None

    @property
    def markers(self) -> list[str]:
        return [e["marker"] for e in self.entries]


def _y_entry(fam: LineageFamily, found: YHaplotype, dbs: Databases, method: str, alpha: float) -> dict | None:
    pid, m, hap = fam.y[0]
    try:
        r = y_lineage_lr(hap, found, m, dbs.y, method=method, alpha=alpha, relative_id=pid)
    except HaplotypeError:
        return None
    c, pop = r.comparison, r.population
    lg = r.log10_lr
    rel = _relation(fam.pedigree, fam.missing, pid, maternal=False)
    return {"marker": "Y-STR", "relative": pid, "relation": rel, "meioses": m,
            "loci_compared": [x.locus for x in c.compared], "not_compared": [x.locus for x in c.not_compared],
            "not_typed": sorted(set(found.alleles) ^ set(hap.alleles)),
            "differences": c.differences, "differing_loci": c.differing_loci,
            "count": pop.count, "n": pop.n, "method": pop.method, "alpha": pop.alpha, "probability": pop.probability,
            "numerator": c.probability, "database": dbs.y_info.name, "database_sha256": dbs.y_info.sha256,
            "simulated": dbs.y_info.simulated, "rates": c.rates_source,
            "default_rate_loci": [x.locus for x in c.compared if x.default_rate],
            "conclusion": "exclusion" if lg == -math.inf else "compared",
            "log10_lr": None if lg == -math.inf else lg, "lr": r.lr,
            "others_on_line": [p for p, _m, _h in fam.y[1:]]}


def _mt_entry(fam: LineageFamily, found: MtSequence, dbs: Databases, method: str, alpha: float) -> dict | None:
    pid, m, seq = fam.mt[0]
    mt_method = method if method != "discrete_laplace" else "clopper_pearson"
    try:
        r = mt_lineage_lr(seq, found, dbs.mt, method=mt_method, alpha=alpha, relative_id=pid, meioses=m)
    except HaplotypeError:
        return None
    c, pop = r.comparison, r.population
    lg = r.log10_lr
    rel = _relation(fam.pedigree, fam.missing, pid, maternal=True)
    return {"marker": "mtDNA", "relative": pid, "relation": rel, "meioses": m,
            "range": " ".join(f"{a}-{b}" for a, b in c.range), "differences": c.count,
            "differing_positions": c.differences, "ignored_length_variants": c.ignored,
            "count": pop.count if pop else None, "n": pop.n if pop else None, "method": mt_method, "alpha": alpha,
            "probability": pop.probability if pop else None, "database": dbs.mt_info.name,
            "database_sha256": dbs.mt_info.sha256, "simulated": dbs.mt_info.simulated,
            "conclusion": c.conclusion, "log10_lr": None if lg is None or lg == -math.inf else lg, "lr": r.lr,
            "others_on_line": [p for p, _m, _s in fam.mt[1:]]}


def pair_lineage(found_y: YHaplotype | None, found_mt: MtSequence | None, fam: LineageFamily, dbs: Databases, *,
                 method: str = "clopper_pearson", alpha: float = 0.05) -> LineageResult | None:
    """The lineage evidence of a found child (its haplotype and/or sequence) against ``fam``; None when no
    marker kind applies (the child or the family lacks it, or nothing could be compared).

    Per kind the closest typed relative of the line is used (the others are listed).  An mtDNA comparison
    with one difference is inconclusive: listed, no LR (it counts 1).  An exclusion by either kind makes
    the lineage LR 0."""
    if method not in Y_METHODS:
        raise InputError(Problem(f"method {method!r} is not one of {', '.join(Y_METHODS)}", field="method",
                                 code="lineage_method", params={"methods": ", ".join(Y_METHODS)}))
    entries = []
    if found_y is not None and found_y.alleles and fam.y:
        e = _y_entry(fam, found_y, dbs, method, alpha)
        if e is not None:
            entries.append(e)
    if found_mt is not None and fam.mt:
        e = _mt_entry(fam, found_mt, dbs, method, alpha)
        if e is not None:
            entries.append(e)
    if not entries:
        return None
    total = 0.0
    for e in entries:
        if e["conclusion"] == "exclusion":
            return LineageResult(entries, None)
        if e["log10_lr"] is not None:
            total += e["log10_lr"]
    return LineageResult(entries, total)
