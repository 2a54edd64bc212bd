"""The migrations create the schema the models describe, on every backend."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import reunite.cases
from reunite.cases import db as store
from reunite.cases.models import Base

EXPECTED = {"users", "found_children", "missing_reports", "pedigree_members", "reference_donors", "dna_samples",
            "laboratories", "frequency_tables",
            "photos", "candidates", "reviews", "audit_log", "appeals", "tips"}


def test_upgrade_creates_every_table(db_url):
    assert store.current_revision(db_url) is None
    store.upgrade(db_url)
    tables = set(inspect(store.make_engine(db_url)).get_table_names())
    assert EXPECTED | {"alembic_version"} == tables
    assert store.current_revision(db_url) == store.head_revision()
    store.upgrade(db_url)  # a second run is a no-op
    assert store.current_revision(db_url) == store.head_revision()


def test_migrated_schema_matches_the_models(url):
    with store.make_engine(url).connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_downgrade_removes_everything(db_url):
    store.upgrade(db_url)
    store.downgrade(db_url, "base")
    assert set(inspect(store.make_engine(db_url)).get_table_names()) <= {"alembic_version"}
    assert store.current_revision(db_url) is None


def test_check_schema_creates_an_empty_database_and_refuses_a_foreign_one(db_url):
    store.check_schema(db_url)
    assert store.current_revision(db_url) == store.head_revision()
    store.downgrade(db_url, "base")
    with store.make_engine(db_url).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE other_app (x INTEGER)")
    with pytest.raises(store.SchemaError, match="no Reunite schema version"):
        store.check_schema(db_url)


def test_database_url_default_and_environment(monkeypatch):
    monkeypatch.delenv("REUNITE_DATABASE_URL", raising=False)
    assert store.database_url() == "sqlite:///reunite.db"
    monkeypatch.setenv("REUNITE_DATABASE_URL", "sqlite:////tmp/x.db")
    assert store.database_url() == "sqlite:////tmp/x.db"
    assert store.database_url("sqlite://") == "sqlite://"


def test_public_api_is_listed():
    for name in reunite.cases.__all__:
        assert getattr(reunite.cases, name).__doc__, name
