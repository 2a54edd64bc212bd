"""The ``reunite`` command: builds the Typer app from the command groups of :mod:`reunite.commands`.

``main(argv)`` runs the command and returns its exit code, for tests; the ``reunite`` console script
(``reunite.cli:app``) runs the same ``main``.  Errors in the input are printed as ``error: …`` lines
(one per problem, with file, line and field) and exit with 2; nothing personal (names, genotypes) is
printed in errors.  Any other exception (a database's, a library's) is printed as one line naming its
type only, exit code 1: its text and traceback can quote a row's values (a driver's message, the
parameters of a statement).  ``REUNITE_DEBUG=1`` shows the traceback instead.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from typer.main import get_command

from . import __version__
from .commands import (
    alerts,
    appeals,
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

DEBUG_ENV = "REUNITE_DEBUG"


class _App(typer.Typer):
    """The Typer app whose call (the console script's) runs :func:`main`, so that both print errors alike."""

    def __call__(self, *args, **kwargs):
        raise SystemExit(main())


app = _App(
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
               labfiles, consent, audit, candidates, users, labs, photos, appeals, db, network, alerts, report,
               serve, evidence):
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
        if os.environ.get(DEBUG_ENV, "").strip() not in ("", "0"):
            raise
        typer.echo(f"error: the command stopped on an unexpected {type(exc).__name__}; its message is not "
                   f"printed, as it may quote personal data (set {DEBUG_ENV}=1 to see the traceback)", err=True)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
