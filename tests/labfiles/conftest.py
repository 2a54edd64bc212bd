"""The store fixtures of tests/cases (both backends), for the lab-file tests that go through the store."""

from cases.conftest import _pg_migrated, _sqlite_template, backend, db_url, session, url  # noqa: F401
