"""Y-STR haplotypes: parsing, the paternal line of a pedigree, comparison with mutation, and the LR.

A Y-STR haplotype is passed from father to son unchanged except for mutation, so a missing boy
shares it with every man of his paternal line (father, brothers, paternal grandfather, paternal
uncles and their sons).  For a typed man ``R`` and a found person ``F`` separated by ``m`` meioses
along the paternal line::

    LR = P(F's haplotype | R's haplotype, m meioses, mutation rates) / P(F's haplotype in the population)

(the "same paternal line" hypothesis against "unrelated"; R's own haplotype probability cancels).

* **Haplotypes** (:class:`YHaplotype`): per locus a sorted tuple of allele labels, an unordered
  multiset, so multi-copy loci (``DYS385a/b``, ``DYF387S1a/b``, ``DYS527a/b``) need no order and
  ``DYS385a``/``DYS385b`` columns fold into one ``DYS385`` locus.  A *null allele* is the empty tuple
  (typed, no product); a *duplicated* allele at a single-copy locus is two labels (``DYS19 15,16``).
  Alleles are repeat numbers with at most one decimal (microvariants such as ``17.2``).  A locus
  absent from the mapping is untyped.
* **Mutation** (:func:`step_distribution`): the stepwise model, per meiosis and per locus
  ``P(no change) = 1 − μ``, a change of ±1 repeat with probability ``μ(1 − w)/2`` each and of ±2
  repeats with ``μ w/2`` each, where ``w`` (:data:`TWO_STEP_SHARE`) is the share of multi-step
  mutations reported by Ballantyne et al. 2010 (25.23 single-step to 1 multi-step; ``w = 0`` gives
  the pure single-step model).  Over ``m`` meioses the per-meiosis kernel is convolved ``m`` times
  (every mutation path summed).  A multi-copy locus spreads μ over its copies (each copy mutates
  with μ/copies) and sums over the ways of pairing the two multisets.
* **Rates**: the bundled table ``data/lineage/ystr_mutation_rates.csv`` (see its README): the YHRD
  rates (release 61) for the 23 PowerPlex Y23 loci, a father–son study for DYS385, DYF387S1 and
  DYS549, and :data:`DEFAULT_RATE` (the median Yfiler rate of Goedbloed et al. 2009) for a locus
  without a figure, flagged in every result.
* **Not compared** (listed with a reason, LR 1): a locus whose numbers of alleles differ (a null,
  a duplication or a copy-number change on one side only), or whose difference is not a whole
  number of repeats (a microvariant change).  Neither is covered by the stepwise model.
* **Population probability** (:func:`haplotype_probability`): counting in a reference database
  with a one-sided Clopper–Pearson upper bound (for an unseen haplotype ``1 − α^(1/N)``), as the
  SWGDAM Y-STR interpretation guidelines (2014) recommend; the plain count and ``(x+1)/(N+1)`` are
  offered too; and the discrete Laplace method (Andersen et al. 2013, :mod:`reunite.genetics.disclap`).

Errors: :class:`HaplotypeError` (a :class:`~reunite.errors.MarkerError`) for a bad locus name or
allele, with every problem collected; :class:`~reunite.errors.PedigreeError` for a missing person
who is female or not in the pedigree.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from itertools import permutations
from pathlib import Path

import numpy as np

from ..errors import PedigreeError, Problem
from .disclap import DiscreteLaplaceFit, fit_discrete_laplace
from .haplotype import HaplotypeError, YHaplotype
from .pedigree import Pedigree

__all__ = [
    "DEFAULT_RATE",
    "KITS",
    "TWO_STEP_SHARE",
    "Y_METHODS",
    "HaplotypeError",
    "LocusComparison",
    "PopulationEstimate",
    "YComparison",
    "YDatabase",
    "YHaplotype",
    "YLineageLR",
    "bundled_y_database",
    "clopper_pearson_upper",
    "compare_y",
    "haplotype_probability",
    "load_y_database",
    "load_y_rates",
    "parse_y_haplotype",
    "paternal_line",
    "paternal_meioses",
    "paternal_relatives",
    "step_distribution",
    "y_lineage_lr",
    "y_locus_key",
]

#: The rate used for a locus the bundled table has no figure for: the median locus-specific rate
#: over the 17 Yfiler loci, Goedbloed et al. 2009, Int J Legal Med 123:471–482 (0.0025).
DEFAULT_RATE = 0.0025
#: Share of multi-step (here: two-step) changes among Y-STR mutations: Ballantyne et al. 2010,
#: AJHG 87:341–353, report single- to multi-step changes of 25.23 : 1.
TWO_STEP_SHARE = 1 / 26.23

#: Kits: their loci (multi-copy loci named once).  Sources: Yfiler (17 loci) and AGCU Y24 (the Chinese
#: 24-locus kit) as listed by the Henan Han population study, FSI Genet 17:83–86 (2015); PowerPlex Y23
#: and Yfiler Plus (27 loci) as the loci marked "PP" and "YfP" in Sci Rep 9:9032 (2019), Table 1.
#: ``y36_du2019``: the Chinese 6-dye 36-locus Y-STR system of Du W, Feng P, Huang H et al., "Technical
#: note: developmental validation of a novel 6-dye typing system with 36 Y-STR loci", Int J Legal Med
#: 133(4):1015–1027 (2019), doi:10.1007/s00414-018-1864-y: every Yfiler Plus locus plus DYS388, DYS444,
#: DYS447, DYS522, DYS527a/b, DYS549, DYS596, DYS643 (the abstract's list).  ``agcu_y_supp``: the 24 loci
#: of the AGCU Y SUPP kit as listed in "Internal validation study of a newly developed 24-plex Y-STRs
#: genotyping system for forensic application" (Key Laboratory of Shaanxi Province for Craniofacial
#: Precision Medicine Research, Xi'an Jiaotong University; abstract, Xibe population): DYS385a/b, DYS635,
#: DYS533, DYS481, DYS549, DYS460, DYS527a/b, DYS522, DYS444 and DYS531, DYS630, DYS622, DYS552,
#: DYS510, DYS459a/b, DYS446, DYS443, DYS587, Y-GATA-A10, DYS520, DYS557.  ``agcu_y24_supp``: the two AGCU
#: kits typed together, the union of those two lists: 41 loci counting DYS385a/b, DYS527a/b and
#: DYS459a/b as two each (computed here from the two cited lists, not a kit's own published list).
#: ``microreader_24y``: the Chinese Microreader 24Y Direct ID System, as the loci typed with it are listed
#: in the abstract of Fu J, Cheng J, Wei C, Khan MA, Jin Z, Fu J, "Assessing 23 Y-STR loci mutation rates
#: in Chinese Han father-son pairs from southwestern China", Mol Biol Rep 47(10):7755 (2020), PMID 32989501:
#: DYS576, DYS389I, DYS389II, DYS448, DYS19, DYS391, DYS481, DYS549, DYS533, DYS438, DYS437, DYS570,
#: DYS635, DYS390, DYS439, DYS392, DYS643, DYS393, DYS458, DYS460, DYS385ab, DYS456, Y-GATA-H4 — 23 names,
#: 24 loci counting DYS385a/b twice, as the kit's name and its developmental validation ("Developmental
#: validation study of a 24-plex Y-STR direct amplification system for forensic application", 2019:
#: "24 Y-STR loci from the Microreader 24Y Direct ID System") count them; i.e. PowerPlex Y23 and DYS460.
#: Not listed, for want of a published locus list found (searched in stored copies of PMC, PubMed,
#: publisher and abstract pages and of public code): the 27-locus Chinese kits (AGCU Y27, Goldeneye DNA ID
#: System 27Y, DNATyper Y27, SureID 27Y — the last named by Shonhai et al., Scientific African 7:e00310,
#: 2020, without its loci in the part read) and the 41-locus single kits (SureID PathFinder Plus,
#: Microreader 40Y, DNATyper Y41, Goldeneye DNA ID Y Plus — the last counted as 41 loci in Table 1 of
#: PMC10445670 without its list); their haplotypes parse all the same (any DYS…/DYF…/Y-GATA… is accepted).
_YFILER = ("DYS19", "DYS385", "DYS389I", "DYS389II", "DYS390", "DYS391", "DYS392", "DYS393", "DYS437",
           "DYS438", "DYS439", "DYS448", "DYS456", "DYS458", "DYS635", "YGATAH4")
_YFILER_PLUS = (*_YFILER, "DYS449", "DYS460", "DYS481", "DYS518", "DYS533", "DYS570", "DYS576", "DYS627",
                "DYF387S1")
_AGCU_Y24 = (*_YFILER, "DYS388", "DYS444", "DYS447", "DYS449", "DYS522", "DYS527")
_AGCU_Y_SUPP = ("DYS385", "DYS635", "DYS533", "DYS481", "DYS549", "DYS460", "DYS527", "DYS522", "DYS444",
                "DYS531", "DYS630", "DYS622", "DYS552", "DYS510", "DYS459", "DYS446", "DYS443", "DYS587",
                "YGATAA10", "DYS520", "DYS557")
_PPY23 = (*_YFILER, "DYS481", "DYS533", "DYS549", "DYS570", "DYS576", "DYS643")
KITS: dict[str, tuple[str, ...]] = {
    "yfiler": _YFILER,
    "yfiler_plus": _YFILER_PLUS,
    "ppy23": _PPY23,
    "agcu_y24": _AGCU_Y24,
    "y36_du2019": (*_YFILER_PLUS, "DYS388", "DYS444", "DYS447", "DYS522", "DYS527", "DYS549", "DYS596",
                   "DYS643"),
    "agcu_y_supp": _AGCU_Y_SUPP,
    "agcu_y24_supp": tuple(dict.fromkeys((*_AGCU_Y24, *_AGCU_Y_SUPP))),
    "microreader_24y": (*_PPY23, "DYS460"),
}
#: Loci of the kits above without a published rate in the bundled table: its rows leave the rate empty
#: (or it has no row), so :data:`DEFAULT_RATE` is used and every result lists them.
KIT_LOCI_AT_DEFAULT_RATE = ("DYS643", "DYS527", "DYS388", "DYS444", "DYS447", "DYS522", "DYS596", "DYS531",
                            "DYS630", "DYS622", "DYS552", "DYS510", "DYS459", "DYS446", "DYS443", "DYS587",
                            "YGATAA10", "DYS520", "DYS557")

_NAME_RE = re.compile(r"^(DYS\d+[A-Z]*|DYF\d+S\d+|YGATA[A-Z0-9]+|YCAII|DXYS\d+)$")
_COPY_SUFFIX = re.compile(r"^(DYS\d+|DYF\d+S\d+|YCAII)([AB]|[AB]/?B?)$")
_ALIASES = {"GATAH4": "YGATAH4", "GATAH41": "YGATAH4", "YGATAH41": "YGATAH4", "DYS3891": "DYS389I",
            "DYS389II": "DYS389II", "DYS3892": "DYS389II"}
_ALLELE_RE = re.compile(r"^\d{1,3}(\.\d)?$")
_NULL = {"null", "0", "nul", "n"}
_UNTYPED = {"", "na", "nan", "none", "-", "?"}


def y_locus_key(name: str) -> str:
    """The canonical Y locus name: upper case, no separators, copy letters dropped.

    ``Y-GATA-H4``/``GATA H4.1`` → ``YGATAH4``; ``DYS385a``, ``DYS385 a/b`` → ``DYS385``.
    Raises :class:`HaplotypeError` for a name that is not a Y-STR locus.
    """
    raw = str(name).strip().upper()
    s = re.sub(r"[\s_\-.]", "", raw)
    s = _ALIASES.get(s, s)
    m = _COPY_SUFFIX.match(s)
    if m:
        s = m.group(1)
    if not _NAME_RE.match(s):
        raise HaplotypeError(Problem(f"{name!r} is not a Y-STR locus name (expected DYS…, DYF…S…, Y-GATA-…)",
                                     code="y_locus_name"))
    return s


def _sort_alleles(labels: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(labels, key=float))


def parse_y_haplotype(values: Mapping[str, object], *, source: str = "haplotype") -> YHaplotype:
    """Validate ``{locus: value}`` into a :class:`YHaplotype`, every problem reported at once.

    A value is a label (``"15"``, ``"17.2"``), several labels (``"13,19"``, ``"13/19"``, a list), a
    null allele (``"null"`` or ``"0"``) or untyped (empty, ``NA``).  ``DYS385a`` and ``DYS385b``
    (separate columns) fold into ``DYS385``.
    """
    problems: list[Problem] = []
    out: dict[str, list[str]] = {}
    null: set[str] = set()
    for name, value in values.items():
        try:
            locus = y_locus_key(name)
        except HaplotypeError as exc:
            problems.append(Problem(exc.problems[0].message, file=source, field=str(name), code="y_locus_name"))
            continue
        if isinstance(value, list | tuple):
            parts = [str(v).strip() for v in value]
        else:
            text = "" if value is None else str(value).strip()
            parts = [p.strip() for p in re.split(r"[,/;]|\s+", text)] if text else []
        parts = [p for p in parts if p.lower() not in _UNTYPED]
        if not parts:
            continue
        if all(p.lower() in _NULL for p in parts):
            null.add(locus)
            out.setdefault(locus, [])
            continue
        for p in parts:
            if p.lower() in _NULL:
                problems.append(Problem("a null allele cannot be listed with other alleles",
                                        file=source, field=str(name), code="y_null_with_alleles"))
            elif not _ALLELE_RE.match(p):
                problems.append(Problem(
                    f"allele {p!r} is not a repeat number with at most one decimal (e.g. 15 or 17.2)",
                    file=source, field=str(name), code="y_allele_format"))
            else:
                out.setdefault(locus, []).append(p)
    for locus, labels in out.items():
        if len(labels) > 4:
            problems.append(Problem(f"{len(labels)} alleles at {locus}: more than a multi-copy locus carries "
                                    "(a mixture? type the sample again)", file=source, field=locus,
                                    code="y_too_many_alleles", params={"n": len(labels), "locus": locus}))
    if problems:
        raise HaplotypeError(problems)
    return YHaplotype({k: _sort_alleles(v) for k, v in out.items()})


# ---------------------------------------------------------------- mutation rates

@dataclass(frozen=True)
class YRates:
    """Per-locus Y-STR mutation rates per meiosis, the copies of each locus, and their source."""

    rates: Mapping[str, float]
    copies: Mapping[str, int]
    source: str
    default: float = DEFAULT_RATE

    def rate(self, locus: str) -> tuple[float, bool]:
        """(rate, True if the default rate was used because the table has no figure)."""
        r = self.rates.get(locus)
        return (r, False) if r is not None else (self.default, True)


@cache
def load_y_rates(path: str | None = None) -> YRates:
    """The bundled rate table (or a CSV of the same columns: marker, copies, rate, ...)."""
    if path is None:
        text = resources.files("reunite").joinpath("data/lineage/ystr_mutation_rates.csv").read_text("utf-8")
        source = "reunite data/lineage/ystr_mutation_rates.csv (YHRD r61; Sci Rep 9:9032)"
    else:
        text = Path(path).read_text(encoding="utf-8")
        source = str(path)
    rates: dict[str, float] = {}
    copies: dict[str, int] = {}
    for row in csv.DictReader(text.splitlines()):
        locus = y_locus_key(row["marker"])
        copies[locus] = int(row.get("copies") or 1)
        if (row.get("rate") or "").strip():
            rates[locus] = float(row["rate"])
    return YRates(rates, copies, source)


@cache
def _kernel(rate: float, two_step: float) -> tuple[float, ...]:
    return (rate * two_step / 2, rate * (1 - two_step) / 2, 1 - rate, rate * (1 - two_step) / 2,
            rate * two_step / 2)


@cache
def step_distribution(meioses: int, rate: float, two_step: float = TWO_STEP_SHARE) -> dict[int, float]:
    """P(net change of ``d`` repeats after ``meioses`` meioses) under the stepwise model, every path summed."""
    dist = np.array([1.0])
    k = np.array(_kernel(rate, two_step))
    for _ in range(meioses):
        dist = np.convolve(dist, k)
    half = (len(dist) - 1) // 2
    return {i - half: float(p) for i, p in enumerate(dist) if p > 0}


@dataclass(frozen=True)
class LocusComparison:
    """One locus of a comparison: the alleles, the repeat differences, P(found | relative), the rate."""

    locus: str
    relative: tuple[str, ...]
    found: tuple[str, ...]
    differences: int | None
    probability: float | None
    rate: float
    default_rate: bool
    note: str = ""

    def as_dict(self) -> dict:
        return {"locus": self.locus, "relative": list(self.relative), "found": list(self.found),
                "differences": self.differences, "probability": self.probability, "rate": self.rate,
                "default_rate": self.default_rate, "note": self.note}


def _locus_probability(a: tuple[str, ...], b: tuple[str, ...], meioses: int, rate: float, copies: int,
                       two_step: float) -> tuple[float | None, int | None, str]:
    if len(a) != len(b):
        return None, None, "numbers of alleles differ (null, duplication or copy-number change): not compared"
    if not a:
        return 1.0, 0, ""
    xa = [float(x) for x in a]
    xb = [float(x) for x in b]
    per_copy = rate / max(copies, 1)
    total = 0.0
    best_steps: int | None = None
    for perm in set(permutations(xb)):
        diffs = [y - x for x, y in zip(xa, perm, strict=True)]
        if any(abs(d - round(d)) > 1e-9 for d in diffs):
            continue
        p = 1.0
        for d in diffs:
            p *= step_distribution(meioses, per_copy, two_step).get(round(d), 0.0)
        total += p
        steps = sum(abs(round(d)) for d in diffs)
        best_steps = steps if best_steps is None else min(best_steps, steps)
    if best_steps is None:
        return None, None, "a microvariant change (not a whole number of repeats): not compared"
    return total, best_steps, ""


@dataclass(frozen=True)
class YComparison:
    """P(found haplotype | relative's haplotype, meioses): per locus and in total (log10)."""

    meioses: int
    loci: list[LocusComparison]
    two_step: float
    rates_source: str

    @property
    def compared(self) -> list[LocusComparison]:
        return [c for c in self.loci if c.probability is not None]

    @property
    def not_compared(self) -> list[LocusComparison]:
        return [c for c in self.loci if c.probability is None]

    @property
    def differences(self) -> int:
        """Total repeat steps between the two haplotypes over the compared loci."""
        return sum(c.differences or 0 for c in self.compared)

    @property
    def differing_loci(self) -> list[str]:
        return [c.locus for c in self.compared if c.differences]

    @property
    def probability(self) -> float:
        return math.prod(c.probability for c in self.compared)

    @property
    def log10_probability(self) -> float:
        p = self.probability
        return math.log10(p) if p > 0 else -math.inf


def compare_y(relative: YHaplotype, found: YHaplotype, meioses: int, *, rates: YRates | None = None,
              two_step: float = TWO_STEP_SHARE, loci: Sequence[str] | None = None) -> YComparison:
    """Compare two haplotypes ``meioses`` meioses apart along a paternal line, locus by locus.

    Loci typed in both (and in ``loci`` if given) are compared; see the module docstring for the
    model and for the loci that are not compared.
    """
    if meioses < 0:
        raise ValueError("meioses must be >= 0")
    rates = rates or load_y_rates()
    common = [locus for locus in relative.alleles if locus in found.alleles and (loci is None or locus in loci)]
    out = []
    for locus in common:
        r, dflt = rates.rate(locus)
        copies = rates.copies.get(locus, 1)
        p, d, note = _locus_probability(relative.alleles[locus], found.alleles[locus], meioses, r, copies, two_step)
        out.append(LocusComparison(locus, relative.alleles[locus], found.alleles[locus], d, p, r, dflt, note))
    return YComparison(meioses, out, two_step, rates.source)


# ---------------------------------------------------------------- population frequency

def _binom_cdf(x: int, n: int, p: float) -> float:
    if p <= 0:
        return 1.0
    if p >= 1:
        return 1.0 if x >= n else 0.0
    lp, lq = math.log(p), math.log1p(-p)
    return min(1.0, sum(math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * lp
                                 + (n - k) * lq) for k in range(x + 1)))


def clopper_pearson_upper(count: int, n: int, alpha: float = 0.05) -> float:
    """One-sided (1 − α) Clopper–Pearson upper bound of a proportion: the p with P(X ≤ count | n, p) = α.

    For ``count = 0`` this is exactly ``1 − α^(1/n)`` (the bound for an unseen haplotype).
    """
    if n <= 0:
        raise ValueError("the database is empty")
    if not 0 <= count <= n:
        raise ValueError("count must be between 0 and n")
    if count == n:
        return 1.0
    if count == 0:
        return 1 - alpha ** (1 / n)
    lo, hi = count / n, 1.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if _binom_cdf(count, n, mid) > alpha:
            lo = mid
        else:
            hi = mid
    return hi


METHODS = ("clopper_pearson", "count", "augmented")
#: Methods of :func:`y_lineage_lr`: the counting methods and the discrete Laplace mixture
#: (:mod:`reunite.genetics.disclap`), fitted to the database.
Y_METHODS = (*METHODS, "discrete_laplace")


@dataclass(frozen=True)
class PopulationEstimate:
    """A haplotype's population probability estimated from a database count, with its method."""

    probability: float
    count: int
    n: int
    method: str
    alpha: float
    database: str

    def as_dict(self) -> dict:
        return {"probability": self.probability, "count": self.count, "n": self.n, "method": self.method,
                "alpha": self.alpha, "database": self.database, "sentence": self.sentence}

    @property
    def sentence(self) -> str:
        seen = f"seen {self.count} time{'s' if self.count != 1 else ''} in {self.n:,} haplotypes ({self.database})"
        if self.method == "clopper_pearson":
            return (f"The haplotype was {seen}; its population probability is taken as the one-sided "
                    f"{100 * (1 - self.alpha):g}% Clopper–Pearson upper bound, {self.probability:.3g}.")
        if self.method == "discrete_laplace":
            return (f"The haplotype was {seen}; its population probability under a discrete Laplace mixture "
                    f"fitted to the database (Andersen et al. 2013) is {self.probability:.3g}.")
        if self.method == "augmented":
            return f"The haplotype was {seen}; its probability is (count + 1)/(N + 1) = {self.probability:.3g}."
        return f"The haplotype was {seen}; its probability is the count over N, {self.probability:.3g}."


def haplotype_probability(count: int, n: int, *, method: str = "clopper_pearson", alpha: float = 0.05,
                          database: str = "database") -> PopulationEstimate:
    """Population probability of a haplotype seen ``count`` times among ``n``.

    ``clopper_pearson`` (default): the one-sided (1 − α) upper bound; ``count``: count/n, and the
    same upper bound ``1 − α^(1/n)`` for an unseen haplotype; ``augmented``: (count + 1)/(n + 1).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if method == "clopper_pearson" or (method == "count" and count == 0):
        p = clopper_pearson_upper(count, n, alpha)
    elif method == "count":
        p = count / n
    else:
        p = (count + 1) / (n + 1)
    return PopulationEstimate(p, count, n, method, alpha, database)


@dataclass
class YDatabase:
    """A reference database of Y-STR haplotypes (one per unrelated man)."""

    haplotypes: list[YHaplotype]
    source: str
    simulated: bool = False
    _counts: dict = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.haplotypes)

    @property
    def loci(self) -> list[str]:
        """Loci typed in every haplotype of the database (computed once)."""
        if "loci" not in self._counts:
            common = set(self.haplotypes[0].alleles) if self.haplotypes else set()
            for h in self.haplotypes[1:]:
                common &= set(h.alleles)
            self._counts["loci"] = [x for x in self.haplotypes[0].alleles if x in common] if common else []
        return list(self._counts["loci"])

    def discrete_laplace(self, loci: Sequence[str], *, rates: YRates | None = None,
                         seed: int = 1) -> DiscreteLaplaceFit:
        """The discrete Laplace mixture fitted to the database on ``loci`` (fitted once per loci, seeded)."""
        key = ("disclap", tuple(loci), seed)
        if key not in self._counts:
            copies = dict((rates or load_y_rates()).copies)
            self._counts[key] = fit_discrete_laplace(self.haplotypes, loci, copies, seed=seed)
        return self._counts[key]

    def set_discrete_laplace(self, fit: DiscreteLaplaceFit, *, seed: int = 1) -> None:
        """Use ``fit`` (e.g. read back from a store) as the mixture fitted on its loci, instead of refitting."""
        self._counts[("disclap", tuple(fit.loci), seed)] = fit

    def discrete_laplace_fits(self) -> dict[tuple[tuple[str, ...], int], DiscreteLaplaceFit]:
        """The mixtures fitted (or set) so far, by (loci, seed)."""
        return {(k[1], k[2]): v for k, v in self._counts.items()
                if isinstance(k, tuple) and len(k) == 3 and k[0] == "disclap"}

    def count(self, haplotype: YHaplotype, loci: Sequence[str]) -> tuple[int, int]:
        """(matches, haplotypes typed at all ``loci``): exact matches of ``haplotype`` on ``loci``."""
        loci = tuple(loci)
        if loci not in self._counts:
            table: dict[tuple, int] = {}
            n = 0
            for h in self.haplotypes:
                k = h.key(loci)
                if k is not None:
                    n += 1
                    table[k] = table.get(k, 0) + 1
            self._counts[loci] = (table, n)
        table, n = self._counts[loci]
        k = haplotype.key(loci)
        return (table.get(k, 0) if k is not None else 0), n


def load_y_database(path: str | Path, *, simulated: bool = False) -> YDatabase:
    """Read a CSV of haplotypes: one row per man, one column per locus (``DYS385`` as ``13,19`` or as
    ``DYS385a``/``DYS385b`` columns); an ``id`` column (or ``sample``) is ignored.  Every problem is
    reported with its line."""
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(text.splitlines()))
    problems: list[Problem] = []
    haps: list[YHaplotype] = []
    for i, row in enumerate(rows, start=2):
        values = {k: v for k, v in row.items() if k and k.strip().lower() not in ("id", "sample", "sample name")}
        merged: dict[str, list[str]] = {}
        for k, v in values.items():
            merged.setdefault(k.strip(), []).append(v)
        try:
            h = parse_y_haplotype({k: ",".join(x or "" for x in v) for k, v in merged.items()}, source=path.name)
        except HaplotypeError as exc:
            problems += [Problem(p.message, file=path.name, line=i, field=p.field, code=p.code, params=p.params)
                         for p in exc.problems]
            continue
        haps.append(h)
    if not rows:
        problems.append(Problem("the database has no haplotypes", file=path.name, code="y_database_empty"))
    if problems:
        raise HaplotypeError(problems)
    return YDatabase(haps, path.name, simulated)


def bundled_y_database() -> YDatabase:
    """The SIMULATED database shipped for tests and the demo (500 haplotypes, Yfiler Plus loci)."""
    p = resources.files("reunite").joinpath("data/lineage/simulated_ystr_database.csv")
    with resources.as_file(p) as path:
        return load_y_database(path, simulated=True)


# ---------------------------------------------------------------- pedigree

def paternal_line(ped: Pedigree, pid: str) -> list[str]:
    """``pid``, their father, the father's father, … up to a founder."""
    out = [pid]
    while ped[out[-1]].father is not None:
        out.append(ped[out[-1]].father)
    return out


def paternal_meioses(ped: Pedigree, a: str, b: str) -> int | None:
    """Meioses between ``a`` and ``b`` along the paternal line (up to the shared patrilineal
    ancestor and down), or None if their paternal lines do not meet within the pedigree."""
    la, lb = paternal_line(ped, a), paternal_line(ped, b)
    pos = {p: i for i, p in enumerate(la)}
    for j, p in enumerate(lb):
        if p in pos:
            return pos[p] + j
    return None


def paternal_relatives(ped: Pedigree, missing: str, typed: Iterable[str]) -> list[tuple[str, int]]:
    """The typed men who share ``missing``'s Y chromosome, with their meioses to him, closest first.

    A typed person of female sex never carries it; a person of unknown sex counts as a man only if
    he is someone's father in the pedigree.
    Raises :class:`PedigreeError` if ``missing`` is not in the pedigree or is female.
    """
    if missing not in ped:
        raise PedigreeError(Problem(f"the missing person {missing!r} is not in the pedigree",
                                    code="lineage_missing_not_in_pedigree"))
    if ped[missing].sex == "female":
        raise PedigreeError(Problem(f"the missing person {missing!r} is female: Y-STRs follow the paternal line of "
                                    "a male", code="y_missing_female"))
    fathers = {p.father for p in ped.persons.values() if p.father is not None}
    out = []
    for pid in typed:
        if pid == missing or pid not in ped or (ped[pid].sex != "male" and pid not in fathers):
            continue
        m = paternal_meioses(ped, missing, pid)
        if m is not None:
            out.append((pid, m))
    return sorted(out, key=lambda t: (t[1], t[0]))


# ---------------------------------------------------------------- the LR

@dataclass(frozen=True)
class YLineageLR:
    """The Y-STR LR of "same paternal line" against "unrelated", with everything that explains it."""

    relative: str | None
    comparison: YComparison
    population: PopulationEstimate
    loci: list[str]

    @property
    def lr(self) -> float:
        return self.comparison.probability / self.population.probability

    @property
    def log10_lr(self) -> float:
        num = self.comparison.log10_probability
        return num - math.log10(self.population.probability) if num > -math.inf else -math.inf

    def sentence(self, lang: str = "en") -> str:
        c = self.comparison
        who = self.relative or ("已分型男性" if lang == "zh" else "the typed man")
        if lang == "zh":
            return (f"比对 {len(c.compared)} 个Y-STR基因座，与{who}（父系相隔 {c.meioses} 次减数分裂）相差 "
                    f"{c.differences} 步；似然比 LR = {_fmt(self.lr)}（log10 {self.log10_lr:.2f}）。")
        return (f"Over {len(c.compared)} Y-STR loci the found person differs from {who} "
                f"({c.meioses} meioses apart on the paternal line) by {c.differences} repeat step"
                f"{'s' if c.differences != 1 else ''}; the Y-STR haplotypes are {_fmt(self.lr)} times "
                f"{'more' if self.lr >= 1 else 'as'} probable if they are of the same paternal line than if unrelated. "
                + self.population.sentence)

    def as_dict(self) -> dict:
        c = self.comparison
        return {
            "relative": self.relative, "meioses": c.meioses, "lr": self.lr,
            "log10_lr": self.log10_lr if self.log10_lr > -math.inf else None,
            "numerator": c.probability, "differences": c.differences, "differing_loci": c.differing_loci,
            "loci": [x.as_dict() for x in c.loci], "not_compared": [x.locus for x in c.not_compared],
            "population": self.population.as_dict(),
            "model": {"mutation": "stepwise", "two_step_share": c.two_step, "rates": c.rates_source,
                      "default_rate_loci": [x.locus for x in c.compared if x.default_rate]},
            "sentence": {"en": self.sentence("en"), "zh": self.sentence("zh")},
        }


def _fmt(x: float) -> str:
    if x == 0:
        return "0"
    return f"{x:,.0f}" if 1 <= x < 1e6 else f"{x:.3g}"


def y_lineage_lr(relative: YHaplotype, found: YHaplotype, meioses: int, database: YDatabase, *,
                 rates: YRates | None = None, two_step: float = TWO_STEP_SHARE, method: str = "clopper_pearson",
                 alpha: float = 0.05, relative_id: str | None = None) -> YLineageLR:
    """The LR of "``found`` is of ``relative``'s paternal line, ``meioses`` apart" against "unrelated".

    Compared on the loci typed in both men and in every database haplotype; the found haplotype is
    counted in the database on those loci (loci not compared by the mutation model are dropped from
    both numerator and count).  ``method``: one of :data:`Y_METHODS` (``discrete_laplace`` fits the
    mixture of :mod:`reunite.genetics.disclap` to the database, once per set of loci).
    """
    db_loci = set(database.loci)
    cmp_all = compare_y(relative, found, meioses, rates=rates, two_step=two_step,
                        loci=[x for x in found.alleles if x in db_loci])
    loci = [c.locus for c in cmp_all.compared]
    if not loci:
        raise HaplotypeError(Problem("no Y-STR locus is typed in the relative, the found person and the database "
                                     "alike", code="y_no_common_locus"))
    x, n = database.count(found, loci)
    if method == "discrete_laplace":
        p = database.discrete_laplace(loci, rates=rates).probability(found)
        pop = PopulationEstimate(p, x, n, method, alpha, database.source)
    else:
        pop = haplotype_probability(x, n, method=method, alpha=alpha, database=database.source)
    return YLineageLR(relative_id, cmp_all, pop, loci)
