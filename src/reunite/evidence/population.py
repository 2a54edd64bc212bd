"""The non-DNA models' references taken from a population of reports and found children.

An LR of 80 should mean what it says for the store it is computed in: the age model's H2 is the
distribution of the store's found children's ages, the time model's H2 the delays between its
reports' disappearances and its children's findings (and H1 the delays of its confirmed pairs
once there are enough), the place model's H2 the places its reports' children were lost, and the
sex model's P(male) the share of boys among its found children.  :func:`reference_context` builds
all four from objects with the store's attribute names (the store's rows, or the simulator's
records), each falling back to its model's documented default while the population is small.
The matching (:func:`reunite.cases.matching.population_context`) and the calibration
(:mod:`.calibration`) call it, so both score pairs with the same references.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .age import AgeReference
from .kinds import resolved
from .place import PlaceReference, fit
from .sex import MIN_POPULATION_SEXES, p_male_from_population
from .time import MIN_CONFIRMED_PAIRS, TimeReference

__all__ = ["MIN_REFERENCE_PLACES", "describe_context", "reference_context"]

#: Fewer resolved lost places than this and the place LR's H2 is every county (the default).
MIN_REFERENCE_PLACES = 30


def reference_context(reports: Iterable[object], children: Iterable[object], *,
                      confirmed_delays_days: Sequence[float] | None = None,
                      confirmed_places: Sequence[tuple[str | None, str | None]] | None = None,
                      min_places: int = MIN_REFERENCE_PLACES, min_sexes: int = MIN_POPULATION_SEXES,
                      min_confirmed: int = MIN_CONFIRMED_PAIRS) -> dict[str, object]:
    """The context the registered kinds read (``p_male``, ``age_reference``, ``time_reference``,
    ``place_reference``, ``place_travel``), from a population's reports and found children (see the
    module).  ``confirmed_delays_days`` and ``confirmed_places`` (lost place, found place, as text)
    are those of the confirmed pairs: with at least ``min_confirmed`` of them the time model's H1
    comes from their delays and the place model's H1 (:class:`~reunite.evidence.place.TravelModel`)
    is fitted on their distances (:func:`~reunite.evidence.place.fit`)."""
    reports, children = list(reports), list(children)
    places = [p for p in (resolved(getattr(r, "disappeared_place", None)) for r in reports) if p is not None]
    p_male, _ = p_male_from_population([c.sex for c in children], minimum=min_sexes)  # type: ignore[attr-defined]
    place_ref = PlaceReference.from_places(places) if len(places) >= min_places else None
    pairs = [(resolved(a), resolved(b)) for a, b in confirmed_places or ()]
    pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
    travel = fit(pairs, reference=place_ref) if len(pairs) >= min_confirmed else None
    return {
        "p_male": p_male,
        "age_reference": AgeReference.from_population([c.age_months for c in children]),  # type: ignore[attr-defined]
        "time_reference": TimeReference.from_population(
            [r.disappeared_on for r in reports], [c.found_on for c in children],  # type: ignore[attr-defined]
            confirmed_delays_days=confirmed_delays_days),
        "place_reference": place_ref,
        "place_travel": travel,
    }


def describe_context(context: dict[str, object]) -> dict[str, str]:
    """In words, which reference each model of ``context`` uses (the defaults where it has none)."""
    age, time, place, travel = (context.get(k) for k in ("age_reference", "time_reference", "place_reference",
                                                          "place_travel"))
    p_male = context.get("p_male")
    return {
        "sex": f"p_male {p_male:.3f}" if isinstance(p_male, float) else "default p_male 0.5",
        "age": age.describe() if age is not None else AgeReference.default().describe(),  # type: ignore[attr-defined]
        "time": time.describe() if time is not None else "default window and exponential",  # type: ignore[attr-defined]
        "place": ("H2 " + (place.describe() if place is not None else "every county of the gazetteer once")  # type: ignore[attr-defined]
                  + "; H1 " + (travel.source if travel is not None else "the default travel model")),  # type: ignore[attr-defined]
    }
