"""Importing ring.csv and transfers.csv: all-or-nothing, named errors, idempotent, audited; both backends."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from cases.helpers import write
from reunite.cases.db import open_session
from reunite.cases.models import AuditEntry
from reunite.errors import InputError
from reunite.network import NetworkPerson, NetworkRelation, NetworkTransfer, import_network

from .conftest import RING, TRANSFERS


def _counts(s):
    return tuple(s.scalar(select(func.count()).select_from(m)) for m in (NetworkPerson, NetworkRelation,
                                                                         NetworkTransfer))


def test_import_stores_people_relations_and_transfers_with_their_source_and_user(store):
    url, ring, transfers = store
    with open_session(url) as s:
        res = import_network(s, ring, transfers, investigation="KM-RING", user="inv")
        assert res.counts["people"]["added"] == 5 and res.counts["transfers"]["added"] == 7
        assert res.counts["relations"]["added"] == 4
        assert _counts(s) == (5, 4, 7)
        k1 = s.scalars(select(NetworkPerson).where(NetworkPerson.code == "K1")).one()
        assert (k1.role, k1.arrest_status, str(k1.arrested_on), k1.entered_by, k1.source) == (
            "courier", "arrested", "2013-10-01", "inv", "record 3")
        t7 = s.scalars(select(NetworkTransfer).where(NetworkTransfer.code == "T7")).one()
        assert (t7.child_kind, t7.child, t7.from_id, t7.price_yuan) == ("unknown", "confession B1 #3", None, None)
        t1 = s.scalars(select(NetworkTransfer).where(NetworkTransfer.code == "T1")).one()
        assert (t1.child_kind, t1.sender.code, t1.receiver.code, t1.price_yuan, t1.source) == (
            "found", "P1", "B1", 8000, "confession B1")


def test_importing_again_changes_nothing_and_a_changed_row_updates(store, tmp_path):
    url, ring, transfers = store
    with open_session(url) as s:
        import_network(s, ring, transfers, investigation="KM-RING", user="inv")
        again = import_network(s, ring, transfers, investigation="KM-RING", user="inv2")
        assert all(c["added"] == 0 and c.get("updated", 0) == 0 for c in again.counts.values()), again.counts
        assert again.counts["people"]["unchanged"] == 5 and again.counts["transfers"]["unchanged"] == 7
        assert again.counts["relations"]["unchanged"] == 4 and again.counts["relations"]["removed"] == 0
        assert _counts(s) == (5, 4, 7)
        changed = write(tmp_path / "t2.csv", TRANSFERS.replace("T6,,R-2,,S1,Y1,2013-10-20,山东省临沂市,120000",
                                                               "T6,,R-2,,S1,Y1,2013-10-21,山东省临沂市,125000"))
        res = import_network(s, None, changed, investigation="KM-RING", user="inv2")
        assert res.counts["transfers"] == {"added": 0, "updated": 1, "unchanged": 6}
        t6 = s.scalars(select(NetworkTransfer).where(NetworkTransfer.code == "T6")).one()
        assert (str(t6.transferred_on), t6.price_yuan, t6.entered_by) == ("2013-10-21", 125000, "inv2")
        fewer = write(tmp_path / "r2.csv", RING.replace("P1:same_town; K1:kin", "K1:kin"))
        res = import_network(s, fewer, None, investigation="KM-RING", user="inv2")
        assert res.counts["relations"]["removed"] == 1 and _counts(s) == (5, 3, 7)


def test_the_audit_names_files_and_counts_never_a_person(store):
    url, ring, transfers = store
    with open_session(url) as s:
        import_network(s, ring, transfers, investigation="KM-RING", user="inv")
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "network.import")).one()
        details = json.loads(entry.details)
        assert entry.actor == "inv" and entry.entity_id == "KM-RING"
        assert details["files"] == ["ring.csv", "transfers.csv"] and details["people"]["added"] == 5
        for name in ("Parent One", "Broker One", "Seller One"):
            assert name not in entry.details


BAD_RING = """\
person,role,name,home_place,arrest_status,arrested_on,parent_of,relations,source
P1,parent,,,,,R-9,,x
B1,smuggler,,,at_large,2014-01-15,,P1:enemy; ZZ:kin,x
B1,broker,,,,,,,x
"""
BAD_TRANSFERS = """\
transfer,found_child,report,child_label,from,to,date,place,price_yuan,source
T1,KM-404,,,P1,B1,2013-09-01,x,8000,x
T2,KM-001,R-1,,P1,B1,2013-13-01,x,-5,x
T3,,,label,Q9,Q9,2013-09-01,x,,x
T4,,,label,,,,x,,x
T1,KM-001,,,P1,B1,,,,
"""


def test_every_problem_is_named_by_file_line_and_field_and_nothing_is_written(store, tmp_path):
    url, _ring, _transfers = store
    ring = write(tmp_path / "ring.csv", BAD_RING)
    transfers = write(tmp_path / "transfers.csv", BAD_TRANSFERS)
    with open_session(url) as s:
        with pytest.raises(InputError) as err:
            import_network(s, ring, transfers, investigation="KM-RING", user="inv")
        got = {(p.file.split("/")[-1], p.line, p.field) for p in err.value.problems}
        assert {("ring.csv", 2, "parent_of"),          # report R-9 not stored
                ("ring.csv", 3, "role"),               # smuggler
                ("ring.csv", 3, "arrest_status"),      # at large with an arrest date
                ("ring.csv", 3, "relations"),          # enemy, and ZZ unknown
                ("ring.csv", 4, "person"),             # B1 twice
                ("transfers.csv", 2, "found_child"),   # KM-404 not stored
                ("transfers.csv", 3, "report"),        # two child columns
                ("transfers.csv", 3, "date"),
                ("transfers.csv", 3, "price_yuan"),
                ("transfers.csv", 4, "from"), ("transfers.csv", 4, "to"),   # unknown Q9, to themselves
                ("transfers.csv", 5, "from"),          # neither from nor to
                ("transfers.csv", 6, "transfer"),      # T1 twice
                } <= got, got
        assert "Parent" not in str(err.value)
        assert _counts(s) == (0, 0, 0)
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "network.import")) == 0


def test_a_wrong_header_and_a_missing_file_are_refused(store, tmp_path):
    url, ring, _t = store
    with open_session(url) as s:
        with pytest.raises(InputError, match="unknown column 'colour'"):
            import_network(s, write(tmp_path / "x.csv", "person,role,colour\nA,broker,red\n"), None,
                           investigation="KM-RING", user="inv")
        with pytest.raises(InputError, match="file not found"):
            import_network(s, ring, tmp_path / "nope.csv", investigation="KM-RING", user="inv")
        with pytest.raises(InputError, match="investigation needs a code"):
            import_network(s, ring, None, investigation=" ", user="inv")
        assert _counts(s) == (0, 0, 0)


def test_transfers_may_name_people_stored_before(store):
    url, ring, transfers = store
    with open_session(url) as s:
        import_network(s, ring, None, investigation="KM-RING", user="inv")
        res = import_network(s, None, transfers, investigation="KM-RING", user="inv")
        assert res.counts["transfers"]["added"] == 7
        with pytest.raises(InputError, match=r"neither in ring\.csv nor stored in investigation OTHER"):
            import_network(s, None, transfers, investigation="OTHER", user="inv")
