"""Indexes for the reports search (number, child's name, place lost): FTS5 on SQLite, pg_trgm on PostgreSQL.

- SQLite: ``missing_reports_fts``, an FTS5 table with the ``trigram`` tokenizer (case folded) over
  ``report_number``, ``child_name`` and ``disappeared_place``, its content read from
  ``missing_reports`` (``content=``, so the text is not stored twice) and kept in step by three
  triggers (after insert, update, delete); filled from the existing rows.
- PostgreSQL: the ``pg_trgm`` extension and a GIN trigram index on each of the three columns, which
  ``ILIKE '%…%'`` uses directly.  Where the extension cannot be created (no privilege), the indexes
  are left out with a warning: the search gives the same answers, scanning.

:func:`reunite.cases.queries.search_reports` uses them; the comparison of the schema with the models
skips them (:func:`reunite.cases.queries.include_in_schema_comparison`).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

import logging

from alembic import op
from sqlalchemy.exc import DBAPIError

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

COLUMNS = ("report_number", "child_name", "disappeared_place")
log = logging.getLogger("reunite.migrations")


def _sqlite_upgrade() -> None:
    cols = ", ".join(COLUMNS)
    new = ", ".join(f"new.{c}" for c in COLUMNS)
    old = ", ".join(f"old.{c}" for c in COLUMNS)
    op.execute(f"CREATE VIRTUAL TABLE missing_reports_fts USING fts5({cols}, content='missing_reports', "
               "content_rowid='id', tokenize='trigram')")
    op.execute(f"CREATE TRIGGER missing_reports_fts_insert AFTER INSERT ON missing_reports BEGIN "
               f"INSERT INTO missing_reports_fts(rowid, {cols}) VALUES (new.id, {new}); END")
    op.execute(f"CREATE TRIGGER missing_reports_fts_delete AFTER DELETE ON missing_reports BEGIN "
               f"INSERT INTO missing_reports_fts(missing_reports_fts, rowid, {cols}) VALUES ('delete', old.id, {old}); "
               "END")
    op.execute(f"CREATE TRIGGER missing_reports_fts_update AFTER UPDATE OF {cols} ON missing_reports BEGIN "
               f"INSERT INTO missing_reports_fts(missing_reports_fts, rowid, {cols}) VALUES ('delete', old.id, {old}); "
               f"INSERT INTO missing_reports_fts(rowid, {cols}) VALUES (new.id, {new}); END")
    op.execute("INSERT INTO missing_reports_fts(missing_reports_fts) VALUES ('rebuild')")


def _postgresql_upgrade() -> None:
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError as exc:
        log.warning("pg_trgm could not be created (%s): the reports search will scan every report; "
                    "docs/reports_search.md says how to add the indexes", type(exc.orig).__name__)
        return
    # The extension lives in one schema of the database (often public), maybe not on the search path.
    schema = bind.exec_driver_sql("SELECT extnamespace::regnamespace::text FROM pg_extension "
                                  "WHERE extname = 'pg_trgm'").scalar_one()
    for c in COLUMNS:
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_missing_reports_{c}_trgm ON missing_reports "
                   f"USING gin ({c} {schema}.gin_trgm_ops)")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_upgrade()
    elif dialect == "postgresql":
        _postgresql_upgrade()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS missing_reports_fts_{event}")
        op.execute("DROP TABLE IF EXISTS missing_reports_fts")
    elif dialect == "postgresql":
        for c in COLUMNS:
            op.execute(f"DROP INDEX IF EXISTS ix_missing_reports_{c}_trgm")
