"""Appeals for missing children too, what each appeal publishes, and the posters written for it.

- ``appeals.report_id``: an appeal may be for a missing child (a report) instead of a found child, so
  ``found_child_id`` becomes nullable;
- ``appeals.facts`` (JSON list), ``description``, ``marks``: what the investigator chose to publish;
- ``appeals.no_photo_reason``: why an appeal has no photo (required when it has none);
- ``written_files.appeal_id``: posters and press kits written for an appeal, deleted when it is
  unpublished or the family withdraws.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appeals") as batch:
        batch.alter_column("found_child_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("report_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("facts", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch.add_column(sa.Column("marks", sa.Text(), nullable=True))
        batch.add_column(sa.Column("no_photo_reason", sa.Text(), nullable=True))
        batch.create_foreign_key(batch.f("fk_appeals_report_id_missing_reports"), "missing_reports",
                                 ["report_id"], ["id"], ondelete="CASCADE")
        batch.create_index(batch.f("ix_appeals_report_id"), ["report_id"], unique=False)
    with op.batch_alter_table("written_files") as batch:
        batch.add_column(sa.Column("appeal_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_written_files_appeal_id"), ["appeal_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("written_files") as batch:
        batch.drop_index(batch.f("ix_written_files_appeal_id"))
        batch.drop_column("appeal_id")
    op.execute("DELETE FROM appeals WHERE found_child_id IS NULL")
    with op.batch_alter_table("appeals") as batch:
        batch.drop_index(batch.f("ix_appeals_report_id"))
        batch.drop_constraint(batch.f("fk_appeals_report_id_missing_reports"), type_="foreignkey")
        for col in ("no_photo_reason", "marks", "description", "facts", "report_id"):
            batch.drop_column(col)
        batch.alter_column("found_child_id", existing_type=sa.Integer(), nullable=False)
