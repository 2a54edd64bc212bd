"""``reunite report``: the kinship report of a candidate, as HTML or PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ReuniteError
from ._common import fail

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``reunite report`` to ``app``."""
    app.command("report")(report)


def report(
    candidate: Annotated[int, typer.Argument(help="The candidate's id (see `reunite candidates list`).")],
    fmt: Annotated[str, typer.Option("--format", help="html or pdf")] = "html",
    out: Annotated[Path, typer.Option(help="Folder to write the report to")] = Path("reports"),
    lang: Annotated[str | None, typer.Option("--lang", help="zh or en (default: zh under the gbt rules the "
                                                             "candidate was matched with, en under isfg)")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Who is reading the genotypes")] = None,
):
    """Write the lab's kinship report of a candidate: the DNA opinion (laboratory, samples and their chain of
    custody, the rule and its conclusion, pedigree, per-marker table, method, signatures and seal), then the
    investigative evidence on a page of its own; printed from the settings stored with the candidate."""
    from ..cases.db import open_session
    from ..cases.importing import default_user
    from ..reports.store import write_candidate_report

    try:
        with open_session() as s:
            path = write_candidate_report(s, candidate, out, fmt=fmt, user=user or default_user(), lang=lang)
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"kinship report of candidate {candidate} written to {path}")
