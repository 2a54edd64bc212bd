"""One-vs-all search: a found child against every family, and a family against every child.

The kernel works marker by marker over all families at once (numpy gathers on the index's
float32 tables), keeps every family whose approximate LR could reach ``min_lr`` (a margin of
1e-4 in log10 covers float32 rounding many times over, so the prefilter never drops a family
whose exact LR passes), ranks them, and recomputes the reported ones exactly in float64 by the
same peeling code as the kinship engine.

Without a mutation model a family with one or two inconsistent markers (a parent whose child
carries a mutation) has LR exactly 0, but it is still reported, flagged: with its count and
``log10_lr_consistent``, the log10 LR over the other markers, if that passes ``min_lr``.  Such
hits rank after every hit with LR > 0 (among themselves by ``log10_lr_consistent``);
three or more inconsistent markers leave a family out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..genetics.haplotype import YHaplotype
from ..genetics.kinship import hw_genotype_prob
from ..genetics.markers import Profile, parse_profile
from ..genetics.mtdna import MtSequence, parse_mt_sequence
from ._nb import approx_all as _compiled  # numba's compiled kernels; the numpy path below gives the same figures
from ._nb import family_vs_children as _compiled_rev
from .codes import packed_index
from .hits import MAX_INCONSISTENT, SearchHit, _passes, _rank, lr_from_log10
from .index import ReferenceIndex, _Record, engine_lr, family_tables
from .lineage import LineageIndex, LineageOptions, LineageScores, lineage_log10, lineage_options, pair_parts
from .mutation import family_vs_children, search_group_rows

__all__ = ["COMPILED", "KERNELS", "FoundChildIndex", "SearchHit", "child_alleles", "search_child", "search_family"]

_MARGIN = 1e-4  # log10 safety margin for the float32 prefilter

#: The compiled kernels are always available (numba is a dependency of Reunite).
COMPILED = True
#: What the ``kernel`` parameter takes: ``auto`` (numba), ``numba`` or ``numpy``.
KERNELS = ("auto", "numba", "numpy")


def _compiled_kernel(kernel: str, fn):
    """The compiled function ``fn`` to use under ``kernel``, or None for the numpy path."""
    if kernel in ("auto", "numba"):
        return fn
    if kernel == "numpy":
        return None
    raise InputError(f"kernel must be one of {', '.join(KERNELS)}, not {kernel!r}")


def _free_hit(family: str, sample: str, lg: float, z: int, compared: int) -> SearchHit:
    """A mutation-free hit from its exact log10 LR over the consistent markers and count."""
    if z == 0:
        return SearchHit(family, sample, lr_from_log10(lg), lg, 0, compared, lg)
    return SearchHit(family, sample, 0.0, None, z, compared, lg if z <= MAX_INCONSISTENT and lg > -np.inf else None)


def child_alleles(index: ReferenceIndex, profile: Profile) -> tuple[np.ndarray, bool]:
    """A child's alleles as (M, 2) table indices (-1 untyped) and whether one is not in the table."""
    x = np.full((len(index.markers), 2), -1, dtype=np.int64)
    irregular = False
    for mi, mk in enumerate(index.markers):
        gt = profile.genotypes.get(mk)
        if gt is None:
            continue
        mf = index.table.markers[mk]
        if gt[0] in mf and gt[1] in mf:
            x[mi] = (mf.index(gt[0]), mf.index(gt[1]))
        else:
            irregular = True
    return x, irregular


def _marker_lr(S_m, U_m, p, k, packed, x, y, hw):
    """Per-family LR at one marker for child genotype (x, y); arrays over families."""
    eqx = S_m == x
    eqy = S_m == y
    hx = eqx.any(axis=1)
    hy = eqy.any(axis=1)
    cx = np.where(hx, eqx.argmax(axis=1), k)
    cy = np.where(hy, eqy.argmax(axis=1), k)
    val = U_m[packed[cx, cy], np.arange(U_m.shape[1])].astype(float)
    rest_x = ~hx
    rest_y = ~hy
    if rest_x.any() or rest_y.any():
        valid = S_m >= 0
        p_rest = 1.0 - np.where(valid, p[np.where(valid, S_m, 0)], 0.0).sum(axis=1)
        w = np.where(rest_x, p[x] / p_rest, 1.0) * np.where(rest_y, p[y] / p_rest, 1.0)
        if x != y:
            w = np.where(rest_x & rest_y, 2.0 * w, w)
        val = val * w
    return val / hw


def approx_log10(index: ReferenceIndex, x: np.ndarray, rows: np.ndarray | None = None, *,
                 consistent: bool = False, kernel: str = "auto"):
    """Approximate log10 LR of a child against families (all, or ``rows``) from the float32 tables,
    and the number of inconsistent markers.

    By default a family is left at its first inconsistent marker (log10 -inf, count 1).  With
    ``consistent`` the count goes up to MAX_INCONSISTENT + 1 and the log10 is that over the
    consistent markers (-inf from MAX_INCONSISTENT + 1 inconsistent markers on).  ``kernel`` (one
    of :data:`KERNELS`) chooses numba's compiled kernel or the numpy one; both give the same figures."""
    compiled = _compiled_kernel(kernel, _compiled)
    k = index.allele_slots
    packed = packed_index(k + 1)
    cap = MAX_INCONSISTENT + 1 if consistent else 1
    if compiled is not None:
        freqs = index.freq_arrays()
        offsets = np.cumsum([0] + [len(f) for f in freqs[:-1]]).astype(np.int64)
        flat = np.concatenate(freqs)
        r = np.arange(index.family_alleles.shape[1]) if rows is None else np.asarray(rows, dtype=np.int64)
        return compiled(index.family_alleles, index.genotype_tables, packed, np.asarray(x, dtype=np.int64), flat,
                        offsets, r, cap)
    n = index.family_alleles.shape[1] if rows is None else len(rows)
    total = np.zeros(n)
    zeros = np.zeros(n, dtype=np.int32)
    freqs = index.freq_arrays()
    with np.errstate(divide="ignore"):
        for mi in range(len(index.markers)):
            a, b = int(x[mi, 0]), int(x[mi, 1])
            if a < 0:
                continue
            S_m = index.family_alleles[mi] if rows is None else index.family_alleles[mi][rows]
            U_m = index.genotype_tables[mi] if rows is None else index.genotype_tables[mi][:, rows]
            p = freqs[mi]
            hw = hw_genotype_prob(p, a, b)
            lr = _marker_lr(S_m, U_m, p, k, packed, a, b, hw)
            z = lr <= 0
            zeros += z
            total += np.log10(np.where(z, 1.0, lr))
    zeros = np.minimum(zeros, cap)
    total[zeros >= cap] = -np.inf
    return total, zeros


def exact_log10(index: ReferenceIndex, x: np.ndarray, rows: np.ndarray, *, consistent: bool = False):
    """Exact (float64) log10 LR and inconsistent-marker counts of a child against ``rows`` (with
    ``consistent``: the log10 LR over the consistent markers instead of -inf where a marker is
    inconsistent)."""
    out = np.full(len(rows), np.nan)
    zeros = np.zeros(len(rows), dtype=np.int32)
    if len(rows) == 0:
        return out, zeros
    k = index.allele_slots
    packed = packed_index(k + 1)
    freqs = index.freq_arrays()
    typed_m = [mi for mi in range(len(index.markers)) if x[mi, 0] >= 0]
    grp = index.row_group[rows]
    for g in np.unique(grp):
        sel = np.nonzero(grp == g)[0]
        group = index.groups[int(g)]
        pos = index.row_pos[rows[sel]]
        geno = np.asarray(group.geno[pos])[:, typed_m]
        S, U = family_tables(group.pedigree, group.missing, group.typed, geno,
                             [freqs[mi] for mi in typed_m], k)
        tot = np.zeros(len(sel))
        nz = np.zeros(len(sel), dtype=np.int32)
        for j, mi in enumerate(typed_m):
            a, b = int(x[mi, 0]), int(x[mi, 1])
            p = freqs[mi]
            lr = _marker_lr(np.ascontiguousarray(S[:, j]), np.ascontiguousarray(U[:, j].T), p, k, packed, a, b,
                            hw_genotype_prob(p, a, b))
            z = lr <= 0
            nz += z
            with np.errstate(divide="ignore"):
                tot += np.log10(np.where(z, 1.0, lr))
        if not consistent:
            tot[nz > 0] = -np.inf
        out[sel] = tot
        zeros[sel] = nz
    return out, zeros


def prefilter_rows(log10: np.ndarray, min_lr: float, top: int) -> np.ndarray:
    """Rows whose approximate LR (``log10``, from :func:`approx_log10`) may pass ``min_lr`` and reach
    the top ``top`` (with the float32 margin): the prefilter of :func:`search_child`."""
    floor = math.log10(min_lr) - _MARGIN if min_lr > 0 else -np.inf
    ok = np.nonzero(log10 >= floor)[0] if min_lr > 0 else np.nonzero(np.isfinite(log10) | (log10 == -np.inf))[0]
    if top and len(ok) > top:
        vals = log10[ok]
        kth = np.partition(vals, len(vals) - top)[len(vals) - top]
        ok = ok[vals >= kth - _MARGIN]
    return ok


def search_child(index: ReferenceIndex, child: Profile, *, sample: str = "", min_lr: float = 1.0,
                 top: int = 20, rows: range | None = None, found_y: YHaplotype | None = None,
                 found_mt: MtSequence | None = None, lineage: LineageOptions | None = None) -> list[SearchHit]:
    """Families whose exact LR with ``child`` is at least ``min_lr``, best first, at most ``top``.

    ``rows`` restricts the search to a range of index rows (a partition of the batch search).
    With the child's Y-STR haplotype ``found_y`` and/or mtDNA sequence ``found_mt`` and an index
    with lineage rows, the LR of a family with a typed relative of the line is the autosomal LR times
    the lineage LRs (:mod:`reunite.search.lineage`; ``lineage`` the databases and method, default the
    bundled SIMULATED databases), and that product ranks, passes ``min_lr`` and fills ``top``.
    """
    if min_lr < 0 or not math.isfinite(min_lr):
        raise InputError(f"--min-lr must be a non-negative number, got {min_lr}")
    if top < 0:
        raise InputError(f"--top must be 0 (all) or positive, got {top}")
    if index.lineage is not None and (found_y is not None or found_mt is not None):
        lo, hi = (rows.start, rows.stop) if rows is not None else (0, len(index.family_ids))
        sc = lineage_log10(index.lineage, np.arange(lo, hi), found_y, found_mt, lineage or lineage_options())
        if sc.applies.any():
            return _search_child_lineage(index, child, sample, min_lr, top, lo, hi, sc)
    x, irregular = child_alleles(index, child)
    compared = int((x[:, 0] >= 0).sum())
    results: list[SearchHit] = []
    lo, hi = (rows.start, rows.stop) if rows is not None else (0, len(index.family_ids))
    compact = lo + np.nonzero(np.asarray(index.searched[lo:hi]) & (index.row_group[lo:hi] >= 0))[0]
    if irregular:
        # An allele absent from the table changes the table for every pair: use the engine.
        for r in compact:
            results.append(_engine_hit(index, r, child, sample))
    elif index.mutation is not None:
        results.extend(search_group_rows(index, child, compact, sample, min_lr, top))
    elif len(compact):
        approx, zeros = approx_log10(index, x, compact)
        if not _tier0_fills(approx, zeros, min_lr, top):
            # Flagged hits may enter the top: count inconsistent markers past the first.
            approx, zeros = approx_log10(index, x, compact, consistent=True)
        sel = compact[_select_tiers(approx, zeros, min_lr, top)]
        ex, nz = exact_log10(index, x, sel, consistent=True)
        for r, lg, z in zip(sel, ex, nz, strict=True):
            results.append(_free_hit(index.family_ids[r], sample, float(lg), int(z), compared))
    for fam in index.records:
        r = index.row_of(fam)
        if lo <= r < hi:
            results.append(_engine_hit(index, r, child, sample))
    results = [c for c in results if _passes(c, min_lr)]
    results.sort(key=lambda c: _rank(c, "family"))
    return results[:top] if top else results


def _search_child_lineage(index: ReferenceIndex, child: Profile, sample: str, min_lr: float, top: int, lo: int,
                          hi: int, sc: LineageScores) -> list[SearchHit]:
    """:func:`search_child` over rows ``lo..hi`` with the lineage log10 LRs ``sc`` (of those rows)."""
    x, irregular = child_alleles(index, child)
    compared = int((x[:, 0] >= 0).sum())
    total = sc.total
    compact = lo + np.nonzero(np.asarray(index.searched[lo:hi]) & (index.row_group[lo:hi] >= 0))[0]
    lc = total[compact - lo]
    applies = sc.applies[compact - lo]
    results: list[SearchHit] = []
    if compared == 0 and not irregular:
        # No autosomal marker: the autosomal LR is 1 for every family; the lineage LRs rank alone.
        keep = compact[prefilter_rows(lc, min_lr, top)] if len(compact) else compact
        cons = 0.0 if index.mutation is None else None
        results = [SearchHit(index.family_ids[r], sample, 1.0, 0.0, 0, 0, cons) for r in keep]
    elif irregular:
        results = [_engine_hit(index, r, child, sample) for r in compact]
    elif index.mutation is not None:
        # Rows without lineage data as before; rows with, every one whose autosomal LR times the
        # best lineage LR among them may pass min_lr (then combined and filtered below).
        results.extend(search_group_rows(index, child, compact[~applies], sample, min_lr, top))
        finite = applies & np.isfinite(lc)
        if finite.any():
            lmax = float(lc[finite].max())
            ml = 10.0 ** max(-300.0, math.log10(min_lr) - lmax) if min_lr > 0 else 0.0
            results.extend(search_group_rows(index, child, compact[finite], sample, ml, 0))
        excluded = applies & ~np.isfinite(lc)
        if min_lr <= 0 and excluded.any():
            results.extend(search_group_rows(index, child, compact[excluded], sample, 0.0, 0))
    elif len(compact):
        # As the autosomal search: a first pass that stops at a family's first inconsistent marker,
        # the second (counting them) only if the families with LR > 0 may not fill the top.  The
        # lineage log10 LR is added to the approximate one; a lineage exclusion is LR 0.
        excl = np.isneginf(lc)
        approx, zeros = approx_log10(index, x, compact)
        zeros = np.where(excl, 1, zeros)
        approx = np.where(zeros >= 1, -np.inf, approx + lc)
        if not _tier0_fills(approx, zeros, min_lr, top):
            approx, zeros = approx_log10(index, x, compact, consistent=True)
            cap = MAX_INCONSISTENT + 1
            zeros = np.where(excl, cap, zeros)
            approx = np.where(zeros >= cap, -np.inf, approx + lc)
        sel = compact[_select_tiers(approx, zeros, min_lr, top)]
        ex, nz = exact_log10(index, x, sel, consistent=True)
        for r, lg, z in zip(sel, ex, nz, strict=True):
            results.append(_free_hit(index.family_ids[r], sample, float(lg), int(z), compared))
    for fam, rec in index.records.items():
        r = index.row_of(fam)
        if lo <= r < hi:
            if (compared == 0 and not irregular) or not any(len(p) for p in rec.profiles.values()):
                results.append(SearchHit(fam, sample, 1.0, 0.0, 0, 0, 0.0 if index.mutation is None else None))
            else:
                results.append(_engine_hit(index, r, child, sample))
    rows_of = index._rows
    li = index.lineage
    out = []
    for h in results:
        j = rows_of[h.family] - lo
        y_man, mt_man = sc.man(j)
        out.append(with_lineage(h, li, j + lo, float(sc.y[j]), float(sc.mt[j]), int(sc.mt_state[j]),
                                y_man=y_man, mt_man=mt_man))
    out = [c for c in out if _passes(c, min_lr)]
    out.sort(key=lambda c: _rank(c, "family"))
    return out[:top] if top else out


_MT_CONCLUSIONS = ("cannot_exclude", "inconclusive", "exclusion")


def with_lineage(h: SearchHit, li: LineageIndex, row: int, y: float, mt: float, mt_state: int, *,
                 y_man: int = -1, mt_man: int = -1) -> SearchHit:
    """The hit ``h`` (autosomal) with the lineage parts of index row ``row``: Y-STR log10 LR ``y``
    and mtDNA ``mt`` (NaN: none; -inf: an exclusion) and the mtDNA conclusion (-1: not compared);
    ``y_man``/``mt_man`` the relative of the line used (-1 the closest; see
    :class:`~reunite.search.lineage.LineageScores`)."""
    entries = []
    if not math.isnan(y):
        pid, rel, m = li.y_man(row, y_man)
        entries.append({"marker": "Y-STR", "relative": pid, "relation": rel,
                        "meioses": m, "conclusion": "exclusion" if y == -math.inf else "compared",
                        "log10_lr": None if y == -math.inf else y})
    if mt_state >= 0:
        pid, rel, m = li.mt_person(row, mt_man)
        entries.append({"marker": "mtDNA", "relative": pid, "relation": rel,
                        "meioses": m, "conclusion": _MT_CONCLUSIONS[mt_state],
                        "log10_lr": None if math.isnan(mt) or mt == -math.inf else mt})
    if not entries:
        return h
    ly = None if math.isnan(y) or y == -math.inf else y
    lm = None if math.isnan(mt) or mt == -math.inf else mt
    excluded = y == -math.inf or mt == -math.inf
    add = (ly or 0.0) + (lm or 0.0)
    if excluded:
        lg, cons = None, None
    else:
        lg = None if h.log10_lr is None else h.log10_lr + add
        cons = None if h.log10_lr_consistent is None else h.log10_lr_consistent + add
    return replace(h, lr=lr_from_log10(lg), log10_lr=lg, log10_lr_consistent=cons, log10_lr_autosomal=h.log10_lr,
                   log10_lr_y=ly, log10_lr_mt=lm, lineage=tuple(entries))


def _fills(vals: np.ndarray, min_lr: float, top: int) -> bool:
    """Whether at least ``top`` of these approximate log10 LRs pass ``min_lr`` for sure (margin)."""
    sure = math.log10(min_lr) + _MARGIN if min_lr > 0 else -np.inf
    return bool(top) and np.count_nonzero(vals >= sure) >= top


def _tier0_fills(approx: np.ndarray, zeros: np.ndarray, min_lr: float, top: int) -> bool:
    """Whether families with LR > 0 fill the top for sure (then no flagged family can enter it)."""
    return _fills(approx[zeros == 0], min_lr, top)


def _select_tiers(approx: np.ndarray, zeros: np.ndarray, min_lr: float, top: int) -> np.ndarray:
    """Rows to recompute exactly: those with LR > 0 that may pass ``min_lr`` and reach the top,
    then (if those cannot fill the top for sure) the flagged ones (1..MAX_INCONSISTENT inconsistent
    markers) whose LR over the consistent markers may, then (``min_lr`` 0 only) the rest.

    ``approx``, ``zeros`` are :func:`approx_log10`'s with ``consistent``; without it (inconsistent
    markers counted to 1) only when :func:`_tier0_fills`, as the later tiers are then not looked at."""
    tiers = [zeros == 0, (zeros > 0) & (zeros <= MAX_INCONSISTENT)]
    if min_lr <= 0:
        tiers.append(zeros > MAX_INCONSISTENT)
    parts = []
    for mask in tiers:
        idx = np.nonzero(mask)[0]
        if not len(idx):
            continue
        vals = approx[idx]
        parts.append(idx[prefilter_rows(vals, min_lr, top)])
        if _fills(vals, min_lr, top):
            break   # this tier fills the top for sure: the next ones rank after it
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def _engine_hit(index, row, child, sample) -> SearchHit:
    fam = index.family_ids[row]
    rec = index.records.get(fam)
    if rec is None:
        g = index.groups[int(index.row_group[row])]
        rec = _record_from_group(index, g, int(index.row_pos[row]), fam)
    res = engine_lr(index, rec, child)
    n_bad = len(res.inconsistent_markers)
    cons = None
    if index.mutation is None and n_bad <= MAX_INCONSISTENT:  # the LR over the consistent markers
        lrs = [m.lr for m in res.markers if not m.inconsistent]
        if all(v > 0 for v in lrs):
            cons = float(sum(math.log10(v) for v in lrs))
    return SearchHit(fam, sample, res.lr, res.log10_lr, n_bad, res.markers_compared, cons)


def _record_from_group(index, group, pos, fam):
    geno = np.asarray(group.geno[pos])
    gts = {}
    for ti, pid in enumerate(group.typed):
        d = {}
        for mi, mk in enumerate(index.markers):
            a, b = int(geno[mi, ti, 0]), int(geno[mi, ti, 1])
            if a >= 0:
                al = index.table.markers[mk].alleles
                d[index.table.markers[mk].name] = [al[a], al[b]]
        gts[pid] = parse_profile(d)
    return _Record(fam, group.pedigree, group.missing, gts)


@dataclass
class FoundChildIndex:
    """Found children compiled against an index's markers: (N, M, 2) allele indices (-1 untyped).

    ``irregular`` lists children with an allele absent from the table (evaluated by the engine).
    ``lineage`` (sample → (Y-STR haplotype, mtDNA sequence)): the children's lineage markers, which
    :func:`search_family` uses by default.  Build once with :meth:`from_profiles`; save/load with numpy
    (the lineage markers in ``found_lineage.json``).
    """

    samples: list[str]
    X: np.ndarray
    irregular: set[int]
    profiles: Mapping[str, Profile] | None = None
    lineage: dict[str, tuple[YHaplotype | None, MtSequence | None]] | None = None

    @classmethod
    def from_profiles(cls, index: ReferenceIndex, children: Mapping[str, Profile], *,
                      lineage: Mapping[str, tuple] | None = None) -> FoundChildIndex:
        samples = list(children)
        X = np.full((len(samples), len(index.markers), 2), -1, dtype=np.int16)
        irregular = set()
        for i, s in enumerate(samples):
            x, irr = child_alleles(index, children[s])
            X[i] = x
            if irr:
                irregular.add(i)
        return cls(samples, X, irregular, children, _found_lineage(lineage, samples))

    def add(self, index: ReferenceIndex, children: Mapping[str, Profile], *,
            lineage: Mapping[str, tuple] | None = None) -> None:
        """Append children (no recompilation of the others); a sample already present is refused.
        ``lineage`` as in :meth:`from_profiles`."""
        dup = set(children) & set(self.samples)
        if dup:
            raise InputError(f"{len(dup)} found child(ren) already compiled (e.g. {sorted(dup)[0]!r})")
        new = FoundChildIndex.from_profiles(index, children, lineage=lineage)
        if new.lineage or self.lineage:
            self.lineage = {**(self.lineage or {}), **(new.lineage or {})}
        off = len(self.samples)
        self.samples = self.samples + new.samples
        self.X = np.concatenate([self.X, new.X])
        self.irregular |= {i + off for i in new.irregular}
        if self.profiles is not None or new.irregular:
            self.profiles = {**(self.profiles or {}), **children}

    def remove(self, sample: str) -> None:
        """Take a found child out of future searches."""
        try:
            i = self.samples.index(sample)
        except ValueError:
            raise InputError(f"found child {sample!r} is not compiled") from None
        keep = np.ones(len(self.samples), dtype=bool)
        keep[i] = False
        self.samples = [s for j, s in enumerate(self.samples) if j != i]
        self.X = self.X[keep]
        self.irregular = {j - (j > i) for j in self.irregular if j != i}
        if self.profiles is not None:
            self.profiles = {k: v for k, v in self.profiles.items() if k != sample}
        if self.lineage is not None:
            self.lineage.pop(sample, None)

    def save(self, path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        np.save(path / "found_X.npy", self.X)
        (path / "found_samples.txt").write_text("\n".join(self.samples) + "\n", encoding="utf-8")
        lin = path / "found_lineage.json"
        if self.lineage:
            lin.write_text(json.dumps({
                "y": {s: {k: list(v) for k, v in y.alleles.items()} for s, (y, _m) in self.lineage.items()
                      if y is not None},
                "mt": {s: m.as_dict() for s, (_y, m) in self.lineage.items() if m is not None}}), encoding="utf-8")
        else:
            lin.unlink(missing_ok=True)   # never an earlier compilation's markers beside these children

    @classmethod
    def load(cls, path) -> FoundChildIndex:
        path = Path(path)
        samples = (path / "found_samples.txt").read_text(encoding="utf-8").splitlines()
        lineage = None
        if (path / "found_lineage.json").exists():
            d = json.loads((path / "found_lineage.json").read_text(encoding="utf-8"))
            ys = {s: YHaplotype({k: tuple(v) for k, v in h.items()}) for s, h in d.get("y", {}).items()}
            mts = {s: parse_mt_sequence(m["variants"], m["range"], source=str(path / "found_lineage.json"))
                   for s, m in d.get("mt", {}).items()}
            lineage = {s: (ys.get(s), mts.get(s)) for s in samples if s in ys or s in mts}
        return cls(samples, np.load(path / "found_X.npy"), set(), None, lineage)


def _found_lineage(lineage: Mapping[str, tuple] | None, samples: list[str]) -> dict | None:
    """The lineage markers of the compiled children (those with a haplotype or a sequence)."""
    if not lineage:
        return None
    keep = set(samples)
    out = {s: (y if y is not None and y.alleles else None, mt) for s, (y, mt) in lineage.items() if s in keep}
    out = {s: v for s, v in out.items() if v != (None, None)}
    return out or None


def search_family(index: ReferenceIndex, family: str, children: Mapping[str, Profile] | FoundChildIndex, *,
                  min_lr: float = 1.0, top: int = 20, kernel: str = "auto",
                  found_lineage: Mapping[str, tuple[YHaplotype | None, MtSequence | None]] | None = None,
                  lineage: LineageOptions | None = None) -> list[SearchHit]:
    """Found children whose exact LR with the index's ``family`` is at least ``min_lr``, best first.

    ``kernel`` (one of :data:`KERNELS`) chooses the compiled or the numpy kernel of the
    mutation-free index; both give the same figures.  ``found_lineage`` (sample → (Y-STR haplotype,
    mtDNA sequence)) multiplies in the lineage LRs where the family has a typed relative of the line
    (as :func:`search_child`; ``lineage`` the databases and method); by default the children's own
    (a :class:`FoundChildIndex` compiled with them)."""
    if min_lr < 0 or not math.isfinite(min_lr):
        raise InputError(f"--min-lr must be a non-negative number, got {min_lr}")
    li = index.lineage
    if found_lineage is None and isinstance(children, FoundChildIndex):
        found_lineage = children.lineage
    if li is None or not found_lineage:
        return _search_family(index, family, children, min_lr=min_lr, top=top, kernel=kernel)
    row = index.row_of(family)
    if li.y_meioses[row] < 0 and li.mt_seq[row] < 0:
        return _search_family(index, family, children, min_lr=min_lr, top=top, kernel=kernel)
    opts = lineage or lineage_options()
    # One family against each child, pair by pair (the closest comparable relative of each line, as
    # the store): exact; a family search is one row, so this is not vectorized over the children.
    parts = {s: pair_parts(li, row, y, mt, opts) for s, (y, mt) in found_lineage.items()}
    tot = [(0.0 if math.isnan(a) else a) + (0.0 if math.isnan(b) else b) for a, b, *_rest in parts.values()]
    best = max([0.0, *(t for t in tot if math.isfinite(t))])
    ml = 10.0 ** max(-300.0, math.log10(min_lr) - best) if min_lr > 0 else 0.0
    out = _search_family(index, family, children, min_lr=ml, top=0, kernel=kernel)
    none = (math.nan, math.nan, -1, -1, -1)

    def combined(h):
        y, mt, st, y_man, mt_man = parts.get(h.sample, none)
        return with_lineage(h, li, row, y, mt, st, y_man=y_man, mt_man=mt_man)

    out = [combined(h) for h in out]
    out = [c for c in out if _passes(c, min_lr)]
    out.sort(key=lambda c: _rank(c, "sample"))
    return out[:top] if top else out


def _search_family(index: ReferenceIndex, family: str, children: Mapping[str, Profile] | FoundChildIndex, *,
                   min_lr: float = 1.0, top: int = 20, kernel: str = "auto") -> list[SearchHit]:
    compiled_rev = _compiled_kernel(kernel, _compiled_rev)
    if min_lr < 0 or not math.isfinite(min_lr):
        raise InputError(f"--min-lr must be a non-negative number, got {min_lr}")
    row = index.row_of(family)
    found = children if isinstance(children, FoundChildIndex) else FoundChildIndex.from_profiles(index, children)
    samples = found.samples
    if not samples:
        return []
    rec = index.records.get(family) if index.row_group[row] < 0 else None
    if rec is not None and not any(len(p) for p in rec.profiles.values()):
        # No relative typed at an autosomal marker (a family with lineage markers only): the autosomal
        # LR is 1 for every child, as search_child gives it.
        out = [SearchHit(family, s, 1.0, 0.0, 0, 0, 0.0 if index.mutation is None else None) for s in samples]
        out = [c for c in out if _passes(c, min_lr)]
        out.sort(key=lambda c: _rank(c, "sample"))
        return out[:top] if top else out
    if (index.row_group[row] < 0 or found.irregular) and found.profiles is None:
        raise InputError("this search needs the children's profiles (an engine-evaluated family or child)")
    children = found.profiles
    if index.row_group[row] < 0:
        out = [_engine_hit(index, row, children[s], s) for s in samples]
    elif index.mutation is not None:
        out = family_vs_children(index, row, children, found.X, samples, found.irregular, min_lr=min_lr, top=top)
        out += [_engine_hit(index, row, children[samples[i]], samples[i]) for i in sorted(found.irregular)]
    else:
        k = index.allele_slots
        packed = packed_index(k + 1)
        freqs = index.freq_arrays()
        group = index.groups[int(index.row_group[row])]
        geno = np.asarray(group.geno[int(index.row_pos[row])])[None]
        S, U = family_tables(group.pedigree, group.missing, group.typed, geno, freqs, k)
        X = np.ascontiguousarray(found.X, dtype=np.int64)
        irregular = found.irregular
        # Inconsistent markers counted up to MAX_INCONSISTENT + 1 (all of them when every child is reported).
        cap = MAX_INCONSISTENT + 1 if min_lr > 0 else S.shape[1] + 1
        if compiled_rev is not None:
            offsets = np.cumsum([0] + [len(f) for f in freqs[:-1]]).astype(np.int64)
            tot, nz, compared = compiled_rev(S[0], U[0], packed, X, np.concatenate(freqs), offsets, cap)
        else:
            tot, nz, compared = _family_vs_children_np(S[0], U[0], packed, X, freqs, k, cap)
        floor = math.log10(min_lr) if min_lr > 0 else -np.inf
        names = np.array(samples, dtype=object).astype(str)
        tiers = [(nz == 0) & (tot >= floor), (nz > 0) & (nz <= MAX_INCONSISTENT) & (tot >= floor)]
        if min_lr == 0:
            tiers.append(nz > MAX_INCONSISTENT)
        out = []
        for t, mask in enumerate(tiers):
            idx = np.nonzero(mask)[0]
            idx = idx[np.lexsort((names[idx], -tot[idx] if t < 2 else np.zeros(len(idx))))]
            for i in idx:
                if i in irregular:
                    continue
                out.append(_free_hit(family, samples[i], float(tot[i]), int(nz[i]), int(compared[i])))
                if top and len(out) >= top + len(irregular):
                    break
            if top and len(out) >= top + len(irregular):
                break
        for i in irregular:
            out.append(_engine_hit(index, row, children[samples[i]], samples[i]))
    out = [c for c in out if _passes(c, min_lr)]
    out.sort(key=lambda c: _rank(c, "sample"))
    return out[:top] if top else out


def _family_vs_children_np(S0, U0, packed, X, freqs, k, cap):
    """The numpy version of the compiled reverse kernel (same figures)."""
    n = X.shape[0]
    tot = np.zeros(n)
    nz = np.zeros(n, dtype=np.int32)
    for mi in range(S0.shape[0]):
        xa, xb = X[:, mi, 0], X[:, mi, 1]
        typed = xa >= 0
        if not typed.any():
            continue
        p = freqs[mi]
        s_m = S0[mi]
        cx = _codes(s_m, xa, k)
        cy = _codes(s_m, xb, k)
        val = U0[mi][packed[cx, cy]]
        p_rest = 1.0 - p[s_m[s_m >= 0]].sum()
        pa, pb = p[np.maximum(xa, 0)], p[np.maximum(xb, 0)]
        w = np.where(cx == k, pa / p_rest, 1.0) * np.where(cy == k, pb / p_rest, 1.0)
        w = np.where((cx == k) & (cy == k) & (xa != xb), 2.0 * w, w)
        hw = np.where(xa == xb, pa * pa, 2.0 * pa * pb)
        lr = np.where(typed, val * w / np.where(typed, hw, 1.0), 1.0)
        z = lr <= 0
        nz += z
        with np.errstate(divide="ignore"):
            tot += np.log10(np.where(z, 1.0, lr))
    nz = np.minimum(nz, cap)
    tot[nz >= cap] = -np.inf
    return tot, nz, (X[:, :, 0] >= 0).sum(axis=1)


def _codes(s_m: np.ndarray, alleles: np.ndarray, k: int) -> np.ndarray:
    eq = s_m[None, :] == alleles[:, None]
    return np.where(eq.any(axis=1), eq.argmax(axis=1), k)


def search_children(index: ReferenceIndex, children: Mapping[str, Profile], *, min_lr: float = 1.0,
                    top: int = 20, found_lineage: Mapping[str, tuple] | None = None,
                    lineage: LineageOptions | None = None) -> dict[str, list[SearchHit]]:
    """Each child against all families (single process); ``found_lineage`` as in :func:`search_family`."""
    fl = found_lineage or {}
    return {s: search_child(index, p, sample=s, min_lr=min_lr, top=top, found_y=fl.get(s, (None, None))[0],
                            found_mt=fl.get(s, (None, None))[1], lineage=lineage) for s, p in children.items()}


__all__ += ["approx_log10", "exact_log10", "search_children", "with_lineage"]
