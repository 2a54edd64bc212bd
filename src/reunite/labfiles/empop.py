"""mtDNA haplotypes as labs exchange them with EMPOP: the ``.emp`` table (tab-separated text), read as
each sample's mtDNA sequence (the differences to the rCRS in EMPOP notation, and the range sequenced).

The layout followed is the one EMPOP asks of a data submission (empop.org, "Contribute", step 1, and
its example file ``AUT273_spec.txt`` of github.com/gmitirol/empophub): a tab-delimited text file whose
first two lines give the study's title and contact and the samples' geographic background; lines
beginning with ``#`` are comments; a line beginning with ``#!`` gives a sequence range (``#! 16024-576``,
or several ranges separated by spaces) that applies to every haplotype below it until the next range
line; each haplotype line has the columns A the sample, B the haplogroup (``?`` when unknown), C the
number of individuals (1) and from D on the variants relative to the rCRS, one per column::

    Reunite example: two reference samples  analyst@example.org
    China, Yunnan
    #! 16024-16365 73-340
    R1-M1   D4      1   16223T  16362C  73G  263G  315.1C
    R1-B1   ?       1   16223T  16362C  73G  263G  309.1C  315.1C

A range that runs through the origin (``16024-576``, the whole control region) is read as
``16024-16569 1-576``.  Variants in EMPOP notation as :func:`reunite.genetics.mtdna.parse_mt_sequence`
reads them (``16223T``, ``309.1C``, ``249DEL``, ``16189Y``); a variant outside the row's range is an error.

Also read, for labs that keep one row per sample with its range: a table whose header names the
columns ``sample``, ``range`` and ``haplotype`` (tab- or comma-separated; the haplotype's variants
separated by spaces; an empty range is HVS-I and HVS-II, 16024-16365 73-340, with a note).

Every problem names the file, the line, the field and the sample; nothing is returned unless the whole
file is good.  The haplogroup is not kept (Reunite compares sequences, not haplogroups).

:func:`emp_text` / :func:`write_emp` write the same table back: a title line, a geography line, then the
samples grouped by range, each group under its ``#!`` line, haplogroup ``?`` (not kept), count 1 and the
variants in EMPOP notation (a deletion, which Reunite stores as ``249d``, as EMPOP's ``249DEL``).
"""

from __future__ import annotations

import csv
import io
import os
import re

from ..errors import InputError, Problem
from ..genetics.haplotype import HaplotypeError
from ..genetics.mtdna import RCRS_LENGTH, parse_mt_sequence
from ._common import ConversionResult, SampleProfile, profile_from_alleles, read_text, write_atomic

__all__ = ["emp_text", "read_emp", "write_emp"]

_SAMPLE_HEADERS = ("sample", "sample name", "sample id", "sampleid")
_HAPLOTYPE_HEADERS = ("haplotype", "variants", "mt_variants")
#: The codes of :func:`reunite.genetics.mtdna.parse_mt_sequence`'s problems said apart (with the sample).
_VARIANT_CODES = {"mt_variant_outside_range": "mt_variants_outside", "mt_position_twice": "mt_variants_twice"}


def _range_text(text: str) -> str:
    """EMPOP's ranges, those through the origin (``16024-576``) split in two (``16024-16569 1-576``)."""
    out = []
    for part in re.split(r"[\s;,]+", text.strip()):
        m = re.fullmatch(r"(\d{1,5})-(\d{1,5})", part)
        if m and int(m.group(1)) > int(m.group(2)):
            out += [f"{m.group(1)}-{RCRS_LENGTH}", f"1-{m.group(2)}"]
        elif part:
            out.append(part)
    return " ".join(out)


def _check_range(text: str, source: str, line: int, problems: list[Problem], sample: str | None = None) -> str | None:
    """The range as Reunite writes it, or None with the problems added."""
    try:
        return parse_mt_sequence([], _range_text(text), source=source).as_dict()["range"]
    except HaplotypeError as exc:
        who = f"sample {sample!r}: " if sample else ""
        params = {"sample": sample} if sample else {}
        problems.extend(Problem(f"{who}{p.message}", file=source, line=line, field="range",
                                code="mt_range", params=params) for p in exc.problems)
        return None


def read_emp(path: str | os.PathLike) -> ConversionResult:
    """Read an EMPOP ``.emp`` file (or a sample/range/haplotype table) into samples whose
    ``mt_sequence`` is set (all-or-nothing; see the module docstring)."""
    source = str(path)
    text = read_text(path, source)
    lines = text.splitlines()
    first = next(((n, ln) for n, ln in enumerate(lines, start=1) if ln.strip() and not ln.lstrip().startswith("#")),
                 None)
    if first is None and not any(ln.lstrip().startswith("#!") for ln in lines):
        raise InputError(Problem("the file holds no haplotype; expected EMPOP's table (a '#!' range line, then "
                                 "one line per sample: sample, haplogroup, 1, the variants)", file=source,
                                 code="mt_empty"))
    if first is not None:
        sep = "\t" if "\t" in first[1] else ","
        head = [c.strip().lower() for c in next(csv.reader([first[1]], delimiter=sep))]
        if head and head[0] in _SAMPLE_HEADERS and any(h in _HAPLOTYPE_HEADERS for h in head):
            return _read_table(lines, first[0], sep, head, source)
    return _read_emp_lines(lines, source)


def _add(out: dict, where: dict, sample: str, variants: list[str], rng: str, line: int, source: str,
         problems: list[Problem], field: str) -> None:
    if sample in where:
        problems.append(Problem(f"sample {sample!r} is also on line {where[sample]}; give each sample once",
                                file=source, line=line, field="sample", code="mt_sample_twice",
                                params={"sample": sample, "other": where[sample]}))
        return
    where[sample] = line
    try:
        seq = parse_mt_sequence(variants, rng, source=source)
    except HaplotypeError as exc:
        problems.extend(Problem(f"sample {sample!r}: {p.message}", file=source, line=line, field=field,
                                code=_VARIANT_CODES.get(p.code or "", "mt_variants"), params={"sample": sample})
                        for p in exc.problems)
        return
    out[sample] = seq.as_dict()


def _result(out: dict, where: dict, problems: list[Problem], notes: list[str]) -> ConversionResult:
    if problems:
        raise InputError(sorted(problems, key=lambda p: p.line or 0))
    samples = [SampleProfile(s, profile_from_alleles({}, "mtDNA"), lines={"mtDNA": where[s]}, mt_sequence=seq)
               for s, seq in out.items()]
    notes.insert(0, f"mtDNA sequence read for {len(samples)} sample(s)")
    return ConversionResult(samples=samples, notes=notes)


def _read_emp_lines(lines: list[str], source: str) -> ConversionResult:
    problems: list[Problem] = []
    out: dict[str, dict[str, str]] = {}
    where: dict[str, int] = {}
    rng: str | None = None
    seen_range = False
    for n, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#!"):
            seen_range = True
            rng = _check_range(line[2:], source, n, problems)
            if rng is not None and not line[2:].strip():
                rng = None
                problems.append(Problem("the range line gives no range (e.g. #! 16024-16365 73-340)", file=source,
                                        line=n, field="range", code="mt_range", params={}))
            continue
        if line.startswith("#"):
            continue
        cells = [c.strip() for c in (raw.split("\t") if "\t" in raw else raw.split())]
        if not seen_range:
            # The title and geography lines; a line shaped like a haplotype here lacks its range.
            if len(cells) >= 3 and re.fullmatch(r"\d+", cells[2]):
                problems.append(Problem("a haplotype line comes before any range line; put the range sequenced "
                                        "above it (#! 16024-16365 73-340)", file=source, line=n, field="range",
                                        code="mt_no_range", params={}))
            continue
        sample = cells[0]
        if not sample:
            problems.append(Problem("the sample (column A) is empty", file=source, line=n, field="sample",
                                    code="mt_sample_empty", params={}))
            continue
        if len(cells) < 3:
            problems.append(Problem(f"sample {sample!r}: a haplotype line has the columns sample, haplogroup (? if "
                                    f"unknown), 1, then the variants; this one has {len(cells)}", file=source, line=n,
                                    field="count", code="mt_row_short", params={"sample": sample}))
            continue
        if cells[2] != "1":
            problems.append(Problem(f"sample {sample!r}: column C is {cells[2]!r}; a lab's file has one line per "
                                    f"sample, with 1 in column C", file=source, line=n, field="count",
                                    code="mt_count", params={"sample": sample}))
            continue
        if rng is None:
            continue   # its range line was refused (named there)
        variants = [v for c in cells[3:] for v in c.split()]
        _add(out, where, sample, variants, rng, n, source, problems, "variants")
    if not out and not problems:
        raise InputError(Problem("the file holds no haplotype line", file=source, code="mt_empty"))
    return _result(out, where, problems, [])


def _read_table(lines: list[str], header_line: int, sep: str, head: list[str], source: str) -> ConversionResult:
    problems: list[Problem] = []
    out: dict[str, dict[str, str]] = {}
    where: dict[str, int] = {}
    col_h = next(head.index(h) for h in _HAPLOTYPE_HEADERS if h in head)
    col_r = head.index("range") if "range" in head else None
    field_h = head[col_h]
    defaulted = 0
    body = "\n".join(lines[header_line:])
    for n, row in enumerate(csv.reader(io.StringIO(body), delimiter=sep), start=header_line + 1):
        if not any(c.strip() for c in row) or row[0].lstrip().startswith("#"):
            continue
        cell = [c.strip() for c in row] + [""] * (len(head) - len(row))
        sample = cell[0]
        if not sample:
            problems.append(Problem("the sample is empty", file=source, line=n, field=head[0], code="mt_sample_empty",
                                    params={}))
            continue
        rng_text = cell[col_r] if col_r is not None else ""
        if not rng_text:
            defaulted += 1
            rng: str | None = "16024-16365 73-340"
        else:
            rng = _check_range(rng_text, source, n, problems, sample)
        if rng is None:
            where.setdefault(sample, n)
            continue
        _add(out, where, sample, cell[col_h].split(), rng, n, source, problems, field_h)
    if not out and not problems:
        raise InputError(Problem("the table holds no sample", file=source, code="mt_empty"))
    notes = ([f"{defaulted} sample(s) without a range read as HVS-I and HVS-II (16024-16365 73-340)"]
             if defaulted else [])
    return _result(out, where, problems, notes)


def emp_text(sequences: dict[str, dict[str, str]], *, title: str = "Reunite export",
             geography: str = "not stated") -> str:
    """The EMPOP table of ``{sample: {"range": ..., "variants": ...}}`` (as the store keeps an mtDNA
    sequence), samples grouped by range in the order given; :func:`read_emp` reads it back to the same
    sequences.  A sample code the table cannot hold (empty, with a tab or a line break, or beginning
    with ``#``) or a sequence that is not valid raises :class:`InputError` naming it, and nothing is
    returned."""
    problems: list[Problem] = []
    groups: dict[str, list[str]] = {}
    for sample, seq in sequences.items():
        if not sample.strip() or any(c in sample for c in "\t\r\n") or sample.lstrip().startswith("#"):
            problems.append(Problem(f"sample code {sample!r} cannot be written in an EMPOP table (empty, a tab or "
                                    "a line break in it, or beginning with #)", field="sample",
                                    code="mt_sample_unwritable", params={"sample": sample}))
            continue
        try:
            parsed = parse_mt_sequence(str(seq.get("variants") or "").split(), str(seq.get("range") or ""),
                                       source=f"sample {sample}").as_dict()
        except HaplotypeError as exc:
            problems.extend(Problem(f"sample {sample!r}: {p.message}", field="variants", code="mt_variants",
                                    params={"sample": sample}) for p in exc.problems)
            continue
        line = "\t".join([sample.strip(), "?", "1", *(re.sub(r"^(\d+(?:\.\d+)?)d$", r"\1DEL", v)
                                                      for v in parsed["variants"].split())])
        groups.setdefault(parsed["range"], []).append(line)
    if problems:
        raise InputError(problems)
    # (each header line holds one tab, so that it reads as two cells, never as a haplotype line)
    clean = [" ".join(str(v).split()) or "-" for v in (title, geography)]
    out = [f"{clean[0]}\tReunite", f"{clean[1]}\t",
           "# one line per sample: sample, haplogroup (? not kept), 1, the variants to the rCRS"]
    for rng, lines in groups.items():
        out.append(f"#! {rng}")
        out.extend(lines)
    return "\n".join(out) + "\n"


def write_emp(sequences: dict[str, dict[str, str]], path: str | os.PathLike, **kw) -> int:
    """Write :func:`emp_text` to ``path`` (atomically); return the number of samples."""
    write_atomic(path, emp_text(sequences, **kw))
    return len(sequences)
