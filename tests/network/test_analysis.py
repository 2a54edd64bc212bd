"""Chains of custody, prices, unfound children, gaps, brokers, communities and exports, on hand-made
networks (pure) and on the store (both backends)."""

from __future__ import annotations

import datetime as dt

import networkx as nx

from reunite.cases.db import open_session
from reunite.network import Network, Person, Transfer, chain_of, import_network
from reunite.network.analysis import build_chain

D = dt.date


def _ring() -> Network:
    people = [Person("P", "parent", parent_of="R-1"), Person("B", "broker"),
              Person("C", "courier", arrested_on=D(2013, 10, 1), arrest_status="arrested"),
              Person("S", "seller"), Person("Y", "buyer")]
    transfers = [
        # codes in the reverse order of the handovers on the same day: the holder decides
        Transfer("z1", "report", "R-1", "P", "B", D(2013, 9, 1), "village", 5000),
        Transfer("y2", "report", "R-1", "C", "S", D(2013, 9, 5), "Kunming", None),
        Transfer("x3", "report", "R-1", "B", "C", D(2013, 9, 5), "Kunming", 9000),
        Transfer("w4", "report", "R-1", "S", "Y", D(2013, 9, 20), "Shandong", 90000),
        Transfer("a1", "found", "KM-1", None, "B", D(2013, 9, 2), "other village", 3000),
        Transfer("a2", "found", "KM-1", "C", "S", D(2013, 10, 4), "Kunming", 7000),   # break, after arrest
    ]
    return Network(people, transfers)


def test_a_chain_is_in_date_order_and_the_holder_hands_over_first_on_a_day():
    chain = next(c for c in _ring().chains() if c.child == "R-1")
    assert [s.transfer for s in chain.steps] == ["z1", "x3", "y2", "w4"]
    assert [(s.sender, s.receiver) for s in chain.steps] == [("P", "B"), ("B", "C"), ("C", "S"), ("S", "Y")]
    assert chain.source_place == "village" and chain.last.receiver == "Y"
    assert chain.gaps == []


def test_prices_and_markups_along_a_chain():
    chain = next(c for c in _ring().chains() if c.child == "R-1")
    assert chain.prices == [5000, 9000, 90000]
    assert [s.markup_yuan for s in chain.steps] == [None, 4000, None, 81000]   # over the last price paid
    assert chain.markup == 18.0


def test_gaps_no_source_break_and_after_arrest():
    chain = next(c for c in _ring().chains() if c.child == "KM-1")
    assert [(g.kind, g.transfer) for g in chain.gaps] == [("no_source", "a1"), ("break", "a2"),
                                                          ("after_arrest", "a2")]
    assert "after the arrest of C on 2013-10-01" in chain.gaps[2].message
    # A ring member handing the child over first is a gap too (where did they get it?)
    c = build_chain([Transfer("t", "unknown", "x", "B", "S", D(2013, 1, 1))], {"B": Person("B", "broker")})
    assert [g.kind for g in c.gaps] == ["no_source"] and "B (broker)" in c.gaps[0].message


def test_unfound_children_are_those_not_found_with_where_and_to_whom():
    rows = _ring().unfound()
    assert [(u["child"], u["place"], u["to"], u["to_role"], u["price_yuan"]) for u in rows] == [
        ("R-1", "Shandong", "Y", "buyer", 90000)]
    assert rows[0]["markup"] == 18.0 and rows[0]["source_place"] == "village"


def test_components_communities_and_brokers():
    people = [Person(c, "courier") for c in "abcdefh"] + [Person("X", "broker")]
    # two triangles joined only through X; h alone
    edges = [("a", "b"), ("b", "c"), ("a", "c"), ("d", "e"), ("e", "f"), ("d", "f"), ("c", "X"), ("X", "d")]
    net = Network(people, [Transfer(f"t{k}", "unknown", f"k{k}", u, v) for k, (u, v) in enumerate(edges)])
    assert net.components() == [["X", "a", "b", "c", "d", "e", "f"], ["h"]]
    comms = net.communities()
    assert sorted(x for c in comms for x in c) == sorted("abcdefhX")
    assert {"a", "b", "c"} <= set(next(c for c in comms if "a" in c))
    assert {"d", "e", "f"} <= set(next(c for c in comms if "d" in c))
    top = net.brokers(3)
    assert top[0]["person"] == "X" and top[0]["role"] == "broker" and top[0]["exact"]
    assert {t["person"] for t in top[1:]} == {"c", "d"}


def test_graphml_export_reads_back(tmp_path):
    path = _ring().write_graphml(tmp_path / "ring.graphml")
    g = nx.read_graphml(path)
    assert set(g.nodes) == {"P", "B", "C", "S", "Y"} and g.nodes["C"]["arrested_on"] == "2013-10-01"
    transfers = [d for _u, _v, d in g.edges(data=True) if d["type"] == "transfer"]
    assert len(transfers) == 5 and {d["transfer"] for d in transfers} == {"z1", "x3", "y2", "w4", "a2"}


def test_the_store_answers_the_same_chains_as_the_network(loaded):
    url, _r, _t = loaded
    with open_session(url) as s:
        [km] = chain_of(s, "KM-001")
        assert [(x.transfer, x.sender, x.receiver) for x in km.steps] == [("T1", "P1", "B1"), ("T2", "B1", "K1"),
                                                                          ("T3", "K1", "S1")]
        assert [x.sender_role for x in km.steps] == ["parent", "broker", "courier"] and km.gaps == []
        assert chain_of(s, "nobody") == []
        net = Network.from_store(s)
        assert net.investigation == "KM-RING"
        by = {c.child: c for c in net.chains()}
        assert [x.transfer for x in by["KM-001"].steps] == [x.transfer for x in km.steps]
        r2 = by["R-2"]
        assert r2.prices == [12000, 20000, 120000] and r2.markup == 10.0
        assert [(g.kind, g.transfer) for g in net.gaps()] == [
            ("no_source", "T4"), ("after_arrest", "T5"), ("no_source", "T7")]
        assert [u["child"] for u in net.unfound()] == ["R-2", "confession B1 #3"]


def test_the_csv_export_imports_back_unchanged(loaded, tmp_path):
    url, _r, _t = loaded
    with open_session(url) as s:
        files = Network.from_store(s).write_csv(tmp_path / "out")
        res = import_network(s, files["ring"], files["transfers"], investigation="KM-RING", user="inv")
        assert all(c["added"] == 0 and c.get("updated", 0) == 0 and c.get("removed", 0) == 0
                   for c in res.counts.values()), res.counts
    rows = (tmp_path / "out" / "chains.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("child_kind,child,step,transfer") and len(rows) == 1 + 7


def test_the_formats_are_documented_and_formula_cells_are_escaped_in_the_export(tmp_path):
    from pathlib import Path

    from reunite.network.importing import PEOPLE_COLUMNS, TRANSFER_COLUMNS

    docs = (Path(__file__).resolve().parents[2] / "docs" / "formats.md").read_text(encoding="utf-8")
    for col in PEOPLE_COLUMNS + TRANSFER_COLUMNS:
        assert f"| `{col}` |" in docs, col
    net = Network([Person("A", "broker", name="=HYPERLINK(1)"), Person("B", "buyer", home_place="+86 x")],
                  [Transfer("T", "unknown", "@x", "A", "B", None, None, 100.5)])
    files = net.write_csv(tmp_path)
    ring = files["ring"].read_text(encoding="utf-8")
    assert "'=HYPERLINK(1)" in ring and "'+86 x" in ring
    assert "'@x" in files["transfers"].read_text(encoding="utf-8") and ",100.5," in files["transfers"].read_text()


def test_the_public_api_is_listed_and_documented():
    import reunite.network

    for name in reunite.network.__all__:
        assert getattr(reunite.network, name).__doc__, name


def test_a_chain_does_not_depend_on_the_order_its_transfers_are_given_in():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    ring = _ring()
    transfers = [t for t in ring.transfers if t.child == "R-1"]
    want = [s.transfer for s in build_chain(transfers, ring.people).steps]

    @settings(max_examples=50, deadline=None)
    @given(st.permutations(transfers))
    def check(perm):
        chain = build_chain(perm, ring.people)
        assert [s.transfer for s in chain.steps] == want
        assert chain.markup == 18.0 and chain.gaps == []

    check()
