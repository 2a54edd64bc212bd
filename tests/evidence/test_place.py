"""The place LR: offline resolution of Chinese and English place names, and the LR's properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.errors import InputError
from reunite.evidence import fuse
from reunite.evidence.place import (
    CAPS,
    COUNTY_SD_KM,
    DEFAULT_TRAVEL,
    PlaceReference,
    ResolvedPlace,
    TravelModel,
    _log_rice,
    distance_km,
    fit,
    place_lr,
    resolve_place,
)

# Hand-checked seats of government (degrees N, E), from public maps; the gazetteer's points are
# its own, so a tolerance of 0.3° (about 30 km) is allowed.
SEATS = {
    "云南省昭通市镇雄县": ("530627", "county", 27.44, 104.87),
    "Zhenxiong County, Zhaotong, Yunnan Province": ("530627", "county", 27.44, 104.87),
    "镇雄县": ("530627", "county", 27.44, 104.87),
    "Zhaotong, Yunnan": ("530600", "prefecture", 27.34, 103.72),
    "昭通市": ("530600", "prefecture", 27.34, 103.72),
    "昆明": ("530100", "prefecture", 24.88, 102.83),
    "Kunming": ("530100", "prefecture", 24.88, 102.83),
    "山东省济南市": ("370100", "prefecture", 36.65, 117.12),
    "Jinan, Shandong": ("370100", "prefecture", 36.65, 117.12),
    "北京市朝阳区": ("110105", "county", 39.92, 116.44),
    "Chaoyang District, Beijing": ("110105", "county", 39.92, 116.44),
    "云南": ("530000", "province", 25.05, 102.71),
    "Yunnan": ("530000", "province", 25.05, 102.71),
    "福建省": ("350000", "province", 26.10, 119.30),
    "Shaanxi": ("610000", "province", 34.27, 108.95),
    "Shanxi": ("140000", "province", 37.87, 112.56),
    "广东省深圳市宝安区某某街道": ("440306", "county", 22.55, 113.88),
}


@pytest.mark.parametrize("text", list(SEATS))
def test_real_names_resolve_in_both_languages(text):
    code, level, lat, lon = SEATS[text]
    place = resolve_place(text)
    assert place is not None
    assert (place.adcode, place.level) == (code, level)
    assert abs(place.lat - lat) < 0.3 and abs(place.lon - lon) < 0.3


def test_names_carry_their_parents_in_both_languages():
    place = resolve_place("镇雄")
    assert place.name_zh == "云南省昭通市镇雄县"
    assert place.name_en == "Zhenxiong, Zhaotong, Yunnan"
    assert place.sd_km == COUNTY_SD_KM
    assert resolve_place("Xishuangbanna").name_zh == "云南省西双版纳傣族自治州"
    assert resolve_place("红河州").level == "prefecture"  # the prefecture, not its county of the same short name


def test_precision_grows_with_the_unit():
    county, prefecture, province = resolve_place("镇雄县"), resolve_place("昭通"), resolve_place("云南省")
    assert county.sd_km < prefecture.sd_km < province.sd_km
    assert 100 < province.sd_km < 400


@pytest.mark.parametrize("text", ["鼓楼区", "Gulou", "Taizhou", "朝阳", "nonsense", "", "   ", None])
def test_ambiguous_or_unknown_names_stay_unresolved(text):
    assert resolve_place(text) is None


def test_a_shared_name_is_settled_by_its_province():
    assert resolve_place("Taizhou, Zhejiang").adcode == "331000"
    assert resolve_place("江苏泰州").adcode == "321200"


def test_a_name_inside_a_longer_one_is_not_matched():
    assert resolve_place("镇雄县").adcode == "530627"  # not 雄县 in Hebei
    assert resolve_place("雄县").adcode == "130638"


def test_resolution_rejects_non_text():
    with pytest.raises(InputError):
        resolve_place(42)


def test_distance_by_hand():
    # Zhenxiong (27.44 N, 104.87 E) to Kunming (24.88 N, 102.83 E): 3.15° of arc, about 350 km
    assert distance_km(resolve_place("镇雄县"), resolve_place("昆明")) == pytest.approx(350, abs=5)
    assert distance_km(resolve_place("镇雄县"), resolve_place("镇雄县")) == 0.0


def _at(lat: float, lon: float = 110.0, level: str = "county", sd: float = COUNTY_SD_KM) -> ResolvedPlace:
    return ResolvedPlace("000000", level, "测试", "Test", lat, lon, sd)


FLAT = PlaceReference.uniform()
_trapezoid = getattr(np, "trapezoid", None) or np.trapz  # numpy 1.26 has only trapz


def test_the_lr_by_hand_on_a_flat_reference():
    # LR = anywhere + A/(2π) × Σ w_k exp(-d²/2S_k²)/S_k², S_k² = s_k² + 2 × 16²
    a, b = _at(30.0), _at(31.0)
    d = distance_km(a, b)
    near = sum(w * math.exp(-d * d / (2 * (s * s + 2 * 256))) / (s * s + 2 * 256)
               for s, w in zip(DEFAULT_TRAVEL.scales_km, DEFAULT_TRAVEL.weights, strict=True))
    expected = DEFAULT_TRAVEL.anywhere + 9.6e6 / (2 * math.pi) * near
    assert place_lr(a, b, reference=FLAT).lr == pytest.approx(expected, rel=1e-9)


def test_same_county_is_capped_and_far_apart_weakens_only_a_little():
    z = resolve_place("云南省昭通市镇雄县")
    same = place_lr(z, z)
    assert same.lr == CAPS["county"] and not same.observed["uncapped"]
    far = place_lr(z, resolve_place("黑龙江省哈尔滨市道里区"))
    assert DEFAULT_TRAVEL.anywhere <= far.lr < 1.0
    near = place_lr(z, resolve_place("昆明"))
    assert 1.0 < near.lr < CAPS["prefecture"]


def test_vague_or_missing_places_give_about_1():
    yunnan = resolve_place("云南")
    for other in (resolve_place("昆明"), yunnan, resolve_place("镇雄县"), resolve_place("福建")):
        assert 0.45 <= place_lr(yunnan, other).lr <= CAPS["province"]
    assert place_lr(None, yunnan).lr == 1.0 and place_lr(yunnan, None).log10_lr == 0.0
    assert place_lr(None, None).lr == 1.0


def test_the_sentence_is_in_chinese_and_english_and_names_no_place():
    item = place_lr(resolve_place("镇雄县"), resolve_place("昆明"))
    assert "km apart" in item.sentence and "公里" in item.sentence_zh
    assert "被寻儿童" in item.sentence_zh
    for text in (item.sentence, item.sentence_zh):
        assert "镇雄" not in text and "Kunming" not in text
    d = item.as_dict()
    assert d["kind"] == "place" and d["sentence_zh"] and d["parameters"]["gazetteer"].startswith("cpca")


def test_place_fuses_with_the_other_evidence():
    item = place_lr(resolve_place("镇雄县"), resolve_place("昆明"))
    post = fuse([item], open_reports=100)
    assert post.lr == pytest.approx(item.lr)


def test_reference_from_the_stores_reports():
    reports = [resolve_place(t) for t in ("镇雄县", "彝良县", "威信县", "昭阳区", None)]
    ref = PlaceReference.from_places(reports)
    local = place_lr(resolve_place("镇雄县"), resolve_place("昆明"), reference=ref)
    national = place_lr(resolve_place("镇雄县"), resolve_place("昆明"))
    # when every report comes from Zhaotong, a Zhaotong child found in Kunming says less
    assert local.lr < national.lr
    with pytest.raises(InputError):
        PlaceReference.from_places([None])


def test_bad_inputs_are_named():
    with pytest.raises(InputError):
        place_lr("镇雄县", None)
    with pytest.raises(InputError):
        place_lr(None, None, reference="counties")
    with pytest.raises(InputError):
        TravelModel((10.0,), (0.2,), 0.5)  # weights do not sum to 1


lat = st.floats(min_value=20.0, max_value=45.0, allow_nan=False)
levels = st.sampled_from(["county", "prefecture", "province"])
sds = st.floats(min_value=16.0, max_value=400.0)


@settings(max_examples=60, deadline=None)
@given(lat, st.floats(min_value=0.0, max_value=20.0), st.floats(min_value=0.0, max_value=20.0))
def test_monotone_in_distance_on_a_flat_reference(lat0, d1, d2):
    lo, hi = sorted((d1, d2))
    lost = _at(lat0)
    assert place_lr(lost, _at(lat0 + lo), reference=FLAT).lr >= place_lr(lost, _at(lat0 + hi), reference=FLAT).lr


@settings(max_examples=60, deadline=None)
@given(lat, lat, levels, levels, sds, sds)
def test_cap_respected_and_symmetric_on_a_flat_reference(a, b, la, lb, sa, sb):
    p, q = _at(a, level=la, sd=sa), _at(b, 105.0, level=lb, sd=sb)
    item = place_lr(p, q, reference=FLAT)
    coarser = min(la, lb, key=["province", "prefecture", "county"].index)
    assert 1.0 / CAPS[coarser] <= item.lr <= CAPS[coarser]
    assert item.lr >= DEFAULT_TRAVEL.anywhere
    assert item.lr == pytest.approx(place_lr(q, p, reference=FLAT).lr, rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=2700), st.integers(min_value=0, max_value=2700))
def test_cap_respected_on_real_counties(i, j):
    ref = PlaceReference.counties()
    p = _at(float(ref.lat[i]), float(ref.lon[i]))
    q = _at(float(ref.lat[j]), float(ref.lon[j]))
    assert 1.0 / CAPS["county"] <= place_lr(p, q).lr <= CAPS["county"]


def test_fit_learns_from_confirmed_matches():
    z, k = resolve_place("镇雄县"), resolve_place("昆明")
    near = fit([(z, z)] * 200)
    assert near.weights[0] > DEFAULT_TRAVEL.weights[0]
    assert math.fsum(near.weights) + near.anywhere == pytest.approx(1.0)
    few = fit([(z, k)] * 2)
    assert abs(few.weights[1] - DEFAULT_TRAVEL.weights[1]) < 0.1  # two pairs move the prior little
    assert fit([]) is DEFAULT_TRAVEL
    assert "fitted on 200" in near.source
    with pytest.raises(InputError):
        fit([(z, "昆明")])


def test_a_county_without_coordinates_takes_its_prefectures():
    place = resolve_place("江苏省淮安市清江浦区")
    assert place.adcode == "320812" and place.level == "prefecture"
    assert place.sd_km == resolve_place("淮安市").sd_km and "parent" in place.note


@pytest.mark.parametrize(("d", "nu", "s"), [(0.0, 0.0, 20.0), (30.0, 0.0, 20.0), (100.0, 120.0, 25.0),
                                           (900.0, 1000.0, 30.0), (5.0, 2000.0, 400.0), (1500.0, 40.0, 300.0)])
def test_the_rice_density_against_integration_over_the_circle(d, nu, s):
    # the density of the distance d from a point to N2(nu-away centre, s²), divided by d, is the
    # 2-D Gaussian density integrated around the circle of radius d: checked by brute force
    theta = np.linspace(0.0, 2 * np.pi, 200_001)
    r2 = (d * np.cos(theta) - nu) ** 2 + (d * np.sin(theta)) ** 2
    brute = _trapezoid(np.exp(-r2 / (2 * s * s)) / (2 * np.pi * s * s), theta)
    got = float(np.exp(_log_rice(d, np.array([nu]), np.array([s]))[0]))
    assert got == pytest.approx(brute, rel=1e-6)
