"""Draw a map of China as SVG: provinces, prefectures, markers and flow arrows (see the package docstring)."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import InputError, Problem
from .outlines import Region, maritime_lines, outlines_source, prefectures, provinces
from .projection import albers

__all__ = ["KINDS", "Flow", "Kind", "Marker", "draw_china"]

MAX_MARKERS = 5000
MAX_FLOWS = 2000
# Longitude/latitude accepted for a marker or a flow end: China and its surroundings.
LON_RANGE, LAT_RANGE = (60.0, 150.0), (-5.0, 60.0)
# The South China Sea inset of the whole-country map (lon/lat box) and where the mainland map stops.
INSET_BOX = (106.0, 3.0, 124.0, 25.0)
MAINLAND_SOUTH = 17.5


@dataclass(frozen=True)
class Kind:
    """How a kind of marker looks (colour, shape) and its name in the legend (zh, en)."""

    colour: str
    shape: str  # circle, square, diamond, triangle
    zh: str
    en: str


# Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), and a shape each.
KINDS: dict[str, Kind] = {
    "lost": Kind("#D55E00", "circle", "走失 / 被拐地", "where lost"),
    "found": Kind("#0072B2", "square", "发现地", "where found"),
    "origin": Kind("#CC79A7", "circle", "来源地", "origin"),
    "custody": Kind("#E69F00", "diamond", "转手地", "along a chain of custody"),
    "hub": Kind("#000000", "diamond", "中转地", "hub"),
    "destination": Kind("#009E73", "triangle", "去向", "destination"),
    "place": Kind("#555555", "circle", "地点", "place"),
}
FLOW_COLOUR = "#6A3D9A"
_FONT = "'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','Microsoft YaHei',sans-serif"


@dataclass(frozen=True)
class Marker:
    """A point to mark: where (``lon``, ``lat`` degrees), its ``label``, its ``kind`` (a key of
    :data:`KINDS`), how many things it stands for (``count``, drawn as its size), and an optional
    link (``href``, e.g. the appeal's page).  Place markers at prefecture or county level, never at
    an address: the map shows whatever it is given."""

    lon: float
    lat: float
    label: str
    kind: str = "place"
    count: int = 1
    href: str | None = None


@dataclass(frozen=True)
class Flow:
    """An arrow from ``src`` to ``dst`` (each ``(lon, lat)`` degrees), ``count`` children (drawn as
    its width and written on it), and an optional ``label`` (its tooltip)."""

    src: tuple[float, float]
    dst: tuple[float, float]
    count: int = 1
    label: str = ""


# ---------------------------------------------------------------------------------------------
# Validation


def _check_point(lon: object, lat: object, where: str, problems: list[Problem]) -> None:
    for value, name, (lo, hi) in ((lon, "lon", LON_RANGE), (lat, "lat", LAT_RANGE)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            problems.append(Problem("must be a finite number of degrees", field=f"{where}.{name}"))
        elif not lo <= value <= hi:
            problems.append(Problem(f"{value:g} is outside {lo:g}..{hi:g} (China and its surroundings); "
                                    "is longitude swapped with latitude?", field=f"{where}.{name}"))


def _check_count(count: object, where: str, problems: list[Problem]) -> None:
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        problems.append(Problem("must be a whole number, at least 1", field=f"{where}.count"))


def _check_text(text: object, where: str, problems: list[Problem], *, limit: int = 200) -> None:
    if not isinstance(text, str) or len(text) > limit or "\x00" in text:
        problems.append(Problem(f"must be text of at most {limit} characters", field=where))


def _validate(markers: Sequence[Marker], flows: Sequence[Flow], lang: str, extent: object, detail: str,
              width: object, kind_labels: Mapping[str, str]) -> None:
    problems: list[Problem] = []
    if lang not in ("zh", "en"):
        problems.append(Problem(f"{lang!r} is not a language of the map: use 'zh' or 'en'", field="lang"))
    if detail not in ("none", "focus", "all"):
        problems.append(Problem(f"{detail!r}: use 'none', 'focus' or 'all'", field="prefectures"))
    if isinstance(width, bool) or not isinstance(width, int) or not 200 <= width <= 4000:
        problems.append(Problem("must be a whole number of pixels from 200 to 4000", field="width"))
    if isinstance(extent, str):
        if extent not in ("china", "fit"):
            problems.append(Problem(f"{extent!r}: use 'china', 'fit' or (lon_min, lat_min, lon_max, lat_max)",
                                    field="extent"))
    elif not (isinstance(extent, Sequence) and len(extent) == 4):
        problems.append(Problem("must be 'china', 'fit' or (lon_min, lat_min, lon_max, lat_max)", field="extent"))
    else:
        _check_point(extent[0], extent[1], "extent.min", problems)
        _check_point(extent[2], extent[3], "extent.max", problems)
        if not problems and (extent[0] >= extent[2] or extent[1] >= extent[3]):
            problems.append(Problem("the minimum must be below the maximum", field="extent"))
    if len(markers) > MAX_MARKERS:
        problems.append(Problem(f"{len(markers)} markers: at most {MAX_MARKERS} (group them by place)",
                                field="markers"))
    if len(flows) > MAX_FLOWS:
        problems.append(Problem(f"{len(flows)} flows: at most {MAX_FLOWS}", field="flows"))
    for i, m in enumerate(markers):
        where = f"markers[{i}]"
        if not isinstance(m, Marker):
            problems.append(Problem("must be a reunite.maps.Marker", field=where))
            continue
        _check_point(m.lon, m.lat, where, problems)
        _check_count(m.count, where, problems)
        _check_text(m.label, f"{where}.label", problems)
        if m.kind not in KINDS:
            problems.append(Problem(f"unknown kind {m.kind!r}: use one of {', '.join(KINDS)}", field=f"{where}.kind"))
        if m.href is not None:
            _check_text(m.href, f"{where}.href", problems, limit=500)
    for i, f in enumerate(flows):
        where = f"flows[{i}]"
        if not isinstance(f, Flow):
            problems.append(Problem("must be a reunite.maps.Flow", field=where))
            continue
        for end in ("src", "dst"):
            pt = getattr(f, end)
            if not (isinstance(pt, Sequence) and len(pt) == 2):
                problems.append(Problem("must be (lon, lat)", field=f"{where}.{end}"))
            else:
                _check_point(pt[0], pt[1], f"{where}.{end}", problems)
        _check_count(f.count, where, problems)
        _check_text(f.label, f"{where}.label", problems)
    for key, text in kind_labels.items():
        if key not in KINDS:
            problems.append(Problem(f"unknown kind {key!r}", field="kind_labels"))
        _check_text(text, f"kind_labels[{key}]", problems)
    if problems:
        raise InputError(problems)


# ---------------------------------------------------------------------------------------------
# Frame: projected coordinates to pixels


@dataclass(frozen=True)
class _Frame:
    x0: float
    y1: float
    scale: float
    width: int
    height: int

    @classmethod
    def around(cls, x0: float, y0: float, x1: float, y1: float, width: int) -> _Frame:
        scale = width / (x1 - x0)
        return cls(x0, y1, scale, width, max(1, round((y1 - y0) * scale)))

    def px(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        x, y = albers(lon, lat)
        return (x - self.x0) * self.scale, (self.y1 - y) * self.scale


def _projected_bbox(lon0: float, lat0: float, lon1: float, lat1: float) -> tuple[float, float, float, float]:
    """The bounding box of a lon/lat box once projected (its edges curve: sample them)."""
    lons, lats = np.meshgrid(np.linspace(lon0, lon1, 9), np.linspace(lat0, lat1, 9))
    x, y = albers(lons, lats)
    return float(x.min()), float(y.min()), float(x.max()), float(y.max())


@lru_cache(maxsize=1)
def _mainland_bbox() -> tuple[float, float, float, float]:
    pts = np.vstack([ring for r in provinces() for ring in r.rings])
    pts = pts[pts[:, 1] >= MAINLAND_SOUTH]
    x, y = albers(pts[:, 0], pts[:, 1])
    pad = 0.015 * (x.max() - x.min())
    return float(x.min() - pad), float(y.min() - pad), float(x.max() + pad), float(y.max() + pad)


def _fit_box(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    """A lon/lat box around the points: padded by 15 % of its span (at least a degree) on each side."""
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    cx, cy = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2
    span_w, span_h = max(lons) - min(lons), max(lats) - min(lats)
    half_w = span_w / 2 + max(0.15 * span_w, 1.0)
    half_h = span_h / 2 + max(0.15 * span_h, 1.0)
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h


# ---------------------------------------------------------------------------------------------
# SVG pieces


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _ring_path(frame: _Frame, ring: np.ndarray, digits: int, min_px: float) -> str:
    """One ring as a compact closed path (absolute first point, then relative steps), or '' when it
    is smaller than ``min_px`` pixels both ways."""
    X, Y = frame.px(ring[:, 0], ring[:, 1])
    f = 10 ** digits
    xi, yi = np.round(X * f).astype(np.int64), np.round(Y * f).astype(np.int64)
    if xi.max() - xi.min() < min_px * f and yi.max() - yi.min() < min_px * f:
        return ""
    keep = np.ones(len(xi), dtype=bool)
    keep[1:] = (np.diff(xi) != 0) | (np.diff(yi) != 0)
    xi, yi = xi[keep], yi[keep]
    steps = np.column_stack([np.diff(xi), np.diff(yi)]).ravel()
    num = (lambda v: f"{v / f:g}") if digits else str
    body = " ".join(num(int(v)) for v in steps).replace(" -", "-")
    return f"M{num(int(xi[0]))} {num(int(yi[0]))}l{body}z"


def _region_path(frame: _Frame, region: Region, digits: int, min_px: float = 2.0) -> str:
    return "".join(_ring_path(frame, ring, digits, min_px) for ring in region.rings)


def _shape(kind: Kind, r: float) -> str:
    """A marker's shape centred on (0, 0): the group holding it is translated to the place."""
    if kind.shape == "square":
        s = r * 0.9
        return f'<rect x="{-s:.1f}" y="{-s:.1f}" width="{2 * s:.1f}" height="{2 * s:.1f}"/>'
    if kind.shape == "diamond":
        s = r * 1.2
        return f'<path d="M0 {-s:.1f}L{s:.1f} 0L0 {s:.1f}L{-s:.1f} 0z"/>'
    if kind.shape == "triangle":
        s = r * 1.25
        return f'<path d="M0 {-s:.1f}L{s:.1f} {0.7 * s:.1f}H{-s:.1f}z"/>'
    return f'<circle r="{r:.1f}"/>'


class _Labels:
    """Greedy placement of text labels: a label that would overlap one already placed is dropped."""

    def __init__(self) -> None:
        self.boxes: list[tuple[float, float, float, float]] = []

    @staticmethod
    def text_width(text: str, size: float) -> float:
        return sum(size if ord(c) > 0x2E80 else size * 0.58 for c in text)

    def place(self, x: float, y: float, text: str, size: float, anchor: str = "start") -> bool:
        w = self.text_width(text, size)
        left = x if anchor == "start" else x - w / 2
        box = (left - 1, y - size, left + w + 1, y + size * 0.3)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in self.boxes):
            return False
        self.boxes.append(box)
        return True


def _curve(frame: _Frame, flow: Flow, gap: float) -> tuple[str, tuple[float, float]]:
    """The quadratic curve of a flow (bending to its left), ending ``gap`` px before its target."""
    (sx,), (sy,) = (np.atleast_1d(v) for v in frame.px(*flow.src))
    (tx,), (ty,) = (np.atleast_1d(v) for v in frame.px(*flow.dst))
    dx, dy = tx - sx, ty - sy
    length = math.hypot(dx, dy) or 1.0
    cx, cy = (sx + tx) / 2 + dy * 0.18, (sy + ty) / 2 - dx * 0.18
    ux, uy = tx - cx, ty - cy
    ul = math.hypot(ux, uy) or 1.0
    shorten = min(gap, length / 3)
    ex, ey = tx - ux / ul * shorten, ty - uy / ul * shorten
    mid = (0.25 * sx + 0.5 * cx + 0.25 * ex, 0.25 * sy + 0.5 * cy + 0.25 * ey)
    return f"M{sx:.1f} {sy:.1f}Q{cx:.1f} {cy:.1f} {ex:.1f} {ey:.1f}", mid


# ---------------------------------------------------------------------------------------------
# The map


def _focus_provinces(points: Iterable[tuple[float, float]]) -> set[str]:
    codes = set()
    for lon, lat in points:
        hit = next((r for r in provinces() if r.contains(lon, lat)), None)
        if hit is not None:
            codes.add(hit.code)
    return codes


def _visible(region: Region, box: tuple[float, float, float, float] | None) -> bool:
    if box is None:
        return True
    x0, y0, x1, y1 = region.bbox
    return x0 <= box[2] + 1 and box[0] - 1 <= x1 and y0 <= box[3] + 1 and box[1] - 1 <= y1


def draw_china(markers: Sequence[Marker] = (), flows: Sequence[Flow] = (), *, lang: str = "zh", title: str = "",
               extent: str | Sequence[float] = "china", prefectures: str = "focus", width: int = 1000,
               labels: bool = True, legend: bool = True, kind_labels: Mapping[str, str] | None = None,
               uid: str = "map", text_scale: float = 1.0) -> str:
    """Draw China with markers and flows; return a standalone SVG document (text, UTF-8, no scripts).

    See :mod:`reunite.maps` for the arguments.  Raises :class:`~reunite.errors.InputError` naming
    every bad argument (``markers[3].lat``, ``flows[0].count``, ...).
    """
    markers, flows = list(markers), list(flows)
    kind_labels = dict(kind_labels or {})
    _validate(markers, flows, lang, extent, prefectures, width, kind_labels)
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,30}", uid):
        raise InputError(Problem("must be letters, digits, '-' or '_', starting with a letter", field="uid"))
    if isinstance(text_scale, bool) or not isinstance(text_scale, int | float) or not 0.5 <= text_scale <= 4:
        raise InputError(Problem("must be a number from 0.5 to 4", field="text_scale"))
    points = [(m.lon, m.lat) for m in markers] + [p for f in flows for p in (f.src, f.dst)]
    if extent == "fit" and not points:
        extent = "china"
    if extent == "china":
        box = None
        frame = _Frame.around(*_mainland_bbox(), width)
    else:
        box = _fit_box(points) if extent == "fit" else tuple(float(v) for v in extent)
        frame = _Frame.around(*_projected_bbox(*box), width)
    k = width / 1000  # sizes below are for a map 1000 px wide
    digits = 0 if box is None else 1
    focus = _focus_provinces(points) if prefectures == "focus" else set()
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {frame.width} {frame.height}" '
           f'width="{frame.width}" height="{frame.height}" role="img" aria-labelledby="{uid}-t" '
           f'style="max-width:100%;height:auto;background:#fbfaf6" font-family="{_FONT}">',
           f'<title id="{uid}-t">{_esc(title or ("中国地图" if lang == "zh" else "Map of China"))}</title>',
           _defs(uid),
           _land(frame, box, digits, focus, prefectures, uid, k, lang)]
    placed = _Labels()
    kt = k * text_scale  # text, symbols and arrows
    out.append(_flows(frame, flows, lang, placed, kt, uid))
    out.append(_markers(frame, markers, placed, labels, kt))
    out.append(_province_names(frame, box, lang, placed, kt))
    if box is None:
        out.append(_inset(frame, uid, k, lang))
    if legend:
        out.append(_legend(frame, markers, flows, kind_labels, lang, kt, uid, inset=box is None))
    if title:
        size = 20 * kt
        size *= min(1.0, (frame.width - 24 * k) / _Labels.text_width(title, size))  # the whole title fits
        out.append(f'<text x="{12 * k:.1f}" y="{6 * k + size:.1f}" font-size="{size:.1f}" font-weight="bold" '
                   f'fill="#222">{_esc(title)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _defs(uid: str) -> str:
    return (f'<defs><marker id="{uid}-arrow" viewBox="0 0 10 10" refX="7" refY="5" markerWidth="4" '
            f'markerHeight="4" orient="auto"><path d="M0 0L10 5L0 10z" fill="{FLOW_COLOUR}"/></marker></defs>')


def _land(frame: _Frame, box, digits: int, focus: set[str], detail: str, uid: str, k: float, lang: str,
          min_px: float = 2.0) -> str:
    """Provinces (filled), prefectures (thin lines; all, or those of the focus provinces) and the sea line."""
    parts = [f'<g id="{uid}-land">',
             f'<g fill="#efe9dc" fill-rule="evenodd" stroke="#a89f8c" stroke-width="{0.8 * k:.2f}" '
             'stroke-linejoin="round">']
    for r in provinces():
        if _visible(r, box):
            fill = ' fill="#e6dcc6"' if r.code in focus else ""
            parts.append(f'<path data-code="{r.code}"{fill} d="{_region_path(frame, r, digits, min_px)}">'
                         f'<title>{_esc(r.name(lang))}</title></path>')
    parts.append("</g>")
    if detail != "none":
        parts.append(f'<g fill="none" stroke="#c9bfaa" stroke-width="{0.45 * k:.2f}">')
        for r in prefectures():
            if (detail == "all" or r.province in focus) and _visible(r, box):
                parts.append(f'<path data-code="{r.code}" d="{_region_path(frame, r, digits)}"/>')
        parts.append("</g>")
    parts.append(f'<g fill="none" stroke="#4a78a8" stroke-width="{1.6 * k:.2f}">')
    for line in maritime_lines():
        X, Y = frame.px(line[:, 0], line[:, 1])
        parts.append('<path d="M' + "L".join(f"{x:.1f} {y:.1f}" for x, y in zip(X, Y, strict=True)) + '"/>')
    parts.append("</g></g>")
    return "\n".join(parts)


def _flows(frame: _Frame, flows: list[Flow], lang: str, placed: _Labels, k: float, uid: str) -> str:
    if not flows:
        return ""
    top = max(f.count for f in flows)
    parts = [f'<g fill="none" stroke="{FLOW_COLOUR}" stroke-opacity="0.8" stroke-linecap="round">']
    texts = []
    for f in sorted(flows, key=lambda f: -f.count):
        w = (1.5 + 4.5 * math.sqrt(f.count / top)) * k
        d, (mx, my) = _curve(frame, f, 8 * k)
        tip = f.label or (f"{f.count} 人" if lang == "zh" else f"{f.count}")
        parts.append(f'<path d="{d}" stroke-width="{w:.2f}" marker-end="url(#{uid}-arrow)">'
                     f'<title>{_esc(tip)}</title></path>')
        size = 13 * k
        if placed.place(mx, my + size / 2, str(f.count), size, anchor="middle"):
            texts.append(f'<text x="{mx:.1f}" y="{my + size / 2:.1f}" text-anchor="middle">{f.count}</text>')
    parts.append("</g>")
    if texts:
        parts.append(f'<g font-size="{13 * k:.1f}" font-weight="bold" fill="{FLOW_COLOUR}" stroke="#fff" '
                     f'stroke-width="{3 * k:.1f}" paint-order="stroke">' + "".join(texts) + "</g>")
    return "\n".join(parts)


def _radius(m: Marker, k: float) -> float:
    return min(5 + 2.5 * math.sqrt(m.count - 1), 16) * k


def _side_by_side(markers: list[Marker], k: float) -> dict[int, float]:
    """Horizontal offsets (px) of markers of different kinds at the same point, so none hides another."""
    at: dict[tuple[float, float], list[int]] = {}
    for i, m in enumerate(markers):
        at.setdefault((m.lon, m.lat), []).append(i)
    dx: dict[int, float] = {}
    for group in at.values():
        if len(group) < 2:
            continue
        widths = [2 * _radius(markers[i], k) + 2 * k for i in group]
        x = -sum(widths) / 2
        for i, w in zip(group, widths, strict=True):
            dx[i] = x + w / 2
            x += w
    return dx


def _markers(frame: _Frame, markers: list[Marker], placed: _Labels, labels: bool, k: float) -> str:
    parts, texts = [], []
    size = 13 * k
    dx = _side_by_side(markers, k)
    for i in sorted(range(len(markers)), key=lambda i: -markers[i].count):
        m = markers[i]
        kind = KINDS[m.kind]
        (x,), (y,) = (np.atleast_1d(v) for v in frame.px(m.lon, m.lat))
        if not (0 <= x <= frame.width and 0 <= y <= frame.height):
            continue
        x += dx.get(i, 0.0)
        r = _radius(m, k)
        tip = f"{m.label} ({m.count})" if m.count > 1 else m.label
        shape = (f'<g fill="{kind.colour}" transform="translate({x:.1f} {y:.1f})" data-kind="{m.kind}" '
                 f'data-lon="{m.lon:g}" data-lat="{m.lat:g}"><title>{_esc(tip)}</title>{_shape(kind, r)}</g>')
        if m.href:
            shape = f'<a href="{_esc(m.href)}">{shape}</a>'
        parts.append(shape)
        if labels and m.label and placed.place(x + r + 3 * k, y + size * 0.35, m.label, size):
            texts.append(f'<text x="{x + r + 3 * k:.1f}" y="{y + size * 0.35:.1f}">{_esc(m.label)}</text>')
    if not parts:
        return ""
    return (f'<g stroke="#fff" stroke-width="{1.2 * k:.2f}">' + "\n".join(parts) + "</g>\n"
            f'<g font-size="{size:.1f}" fill="#222" stroke="#fff" stroke-width="{3 * k:.1f}" '
            f'paint-order="stroke">' + "".join(texts) + "</g>")


def _province_names(frame: _Frame, box, lang: str, placed: _Labels, k: float) -> str:
    size = (11 if box is None else 13) * k
    texts = []
    for r in provinces():
        (x,), (y,) = (np.atleast_1d(v) for v in frame.px(*r.label))
        name = _short(r, lang)
        if 0 <= x <= frame.width and 0 <= y <= frame.height and placed.place(x, y, name, size, anchor="middle"):
            texts.append(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle">{_esc(name)}</text>')
    return f'<g font-size="{size:.1f}" fill="#8a7f68" pointer-events="none">' + "".join(texts) + "</g>"


_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")


def _short(region: Region, lang: str) -> str:
    """A province's short name for the map (云南, 内蒙古, Yunnan)."""
    if lang == "en":
        return region.name_en
    for suffix in _SUFFIXES:
        if region.name_zh.endswith(suffix):
            return region.name_zh[: -len(suffix)]
    return region.name_zh


def _inset(frame: _Frame, uid: str, k: float, lang: str) -> str:
    """The South China Sea in a box at the bottom right, drawn with its own frame (islands and line visible)."""
    box = _projected_bbox(*INSET_BOX)
    w = round(0.13 * frame.width)
    inner = _Frame.around(*box, w)
    x, y = frame.width - w - 6 * k, frame.height - inner.height - 6 * k
    land = _land(inner, INSET_BOX, 1, set(), "none", f"{uid}-sea", k * 0.6, lang, min_px=0.4)
    return (f'<clipPath id="{uid}-clip"><rect width="{w}" height="{inner.height}"/></clipPath>'
            f'<g transform="translate({x:.1f} {y:.1f})"><rect width="{w}" height="{inner.height}" fill="#fbfaf6"/>'
            f'<g clip-path="url(#{uid}-clip)">{land}</g><rect width="{w}" height="{inner.height}" fill="none" '
            f'stroke="#777" stroke-width="{k:.2f}"/></g>')


def _legend(frame: _Frame, markers: list[Marker], flows: list[Flow], kind_labels: Mapping[str, str], lang: str,
            k: float, uid: str, inset: bool) -> str:
    """The legend (kinds shown, the arrows), in the corner covering the fewest markers, and the source."""
    kinds = [key for key in KINDS if any(m.kind == key for m in markers)]
    size, line_h = 13 * k, 19 * k
    rows = [(KINDS[key], kind_labels.get(key) or getattr(KINDS[key], lang)) for key in kinds]
    flow_text = ("流向（箭头上的数字：儿童人数）" if lang == "zh" else "movement (number of children on the arrow)")
    source = ("边界：" if lang == "zh" else "Boundaries: ") + outlines_source(lang)
    parts = [f'<g font-size="{size:.1f}" fill="#222">']
    lines = len(rows) + (1 if flows else 0)
    if lines:
        w = max([_Labels.text_width(t, size) for _, t in rows] + [_Labels.text_width(flow_text, size) if flows else 0])
        x, y = _legend_corner(frame, markers, flows, w + 34 * k, lines * line_h + 6 * k, k, inset)
        parts.append(f'<rect x="{x - 4 * k:.1f}" y="{y - 4 * k:.1f}" width="{w + 34 * k:.1f}" '
                     f'height="{lines * line_h + 6 * k:.1f}" fill="#fff" fill-opacity="0.88" stroke="#bbb" '
                     f'stroke-width="{0.6 * k:.2f}"/>')
        for i, (kind, text) in enumerate(rows):
            cy = y + i * line_h + line_h / 2
            parts.append(f'<g fill="{kind.colour}" stroke="#fff" stroke-width="{k:.2f}" '
                         f'transform="translate({x + 8 * k:.1f} {cy:.1f})">{_shape(kind, 5 * k)}</g>'
                         f'<text x="{x + 22 * k:.1f}" y="{cy + size * 0.35:.1f}">{_esc(text)}</text>')
        if flows:
            cy = y + len(rows) * line_h + line_h / 2
            parts.append(f'<path d="M{x:.1f} {cy:.1f}h{14 * k:.1f}" stroke="{FLOW_COLOUR}" '
                         f'stroke-width="{3 * k:.1f}" marker-end="url(#{uid}-arrow)"/>'
                         f'<text x="{x + 22 * k:.1f}" y="{cy + size * 0.35:.1f}">{_esc(flow_text)}</text>')
    parts.append(f'<text x="{10 * k:.1f}" y="{frame.height - 6 * k:.1f}" font-size="{10 * k:.1f}" fill="#666" '
                 f'stroke="#fff" stroke-width="{2 * k:.1f}" paint-order="stroke">{_esc(source)}</text></g>')
    return "".join(parts)


def _legend_corner(frame: _Frame, markers: list[Marker], flows: list[Flow], w: float, h: float, k: float,
                   inset: bool) -> tuple[float, float]:
    """The top-left point of the legend: the corner whose box covers the fewest marker and flow points."""
    lons = [m.lon for m in markers] + [p[0] for f in flows for p in (f.src, f.dst)]
    lats = [m.lat for m in markers] + [p[1] for f in flows for p in (f.src, f.dst)]
    X, Y = frame.px(lons, lats) if lons else (np.array([]), np.array([]))
    bottom = frame.height - h - 18 * k
    corners = [(10 * k, bottom), (10 * k, 40 * k), (frame.width - w - 6 * k, 10 * k)]
    if not inset:
        corners.append((frame.width - w - 6 * k, bottom))

    def covered(corner: tuple[float, float]) -> int:
        x, y = corner
        pad = 12 * k
        return int(np.count_nonzero((X > x - pad) & (X < x + w + pad) & (Y > y - pad) & (Y < y + h + pad)))

    return min(corners, key=covered)
