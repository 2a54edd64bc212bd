"""Columnar reading of ``families.csv`` and ``profiles.csv`` straight into index groups.

:func:`read_reference_columns` gives what :func:`~reunite.search.index.compile_index` takes —
the index markers, the family ids, the families grouped by (pedigree, missing member, typed
members) with their genotypes as allele-index arrays, and the families the index cannot compile
as :class:`~reunite.search.io.FamilyRecord` objects — without building a Python object per
sample or family.  The result is the same as ``build_index(read_families(F, read_profiles(P))
.values(), table, mutation=...)`` would compile, family for family.

Both files are parsed by pyarrow and every column is dictionary-encoded, so that Python sees
each distinct value once: marker names are folded (:func:`~reunite.genetics.markers.marker_key`)
once per spelling, allele labels are validated and looked up in the frequency table once per
(marker, label), and a pedigree shape (member ids, parents, sexes, missing and typed flags) is
checked, and its :class:`~reunite.genetics.pedigree.Pedigree` built, once however many families
share it.  Families are then grouped, and the genotype arrays filled, with numpy.

Validation is the readers' own (:mod:`reunite.search.io`): the columnar pass checks everything
they check, and at the first sign of any problem it hands both files to
:func:`~reunite.search.io.read_profiles` and :func:`~reunite.search.io.read_families`, which
report every problem with its file, line and field.  The few valid files the columnar pass does
not handle itself (families of more than 60 members) take the same route and are grouped from
the records.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError, MarkerError, ReuniteError
from ..genetics.frequencies import FrequencyTable, load_frequencies
from ..genetics.markers import AMELOGENIN, allele_sort_key, marker_key
from ..genetics.mutation import parse_mutation
from . import io as _io
from .index import GroupInput, _signature, group_families
from .io import FAMILY_COLUMNS, PROFILE_COLUMNS, FamilyRecord

__all__ = ["read_reference_columns"]

_MAX_MEMBERS = 60  # families up to this size are grouped by bit masks over their rows


class _Irregular(ReuniteError):
    """The columnar pass cannot vouch for the input; the exact readers take over."""


@dataclass
class _Col:
    """A string column as int32 codes into its distinct trimmed values."""

    codes: np.ndarray
    values: pa.Array
    runs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None   # (start, code, length) of each run

    def run_structure(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Runs of equal codes: (first row, code, length) of each."""
        if self.runs is None:
            n = len(self.codes)
            start = np.flatnonzero(np.r_[n > 0, self.codes[1:] != self.codes[:-1]]) if n else np.zeros(0, np.int64)
            self.runs = (start, self.codes[start], np.diff(np.append(start, n)))
        return self.runs

    def empty_code(self) -> int:
        """Code of the empty string, or -1."""
        hit = pc.index(self.values, "").as_py()
        return -1 if hit is None or hit < 0 else int(hit)

    def is_empty(self) -> np.ndarray:
        e = self.empty_code()
        return self.codes == e if e >= 0 else np.zeros(len(self.codes), dtype=bool)

    def pylist(self) -> list[str]:
        return self.values.to_pylist()


def read_reference_columns(families_csv: str | os.PathLike, profiles_csv: str | os.PathLike,
                           table: str | FrequencyTable, *, mutation: object = None
                           ) -> tuple[list[str], list[str], list[GroupInput], dict[str, FamilyRecord]]:
    """Read both CSVs into ``(markers, family_ids, structures, records)`` for
    :func:`~reunite.search.index.compile_index`.

    ``markers`` are the table's markers typed in at least one family (table order);
    ``family_ids`` every family, in order of first appearance in ``families.csv``;
    ``structures`` one :class:`~reunite.search.index.GroupInput` per (pedigree, missing member,
    typed members), in order of their first family; ``records`` the families the index cannot
    compile (an allele absent from the table; with a mutation model, no relative typed at a
    marker of the table) as :class:`FamilyRecord` objects, as ``read_families`` gives them.
    The typed members are those :func:`~reunite.search.index.build_index` takes: with a sample
    and at least one marker (with ``mutation``: at least one marker of the table).

    Invalid files raise the :class:`~reunite.errors.InputError` the readers raise (every
    problem, each with its file, line and field); nothing is returned then.
    """
    table = load_frequencies(table).autosomal()   # the index is autosomal: X markers are left out
    mut = parse_mutation(mutation)
    try:
        return _columnar(families_csv, profiles_csv, table, mut is not None)
    except _Irregular:
        pass
    profiles = _io.read_profiles(profiles_csv)
    return group_families(_io.read_families(families_csv, profiles).values(), table, mutation=mut)


# ---------------------------------------------------------------------------------- parsing


def _columns(path: str | os.PathLike, required: tuple[str, ...], runs: tuple[str, ...]) -> dict[str, _Col]:
    """The ``required`` columns of a headed CSV, trimmed and dictionary-encoded, blank lines
    dropped (``runs``: columns whose equal values mostly come in runs, encoded run by run);
    raises :class:`_Irregular` when the file has a problem the readers would report."""
    cols = _parse_fast(path, required, runs)
    if cols is None:
        try:
            exact, _lines = _io.read_table(path, required)
        except InputError:
            raise _Irregular from None
        cols = {c: _Col(col.codes.astype(np.int32, copy=False), pa.array(col.values, type=pa.string()))
                for c, col in exact.items()}
    return cols


def _header(path: str | os.PathLike, required: tuple[str, ...]) -> list[str] | None:
    """Column names as :func:`reunite.search.io.read_table` reads them; None if the header
    (or the file) has a problem."""
    try:
        with open(path, "rb") as fh:
            head = fh.readline()
        header = next(csv.reader([head.decode("utf-8-sig").rstrip("\r\n")]), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    cols = [h.strip().lower() for h in header]
    if any(c not in cols for c in required) or any(cols.count(c) > 1 for c in cols if c):
        return None
    return [c if c else f"_unnamed{i}" for i, c in enumerate(cols)]


def _parse_fast(path: str | os.PathLike, required: tuple[str, ...], runs: tuple[str, ...]
                ) -> dict[str, _Col] | None:
    """pyarrow's parse of the ``required`` columns; None for anything unusual (ragged rows,
    quoted line breaks, blank lines, values to trim, bad UTF-8), which the exact reader handles."""
    names = _header(path, required)
    if names is None:
        return None
    # Extra columns are read too (as text), so that bad UTF-8 or a quoted line break in them
    # sends the file to the exact reader, as it would the readers.
    types = {c: pa.string() if c in runs or c not in required else pa.dictionary(pa.int32(), pa.string())
             for c in names}
    tab = _io.arrow_read(path, names, types)
    if tab is None:
        return None
    for c in names:
        if c not in required and pc.any(pc.match_substring_regex(tab.column(c), "[\r\n]")).as_py():
            return None
    out: dict[str, _Col] = {}
    for c in required:
        col = _from_runs(tab.column(c)) if c in runs else _from_dictionary(tab.column(c))
        if not _clean(col.values):
            return None
        out[c] = col
    del tab
    if all(col.empty_code() >= 0 for col in out.values()):
        blank = np.logical_and.reduce([col.is_empty() for col in out.values()])
        if blank.any():
            return None  # blank lines (or rows of empty fields): the exact reader skips and counts them
    return out


def _from_dictionary(arr: pa.ChunkedArray) -> _Col:
    chunks = [c for c in arr.chunks if len(c)]
    if not chunks:
        return _Col(np.zeros(0, dtype=np.int32), pa.array([], type=pa.string()))
    unified = pa.chunked_array(chunks).unify_dictionaries()
    codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in unified.chunks])
    return _Col(codes.astype(np.int32, copy=False), unified.chunk(0).dictionary)


def _from_runs(arr: pa.ChunkedArray) -> _Col:
    """Encode a string column through its runs of equal values (first-appearance order)."""
    starts, heads, off = [], [], 0
    for ch in arr.chunks:
        n = len(ch)
        if not n:
            continue
        st = np.zeros(1, dtype=np.int64)
        if n > 1:
            neq = pc.not_equal(ch.slice(1), ch.slice(0, n - 1)).to_numpy(zero_copy_only=False)
            st = np.concatenate([st, np.flatnonzero(neq) + 1])
        starts.append(st + off)
        heads.append(ch.take(pa.array(st)))
        off += n
    if not starts:
        return _Col(np.zeros(0, dtype=np.int32), pa.array([], type=pa.string()))
    run_start = np.concatenate(starts)
    enc = pc.dictionary_encode(pa.chunked_array(heads)).combine_chunks()
    run_code = enc.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    lens = np.diff(np.append(run_start, off))
    return _Col(np.repeat(run_code, lens), enc.dictionary, (run_start, run_code, lens))


def _clean(values: pa.Array) -> bool:
    """No value holds a line break or needs trimming."""
    if not len(values):
        return True
    if pc.any(pc.match_substring_regex(values, "[\r\n]")).as_py():
        return False
    # Values whose first and last characters are printable ASCII need no trimming.
    plain = pc.match_substring_regex(values, r"^(?:[!-~](?:.*[!-~])?)?$")
    if pc.all(plain).as_py():
        return True
    odd = np.flatnonzero(~plain.to_numpy(zero_copy_only=False))
    return all(v == v.strip() for v in values.take(pa.array(odd)).to_pylist())


# --------------------------------------------------------------------------------- profiles


@dataclass
class _Profiles:
    sample: _Col
    marker: _Col
    allele1: _Col
    allele2: _Col
    keys: list[str]            # folded key of each marker spelling
    key_list: list[str]        # distinct keys, in order of first appearance
    trip: np.ndarray           # (R,) code of the row's (spelling, allele1, allele2)
    present: np.ndarray        # the distinct trip codes
    labels: dict[int, tuple[str, str]]   # trip code -> (allele1, allele2), allele2 filled in


def _read_profile_columns(path: str | os.PathLike) -> _Profiles:
    """``profiles.csv`` checked as :func:`reunite.search.io.read_profiles` checks it (without a
    frequency table)."""
    cols = _columns(path, PROFILE_COLUMNS, runs=("sample",))
    sample, marker, allele1, allele2 = (cols[c] for c in PROFILE_COLUMNS)
    if sample.empty_code() >= 0 or allele1.empty_code() >= 0:
        raise _Irregular
    keys = []
    for name in marker.pylist():
        try:
            keys.append(marker_key(name))
        except MarkerError:
            raise _Irregular from None
    key_list = list(dict.fromkeys(keys))
    v1, v2 = allele1.pylist(), allele2.pylist()
    n1, n2 = max(len(v1), 1), max(len(v2), 1)
    bound = len(keys) * n1 * n2
    if bound >= 1 << 26:
        raise _Irregular  # a vocabulary this wide is no STR data: let the exact readers say why
    # One code per row for its (marker spelling, allele1, allele2): each distinct one is
    # validated once, and everything the index needs from a row is looked up by it.
    trip = marker.codes * np.int32(n1 * n2)
    trip += allele1.codes * np.int32(n2)
    trip += allele2.codes
    present = np.flatnonzero(np.bincount(trip, minlength=bound)) if len(trip) else np.zeros(0, np.int64)
    verdict: dict[tuple[bool, str], bool] = {}
    labels: dict[int, tuple[str, str]] = {}
    for t in present.tolist():
        sp, rest = divmod(t, n1 * n2)
        l1, l2 = v1[rest // n2], v2[rest % n2] or v1[rest // n2]
        amel = keys[sp] == AMELOGENIN
        for lab in (l1, l2):
            ok = verdict.get((amel, lab))
            if ok is None:
                ok = verdict[(amel, lab)] = _io.allele_is_valid(AMELOGENIN if amel else "D1", lab)
            if not ok:
                raise _Irregular
        labels[t] = (l1, l2)
    # One row per sample and marker (after folding spellings).
    if len(trip) > 1:
        n_k = len(key_list)
        kc = marker.codes if len(key_list) == len(keys) else \
            np.array([key_list.index(k) for k in keys], dtype=np.int32)[marker.codes]
        wide = np.int32 if len(sample.values) * n_k < 1 << 31 else np.int64
        pair = sample.codes.astype(wide) * wide(n_k)
        pair += kc
        if not bool(np.less(pair[:-1], pair[1:]).all()):
            pair.sort()
            if bool(np.equal(pair[:-1], pair[1:]).any()):
                raise _Irregular
        del pair, kc
    return _Profiles(sample, marker, allele1, allele2, keys, key_list, trip, present, labels)


# --------------------------------------------------------------------------------- families


@dataclass
class _Families:
    family_ids: list[str]
    starts: np.ndarray       # (F,) first row of each family (rows in family order)
    sizes: np.ndarray        # (F,)
    within: np.ndarray       # (R,) row's position within its family
    family_of: np.ndarray    # (R,) family of each row
    shape_of: np.ndarray     # (F,) shape of each family
    shapes: list             # io._Shape per shape (validated, with its Pedigree)
    psample: np.ndarray      # (R,) the row's sample in profiles.csv, -1 when untyped


def _read_family_columns(path: str | os.PathLike, prof: _Profiles) -> _Families:
    """``families.csv`` checked as :func:`reunite.search.io.read_families` checks it against the
    profiles."""
    cols = _columns(path, FAMILY_COLUMNS, runs=("family", "sample"))
    fam = cols["family"]
    if fam.empty_code() >= 0:
        raise _Irregular
    f_code = fam.codes
    n_f = len(fam.values)
    if len(f_code) > 1 and not bool(np.less_equal(f_code[:-1], f_code[1:]).all()):
        order = np.argsort(f_code, kind="stable")
        cols = {c: _Col(col.codes[order], col.values) for c, col in cols.items()}
        f_code = cols["family"].codes
    sizes = np.bincount(f_code, minlength=n_f)
    if n_f and int(sizes.max()) > _MAX_MEMBERS:
        raise _Irregular
    starts = np.cumsum(sizes) - sizes
    within = (np.arange(len(f_code)) - starts[f_code]).astype(np.int32)
    # One code per distinct row (id, father, mother, sex, missing, has a sample).
    shape_cols = [cols[c] for c in ("id", "father", "mother", "sex", "missing")]
    has_sample = ~cols["sample"].is_empty()
    row_code = np.zeros(len(f_code), dtype=np.int64)
    bound = 1
    for c in shape_cols:
        row_code, distinct = _io.dense_codes(row_code * len(c.values) + c.codes, bound * max(len(c.values), 1))
        row_code = row_code.astype(np.int64)
        bound = len(distinct)
    row_code, distinct = _io.dense_codes(row_code * 2 + has_sample, bound * 2)
    row_code = row_code.astype(np.int64)
    n_codes = len(distinct)
    # A family's shape: the sequence of its row codes.  Families of one size are compared as
    # one integer (or as matrix rows when that would not fit).
    shape_of = np.zeros(n_f, dtype=np.int64)
    first_of_shape: list[int] = []
    for size in np.unique(sizes).tolist():
        fams = np.flatnonzero(sizes == size)
        mat = row_code[starts[fams][:, None] + np.arange(size)]
        if n_codes ** size < 1 << 62:
            key = mat @ (n_codes ** np.arange(size, dtype=np.int64))
            _u, first, inv = np.unique(key, return_index=True, return_inverse=True)
        else:
            _u, first, inv = np.unique(mat, axis=0, return_index=True, return_inverse=True)
        shape_of[fams] = len(first_of_shape) + inv.reshape(-1)
        first_of_shape.extend(fams[first].tolist())
    col_values = [c.pylist() for c in shape_cols]
    shapes = []
    for f in first_of_shape:
        rows = range(int(starts[f]), int(starts[f] + sizes[f]))
        shape = _io.check_family_shape(tuple(
            (*(vals[c.codes[r]] for vals, c in zip(col_values, shape_cols, strict=True)), bool(has_sample[r]))
            for r in rows))
        if shape.problems:
            raise _Irregular
        shapes.append(shape)
    # Samples: each must be in profiles.csv, and linked to one member per family at most.
    smp = cols["sample"]
    hit = pc.index_in(smp.values, value_set=prof.sample.values)
    link = np.asarray(hit.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    psample = np.where(has_sample, link[smp.codes], -1)
    if bool((has_sample & (psample < 0)).any()):
        raise _Irregular
    typed_rows = np.flatnonzero(has_sample)
    counts = np.bincount(psample[typed_rows], minlength=len(prof.sample.values))
    if len(counts) and counts.max() > 1:
        pair = np.sort(f_code[typed_rows].astype(np.int64) * len(counts) + psample[typed_rows])
        if bool((pair[1:] == pair[:-1]).any()):
            raise _Irregular
    return _Families(fam.pylist(), starts, sizes, within, f_code, shape_of, shapes, psample)


# --------------------------------------------------------------------------------- grouping


def _columnar(families_csv, profiles_csv, table: FrequencyTable, with_mutation: bool):
    prof = _read_profile_columns(profiles_csv)
    fam = _read_family_columns(families_csv, prof)
    n_s = len(prof.sample.values)
    run_start, run_code, run_len = prof.sample.run_structure()
    trip, present = prof.trip, prof.present
    bound = int(present.max()) + 1 if len(present) else 1
    n12 = max(len(prof.allele1.values), 1) * max(len(prof.allele2.values), 1)
    sp_of = (present // n12).tolist()

    # Index markers: the table's markers typed by a sample some family links.
    linked = np.zeros(n_s, dtype=bool)
    linked[fam.psample[fam.psample >= 0]] = True
    if linked.all():
        used = present
    else:
        used = np.flatnonzero(np.bincount(trip[np.repeat(linked[run_code], run_len)], minlength=bound))
    used_keys = {prof.keys[sp] for sp in (used // n12).tolist()}
    markers = [m for m in table.markers if m in used_keys and m != AMELOGENIN]
    m_n = len(markers)
    mpos = {m: i for i, m in enumerate(markers)}

    # Per distinct (spelling, allele1, allele2): its marker's place in the index, its two table
    # alleles in label order packed into one int32, and flags (1: a marker, 2: a marker of the
    # table, 4: an allele absent from the table).  A linked sample's markers of the table are all
    # index markers, so its flags do not depend on the index markers.
    t_m = np.full(bound, -1, dtype=np.int32)
    t_pair = np.zeros((bound, 2), dtype=np.int16)
    t_flag = np.zeros(bound, dtype=np.uint8)
    for t, sp in zip(present.tolist(), sp_of, strict=True):
        key = prof.keys[sp]
        if key == AMELOGENIN:
            continue
        flag = 1
        if key in table.markers:
            flag |= 2
            l1, l2 = prof.labels[t]
            if allele_sort_key(l1) > allele_sort_key(l2):
                l1, l2 = l2, l1
            index = table.markers[key]._index
            ia, ib = index.get(l1), index.get(l2)
            if ia is None or ib is None:
                flag |= 4
            else:
                t_pair[t] = ia, ib
            t_m[t] = mpos.get(key, -1)
        t_flag[t] = flag
    t_pack = t_pair.view(np.int32).reshape(-1)
    row_flag = t_flag[trip]
    run_flag = np.bitwise_or.reduceat(row_flag, run_start) if len(run_start) else row_flag
    del row_flag
    s_flag = np.zeros(n_s, dtype=np.uint8)
    np.bitwise_or.at(s_flag, run_code, run_flag)

    # Per family: the typed members (a bit per row) and whether the index can compile it.
    f_n = len(fam.starts)
    psample = fam.psample
    flagged = psample >= 0
    flagged[flagged] = (s_flag[psample[flagged]] & (2 if with_mutation else 1)) > 0
    bits = np.where(flagged, np.left_shift(np.uint64(1), fam.within.astype(np.uint64)), np.uint64(0))
    mask = np.bitwise_or.reduceat(bits, fam.starts) if f_n else np.zeros(0, np.uint64)
    bad_rows = flagged.copy()
    bad_rows[flagged] = (s_flag[psample[flagged]] & 4) > 0
    is_record = np.bincount(fam.family_of[bad_rows], minlength=f_n) > 0
    if with_mutation:
        is_record |= mask == 0
    # Distinct (shape, typed mask) pairs, each mapped to its group key once.
    mask_vals, mask_code = np.unique(mask, return_inverse=True)
    n_masks = max(len(mask_vals), 1)
    combos, combo_of = np.unique(fam.shape_of * n_masks + mask_code.reshape(-1), return_inverse=True)
    combo_of = combo_of.reshape(-1)
    group_keys: dict[tuple, int] = {}
    combo_group = np.empty(len(combos), dtype=np.int64)
    t_table = np.full((len(combos), _MAX_MEMBERS), -1, dtype=np.int64)
    sig_cache: dict[int, tuple] = {}
    for ci, ck in enumerate(combos.tolist()):
        sid, mcode = divmod(ck, n_masks)
        shape = fam.shapes[sid]
        m = int(mask_vals[mcode])
        flagged_ids = {pid for i, pid in shape.typed if (m >> i) & 1}
        typed = tuple(pid for pid in shape.pedigree.order if pid in flagged_ids and pid != shape.missing)
        sig = sig_cache.get(sid)
        if sig is None:
            sig = sig_cache[sid] = _signature(shape.pedigree)
        combo_group[ci] = group_keys.setdefault((sig, shape.missing, typed), len(group_keys))
        for i, pid in shape.typed:
            if (m >> i) & 1:
                t_table[ci, i] = typed.index(pid)
    key_info = list(group_keys)
    fam_key = np.where(is_record, -1, combo_group[combo_of] if f_n else 0)
    # Groups in order of their first family, families in file order within a group.
    regular = np.flatnonzero(fam_key >= 0)
    present_g, first = np.unique(fam_key[regular], return_index=True)
    g_order = present_g[np.argsort(first, kind="stable")]
    rank = np.full(len(key_info), -1, dtype=np.int64)
    rank[g_order] = np.arange(len(g_order))
    fam_group = np.where(fam_key >= 0, rank[np.maximum(fam_key, 0)], -1)
    g_n = len(g_order)
    by_group = regular[np.argsort(fam_group[regular], kind="stable")]
    g_sizes = np.bincount(fam_group[regular], minlength=g_n)
    g_starts = np.cumsum(g_sizes) - g_sizes
    pos = np.full(f_n, -1, dtype=np.int64)
    pos[by_group] = np.arange(len(by_group)) - np.repeat(g_starts, g_sizes)
    t_n = np.array([len(key_info[k][2]) for k in g_order.tolist()], dtype=np.int64)
    blocks = g_sizes * m_n * t_n                           # allele pairs per group
    offsets = np.cumsum(blocks) - blocks
    trash = int(blocks.sum())                              # one spare pair takes the rows not indexed
    buf = np.full(trash + 1, -1, dtype=np.int32)           # int32 = the (lo, hi) int16 pair

    # Slots: (family, typed member) of compiled families, each at its place in the buffer.
    slot_rows = np.flatnonzero(flagged & (fam_key[fam.family_of] >= 0))
    slot_fam = fam.family_of[slot_rows]
    slot_g = fam_group[slot_fam]
    slot_t = t_table[combo_of[slot_fam], fam.within[slot_rows]]
    slot_stride = t_n[slot_g]                              # pairs between markers of one member
    slot_base = offsets[slot_g] + pos[slot_fam] * m_n * slot_stride + slot_t
    slot_sample = psample[slot_rows]
    # Each sample fills its first slot in one pass over the rows; samples linked to several
    # compiled members (one sample in two families) fill the others from their own rows.
    wide = np.int32 if trash < 1 << 31 else np.int64
    order = np.argsort(slot_sample, kind="stable")
    n_links = np.bincount(slot_sample, minlength=n_s)
    first_slot = np.cumsum(n_links) - n_links
    rounds = int(n_links.max(initial=0))
    for k in range(max(rounds, 1)):
        has = n_links > k
        s_base = np.full(n_s, trash, dtype=wide)
        s_stride = np.zeros(n_s, dtype=wide)
        sl = order[first_slot[has] + k]
        s_base[has], s_stride[has] = slot_base[sl], slot_stride[sl]
        if k == 0:
            rows = None
            r_code, r_len = run_code, run_len
        else:
            sel = np.flatnonzero(has[run_code])
            r_code, r_len = run_code[sel], run_len[sel]
            rows = np.repeat(run_start[sel] - np.cumsum(r_len) + r_len, r_len) + np.arange(int(r_len.sum()))
        tr = trip if rows is None else trip[rows]
        m = t_m[tr]
        at = np.repeat(s_base[r_code], r_len)
        at += m * np.repeat(s_stride[r_code], r_len)
        at[m < 0] = trash
        buf[at] = t_pack[tr]
        del m, at, tr
    buf = buf[:trash].view(np.int16)

    structures = []
    for g in range(g_n):
        _sig, missing, typed = key_info[int(g_order[g])]
        members = by_group[g_starts[g]:g_starts[g] + g_sizes[g]].astype(np.int64)
        geno = buf[2 * offsets[g]:2 * (offsets[g] + blocks[g])].reshape(int(g_sizes[g]), m_n, int(t_n[g]), 2)
        ped = fam.shapes[int(fam.shape_of[members[0]])].pedigree
        structures.append(GroupInput(ped, missing, typed, members, geno))
    records = _records(np.flatnonzero(is_record), fam, prof)
    return markers, fam.family_ids, structures, records


def _records(which: np.ndarray, fam: _Families, prof: _Profiles) -> dict[str, FamilyRecord]:
    """The given families as :class:`FamilyRecord` objects, with their members' profiles built
    as :func:`reunite.search.io.read_profiles` builds them."""
    if not len(which):
        return {}
    rows = np.concatenate([np.arange(fam.starts[f], fam.starts[f] + fam.sizes[f]) for f in which.tolist()])
    needed = np.unique(fam.psample[rows][fam.psample[rows] >= 0])
    names = prof.sample.values.take(pa.array(needed)).to_pylist()
    remap = np.full(len(prof.sample.values), -1, dtype=np.int64)
    remap[needed] = np.arange(len(needed))
    prow = np.flatnonzero(remap[prof.sample.codes] >= 0)
    s_sub = remap[prof.sample.codes[prow]]
    key_at = {k: i for i, k in enumerate(prof.key_list)}
    kc = np.array([key_at[k] for k in prof.keys], dtype=np.int32)[prof.marker.codes[prow]]
    vocab: dict[str, int] = {}
    tr = prof.trip[prow]
    lab = [prof.labels[t] for t in tr.tolist()]
    a1 = np.array([vocab.setdefault(a, len(vocab)) for a, _b in lab], dtype=np.int32)
    a2 = np.array([vocab.setdefault(b, len(vocab)) for _a, b in lab], dtype=np.int32)
    order = np.argsort(s_sub * max(len(prof.key_list), 1) + kc, kind="stable")
    marker = _io.Column(prof.marker.codes[prow], prof.marker.pylist())
    is_amel = kc == key_at.get(AMELOGENIN, -1)
    profiles = _io.build_profiles(names, s_sub, kc, prof.key_list, marker, a1, a2, list(vocab), is_amel, order)
    out: dict[str, FamilyRecord] = {}
    for f in which.tolist():
        shape = fam.shapes[int(fam.shape_of[f])]
        start = int(fam.starts[f])
        linked = {pid: names[remap[fam.psample[start + i]]] for i, pid in shape.typed}
        fid = fam.family_ids[f]
        out[fid] = FamilyRecord(fid, shape.pedigree, shape.missing, {pid: profiles[s] for pid, s in linked.items()},
                                linked)
    return out
