"""The migrations create the schema the models describe, on every backend."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

import reunite.cases
from reunite.alerts import models as _alerts_models  # noqa: F401  (the alerts' tables on Base.metadata)
from reunite.cases import db as store
from reunite.cases.models import Base
from reunite.cases.queries import include_in_schema_comparison

EXPECTED = {"users", "found_children", "missing_reports", "pedigree_members", "reference_donors", "dna_samples",
            "laboratories", "frequency_tables", "cohorts", "cohort_solutions", "report_other_children",
            "photos", "candidates", "candidate_evidence", "reviews", "audit_log", "appeals", "tips",
            "network_people", "network_relations", "network_transfers", "api_tokens", "written_files",
            "withdrawal_reasons", "store_state", "phone_codes", "alert_subscriptions", "alerts",
            "alert_deliveries", "import_runs", "lineage_databases", "lineage_fits", "report_kinship"}


def test_upgrade_creates_every_table(db_url):
    assert store.current_revision(db_url) is None
    store.upgrade(db_url)
    tables = set(inspect(store.make_engine(db_url)).get_table_names())
    search = {t for t in tables if not include_in_schema_comparison(None, t, "table", True, None)}
    assert EXPECTED | {"alembic_version"} == tables - search
    fts = {"missing_reports_fts", *(f"missing_reports_fts_{s}" for s in ("config", "data", "docsize", "idx"))}
    assert search == (fts if db_url.startswith("sqlite") else set())
    assert store.current_revision(db_url) == store.head_revision()
    store.upgrade(db_url)  # a second run is a no-op
    assert store.current_revision(db_url) == store.head_revision()


def test_migrated_schema_matches_the_models(url):
    with store.make_engine(url).connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                     "include_object": include_in_schema_comparison})
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


def test_migration_0006_keeps_the_data_both_ways(db_url):
    """Up from 0005 with a candidate and a sample stored: the new columns are empty (provenance NULL,
    not excluded); down again: the rows are kept, the new tables gone."""
    from sqlalchemy import text

    store.upgrade(db_url, "0005")
    eng = store.make_engine(db_url)
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO found_children (id, case_number, sex, created_at, updated_at) "
                          "VALUES (1, 'KM-1', 'male', '2014-01-15', '2014-01-15')"))
        conn.execute(text("INSERT INTO missing_reports (id, report_number, sex, multiple_missing, suspected_of_sale, "
                          "status, created_at, updated_at) VALUES (1, 'R-1', 'male', false, false, 'open', "
                          "'2014-01-15', '2014-01-15')"))
        conn.execute(text("INSERT INTO candidates (id, found_child_id, report_id, dna_log10_lr, prior, posterior, "
                          "status, dna_withdrawn, created_at, updated_at) VALUES (1, 1, 1, 5.0, 0.01, 0.999, 'new', "
                          "false, '2014-01-15', '2014-01-15')"))
        conn.execute(text("INSERT INTO dna_samples (id, sample, lab, imported_by, imported_at, genotypes, "
                          "marker_count, erased) VALUES (1, 'S-1', 'lab', 'x', '2014-01-15', '{}', 0, false)"))
    store.upgrade(db_url, "0006")
    assert store.current_revision(db_url) == "0006"
    with eng.connect() as conn:
        row = conn.execute(text("SELECT dna_log10_lr, frequencies_sha256, rules, dna_excluded, dna_conclusion "
                                "FROM candidates")).one()
        assert row[0] == 5.0 and row[1] is None and row[2] is None and not row[3] and row[4] is None
        assert conn.execute(text("SELECT sample_kind, collected_by FROM dna_samples")).one() == (None, None)
    assert {"laboratories", "frequency_tables"} <= set(inspect(eng).get_table_names())
    store.downgrade(db_url, "0005")
    store.dispose_engines()
    eng = store.make_engine(db_url)
    assert not {"laboratories", "frequency_tables"} & set(inspect(eng).get_table_names())
    assert "rules" not in {c["name"] for c in inspect(eng).get_columns("candidates")}
    with eng.connect() as conn:
        assert conn.execute(text("SELECT dna_log10_lr FROM candidates")).scalar_one() == 5.0


def test_migration_0010_keeps_the_users_both_ways(db_url):
    """Up from 0009 with a user stored: epoch 0, approved, no tokens; down again: the user kept."""
    from sqlalchemy import text

    store.upgrade(db_url, "0009")
    with store.make_engine(db_url).begin() as conn:
        conn.execute(text("INSERT INTO users (name, role, created_at, disabled) "
                          "VALUES ('inv', 'investigator', CURRENT_TIMESTAMP, false)"))
    store.upgrade(db_url, "0010")
    eng = store.make_engine(db_url)
    with eng.connect() as conn:
        assert conn.execute(text("SELECT session_epoch, pending_approval_by FROM users")).one() == (0, None)
    assert "api_tokens" in set(inspect(eng).get_table_names())
    store.downgrade(db_url, "0009")
    eng = store.make_engine(db_url)
    assert "api_tokens" not in set(inspect(eng).get_table_names())
    assert "session_epoch" not in {c["name"] for c in inspect(eng).get_columns("users")}
    with eng.connect() as conn:
        assert conn.execute(text("SELECT name FROM users")).scalar_one() == "inv"


def test_migration_0011_both_ways(db_url):
    """Up from 0010: the registry of written files and the withdrawal reasons; down again: gone."""
    store.upgrade(db_url, "0011")
    tables = set(inspect(store.make_engine(db_url)).get_table_names())
    assert {"written_files", "withdrawal_reasons"} <= tables
    store.downgrade(db_url, "0010")
    assert not {"written_files", "withdrawal_reasons"} & set(inspect(store.make_engine(db_url)).get_table_names())
    store.upgrade(db_url)
    assert store.current_revision(db_url) == store.head_revision()


def test_migration_0012_both_ways(db_url):
    """Up from 0011: the store's state (the import lock, matching not owed); down again: gone."""
    store.upgrade(db_url, "0012")
    with store.make_engine(db_url).connect() as conn:
        rows = dict(conn.execute(text("SELECT name, value FROM store_state")).all())
    assert rows == {"import_lock": None, "matching_owed": "0"}
    store.downgrade(db_url, "0011")
    assert "store_state" not in set(inspect(store.make_engine(db_url)).get_table_names())
    store.upgrade(db_url)
    assert store.current_revision(db_url) == store.head_revision()


def test_migration_0013_both_ways(db_url):
    """Up from 0012: phones and codes of family accounts, self-registered found children (寻家); down again."""
    store.upgrade(db_url, "0012")
    with store.make_engine(db_url).begin() as conn:
        conn.execute(text("INSERT INTO found_children (case_number, sex, created_at, updated_at) "
                          "VALUES ('KM-1', 'male', '2014-02-20', '2014-02-20')"))
    store.upgrade(db_url, "0013")
    engine = store.make_engine(db_url)
    assert "phone_codes" in set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.execute(text("SELECT kind FROM found_children")).scalar_one() == "found"
    assert {"phone", "phone_verified_at", "display_name"} <= {c["name"] for c in inspect(engine).get_columns("users")}
    store.downgrade(db_url, "0012")
    engine = store.make_engine(db_url)
    assert "phone_codes" not in set(inspect(engine).get_table_names())
    assert "kind" not in {c["name"] for c in inspect(engine).get_columns("found_children")}
    store.upgrade(db_url)
    assert store.current_revision(db_url) == store.head_revision()


def test_migration_0016_both_ways(db_url):
    """Up from 0015: a candidate may be closed (by another), and the import runs table; down: a closed
    candidate goes back to review, and both are gone."""
    store.upgrade(db_url, "0016")
    engine = store.make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO found_children (case_number, sex, created_at, updated_at, kind) "
                          "VALUES ('KM-1', 'male', '2014-02-20', '2014-02-20', 'found')"))
        conn.execute(text("INSERT INTO missing_reports (report_number, sex, status, multiple_missing, created_at, "
                          "updated_at) VALUES ('R-1', 'male', 'open', false, '2014-01-01', '2014-01-01')"))
        conn.execute(text("INSERT INTO candidates (found_child_id, report_id, status, dna_withdrawn, dna_excluded, "
                          "created_at, updated_at) VALUES (1, 1, 'closed', false, false, '2026-01-01', '2026-01-01')"))
    assert "import_runs" in set(inspect(engine).get_table_names())
    store.downgrade(db_url, "0015")
    engine = store.make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM candidates")).scalar_one() == "under_review"
    assert "import_runs" not in set(inspect(engine).get_table_names())
    assert "closed_by_id" not in {c["name"] for c in inspect(engine).get_columns("candidates")}
    store.upgrade(db_url)
    assert store.current_revision(db_url) == store.head_revision()
