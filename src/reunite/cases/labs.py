"""Laboratories: the name a sample's ``lab`` refers to, with its Chinese name, accreditation number
(e.g. ``CNAS L1234``) and address, printed on every lab report.

:func:`add_lab` adds a laboratory or updates its details (audited: who, which lab, what changed);
:func:`lab_of` is the laboratory a sample's ``lab`` names, if registered.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError, Problem
from .audit import append_audit
from .models import Laboratory

__all__ = ["add_lab", "lab_of", "list_labs"]

_FIELDS = ("name_zh", "accreditation", "address")


def add_lab(session: Session, name: str, *, name_zh: str | None = None, accreditation: str | None = None,
            address: str | None = None, user: str, commit: bool = True) -> tuple[Laboratory, str]:
    """Register the laboratory ``name`` (what ``reunite import profiles --lab`` records) or update the
    details given (None leaves a detail as stored).  Returns it and ``added``, ``updated`` or
    ``unchanged``."""
    name = (name or "").strip()
    problems = []
    if not name:
        problems.append(Problem("a laboratory needs a name", field="name", code="lab_name_required"))
    elif len(name) > 100:
        problems.append(Problem(f"a laboratory name has at most 100 characters, got {len(name)}", field="name",
                                    code="too_long", params={"n": len(name), "max": 100}))
    if accreditation is not None and len(accreditation.strip()) > 100:
        problems.append(Problem("an accreditation number has at most 100 characters", field="accreditation"))
    if problems:
        raise InputError(problems)
    given = {k: v.strip() or None for k, v in (("name_zh", name_zh), ("accreditation", accreditation),
                                                ("address", address)) if v is not None}
    lab = session.scalars(select(Laboratory).where(Laboratory.name == name)).first()
    if lab is None:
        lab = Laboratory(name=name, **given)
        session.add(lab)
        what = "added"
    else:
        changed = {k: v for k, v in given.items() if getattr(lab, k) != v}
        for k, v in changed.items():
            setattr(lab, k, v)
        what = "updated" if changed else "unchanged"
    session.flush()
    if what != "unchanged":
        append_audit(session, user, f"lab.{'add' if what == 'added' else 'update'}", entity="laboratory",
                     entity_id=str(lab.id), details={"name": name, "fields": sorted(given)})
    if commit:
        session.commit()
    return lab, what


def list_labs(session: Session) -> list[Laboratory]:
    """Every registered laboratory, by name."""
    return list(session.scalars(select(Laboratory).order_by(Laboratory.name)))


def lab_of(session: Session, name: str | None) -> Laboratory | None:
    """The registered laboratory called ``name`` (a sample's ``lab``), or None."""
    if not name:
        return None
    return session.scalars(select(Laboratory).where(Laboratory.name == name)).first()
