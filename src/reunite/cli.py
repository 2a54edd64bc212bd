"""The ``reunite`` command: a thin layer over the library.

``main(argv)`` runs the command and returns its exit code, for tests.  Errors in the input are
printed as ``error: …`` lines (one per problem, with file, line and field) and exit with 2;
nothing personal (names, genotypes) is printed in errors.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from . import __version__
from .clitools import fail as _fail
from .errors import InputError, ReuniteError

app = typer.Typer(
    name="reunite",
    help="Reunite: find which found child belongs to which family, by exact DNA kinship.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
kinship_app = typer.Typer(help="Kinship likelihood ratios for one found person and one family.",
                          no_args_is_help=True)
frequencies_app = typer.Typer(help="The allele frequency tables shipped with Reunite.",
                              no_args_is_help=True)
app.add_typer(kinship_app, name="kinship")
app.add_typer(frequencies_app, name="frequencies")


@app.callback(invoke_without_command=True)
def _root(version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False):
    if version:
        typer.echo(f"reunite {__version__}")
        raise typer.Exit(0)


# --------------------------------------------------------------------------------- kinship


def _case_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(x for x in p.iterdir() if x.suffix.lower() == ".json"))
        else:
            files.append(p)
    return files


@kinship_app.command("lr")
def kinship_lr(
    cases: Annotated[list[Path], typer.Argument(
        help="A case JSON file, several files, or a directory of them.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per case.")] = False,
    skip_unknown_markers: Annotated[bool, typer.Option(
        "--skip-unknown-markers",
        help="Leave out markers of the found person that the frequency table lacks.")] = False,
    new_allele_freq: Annotated[float, typer.Option(
        "--new-allele-freq", help="Frequency given to an allele absent from the table.")] = 0.001,
):
    """Compute the missing-person LR of kinship cases.

    H1: the found person is the pedigree's missing member; H2: unrelated.  With several cases
    (or a directory) one JSON line is printed per case, carrying its id; a case that fails
    prints a line with "error" and the command exits with 1 at the end.
    """
    from .genetics import load_case, missing_person_lr

    files = _case_files(cases)
    if not files:
        typer.echo("error: no case files found", err=True)
        raise typer.Exit(2)
    many = len(files) > 1 or any(p.is_dir() for p in cases)
    failed = 0
    for f in files:
        try:
            case = load_case(f)
            res = missing_person_lr(case, skip_unknown_markers=skip_unknown_markers,
                                    new_allele_freq=new_allele_freq)
        except ReuniteError as exc:
            if not many:
                _fail(exc)
            failed += 1
            typer.echo(json.dumps({"id": f.stem, "error": str(exc)}))
            continue
        if many or as_json:
            typer.echo(json.dumps(res.as_dict()))
        else:
            typer.echo(render_lr_text(res))
    if failed:
        raise typer.Exit(1)


def render_lr_text(res) -> str:
    """A kinship result as a person would want to read it."""
    from .genetics import format_lr

    lines = []
    if res.id:
        lines.append(f"Case {res.id}")
    lines.append(res.sentence())
    lines.append("")
    lines.append(f"  Likelihood ratio   {format_lr(res.lr, res.log10_lr)}"
                 + (f"   (log10 {res.log10_lr:.3f})" if res.log10_lr is not None else ""))
    lines.append(f"  Verbal equivalent  {res.verbal}")
    lines.append(f"  GB/T 37223         {res.decision}")
    lines.append(f"  Markers compared   {res.markers_compared}")
    inc = ", ".join(res.inconsistent_markers) if res.inconsistent_markers else "none"
    lines.append(f"  Inconsistent       {inc}")
    lines.append("")
    lines.append(f"  {'marker':<12}{'found person':>16}{'LR':>14}  note")
    for m in res.markers:
        gt = "/".join(m.found) if m.found else "untyped"
        note = []
        if m.inconsistent:
            note.append("inconsistent without mutation")
        if m.added_alleles:
            note.append("allele(s) added to table: " + ", ".join(m.added_alleles))
        lines.append(f"  {m.marker:<12}{gt:>16}{format_lr(m.lr, m.log10_lr):>14}  {'; '.join(note)}")
    lines.append("")
    lines.append(f"  Frequencies: {res.frequencies}.  Mutation model: {res.mutation}.  "
                 f"Theta: {res.theta:g}.")
    for w in res.warnings:
        lines.append(f"  Warning: {w}")
    if res.skipped_markers:
        lines.append("  Not in the frequency table (left out): " + ", ".join(res.skipped_markers))
    lines.append("  Markers are assumed independent; H2 = unrelated to the family.")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- frequencies


@frequencies_app.command("list")
def frequencies_list():
    """List the bundled frequency tables with their number of markers."""
    from .genetics import bundled_tables, load_frequencies

    for name in bundled_tables():
        t = load_frequencies(name)
        typer.echo(f"{name:<32}{len(t.markers):>4} markers")


@frequencies_app.command("show")
def frequencies_show(
    name: Annotated[str, typer.Argument(help="A bundled table name or a CSV path.")],
    marker: Annotated[str | None, typer.Option(help="Show the alleles of one marker.")] = None,
):
    """Show a table's markers (allele count and sum), or one marker's alleles."""
    from .genetics import load_frequencies
    from .genetics.frequencies import describe_marker

    try:
        t = load_frequencies(name)
        if marker:
            if marker not in t:
                raise InputError(f"marker {marker!r} is not in table {t.name!r}")
            for allele, f in describe_marker(t, marker):
                typer.echo(f"{allele:>8}  {f:.6g}")
            return
    except ReuniteError as exc:
        _fail(exc)
    typer.echo(f"{t.name}: {len(t.markers)} markers ({t.source})")
    for row in t.summary():
        typer.echo(f"  {row['marker']:<16}{row['alleles']:>4} alleles   sum {row['sum']:.6f}")


# ------------------------------------------------------------------------------------ demo


@app.command("demo")
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the database, CSV files and reports")] = Path("demo-output"),
    seed: Annotated[int, typer.Option(help="Seed of the simulation")] = 2014,
):
    """The Kunming case (2014): build it from a seed, import, match and print what an investigator reads."""
    from .kunming import run_demo

    try:
        run_demo(out, seed=seed, echo=typer.echo)
    except ReuniteError as exc:
        _fail(exc)


# ------------------------------------------------------------------------------ extensions
# Other layers register their commands below (search, simulate, cases ...).


def _register_extensions() -> None:
    import importlib

    for mod in ("reunite.search.commands", "reunite.cases.commands", "reunite.reports.commands",
                "reunite.web.commands"):
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name and mod.startswith(exc.name):
                continue
            raise
        m.register(app)


_register_extensions()


def main(argv: list[str] | None = None) -> int:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    from typer.main import get_command

    cmd = get_command(app)
    try:
        rv = cmd.main(args=argv if argv is not None else sys.argv[1:], prog_name="reunite",
                 standalone_mode=False)
        if isinstance(rv, int):
            return rv
    except SystemExit as exc:
        return int(exc.code or 0)
    except ReuniteError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except Exception as exc:
        # Click's (typer's vendored click's) usage errors and exits.
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            return int(exc.exit_code)
        if hasattr(exc, "exit_code"):
            return int(exc.exit_code)
        if type(exc).__name__ == "Abort":
            return 1
        raise
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
