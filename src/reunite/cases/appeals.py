"""Public appeals: what is published, how the public finds it, and how a poster proves it is genuine.

An appeal is for a found child's family (the police publish the child's photo and facts) or for a
missing child (a report whose family agreed to publish it).  The investigator chooses the facts to
publish (:data:`FACTS`); whatever is chosen, the public never sees:

- an exact address: the place is the county, prefecture or province the gazetteer resolves the
  record's place to (:func:`reunite.evidence.place.resolve_place`), never the text typed, which may
  hold a street or a village; a place the gazetteer cannot resolve is not published;
- a genotype, a case or report number, a care location, a family's contact details, a candidate.

Ages come in two: the age *then* (when the child was found, or went missing) and the age *now*.
An infant found in 2014 at about 8 months is about 13 years old in 2026: the public searches by
either, and the age now is never shown as the age then.

Every appeal has a photo or a stated reason why not (:func:`publish`).

Posters carry a QR code that opens the appeal's page with a signed token (:func:`poster_token`):
``<appeal id>.<publication time, base 36>.<MAC, 16 URL-safe characters>``, the MAC made by
:class:`reunite.cases.signing.Signer` (purpose ``poster``, keyed by ``$REUNITE_SECRET_KEY``, never a
key kept in the database).  :func:`verify_token` says whether a poster is genuine (signed, and the
appeal published in that edition), superseded (genuine, but the appeal was published again since,
perhaps with other facts), withdrawn (the appeal is unpublished or gone) or forged (the signature does
not match); a poster signed with a retired key of the key ring (printed before a key change, or by
the store's own key before migration 0019) is said to be so, and still checked.

Anyone may send a tip about a published appeal (:func:`add_tip`); tips go to the investigators only.
Every publication, unpublication, poster and tip is audited (a tip's text and contact are not copied
into the audit log).  Errors are the store's own: :class:`~reunite.errors.NotFoundError` for an
unknown child, report or appeal, :class:`~reunite.errors.InputError` naming the field otherwise.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..errors import InputError, NotFoundError, Problem
from ..evidence.place import ResolvedPlace, resolve_place
from .audit import append_audit
from .models import Appeal, FoundChild, MissingReport, Photo, Tip, utcnow
from .privacy import erase_posters
from .signing import SECRET_ENV, Signer, SigningKeyMissing

__all__ = ["DEFAULT_FACTS", "FACTS", "HOTLINE", "KINDS", "PUBLIC_URL_ENV", "PublicAppeal", "Verification", "add_tip",
           "age_now_months", "age_parts", "age_then_months", "check_tip", "get_appeal", "poster_token", "poster_url",
           "public_view", "publish", "published_appeal", "published_appeals", "published_views", "search",
           "set_published", "verify_token"]

#: The facts an investigator may choose to publish.  ``name`` only for a missing child (a found
#: child's name is unknown or protected); ``description`` and ``marks`` are written for the appeal.
FACTS = ("sex", "age", "place", "date", "description", "marks", "name")
#: What is published when the investigator does not choose.
DEFAULT_FACTS = ("sex", "age", "place", "date", "description", "marks")
KINDS = ("found", "missing")

#: The site's public address printed in the posters' QR codes (default on the web: the request's address).
PUBLIC_URL_ENV = "REUNITE_PUBLIC_URL"
#: A hotline is a phone number: 3 to 40 digits, spaces, +, -, ( and ).
HOTLINE = re.compile(r"^[0-9+() \-]{3,40}$")
DAYS_PER_MONTH = 365.25 / 12
_TOKEN = re.compile(r"^([1-9][0-9]{0,9})\.([0-9a-z]{1,12})\.([A-Za-z0-9_\-]{16})$")


def _problem(field: str, message: str) -> Problem:
    return Problem(message, field=field)


# ------------------------------------------------------------------------------------ ages


def _months(a: dt.date, b: dt.date) -> float:
    return (b - a).days / DAYS_PER_MONTH


class _Facts(NamedTuple):
    """What an appeal's public view is made from: the appeal's own columns and those of its subject
    (a found child's or a report's), read as plain values, by one query for a whole list
    (:func:`_fact_rows`) or from the ORM objects of one appeal (:func:`_facts_of`)."""

    id: int
    found: bool
    subject_id: int
    facts: list[str] | None
    hotline: str
    description: str | None
    marks: str | None
    no_photo_reason: str | None
    published_at: dt.datetime | None
    photo_path: str | None
    photo_owner: int | None        # the photo's found child (a found child's appeal) or report, else None
    sex: str | None
    place: str | None              # the subject's place as typed (resolved before anything is shown)
    date: dt.date | None           # found on / disappeared on
    name: str | None               # a report's child_name (never a found child's)
    age_months: float | None       # a found child's estimate ...
    age_assessed_on: dt.date | None  # ... and the day it was made
    date_of_birth: dt.date | None  # a report's


def _facts_of(appeal: Appeal) -> _Facts:
    found = appeal.found_child is not None
    s = _subject(appeal)
    photo = appeal.photo
    owner = None if photo is None else (photo.found_child_id if found else photo.report_id)
    return _Facts(appeal.id, found, s.id, appeal.facts, appeal.hotline, appeal.description, appeal.marks,
                  appeal.no_photo_reason, appeal.published_at, photo.path if photo is not None else None, owner,
                  s.sex, s.found_place if found else s.disappeared_place, s.found_on if found else s.disappeared_on,
                  None if found else s.child_name, s.age_months if found else None,
                  s.age_assessed_on if found else None, None if found else s.date_of_birth)


def _age_then(f: _Facts) -> float | None:
    if f.found:
        if f.age_months is None:
            return None
        if f.age_assessed_on is not None and f.date is not None:
            return max(0.0, f.age_months + _months(f.age_assessed_on, f.date))
        return f.age_months
    if f.date_of_birth is None or f.date is None:
        return None
    return max(0.0, _months(f.date_of_birth, f.date))


def _age_now(f: _Facts, today: dt.date) -> float | None:
    if f.found:
        if f.age_months is None:
            return None
        since = f.age_assessed_on or f.date
        return f.age_months + (max(0.0, _months(since, today)) if since is not None else 0.0)
    return None if f.date_of_birth is None else max(0.0, _months(f.date_of_birth, today))


def age_then_months(appeal: Appeal) -> float | None:
    """The child's age when found (a found child: the estimate, carried from its assessment to the
    day found) or when it went missing (a missing child: from the date of birth), in months."""
    return _age_then(_facts_of(appeal))


def age_parts(months: float) -> tuple[str, int]:
    """How an age is said: ``("months", n)`` under two years, else ``("years", whole years)``."""
    return ("months", round(months)) if months < 24 else ("years", int(months // 12))


def age_now_months(appeal: Appeal, today: dt.date | None = None) -> float | None:
    """The child's approximate age today, in months."""
    return _age_now(_facts_of(appeal), today or utcnow().date())


# --------------------------------------------------------------------------------- the view


@lru_cache(maxsize=4096)
def _place(text: str | None) -> ResolvedPlace | None:
    try:
        return resolve_place(text)
    except InputError:
        return None


@dataclass(frozen=True)
class PublicAppeal:
    """What the public may see of an appeal: the chosen facts only (None where not published)."""

    id: int
    kind: str
    sex: str | None
    age_then_months: float | None
    age_now_months: float | None
    place_zh: str | None
    place_en: str | None
    adcode: str | None
    date: str | None
    description: str | None
    marks: str | None
    name: str | None
    hotline: str
    photo_path: str | None
    no_photo_reason: str | None
    published_at: str | None

    @property
    def photo_url(self) -> str | None:
        """The photo's address on the site (``/media/...``), or None."""
        return f"/media/{self.photo_path}" if self.photo_path else None

    def as_dict(self) -> dict:
        """The view as JSON-ready values, ages rounded to whole months, with the photo's URL."""
        out = {f: getattr(self, f) for f in _VIEW_FIELDS}   # values are flat: no deep copy (asdict)
        for k in ("age_then_months", "age_now_months"):
            out[k] = None if out[k] is None else round(out[k])
        out["photo_url"] = self.photo_url
        return out


_VIEW_FIELDS = tuple(f.name for f in fields(PublicAppeal) if f.name != "photo_path")


def _subject(appeal: Appeal) -> FoundChild | MissingReport:
    return appeal.found_child if appeal.found_child is not None else appeal.report


def _chosen(f: _Facts) -> frozenset[str]:
    return frozenset(f.facts if f.facts is not None else DEFAULT_FACTS)


def _published_place(f: _Facts, chosen: frozenset[str]) -> ResolvedPlace | None:
    return _place(f.place) if "place" in chosen else None


def _view(f: _Facts, today: dt.date, chosen: frozenset[str], place: ResolvedPlace | None) -> PublicAppeal:
    owner_ok = f.photo_path is not None and f.photo_owner == f.subject_id
    age = "age" in chosen
    return PublicAppeal(
        id=f.id, kind="found" if f.found else "missing",
        sex=f.sex if "sex" in chosen else None,
        age_then_months=_age_then(f) if age else None,
        age_now_months=_age_now(f, today) if age else None,
        place_zh=place.name_zh if place else None, place_en=place.name_en if place else None,
        adcode=place.adcode if place else None,
        date=f.date.isoformat() if f.date is not None and "date" in chosen else None,
        description=f.description if "description" in chosen else None,
        marks=f.marks if "marks" in chosen else None,
        name=f.name if "name" in chosen and not f.found else None,
        hotline=f.hotline, photo_path=f.photo_path if owner_ok else None,
        no_photo_reason=None if owner_ok else (f.no_photo_reason or ""),
        published_at=f.published_at.date().isoformat() if f.published_at else None)


def public_view(appeal: Appeal, today: dt.date | None = None) -> PublicAppeal:
    """The public view of an appeal (see the module docstring for what is never in it)."""
    f = _facts_of(appeal)
    chosen = _chosen(f)
    return _view(f, today or utcnow().date(), chosen, _published_place(f, chosen))


# ----------------------------------------------------------------------------------- search


def _in_years(months: float | None, lo: float | None, hi: float | None) -> bool:
    """Whether an age (months) falls in [lo, hi] whole years (hi inclusive: 'up to 13' keeps 13.9)."""
    if lo is None and hi is None:
        return True
    if months is None:
        return False
    years = months / 12
    return (lo is None or years >= lo) and (hi is None or years < hi + 1)


def _place_matches(place: ResolvedPlace | None, query: ResolvedPlace | None, text: str) -> bool:
    if place is None:
        return False
    if query is not None:
        keep = {"province": 2, "prefecture": 4, "county": 6}[query.level]
        return place.adcode[:keep] == query.adcode[:keep]
    t = text.casefold()
    return t in place.name_zh.casefold() or t in (place.name_en or "").casefold()


def published_appeals(session: Session, limit: int = 2000) -> list[Appeal]:
    """The published appeals as ORM objects, newest first, with what their public views read (no
    query per appeal).  Show them through :func:`public_view`; for a list, :func:`search` (or
    :func:`published_views`) is cheaper: it reads plain rows."""
    q = (select(Appeal).where(Appeal.published.is_(True))
         .options(selectinload(Appeal.found_child), selectinload(Appeal.report), selectinload(Appeal.photo))
         .order_by(Appeal.published_at.desc(), Appeal.id.desc()))
    return list(session.scalars(q.limit(limit)))


def _fact_rows(session: Session, *, kind: str | None = None, limit: int = 2000) -> list[_Facts]:
    """The published appeals' :class:`_Facts`, newest first, in one query of plain columns (no ORM
    objects: loading and tracking a few hundred appeals, children, reports and photos as objects cost
    more than everything else a public search does)."""
    fc, r, ph = FoundChild.__table__.c, MissingReport.__table__.c, Photo.__table__.c
    a = Appeal.__table__.c
    q = (select(a.id, a.found_child_id, a.report_id, a.facts, a.hotline, a.description, a.marks, a.no_photo_reason,
                a.published_at, ph.path, ph.found_child_id.label("ph_fc"), ph.report_id.label("ph_r"),
                fc.sex.label("fc_sex"), fc.found_place, fc.found_on, fc.age_months, fc.age_assessed_on,
                r.sex.label("r_sex"), r.disappeared_place, r.disappeared_on, r.child_name, r.date_of_birth)
         .select_from(Appeal.__table__.outerjoin(FoundChild.__table__, fc.id == a.found_child_id)
                      .outerjoin(MissingReport.__table__, r.id == a.report_id)
                      .outerjoin(Photo.__table__, ph.id == a.photo_id))
         .where(a.published.is_(True)).order_by(a.published_at.desc(), a.id.desc()).limit(limit))
    if kind == "found":
        q = q.where(a.found_child_id.is_not(None))
    elif kind == "missing":
        q = q.where(a.found_child_id.is_(None))
    out = []
    for (aid, fc_id, r_id, facts, hotline, description, marks, no_photo_reason, published_at, path, ph_fc, ph_r,
         fc_sex, found_place, found_on, age_months, age_assessed_on, r_sex, disappeared_place, disappeared_on,
         child_name, date_of_birth) in session.execute(q):
        if fc_id is not None:
            out.append(_Facts(aid, True, fc_id, facts, hotline, description, marks, no_photo_reason, published_at,
                              path, ph_fc, fc_sex, found_place, found_on, None, age_months, age_assessed_on, None))
        else:
            out.append(_Facts(aid, False, r_id, facts, hotline, description, marks, no_photo_reason, published_at,
                              path, ph_r, r_sex, disappeared_place, disappeared_on, child_name, None, None,
                              date_of_birth))
    return out


def published_views(session: Session, today: dt.date | None = None, limit: int = 2000) -> list[PublicAppeal]:
    """Every published appeal's public view, newest first (one query)."""
    return search(session, today=today, limit=limit)


def search(session: Session, *, place: str | None = None, sex: str | None = None, kind: str | None = None,
           age_then: tuple[float | None, float | None] = (None, None),
           age_now: tuple[float | None, float | None] = (None, None),
           date_from: dt.date | None = None, date_to: dt.date | None = None,
           today: dt.date | None = None, limit: int = 2000) -> list[PublicAppeal]:
    """Published appeals, newest first, as the public sees them, filtered by:

    - ``place`` in Chinese, pinyin or English ("昆明", "Kunming", "kunming"): resolved by the
      gazetteer, it matches every appeal whose published place lies inside it (a prefecture finds
      its counties); text the gazetteer does not know is looked for in the published place names;
    - ``sex``; ``kind`` (``found`` or ``missing``);
    - ``age_then`` and ``age_now``: (from, to) in whole years, either end open;
    - ``date_from`` / ``date_to``: the day found or lost.

    Only published facts are searched: an appeal that does not publish its place is not found by place.
    One query of plain columns; an appeal's view is made only once its published place, sex and date
    passed the filters (the places are resolved once per distinct text and kept).
    """
    today = today or utcnow().date()
    text = (place or "").strip()
    query_place = _place(text) if text else None
    out = []
    for f in _fact_rows(session, kind=kind if kind in KINDS else None, limit=limit):
        chosen = _chosen(f)
        if kind and ("found" if f.found else "missing") != kind:
            continue
        if sex and (f.sex != sex or "sex" not in chosen):
            continue
        where = _published_place(f, chosen)
        if text and not _place_matches(where, query_place, text):
            continue
        if date_from or date_to:
            if f.date is None or "date" not in chosen or (date_from and f.date < date_from) \
                    or (date_to and f.date > date_to):
                continue
        v = _view(f, today, chosen, where)
        if not (_in_years(v.age_then_months, *age_then) and _in_years(v.age_now_months, *age_now)):
            continue
        out.append(v)
    return out


# ----------------------------------------------------------------------------- publishing


def get_appeal(session: Session, appeal_id: int, *, published_only: bool = False) -> Appeal:
    """An appeal by number (published only, if asked); :class:`NotFoundError` if there is none."""
    a = session.get(Appeal, appeal_id)
    if a is None or (published_only and not a.published):
        raise NotFoundError(Problem(f"there is no {'published ' if published_only else ''}appeal with this number",
                                    field="appeal"))
    return a


def published_appeal(session: Session, appeal_id: int) -> Appeal:
    """A published appeal; :class:`NotFoundError` if there is none (or it is unpublished)."""
    return get_appeal(session, appeal_id, published_only=True)


def _check(session: Session, subject, found: bool, hotline: str, photo_id: int | None, facts: list[str],
           no_photo_reason: str | None) -> list[Problem]:
    problems = []
    if not HOTLINE.match(hotline):
        problems.append(_problem("hotline", "a hotline is a phone number: 3 to 40 digits, spaces, +, -, ( and )"))
    bad = [f for f in facts if f not in FACTS or (found and f == "name")]
    if bad:
        problems.append(_problem("facts", f"unknown fact(s) {', '.join(bad)}: choose among "
                                          f"{', '.join(f for f in FACTS if not found or f != 'name')}"))
    if photo_id is not None:
        photo = session.get(Photo, photo_id)
        owner = None if photo is None else (photo.found_child_id if found else photo.report_id)
        if owner != subject.id:
            problems.append(_problem("photo_id", "the photo must be one of this child's photos"))
    elif not 5 <= len(no_photo_reason or "") <= 500:
        problems.append(_problem("no_photo_reason", "an appeal without a photo says why (5 to 500 characters), "
                                                    "e.g. 'no photo was taken when the child went missing'"))
    return problems


def publish(session: Session, *, user: str, hotline: str, case_number: str | None = None,
            report_number: str | None = None, photo_id: int | None = None, facts: list[str] | None = None,
            description: str | None = None, marks: str | None = None, no_photo_reason: str | None = None
            ) -> Appeal:
    """Publish (or update and publish again) the appeal of found child ``case_number`` or of missing
    child ``report_number``; audited, committed.

    ``facts``: what to publish (default :data:`DEFAULT_FACTS`).  ``marks`` defaults to the record's
    marks when ``marks`` is published.  Without ``photo_id`` a ``no_photo_reason`` is required.
    Every problem is reported at once (InputError); nothing is stored then.
    """
    if (case_number is None) == (report_number is None):
        raise InputError(_problem("case_number", "give either a found child's case number or a report number"))
    found = case_number is not None
    model, column, number = ((FoundChild, FoundChild.case_number, case_number) if found
                             else (MissingReport, MissingReport.report_number, report_number))
    subject = session.scalars(select(model).where(column == number)).first()
    if subject is None:
        raise NotFoundError(_problem("case_number" if found else "report_number",
                                  f"there is no {'found child' if found else 'report'} {number!r}"))
    hotline = (hotline or "").strip()
    facts = list(dict.fromkeys(facts if facts is not None else
                               [f for f in DEFAULT_FACTS if found or f != "name"]))
    no_photo_reason = (no_photo_reason or "").strip() or None
    problems = _check(session, subject, found, hotline, photo_id, facts, no_photo_reason)
    if problems:
        raise InputError(problems)
    link = Appeal.found_child_id if found else Appeal.report_id
    appeal = session.scalars(select(Appeal).where(link == subject.id)).first()
    if appeal is None:
        appeal = Appeal(found_child_id=subject.id if found else None, report_id=None if found else subject.id,
                        hotline=hotline)
        session.add(appeal)
    if marks is None and "marks" in facts:
        marks = subject.marks
    appeal.hotline, appeal.photo_id, appeal.facts = hotline, photo_id, facts
    appeal.description = (description or "").strip() or None
    appeal.marks = (marks or "").strip() or None
    appeal.no_photo_reason = None if photo_id is not None else no_photo_reason
    appeal.published, appeal.published_at, appeal.published_by = True, utcnow().replace(microsecond=0), user
    session.flush()
    append_audit(session, user, "appeal.publish", entity="appeal", entity_id=appeal.id,
                 details={"kind": appeal.kind, "reference": number, "photo_id": photo_id, "facts": facts})
    session.commit()
    return appeal


def set_published(session: Session, appeal_id: int, published: bool, *, user: str) -> Appeal:
    """Publish again or unpublish an appeal; unpublishing hides it at once and deletes the posters the
    store wrote for it (:func:`reunite.cases.privacy.erase_posters`).  Audited, committed."""
    appeal = get_appeal(session, appeal_id)
    appeal.published = published
    if published:
        appeal.published_at, appeal.published_by = utcnow().replace(microsecond=0), user
    erased = 0 if published else erase_posters(session, [appeal.id])
    session.flush()
    append_audit(session, user, "appeal.publish" if published else "appeal.unpublish", entity="appeal",
                 entity_id=appeal.id, details={"reference": appeal.case_reference, "posters_erased": erased})
    session.commit()
    return appeal


# ------------------------------------------------------------------------------- signing


def _b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def _epoch(appeal: Appeal) -> int:
    return int(appeal.published_at.replace(tzinfo=dt.UTC).timestamp())


def _message(appeal_id: int, edition: str) -> str:
    return f"reunite-poster:{appeal_id}:{edition}"


def poster_token(appeal: Appeal, signer: Signer) -> str:
    """The signed token of a published appeal's current edition (see the module docstring).

    ``signer`` must hold a lasting key (``$REUNITE_SECRET_KEY``): a poster signed with a server's random
    key would stop verifying at its next restart, so that is refused (:class:`SigningKeyMissing`)."""
    if not appeal.published or appeal.published_at is None:
        raise InputError(_problem("appeal_id", f"appeal {appeal.id} is not published: no poster can be made"))
    if signer.ephemeral:
        raise SigningKeyMissing(f"{SECRET_ENV} is not set: posters are signed with it, and a poster signed with the "
                                "server's random key would stop verifying when it restarts; set it and restart")
    edition = _b36(_epoch(appeal))
    return f"{appeal.id}.{edition}.{signer.mac('poster', _message(appeal.id, edition))}"


def poster_url(base_url: str, appeal_id: int, token: str) -> str:
    """The address a poster's QR code opens: the appeal's public page with the token."""
    return f"{base_url.rstrip('/')}/appeals/{appeal_id}?poster={token}"


@dataclass(frozen=True)
class Verification:
    """What a poster's token says: ``status`` is ``genuine``, ``superseded``, ``withdrawn``, ``forged``
    or ``unverifiable`` (the server has no lasting key and none of its keys made the token: it cannot
    tell); ``published_on`` the day the poster's edition was published (not for forged);
    ``current_on`` the day of the appeal's current edition when superseded; ``retired_key`` whether
    the token was signed with a retired key of the key ring (printed before the key changed)."""

    status: str
    appeal_id: int | None
    published_on: str | None = None
    current_on: str | None = None
    retired_key: bool = False


def verify_token(session: Session, token: str, appeal_id: int | None = None, *, signer: Signer) -> Verification:
    """Check a poster's token (and, if given, that it is the token of ``appeal_id``, the page it opened)
    with ``signer``'s current and retired keys."""
    m = _TOKEN.match(token or "")
    if m is None:
        return Verification("forged", appeal_id)
    aid, edition, mac = int(m.group(1)), m.group(2), m.group(3)
    if appeal_id is not None and aid != appeal_id:
        return Verification("forged", appeal_id)
    key = signer.check_mac("poster", _message(aid, edition), mac)
    if key is None:
        return Verification("unverifiable" if signer.ephemeral else "forged", appeal_id)
    retired = key == "retired"
    day = dt.datetime.fromtimestamp(int(edition, 36), dt.UTC).date().isoformat()
    appeal = session.get(Appeal, aid)
    if appeal is None or not appeal.published:
        return Verification("withdrawn", aid, day, retired_key=retired)
    if _b36(_epoch(appeal)) != edition:
        return Verification("superseded", aid, day, appeal.published_at.date().isoformat(), retired_key=retired)
    return Verification("genuine", aid, day, retired_key=retired)


# ------------------------------------------------------------------------------------ tips


def check_tip(message: str | None, contact: str | None) -> None:
    """Raise :class:`InputError` (every problem, by field) if a tip cannot be stored."""
    problems = []
    if not 5 <= len((message or "").strip()) <= 2000:
        problems.append(Problem("a tip is 5 to 2000 characters long", field="message", code="tip_length"))
    if contact is not None and len(contact.strip()) > 200:
        problems.append(Problem("contact details are at most 200 characters", field="contact", code="contact_length"))
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
