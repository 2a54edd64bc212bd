"""Exact pedigree likelihoods per marker, by peeling (variable elimination) over alleles.

Model.  Each person ``i`` carries a paternal allele ``P_i`` and a maternal allele ``M_i``.
Founders draw them from the population: with ``theta`` = 0 independently (Hardy–Weinberg); with
``theta`` > 0 as pedprobr does (:data:`THETA_CONVENTION`): the alleles of all founders of one
pedigree (one connected component) are sampled jointly by the Balding–Nichols sampling formula,
the j-th founder allele, of type a, with probability (b θ + (1 − θ) p_a) / (1 + (j − 2) θ), b the
number of earlier founder alleles of type a.  That joint is exchangeable and depends only on the
allele counts; it is one factor over all founder allele variables of the component.  A child's
paternal allele is one of its father's two alleles, each with probability 1/2, passed through
the male mutation matrix; its maternal allele likewise through the female matrix.  A typed
person's ordered pair must match the typed genotype.  The likelihood of a marker is the sum over
all allele assignments of the product of these factors; it is computed by eliminating the allele
variables one at a time (Elston–Stewart peeling generalised to any pedigree without loops),
never by enumeration.

X-chromosomal markers (``MarkerData.chromosome == "X"``): a male carries one allele (his maternal
one): a male founder draws one allele (p_a; one allele in the Balding–Nichols joint), a son
receives one of his mother's two alleles and nothing from his father, a daughter receives her
father's single allele (through the male matrix) and one of her mother's.  A typed male's
genotype is (a, a).

Theta.  Untyped founders with a single child enter with one allele (the one they pass on:
exact, as the joint is exchangeable and consistent under marginalisation).  The joint of the
founder alleles is then computed one of two exact ways, the cheaper for the pedigree and marker:
one factor over all founder alleles, whose size is the product of their domains (2 for a typed
founder's allele, the allele count after lumping for an untyped founder's); or, read term by
term, every untyped founder allele is a fresh draw (probability (1 − θ) / (1 + (j − 2) θ), then
p_a) or a copy of one earlier founder allele (θ / (1 + (j − 2) θ) each), a weighted sum over the
ways the untyped founder alleles can be copies of each other or of the typed founders' alleles,
each an ordinary peel (cost independent of the allele count: markers whose mutation model keeps
every allele, e.g. stepwise).  A pedigree too large for both (a factor over
:data:`THETA_MAX_CELLS` cells and more than 5,000 copy configurations, i.e. many untyped founders)
is refused with an :class:`~reunite.errors.InputError` naming its founders; theta = 0 has no
such limit.  Lumping unobserved alleles into one stays exact under Balding–Nichols (the
aggregation property of the Dirichlet distribution behind it).

Speed.  Alleles not seen in any typed person of a marker are lumped into one allele when the
mutation model allows it exactly (strong lumpability, checked numerically on the matrices;
always true without mutation, for ``equal`` and for ``proportional``).  Untyped people with no
typed descendant are removed (they sum to 1).  Markers that share the same typed people and
a similar allele count are computed together, as one batch of numpy operations.

Genotype contract: alleles are integer indices into :attr:`MarkerData.alleles`; ``MISSING``
(-1) marks an untyped marker.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, Problem
from .markers import MISSING
from .pedigree import Pedigree

__all__ = ["THETA_CONVENTION", "THETA_CONVENTION_ZH", "THETA_MAX_CELLS", "MarkerData", "balding_nichols",
           "marker_likelihoods", "peel_batch", "person_genotype_table", "relevant_people"]

#: How theta (F_ST) enters the likelihoods, for results and reports.
THETA_CONVENTION = ("Balding–Nichols joint sampling of all founder alleles of each pedigree "
                    "(pedprobr's likelihood(theta =))")
#: The same in Chinese, for reports.
THETA_CONVENTION_ZH = ("按 Balding–Nichols 抽样公式对每个系谱全部奠基者的等位基因联合抽样"
                       "（与 pedprobr 的 likelihood(theta =) 一致）")
#: Largest joint factor of founder alleles (cells per marker) computed with theta > 0.
THETA_MAX_CELLS = 1 << 22
_THETA_BATCH_CELLS = 1 << 23   # cells of the joint factor over a batch of markers, per peel
_THETA_JOINT_PREFERRED = 1 << 12   # below this many cells per marker the joint factor is used
_THETA_MAX_FREE = 8             # beyond this many untyped founder alleles the copies mixture is not used
_THETA_MAX_CONFIGS = 5_000      # configurations of the copies mixture (one peel each)

_LETTERS = "abcdefghijklmnopqrstuvwxyABCDEFGHIJKLMNOPQRSTUVWXY"  # 'z' is the batch axis
_BUCKETS = (8, 16, 24, 32, 48, 64, 96, 128)


@dataclass(frozen=True)
class MarkerData:
    """One marker ready for the engine: alleles (table order), frequencies, mutation matrices.

    ``mut_female`` / ``mut_male`` are None for no mutation (identity).
    """

    name: str
    alleles: tuple[str, ...]
    freqs: np.ndarray
    mut_female: np.ndarray | None = None
    mut_male: np.ndarray | None = None
    chromosome: str = "A"

    @property
    def n(self) -> int:
        return len(self.freqs)

    def without_mutation(self) -> MarkerData:
        return MarkerData(self.name, self.alleles, self.freqs, chromosome=self.chromosome)


def balding_nichols(alleles: Sequence[int], freqs: Sequence[float], theta: float) -> float:
    """The joint probability of a sequence of founder alleles under the Balding–Nichols sampling
    formula: the j-th allele, of type a, has probability (b θ + (1 − θ) p_a) / (1 + (j − 2) θ),
    b the number of earlier alleles of type a (the order does not matter)."""
    out = 1.0
    seen: dict[int, int] = {}
    for j, a in enumerate(alleles, start=1):
        b = seen.get(a, 0)
        out *= (b * theta + (1.0 - theta) * float(freqs[a])) / (1.0 + (j - 2) * theta)
        seen[a] = b + 1
    return out


# ---------------------------------------------------------------------------------------------
# Lumping


def _lumpable(m: np.ndarray, obs: np.ndarray, rest: np.ndarray) -> bool:
    """Strong lumpability of ``m`` for the partition {each observed allele} + {rest}."""
    if rest.size <= 1:
        return True
    rows = m[rest]
    into_obs = rows[:, obs]
    into_rest = rows[:, rest].sum(axis=1)
    return bool(np.allclose(into_obs, into_obs[0], rtol=1e-12, atol=1e-300)
                and np.allclose(into_rest, into_rest[0], rtol=1e-12, atol=1e-300))


def _lump_matrix(m: np.ndarray, obs: np.ndarray, rest: np.ndarray) -> np.ndarray:
    k = obs.size
    out = np.empty((k + 1, k + 1))
    out[:k, :k] = m[np.ix_(obs, obs)]
    out[:k, k] = m[np.ix_(obs, rest)].sum(axis=1)
    r0 = rest[0]
    out[k, :k] = m[r0, obs]
    out[k, k] = m[r0, rest].sum()
    return out


def _lumped_freqs(md: MarkerData, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies over the observed alleles plus one rest state of mass 1 - sum(observed),
    and the old -> new allele index map (every unobserved allele goes to the rest)."""
    k = len(obs)
    remap = np.full(md.n, k, dtype=np.int64)
    remap[obs] = np.arange(k)
    freqs = np.empty(k + 1)
    freqs[:k] = md.freqs[obs]
    freqs[k] = 1.0 - math.fsum(freqs[:k])
    return freqs, remap


def _reduce_marker(md: MarkerData, observed: list[int]) -> tuple[MarkerData, np.ndarray]:
    """Lump unobserved alleles when exact; return the marker and old->new allele index map."""
    n = md.n
    obs_list = sorted(set(observed))
    if n - len(obs_list) <= 1:
        return md, np.arange(n)
    obs = np.array(obs_list, dtype=np.int64)
    mats = [x for x in (md.mut_female, md.mut_male) if x is not None]
    if not mats:
        freqs, remap = _lumped_freqs(md, obs)
        return MarkerData(md.name, md.alleles, freqs, chromosome=md.chromosome), remap
    mask = np.ones(n, dtype=bool)
    mask[obs] = False
    rest = np.nonzero(mask)[0]
    if not all(_lumpable(x, obs, rest) for x in mats):
        # Not lumpable: keep every allele, but give the unobserved ones together the mass
        # 1 - sum(observed), as lumping does, so that a table summing to 1 +- 1e-9 gives the
        # same likelihoods either way (and the same as forrel).
        rest_sum = math.fsum(md.freqs[rest])
        if rest_sum > 0:
            freqs = md.freqs.copy()
            freqs[rest] *= (1.0 - math.fsum(md.freqs[obs])) / rest_sum
            md = MarkerData(md.name, md.alleles, freqs, md.mut_female, md.mut_male, md.chromosome)
        return md, np.arange(n)
    freqs, remap = _lumped_freqs(md, obs)
    mf = None if md.mut_female is None else _lump_matrix(md.mut_female, obs, rest)
    if md.mut_male is None:
        mm = None
    elif md.mut_male is md.mut_female:
        mm = mf
    else:
        mm = _lump_matrix(md.mut_male, obs, rest)
    return MarkerData(md.name, md.alleles, freqs, mf, mm, md.chromosome), remap


def _bucket(n: int) -> int:
    for b in _BUCKETS:
        if n <= b:
            return b
    return n


# ---------------------------------------------------------------------------------------------
# Variable elimination


class _Factor:
    __slots__ = ("arr", "vars")

    def __init__(self, vars_: tuple[int, ...], arr: np.ndarray):
        self.vars = vars_
        self.arr = arr


def _product_sum(factors: list[_Factor], out_vars: tuple[int, ...]) -> _Factor:
    """Multiply factors (each with a leading batch axis) and sum out all but ``out_vars``."""
    letters: dict[int, str] = {}
    for f in factors:
        for v in f.vars:
            if v not in letters:
                letters[v] = _LETTERS[len(letters)]
    # The batch axis z is last (contiguous), so einsum's inner loops run over the batch.
    subs = ",".join("".join(letters[v] for v in f.vars) + "z" for f in factors)
    spec = subs + "->" + "".join(letters[v] for v in out_vars) + "z"
    arr = np.einsum(spec, *[f.arr for f in factors], optimize=False)
    return _Factor(out_vars, arr)


def _elimination_order(factor_vars: list[tuple[int, ...]], dom: dict[int, int],
                       keep: set[int]) -> list[int]:
    """Greedy order: eliminate next the variable whose clique is smallest."""
    nbrs: dict[int, set[int]] = {v: set() for v in dom}
    for fv in factor_vars:
        for v in fv:
            nbrs[v].update(fv)
    for v in nbrs:
        nbrs[v].discard(v)
    remaining = {v for v in dom if v not in keep}
    order = []
    while remaining:
        best = min(remaining, key=lambda v: (math.prod(dom[u] for u in nbrs[v]) * dom[v], v))
        order.append(best)
        remaining.discard(best)
        nb = nbrs.pop(best)
        for u in nb:
            nbrs[u].discard(best)
            nbrs[u].update(nb - {u})
    return order


def _eliminate(factors: list[_Factor], order: list[int], keep: tuple[int, ...]) -> _Factor:
    facs = list(factors)
    for v in order:
        touching = [f for f in facs if v in f.vars]
        if not touching:
            continue
        facs = [f for f in facs if v not in f.vars]
        out: list[int] = []
        for f in touching:
            for u in f.vars:
                if u != v and u not in out:
                    out.append(u)
        facs.append(_product_sum(touching, tuple(out)))
    if not facs:
        raise AssertionError("no factors")
    return _product_sum(facs, keep)


# ---------------------------------------------------------------------------------------------
# Building the factors of one batch


def relevant_people(ped: Pedigree, typed: set[str], keep: set[str], *, xlinked: bool = False) -> list[str]:
    """People who can matter: the typed and kept people and their ancestors.

    Untyped people without a typed (or kept) descendant sum out to 1 and are dropped.  With
    ``xlinked`` ancestry follows the X: a son's father passes him nothing and is not an ancestor
    through him.
    """
    if not xlinked:
        wanted = ped.ancestors_of(typed | keep)
    else:
        wanted = set()
        stack = list(typed | keep)
        while stack:
            pid = stack.pop()
            if pid in wanted:
                continue
            wanted.add(pid)
            p = ped[pid]
            if p.father is not None:
                stack.append(p.mother)
                if p.sex != "male":
                    stack.append(p.father)
    return [pid for pid in ped.order if pid in wanted]


def _batch_likelihood(ped: Pedigree, people: list[str], typed: list[str],
                      geno: dict[str, np.ndarray], markers: list[MarkerData], nb: int,
                      theta: float, keep: str | None):
    """Likelihood of a batch of markers that share the typed people; shapes (G,) or (G,nb,nb)."""
    g = len(markers)
    freqs = np.zeros((g, nb))
    any_mut = any(m.mut_female is not None or m.mut_male is not None for m in markers)
    mats = {}
    if any_mut:
        for sex in ("female", "male"):
            arr = np.zeros((g, nb, nb))
            for z, m in enumerate(markers):
                mm = m.mut_female if sex == "female" else m.mut_male
                arr[z, : m.n, : m.n] = np.eye(m.n) if mm is None else mm
            mats[sex] = arr
    for z, m in enumerate(markers):
        freqs[z, : m.n] = m.freqs
    return peel_batch(ped, people, typed, geno, freqs, mats if any_mut else None, theta, keep,
                      xlinked=markers[0].chromosome == "X")


def _components(ped: Pedigree) -> dict[str, int]:
    """Connected component of each member (people joined by parent-child links)."""
    comp: dict[str, int] = {}
    c = -1
    for start in ped.order:
        if start in comp:
            continue
        c += 1
        stack = [start]
        while stack:
            pid = stack.pop()
            if pid in comp:
                continue
            comp[pid] = c
            p = ped[pid]
            if p.father is not None:
                stack += [p.father, p.mother]
            stack += ped.children(pid)
    return comp


def _bn_factor(fvars: list[int], amap: dict[int, np.ndarray], freqs_t: np.ndarray, z: np.ndarray,
               theta: float) -> _Factor:
    """The Balding–Nichols joint of the founder allele variables ``fvars`` (batch axis last)."""
    k = len(fvars)
    g = z.shape[1]
    shape = [amap[v].shape[0] for v in fvars]
    alle, probs = [], []
    for i, v in enumerate(fvars):
        sh = [1] * k + [g]
        sh[i] = shape[i]
        alle.append(amap[v].reshape(sh))
        probs.append(((1.0 - theta) * freqs_t[amap[v], z]).reshape(sh))
    out = np.ones([*shape, g])
    for i in range(k):
        b = np.zeros([1] * (k + 1))
        for j in range(i):
            b = b + (alle[j] == alle[i])
        out = out * ((b * theta + probs[i]) / (1.0 + (i - 1) * theta))
    return _Factor(tuple(fvars), out)


def _copy_configurations(fixed: list[int], free: list[int], theta: float,
                         limit: int | None = None) -> dict[tuple[int, ...], float] | None:
    """The Balding–Nichols joint of ``free`` founder alleles after the ``fixed`` ones, as a mixture.

    Drawn in order, the j-th allele is a fresh draw from the population with probability
    (1 − θ) / (1 + (j − 2) θ), or a copy of one given earlier allele with probability
    θ / (1 + (j − 2) θ) each (the sampling formula, term by term).  Following the copies back,
    each free allele equals a fixed allele or the first free allele of its chain (a fresh draw).
    Returns {roots: weight}, ``roots[i]`` the variable ``free[i]`` equals (itself if fresh): the
    joint is sum over configurations of weight × Π over fresh free alleles of p × the joint of the
    fixed alleles.  None if there would be more than ``limit`` configurations.
    """
    m = len(fixed)
    states: dict[tuple[int, ...], float] = {(): 1.0}
    for i, v in enumerate(free):
        denom = 1.0 + (m + i - 1) * theta           # j = m + i + 1: 1 + (j - 2) θ
        nxt: dict[tuple[int, ...], float] = {}
        for roots, w in states.items():
            key = (*roots, v)
            nxt[key] = nxt.get(key, 0.0) + w * (1.0 - theta) / denom
            mult: dict[int, int] = dict.fromkeys(fixed, 1)
            for r in roots:
                mult[r] = mult.get(r, 0) + 1
            for r, c in mult.items():
                key = (*roots, r)
                nxt[key] = nxt.get(key, 0.0) + w * theta * c / denom
        states = nxt
        if limit is not None and len(states) > limit:
            return None
    return states


def _factor(vars_: tuple[int, ...], arr: np.ndarray) -> _Factor:
    """A factor, with repeated variables (identified alleles) reduced to their diagonal."""
    if len(set(vars_)) == len(vars_):
        return _Factor(vars_, arr)
    letters = {v: _LETTERS[i] for i, v in enumerate(dict.fromkeys(vars_))}
    out = tuple(dict.fromkeys(vars_))
    spec = "".join(letters[v] for v in vars_) + "z->" + "".join(letters[v] for v in out) + "z"
    return _Factor(out, np.einsum(spec, arr))


def peel_batch(ped: Pedigree, people: Sequence[str], typed: Sequence[str],
               geno: Mapping[str, np.ndarray], freqs: np.ndarray, mats: Mapping[str, np.ndarray] | None,
               theta: float = 0.0, keep: str | None = None, identity: frozenset[str] | set[str] = frozenset(),
               *, xlinked: bool = False, theta_method: str = "auto") -> np.ndarray:
    """The array-level core: G independent problems on one pedigree, peeled together.

    ``freqs`` is (G, nb) (padding alleles have frequency 0); ``geno[pid]`` is (G, 2) allele
    indices for each typed person (typed in every problem; a male at an X marker as (a, a));
    ``mats`` maps "female"/"male" to (G, nb, nb) mutation matrices, or is None for no mutation.
    ``people`` must contain every ancestor of the typed and kept people.  Returns (G,)
    likelihoods, or with ``keep`` the (G, nb, nb) joint probability of the data and the kept
    person's ordered genotype (for a male at an X marker, his allele on the diagonal).  People in
    ``identity`` receive their alleles without mutation (a probe of a parent's alleles).
    ``xlinked``: an X-chromosomal marker (every person in ``people`` must be male or female).

    With ``theta`` > 0 the founders' alleles are sampled jointly (Balding–Nichols), per connected
    component of ``ped``, computed one of two exact ways (``theta_method``; "auto" takes the
    cheaper): "joint", one factor over all founder alleles; "copies", the typed founders' alleles
    in one factor and every untyped founder allele a fresh draw or a copy of an earlier one, a
    weighted sum of peels (:func:`_copy_configurations`), which does not grow with the allele
    count (markers whose mutation model keeps every allele).
    """
    g, nb = freqs.shape
    people = list(people)
    typed_set = set(typed)
    hemi: set[str] = set()
    if xlinked:
        unknown = [pid for pid in people if ped[pid].sex not in ("male", "female")]
        if unknown:
            raise InputError(Problem(
                f"{unknown[0]!r} has unknown sex; at an X-chromosomal marker every typed person and "
                f"every ancestor through whom the X passes needs a sex", field="sex"))
        hemi = {pid for pid in people if ped[pid].sex == "male"}
    # With theta, an untyped founder with a single child enters with the one allele it passes on.
    single: set[str] = set()
    var_of = {pid: (2 * k, 2 * k + 1) for k, pid in enumerate(people)}

    def own(pid: str) -> tuple[int, ...]:
        """A founder's allele variables: only the maternal one for a hemizygous male or an untyped
        founder with one child (theta > 0)."""
        pv, mv = var_of[pid]
        return (mv,) if (pid in hemi or pid in single) else (pv, mv)

    method = "hw"
    per_problem = 1
    configs: list[tuple[dict[int, int], float]] = [({}, 1.0)]
    if theta > 0:
        pset = set(people)
        for pid in people:
            p = ped[pid]
            if (p.father is None and pid not in typed_set and pid != keep and pid not in hemi
                    and sum(1 for c in ped.children(pid) if c in pset) == 1):
                single.add(pid)
        n_free = 0
        for pid in people:
            if ped[pid].father is None:
                one = pid in hemi or pid in single
                d = (1 if pid in hemi else 2) if pid in typed_set else nb
                per_problem *= d if one else d * d
                if pid not in typed_set and pid != keep:
                    n_free += 1 if one else 2
        method = theta_method
        comp = _components(ped)
        fixed_ids: dict[int, list[str]] = {}
        free_ids: dict[int, list[str]] = {}
        for pid in people:
            if ped[pid].father is None:
                fixed_ids.setdefault(comp[pid], [])
                free_ids.setdefault(comp[pid], [])
                (fixed_ids if pid in typed_set or pid == keep else free_ids)[comp[pid]].append(pid)
        mixes = None
        if method == "copies" or (method == "auto" and per_problem > _THETA_JOINT_PREFERRED
                                  and n_free <= _THETA_MAX_FREE):
            mixes = {}
            n_conf = 1
            for c in fixed_ids:
                fv = [v for pid in fixed_ids[c] for v in own(pid)]
                uv = [v for pid in free_ids[c] for v in own(pid)]
                mix = _copy_configurations(fv, uv, theta, _THETA_MAX_CONFIGS)
                n_conf *= len(mix) if mix is not None else _THETA_MAX_CONFIGS + 1
                mixes[c] = (fv, uv, mix)
            if n_conf > _THETA_MAX_CONFIGS:
                if method == "copies":
                    raise InputError(Problem(
                        f"theta > 0 samples the alleles of all founders jointly; this pedigree has "
                        f"{n_free} untyped founder alleles, more than {_THETA_MAX_CONFIGS:,} ways "
                        f"they can share alleles (the limit); use theta 0, or type or remove "
                        f"untyped founders", field="theta"))
                mixes = None
        if method == "auto":
            method = "copies" if mixes is not None else "joint"
        if method == "joint" and per_problem > THETA_MAX_CELLS:
            founders = [pid for pid in people if ped[pid].father is None]
            raise InputError(Problem(
                f"theta > 0 samples the alleles of all founders jointly; this pedigree has "
                f"{len(founders)} founders ({sum(1 for f in founders if f not in typed_set)} "
                f"untyped, {n_free} founder alleles to sum over) and a marker with {nb} alleles after "
                f"lumping, a joint of {per_problem:,} genotype combinations, more than the limit "
                f"{THETA_MAX_CELLS:,}; use theta 0, or type or remove untyped founders",
                field="theta"))
        if method == "joint" and g > 1 and per_problem * g > _THETA_BATCH_CELLS:
            step = max(1, _THETA_BATCH_CELLS // per_problem)
            parts = []
            for lo in range(0, g, step):
                sl = slice(lo, lo + step)
                parts.append(peel_batch(
                    ped, people, typed, {pid: np.asarray(a)[sl] for pid, a in geno.items()},
                    freqs[sl], None if mats is None else {k: v[sl] for k, v in mats.items()},
                    theta, keep, identity, xlinked=xlinked, theta_method="joint"))
            return np.concatenate(parts, axis=0)
    any_mut = mats is not None
    # Everything is built with the batch axis last: (domain..., G).
    z = np.arange(g)[None, :]
    freqs_t = np.ascontiguousarray(freqs.T)                     # (nb, G)
    mats_t = {sex: np.ascontiguousarray(np.moveaxis(m, 0, -1)) for sex, m in mats.items()} if any_mut else {}
    amap: dict[int, np.ndarray] = {}                             # (domain, G) allele indices
    dom: dict[int, int] = {}
    full = np.broadcast_to(np.arange(nb)[:, None], (nb, g))
    for pid in people:
        pv, mv = var_of[pid]
        if pid in typed_set:
            gt = np.ascontiguousarray(np.asarray(geno[pid]).T)      # (2, G)
            if pid in hemi:
                amap[mv], dom[mv] = gt[:1], 1
            else:
                amap[pv] = amap[mv] = gt
                dom[pv] = dom[mv] = 2
        elif pid in hemi or pid in single:
            amap[mv], dom[mv] = full, nb
        else:
            amap[pv] = amap[mv] = full
            dom[pv] = dom[mv] = nb

    # Founder alleles per component: "fixed" (in one joint factor: all of them for "joint", the
    # typed and kept founders' for "copies") and the rest as fresh draws and copies.
    fixed: dict[int, list[int]] = {}
    if theta > 0:
        if method == "copies":
            configs = [({}, 1.0)]
            for c, (fv, uv, mix) in mixes.items():
                fixed[c] = fv
                configs = [({**rep, **dict(zip(uv, roots, strict=True))}, w * wc)
                           for rep, w in configs for roots, wc in mix.items()]
        else:
            for c in fixed_ids:
                fixed[c] = [v for pid in people if ped[pid].father is None and comp[pid] == c
                            for v in own(pid)]

    def factors_for(rep: Mapping[int, int]) -> list[_Factor]:
        """The factors with founder alleles identified as ``rep`` says (each maps to its root)."""
        def r(v: int) -> int:
            return rep.get(v, v)

        facs: list[_Factor] = []
        for pid in people:
            p = ped[pid]
            pv, mv = var_of[pid]
            if p.father is None:
                if theta == 0:
                    for v in own(pid):
                        facs.append(_Factor((v,), freqs_t[amap[v], z]))
                else:
                    for v in own(pid):       # a fresh draw of the copies mixture
                        if v in rep and rep[v] == v:
                            facs.append(_Factor((v,), freqs_t[amap[v], z]))
            else:
                for par, var, sex in ((p.father, pv, "male"), (p.mother, mv, "female")):
                    if var not in dom:
                        continue                  # a son's X: nothing from his father
                    ppv, pmv = var_of[par]
                    a_c = amap[var]
                    mutate = any_mut and pid not in identity
                    if par in hemi or par in single:
                        a_p = amap[r(pmv)]
                        if mutate:
                            t = mats_t[sex][a_p[:, None, :], a_c[None, :, :], z]
                        else:
                            t = (a_p[:, None, :] == a_c[None, :, :]).astype(float)
                        facs.append(_factor((r(pmv), var), t))
                        continue
                    a_p, a_m = amap[r(ppv)], amap[r(pmv)]
                    if mutate:
                        mat = mats_t[sex]
                        t1 = mat[a_p[:, None, :], a_c[None, :, :], z]
                        t2 = mat[a_m[:, None, :], a_c[None, :, :], z]
                    else:
                        t1 = (a_p[:, None, :] == a_c[None, :, :]).astype(float)
                        t2 = (a_m[:, None, :] == a_c[None, :, :]).astype(float)
                    t = 0.5 * (t1[:, None, :, :] + t2[None, :, :, :])
                    facs.append(_factor((r(ppv), r(pmv), var), t))
            if pid in typed_set and pid not in hemi:
                gt = amap[pv]
                het = gt[0] != gt[1]
                e = np.zeros((2, 2, g))
                e[0, 1, het] = 1.0
                e[1, 0, het] = 1.0
                e[0, 0, ~het] = 1.0
                facs.append(_Factor((pv, mv), e))
        for fv in fixed.values():
            if fv:
                facs.append(_bn_factor(fv, amap, freqs_t, z, theta))
        return facs

    keep_vars: tuple[int, ...] = ()
    if keep is not None:
        keep_vars = (var_of[keep][1],) if keep in hemi else var_of[keep]
    res = None
    for rep, w in configs:
        facs = factors_for(rep)
        live = {v: d for v, d in dom.items() if rep.get(v, v) == v}
        order = _elimination_order([f.vars for f in facs], live, set(keep_vars))
        part = np.moveaxis(_eliminate(facs, order, keep_vars).arr, -1, 0)
        res = w * part if res is None else res + w * part
    if keep is not None and keep in hemi:
        if keep in typed_set:
            raise ValueError("the kept person must be untyped")
        diag = np.zeros((g, nb, nb))
        idx = np.arange(nb)
        diag[:, idx, idx] = res
        res = diag
    return res


def marker_likelihoods(ped: Pedigree, markers: Sequence[MarkerData],
                       genotypes: Mapping[str, np.ndarray], *, theta: float = 0.0,
                       lump: bool = True) -> np.ndarray:
    """Likelihood of the typed genotypes at each marker under ``ped``.

    ``genotypes`` maps person ids to integer arrays of shape (len(markers), 2) of allele
    indices (``MISSING`` where untyped).  Returns an array of len(markers) likelihoods; a
    marker nobody is typed at has likelihood 1.
    """
    out, _ = _run(ped, markers, genotypes, theta=theta, lump=lump, keep=None)
    return out


def person_genotype_table(ped: Pedigree, markers: Sequence[MarkerData],
                          genotypes: Mapping[str, np.ndarray], person: str, *,
                          theta: float = 0.0) -> list[np.ndarray]:
    """Joint probability of the data and each ordered genotype of ``person``, per marker.

    Returns one (n, n) array per marker over the marker's full allele list: entry [a, b] is
    P(data, paternal allele a, maternal allele b).  ``person`` must be untyped.
    """
    _, tables = _run(ped, markers, genotypes, theta=theta, lump=False, keep=person)
    return tables


def _run(ped, markers, genotypes, *, theta, lump, keep):
    markers = list(markers)
    nm = len(markers)
    if not (0.0 <= theta < 1.0):
        raise ValueError(f"theta must be in [0, 1), got {theta}")
    geno = {pid: np.asarray(g, dtype=np.int64).reshape(nm, 2) for pid, g in genotypes.items()}
    for pid in geno:
        if pid not in ped:
            raise KeyError(f"genotypes given for {pid!r}, who is not in the pedigree")
    # Reduce each marker, remap its genotypes, and group markers.
    groups: dict[tuple, list[int]] = {}
    reduced: list[MarkerData] = []
    rgeno: list[dict[str, np.ndarray]] = []
    for z, md in enumerate(markers):
        typed_here = {pid: g[z] for pid, g in geno.items() if g[z, 0] != MISSING}
        if md.chromosome == "X":
            for pid, gt in typed_here.items():
                if ped[pid].sex == "male" and gt[0] != gt[1]:
                    raise InputError(Problem(
                        f"{pid!r} is male and heterozygous at the X-chromosomal marker {md.name}; "
                        f"a male carries one X allele (give it once, or twice repeated)",
                        field=md.name))
        if lump and keep is None and typed_here:
            obs = [int(a) for g in typed_here.values() for a in g]
            rmd, remap = _reduce_marker(md, obs)
            typed_here = {pid: remap[g] for pid, g in typed_here.items()}
        else:
            rmd = md
        reduced.append(rmd)
        rgeno.append(typed_here)
        # With theta the joint factor grows with the allele count: no padding.
        nb = rmd.n if theta > 0 else _bucket(rmd.n)
        key = (tuple(sorted(typed_here)), nb, rmd.chromosome)
        groups.setdefault(key, []).append(z)
    out = np.ones(nm)
    tables: list[np.ndarray | None] = [None] * nm
    for (typed, nb, chrom), zs in groups.items():
        if not typed and keep is None:
            continue
        keep_set = {keep} if keep is not None else set()
        people = relevant_people(ped, set(typed), keep_set, xlinked=chrom == "X")
        gsub = {pid: np.stack([rgeno[z][pid] for z in zs]) for pid in typed}
        res = _batch_likelihood(ped, people, list(typed), gsub, [reduced[z] for z in zs],
                                nb, theta, keep)
        if keep is None:
            out[zs] = res
        else:
            for k, z in enumerate(zs):
                n = reduced[z].n
                tables[z] = res[k, :n, :n]
                out[z] = float(res[k].sum())
    return out, tables
