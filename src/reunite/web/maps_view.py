"""The map pages: the public map of appeals and the investigators' maps of the network (rules in access.RULES).

* ``GET /map/appeals`` (everyone): the published appeals placed where the child was found or went
  missing, when the investigator published the place, at the county, prefecture or province of the
  appeal's public view (:func:`reunite.cases.appeals.public_view`: never the text of the place, never
  an address), counted per place, with the list of appeals by place below the map.
* ``GET /map/network`` (investigators, audited): the places of an investigation: lost, found, origin,
  hub, custody, destination (:func:`reunite.network.mapping.network_places`).
* ``GET /map/flows`` and ``/map/flows.svg`` (investigators, audited): the flow map, origins → hub →
  destination provinces (:func:`reunite.network.mapping.flow_map`).

Each page carries two drawings of the same map, one for wide screens and one with larger text for
phones (CSS picks one; no JavaScript).  The network is never shown to families or the public.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ..cases.appeals import published_views
from ..cases.models import User
from ..errors import InputError
from ..maps import draw_china
from ..maps.places import by_place, group_markers, resolve
from ..network.analysis import Network, audit_read, investigations
from ..network.mapping import flow_map, network_flows, network_places, places_map
from .access import WebError, authorize, current_user, get_db
from .i18n import choose_language, translator
from .responses import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False, dependencies=[Depends(authorize)])

DB = Annotated[Session, Depends(get_db)]
Me = Annotated[User | None, Depends(current_user)]
Investigation = Annotated[str | None, Query(max_length=100)]
PHONE_TEXT = 2.4  # text scale of the drawing shown on phones
MARKER_KIND = {"found": "found", "missing": "lost"}  # an appeal's kind -> its marker's


def _both(draw, **kw) -> dict[str, str]:
    """The wide and the phone drawing of one map."""
    return {"wide": draw(uid="mw", **kw), "narrow": draw(uid="mn", text_scale=PHONE_TEXT, **kw)}


@router.get("/map/appeals")
def appeals_map(request: Request, db: DB):
    lang = choose_language(request)
    t = translator(lang)
    views = published_views(db)
    # The public view holds the place only when the investigator published it, as its unit's name.
    rows = [(resolve(v.place_zh) if v.adcode else None, v) for v in views]
    markers, unplaced = group_markers(((p, MARKER_KIND[v.kind]) for p, v in rows), lang, href="#place-{adcode}")
    places = {p.adcode: p for p, _ in rows if p is not None}
    groups = [{"adcode": code, "name": places[code].name_zh if lang == "zh" else places[code].name_en,
               "appeals": items} for code, items in by_place(rows).items() if code is not None]
    groups.sort(key=lambda g: (-len(g["appeals"]), g["name"]))
    kind_labels = {"found": t("maps.kind.found"), "lost": t("maps.kind.lost")}
    maps = _both(lambda **kw: draw_china(markers, lang=lang, title=t("maps.appeals.title"),
                                         labels=len(markers) <= 80, kind_labels=kind_labels, **kw))
    return render(request, "maps_appeals.html", {"maps": maps, "groups": groups, "unplaced": unplaced,
                                                 "unresolved": by_place(rows).get(None, []), "total": len(rows)})


def _network(db: Session, investigation: str | None) -> Network | None:
    """The investigation's network, or None when the store has none (or several and none is named)."""
    if not investigations(db) and investigation is None:
        return None
    try:
        return Network.from_store(db, investigation)
    except InputError:
        return None


@router.get("/map/network")
def network_map(request: Request, user: Me, db: DB, investigation: Investigation = None):
    lang = choose_language(request)
    net = _network(db, investigation)
    if net is None:
        return render(request, "maps_network.html", {"net": None, "known": investigations(db)})
    _, rows = network_places(db, net, lang)
    audit_read(db, user.name, "map", net.investigation, count=len(rows))
    maps = _both(lambda **kw: places_map(db, net, lang, **kw))
    return render(request, "maps_network.html", {"net": net, "maps": maps, "rows": rows,
                                                 "known": investigations(db)})


@router.get("/map/flows")
def flows_map(request: Request, user: Me, db: DB, investigation: Investigation = None):
    lang = choose_language(request)
    net = _network(db, investigation)
    if net is None:
        return render(request, "maps_flows.html", {"net": None, "known": investigations(db)})
    flows = network_flows(db, net, lang, destinations="province")
    audit_read(db, user.name, "flow_map", net.investigation, count=len(flows))
    maps = _both(lambda **kw: flow_map(db, net, lang, **kw))
    rows = sorted(({"label": f.label.rsplit(":", 1)[0], "count": f.count} for f in flows),
                  key=lambda r: (-r["count"], r["label"]))
    return render(request, "maps_flows.html", {"net": net, "maps": maps, "rows": rows, "known": investigations(db)})


@router.get("/map/flows.svg")
def flows_svg(request: Request, user: Me, db: DB, investigation: Investigation = None):
    lang = choose_language(request)
    net = _network(db, investigation)
    if net is None:
        raise WebError(404, "not_found", "there is no network to draw: import ring.csv and transfers.csv")
    audit_read(db, user.name, "flow_map", net.investigation)
    return Response(flow_map(db, net, lang), media_type="image/svg+xml",
                    headers={"Content-Disposition": f'attachment; filename="flow-map-{lang}.svg"'})
