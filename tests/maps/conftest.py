"""Fixtures of the map tests: the store's two backends with the hand-made ring (network tests), and the
web app with its seeded store and logged-in clients (web tests)."""

from __future__ import annotations

from cases.conftest import _pg_migrated, _sqlite_template, backend, db_url, session, url  # noqa: F401
from network.conftest import loaded, store  # noqa: F401
from web.conftest import app, as_user, client, ids, seeded, web_backend, world  # noqa: F401
