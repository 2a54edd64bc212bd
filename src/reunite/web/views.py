"""Views of records per role, built field by field for the API and the pages alike.

What a role may not see is never in the data handed to a template or serialised to JSON (no
genotype, no LR for families; no contact details for the public).  Only reads here: every write
is a function of :mod:`reunite.cases`, which the routes call and whose errors they translate.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..cases.appeals import public_view
from ..cases.cohorts import format_other_children
from ..cases.models import Appeal, Candidate, DnaSample, FoundChild, MissingReport, Tip, User
from ..evidence.registry import label, order_of
from .access import visible_children

__all__ = ["appeal_public", "candidate_view", "child_view", "dashboard", "evidence_view", "family_status",
           "family_view", "genotype_view", "report_view"]


def _date(d: dt.date | dt.datetime | None) -> str | None:
    return d.isoformat() if d is not None else None


def child_view(child: FoundChild) -> dict[str, Any]:
    """A found child as staff see it (no genotype: only the sample code)."""
    return {"case_number": child.case_number, "sex": child.sex, "age_months": child.age_months,
            "age_sd_months": child.age_sd_months, "found_on": _date(child.found_on), "found_place": child.found_place,
            "care_location": child.care_location, "health_conditions": child.health_conditions, "marks": child.marks,
            "ring_reference": child.ring_reference, "sample": child.sample,
            "photos": [{"id": p.id, "url": f"/media/{p.path}", "width": p.width, "height": p.height}
                       for p in child.photos]}


def report_view(rep: MissingReport) -> dict[str, Any]:
    """A missing-child report as investigators and lab analysts see it."""
    return {"report_number": rep.report_number, "child_name": rep.child_name, "sex": rep.sex,
            "date_of_birth": _date(rep.date_of_birth), "disappeared_on": _date(rep.disappeared_on),
            "disappeared_place": rep.disappeared_place, "circumstances": rep.circumstances, "marks": rep.marks,
            "contact_name": rep.contact_name, "contact_phone": rep.contact_phone, "status": rep.status,
            "multiple_missing": rep.multiple_missing, "suspected_of_sale": rep.suspected_of_sale,
            "pedigree": [{"id": m.member_id, "father": m.father, "mother": m.mother, "sex": m.sex,
                          "sample": m.sample, "missing": m.missing} for m in rep.pedigree],
            "donors": [{"member_id": d.member_id, "relation": d.relation, "consent_given": d.consent_given,
                        "consent_scope": d.consent_scope, "sample": d.sample} for d in rep.relatives],
            "photos": [{"id": p.id, "url": f"/media/{p.path}"} for p in rep.photos]}


def evidence_view(c: Candidate) -> list[dict[str, Any]]:
    """A candidate's evidence items, in the registry's order (DNA first): kind, labels, LR, model,
    parameters, data used and the sentence in both languages."""
    return [{"kind": e.kind, "label": label(e.kind), "label_zh": label(e.kind, "zh"), "lr": e.lr,
             "log10_lr": e.log10_lr, "model": e.model, "parameters": e.parameters, "data": e.data,
             "sentence": e.sentence, "sentence_zh": e.sentence_zh}
            for e in sorted(c.evidence, key=lambda e: order_of(e.kind))]


def candidate_view(c: Candidate) -> dict[str, Any]:
    """A candidate with its evidence (for investigators and lab analysts).  ``dna`` says whether it
    has DNA evidence: a pair without is listed apart (ask for DNA first); ``evidence`` lists the items."""
    return {"id": c.id, "case_number": c.found_child.case_number, "report_number": c.report.report_number,
            "status": c.status, "outcome": c.outcome, "closed_by": c.closed_by_id, "dna": c.has_dna,
            "evidence": evidence_view(c),
            "dna_lr": c.dna_lr, "dna_log10_lr": c.dna_log10_lr,
            "inconsistent_markers": c.inconsistent_markers, "markers_compared": c.markers_compared,
            "sex_lr": c.sex_lr, "age_lr": c.age_lr, "time_lr": c.time_lr, "prior": c.prior,
            "posterior": c.posterior, "suspected_of_sale": c.report.suspected_of_sale,
            "dna_decision": c.dna_decision, "dna_excluded": c.dna_excluded, "dna_conclusion": c.dna_conclusion,
            "provenance": {"frequencies": c.frequencies, "frequencies_sha256": c.frequencies_sha256,
                           "mutation_model": c.mutation_model, "theta": c.theta, "rules": c.rules,
                           "software_version": c.software_version} if c.rules else None,
            "reviews": [{"at": _date(r.at), "from": r.from_status, "to": r.to_status, "outcome": r.outcome,
                         "by": r.user.name, "reason": r.reason} for r in c.reviews]}


def family_status(rep: MissingReport) -> str:
    """The message key of a report's status in plain words (no LR, no genotype); a report closed by
    a confirmation says what the confirmation means for the family."""
    statuses = [(c.status, c.outcome) for c in rep.candidates]
    if any(s == "confirmed" and o == "reunited" for s, o in statuses):
        return "status.found"
    if any(s == "confirmed" for s, _ in statuses):
        return "status.with_police"
    if rep.status == "closed":
        return "status.closed"
    if any(s in ("under_review", "confirmation_requested") for s, _ in statuses):
        return "status.checking"
    return "status.searching"


def family_view(db: Session, rep: MissingReport, t) -> dict[str, Any]:
    """A report as its family sees it: their own facts, the status in plain words, their relatives."""
    samples = [d.sample for d in rep.relatives if d.sample]
    received = db.scalar(select(func.count()).select_from(DnaSample).where(
        DnaSample.sample.in_(samples), DnaSample.erased.is_(False))) if samples else 0
    return {"report_number": rep.report_number, "child_name": rep.child_name, "sex": rep.sex,
            "date_of_birth": _date(rep.date_of_birth), "disappeared_on": _date(rep.disappeared_on),
            "disappeared_place": rep.disappeared_place, "marks": rep.marks, "circumstances": rep.circumstances,
            "status": t(family_status(rep)), "dna_received": t("status.dna_received", n=received),
            "relatives": [{"member_id": d.member_id, "relation": d.relation, "consent_given": bool(d.consent_given),
                           "consent_scope": d.consent_scope} for d in rep.relatives],
            "other_children_listed": bool(rep.other_children_listed),
            "other_children": [{"sex": c.sex, "birth_year": c.birth_year} for c in rep.other_children],
            "other_children_text": format_other_children(rep),
            "photos": [{"id": p.id, "url": f"/media/{p.path}"} for p in rep.photos]}


def dashboard(db: Session, user: User) -> dict[str, Any]:
    """Open cases, new candidates and outstanding confirmations (a caseworker: their children only)."""
    children = visible_children(user).subquery()
    open_children = db.scalar(select(func.count()).select_from(children))
    out: dict[str, Any] = {"found_children": open_children}
    if user.role in ("investigator", "lab_analyst"):
        out["open_reports"] = db.scalar(select(func.count()).select_from(MissingReport)
                                        .where(MissingReport.status == "open"))
        def cands(*statuses, dna: bool = True):
            q = (select(Candidate).where(Candidate.status.in_(statuses),
                                         Candidate.has_dna if dna else ~Candidate.has_dna)
                 .order_by(Candidate.posterior.desc().nulls_last(), Candidate.dna_log10_lr.desc().nulls_last(),
                           Candidate.id).limit(50))
            return [candidate_view(c) for c in db.scalars(q)]
        out["new_candidates"] = cands("new")
        out["outstanding_confirmations"] = cands("under_review", "confirmation_requested")
        # Pairs without DNA, apart: whose DNA to ask for first (never ranked among the DNA candidates).
        out["without_dna"] = cands("new", "under_review", "confirmation_requested", dna=False)
        out["published_appeals"] = db.scalar(select(func.count()).select_from(Appeal)
                                             .where(Appeal.published.is_(True)))
        out["tips"] = db.scalar(select(func.count()).select_from(Tip))
    return out


# --------------------------------------------------------------------------------- appeals


def appeal_public(a: Appeal) -> dict[str, Any]:
    """What the public may see of an appeal (:func:`reunite.cases.appeals.public_view`), as JSON."""
    return public_view(a).as_dict()


def genotype_view(s: DnaSample) -> dict[str, Any]:
    """A sample's profile as lab analysts and investigators read it (the read is audited by
    :func:`reunite.cases.records.read_genotypes`)."""
    return {"sample": s.sample, "lab": s.lab, "kit": s.kit, "typed_on": _date(s.typed_on),
            "marker_count": s.marker_count, "erased": s.erased, "genotypes": dict(s.genotypes or {})}
