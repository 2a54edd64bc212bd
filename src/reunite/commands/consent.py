"""``reunite consent``: a relative withdraws consent."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import ReuniteError
from ._common import UserOpt, fail

__all__ = ["register"]

consent_app = typer.Typer(help="Consent of relatives.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``reunite consent`` to ``app``."""
    app.add_typer(consent_app, name="consent")


@consent_app.command("withdraw")
def consent_withdraw_cmd(
    report: Annotated[str, typer.Argument(help="The report number.")],
    member: Annotated[str, typer.Argument(help="The relative's member id in the family's pedigree.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required; audited).")],
    user: UserOpt = None,
):
    """A relative withdraws consent: the genotype is erased and dependent candidates are marked."""
    from ..cases.db import open_session
    from ..cases.importing import default_user
    from ..cases.records import withdraw_consent

    try:
        with open_session() as s:
            done = withdraw_consent(s, report, member, user=user or default_user(), reason=reason)
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"consent withdrawn for {member} of {report}: "
               f"{'genotype erased' if done['sample'] else 'no stored genotype'}, "
               f"{done['candidates_marked']} candidate(s) marked")
