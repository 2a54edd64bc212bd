"""What the store wrote outside the database, and the reasons given for withdrawing consent.

- ``written_files``: every report or export file the store wrote (its path, kind, and the candidate
  a report is about), so that a withdrawal of consent can delete what holds the erased genotype.
- ``withdrawal_reasons``: the reason a relative's consent was withdrawn, as typed, readable by
  investigators; the audit entry holds only its id (no personal data in the audit log).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "written_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("table_name", sa.String(length=100), nullable=True),
        sa.Column("written_at", sa.DateTime(), nullable=False),
        sa.Column("written_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_written_files")),
        sa.UniqueConstraint("path", name=op.f("uq_written_files_path")),
    )
    op.create_index(op.f("ix_written_files_candidate_id"), "written_files", ["candidate_id"], unique=False)
    op.create_table(
        "withdrawal_reasons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_number", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawal_reasons")),
    )


def downgrade() -> None:
    op.drop_table("withdrawal_reasons")
    op.drop_index(op.f("ix_written_files_candidate_id"), table_name="written_files")
    op.drop_table("written_files")
