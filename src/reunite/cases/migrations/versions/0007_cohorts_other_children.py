"""Cohorts of found children solved jointly; a report's other children.

- ``cohorts``: the found children of one rescue (code, title, rescued_on, place, created_by);
  ``found_children.cohort_id`` says which one a child is in (nullable).
- ``cohort_solutions``: each joint solution of a cohort, with what produced it (frequency table
  and its SHA-256, mutation model, theta, rules, software version, a digest of the input) and the
  result as JSON.
- ``report_other_children``: the reporting family's other children (sex, birth year);
  ``missing_reports.other_children_listed`` says whether the report lists them at all.

Reports stored before this revision do not list their other children (false).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_SEX = "sex IN ('male', 'female', 'unknown')"
_YEAR = "birth_year IS NULL OR (birth_year >= 1900 AND birth_year <= 2200)"


def upgrade() -> None:
    op.create_table(
        "cohorts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("rescued_on", sa.Date(), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohorts")),
        sa.UniqueConstraint("code", name=op.f("uq_cohorts_code")),
    )
    op.create_table(
        "cohort_solutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("solved_at", sa.DateTime(), nullable=False),
        sa.Column("solved_by", sa.String(length=100), nullable=False),
        sa.Column("frequencies", sa.String(length=200), nullable=False),
        sa.Column("frequencies_sha256", sa.String(length=64), nullable=False),
        sa.Column("mutation_model", sa.JSON(), nullable=True),
        sa.Column("theta", sa.Float(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("software_version", sa.String(length=40), nullable=False),
        sa.Column("input_sha256", sa.String(length=64), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohorts.id"], name=op.f("fk_cohort_solutions_cohort_id_cohorts"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["frequencies_sha256"], ["frequency_tables.sha256"],
                                name=op.f("fk_cohort_solutions_frequencies_sha256_frequency_tables")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_solutions")),
    )
    op.create_index(op.f("ix_cohort_solutions_cohort_id"), "cohort_solutions", ["cohort_id"], unique=False)
    op.create_index(op.f("ix_cohort_solutions_frequencies_sha256"), "cohort_solutions", ["frequencies_sha256"],
                    unique=False)
    op.create_table(
        "report_other_children",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("sex", sa.String(length=10), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.CheckConstraint(_SEX, name=op.f("ck_report_other_children_sex")),
        sa.CheckConstraint(_YEAR, name=op.f("ck_report_other_children_birth_year")),
        sa.ForeignKeyConstraint(["report_id"], ["missing_reports.id"],
                                name=op.f("fk_report_other_children_report_id_missing_reports"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_other_children")),
    )
    op.create_index(op.f("ix_report_other_children_report_id"), "report_other_children", ["report_id"],
                    unique=False)
    # (batch mode copies found_children on SQLite: reunite.cases.db runs migrations with foreign
    # keys off there, so that dropping the old copy does not cascade to photos and candidates)
    with op.batch_alter_table("found_children") as batch:
        batch.add_column(sa.Column("cohort_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_found_children_cohort_id_cohorts"), "cohorts", ["cohort_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_index(op.f("ix_found_children_cohort_id"), ["cohort_id"], unique=False)
    with op.batch_alter_table("missing_reports") as batch:
        batch.add_column(sa.Column("other_children_listed", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("missing_reports") as batch:
        batch.drop_column("other_children_listed")
    with op.batch_alter_table("found_children") as batch:
        batch.drop_index(op.f("ix_found_children_cohort_id"))
        batch.drop_constraint(op.f("fk_found_children_cohort_id_cohorts"), type_="foreignkey")
        batch.drop_column("cohort_id")
    op.drop_index(op.f("ix_report_other_children_report_id"), table_name="report_other_children")
    op.drop_table("report_other_children")
    op.drop_index(op.f("ix_cohort_solutions_frequencies_sha256"), table_name="cohort_solutions")
    op.drop_index(op.f("ix_cohort_solutions_cohort_id"), table_name="cohort_solutions")
    op.drop_table("cohort_solutions")
    op.drop_table("cohorts")
