"""Allele frequency tables.

A table maps each marker (by its folded key, see :func:`~reunite.genetics.markers.marker_key`)
to its alleles in the table's order and their frequencies.  Frequencies are used exactly as
given: nothing is renormalised.  A marker whose frequencies do not sum to 1 after rounding to
three decimals (``round(sum, 3) == 1``, ../shared/KINSHIP.md) is an error naming the marker and
the sum.

Each marker is autosomal (``"A"``) or X-chromosomal (``"X"``): from an optional CSV column
``chromosome`` (``X``, or ``A``/empty for autosomal) or, without that column, from the list of known
X-STRs (:func:`~reunite.genetics.markers.is_x_marker`: Investigator Argus X-12, AGCU X19, ...).
An inline table ``{marker: {allele: frequency}}`` uses the list.

An allele seen in a profile but absent from the table is added by :meth:`FrequencyTable.with_alleles`
at a frequency ``f`` (default :data:`DEFAULT_NEW_ALLELE_FREQ` = 0.001), the frequencies already
there multiplied by ``1 - f``, one allele at a time in sorted order: forrel's
``addAllele(adjust = "previous")``.  The result lists what was added.

The bundled tables are real published tables shipped inside the package (``reunite/data/
frequencies``, sources in its README) and are named by file stem, e.g. ``nist1036_us_asian``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import FrequencyError, Problem
from .markers import allele_sort_key, display_name, is_x_marker, marker_key, validate_allele

__all__ = [
    "CHROMOSOMES",
    "DEFAULT_NEW_ALLELE_FREQ",
    "SUM_DECIMALS",
    "SUM_TOLERANCE",
    "FrequencyTable",
    "MarkerFrequencies",
    "bundled_tables",
    "load_frequencies",
]

DEFAULT_NEW_ALLELE_FREQ = 0.001
#: A marker's frequencies must sum to 1 after rounding to this many decimals (forrel's rule).
SUM_DECIMALS = 3
#: For reference only: the rule is ``round(sum, SUM_DECIMALS) == 1``, i.e. a sum within about
#: this of 1.
SUM_TOLERANCE = 0.0005
#: The values of a table's ``chromosome`` column: autosomal or X-chromosomal.
CHROMOSOMES = ("A", "X")


@dataclass(frozen=True)
class MarkerFrequencies:
    """One marker's alleles (table order) and frequencies; ``added`` lists alleles added here;
    ``chromosome`` is ``"A"`` (autosomal) or ``"X"`` (X-chromosomal: males are hemizygous)."""

    name: str
    alleles: tuple[str, ...]
    freqs: np.ndarray
    added: tuple[str, ...] = ()
    chromosome: str = "A"

    @property
    def is_x(self) -> bool:
        """True for an X-chromosomal marker."""
        return self.chromosome == "X"

    def __post_init__(self):
        self.freqs.setflags(write=False)

    def index(self, allele: str) -> int:
        return self._index[allele]

    @property
    def _index(self) -> dict[str, int]:
        idx = self.__dict__.get("_idx")
        if idx is None:
            idx = {a: i for i, a in enumerate(self.alleles)}
            object.__setattr__(self, "_idx", idx)
        return idx

    def __contains__(self, allele: str) -> bool:
        return allele in self._index

    def with_alleles(self, alleles: Iterable[str], freq: float) -> MarkerFrequencies:
        """A copy with the given unknown alleles added (forrel's ``adjust = "previous"``)."""
        new = sorted({a for a in alleles if a not in self}, key=allele_sort_key)
        if not new:
            return self
        labels = list(self.alleles)
        fr = self.freqs.astype(float).copy()
        for a in new:
            fr = np.append(fr * (1.0 - freq), freq)
            labels.append(a)
        return MarkerFrequencies(self.name, tuple(labels), fr, self.added + tuple(new), self.chromosome)


@dataclass(frozen=True)
class FrequencyTable:
    """Allele frequencies per marker, keyed by folded marker name."""

    name: str
    markers: Mapping[str, MarkerFrequencies]
    source: str = ""
    added: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __contains__(self, marker: str) -> bool:
        return marker_key(marker) in self.markers

    def __getitem__(self, marker: str) -> MarkerFrequencies:
        return self.markers[marker_key(marker)]

    def marker_names(self) -> list[str]:
        return [m.name for m in self.markers.values()]

    def with_alleles(
        self, observed: Mapping[str, Iterable[str]], freq: float = DEFAULT_NEW_ALLELE_FREQ
    ) -> FrequencyTable:
        """A table in which every observed allele of every known marker exists.

        ``observed`` maps marker keys to allele labels.  Unknown markers are left alone (the
        caller decides whether they are an error).  ``added`` of the result says which
        alleles were added, per marker.
        """
        if not (0.0 < freq < 1.0):
            raise FrequencyError(f"the frequency for added alleles must be in (0, 1), got {freq}")
        markers = dict(self.markers)
        added = dict(self.added)
        for key, alleles in observed.items():
            mf = markers.get(key)
            if mf is None:
                continue
            new = mf.with_alleles(alleles, freq)
            if new is not mf:
                markers[key] = new
                added[key] = new.added
        if len(added) == len(self.added):
            return self
        return FrequencyTable(self.name, markers, self.source, added)

    def summary(self) -> list[dict]:
        return [
            {"marker": m.name, "alleles": len(m.alleles), "sum": float(np.sum(m.freqs)),
             "chromosome": m.chromosome}
            for m in self.markers.values()
        ]

    def x_markers(self) -> list[str]:
        """Keys of the X-chromosomal markers, in table order."""
        return [k for k, m in self.markers.items() if m.chromosome == "X"]

    def autosomal(self) -> FrequencyTable:
        """The table without its X-chromosomal markers (itself if it has none)."""
        if not self.x_markers():
            return self
        keep = {k: m for k, m in self.markers.items() if m.chromosome != "X"}
        return FrequencyTable(self.name, keep, self.source,
                              {k: v for k, v in self.added.items() if k in keep})


def _build(name: str, rows: Iterable[tuple], *, source: str) -> FrequencyTable:
    """Validate (line, marker, allele, frequency[, chromosome]) rows into a table, collecting all
    problems.  Without a chromosome (None or no fifth item) a marker is X if it is a known X-STR."""
    problems: list[Problem] = []
    alleles: dict[str, list[str]] = {}
    freqs: dict[str, list[float]] = {}
    names: dict[str, str] = {}
    chroms: dict[str, str] = {}
    for row in rows:
        line, marker, allele, freq = row[:4]
        chrom_raw = row[4] if len(row) > 4 else None
        try:
            key = marker_key(marker)
        except Exception as exc:
            problems.append(Problem(str(exc), file=source, line=line, field="marker"))
            continue
        if chrom_raw is None:
            chrom = "X" if is_x_marker(key) else "A"
        else:
            text = str(chrom_raw).strip().upper()
            chrom = {"": "A", "A": "A", "X": "X"}.get(text)
            if chrom is None:
                problems.append(Problem(
                    f"marker {marker}: chromosome {str(chrom_raw).strip()!r} is not X or A (empty "
                    f"means autosomal)", file=source, line=line, field="chromosome"))
                continue
        if chroms.setdefault(key, chrom) != chrom:
            problems.append(Problem(
                f"marker {marker}: chromosome {chrom} here but {chroms[key]} on an earlier line; give "
                f"one chromosome per marker", file=source, line=line, field="chromosome"))
            continue
        try:
            label = validate_allele(str(marker), allele)
        except Exception as exc:
            problems.append(Problem(str(exc), file=source, line=line, field="allele"))
            continue
        try:
            value = float(freq) if not isinstance(freq, bool) else math.nan
        except (TypeError, ValueError):
            value = math.nan
        if not (math.isfinite(value) and 0.0 < value <= 1.0):
            problems.append(Problem(
                f"marker {marker}, allele {label}: frequency {freq!r} is not a number in (0, 1]",
                file=source, line=line, field="frequency"))
            continue
        names.setdefault(key, str(marker))
        al = alleles.setdefault(key, [])
        if label in al:
            problems.append(Problem(f"marker {marker}: allele {label} is listed twice",
                                    file=source, line=line, field="allele"))
            continue
        al.append(label)
        freqs.setdefault(key, []).append(value)
    for key, fr in freqs.items():
        total = math.fsum(fr)
        if round(total, SUM_DECIMALS) != 1.0:
            problems.append(Problem(
                f"marker {names[key]}: frequencies sum to {total:.6g}, not 1 (a table is accepted "
                f"when each marker's sum rounds to 1 at {SUM_DECIMALS} decimals); fix the table "
                f"(frequencies are used as given, never renormalised)", file=source,
                field="frequency"))
    if not alleles and not problems:
        problems.append(Problem("the table holds no markers", file=source))
    if problems:
        raise FrequencyError(problems)
    markers = {
        k: MarkerFrequencies(names[k], tuple(alleles[k]), np.array(freqs[k], dtype=float),
                             chromosome=chroms[k])
        for k in alleles
    }
    return FrequencyTable(name, markers, source)


def _read_csv(path: Path | str, text: str | None = None, *, name: str) -> FrequencyTable:
    source = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise FrequencyError(Problem(f"cannot read frequency table: {exc.strerror}",
                                         file=source)) from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None:
        raise FrequencyError(Problem("empty file", file=source))
    cols = [h.strip().lower() for h in header]
    missing = [c for c in ("marker", "allele", "frequency") if c not in cols]
    if missing:
        raise FrequencyError(Problem(
            f"header lacks column(s) {', '.join(missing)}; expected marker,allele,frequency"
            f"[,chromosome]", file=source, line=1))
    im, ia, i_f = cols.index("marker"), cols.index("allele"), cols.index("frequency")
    ic = cols.index("chromosome") if "chromosome" in cols else None
    rows = []
    bad: list[Problem] = []
    for lineno, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) < len(cols):
            bad.append(Problem(f"expected {len(cols)} fields, found {len(row)}",
                               file=source, line=lineno, field=header[len(row)].strip()))
            continue
        rows.append((lineno, row[im], row[ia], row[i_f].strip(),
                     row[ic] if ic is not None else None))
    if bad:
        raise FrequencyError(bad)
    return _build(name, rows, source=source)


def _bundled_dir():
    return resources.files("reunite") / "data" / "frequencies"


def bundled_tables() -> list[str]:
    """Names of the frequency tables shipped with Reunite."""
    return sorted(p.name[:-4] for p in _bundled_dir().iterdir() if p.name.endswith(".csv"))


_CACHE: dict[str, FrequencyTable] = {}


def load_frequencies(spec: str | Path | Mapping | FrequencyTable) -> FrequencyTable:
    """Load a frequency table from a bundled name, a CSV path, or ``{marker: {allele: freq}}``."""
    if isinstance(spec, FrequencyTable):
        return spec
    if isinstance(spec, Mapping):
        rows = []
        for marker, table in spec.items():
            if not isinstance(table, Mapping):
                raise FrequencyError(Problem(
                    f"marker {marker}: expected an object of allele: frequency",
                    file="inline frequencies", field=str(marker)))
            rows.extend((None, marker, allele, f) for allele, f in table.items())
        return _build("inline", rows, source="inline frequencies")
    if isinstance(spec, str | Path):
        text = str(spec)
        if text in _CACHE:
            return _CACHE[text]
        if isinstance(spec, str) and text in bundled_tables():
            res = _bundled_dir() / f"{text}.csv"
            table = _read_csv(f"{text}.csv", res.read_text(encoding="utf-8"), name=text)
            table = FrequencyTable(text, table.markers, source=f"bundled table {text}")
            _CACHE[text] = table
            return table
        path = Path(text)
        if path.suffix.lower() == ".csv" or path.exists():
            return _read_csv(path, name=path.stem)
        raise FrequencyError(
            f"unknown frequency table {text!r}: not a bundled table "
            f"({', '.join(bundled_tables())}) and not a CSV file"
        )
    raise FrequencyError(f"frequencies must be a table name, a path or an object, "
                         f"not {type(spec).__name__}")


def source_readme() -> str:
    """The README naming the sources and licences of the bundled tables."""
    return (_bundled_dir() / "README.md").read_text(encoding="utf-8")


def describe_marker(table: FrequencyTable, marker: str) -> list[tuple[str, float]]:
    mf = table[marker]
    return list(zip(mf.alleles, (float(x) for x in mf.freqs), strict=True))


__all__ += ["describe_marker", "display_name", "source_readme"]
