"""The web application: passwords, disabled flag and unit of users; the family account of a
report; public appeals and the tips they receive.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("password_hash", sa.Text(), nullable=True))
        batch.add_column(sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("unit", sa.Text(), nullable=True))
    with op.batch_alter_table("missing_reports") as batch:
        batch.add_column(sa.Column("family_user_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_missing_reports_family_user_id_users"), "users", ["family_user_id"], ["id"])
        batch.create_index(op.f("ix_missing_reports_family_user_id"), ["family_user_id"], unique=False)
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("found_child_id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=True),
        sa.Column("hotline", sa.String(length=40), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("published_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["found_child_id"], ["found_children.id"],
                                name=op.f("fk_appeals_found_child_id_found_children"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], name=op.f("fk_appeals_photo_id_photos"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
    )
    op.create_index(op.f("ix_appeals_found_child_id"), "appeals", ["found_child_id"], unique=False)
    op.create_index(op.f("ix_appeals_published"), "appeals", ["published"], unique=False)
    op.create_table(
        "tips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["appeal_id"], ["appeals.id"], name=op.f("fk_tips_appeal_id_appeals"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tips")),
    )
    op.create_index(op.f("ix_tips_appeal_id"), "tips", ["appeal_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_tips_appeal_id"), table_name="tips")
    op.drop_table("tips")
    op.drop_index(op.f("ix_appeals_published"), table_name="appeals")
    op.drop_index(op.f("ix_appeals_found_child_id"), table_name="appeals")
    op.drop_table("appeals")
    with op.batch_alter_table("missing_reports") as batch:
        batch.drop_index(op.f("ix_missing_reports_family_user_id"))
        batch.drop_constraint(op.f("fk_missing_reports_family_user_id_users"), type_="foreignkey")
        batch.drop_column("family_user_id")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("unit")
        batch.drop_column("disabled")
        batch.drop_column("password_hash")
