"""A confirmation closes the competing candidates, and the store keeps the history of imports.

- ``candidates.status`` may be ``closed`` (its child or its report was confirmed with another report
  or child) and ``candidates.closed_by_id`` names the confirmed candidate that closed it.
- ``import_runs``: one row per import of a file (who, when, kind, file name, counts, how it ended).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_OLD = "status IN ('new', 'under_review', 'confirmation_requested', 'confirmed', 'excluded')"
_NEW = "status IN ('new', 'under_review', 'confirmation_requested', 'confirmed', 'excluded', 'closed')"


def upgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        batch.drop_constraint(op.f("ck_candidates_status"), type_="check")
        batch.create_check_constraint("status", _NEW)
        batch.add_column(sa.Column("closed_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_candidates_closed_by_id_candidates"), "candidates", ["closed_by_id"],
                                 ["id"], ondelete="SET NULL")
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("user", sa.String(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("problems", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.CheckConstraint("outcome IN ('done', 'failed', 'stored')", name=op.f("ck_import_runs_outcome")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
    )
    op.create_index(op.f("ix_import_runs_kind"), "import_runs", ["kind"])
    op.create_index(op.f("ix_import_runs_user"), "import_runs", ["user"])
    op.create_index(op.f("ix_import_runs_finished_at"), "import_runs", ["finished_at"])


def downgrade() -> None:
    op.drop_table("import_runs")
    op.execute("UPDATE candidates SET status = 'under_review' WHERE status = 'closed'")
    with op.batch_alter_table("candidates") as batch:
        batch.drop_constraint(op.f("fk_candidates_closed_by_id_candidates"), type_="foreignkey")
        batch.drop_column("closed_by_id")
        batch.drop_constraint(op.f("ck_candidates_status"), type_="check")
        batch.create_check_constraint("status", _OLD)
