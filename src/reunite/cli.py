"""The ``reunite`` command: builds the Typer app from the command groups of :mod:`reunite.commands`.

``main(argv)`` runs the command and returns its exit code, for tests.  Errors in the input are
printed as ``error: …`` lines (one per problem, with file, line and field) and exit with 2;
nothing personal (names, genotypes) is printed in errors.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from typer.main import get_command

from . import __version__
from .commands import (
    audit,
    bench,
    candidates,
    cohort,
    consent,
    db,
    demo,
    evidence,
    frequencies,
    guidance,
    imports,
    index,
    kinship,
    labfiles,
    labs,
    lineage,
    network,
    photos,
    report,
    search,
    serve,
    simulate,
    users,
)
from .errors import ReuniteError

__all__ = ["app", "main"]

app = typer.Typer(
    name="reunite",
    help="Reunite: find which found child belongs to which family, by exact DNA kinship.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback(invoke_without_command=True)
def _root(version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False):
    if version:
        typer.echo(f"reunite {__version__}")
        raise typer.Exit(0)


# The order of registration is the order of `reunite --help` (commands first, then groups).
for _group in (kinship, cohort, lineage, guidance, frequencies, demo, index, search, bench, simulate, imports,
               labfiles, consent, audit, candidates, users, labs, photos, db, network, report, serve, evidence):
    _group.register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
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
