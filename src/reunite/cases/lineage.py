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
  closest typed relative of the line (fewest meioses; ties by member id) gives the evidence: the LR of
  "same line" against "unrelated", or an exclusion (LR 0).  Every other typed relative of the line is
  evaluated too and listed with his own LR, not combined (the men of one line are not independent).
  Y-STR and mtDNA LRs multiply with each other and with the autosomal LR (independently inherited markers);
- the Y-STR haplotype's population probability is estimated by the method the lab chose
  (:func:`set_lineage_method`, ``reunite lineage method``: Clopper–Pearson bound by default, count,
  augmented count or the discrete Laplace mixture, with its α), kept in ``store_state``; the discrete
  Laplace fits are kept in ``lineage_fits`` per database SHA-256 and loci (:func:`save_fits`), since a
  fit on 50,000 haplotypes takes minutes.  mtDNA is always counted (Clopper–Pearson for the discrete
  Laplace choice, which has no mtDNA form).

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
from importlib import resources
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..errors import InputError, PedigreeError, Problem
from ..genetics.disclap import DiscreteLaplaceFit
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
from ..search.lineage import relation  # the relative's relation on the line, as the search names it
from .audit import append_audit
from .importing import ImportResult, default_user
from .models import DnaSample, LineageDatabase, LineageFit, MissingReport, StoreState
from .state import _upsert, lock_store, owe_matching

__all__ = [
    "LINEAGE_MODEL",
    "DatabaseInfo",
    "Databases",
    "LineageFamily",
    "LineageResult",
    "MethodInfo",
    "configured_databases",
    "database_info",
    "import_lineage_database",
    "import_reference_database",
    "lineage_family",
    "lineage_method",
    "pair_lineage",
    "save_fits",
    "set_lineage_method",
    "stored_mt",
    "stored_y",
    "use_simulated_database",
    "validate_method",
]

#: What the DNA item's model says when lineage markers are multiplied in.
LINEAGE_MODEL = ("× lineage LR (Y-STR: stepwise mutation along the paternal line over the pedigree's meioses; "
                 "mtDNA: SWGDAM 2019 difference rule), the population probability estimated from the reference "
                 "database by the configured method (default: a one-sided 95% Clopper–Pearson upper bound of "
                 "the count); the lineage markers are inherited independently of the autosomal STRs, so the LRs "
                 "multiply")

#: ``store_state`` rows of the Y-STR population method and its α.
METHOD_KEY, ALPHA_KEY = "lineage_y_method", "lineage_y_alpha"
DEFAULT_METHOD, DEFAULT_ALPHA = "clopper_pearson", 0.05
#: The EM seed of the store's discrete Laplace fits.
FIT_SEED = 1

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


@dataclass(frozen=True)
class MethodInfo:
    """How the Y-STR haplotype's population probability is estimated: a method of
    :data:`~reunite.genetics.ystr.Y_METHODS` and the α of the Clopper–Pearson bound (also the bound of an
    unseen haplotype under ``count``)."""

    method: str = DEFAULT_METHOD
    alpha: float = DEFAULT_ALPHA

    def as_dict(self) -> dict:
        return {"method": self.method, "alpha": self.alpha}


@dataclass
class Databases:
    """The Y-STR and mtDNA databases a matching run counts in, with what identifies them, and the method."""

    y: YDatabase
    mt: MtDatabase
    y_info: DatabaseInfo
    mt_info: DatabaseInfo
    method: MethodInfo = field(default_factory=MethodInfo)
    #: The SHA-256 of the Y database's content (the shipped one's too): what its fits are kept under.
    y_content_sha256: str = ""


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


def _bundled_sha256(kind: str) -> str:
    name = "simulated_ystr_database.csv" if kind == "y" else "simulated_mtdna_database.csv"
    data = resources.files("reunite").joinpath(f"data/lineage/{name}").read_bytes()
    return hashlib.sha256(data.decode("utf-8-sig").encode("utf-8")).hexdigest()


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


def lineage_method(session: Session) -> MethodInfo:
    """The population method configured for the store's Y-STR database (default: Clopper–Pearson, α 0.05)."""
    rows = dict(session.execute(select(StoreState.name, StoreState.value)
                                .where(StoreState.name.in_((METHOD_KEY, ALPHA_KEY)))).all())
    method = rows.get(METHOD_KEY) or DEFAULT_METHOD
    try:
        alpha = float(rows.get(ALPHA_KEY) or DEFAULT_ALPHA)
    except ValueError:
        alpha = DEFAULT_ALPHA
    return MethodInfo(method if method in Y_METHODS else DEFAULT_METHOD, alpha)


def _loci_sha(loci) -> str:
    return hashlib.sha256(",".join(loci).encode("utf-8")).hexdigest()


def configured_databases(session: Session) -> Databases:
    """The databases the matching uses: the ones imported into the store, else the SIMULATED ones, with the
    configured method; with the discrete Laplace method, the Y database carries the fits kept in the store."""
    info = database_info(session)
    dbs = {}
    for kind in ("y", "mt"):
        row = _row(session, kind)
        dbs[kind] = _bundled(kind) if row is None else _parse(kind, row.name, row.content, row.sha256)
    y_sha = info["y"].sha256 or _bundled_sha256("y")
    method = lineage_method(session)
    if method.method == "discrete_laplace":
        for fit in session.scalars(select(LineageFit).where(LineageFit.database_sha256 == y_sha,
                                                            LineageFit.seed == FIT_SEED)):
            dbs["y"].set_discrete_laplace(DiscreteLaplaceFit.from_dict(fit.params), seed=FIT_SEED)
    return Databases(dbs["y"], dbs["mt"], info["y"], info["mt"], method, y_sha)


def save_fits(session: Session, dbs: Databases) -> int:
    """Keep in the store (``lineage_fits``) every discrete Laplace fit of ``dbs``'s Y database not kept yet, in
    the session's transaction; the number added."""
    if dbs.method.method != "discrete_laplace":
        return 0
    have = set(session.scalars(select(LineageFit.loci_sha256).where(
        LineageFit.database_sha256 == dbs.y_content_sha256, LineageFit.seed == FIT_SEED)))
    added = 0
    for (loci, seed), fit in dbs.y.discrete_laplace_fits().items():
        if seed != FIT_SEED or _loci_sha(loci) in have:
            continue
        session.add(LineageFit(database_sha256=dbs.y_content_sha256, loci_sha256=_loci_sha(loci), seed=seed,
                               loci=",".join(loci), clusters=fit.clusters, params=fit.as_dict(),
                               fit_seconds=float(fit.seconds)))
        added += 1
    if added:
        session.flush()
    return added


def validate_method(method: str, alpha: float) -> None:
    """Raise :class:`InputError` unless ``method`` is one of :data:`~reunite.genetics.ystr.Y_METHODS` and
    0 < ``alpha`` < 1 (what :func:`set_lineage_method` checks first; a page checks it before starting a fit)."""
    if method not in Y_METHODS:
        raise InputError(Problem(f"method {method!r} is not one of {', '.join(Y_METHODS)}", field="method",
                                 code="lineage_method", params={"methods": ", ".join(Y_METHODS)}))
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise InputError(Problem(f"alpha must be strictly between 0 and 1, got {alpha}", field="alpha",
                                 code="lineage_alpha"))


def _prefit(session: Session, method: MethodInfo) -> None:
    """With the discrete Laplace method, fit the configured Y database on all its loci now (outside the
    store's lock: minutes on 50,000 haplotypes) so that the matching run finds the fit kept."""
    if method.method != "discrete_laplace":
        return
    dbs = configured_databases(session)
    loci = dbs.y.loci
    if loci:
        dbs.y.discrete_laplace(loci, seed=FIT_SEED)   # (a fit kept in the store is read back, not refitted)
    session.rollback()   # end the read: the write's transaction starts with the store's lock


def set_lineage_method(session: Session, method: str, *, alpha: float = DEFAULT_ALPHA, user: str,
                       commit: bool = True) -> MethodInfo:
    """Make ``method`` (one of :data:`~reunite.genetics.ystr.Y_METHODS`) with ``alpha`` the way the store's
    matching estimates a Y-STR haplotype's population probability.

    Audited (the method and α, before and after); when it changes, the matching becomes owed, so the next
    run re-evaluates the lineage evidence of every candidate.  With ``discrete_laplace`` the configured
    database is fitted first (on all its loci) and the fit kept in the store."""
    validate_method(method, alpha)
    new = MethodInfo(method, float(alpha))
    _prefit(session, new)
    try:
        lock_store(session)
        old = lineage_method(session)
        _upsert(session, METHOD_KEY, new.method)
        _upsert(session, ALPHA_KEY, repr(new.alpha))
        if new.method == "discrete_laplace":
            dbs = configured_databases(session)
            save_fits(session, Databases(dbs.y, dbs.mt, dbs.y_info, dbs.mt_info, new, dbs.y_content_sha256))
        if old != new:
            append_audit(session, user, "lineage_database.method", entity="lineage_database", entity_id="y",
                         details={"method": new.method, "alpha": new.alpha, "previous_method": old.method,
                                  "previous_alpha": old.alpha})
            owe_matching(session)
        if commit:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    return new


def import_lineage_database(session: Session, path: str | Path, *, kind: str, user: str,
                            commit: bool = True, method: str | None = None,
                            alpha: float | None = None) -> DatabaseInfo:
    """Validate a reference database CSV (``kind`` ``y``: one row per man, one column per Y-STR locus;
    ``mt``: columns ``id``, ``range``, ``variants``) and make it the configured database of its kind.

    All-or-nothing: every problem (file, line, locus or field) is raised before anything is stored.
    The content is kept in the store, so a result can always be replayed with the database it used;
    the import is audited (kind, name, size, SHA-256) and the matching becomes owed.  ``method`` and
    ``alpha`` (Y-STR only) also set the population method (:func:`set_lineage_method`) in the same
    transaction; the discrete Laplace fits of a Y database no longer configured are deleted."""
    if method is not None or alpha is not None:
        if kind != "y":
            raise InputError(Problem("a population method is chosen for the Y-STR database only", field="method",
                                     code="lineage_method_y_only"))
        validate_method(method or DEFAULT_METHOD, DEFAULT_ALPHA if alpha is None else alpha)
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
        if kind == "y":
            session.execute(delete(LineageFit).where(LineageFit.database_sha256 != sha))
        if method is not None or alpha is not None:
            old = lineage_method(session)
            new = MethodInfo(method or old.method, old.alpha if alpha is None else float(alpha))
            _upsert(session, METHOD_KEY, new.method)
            _upsert(session, ALPHA_KEY, repr(new.alpha))
            if new != old:
                append_audit(session, user, "lineage_database.method", entity="lineage_database", entity_id="y",
                             details={"method": new.method, "alpha": new.alpha, "previous_method": old.method,
                                      "previous_alpha": old.alpha})
                changed = True
        if changed:
            owe_matching(session)
        if commit:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    return DatabaseInfo(kind, row.name, row.size, False, sha, user, row.imported_at)


def import_reference_database(session: Session, path: str | Path, *, kind: str, user: str | None = None,
                              commit: bool = True, method: str | None = None, alpha: float | None = None):
    """:func:`import_lineage_database` (``kind`` ``ydb``/``y`` or ``mtdb``/``mt``) as an import of the
    store (an :class:`~reunite.cases.importing.ImportResult`), the way the CLI and the web's jobs run it;
    the path ``simulated`` (no such file) goes back to the shipped SIMULATED database."""
    short = kind.removesuffix("db")
    who = user or default_user()
    if str(path) == "simulated" and not Path(path).exists():
        info = use_simulated_database(session, kind=short, user=who, commit=commit)
        if method is not None or alpha is not None:
            set_lineage_method(session, method or lineage_method(session).method,
                               alpha=DEFAULT_ALPHA if alpha is None else alpha, user=who, commit=commit)
    else:
        info = import_lineage_database(session, path, kind=short, user=who, commit=commit, method=method,
                                       alpha=alpha)
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
        if kind == "y":
            session.execute(delete(LineageFit).where(LineageFit.database_sha256 != _bundled_sha256("y")))
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


def _man_y(pid: str, m: int, hap: YHaplotype, found: YHaplotype, dbs: Databases, method: str, alpha: float):
    try:
        return y_lineage_lr(hap, found, m, dbs.y, method=method, alpha=alpha, relative_id=pid)
    except HaplotypeError:
        return None


def _line(fam: LineageFamily, rows: list, maternal: bool, used: int) -> list[dict]:
    """Every typed relative of the line, closest first, with his own LR (None: not comparable), which one
    is used (the closest comparable one; ties by member id) and why."""
    out = []
    for i, (pid, m, r) in enumerate(rows):
        lg = None if r is None else r.log10_lr
        conclusion = ("not_compared" if r is None else
                      "exclusion" if lg == -math.inf else
                      getattr(getattr(r, "comparison", None), "conclusion", "compared"))
        if maternal and r is not None:
            diffs = r.comparison.count
        else:
            diffs = None if r is None else r.comparison.differences
        out.append({"relative": pid, "relation": relation(fam.pedigree, fam.missing, pid, maternal=maternal),
                    "meioses": m, "differences": diffs,
                    "differing": [] if r is None else (r.comparison.differences if maternal
                                                       else r.comparison.differing_loci),
                    "loci": None if r is None or maternal else len(r.loci),
                    "conclusion": conclusion,
                    "log10_lr": None if lg is None or lg == -math.inf else lg, "used": i == used})
    return out


def _y_entry(fam: LineageFamily, found: YHaplotype, dbs: Databases, method: str, alpha: float) -> dict | None:
    results = [(pid, m, _man_y(pid, m, hap, found, dbs, method, alpha)) for pid, m, hap in fam.y]
    used = next((i for i, (_p, _m, r) in enumerate(results) if r is not None), None)
    if used is None:
        return None
    pid, m, r = results[used]
    hap = fam.y[used][2]
    c, pop = r.comparison, r.population
    lg = r.log10_lr
    rel = relation(fam.pedigree, fam.missing, pid, maternal=False)
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
            "others_on_line": [p for i, (p, _m, _h) in enumerate(fam.y) if i != used],
            "line": _line(fam, results, False, used), "choice": "closest"}


def _mt_entry(fam: LineageFamily, found: MtSequence, dbs: Databases, method: str, alpha: float) -> dict | None:
    mt_method = method if method != "discrete_laplace" else "clopper_pearson"
    results = []
    for pid, m, seq in fam.mt:
        try:
            r = mt_lineage_lr(seq, found, dbs.mt, method=mt_method, alpha=alpha, relative_id=pid, meioses=m)
        except HaplotypeError:
            r = None
        results.append((pid, m, r))
    used = next((i for i, (_p, _m, r) in enumerate(results) if r is not None), None)
    if used is None:
        return None
    pid, m, r = results[used]
    c, pop = r.comparison, r.population
    lg = r.log10_lr
    rel = relation(fam.pedigree, fam.missing, pid, maternal=True)
    return {"marker": "mtDNA", "relative": pid, "relation": rel, "meioses": m,
            "range": " ".join(f"{a}-{b}" for a, b in c.range), "differences": c.count,
            "differing_positions": c.differences, "ignored_length_variants": c.ignored,
            "count": pop.count if pop else None, "n": pop.n if pop else None, "method": mt_method, "alpha": alpha,
            "probability": pop.probability if pop else None, "database": dbs.mt_info.name,
            "database_sha256": dbs.mt_info.sha256, "simulated": dbs.mt_info.simulated,
            "conclusion": c.conclusion, "log10_lr": None if lg is None or lg == -math.inf else lg, "lr": r.lr,
            "others_on_line": [p for i, (p, _m, _s) in enumerate(fam.mt) if i != used],
            "line": _line(fam, results, True, used), "choice": "closest"}


def pair_lineage(found_y: YHaplotype | None, found_mt: MtSequence | None, fam: LineageFamily, dbs: Databases, *,
                 method: str | None = None, alpha: float | None = None) -> LineageResult | None:
    """The lineage evidence of a found child (its haplotype and/or sequence) against ``fam``; None when no
    marker kind applies (the child or the family lacks it, or nothing could be compared).

    Per kind the closest typed relative of the line that can be compared is used (fewest meioses, ties by
    member id); every typed relative of the line is evaluated and listed (``line``) with his own LR, not
    combined.  ``method`` and ``alpha`` default to the configured ones (``dbs.method``).  An mtDNA
    comparison with one difference is inconclusive: listed, no LR (it counts 1).  An exclusion by either
    kind makes the lineage LR 0."""
    method = dbs.method.method if method is None else method
    alpha = dbs.method.alpha if alpha is None else alpha
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
