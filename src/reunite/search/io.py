"""The two CSV formats reference families and found children are exchanged in.

``profiles.csv`` — one row per sample and marker::

    sample,marker,allele1,allele2
    F000001-M,D3S1358,15,16
    F000001-M,vWA,17,17          (a homozygote repeats the allele ...)
    F000001-M,TH01,9.3,          (... or leaves allele2 empty)
    F000001-M,Amelogenin,X,X     (kept apart in Profile.amelogenin, never in an LR)

``families.csv`` — one row per pedigree member::

    family,id,father,mother,sex,sample,missing
    F000001,F,,,male,F000001-F,0
    F000001,M,,,female,F000001-M,0
    F000001,C,F,M,female,,1

``sample`` links a typed member to ``profiles.csv`` (empty when untyped); ``missing`` is 1 for
the family's missing child (exactly one per family, never typed) and 0 or empty otherwise.
``father``/``mother`` are empty (or ``0``/``NA``) for founders; a member has both parents in the
family or neither.  ``sex`` is ``male``, ``female`` or ``unknown`` (``m``/``f``/``u``,
``1``/``2``/``0`` and empty, meaning unknown, are accepted too).

Both readers validate the whole file before returning anything and raise one
:class:`~reunite.errors.InputError` listing every problem, each naming the file, the line and
the field.  Headers are required; columns may come in any order; extra columns are ignored.
Values are trimmed of surrounding spaces.  Blank lines are skipped.

The readers are built for national-scale files (tens of millions of rows): the file is parsed
with pyarrow and validated column-wise with numpy; only files pyarrow cannot split into lines
one-to-one (ragged rows, quoted line breaks, bad UTF-8) go through Python's ``csv`` module, so
that problems still name the right line.

The columnar reader (:mod:`reunite.search.columnar`) shares the parsing pieces below that are
public but not in ``__all__``: :func:`read_table` and :class:`Column`, :func:`allele_is_valid`,
:func:`build_profiles`, :func:`dense_codes` and :func:`check_family_shape`.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ..errors import InputError, MarkerError, Problem
from ..genetics.frequencies import FrequencyTable
from ..genetics.haplotype import HaplotypeError, YHaplotype
from ..genetics.markers import AMELOGENIN, Profile, allele_sort_key, display_name, marker_key, validate_allele
from ..genetics.mtdna import MtSequence, parse_mt_sequence
from ..genetics.pedigree import SEX_ALIASES, Pedigree, find_cycle, make_pedigree
from ..genetics.ystr import load_y_rates, parse_y_haplotype, y_locus_key

__all__ = [
    "FAMILY_COLUMNS",
    "MT_COLUMNS",
    "PROFILE_COLUMNS",
    "FamilyRecord",
    "ProfilesLineage",
    "profiles_have_lineage",
    "read_families",
    "read_lineage",
    "read_profiles",
    "read_profiles_lineage",
    "write_families",
    "write_profiles",
]

#: Columns of ``profiles.csv`` (and of ``found.csv``), in the order the writers use.
PROFILE_COLUMNS = ("sample", "marker", "allele1", "allele2")
#: Columns of ``families.csv``, in the order the writers use.
FAMILY_COLUMNS = ("family", "id", "father", "mother", "sex", "sample", "missing")

_SEXES = {"": "unknown", **SEX_ALIASES}  # an empty sex cell means unknown
_NO_PARENT = ("", "0", "NA")
_REF = "\x00line\x00"  # stands for a line number in cached pedigree-shape messages


@dataclass(frozen=True)
class FamilyRecord:
    """One reference family as read from ``families.csv``.

    ``profiles`` maps each typed member to its profile (empty when the families were read
    without profiles); ``samples`` maps each typed member to its sample id.  Families with the
    same pedigree (same member ids, parents and sexes) share one :class:`Pedigree` object,
    which is never modified.
    """

    family: str
    pedigree: Pedigree
    missing: str
    profiles: dict[str, Profile] = field(default_factory=dict)
    samples: dict[str, str] = field(default_factory=dict)

    @property
    def typed(self) -> list[str]:
        """Ids of the typed members, in pedigree order."""
        return [pid for pid in self.pedigree.persons if pid in self.samples]


# ---------------------------------------------------------------------------------- parsing


def read_table(path: str | os.PathLike, required: tuple[str, ...], optional: tuple[str, ...] = ()
               ) -> tuple[dict[str, Column], np.ndarray]:
    """Read a headed CSV: the ``required`` columns (and those of ``optional`` the header has),
    trimmed and dictionary-encoded, and the line number of each row.

    Blank lines are dropped.  Raises :class:`InputError` for an unreadable file, a bad header,
    ragged rows or text that is not UTF-8 (every such row reported).
    """
    source = str(path)
    expect = ",".join(required)
    try:
        with open(path, "rb") as fh:
            head = fh.readline()
            more = bool(head.strip()) or bool(fh.read(1 << 16).strip())
    except OSError as exc:
        raise InputError(Problem(f"cannot read the file: {exc.strerror or exc}", file=source,
                                 code="unreadable")) from None
    if not more:
        raise InputError(Problem(f"the file is empty; the first line must be the header {expect}",
                                 file=source, line=1, code="empty_header", params={"header": expect}))
    try:
        header = next(csv.reader([head.decode("utf-8-sig").rstrip("\r\n")]), [])
    except UnicodeDecodeError:
        raise InputError(Problem("the header is not UTF-8 text", file=source, line=1, code="header_not_utf8")) from None
    cols = [h.strip().lower() for h in header]
    problems = []
    lacking = [c for c in required if c not in cols]
    if lacking:
        problems.append(Problem(
            f"the header lacks column(s) {', '.join(lacking)}; the first line must be the header {expect}",
            file=source, line=1, code="header_lacks", params={"columns": ", ".join(lacking), "header": expect}))
    dup = sorted({c for c in cols if cols.count(c) > 1 and c})
    if dup:
        problems.append(Problem(f"column(s) {', '.join(dup)} appear twice in the header", file=source, line=1,
                                code="columns_twice", params={"columns": ", ".join(dup)}))
    if problems:
        raise InputError(problems)
    names = [c if c else f"_unnamed{i}" for i, c in enumerate(cols)]
    encoded = _parse_fast(path, names)
    if encoded is None:
        encoded, lines = _parse_slow(path, names, source)
    else:
        n = len(encoded[names[0]].codes)
        lines = np.arange(2, n + 2, dtype=np.int64)
    blank = np.ones(len(lines), dtype=bool)
    for col in encoded.values():
        blank &= col.is_empty()
    columns = {c: encoded[c] for c in (*required, *(c for c in optional if c in encoded))}
    if blank.any():
        keep = ~blank
        columns = {c: Column(col.codes[keep], col.values).compact() for c, col in columns.items()}
        lines = lines[keep]
    return columns, lines


@dataclass(frozen=True)
class Column:
    """A string column as codes into its distinct (trimmed) values."""

    codes: np.ndarray
    values: list[str]

    def is_empty(self) -> np.ndarray:
        if "" not in self.values:
            return np.zeros(len(self.codes), dtype=bool)
        return self.codes == self.values.index("")

    def mask(self, flags: Iterable[bool]) -> np.ndarray:
        """Rows whose value has the flag (one flag per distinct value)."""
        return np.fromiter(flags, dtype=bool, count=len(self.values))[self.codes] if self.values \
            else np.zeros(len(self.codes), dtype=bool)

    def compact(self) -> Column:
        """The same column without the distinct values no row has any more."""
        used = np.bincount(self.codes, minlength=len(self.values)) > 0
        if used.all():
            return self
        remap = np.cumsum(used) - 1
        return Column(remap[self.codes].astype(np.int32), [v for v, u in zip(self.values, used, strict=True) if u])

    def tolist(self, order: np.ndarray | None = None) -> list[str]:
        codes = self.codes if order is None else self.codes[order]
        return np.array(self.values, dtype=object)[codes].tolist() if self.values else []


def _column(arr: pa.Array | pa.ChunkedArray) -> Column:
    """Dictionary-encode a string column (first-appearance order) and trim its distinct values."""
    enc = pc.dictionary_encode(arr)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks() if enc.num_chunks else pa.array([], pa.string()).dictionary_encode()
    values = enc.dictionary.to_pylist()
    codes = enc.indices.to_numpy(zero_copy_only=False)
    codes = codes.astype(np.int32, copy=False)
    trimmed = [v.strip() for v in values]
    if trimmed != values:
        at: dict[str, int] = {}
        remap = np.array([at.setdefault(v, len(at)) for v in trimmed], dtype=np.int32)
        codes, values = remap[codes], list(at)
    return Column(codes, values)


def arrow_read(path: str | os.PathLike, names: list[str], types: dict) -> pa.Table | None:
    """pyarrow's parse of a CSV file with header ``names`` (skipped) and column ``types``, empty
    strings kept as strings; None when pyarrow cannot parse it (the exact reader then reports)."""
    try:
        return pa_csv.read_csv(
            str(path),
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types=types, strings_can_be_null=False,
                                                  quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def _parse_fast(path: str | os.PathLike, names: list[str]) -> dict[str, Column] | None:
    """pyarrow's parse, when each line is exactly one row; None when that cannot be trusted."""
    table = arrow_read(path, names, {c: pa.string() for c in names})
    if table is None:
        return None
    out = {}
    for c in names:
        col = _column(table.column(c))
        # A quoted line break would put two lines into one row and shift every line number.
        if any("\n" in v or "\r" in v for v in col.values):
            return None
        out[c] = col
    return out


def _parse_slow(path: str | os.PathLike, names: list[str], source: str) -> tuple[dict[str, Column], np.ndarray]:
    """Python's csv parse, reporting every ragged row and undecodable line."""
    problems: list[Problem] = []
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(Problem("the file is not UTF-8 text (first bad byte on this line); save it as UTF-8",
                                 file=source, line=line, code="line_not_utf8")) from None
    del data
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader, None)
    rows: list[list[str]] = []
    lines: list[int] = []
    start = reader.line_num + 1
    for row in reader:
        line, start = start, reader.line_num + 1
        if not row or all(not v.strip() for v in row):
            continue
        if len(row) != len(names):
            problems.append(Problem(f"expected {len(names)} fields as in the header, found {len(row)}",
                                    file=source, line=line, code="field_count",
                                    params={"n": len(row), "header": len(names)}))
            continue
        rows.append(row)
        lines.append(line)
    if problems:
        raise InputError(problems)
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    out = {c: _column(pa.array(list(v), type=pa.string())) for c, v in zip(names, cols, strict=True)}
    return out, np.array(lines, dtype=np.int64)


# --------------------------------------------------------------------------------- profiles


def read_profiles(path: str | os.PathLike, *, frequencies: FrequencyTable | None = None) -> dict[str, Profile]:
    """Read ``profiles.csv`` into ``{sample id: Profile}`` (samples in order of first appearance).

    Marker names are folded over their spellings (:func:`~reunite.genetics.markers.marker_key`);
    each profile keeps the spelling its rows used.  With ``frequencies``, a marker the table
    lacks (other than Amelogenin) is a problem too.  Every problem in the file is reported
    together in one :class:`~reunite.errors.InputError`; nothing is returned then.
    """
    cols, lines = read_table(path, PROFILE_COLUMNS)
    return _profile_rows(str(path), cols, lines, frequencies, [])


#: The optional columns of ``profiles.csv`` that carry a sample's mtDNA sequence (on its ``mtDNA`` row).
MT_COLUMNS = ("mt_range", "mt_variants")
_MT_MARKERS = {"mtdna", "mt", "mtdna control region"}


@dataclass(frozen=True)
class ProfilesLineage:
    """``profiles.csv`` read with its lineage rows: the autosomal profiles (a sample with lineage rows
    only has an empty profile), and each sample's Y-STR haplotype and mtDNA sequence."""

    profiles: dict[str, Profile]
    y: dict[str, YHaplotype]
    mt: dict[str, MtSequence]


def _y_value(name: str, key: str, labels: list[str]) -> str:
    """The alleles of one Y-STR row as a haplotype value, read as the store reads them
    (:func:`reunite.labfiles._common.y_allele_text`): a multi-copy locus named whole with one allele
    has it on every copy; a single-copy locus written like a homozygote has one allele."""
    labels = [x.strip() for x in labels if x and x.strip()]
    if not labels:
        return ""
    copies = load_y_rates().copies.get(key, 1)
    whole = not re.fullmatch(r".*\d[AB]", re.sub(r"[\s_\-.]", "", str(name)).upper())
    if len(set(labels)) == 1 and labels[0].lower() not in ("null", "0"):
        return ",".join([labels[0]] * (copies if whole and copies > 1 else 1))
    return ",".join(labels)


def read_profiles_lineage(path: str | os.PathLike, *, frequencies: FrequencyTable | None = None) -> ProfilesLineage:
    """Read ``profiles.csv`` with its lineage rows (docs/formats.md, "Lineage markers"), as the store's
    import reads them: a row whose marker is a Y-STR locus (``DYS…``, ``DYF…S…``, ``Y-GATA-…``) is one
    locus of the sample's Y-STR haplotype (``DYS385a``/``DYS385b`` rows join ``DYS385``; ``null`` a null
    allele); the row with marker ``mtDNA`` (allele cells empty) gives the sequence in the optional
    columns ``mt_variants`` (EMPOP notation) and ``mt_range``.  The other rows are read by
    :func:`read_profiles`'s rules.  Every problem of the file (lineage rows and others) is reported
    together, naming file, line and field, in one :class:`InputError`; nothing is returned then."""
    source = str(path)
    cols, lines = read_table(path, PROFILE_COLUMNS, MT_COLUMNS)
    marker = cols["marker"]
    kinds = []   # per distinct marker spelling: None (autosomal), "mt", or its Y locus key
    for name in marker.values:
        if name.strip().lower() in _MT_MARKERS:
            kinds.append("mt")
            continue
        try:
            kinds.append(y_locus_key(name))
        except HaplotypeError:
            kinds.append(None)
    lin = marker.mask(k is not None for k in kinds)
    problems: list[tuple[int, int, Problem]] = []
    mt_cols = {c: cols[c] for c in MT_COLUMNS if c in cols}
    field_at = {c: i for i, c in enumerate((*PROFILE_COLUMNS, *MT_COLUMNS))}

    def problem(line: int, fld: str, message: str, code: str, **params) -> None:
        problems.append((line, field_at[fld], Problem(message, file=source, line=line, field=fld, code=code,
                                                      params=params)))

    # mt_range / mt_variants only on a sample's mtDNA row
    for c, col in mt_cols.items():
        stray = ~col.is_empty() & ~marker.mask(k == "mt" for k in kinds)
        for r in np.flatnonzero(stray):
            problem(int(lines[r]), c, f"{c} belongs on the sample's mtDNA row (marker mtDNA, allele cells empty)",
                    "lineage_mt_column_stray", column=c)
    y_raw: dict[str, dict[str, list[str]]] = {}
    y_where: dict[tuple[str, str], int] = {}
    spelled_at: dict[tuple[str, str], int] = {}
    mt: dict[str, MtSequence] = {}
    mt_line: dict[str, int] = {}
    sample, a1c, a2c = cols["sample"], cols["allele1"], cols["allele2"]
    for r in np.flatnonzero(lin):
        line = int(lines[r])
        name = marker.values[marker.codes[r]]
        kind = kinds[marker.codes[r]]
        smp = sample.values[sample.codes[r]]
        a1, a2 = a1c.values[a1c.codes[r]], a2c.values[a2c.codes[r]]
        if smp == "":
            problem(line, "sample", "the sample id is empty", "sample_empty")
            continue
        if kind == "mt":
            if a1 or a2:
                problem(line, "allele1", "an mtDNA row leaves allele1 and allele2 empty; the sequence goes in "
                                         "mt_variants (and mt_range)", "lineage_mt_alleles")
            if "mt_variants" not in mt_cols:
                problem(line, "marker", "an mtDNA row needs the column mt_variants in the header (differences to "
                                        "the rCRS)", "lineage_mt_no_column")
                continue
            if smp in mt:
                problem(line, "marker", f"sample {smp}: the mtDNA sequence is also on line {mt_line[smp]}; give it "
                                        "once", "lineage_mt_twice", sample=smp, other=mt_line[smp])
                continue
            var = mt_cols["mt_variants"].values[mt_cols["mt_variants"].codes[r]]
            rng = mt_cols["mt_range"].values[mt_cols["mt_range"].codes[r]] if "mt_range" in mt_cols else ""
            try:
                mt[smp] = parse_mt_sequence(var, rng or None, source=source)
                mt_line[smp] = line
            except HaplotypeError as exc:
                for p in exc.problems:
                    fld = "mt_range" if p.field == "range" else "mt_variants"
                    problem(line, fld, f"sample {smp}: {p.message}", "lineage_mt_invalid", sample=smp, column=fld)
            continue
        key = kind
        if not a1:
            problem(line, "allele1", f"sample {smp}: allele1 is empty; give the allele(s) of {name} (null for a null "
                                     "allele)", "lineage_y_allele_empty", sample=smp, marker=name)
            continue
        labels = [x for x in re.split(r"[,/;]\s*|\s+", a1) if x]
        if len(labels) > 1 and a2:
            problem(line, "allele2", f"sample {smp}: {name} lists several alleles in allele1 and one more in allele2; "
                                     "give them all in allele1 (13,19) or one per cell", "lineage_y_allele2",
                    sample=smp, marker=name)
            continue
        spelled = re.sub(r"[\s_\-.]", "", name).upper()
        if (smp, key) in y_where and (spelled == key or (smp, spelled) in spelled_at):
            problem(line, "marker", f"sample {smp}: Y-STR locus {name} is also on line {y_where[smp, key]}; give "
                                    "each locus once", "lineage_y_twice", sample=smp, marker=name,
                    other=y_where[smp, key])
            continue
        value = _y_value(name, key, [*labels, *([a2] if a2 else [])])
        try:
            parse_y_haplotype({key: ",".join([*y_raw.get(smp, {}).get(key, []), value])}, source=source)
        except HaplotypeError as exc:
            for p in exc.problems:
                problem(line, "allele1", f"sample {smp}: {p.message}", "lineage_y_invalid", sample=smp, marker=name)
            continue
        y_where.setdefault((smp, key), line)
        spelled_at[smp, spelled] = line
        y_raw.setdefault(smp, {}).setdefault(key, []).extend(value.split(","))
    y = {}
    if not problems:
        for smp, loci in y_raw.items():
            y[smp] = parse_y_haplotype({k: ",".join(v) for k, v in loci.items()}, source=source)
    keep = ~lin
    auto = {c: Column(cols[c].codes[keep], cols[c].values).compact() for c in PROFILE_COLUMNS}
    profiles = _profile_rows(source, auto, lines[keep], frequencies, problems)
    for smp in [*y, *mt]:
        if smp not in profiles:
            profiles[smp] = Profile({}, {}, None)
    return ProfilesLineage(profiles, y, mt)


def profiles_have_lineage(path: str | os.PathLike) -> bool:
    """Whether ``profiles.csv`` has lineage rows (a Y-STR locus or an ``mtDNA`` marker) or the mtDNA
    columns (read by :func:`read_profiles_lineage`; problems are left to the reader that follows)."""
    try:
        cols, _lines = read_table(path, PROFILE_COLUMNS, MT_COLUMNS)
    except InputError:
        return False
    if any(c in cols for c in MT_COLUMNS):
        return True
    for name in cols["marker"].values:
        if name.strip().lower() in _MT_MARKERS:
            return True
        try:
            y_locus_key(name)
        except HaplotypeError:
            continue
        return True
    return False


def read_lineage(path: str | os.PathLike) -> tuple[dict[str, YHaplotype], dict[str, MtSequence]]:
    """The Y-STR haplotypes and mtDNA sequences of ``profiles.csv`` (:func:`read_profiles_lineage`)."""
    r = read_profiles_lineage(path)
    return r.y, r.mt


def _profile_rows(source: str, cols: dict[str, Column], lines: np.ndarray, frequencies: FrequencyTable | None,
                  problems: list[tuple[int, int, Problem]]) -> dict[str, Profile]:
    """The profiles of the rows ``cols``/``lines`` (see :func:`read_profiles`); ``problems`` already
    found in the file are reported with the rows' own."""

    def bad(rows: np.ndarray, fld: str, message, code: str | None = None) -> None:
        for r in np.flatnonzero(rows):
            msg = message(int(r)) if callable(message) else message
            where = {"file": source, "line": int(lines[r]), "field": fld}
            problems.append((int(lines[r]), PROFILE_COLUMNS.index(fld),
                             msg.where(**where) if isinstance(msg, Problem) else Problem(msg, code=code, **where)))

    sample, marker, allele1, allele2 = (cols[c] for c in PROFILE_COLUMNS)
    ok = ~sample.is_empty()
    bad(~ok, "sample", "the sample id is empty", "sample_empty")

    # Markers: fold each distinct spelling once.
    keys: list[str | None] = []
    key_err: list[Problem | None] = []
    for name in marker.values:
        try:
            k = marker_key(name)
        except MarkerError as exc:
            keys.append(None)
            key_err.append(exc.problems[0].where(message="; ".join(p.message for p in exc.problems)))
            continue
        keys.append(k)
        if frequencies is not None and k != AMELOGENIN and k not in frequencies.markers:
            key_err.append(Problem(f"marker {name!r} is not in the frequency table {frequencies.name}; check its "
                                   f"spelling or use a table that has it", code="marker_not_in_table",
                                   params={"marker": name, "table": frequencies.name}))
        else:
            key_err.append(None)
    m_bad = marker.mask(e is not None for e in key_err)
    bad(m_bad, "marker", lambda r: key_err[marker.codes[r]])
    ok &= ~m_bad
    key_list = list(dict.fromkeys(k for k in keys if k is not None))
    key_at = {k: i for i, k in enumerate(key_list)}
    kc = (np.array([key_at[k] if k is not None else -1 for k in keys], dtype=np.int32)[marker.codes]
          if keys else np.zeros(len(lines), np.int32))

    # Alleles: one vocabulary for both columns, each label validated once as an STR allele
    # and once as an Amelogenin allele; rows pick the verdict their marker needs.
    vocab = list(dict.fromkeys([*allele1.values, *allele2.values]))
    at = {v: i for i, v in enumerate(vocab)}
    a1 = np.array([at[v] for v in allele1.values], dtype=np.int32)[allele1.codes] if vocab else kc * 0
    a2 = np.array([at[v] for v in allele2.values], dtype=np.int32)[allele2.codes] if vocab else kc * 0
    str_ok = np.array([allele_is_valid("D1", v) for v in vocab], dtype=bool)
    amel_ok = np.array([allele_is_valid(AMELOGENIN, v) for v in vocab], dtype=bool)
    is_amel = kc == key_at.get(AMELOGENIN, -2)
    a1_empty = allele1.is_empty()
    a2_empty = allele2.is_empty()
    a2 = np.where(a2_empty, a1, a2)
    bad(a1_empty & ok, "allele1",
        "allele1 is empty; give the allele (for a homozygote allele2 may repeat it or be left empty)", "allele1_empty")
    if len(vocab):
        for fld, codes, skip in (("allele1", a1, a1_empty), ("allele2", a2, a2_empty | a1_empty)):
            valid = np.where(is_amel, amel_ok[codes], str_ok[codes])
            bad(~valid & ~skip & ok, fld,
                lambda r, codes=codes: _allele_problem(marker.values[marker.codes[r]], vocab[codes[r]]))
        ok &= np.where(is_amel, amel_ok[a1] & amel_ok[a2], str_ok[a1] & str_ok[a2])
    ok &= ~a1_empty

    # One row per sample and marker (after folding the marker's spellings).
    s_code = sample.codes
    pair_key = np.where(kc >= 0, s_code.astype(np.int64) * max(len(key_list), 1) + kc, -1)
    if len(pair_key) and bool(np.all(pair_key[1:] > pair_key[:-1])):
        order = None  # already grouped by sample, one row per marker: the common, fast case
    else:
        order = np.argsort(pair_key, kind="stable")
        sk = pair_key[order]
        dup = np.flatnonzero((sk[1:] == sk[:-1]) & (sk[1:] >= 0)) + 1
        if len(dup):
            first_pos = np.maximum.accumulate(np.where(np.r_[True, sk[1:] != sk[:-1]], np.arange(len(sk)), 0))
            for d in dup:
                r, f = int(order[d]), int(order[first_pos[d]])
                spelled = marker.values[marker.codes[r]]
                also = marker.values[marker.codes[f]]
                extra = "" if also == spelled else f" (as {also!r})"
                problems.append((int(lines[r]), 1, Problem(
                    f"sample {sample.values[s_code[r]]}: marker {spelled!r} was already given on line {lines[f]}"
                    f"{extra}; give one row per sample and marker (two rows may mean a mixture or a copy error)",
                    file=source, line=int(lines[r]), field="marker", code="marker_twice",
                    params={"sample": sample.values[s_code[r]], "marker": spelled, "other": int(lines[f])})))
    if problems:
        problems.sort(key=lambda x: (x[0], x[1]))
        raise InputError([p for _, _, p in problems])
    return build_profiles(sample.values, s_code, kc, key_list, marker, a1, a2, vocab, is_amel, order)


def allele_is_valid(marker: str, label: str) -> bool:
    try:
        validate_allele(marker, label)
    except MarkerError:
        return False
    return True


def _allele_problem(marker: str, label: str) -> Problem:
    try:
        validate_allele(marker, label)
    except MarkerError as exc:
        return exc.problems[0]
    return Problem(f"marker {marker}: allele {label!r} is not valid")  # pragma: no cover


def build_profiles(samples: list[str], s_code: np.ndarray, kc: np.ndarray, key_list: list[str], marker: Column,
                    a1: np.ndarray, a2: np.ndarray, vocab: list[str], is_amel: np.ndarray,
                    order: np.ndarray | None) -> dict[str, Profile]:
    """Assemble validated rows (grouped by sample through ``order``) into profiles.

    Genotype tuples are shared between profiles, and so are the ``names`` maps of profiles
    typed at the same markers under the same spellings.
    """
    n_s, n_v = len(samples), max(len(vocab), 1)
    m_code = marker.codes
    if order is not None:
        s_code, kc, m_code, a1, a2, is_amel = (x[order] for x in (s_code, kc, m_code, a1, a2, is_amel))
    # Order the two alleles by label; one shared tuple per distinct genotype.
    rank = np.empty(len(vocab), dtype=np.int64)
    rank[sorted(range(len(vocab)), key=lambda i: allele_sort_key(vocab[i]))] = np.arange(len(vocab))
    swap = rank[a1] > rank[a2]
    wide = np.int64 if n_v > 40_000 else np.int32
    gt_code, distinct = dense_codes(np.where(swap, a2, a1).astype(wide) * n_v + np.where(swap, a1, a2), n_v * n_v)
    del swap, a1, a2
    gt_obj = np.empty(len(distinct), dtype=object)
    for i, u in enumerate(distinct.tolist()):
        gt_obj[i] = (vocab[u // n_v], vocab[u % n_v])

    # Amelogenin apart, with the spelling each sample used for it.
    amel = np.full(n_s, None, dtype=object)
    amel_sp = np.full(n_s, -1, dtype=np.int64)
    if is_amel.any():
        amel[s_code[is_amel]] = gt_obj[gt_code[is_amel]]
        amel_sp[s_code[is_amel]] = m_code[is_amel]
        keep = ~is_amel
        s_code, kc, m_code, gt_code = s_code[keep], kc[keep], m_code[keep], gt_code[keep]
    counts = np.bincount(s_code, minlength=n_s)
    ends = np.cumsum(counts).tolist()
    gt_l = gt_obj[gt_code].tolist()

    # Within a sample, rows are in ascending marker order (see ``order``), so samples typed at
    # the same (marker, spelling) set share the marker tuple and the names map: one bit per
    # distinct (marker, spelling) gives each sample a signature.
    n_m = max(len(marker.values), 1)
    sp_code, n_sp = dense_codes(kc.astype(np.int64) * n_m + m_code, len(key_list) * n_m)
    if len(n_sp) <= 63 and len(sp_code):
        bits = np.left_shift(np.uint64(1), sp_code.astype(np.uint64))
        sig = np.zeros(n_s, dtype=np.uint64)
        nonempty = counts > 0
        starts = (np.cumsum(counts) - counts)[nonempty]
        sig[nonempty] = np.bitwise_or.reduceat(bits, starts)
        sig_l = sig.tolist()
        del bits, sig
    else:
        sig_l = None
    amel_l, amel_sp_l = amel.tolist(), amel_sp.tolist()
    cache: dict = {}
    out: dict[str, Profile] = {}
    start = 0
    it = iter(gt_l)
    for s, end in enumerate(ends):
        nkey = (sig_l[s] if sig_l is not None else (kc[start:end].tobytes(), m_code[start:end].tobytes()),
                amel_sp_l[s])
        entry = cache.get(nkey)
        if entry is None:
            ks = tuple(key_list[k] for k in kc[start:end].tolist())
            names = dict(zip(ks, (marker.values[m] for m in m_code[start:end].tolist()), strict=True))
            if amel_sp_l[s] >= 0:
                names[AMELOGENIN] = marker.values[amel_sp_l[s]]
            entry = cache[nkey] = (ks, names)
        ks, names = entry
        out[samples[s]] = Profile(dict(zip(ks, islice(it, end - start), strict=True)), names, amel_l[s])
        start = end
    return out


def dense_codes(values: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0..k-1 for non-negative ``values`` below ``bound``, and the k distinct values (sorted)."""
    if bound <= 1 << 24:
        present = np.flatnonzero(np.bincount(values, minlength=bound)) if len(values) else np.zeros(0, np.int64)
        lut = np.zeros(max(bound, 1), dtype=np.int32 if bound < 1 << 31 else np.int64)
        lut[present] = np.arange(len(present))
        return lut[values], present
    present, codes = np.unique(values, return_inverse=True)
    return codes.reshape(-1), present


def write_profiles(path: str | os.PathLike, profiles: Mapping[str, Profile]) -> None:
    """Write ``{sample id: Profile}`` as ``profiles.csv`` (markers as spelled in each profile,
    Amelogenin last, homozygotes with the allele repeated)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(PROFILE_COLUMNS)
        for sample, prof in profiles.items():
            for key, (a, b) in prof.genotypes.items():
                w.writerow((sample, prof.names.get(key) or display_name(key), a, b))
            if prof.amelogenin is not None:
                a, b = prof.amelogenin
                w.writerow((sample, prof.names.get(AMELOGENIN) or display_name(AMELOGENIN), a, b))


# --------------------------------------------------------------------------------- families


@dataclass(frozen=True)
class _Shape:
    """The verdict on one pedigree shape (member ids, parents, sexes, missing and typed flags)."""

    # (row in the family, field, message, row whose line replaces _REF in the message or None)
    problems: tuple[tuple[int, str | None, str, int | None], ...]
    pedigree: Pedigree | None
    missing: str | None
    typed: tuple[tuple[int, str], ...] = ()  # (row in the family, member id) of rows with a sample


def read_families(path: str | os.PathLike, profiles: Mapping[str, Profile] | None = None
                  ) -> dict[str, FamilyRecord]:
    """Read ``families.csv`` into ``{family id: FamilyRecord}`` (families in order of first appearance).

    With ``profiles`` (e.g. from :func:`read_profiles`), every ``sample`` must be one of them and
    each typed member's profile is attached; without, only the sample ids are kept.  Every
    problem is reported together in one :class:`~reunite.errors.InputError`, each naming the
    file, line and field; nothing is returned then.
    """
    source = str(path)
    cols, lines = read_table(path, FAMILY_COLUMNS)
    f_code, fam_ids = cols["family"].codes, cols["family"].values
    order = np.argsort(f_code, kind="stable")
    ends = np.cumsum(np.bincount(f_code, minlength=len(fam_ids))).tolist()
    samples = cols["sample"].tolist(order)
    line_l = lines[order].tolist()
    # One integer per distinct (id, father, mother, sex, missing, typed) row, so that a family's
    # pedigree shape is a tuple of small integers, checked once however many families share it.
    shape_cols = [cols[c] for c in ("id", "father", "mother", "sex", "missing")]
    row_code = np.zeros(len(order), dtype=np.int64)
    bound = 1
    for c in shape_cols:
        row_code, distinct = dense_codes(row_code.astype(np.int64) * len(c.values) + c.codes[order],
                                          bound * max(len(c.values), 1))
        bound = len(distinct)
    row_code, distinct = dense_codes(row_code.astype(np.int64) * 2 + ~cols["sample"].is_empty()[order], bound * 2)
    row_l = row_code.tolist()
    problems: list[tuple[int, int, Problem]] = []
    shapes: dict[tuple, _Shape] = {}
    out: dict[str, FamilyRecord] = {}
    start = 0
    for fam, end in zip(fam_ids, ends, strict=True):
        if fam == "":
            for r in range(start, end):
                problems.append((line_l[r], 0, Problem("the family id is empty", file=source, line=line_l[r],
                                                       field="family", code="family_empty")))
            start = end
            continue
        key = tuple(row_l[start:end])
        shape = shapes.get(key)
        if shape is None:
            rows = order[start:end]
            shape = shapes[key] = check_family_shape(tuple(
                (*(c.values[c.codes[r]] for c in shape_cols), samples[start + i] != "")
                for i, r in enumerate(rows.tolist())))
        fam_problems = [
            (line_l[start + i], FAMILY_COLUMNS.index(fld) if fld else 0,
             Problem(f"family {fam}: " + (msg if ref is None else msg.replace(_REF, str(line_l[start + ref]))),
                     file=source, line=line_l[start + i], field=fld, code=code,
                     params={**params, "family": fam, **({} if ref is None else {"other": line_l[start + ref]})}))
            for i, fld, msg, ref, code, params in shape.problems
        ]
        linked = {pid: samples[start + i] for i, pid in shape.typed}
        member_profiles: dict[str, Profile] = {}
        clean = len(set(linked.values())) == len(linked)
        if clean and profiles is not None:
            try:
                member_profiles = {pid: profiles[smp] for pid, smp in linked.items()}
            except KeyError:
                clean = False
        if not clean:
            seen: dict[str, int] = {}
            for i, pid in shape.typed:
                r = start + i
                smp = samples[r]
                if smp in seen:
                    fam_problems.append((line_l[r], 5, Problem(
                        f"family {fam}: sample {smp} is linked to two members (also on line {line_l[seen[smp]]}); "
                        f"each typed member has their own sample", file=source, line=line_l[r], field="sample",
                        code="sample_two_members", params={"family": fam, "sample": smp, "other": line_l[seen[smp]]})))
                    continue
                seen[smp] = r
                if profiles is not None:
                    prof = profiles.get(smp)
                    if prof is None:
                        fam_problems.append((line_l[r], 5, Problem(
                            f"family {fam}: sample {smp} is not in the profiles; check the id or add its profile",
                            file=source, line=line_l[r], field="sample", code="sample_no_profile",
                            params={"family": fam, "sample": smp})))
                        continue
                    member_profiles[pid] = prof
        if fam_problems:
            problems.extend(fam_problems)
        elif not problems:
            out[fam] = FamilyRecord(fam, shape.pedigree, shape.missing, member_profiles, linked)
        start = end
    if problems:
        problems.sort(key=lambda x: (x[0], x[1]))
        raise InputError([p for _, _, p in problems])
    return out


def check_family_shape(rows: tuple[tuple[str, str, str, str, str, bool], ...]) -> _Shape:
    """Validate one pedigree shape; problems refer to rows by their index in the family."""
    probs: list[tuple[int, str | None, str, int | None, str | None, dict]] = []

    def add(i: int, fld: str | None, msg: str, ref: int | None = None, code: str | None = None, **params) -> None:
        probs.append((i, fld, msg, ref, code, params))

    first: dict[str, int] = {}
    norm_sex: list[str] = []
    for i, (pid, _f, _m, sex, miss, _typed) in enumerate(rows):
        if pid == "":
            add(i, "id", "the member id is empty", code="member_id_empty")
        elif pid in _NO_PARENT:
            add(i, "id", f"member id {pid!r} means 'no parent' in the father and mother columns; "
                                   f"use another id", code="member_id_no_parent", member=pid)
        elif pid in first:
            add(i, "id", f"member id {pid!r} is used twice in the family (first on line {_REF})",
                          first[pid], "member_id_twice", member=pid)
        else:
            first[pid] = i
        s = _SEXES.get(sex.lower())
        if s is None:
            add(i, "sex", f"member {pid!r}: sex {sex!r} is not male, female or unknown "
                                    f"(m/f/u and 1/2/0 are accepted too)", code="member_sex", member=pid)
            s = "unknown"
        norm_sex.append(s)
        if miss not in ("", "0", "1"):
            add(i, "missing", f"member {pid!r}: missing is {miss!r}; write 1 for the missing child, "
                                        f"0 or nothing for the others", code="member_missing_value", member=pid)
    sex_of = {pid: norm_sex[i] for pid, i in first.items()}
    as_father: set[str] = set()
    as_mother: set[str] = set()
    for i, (pid, f, m, _sex, _miss, _typed) in enumerate(rows):
        fa = None if f in _NO_PARENT else f
        mo = None if m in _NO_PARENT else m
        if (fa is None) != (mo is None):
            lacking = "father" if fa is None else "mother"
            add(i, lacking, f"member {pid!r} has a {'mother' if fa is None else 'father'} but no "
                                      f"{lacking}; give both parents or neither (add the other parent as an "
                                      f"untyped member)", code="one_parent", member=pid)
            continue
        if fa is not None and fa == mo:
            add(i, "mother", f"member {pid!r}: father and mother are the same person {fa!r}", code="same_parents",
                member=pid)
            continue
        for role, par, wrong in (("father", fa, "female"), ("mother", mo, "male")):
            if par is None:
                continue
            if par == pid:
                add(i, role, f"member {pid!r} is given as their own {role}", code="own_parent", member=pid)
            elif par not in first:
                add(i, role, f"member {pid!r}: {role} {par!r} is not a member of the family; add a row "
                                       f"for them (untyped if no sample)", code="parent_not_member", member=pid,
                    parent=par)
            elif sex_of[par] == wrong:
                add(i, role, f"member {pid!r}: {role} {par!r} has sex {wrong}; a {role} must be "
                                       f"{'male' if role == 'father' else 'female'}",
                    code="father_sex" if role == "father" else "mother_sex", member=pid, parent=par)
            else:
                (as_father if role == "father" else as_mother).add(par)
    for pid in sorted(as_father & as_mother):
        add(first[pid], "sex", f"member {pid!r} is both a father and a mother in the family",
            code="father_and_mother", member=pid)
    missing_rows = [i for i, r in enumerate(rows) if r[4] == "1"]
    if not missing_rows:
        add(0, "missing", "no member is marked missing; write 1 in the missing column of the "
                                    "missing child (exactly one per family)", code="no_missing")
    for i in missing_rows[1:]:
        add(i, "missing", f"a second member is marked missing (the first is on line {_REF}); "
                                    f"exactly one per family", missing_rows[0], "two_missing")
    if missing_rows and rows[missing_rows[0]][5]:
        add(missing_rows[0], "sample", f"the missing member {rows[missing_rows[0]][0]!r} has a sample; "
                                                 f"the missing member is untyped (found children are searched "
                                                 f"against it): leave its sample empty",
            code="missing_has_sample")
    typed = tuple((i, r[0]) for i, r in enumerate(rows) if r[5])
    if probs:
        return _Shape(tuple(probs), None, None, typed)
    cycle = find_cycle({r[0]: [p for p in (r[1], r[2]) if p not in _NO_PARENT] for r in rows})
    if cycle is not None:
        cyc = first[cycle[0]]
        return _Shape(((cyc, "father", f"member {rows[cyc][0]!r} is their own ancestor (the family has a cycle)",
                        None, "pedigree_cycle", {"member": rows[cyc][0]}),), None, None, typed)
    records = [{"id": pid, "father": None if f in _NO_PARENT else f, "mother": None if m in _NO_PARENT else m,
                "sex": norm_sex[i]} for i, (pid, f, m, *_rest) in enumerate(rows)]
    try:
        ped = make_pedigree(records, source="families")
        ped.check_loop_free()
    except InputError as exc:
        return _Shape(tuple((0, p.field, p.message, None, p.code, dict(p.params)) for p in exc.problems), None, None,
                      typed)
    return _Shape((), ped, rows[missing_rows[0]][0], typed)


def write_families(path: str | os.PathLike, families: Mapping[str, FamilyRecord] | Iterable[FamilyRecord]) -> None:
    """Write families as ``families.csv``: one row per member, in each pedigree's member order,
    ``missing`` 1 for the missing member and 0 for the others."""
    records = families.values() if isinstance(families, Mapping) else families
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(FAMILY_COLUMNS)
        for rec in records:
            for p in rec.pedigree.persons.values():
                w.writerow((rec.family, p.id, p.father or "", p.mother or "", p.sex,
                            rec.samples.get(p.id, ""), "1" if p.id == rec.missing else "0"))
