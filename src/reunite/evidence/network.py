"""The network evidence: where a found child's chain of custody starts, against where a report's child was lost.

A trafficking ring records where it got a child (the first handover of the child's chain of
custody, :mod:`reunite.network`): the family lost the child near there.  For a found child with
a chain and a report, the evidence is the distance d between the chain's source place S and the
report's lost place L (both resolved by the place evidence's gazetteer,
:func:`~reunite.evidence.place.resolve_place`):

* H1 (the found child is this report's child): with probability 1 − ε the family lost the child
  near where the ring got it, L = S + a 2-D Gaussian displacement of ``sd_km`` (10 km per axis:
  the family's village against the place the handover is recorded at), blurred by both places'
  own precision; d is then Rayleigh with σ² = sd_km² + sd_S² + sd_L².  With probability ε
  (``misattribution``, 0.1) the chain's source is wrong for this child (a misrecorded place, a
  child passed on from elsewhere) and L is like any report's lost place.
* H2 (another child): L is a random lost place of the reference population
  (:class:`~reunite.evidence.place.PlaceReference`: every county by default, or the store's reports).

LR = ε + (1 − ε) · f_near(d) / f_H2(d): at least ε (a report far from the village is weakened,
never excluded) and, like the place LR, capped by the coarser precision of the two places (100
county, 10 prefecture, 2 province; floor 1/cap).  An unresolved place gives LR 1.

The item is a likelihood ratio on the prior odds: shown as its own line (``network``) on the
candidate page and the report's investigative page, never folded into the DNA figure.  It is not
independent of the place item (lost place against found place: the chain explains how the child
got from the village to where it was found), so a found child with a chain has the network item
instead of the place item (:func:`reunite.evidence.kinds.place_of_pair`).

This layer reads no store: the matching hands over ``context["network_sources"]``, a mapping of
found children's case numbers to their chains' source places (plain text), built by
:func:`reunite.network.leads.matching_context`.  docs/network.md states the model and its effect.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache

from ._bilingual import BilingualItem
from .fusion import EvidenceItem
from .place import CAPS, PlaceReference, ResolvedPlace, distance_km, resolve_place

__all__ = ["DEFAULT_MISATTRIBUTION", "DEFAULT_SD_KM", "MODEL", "network_lr", "network_of_pair"]

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


def network_lr(source_place: str | ResolvedPlace | None, lost_place: str | ResolvedPlace | None, *,
               sd_km: float = DEFAULT_SD_KM, misattribution: float = DEFAULT_MISATTRIBUTION,
               reference: PlaceReference | None = None, caps: dict[str, float] | None = None,
               chain: str | None = None) -> BilingualItem:
    """The network item of a found child whose chain starts at ``source_place`` against a report
    lost at ``lost_place`` (texts in Chinese or English, or resolved places); see the module.

    ``chain`` (the child's code) is kept in the item's ``observed``.  LR 1 when either place is
    missing or cannot be resolved.
    """
    if not (isinstance(sd_km, (int, float)) and sd_km > 0 and math.isfinite(sd_km)):
        raise ValueError("sd_km must be a positive number of kilometres")
    if not (isinstance(misattribution, (int, float)) and 0 < misattribution < 1):
        raise ValueError("misattribution must be a probability strictly between 0 and 1")
    reference = PlaceReference.counties() if reference is None else reference
    caps = dict(CAPS if caps is None else caps)
    params = {"sd_km": sd_km, "misattribution": misattribution, "reference": reference.describe(), "caps": caps}
    src, lost = _resolve(source_place), _resolve(lost_place)
    data: dict = {"chain": chain}
    if src is None or lost is None:
        which = "the chain's source place" if src is None else "the report's lost place"
        which_zh = "链条起点" if src is None else "失踪地点"
        return BilingualItem("network", 1.0, 0.0, MODEL, params, data,
                             f"({which[0].upper()}{which[1:]} is not recorded or not resolved.)",
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
    note = f"(The chain of custody starts {d:,.0f} km from where the child was lost"
    note_zh = f"（拐卖链条起点距失踪地点约 {d:,.0f} 公里"
    if capped:
        note += f"; capped at {cap:g} for places known to the {level}"
        note_zh += f"；按{_LEVEL_ZH[level]}精度，上限为 {cap:g}"
    return BilingualItem("network", lr, math.log10(lr), MODEL, params, data, note + ".)", note_zh + "。）")


def network_of_pair(found: object, report: object, context: Mapping[str, object]) -> EvidenceItem | None:
    """The network item of a pair: the found child's chain source (``context["network_sources"]``,
    case number → place text) against the report's lost place, with H2's reference
    ``context["place_reference"]`` (every county by default).  A found child without a chain has
    no network item."""
    sources = context.get("network_sources")
    if not isinstance(sources, Mapping):
        return None
    case = getattr(found, "case_number", None)
    if case not in sources:
        return None
    return _pair_item(sources[case], getattr(report, "disappeared_place", None), context.get("place_reference"),
                      case)


@lru_cache(maxsize=65536)
def _pair_item(source: object, lost: object, reference: object, case: object) -> EvidenceItem:
    # (a pure function of the two texts and the reference: many pairs share them)
    return network_lr(source, lost, reference=reference, chain=case)  # type: ignore[arg-type]
