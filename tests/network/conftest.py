"""Fixtures of the network tests: the case store's two-backend fixtures (SQLite and PostgreSQL), and a
store holding a small hand-made ring (three found children and reports, a ring of people, transfers)."""

from __future__ import annotations

import pytest

from cases.conftest import _pg_migrated, _sqlite_template, backend, db_url, session  # noqa: F401
from cases.conftest import url as url
from cases.helpers import FOUND, REPORTS, write

# A hand-made ring: a parent (P1, mother of R-1's child) sells to a broker in Zhaotong; the broker
# passes the child to a courier, who sells it to a seller in Kunming; the seller sells one child
# (R-2's) to a buyer in Shandong.  A child known only from a confession is stolen by the broker.
RING = """\
person,role,name,home_place,arrest_status,arrested_on,parent_of,relations,source
P1,parent,Parent One,云南省昭通市镇雄县,unknown,,R-1,,record 1
B1,broker,Broker One,云南省昭通市镇雄县,arrested,2014-01-15,,P1:same_town; K1:kin,record 2
K1,courier,Courier One,云南省昭通市彝良县,arrested,2013-10-01,,S1:phoned,record 3
S1,seller,Seller One,云南省昆明市,arrested,2014-01-15,,B1:paid,record 4
Y1,buyer,Buyer One,山东省临沂市,at_large,,,,record 5
"""

TRANSFERS = """\
transfer,found_child,report,child_label,from,to,date,place,price_yuan,source
T1,KM-001,,,P1,B1,2013-09-01,云南省昭通市镇雄县,8000,confession B1
T2,KM-001,,,B1,K1,2013-09-05,云南省昆明市,15000,confession K1
T3,KM-001,,,K1,S1,2013-09-05,云南省昆明市,,phone log
T4,,R-2,,B1,K1,2013-09-20,云南省昆明市,12000,confession K1
T5,,R-2,,K1,S1,2013-10-05,云南省昆明市,20000,confession S1
T6,,R-2,,S1,Y1,2013-10-20,山东省临沂市,120000,bank transfer
T7,,,confession B1 #3,,B1,2013-08-01,云南省曲靖市会泽县,,confession B1
"""


@pytest.fixture
def store(url, tmp_path):
    """A migrated store with the cases' found children and reports, and the ring's two files
    (not yet imported): ``(url, ring_path, transfers_path)``."""
    from reunite.cases.db import open_session
    from reunite.cases.importing import import_found, import_reports

    with open_session(url) as s:
        import_reports(s, write(tmp_path / "missing_reports.csv", REPORTS), user="inv")
        import_found(s, write(tmp_path / "found_children.csv", FOUND), user="inv")
    return url, write(tmp_path / "ring.csv", RING), write(tmp_path / "transfers.csv", TRANSFERS)


@pytest.fixture
def loaded(store):
    """The store with the ring imported (investigation ``KM-RING``): ``(url, ring, transfers)``."""
    from reunite.cases.db import open_session
    from reunite.network import import_network

    url, ring, transfers = store
    with open_session(url) as s:
        import_network(s, ring, transfers, investigation="KM-RING", user="inv")
    return store
