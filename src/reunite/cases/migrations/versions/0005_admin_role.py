"""An ``admin`` role: manages accounts (no access to cases or genotypes by itself).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_OLD = "role IN ('investigator', 'lab_analyst', 'caseworker', 'family', 'public')"
_NEW = "role IN ('investigator', 'lab_analyst', 'caseworker', 'family', 'public', 'admin')"


def _swap(condition: str) -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_role"), type_="check")
        batch.create_check_constraint("role", condition)


def upgrade() -> None:
    _swap(_NEW)


def downgrade() -> None:
    op.execute("DELETE FROM users WHERE role = 'admin'")
    _swap(_OLD)
