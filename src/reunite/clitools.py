"""What every layer's commands share: printing a Reunite error and exiting with status 2."""

from __future__ import annotations

from typing import NoReturn

import typer

from .errors import InputError, ReuniteError

__all__ = ["fail"]


def fail(exc: ReuniteError) -> NoReturn:
    """Print ``error: …`` lines (one per problem, with file, line and field) and exit with 2."""
    if isinstance(exc, InputError):
        for p in exc.problems:
            typer.echo(f"error: {p}", err=True)
    else:
        typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(2)
