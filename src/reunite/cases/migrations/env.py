"""Alembic environment for the case store.

Run programmatically by :func:`reunite.cases.db.upgrade`, which passes an open connection in
``config.attributes["connection"]``; the ``alembic`` command line works too, given
``-x url=...`` or ``REUNITE_DATABASE_URL``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from reunite.alerts import models as _alerts_models  # noqa: F401  (its tables are on Base.metadata)
from reunite.cases.db import database_url
from reunite.cases.models import Base
from reunite.cases.queries import include_in_schema_comparison
from reunite.network import models as _network_models  # noqa: F401  (its tables are on Base.metadata)

config = context.config
target_metadata = Base.metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_in_schema_comparison,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(database_url(url))
    with engine.connect() as conn:
        _configure(conn)
        conn.commit()


def run_migrations_offline() -> None:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    context.configure(url=database_url(url), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
