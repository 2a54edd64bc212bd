"""Families register with a phone, and a found child can search for their own family (寻家).

- ``users.phone`` (unique), ``users.phone_verified_at`` and ``users.display_name`` (a name in any
  script; the user name stays ASCII).
- ``phone_codes``: verification codes sent to a phone (a hash only), for registration and password
  reset, with their expiry, wrong attempts and use.
- ``found_children.kind`` (``found`` or ``self_registered``), ``account_id`` (the self-registered
  person's account), ``memories`` (what they remember) and ``dna_consent_at``.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("phone_verified_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("display_name", sa.String(length=100), nullable=True))
        batch.create_unique_constraint(op.f("uq_users_phone"), ["phone"])
    op.create_table(
        "phone_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("purpose IN ('register', 'reset')", name=op.f("ck_phone_codes_purpose")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_phone_codes_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_codes")),
    )
    op.create_index(op.f("ix_phone_codes_user_id"), "phone_codes", ["user_id"], unique=False)
    with op.batch_alter_table("found_children") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=20), server_default="found", nullable=False))
        batch.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("memories", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("dna_consent_at", sa.DateTime(), nullable=True))
        batch.create_check_constraint(op.f("ck_found_children_kind"), "kind IN ('found', 'self_registered')")
        batch.create_foreign_key(op.f("fk_found_children_account_id_users"), "users", ["account_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_index(op.f("ix_found_children_account_id"), ["account_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("found_children") as batch:
        batch.drop_index(op.f("ix_found_children_account_id"))
        batch.drop_constraint(op.f("fk_found_children_account_id_users"), type_="foreignkey")
        batch.drop_constraint(op.f("ck_found_children_kind"), type_="check")
        batch.drop_column("dna_consent_at")
        batch.drop_column("memories")
        batch.drop_column("account_id")
        batch.drop_column("kind")
    op.drop_index(op.f("ix_phone_codes_user_id"), table_name="phone_codes")
    op.drop_table("phone_codes")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("uq_users_phone"), type_="unique")
        batch.drop_column("display_name")
        batch.drop_column("phone_verified_at")
        batch.drop_column("phone")
