"""``reunite demo``: the Kunming case of DESIGN.md, end to end (:mod:`reunite.kunming`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ReuniteError
from ._common import fail

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``reunite demo`` to ``app``."""
    app.command("demo")(demo)


def demo(
    out: Annotated[Path, typer.Option(help="Folder for the database, CSV files and reports")] = Path("demo-output"),
    seed: Annotated[int, typer.Option(help="Seed of the simulation")] = 2014,
):
    """The Kunming case (2014): build it from a seed, import, match and print what an investigator reads."""
    from ..kunming import run_demo

    try:
        run_demo(out, seed=seed, echo=typer.echo)
    except ReuniteError as exc:
        fail(exc)
