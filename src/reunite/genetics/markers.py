"""Marker names, allele labels and profiles.

Marker names are folded over the spellings labs and tables use (``vWA``/``VWA``,
``Penta D``/``PentaD``/``PENTA_D``, ``TH01``/``THO1``, ``Amelogenin``/``AMEL`` ...): two names
denote the same marker when :func:`marker_key` gives the same key.

Alleles are strings: a repeat number with at most one decimal for microvariants (``9``, ``9.3``,
``31.2``), or ``X``/``Y`` for Amelogenin, which is used for a sex check and never in an LR.
Labels are compared as strings after trimming, so ``9.3`` and ``9.30`` are different alleles;
``9.30`` is rejected as malformed with a message that says so.

X-chromosomal markers (:func:`is_x_marker`): every ``DXS…`` locus (the D-number nomenclature names
the chromosome: D + X + S + number) and the X-STRs named otherwise in :data:`X_MARKERS`.  The list
holds the loci of the kits labs use: Investigator Argus X-12 (Qiagen: DXS10074, DXS10079, DXS10101,
DXS10103, DXS10134, DXS10135, DXS10146, DXS10148, DXS7132, DXS7423, DXS8378, HPRTB; Diegoli et
al., FSI Genetics Suppl. Ser. 3 (2011) e481), the AGCU X19 system (DXS7423, DXS10148, DXS10159,
DXS6809, DXS7424, DXS8378, DXS10164, DXS10162, DXS7132, DXS10079, DXS6789, DXS101, DXS10103,
DXS10101, HPRTB, DXS10075, DXS10074, DXS10135, DXS10134; Electrophoresis 37 (2016) 2260, PMID
27184937, and Hao et al. on the AGCU X19 STR System in Northern Han), the GHEP-ISFG X-Decaplex
(DXS8378, DXS9902, DXS7132, DXS9898, DXS6809, DXS6789, DXS7133, GATA172D05, GATA31E08, DXS7423)
and the NIST mini-X multiplexes (Diegoli et al., FSI Genetics 5 (2011) 415: also DXS7130,
GATA165B12, DXS6795, DXS10147, DXS6803).  A frequency table's ``chromosome`` column overrides the
list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..errors import MarkerError, Problem

__all__ = [
    "AMELOGENIN",
    "MISSING",
    "X_MARKERS",
    "Profile",
    "allele_sort_key",
    "display_name",
    "is_amelogenin",
    "is_x_marker",
    "marker_key",
    "parse_profile",
    "validate_allele",
]

#: Index used for an allele that was not typed (genotype contract: alleles are small
#: non-negative integer indices into a marker's allele list; ``MISSING`` marks no data).
MISSING = -1

#: Key of the Amelogenin sex marker.
AMELOGENIN = "AMEL"

#: X-chromosomal STR loci whose names do not start with DXS (keys as :func:`marker_key` folds them),
#: and the DXS loci of the kits named in the module docstring (every ``DXS…`` key is X anyway).
X_MARKERS = frozenset({
    "HPRTB", "GATA165B12", "GATA172D05", "GATA31E08",
    "DXS10074", "DXS10075", "DXS10079", "DXS10101", "DXS10103", "DXS10134", "DXS10135",
    "DXS10146", "DXS10147", "DXS10148", "DXS10159", "DXS10162", "DXS10164", "DXS101",
    "DXS6789", "DXS6795", "DXS6803", "DXS6809", "DXS7130", "DXS7132", "DXS7133", "DXS7423",
    "DXS7424", "DXS8378", "DXS9898", "DXS9902",
})
_X_RE = re.compile(r"^DXS\d+$")

# Keys that are spelled differently in common kits and tables, folded to one key.
_ALIASES = {
    "AMELOGENIN": "AMEL",
    "AM": "AMEL",
    "THO1": "TH01",
    "TH1": "TH01",
    "FIBRA": "FGA",
    "FIBRA/FGA": "FGA",
    "ACTBP2": "SE33",
    "VWA31": "VWA",
    "CSF": "CSF1PO",
    "D22GATA198B05": "D22GATA198B05",
    "PENTAC": "PENTAC",
    "PENTAD": "PENTAD",
    "PENTAE": "PENTAE",
}

# Preferred display spelling for a few keys; other markers display as their key.
_DISPLAY = {
    "VWA": "vWA",
    "PENTAC": "Penta C",
    "PENTAD": "Penta D",
    "PENTAE": "Penta E",
    "AMEL": "Amelogenin",
}

_FOLD_RE = re.compile(r"[\s_\-.]+")
_STR_ALLELE_RE = re.compile(r"^\d{1,3}(\.\d)?$")
_STR_ALLELE_LOOSE_RE = re.compile(r"^\d{1,3}\.\d+$")


@lru_cache(maxsize=4096)
def _fold(name: str) -> str:
    key = _FOLD_RE.sub("", name.strip().upper())
    return _ALIASES.get(key, key)


def marker_key(name: str) -> str:
    """Fold a marker name to its key: upper case, without spaces, dots, dashes or underscores,
    then through the alias table (``"Penta D"``, ``"PENTA_D"``, ``"PentaD"`` -> ``"PENTAD"``)."""
    if not isinstance(name, str) or not name.strip():
        raise MarkerError(Problem(f"marker name {name!r} is empty or not text", code="marker_empty"))
    return _fold(name)


def display_name(name: str) -> str:
    """The conventional spelling of a marker for reports (``PENTA_D`` -> ``Penta D``)."""
    key = marker_key(name)
    return _DISPLAY.get(key, key)


def is_amelogenin(name: str) -> bool:
    """True for the Amelogenin sex marker under any of its spellings."""
    return marker_key(name) == AMELOGENIN


def is_x_marker(name: str) -> bool:
    """True for a known X-chromosomal STR (any ``DXS…`` locus or one of :data:`X_MARKERS`)."""
    key = marker_key(name)
    return key in X_MARKERS or bool(_X_RE.match(key))


def validate_allele(marker: str, allele: object) -> str:
    """Return the trimmed allele label, or raise :class:`MarkerError` naming what is wrong."""
    if type(allele) is str and _STR_ALLELE_RE.match(allele) and not is_amelogenin(marker):
        return allele
    if isinstance(allele, bool) or allele is None:
        raise MarkerError(Problem(f"marker {marker}: allele {allele!r} is not a label", code="allele_not_label",
                                  params={"marker": marker}))
    if isinstance(allele, int):
        allele = str(allele)
    if isinstance(allele, float):
        raise MarkerError(Problem(
            f"marker {marker}: allele {allele!r} is a number; write alleles as text "
            f"(\"9.3\", \"12\") so that microvariants are not changed by rounding",
            code="allele_number", params={"marker": marker}))
    if not isinstance(allele, str):
        raise MarkerError(Problem(f"marker {marker}: allele {allele!r} is not a label", code="allele_not_label",
                                  params={"marker": marker}))
    label = allele.strip()
    if is_amelogenin(marker):
        if label.upper() in ("X", "Y"):
            return label.upper()
        raise MarkerError(Problem(f"marker {marker}: Amelogenin alleles are X or Y, not {label!r}",
                                  code="amelogenin_allele", params={"marker": marker}))
    if _STR_ALLELE_RE.match(label):
        return label
    if _STR_ALLELE_LOOSE_RE.match(label):
        raise MarkerError(Problem(
            f"marker {marker}: allele {label!r} has more than one decimal; microvariants are "
            f"written with one decimal (9.3), and labels are compared as text, so 9.3 and 9.30 "
            f"would be different alleles", code="allele_decimals", params={"marker": marker}))
    raise MarkerError(Problem(
        f"marker {marker}: allele {label!r} is malformed; expected a repeat number such as "
        f"12 or a microvariant such as 9.3", code="allele_malformed", params={"marker": marker}))


@dataclass(frozen=True)
class Profile:
    """A person's STR profile: marker key -> (allele, allele) labels, sorted within a genotype.

    ``names`` keeps the spelling each marker was given in.  Amelogenin, when typed, is kept
    apart in ``amelogenin`` and never enters an LR.  A male's hemizygous genotype at an
    X-chromosomal marker is given as ``["12"]`` or ``["12", "12"]`` and held as ``("12", "12")``
    (the kinship engine reads it as the one allele; a heterozygous male there is an error).
    """

    genotypes: Mapping[str, tuple[str, str]]
    names: Mapping[str, str]
    amelogenin: tuple[str, str] | None = None

    def markers(self) -> list[str]:
        return list(self.genotypes)

    def sex(self) -> str | None:
        """``"male"`` if Amelogenin shows Y, ``"female"`` if X only, None if not typed."""
        if self.amelogenin is None:
            return None
        return "male" if "Y" in self.amelogenin else "female"

    def __len__(self) -> int:
        return len(self.genotypes)


def allele_sort_key(label: str) -> tuple[int, float, str]:
    """The order of allele labels: repeat numbers by value (``9`` < ``9.3`` < ``10``), then any
    other label (``X`` < ``Y``) as text.  Genotypes, frequency tables and the index use it."""
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)


def _sort_pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if allele_sort_key(a) <= allele_sort_key(b) else (b, a)


def parse_profile(
    data: Mapping[str, Sequence[object]], *, source: str = "profile"
) -> Profile:
    """Validate a ``{marker: [allele, allele]}`` mapping into a :class:`Profile`.

    A homozygote is written with the allele twice (a single allele is accepted and doubled).
    An empty list or ``null`` means the marker was not typed.  All problems are collected and
    raised together in one :class:`MarkerError`.
    """
    if not isinstance(data, Mapping):
        raise MarkerError(Problem(f"expected an object of marker: [allele, allele], "
                                  f"got {type(data).__name__}", file=source))
    problems: list[Problem] = []
    genotypes: dict[str, tuple[str, str]] = {}
    names: dict[str, str] = {}
    amel: tuple[str, str] | None = None
    for name, alleles in data.items():
        try:
            key = marker_key(name)
        except MarkerError as exc:
            problems.extend(p.where(file=source) for p in exc.problems)
            continue
        if key in names:
            problems.append(Problem(
                f"marker {name!r} is given twice (also as {names[key]!r})", file=source,
                field=str(name), code="marker_twice_profile", params={"marker": str(name)}))
            continue
        if alleles is None or (isinstance(alleles, Sequence) and not isinstance(alleles, str)
                               and len(alleles) == 0):
            continue
        if isinstance(alleles, str) or not isinstance(alleles, Sequence):
            problems.append(Problem(f"marker {name}: expected a list of two alleles",
                                    file=source, field=str(name), code="alleles_not_list",
                                    params={"marker": str(name)}))
            continue
        if len(alleles) > 2:
            problems.append(Problem(
                f"marker {name}: {len(alleles)} alleles given; a single person has at most two "
                f"(three or more suggest a mixture or contamination)", file=source,
                field=str(name), code="mixture", params={"marker": str(name), "n": len(alleles)}))
            continue
        try:
            labels = [validate_allele(str(name), a) for a in alleles]
        except MarkerError as exc:
            problems.extend(p.where(file=source, field=str(name)) for p in exc.problems)
            continue
        if len(labels) == 1:
            labels = labels * 2
        pair = _sort_pair(labels[0], labels[1])
        names[key] = str(name)
        if key == AMELOGENIN:
            amel = pair
        else:
            genotypes[key] = pair
    if problems:
        raise MarkerError(problems)
    return Profile(genotypes=genotypes, names=names, amelogenin=amel)
