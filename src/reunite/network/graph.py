"""The network drawn: filtered by date and place, laid out by role, as the web graph's elements and
a picture (PNG).

* :func:`filtered` — the transfers of a date range and a place (the people they involve, and the
  relations among those people);
* :func:`layout` — people in columns by their role in the trade (parents and sources on the left,
  buyers on the right), each column ordered by the date of the person's first transfer: the
  children's flow reads left to right, and the same data always give the same picture;
* :func:`elements` — the graph as Cytoscape.js elements (the investigators' network page);
* :func:`reunite.network.picture.draw_png` — the same picture with matplotlib (the demo writes it
  beside the reports; its own module, so that the web does not load matplotlib);
(the flow map of where the children were taken is :func:`reunite.network.mapping.flow_map`).

Names are personal data: the elements carry them for the investigators' page (in the node's
details, not its label); the PNG never does.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from ..errors import InputError, Problem
from ..evidence.kinds import resolved
from .analysis import Network

__all__ = ["ROLE_COLOURS", "ROLE_ORDER", "elements", "filtered", "layout"]

#: The columns of the layout, left to right: where a child comes from to where it ends.
ROLE_ORDER = ("parent", "organiser", "broker", "forger", "suspect", "other", "courier", "seller", "buyer")
#: A colour per role (Okabe-Ito, distinguishable with the common colour-vision deficiencies).
ROLE_COLOURS = {"parent": "#D55E00", "organiser": "#000000", "broker": "#E69F00", "forger": "#999999",
                "suspect": "#777777", "other": "#BBBBBB", "courier": "#56B4E9", "seller": "#0072B2",
                "buyer": "#009E73"}
_COLUMN_GAP, _ROW_GAP = 160.0, 46.0


def _place_matcher(place: str):
    """A test of a transfer's place against ``place``: the text contains it, or both resolve and the
    transfer's unit lies inside the asked one (a province holds its prefectures and counties)."""
    want = place.strip()
    unit = resolved(want)
    prefix = None if unit is None else unit.adcode[:{"province": 2, "prefecture": 4}.get(unit.level, 6)]

    def match(text: str | None) -> bool:
        if not text:
            return False
        if want.lower() in text.lower():
            return True
        got = resolved(text) if prefix is not None else None
        return got is not None and got.adcode.startswith(prefix)

    return match


def filtered(net: Network, *, since: dt.date | None = None, until: dt.date | None = None,
             place: str | None = None) -> Network:
    """The transfers dated from ``since`` to ``until`` (inclusive; an undated transfer is kept only
    without a date filter) at ``place`` (see :func:`_place_matcher`), with the people they involve
    and the relations among them; the whole network when no filter is given."""
    if since and until and since > until:
        raise InputError(Problem(f"the first date ({since}) is after the last ({until})", field="since"))
    if not since and not until and not (place or "").strip():
        return net
    at = _place_matcher(place) if (place or "").strip() else None
    kept = [t for t in net.transfers
            if (since is None or (t.on is not None and t.on >= since))
            and (until is None or (t.on is not None and t.on <= until))
            and (at is None or at(t.place))]
    people = {c for t in kept for c in (t.sender, t.receiver) if c}
    return Network([p for c, p in net.people.items() if c in people], kept,
                   [r for r in net.relations if r.person in people and r.other in people], net.investigation)


def layout(net: Network) -> dict[str, tuple[float, float]]:
    """Positions (x, y in pixels, y down) of every person: a column per role of :data:`ROLE_ORDER`
    (empty columns closed up), ordered in it by the date of their first transfer, then code."""
    first: dict[str, dt.date] = {}
    for t in net.transfers:
        for c in (t.sender, t.receiver):
            if c and t.on and (c not in first or t.on < first[c]):
                first[c] = t.on
    columns: dict[str, list[str]] = defaultdict(list)
    for code, p in net.people.items():
        columns[p.role if p.role in ROLE_ORDER else "other"].append(code)
    pos: dict[str, tuple[float, float]] = {}
    used = [r for r in ROLE_ORDER if columns.get(r)]
    tallest = max((len(columns[r]) for r in used), default=0)
    for x, role in enumerate(used):
        codes = sorted(columns[role], key=lambda c: (first.get(c, dt.date.max), c))
        top = (tallest - len(codes)) * _ROW_GAP / 2
        for y, code in enumerate(codes):
            pos[code] = (x * _COLUMN_GAP, top + y * _ROW_GAP)
    return pos


def elements(net: Network) -> list[dict]:
    """The graph as Cytoscape.js elements: a node per person (code as label; role, colour, home
    place, arrest, name in its data) at :func:`layout`'s position, an edge per transfer (an arrow
    from who handed the child over to who received it; a transfer with one side unknown is drawn
    from or to an "unknown" node) and per relation (undirected, dashed)."""
    pos = layout(net)
    out: list[dict] = []
    for code, p in sorted(net.people.items()):
        x, y = pos[code]
        out.append({"group": "nodes", "data": {
            "id": code, "label": code, "role": p.role, "colour": ROLE_COLOURS.get(p.role, "#BBBBBB"),
            "name": p.name or "", "home_place": p.home_place or "", "arrest": p.arrest_status,
            "arrested_on": p.arrested_on.isoformat() if p.arrested_on else "", "parent_of": p.parent_of or ""},
            "position": {"x": x, "y": y}})
    unknown = any(t.sender is None or t.receiver is None for t in net.transfers)
    if unknown:
        ys = [y for _x, y in pos.values()] or [0.0]
        out.append({"group": "nodes", "data": {"id": "?", "label": "?", "role": "unknown", "colour": "#FFFFFF",
                                               "name": "", "home_place": "", "arrest": "", "arrested_on": "",
                                               "parent_of": ""},
                    "position": {"x": -_COLUMN_GAP, "y": (min(ys) + max(ys)) / 2}})
    for t in sorted(net.transfers, key=lambda t: t.code):
        out.append({"group": "edges", "data": {
            "id": f"t:{t.code}", "source": t.sender or "?", "target": t.receiver or "?", "type": "transfer",
            "child": t.child, "child_kind": t.child_kind, "on": t.on.isoformat() if t.on else "",
            "place": t.place or "", "price_yuan": t.price_yuan, "transfer": t.code, "source_doc": t.source or ""}})
    for k, r in enumerate(net.relations):
        out.append({"group": "edges", "data": {"id": f"r:{k}", "source": r.person, "target": r.other,
                                               "type": "relation", "kind": r.kind}})
    return out
