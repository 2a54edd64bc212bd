"""A slow, obviously correct reference for pedigree likelihoods and the missing-person LR.

Nothing here is clever and nothing is shared with :mod:`reunite.genetics.likelihood`:

- every pedigree member carries an ordered genotype (paternal allele, maternal allele);
- the likelihood of one marker is the sum, over every assignment of ordered genotypes to every
  member, of the product of
    * for the founders: p_a * p_b each (Hardy–Weinberg); with ``theta`` > 0 instead the
      Balding–Nichols joint of all founder alleles of each connected component, taken in
      pedigree order: the j-th of type a with probability (b θ + (1 − θ) p_a) / (1 + (j − 2) θ),
      b the number of earlier ones of type a (pedprobr's ``likTheta``),
    * for a child, its paternal allele: 1/2 M_male[f_pat, a] + 1/2 M_male[f_mat, a] over the
      father's ordered genotype (f_pat, f_mat), and likewise its maternal allele through the
      mother and the female matrix (no mutation = the identity);
  where a typed member may only take the one or two ordered genotypes that match its typed
  (unordered) genotype.
- an X-chromosomal marker (``sexes`` given): a male carries one allele, written (a, a); a male
  founder contributes p_a (one allele to the Balding–Nichols joint); a son takes his maternal
  allele from his mother as above and nothing from his father; a daughter takes her father's one
  allele through M_male[f, a] and her maternal allele as above.

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


def _allowed(genotype: Genotype | None, n: int, male_x: bool = False) -> list[Genotype]:
    """The ordered genotypes a member may take: all n*n if untyped, else those matching.  A male
    at an X marker: (a, a) for each allele, or only his typed one."""
    if male_x:
        if genotype is None:
            return [(a, a) for a in range(n)]
        return [(genotype[0], genotype[0])] if genotype[0] == genotype[1] else []
    if genotype is None:
        return [(a, b) for a in range(n) for b in range(n)]
    a, b = genotype
    return [(a, a)] if a == b else [(a, b), (b, a)]


def bn_joint(alleles: Sequence[int], freqs: Sequence[float], theta: float) -> float:
    """The Balding–Nichols sampling formula for a sequence of founder alleles, term by term."""
    out = 1.0
    for j, a in enumerate(alleles, start=1):
        b = sum(1 for x in alleles[: j - 1] if x == a)
        out *= (b * theta + (1.0 - theta) * freqs[a]) / (1.0 + (j - 2) * theta)
    return out


def components(parents: Mapping[str, tuple[str | None, str | None]]) -> dict[str, int]:
    """Connected component number of each member (plain repeated merging of labels)."""
    label = {pid: i for i, pid in enumerate(parents)}
    changed = True
    while changed:
        changed = False
        for pid, (fa, mo) in parents.items():
            for par in (fa, mo):
                if par is not None and label[par] != label[pid]:
                    lo = min(label[par], label[pid])
                    label[par] = label[pid] = lo
                    changed = True
    return label


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
                     theta: float = 0.0, fixed: Mapping[str, Genotype] | None = None,
                     sexes: Mapping[str, str] | None = None) -> float:
    """Likelihood of one marker by enumeration over every member's ordered genotype.

    ``ped`` is a :class:`Pedigree` or a mapping id -> (father, mother).  ``genotypes`` maps
    typed members to an unordered genotype (a pair of allele indices); members not in it (or
    mapped to None) are untyped.  ``fixed`` pins members to one *ordered* genotype (used for
    the joint probability of the data and one member's ordered genotype).  ``sexes`` (id ->
    "male"/"female" for every member) makes the marker X-chromosomal.
    """
    parents = _parent_map(ped)
    order = _parents_first(parents)
    freqs = [float(x) for x in freqs]
    n = len(freqs)
    fixed = dict(fixed or {})
    xl = sexes is not None
    male = {pid for pid in order if xl and sexes[pid] == "male"}
    choices = {pid: [fixed[pid]] if pid in fixed else _allowed(genotypes.get(pid), n, pid in male)
               for pid in order}
    comp = components(parents)
    assigned: dict[str, Genotype] = {}

    def founders_joint() -> float:
        """The Balding–Nichols joint of the founder alleles, per component (theta > 0)."""
        out = 1.0
        for c in set(comp.values()):
            als: list[int] = []
            for pid in order:
                if parents[pid][0] is None and comp[pid] == c:
                    g = assigned[pid]
                    als.extend([g[1]] if pid in male else [g[0], g[1]])
            out *= bn_joint(als, freqs, theta)
        return out

    def walk(k: int) -> float:
        if k == len(order):
            return founders_joint() if theta > 0 else 1.0
        pid = order[k]
        fa, mo = parents[pid]
        total = 0.0
        for g in choices[pid]:
            if fa is None:
                if theta > 0:
                    w = 1.0
                elif pid in male:
                    w = freqs[g[1]]
                else:
                    w = founder_prob(freqs, g[0], g[1], 0.0)
            elif xl:
                w = transmit(mut_female, assigned[mo], g[1])
                if pid not in male:
                    f = assigned[fa][1]
                    w *= (f == g[0]) if mut_male is None else float(mut_male[f, g[0]])
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


def hw_prob(freqs: Sequence[float], genotype: Genotype, theta: float = 0.0,
            male_x: bool = False) -> float:
    """P(unordered genotype) of an unrelated person (a singleton: the Balding–Nichols joint of its
    two alleles; a male at an X marker: p_a)."""
    a, b = genotype
    if male_x:
        return freqs[a] if a == b else 0.0
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
                            typed_elsewhere: Iterable[str] = (),
                            sexes: Mapping[str, str] | None = None) -> float:
    """The missing-person LR at one marker, as ``shared/KINSHIP.md`` defines it.

    H1: the found person is ``missing``; H2: the found person is unrelated and the family keeps
    its pedigree with ``missing`` untyped.  A found person untyped at the marker gives 1.
    ``typed_elsewhere``: relatives typed at other markers of the case (they count as typed for
    :func:`forrel_reduce`).  ``reduce=False`` computes both hypotheses on the full pedigree
    (the convention not applied).  ``sexes`` (every member's sex) makes the marker X-chromosomal.
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
    l1 = brute_likelihood(ped1, freqs, h1, **kw, sexes=sexes)
    l2 = brute_likelihood(ped2, freqs, rel, **kw, sexes=sexes) if rel else 1.0
    male_x = sexes is not None and sexes[missing] == "male"
    return l1 / (l2 * hw_prob(freqs, found, theta, male_x))
