"""What the lab-file readers and writers share: a sample's profile, the profiles CSV, atomic writes,
the text of a file and the markers Reunite knows."""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..errors import InputError, MarkerError, Problem
from ..genetics import Profile, bundled_tables, load_frequencies, parse_profile
from ..genetics.haplotype import HaplotypeError
from ..genetics.markers import AMELOGENIN, display_name, is_x_marker, marker_key
from ..genetics.ystr import load_y_rates, parse_y_haplotype, y_locus_key

__all__ = [
    "ConversionResult",
    "SampleProfile",
    "is_y_marker",
    "is_y_str",
    "known_marker",
    "read_profiles_csv",
    "read_text",
    "write_atomic",
    "write_profiles_csv",
    "y_allele_text",
]


@dataclass(frozen=True)
class SampleProfile:
    """One sample's profile as a lab file gives it: the sample code, its validated profile and, when
    the format has lines, the line of each marker (by marker key) for errors found later."""

    sample: str
    profile: Profile
    lines: Mapping[str, int] = field(default_factory=dict, compare=False)
    #: The sample's Y-STR haplotype as the store keeps it (``{locus key: "13,19"}``), when the file has one.
    y_haplotype: Mapping[str, str] | None = None
    #: The sample's mtDNA sequence as the store keeps it (``{"range": "16024-16365 73-340", "variants":
    #: "16223T 73G"}``), when the file has one.
    mt_sequence: Mapping[str, str] | None = None


@dataclass
class ConversionResult:
    """What a reader returns: the samples (or the case) and notes on what was left out or flagged."""

    samples: list[SampleProfile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The lab the file names as its source (CMF's ``SOURCELAB``), when it names one.
    source_lab: str | None = None


@lru_cache(maxsize=1)
def _bundled_keys() -> frozenset[str]:
    keys: set[str] = set()
    for name in bundled_tables():
        keys.update(load_frequencies(name).markers)
    return frozenset(keys)


def known_marker(key: str) -> bool:
    """True for Amelogenin, a marker of a bundled frequency table, or a known X-STR."""
    return key == AMELOGENIN or key in _bundled_keys() or is_x_marker(key)


def is_y_marker(key: str) -> bool:
    """True for a Y-chromosomal marker of the autosomal kits (``DYS…``, the Y indel)."""
    return key.startswith("DYS") or key in ("YINDEL", "YGATAH4", "Y_INDEL")


def is_y_str(name: str) -> bool:
    """True for a Y-STR locus name (``DYS…``, ``DYF…S…``, ``Y-GATA-…``, folded by
    :func:`reunite.genetics.ystr.y_locus_key`); the Y indel is not one."""
    try:
        y_locus_key(name)
    except HaplotypeError:
        return False
    return True


def y_allele_text(name: str, labels: Sequence[str]) -> str:
    """The alleles of one Y-STR locus as a haplotype value (``"13,19"``), from a lab file's cells.

    A multi-copy locus named as a whole (``DYS385``, not ``DYS385a``) with one allele called has that
    allele on every copy (one peak: ``13`` is ``13,13``, as databases write it); a single-copy locus
    written like a homozygote (``15``, ``15``) has one allele; two different alleles at a single-copy
    locus are a duplication and are kept, as are more identical alleles than the locus has copies
    (``5,5,5`` at DYS385: a duplication of one length)."""
    labels = [x.strip() for x in labels if x and x.strip()]
    if not labels:
        return ""
    key = y_locus_key(name)
    copies = load_y_rates().copies.get(key, 1)
    whole = not re.fullmatch(r".*\d[AB]", re.sub(r"[\s_\-.]", "", str(name)).upper())   # not DYS385a
    if len(set(labels)) == 1 and labels[0].lower() not in ("null", "0"):
        # More identical labels than the locus has copies (5,5,5 at DYS385) is a duplication: kept.
        n = copies if whole and copies > 1 else 1
        return ",".join([labels[0]] * (n if len(labels) <= max(n, 2) else len(labels)))
    return ",".join(labels)


def read_text(path: str | os.PathLike, source: str) -> str:
    """A lab file's text: UTF-8 (with or without a byte-order mark), else GB18030 (Chinese Windows)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(Problem(f"cannot read the file: {exc.strerror}", file=source, code="unreadable")) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise InputError(Problem("the file is neither UTF-8 nor GB18030 text", file=source,
                                         code="not_utf8_gb18030")) from None
    if "\x00" in text:
        raise InputError(_nul_problems(text, source))
    return text


#: A NUL character in a lab file (the value is never repeated: it may be a name).  PostgreSQL cannot
#: store one, and no sample name, marker or allele holds one.
NUL_MESSAGE = "contains a NUL character (byte 0), which no field may hold; remove it and import the file again"


def _nul_problems(text: str, source: str) -> list[Problem]:
    """One problem per line holding a NUL: the line and, in a table (tab- or comma-separated, its first
    line the header), the column's name."""
    lines = text.splitlines()
    table = not text.lstrip().startswith("<")   # (an XML file, CMF, has lines but no columns)
    head = lines[0] if lines else ""
    sep = "\t" if "\t" in head else ","
    header = next(csv.reader([head.replace("\x00", "")], delimiter=sep), [])
    problems = []
    for n, line in enumerate(lines, start=1):
        if "\x00" not in line:
            continue
        cells = next(csv.reader([line.replace("\x00", "\x01")], delimiter=sep), [])
        i = next((k for k, c in enumerate(cells) if "\x01" in c), None)
        name = None if i is None or not table else (header[i] if i < len(header) and n > 1 else f"column {i + 1}")
        problems.append(Problem(NUL_MESSAGE, file=source, line=n, field=name, code="nul"))
    return problems


def write_atomic(path: str | os.PathLike, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8, or bytes) to ``path`` all at once: a temporary file in the same
    folder, renamed, so that a failure leaves nothing."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def profiles_csv_text(samples: Iterable[SampleProfile]) -> str:
    """The profiles CSV of docs/formats.md: ``sample,marker,allele1,allele2``, one row per marker,
    a homozygote's allele repeated, Amelogenin after the autosomal markers, then the Y-STR loci (all of
    a locus's alleles in ``allele1``, e.g. ``13,19``)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["sample", "marker", "allele1", "allele2"])
    for s in samples:
        for key, (a, b) in s.profile.genotypes.items():
            w.writerow([s.sample, display_name(key), a, b])
        if s.profile.amelogenin is not None:
            a, b = s.profile.amelogenin
            w.writerow([s.sample, display_name(AMELOGENIN), a, b])
        for locus, value in (s.y_haplotype or {}).items():
            w.writerow([s.sample, locus, value, ""])
    return buf.getvalue()


def write_profiles_csv(samples: Iterable[SampleProfile], path: str | os.PathLike) -> int:
    """Write the samples as Reunite's profiles CSV (atomically); return the number of rows."""
    text = profiles_csv_text(samples)
    write_atomic(path, text)
    return text.count("\n") - 1


_PROFILE_COLUMNS = ("sample", "marker", "allele1", "allele2")


def read_profiles_csv(path: str | os.PathLike) -> list[SampleProfile]:
    """Read Reunite's profiles CSV (docs/formats.md) into samples, in order of first appearance.

    Extra columns are ignored (as the store's reader does).  Every problem is reported at once."""
    source = str(path)
    rows = list(csv.reader(io.StringIO(read_text(path, source))))
    if not rows:
        raise InputError(Problem("the file is empty; expected the header sample,marker,allele1,allele2",
                                 file=source, code="empty_header", params={"header": "sample,marker,allele1,allele2"}))
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in _PROFILE_COLUMNS if c not in header]
    if missing:
        raise InputError(Problem(f"the header lacks column(s) {', '.join(missing)}", file=source, line=1,
                                 code="header_lacks", params={"columns": ", ".join(missing),
                                                              "header": ",".join(_PROFILE_COLUMNS)}))
    col = {c: header.index(c) for c in _PROFILE_COLUMNS}
    problems: list[Problem] = []
    data: dict[str, dict[str, list[str]]] = {}
    ys: dict[str, dict[str, str]] = {}
    seen: dict[tuple[str, str], int] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        cell = {c: (row[i].strip() if i < len(row) else "") for c, i in col.items()}
        if not cell["sample"]:
            problems.append(Problem("the sample id is empty", file=source, line=n, field="sample", code="sample_empty"))
            continue
        if is_y_str(cell["marker"]):   # a Y-STR row: the sample's haplotype (docs/formats.md)
            try:
                key = y_locus_key(cell["marker"])
                value = y_allele_text(cell["marker"], [x for x in re.split(r"[,/;]\s*|\s+", cell["allele1"])
                                                       if x] + ([cell["allele2"]] if cell["allele2"] else []))
                parse_y_haplotype({key: value}, source=source)
            except HaplotypeError as exc:
                problems.extend(Problem(f"sample {cell['sample']!r}: {p.message}", file=source, line=n,
                                        field="allele1") for p in exc.problems)
                continue
            ys.setdefault(cell["sample"], {})[key] = value
            data.setdefault(cell["sample"], {})
            continue
        try:
            key = marker_key(cell["marker"])
        except MarkerError:
            problems.append(Problem("the marker name is empty", file=source, line=n, field="marker",
                                    code="marker_empty"))
            continue
        if (cell["sample"], key) in seen:
            problems.append(Problem(f"sample {cell['sample']!r}: marker {cell['marker']} is also on line "
                                    f"{seen[cell['sample'], key]}; more than two alleles suggests a mixture",
                                    file=source, line=n, field="marker", code="marker_twice",
                                    params={"sample": cell["sample"], "marker": cell["marker"],
                                            "other": seen[cell["sample"], key]}))
            continue
        seen[cell["sample"], key] = n
        if not cell["allele1"]:
            problems.append(Problem("allele1 is empty", file=source, line=n, field="allele1", code="allele1_empty"))
            continue
        alleles = [cell["allele1"], cell["allele2"] or cell["allele1"]]
        try:
            parse_profile({cell["marker"]: alleles})
        except MarkerError as exc:
            problems.extend(p.where(message=f"sample {cell['sample']!r}: {p.message}", file=source, line=n,
                                    field="allele1", sample=cell["sample"]) for p in exc.problems)
            continue
        data.setdefault(cell["sample"], {})[cell["marker"]] = alleles
    if problems:
        raise InputError(problems)
    return [SampleProfile(s, parse_profile(g, source=source), y_haplotype=ys.get(s)) for s, g in data.items()]


def profile_from_alleles(data: Mapping[str, Sequence[str]], source: str) -> Profile:
    """A validated profile from ``{marker name: alleles}`` already checked by the caller."""
    return parse_profile(data, source=source)
