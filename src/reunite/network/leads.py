"""Leads from the network into the matching and the appeals (see docs/network.md).

* :func:`network_lr` — a found child's chain starts at a place (the village where the ring got
  the child); a report lost near there is more probable to be the child's family.  The result is
  an evidence item of kind ``network`` (an LR on the prior odds, its own line of evidence, never
  folded into the DNA figure).
* :func:`village_leads` — for a found child, every open report scored by :func:`network_lr`: the
  families (and villages) to look at first.
* :func:`province_leads` — the provinces the unfound children were taken to: leads for appeals.
* :func:`suspected_families` — a parent who handed their child to the ring: the report to mark
  as suspected of the sale, with the record that says so; :func:`mark_suspected_families` marks
  them (audited; the network import does it).

The model of :func:`network_lr` is the evidence layer's (:mod:`reunite.evidence.network`, stated in
docs/network.md): the distance between the chain's source place and the report's lost place.
:func:`matching_context` hands the matching the found children's chain sources (plain data), so
every candidate of a found child with a chain gets the network item as its own line of evidence
(registered in :mod:`reunite.evidence.kinds`); it is registered with the matching when this
module is imported (:func:`reunite.cases.matching.add_context_provider`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..cases.matching import add_context_provider
from ..cases.models import MissingReport
from ..evidence.network import network_lr
from ..evidence.place import ResolvedPlace, resolve_place
from .analysis import Network, Transfer, build_chain, chain_of
from .models import NetworkTransfer
from .suspected import mark_suspected_families, suspected_families

__all__ = ["mark_suspected_families", "matching_context", "network_lr", "province_leads", "suspected_families",
           "village_leads"]


def matching_context(session: Session) -> dict[str, object]:
    """What the matching's evidence needs of the network: ``network_sources``, each found child's
    case number → the place its chain of custody starts at (children whose chain has no place are
    left out; a child in several investigations: the first investigation's chain)."""
    rows = session.execute(select(NetworkTransfer.investigation, NetworkTransfer.child, NetworkTransfer.code,
                                  NetworkTransfer.from_id, NetworkTransfer.to_id, NetworkTransfer.transferred_on,
                                  NetworkTransfer.place)
                           .where(NetworkTransfer.child_kind == "found"))
    groups: dict[tuple[str, str], list[Transfer]] = defaultdict(list)
    for inv, child, code, f, to, on, place in rows:
        groups[(child, inv)].append(Transfer(code, "found", child, f and str(f), to and str(to), on, place))
    sources: dict[str, str] = {}
    for (child, _inv), transfers in sorted(groups.items()):
        place = build_chain(transfers, {}).source_place
        if place and child not in sources:
            sources[child] = place
    return {"network_sources": sources}


add_context_provider(matching_context)


def _resolve(place: str | None) -> ResolvedPlace | None:
    return resolve_place(place) if place else None


def village_leads(session: Session, case_number: str, *, reports: Iterable[MissingReport] | None = None,
                  top: int = 10, **model) -> list[dict]:
    """For the found child ``case_number``, the open reports ranked by :func:`network_lr` from the
    source place of the child's chain (``[]`` when the child has no chain): each with its report
    number, lost place and the item.  ``model`` is passed to :func:`network_lr`."""
    chains = [c for c in chain_of(session, case_number) if c.child_kind == "found"]
    if not chains or chains[0].source_place is None:
        return []
    chain = chains[0]
    src = resolve_place(chain.source_place)
    if reports is None:
        reports = session.scalars(select(MissingReport).where(MissingReport.status == "open")
                                  .order_by(MissingReport.report_number))
    out = []
    for r in reports:
        item = network_lr(src, r.disappeared_place, chain=case_number, **model)
        out.append({"report": r.report_number, "lost_place": r.disappeared_place, "lr": item.lr,
                    "item": item.as_dict()})
    out.sort(key=lambda x: (-x["lr"], x["report"]))
    return out[:top]


def province_leads(network: Network) -> list[dict]:
    """Where the unfound children were taken: per province of their last transfer's place (or the
    receiver's home place), the children, the receivers and the transfers, most children first."""
    by: dict[str, dict] = defaultdict(lambda: {"children": [], "receivers": set(), "transfers": []})
    for u in network.unfound():
        place = _resolve(u["place"]) or _resolve(u["to_home_place"])
        province = _province(place) if place is not None else "(unresolved)"
        rec = by[province]
        rec["children"].append(u["child"])
        if u["to"]:
            rec["receivers"].add(u["to"])
        rec["transfers"].append(u["last_transfer"])
    return sorted(({"province": p, "children": r["children"], "receivers": sorted(r["receivers"]),
                    "transfers": r["transfers"]} for p, r in by.items()),
                  key=lambda x: (-len(x["children"]), x["province"]))


def _province(place: ResolvedPlace) -> str:
    """The province part of a resolved place's Chinese name (its first unit)."""
    name = place.name_zh
    for end in ("省", "自治区", "市"):
        k = name.find(end)
        if k > 0:
            return name[:k + len(end)]
    return name
