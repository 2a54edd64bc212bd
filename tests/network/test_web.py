"""The network in the investigators' workspace: upload, the graph page and its filters, exports, the
chain of custody on the child's page, the records of a sale on the candidate and report pages; who
sees what, and every read audited."""

from __future__ import annotations

import io
import json
import zipfile

import networkx as nx
import pytest
from sqlalchemy import select

from reunite.cases import db as store
from reunite.cases.models import AuditEntry, MissingReport
from web.conftest import app, as_user, ids, seeded, web_backend, world  # noqa: F401  (the web tests' seeded store and app)

RING = """\
person,role,name,home_place,arrest_status,arrested_on,parent_of,relations,source
P1,parent,Parent One,云南省昭通市镇雄县,unknown,,R-1,,record 1
B1,broker,Broker One,云南省昭通市镇雄县,arrested,2014-01-15,,P1:same_town; K1:kin,record 2
K1,courier,Courier One,云南省昭通市彝良县,arrested,2013-10-01,,,record 3
S1,seller,Seller One,云南省昆明市,arrested,2014-01-15,,B1:paid,record 4
Y1,buyer,Buyer One,山东省临沂市,at_large,,,,record 5
"""
TRANSFERS = """\
transfer,found_child,report,child_label,from,to,date,place,price_yuan,source
T1,KM-001,,,P1,B1,2013-09-01,云南省昭通市镇雄县,8000,confession B1
T2,KM-001,,,B1,K1,2013-09-05,云南省昆明市,15000,confession K1
T3,KM-001,,,K1,S1,2013-09-06,云南省昆明市,,phone log
T4,,R-2,,B1,K1,2013-09-20,云南省昆明市,12000,confession K1
T5,,R-2,,K1,S1,2013-10-05,云南省昆明市,20000,confession S1
T6,,R-2,,S1,Y1,2013-10-20,山东省临沂市,120000,bank transfer
"""


def _upload(client, ring=RING, transfers=TRANSFERS, investigation="KM-RING"):
    files = {"ring": ("ring.csv", ring.encode(), "text/csv"),
             "transfers": ("transfers.csv", transfers.encode(), "text/csv")}
    return client.post("/network/import", data={"csrf_token": client.csrf, "investigation": investigation},
                       files=files, follow_redirects=False)


def _audit(stored, action):
    with store.open_session(stored[0]) as s:
        return [(e.actor, e.entity_id, json.loads(e.details or "{}"))
                for e in s.scalars(select(AuditEntry).where(AuditEntry.action == action))]


@pytest.fixture
def inv(as_user):  # noqa: F811
    client = as_user("inv")
    r = _upload(client)
    assert r.status_code == 303 and r.headers["location"].startswith("/network?investigation=KM-RING"), r.text
    return client


def test_the_upload_stores_the_network_and_marks_the_parent_s_report(inv, world):  # noqa: F811
    page = inv.get("/network?" + "investigation=KM-RING&imported_people=5&imported_relations=3"
                   "&imported_transfers=6&marked=1").text
    assert 'id="network-imported"' in page and "1 reports marked suspected of the sale" in page
    assert "marked suspected" not in inv.get("/network?investigation=KM-RING&imported_people=5&marked=0").text
    with store.open_session(world[0]) as s:
        rep = s.scalars(select(MissingReport).where(MissingReport.report_number == "R-1")).one()
        assert rep.suspected_of_sale
    assert [(a, e) for a, e, _ in _audit(world, "report.suspected_of_sale")] == [("inv", "R-1")]
    assert len(_audit(world, "network.import")) == 1
    assert _upload(inv).status_code == 303                       # again: nothing changes
    assert len(_audit(world, "report.suspected_of_sale")) == 1


def test_a_bad_upload_names_file_line_and_field_and_stores_nothing(as_user, world):  # noqa: F811
    client = as_user("inv")
    bad = TRANSFERS.replace("T2,KM-001,,,B1,K1,2013-09-05", "T2,KM-001,,,B1,ZZ,2013-09-05")
    r = _upload(client, transfers=bad)
    assert r.status_code == 400
    assert "transfers.csv" in r.text and "line 3" in r.text and "ZZ" in r.text
    assert "Parent One" not in r.text
    assert client.get("/network").status_code == 200 and 'id="network-empty"' in client.get("/network").text
    assert _audit(world, "network.import") == []


def test_the_page_shows_the_graph_leads_and_is_audited(inv, world):  # noqa: F811
    page = inv.get("/network").text
    data = json.loads(page.split('id="network-data">', 1)[1].split("</script>", 1)[0])
    nodes = {e["data"]["id"]: e["data"] for e in data if e["group"] == "nodes"}
    arrows = [e["data"] for e in data if e["group"] == "edges" and e["data"]["type"] == "transfer"]
    assert set(nodes) == {"P1", "B1", "K1", "S1", "Y1"} and nodes["P1"]["role"] == "parent"
    assert nodes["Y1"]["colour"] != nodes["P1"]["colour"]
    assert {(a["source"], a["target"]) for a in arrows} == {("P1", "B1"), ("B1", "K1"), ("K1", "S1"), ("S1", "Y1")}
    assert len(arrows) == 6
    assert '<script src="/network/cytoscape.min.js">' in page and "<svg" in page   # the graph and the flow map
    assert "山东省" in page.split('id="network-provinces"')[1].split("</ul>")[0]   # where to appeal: R-2's buyer
    assert "after an arrest" in page                        # K1 arrested 2013-10-01, hands R-2 over on 10-05
    js = inv.get("/network/cytoscape.min.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "cytoscape" in js.text[:2000]
    assert [(a, e) for a, e, _ in _audit(world, "network.read.page")] == [("inv", "KM-RING")]


def test_the_filters_keep_the_transfers_of_a_date_range_and_a_place(inv):
    def arrows(query):
        page = inv.get("/network?" + query).text
        data = json.loads(page.split('id="network-data">', 1)[1].split("</script>", 1)[0])
        return sorted(e["data"]["transfer"] for e in data if e["group"] == "edges" and e["data"]["type"] == "transfer")

    assert arrows("since=2013-09-05&until=2013-09-30") == ["T2", "T3", "T4"]
    assert arrows("place=山东") == ["T6"]
    assert arrows("place=Shandong") == ["T6"]               # resolved: Linyi lies in Shandong
    assert arrows("place=云南省昭通市") == ["T1"]
    assert inv.get("/network?since=2013-13-01").status_code == 400


def test_exports_graphml_and_csv_audited(inv, world):  # noqa: F811
    r = inv.get("/network/export?format=graphml")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    g = nx.read_graphml(io.BytesIO(r.content))
    assert g.nodes["P1"]["role"] == "parent" and g.number_of_nodes() == 5
    z = zipfile.ZipFile(io.BytesIO(inv.get("/network/export?format=csv").content))
    assert sorted(z.namelist()) == ["chains.csv", "ring.csv", "transfers.csv"]
    assert "T6" in z.read("transfers.csv").decode()
    assert inv.get("/network/export?format=json").status_code == 400
    assert [d["view"] for _a, _e, d in _audit(world, "network.read.export.graphml")] == ["export.graphml"]
    assert len(_audit(world, "network.read.export.csv")) == 1


def test_the_child_page_shows_the_chain_as_a_timeline_to_investigators_only(inv, as_user, world):  # noqa: F811
    page = inv.get("/children/KM-001").text
    tl = page.split('id="network-timeline"')[1].split("</ol>")[0]
    assert [s.split('"')[0] for s in tl.split('data-transfer="')[1:]] == ["T1", "T2", "T3"]
    assert "8,000" in tl and "(+7,000)" in tl and "confession B1" in tl
    assert ("inv", "KM-001") in [(a, e) for a, e, _ in _audit(world, "network.read.chain")]
    cw = as_user("cw")                                        # KM-001 is in the caseworker's care
    assert cw.get("/children/KM-001").status_code == 200
    assert "network-timeline" not in cw.get("/children/KM-001").text
    assert "network-timeline" not in inv.get("/children/KM-002").text   # no chain


def test_the_candidate_and_report_pages_show_the_record_of_the_sale(inv, as_user, ids, world):  # noqa: F811
    cand = inv.get(f"/candidates/{ids['candidate']}").text      # KM-001 × R-1, R-1's parent sold
    assert 'id="suspected"' in cand and 'id="network-sale"' in cand
    assert "P1 (parent) handed KM-001 to B1 on 2013-09-01 for 8,000 yuan: confession B1" in cand
    assert 'id="network-sale"' in inv.get("/reports/R-1").text
    lab = as_user("lab")                                     # the lab analyst sees the flag, not the network
    page = lab.get(f"/candidates/{ids['candidate']}").text
    assert 'id="suspected"' in page and "network-sale" not in page
    assert ("inv", "R-1") in [(a, e) for a, e, _ in _audit(world, "network.read.sale")]


@pytest.mark.parametrize("who", ["lab", "cw", "fam", "pub"])
def test_nobody_but_investigators_sees_the_network(inv, as_user, who):  # noqa: F811
    client = as_user(who)
    for path in ("/network", "/network/export?format=graphml", "/network/cytoscape.min.js"):
        assert client.get(path, follow_redirects=False).status_code == 403, (who, path)
    assert _upload(client).status_code == 403


def test_a_network_too_big_to_draw_asks_for_a_filter(inv, monkeypatch):
    from reunite.web import network_view

    monkeypatch.setattr(network_view, "MAX_DRAWN", 3)
    page = inv.get("/network").text
    assert 'id="network-too-big"' in page and 'id="network-data"' not in page
    assert 'id="network-data"' in inv.get("/network?place=山东").text      # two people: drawn
