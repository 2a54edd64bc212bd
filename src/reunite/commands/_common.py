"""What every command shares: printing an error and exiting, the ``--user`` option, ``--mutation``."""

from __future__ import annotations

import json
from typing import Annotated, NoReturn

import typer

from ..errors import InputError

__all__ = ["UserOpt", "fail", "parse_mutation_option"]

#: ``--user``: who is acting (the audit log's user).
UserOpt = Annotated[str | None, typer.Option("--user", help="Who is acting (default: $REUNITE_USER or login name).")]


def fail(exc: Exception) -> NoReturn:
    """Print ``error: …`` lines (one per problem, with file, line and field) and exit with 2."""
    if isinstance(exc, InputError):
        for p in exc.problems:
            typer.echo(f"error: {p}", err=True)
    else:
        typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(2)


def parse_mutation_option(text: str | None):
    """``--mutation``: a mutation model as JSON, or a word ``parse_mutation`` knows (``none`` for the
    mutation-free search, ``default`` for the bundled published per-marker rates); absent: the
    bundled rates.  Validated here."""
    from ..genetics.mutation import DEFAULT_MUTATION, parse_mutation

    if text is None:
        return DEFAULT_MUTATION
    word = text.strip()
    try:
        spec = json.loads(word)
    except json.JSONDecodeError as exc:
        if word[:1] in ("{", "[", '"'):
            raise InputError(f"--mutation is not valid JSON: {exc.msg}") from None
        spec = word
    return None if parse_mutation(spec) is None else spec
