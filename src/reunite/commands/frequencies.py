"""``reunite frequencies``: the bundled allele frequency tables."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import InputError, ReuniteError
from ._common import fail

__all__ = ["register"]

frequencies_app = typer.Typer(help="The allele frequency tables shipped with Reunite.",
                              no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``reunite frequencies`` to ``app``."""
    app.add_typer(frequencies_app, name="frequencies")


@frequencies_app.command("list")
def frequencies_list():
    """List the bundled frequency tables with their number of markers."""
    from ..genetics import bundled_tables, load_frequencies

    for name in bundled_tables():
        t = load_frequencies(name)
        typer.echo(f"{name:<32}{len(t.markers):>4} markers")


@frequencies_app.command("show")
def frequencies_show(
    name: Annotated[str, typer.Argument(help="A bundled table name or a CSV path.")],
    marker: Annotated[str | None, typer.Option(help="Show the alleles of one marker.")] = None,
):
    """Show a table's markers (allele count and sum), or one marker's alleles."""
    from ..genetics import load_frequencies
    from ..genetics.frequencies import describe_marker

    try:
        t = load_frequencies(name)
        if marker:
            if marker not in t:
                raise InputError(f"marker {marker!r} is not in table {t.name!r}")
            for allele, f in describe_marker(t, marker):
                typer.echo(f"{allele:>8}  {f:.6g}")
            return
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"{t.name}: {len(t.markers)} markers ({t.source})")
    for row in t.summary():
        typer.echo(f"  {row['marker']:<16}{row['alleles']:>4} alleles   sum {row['sum']:.6f}")
