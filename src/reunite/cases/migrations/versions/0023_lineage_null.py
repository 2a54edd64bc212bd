"""A sample without a Y-STR haplotype or an mtDNA sequence holds SQL NULL in ``dna_samples.y_haplotype``
and ``dna_samples.mt_sequence``, not the JSON value ``null`` (nor an empty object) that the store wrote
before: rows written so are converted, so that ``IS NULL`` / ``IS NOT NULL`` say whether a sample was
typed (the lab list of the lab profiles page counted only samples with autosomal markers).

The column types do not change (``JSON``; the model now passes ``none_as_null=True``).  The downgrade
leaves SQL NULL, which the older code reads as "not typed" too.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # CAST(... AS TEXT): PostgreSQL's json has no equality operator; SQLite keeps JSON as text anyway.
    for column in ("y_haplotype", "mt_sequence"):
        op.execute(f"UPDATE dna_samples SET {column} = NULL "
                   f"WHERE {column} IS NOT NULL AND TRIM(CAST({column} AS TEXT)) IN ('null', '{{}}')")


def downgrade() -> None:
    pass
