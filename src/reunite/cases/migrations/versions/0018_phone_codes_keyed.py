"""Phone verification codes stored as HMAC-SHA256 under a key outside the database.

Codes written before this revision were plain SHA-256 of ``user id:purpose:code``: six digits, so
anyone with a copy of the database could find a live code by trying the million of them.  Those hashes
cannot be turned into the keyed ones (the code is not known), so every stored code is made unusable
(``used_at`` set where it was not, the hash overwritten): a family waiting for one asks for a new code.
The column is unchanged (64 hex characters either way); :func:`reunite.cases.accounts.code_key` is
the key.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE phone_codes SET used_at = created_at WHERE used_at IS NULL")
    op.execute("UPDATE phone_codes SET code_hash = '" + "0" * 64 + "'")


def downgrade() -> None:
    """Nothing to undo: the plain hashes are gone on purpose, and the codes were single-use anyway."""
