"""``reunite photos``: photos of found and missing children."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ReuniteError
from ._common import UserOpt, fail

__all__ = ["register"]

photos_app = typer.Typer(help="Photos of found and missing children.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``reunite photos`` to ``app``."""
    app.add_typer(photos_app, name="photos")


@photos_app.command("add")
def photos_add_cmd(
    file: Annotated[Path, typer.Argument(help="A JPEG, PNG or WebP photo.")],
    child: Annotated[str | None, typer.Option("--child", help="Case number of the found child.")] = None,
    report: Annotated[str | None, typer.Option("--report", help="Number of the missing-child report.")] = None,
    user: UserOpt = None,
):
    """Store a photo of a found child or of a reported missing child."""
    from ..cases.db import open_session
    from ..cases.photos import add_photo

    try:
        with open_session() as s:
            p = add_photo(s, file, found_child=child, report=report, user=user)
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"photo {p.id}: {p.width}×{p.height} {p.mime}, sha256 {p.sha256}")


@photos_app.command("strip-metadata")
def photos_strip_metadata_cmd(user: UserOpt = None):
    """Remove the metadata (EXIF with GPS position, ICC, XMP) from photos stored before uploads were
    cleaned; photos stored since are clean already.  Safe to run again."""
    from ..cases.db import open_session
    from ..cases.photos import strip_stored_metadata

    try:
        with open_session() as s:
            n = strip_stored_metadata(s, user=user)
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"{n} photo(s) cleaned of metadata")
