"""Compiled tables of the mutation-model index: rigorous bounds per (family, marker) pattern.

Under a mutation model the missing child's genotype distribution given the relatives is not a
small table over the family's alleles (an allele nobody typed may be one step from a typed one),
so the search works in two stages: bounds that are cheap to evaluate for every family, then the
exact likelihood (:func:`reunite.search.mutation.pair_log10`, the kinship engine's conventions
to 1e-13) for every family whose upper bound can reach the reported set.

Patterns.  Families of one group (same pedigree, missing member, typed members) are compiled
marker by marker; identical genotype rows at a marker are one *pattern*.  A family stores one
int32 pattern id per marker; everything else is per pattern and shared.

Sources.  When the missing child ``C`` is a leaf of the H1 pedigree, its paternal allele is a
copy, through a chain of meioses, of an allele of an *endpoint*: the first ancestor up the
paternal line that is typed at the marker or a founder (untyped ancestors passed on the way
must have no other relevant child; each step up halves the weight).  The maternal allele
likewise.  For each pair of endpoints (E_f, E_m), a probe person with parents E_f and E_m and
no mutation gives Q(s, t) = P(data, E_f passes s, E_m passes t), and::

    P(data, C = {x, y}) = sum_pairs w * sum_{s,t} Q(s, t) [Pf(s, x) Pm(t, y) + (x != y) Pf(s, y) Pm(t, x)]

with Pf, Pm the products of the mutation matrices along the chains.  Q is computed once per
pattern over the family's alleles A plus one rest state R (alleles nobody typed), by peeling
the lumped model twice: with the largest and with the smallest entries any rest allele has
(from R into an allele of A, and from R into R).  Every likelihood is a sum of products of
non-negative factors, so the two peels bound the exact one, and for an allele z of R they
bound P(data, s = z, .) / p_z uniformly (a founder's rest allele enters as p_z times what
happens below it).  At query time the rest state of a source is pushed to the child's allele
exactly: sum_{z in R} p_z Pf(z, x) = (p Pf)_x - sum_{a in A} p_a Pf(a, x).  The family's own
likelihood L2 (H2 pedigree) is bounded the same way.  Engines that rescale the unobserved
alleles to 1 - sum(observed) differ from the table by a factor s per founder allele; the bounds
take min(1, s)^n .. max(1, s)^n for n founder alleles.  A margin of 1e-9 in log10 covers float
rounding.  Families whose pedigree has no such structure at a marker (the missing member has
children, an untyped ancestor with two relevant children, inbreeding) get the bounds -inf..+inf
and are always computed exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np

from ..genetics.likelihood import peel_batch, relevant_people
from ..genetics.pedigree import Pedigree, Person
from .codes import lump_codes

__all__ = ["Shape", "compile_group", "group_bounds", "pattern_bounds", "shape_of"]

_PROBE = "\x00probe"
_MARGIN = 1e-9          # log10, on every bound
_MAX_PAIRS = 8
_CHUNK = 20_000         # patterns per peel


# ------------------------------------------------------------------------------------ structure


@dataclass(frozen=True)
class Pair:
    """One pair of endpoints: weight, chains of transmitting sexes (endpoint first), probe pedigree."""

    weight: float
    chain_f: tuple[str, ...]
    chain_m: tuple[str, ...]
    ped: Pedigree
    people: tuple[str, ...]


@dataclass(frozen=True)
class Shape:
    """The fast-path structure of a group for one set of members typed at a marker."""

    typed: tuple[str, ...]          # typed here, in group order
    pairs: tuple[Pair, ...]         # empty: no fast path (exact only)
    ped2: Pedigree                  # the H2 pedigree
    people2: tuple[str, ...]        # its relevant people
    nf1: int                        # founder alleles of the H1 computation
    nf2: int                        # founder alleles of the H2 computation

    @property
    def fast(self) -> bool:
        return bool(self.pairs)


def shape_of(ped1: Pedigree, ped2: Pedigree, missing: str, typed_here: Sequence[str]) -> Shape:
    """Analyse one (group, typed-at-marker) case; see the module docstring."""
    typed_here = tuple(typed_here)
    tset = set(typed_here)
    people2 = tuple(relevant_people(ped2, tset, set())) if tset else ()
    nf2 = 2 * sum(1 for p in people2 if ped2[p].father is None)
    people1 = relevant_people(ped1, tset, {missing})
    nf1 = 2 * sum(1 for p in people1 if ped1[p].father is None)
    none = Shape(typed_here, (), ped2, people2, nf1, nf2)
    rel = set(people1)
    kids: dict[str, list[str]] = {p: [] for p in rel}
    for p in people1:
        pp = ped1[p]
        if pp.father is not None:
            kids[pp.father].append(p)
            kids[pp.mother].append(p)
    c = ped1[missing]
    if kids[missing] or c.father is None:
        return none
    inter: set[str] = set()

    def side(pid: str, chain: tuple[str, ...], w: float, out: list) -> bool:
        p = ped1[pid]
        if pid in tset or p.father is None:
            out.append((pid, w, chain))
            return True
        if len(kids[pid]) != 1:
            return False
        inter.add(pid)
        return (side(p.father, ("male", *chain), w / 2, out)
                and side(p.mother, ("female", *chain), w / 2, out))

    ef: list = []
    em: list = []
    if not (side(c.father, ("male",), 1.0, ef) and side(c.mother, ("female",), 1.0, em)):
        return none
    if {e for e, _w, _c in ef} & {e for e, _w, _c in em} or len(ef) * len(em) > _MAX_PAIRS:
        return none
    base = [p for p in people1 if p != missing and p not in inter]
    pairs = []
    for e_f, w_f, ch_f in ef:
        for e_m, w_m, ch_m in em:
            persons = [ped1[p] for p in base] + [Person(_PROBE, e_f, e_m, "unknown")]
            ped = Pedigree(persons)
            pairs.append(Pair(w_f * w_m, ch_f, ch_m, ped, (*base, _PROBE)))
    return Shape(typed_here, tuple(pairs), ped2, people2, nf1, nf2)


# ------------------------------------------------------------------------------------ compiling


def _lumped_bounds(uniq: np.ndarray, mat: np.ndarray, nb: int) -> tuple[np.ndarray, np.ndarray]:
    """Lumped matrices (P, nb, nb) over the pattern's alleles (codes 0..k-1, -1 padding) and the
    rest (code nb - 1), with the largest (hi) and smallest (lo) entries a rest allele has."""
    p_n, k = uniq.shape
    n = mat.shape[0]
    rho = nb - 1
    valid = uniq >= 0
    u = np.where(valid, uniq, 0).astype(np.int64)
    rowsum = mat.sum(axis=1)
    in_r = np.ones((p_n, n), dtype=bool)
    vi = np.nonzero(valid)
    in_r[vi[0], u[vi]] = False
    any_r = in_r.any(axis=1)
    both = valid[:, :, None] & valid[:, None, :]
    aa = np.where(both, mat[u[:, :, None], u[:, None, :]], 0.0)            # (P, k, k)
    a_r = np.where(valid, rowsum[u] - aa.sum(axis=2), 0.0)                  # (P, k)
    a_r = np.maximum(a_r, 0.0)
    cols = np.where(valid[:, None, :], mat[:, u].transpose(1, 0, 2), 0.0)    # (P, n, k): M(z, a)
    r_a_hi = np.where(in_r[:, :, None], cols, -np.inf).max(axis=1)
    r_a_lo = np.where(in_r[:, :, None], cols, np.inf).min(axis=1)
    r_r = rowsum[None, :] - cols.sum(axis=2)                                # (P, n): M(z, R)
    r_r_hi = np.where(in_r, r_r, -np.inf).max(axis=1)
    r_r_lo = np.where(in_r, r_r, np.inf).min(axis=1)
    out = []
    for r_a, r_r_, up in ((r_a_hi, r_r_hi, True), (r_a_lo, r_r_lo, False)):
        m = np.zeros((p_n, nb, nb))
        m[:, :k, :k] = aa
        m[:, :k, rho] = a_r * (1 + 1e-12) + 1e-300 if up else a_r * (1 - 1e-12)
        m[:, rho, :k] = np.where(any_r[:, None] & valid, r_a, 0.0)
        m[:, rho, rho] = np.where(any_r, np.maximum(r_r_, 0.0), 0.0)
        if up:
            m[:, rho, :] *= 1 + 1e-12
        else:
            m[:, rho, :] *= 1 - 1e-12
        out.append(m)
    return out[0], out[1]


@dataclass
class MarkerModel:
    """One marker's frequencies and mutation matrices, and chain products (cached)."""

    freqs: np.ndarray
    female: np.ndarray
    male: np.ndarray

    def __post_init__(self):
        self._chains: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray, float, float]] = {}
        tot = math.fsum(self.freqs)
        self.total = tot

    def chain(self, sexes: tuple[str, ...]):
        """(P, p P, min row sum, max row sum) of the product of the matrices along ``sexes``."""
        got = self._chains.get(sexes)
        if got is None:
            m = np.eye(len(self.freqs))
            for s in sexes:
                m = m @ (self.male if s == "male" else self.female)
            rs = m.sum(axis=1)
            got = self._chains[sexes] = (m, self.freqs @ m, float(rs.min()), float(rs.max()))
        return got


def _patterns(geno_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct genotype rows of one marker: (pattern rows (P, T, 2), pattern of each family (F,))."""
    f_n, t_n, _ = geno_m.shape
    g = np.sort(geno_m.astype(np.int64), axis=2) + 1
    key = np.zeros(f_n, dtype=np.int64)
    bits = 0
    for v in g.reshape(f_n, 2 * t_n).T:
        if bits + 10 > 62:
            break
        key = (key << 10) | v
        bits += 10
    if bits >= 20 * t_n:
        _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    else:
        _, first, inv = np.unique(g.reshape(f_n, 2 * t_n), axis=0, return_index=True, return_inverse=True)
    return (g[first] - 1).astype(np.int16), np.ravel(inv).astype(np.int32)


def compile_group(ped1: Pedigree, ped2: Pedigree, missing: str, typed: Sequence[str], geno: np.ndarray,
                  models: Sequence[MarkerModel]) -> dict[str, np.ndarray]:
    """The pattern tables of one group (see the module docstring), as named arrays:

    ``pid`` (F, M) int32 pattern of each family and marker; per pattern ``marker`` int16,
    ``bits`` int32 (members typed, bit t for ``typed[t]``), ``alleles`` (P, K) int16 (the
    family's distinct alleles, -1 padding), ``l2`` (P, 2) lo/hi of the family likelihood,
    ``q`` (P, pairs, 2, K+1, K+1) lo/hi of the source tables (rest rows/columns as densities),
    ``fast`` (P,) bool."""
    f_n, m_n, t_n, _ = geno.shape
    typed = tuple(typed)
    k = 2 * t_n
    nb = k + 1
    shapes: dict[int, Shape] = {}
    pid = np.empty((f_n, m_n), dtype=np.int32)
    parts = []
    off = 0
    for mi in range(m_n):
        pats, inv = _patterns(np.asarray(geno[:, mi]))
        pid[:, mi] = inv + off
        off += len(pats)
        parts.append((mi, pats))
    p_all = off
    marker = np.empty(p_all, dtype=np.int16)
    bits_all = np.empty(p_all, dtype=np.int32)
    alleles = np.full((p_all, k), -1, dtype=np.int16)
    l2 = np.zeros((p_all, 2))
    fast = np.zeros(p_all, dtype=bool)
    max_pairs = 1
    tables: list[tuple[int, np.ndarray, np.ndarray]] = []
    off = 0
    for mi, pats in parts:
        n_p = len(pats)
        sl = slice(off, off + n_p)
        marker[sl] = mi
        bits = ((pats[:, :, 0] >= 0).astype(np.int64) << np.arange(t_n)).sum(axis=1)
        bits_all[sl] = bits
        for key in np.unique(bits):
            key = int(key)
            rows = np.nonzero(bits == key)[0]
            shape = shapes.get(key)
            if shape is None:
                here = [typed[t] for t in range(t_n) if (key >> t) & 1]
                shape = shapes[key] = shape_of(ped1, ped2, missing, here)
            for c0 in range(0, len(rows), _CHUNK):
                r = rows[c0:c0 + _CHUNK]
                a, lo_hi, q = _pattern_tables(shape, typed, pats[r], models[mi], k)
                alleles[off + r] = a
                l2[off + r] = lo_hi
                fast[off + r] = shape.fast
                if q is not None:
                    tables.append((off, r, q))
                    max_pairs = max(max_pairs, q.shape[1])
        off += n_p
    qs = np.zeros((p_all, max_pairs, 2, nb, nb))
    for o, r, q in tables:
        qs[o + r, : q.shape[1]] = q
    # Bounds of log10 L1 / L2 with the child untyped (the LR of a marker the child lacks).
    rel = np.zeros((p_all, 2))
    rel[:, 0], rel[:, 1] = -np.inf, np.inf
    for (key, shape) in shapes.items():
        if not shape.fast:
            continue
        for mi in range(m_n):
            rows = np.nonzero((marker == mi) & (bits_all == key) & fast)[0]
            if len(rows):
                rel[rows, 0], rel[rows, 1] = pattern_bounds(shape, models[mi], alleles[rows], l2[rows], qs[rows],
                                                            -1, -1)
    return {"pid": pid, "marker": marker, "bits": bits_all, "alleles": alleles, "l2": l2, "q": qs,
            "fast": fast, "rel": rel}


def _pattern_tables(shape: Shape, typed: tuple[str, ...], pats: np.ndarray, model: MarkerModel, k: int):
    """Alleles (P, k), L2 lo/hi (P, 2) and source tables (P, pairs, 2, k+1, k+1) of patterns."""
    n_p, t_n, _ = pats.shape
    nb = k + 1
    sel = [t for t in range(t_n) if typed[t] in shape.typed]
    g = pats[:, sel].astype(np.int64)
    uniq = np.full((n_p, k), -1, dtype=np.int16)
    if sel:
        u, codes = lump_codes(g.reshape(n_p, 2 * len(sel)), k)
        uniq[:, : u.shape[1]] = u
        codes = codes.reshape(n_p, len(sel), 2)
    valid = uniq >= 0
    p = model.freqs
    uu = np.where(valid, uniq, 0).astype(np.int64)
    fr = np.zeros((n_p, nb))
    fr[:, :k] = np.where(valid, p[uu], 0.0)
    in_r = np.ones((n_p, len(p)), dtype=bool)
    vi = np.nonzero(valid)
    in_r[vi[0], uu[vi]] = False
    p_r = (p[None, :] * in_r).sum(axis=1)
    fr[:, k] = p_r
    mats = {}
    for sex, mat in (("female", model.female), ("male", model.male)):
        mats[sex] = _lumped_bounds(uniq, mat, nb)
    gsub = {typed[t]: codes[:, j] for j, t in enumerate(sel)} if sel else {}
    ts = list(shape.typed)
    l2 = np.ones((n_p, 2))
    if ts:
        for j, side in enumerate((1, 0)):   # lo from the lo matrices, hi from the hi matrices
            ms = {"female": mats["female"][side], "male": mats["male"][side]}
            l2[:, j] = peel_batch(shape.ped2, list(shape.people2), ts, gsub, fr, ms)
    if not shape.fast:
        return uniq, l2, None
    q = np.zeros((n_p, len(shape.pairs), 2, nb, nb))
    dens = np.where(p_r > 0, 1.0 / np.where(p_r > 0, p_r, 1.0), 0.0)
    for pi, pair in enumerate(shape.pairs):
        for j, side in enumerate((1, 0)):
            ms = {"female": mats["female"][side], "male": mats["male"][side]}
            t = peel_batch(pair.ped, list(pair.people), ts, gsub, fr, ms, keep=_PROBE, identity={_PROBE})
            t[:, k, :] *= dens[:, None]
            t[:, :, k] *= dens[:, None]
            q[:, pi, j] = t
    return uniq, l2, q


# ------------------------------------------------------------------------------------ querying


def pattern_bounds(shape: Shape, model: MarkerModel, alleles: np.ndarray, l2: np.ndarray, q: np.ndarray,
                   x: np.ndarray | int, y: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """log10 LR bounds (lo, hi) of patterns (rows of ``alleles``/``l2``/``q``) with a child of
    genotype {x, y} (scalars, or arrays over the patterns); x < 0 means the child is untyped at
    the marker (then the bounds are of L1 / L2 with the child summed out)."""
    n_p = alleles.shape[0]
    p = model.freqs
    valid = alleles >= 0
    uu = np.where(valid, alleles, 0).astype(np.int64)
    pa = np.where(valid, p[uu], 0.0)
    p_obs = pa.sum(axis=1)
    p_r = np.maximum(model.total - p_obs, 0.0)
    x = np.broadcast_to(np.asarray(x, dtype=np.int64), (n_p,))
    y = np.broadcast_to(np.asarray(y, dtype=np.int64), (n_p,))
    typed = x >= 0
    xs = np.where(typed, x, 0)
    ys = np.where(typed, y, 0)
    lo = np.zeros(n_p)
    hi = np.zeros(n_p)
    for pi, pair in enumerate(shape.pairs):
        mf, pmf, rfmin, rfmax = model.chain(pair.chain_f)
        mm, pmm, rmmin, rmmax = model.chain(pair.chain_m)
        ufx = _u(mf, pmf, uu, valid, pa, xs)
        ufy = _u(mf, pmf, uu, valid, pa, ys)
        umx = _u(mm, pmm, uu, valid, pa, xs)
        umy = _u(mm, pmm, uu, valid, pa, ys)
        het = (xs != ys).astype(float)
        for j, (out, b) in enumerate(((lo, 0), (hi, 1))):
            qq = q[:, pi, j]
            uf1, um1, uf2, um2 = ufx[b], umy[b], ufy[b], umx[b]
            val = (np.einsum("pcd,pc,pd->p", qq, uf1, um1) + het * np.einsum("pcd,pc,pd->p", qq, uf2, um2))
            # child untyped: the sources' total mass, times the chains' row sums
            mass = np.concatenate([valid.astype(float), p_r[:, None]], axis=1)
            tot = np.einsum("pcd,pc,pd->p", qq, mass, mass) * ((rfmin * rmmin) if b == 0 else (rfmax * rmmax))
            out += pair.weight * np.where(typed, val, tot)
    pxy = np.where(xs == ys, p[xs] ** 2, 2.0 * p[xs] * p[ys])
    p_obs1 = p_obs + np.where(typed & ~_member(alleles, xs), p[xs], 0.0) + \
        np.where(typed & (ys != xs) & ~_member(alleles, ys), p[ys], 0.0)
    s1 = _scale(model.total, p_obs1)
    s2 = _scale(model.total, p_obs)
    f1_lo, f1_hi = np.minimum(1.0, s1) ** shape.nf1, np.maximum(1.0, s1) ** shape.nf1
    f2_lo, f2_hi = np.minimum(1.0, s2) ** shape.nf2, np.maximum(1.0, s2) ** shape.nf2
    den = np.where(typed, pxy, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lr_lo = lo * f1_lo / (l2[:, 1] * f2_hi * den)
        lr_hi = hi * f1_hi / (l2[:, 0] * f2_lo * den)
        out_lo = np.where(lr_lo > 0, np.log10(np.where(lr_lo > 0, lr_lo, 1.0)), -np.inf) - _MARGIN
        out_hi = np.where(lr_hi > 0, np.log10(np.where(lr_hi > 0, lr_hi, 1.0)), -np.inf) + _MARGIN
    out_hi = np.where((l2[:, 0] <= 0) & (hi > 0), np.inf, out_hi)
    out_hi = np.where(np.isnan(out_hi), np.inf, out_hi)
    out_lo = np.where(np.isnan(out_lo), -np.inf, out_lo)
    return out_lo, out_hi


def _member(alleles: np.ndarray, x: np.ndarray) -> np.ndarray:
    return (alleles == x[:, None]).any(axis=1)


def _scale(total: float, p_obs: np.ndarray) -> np.ndarray:
    """The factor engines apply to unobserved alleles: (1 - observed) / (table sum - observed)."""
    if abs(total - 1.0) < 1e-15:
        return np.ones_like(p_obs)
    rest = total - p_obs
    return np.where(rest > 0, (1.0 - p_obs) / np.where(rest > 0, rest, 1.0), 1.0)


def _u(mat, pmat, uu, valid, pa, x):
    """(lo, hi) of the source vectors for child allele ``x``: codes 0..k-1 the family's alleles,
    code k the rest (sum over z in R of p_z P(z, x))."""
    col = np.where(valid, mat[uu, x[:, None]], 0.0)
    rest = pmat[x] - (pa * col).sum(axis=1)
    slack = 8e-16 * pmat[x] + 1e-300
    lo = np.concatenate([col * (1 - 1e-13), np.maximum(rest - slack, 0.0)[:, None]], axis=1)
    hi = np.concatenate([col * (1 + 1e-13), (np.maximum(rest, 0.0) + slack)[:, None]], axis=1)
    return lo, hi


@numba.njit(cache=True, nogil=True)
def _gather(pid, lohi, pos):  # pragma: no cover - compiled
    """Per family (rows ``pos`` of ``pid`` (F, M)), the sums over markers of its patterns'
    (lo, hi) bounds, ``lohi`` (P, 2) float32 (rounded outwards), summed in float64."""
    n = pos.shape[0]
    m_n = pid.shape[1]
    lo = np.zeros(n)
    hi = np.zeros(n)
    for i in range(n):
        f = pos[i]
        a = 0.0
        b = 0.0
        for m in range(m_n):
            j = pid[f, m]
            a += lohi[j, 0]
            b += lohi[j, 1]
        lo[i] = a
        hi[i] = b
    return lo, hi


@dataclass
class QueryTables:
    """What the compiled kernel needs of an index's markers: chain products and frequencies."""

    chains: np.ndarray       # (C, M, n, n) products of mutation matrices along each chain
    pchains: np.ndarray      # (C, M, n) p times them
    freqs: np.ndarray        # (M, n)
    totals: np.ndarray       # (M,)
    chain_ids: dict
    n_alleles: np.ndarray    # (M,) alleles per marker


def query_tables(models: Sequence[MarkerModel], chains: Sequence[tuple[str, ...]]) -> QueryTables:
    """Chain products for ``chains`` over the markers of ``models`` (padded to the longest allele list)."""
    m_n = len(models)
    nmax = max(len(m.freqs) for m in models) if models else 1
    c_n = max(1, len(chains))
    ch = np.zeros((c_n, m_n, nmax, nmax))
    pch = np.zeros((c_n, m_n, nmax))
    fr = np.zeros((m_n, nmax))
    tot = np.zeros(m_n)
    for mi, m in enumerate(models):
        n = len(m.freqs)
        fr[mi, :n] = m.freqs
        tot[mi] = m.total
        for ci, c in enumerate(chains):
            mat, pm, _lo, _hi = m.chain(c)
            ch[ci, mi, :n, :n] = mat
            pch[ci, mi, :n] = pm
    n_al = np.array([len(m.freqs) for m in models], dtype=np.int64)
    return QueryTables(ch, pch, fr, tot, {c: i for i, c in enumerate(chains)}, n_al)


def shape_arrays(shapes: dict[int, Shape], tables: QueryTables, bits: np.ndarray):
    """Per pattern a compact shape id, and per shape its pairs (count, weights, chain ids) and
    founder-allele counts, as arrays for the kernel."""
    keys = sorted(shapes)
    sid = {k: i for i, k in enumerate(keys)}
    s_n = len(keys)
    npmax = max([len(shapes[k].pairs) for k in keys] + [1])
    npairs = np.zeros(s_n, dtype=np.int64)
    weight = np.zeros((s_n, npmax))
    cf = np.zeros((s_n, npmax), dtype=np.int64)
    cm = np.zeros((s_n, npmax), dtype=np.int64)
    nf1 = np.zeros(s_n, dtype=np.int64)
    nf2 = np.zeros(s_n, dtype=np.int64)
    for k in keys:
        i = sid[k]
        sh = shapes[k]
        npairs[i] = len(sh.pairs)
        nf1[i], nf2[i] = sh.nf1, sh.nf2
        for j, pr in enumerate(sh.pairs):
            weight[i, j] = pr.weight
            cf[i, j] = tables.chain_ids[pr.chain_f]
            cm[i, j] = tables.chain_ids[pr.chain_m]
    lut = np.zeros(max(keys) + 1 if keys else 1, dtype=np.int64)
    for k in keys:
        lut[k] = sid[k]
    return lut[np.asarray(bits)], npairs, weight, cf, cm, nf1, nf2


def group_bounds(extra: dict, shape_info: tuple, tables: QueryTables, x: np.ndarray,
                 pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log10 LR bounds (lo, hi) of one child (x: (M, 2) allele indices, -1 untyped) against the
    families ``pos`` of one group, over the index's markers."""
    marker = np.asarray(extra["marker"])
    p_all = len(marker)
    rel = np.asarray(extra["rel"])
    typed_m = x[:, 0] >= 0
    # Patterns are stored marker by marker.
    starts = np.searchsorted(marker, np.arange(len(typed_m) + 1))
    lo_p = np.empty(p_all)
    hi_p = np.empty(p_all)
    rows = []
    for mi in range(len(typed_m)):
        s0, s1 = int(starts[mi]), int(starts[mi + 1])
        if typed_m[mi]:
            rows.append(np.arange(s0, s1))
        else:
            lo_p[s0:s1] = rel[s0:s1, 0]
            hi_p[s0:s1] = rel[s0:s1, 1]
    rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    sid, npairs, weight, cf, cm, nf1, nf2 = shape_info
    _eval_patterns(rows, marker, sid, extra["alleles"], extra["l2"], extra["q"], extra["fast"],
                   np.asarray(x, dtype=np.int64), npairs, weight, cf, cm, nf1, nf2, tables.chains, tables.pchains,
                   tables.freqs, tables.totals, lo_p, hi_p)
    # float32 halves the memory the gather reads; rounding outwards keeps the bounds.
    lohi = np.empty((p_all, 2), dtype=np.float32)
    lo32 = lo_p.astype(np.float32)
    hi32 = hi_p.astype(np.float32)
    lohi[:, 0] = np.where(lo32 > lo_p, np.nextafter(lo32, np.float32(-np.inf)), lo32)
    lohi[:, 1] = np.where(hi32 < hi_p, np.nextafter(hi32, np.float32(np.inf)), hi32)
    return _gather(np.asarray(extra["pid"]), lohi, np.asarray(pos, dtype=np.int64))


# ------------------------------------------------------------------------------- compiled kernel


@numba.njit(cache=True, nogil=True)
def _bound_one(r, m, xa, xb, shape_id, alleles, l2, q, npairs, weight, chain_f, chain_m, nf1, nf2,
               chains, pchains, freqs, totals, uf, um):  # pragma: no cover - compiled
    """(lo, hi) log10 LR bounds of pattern ``r`` (at marker ``m``) with a child {xa, xb}."""
    k = alleles.shape[1]
    nb = k + 1
    if l2[r, 1] <= 0.0:
        return -np.inf, np.inf
    s = shape_id[r]
    p_obs = 0.0
    for c in range(k):
        a = alleles[r, c]
        if a >= 0:
            p_obs += freqs[m, a]
    lo = 0.0
    hi = 0.0
    for pi in range(npairs[s]):
        w = weight[s, pi]
        for side in range(2):
            ch = chain_f[s, pi] if side == 0 else chain_m[s, pi]
            u = uf if side == 0 else um
            for j in range(2):
                al = xa if j == 0 else xb
                rest = pchains[ch, m, al]
                for c in range(k):
                    a = alleles[r, c]
                    if a >= 0:
                        v = chains[ch, m, a, al]
                        rest -= freqs[m, a] * v
                        u[2 * j, c] = v * (1 - 1e-13)
                        u[2 * j + 1, c] = v * (1 + 1e-13)
                    else:
                        u[2 * j, c] = 0.0
                        u[2 * j + 1, c] = 0.0
                slack = 8e-16 * pchains[ch, m, al] + 1e-300
                u[2 * j, k] = max(rest - slack, 0.0)
                u[2 * j + 1, k] = max(rest, 0.0) + slack
        for b in range(2):
            acc = 0.0
            for c in range(nb):
                fx = uf[b, c]
                fy = uf[2 + b, c]
                if fx == 0.0 and fy == 0.0:
                    continue
                for d in range(nb):
                    qq = q[r, pi, b, c, d]
                    if qq != 0.0:
                        acc += qq * fx * um[2 + b, d]
                        if xa != xb:
                            acc += qq * fy * um[b, d]
            if b == 0:
                lo += w * acc
            else:
                hi += w * acc
    pa = freqs[m, xa]
    pb = freqs[m, xb]
    pxy = pa * pa if xa == xb else 2.0 * pa * pb
    tot = totals[m]
    f1lo = 1.0
    f1hi = 1.0
    f2lo = 1.0
    f2hi = 1.0
    if abs(tot - 1.0) >= 1e-15:
        p1 = p_obs
        inx = False
        iny = False
        for c in range(k):
            if alleles[r, c] == xa:
                inx = True
            if alleles[r, c] == xb:
                iny = True
        if not inx:
            p1 += pa
        if xb != xa and not iny:
            p1 += pb
        s1 = (1.0 - p1) / (tot - p1) if tot - p1 > 0 else 1.0
        s2 = (1.0 - p_obs) / (tot - p_obs) if tot - p_obs > 0 else 1.0
        f1lo = min(1.0, s1) ** nf1[s]
        f1hi = max(1.0, s1) ** nf1[s]
        f2lo = min(1.0, s2) ** nf2[s]
        f2hi = max(1.0, s2) ** nf2[s]
    lr_lo = lo * f1lo / (l2[r, 1] * f2hi * pxy)
    if l2[r, 0] <= 0.0:
        lr_hi = np.inf if hi > 0 else 0.0
    else:
        lr_hi = hi * f1hi / (l2[r, 0] * f2lo * pxy)
    out_lo = math.log10(lr_lo) - 1e-9 if lr_lo > 0 else -np.inf
    out_hi = math.log10(lr_hi) + 1e-9 if lr_hi > 0 else -np.inf
    return out_lo, out_hi


@numba.njit(cache=True, nogil=True)
def _eval_patterns(rows, marker, shape_id, alleles, l2, q, fast, x,
                   npairs, weight, chain_f, chain_m, nf1, nf2,
                   chains, pchains, freqs, totals, lo_out, hi_out):  # pragma: no cover - compiled
    """Bounds of the patterns ``rows`` for one child x (M, 2) typed at their markers (the
    compiled version of :func:`pattern_bounds`; same figures)."""
    nb = alleles.shape[1] + 1
    uf = np.empty((4, nb))
    um = np.empty((4, nb))
    for ii in range(rows.shape[0]):
        r = rows[ii]
        if not fast[r]:
            lo_out[r] = -np.inf
            hi_out[r] = np.inf
            continue
        m = marker[r]
        lo_out[r], hi_out[r] = _bound_one(r, m, x[m, 0], x[m, 1], shape_id, alleles, l2, q, npairs, weight,
                                          chain_f, chain_m, nf1, nf2, chains, pchains, freqs, totals, uf, um)


@numba.njit(cache=True, nogil=True)
def _eval_children(pid_row, X, shape_id, alleles, l2, q, fast, rel,
                   npairs, weight, chain_f, chain_m, nf1, nf2,
                   chains, pchains, freqs, totals, n_alleles):  # pragma: no cover - compiled
    """Bounds (lo, hi) of one family (its patterns ``pid_row`` (M,)) against children X (N, M, 2).

    The bounds of every genotype of each marker are computed once (a few hundred per marker),
    then each child's are looked up."""
    n = X.shape[0]
    m_n = pid_row.shape[0]
    nb = alleles.shape[1] + 1
    uf = np.empty((4, nb))
    um = np.empty((4, nb))
    lo = np.zeros(n)
    hi = np.zeros(n)
    for m in range(m_n):
        r = pid_row[m]
        if not fast[r]:
            for i in range(n):
                lo[i] = -np.inf
                hi[i] = np.inf
            return lo, hi
    amax = freqs.shape[1]
    tlo = np.zeros((m_n, amax, amax))
    thi = np.zeros((m_n, amax, amax))
    for m in range(m_n):
        r = pid_row[m]
        na = n_alleles[m]
        for xa in range(na):
            for xb in range(xa, na):
                bl, bh = _bound_one(r, m, xa, xb, shape_id, alleles, l2, q, npairs, weight,
                                    chain_f, chain_m, nf1, nf2, chains, pchains, freqs, totals, uf, um)
                tlo[m, xa, xb] = bl
                thi[m, xa, xb] = bh
                tlo[m, xb, xa] = bl
                thi[m, xb, xa] = bh
    for i in range(n):
        a = 0.0
        b = 0.0
        for m in range(m_n):
            xa = X[i, m, 0]
            if xa < 0:
                r = pid_row[m]
                a += rel[r, 0]
                b += rel[r, 1]
            else:
                xb = X[i, m, 1]
                a += tlo[m, xa, xb]
                b += thi[m, xa, xb]
        lo[i] = a
        hi[i] = b
    return lo, hi
