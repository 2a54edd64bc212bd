"""The posters' signing key leaves the store: moved to the key ring file, its row deleted.

Until this revision the posters' QR codes were signed by a random key kept in the database
(``store_state.poster_signing_key``), so anyone who could read a copy of the store could sign a poster.
They are now signed by :class:`reunite.cases.signing.Signer`, keyed by ``$REUNITE_SECRET_KEY``, outside
the database.  Posters already printed keep verifying: the old key is appended to the key ring
(``$REUNITE_KEY_RING``, default ``reunite-key-ring`` in the working directory of the upgrade) as a
``raw:poster`` key, which the signer checks after the current key, and the verify page says that the
poster was signed with a retired key.  If the ring cannot be written the upgrade stops and nothing is
changed (the key is never dropped without its copy).

Downgrade puts the ring's last ``raw:poster`` key back in the store (the ring keeps it too).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from __future__ import annotations

import datetime as dt
import logging

from alembic import op
from sqlalchemy import text

from reunite.cases.signing import KEY_RING_ENV, append_to_ring, read_ring, ring_path
from reunite.errors import InputError, Problem

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

NAME = "poster_signing_key"
log = logging.getLogger("reunite.migrations")


def upgrade() -> None:
    conn = op.get_bind()
    key = conn.execute(text("SELECT value FROM store_state WHERE name = :n"), {"n": NAME}).scalar()
    if key is None:
        return
    path = ring_path()
    try:
        ring = read_ring(path) if path.exists() else ()
        if not any(k.kind == "raw:poster" and k.key == key for k in ring):   # not twice (an upgrade run again)
            append_to_ring(path, "raw:poster", key,
                           f"the store's poster key until migration 0019 ({dt.date.today().isoformat()})")
    except (OSError, InputError) as exc:
        raise InputError(Problem(
            f"migration 0019 moves the posters' signing key from the store to the key ring, which cannot be "
            f"written or read here ({type(exc).__name__}); set {KEY_RING_ENV} to a file this process can write "
            "and run the upgrade again (nothing was changed)", file=str(path), field=KEY_RING_ENV)) from None
    conn.execute(text("DELETE FROM store_state WHERE name = :n"), {"n": NAME})
    log.warning("migration 0019: the posters' old signing key moved from the store to the key ring %s; give the "
                "web server that file (%s) so that posters printed before keep verifying", path.resolve(),
                KEY_RING_ENV)


def downgrade() -> None:
    path = ring_path()
    keys = [k.key for k in read_ring(path) if k.kind == "raw:poster"] if path.exists() else []
    conn = op.get_bind()
    if keys and conn.execute(text("SELECT 1 FROM store_state WHERE name = :n"), {"n": NAME}).first() is None:
        conn.execute(text("INSERT INTO store_state (name, value, updated_at) VALUES (:n, :v, :t)"),
                     {"n": NAME, "v": keys[-1], "t": dt.datetime.now(dt.UTC).replace(tzinfo=None)})
