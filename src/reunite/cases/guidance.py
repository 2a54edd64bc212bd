"""Sampling guidance for a stored report: which one or two more relatives to swab.

:func:`report_guidance` builds a guidance case (:func:`reunite.genetics.load_guidance_case`) from a
report and runs :func:`reunite.genetics.sampling_guidance` on it, with the matching's frequency
table and mutation model:

- the report's pedigree, its typed relatives' profiles (markers of the table only), and as
  ``available`` the members not yet typed who have no sample code at all (a member whose sample
  is awaiting its profile has been swabbed already; one whose sample was erased withdrew);
- a report without a pedigree (filed on the web, no DNA yet) gets the usual reference family: the
  father, the mother and one brother or sister per sibling the family declared (at most two),
  nobody typed, all available;
- the kit: the markers the relatives are typed at, else the 23 markers of the Chinese kits.

The figures are Monte Carlo with a small, seeded number of draws (``nsim``, 300 by default: a
standard error of at most 3 percentage points), fast enough for a page; the result is the same
for the same data, and ``cache`` (any mapping) keeps it by a digest of the input.
"""

from __future__ import annotations

import hashlib
from collections.abc import MutableMapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..genetics.guidance import load_guidance_case, sampling_guidance
from .audit import canonical_json
from .families import stored_profile
from .models import DnaSample, MissingReport
from .provenance import mutation_record, read_table
from .settings import MatchingSettings

__all__ = ["GUIDANCE_NSIM", "guidance_spec", "report_guidance"]

#: Draws of the guidance shown on the pages.
GUIDANCE_NSIM = 300
_MAX_SIBLINGS = 2


def guidance_spec(session: Session, report: MissingReport, *, settings: MatchingSettings | None = None,
                  nsim: int = GUIDANCE_NSIM, seed: int = 1) -> dict[str, Any] | None:
    """The guidance case of a report (``frequencies`` the table's name), or None when it has none:
    not exactly one missing member, or no relative left to swab and nobody typed."""
    settings = settings or MatchingSettings()
    table, _text = read_table(settings.frequencies)
    mutation = mutation_record(settings.mutation)
    rows = report.pedigree
    genotypes: dict[str, dict[str, list[str]]] = {}
    if rows:
        missing = [r.member_id for r in rows if r.missing]
        if len(missing) != 1:
            return None
        codes = [r.sample for r in rows if r.sample]
        samples = {s.sample: s for s in session.scalars(select(DnaSample).where(DnaSample.sample.in_(codes)))} \
            if codes else {}
        available = []
        for r in rows:
            if r.missing:
                continue
            prof = stored_profile(samples.get(r.sample)) if r.sample else None
            g = {k: list(v) for k, v in prof.genotypes.items() if k in table.markers} if prof is not None else {}
            if g:
                genotypes[r.member_id] = g
            elif not r.sample:
                available.append(r.member_id)
        pedigree = [{"id": r.member_id, "father": r.father, "mother": r.mother, "sex": r.sex} for r in rows]
        missing_id = missing[0]
    else:
        siblings = sum(1 for d in report.relatives if d.relation == "sibling")
        pedigree = [{"id": "father", "father": None, "mother": None, "sex": "male"},
                    {"id": "mother", "father": None, "mother": None, "sex": "female"},
                    {"id": "child", "father": "father", "mother": "mother", "sex": report.sex}]
        pedigree += [{"id": f"sibling{k}", "father": "father", "mother": "mother", "sex": "unknown"}
                     for k in range(1, min(siblings, _MAX_SIBLINGS) + 1)]
        available = [p["id"] for p in pedigree if p["id"] != "child"]
        missing_id = "child"
    if not available and not genotypes:
        return None
    return {"id": report.report_number, "frequencies": table.name, "mutation": mutation["model"] if mutation else None,
            "pedigree": pedigree, "missing": missing_id, "genotypes": genotypes, "available": available,
            "nsim": nsim, "seed": seed}


def report_guidance(session: Session, report: MissingReport, *, settings: MatchingSettings | None = None,
                    nsim: int = GUIDANCE_NSIM, seed: int = 1,
                    cache: MutableMapping[str, dict] | None = None) -> dict[str, Any] | None:
    """The sampling guidance of a report (:func:`reunite.genetics.sampling_guidance`'s answer), or
    None when it has none (:func:`guidance_spec`).  Raises :class:`reunite.errors.ReuniteError` when
    the typed relatives' genotypes are impossible together (see the report's page)."""
    settings = settings or MatchingSettings()
    spec = guidance_spec(session, report, settings=settings, nsim=nsim, seed=seed)
    if spec is None:
        return None
    table, text = read_table(settings.frequencies)
    key = hashlib.sha256((canonical_json(spec) + hashlib.sha256(text.encode()).hexdigest()).encode()).hexdigest()
    if cache is not None and key in cache:
        return cache[key]
    case = load_guidance_case({**spec, "frequencies": table}, source=f"report {report.report_number}")
    out = sampling_guidance(case)
    out["pedigree_template"] = not report.pedigree
    if cache is not None:
        cache[key] = out
    return out
