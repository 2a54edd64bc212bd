"""``reunite labs``: the laboratories that type samples (name, Chinese name, accreditation, address)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ..errors import ReuniteError
from ._common import UserOpt, fail

__all__ = ["register"]

labs_app = typer.Typer(help="Laboratories: accreditation and address, printed on the lab reports.",
                       no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``reunite labs`` to ``app``."""
    app.add_typer(labs_app, name="labs")


@labs_app.command("add")
def labs_add_cmd(
    name: Annotated[str, typer.Argument(help="The lab's name, as `reunite import profiles --lab` records it.")],
    name_zh: Annotated[str | None, typer.Option("--name-zh", help="Its name in Chinese (printed on Chinese reports).")]
    = None,
    accreditation: Annotated[str | None, typer.Option("--accreditation", help="Accreditation number, e.g. CNAS L1234.")]
    = None,
    address: Annotated[str | None, typer.Option("--address", help="Its postal address.")] = None,
    user: UserOpt = None,
):
    """Register a laboratory, or update the details given (audited)."""
    from ..cases.db import open_session
    from ..cases.importing import default_user
    from ..cases.labs import add_lab

    try:
        with open_session() as s:
            lab, what = add_lab(s, name, name_zh=name_zh, accreditation=accreditation, address=address,
                                user=user or default_user())
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"laboratory {lab.name}: {what}")


@labs_app.command("list")
def labs_list_cmd(as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False):
    """List the registered laboratories."""
    from ..cases.db import open_session
    from ..cases.labs import list_labs

    try:
        with open_session() as s:
            labs = [(lab.name, lab.name_zh, lab.accreditation, lab.address) for lab in list_labs(s)]
    except ReuniteError as exc:
        fail(exc)
    if as_json:
        for name, zh, acc, addr in labs:
            typer.echo(json.dumps({"name": name, "name_zh": zh, "accreditation": acc, "address": addr},
                                  ensure_ascii=False))
        return
    if not labs:
        typer.echo("no laboratories")
        return
    for name, zh, acc, addr in labs:
        typer.echo(f"{name}  {zh or '-'}  {acc or '-'}  {addr or '-'}")
