"""One-vs-all search under a mutation model: bounds for every family, exact likelihoods for the few.

At build time (:func:`prepare_group`) the families of each group are compiled into pattern
tables (:mod:`reunite.search.fastmut`): per marker, the distinct genotype rows of the group
and, for each, bounds on the missing child's source alleles and on the family's own likelihood.
At query time the compiled kernel gives every family a lower and an upper bound of its log10
LR with the child, and only the families whose upper bound reaches both ``min_lr`` and the
``top``-th best lower bound are computed exactly here, with the very conventions of
:func:`~reunite.genetics.kinship.missing_person_lr`:

* H1 is peeled on ``pedigree.trimmed(typed | {missing})`` with the found child placed as the
  missing member, H2 on ``pedigree.trimmed(typed)``;
* the markers used are those typed in the found child or in a relative; a marker where only the
  relatives are typed contributes L1 / L2 (not 1: under mutation the two pedigrees differ);
* alleles nobody typed carries are lumped into one "rest" allele only where that is exact for
  every choice of observed alleles (both matrices have constant off-diagonal columns and a
  constant ``diagonal - column`` value, as ``equal`` and ``proportional`` have); otherwise the
  full allele set is kept, the unobserved alleles rescaled to the mass 1 - sum(observed) exactly
  as the engine's ``_reduce_marker`` does (no rescaling when at most one allele is unobserved).

The exact terms that do not depend on the child (log10 L2, L1/L2 with the child untyped, and
the inconsistency of the family's own genotypes) are computed on first use per family and kept.
Every (family, marker) problem with the child typed is peeled at once per typed set (the
relatives typed at the marker; and per marker for unlumped markers), twice: with mutation (the
LR) and without (the inconsistent-marker count the engine reports).  Identical problems are computed once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from ..genetics.likelihood import peel_batch, relevant_people
from ..genetics.markers import Profile
from ..genetics.mutation import marker_matrices
from ..genetics.pedigree import Pedigree
from .codes import lump_codes
from .fastmut import (
    MarkerModel,
    _eval_children,
    _pattern_tables,
    compile_group,
    group_bounds,
    pattern_bounds,
    query_tables,
    shape_arrays,
    shape_of,
)
from .hits import SearchHit, lr_from_log10

__all__ = ["child_query", "family_vs_children", "marker_models", "pair_log10", "prepare_group", "search_bounds",
           "search_group_rows"]

_PAIRS = 20_000          # (family, child) pairs per query chunk
_CELLS = 6_000_000       # problems * nb**2 per peel_batch call (memory bound)
_TERMS_KEPT = 100_000    # families whose exact child-independent terms are kept, per group


# ------------------------------------------------------------------------------- marker models


class _Models:
    """Per-marker frequencies and mutation matrices (padded to the longest allele list)."""

    def __init__(self, table, keys: Sequence[str], mutation):
        self.keys = list(keys)
        q = len(self.keys)
        self.n = np.array([len(table.markers[k].freqs) for k in self.keys], dtype=np.int64)
        nmax = int(self.n.max()) if q else 1
        self.freqs = np.zeros((q, nmax))
        self.mf = np.zeros((q, nmax, nmax))
        self.mm = np.zeros((q, nmax, nmax))
        self.universal = np.ones(q, dtype=bool)
        for i, k in enumerate(self.keys):
            mf = table.markers[k]
            n = len(mf.freqs)
            fr = np.asarray(mf.freqs, dtype=float)
            self.freqs[i, :n] = fr
            mats = None if mutation is None else marker_matrices(mutation, mf.name, mf.alleles, fr)
            if mats is None:
                self.mf[i, :n, :n] = self.mm[i, :n, :n] = np.eye(n)
                continue
            fem, male = mats
            self.mf[i, :n, :n] = fem
            self.mm[i, :n, :n] = male
            self.universal[i] = _universally_lumpable(fem) and _universally_lumpable(male)


def _universally_lumpable(m: np.ndarray) -> bool:
    """Whether ``m`` is strongly lumpable for every partition {observed singletons} + {rest}:
    every column constant off the diagonal, and diagonal minus that constant the same in every row."""
    n = m.shape[0]
    if n <= 2:
        return True
    off = ~np.eye(n, dtype=bool)
    col = np.where(off, m, np.nan)
    lo, hi = np.nanmin(col, axis=0), np.nanmax(col, axis=0)
    if np.any(hi - lo > 1e-14 * np.maximum(np.abs(hi), 1e-300)):
        return False
    d = np.diag(m) - hi
    return bool(d.max() - d.min() <= 1e-14)


def _padded(a: np.ndarray, nb: int) -> np.ndarray:
    """``a`` (Q, nmax[, nmax]) cut or zero-padded to nb on its allele axes."""
    nmax = a.shape[1]
    if nb <= nmax:
        return a[:, :nb, :nb] if a.ndim == 3 else a[:, :nb]
    pad = [(0, 0)] + [(0, nb - nmax)] * (a.ndim - 1)
    return np.pad(a, pad)


def _models(index, keys: Sequence[str]) -> _Models:
    cache = index.__dict__.setdefault("_mutation_models", {})
    key = tuple(keys)
    got = cache.get(key)
    if got is None:
        if len(cache) > 32:
            cache.clear()
        got = cache[key] = _Models(index.table, keys, index.mutation)
    return got


# ------------------------------------------------------------------------------- batched peeling


def _likelihoods(ped: Pedigree, ids: Sequence[str], geno: np.ndarray, mk: np.ndarray, models: _Models,
                 mutation: bool, *, dedupe: bool = True) -> np.ndarray:
    """Likelihood of each problem z: the genotypes ``geno[z]`` ((Z, T, 2) allele indices into the
    table, -1 untyped) of people ``ids`` at marker ``mk[z]``, on ``ped``, as ``marker_likelihoods``
    computes it (1 where nobody is typed)."""
    z_n, t_n, _ = geno.shape
    out = np.ones(z_n)
    if z_n == 0:
        return out
    if dedupe:
        first, inv = _distinct(geno, mk, len(models.keys), models.freqs.shape[1])
        if len(first) < 0.9 * z_n:
            res = _likelihoods(ped, ids, geno[first], mk[first], models, mutation, dedupe=False)
            return res[inv]
    bits = ((geno[:, :, 0] >= 0).astype(np.int64) << np.arange(t_n)).sum(axis=1)
    unlumped = ~models.universal[mk] if mutation else np.zeros(z_n, dtype=bool)
    for key in np.unique(bits):
        key = int(key)
        if key == 0:
            continue
        sel = [t for t in range(t_n) if (key >> t) & 1]
        ts = [ids[t] for t in sel]
        people = relevant_people(ped, set(ts), set())
        rows = np.nonzero(bits == key)[0]
        full = unlumped[rows]
        lr = rows[~full]
        if len(lr):
            g = geno[lr][:, sel]
            k1 = 2 * len(ts) + 1
            step = max(1, _CELLS // (k1 * k1))
            for c0 in range(0, len(lr), step):
                c = slice(c0, c0 + step)
                out[lr[c]] = _peel_lumped(ped, people, ts, g[c], mk[lr[c]], models, mutation)
        fr = rows[full]
        if len(fr):
            # Unlumped markers with similar allele counts are peeled together (padding alleles
            # have frequency 0 and no mutation into them).
            nbs = _bucket(models.n[mk[fr]])
            for nb in np.unique(nbs):
                rm = fr[nbs == nb]
                g = geno[rm][:, sel]
                nb = int(nb)
                step = max(1, _CELLS // (nb * nb))
                for c0 in range(0, len(rm), step):
                    c = slice(c0, c0 + step)
                    out[rm[c]] = _peel_full(ped, people, ts, g[c], mk[rm[c]], nb, models)
    return out


_BUCKETS = np.array([4, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 64, 80, 96, 128])


def _bucket(n: np.ndarray) -> np.ndarray:
    i = np.searchsorted(_BUCKETS, n)
    return np.where(i < len(_BUCKETS), _BUCKETS[np.minimum(i, len(_BUCKETS) - 1)], n)


def _distinct(geno: np.ndarray, mk: np.ndarray, q: int, nmax: int):
    """Rows of the distinct problems and each problem's position among them (genotypes are
    unordered pairs)."""
    z_n, t_n, _ = geno.shape
    g = np.sort(geno, axis=2) + 1                                   # 0 = untyped
    base = nmax + 1
    if math.log2(q) + 2 * t_n * math.log2(base) < 62:
        key = mk.astype(np.int64)
        for v in g.reshape(z_n, 2 * t_n).T:
            key = key * base + v
        _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    else:
        rows = np.concatenate([mk[:, None], g.reshape(z_n, 2 * t_n)], axis=1)
        _, first, inv = np.unique(rows, axis=0, return_index=True, return_inverse=True)
    return first, np.ravel(inv)


def _peel_lumped(ped, people, ts, g, mk, models: _Models, mutation: bool) -> np.ndarray:
    """Problems with the unobserved alleles lumped: states = observed alleles (padded) + rest."""
    n, t, _ = g.shape
    k = 2 * t
    uniq, codes = lump_codes(g.reshape(n, 2 * t), k)
    valid = uniq >= 0
    u = np.where(valid, uniq, 0).astype(np.int64)
    nmax = models.freqs.shape[1]
    fm = models.freqs[mk]                                          # (n, nmax)
    fr = np.zeros((n, k + 1))
    fr[:, :k] = np.where(valid, np.take_along_axis(fm, u, axis=1), 0.0)
    real = np.arange(nmax)[None, :] < models.n[mk][:, None]
    obs = np.zeros((n, nmax), dtype=bool)
    vi = np.nonzero(valid)
    obs[vi[0], u[vi]] = True
    rest = real & ~obs
    restn = rest.sum(axis=1)
    # The engine lumps only when two or more alleles are unobserved (rest mass 1 - sum(observed));
    # otherwise it keeps the table's own frequency for the single unobserved allele.
    fr[:, k] = np.where(restn >= 2, 1.0 - fr[:, :k].sum(axis=1), (fm * rest).sum(axis=1))
    mats = None
    if mutation:
        mats = {}
        r0 = np.argmax(rest, axis=1)
        both = valid[:, :, None] & valid[:, None, :]
        for sex, stack in (("female", models.mf), ("male", models.mm)):
            full = stack[mk]                                       # (n, nmax, nmax)
            rows = np.take_along_axis(full, u[:, :, None], axis=1)  # (n, k, nmax)
            lm = np.zeros((n, k + 1, k + 1))
            lm[:, :k, :k] = np.where(both, np.take_along_axis(rows, u[:, None, :], axis=2), 0.0)
            lm[:, :k, k] = np.where(valid, (rows * rest[:, None, :]).sum(axis=2), 0.0)
            r0row = full[np.arange(n), r0]                          # (n, nmax)
            lm[:, k, :k] = np.where(valid, np.take_along_axis(r0row, u, axis=1), 0.0)
            lm[:, k, k] = (r0row * rest).sum(axis=1)
            lm[restn == 0, k, :] = 0.0
            mats[sex] = lm
    codes = codes.reshape(n, t, 2)
    gsub = {pid: codes[:, i] for i, pid in enumerate(ts)}
    return peel_batch(ped, people, ts, gsub, fr, mats, 0.0, None)


def _peel_full(ped, people, ts, g, mk: np.ndarray, nb: int, models: _Models) -> np.ndarray:
    """Problems at unlumpable markers: every allele kept, the unobserved ones rescaled."""
    n, t, _ = g.shape
    fr = _padded(models.freqs, nb)[mk]
    obs = np.zeros((n, nb), dtype=bool)
    flat = g.reshape(n, 2 * t).astype(np.int64)
    np.put_along_axis(obs, flat, True, axis=1)
    rest = ~obs & (np.arange(nb)[None, :] < models.n[mk][:, None])
    restn = rest.sum(axis=1)
    rest_sum = (fr * rest).sum(axis=1)
    obs_sum = (fr * obs).sum(axis=1)
    scale = np.where((restn >= 2) & (rest_sum > 0), (1.0 - obs_sum) / np.where(rest_sum > 0, rest_sum, 1.0), 1.0)
    fr = np.where(rest, fr * scale[:, None], fr)
    mats = {"female": _padded(models.mf, nb)[mk], "male": _padded(models.mm, nb)[mk]}
    gsub = {pid: g[:, i].astype(np.int64) for i, pid in enumerate(ts)}
    return peel_batch(ped, people, ts, gsub, fr, mats, 0.0, None)


# ------------------------------------------------------------------------------------- build


def _peds(group) -> tuple[Pedigree, Pedigree]:
    got = group.__dict__.get("_mutation_peds")
    if got is None:
        typed = set(group.typed)
        got = (group.pedigree.trimmed(typed | {group.missing}), group.pedigree.trimmed(typed))
        group.__dict__["_mutation_peds"] = got
    return got


def marker_models(index_like, keys: Sequence[str]) -> list:
    """One :class:`~reunite.search.fastmut.MarkerModel` per marker key (cached on the index)."""
    cache = index_like.__dict__.setdefault("_fast_models", {})
    out = []
    for key in keys:
        got = cache.get(key)
        if got is None:
            m = _models(index_like, [key])
            n = int(m.n[0])
            got = cache[key] = MarkerModel(m.freqs[0, :n].copy(), m.mf[0, :n, :n].copy(), m.mm[0, :n, :n].copy())
        out.append(got)
    return out


def prepare_group(index_like, group) -> np.ndarray:
    """Compile the pattern tables of ``group`` (:mod:`reunite.search.fastmut`) into
    ``group.extra``; return a (F, M) bool array, true where a family's own genotypes are
    impossible even with the mutation model (the family likelihood's upper bound is 0)."""
    geno = np.asarray(group.geno)
    ped1, ped2 = _peds(group)
    models = marker_models(index_like, index_like.markers)
    extra = compile_group(ped1, ped2, group.missing, group.typed, geno, models)
    group.extra = extra
    impossible = extra["l2"][:, 1] <= 0
    if not impossible.any():
        return np.zeros(geno.shape[:2], dtype=bool)
    return impossible[extra["pid"]]


def _shapes(group) -> dict:
    got = group.__dict__.get("_fast_shapes")
    if got is None:
        ped1, ped2 = _peds(group)
        t_n = len(group.typed)
        got = {}
        for key in np.unique(np.asarray(group.extra["bits"])):
            key = int(key)
            here = [group.typed[t] for t in range(t_n) if (key >> t) & 1]
            got[key] = shape_of(ped1, ped2, group.missing, here)
        group.__dict__["_fast_shapes"] = got
    return got


def _query_info(index, group):
    """The kernel's tables of the index (chains of every group) and of ``group`` (cached)."""
    tables = index.__dict__.get("_fast_tables")
    if tables is not None and not all(pr.chain_f in tables.chain_ids and pr.chain_m in tables.chain_ids
                                      for sh in _shapes(group).values() for pr in sh.pairs):
        tables = None      # families added since: chains not seen before
        index.__dict__.pop("_fast_tables", None)
        for g in index.groups:
            g.__dict__.pop("_fast_info", None)
    if tables is None:
        chains = set()
        for g in index.groups:
            if "pid" in g.extra:
                for sh in _shapes(g).values():
                    for pr in sh.pairs:
                        chains.update((pr.chain_f, pr.chain_m))
        tables = index.__dict__["_fast_tables"] = query_tables(marker_models(index, index.markers),
                                                               sorted(chains))
    info = group.__dict__.get("_fast_info")
    if info is None:
        info = group.__dict__["_fast_info"] = shape_arrays(_shapes(group), tables, group.extra["bits"])
    return tables, info


def _terms(index, group, pos: np.ndarray, untyped: bool = True):
    """Exact per-family terms the LR needs besides the child's markers: log10 L2 and, with
    ``untyped`` (the child lacks some index marker), log10 L1/L2 with the child untyped (-inf:
    0) and whether that marker is inconsistent without mutation — (len(pos), M) each (None when
    not asked), computed on first use and kept."""
    pos = np.asarray(pos, dtype=np.int64)
    models = _models(index, index.markers)
    ped1, ped2 = _peds(group)
    ids = list(group.typed)
    m_n = len(index.markers)

    def fill(name, compute):
        cache = group.__dict__.setdefault("_exact_" + name, {})
        if len(cache) > _TERMS_KEPT:       # a long batch: keep memory bounded
            cache.clear()
        todo = np.array(sorted({int(p) for p in pos} - cache.keys()), dtype=np.int64)
        if len(todo):
            geno = np.asarray(group.geno[todo])
            f_n, _m, t_n, _ = geno.shape
            flat = geno.reshape(f_n * m_n, t_n, 2).astype(np.int64)
            mk = np.tile(np.arange(m_n), f_n)
            vals = compute(flat, mk).reshape(f_n, m_n)
            for i, p in enumerate(todo):
                cache[int(p)] = vals[i]
        return np.stack([cache[int(p)] for p in pos]) if len(pos) else np.zeros((0, m_n))

    def log_l2(flat, mk):
        l2 = _likelihoods(ped2, ids, flat, mk, models, True)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(l2 > 0, np.log10(np.where(l2 > 0, l2, 1.0)), 0.0)

    def log_l1(flat, mk):
        l1 = _likelihoods(ped1, ids, flat, mk, models, True)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(l1 > 0, np.log10(np.where(l1 > 0, l1, 1.0)), -np.inf)

    def bad0(flat, mk):
        return _likelihoods(ped1, ids, flat, mk, models, False) == 0

    lg2 = fill("l2", log_l2)
    if not untyped:
        return lg2, None, None
    rel = fill("l1", log_l1) - lg2
    return lg2, rel, fill("bad0", bad0).astype(bool)


# ------------------------------------------------------------------------------------- query


def child_query(index, profiles: Sequence[Profile]) -> tuple[list[str], np.ndarray]:
    """Query markers (the index's, then table markers typed in some child but not in the index)
    and the children's alleles over them, (N, Q, 2) table indices (-1 untyped).

    Children must have every allele in the table (others go to the engine)."""
    keys = list(index.markers)
    seen = set(keys)
    for p in profiles:
        for mk in p.genotypes:
            if mk not in seen and mk in index.table.markers:
                seen.add(mk)
                keys.append(mk)
    X = np.full((len(profiles), len(keys), 2), -1, dtype=np.int64)
    for i, p in enumerate(profiles):
        for qi, mk in enumerate(keys):
            gt = p.genotypes.get(mk)
            if gt is not None:
                mf = index.table.markers[mk]
                X[i, qi] = (mf.index(gt[0]), mf.index(gt[1]))
    return keys, X


def pair_log10(index, group, pos: np.ndarray, X: np.ndarray, keys: Sequence[str], *, lr: bool = True,
               bad: bool = True):
    """Exact log10 LR (-inf for LR 0), inconsistent-marker count and markers compared of pairs
    (family ``pos[p]`` of ``group``, child ``X[p]``); ``X`` is over ``keys`` (the index's markers
    first).  ``lr=False`` / ``bad=False`` skip the LR / the count (returned as None)."""
    p_n = len(pos)
    m_n = len(index.markers)
    tot = np.zeros(p_n) if lr else None
    nz = np.zeros(p_n, dtype=np.int64)
    nbad = np.zeros(p_n, dtype=np.int64) if bad else None
    compared = (X[:, :, 0] >= 0).sum(axis=1)
    if p_n == 0:
        return tot, nbad, compared
    models = _models(index, keys)
    ped1, _ped2 = _peds(group)
    ids = [*group.typed, group.missing]
    t_l2, t_rel, t_bad0 = _terms(index, group, pos, bool((X[:, :m_n, 0] < 0).any()))
    t_n = len(group.typed)
    for c0 in range(0, p_n, _PAIRS):
        c = slice(c0, min(p_n, c0 + _PAIRS))
        n = c.stop - c.start
        pc, xc = pos[c], X[c]
        typed = xc[:, :, 0] >= 0
        un = ~typed[:, :m_n]
        pp, qq = np.nonzero(typed)
        g = np.full((len(pp), t_n + 1, 2), -1, dtype=np.int64)
        inx = qq < m_n
        g[inx, :t_n] = np.asarray(group.geno[pc[pp[inx]], qq[inx]])
        g[:, t_n] = xc[pp, qq]
        if lr:
            l1 = _likelihoods(ped1, ids, g, qq, models, True)
            a, b = g[:, t_n, 0], g[:, t_n, 1]
            pa, pb = models.freqs[qq, a], models.freqs[qq, b]
            hw = np.where(a == b, pa * pa, 2.0 * pa * pb)
            l2 = np.zeros(len(pp))
            l2[inx] = t_l2[c][pp[inx], qq[inx]]
            zero = ~(l1 > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                term = np.where(zero, 0.0, np.log10(np.where(zero, 1.0, l1)) - l2 - np.log10(hw))
            tot[c] += np.bincount(pp, weights=term, minlength=n)
            nz[c] += np.bincount(pp, weights=zero, minlength=n).astype(np.int64)
            if t_rel is not None:
                rel = t_rel[c]
                tot[c] += np.where(un & np.isfinite(rel), rel, 0.0).sum(axis=1)
                nz[c] += (un & ~np.isfinite(rel)).sum(axis=1)
        if bad:
            p1 = _likelihoods(ped1, ids, g, qq, models, False)
            nbad[c] += np.bincount(pp, weights=p1 == 0, minlength=n).astype(np.int64)
            if t_bad0 is not None:
                nbad[c] += (un & t_bad0[c]).sum(axis=1)
    if lr:
        tot[nz > 0] = -np.inf
    return tot, nbad, compared


def _untyped_shape(group):
    """The group's structure at a marker none of its members is typed at (cached)."""
    got = group.__dict__.get("_untyped_shape")
    if got is None:
        got = group.__dict__["_untyped_shape"] = shape_of(*_peds(group), group.missing, [])
    return got


def _extra_marker_bounds(index, group, keys: Sequence[str], x: np.ndarray) -> tuple[float, float]:
    """Bounds of the markers typed in the child but not in the index (the family untyped there)."""
    m_n = len(index.markers)
    lo = hi = 0.0
    typed = [qi for qi in range(m_n, len(keys)) if x[qi, 0] >= 0]
    if not typed:
        return 0.0, 0.0
    shape = _untyped_shape(group)
    if not shape.fast:
        return -np.inf, np.inf
    for qi in typed:
        key = keys[qi]
        model = marker_models(index, [key])[0]
        a, l2, q = _empty_tables(group, key, shape, model)
        b_lo, b_hi = pattern_bounds(shape, model, a, l2, q, int(x[qi, 0]), int(x[qi, 1]))
        lo += float(b_lo[0])
        hi += float(b_hi[0])
    return lo, hi


def _bounds_rows(index, child_x: np.ndarray, keys: Sequence[str], rows: np.ndarray):
    """log10 LR bounds (lo, hi) of one child against index rows (all in groups)."""
    m_n = len(index.markers)
    lo = np.full(len(rows), -np.inf)
    hi = np.full(len(rows), np.inf)
    grp = index.row_group[rows]
    for gno in np.unique(grp):
        at = np.nonzero(grp == gno)[0]
        group = index.groups[int(gno)]
        if "pid" not in group.extra:
            continue
        pos = np.asarray(index.row_pos[rows[at]], dtype=np.int64)
        tables, info = _query_info(index, group)
        g_lo, g_hi = group_bounds(group.extra, info, tables, child_x[:m_n], pos)
        e_lo, e_hi = _extra_marker_bounds(index, group, keys, child_x)
        lo[at] = g_lo + e_lo
        hi[at] = g_hi + e_hi
    return lo, hi


def search_bounds(index, child: Profile) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The prefilter's log10 LR bounds (lo, hi) of ``child`` against every searchable family of a
    mutation-model index compiled in groups: (family ids, lo, hi).  The exact log10 LR of each
    family lies between them (-inf for LR 0; -inf..+inf where the index has no bound)."""
    keys, X = child_query(index, [child])
    rows = np.nonzero(np.asarray(index.searched) & (index.row_group >= 0))[0]
    lo, hi = _bounds_rows(index, X[0], keys, rows)
    return [index.family_ids[r] for r in rows], lo, hi


def _select(lo: np.ndarray, hi: np.ndarray, min_lr: float, top: int) -> np.ndarray:
    """Positions whose exact LR may be at least ``min_lr`` and among the ``top`` best: every
    position whose upper bound reaches both ``min_lr`` and the ``top``-th largest lower bound."""
    thr = math.log10(min_lr) if min_lr > 0 else -np.inf
    if top and len(lo) > top:
        kth = np.partition(lo, len(lo) - top)[len(lo) - top]
        thr = max(thr, kth)
    if thr == -np.inf:
        return np.arange(len(lo))
    return np.nonzero(hi >= thr)[0]


def search_group_rows(index, child: Profile, rows: np.ndarray, sample: str, min_lr: float = 0.0,
                      top: int = 0) -> list:
    """Hits (exact) of one child against index rows (all in groups): every row whose LR
    is at least ``min_lr`` and, with ``top``, not below the ``top``-th best LR (ties kept).

    Bounds from the compiled patterns select the rows that can qualify; those are computed
    exactly (:func:`pair_log10`)."""
    keys, X = child_query(index, [child])
    rows = np.asarray(rows, dtype=np.int64)
    b_lo, b_hi = _bounds_rows(index, X[0], keys, rows)
    rows = rows[_select(b_lo, b_hi, min_lr, top)]
    grp = index.row_group[rows]
    lg = np.full(len(rows), -np.inf)
    for gno in np.unique(grp):
        at = np.nonzero(grp == gno)[0]
        group = index.groups[int(gno)]
        pos = np.asarray(index.row_pos[rows[at]], dtype=np.int64)
        lg[at], _, _ = pair_log10(index, group, pos, np.broadcast_to(X, (len(pos), *X.shape[1:])), keys,
                                  bad=False)
    keep = np.nonzero(lg >= math.log10(min_lr))[0] if min_lr > 0 else np.arange(len(rows))
    if top and len(keep) > top:
        kth = np.partition(lg[keep], len(keep) - top)[len(keep) - top]
        keep = keep[lg[keep] >= kth]
    out = []
    for gno in np.unique(grp[keep]):
        at = keep[grp[keep] == gno]
        group = index.groups[int(gno)]
        pos = np.asarray(index.row_pos[rows[at]], dtype=np.int64)
        _, bad, compared = pair_log10(index, group, pos, np.broadcast_to(X, (len(pos), *X.shape[1:])), keys,
                                      lr=False)
        for r, v, z, n in zip(rows[at], lg[at], bad, compared, strict=True):
            out.append(_hit(index.family_ids[r], sample, float(v), int(z), int(n), SearchHit))
    return out


def _family_bounds(index, group, pos: int, X: np.ndarray, keys: Sequence[str]):
    """log10 LR bounds (lo, hi) of one family (position ``pos`` of ``group``) against children X
    (N, Q, 2) over ``keys`` (the index's markers first)."""
    n = X.shape[0]
    extra = group.extra
    if "pid" not in extra:
        return np.full(n, -np.inf), np.full(n, np.inf)
    m_n = len(index.markers)
    tables, info = _query_info(index, group)
    sid, npairs, weight, cf, cm, nf1, nf2 = info
    lo, hi = _eval_children(np.asarray(extra["pid"][pos], dtype=np.int64),
                            np.ascontiguousarray(X[:, :m_n], dtype=np.int64), sid, extra["alleles"], extra["l2"],
                            extra["q"], extra["fast"], extra["rel"], npairs, weight, cf, cm, nf1, nf2,
                            tables.chains, tables.pchains, tables.freqs, tables.totals, tables.n_alleles)
    for qi in range(m_n, len(keys)):   # markers outside the index: the family is untyped there
        x, y = X[:, qi, 0], X[:, qi, 1]
        if not (x >= 0).any():
            continue
        shape = _untyped_shape(group)
        if not shape.fast:
            return np.full(n, -np.inf), np.full(n, np.inf)
        model = marker_models(index, [keys[qi]])[0]
        a, l2, q = _empty_tables(group, keys[qi], shape, model)
        b_lo, b_hi = pattern_bounds(shape, model, np.broadcast_to(a, (n, a.shape[1])),
                                    np.broadcast_to(l2, (n, 2)), np.broadcast_to(q, (n, *q.shape[1:])), x, y)
        lo += np.where(x >= 0, b_lo, 0.0)
        hi += np.where(x >= 0, b_hi, 0.0)
    return lo, hi


def _empty_tables(group, key: str, shape, model):
    """Pattern tables of a marker nobody in the family is typed at (cached per group and marker)."""
    cache = group.__dict__.setdefault("_empty_tables", {})
    got = cache.get(key)
    if got is None:
        t_n = len(group.typed)
        got = cache[key] = _pattern_tables(shape, group.typed, np.full((1, t_n, 2), -1, dtype=np.int16), model,
                                           2 * t_n)
    return got


def family_vs_children(index, row: int, children: Mapping[str, Profile] | None, X_index: np.ndarray,
                       samples: Sequence[str], skip: set[int], *, min_lr: float = 0.0, top: int = 0) -> list:
    """Hits (exact) of one family against children (all but the indices in ``skip``):
    every child whose LR is at least ``min_lr`` and, with ``top``, not below the ``top``-th best.

    With the children's profiles, markers typed in a child but not in the index are used too;
    without them (a compiled set loaded from disk) only the index's markers are."""
    idx = [i for i in range(len(samples)) if i not in skip]
    if not idx:
        return []
    if children is not None:
        keys, X = child_query(index, [children[samples[i]] for i in idx])
    else:
        keys, X = list(index.markers), np.asarray(X_index, dtype=np.int64)[idx]
    group = index.groups[int(index.row_group[row])]
    pos0 = int(index.row_pos[row])
    b_lo, b_hi = _family_bounds(index, group, pos0, X, keys)
    sel = _select(b_lo, b_hi, min_lr, top)
    X = X[sel]
    idx = [idx[i] for i in sel]
    pos = np.full(len(idx), pos0, dtype=np.int64)
    lg, bad, compared = pair_log10(index, group, pos, X, keys)
    fam = index.family_ids[row]
    return [_hit(fam, samples[i], float(v), int(z), int(n), SearchHit)
            for i, v, z, n in zip(idx, lg, bad, compared, strict=True)]


def _hit(family, sample, lg, bad, compared, cls):
    if lg == -math.inf:
        return cls(family, sample, 0.0, None, bad, compared)
    return cls(family, sample, lr_from_log10(lg), lg, bad, compared)
