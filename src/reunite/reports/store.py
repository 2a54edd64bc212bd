"""Kinship reports of stored candidates: from the case store to HTML or PDF.

Reading the genotypes of a candidate's found child and relatives is audited (who, which
candidate); the report itself is recomputed by the kinship engine from the stored profiles, with
the matching settings ($REUNITE_FREQUENCIES, $REUNITE_MUTATION).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ..cases.audit import append_audit
from ..cases.families import stored_family, stored_profile
from ..cases.models import Candidate, DnaSample
from ..cases.settings import MatchingSettings
from ..errors import InputError, Problem
from ..genetics import load_frequencies
from ..genetics.kinship import KinshipCase, missing_person_lr
from ..genetics.mutation import parse_mutation
from .kinship import KinshipReport, build_report, render_html
from .pdf import render_pdf

__all__ = ["candidate_report", "write_candidate_report"]


def candidate_report(session, candidate_id: int, *, user: str = "reports",
                     frequencies: str | None = None, mutation: dict | str | None = None) -> KinshipReport:
    """The kinship report of a stored candidate (its family must have DNA).

    ``mutation`` (default: the matching's, :class:`~reunite.cases.settings.MatchingSettings`) takes what
    :func:`~reunite.genetics.mutation.parse_mutation` takes: a JSON model, a per-marker spec,
    ``none`` or ``default`` (the bundled published per-marker rates)."""
    cand = session.get(Candidate, int(candidate_id))
    if cand is None:
        raise InputError(Problem(f"no candidate has id {candidate_id}", field="candidate"))
    rep, child = cand.report, cand.found_child
    if not child.sample:
        raise InputError(Problem(f"found child {child.case_number} has no DNA sample", field="candidate"))
    rows = rep.pedigree
    samples = {r.sample for r in rows if r.sample} | {child.sample}
    stored = {s.sample: s for s in session.scalars(select(DnaSample).where(DnaSample.sample.in_(samples)))}

    found = stored_profile(stored.get(child.sample))
    family = stored_family(rep, stored)
    if found is None or family is None:
        raise InputError(Problem(f"candidate {candidate_id}: the found child or the family has no usable DNA; "
                                 "a kinship report needs both", field="candidate"))
    settings = MatchingSettings.from_env()
    if mutation is None:
        mutation = settings.mutation
    table = load_frequencies(frequencies or settings.frequencies)
    case = KinshipCase(family.pedigree, family.profiles, family.missing, found, table, parse_mutation(mutation))
    result = missing_person_lr(case, skip_unknown_markers=True)
    append_audit(session, user, "genotypes.read", entity="candidate", entity_id=cand.id,
                 details={"purpose": "kinship report", "samples": len(family.profiles) + 1})
    session.commit()
    other = [(name, lr, "") for name, lr in (("sex", cand.sex_lr), ("age", cand.age_lr), ("time", cand.time_lr))
             if lr is not None]
    labs = {stored[child.sample].lab} | {stored[r.sample].lab for r in rows if r.sample in stored}
    return build_report(case, result, case_number=child.case_number, report_number=rep.report_number,
                        candidate_id=str(cand.id), missing_child_name=rep.child_name or "",
                        laboratory=", ".join(sorted(labs)), other_evidence=other, prior=cand.prior)


def write_candidate_report(session, candidate_id: int, folder: str | Path, *, fmt: str = "html",
                           user: str = "reports") -> Path:
    """Write the report of a candidate as ``candidate-ID.html`` or ``.pdf`` in ``folder``."""
    if fmt not in ("html", "pdf"):
        raise InputError(Problem(f"format must be html or pdf, not {fmt!r}", field="format"))
    report = candidate_report(session, candidate_id, user=user)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"candidate-{int(candidate_id)}.{fmt}"
    if fmt == "html":
        path.write_text(render_html(report), encoding="utf-8")
    else:
        render_pdf(report, path)
    return path
