"""From the gazetteer's resolved places to markers and flows: grouping, counting, naming.

Places come from :func:`reunite.evidence.place.resolve_place`, which resolves text to a county,
prefecture or province and gives that unit's coordinates (its seat in cpca's table), never an
address: a marker built here is as precise as the unit and no more.  Nothing here reads the store.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import pairwise

from ..evidence.place import ResolvedPlace, resolve_place
from .draw import Flow, Marker

__all__ = ["by_place", "group_markers", "place_name", "province_of", "resolve", "route_flows", "route_markers",
           "route_roles"]

_UNIT = re.compile(r".+?(?:特别行政区|自治区|自治州|自治县|自治旗|省|市|州|地区|盟|区|县|旗)")


@lru_cache(maxsize=4096)
def resolve(text: str | None) -> ResolvedPlace | None:
    """:func:`resolve_place`, remembered (pages resolve the same few places again and again)."""
    return resolve_place(text)


def place_name(place: ResolvedPlace, lang: str) -> str:
    """The unit's own short name: ``镇雄县`` / ``Zhenxiong`` for 云南省昭通市镇雄县."""
    if lang == "en":
        return place.name_en.split(",")[0].strip()
    units = _UNIT.findall(place.name_zh)
    return units[-1] if units else place.name_zh


def province_of(place: ResolvedPlace) -> ResolvedPlace:
    """The province holding a place (the place itself if it is one), at its seat's coordinates."""
    if place.level == "province":
        return place
    units = _UNIT.findall(place.name_zh)
    return (resolve(units[0]) if units else None) or place


def group_markers(items: Iterable[tuple[ResolvedPlace | None, str]], lang: str,
                  href: str | None = None) -> tuple[list[Marker], int]:
    """One marker per (place, kind) with the number of items there; and how many had no place.

    ``items`` are ``(place, kind)`` pairs; ``href`` (e.g. ``"#place-{adcode}"``) is formatted with
    the place's ``adcode`` to link each marker.
    """
    counts: Counter = Counter()
    places: dict[str, ResolvedPlace] = {}
    missing = 0
    for place, kind in items:
        if place is None:
            missing += 1
            continue
        counts[(place.adcode, kind)] += 1
        places[place.adcode] = place
    markers = [Marker(places[code].lon, places[code].lat, place_name(places[code], lang), kind, n,
                      href.format(adcode=code) if href else None)
               for (code, kind), n in sorted(counts.items())]
    return markers, missing


def route_flows(routes: Iterable[Sequence[ResolvedPlace | None]], lang: str) -> list[Flow]:
    """Flows from routes (each a child's places in order): one arrow per move between two different
    places, its count the number of routes making that move.  Unresolved places are skipped, so a
    route A, ?, B counts as A to B."""
    moves: Counter = Counter()
    places: dict[str, ResolvedPlace] = {}
    for route in routes:
        seen: set[tuple[str, str]] = set()
        stops = [p for p in route if p is not None]
        for a, b in pairwise(stops):
            if a.adcode == b.adcode or (a.adcode, b.adcode) in seen:
                continue
            seen.add((a.adcode, b.adcode))
            moves[(a.adcode, b.adcode)] += 1
            places[a.adcode], places[b.adcode] = a, b
    flows = []
    for (a, b), n in sorted(moves.items()):
        pa, pb = places[a], places[b]
        flows.append(Flow((pa.lon, pa.lat), (pb.lon, pb.lat), n,
                          f"{place_name(pa, lang)} → {place_name(pb, lang)}: {n}"))
    return flows


def route_roles(routes: Iterable[Sequence[ResolvedPlace | None]]) -> dict[str, str]:
    """The role of each place (by adcode) that routes move between: ``origin`` (routes only leave
    it), ``destination`` (routes only arrive there) or ``hub`` (both)."""
    arrive, leave = set(), set()
    for route in routes:
        stops = [p for p in route if p is not None]
        for a, b in pairwise(stops):
            if a.adcode != b.adcode:
                leave.add(a.adcode)
                arrive.add(b.adcode)
    return {code: "hub" if code in arrive and code in leave else ("origin" if code in leave else "destination")
            for code in sorted(arrive | leave)}


def route_markers(routes: Iterable[Sequence[ResolvedPlace | None]], lang: str) -> list[Marker]:
    """The places routes move between as markers of their role (:func:`route_roles`), each counted
    in the routes through it."""
    routes = [[p for p in route if p is not None] for route in routes]
    places = {p.adcode: p for route in routes for p in route}
    through = Counter(code for route in routes for code in {p.adcode for p in route})
    return [Marker(places[code].lon, places[code].lat, place_name(places[code], lang), kind, through[code])
            for code, kind in route_roles(routes).items()]


def by_place(items: Iterable[tuple[ResolvedPlace | None, object]]) -> dict[str | None, list]:
    """Items grouped by the adcode of their place (None: no place), in the order given."""
    out: dict[str | None, list] = defaultdict(list)
    for place, item in items:
        out[place.adcode if place is not None else None].append(item)
    return dict(out)
