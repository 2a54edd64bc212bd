"""The network on a map (reunite.network.mapping) on both backends, and the grouping of places
(reunite.maps.places), on the hand-made ring of tests/network/conftest.py:

P1 → B1 in Zhenxiong (镇雄县), B1 → K1 → S1 in Kunming for found child KM-001 (found in Kunming);
B1 → K1 → S1 in Kunming, S1 → Y1 in Linyi (Shandong) for R-2's child (lost in Qujing); a child
known from a confession stolen in Huize (会泽县).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from contextlib import contextmanager

from reunite.evidence.place import resolve_place
from reunite.maps import province_at
from reunite.maps.places import group_markers, place_name, province_of, route_flows, route_markers


@contextmanager
def _net(url):
    from reunite.cases.db import open_session
    from reunite.network import Network

    with open_session(url) as s:
        yield s, Network.from_store(s, "KM-RING")


def test_flows_follow_the_chains_and_end_where_found(loaded):
    from reunite.network.mapping import network_flows

    with _net(loaded[0]) as (s, net):
        flows = {(f.label.split(":")[0], f.count) for f in network_flows(s, net, "zh")}
        assert flows == {("镇雄县 → 昆明市", 1), ("昆明市 → 临沂市", 1)}
        by_province = {f.label for f in network_flows(s, net, "en", destinations="province")}
        assert by_province == {"Zhenxiong → Kunming: 1", "Kunming → Shandong: 1"}


def test_places_have_their_kinds_and_children(loaded):
    from reunite.network.mapping import network_places

    with _net(loaded[0]) as (s, net):
        markers, rows = network_places(s, net, "zh")
        got = {(r["name"], r["kind"]): r["children"] for r in rows}
        assert got[("云南省昆明市", "hub")] == ["KM-001", "R-2"]
        assert got[("云南省昆明市", "found")] == ["KM-001"]
        assert got[("云南省昭通市镇雄县", "origin")] == ["KM-001"]
        assert got[("山东省临沂市", "destination")] == ["R-2"]
        assert got[("云南省曲靖市", "lost")] == ["R-2"]
        assert got[("云南省曲靖市会泽县", "origin")] == ["confession B1 #3"]
        for m in markers:  # every marker in the province its place names
            expected = "370000" if m.label == "临沂市" else "530000"
            assert province_at(m.lon, m.lat).code == expected, m


def test_flow_map_svg_has_the_arrows_and_the_places(loaded):
    from reunite.network.mapping import flow_map

    with _net(loaded[0]) as (s, net):
        svg = flow_map(s, net, "en")
        root = ET.fromstring(svg)
        ns = "{http://www.w3.org/2000/svg}"
        kinds = {g.get("data-kind") for g in root.iter(f"{ns}g") if g.get("data-kind")}
        assert kinds == {"origin", "hub", "destination"}
        arrows = [p for p in root.iter(f"{ns}path") if p.get("marker-end") and "Q" in p.get("d", "")]
        assert len(arrows) == 2
        assert len(svg.encode()) < 300_000


def test_route_flows_count_children_once_per_move():
    zx, km, ly = (resolve_place(x) for x in ("云南省昭通市镇雄县", "云南省昆明市", "山东省临沂市"))
    flows = route_flows([[zx, km, km, ly], [zx, None, km], [km, zx, km]], "zh")
    counts = {f.label: f.count for f in flows}
    # the third route goes there and back: each move once
    assert counts == {"镇雄县 → 昆明市: 3": 3, "昆明市 → 临沂市: 1": 1, "昆明市 → 镇雄县: 1": 1}
    kinds = {m.label: (m.kind, m.count) for m in route_markers([[zx, km, ly], [zx, km]], "en")}
    assert kinds == {"Zhenxiong": ("origin", 2), "Kunming": ("hub", 2), "Linyi": ("destination", 1)}


def test_group_markers_and_names():
    km, zx = resolve_place("Kunming, Yunnan"), resolve_place("云南省昭通市镇雄县")
    markers, missing = group_markers([(km, "found"), (km, "found"), (zx, "lost"), (None, "found")], "zh",
                                     href="#place-{adcode}")
    assert missing == 1
    assert {(m.label, m.kind, m.count, m.href) for m in markers} == {
        ("昆明市", "found", 2, f"#place-{km.adcode}"), ("镇雄县", "lost", 1, f"#place-{zx.adcode}")}
    assert place_name(zx, "en") == "Zhenxiong"
    assert province_of(zx).name_zh == "云南省" and province_of(province_of(zx)) == province_of(zx)
