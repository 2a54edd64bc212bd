"""The place likelihood ratio: where a child was lost (a report) against where it was found.

Gazetteer
---------
Places are resolved offline with the administrative-division table shipped by the PyPI package
``cpca`` (``cpca/resources/adcodes.csv``: 3,511 provinces, prefectures and counties of mainland
China, each with its adcode and a longitude/latitude; MIT licence).  Only the CSV is read (the
package's own matcher imports pandas and ``pkg_resources``).  Chinese text is matched against full
names ("云南省昭通市镇雄县") and short names ("昭通", "镇雄"); English or pinyin text ("Zhenxiong
County, Zhaotong, Yunnan") against the toneless pinyin of the short names (``pypinyin``), with the
conventional spellings of a few provinces (Shaanxi, Inner Mongolia, Tibet).  A name shared by
several places is settled by the other names in the text (a county inside a named prefecture or
province wins); still ambiguous, the place falls back to the deepest level the candidates share,
or stays unresolved.  Hong Kong, Macao and Taiwan are not in the table.

A resolved place has a precision: ``county``, ``prefecture`` or ``province``, and a standard
deviation ``sd_km`` (per axis) for where in that unit the place really is: 16 km for a county (a
mean county of 9.6 million km² / ~2,850 ≈ 3,400 km², a disc of radius 33 km, uniform: sd = R/2);
for a prefecture or province, the spread of its counties' coordinates around its own
(sqrt(mean squared distance / 2)), at least 16 km.  A county without coordinates in the table
takes its prefecture's, and the prefecture's precision.

Model
-----
The evidence is the distance d between the resolved lost place and found place.  Each resolved
place is its unit's coordinates plus an isotropic Gaussian error of its ``sd_km``.

* H2 (the found child is another child): the report's lost place is that of a child lost anywhere
  in the reference population: a :class:`PlaceReference` (by default every county in the
  gazetteer once, a stand-in for "anywhere in China, weighted like the counties"; pass
  :meth:`PlaceReference.from_places` with the lost places of the store's open reports).  The
  density of d is the Rice mixture Σ_i w_i Rice(d; |found − ref_i|, sqrt(sd_i² + sd_lost²)).
* H1 (the found child is this report's child): the true displacement between the two events
  follows a :class:`TravelModel`, a mixture of

  - ``local`` (weight 0.20): an isotropic 2-D Gaussian of sd 10 km (mean distance 12.5 km): a child
    that wandered off or was taken and left near home;
  - ``regional`` (weight 0.35): sd 150 km (mean 190 km): moved within the province, as the
    Kunming infants were (bought in Zhaotong's villages, rescued in Kunming, ~230 km);
  - ``anywhere`` (weight 0.45): the H2 distribution itself, a child trafficked to any other
    province, as likely to end up anywhere as any other reported child.

  Both Gaussian components are blurred by the two places' errors: Rayleigh(d; sqrt(s² + sd_lost² +
  sd_found²)).  No published distribution of these distances was found; the weights follow the
  qualitative finding of Xin & Cai (2018, *Int J Popul Stud* 4(2), doi:10.18063/ijps.v4i2.817,
  sentencing documents 2014–2016) that trafficking routes are both intra- and inter-provincial,
  most routes within a province where origin and destination areas overlap, the Southwest
  (Sichuan, Yunnan, Guizhou) supplying the Central East and the coast.  They are assumptions
  until :func:`fit` is given enough confirmed matches.

So LR = w_anywhere + (w_local × f_local(d) + w_regional × f_regional(d)) / f_H2(d) >= w_anywhere:
a distant found place weakens a match at most to 0.45 (trafficked children are moved far), a near
one supports it.  The LR is then capped by the coarser precision of the two places: 100 when both
are counties, 10 at prefecture level, 2 at province level (a vague place is often the family's
home province rather than where the child was lost, which the Gaussian error does not cover);
the floor is 1 / cap.  An unresolved place gives LR 1 exactly.
"""

from __future__ import annotations

import csv
import importlib.util
import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np
from pypinyin import Style, lazy_pinyin, pinyin

from ._bilingual import BilingualItem
from ._common import fail, number

__all__ = [
    "CAPS",
    "COUNTY_SD_KM",
    "DEFAULT_TRAVEL",
    "PlaceReference",
    "ResolvedPlace",
    "TravelModel",
    "county_coordinates",
    "distance_km",
    "fit",
    "haversine_km",
    "place_lr",
    "place_of_adcode",
    "resolve_place",
]

EARTH_RADIUS_KM = 6371.0088
#: Per-axis standard deviation of a place known to the county (km); see the module.
COUNTY_SD_KM = 16.0
#: Caps on the LR by the coarser precision of the two places (the floor is 1 / cap).
CAPS = {"county": 100.0, "prefecture": 10.0, "province": 2.0}
_LEVELS = ("province", "prefecture", "county")

MODEL = ("distance between lost and found places; H1: displacement ~ w_local N2(0, s_local²) + w_regional "
         "N2(0, s_regional²) + w_anywhere × (H2), each place's error N2(0, sd_km²); H2: the lost place is "
         "a random place of the reference population; LR capped by the coarser precision")


# ---------------------------------------------------------------------------------------------
# Gazetteer


@dataclass(frozen=True)
class _Unit:
    code: str            # 6-digit adcode
    name: str            # official Chinese name
    level: str           # province / prefecture / county
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class ResolvedPlace:
    """A place resolved to an administrative unit of the gazetteer.

    ``adcode`` is the unit's 6-digit code, ``level`` its precision (``county``, ``prefecture``,
    ``province``), ``name_zh`` / ``name_en`` the unit with its parents ("云南省昭通市镇雄县",
    "Zhenxiong, Zhaotong, Yunnan"), ``lat``/``lon`` its coordinates (WGS-84 degrees as the
    gazetteer gives them) and ``sd_km`` the per-axis uncertainty of where in the unit the place is.
    """

    adcode: str
    level: str
    name_zh: str
    name_en: str
    lat: float
    lon: float
    sd_km: float
    note: str = ""

    def as_dict(self) -> dict:
        return {"adcode": self.adcode, "level": self.level, "name_zh": self.name_zh, "name_en": self.name_en,
                "lat": self.lat, "lon": self.lon, "sd_km": self.sd_km, "note": self.note}


def _cpca_csv() -> tuple[Path, str]:
    spec = importlib.util.find_spec("cpca")  # finds the package without importing it (and pandas)
    if spec is None or not spec.submodule_search_locations:
        raise fail("gazetteer", "the gazetteer package cpca is not installed; install it with "
                                "`pip install 'cpca>=0.5.5,<0.6'` (a dependency of reunite)")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    try:
        version = metadata.version("cpca")
    except metadata.PackageNotFoundError:  # pragma: no cover - a copy without its metadata
        version = "unknown"
    return path, version


_PROVINCE_EN = {"陕西": "shaanxi", "内蒙古": "innermongolia", "西藏": "tibet"}
_EXTRA_EN = {"neimenggu": "内蒙古", "neimongol": "内蒙古", "xizang": "西藏", "peking": "北京",
             "canton": "广州", "macau": "澳门", "macao": "澳门", "hongkong": "香港"}
_SKIP = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "省", "市", "盟", "县", "区", "旗")
_EN_STOP = {"province", "city", "county", "district", "prefecture", "autonomous", "region", "municipality",
            "level", "league", "banner", "china", "prc", "of", "the", "in", "near", "village", "town",
            "township", "shi", "sheng", "qu", "zizhiqu", "zizhizhou", "zizhixian", "area", "sar"}


class _Gazetteer:
    def __init__(self) -> None:
        path, self.version = _cpca_csv()
        self.source = f"cpca {self.version} adcodes.csv"
        units: dict[str, _Unit] = {}
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                code = row["adcode"][:6]
                name = row["name"].strip()
                if name in _SKIP or "直辖" in name:
                    continue
                level = "province" if code.endswith("0000") else "prefecture" if code.endswith("00") else "county"
                try:
                    lat, lon = float(row["latitude"]), float(row["longitude"])
                except ValueError:
                    lat = lon = None
                units[code] = _Unit(code, name, level, lat, lon)
        self.units = units
        nations = sorted(self._nations(path.parent / "56_nations.csv"), key=len, reverse=True)
        self._nations_re = re.compile("(?:" + "|".join(map(re.escape, nations)) + ")+$") if nations else None
        # Chinese names: full and short, each to the units that bear it
        self.zh: dict[str, list[tuple[str, bool]]] = {}
        for u in units.values():
            self.zh.setdefault(u.name, []).append((u.code, True))
            short = self.short(u)
            if short != u.name and len(short) >= 2:
                self.zh.setdefault(short, []).append((u.code, False))
        # English / pinyin keys of the short names
        self.en: dict[str, list[str]] = {}
        self.en_name: dict[str, str] = {}
        for u in units.values():
            short = self.short(u)
            key = _PROVINCE_EN.get(short) or "".join(lazy_pinyin(short, style=Style.NORMAL)).lower()
            key = re.sub("[^a-z]", "", key)
            self.en_name[u.code] = {"innermongolia": "Inner Mongolia"}.get(key, key.capitalize())
            keys = {key}
            if short not in _PROVINCE_EN:  # every reading of a character with several (朝阳: chaoyang)
                readings = pinyin(short, style=Style.NORMAL, heteronym=True)
                if math.prod(len(r) for r in readings) <= 16:
                    keys |= {re.sub("[^a-z]", "", "".join(c)) for c in itertools.product(*readings)}
            for k in list(keys):
                keys |= {k.replace("v", "u"), k.replace("v", "yu")}
            for k in keys - {""}:
                self.en.setdefault(k, []).append(u.code)
        for k, zh in _EXTRA_EN.items():
            self.en.setdefault(k, []).extend(c for c, full in self.zh.get(zh, []))
        self._spread = self._spreads()

    @staticmethod
    def _nations(path: Path) -> list[str]:
        if not path.exists():
            return []
        names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [n[:-1] for n in names if n.endswith("族")] + names

    def short(self, u: _Unit) -> str:
        name = u.name
        for suffix in _SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix) + 1:
                name = name[: -len(suffix)]
                break
        if self._nations_re is not None and u.name.endswith(("自治区", "自治州", "自治县", "自治旗")):
            stripped = self._nations_re.sub("", name)
            if len(stripped) >= 2:
                name = stripped
        return name

    def parents(self, code: str) -> list[str]:
        """The unit's ancestors present in the table, nearest first."""
        out = []
        for c in (code[:4] + "00", code[:2] + "0000"):
            if c != code and c in self.units and c not in out:
                out.append(c)
        return out

    def _spreads(self) -> dict[str, float]:
        by_parent: dict[str, list[tuple[float, float]]] = {}
        for u in self.units.values():
            if u.level == "county" and u.lat is not None:
                for p in self.parents(u.code):
                    by_parent.setdefault(p, []).append((u.lat, u.lon))
        out = {}
        for code, pts in by_parent.items():
            p = self.units[code]
            if p.lat is None:
                continue
            lat = np.array([a for a, _ in pts])
            lon = np.array([b for _, b in pts])
            d = haversine_km(p.lat, p.lon, lat, lon)
            out[code] = max(COUNTY_SD_KM, float(math.sqrt(np.mean(d * d) / 2.0)))
        return out

    def place(self, code: str, note: str = "") -> ResolvedPlace | None:
        """The resolved place of a unit (falling back to a parent's coordinates)."""
        chain = [code, *self.parents(code)]
        for c in chain:
            u = self.units[c]
            if u.lat is not None:
                break
        else:
            return None
        names = [self.units[x] for x in reversed(chain)]
        if c != code:
            note = (note + " " if note else "") + "no coordinates for the unit; its parent's are used"
        level = u.level
        sd = COUNTY_SD_KM if level == "county" else self._spread.get(c, 300.0 if level == "province" else 80.0)
        return ResolvedPlace(code, level, "".join(n.name for n in names),
                             ", ".join(self.en_name[n.code] for n in reversed(names)),
                             round(u.lat, 6), round(u.lon, 6), round(sd, 1), note)


@lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    return _Gazetteer()


def _choose(g: _Gazetteer, matched: dict[str, tuple[bool, float, set]]) -> tuple[str | None, str]:
    """The best unit among matched codes (code -> (full name?, strength, spans)).

    A unit is supported by each ancestor named elsewhere in the text (by a span disjoint from its
    own); the most supported win, full names before short ones.  Among the winners, units in one
    line of descent resolve to the deepest (full names) or the highest (short names, the cautious
    reading of "红河": the prefecture, not its county); unrelated winners are ambiguous and resolve
    to the level they share, if any.
    """
    def support(code: str) -> int:
        spans = matched[code][2]
        return sum(1 for p in g.parents(code) if p in matched
                   and any(all(b[1] <= a[0] or a[1] <= b[0] for a in spans) for b in matched[p][2]))

    def score(code: str) -> tuple:
        return (support(code), matched[code][0])

    top = max(score(c) for c in matched)
    group = [c for c in matched if score(c) == top]
    depth = {c: _LEVELS.index(g.units[c].level) for c in group}
    full = top[1]
    group.sort(key=lambda c: (depth[c] if full else -depth[c], matched[c][1]), reverse=True)
    best = group[0]
    lineage = {c: {c, *g.parents(c)} for c in group}
    rivals = [c for c in group[1:] if best not in lineage[c] and c not in lineage[best]]
    if not rivals:
        return best, ""
    common = set(lineage[best])
    for c in rivals:
        common &= lineage[c]
    if common:
        code = max(common, key=lambda c: _LEVELS.index(g.units[c].level))
        return code, "the name is shared by several places; resolved only to the level they share"
    return None, "the name is shared by places in different provinces"


def _resolve_zh(g: _Gazetteer, text: str) -> tuple[str | None, str]:
    hits: list[tuple[int, int, str, bool]] = []
    for name, units in g.zh.items():
        start = text.find(name)
        while start >= 0:
            hits += [(start, start + len(name), code, full) for code, full in units]
            start = text.find(name, start + 1)
    if not hits:
        return None, ""
    # drop a match lying strictly inside a longer one ("雄县" inside "镇雄县")
    kept = [h for h in hits if not any(o[0] <= h[0] and h[1] <= o[1] and (o[1] - o[0]) > (h[1] - h[0])
                                       for o in hits)]
    matched: dict[str, tuple[bool, float, set]] = {}
    for s, e, code, full in kept:
        was = matched.get(code, (False, 0.0, set()))
        matched[code] = (was[0] or full, max(was[1], float(e - s)), was[2] | {(s, e)})
    return _choose(g, matched)


def _resolve_en(g: _Gazetteer, text: str) -> tuple[str | None, str]:
    words = [w for w in re.findall(r"[a-z]+", text.lower().replace("'", "").replace("ü", "v"))
             if w not in _EN_STOP]
    matched: dict[str, tuple[bool, float, set]] = {}
    i = 0
    while i < len(words):
        for j in range(min(len(words), i + 3), i, -1):
            key = "".join(words[i:j])
            if key in g.en:
                for code in g.en[key]:
                    was = matched.get(code, (False, 0.0, set()))
                    matched[code] = (False, max(was[1], float(len(key))), was[2] | {(i, j)})
                i = j
                break
        else:
            i += 1
    if not matched:
        return None, ""
    return _choose(g, matched)


def resolve_place(text: str | None) -> ResolvedPlace | None:
    """Resolve a place written in Chinese or English/pinyin to a unit of the gazetteer, offline.

    Returns None when nothing in the text names a place of the table, or the name is ambiguous
    across provinces.  A shared name resolves to the deepest level its candidates share (with a
    ``note``).  The text is not kept in the result.
    """
    if text is None:
        return None
    if not isinstance(text, str):
        raise fail("place", "must be text (a place name in Chinese or English)")
    text = text.strip()
    if not text:
        return None
    g = _gazetteer()
    if re.search(r"[\u4e00-\u9fff]", text):
        code, note = _resolve_zh(g, text)
    else:
        code, note = _resolve_en(g, text)
    return None if code is None else g.place(code, note)


def place_of_adcode(adcode: str) -> ResolvedPlace | None:
    """The resolved place of a unit by its 6-digit adcode (None: not in the gazetteer)."""
    g = _gazetteer()
    return g.place(adcode) if adcode in g.units else None


@lru_cache(maxsize=1)
def county_coordinates() -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Every county of the gazetteer with coordinates: (adcodes, latitudes, longitudes), read-only arrays
    (what a province-wide area is approximated by, e.g. the alerts' reach into a province)."""
    units = [u for u in _gazetteer().units.values() if u.level == "county" and u.lat is not None]
    lat = np.array([u.lat for u in units])
    lon = np.array([u.lon for u in units])
    lat.flags.writeable = lon.flags.writeable = False
    return tuple(u.code for u in units), lat, lon


def gazetteer_source() -> str:
    """Which gazetteer resolved the places (package, version, file)."""
    return _gazetteer().source


# ---------------------------------------------------------------------------------------------
# Distances and the reference population


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance (km) between points given in degrees (numpy arrays broadcast)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def distance_km(a: ResolvedPlace, b: ResolvedPlace) -> float:
    """Great-circle distance between two resolved places (km)."""
    return float(haversine_km(a.lat, a.lon, b.lat, b.lon))


# i0e (exponentially scaled modified Bessel function I0), Abramowitz & Stegun 9.8.1–9.8.2
_I0_SMALL = (1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813)
_I0_LARGE = (0.39894228, 0.01328592, 0.00225319, -0.00157565, 0.00916281, -0.02057706, 0.02635537,
             -0.01647633, 0.00392377)


def _log_i0e(z: np.ndarray) -> np.ndarray:
    z = np.abs(np.asarray(z, dtype=float))
    out = np.empty_like(z)
    small = z < 3.75
    t = (z[small] / 3.75) ** 2
    out[small] = np.log(np.polyval(_I0_SMALL[::-1], t)) - z[small]
    u = 3.75 / z[~small]
    out[~small] = np.log(np.polyval(_I0_LARGE[::-1], u)) - 0.5 * np.log(z[~small])
    return out


def _log_rice(d: float, nu: np.ndarray, s: np.ndarray) -> np.ndarray:
    """log of Rice(d; nu, s) / d (the d factor, common to every density of d, is left out)."""
    s2 = s * s
    return -np.log(s2) - (d - nu) ** 2 / (2.0 * s2) + _log_i0e(d * nu / s2)


def _logsumexp(x: np.ndarray, w: np.ndarray) -> float:
    m = float(np.max(x))
    if m == -math.inf:
        return -math.inf
    return m + math.log(float(np.sum(w * np.exp(x - m))))


class PlaceReference:
    """Where children are lost, for H2: weighted points with their own uncertainty, or a flat area.

    :meth:`counties` (the default: each county of the gazetteer once), :meth:`from_places` (the
    lost places of the store's open reports), :meth:`uniform` (a flat density over an area).
    """

    def __init__(self, lat, lon, sd_km, weights, name: str, area_km2: float | None = None):
        self.lat = np.asarray(lat, dtype=float)
        self.lon = np.asarray(lon, dtype=float)
        self.sd = np.asarray(sd_km, dtype=float)
        w = np.asarray(weights, dtype=float)
        self.w = w / w.sum() if w.size else w
        self.name = name
        self.area_km2 = area_km2

    @classmethod
    def counties(cls) -> PlaceReference:
        """Every county of the gazetteer with coordinates, equally weighted."""
        return _county_reference()

    @classmethod
    def from_places(cls, places: Iterable[ResolvedPlace | None]) -> PlaceReference:
        """The resolved lost places of a population of reports (None entries are dropped)."""
        pts = [p for p in places if p is not None]
        for i, p in enumerate(pts):
            if not isinstance(p, ResolvedPlace):
                raise fail(f"reference[{i}]", "must be a ResolvedPlace (see resolve_place) or None")
        if not pts:
            raise fail("reference", "has no resolved place; give at least one, or use the default")
        return cls([p.lat for p in pts], [p.lon for p in pts], [p.sd_km for p in pts], [1.0] * len(pts),
                   f"{len(pts)} resolved lost places of reports")

    @classmethod
    def uniform(cls, area_km2: float = 9.6e6) -> PlaceReference:
        """A flat density over ``area_km2`` (default: China's 9.6 million km²), edges ignored."""
        area = number(area_km2, "area_km2", lo=1.0)
        return cls([], [], [], [], f"uniform over {area:,.0f} km²", area_km2=area)

    def log_density(self, found: ResolvedPlace, d: float, sd_lost: float) -> float:
        """log of (density of the distance d from ``found`` to a lost place recorded with ``sd_lost``) / d."""
        if self.area_km2 is not None:
            return math.log(2.0 * math.pi / self.area_km2)
        nu = haversine_km(found.lat, found.lon, self.lat, self.lon)
        s = np.sqrt(self.sd ** 2 + sd_lost ** 2)
        return _logsumexp(_log_rice(d, nu, s), self.w)

    def describe(self) -> str:
        return self.name


@lru_cache(maxsize=1)
def _county_reference() -> PlaceReference:
    g = _gazetteer()
    pts = [u for u in g.units.values() if u.level == "county" and u.lat is not None]
    return PlaceReference([u.lat for u in pts], [u.lon for u in pts], [COUNTY_SD_KM] * len(pts),
                          [1.0] * len(pts), f"every county of the gazetteer ({len(pts)}), equally weighted")


# ---------------------------------------------------------------------------------------------
# How far children travel (H1)


@dataclass(frozen=True)
class TravelModel:
    """H1's displacement: Gaussian components (``scales_km``, ``weights``) plus ``anywhere``, the
    weight of "moved anywhere, like any other lost child" (the H2 distribution)."""

    scales_km: tuple[float, ...] = (10.0, 150.0)
    weights: tuple[float, ...] = (0.20, 0.35)
    anywhere: float = 0.45
    source: str = ("assumed (no published distance distribution found); intra- and inter-provincial routes "
                   "both common: Xin & Cai 2018, Int J Popul Stud 4(2), doi:10.18063/ijps.v4i2.817")

    def __post_init__(self) -> None:
        if len(self.scales_km) != len(self.weights) or any(s <= 0 for s in self.scales_km):
            raise fail("travel", "needs one positive scale (km) per weight")
        total = math.fsum(self.weights) + self.anywhere
        if any(w < 0 for w in self.weights) or self.anywhere < 0 or abs(total - 1.0) > 1e-6:
            raise fail("travel", "weights and anywhere must be non-negative and sum to 1")

    def log_local(self, d: float, sd2: float) -> float:
        """log of Σ_k w_k Rayleigh(d; sqrt(s_k² + sd2)) / d, the near components."""
        if not self.weights or math.fsum(self.weights) == 0:
            return -math.inf
        s2 = np.array(self.scales_km) ** 2 + sd2
        return _logsumexp(-np.log(s2) - d * d / (2.0 * s2), np.array(self.weights))

    def describe(self) -> dict:
        return {"scales_km": list(self.scales_km), "weights": [round(w, 4) for w in self.weights],
                "anywhere": round(self.anywhere, 4), "source": self.source}


DEFAULT_TRAVEL = TravelModel()


def fit(confirmed: Sequence[tuple[ResolvedPlace, ResolvedPlace]], *, reference: PlaceReference | None = None,
        base: TravelModel = DEFAULT_TRAVEL, prior_strength: float = 20.0, iterations: int = 200) -> TravelModel:
    """Calibrate H1 on confirmed matches: the weights of ``base``'s components re-estimated by EM.

    ``confirmed`` holds (lost place, found place) of confirmed pairs.  The scales stay fixed; the
    weights get a Dirichlet prior worth ``prior_strength`` pairs at ``base``'s weights, so a few
    pairs move them little and hundreds decide them.
    """
    reference = _county_reference() if reference is None else reference
    prior_strength = number(prior_strength, "prior_strength", lo=0.0)
    rows = []
    for i, pair in enumerate(confirmed):
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(p, ResolvedPlace) for p in pair)):
            raise fail(f"confirmed[{i}]", "must be a (lost ResolvedPlace, found ResolvedPlace) pair")
        lost, found = pair
        d = distance_km(lost, found)
        sd2 = lost.sd_km ** 2 + found.sd_km ** 2
        s2 = np.array(base.scales_km) ** 2 + sd2
        comps = [*(-np.log(s2) - d * d / (2.0 * s2)), reference.log_density(found, d, lost.sd_km)]
        rows.append(comps)
    prior = np.array([*base.weights, base.anywhere])
    if not rows:
        return base
    logc = np.array(rows)
    w = prior.copy()
    for _ in range(iterations):
        lw = np.log(np.maximum(w, 1e-300)) + logc
        lw -= lw.max(axis=1, keepdims=True)
        r = np.exp(lw)
        r /= r.sum(axis=1, keepdims=True)
        new = (r.sum(axis=0) + prior_strength * prior) / (len(rows) + prior_strength)
        if np.max(np.abs(new - w)) < 1e-10:
            w = new
            break
        w = new
    return TravelModel(base.scales_km, tuple(float(x) for x in w[:-1]), float(w[-1]),
                       f"fitted on {len(rows)} confirmed matches (EM, prior {prior_strength:g} pairs at {base.source})")


# ---------------------------------------------------------------------------------------------


def _coarser(a: ResolvedPlace, b: ResolvedPlace) -> str:
    return min(a.level, b.level, key=_LEVELS.index)


_LEVEL_ZH = {"county": "县级", "prefecture": "地级", "province": "省级"}


def place_lr(lost: ResolvedPlace | None, found: ResolvedPlace | None, *, travel: TravelModel = DEFAULT_TRAVEL,
             reference: PlaceReference | None = None, caps: dict[str, float] | None = None) -> BilingualItem:
    """The place LR of a found child against a report (see the module for the model).

    ``lost`` is the report's resolved place of disappearance, ``found`` the found child's resolved
    place found or first seen (see :func:`resolve_place`); either None gives LR 1.  ``reference``
    is H2's population of lost places (default :meth:`PlaceReference.counties`), ``travel`` H1's
    model (default :data:`DEFAULT_TRAVEL`, or one from :func:`fit`).
    """
    reference = _county_reference() if reference is None else reference
    if not isinstance(reference, PlaceReference):
        raise fail("reference", "must be a PlaceReference")
    if not isinstance(travel, TravelModel):
        raise fail("travel", "must be a TravelModel")
    caps = dict(CAPS if caps is None else caps)
    for level in _LEVELS:
        number(caps.get(level), f"caps[{level}]", lo=1.0)
    params = {"travel": travel.describe(), "reference": reference.describe(), "caps": caps,
              "gazetteer": gazetteer_source()}
    for side, p in (("lost", lost), ("found", found)):
        if p is not None and not isinstance(p, ResolvedPlace):
            raise fail(side, "must be a ResolvedPlace (see resolve_place) or None")
    if lost is None or found is None:
        en = "place lost" if lost is None else "place found"
        zh = "失踪地点" if lost is None else "发现地点"
        return BilingualItem("place", 1.0, 0.0, MODEL, params, {},
                             f"(The {en} is not recorded or not resolved, so place says nothing here.)",
                             f"（{zh}未记录或无法解析，地点不提供信息。）")
    d = distance_km(lost, found)
    log_h2 = reference.log_density(found, d, lost.sd_km)
    log_near = travel.log_local(d, lost.sd_km ** 2 + found.sd_km ** 2)
    if log_h2 == -math.inf:
        raise fail("reference", "gives no probability to this distance; use a broader reference")
    lr = travel.anywhere + math.exp(min(log_near - log_h2, 700.0))
    level = _coarser(lost, found)
    cap = caps[level]
    capped = lr > cap or lr < 1.0 / cap
    lr = min(max(lr, 1.0 / cap), cap)
    observed = {"distance_km": round(d, 1), "lost_level": lost.level, "found_level": found.level,
                "lost_adcode": lost.adcode, "found_adcode": found.adcode, "uncapped": not capped}
    note = f"(The places are {d:,.0f} km apart, known to the {lost.level} and the {found.level}"
    note_zh = f"（两地相距约 {d:,.0f} 公里，分别精确到{_LEVEL_ZH[lost.level]}和{_LEVEL_ZH[found.level]}"
    if capped:
        note += f"; the LR is capped at {cap:g} for places known to the {level}"
        note_zh += f"；按{_LEVEL_ZH[level]}精度，似然比上限为 {cap:g}"
    return BilingualItem("place", lr, math.log10(lr), MODEL, params, observed, note + ".)", note_zh + "。）")
