"""The network in the matching: the network item on a candidate (its own line, the place item left
out), its effect on the posterior, and the reports marked suspected of the sale."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

from sqlalchemy import select

from reunite.cases.db import open_session
from reunite.cases.matching import population_context, run_matching
from reunite.cases.models import AuditEntry, Candidate, MissingReport
from reunite.evidence import compute_items, fuse
from reunite.evidence.network import network_lr, network_of_pair
from reunite.evidence.registry import get_kind, label
from reunite.network import import_network, matching_context

ZHENXIONG = "云南省昭通市镇雄县"


def test_the_network_kind_is_registered_and_needs_a_chain():
    kind = get_kind("network")
    assert kind is not None and not kind.dna and label("network", "zh") == "拐卖网络"
    child = SimpleNamespace(case_number="KM-9", found_place="云南省昆明市")
    report = SimpleNamespace(disappeared_place=ZHENXIONG)
    assert network_of_pair(child, report, {}) is None                      # no chain: no item
    item = network_of_pair(child, report, {"network_sources": {"KM-9": ZHENXIONG}})
    assert item.kind == "network" and item.lr == 100.0 and item.observed["chain"] == "KM-9"


def test_a_child_with_a_chain_has_the_network_item_instead_of_the_place_item():
    child = SimpleNamespace(case_number="KM-9", found_place="云南省昆明市", sex=None)
    report = SimpleNamespace(disappeared_place=ZHENXIONG, sex=None)
    without = {i.kind for i in compute_items(child, report)}
    with_chain = {i.kind for i in compute_items(child, report, network_sources={"KM-9": ZHENXIONG})}
    assert "place" in without and "network" not in without
    assert "network" in with_chain and "place" not in with_chain


def test_the_prior_effect_is_the_network_lr_on_the_prior_odds():
    # Hand computation: prior 1/100 (odds 1/99); a network LR of 100 gives posterior odds 100/99,
    # P = 100/199; the network item is a factor on the odds like any LR, shown apart from the DNA.
    item = network_lr(ZHENXIONG, ZHENXIONG)
    post = fuse([item], prior=0.01)
    assert math.isclose(post.probability, 100 / 199, rel_tol=1e-12)
    assert not post.has_dna and post.factor("network") is item


def test_the_matching_gives_the_candidates_of_a_chained_child_the_network_item(loaded):
    url, _r, _t = loaded
    with open_session(url) as s:
        assert matching_context(s) == {"network_sources": {"KM-001": ZHENXIONG}}
        assert population_context(s)["network_sources"] == {"KM-001": ZHENXIONG}
        run_matching(s, prior=0.01)
        cands = {(c.found_child.case_number, c.report.report_number): c for c in s.scalars(select(Candidate))}
        c = cands[("KM-001", "R-1")]                   # R-1 lost in Zhaotong, the chain starts in Zhenxiong
        kinds = {i.kind: i for i in c.items}
        assert "network" in kinds and "place" not in kinds and "dna" not in kinds
        net = kinds["network"]
        assert math.isclose(net.lr, 10.0)            # capped at the prefecture level ("Zhaotong")
        assert "拐卖网络" in net.sentence_in("zh") and "chain of custody starts" in net.sentence_in("en")
        # the posterior is the prior odds times the items' LRs, the network's among them
        log10 = sum(i.log10_lr for i in c.items)
        odds = 0.01 / 0.99 * 10 ** min(log10, 3.0)
        assert math.isclose(c.posterior, odds / (1 + odds), rel_tol=1e-9)
        others = [k for (case, _), k in cands.items() if case != "KM-001"]
        assert others and all("network" not in {i.kind for i in k.items} for k in others)


def test_the_import_marks_the_report_of_a_parent_who_sold_audited(store):
    url, ring, transfers = store
    with open_session(url) as s:
        res = import_network(s, ring, transfers, investigation="KM-RING", user="inv")
        assert res.suspected == ["R-1"] and "1 reports marked suspected of the sale (R-1)" in str(res)
        flags = {r.report_number: r.suspected_of_sale for r in s.scalars(select(MissingReport))}
        assert flags == {"R-1": True, "R-2": False, "R-3": False}
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "report.suspected_of_sale")).all()
        assert (entry.entity, entry.entity_id, entry.actor) == ("report", "R-1", "inv")
        assert json.loads(entry.details) == {"investigation": "KM-RING", "transfer": "T1", "person": "P1"}
        again = import_network(s, ring, transfers, investigation="KM-RING", user="inv")
        assert again.suspected == []                   # already marked: no second mark, no second entry
        assert len(s.scalars(select(AuditEntry).where(AuditEntry.action == "report.suspected_of_sale")).all()) == 1
