"""Reports a family files itself (the family portal): the report, its relatives, its other children.

The web portal parses and checks the form (each field's message in the family's language); these
functions write the records, audit them (counts and codes only: no names, no phone numbers) and
commit.  They raise the store's own errors: :class:`~reunite.errors.InputError` naming the field.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError, Problem
from .appeals import HOTLINE
from .audit import append_audit
from .cohorts import set_other_children
from .models import MissingReport, Relative, User, utcnow

__all__ = ["RELATIONS", "SCOPES", "add_relative", "create_report", "date_problems", "new_report_number",
           "record_other_children"]

#: How a relative who can give reference DNA is related to the missing child.
RELATIONS = ("father", "mother", "sibling", "grandparent", "other")
#: What a relative's consent covers: this report only, or every missing-child search.
SCOPES = ("this_report", "all_missing")
#: Most relatives a family may name on one report.
MAX_RELATIVES = 50


def new_report_number(session: Session) -> str:
    """A new, unguessable web report number (``W-YYYYMMDD-XXXXXX``)."""
    while True:
        number = f"W-{utcnow():%Y%m%d}-{secrets.token_hex(3).upper()}"
        if session.scalars(select(MissingReport.id).where(MissingReport.report_number == number)).first() is None:
            return number


#: The earliest date a report may give.
EARLIEST_DATE = dt.date(1900, 1, 1)
BEFORE_BIRTH = "the child went missing before the date of birth"
NOT_A_DAY = f"a date between {EARLIEST_DATE.isoformat()} and today"


def date_problems(date_of_birth: dt.date | None, disappeared_on: dt.date | None,
                  today: dt.date | None = None) -> list[Problem]:
    """What is wrong with a report's dates: before 1900 or in the future (each field), or the child
    missing before being born (``disappeared_on``)."""
    today = today or utcnow().date()
    out = [Problem(NOT_A_DAY, field=name) for name, d in (("date_of_birth", date_of_birth),
                                                          ("disappeared_on", disappeared_on))
           if d is not None and not EARLIEST_DATE <= d <= today]
    if not out and date_of_birth is not None and disappeared_on is not None and disappeared_on < date_of_birth:
        out.append(Problem(BEFORE_BIRTH, field="disappeared_on"))
    return out


def create_report(session: Session, family: User, *, child_name: str, sex: str, date_of_birth: dt.date | None,
                  disappeared_on: dt.date | None, disappeared_place: str, circumstances: str | None,
                  marks: str | None, contact_phone: str,
                  other_children: tuple[bool, list[tuple[str, int | None]]] = (False, []),
                  source: str = "family portal") -> MissingReport:
    """File a missing-child report for the family account ``family`` (fields already checked by the
    caller); its other children as :func:`~reunite.cases.cohorts.parse_other_children` gives them.
    Dates that cannot be (:func:`date_problems`) raise :class:`InputError`.  Audited (counts only), committed."""
    problems = date_problems(date_of_birth, disappeared_on)
    if not HOTLINE.match(contact_phone.strip()):
        problems.append(Problem("a phone number: 3 to 40 digits, spaces, +, -, ( and )", field="contact_phone"))
    if problems:
        raise InputError(problems)
    rep = MissingReport(report_number=new_report_number(session), child_name=child_name.strip(), sex=sex,
                        date_of_birth=date_of_birth, disappeared_on=disappeared_on,
                        disappeared_place=disappeared_place.strip(),
                        circumstances=(circumstances or "").strip() or None, marks=(marks or "").strip() or None,
                        contact_phone=contact_phone.strip(),
                        family_user_id=family.id)
    session.add(rep)
    session.flush()
    listed, items = other_children
    set_other_children(session, rep, listed, items)
    append_audit(session, family.name, "report.create", entity="missing_report", entity_id=rep.report_number,
                 details={"source": source, "other_children_listed": listed, "other_children": len(items)})
    session.commit()
    return rep


def record_other_children(session: Session, rep: MissingReport, listed: bool, items: list[tuple[str, int | None]],
                          *, user: str, source: str = "family portal") -> bool:
    """Replace a report's other children (or record that it has none); audited and committed when
    anything changed.  True if it did."""
    if not set_other_children(session, rep, listed, items):
        return False
    append_audit(session, user, "report.other_children", entity="missing_report", entity_id=rep.report_number,
                 details={"listed": listed, "other_children": len(items), "source": source})
    session.commit()
    return True


def add_relative(session: Session, rep: MissingReport, relation: str, consent: bool, scope: str, *,
                 user: str) -> Relative:
    """Record a relative who can give reference DNA (with their consent and its scope); audited, committed.

    Raises :class:`InputError` (every problem, by field) for an unknown relation or scope, or past
    :data:`MAX_RELATIVES` relatives."""
    problems = []
    if relation not in RELATIONS:
        problems.append(Problem(f"relation must be one of {', '.join(RELATIONS)}", field="relation"))
    if scope not in SCOPES:
        problems.append(Problem(f"scope must be one of {', '.join(SCOPES)}", field="scope"))
    if len(rep.relatives) >= MAX_RELATIVES:
        problems.append(Problem(f"at most {MAX_RELATIVES} relatives", field="relation"))
    if problems:
        raise InputError(problems)
    n = len(rep.relatives) + 1
    taken = {d.member_id for d in rep.relatives}
    while f"web-{n}" in taken:
        n += 1
    relative = Relative(member_id=f"web-{n}", relation=relation, consent_given=consent,
                        consent_scope=scope if consent else None)
    rep.relatives.append(relative)
    session.flush()
    append_audit(session, user, "donor.add", entity="missing_report", entity_id=rep.report_number,
                 details={"member_id": f"web-{n}", "relation": relation, "consent": consent, "scope": scope})
    session.commit()
    return relative
