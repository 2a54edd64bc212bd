"""Leads: the network item (prior multiplier from the chain's source place), village, province and
suspected-family leads."""

from __future__ import annotations

import math

import pytest

from reunite.cases.db import open_session
from reunite.network import Network, network_lr, province_leads, suspected_families, village_leads


def test_a_report_lost_where_the_chain_starts_is_supported_and_a_far_one_weakened():
    near = network_lr("云南省昭通市镇雄县", "云南省昭通市镇雄县", chain="KM-1")
    assert near.kind == "network" and near.observed["chain"] == "KM-1"
    assert near.lr == 100.0 and not near.observed["uncapped"]     # capped for two counties
    assert near.observed["distance_km"] == 0.0
    assert "more probable if the found child is the missing child of this report" in near.sentence
    assert "拐卖网络证据" in near.sentence_zh and "0 公里" in near.sentence_zh
    assert set(near.as_dict()) >= {"kind", "lr", "log10_lr", "model", "parameters", "observed", "sentence_zh"}
    mid = network_lr("云南省昭通市镇雄县", "云南省昭通市彝良县")      # a neighbouring county
    far = network_lr("云南省昭通市镇雄县", "黑龙江省哈尔滨市")
    assert 1 < mid.lr < 100
    assert far.lr == pytest.approx(0.1, rel=1e-6) and far.log10_lr < 0    # at least misattribution
    assert "some other child" in far.sentence
    assert math.isclose(far.log10_lr, math.log10(far.lr))


def test_an_unresolved_place_says_nothing_and_the_parameters_are_checked():
    item = network_lr(None, "云南省昭通市镇雄县")
    assert item.lr == 1.0 and "not recorded" in item.sentence
    assert network_lr("云南省昭通市镇雄县", "Atlantis").lr == 1.0
    with pytest.raises(ValueError):
        network_lr("云南省昭通市镇雄县", "云南省昭通市镇雄县", misattribution=0)
    with pytest.raises(ValueError):
        network_lr("云南省昭通市镇雄县", "云南省昭通市镇雄县", sd_km=-1)


def test_the_lr_falls_with_distance_and_a_wider_h1_is_flatter():
    places = ["云南省昭通市镇雄县", "云南省昭通市彝良县", "云南省曲靖市会泽县", "云南省红河州屏边县"]
    lrs = [network_lr(places[0], p, caps={"county": 1e9, "prefecture": 1e9, "province": 1e9}).lr for p in places]
    assert lrs == sorted(lrs, reverse=True)
    wide = network_lr(places[0], places[0], sd_km=50, caps={"county": 1e9, "prefecture": 1e9, "province": 1e9})
    assert wide.lr < lrs[0]


def test_village_leads_rank_the_reports_lost_near_the_chain_source(loaded):
    url, _r, _t = loaded
    with open_session(url) as s:
        leads = village_leads(s, "KM-001")
        assert [x["report"] for x in leads][:1] == ["R-1"]           # lost in Zhaotong, the chain in Zhenxiong
        assert leads[0]["lr"] > 1 and leads[0]["item"]["kind"] == "network"
        assert {x["report"]: x["lr"] for x in leads}["R-3"] == 1.0   # Dali does not resolve
        assert village_leads(s, "KM-002") == []                       # no chain


def test_province_and_suspected_family_leads(loaded):
    url, _r, _t = loaded
    with open_session(url) as s:
        provinces = province_leads(Network.from_store(s))
        assert [(p["province"], p["children"], p["receivers"]) for p in provinces] == [
            ("云南省", ["confession B1 #3"], ["B1"]), ("山东省", ["R-2"], ["Y1"])]
        [fam] = suspected_families(s)
        assert (fam["report"], fam["person"], fam["transfer"], fam["source"], fam["price_yuan"]) == (
            "R-1", "P1", "T1", "confession B1", 8000)
        assert suspected_families(s, "OTHER") == [] and suspected_families(s, report="R-2") == []
