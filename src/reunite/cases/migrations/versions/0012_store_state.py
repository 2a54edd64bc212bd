"""The store's own state: the lock that serialises imports and matching, and whether matching is owed.

- ``store_state``: one row per named fact (``name``, ``value``, ``updated_at``).  ``import_lock`` is
  locked by every import and matching run (``SELECT … FOR UPDATE`` on PostgreSQL, a write under
  ``BEGIN IMMEDIATE`` on SQLite); ``matching_owed`` is ``1`` from the import that changed something
  until a matching run completes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "store_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_state")),
        sa.UniqueConstraint("name", name=op.f("uq_store_state_name")),
    )
    op.bulk_insert(table, [{"name": "import_lock", "value": None}, {"name": "matching_owed", "value": "0"}])


def downgrade() -> None:
    op.drop_table("store_state")
