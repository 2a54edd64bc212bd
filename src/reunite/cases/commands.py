"""The case-store commands of ``reunite``: import, export, audit, candidates, review, users, db.

:func:`register` adds them to the main Typer app.  Every command works on the database of
``$REUNITE_DATABASE_URL`` (default: ``reunite.db`` in the working directory), created on first
use; the acting user is ``--user``, else ``$REUNITE_USER``, else the login name.  Problems with
the input are printed as ``error: …`` lines (file, line, field) and exit with status 2.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import func, select

from ..clitools import fail as _fail
from ..errors import InputError, ReuniteError
from . import db as store
from .models import CANDIDATE_STATUSES, OUTCOMES, ROLES, Candidate, FoundChild, MissingReport, User

__all__ = ["register"]

UserOpt = Annotated[str | None, typer.Option("--user", help="Who is acting (default: $REUNITE_USER or login name).")]




def _session():
    return store.open_session()


# ----------------------------------------------------------------------------------- import

import_app = typer.Typer(help="Import CSV files into the case store (all-or-nothing, idempotent).",
                         no_args_is_help=True)


def _matching_settings() -> dict:
    """Matching settings from the environment (:class:`reunite.cases.settings.MatchingSettings`)."""
    from .settings import MatchingSettings

    return MatchingSettings.from_env().matching_kwargs()


def _match(s, **kw) -> None:
    from .matching import run_matching

    summary = run_matching(s, **{**_matching_settings(), **kw})
    c = summary.candidates
    typer.echo(f"matching: {summary.children_searched} found children searched against "
               f"{summary.families_indexed} families with DNA; candidates {c['added']} added, "
               f"{c['updated']} updated, {c['unchanged']} unchanged")


def _run_import(fn, path: Path, match: bool = True, **kw) -> None:
    try:
        with _session() as s:
            result = fn(s, path, **kw)
            typer.echo(str(result))
            if match and (result.added or result.updated):
                _match(s)
    except ReuniteError as exc:
        _fail(exc)


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
    from .importing import import_profiles

    typed_on = None
    if date:
        try:
            typed_on = dt.date.fromisoformat(date)
        except ValueError:
            _fail(InputError(f"--date {date!r} is not a date; write it as YYYY-MM-DD"))
    _run_import(import_profiles, file, not no_match, lab=lab, kit=kit, typed_on=typed_on, user=user)


@import_app.command("families")
def import_families_cmd(
    file: Annotated[Path, typer.Argument(help="families.csv: family,id,father,mother,sex,sample,missing")],
    create_reports: Annotated[bool, typer.Option(
        "--create-reports", help="Create a bare report for a family whose report number is not stored.")] = False,
    no_match: Annotated[bool, typer.Option("--no-match", help="Do not run the matching after the import.")] = False,
    user: UserOpt = None,
):
    """Import reference families (pedigrees); `family` is the report number."""
    from .importing import import_families

    _run_import(import_families, file, not no_match, create_reports=create_reports, user=user)


@import_app.command("found")
def import_found_cmd(
    file: Annotated[Path, typer.Argument(help="found_children.csv (columns in docs/formats.md)")],
    no_match: Annotated[bool, typer.Option("--no-match", help="Do not run the matching after the import.")] = False,
    user: UserOpt = None,
):
    """Import found children."""
    from .importing import import_found

    _run_import(import_found, file, not no_match, user=user)


@import_app.command("reports")
def import_reports_cmd(
    file: Annotated[Path, typer.Argument(help="missing_reports.csv (columns in docs/formats.md)")],
    no_match: Annotated[bool, typer.Option("--no-match", help="Do not run the matching after the import.")] = False,
    user: UserOpt = None,
):
    """Import missing-child reports."""
    from .importing import import_reports

    _run_import(import_reports, file, not no_match, user=user)


# ------------------------------------------------------------------------------------ match


def match_cmd(
    min_lr: Annotated[float | None, typer.Option(
        "--min-lr", help="Keep DNA candidates with LR at least this (default $REUNITE_MIN_LR or 1).")] = None,
    prior: Annotated[float | None, typer.Option(
        "--prior", help="Prior probability for every pair (default 1 / number of open reports).")] = None,
    user: UserOpt = None,
):
    """Search every found child against every open report now (automatic after each import).

    Settings come from $REUNITE_FREQUENCIES (default nist1036_us_asian), $REUNITE_MUTATION (JSON, or
    "default" = the bundled published per-locus rates, the default, or "none"),
    $REUNITE_MIN_LR (default 1) and $REUNITE_INDEX_DIR (default ./reunite-index)."""
    try:
        with _session() as s:
            extra = {"min_lr": min_lr} if min_lr is not None else {}
            _match(s, prior=prior, user=user or "matching", **extra)
    except ReuniteError as exc:
        _fail(exc)


# ---------------------------------------------------------------------------------- consent

consent_app = typer.Typer(help="Consent of reference donors.", no_args_is_help=True)


@consent_app.command("withdraw")
def consent_withdraw_cmd(
    report: Annotated[str, typer.Argument(help="The report number.")],
    member: Annotated[str, typer.Argument(help="The relative's member id in the family's pedigree.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required; audited).")],
    user: UserOpt = None,
):
    """A relative withdraws consent: the genotype is erased and dependent candidates are marked."""
    from .importing import default_user
    from .records import withdraw_consent

    try:
        with _session() as s:
            done = withdraw_consent(s, report, member, user=user or default_user(), reason=reason)
    except ReuniteError as exc:
        _fail(exc)
    typer.echo(f"consent withdrawn for {member} of {report}: "
               f"{'genotype erased' if done['sample'] else 'no stored genotype'}, "
               f"{done['candidates_marked']} candidate(s) marked")


# ----------------------------------------------------------------------------------- export


def export_cmd(
    table: Annotated[str, typer.Argument(help="The table to export (e.g. found_children, candidates, audit_log).")],
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of standard output.")] = None,
    user: UserOpt = None,
):
    """Export a table as CSV or JSON (formula-like CSV cells are escaped with a leading quote)."""
    from .export import export_table

    try:
        with _session() as s:
            n = export_table(s, table, fmt, out, user=user)
    except ReuniteError as exc:
        _fail(exc)
    if out is not None:
        typer.echo(f"{n} rows of {table} written to {out}")


# ------------------------------------------------------------------------------------ audit

audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify_cmd():
    """Check the audit chain; exit 1 and name the first entry that does not verify."""
    from .audit import chain_head, verify_audit

    try:
        with _session() as s:
            bad = verify_audit(s)
            head = chain_head(s)
    except ReuniteError as exc:
        _fail(exc)
    if bad is not None:
        typer.echo(f"error: audit entry {bad.id} ({bad.action}, {bad.at:%Y-%m-%d %H:%M:%S}) does not verify: "
                   f"it or an entry before it was edited, inserted or removed", err=True)
        raise typer.Exit(1)
    if head is None:
        typer.echo("audit log is empty")
    else:
        typer.echo(f"audit log verifies: {head.id} entries, latest hash {head.hash}")


# ------------------------------------------------------------------------------- candidates

candidates_app = typer.Typer(help="Candidate matches of found children and reports.", no_args_is_help=True)


def _fmt(x: float | None, spec: str = ".3g") -> str:
    return "-" if x is None else format(x, spec)


@candidates_app.command("list")
def candidates_list_cmd(
    status: Annotated[str | None, typer.Option("--status", help=f"Only this status: {', '.join(CANDIDATE_STATUSES)}.")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
):
    """List candidates, best posterior (then DNA LR) first."""
    import json

    if status is not None and status not in CANDIDATE_STATUSES:
        _fail(InputError(f"status {status!r} is not one of {', '.join(CANDIDATE_STATUSES)}"))
    try:
        with _session() as s:
            q = (select(Candidate, FoundChild.case_number, MissingReport.report_number)
                 .join(FoundChild, Candidate.found_child_id == FoundChild.id)
                 .join(MissingReport, Candidate.report_id == MissingReport.id))
            if status:
                q = q.where(Candidate.status == status)
            q = q.order_by(Candidate.posterior.desc().nulls_last(), Candidate.dna_log10_lr.desc().nulls_last(),
                           Candidate.id)
            rows = s.execute(q).all()
    except ReuniteError as exc:
        _fail(exc)
    if as_json:
        for c, case, rep in rows:
            typer.echo(json.dumps({"id": c.id, "case_number": case, "report_number": rep, "status": c.status,
                                   "dna_log10_lr": c.dna_log10_lr, "posterior": c.posterior, "outcome": c.outcome}))
        return
    if not rows:
        typer.echo("no candidates" + (f" with status {status}" if status else ""))
        return
    typer.echo(f"{'id':>6}  {'case':<14}{'report':<14}{'log10 LR':>9}{'posterior':>11}  {'status':<24}outcome")
    for c, case, rep in rows:
        typer.echo(f"{c.id:>6}  {case:<14}{rep:<14}{_fmt(c.dna_log10_lr, '.2f'):>9}{_fmt(c.posterior, '.4g'):>11}"
                   f"  {c.status:<24}{c.outcome or ''}")


@candidates_app.command("show")
def candidates_show_cmd(candidate_id: Annotated[int, typer.Argument(metavar="ID", help="The candidate id.")]):
    """Show a candidate: the pair, every evidence LR, prior, posterior, and its review history."""
    from .workflow import allowed_transitions

    try:
        with _session() as s:
            c = s.get(Candidate, candidate_id)
            if c is None:
                raise InputError(f"there is no candidate {candidate_id}")
            child, rep = c.found_child, c.report
            reviews = [(r.at, r.from_status, r.to_status, r.outcome, r.user.name, r.reason) for r in c.reviews]
    except ReuniteError as exc:
        _fail(exc)
    typer.echo(f"Candidate {c.id}: found child {child.case_number} × report {rep.report_number}"
               + ("  (report of multiple missing children)" if rep.multiple_missing else ""))
    typer.echo(f"  status             {c.status}" + (f" ({c.outcome})" if c.outcome else ""))
    typer.echo(f"  DNA LR             {_fmt(c.dna_lr)}   log10 {_fmt(c.dna_log10_lr, '.3f')}")
    typer.echo(f"  markers compared   {_fmt(c.markers_compared, 'd')}   "
               f"inconsistent {_fmt(c.inconsistent_markers, 'd')}")
    typer.echo(f"  sex LR             {_fmt(c.sex_lr)}")
    typer.echo(f"  age LR             {_fmt(c.age_lr)}")
    typer.echo(f"  time LR            {_fmt(c.time_lr)}")
    typer.echo(f"  prior              {_fmt(c.prior)}")
    typer.echo(f"  posterior          {_fmt(c.posterior, '.6g')}")
    nxt = allowed_transitions(c.status)
    typer.echo(f"  may move to        {', '.join(nxt) if nxt else 'nothing'}")
    if reviews:
        typer.echo("  reviews:")
        for at, a, b, outcome, who, reason in reviews:
            typer.echo(f"    {at:%Y-%m-%d %H:%M}  {a} -> {b}{f' ({outcome})' if outcome else ''}  by {who}: {reason}")


# ----------------------------------------------------------------------------------- review


def review_cmd(
    candidate_id: Annotated[int, typer.Argument(metavar="ID", help="The candidate id.")],
    to: Annotated[str, typer.Option("--to", help=f"New status: {', '.join(CANDIDATE_STATUSES)}.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required).")],
    user: Annotated[str, typer.Option("--user", help="The registered investigator or lab analyst deciding.")],
    outcome: Annotated[str | None, typer.Option("--outcome", help=f"When confirming: {', '.join(OUTCOMES)}.")]
    = None,
):
    """Move a candidate through the review workflow."""
    from .workflow import review

    try:
        with _session() as s:
            rv = review(s, candidate_id, to, user=user, reason=reason, outcome=outcome)
    except ReuniteError as exc:
        _fail(exc)
    typer.echo(f"candidate {candidate_id}: {rv.from_status} -> {rv.to_status}"
               + (f" ({rv.outcome})" if rv.outcome else ""))


# ------------------------------------------------------------------------------------ users

users_app = typer.Typer(help="People who act in the system and their roles.", no_args_is_help=True)


@users_app.command("add")
def users_add_cmd(
    name: Annotated[str, typer.Argument(help="The user's name (as given to --user).")],
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")],
    unit: Annotated[str | None, typer.Option(
        "--unit", help="The user's unit (a caseworker sees the children whose care location is it).")] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read a web password from standard input (first line).")] = False,
    password_prompt: Annotated[bool, typer.Option(
        "--password", help="Ask for a web password (typed twice, not echoed).")] = False,
    user: UserOpt = None,
):
    """Register a user with a role; with a password they can log in to the web application."""
    import sys

    from .accounts import hash_password
    from .records import add_user

    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif password_prompt:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        pw_hash = hash_password(password) if password is not None else None
        with _session() as s:
            u = add_user(s, name, role, by=user, commit=False)
            if unit is not None:
                u.unit = unit.strip() or None
            if pw_hash is not None:
                from .audit import append_audit
                from .importing import default_user

                u.password_hash = pw_hash
                append_audit(s, user or default_user(), "user.password", entity="user", entity_id=u.name)
            s.commit()
    except ReuniteError as exc:
        _fail(exc)
    typer.echo(f"user {u.name}: {u.role}" + (f", unit {u.unit}" if u.unit else "")
               + (", can log in" if u.password_hash else ""))


@users_app.command("disable")
def users_disable_cmd(
    name: Annotated[str, typer.Argument(help="The user to disable.")],
    user: UserOpt = None,
):
    """Disable a user: no more logins; their web sessions and tokens stop working at once."""
    from .accounts import disable_user

    try:
        with _session() as s:
            u = disable_user(s, name, by=user)
    except ReuniteError as exc:
        _fail(exc)
    typer.echo(f"user {u.name} disabled")


@users_app.command("list")
def users_list_cmd():
    """List the registered users."""
    try:
        with _session() as s:
            users = s.scalars(select(User).order_by(User.name)).all()
    except ReuniteError as exc:
        _fail(exc)
    for u in users:
        typer.echo(f"{u.name:<30}{u.role:<14}{'disabled' if u.disabled else '':<10}{u.unit or ''}")


# ----------------------------------------------------------------------------------- photos

photos_app = typer.Typer(help="Photos of found and missing children.", no_args_is_help=True)


@photos_app.command("add")
def photos_add_cmd(
    file: Annotated[Path, typer.Argument(help="A JPEG, PNG or WebP photo.")],
    child: Annotated[str | None, typer.Option("--child", help="Case number of the found child.")] = None,
    report: Annotated[str | None, typer.Option("--report", help="Number of the missing-child report.")] = None,
    user: UserOpt = None,
):
    """Store a photo of a found child or of a reported missing child."""
    from .photos import add_photo

    try:
        with _session() as s:
            p = add_photo(s, file, found_child=child, report=report, user=user)
    except ReuniteError as exc:
        _fail(exc)
    typer.echo(f"photo {p.id}: {p.width}×{p.height} {p.mime}, sha256 {p.sha256}")


# --------------------------------------------------------------------------------------- db

db_app = typer.Typer(help="The case store's database.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade_cmd():
    """Create the schema or bring it up to date (REUNITE_DATABASE_URL, default reunite.db)."""
    try:
        store.upgrade()
    except ReuniteError as exc:
        _fail(exc)
    typer.echo(f"database at revision {store.current_revision()}")


@db_app.command("status")
def db_status_cmd():
    """Print the schema revision and the number of rows per table."""
    from .models import Base

    cur = store.current_revision()
    typer.echo(f"revision {cur or 'none'} (this version needs {store.head_revision()})")
    if cur is None:
        return
    with store.make_engine().connect() as conn:
        for name, table in sorted(Base.metadata.tables.items()):
            n = conn.execute(select(func.count()).select_from(table)).scalar_one()
            typer.echo(f"  {name:<20}{n:>10}")


def register(app: typer.Typer) -> None:
    """Add the case-store commands to ``app``."""
    app.add_typer(import_app, name="import")
    app.command("export")(export_cmd)
    app.command("match")(match_cmd)
    app.add_typer(consent_app, name="consent")
    app.add_typer(audit_app, name="audit")
    app.add_typer(candidates_app, name="candidates")
    app.command("review")(review_cmd)
    app.add_typer(users_app, name="users")
    app.add_typer(photos_app, name="photos")
    app.add_typer(db_app, name="db")
