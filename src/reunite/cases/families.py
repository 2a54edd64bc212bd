"""Stored records as the kinship engine takes them: a report's pedigree, its missing member and
the profiles of its typed relatives.

The one place that turns :class:`~reunite.cases.models.MissingReport` pedigree rows and
:class:`~reunite.cases.models.DnaSample` genotypes into a pedigree and profiles; the matching
(:mod:`reunite.cases.matching`) and the kinship reports (:mod:`reunite.reports.store`) use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..genetics.markers import Profile, parse_profile
from ..genetics.pedigree import Pedigree, make_pedigree
from .models import DnaSample, MissingReport

__all__ = ["StoredFamily", "stored_family", "stored_profile"]


@dataclass(frozen=True)
class StoredFamily:
    """A report's family with DNA: ``family`` is the report number, ``profiles`` maps each typed
    relative (pedigree member id) to their profile."""

    family: str
    pedigree: Pedigree
    missing: str
    profiles: dict[str, Profile]


def stored_profile(sample: DnaSample | None) -> Profile | None:
    """The profile of a stored sample; None if there is none, it was erased or it has no genotypes."""
    if sample is None or sample.erased or not sample.genotypes:
        return None
    return parse_profile(sample.genotypes, source=f"sample {sample.sample}")


def stored_family(report: MissingReport, samples: Mapping[str, DnaSample]) -> StoredFamily | None:
    """The family of ``report`` with the profiles of its typed relatives, looked up in ``samples``
    (sample id -> stored sample); None when it has no usable DNA: no relative with a profile of at
    least one marker, or not exactly one missing member."""
    rows = report.pedigree
    profiles = {}
    for r in rows:
        prof = stored_profile(samples.get(r.sample)) if r.sample and not r.missing else None
        if prof is not None and len(prof):
            profiles[r.member_id] = prof
    missing = [r.member_id for r in rows if r.missing]
    if not rows or not profiles or len(missing) != 1:
        return None
    ped = make_pedigree([{"id": r.member_id, "father": r.father, "mother": r.mother, "sex": r.sex} for r in rows],
                        source=f"report {report.report_number}")
    return StoredFamily(report.report_number, ped, missing[0], profiles)
