"""``reunite users``: people who act in the system, their roles, units and web passwords."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ..cases.models import ROLES
from ..errors import ReuniteError
from ._common import UserOpt, fail

__all__ = ["register"]

users_app = typer.Typer(help="People who act in the system and their roles.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``reunite users`` to ``app``."""
    app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add_cmd(
    name: Annotated[str, typer.Argument(help="The user's name (as given to --user).")],
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")],
    unit: Annotated[str | None, typer.Option(
        "--unit", help="The user's unit (a caseworker sees the children whose care location is it).")] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read a web password from standard input (first line).")] = False,
    password_prompt: Annotated[bool, typer.Option(
        "--password", help="Ask for a web password (typed twice, not echoed).")] = False,
    user: UserOpt = None,
):
    """Register a user with a role; with a password they can log in to the web application.

    Run on the server console by the operator: the account is active at once (audited), without the
    second admin's approval that staff accounts created on the web's admin page wait for
    (docs/web-security.md).  Trivial passwords are refused."""
    from ..cases.accounts import register_user
    from ..cases.db import open_session

    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif password_prompt:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with open_session() as s:
            u = register_user(s, name, role, unit=unit, password=password, by=user)
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"user {u.name}: {u.role}" + (f", unit {u.unit}" if u.unit else "")
               + (", can log in" if u.password_hash else ""))


@users_app.command("disable")
def users_disable_cmd(
    name: Annotated[str, typer.Argument(help="The user to disable.")],
    user: UserOpt = None,
):
    """Disable a user: no more logins; their web sessions and tokens stop working at once."""
    from ..cases.accounts import disable_user
    from ..cases.db import open_session

    try:
        with open_session() as s:
            u = disable_user(s, name, by=user)
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"user {u.name} disabled")


@users_app.command("list")
def users_list_cmd():
    """List the registered users."""
    from ..cases.db import open_session
    from ..cases.queries import list_users

    try:
        with open_session() as s:
            users = list_users(s)
    except ReuniteError as exc:
        fail(exc)
    for u in users:
        typer.echo(f"{u.name:<30}{u.role:<14}{'disabled' if u.disabled else '':<10}{u.unit or ''}")
