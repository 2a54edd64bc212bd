"""``reunite import``, ``export`` and ``match``: case data into and out of the store, and the matching
that follows every import.

Every command works on the database of ``$REUNITE_DATABASE_URL`` (default: ``reunite.db`` in the
working directory), created on first use; the acting user is ``--user``, else ``$REUNITE_USER``,
else the login name.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError, Problem, ReuniteError
from ._common import UserOpt, fail

__all__ = ["register"]

import_app = typer.Typer(help="Import CSV files into the case store (all-or-nothing, idempotent).",
                         no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``reunite import``, ``export`` and ``match`` to ``app``."""
    app.add_typer(import_app, name="import")
    app.command("export")(export_cmd)
    app.command("match")(match_cmd)


def _match(s, **kw) -> None:
    """Run the matching with the settings of the environment (overridden by ``kw``) and say what it did."""
    from ..cases.matching import run_matching
    from ..cases.settings import MatchingSettings
    from ..network import leads as _network_evidence  # noqa: F401  (gives the matching the chains' sources)

    summary = run_matching(s, **{**MatchingSettings.from_env().matching_kwargs(), **kw})
    c = summary.candidates
    typer.echo(f"matching: {summary.children_searched} found children searched against "
               f"{summary.families_indexed} families with DNA; candidates {c['added']} added, "
               f"{c['updated']} updated, {c['unchanged']} unchanged"
               + (f"; {summary.lineage_pairs} pairs compared by Y-STR/mtDNA" if summary.lineage_pairs else ""))


def _run_import(fn, path: Path, match: bool = True, record_as: str | None = None, **kw) -> None:
    """Import, then match if the import changed something or an earlier matching was interrupted;
    the import's end goes into the store's history of imports, as the web's do (as ``record_as``,
    else the kind the function's name says)."""
    from ..cases.db import open_session
    from ..cases.state import is_matching_owed

    try:
        with open_session() as s:
            run = {"outcome": "failed", "started_at": _now()}
            try:
                result = fn(s, path, **kw)
                run.update(outcome="stored", added=result.added, updated=result.updated, unchanged=result.unchanged)
                typer.echo(str(result))
                if match and (result.added or result.updated or is_matching_owed(s)):
                    s.rollback()   # the matching's transaction starts with the store's lock
                    _match(s)
                run["outcome"] = "done"
            except ReuniteError as exc:
                run.update(problems=len(exc.problems) if isinstance(exc, InputError) else 1, error=type(exc).__name__)
                raise
            finally:
                _record(s, record_as or fn.__name__.removeprefix("import_"), Path(path).name, kw.get("user"), run)
    except ReuniteError as exc:
        fail(exc)


def _now():
    from ..cases.models import utcnow

    return utcnow()


def _record(s, kind: str, file_name: str, user: str | None, run: dict) -> None:
    """Write the import's end to the history (after the import's own transaction ended)."""
    from ..cases.import_history import record_import_run
    from ..cases.importing import default_user

    s.rollback()
    record_import_run(s, kind=kind, file_name=file_name, user=user or default_user(), **run)


@import_app.command("profiles")
def import_profiles_cmd(
    file: Annotated[Path, typer.Argument(help="profiles.csv: sample,marker,allele1,allele2")],
    lab: Annotated[str, typer.Option("--lab", help="The lab that typed the samples.")],
    kit: Annotated[str | None, typer.Option("--kit", help="The typing kit (e.g. GlobalFiler).")] = None,
    date: Annotated[str | None, typer.Option("--date", help="Date typed, YYYY-MM-DD.")] = None,
    no_match: Annotated[bool, typer.Option("--no-match", help="Do not run the matching after the import.")] = False,
    user: UserOpt = None,
):
    """Import DNA profiles typed by a lab."""
    from ..cases.importing import import_profiles

    _run_import(import_profiles, file, not no_match, lab=lab, kit=kit, typed_on=_typed_on(date), user=user)


def _import_lab_file(kind: str, file: Path, lab: str | None, kit: str | None, date: str | None,
                     skip_unknown_markers: bool, no_match: bool, user: str | None) -> None:
    """Import a lab file's profiles (as ``import profiles`` does), saying what the reader left out."""
    from ..cases.importing import import_lab_profiles

    def run(s, path, **kw):
        result = import_lab_profiles(s, path, **kw)
        for note in result.remarks:
            typer.echo(f"note: {note}", err=True)
        return result

    _run_import(run, file, not no_match, record_as=kind, kind=kind, lab=lab, kit=kit, typed_on=_typed_on(date),
                skip_unknown_markers=skip_unknown_markers, user=user)   # recorded under its kind, as the web does


def _typed_on(date: str | None) -> dt.date | None:
    if not date:
        return None
    try:
        return dt.date.fromisoformat(date)
    except ValueError:
        fail(InputError(f"--date {date!r} is not a date; write it as YYYY-MM-DD"))


KitOpt = Annotated[str | None, typer.Option("--kit", help="The typing kit (e.g. GlobalFiler).")]
DateOpt = Annotated[str | None, typer.Option("--date", help="Date typed, YYYY-MM-DD.")]
SkipOpt = Annotated[bool, typer.Option("--skip-unknown-markers", help="Leave out markers Reunite does not know "
                                                                      "(with a note) instead of refusing the file.")]
NoMatchOpt = Annotated[bool, typer.Option("--no-match", help="Do not run the matching after the import.")]


@import_app.command("genemapper")
def import_genemapper_cmd(
    file: Annotated[Path, typer.Argument(help="A GeneMapper ID-X Genotypes table (tab-separated text)")],
    lab: Annotated[str, typer.Option("--lab", help="The lab that typed the samples.")],
    kit: KitOpt = None, date: DateOpt = None, skip_unknown_markers: SkipOpt = False, no_match: NoMatchOpt = False,
    user: UserOpt = None,
):
    """Import the profiles of a GeneMapper ID-X Genotypes table (docs/labfiles.md)."""
    _import_lab_file("genemapper", file, lab, kit, date, skip_unknown_markers, no_match, user)


@import_app.command("cmf")
def import_cmf_cmd(
    file: Annotated[Path, typer.Argument(help="A CODIS CMF 3.x XML file of specimen profiles")],
    lab: Annotated[str | None, typer.Option("--lab", help="The lab that typed the samples (default: the "
                                                          "file's SOURCELAB).")] = None,
    kit: KitOpt = None, date: DateOpt = None, skip_unknown_markers: SkipOpt = False, no_match: NoMatchOpt = False,
    user: UserOpt = None,
):
    """Import the specimen profiles of a CODIS CMF XML file (docs/labfiles.md)."""
    _import_lab_file("cmf", file, lab, kit, date, skip_unknown_markers, no_match, user)


@import_app.command("mt")
def import_mt_cmd(
    file: Annotated[Path, typer.Argument(help="An EMPOP .emp table of mtDNA haplotypes (tab-separated: a '#!' "
                                              "range line, then sample, haplogroup, 1, the variants), or a "
                                              "sample,range,haplotype table")],
    lab: Annotated[str, typer.Option("--lab", help="The lab that sequenced the samples.")],
    kit: KitOpt = None, date: DateOpt = None, no_match: NoMatchOpt = False, user: UserOpt = None,
):
    """Import the mtDNA sequences of an EMPOP haplotype table into the samples (docs/labfiles.md)."""
    _import_lab_file("mt", file, lab, kit, date, False, no_match, user)


@import_app.command("fam")
def import_fam_cmd(
    file: Annotated[Path, typer.Argument(help="A Familias 3 .fam case file")],
    report: Annotated[str, typer.Option("--report", help="The report number the family belongs to.")],
    lab: Annotated[str, typer.Option("--lab", help="The lab that typed the relatives.")],
    create_report: Annotated[bool, typer.Option(
        "--create-report", help="Create a bare report if the report number is not stored.")] = False,
    found: Annotated[str | None, typer.Option("--found", help="The file's person of interest (when ambiguous).")]
    = None,
    h1: Annotated[str | None, typer.Option("--h1", help="The file's pedigree that is H1 (when ambiguous).")] = None,
    h2: Annotated[str | None, typer.Option("--h2", help="The file's pedigree that is H2 (when ambiguous).")] = None,
    found_case: Annotated[str | None, typer.Option(
        "--found-case", help="The found child that holds the person of interest's profile (default: "
                             "REPORT-PERSON; created if not stored).")] = None,
    kit: KitOpt = None, date: DateOpt = None, no_match: NoMatchOpt = False, user: UserOpt = None,
):
    """Import a Familias case as a report's reference family: its pedigree, the missing person and the
    typed relatives with their DNA samples, the person of interest's profile as a found child's sample,
    and the file's frequencies, mutation model and theta as the report's kinship settings
    (docs/labfiles.md)."""
    from ..cases.famimport import import_fam

    def run(s, path, **kw):
        result = import_fam(s, path, **kw)
        for note in result.remarks:
            typer.echo(f"note: {note}", err=True)
        return result

    _run_import(run, file, not no_match, record_as="fam", report=report, lab=lab, kit=kit, typed_on=_typed_on(date),
                found=found, h1=h1, h2=h2, create_report=create_report, found_case=found_case, user=user)


def _import_lineage_db(kind: str, file: Path, no_match: bool, user: str | None, **method) -> None:
    """Make a reference database CSV (or ``simulated``: the shipped one) the configured one of ``kind``
    (``method``/``alpha``: the Y-STR population method, set with it)."""
    from ..cases.lineage import import_reference_database

    _run_import(import_reference_database, file, not no_match, record_as=f"{kind}db", kind=kind, user=user,
                **{k: v for k, v in method.items() if v is not None})


@import_app.command("ydb")
def import_ydb_cmd(
    file: Annotated[Path, typer.Argument(help="A Y-STR reference database CSV: one row per unrelated man, one "
                                              "column per locus (DYS385 as 13,19); or 'simulated' for the "
                                              "shipped SIMULATED one")],
    no_match: NoMatchOpt = False, user: UserOpt = None,
    method: Annotated[str | None, typer.Option(
        "--method", help="How the haplotype's population probability is estimated: clopper_pearson (default), "
                         "count, augmented or discrete_laplace (also: reunite lineage method).")] = None,
    alpha: Annotated[float | None, typer.Option(
        "--alpha", help="α of the one-sided Clopper–Pearson bound (default 0.05).")] = None,
):
    """Use a Y-STR haplotype database for the lineage LRs (docs/lineage.md); the matching runs again."""
    _import_lineage_db("y", file, no_match, user, method=method, alpha=alpha)


@import_app.command("mtdb")
def import_mtdb_cmd(
    file: Annotated[Path, typer.Argument(help="An mtDNA reference database CSV: id,range,variants (EMPOP "
                                              "notation); or 'simulated' for the shipped SIMULATED one")],
    no_match: NoMatchOpt = False, user: UserOpt = None,
):
    """Use an mtDNA sequence database for the lineage LRs (docs/lineage.md); the matching runs again."""
    _import_lineage_db("mt", file, no_match, user)


@import_app.command("families")
def import_families_cmd(
    file: Annotated[Path, typer.Argument(help="families.csv: family,id,father,mother,sex,sample,missing")],
    create_reports: Annotated[bool, typer.Option(
        "--create-reports", help="Create a bare report for a family whose report number is not stored.")] = False,
    no_match: Annotated[bool, typer.Option("--no-match", help="Do not run the matching after the import.")] = False,
    user: UserOpt = None,
):
    """Import reference families (pedigrees); `family` is the report number."""
    from ..cases.importing import import_families

    _run_import(import_families, file, not no_match, create_reports=create_reports, user=user)


@import_app.command("found")
def import_found_cmd(
    file: Annotated[Path, typer.Argument(help="found_children.csv (columns in docs/formats.md)")],
    no_match: Annotated[bool, typer.Option("--no-match", help="Do not run the matching after the import.")] = False,
    user: UserOpt = None,
):
    """Import found children."""
    from ..cases.importing import import_found

    _run_import(import_found, file, not no_match, user=user)


@import_app.command("reports")
def import_reports_cmd(
    file: Annotated[Path, typer.Argument(help="missing_reports.csv (columns in docs/formats.md)")],
    no_match: Annotated[bool, typer.Option("--no-match", help="Do not run the matching after the import.")] = False,
    user: UserOpt = None,
):
    """Import missing-child reports."""
    from ..cases.importing import import_reports

    _run_import(import_reports, file, not no_match, user=user)


def export_cmd(
    table: Annotated[str, typer.Argument(help="The table to export (e.g. found_children, candidates, audit_log), "
                                              "network (the trafficking network as graphml or csv), cmf (stored "
                                              "profiles), mt (stored mtDNA sequences as an EMPOP table), fam or "
                                              "pedtools (a candidate's kinship case).")],
    target: Annotated[Path | None, typer.Argument(help="fam: the .fam file; pedtools: the folder (or a .zip file) "
                                                       "to write.", show_default=False)] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or json (network: graphml or csv).")] = "csv",
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of standard output "
                                                           "(network: the GraphML file or the CSV folder).")] = None,
    samples: Annotated[str | None, typer.Option("--samples", help="cmf, mt: the sample codes, comma-separated "
                                                                 "(default: every stored profile).")] = None,
    source_lab: Annotated[str | None, typer.Option("--source-lab", help="cmf: SOURCELAB, your lab's ORI.")] = None,
    destination_ori: Annotated[str | None, typer.Option("--destination-ori", help="cmf: DESTINATIONORI.")] = None,
    kit: Annotated[str, typer.Option("--kit", help="cmf: the KIT written on every autosomal locus.")] = "",
    y_kit: Annotated[str, typer.Option("--y-kit", help="cmf: the KIT written on every Y-STR locus, one of "
                                                       "yfiler, yfiler_plus, ppy23, agcu_y24, y36_du2019, "
                                                       "agcu_y_supp, agcu_y24_supp, microreader_24y.")] = "",
    lab: Annotated[str | None, typer.Option("--lab", help="cmf, mt: only the samples this lab typed.")] = None,
    candidate: Annotated[int | None, typer.Option("--candidate", help="fam, pedtools: the candidate's id.")] = None,
    report: Annotated[str | None, typer.Option("--report", help="fam: the report whose case came from a Familias "
                                                                "file (reunite import fam).")] = None,
    user: UserOpt = None,
):
    """Export a table as CSV or JSON (formula-like CSV cells are escaped with a leading quote).

    ``network`` exports the trafficking network (the only investigation stored) for analysts'
    tools: ``--format graphml --out ring.graphml`` or ``--format csv --out folder/``.  ``cmf``
    writes stored DNA profiles as CODIS CMF XML: ``--out specimens.xml --source-lab ORI
    --destination-ori ORI [--samples S1,S2] [--lab LAB] [--y-kit yfiler_plus]`` (validated against the
    CMF schema).  ``mt`` writes stored mtDNA sequences as an EMPOP table that ``reunite import mt``
    reads: ``--out seq.emp [--samples S1,S2] [--lab LAB]``.  ``fam``
    and ``pedtools`` write a stored candidate (found child against a family) as a Familias case or
    as R pedsuite files, with the frequencies and mutation model of its LR: ``fam --candidate ID
    OUT.fam``, ``pedtools --candidate ID OUTDIR`` (or ``OUT.zip``); ``fam --report NUMBER OUT.fam``
    writes a report's case imported from a Familias file, with the file's own frequencies.  Every such
    export is audited and registered so that a withdrawal of consent deletes it."""
    from ..cases.db import open_session
    from ..cases.export import export_table
    from ..network import models as _network_tables  # noqa: F401  (the network_* tables can be exported)

    if table == "cmf":
        _export_cmf(out or target, samples, source_lab, destination_ori, kit, user, lab, y_kit)
        return
    if table == "mt":
        _export_mt(out or target, samples, user, lab)
        return
    if table == "fam" and report is not None:
        _export_report_fam(report, target or out, user)
        return
    if table in ("fam", "pedtools"):
        _export_candidate(table, candidate, target or out, user)
        return
    if table == "network":
        from .network import export_to

        if out is None:
            fail(InputError(Problem("give --out: the GraphML file or the CSV folder", field="out")))
        for path in export_to(fmt, out, user=user):
            typer.echo(f"network written to {path}")
        return
    try:
        with open_session() as s:
            n = export_table(s, table, fmt, out, user=user)
    except ReuniteError as exc:
        fail(exc)
    if out is not None:
        typer.echo(f"{n} rows of {table} written to {out}")


def _export_candidate(fmt: str, candidate: int | None, out: Path | None, user: str | None) -> None:
    from ..cases.db import open_session
    from ..cases.labexport import export_candidate_fam, export_candidate_pedtools

    problems = []
    if candidate is None:
        problems.append(Problem("give --candidate: the id of the candidate to export", field="candidate"))
    if out is None:
        problems.append(Problem("give the file (fam) or folder (pedtools) to write", field="out"))
    if problems:
        fail(InputError(problems))
    try:
        with open_session() as s:
            if fmt == "fam":
                done = export_candidate_fam(s, candidate, out, user=user)
            elif out.suffix.lower() == ".zip":
                done = export_candidate_pedtools(s, candidate, zip_path=out, user=user)
            else:
                done = export_candidate_pedtools(s, candidate, out, user=user)
    except ReuniteError as exc:
        fail(exc)
    for note in done.notes:
        typer.echo(f"note: {note}", err=True)
    lr = "LR 0" if done.log10_lr is None else f"log10 LR {done.log10_lr:.6f}"
    typer.echo(f"candidate {candidate} ({lr}) written to {', '.join(str(p) for p in done.paths)}")


def _export_report_fam(report: str, out: Path | None, user: str | None) -> None:
    from ..cases.db import open_session
    from ..cases.labexport import export_report_fam

    if out is None:
        fail(InputError(Problem("give the .fam file to write", field="out")))
    try:
        with open_session() as s:
            done = export_report_fam(s, report, out, user=user)
    except ReuniteError as exc:
        fail(exc)
    for note in done.notes:
        typer.echo(f"note: {note}", err=True)
    lr = "LR 0" if done.log10_lr is None else f"log10 LR {done.log10_lr:.6f}"
    typer.echo(f"report {report}'s case ({lr}) written to {out}")


def _export_cmf(out: Path | None, samples: str | None, source_lab: str | None, destination_ori: str | None,
                kit: str, user: str | None, lab: str | None = None, y_kit: str = "") -> None:
    from ..cases.db import open_session
    from ..cases.labexport import export_cmf

    if out is None:
        fail(InputError(Problem("give --out: the CMF XML file to write", field="out")))
    try:
        with open_session() as s:
            n = export_cmf(s, out, samples=samples.split(",") if samples is not None else None,
                           source_lab=source_lab or "", destination_ori=destination_ori or "", kit=kit, user=user,
                           lab=lab, y_kit=y_kit)
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"{n} specimens written to {out}")


def _export_mt(out: Path | None, samples: str | None, user: str | None, lab: str | None) -> None:
    from ..cases.db import open_session
    from ..cases.labexport import export_mt

    if out is None:
        fail(InputError(Problem("give --out: the EMPOP table to write", field="out")))
    try:
        with open_session() as s:
            n = export_mt(s, out, samples=samples.split(",") if samples is not None else None, lab=lab, user=user)
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"{n} mtDNA sequences written to {out}")


def match_cmd(
    min_lr: Annotated[float | None, typer.Option(
        "--min-lr", help="Keep DNA candidates with LR at least this (default $REUNITE_MIN_LR or 1).")] = None,
    prior: Annotated[float | None, typer.Option(
        "--prior", help="Prior probability for every pair (default 1 / number of open reports).")] = None,
    faces: Annotated[bool | None, typer.Option(
        "--faces/--no-faces", help="Compare the faces of the photographs (default: when the faces extra is "
                                   "installed; photographs from $REUNITE_MEDIA_DIR).")] = None,
    user: UserOpt = None,
):
    """Search every found child against every open report now (automatic after each import).

    Settings come from $REUNITE_FREQUENCIES (default nist1036_us_asian), $REUNITE_MUTATION (JSON, or
    "default" = the bundled published per-locus rates, the default, or "none"),
    $REUNITE_MIN_LR (default 1) and $REUNITE_INDEX_DIR (default ./reunite-index)."""
    from ..cases.db import open_session
    from ..evidence.face import FACES_INSTALL_HINT, faces_available

    installed = faces_available()
    if faces and not installed:
        typer.echo(f"--faces needs the faces extra, which is not installed: {FACES_INSTALL_HINT}", err=True)
        raise typer.Exit(1)
    if faces is None and not installed:
        typer.echo(f"photographs not compared: the faces extra is not installed ({FACES_INSTALL_HINT})", err=True)
    try:
        with open_session() as s:
            extra = {"min_lr": min_lr} if min_lr is not None else {}
            _match(s, prior=prior, user=user or "matching", faces=installed if faces is None else faces, **extra)
    except ReuniteError as exc:
        fail(exc)
