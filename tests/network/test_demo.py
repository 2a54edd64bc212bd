"""The Kunming demo's network: 21 children, 11 rescued with a chain from a Yunnan village to Kunming,
10 sold to Shandong, Fujian and Henan and not found, the gaps it plants, the parents who sold."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reunite.cases.db import open_session
from reunite.cases.models import MissingReport


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from reunite.kunming import run_demo

    out = tmp_path_factory.mktemp("demo")
    lines: list[str] = []
    result = run_demo(out, echo=lines.append, reports=False)
    return out, result, "\n".join(lines)


def test_every_rescued_infant_has_a_chain_from_a_village_to_kunming(demo):
    _out, result, text = demo
    chains = {c["child"]: c for c in result["network"]["chains"]}
    found = [c for c in chains.values() if c["child_kind"] == "found"]
    assert sorted(c["child"] for c in found) == sorted(result["truth"])
    for c in found:
        assert c["source_place"].startswith("云南省") and c["steps"][-1]["place"] == "云南省昆明市"
        assert c["steps"][-1]["receiver_role"] == "seller"
        assert c["prices"][0] <= 10000
        dates = [s["on"] for s in c["steps"]]
        assert dates == sorted(dates)
    assert "Chain of custody of each rescued infant" in text and "KM-2014-001 (found child)" in text


def test_the_ten_unfound_children_went_to_buyers_in_shandong_fujian_and_henan(demo):
    _out, result, text = demo
    unfound = result["network"]["unfound"]
    assert len(unfound) == 10
    assert all(u["to_role"] == "buyer" and u["place"][:3] in ("山东省", "福建省", "河南省") for u in unfound)
    assert all(30000 <= u["price_yuan"] <= 140000 for u in unfound)
    assert {p["province"] for p in result["network"]["provinces"]} == {"山东省", "福建省", "河南省"}
    assert "10 children transferred and not found" in text


def test_the_gaps_and_the_parents_who_sold(demo):
    out, result, text = demo
    gaps = result["network"]["gaps"]
    assert "after_arrest" in gaps and "no_source" in gaps and "break" not in gaps
    with open_session(f"sqlite:///{out / 'reunite-demo.db'}") as s:
        flagged = set(s.scalars(select(MissingReport.report_number).where(MissingReport.suspected_of_sale)))
    assert {x["report"] for x in result["network"]["suspected"]} == flagged
    assert "reports, marked suspected of the sale by the network import" in text


def test_the_villages_of_the_infants_the_dna_has_not_placed_hold_their_families(demo):
    _out, result, text = demo
    villages = result["network"]["villages"]
    assert villages and "Infants the DNA has not placed" in text
    for case, leads in villages.items():
        truth = result["truth"][case]
        assert result["ranking"][case] == [] or truth is None or truth not in result["with_dna"], case
        if truth is not None:
            assert truth in [x["report"] for x in leads], (case, truth, leads)
            assert all(x["item"]["kind"] == "network" and x["lr"] > 1 for x in leads)


def test_the_demo_writes_the_network_picture(demo):
    out, result, text = demo
    png = result["picture"].read_bytes()
    assert result["picture"] == out / "network.png" and png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    assert "The network picture" in text


def test_the_rescued_infants_candidates_carry_the_network_item_and_no_place_item(demo):
    out, result, _text = demo
    from reunite.cases.models import Candidate

    with open_session(f"sqlite:///{out / 'reunite-demo.db'}") as s:
        cands = list(s.scalars(select(Candidate)))
        kinds = [{i.kind for i in c.items} for c in cands if c.found_child.ring_reference]
    assert kinds and all("network" in k and "place" not in k for k in kinds)
    # the true family of an infant the DNA places gets network support (its village is the chain's source)
    with open_session(f"sqlite:///{out / 'reunite-demo.db'}") as s:
        true = [c for c in s.scalars(select(Candidate))
                if result["truth"].get(c.found_child.case_number) == c.report.report_number]
        assert true and sum(next(i for i in c.items if i.kind == "network").lr > 1 for c in true) >= len(true) / 2
