"""Lineage markers in the store: Y-STR haplotypes and mtDNA sequences per DNA sample, and the
reference database of each kind the matching counts haplotypes in.

- ``dna_samples.y_haplotype`` (JSON ``{locus: "13,19"}``) and ``dna_samples.mt_sequence`` (JSON
  ``{"range": ..., "variants": ...}``), None when not typed; erased with the genotypes.
- ``lineage_databases``: one row per kind (``y``, ``mt``), the CSV content and its SHA-256; none:
  the shipped SIMULATED database.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dna_samples") as batch:
        batch.add_column(sa.Column("y_haplotype", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("mt_sequence", sa.JSON(), nullable=True))
    op.create_table(
        "lineage_databases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('y', 'mt')", name=op.f("ck_lineage_databases_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_databases")),
        sa.UniqueConstraint("kind", name=op.f("uq_lineage_databases_kind")),
    )


def downgrade() -> None:
    op.drop_table("lineage_databases")
    with op.batch_alter_table("dna_samples") as batch:
        batch.drop_column("mt_sequence")
        batch.drop_column("y_haplotype")
