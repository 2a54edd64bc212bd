"""The network on a map: where the children were lost, found and handed over, and where they went.

Built from a :class:`~reunite.network.analysis.Network` (its chains of custody) and the store's
found children and reports, drawn with :mod:`reunite.maps`:

* :func:`network_places` — markers: ``lost`` (a report's place of disappearance), ``found`` (a
  found child's place), ``origin`` (where a chain begins: the village the child was bought in),
  ``hub`` (a place children were both brought to and taken from: Kunming), ``custody`` (other
  places along a chain), ``destination`` (where an unfound child's chain ends); with a table of the
  same places for the page (children's codes, for investigators only);
* :func:`network_flows` — one arrow per move between two places along the chains (a found child's
  chain continues to where it was found), counted in children: villages → Kunming → the buyers'
  provinces;
* :func:`places_map` and :func:`flow_map` — the SVG drawings.

Places are resolved by the gazetteer (county, prefecture or province; never finer).  Investigators
only: the caller audits the read (:func:`reunite.network.analysis.audit_read`).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..cases.models import FoundChild, MissingReport
from ..maps import Flow, Marker, draw_china
from ..maps.places import place_name, province_of, resolve, route_flows, route_markers, route_roles
from .analysis import Chain, Network

__all__ = ["flow_map", "network_flows", "network_places", "places_map"]

_TITLES = {"places": {"zh": "拐卖网络涉及的地点", "en": "Places of the network"},
           "flows": {"zh": "被拐儿童的流向：来源地 → 中转地 → 去向", "en": "Where the children were moved: "
                                                                 "origins → hub → destinations"}}


def _found_and_lost(session: Session, chains: list[Chain]) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """The found place of each found child and the lost place of each report named by the chains."""
    found_codes = [c.child for c in chains if c.child_kind == "found"]
    report_codes = [c.child for c in chains if c.child_kind == "report"]
    found = {code: place for code, place in session.execute(
        select(FoundChild.case_number, FoundChild.found_place).where(FoundChild.case_number.in_(found_codes)))}
    lost = {code: place for code, place in session.execute(
        select(MissingReport.report_number, MissingReport.disappeared_place)
        .where(MissingReport.report_number.in_(report_codes)))}
    return found, lost


def _routes(session: Session, chains: list[Chain], destinations: str = "place") -> list[list]:
    """Each chain's places in order (a found child's ends where it was found); with ``destinations=
    "province"`` the last place of an unfound child's chain is its province."""
    found, _ = _found_and_lost(session, chains)
    routes = []
    for c in chains:
        route = [resolve(s.place) for s in c.steps]
        if c.child_kind == "found":
            route.append(resolve(found.get(c.child)))
        elif destinations == "province" and route and route[-1] is not None:
            route[-1] = province_of(route[-1])
        routes.append(route)
    return routes


def network_flows(session: Session, network: Network, lang: str = "zh", *, destinations: str = "place") -> list[Flow]:
    """The moves between places along every chain, counted in children (see the module docstring);
    ``destinations="province"`` gathers the unfound children's last places by province."""
    return route_flows(_routes(session, network.chains(), destinations), lang)


def network_places(session: Session, network: Network, lang: str = "zh") -> tuple[list[Marker], list[dict]]:
    """Markers of the places lost, found and along the chains, and a table of them for the page.

    Each table row: ``adcode``, ``name``, ``kind``, ``children`` (codes, sorted).  A place is a hub
    when children both arrive there and leave from there along the chains."""
    chains = network.chains()
    found, lost = _found_and_lost(session, chains)
    hubs = {code for code, role in route_roles(_routes(session, chains)).items() if role == "hub"}
    kids: dict[tuple[str, str], set[str]] = defaultdict(set)
    places = {}

    def add(text: str | None, kind: str, child: str) -> None:
        place = resolve(text)
        if place is not None:
            if kind == "custody" and place.adcode in hubs:
                kind = "hub"
            places[place.adcode] = place
            kids[(place.adcode, kind)].add(child)

    for c in chains:
        for i, s in enumerate(c.steps):
            last = i == len(c.steps) - 1 and c.child_kind != "found"
            add(s.place, "origin" if i == 0 else ("destination" if last else "custody"), c.child)
        if c.child_kind == "found":
            add(found.get(c.child), "found", c.child)
        elif c.child_kind == "report":
            add(lost.get(c.child), "lost", c.child)
    markers, rows = [], []
    for (code, kind), children in sorted(kids.items()):
        p = places[code]
        markers.append(Marker(p.lon, p.lat, place_name(p, lang), kind, len(children), f"#place-{code}"))
        rows.append({"adcode": code, "name": p.name_zh if lang == "zh" else p.name_en, "kind": kind,
                     "children": sorted(children)})
    return markers, rows


def places_map(session: Session, network: Network, lang: str = "zh", *, uid: str = "netmap",
               text_scale: float = 1.0) -> str:
    """The SVG map of the network's places (the area around them)."""
    markers, _ = network_places(session, network, lang)
    return draw_china(markers, lang=lang, title=_TITLES["places"][lang], extent="fit", uid=uid,
                      text_scale=text_scale)


def flow_map(session: Session, network: Network, lang: str = "zh", *, extent: str = "china", uid: str = "flowmap",
             destinations: str = "province", text_scale: float = 1.0) -> str:
    """The SVG flow map: origins → hub → destinations (by province unless ``destinations="place"``),
    the places as markers counted in children."""
    routes = _routes(session, network.chains(), destinations)
    return draw_china(route_markers(routes, lang), route_flows(routes, lang), lang=lang, title=_TITLES["flows"][lang],
                      extent=extent, uid=uid, text_scale=text_scale)
