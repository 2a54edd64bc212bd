"""Conclusions stored with what produced them; chain of custody of samples; laboratories.

- ``frequency_tables``: the content of every frequency table a candidate was computed with, once
  per content (keyed by the SHA-256 of its UTF-8 text).
- ``candidates``: the provenance of the DNA evidence (``frequencies``, ``frequencies_sha256``,
  ``mutation_model`` JSON, ``theta``, ``rules``, ``software_version``) and its conclusion under the
  rules (``dna_decision``, ``dna_excluded``, the whole conclusion in ``dna_conclusion`` JSON).
- ``dna_samples``: ``sample_kind``, ``collected_on``, ``collected_by``, ``sealed_by``,
  ``received_by``, ``received_on``.
- ``laboratories``: name, Chinese name, accreditation number, address.

Candidates stored before this revision keep NULL provenance: the next matching run fills it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_KINDS = "sample_kind IS NULL OR sample_kind IN ('blood_card', 'buccal_swab', 'blood', 'hair', 'tissue', " \
         "'bone', 'tooth', 'other')"
_DECISIONS = "dna_decision IS NULL OR dna_decision IN ('support', 'exclusion', 'inconclusive', 'no_decision')"
_SAMPLE_COLUMNS = ("sample_kind", "collected_on", "collected_by", "sealed_by", "received_by", "received_on")
_CANDIDATE_COLUMNS = ("frequencies", "mutation_model", "theta", "rules", "software_version", "dna_decision",
                      "dna_excluded", "dna_conclusion")


def upgrade() -> None:
    op.create_table(
        "frequency_tables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frequency_tables")),
        sa.UniqueConstraint("sha256", name=op.f("uq_frequency_tables_sha256")),
    )
    op.create_table(
        "laboratories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=True),
        sa.Column("accreditation", sa.String(length=100), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_laboratories")),
        sa.UniqueConstraint("name", name=op.f("uq_laboratories_name")),
    )
    with op.batch_alter_table("dna_samples") as batch:
        batch.add_column(sa.Column("sample_kind", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("collected_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("collected_by", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("sealed_by", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("received_by", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("received_on", sa.Date(), nullable=True))
        batch.create_check_constraint("sample_kind", _KINDS)
    with op.batch_alter_table("candidates") as batch:
        batch.add_column(sa.Column("frequencies", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("frequencies_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("mutation_model", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("theta", sa.Float(), nullable=True))
        batch.add_column(sa.Column("rules", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("software_version", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("dna_decision", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("dna_excluded", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("dna_conclusion", sa.JSON(), nullable=True))
        batch.create_foreign_key(op.f("fk_candidates_frequencies_sha256_frequency_tables"), "frequency_tables",
                                 ["frequencies_sha256"], ["sha256"])
        batch.create_index(op.f("ix_candidates_frequencies_sha256"), ["frequencies_sha256"], unique=False)
        batch.create_check_constraint("dna_decision", _DECISIONS)


def downgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        batch.drop_constraint(op.f("ck_candidates_dna_decision"), type_="check")
        batch.drop_index(op.f("ix_candidates_frequencies_sha256"))
        batch.drop_constraint(op.f("fk_candidates_frequencies_sha256_frequency_tables"), type_="foreignkey")
        batch.drop_column("frequencies_sha256")
        for col in reversed(_CANDIDATE_COLUMNS):
            batch.drop_column(col)
    with op.batch_alter_table("dna_samples") as batch:
        batch.drop_constraint(op.f("ck_dna_samples_sample_kind"), type_="check")
        for col in reversed(_SAMPLE_COLUMNS):
            batch.drop_column(col)
    op.drop_table("laboratories")
    op.drop_table("frequency_tables")
