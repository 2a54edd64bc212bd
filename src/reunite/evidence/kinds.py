"""The kinds of evidence Reunite computes, registered with :func:`reunite.evidence.registry.register`.

This module is the one registration point: each kind is a function of a found child and a report
(objects with the store's attribute names; see :mod:`.registry`) returning its
:class:`~reunite.evidence.fusion.EvidenceItem`.  ``dna`` is computed by the search index and only
registered here for its labels.  docs/evidence-model.md says, for each kind, which others it is
not independent of and how they are combined.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import lru_cache

from .age import age_lr
from .face import face_lr, face_score
from .fusion import EvidenceItem
from .marks import facial_matches, marks_lr
from .network import network_of_pair
from .place import DEFAULT_TRAVEL, ResolvedPlace, place_lr, resolve_place
from .registry import register
from .sex import DEFAULT_P_MALE, sex_lr
from .time import time_lr

__all__ = ["age_of_pair", "face_of_pair", "marks_of_pair", "place_of_pair", "resolved", "sex_of_pair",
           "time_of_pair"]


def _get(obj: object, name: str) -> object:
    return getattr(obj, name, None)


def sex_of_pair(found: object, report: object, context: Mapping[str, object]) -> EvidenceItem:
    """The sex LR: the found child's recorded sex and Amelogenin against the report's sex
    (``context["p_male"]``: the share of boys among the store's found children, default 0.5)."""
    return sex_lr(_get(found, "sex"), _get(report, "sex"), context.get("amelogenin"),
                  p_male=context.get("p_male", DEFAULT_P_MALE))  # type: ignore[arg-type]


def age_of_pair(found: object, report: object, context: Mapping[str, object]) -> EvidenceItem | None:
    """The age LR: the found child's estimated age against the age the missing child would have
    (``context["age_reference"]``: the store's found children, ``AgeReference.from_population``).

    An estimate recorded without its uncertainty is taken as ± 20 % (at least one month); a found
    child without an estimate (or without the date it was made) has no age item."""
    months = _get(found, "age_months")
    on = _get(found, "age_assessed_on") or _get(found, "found_on")
    if months is None or on is None:
        return None
    sd = _get(found, "age_sd_months")
    if sd is None:
        sd = max(1.0, 0.2 * float(months))  # type: ignore[arg-type]
    return age_lr(months, sd, on, birth_date=_get(report, "date_of_birth"),  # type: ignore[arg-type]
                  disappeared_on=_get(report, "disappeared_on"),
                  reference=context.get("age_reference"))  # type: ignore[arg-type]


def time_of_pair(found: object, report: object, context: Mapping[str, object]) -> EvidenceItem:
    """The time LR: the date found against the date of disappearance (``context["time_reference"]``:
    the store's population, :meth:`~reunite.evidence.time.TimeReference.from_population`)."""
    return time_lr(_get(report, "disappeared_on"), _get(found, "found_on"),
                   reference=context.get("time_reference"))  # type: ignore[arg-type]


@lru_cache(maxsize=4096)
def resolved(text: str | None) -> ResolvedPlace | None:
    """A place text resolved by the gazetteer (:func:`~reunite.evidence.place.resolve_place`), cached."""
    return resolve_place(text)


def place_of_pair(found: object, report: object, context: Mapping[str, object]) -> EvidenceItem | None:
    """The place LR: where the child was lost (the report) against where it was found.

    ``context["place_reference"]`` (a :class:`~reunite.evidence.place.PlaceReference`, e.g. of the
    store's own reports) is H2's population of lost places; by default every county.
    ``context["place_travel"]`` (a :class:`~reunite.evidence.place.TravelModel` fitted on the store's
    confirmed pairs) is H1's; by default the stated one.  A pair with neither place recorded has no
    place item, and neither has a found child whose chain of custody starts at a known place
    (``context["network_sources"]``): its network item, the more specific, stands in for it (the two
    are not independent; :mod:`.network`)."""
    lost_text, found_text = _get(report, "disappeared_place"), _get(found, "found_place")
    if not lost_text and not found_text:
        return None
    if _get(found, "case_number") in (context.get("network_sources") or {}):
        return None
    return _place_item(lost_text, found_text, context.get("place_reference"), context.get("place_travel"))


@lru_cache(maxsize=65536)
def _place_item(lost_text: object, found_text: object, reference: object, travel: object) -> EvidenceItem:
    # (a pure function of the two texts and the models: many pairs share them)
    return place_lr(resolved(lost_text), resolved(found_text), reference=reference,  # type: ignore[arg-type]
                    travel=travel or DEFAULT_TRAVEL)  # type: ignore[arg-type]


def marks_of_pair(found: object, report: object, context: Mapping[str, object]) -> EvidenceItem | None:
    """The marks LR: the report's marks (and its circumstances) against the found child's marks and
    health conditions.  A pair where neither side records any has no marks item."""
    found_texts = [t for t in (_get(found, "marks"), _get(found, "health_conditions")) if t]
    report_marks = _get(report, "marks")
    if not found_texts and not report_marks:
        return None
    return _marks_item(report_marks, tuple(found_texts), _get(report, "circumstances"))


@lru_cache(maxsize=65536)
def _marks_item(report_marks: object, found_texts: tuple, notes: object) -> EvidenceItem:
    # (a pure function of the texts: many pairs share them)
    return marks_lr(report_marks, list(found_texts) or None, report_notes=notes)  # type: ignore[arg-type]


def face_of_pair(found: object, report: object, context: Mapping[str, object]) -> EvidenceItem | None:
    """The face LR: the closest pair of face embeddings of the found child's and the report's photographs.

    ``context["face_embeddings"]`` is a function giving the embeddings of an owner's photographs
    (found child or report; the caller reads the files, with the ``faces`` extra); without it, or
    without a face on either side, there is no face item.  The age band is the found child's age when
    found, the age gap the time between disappearance and finding.  A facial feature the marks item
    counts on both records (``context["items"]["marks"]``) is not counted again by the face: its LR is
    then at most 1 (:func:`~reunite.evidence.face.face_lr`'s ``counted_by_marks``)."""
    embeddings = context.get("face_embeddings")
    if not callable(embeddings):
        return None
    get: Callable = embeddings
    mine, theirs = list(get(found) or ()), list(get(report) or ())
    if not mine or not theirs:
        return None
    score = min(face_score(a, b) for a in mine for b in theirs)
    months = _get(found, "age_months")
    gone, on = _get(report, "disappeared_on"), _get(found, "found_on")
    gap = max(0.0, (on - gone).days / 365.2425) if gone is not None and on is not None else None  # type: ignore[operator]
    band = None if months is None or not math.isfinite(float(months)) else float(months) / 12.0  # type: ignore[arg-type]
    marks = (context.get("items") or {}).get("marks")  # type: ignore[union-attr]
    return face_lr(score, age_band=band, age_gap_years=gap, counted_by_marks=facial_matches(marks))


register("dna", label="DNA (autosomal STRs)", label_zh="DNA（常染色体 STR）", dna=True, order=0,
         dependence="computed from the typed relatives' and the found child's autosomal STRs only "
                    "(Amelogenin is left to the sex item), so it is independent of every non-DNA item")
register("sex", sex_of_pair, label="sex", label_zh="性别", order=10,
         dependence="independent of the others (Amelogenin enters this item only)")
register("age", age_of_pair, label="age", label_zh="年龄", order=20,
         dependence="computed given the recorded dates (the age the missing child would have on the day the "
                    "found child's age was estimated), so it does not count the delay that the time item is about")
register("time", time_of_pair, label="time", label_zh="时间", order=30,
         dependence="the delay between disappearance and finding; the age item is conditioned on the same dates, "
                    "not on this delay's likelihood")
register("place", place_of_pair, label="place", label_zh="地点", order=40,
         dependence="independent of the others given each hypothesis; capped by the precision of the places "
                    "(a vague place gives an LR near 1)")
register("network", network_of_pair, label="trafficking network", label_zh="拐卖网络", order=45,
         dependence="the chain of custody's source place against the lost place: not independent of the place item, "
                    "which a found child with a chain does not get (the network item stands in for it)")
register("marks", marks_of_pair, label="marks and conditions", label_zh="体征与疾病", order=50,
         dependence="a congenital condition is independent of DNA, sex and place; the items of the vocabulary are "
                    "combined within this one kind and the product is capped")
register("face", face_of_pair, label="photographs", label_zh="照片", order=60,
         dependence="not independent of age (a face changes with age): the calibration shrinks it toward 1 by "
                    "age band and age gap, and it is capped; it never decides alone. Not independent of the marks "
                    "(a cleft lip, a birthmark on the face shows on the photograph): when the marks item counts a "
                    "facial feature on both records, the face LR is at most 1")
