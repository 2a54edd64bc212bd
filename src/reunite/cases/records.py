"""Small write operations on the store that other layers build on: users, candidates, erasure.

:func:`record_candidate` is how matching stores what it found: it creates the candidate of a
found child and a report or updates its evidence items (one per kind, ``candidate_evidence``),
never touching its review status, and does nothing when the evidence is unchanged (so re-running a
search changes nothing).  The posterior is never computed here: :func:`candidate_posterior` hands
the stored prior and items to :func:`reunite.evidence.fuse`, the one place a posterior is
computed, and the candidate keeps what it gave.  :func:`candidate_items` gives a candidate's items
back as :class:`~reunite.evidence.EvidenceItem` objects (for reports, pages and calibration).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError, NotFoundError, Problem
from ..evidence.fusion import EvidenceItem, Posterior, from_lr, fuse
from ..evidence.registry import order_of, sentence
from . import privacy
from .audit import append_audit
from .importing import default_user
from .models import (
    ROLES,
    Candidate,
    CandidateEvidence,
    DnaSample,
    FoundChild,
    MissingReport,
    PedigreeMember,
    Relative,
    User,
    WithdrawalReason,
    utcnow,
)

__all__ = ["CONCLUSION", "EVIDENCE", "NO_DNA", "PROVENANCE", "add_user", "candidate_items", "candidate_posterior",
           "erase_sample", "get_user", "read_genotypes", "record_candidate", "withdraw_consent"]

#: The shorthand keywords :func:`record_candidate` takes besides ``items`` (each LR becomes an item of
#: its kind; ``inconsistent_markers`` and ``markers_compared`` go into the DNA item's data).
EVIDENCE = ("dna_lr", "dna_log10_lr", "inconsistent_markers", "markers_compared", "sex_lr", "age_lr", "time_lr",
            "prior")
#: The text of the DNA model (as :func:`reunite.evidence.dna_evidence` states it).
DNA_MODEL = ("exact pedigree likelihood ratio: L(family with the found child as the missing member) / "
             "(L(family) × P(found child's genotypes)); markers independent")
#: The columns of a candidate saying what produced its DNA evidence (:class:`~reunite.cases.provenance.Provenance`).
PROVENANCE = ("frequencies", "frequencies_sha256", "mutation_model", "theta", "rules", "software_version")
#: The columns of a candidate holding the DNA conclusion under the rules.
CONCLUSION = ("dna_decision", "dna_excluded", "dna_conclusion")
#: What a candidate whose DNA evidence is gone holds in those columns.
NO_DNA = {"frequencies": None, "frequencies_sha256": None, "mutation_model": None, "theta": None, "rules": None,
          "software_version": None, "dna_decision": None, "dna_excluded": False, "dna_conclusion": None}


def get_user(session: Session, name: str) -> User | None:
    """The user called ``name``, or None."""
    return session.scalars(select(User).where(User.name == name)).first()


def add_user(session: Session, name: str, role: str, *, by: str | None = None, commit: bool = True) -> User:
    """Register a user with a role (one of :data:`reunite.cases.models.ROLES`); an existing user
    with the same role is returned unchanged, with another role it is refused."""
    name = (name or "").strip()
    if not name:
        raise InputError(Problem("a user needs a name", field="name", code="user_name_required"))
    if role not in ROLES:
        raise InputError(Problem(f"role {role!r} is not one of {', '.join(ROLES)}", field="role", code="role_unknown"))
    user = get_user(session, name)
    if user is not None:
        if user.role != role:
            raise InputError(Problem(f"user {name!r} already exists with role {user.role}", field="role",
                                     code="user_exists"))
        return user
    user = User(name=name, role=role)
    session.add(user)
    session.flush()
    append_audit(session, by or default_user(), "user.add", entity="user", entity_id=name, details={"role": role})
    if commit:
        session.commit()
    return user


def read_genotypes(session: Session, sample: str, *, user: str, purpose: str) -> DnaSample:
    """The stored sample ``sample`` with its genotypes, for a user allowed to read them; the read is
    audited (the purpose and the number of markers, never the genotypes) and committed.
    :class:`NotFoundError` if there is no such sample."""
    s = session.scalars(select(DnaSample).where(DnaSample.sample == sample)).first()
    if s is None:
        raise NotFoundError(Problem("there is no sample with this code", field="sample"))
    append_audit(session, user, "genotypes.read", entity="dna_sample", entity_id=sample,
                 details={"purpose": purpose, "markers": s.marker_count})
    session.commit()
    return s


def erase_sample(session: Session, sample: str, *, user: str, reason: str, commit: bool = True) -> DnaSample:
    """Erase a sample's genotypes, Y-STR haplotype and mtDNA sequence (consent withdrawn): the row stays,
    marked ``erased``, so the audit trail still makes sense and the sample cannot be imported again."""
    if not reason or not reason.strip():
        raise InputError(Problem("erasing a sample needs a reason", field="reason"))
    obj = session.scalars(select(DnaSample).where(DnaSample.sample == sample)).first()
    if obj is None:
        raise InputError(Problem(f"no sample has code {sample!r}", field="sample"))
    obj.genotypes = {}
    obj.marker_count = 0
    obj.y_haplotype = None   # the lineage markers go with the autosomal genotypes
    obj.mt_sequence = None
    obj.erased = True
    obj.erased_at = utcnow()
    session.flush()
    append_audit(session, user, "sample.erase", entity="dna_sample", entity_id=sample,
                 details={"reason": reason.strip()})
    if commit:
        session.commit()
    return obj


def withdraw_consent(session: Session, report_number: str, member_id: str, *, user: str, reason: str,
                     commit: bool = True, index_dir: str | Path | None = None) -> dict:
    """A relative withdraws consent: record it, erase the genotype (the sample row stays,
    marked erased, with an audit entry that it existed), and mark the report's candidates whose
    DNA evidence depended on it (their DNA LR is cleared and the posterior recomputed).  The
    genotype's copies outside the database go too (:func:`reunite.cases.privacy.erase_everywhere`:
    the index on disk, the candidates' report files, exports).  The reason is kept in
    ``withdrawal_reasons``; the audit entry names it by id.

    Returns what was done: the sample erased (or None), the number of candidates marked and the
    numbers of index, report and export files removed.
    """
    if not reason or not reason.strip():
        raise InputError(Problem("withdrawing consent needs a reason", field="reason"))
    rep = session.scalars(select(MissingReport).where(MissingReport.report_number == report_number)).first()
    if rep is None:
        raise InputError(Problem(f"no report has number {report_number!r}", field="report_number"))
    relative = session.scalars(select(Relative).where(Relative.report_id == rep.id,
                                                      Relative.member_id == member_id)).first()
    row = session.scalars(select(PedigreeMember).where(PedigreeMember.report_id == rep.id,
                                                       PedigreeMember.member_id == member_id)).first()
    if relative is None and row is None:
        raise InputError(Problem(f"report {report_number} has no relative {member_id!r}", field="member_id"))
    # The reason as typed is kept apart, for investigators; the audit log gets only its id.
    why = WithdrawalReason(report_number=report_number, member_id=member_id, reason=reason.strip(),
                           recorded_by=str(user))
    session.add(why)
    session.flush()
    privacy.secure_delete(session)
    if relative is not None:
        relative.consent_given = False
        relative.consent_scope = "withdrawn"
    sample = (relative.sample if relative is not None and relative.sample else None) or (row.sample if row else None)
    erased = None
    if sample and session.scalars(select(DnaSample).where(DnaSample.sample == sample)).first() is not None:
        erase_sample(session, sample, user=user, reason=f"consent withdrawn (reason {why.id})", commit=False)
        erased = sample
    marked = 0
    for cand in rep.candidates:
        if cand.has_dna:
            drop_dna(cand)
            marked += 1
    session.flush()
    # Index files, reports and exports that may hold the genotype go at the same time.
    removed = privacy.erase_everywhere(session, report_number, index_dir=index_dir)
    append_audit(session, user, "consent.withdraw", entity="report", entity_id=report_number,
                 details={"member": member_id, "sample_erased": erased is not None, "candidates_marked": marked,
                          "reason_id": why.id, **removed.as_dict()})
    if commit:
        session.commit()
    return {"sample": erased, "candidates_marked": marked, **removed.as_dict()}


def candidate_items(cand: Candidate) -> list[EvidenceItem]:
    """A stored candidate's evidence as :class:`~reunite.evidence.EvidenceItem` objects, DNA first
    (what :func:`reunite.evidence.fuse`, the reports, the pages and a calibration read)."""
    out = []
    for ev in sorted(cand.evidence, key=lambda e: order_of(e.kind)):
        if ev.log10_lr is None:
            lr = 0.0
        else:
            lr = ev.lr if ev.lr is not None else (10.0 ** ev.log10_lr if ev.log10_lr < 308 else math.inf)
        out.append(EvidenceItem(ev.kind, lr, ev.log10_lr, ev.model or "", ev.parameters or {}, ev.data or {}))
    return out


def candidate_posterior(cand: Candidate) -> Posterior | None:
    """The posterior of a stored candidate from its prior and items, by :func:`reunite.evidence.fuse`
    (None without a prior); 0 when the DNA conclusion excludes the pair."""
    if cand.prior is None:
        return None
    return fuse(candidate_items(cand), prior=cand.prior, excluded=bool(cand.dna_excluded))


def drop_dna(cand: Candidate) -> None:
    """The DNA evidence of a candidate is gone (consent withdrawn, sample erased): its DNA item, its
    provenance and conclusion are removed, it is marked ``dna_withdrawn`` and its posterior recomputed."""
    dna = cand.item("dna")
    if dna is not None:
        cand.evidence.remove(dna)
    cand.dna_withdrawn = True
    for k, v in NO_DNA.items():
        setattr(cand, k, v)
    post = candidate_posterior(cand)
    cand.posterior = None if post is None else post.probability


def _log10(x: float | None) -> float | None:
    if x is None:
        return None
    return -math.inf if x == 0 else math.log10(x)


def _row(item: EvidenceItem) -> dict:
    """What the store keeps of an item (``lr`` only where a float holds it; sentences in both languages)."""
    log10 = item.log10_lr if item.log10_lr is None or math.isfinite(item.log10_lr) else None
    lr = 0.0 if log10 is None else (10.0 ** log10 if -300 <= log10 <= 300 else None)
    return {"log10_lr": log10, "lr": lr, "model": item.model or None, "parameters": _plain(dict(item.parameters)),
            "data": _plain(dict(item.observed)), "sentence": sentence(item, "en"), "sentence_zh": sentence(item, "zh")}


def _legacy_items(cand: Candidate | None, ev: dict) -> tuple[list[EvidenceItem], set[str]]:
    """Items (and kinds to drop) from the shorthand keywords of :data:`EVIDENCE`."""
    items: list[EvidenceItem] = []
    drop: set[str] = set()
    old = cand.item("dna") if cand is not None else None
    if {"dna_lr", "dna_log10_lr", "inconsistent_markers", "markers_compared"} & set(ev):
        data = dict(old.data or {}) if old is not None else {}
        data.update({k: ev[k] for k in ("inconsistent_markers", "markers_compared") if k in ev})
        if "dna_lr" in ev or "dna_log10_lr" in ev:
            lr, log10 = ev.get("dna_lr"), ev.get("dna_log10_lr")
            if log10 is None and lr is not None:
                log10 = _log10(lr)
            if lr is None and log10 is None:
                drop.add("dna")
                log10 = "drop"
        else:  # the marker counts alone: the stored LR stays
            log10 = None if old is None else (old.log10_lr if old.log10_lr is not None else -math.inf)
            if old is None:
                log10 = "drop"
        if log10 != "drop":
            if log10 == -math.inf:
                item = EvidenceItem("dna", 0.0, None, DNA_MODEL, old.parameters if old else {}, data)
            else:
                item = from_lr("dna", log10_lr=log10, model=DNA_MODEL,
                               parameters=(old.parameters or {}) if old else {}, observed=data)
            items.append(item)
    for key in ("sex_lr", "age_lr", "time_lr"):
        if key in ev:
            kind = key[:-3]
            if ev[key] is None:
                drop.add(kind)
            else:
                items.append(from_lr(kind, ev[key]))
    return items, drop


def _plain(data):
    """JSON data as it reads back from the store (lists, not tuples), so that comparing it with the
    stored value says whether it changed."""
    return None if data is None else json.loads(json.dumps(_finite(data), allow_nan=False))


def _finite(data):
    """``data`` with non-finite floats as None (JSON has no infinity; LR 0 is said by ``lr`` 0)."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {str(k): _finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(v) for v in data]
    return data


def record_candidate(session: Session, case_number: str, report_number: str, *, user: str = "matching",
                     commit: bool = False, provenance: dict | None = None, conclusion: dict | None = None,
                     items: list[EvidenceItem] | tuple[EvidenceItem, ...] = (), drop: tuple[str, ...] = (),
                     **evidence: float | int | None) -> tuple[Candidate, str]:
    """Create or update the candidate (found child ``case_number``, report ``report_number``).

    ``items`` are :class:`~reunite.evidence.EvidenceItem` objects, one per kind: each replaces the
    stored item of its kind; kinds not given keep their stored items, kinds in ``drop`` are removed.
    ``evidence`` takes ``prior`` and the shorthands of :data:`EVIDENCE` (``dna_log10_lr=6.3``,
    ``sex_lr=1.9``, ``inconsistent_markers=0`` ...: each becomes an item; None removes the kind).
    A DNA LR is kept by its log10 (its ``lr`` only where a float holds it: None beyond 10^±300).
    ``provenance`` sets the columns of :data:`PROVENANCE` (what computed the DNA evidence),
    ``conclusion`` the DNA conclusion under the rules (``Conclusion.as_dict()`` of
    :mod:`reunite.genetics.rules`; the columns of :data:`CONCLUSION`).  The posterior is what
    :func:`reunite.evidence.fuse` gives for the stored prior and items (:func:`candidate_posterior`):
    0 when the conclusion excludes the pair, None without a prior.
    Returns the candidate and ``"added"``, ``"updated"`` or ``"unchanged"``.
    """
    unknown = set(evidence) - set(EVIDENCE)
    if unknown:
        raise TypeError(f"unknown evidence {sorted(unknown)}; use items=[...] or {', '.join(EVIDENCE)}")
    child = session.scalars(select(FoundChild).where(FoundChild.case_number == case_number)).first()
    report = session.scalars(select(MissingReport).where(MissingReport.report_number == report_number)).first()
    problems = []
    if child is None:
        problems.append(Problem(f"no found child has case number {case_number!r}", field="case_number"))
    if report is None:
        problems.append(Problem(f"no report has number {report_number!r}", field="report_number"))
    if problems:
        raise InputError(problems)
    cand = session.scalars(select(Candidate).where(Candidate.found_child_id == child.id,
                                                   Candidate.report_id == report.id)).first()
    shorthand, dropped = _legacy_items(cand, evidence)
    new_items = {i.kind: i for i in shorthand}
    for i in items:
        if not isinstance(i, EvidenceItem):
            raise TypeError("items must be reunite.evidence.EvidenceItem objects")
        new_items[i.kind] = i
    dropped = (dropped | set(drop)) - set(new_items)
    cols: dict = {}
    if "prior" in evidence:
        cols["prior"] = evidence["prior"]
    if provenance is not None:
        cols.update({k: provenance[k] for k in PROVENANCE})
        cols["mutation_model"] = _plain(cols["mutation_model"])
    if conclusion is not None:
        conclusion = _plain(conclusion)
        cols.update(dna_decision=conclusion["decision"], dna_excluded=bool(conclusion["excluded"]),
                    dna_conclusion=conclusion)
    if cand is None:
        cand = Candidate(found_child_id=child.id, report_id=report.id, status="new", **{"dna_excluded": False, **cols})
        session.add(cand)
        what = "added"
        changed = True
    else:
        what = "updated"
        changed = False
        for k, v in cols.items():
            if getattr(cand, k) != v:
                setattr(cand, k, v)
                changed = True
    for kind in dropped:
        old = cand.item(kind)
        if old is not None:
            cand.evidence.remove(old)
            changed = True
    for kind, item in new_items.items():
        row = _row(item)
        old = cand.item(kind)
        if old is None:
            cand.evidence.append(CandidateEvidence(kind=kind, **row))
            changed = True
        else:
            for k, v in row.items():
                if getattr(old, k) != v:
                    setattr(old, k, v)
                    changed = True
    post = candidate_posterior(cand)
    posterior = None if post is None else post.probability
    if cand.posterior != posterior:
        cand.posterior = posterior
        changed = True
    session.flush()
    if not changed:
        what = "unchanged"
    if what != "unchanged":
        append_audit(session, user, f"candidate.{'create' if what == 'added' else 'update'}", entity="candidate",
                     entity_id=cand.id, details={"case_number": case_number, "report_number": report_number,
                                                 "evidence": sorted(e.kind for e in cand.evidence),
                                                 "dna_log10_lr": cand.dna_log10_lr, "posterior": cand.posterior,
                                                 "dna_decision": cand.dna_decision, "rules": cand.rules})
    if commit:
        session.commit()
    return cand, what
