"""``reunite audit``: check the hash-chained audit log."""

from __future__ import annotations

import typer

from ..errors import ReuniteError
from ._common import fail

__all__ = ["register"]

audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``reunite audit`` to ``app``."""
    app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify_cmd():
    """Check the audit chain under the audit key and against its anchor; exit 1 and say what is wrong
    (an edited, inserted or removed entry; a truncated, emptied or recomputed log)."""
    from ..cases.audit import chain_head, verify_anchor, verify_audit
    from ..cases.db import open_session

    try:
        with open_session() as s:
            bad = verify_audit(s)
            anchored = verify_anchor(s)
            head = chain_head(s)
    except ReuniteError as exc:
        fail(exc)
    if bad is not None:
        typer.echo(f"error: audit entry {bad.id} ({bad.action}, {bad.at:%Y-%m-%d %H:%M:%S}) does not verify: "
                   f"it or an entry before it was edited, inserted or removed", err=True)
        raise typer.Exit(1)
    if anchored is not None:
        typer.echo(f"error: {anchored}", err=True)
        raise typer.Exit(1)
    if head is None:
        typer.echo("audit log is empty")
    else:
        typer.echo(f"audit log verifies: {head.id} entries, latest hash {head.hash}")
