"""Migration 0009 creates the network's tables over a store with data, and removes only them."""

from __future__ import annotations

from sqlalchemy import inspect, text

from reunite.cases import db as store

TABLES = {"network_people", "network_relations", "network_transfers"}


def test_0009_up_and_down_keeps_the_rest_of_the_store(db_url):
    store.upgrade(db_url, "0008")
    eng = store.make_engine(db_url)
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO found_children (id, case_number, sex, created_at, updated_at) "
                          "VALUES (1, 'KM-1', 'male', '2014-01-15', '2014-01-15')"))
    store.upgrade(db_url, "0009")
    assert TABLES <= set(inspect(eng).get_table_names())
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO network_people (id, investigation, code, role, arrest_status, entered_by, "
                          "created_at, updated_at) VALUES (1, 'R', 'S1', 'broker', 'unknown', 'inv', '2014-01-15', "
                          "'2014-01-15')"))
        conn.execute(text("INSERT INTO network_transfers (id, investigation, code, child_kind, child, to_id, "
                          "entered_by, created_at, updated_at) VALUES (1, 'R', 'T1', 'found', 'KM-1', 1, 'inv', "
                          "'2014-01-15', '2014-01-15')"))
    store.downgrade(db_url, "0008")
    assert not TABLES & set(inspect(eng).get_table_names())
    with eng.connect() as conn:
        assert conn.execute(text("SELECT case_number FROM found_children")).scalar_one() == "KM-1"
    store.upgrade(db_url)
    assert store.current_revision(db_url) == store.head_revision()
