"""``reunite db``: the case store's schema (Alembic migrations) and its size."""

from __future__ import annotations

import typer

from ..errors import ReuniteError
from ._common import fail

__all__ = ["register"]

db_app = typer.Typer(help="The case store's database.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``reunite db`` to ``app``."""
    app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade_cmd():
    """Create the schema or bring it up to date (REUNITE_DATABASE_URL, default reunite.db)."""
    from ..cases import db as store

    try:
        store.upgrade()
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"database at revision {store.current_revision()}")


@db_app.command("status")
def db_status_cmd():
    """Print the schema revision and the number of rows per table."""
    from ..cases import db as store
    from ..cases.queries import table_counts

    cur = store.current_revision()
    typer.echo(f"revision {cur or 'none'} (this version needs {store.head_revision()})")
    if cur is None:
        return
    for name, n in table_counts():
        typer.echo(f"  {name:<20}{n:>10}")
