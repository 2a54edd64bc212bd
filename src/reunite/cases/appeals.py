"""Public appeals for found children, and the tips the public sends about them.

An investigator publishes a found child's appeal (a hotline, optionally one of the child's photos);
unpublishing hides it at once.  Anyone may send a tip about a published appeal; tips go to the
investigators only.  Every publication, unpublication and tip is audited (the tip's text and contact
are not copied into the audit log).  Errors are the store's own: :class:`~reunite.errors.NotFoundError`
for an unknown child or appeal, :class:`~reunite.errors.InputError` naming the field otherwise.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, selectinload

from ..errors import InputError, NotFoundError, Problem
from .audit import append_audit
from .models import Appeal, FoundChild, Photo, Tip, utcnow
from .queries import like_pattern

__all__ = ["HOTLINE", "add_tip", "approx_age_months", "check_tip", "publish_appeal", "published_appeal",
           "published_appeals", "set_published"]

#: A hotline is a phone number: 3 to 40 digits, spaces, +, -, ( and ).
HOTLINE = re.compile(r"^[0-9+() \-]{3,40}$")


def approx_age_months(child: FoundChild, today: dt.date | None = None) -> float | None:
    """The child's approximate age now, in months, from the estimate made when assessed."""
    if child.age_months is None:
        return None
    since = child.age_assessed_on or child.found_on
    if since is None:
        return child.age_months
    today = today or utcnow().date()
    return child.age_months + max(0, (today - since).days) / 30.4375


def published_appeals(session: Session, place: str | None = None, min_age: float | None = None,
                      max_age: float | None = None) -> list[Appeal]:
    """Published appeals, newest first, filtered by place (text) and approximate age now (years)."""
    q = (select(Appeal).join(FoundChild, Appeal.found_child_id == FoundChild.id)
         .options(contains_eager(Appeal.found_child), selectinload(Appeal.photo))  # no query per appeal
         .where(Appeal.published.is_(True)).order_by(Appeal.published_at.desc(), Appeal.id.desc()))
    if place:
        q = q.where(FoundChild.found_place.ilike(like_pattern(place), escape="\\"))
    out = []
    for a in session.scalars(q.limit(2000)):
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


def published_appeal(session: Session, appeal_id: int) -> Appeal:
    """A published appeal; :class:`NotFoundError` if there is none (or it is unpublished)."""
    a = session.get(Appeal, appeal_id)
    if a is None or not a.published:
        raise NotFoundError(Problem("there is no published appeal with this number", field="appeal"))
    return a


def publish_appeal(session: Session, case_number: str, hotline: str, photo_id: int | None, *, user: str) -> Appeal:
    """Publish (or re-publish, with new details) the appeal of a found child; audited, committed.

    Raises :class:`NotFoundError` for an unknown case number and :class:`InputError` (every problem:
    the hotline, a photo that is not one of the child's) with nothing written."""
    child = session.scalars(select(FoundChild).where(FoundChild.case_number == case_number)).first()
    if child is None:
        raise NotFoundError(Problem("there is no found child with this case number", field="case_number"))
    problems = []
    hotline = (hotline or "").strip()
    if not HOTLINE.match(hotline):
        problems.append(Problem("a hotline is a phone number: 3 to 40 digits, spaces, +, -, ( and )",
                                field="hotline"))
    if photo_id is not None:
        photo = session.get(Photo, photo_id)
        if photo is None or photo.found_child_id != child.id:
            problems.append(Problem("the photo must be one of this child's photos", field="photo_id"))
    if problems:
        raise InputError(problems)
    appeal = session.scalars(select(Appeal).where(Appeal.found_child_id == child.id)).first()
    if appeal is None:
        appeal = Appeal(found_child_id=child.id, hotline=hotline)
        session.add(appeal)
    appeal.hotline, appeal.photo_id = hotline, photo_id
    appeal.published, appeal.published_at, appeal.published_by = True, utcnow(), user
    session.flush()
    append_audit(session, user, "appeal.publish", entity="appeal", entity_id=appeal.id,
                 details={"case_number": case_number, "photo_id": photo_id})
    session.commit()
    return appeal


def set_published(session: Session, appeal_id: int, published: bool, *, user: str) -> Appeal:
    """Publish or unpublish an appeal (unpublishing hides it at once); audited, committed."""
    appeal = session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFoundError(Problem("there is no appeal with this number", field="appeal"))
    appeal.published = published
    if published:
        appeal.published_at, appeal.published_by = utcnow(), user
    session.flush()
    append_audit(session, user, "appeal.publish" if published else "appeal.unpublish", entity="appeal",
                 entity_id=appeal.id, details={"case_number": appeal.found_child.case_number})
    session.commit()
    return appeal


# ------------------------------------------------------------------------------------ tips


def check_tip(message: str | None, contact: str | None) -> None:
    """Raise :class:`InputError` (every problem, by field) if a tip cannot be stored."""
    problems = []
    if not 5 <= len((message or "").strip()) <= 2000:
        problems.append(Problem("a tip is 5 to 2000 characters long", field="message"))
    if contact is not None and len(contact.strip()) > 200:
        problems.append(Problem("contact details are at most 200 characters", field="contact"))
    if problems:
        raise InputError(problems)


def add_tip(session: Session, appeal_id: int, message: str | None, contact: str | None) -> Tip:
    """Store a tip about a published appeal for the investigators; audited (without its text), committed.

    Raises :class:`NotFoundError` if the appeal is not published, :class:`InputError` for a bad tip."""
    appeal = published_appeal(session, appeal_id)
    check_tip(message, contact)
    tip = Tip(appeal_id=appeal.id, message=(message or "").strip(), contact=(contact or "").strip() or None)
    session.add(tip)
    session.flush()
    append_audit(session, "public", "tip.receive", entity="appeal", entity_id=appeal.id, details={"tip_id": tip.id})
    session.commit()
    return tip
