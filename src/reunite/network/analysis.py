"""What the network says: chains of custody, prices, unfound children, gaps, brokers, communities.

Two entry points:

* :func:`chain_of` answers one child's chain of custody straight from the store (an indexed
  query on the child's code: fast at any size);
* :class:`Network` holds a whole investigation (or hand-made people and transfers, for tests) as
  plain records and answers everything else: :meth:`Network.chains`, :meth:`Network.unfound`,
  :meth:`Network.gaps`, :meth:`Network.brokers`, :meth:`Network.components`,
  :meth:`Network.communities`, and the exports :meth:`Network.write_graphml` and
  :meth:`Network.write_csv` (the import's formats, so an export imports back unchanged).

A chain is the child's transfers in order: by date (undated transfers last), and among
transfers of the same date, the one handed over by the child's current holder first.  Each step
carries the price the receiver paid and the markup over the last price paid before it.

Gaps (what the investigators should look into):

* ``no_source``: the child enters the records with no one handing it over (stolen, or the seller is
  unknown), or from a member of the ring whose own source for the child is not recorded;
* ``break``: a transfer is made by someone the chain does not show receiving the child;
* ``after_arrest``: a transfer dated after the arrest of the person handing over or receiving.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import networkx as nx
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ..cases.audit import append_audit
from ..cases.export import csv_cell
from ..errors import InputError
from .importing import PEOPLE_COLUMNS, TRANSFER_COLUMNS
from .models import NetworkPerson, NetworkRelation, NetworkTransfer

__all__ = ["BETWEENNESS_EXACT_UP_TO", "BETWEENNESS_SAMPLES", "Chain", "Gap", "Network", "Person", "Relation", "Step",
           "Transfer", "audit_read", "build_chain", "chain_of", "investigations", "resolve_investigation"]

#: Betweenness is exact up to this many people; above, it is estimated from seeded samples.
BETWEENNESS_EXACT_UP_TO = 2000
#: How many seeded source people estimate betweenness above :data:`BETWEENNESS_EXACT_UP_TO` (Brandes and
#: Pich's sampling, as networkx's ``k``).
BETWEENNESS_SAMPLES = 256


@dataclass(frozen=True)
class Person:
    """A person of the network as the analysis sees them."""

    code: str
    role: str
    name: str | None = None
    home_place: str | None = None
    arrest_status: str = "unknown"
    arrested_on: dt.date | None = None
    parent_of: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Transfer:
    """A handover of a child (``child_kind`` found / report / unknown, ``child`` its code)."""

    code: str
    child_kind: str
    child: str
    sender: str | None
    receiver: str | None
    on: dt.date | None = None
    place: str | None = None
    price_yuan: float | None = None
    source: str | None = None


@dataclass
class Step:
    """One transfer in a chain, with the people's roles and the markup over the last price."""

    transfer: str
    on: dt.date | None
    place: str | None
    sender: str | None
    sender_role: str | None
    receiver: str | None
    receiver_role: str | None
    price_yuan: float | None
    markup_yuan: float | None
    source: str | None


@dataclass
class Gap:
    """Something missing or contradictory in a chain: kind, the transfer, and what is wrong."""

    kind: str
    child: str
    transfer: str
    message: str


@dataclass
class Chain:
    """A child's chain of custody: ordered steps, prices, where it began and ended, its gaps."""

    child_kind: str
    child: str
    steps: list[Step]
    gaps: list[Gap] = field(default_factory=list)

    @property
    def source_place(self) -> str | None:
        """Where the child entered the ring: the first step's place."""
        return self.steps[0].place if self.steps else None

    @property
    def last(self) -> Step | None:
        """The last known transfer (where and to whom the child went)."""
        return self.steps[-1] if self.steps else None

    @property
    def prices(self) -> list[float]:
        """The prices paid along the chain, in order."""
        return [s.price_yuan for s in self.steps if s.price_yuan is not None]

    @property
    def markup(self) -> float | None:
        """The last price paid over the first (None with fewer than two prices, or a first of 0)."""
        p = self.prices
        return p[-1] / p[0] if len(p) >= 2 and p[0] > 0 else None

    def as_dict(self) -> dict:
        return {"child_kind": self.child_kind, "child": self.child, "source_place": self.source_place,
                "steps": [{**asdict(s), "on": s.on.isoformat() if s.on else None} for s in self.steps],
                "prices": self.prices, "markup": self.markup, "gaps": [asdict(g) for g in self.gaps]}


def _order(transfers: list[Transfer]) -> list[Transfer]:
    """Date order (undated last); among the same date, the current holder's transfer first."""
    rest = sorted(transfers, key=lambda t: (t.on is None, t.on or dt.date.min, t.code))
    out: list[Transfer] = []
    holder: str | None = None
    while rest:
        first = rest[0]
        pick = next((t for t in rest if t.on == first.on and holder is not None and t.sender == holder), first)
        out.append(pick)
        rest.remove(pick)
        holder = pick.receiver
    return out


def build_chain(transfers: Iterable[Transfer], people: dict[str, Person]) -> Chain:
    """The chain of one child's ``transfers`` (all of the same child), with its gaps."""
    ordered = _order(list(transfers))
    if not ordered:
        raise InputError("a chain needs at least one transfer")
    kind, child = ordered[0].child_kind, ordered[0].child
    steps, gaps = [], []
    last_price = None

    def role(code):
        return people[code].role if code in people else None

    for k, t in enumerate(ordered):
        markup = t.price_yuan - last_price if t.price_yuan is not None and last_price is not None else None
        steps.append(Step(t.code, t.on, t.place, t.sender, role(t.sender), t.receiver, role(t.receiver),
                          t.price_yuan, markup, t.source))
        if t.price_yuan is not None:
            last_price = t.price_yuan
        if k == 0:
            if t.sender is None:
                gaps.append(Gap("no_source", child, t.code, "the child enters the records with no one handing it "
                                "over (stolen, or the seller is not known)"))
            elif role(t.sender) != "parent":
                gaps.append(Gap("no_source", child, t.code, f"{t.sender} ({role(t.sender)}) hands the child over "
                                "first; where they got the child is not recorded"))
        else:
            prev = ordered[k - 1].receiver
            if t.sender is not None and prev is not None and t.sender != prev:
                gaps.append(Gap("break", child, t.code, f"{t.sender} hands the child over, but the chain shows "
                                f"{prev} receiving it last"))
        for side in (t.sender, t.receiver):
            p = people.get(side) if side else None
            if p is not None and p.arrested_on and t.on and t.on > p.arrested_on:
                gaps.append(Gap("after_arrest", child, t.code, f"dated {t.on}, after the arrest of {side} on "
                                f"{p.arrested_on}: the date or the arrest record is wrong, or someone else acted"))
    return Chain(kind, child, steps, gaps)


def _person(p: NetworkPerson) -> Person:
    return Person(p.code, p.role, p.name, p.home_place, p.arrest_status, p.arrested_on, p.parent_of, p.source)


def investigations(session: Session) -> list[str]:
    """The investigations with people or transfers in the store."""
    return sorted(set(session.scalars(select(NetworkPerson.investigation).distinct()))
                  | set(session.scalars(select(NetworkTransfer.investigation).distinct())))


def resolve_investigation(session: Session, investigation: str | None) -> str:
    """``investigation`` if given (and stored), else the only one stored."""
    known = investigations(session)
    if investigation is not None:
        if investigation not in known:
            raise InputError(f"investigation {investigation!r} has no records; the store has "
                             f"{', '.join(known) or 'none'}")
        return investigation
    if len(known) != 1:
        raise InputError("the store has " + (f"several investigations ({', '.join(known)}); name one"
                                             if known else "no network; import ring.csv and transfers.csv first"))
    return known[0]


def chain_of(session: Session, child: str, *, investigation: str | None = None) -> list[Chain]:
    """The chains of custody of ``child`` (a case number, a report number or a label), one per
    investigation and kind of code it is recorded under; empty if no transfer names it."""
    src, dst = aliased(NetworkPerson), aliased(NetworkPerson)
    q = (select(NetworkTransfer, src, dst).outerjoin(src, NetworkTransfer.from_id == src.id)
         .outerjoin(dst, NetworkTransfer.to_id == dst.id).where(NetworkTransfer.child == child))
    if investigation is not None:
        q = q.where(NetworkTransfer.investigation == investigation)
    groups: dict[tuple[str, str], list[Transfer]] = defaultdict(list)
    people: dict[tuple[str, str], dict[str, Person]] = defaultdict(dict)
    for t, a, b in session.execute(q):
        key = (t.investigation, t.child_kind)
        for p in (a, b):
            if p is not None:
                people[key][p.code] = _person(p)
        groups[key].append(Transfer(t.code, t.child_kind, t.child, a.code if a else None, b.code if b else None,
                                    t.transferred_on, t.place, t.price_yuan, t.source))
    return [build_chain(ts, people[key]) for key, ts in sorted(groups.items())]


def audit_read(session: Session, user: str, what: str, investigation: str | None, *, child: str | None = None,
               count: int | None = None) -> None:
    """Record (and commit) a read of the network: who, which view, which investigation or child code."""
    details = {"view": what, "investigation": investigation}
    if count is not None:
        details["count"] = count
    append_audit(session, user, f"network.read.{what}", entity="network", entity_id=child or investigation,
                 details=details)
    session.commit()


@dataclass
class Relation:
    """A relation between two people (kin, friend, same_town, paid, phoned)."""

    person: str
    other: str
    kind: str
    source: str | None = None


class Network:
    """One investigation's people, relations and transfers, and the analyses over them."""

    def __init__(self, people: Iterable[Person], transfers: Iterable[Transfer], relations: Iterable[Relation] = (),
                 investigation: str = "hand-made"):
        self.investigation = investigation
        self.people = {p.code: p for p in people}
        self.transfers = list(transfers)
        self.relations = list(relations)
        for t in self.transfers:
            for side in (t.sender, t.receiver):
                if side is not None and side not in self.people:
                    raise InputError(f"transfer {t.code} names person {side!r}, who is not in the network")

    @classmethod
    def from_store(cls, session: Session, investigation: str | None = None) -> Network:
        """Load an investigation (the only one stored if None)."""
        inv = resolve_investigation(session, investigation)
        rows = session.scalars(select(NetworkPerson).where(NetworkPerson.investigation == inv)).all()
        by_id = {p.id: p.code for p in rows}
        transfers = [Transfer(code, kind, child, by_id.get(f), by_id.get(to), on, place, price, source)
                     for code, kind, child, f, to, on, place, price, source in session.execute(
                         select(NetworkTransfer.code, NetworkTransfer.child_kind, NetworkTransfer.child,
                                NetworkTransfer.from_id, NetworkTransfer.to_id, NetworkTransfer.transferred_on,
                                NetworkTransfer.place, NetworkTransfer.price_yuan, NetworkTransfer.source)
                         .where(NetworkTransfer.investigation == inv))]
        relations = [Relation(by_id[a], by_id[b], kind, source) for a, b, kind, source in session.execute(
            select(NetworkRelation.person_id, NetworkRelation.other_id, NetworkRelation.kind, NetworkRelation.source)
            .where(NetworkRelation.person_id.in_(select(NetworkPerson.id).where(NetworkPerson.investigation == inv))))]
        return cls([_person(p) for p in rows], transfers, relations, inv)

    # -------------------------------------------------------------------------------- graphs

    def graph(self) -> nx.MultiDiGraph:
        """People as nodes (role, home place, arrest); relations and transfers as edges (``type``)."""
        g = nx.MultiDiGraph(investigation=self.investigation)
        for p in self.people.values():
            g.add_node(p.code, role=p.role, name=p.name or "", home_place=p.home_place or "",
                       arrest_status=p.arrest_status, arrested_on=p.arrested_on.isoformat() if p.arrested_on else "",
                       parent_of=p.parent_of or "")
        for r in self.relations:
            g.add_edge(r.person, r.other, key=f"{r.kind}:{r.person}:{r.other}", type="relation", kind=r.kind,
                       source=r.source or "")
        for t in self.transfers:
            if t.sender is None or t.receiver is None:
                continue
            g.add_edge(t.sender, t.receiver, key=t.code, type="transfer", transfer=t.code, child=t.child,
                       child_kind=t.child_kind, date=t.on.isoformat() if t.on else "", place=t.place or "",
                       price_yuan=t.price_yuan if t.price_yuan is not None else -1.0, source=t.source or "")
        return g

    def _undirected(self) -> nx.Graph:
        g = nx.Graph()
        g.add_nodes_from(self.people)
        for r in self.relations:
            g.add_edge(r.person, r.other)
        for t in self.transfers:
            if t.sender is not None and t.receiver is not None:
                g.add_edge(t.sender, t.receiver)
        return g

    def components(self) -> list[list[str]]:
        """Connected groups of people (by relations and transfers), largest first."""
        return sorted((sorted(c) for c in nx.connected_components(self._undirected())), key=lambda c: (-len(c), c))

    def communities(self, seed: int = 0) -> list[list[str]]:
        """Louvain communities of the people graph (seeded, so repeatable), largest first."""
        g = self._undirected()
        if g.number_of_edges() == 0:
            return [[n] for n in sorted(g)]
        return sorted((sorted(c) for c in nx.community.louvain_communities(g, seed=seed)),
                      key=lambda c: (-len(c), c))

    def brokers(self, top: int = 10, seed: int = 0) -> list[dict]:
        """The people most often on the shortest paths between others (betweenness centrality of the
        undirected people graph; estimated from :data:`BETWEENNESS_SAMPLES` seeded source people
        above :data:`BETWEENNESS_EXACT_UP_TO` people)."""
        g = self._undirected()
        k = None if g.number_of_nodes() <= BETWEENNESS_EXACT_UP_TO else BETWEENNESS_SAMPLES
        bc = nx.betweenness_centrality(g, k=k, seed=seed, normalized=True)
        ranked = sorted(bc.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        return [{"person": c, "role": self.people[c].role, "betweenness": round(v, 6), "degree": g.degree(c),
                 "exact": k is None} for c, v in ranked]

    # -------------------------------------------------------------------------------- chains

    def chains(self) -> list[Chain]:
        """Every child's chain of custody, found children first, then by code."""
        by_child: dict[tuple[str, str], list[Transfer]] = defaultdict(list)
        for t in self.transfers:
            by_child[(t.child_kind, t.child)].append(t)
        order = {"found": 0, "report": 1, "unknown": 2}
        return [build_chain(ts, self.people) for _k, ts in sorted(by_child.items(),
                                                                  key=lambda kv: (order[kv[0][0]], kv[0][1]))]

    def unfound(self) -> list[dict]:
        """The children transferred and not found (recorded by report number or label): where, when
        and to whom they last went, with the receiver's role and home place."""
        out = []
        for c in self.chains():
            if c.child_kind == "found":
                continue
            last = c.last
            to = self.people.get(last.receiver) if last.receiver else None
            out.append({"child_kind": c.child_kind, "child": c.child, "last_transfer": last.transfer,
                        "on": last.on.isoformat() if last.on else None, "place": last.place,
                        "to": last.receiver, "to_role": to.role if to else None,
                        "to_home_place": to.home_place if to else None, "price_yuan": last.price_yuan,
                        "source_place": c.source_place, "markup": c.markup})
        return out

    def gaps(self) -> list[Gap]:
        """Every chain's gaps, in chain order."""
        return [g for c in self.chains() for g in c.gaps]

    # -------------------------------------------------------------------------------- exports

    def write_graphml(self, path: str | Path) -> Path:
        """Write the graph (people, relations, transfers with their attributes) as GraphML."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        nx.write_graphml(self.graph(), path)
        return path

    def write_csv(self, folder: str | Path) -> dict[str, Path]:
        """Write ``ring.csv`` and ``transfers.csv`` in the import's formats (they import back
        unchanged) and ``chains.csv`` (one row per step of every chain, with markups and gaps)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        rels: dict[str, list[str]] = defaultdict(list)
        for r in self.relations:
            rels[r.person].append(f"{r.other}:{r.kind}")
        out = {}
        with open(folder / "ring.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(PEOPLE_COLUMNS)
            for p in sorted(self.people.values(), key=lambda p: p.code):
                w.writerow(_safe([p.code, p.role, p.name or "", p.home_place or "", p.arrest_status,
                            p.arrested_on.isoformat() if p.arrested_on else "", p.parent_of or "",
                            "; ".join(sorted(rels[p.code])), p.source or ""]))
        out["ring"] = folder / "ring.csv"
        column = {"found": 1, "report": 2, "unknown": 3}
        with open(folder / "transfers.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(TRANSFER_COLUMNS)
            for t in sorted(self.transfers, key=lambda t: t.code):
                child = ["", "", ""]
                child[column[t.child_kind] - 1] = t.child
                w.writerow(_safe([t.code, *child, t.sender or "", t.receiver or "", t.on.isoformat() if t.on else "",
                            t.place or "", _num(t.price_yuan), t.source or ""]))
        out["transfers"] = folder / "transfers.csv"
        with open(folder / "chains.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(_safe(["child_kind", "child", "step", "transfer", "date", "place", "from", "from_role", "to",
                        "to_role", "price_yuan", "markup_yuan", "gaps"]))
            for c in self.chains():
                for k, s in enumerate(c.steps, start=1):
                    gaps = "; ".join(g.kind for g in c.gaps if g.transfer == s.transfer)
                    w.writerow(_safe([c.child_kind, c.child, k, s.transfer, s.on.isoformat() if s.on else "",
                                s.place or "", s.sender or "", s.sender_role or "", s.receiver or "",
                                s.receiver_role or "", _num(s.price_yuan), _num(s.markup_yuan), gaps]))
        out["chains"] = folder / "chains.csv"
        return out


def _safe(cells: list) -> list:
    """Text cells a spreadsheet would run as a formula get a leading quote (as ``reunite export``)."""
    return [csv_cell(c) if isinstance(c, str) and c else c for c in cells]


def _num(x: float | None) -> int | float | str:
    if x is None:
        return ""
    return int(x) if float(x).is_integer() else x
