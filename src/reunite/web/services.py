"""What the API and the pages both do: views of records per role, appeals, tips, family reports.

Views of records are built here, field by field, so that what a role may not see is never in the
data handed to a template or serialised to JSON (no genotype, no LR for families; no contact
details for the public).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from ..cases.audit import append_audit
from ..cases.cohorts import format_other_children
from ..cases.models import (
    Appeal,
    Candidate,
    DnaSample,
    FoundChild,
    MissingReport,
    Photo,
    Relative,
    Tip,
    User,
    utcnow,
)
from ..evidence.registry import label, order_of
from .access import WebError, visible_children

__all__ = ["appeal_public", "approx_age_months", "child_view", "dashboard", "family_status", "like_pattern"]


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its wildcards escaped (with ``\\``)."""
    text = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{text}%"


def _date(d: dt.date | dt.datetime | None) -> str | None:
    return d.isoformat() if d is not None else None


def approx_age_months(child: FoundChild, today: dt.date | None = None) -> float | None:
    """The child's approximate age now, in months, from the estimate made when assessed."""
    if child.age_months is None:
        return None
    since = child.age_assessed_on or child.found_on
    if since is None:
        return child.age_months
    today = today or utcnow().date()
    return child.age_months + max(0, (today - since).days) / 30.4375


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
            "status": c.status, "outcome": c.outcome, "dna": c.has_dna, "evidence": evidence_view(c),
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
    """The message key of a report's status in plain words (no LR, no genotype)."""
    if rep.status == "closed":
        return "status.closed"
    statuses = [(c.status, c.outcome) for c in rep.candidates]
    if any(s == "confirmed" and o == "reunited" for s, o in statuses):
        return "status.found"
    if any(s == "confirmed" for s, _ in statuses):
        return "status.with_police"
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


def search_children(db: Session, user: User, q: str | None, limit: int = 200) -> list[FoundChild]:
    """Visible found children whose case number, place, care location or ring matches ``q``."""
    query = visible_children(user)
    if q:
        pat = like_pattern(q)
        query = query.where(or_(FoundChild.case_number.ilike(pat, escape="\\"),
                                FoundChild.found_place.ilike(pat, escape="\\"),
                                FoundChild.care_location.ilike(pat, escape="\\"),
                                FoundChild.ring_reference.ilike(pat, escape="\\")))
    return list(db.scalars(query.options(selectinload(FoundChild.photos))
                           .order_by(FoundChild.case_number).limit(limit)))


# --------------------------------------------------------------------------------- appeals


def appeal_public(a: Appeal) -> dict[str, Any]:
    """What the public may see of an appeal: no name, no case number, no care location, no DNA."""
    c = a.found_child
    photo = a.photo if a.photo is not None and a.photo.found_child_id == c.id else None
    return {"id": a.id, "sex": c.sex, "age_months_now": _round(approx_age_months(c)),
            "found_place": c.found_place, "found_on": _date(c.found_on), "hotline": a.hotline,
            "photo_url": f"/media/{photo.path}" if photo is not None else None,
            "published_at": _date(a.published_at)}


def _round(x: float | None) -> int | None:
    return None if x is None else round(x)


def published_appeals(db: Session, place: str | None = None, min_age: float | None = None,
                      max_age: float | None = None) -> list[Appeal]:
    """Published appeals, newest first, filtered by place (text) and approximate age now (years)."""
    q = (select(Appeal).join(FoundChild, Appeal.found_child_id == FoundChild.id)
         .options(contains_eager(Appeal.found_child), selectinload(Appeal.photo))  # no query per appeal
         .where(Appeal.published.is_(True)).order_by(Appeal.published_at.desc(), Appeal.id.desc()))
    if place:
        q = q.where(FoundChild.found_place.ilike(like_pattern(place), escape="\\"))
    out = []
    for a in db.scalars(q.limit(2000)):
        months = approx_age_months(a.found_child)
        if (min_age is not None or max_age is not None) and months is None:
            continue
        years = (months or 0) / 12
        if min_age is not None and years < min_age:
            continue
        if max_age is not None and years >= max_age + 1:
            continue
        out.append(a)
    return out


def published_appeal(db: Session, appeal_id: int) -> Appeal:
    """A published appeal, or 404."""
    a = db.get(Appeal, appeal_id)
    if a is None or not a.published:
        raise WebError(404, "not_found", "there is no published appeal with this number")
    return a


HOTLINE = re.compile(r"^[0-9+() \-]{3,40}$")


def publish_appeal(db: Session, user: User, case_number: str, hotline: str, photo_id: int | None) -> Appeal:
    """Publish (or re-publish, with new details) the appeal of a found child."""
    child = db.scalars(select(FoundChild).where(FoundChild.case_number == case_number)).first()
    if child is None:
        raise WebError(404, "not_found", "there is no found child with this case number")
    problems = []
    hotline = (hotline or "").strip()
    if not HOTLINE.match(hotline):
        problems.append({"file": None, "line": None, "field": "hotline",
                         "message": "a hotline is a phone number: 3 to 40 digits, spaces, +, -, ( and )"})
    if photo_id is not None:
        photo = db.get(Photo, photo_id)
        if photo is None or photo.found_child_id != child.id:
            problems.append({"file": None, "line": None, "field": "photo_id",
                             "message": "the photo must be one of this child's photos"})
    if problems:
        raise WebError(400, "invalid", problems[0]["message"], problems)
    appeal = db.scalars(select(Appeal).where(Appeal.found_child_id == child.id)).first()
    if appeal is None:
        appeal = Appeal(found_child_id=child.id, hotline=hotline)
        db.add(appeal)
    appeal.hotline, appeal.photo_id = hotline, photo_id
    appeal.published, appeal.published_at, appeal.published_by = True, utcnow(), user.name
    db.flush()
    append_audit(db, user.name, "appeal.publish", entity="appeal", entity_id=appeal.id,
                 details={"case_number": case_number, "photo_id": photo_id})
    db.commit()
    return appeal


def set_published(db: Session, user: User, appeal_id: int, published: bool) -> Appeal:
    """Publish or unpublish an appeal (unpublishing hides it at once)."""
    appeal = db.get(Appeal, appeal_id)
    if appeal is None:
        raise WebError(404, "not_found", "there is no appeal with this number")
    appeal.published = published
    if published:
        appeal.published_at, appeal.published_by = utcnow(), user.name
    db.flush()
    append_audit(db, user.name, "appeal.publish" if published else "appeal.unpublish", entity="appeal",
                 entity_id=appeal.id, details={"case_number": appeal.found_child.case_number})
    db.commit()
    return appeal


def add_tip(db: Session, appeal: Appeal, message: str, contact: str | None) -> Tip:
    """Store a tip (validated by the caller) for the investigators."""
    tip = Tip(appeal_id=appeal.id, message=message.strip(), contact=(contact or "").strip() or None)
    db.add(tip)
    db.flush()
    append_audit(db, "public", "tip.receive", entity="appeal", entity_id=appeal.id, details={"tip_id": tip.id})
    db.commit()
    return tip


def tip_problems(message: str | None, contact: str | None) -> list[dict]:
    """What is wrong with a tip (empty: nothing)."""
    problems = []
    m = (message or "").strip()
    if not 5 <= len(m) <= 2000:
        problems.append({"file": None, "line": None, "field": "message",
                         "message": "a tip is 5 to 2000 characters long"})
    if contact is not None and len(contact.strip()) > 200:
        problems.append({"file": None, "line": None, "field": "contact",
                         "message": "contact details are at most 200 characters"})
    return problems


# -------------------------------------------------------------------------- family reports


def new_report_number(db: Session) -> str:
    """A new, unguessable web report number (``W-YYYYMMDD-XXXXXX``)."""
    while True:
        number = f"W-{utcnow():%Y%m%d}-{secrets.token_hex(3).upper()}"
        if db.scalars(select(MissingReport.id).where(MissingReport.report_number == number)).first() is None:
            return number


RELATIONS = ("father", "mother", "sibling", "grandparent", "other")
SCOPES = ("this_report", "all_missing")


def add_relative(db: Session, user: User, rep: MissingReport, relation: str, consent: bool, scope: str) -> None:
    """Record a relative who can give reference DNA (with their consent and its scope)."""
    problems = []
    if relation not in RELATIONS:
        problems.append({"file": None, "line": None, "field": "relation",
                         "message": f"relation must be one of {', '.join(RELATIONS)}"})
    if scope not in SCOPES:
        problems.append({"file": None, "line": None, "field": "scope",
                         "message": f"scope must be one of {', '.join(SCOPES)}"})
    if len(rep.relatives) >= 50:
        problems.append({"file": None, "line": None, "field": "relation", "message": "at most 50 relatives"})
    if problems:
        raise WebError(400, "invalid", problems[0]["message"], problems)
    n = len(rep.relatives) + 1
    taken = {d.member_id for d in rep.relatives}
    while f"web-{n}" in taken:
        n += 1
    db.add(Relative(report_id=rep.id, member_id=f"web-{n}", relation=relation, consent_given=consent,
                    consent_scope=scope if consent else None))
    db.flush()
    append_audit(db, user.name, "donor.add", entity="missing_report", entity_id=rep.report_number,
                 details={"member_id": f"web-{n}", "relation": relation, "consent": consent, "scope": scope})
    db.commit()


def genotype_read(db: Session, user: User, sample: str) -> dict[str, Any]:
    """A sample's profile, for lab analysts and investigators; the read is audited."""
    s = db.scalars(select(DnaSample).where(DnaSample.sample == sample)).first()
    if s is None:
        raise WebError(404, "not_found", "there is no sample with this code")
    append_audit(db, user.name, "genotypes.read", entity="dna_sample", entity_id=sample,
                 details={"purpose": "web", "markers": s.marker_count})
    db.commit()
    return {"sample": s.sample, "lab": s.lab, "kit": s.kit, "typed_on": _date(s.typed_on),
            "marker_count": s.marker_count, "erased": s.erased, "genotypes": dict(s.genotypes or {})}
