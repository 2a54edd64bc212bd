"""Where an alert goes: the radius that widens with time, the subscribers inside it, and the direction.

The schedule
------------
China's Tuanyuan (团圆) system pushes a missing-child alert to the app's users within 100 km of
where the child went missing in the first hour, 200 km in the second, 300 km in the third and
500 km after that (Ministry of Public Security, 2016; see docs/alerts.md for the sources).
:data:`TUANYUAN` is that schedule, the default; ``REUNITE_ALERT_SCHEDULE`` (``"1:100,2:200,3:300,
*:500"``: hours:km, ``*`` for "after") or a :class:`Schedule` given to the functions changes it.
The clock starts at the alert's ``started_at``: when the child went missing (a report with a known
time), else when the alert was first sent.

Who is inside
-------------
A subscription with a place and radius r (the subscriber's own area) is reached by an alert of
current radius R centred at A when the two discs meet: distance(A, place) ≤ R + r (a subscriber
with r = 0 is a point: inside the alert's disc).  A subscription by provinces is reached when some
county of one of its provinces (the gazetteer's county coordinates) lies within R of A, or A itself
is in one of them.

The direction (:func:`direction_provinces`)
-------------------------------------------
The trafficking network (``reunite.network``) records where children taken from a place were
moved.  The rule: every chain of custody (any investigation) whose source place — the first
transfer's place — lies in the same prefecture as the alert's place (same first four adcode digits)
gives the provinces of its later transfers' places and of its receivers' home places; those
provinces, other than the alert's own, are the direction.  Subscribers whose area is in one of them
get the alert at once, whatever the distance (the children from that place have been taken there
before).  No chain from the prefecture: no direction.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from ..errors import InputError, Problem
from ..evidence.place import ResolvedPlace, county_coordinates, haversine_km, resolve_place
from ..network.analysis import Network, investigations

__all__ = ["SCHEDULE_ENV", "TUANYUAN", "Schedule", "direction_provinces", "province_of", "reached"]

SCHEDULE_ENV = "REUNITE_ALERT_SCHEDULE"


@dataclass(frozen=True)
class Schedule:
    """The radius (km) by hours since the alert's clock started: ``steps`` is ``((hours, km), …)`` with
    increasing hours and km; the last step's hours is ``None`` ("after that")."""

    steps: tuple[tuple[float | None, float], ...]

    def __post_init__(self) -> None:
        problems = []
        if not self.steps or self.steps[-1][0] is not None:
            problems.append("the last step of a schedule is for 'after' (*:km)")
        hours = [h for h, _ in self.steps[:-1]]
        kms = [k for _, k in self.steps]
        if any(h is None or not (h > 0 and math.isfinite(h)) for h in hours) or hours != sorted(set(hours)):
            problems.append("the hours of a schedule are positive and increasing")
        if any(not (k > 0 and math.isfinite(k)) for k in kms) or kms != sorted(kms):
            problems.append("the radii of a schedule are positive and do not shrink")
        if problems:
            raise InputError([Problem(p, field=SCHEDULE_ENV) for p in problems])

    @classmethod
    def parse(cls, text: str) -> Schedule:
        """``"1:100,2:200,3:300,*:500"`` (hours:km; ``*``: after the last)."""
        steps = []
        for part in (text or "").split(","):
            h, sep, k = part.strip().partition(":")
            try:
                steps.append((None if h.strip() == "*" else float(h), float(k)))
            except ValueError:
                raise InputError(Problem(f"a schedule step is hours:km (or *:km), got {part.strip()!r}",
                                         field=SCHEDULE_ENV)) from None
            if not sep:
                raise InputError(Problem(f"a schedule step is hours:km, got {part.strip()!r}", field=SCHEDULE_ENV))
        return cls(tuple(steps))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Schedule:
        """``$REUNITE_ALERT_SCHEDULE``, else :data:`TUANYUAN`."""
        text = (os.environ if environ is None else environ).get(SCHEDULE_ENV, "").strip()
        return cls.parse(text) if text else TUANYUAN

    @classmethod
    def from_json(cls, data: Sequence[Sequence]) -> Schedule:
        return cls(tuple((None if h is None else float(h), float(k)) for h, k in data))

    def as_json(self) -> list[list]:
        return [[h, k] for h, k in self.steps]

    def step_at(self, started_at: dt.datetime, now: dt.datetime) -> int:
        """The index of the step in force at ``now`` (0 before and during the first hour)."""
        hours = max(0.0, (now - started_at).total_seconds() / 3600.0)
        for i, (h, _k) in enumerate(self.steps):
            if h is None or hours < h:
                return i
        return len(self.steps) - 1  # pragma: no cover - the last step has no end

    def radius(self, step: int) -> float:
        return self.steps[step][1]

    def next_change(self, started_at: dt.datetime, step: int) -> dt.datetime | None:
        """When the radius next widens after ``step`` (None: it is the last)."""
        h = self.steps[step][0]
        return None if h is None else started_at + dt.timedelta(hours=h)


#: Tuanyuan's schedule: 100 km in the first hour, 200 in the second, 300 in the third, 500 after.
TUANYUAN = Schedule(((1.0, 100.0), (2.0, 200.0), (3.0, 300.0), (None, 500.0)))


def province_of(place: ResolvedPlace | str | None) -> str | None:
    """The province adcode (``530000``) of a resolved place or of an adcode."""
    code = place.adcode if isinstance(place, ResolvedPlace) else place
    return code[:2] + "0000" if code else None


def _province_reach(provinces: Iterable[str], lat: float, lon: float, radius: float) -> set[str]:
    """The provinces among ``provinces`` with a county within ``radius`` km of (lat, lon)."""
    codes, clat, clon = county_coordinates()
    wanted = set(provinces)
    prov = np.array([c[:2] + "0000" for c in codes])
    mask = np.isin(prov, list(wanted))
    if not mask.any():
        return set()
    d = haversine_km(lat, lon, clat[mask], clon[mask])
    return set(prov[mask][d <= radius].tolist())


def reached(subscriptions: Sequence, lat: float, lon: float, radius: float, alert_province: str | None,
            direction: Iterable[str] = ()) -> dict[int, str]:
    """The subscriptions an alert at (lat, lon) of current ``radius`` reaches, id → reason (``radius``
    or ``direction``); see the module.  ``subscriptions`` have ``id``, ``lat``, ``lon``, ``radius_km``,
    ``provinces`` and ``place_adcode`` (rows of ``alert_subscriptions`` or the like)."""
    out: dict[int, str] = {}
    points = [s for s in subscriptions if not s.provinces]
    if points:
        lat2 = np.array([s.lat for s in points], dtype=float)
        lon2 = np.array([s.lon for s in points], dtype=float)
        own = np.array([s.radius_km for s in points], dtype=float)
        inside = haversine_km(lat, lon, lat2, lon2) <= radius + own
        for s, hit in zip(points, inside.tolist(), strict=True):
            if hit:
                out[s.id] = "radius"
    areas = [s for s in subscriptions if s.provinces]
    if areas:
        listed = {p for s in areas for p in s.provinces}
        near = _province_reach(listed, lat, lon, radius) | ({alert_province} if alert_province else set())
        for s in areas:
            if near & set(s.provinces):
                out[s.id] = "radius"
    along = set(direction)
    if along:
        for s in subscriptions:
            if s.id not in out and along & _provinces(s):
                out[s.id] = "direction"
    return out


def _provinces(s) -> set[str]:
    if s.provinces:
        return set(s.provinces)
    return {s.place_adcode[:2] + "0000"} if s.place_adcode else set()


def direction_provinces(session: Session, place: ResolvedPlace) -> list[str]:
    """The provinces the network's chains from ``place``'s prefecture lead to (see the module), sorted."""
    prefecture = place.adcode[:4]
    own = province_of(place)
    cache: dict[str, ResolvedPlace | None] = {}

    def resolve(text: str | None) -> ResolvedPlace | None:
        if not text:
            return None
        if text not in cache:
            cache[text] = resolve_place(text)
        return cache[text]

    found: set[str] = set()
    for inv in investigations(session):
        net = Network.from_store(session, inv)
        for chain in net.chains():
            src = resolve(chain.source_place)
            if src is None or src.adcode[:4] != prefecture:
                continue
            for step in chain.steps:
                for where in (step.place, net.people[step.receiver].home_place if step.receiver else None):
                    p = resolve(where)
                    if p is not None and province_of(p) != own:
                        found.add(province_of(p))
    return sorted(found)
