"""The discrete Laplace fits of the Y-STR reference database, kept so that a matching run reads them back
instead of refitting (``lineage_fits``: per database SHA-256, loci and seed, the fitted weights, centres
and dispersions; no man's haplotype).  The population method chosen for the store's Y-STR database is a
``store_state`` row (``lineage_y_method``), which needs no column.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lineage_fits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("database_sha256", sa.String(length=64), nullable=False),
        sa.Column("loci_sha256", sa.String(length=64), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("loci", sa.Text(), nullable=False),
        sa.Column("clusters", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("fit_seconds", sa.Float(), nullable=False),
        sa.Column("fitted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_fits")),
        sa.UniqueConstraint("database_sha256", "loci_sha256", "seed",
                            name=op.f("uq_lineage_fits_database_sha256_loci_sha256_seed")),
    )
    op.create_index(op.f("ix_lineage_fits_database_sha256"), "lineage_fits", ["database_sha256"])


def downgrade() -> None:
    op.drop_index(op.f("ix_lineage_fits_database_sha256"), table_name="lineage_fits")
    op.drop_table("lineage_fits")
