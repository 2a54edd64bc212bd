"""Small write operations on the store that other layers build on: users, candidates, erasure.

:func:`record_candidate` is how matching stores what it found: it creates the candidate of a
found child and a report or updates its evidence, never touching its review status, and does
nothing when the evidence is unchanged (so re-running a search changes nothing).
"""

from __future__ import annotations

import json
import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError, Problem
from .audit import append_audit
from .importing import default_user
from .models import ROLES, Candidate, DnaSample, FoundChild, MissingReport, PedigreeMember, Relative, User, utcnow

__all__ = ["CONCLUSION", "EVIDENCE", "NO_DNA", "PROVENANCE", "add_user", "erase_sample", "get_user",
           "posterior_probability", "record_candidate", "withdraw_consent"]

#: The evidence columns of a candidate that :func:`record_candidate` sets.
EVIDENCE = ("dna_lr", "dna_log10_lr", "inconsistent_markers", "markers_compared", "sex_lr", "age_lr", "time_lr",
            "prior", "posterior")
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
        raise InputError(Problem("a user needs a name", field="name"))
    if role not in ROLES:
        raise InputError(Problem(f"role {role!r} is not one of {', '.join(ROLES)}", field="role"))
    user = get_user(session, name)
    if user is not None:
        if user.role != role:
            raise InputError(Problem(f"user {name!r} already exists with role {user.role}", field="role"))
        return user
    user = User(name=name, role=role)
    session.add(user)
    session.flush()
    append_audit(session, by or default_user(), "user.add", entity="user", entity_id=name, details={"role": role})
    if commit:
        session.commit()
    return user


def erase_sample(session: Session, sample: str, *, user: str, reason: str, commit: bool = True) -> DnaSample:
    """Erase a sample's genotypes (consent withdrawn): the row stays, marked ``erased``, so the
    audit trail still makes sense and the sample cannot be imported again."""
    if not reason or not reason.strip():
        raise InputError(Problem("erasing a sample needs a reason", field="reason"))
    obj = session.scalars(select(DnaSample).where(DnaSample.sample == sample)).first()
    if obj is None:
        raise InputError(Problem(f"no sample has code {sample!r}", field="sample"))
    obj.genotypes = {}
    obj.marker_count = 0
    obj.erased = True
    obj.erased_at = utcnow()
    session.flush()
    append_audit(session, user, "sample.erase", entity="dna_sample", entity_id=sample,
                 details={"reason": reason.strip()})
    if commit:
        session.commit()
    return obj


def withdraw_consent(session: Session, report_number: str, member_id: str, *, user: str, reason: str,
                     commit: bool = True) -> dict:
    """A relative withdraws consent: record it, erase the genotype (the sample row stays,
    marked erased, with an audit entry that it existed), and mark the report's candidates whose
    DNA evidence depended on it (their DNA LR is cleared and the posterior recomputed).

    Returns what was done: the sample erased (or None) and the number of candidates marked.
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
    if relative is not None:
        relative.consent_given = False
        relative.consent_scope = "withdrawn"
    sample = (relative.sample if relative is not None and relative.sample else None) or (row.sample if row else None)
    erased = None
    if sample and session.scalars(select(DnaSample).where(DnaSample.sample == sample)).first() is not None:
        erase_sample(session, sample, user=user, reason=reason, commit=False)
        erased = sample
    marked = 0
    for cand in rep.candidates:
        if cand.dna_lr is not None or cand.dna_log10_lr is not None:
            cand.dna_lr = None
            cand.dna_log10_lr = None
            cand.inconsistent_markers = None
            cand.markers_compared = None
            cand.dna_withdrawn = True
            for k, v in NO_DNA.items():
                setattr(cand, k, v)
            if cand.prior is not None:
                logs = [_log10(x) for x in (cand.sex_lr, cand.age_lr, cand.time_lr)]
                cand.posterior = posterior_probability(cand.prior, [x for x in logs if x is not None])
            marked += 1
    session.flush()
    append_audit(session, user, "consent.withdraw", entity="report", entity_id=report_number,
                 details={"member": member_id, "sample_erased": erased is not None, "candidates_marked": marked,
                          "reason": reason.strip()})
    if commit:
        session.commit()
    return {"sample": erased, "candidates_marked": marked}


def posterior_probability(prior: float, log10_lrs: list[float]) -> float:
    """Posterior probability of H1 from a prior probability and independent log10 LRs."""
    if not 0 < prior < 1:
        raise InputError(Problem(f"the prior {prior} must be strictly between 0 and 1", field="prior"))
    log_odds = math.log10(prior) - math.log10(1 - prior) + sum(log10_lrs)
    if log_odds > 300:
        return 1.0
    if log_odds < -300:
        return 0.0
    odds = 10.0 ** log_odds
    return odds / (1.0 + odds)


def _log10(x: float | None) -> float | None:
    if x is None:
        return None
    return -math.inf if x == 0 else math.log10(x)


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
                     **evidence: float | int | None) -> tuple[Candidate, str]:
    """Create or update the candidate (found child ``case_number``, report ``report_number``).

    ``evidence`` takes the columns in :data:`EVIDENCE`; those not given keep their stored values.
    ``dna_lr`` and ``dna_log10_lr`` complete each other (``dna_lr`` is stored only when it is a
    finite, representable number: None beyond 10^±300, where ``dna_log10_lr`` alone says it).
    ``provenance`` sets the columns of :data:`PROVENANCE` (what computed the DNA evidence),
    ``conclusion`` the DNA conclusion under the rules (``Conclusion.as_dict()`` of
    :mod:`reunite.genetics.rules`; the columns of :data:`CONCLUSION`).  Unless ``posterior`` is given
    it is computed here, once, from the stored prior and the LRs (taken as independent) whenever a
    prior is known; it is 0 when the conclusion excludes the pair.
    Returns the candidate and ``"added"``, ``"updated"`` or ``"unchanged"``.
    """
    unknown = set(evidence) - set(EVIDENCE)
    if unknown:
        raise TypeError(f"unknown evidence {sorted(unknown)}; use {', '.join(EVIDENCE)}")
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
    ev = {k: (getattr(cand, k) if cand is not None else None) for k in EVIDENCE}
    ev.update(evidence)
    if "dna_log10_lr" in evidence and "dna_lr" not in evidence:
        x = ev["dna_log10_lr"]
        ev["dna_lr"] = 10.0 ** x if x is not None and -300 <= x <= 300 else None
    elif "dna_lr" in evidence and "dna_log10_lr" not in evidence:
        ev["dna_log10_lr"] = _log10(ev["dna_lr"])
    lr = ev["dna_lr"]
    if lr is not None and not (math.isfinite(lr) and (lr > 0 or ev["dna_log10_lr"] is None)):
        ev["dna_lr"] = None   # overflowed or underflowed: the log10 says it
    if ev["dna_log10_lr"] is not None and not math.isfinite(ev["dna_log10_lr"]):
        ev["dna_log10_lr"] = None   # LR 0 is dna_lr 0 with no log10
    if provenance is not None:
        ev.update({k: provenance[k] for k in PROVENANCE})
        ev["mutation_model"] = _plain(ev["mutation_model"])
    if conclusion is not None:
        conclusion = _plain(conclusion)
        ev.update(dna_decision=conclusion["decision"], dna_excluded=bool(conclusion["excluded"]),
                  dna_conclusion=conclusion)
    elif cand is None:
        ev.update(dna_excluded=False)
    if "posterior" not in evidence and ev["prior"] is not None:
        excluded = ev.get("dna_excluded", cand.dna_excluded if cand is not None else False)
        if excluded or ev["dna_lr"] == 0:
            ev["posterior"] = 0.0
        else:
            logs = [ev["dna_log10_lr"]] + [_log10(ev[k]) for k in ("sex_lr", "age_lr", "time_lr")]
            ev["posterior"] = posterior_probability(ev["prior"], [x for x in logs if x is not None])
    if cand is None:
        cand = Candidate(found_child_id=child.id, report_id=report.id, status="new", **ev)
        session.add(cand)
        session.flush()
        what = "added"
    else:
        changed = {k: v for k, v in ev.items() if getattr(cand, k) != v}
        for k, v in changed.items():
            setattr(cand, k, v)
        what = "updated" if changed else "unchanged"
        session.flush()
    if what != "unchanged":
        append_audit(session, user, f"candidate.{'create' if what == 'added' else 'update'}", entity="candidate",
                     entity_id=cand.id, details={"case_number": case_number, "report_number": report_number,
                                                 "dna_log10_lr": cand.dna_log10_lr, "posterior": cand.posterior,
                                                 "dna_decision": cand.dna_decision, "rules": cand.rules})
    if commit:
        session.commit()
    return cand, what
