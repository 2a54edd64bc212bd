"""Leads from the network into the matching and the appeals (pure functions; see docs/network.md).

* :func:`network_lr` — a found child's chain starts at a place (the village where the ring got
  the child); a report lost near there is more probable to be the child's family.  The result is
  an evidence-like item ``{"kind": "network", "lr", "log10_lr", "model", "parameters", "data",
  "sentence", "sentence_zh"}``, meant to be its own line of evidence (a prior multiplier shown
  apart from the DNA), never folded into the DNA figure.
* :func:`village_leads` — for a found child, every open report scored by :func:`network_lr`: the
  families (and villages) to look at first.
* :func:`province_leads` — the provinces the unfound children were taken to: leads for appeals.
* :func:`suspected_families` — a parent who handed their child to the ring: the report to mark
  as suspected of the sale, with the record that says so (nothing is changed here).

The model of :func:`network_lr`
-------------------------------
The evidence is the distance d between the chain's source place S (resolved by the place
evidence's gazetteer, :func:`reunite.evidence.place.resolve_place`) and the report's lost place L.

* H1 (the found child is this report's child): with probability 1 − ε the family lost the child
  near where the ring got it, L = S + a 2-D Gaussian displacement of sd ``sd_km`` (10 km: the
  family's village against the place the handover is recorded at), blurred by both places'
  precision (``sd_km`` of each resolved place); with probability ε (``misattribution``, 0.1) the
  chain's source is wrong for this child (a misrecorded place, a child passed on from elsewhere)
  and L is like any report's lost place.
* H2 (another child): L is a random lost place of the reference population (the place
  evidence's :class:`~reunite.evidence.place.PlaceReference`: every county by default, or the
  store's open reports).

LR = ε + (1 − ε) · f_near(d) / f_H2(d), so the LR is at least ε (a report far from the village
is weakened, never excluded), and it is capped, like the place LR, by the coarser precision of
the two places (100 county, 10 prefecture, 2 province; floor 1/cap).  An unresolved place gives
LR 1.  The item is not independent of the place item (lost place against found place): when a
candidate has a network item, the place item of the same pair adds the chain's end, which the
chain already explains; use one of them (the network item where a chain exists).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..cases.models import MissingReport
from ..evidence.place import CAPS, PlaceReference, ResolvedPlace, distance_km, resolve_place
from ..genetics import format_lr
from .analysis import Network, chain_of
from .models import NetworkPerson, NetworkTransfer

__all__ = ["DEFAULT_MISATTRIBUTION", "DEFAULT_SD_KM", "MODEL", "network_lr", "province_leads", "suspected_families",
           "village_leads"]

#: sd (km, per axis) of the family's lost place around the chain's source place, under H1.
DEFAULT_SD_KM = 10.0
#: Probability, under H1, that the chain's source place is wrong for this child.
DEFAULT_MISATTRIBUTION = 0.1
MODEL = ("distance between the chain's source place and the report's lost place; H1: lost = source + "
         "N2(0, sd_km² + both places' errors) with probability 1 - misattribution, else as under H2; H2: the lost "
         "place is a random place of the reference population; LR capped by the coarser precision")
_LEVELS = ("province", "prefecture", "county")
_LEVEL_ZH = {"county": "县级", "prefecture": "地级", "province": "省级"}


def _resolve(place: str | ResolvedPlace | None) -> ResolvedPlace | None:
    if place is None or isinstance(place, ResolvedPlace):
        return place
    return resolve_place(place)


def _item(lr: float, params: dict, data: dict, note: str, note_zh: str) -> dict:
    log10 = math.log10(lr)
    if abs(log10) < 1e-12:
        sentence = "The network evidence is as probable either way (LR 1)."
        sentence_zh = "网络证据在两种假设下出现的概率相同（似然比为 1）。"
    elif log10 > 0:
        sentence = (f"The network evidence is {format_lr(lr, log10)} times more probable if the found child is this "
                    "report's missing child than if it is another child.")
        sentence_zh = (f"网络证据在“被寻儿童是该报告的失踪儿童”的假设下出现的概率，"
                       f"是另一儿童假设下的 {format_lr(lr, log10)} 倍。")
    else:
        sentence = (f"The network evidence is {format_lr(1 / lr, -log10)} times more probable if the found child is "
                    "another child than if it is this report's missing child.")
        sentence_zh = (f"网络证据在“被寻儿童是另一个儿童”的假设下出现的概率，"
                       f"是该报告失踪儿童假设下的 {format_lr(1 / lr, -log10)} 倍。")
    return {"kind": "network", "lr": lr, "log10_lr": log10, "model": MODEL, "parameters": params, "data": data,
            "sentence": f"{sentence} {note}".strip(), "sentence_zh": f"{sentence_zh}{note_zh}"}


def network_lr(source_place: str | ResolvedPlace | None, lost_place: str | ResolvedPlace | None, *,
               sd_km: float = DEFAULT_SD_KM, misattribution: float = DEFAULT_MISATTRIBUTION,
               reference: PlaceReference | None = None, caps: dict[str, float] | None = None,
               chain: str | None = None) -> dict:
    """The network item of a found child (whose chain starts at ``source_place``) against a report
    lost at ``lost_place`` (text in Chinese or English, or resolved places); see the module.

    ``chain`` (the child's code) is recorded in the item's data.  Returns LR 1 when either place
    is missing or cannot be resolved.
    """
    if not (sd_km > 0 and math.isfinite(sd_km)):
        raise ValueError("sd_km must be a positive number of kilometres")
    if not 0 < misattribution < 1:
        raise ValueError("misattribution must be a probability strictly between 0 and 1")
    reference = PlaceReference.counties() if reference is None else reference
    caps = dict(CAPS if caps is None else caps)
    params = {"sd_km": sd_km, "misattribution": misattribution, "reference": reference.describe(), "caps": caps}
    src, lost = _resolve(source_place), _resolve(lost_place)
    data: dict = {"chain": chain}
    if src is None or lost is None:
        which = "the chain's source place" if src is None else "the report's lost place"
        which_zh = "链条起点" if src is None else "失踪地点"
        return _item(1.0, params, data, f"({which.capitalize()} is not recorded or not resolved.)",
                     f"（{which_zh}未记录或无法解析。）")
    d = distance_km(src, lost)
    s2 = sd_km ** 2 + src.sd_km ** 2 + lost.sd_km ** 2
    log_near = -math.log(s2) - d * d / (2.0 * s2)          # Rayleigh density / d, as the reference's
    log_h2 = reference.log_density(src, d, lost.sd_km)
    lr = misattribution + (1 - misattribution) * math.exp(min(log_near - log_h2, 700.0))
    level = min(src.level, lost.level, key=_LEVELS.index)
    cap = caps[level]
    capped = lr > cap or lr < 1 / cap
    lr = min(max(lr, 1 / cap), cap)
    data.update({"distance_km": round(d, 1), "source_adcode": src.adcode, "lost_adcode": lost.adcode,
                 "source_level": src.level, "lost_level": lost.level, "uncapped": not capped})
    note = f"(The chain starts {d:,.0f} km from where the child was lost"
    note_zh = f"（链条起点距失踪地点约 {d:,.0f} 公里"
    if capped:
        note += f"; capped at {cap:g} for places known to the {level}"
        note_zh += f"；按{_LEVEL_ZH[level]}精度，上限为 {cap:g}"
    return _item(lr, params, data, note + ".)", note_zh + "。）")


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
        out.append({"report": r.report_number, "lost_place": r.disappeared_place, "lr": item["lr"], "item": item})
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


def suspected_families(session: Session, investigation: str | None = None) -> list[dict]:
    """The reports whose parent handed the child to the ring: what to mark as suspected of the sale.

    Each: ``report`` (the report number to mark), ``person`` (the parent's code), ``transfer``
    (the handover), ``investigation``, ``price_yuan`` and ``source`` (the record that says so: the
    transfer's source, else the person's).  Nothing is changed; the matching decides what to do.
    """
    q = (select(NetworkTransfer, NetworkPerson).join(NetworkPerson, NetworkTransfer.from_id == NetworkPerson.id)
         .where(NetworkPerson.parent_of.is_not(None)))
    if investigation is not None:
        q = q.where(NetworkTransfer.investigation == investigation)
    out = []
    for t, p in session.execute(q.order_by(NetworkPerson.parent_of, NetworkTransfer.code)):
        out.append({"report": p.parent_of, "person": p.code, "transfer": t.code, "investigation": t.investigation,
                    "child": t.child, "price_yuan": t.price_yuan, "on": t.transferred_on.isoformat()
                    if t.transferred_on else None, "source": t.source or p.source})
    return out
