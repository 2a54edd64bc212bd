"""A found child's own search for their family (寻家): a teenager or adult who believes they were taken
as a child registers what they remember, and is matched like every found child.

:func:`register_self_search` makes them a :class:`~reunite.cases.models.FoundChild` of kind
``self_registered`` (case number ``XJ-YYYYMMDD-XXXXXX``) linked to their family-portal account, so the
matching (:mod:`reunite.cases.matching`) compares them with every open report like a rescued child: by
DNA once their profile is typed, and before that by the non-DNA evidence (sex, age, place, marks).
What they remember is mapped onto the fields the evidence models read:

- ``sex`` as given;
- the age: from the year of birth they give, the age now on the day they register (standard deviation
  :data:`SD_SURE_MONTHS` when they are sure of the year, :data:`SD_UNSURE_MONTHS` when not); none without it;
- ``found_place``: the place where they grew up (the family that raised them), which is what a rescued
  child's place found is: where the trafficking took them;
- ``marks``: birthmarks and scars;
- ``found_on`` stays empty: a remembered year is too vague for the time model, which reads recorded
  dates (the year and their age when taken are kept in ``memories`` for the investigators).

The names and places they remember and their story are kept in ``memories`` for the investigators, never
shown to the public.  DNA is offered with consent (:func:`give_dna_consent`): it records when they
agreed and gives the sample code the laboratory labels their swab with.  They can withdraw it
(:func:`withdraw_dna_consent`): the profile is erased, the report files of their candidates and the
exports are deleted (:func:`reunite.cases.privacy.erase_child_files`) and their candidates lose the DNA
evidence, as a family's withdrawal does.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError, Problem
from . import privacy
from .audit import append_audit
from .models import SEXES, Candidate, DnaSample, FoundChild, User, WithdrawalReason, utcnow
from .records import drop_dna, erase_sample

__all__ = ["SD_SURE_MONTHS", "SD_UNSURE_MONTHS", "Memories", "give_dna_consent", "own_self_search",
           "read_memories", "register_self_search", "withdraw_dna_consent"]

#: The age's standard deviation (months) when the year of birth is known for sure, and when it is a guess.
SD_SURE_MONTHS = 6.0
SD_UNSURE_MONTHS = 24.0
EARLIEST_YEAR = 1930
MAX_TEXT = 2000
#: How far (years) the year taken may be from the year of birth plus the age when taken.
AGE_TOLERANCE_YEARS = 2


@dataclass(frozen=True)
class Memories:
    """What a grown child remembers, as typed (texts stripped by :func:`register_self_search`)."""

    sex: str = "unknown"
    birth_year: int | None = None
    birth_year_sure: bool = False
    year_taken: int | None = None
    age_taken: int | None = None
    places: str = ""
    names: str = ""
    grew_up: str = ""
    marks: str = ""
    story: str = ""


def _problems(m: Memories, this_year: int) -> list[Problem]:
    out = []
    if m.sex not in SEXES:
        out.append(Problem(f"sex must be one of {', '.join(SEXES)}", field="sex"))
    for name in ("birth_year", "year_taken"):
        year = getattr(m, name)
        if year is not None and not EARLIEST_YEAR <= year <= this_year:
            out.append(Problem(f"a year between {EARLIEST_YEAR} and {this_year}", field=name))
    if m.age_taken is not None and not 0 <= m.age_taken <= 17:
        out.append(Problem("the age when taken is 0 to 17 years", field="age_taken"))
    if not out and m.birth_year is not None and m.year_taken is not None:
        if m.year_taken < m.birth_year:
            out.append(Problem("the year taken is before the year of birth", field="year_taken"))
        elif m.age_taken is not None and abs(m.year_taken - m.birth_year - m.age_taken) > AGE_TOLERANCE_YEARS:
            out.append(Problem("the age when taken does not fit the years of birth and of being taken",
                               field="age_taken"))
    for name in ("places", "names", "grew_up", "marks", "story"):
        if len(getattr(m, name) or "") > MAX_TEXT:
            out.append(Problem(f"at most {MAX_TEXT} characters", field=name))
    if not any((getattr(m, n) or "").strip() for n in ("places", "names", "story")):
        out.append(Problem("write at least one thing you remember: a place, a name or what happened",
                           field="places"))
    return out


def _case_number(session: Session) -> str:
    while True:
        number = f"XJ-{utcnow():%Y%m%d}-{secrets.token_hex(3).upper()}"
        if session.scalars(select(FoundChild.id).where(FoundChild.case_number == number)).first() is None:
            return number


def own_self_search(session: Session, user: User) -> FoundChild | None:
    """The self-registered search of the account ``user``, if any."""
    return session.scalars(select(FoundChild).where(FoundChild.account_id == user.id,
                                                    FoundChild.kind == "self_registered")).first()


def register_self_search(session: Session, user: User, memories: Memories, *, today: dt.date | None = None,
                         commit: bool = True) -> FoundChild:
    """Register the account ``user`` as a found child of kind ``self_registered`` (see the module
    docstring); every problem of ``memories`` is reported together, by field.  One per account.  Audited
    (which fields were given, never their text)."""
    if user.role != "family":
        raise InputError(Problem("only a family-portal account registers its own search", field="account"))
    if own_self_search(session, user) is not None:
        raise InputError(Problem("this account has registered its search already", field="account"))
    today = today or utcnow().date()
    problems = _problems(memories, today.year)
    if problems:
        raise InputError(problems)
    age = sd = None
    if memories.birth_year is not None:
        age = max(0.0, (today - dt.date(memories.birth_year, 7, 1)).days / 30.4375)
        sd = SD_SURE_MONTHS if memories.birth_year_sure else SD_UNSURE_MONTHS
    texts = {n: (getattr(memories, n) or "").strip() for n in ("places", "names", "story")}
    child = FoundChild(case_number=_case_number(session), kind="self_registered", account_id=user.id,
                       sex=memories.sex, age_months=age, age_sd_months=sd, age_assessed_on=today if age else None,
                       found_place=memories.grew_up.strip() or None, marks=memories.marks.strip() or None,
                       memories={**texts, "birth_year": memories.birth_year,
                                 "birth_year_sure": memories.birth_year_sure, "year_taken": memories.year_taken,
                                 "age_taken": memories.age_taken})
    session.add(child)
    session.flush()
    given = sorted(n for n in ("birth_year", "year_taken", "age_taken", "places", "names", "grew_up", "marks", "story")
                   if getattr(memories, n) not in (None, ""))
    append_audit(session, user.name, "self_search.register", entity="found_child", entity_id=child.case_number,
                 details={"kind": "self_registered", "given": given})
    if commit:
        session.commit()
    return child


def _fresh_sample(session: Session, child: FoundChild) -> str:
    """The child's sample code, or a new one when that sample was erased (an erased sample cannot be
    imported again): ``<case number>-DNA``, then ``-DNA2``, ``-DNA3`` …"""
    code, n = child.sample or f"{child.case_number}-DNA", 1
    while session.scalars(select(DnaSample.id).where(DnaSample.sample == code, DnaSample.erased.is_(True))).first():
        n += 1
        code = f"{child.case_number}-DNA{n}"
    return code


def give_dna_consent(session: Session, child: FoundChild, *, user: str, commit: bool = True) -> FoundChild:
    """Record that the self-registered ``child`` agrees to give DNA, and give the sample code their swab is
    labelled with (``<case number>-DNA``; a new one after a withdrawal); giving it again changes nothing.
    Audited."""
    if child.kind != "self_registered":
        raise InputError(Problem("only a self-registered search records its own consent", field="case_number"))
    if child.dna_consent_at is None:
        child.dna_consent_at = utcnow()
        child.sample = _fresh_sample(session, child)
        session.flush()
        append_audit(session, user, "self_search.consent", entity="found_child", entity_id=child.case_number,
                     details={"sample": child.sample})
    if commit:
        session.commit()
    return child


def withdraw_dna_consent(session: Session, child: FoundChild, *, user: str, reason: str = "withdrawn by themselves",
                         commit: bool = True) -> dict:
    """The self-registered ``child`` withdraws their DNA consent: their profile is erased (the sample row
    stays, marked erased), the files that may hold it are deleted, their candidates lose the DNA evidence
    (marked ``dna_withdrawn``), and the consent is cleared.  The reason is kept apart for investigators
    (``withdrawal_reasons``), the audit entry names it by id.  Returns what was done."""
    if child.kind != "self_registered" or child.dna_consent_at is None:
        raise InputError(Problem("there is no DNA consent to withdraw", field="case_number"))
    why = WithdrawalReason(report_number=child.case_number, member_id="self", reason=reason.strip() or "withdrawn",
                           recorded_by=str(user))
    session.add(why)
    session.flush()
    privacy.secure_delete(session)
    erased = child.sample if child.sample and session.scalars(
        select(DnaSample.id).where(DnaSample.sample == child.sample)).first() is not None else None
    if erased:
        erase_sample(session, erased, user=user, reason=f"consent withdrawn (reason {why.id})", commit=False)
    marked = 0
    for cand in session.scalars(select(Candidate).where(Candidate.found_child_id == child.id)):
        if cand.has_dna:
            drop_dna(cand)
            marked += 1
    child.dna_consent_at = None
    session.flush()
    removed = privacy.erase_child_files(session, child.id)
    append_audit(session, user, "self_search.withdraw", entity="found_child", entity_id=child.case_number,
                 details={"sample_erased": erased is not None, "candidates_marked": marked, "reason_id": why.id,
                          **removed.as_dict()})
    if commit:
        session.commit()
    return {"sample": erased, "candidates_marked": marked, **removed.as_dict()}


def read_memories(session: Session, child: FoundChild, *, user: str) -> dict | None:
    """What a self-registered ``child`` remembers, for an investigator or lab analyst (the caller checks
    the role); the read is audited, with no text.  None for a child found by others."""
    if child.kind != "self_registered":
        return None
    append_audit(session, user, "self_search.read", entity="found_child", entity_id=child.case_number)
    session.commit()
    return dict(child.memories or {})
