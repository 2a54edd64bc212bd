"""Pedigrees: people with a father, a mother and a sex.

A person has both parents in the pedigree or neither (a founder).  :func:`make_pedigree`
validates friendly input (unknown parent ids, one parent only, a female father or a male
mother, a cycle, duplicate ids) and reports every problem at once; :class:`Pedigree` itself
trusts its arguments.  Pedigrees may have any number of members; inbreeding and marriage
loops are outside what the engine computes exactly and are refused by
:meth:`Pedigree.check_loop_free`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..errors import PedigreeError, Problem

__all__ = ["SEXES", "SEX_ALIASES", "Pedigree", "Person", "find_cycle", "make_pedigree"]

SEXES = ("male", "female", "unknown")
#: The spellings of a sex that pedigrees and the CSV files accept (after trimming and lower-casing):
#: the words, their first letters and the PED file codes 1/2/0.  The one table: the CSV readers
#: (``reunite.search.io``, ``reunite.cases``) and the evidence inputs (``reunite.evidence``) use it.
SEX_ALIASES = {"male": "male", "m": "male", "1": "male",
               "female": "female", "f": "female", "2": "female",
               "unknown": "unknown", "u": "unknown", "0": "unknown"}


@dataclass(frozen=True)
class Person:
    id: str
    father: str | None
    mother: str | None
    sex: str

    @property
    def is_founder(self) -> bool:
        return self.father is None


class Pedigree:
    """A validated pedigree; members in an order where parents come before children."""

    def __init__(self, persons: Iterable[Person]):
        ps = list(persons)
        self.persons: dict[str, Person] = {p.id: p for p in ps}
        self.order: list[str] = _topological([p for p in ps])
        self._children: dict[str, list[str]] = {pid: [] for pid in self.persons}
        for pid in self.order:
            p = self.persons[pid]
            if p.father is not None:
                self._children[p.father].append(pid)
                self._children[p.mother].append(pid)

    def __contains__(self, pid: str) -> bool:
        return pid in self.persons

    def __len__(self) -> int:
        return len(self.persons)

    def __getitem__(self, pid: str) -> Person:
        return self.persons[pid]

    def children(self, pid: str) -> list[str]:
        return self._children[pid]

    def founders(self) -> list[str]:
        return [pid for pid in self.order if self.persons[pid].is_founder]

    def ancestors_of(self, ids: Iterable[str]) -> set[str]:
        """The given ids and all their ancestors."""
        out: set[str] = set()
        stack = list(ids)
        while stack:
            pid = stack.pop()
            if pid in out:
                continue
            out.add(pid)
            p = self.persons[pid]
            if p.father is not None:
                stack.extend([p.father, p.mother])
        return out

    def check_loop_free(self) -> None:
        """Raise :class:`PedigreeError` if the pedigree has a marriage or inbreeding loop."""
        # Union-find over people and matings: a loop closes when an edge joins two nodes
        # already connected.
        parent: dict[object, object] = {}

        def find(x):
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        seen_matings: set[tuple[str, str]] = set()
        for pid in self.order:
            p = self.persons[pid]
            if p.father is None:
                continue
            mating = ("mating", p.father, p.mother)
            edges = [(pid, mating)]
            if (p.father, p.mother) not in seen_matings:
                seen_matings.add((p.father, p.mother))
                edges += [(p.father, mating), (p.mother, mating)]
            for a, b in edges:
                ra, rb = find(a), find(b)
                if ra == rb:
                    raise PedigreeError(Problem(
                        "the pedigree has a loop (inbreeding or a marriage loop) through "
                        f"{pid!r}; exact peeling here supports pedigrees without loops", code="pedigree_loop"))
                parent[ra] = rb

    def trimmed(self, typed: Iterable[str]) -> Pedigree:
        """The part of the pedigree that relates the ``typed`` people to each other.

        Repeatedly removes untyped people without children, and untyped founder couples whose
        only child is one person (who becomes a founder).  Without mutation this never changes
        a likelihood; with mutation it fixes the convention forrel follows (a typed person
        whose parents only connect them to nobody is Hardy–Weinberg, not p·M).
        """
        typed = set(typed)
        alive = set(self.persons)
        parents = {pid: (p.father, p.mother) for pid, p in self.persons.items()}
        changed = True
        while changed:
            changed = False
            kids: dict[str, set[str]] = {pid: set() for pid in alive}
            for pid in alive:
                f, m = parents[pid]
                if f is not None:
                    kids[f].add(pid)
                    kids[m].add(pid)
            for pid in list(alive):
                if pid not in typed and not kids[pid]:
                    alive.discard(pid)
                    changed = True
            if changed:
                continue
            for pid in list(alive):
                f, m = parents[pid]
                if (f is not None and f not in typed and m not in typed
                        and parents[f] == (None, None) and parents[m] == (None, None)
                        and kids[f] == {pid} and kids[m] == {pid}):
                    alive -= {f, m}
                    parents[pid] = (None, None)
                    changed = True
                    break
        return Pedigree(
            Person(pid, parents[pid][0], parents[pid][1], self.persons[pid].sex)
            for pid in self.order if pid in alive)

    def as_records(self) -> list[dict]:
        return [{"id": p.id, "father": p.father, "mother": p.mother, "sex": p.sex}
                for p in (self.persons[i] for i in self.order)]


def _topological(ps: list[Person]) -> list[str]:
    by_id = {p.id: p for p in ps}
    order: list[str] = []
    state: dict[str, int] = {}
    for start in (p.id for p in ps):
        if state.get(start) == 2:
            continue
        stack = [(start, False)]
        while stack:
            pid, done = stack.pop()
            if done:
                state[pid] = 2
                order.append(pid)
                continue
            if state.get(pid) == 2:
                continue
            state[pid] = 1
            stack.append((pid, True))
            p = by_id[pid]
            for par in (p.father, p.mother):
                if par is not None and state.get(par) != 2:
                    stack.append((par, False))
    return order


def _norm_id(v: object) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s if s and s not in ("0", "NA") else None


def make_pedigree(records: Iterable[Mapping], *, source: str = "pedigree") -> Pedigree:
    """Validate records ``{"id", "father", "mother", "sex"}`` into a :class:`Pedigree`.

    Every problem is collected and raised together as one :class:`PedigreeError`.  Each has a ``code``
    and ``params`` (the member's place ``n`` in ``records``, from 1; never an id or a typed value), which
    the web's catalogues say in Chinese as ``problem.<code>``.
    """
    problems: list[Problem] = []
    persons: list[Person] = []
    seen: set[str] = set()
    recs = list(records)
    if not recs:
        raise PedigreeError(Problem("the pedigree is empty", file=source, code="pedigree_empty"))
    place: dict[str, int] = {}
    for i, r in enumerate(recs, start=1):
        if not isinstance(r, Mapping):
            problems.append(Problem(f"member {i} is not an object", file=source, code="pedigree_not_object",
                                    params={"n": i}))
            continue
        pid = _norm_id(r.get("id"))
        if pid is None:
            problems.append(Problem(f"member {i} has no id", file=source, field="id", code="pedigree_no_id",
                                    params={"n": i}))
            continue
        if pid in seen:
            problems.append(Problem(f"id {pid!r} is used twice", file=source, field="id", code="pedigree_id_twice",
                                    params={"n": i, "first": place[pid]}))
            continue
        seen.add(pid)
        place[pid] = i
        sex_raw = r.get("sex", "unknown")
        sex = SEX_ALIASES.get(str(sex_raw).strip().lower()) if sex_raw is not None else "unknown"
        if sex is None:
            problems.append(Problem(f"{pid}: sex {sex_raw!r} is not male, female or unknown",
                                    file=source, field="sex", code="pedigree_sex", params={"n": i}))
            sex = "unknown"
        persons.append(Person(pid, _norm_id(r.get("father")), _norm_id(r.get("mother")), sex))
    by_id = {p.id: p for p in persons}
    for p in persons:
        if (p.father is None) != (p.mother is None):
            problems.append(Problem(
                f"{p.id}: has only one parent in the pedigree; add the other parent as an "
                f"untyped founder", file=source, field="father" if p.father is None else "mother",
                code="pedigree_one_parent", params={"n": place[p.id]}))
            continue
        for role, par, want in (("father", p.father, "male"), ("mother", p.mother, "female")):
            if par is None:
                continue
            if par not in by_id:
                problems.append(Problem(f"{p.id}: {role} {par!r} is not in the pedigree",
                                        file=source, field=role, params={"n": place[p.id]},
                                        code=("pedigree_father_absent" if role == "father"
                                              else "pedigree_mother_absent")))
            elif par == p.id:
                problems.append(Problem(f"{p.id} is given as their own {role}",
                                        file=source, field=role, params={"n": place[p.id]},
                                        code="pedigree_own_father" if role == "father" else "pedigree_own_mother"))
            elif by_id[par].sex not in (want, "unknown"):
                problems.append(Problem(
                    f"{p.id}: {role} {par!r} has sex {by_id[par].sex}; a {role} must be {want}",
                    file=source, field=role, params={"n": place[p.id]},
                    code="pedigree_father_sex" if role == "father" else "pedigree_mother_sex"))
        if p.father is not None and p.father == p.mother:
            problems.append(Problem(f"{p.id}: father and mother are the same person",
                                    file=source, field="mother", code="pedigree_same_parents",
                                    params={"n": place[p.id]}))
    if not problems:
        cyc = find_cycle({pid: [x for x in (p.father, p.mother) if x is not None] for pid, p in by_id.items()})
        if cyc:
            problems.append(Problem(
                "the pedigree has a cycle (someone is their own ancestor): "
                + " -> ".join(cyc), file=source, code="pedigree_has_cycle", params={"n": len(cyc) - 1}))
    if problems:
        raise PedigreeError(problems)
    # Parents of unknown sex take the sex their role implies.
    fixed = []
    fathers = {p.father for p in persons if p.father}
    mothers = {p.mother for p in persons if p.mother}
    for p in persons:
        sex = p.sex
        if sex == "unknown" and p.id in fathers:
            sex = "male"
        elif sex == "unknown" and p.id in mothers:
            sex = "female"
        fixed.append(Person(p.id, p.father, p.mother, sex))
    if fathers & mothers:
        both = sorted(fathers & mothers)[0]
        raise PedigreeError(Problem(f"{both} is both a father and a mother", file=source,
                                    code="pedigree_father_and_mother", params={"n": place[both]}))
    return Pedigree(fixed)


def find_cycle(parents: Mapping[str, Iterable[str]]) -> list[str] | None:
    """The ids around a cycle (someone their own ancestor), first id repeated at the end, or None.

    ``parents`` maps each member to their parents' ids; ids that are not keys are ignored.  Members
    and parents are visited in the mapping's order, so the first cycle found is always the same."""
    grey, black = 1, 2
    color: dict[str, int] = {}
    known = {pid: [x for x in ps if x in parents] for pid, ps in parents.items()}

    def parents_of(pid: str):
        return iter(known[pid])

    for start in known:
        if color.get(start):
            continue
        path = [start]
        color[start] = grey
        iters = [parents_of(start)]
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                color[path.pop()] = black
                iters.pop()
                continue
            c = color.get(nxt, 0)
            if c == grey:
                return [*path[path.index(nxt):], nxt]
            if c == 0:
                color[nxt] = grey
                path.append(nxt)
                iters.append(parents_of(nxt))
    return None
