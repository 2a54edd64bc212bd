"""A slow, obviously correct reference for pedigree likelihoods and the missing-person LR.

Nothing here is clever and nothing is shared with :mod:`reunite.genetics.likelihood`:

- every pedigree member carries an ordered genotype (paternal allele, maternal allele);
- the likelihood of one marker is the sum, over every assignment of ordered genotypes to every
  member, of the product of
    * for a founder: p_a * p_b (Hardy–Weinberg; with ``theta`` the NRC II 4.10 joint
      probabilities p_a (theta + (1 - theta) p_a) for a == b and (1 - theta) p_a p_b otherwise),
    * for a child, its paternal allele: 1/2 M_male[f_pat, a] + 1/2 M_male[f_mat, a] over the
      father's ordered genotype (f_pat, f_mat), and likewise its maternal allele through the
      mother and the female matrix (no mutation = the identity);
  where a typed member may only take the one or two ordered genotypes that match its typed
  (unordered) genotype.

The enumeration is a plain depth-first walk over the members in an order where parents come
before children, so that each factor can be multiplied in as soon as it is known.  It is
exponential in the number of untyped members: use it for pedigrees of a few people and a few
alleles only (:func:`enumeration_size` says how many assignments a call visits at most).

The missing-person LR follows ``shared/KINSHIP.md``:
LR = L(family with the found person placed as the missing member) /
(L(family with the missing member untyped) * P_HW(found genotype)), and forrel's convention for
untyped founder couples that only lead to one person (see :func:`forrel_reduce`).  forrel
(pedprobr) decides who is "untyped" for that convention once for all markers of a case, so the
reference takes the people typed at any marker of the case as an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from reunite.genetics.pedigree import Pedigree

Genotype = tuple[int, int]


def _parents_first(records: Mapping[str, tuple[str | None, str | None]]) -> list[str]:
    """Member ids ordered so that parents come before their children (simple repeated scan)."""
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(records):
        progress = False
        for pid, (fa, mo) in records.items():
            if pid in placed:
                continue
            if (fa is None or fa in placed) and (mo is None or mo in placed):
                order.append(pid)
                placed.add(pid)
                progress = True
        if not progress:
            raise ValueError("the pedigree has a cycle")
    return order


def _parent_map(ped: Pedigree | Mapping[str, tuple[str | None, str | None]]):
    if isinstance(ped, Pedigree):
        return {pid: (p.father, p.mother) for pid, p in ped.persons.items()}
    return dict(ped)


def _allowed(genotype: Genotype | None, n: int) -> list[Genotype]:
    """The ordered genotypes a member may take: all n*n if untyped, else those matching."""
    if genotype is None:
        return [(a, b) for a in range(n) for b in range(n)]
    a, b = genotype
    return [(a, a)] if a == b else [(a, b), (b, a)]


def enumeration_size(ped, genotypes: Mapping[str, Genotype | None], n: int) -> int:
    """The number of complete assignments :func:`brute_likelihood` may visit."""
    size = 1
    for pid in _parent_map(ped):
        size *= len(_allowed(genotypes.get(pid), n))
    return size


def founder_prob(freqs: Sequence[float], a: int, b: int, theta: float = 0.0) -> float:
    """P(ordered founder genotype (a, b))."""
    if a == b:
        return freqs[a] * (theta + (1.0 - theta) * freqs[a])
    return (1.0 - theta) * freqs[a] * freqs[b]


def transmit(mat: np.ndarray | None, parent: Genotype, allele: int) -> float:
    """P(a parent with ordered genotype ``parent`` passes on ``allele``)."""
    if mat is None:
        return 0.5 * (parent[0] == allele) + 0.5 * (parent[1] == allele)
    return 0.5 * float(mat[parent[0], allele]) + 0.5 * float(mat[parent[1], allele])


def brute_likelihood(ped, freqs: Sequence[float], genotypes: Mapping[str, Genotype | None], *,
                     mut_female: np.ndarray | None = None, mut_male: np.ndarray | None = None,
                     theta: float = 0.0, fixed: Mapping[str, Genotype] | None = None) -> float:
    """Likelihood of one marker by enumeration over every member's ordered genotype.

    ``ped`` is a :class:`Pedigree` or a mapping id -> (father, mother).  ``genotypes`` maps
    typed members to an unordered genotype (a pair of allele indices); members not in it (or
    mapped to None) are untyped.  ``fixed`` pins members to one *ordered* genotype (used for
    the joint probability of the data and one member's ordered genotype).
    """
    parents = _parent_map(ped)
    order = _parents_first(parents)
    freqs = [float(x) for x in freqs]
    n = len(freqs)
    fixed = dict(fixed or {})
    choices = {pid: [fixed[pid]] if pid in fixed else _allowed(genotypes.get(pid), n)
               for pid in order}
    assigned: dict[str, Genotype] = {}

    def walk(k: int) -> float:
        if k == len(order):
            return 1.0
        pid = order[k]
        fa, mo = parents[pid]
        total = 0.0
        for g in choices[pid]:
            if fa is None:
                w = founder_prob(freqs, g[0], g[1], theta)
            else:
                w = transmit(mut_male, assigned[fa], g[0]) * transmit(mut_female, assigned[mo], g[1])
            if w == 0.0:
                continue
            assigned[pid] = g
            total += w * walk(k + 1)
        assigned.pop(pid, None)
        return total

    return walk(0)


def brute_genotype_table(ped, freqs: Sequence[float], genotypes: Mapping[str, Genotype | None],
                         person: str, **kw) -> np.ndarray:
    """Entry [a, b]: P(data, ``person`` has paternal allele a and maternal allele b)."""
    n = len(freqs)
    out = np.zeros((n, n))
    for a in range(n):
        for b in range(n):
            out[a, b] = brute_likelihood(ped, freqs, genotypes, fixed={person: (a, b)}, **kw)
    return out


def hw_prob(freqs: Sequence[float], genotype: Genotype, theta: float = 0.0) -> float:
    """P(unordered genotype) of an unrelated person."""
    a, b = genotype
    if a == b:
        return founder_prob(freqs, a, a, theta)
    return 2.0 * founder_prob(freqs, a, b, theta)


def forrel_reduce(parents: Mapping[str, tuple[str | None, str | None]],
                  typed: set[str]) -> dict[str, tuple[str | None, str | None]]:
    """The pedigree a hypothesis is computed on, following forrel's convention.

    1. An untyped member without children is removed (this never changes a likelihood).
    2. Two untyped founders whose only child (each) is one and the same person are removed,
       and that person becomes a founder (Hardy–Weinberg rather than p·M).  With a mutation
       model this is a convention, not an identity; the golden cases computed by forrel follow
       it (e.g. a lone typed full sibling of the missing person under H2).
    Repeated until nothing changes.
    """
    ped = dict(parents)
    while True:
        kids: dict[str, list[str]] = {pid: [] for pid in ped}
        for pid, (fa, mo) in ped.items():
            if fa is not None:
                kids[fa].append(pid)
                kids[mo].append(pid)
        leaves = [pid for pid in ped if pid not in typed and not kids[pid]]
        if leaves:
            for pid in leaves:
                del ped[pid]
            continue
        for pid, (fa, mo) in ped.items():
            if (fa is not None and fa not in typed and mo not in typed
                    and ped[fa] == (None, None) and ped[mo] == (None, None)
                    and kids[fa] == [pid] and kids[mo] == [pid]):
                del ped[fa], ped[mo]
                ped[pid] = (None, None)
                break
        else:
            return ped


def brute_missing_person_lr(ped, freqs: Sequence[float], relatives: Mapping[str, Genotype | None],
                            missing: str, found: Genotype | None, *,
                            mut_female: np.ndarray | None = None, mut_male: np.ndarray | None = None,
                            theta: float = 0.0, reduce: bool = True,
                            typed_elsewhere: Iterable[str] = ()) -> float:
    """The missing-person LR at one marker, as ``shared/KINSHIP.md`` defines it.

    H1: the found person is ``missing``; H2: the found person is unrelated and the family keeps
    its pedigree with ``missing`` untyped.  A found person untyped at the marker gives 1.
    ``typed_elsewhere``: relatives typed at other markers of the case (they count as typed for
    :func:`forrel_reduce`).  ``reduce=False`` computes both hypotheses on the full pedigree
    (the convention not applied).
    """
    if found is None:
        return 1.0
    parents = _parent_map(ped)
    rel = {pid: g for pid, g in relatives.items() if g is not None and pid != missing}
    h1 = {**rel, missing: found}
    others = set(typed_elsewhere) - {missing}
    ped1 = forrel_reduce(parents, set(h1) | others) if reduce else parents
    ped2 = forrel_reduce(parents, set(rel) | others) if reduce else parents
    kw = {"mut_female": mut_female, "mut_male": mut_male, "theta": theta}
    l1 = brute_likelihood(ped1, freqs, h1, **kw)
    l2 = brute_likelihood(ped2, freqs, rel, **kw) if rel else 1.0
    return l1 / (l2 * hw_prob(freqs, found, theta))
