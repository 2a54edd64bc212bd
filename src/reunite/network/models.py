"""The tables of the trafficking network, on the store's :class:`~reunite.cases.models.Base`.

An *investigation* (a code such as ``KM-2014-RING``, the ``ring_reference`` of the found children
it rescued) holds people, the relations between them and the transfers of children from one
person to another.  Natural keys are unique within an investigation: a person's ``code`` (``S01``)
and a transfer's ``code`` (``T001``); imports match on them, so importing the same files twice
changes nothing.  Relations are keyed by (person, other person, kind).

A transferred child is one of: a found child (``child_kind`` ``found``, ``child`` its case
number), a missing-child report (``report``, the report number) or a child known only from a
confession or a document (``unknown``, a label such as ``confession S03 #2``).  Children are
referred to by these codes, not by foreign keys (as samples are): the network is evidence
gathered on its own schedule, and a child's record may be corrected or withdrawn without
touching what the ring's documents say.  The import checks that a named found child or report
exists.

Every row carries its ``source`` (the document, interrogation record or exhibit it comes from)
and ``entered_by``, the user who entered it.  Names of people are personal data: they are kept
here for investigators and never written to the audit log.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..cases.models import Base, utcnow

__all__ = [
    "ARREST_STATUSES",
    "CHILD_KINDS",
    "PERSON_ROLES",
    "RELATION_KINDS",
    "NetworkPerson",
    "NetworkRelation",
    "NetworkTransfer",
]

#: What a person did in the ring (``parent``: a parent who handed over their own child).
PERSON_ROLES = ("organiser", "broker", "courier", "seller", "buyer", "forger", "parent", "suspect", "other")
#: Where a person stands with the police.
ARREST_STATUSES = ("at_large", "arrested", "convicted", "released", "dead", "unknown")
#: How two people are related: family, friends, from the same town, one paid or phoned the other.
RELATION_KINDS = ("kin", "friend", "same_town", "paid", "phoned")
#: What identifies a transferred child.
CHILD_KINDS = ("found", "report", "unknown")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class _Entered:
    source: Mapped[str | None] = mapped_column(Text)
    entered_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class NetworkPerson(_Entered, Base):
    """Someone in an investigation: a suspect, broker, courier, seller, buyer, a parent who sold.

    ``parent_of`` is the report number of the missing child whose parent this is (a parent who
    sold their child: see :func:`reunite.network.leads.suspected_families`).
    """

    __tablename__ = "network_people"
    __table_args__ = (
        UniqueConstraint("investigation", "code"),
        CheckConstraint(_in("role", PERSON_ROLES), name="role"),
        CheckConstraint(_in("arrest_status", ARREST_STATUSES), name="arrest_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investigation: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))
    home_place: Mapped[str | None] = mapped_column(Text)
    arrest_status: Mapped[str] = mapped_column(String(20), default="unknown")
    arrested_on: Mapped[dt.date | None] = mapped_column(Date)
    parent_of: Mapped[str | None] = mapped_column(String(64))


class NetworkRelation(_Entered, Base):
    """A relation between two people of an investigation (kin, friend, same town, paid, phoned)."""

    __tablename__ = "network_relations"
    __table_args__ = (
        UniqueConstraint("person_id", "other_id", "kind"),
        CheckConstraint(_in("kind", RELATION_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("network_people.id", ondelete="CASCADE"))
    other_id: Mapped[int] = mapped_column(ForeignKey("network_people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))

    person: Mapped[NetworkPerson] = relationship(foreign_keys=[person_id])
    other: Mapped[NetworkPerson] = relationship(foreign_keys=[other_id])


class NetworkTransfer(_Entered, Base):
    """A child handed from one person to another: when, where, for how much, says which document.

    ``from_id`` None: the child's source is not known (a gap the analysis reports); ``to_id``
    None: whom the child went to is not known.  ``price_yuan`` is what the receiver paid.
    """

    __tablename__ = "network_transfers"
    __table_args__ = (
        UniqueConstraint("investigation", "code"),
        CheckConstraint(_in("child_kind", CHILD_KINDS), name="child_kind"),
        CheckConstraint("price_yuan IS NULL OR price_yuan >= 0", name="price"),
        Index("ix_network_transfers_child", "child", "child_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investigation: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(64))
    child_kind: Mapped[str] = mapped_column(String(10))
    child: Mapped[str] = mapped_column(String(100))
    from_id: Mapped[int | None] = mapped_column(ForeignKey("network_people.id", ondelete="RESTRICT"), index=True)
    to_id: Mapped[int | None] = mapped_column(ForeignKey("network_people.id", ondelete="RESTRICT"), index=True)
    transferred_on: Mapped[dt.date | None] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(Text)
    price_yuan: Mapped[float | None] = mapped_column(Float)

    sender: Mapped[NetworkPerson | None] = relationship(foreign_keys=[from_id])
    receiver: Mapped[NetworkPerson | None] = relationship(foreign_keys=[to_id])
