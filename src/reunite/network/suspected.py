"""Families suspected of selling their child: a parent recorded handing the child to the ring.

A person of the network with ``parent_of`` (a report number) who hands a child over is the
parent of that report's missing child selling it (or giving it up) to the ring.
:func:`suspected_families` lists them with the record that says so; :func:`mark_suspected_families`
marks each report ``suspected_of_sale`` (the flag the candidate page and the review act on:
a confirmed match is referred for investigation), one audit entry per report newly marked with
the investigation, the transfer and the parent's code (the transfer's record holds the source; the
audit keeps no free text, which could hold a name).  The
network import marks them (:func:`reunite.network.import_network`); a report already flagged is
left as it is, and nothing is ever unmarked here (an investigator decides that).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..cases.audit import append_audit
from ..cases.models import MissingReport
from .models import NetworkPerson, NetworkTransfer

__all__ = ["mark_suspected_families", "suspected_families"]


def suspected_families(session: Session, investigation: str | None = None, *,
                       report: str | None = None) -> list[dict]:
    """The reports whose parent handed the child to the ring (of one ``investigation`` or all, of
    one ``report`` or all).

    Each: ``report`` (the report number), ``person`` (the parent's code), ``to`` (who received
    the child), ``transfer`` (the handover), ``investigation``, ``child``, ``price_yuan``, ``on``
    and ``source`` (the record that says so: the transfer's source, else the person's).
    """
    q = (select(NetworkTransfer, NetworkPerson).join(NetworkPerson, NetworkTransfer.from_id == NetworkPerson.id)
         .where(NetworkPerson.parent_of.is_not(None)))
    if investigation is not None:
        q = q.where(NetworkTransfer.investigation == investigation)
    if report is not None:
        q = q.where(NetworkPerson.parent_of == report)
    out = []
    for t, p in session.execute(q.order_by(NetworkPerson.parent_of, NetworkTransfer.code)):
        out.append({"report": p.parent_of, "person": p.code, "to": t.receiver.code if t.receiver else None,
                    "transfer": t.code, "investigation": t.investigation,
                    "child": t.child, "price_yuan": t.price_yuan, "on": t.transferred_on.isoformat()
                    if t.transferred_on else None, "source": t.source or p.source})
    return out


def mark_suspected_families(session: Session, user: str, investigation: str | None = None) -> list[dict]:
    """Mark every report of :func:`suspected_families` ``suspected_of_sale`` (audited, not committed);
    returns the entries of the reports newly marked (one per report: its first handover)."""
    marked: dict[str, dict] = {}
    for entry in suspected_families(session, investigation):
        rep = session.scalars(select(MissingReport).where(MissingReport.report_number == entry["report"])).first()
        if rep is None or entry["report"] in marked or rep.suspected_of_sale:
            continue
        rep.suspected_of_sale = True
        marked[entry["report"]] = entry
        append_audit(session, user, "report.suspected_of_sale", entity="report", entity_id=entry["report"],
                     details={k: entry[k] for k in ("investigation", "transfer", "person")})
    session.flush()
    return list(marked.values())
