"""GeneMapper ID-X "Genotypes Table" exports (tab-separated text) read as profiles.

The layout followed is the one the GeneMapper software exports and that the R package polysat
documents for ``read.GeneMapper`` (a header row; one row per sample and marker; columns "Sample
Name", "Marker" and "Allele 1" … "Allele n", empty cells where fewer alleles were called), with
the further columns an ID-X Genotypes table carries: "Sample File", "Panel", "Dye", "Size n",
"Height n", "Peak Area n" and the process quality values.  What the reader does:

- the marker column is "Marker" or "Marker Name"; names are folded with
  :func:`~reunite.genetics.markers.marker_key` (``VWA``/``vWA``, ``TH01``/``THO1``, ``AMEL``);
- "Allele 1…n" give the called alleles; a homozygote may be given once (``15`` and an empty
  "Allele 2"); no allele at all means the marker was not called (left out, counted in a note);
- Amelogenin takes ``X``/``Y``; it is kept for the sex check, never used in an LR;
- more than two alleles at a marker of one sample: the sample is refused as a possible mixture or
  contamination (the whole file is refused);
- ``OL`` (off-ladder) alleles are **refused** with a named error: an off-ladder peak must be
  resolved (re-analysed, or designated as a microvariant) in GeneMapper before export;
- quality flags: a column named "AQ", "SQ", "GQ", "Sample Quality", "Allele Quality" or "Genotype
  Quality" holding ``Low Quality``/``Fail``/``LQ`` refuses the row; ``Check`` is noted; numbers
  and ``Pass`` are accepted;
- Y-STR loci (``DYS…``, ``DYF…S…``, ``Y-GATA-…``: a Yfiler Plus table, or ``DYS391`` of an autosomal
  kit) are read as the sample's Y-STR haplotype (``SampleProfile.y_haplotype``, checked by
  :func:`reunite.genetics.ystr.parse_y_haplotype`: up to four alleles at a multi-copy locus such as
  ``DYS385``; one peak at a multi-copy locus is that allele on both copies; two alleles at a
  single-copy locus are a duplication); the Y indel is left out with a note; any other marker
  Reunite does not know is an error, unless ``skip_unknown_markers``;
- "Size", "Height", "Dye" and every other column are ignored.

Every problem names the file, the line, the column and the sample and marker; nothing is returned
unless the whole file is good.
"""

from __future__ import annotations

import csv
import io
import os
import re

from ..errors import InputError, MarkerError, Problem
from ..genetics.haplotype import HaplotypeError
from ..genetics.markers import AMELOGENIN, marker_key, validate_allele
from ..genetics.ystr import parse_y_haplotype, y_locus_key
from ._common import (
    ConversionResult,
    SampleProfile,
    is_y_marker,
    is_y_str,
    known_marker,
    profile_from_alleles,
    read_text,
    y_allele_text,
)

__all__ = ["QUALITY_COLUMNS", "read_genemapper"]

_ALLELE_RE = re.compile(r"^allele\s*(\d+)$", re.IGNORECASE)
#: Headers (lower case) read as quality flags.
QUALITY_COLUMNS = ("aq", "sq", "gq", "sample quality", "allele quality", "genotype quality")
_FAIL = {"low quality", "fail", "failed", "lq"}
_CHECK = {"check"}
_OFF_LADDER = re.compile(r"^(ol|off[\s-]?ladder|\?|[<>]\s*\d.*)$", re.IGNORECASE)


def read_genemapper(path: str | os.PathLike, *, skip_unknown_markers: bool = False) -> ConversionResult:
    """Read a GeneMapper ID-X Genotypes table into profiles (all-or-nothing).

    Raises :class:`~reunite.errors.InputError` with every problem found (file, line, column,
    sample, marker); returns the samples in order of first appearance and notes."""
    source = str(path)
    text = read_text(path, source)
    rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
    start = next((i for i, r in enumerate(rows) if any(c.strip() for c in r)), None)
    if start is None:
        raise InputError(Problem("the file is empty; expected a GeneMapper Genotypes table", file=source,
                                 code="genemapper_empty"))
    header = [h.strip() for h in rows[start]]
    lower = [h.lower() for h in header]
    hline = start + 1
    problems: list[Problem] = []
    dup = sorted({h for h in header if h and lower.count(h.lower()) > 1})
    if dup:
        problems.append(Problem(f"column(s) {', '.join(map(repr, dup))} appear twice", file=source, line=hline,
                                code="columns_twice", params={"columns": ", ".join(dup)}))
    sample_col = lower.index("sample name") if "sample name" in lower else None
    marker_col = next((lower.index(c) for c in ("marker", "marker name") if c in lower), None)
    allele_cols = sorted(((int(m.group(1)), i) for i, h in enumerate(header) if (m := _ALLELE_RE.match(h))))
    if sample_col is None:
        problems.append(Problem("the header has no 'Sample Name' column; is this a GeneMapper Genotypes "
                                "table (tab-separated)?", file=source, line=hline, code="header_no_column",
                                params={"column": "Sample Name"}))
    if marker_col is None:
        problems.append(Problem("the header has no 'Marker' (or 'Marker Name') column", file=source, line=hline,
                                code="header_no_column", params={"column": "Marker"}))
    if not allele_cols:
        problems.append(Problem("the header has no 'Allele 1' column", file=source, line=hline,
                                code="header_no_column", params={"column": "Allele 1"}))
    if problems:
        raise InputError(problems)
    quality_cols = [(header[i], i) for i, h in enumerate(lower) if h in QUALITY_COLUMNS]

    notes: list[str] = []
    data: dict[str, dict[str, list[str]]] = {}
    where: dict[tuple[str, str], int] = {}
    uncalled = 0
    y_left: set[str] = set()
    unknown_left: set[str] = set()
    checks: list[str] = []
    y_data: dict[str, dict[str, list[str]]] = {}
    y_where: dict[tuple[str, str], int] = {}
    for n, row in enumerate(rows[start + 1:], start=hline + 1):
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(header) and any(c.strip() for c in row[len(header):]):
            problems.append(Problem(f"the row has {len(row)} cells but the header {len(header)}; is a "
                                    f"tab missing in the header or a name holding a tab?", file=source, line=n,
                                    code="row_cells", params={"n": len(row), "header": len(header)}))
            continue
        cell = [c.strip() for c in row] + [""] * (len(header) - len(row))
        sample, marker = cell[sample_col], cell[marker_col]
        if not sample:
            problems.append(Problem("the sample name is empty", file=source, line=n, field=header[sample_col],
                                    code="sample_empty"))
            continue
        if not marker:
            problems.append(Problem(f"sample {sample!r}: the marker name is empty", file=source, line=n,
                                    field=header[marker_col], code="marker_empty", params={"sample": sample}))
            continue
        what = f"sample {sample!r}, marker {marker}"
        try:
            key = marker_key(marker)
        except MarkerError:  # pragma: no cover - an empty name is caught above
            continue
        bad_quality = False
        for qname, qi in quality_cols:
            v = cell[qi].lower()
            if v in _FAIL:
                problems.append(Problem(f"{what}: quality flag {qname} is {cell[qi]!r}; review the call in "
                                        f"GeneMapper (Reunite imports calls that pass or are checked)",
                                        file=source, line=n, field=qname, code="quality_flag",
                                        params={"sample": sample, "marker": marker, "flag": qname}))
                bad_quality = True
            elif v in _CHECK:
                checks.append(f"line {n} ({what}, {qname})")
        if bad_quality:
            continue
        if is_y_str(marker):
            _read_y(sample, marker, [(header[i], cell[i]) for _, i in allele_cols if cell[i]], n, source,
                    y_data, y_where, problems)
            continue
        if is_y_marker(key):
            y_left.add(marker)
            continue
        if not known_marker(key):
            if skip_unknown_markers:
                unknown_left.add(marker)
                continue
            problems.append(Problem(f"{what}: marker {marker!r} is not a marker Reunite knows (not in a "
                                    f"bundled frequency table); check its spelling, or skip unknown markers",
                                    file=source, line=n, field=header[marker_col], code="marker_unknown",
                                    params={"sample": sample, "marker": marker}))
            continue
        if (sample, key) in where:
            problems.append(Problem(f"{what}: the marker is also on line {where[sample, key]} for this sample; "
                                    f"give each marker once (alleles from two rows could be a mixture)",
                                    file=source, line=n, field=header[marker_col], code="marker_twice",
                                    params={"sample": sample, "marker": marker, "other": where[sample, key]}))
            continue
        where[sample, key] = n
        alleles: list[tuple[str, str]] = [(header[i], cell[i]) for _, i in allele_cols if cell[i]]
        row_ok = True
        labels: list[str] = []
        for col, a in alleles:
            if _OFF_LADDER.match(a):
                problems.append(Problem(f"{what}: allele {a!r} is off-ladder (OL); resolve it in GeneMapper "
                                        f"(re-analyse, or call the microvariant) before export",
                                        file=source, line=n, field=col, code="off_ladder",
                                        params={"sample": sample, "marker": marker}))
                row_ok = False
                continue
            try:
                labels.append(validate_allele(marker, a))
            except MarkerError as exc:
                problems.extend(p.where(message=f"sample {sample!r}: {p.message}", file=source, line=n, field=col,
                                        sample=sample) for p in exc.problems)
                row_ok = False
        if not row_ok:
            continue
        distinct = list(dict.fromkeys(labels))
        if len(distinct) > 2:
            kind = "Amelogenin shows more than X and Y" if key == AMELOGENIN else (
                f"{len(distinct)} different alleles at one marker")
            problems.append(Problem(f"{what}: {kind}; a single person has at most two alleles: a possible "
                                    f"mixture or contamination, so the sample is refused",
                                    file=source, line=n, field=alleles[2][0], code="mixture",
                                    params={"sample": sample, "marker": marker, "n": len(distinct)}))
            continue
        if not distinct:
            uncalled += 1
            continue
        pair = distinct * 2 if len(distinct) == 1 else distinct
        data.setdefault(sample, {})[marker] = pair
    if problems:
        raise InputError(problems)
    if not data and not y_data:
        raise InputError(Problem("the table holds no called alleles", file=source, code="no_alleles"))
    lines: dict[str, dict[str, int]] = {}
    for (s, key), n in where.items():
        lines.setdefault(s, {})[key] = n
    for (s, key), n in y_where.items():
        lines.setdefault(s, {})[f"Y:{key}"] = n
    order = sorted(set(data) | set(y_data), key=lambda x: min(lines[x].values()))   # first appearance
    samples = [SampleProfile(s, profile_from_alleles(data.get(s, {}), source), lines.get(s, {}),
                             {k: ",".join(v) for k, v in y_data[s].items()} if s in y_data else None)
               for s in order]
    if y_data:
        loci = sorted({k for h in y_data.values() for k in h})
        notes.append(f"Y-STR haplotype read for {len(y_data)} sample(s) at {len(loci)} locus/loci: {', '.join(loci)}")
    if y_left:
        notes.append(f"Y-chromosomal marker(s) that are not STRs left out: {', '.join(sorted(y_left))}")
    if unknown_left:
        notes.append(f"marker(s) Reunite does not know left out: {', '.join(sorted(unknown_left))}")
    if uncalled:
        notes.append(f"{uncalled} sample-marker row(s) with no allele called (untyped)")
    if checks:
        notes.append("flagged 'Check' (imported; review them): " + "; ".join(checks))
    return ConversionResult(samples=samples, notes=notes)


def _read_y(sample: str, marker: str, alleles: list[tuple[str, str]], n: int, source: str,
            y_data: dict[str, dict[str, list[str]]], y_where: dict[tuple[str, str], int],
            problems: list[Problem]) -> None:
    """One row of a Y-STR locus into the sample's haplotype (``DYS385a``/``DYS385b`` rows join one locus)."""
    what = f"sample {sample!r}, marker {marker}"
    key = y_locus_key(marker)
    for col, a in alleles:
        if _OFF_LADDER.match(a):
            problems.append(Problem(f"{what}: allele {a!r} is off-ladder (OL); resolve it in GeneMapper "
                                    f"(re-analyse, or call the microvariant) before export",
                                    file=source, line=n, field=col))
            return
    labels = [a for _c, a in alleles]
    if not labels:
        return   # not called: untyped
    whole_name = key == marker.replace(" ", "").replace("-", "").upper()
    if (sample, key) in y_where and (whole_name or (sample, marker.upper()) in y_where):
        problems.append(Problem(f"{what}: the locus is also on line {y_where[sample, key]} for this sample; "
                                f"give each locus once", file=source, line=n, field=alleles[0][0]))
        return
    try:
        value = y_allele_text(marker, labels)
        parse_y_haplotype({key: ",".join([*y_data.get(sample, {}).get(key, []), value])}, source=source)
    except HaplotypeError as exc:
        problems.extend(Problem(f"sample {sample!r}: {p.message}", file=source, line=n, field=alleles[0][0])
                        for p in exc.problems)
        return
    y_where.setdefault((sample, key), n)
    y_where[sample, marker.upper()] = n
    y_data.setdefault(sample, {}).setdefault(key, []).extend(value.split(","))
