"""The map pages through the app (tests/web/conftest.py's seeded store): who may see them, what they
show, that the public map never shows the text of a place or an address, and that reading the
network's maps is audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from network.conftest import RING, TRANSFERS
from reunite.cases.appeals import publish
from reunite.cases.db import open_session
from reunite.cases.models import AuditEntry, FoundChild
from reunite.network import import_network

ADDRESS = "云南省昆明市盘龙区北京路123号3单元"


def _ring(world, tmp_path):
    url = world[0]
    (tmp_path / "ring.csv").write_text(RING, encoding="utf-8")
    (tmp_path / "transfers.csv").write_text(TRANSFERS, encoding="utf-8")
    with open_session(url) as s:
        import_network(s, tmp_path / "ring.csv", tmp_path / "transfers.csv", investigation="KM-RING", user="inv")


def _audits(url, action):
    with open_session(url) as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.mark.parametrize(("lang", "place"), [("zh", "昆明市"), ("en", "Kunming")])
def test_public_map_shows_published_appeals_by_place(client, ids, lang, place):
    r = client.get(f"/map/appeals?lang={lang}")
    assert r.status_code == 200
    html = r.text
    assert len(r.content) < 300_000
    assert html.count("<svg") == 2  # wide and phone drawings
    assert re.search(rf'<g fill="[^"]+" transform="[^"]+" data-kind="found"[^>]*><title>{place}</title>', html)
    assert f'href="/appeals/{ids["appeal"]}"' in html
    assert html.count('data-kind="found"') == 2  # one appeal, one place, two drawings
    assert ("寻亲启事地图" if lang == "zh" else "Map of appeals") in html


def test_public_map_never_shows_an_address_or_exact_position(client, world, ids):
    url = world[0]
    with open_session(url) as s:
        child = s.scalars(select(FoundChild).where(FoundChild.case_number == "KM-001")).one()
        child.found_place, child.found_lat, child.found_lon = ADDRESS, 25.0437, 102.7185
        s.commit()
        publish(s, case_number="KM-001", hotline="+86 871 110", no_photo_reason="no photo yet", user="inv")
    html = client.get("/map/appeals?lang=zh").text
    assert "盘龙区" in html  # the county
    for secret in ("北京路", "123号", "3单元", "25.0437", "102.7185"):
        assert secret not in html
    assert html.count('data-kind="found"') == 4  # Kunming (KM-002) and Panlong (KM-001), two drawings


def test_a_place_not_published_is_not_on_the_map_and_missing_children_are(client, world, ids):
    with open_session(world[0]) as s:
        publish(s, user="inv", hotline="+86 871 110", case_number="KM-001", no_photo_reason="no photo yet",
                facts=["sex", "age"])  # the place kept back
        publish(s, user="inv", hotline="+86 871 110", report_number="R-2", no_photo_reason="no photo yet")
    html = client.get("/map/appeals?lang=en").text
    assert html.count('data-kind="found"') == 2 and html.count('data-kind="lost"') == 2  # Kunming; Qujing
    assert re.search(r'data-kind="lost"[^>]*><title>Qujing</title>', html)
    assert "Place not shown on the map" in html  # KM-001, listed without a place


def test_unpublished_appeals_are_not_on_the_map(client, world, ids):
    from reunite.cases.appeals import set_published

    with open_session(world[0]) as s:
        set_published(s, ids["appeal"], False, user="inv")
    html = client.get("/map/appeals").text
    assert 'data-kind="found"' not in html
    assert f"/appeals/{ids['appeal']}" not in html


@pytest.mark.parametrize("path", ["/map/network", "/map/flows", "/map/flows.svg"])
def test_network_maps_are_for_investigators_only(as_user, world, tmp_path, path):
    _ring(world, tmp_path)
    for name in ("lab", "cw", "fam", "pub", "adm"):
        assert as_user(name).get(path).status_code == 403, name
    anonymous = as_user(None).get(path, follow_redirects=False)
    assert anonymous.status_code in (303, 401)
    assert as_user("inv").get(path).status_code == 200


def test_network_map_lists_places_and_is_audited(as_user, world, tmp_path):
    _ring(world, tmp_path)
    inv = as_user("inv")
    html = inv.get("/map/network?lang=zh").text
    assert "云南省昭通市镇雄县" in html and "交接链的起点（来源地）" in html and "KM-001" in html
    assert 'data-kind="hub"' in html and 'data-kind="lost"' in html
    html = inv.get("/map/flows?lang=en").text
    assert "Zhenxiong → Kunming" in html and "Kunming → Shandong" in html
    svg = inv.get("/map/flows.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and svg.text.startswith("<svg")
    reads = _audits(world[0], "network.read.map") + _audits(world[0], "network.read.flow_map")
    assert sorted(a.actor for a in reads) == ["inv", "inv", "inv"]
    assert all(a.entity_id == "KM-RING" for a in reads)


def test_network_map_without_a_network_says_so(as_user):
    inv = as_user("inv")
    r = inv.get("/map/network?lang=en")
    assert r.status_code == 200 and 'id="map-empty"' in r.text
    assert inv.get("/map/flows.svg").status_code == 404
