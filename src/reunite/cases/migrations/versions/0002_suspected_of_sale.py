"""Reports carry a flag: the family is suspected of having sold the child.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("missing_reports") as batch:
        batch.add_column(sa.Column("suspected_of_sale", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("missing_reports") as batch:
        batch.drop_column("suspected_of_sale")
