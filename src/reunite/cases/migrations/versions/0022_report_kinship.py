"""The kinship settings a report's family came with from a Familias case: ``report_kinship`` (one row
per report: the file's frequency table by name and SHA-256 in ``frequency_tables``, its mutation model,
theta, the file's name, and the found child holding the person of interest's profile).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_kinship",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("frequencies", sa.String(length=200), nullable=False),
        sa.Column("frequencies_sha256", sa.String(length=64), nullable=False),
        sa.Column("mutation_model", sa.JSON(), nullable=True),
        sa.Column("theta", sa.Float(), nullable=False),
        sa.Column("found_child_id", sa.Integer(), nullable=True),
        sa.Column("source_file", sa.String(length=200), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["missing_reports.id"],
                                name=op.f("fk_report_kinship_report_id_missing_reports"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["frequencies_sha256"], ["frequency_tables.sha256"],
                                name=op.f("fk_report_kinship_frequencies_sha256_frequency_tables")),
        sa.ForeignKeyConstraint(["found_child_id"], ["found_children.id"],
                                name=op.f("fk_report_kinship_found_child_id_found_children"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_kinship")),
        sa.UniqueConstraint("report_id", name=op.f("uq_report_kinship_report_id")),
    )
    op.create_index(op.f("ix_report_kinship_frequencies_sha256"), "report_kinship", ["frequencies_sha256"],
                    unique=False)
    op.create_index(op.f("ix_report_kinship_found_child_id"), "report_kinship", ["found_child_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_report_kinship_found_child_id"), table_name="report_kinship")
    op.drop_index(op.f("ix_report_kinship_frequencies_sha256"), table_name="report_kinship")
    op.drop_table("report_kinship")
