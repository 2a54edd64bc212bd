"""mtDNA control-region sequences: EMPOP notation, the maternal line, match / inconclusive / exclusion, the LR.

A sequence is given as its differences to the rCRS (the revised Cambridge Reference Sequence) in
EMPOP notation, with the range that was sequenced::

    range:    16024-16365 73-340             (default: HVS-I 16024–16365 and HVS-II 73–340)
    variants: 16223T 16362C 73G 263G 309.1C 315.1C 249d 16189Y

* ``16223T`` a substitution; ``309.1C`` an insertion (the first base after position 309);
  ``249d`` (or ``249del``, ``249DEL``, ``249-``) a deletion; ``16189Y`` a point heteroplasmy as an
  IUPAC code (R = A/G, Y = C/T, K, M, S, W, B, D, H, V, N).  ``249D`` is refused as ambiguous (D is
  also the IUPAC code for A/G/T): write ``249d`` for a deletion.
* **Comparison** (:func:`compare_mt`), over the positions both sequences cover: a position counts
  as a difference when the two states differ, except that a heteroplasmy sharing a base with the
  other state is not a difference (``16189Y`` against ``16189C``).  A heteroplasmy against a
  position with no listed variant is taken to include the rCRS base (as a point heteroplasmy is
  called against the reference) and is not a difference.  Length variants in the C-stretches
  (insertions after 16193, 309, 315 and 573) are not counted (:data:`LENGTH_HETEROPLASMY`).
* **Interpretation** (SWGDAM Interpretation Guidelines for Mitochondrial DNA Analysis by Forensic
  DNA Testing Laboratories, 2019; ISFG mtDNA recommendations, Parson et al. 2014, FSI Genet
  13:134–142): 0 differences — cannot exclude; 1 difference — inconclusive; 2 or more — exclusion.
* **LR** for "cannot exclude": 1 / P(haplotype in the population), the population probability
  from the count of the found sequence in a user-supplied database over the compared range, as the
  one-sided Clopper–Pearson upper bound (``1 − α^(1/N)`` when unseen); an exclusion has LR 0; an
  inconclusive comparison has no LR (mutation along the maternal line is not modelled).

Errors: :class:`~reunite.genetics.ystr.HaplotypeError` with every problem collected.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..errors import PedigreeError, Problem
from .pedigree import Pedigree
from .ystr import HaplotypeError, PopulationEstimate, _fmt, haplotype_probability

__all__ = [
    "DEFAULT_RANGE",
    "IUPAC",
    "LENGTH_HETEROPLASMY",
    "MtComparison",
    "MtDatabase",
    "MtLineageLR",
    "MtSequence",
    "bundled_mt_database",
    "compare_mt",
    "load_mt_database",
    "maternal_line",
    "maternal_meioses",
    "maternal_relatives",
    "mt_lineage_lr",
    "parse_mt_sequence",
    "parse_range",
]

#: HVS-I and HVS-II as EMPOP reports them.
DEFAULT_RANGE = ((16024, 16365), (73, 340))
IUPAC = {"A": "A", "C": "C", "G": "G", "T": "T", "R": "AG", "Y": "CT", "K": "GT", "M": "AC", "S": "CG",
         "W": "AT", "B": "CGT", "H": "ACT", "V": "ACG", "N": "ACGT"}
DELETION = "-"
#: Insertions after these positions (the HVS-I and HVS-II C-stretches, and 573) are length variants,
#: not counted as differences (SWGDAM 2019).
LENGTH_HETEROPLASMY = (16193, 309, 315, 573)
RCRS_LENGTH = 16569

_TOKEN = re.compile(r"^(\d{1,5})(?:\.(\d{1,2}))?([A-Za-z\-]+)$")


def parse_range(text: str | None, *, source: str = "sequence") -> tuple[tuple[int, int], ...]:
    """``"16024-16365 73-340"`` (or ``;``/``,`` separated) into ((start, end), ...)."""
    if text is None or not str(text).strip():
        return DEFAULT_RANGE
    out = []
    problems = []
    for part in re.split(r"[\s;,]+", str(text).strip()):
        m = re.match(r"^(\d{1,5})-(\d{1,5})$", part)
        if not m:
            problems.append(Problem(f"range {part!r} is not START-END (e.g. 16024-16365)", file=source, field="range",
                                    code="mt_range_format"))
            continue
        a, b = int(m.group(1)), int(m.group(2))
        if not (1 <= a <= b <= RCRS_LENGTH):
            problems.append(Problem(f"range {part!r} is not within 1-{RCRS_LENGTH} with start <= end",
                                    file=source, field="range", code="mt_range_bounds",
                                    params={"max": RCRS_LENGTH}))
            continue
        out.append((a, b))
    if problems:
        raise HaplotypeError(problems)
    return tuple(out)


def _in_range(pos: int, rng: tuple[tuple[int, int], ...]) -> bool:
    return any(a <= pos <= b for a, b in rng)


@dataclass(frozen=True)
class MtSequence:
    """Differences to the rCRS: (position, insertion index) → state (a base, an IUPAC code or ``-``)."""

    variants: dict[tuple[int, int], str]
    range: tuple[tuple[int, int], ...] = DEFAULT_RANGE

    def notation(self) -> str:
        def tok(k, v):
            pos, ins = k
            return f"{pos}{'.' + str(ins) if ins else ''}{'d' if v == DELETION else v}"
        order = sorted(self.variants, key=lambda k: (k[0] < 16000, k))
        return " ".join(tok(k, self.variants[k]) for k in order)

    def as_dict(self) -> dict:
        return {"range": " ".join(f"{a}-{b}" for a, b in self.range), "variants": self.notation()}


def parse_mt_sequence(variants: str | Iterable[str], region: str | None = None, *,
                      source: str = "sequence") -> MtSequence:
    """Validate EMPOP-style variants (a string or a list of tokens) and a range into an :class:`MtSequence`."""
    rng = parse_range(region, source=source)
    tokens = variants.split() if isinstance(variants, str) else [str(t).strip() for t in variants]
    problems: list[Problem] = []
    out: dict[tuple[int, int], str] = {}
    for t in tokens:
        if not t:
            continue
        m = _TOKEN.match(t)
        if not m:
            problems.append(Problem(f"variant {t!r} is not EMPOP notation (e.g. 16223T, 309.1C, 249d, 16189Y)",
                                    file=source, field="variants", code="mt_variant_format"))
            continue
        pos, ins, state = int(m.group(1)), int(m.group(2) or 0), m.group(3)
        if state in ("d", "del", "DEL", "Del", "-"):
            if ins:
                problems.append(Problem(f"variant {t!r}: an insertion cannot be a deletion", file=source,
                                        field="variants", code="mt_insertion_deletion"))
                continue
            state = DELETION
        elif state == "D":
            problems.append(Problem(f"variant {t!r} is ambiguous: 'D' is the IUPAC code for A/G/T; write "
                                    f"{pos}d or {pos}DEL for a deletion", file=source, field="variants",
                                    code="mt_variant_d_ambiguous"))
            continue
        elif state.upper() in IUPAC and len(state) == 1:
            state = state.upper()
        else:
            problems.append(Problem(f"variant {t!r}: {state!r} is not a base, an IUPAC code or a deletion",
                                    file=source, field="variants", code="mt_variant_state"))
            continue
        if not 1 <= pos <= RCRS_LENGTH:
            problems.append(Problem(f"variant {t!r}: position outside the rCRS (1-{RCRS_LENGTH})",
                                    file=source, field="variants", code="mt_variant_position",
                                    params={"max": RCRS_LENGTH}))
            continue
        if not _in_range(pos, rng):
            problems.append(Problem(f"variant {t!r} lies outside the sequenced range; widen the range or "
                                    "drop the variant", file=source, field="variants", code="mt_variant_outside_range"))
            continue
        if (pos, ins) in out:
            problems.append(Problem(f"position {pos}{'.' + str(ins) if ins else ''} is given twice",
                                    file=source, field="variants", code="mt_position_twice"))
            continue
        out[(pos, ins)] = state
    if problems:
        raise HaplotypeError(problems)
    return MtSequence(out, rng)


def _overlap(a: tuple[tuple[int, int], ...], b: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    out = []
    for x0, x1 in a:
        for y0, y1 in b:
            lo, hi = max(x0, y0), min(x1, y1)
            if lo <= hi:
                out.append((lo, hi))
    return tuple(sorted(out, key=lambda r: (r[0] < 16000, r)))


def _same(x: str | None, y: str | None, inserted: bool) -> bool:
    """Whether two states at one position are not a difference (None = as the rCRS)."""
    if x == y:
        return True
    if x is None or y is None:
        other = x if y is None else y
        # an insertion absent on one side is a difference; a heteroplasmy includes the rCRS base
        return (not inserted) and other != DELETION and len(IUPAC[other]) > 1
    if DELETION in (x, y):
        return False
    return bool(set(IUPAC[x]) & set(IUPAC[y]))


@dataclass(frozen=True)
class MtComparison:
    """Two sequences compared over the range both cover: the differing positions and the conclusion."""

    range: tuple[tuple[int, int], ...]
    differences: list[str]
    ignored: list[str]

    @property
    def count(self) -> int:
        return len(self.differences)

    @property
    def conclusion(self) -> str:
        """``cannot_exclude`` (0 differences), ``inconclusive`` (1) or ``exclusion`` (2 or more)."""
        return "cannot_exclude" if self.count == 0 else "inconclusive" if self.count == 1 else "exclusion"


def compare_mt(a: MtSequence, b: MtSequence, *, ignore_length: bool = True) -> MtComparison:
    """Compare two sequences over their common range (see the module docstring for the rules)."""
    rng = _overlap(a.range, b.range)
    diffs, ignored = [], []
    for key in sorted(set(a.variants) | set(b.variants), key=lambda k: (k[0] < 16000, k)):
        pos, ins = key
        if not _in_range(pos, rng):
            continue
        x, y = a.variants.get(key), b.variants.get(key)
        label = f"{pos}{'.' + str(ins) if ins else ''}"
        if ins and ignore_length and pos in LENGTH_HETEROPLASMY:
            if x != y:
                ignored.append(label)
            continue
        if not _same(x, y, bool(ins)):
            diffs.append(label)
    return MtComparison(rng, diffs, ignored)


@dataclass
class MtDatabase:
    """A reference database of mtDNA sequences (one per unrelated person)."""

    sequences: list[MtSequence]
    source: str
    simulated: bool = False
    _cache: dict = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.sequences)

    def count(self, seq: MtSequence, rng: tuple[tuple[int, int], ...]) -> tuple[int, int]:
        """(matches, sequences covering ``rng``): sequences with no difference to ``seq`` over ``rng``."""
        target = MtSequence(seq.variants, rng)
        n = x = 0
        for s in self.sequences:
            if _overlap(s.range, rng) != _overlap(rng, rng):
                continue
            n += 1
            if compare_mt(target, s).count == 0:
                x += 1
        return x, n


def load_mt_database(path: str | Path, *, simulated: bool = False) -> MtDatabase:
    """Read a CSV with columns ``id``, ``range`` and ``variants`` (EMPOP notation, space separated)."""
    path = Path(path)
    rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    problems: list[Problem] = []
    seqs = []
    for i, row in enumerate(rows, start=2):
        if "variants" not in row:
            raise HaplotypeError(Problem("the database has no 'variants' column", file=path.name,
                                         code="header_no_column", params={"column": "variants"}))
        try:
            seqs.append(parse_mt_sequence(row.get("variants") or "", row.get("range"), source=path.name))
        except HaplotypeError as exc:
            problems += [Problem(p.message, file=path.name, line=i, field=p.field, code=p.code, params=p.params)
                         for p in exc.problems]
    if not rows:
        problems.append(Problem("the database has no sequences", file=path.name, code="mt_database_empty"))
    if problems:
        raise HaplotypeError(problems)
    return MtDatabase(seqs, path.name, simulated)


def bundled_mt_database() -> MtDatabase:
    """The SIMULATED database shipped for tests and the demo (500 sequences, HVS-I and HVS-II)."""
    p = resources.files("reunite").joinpath("data/lineage/simulated_mtdna_database.csv")
    with resources.as_file(p) as path:
        return load_mt_database(path, simulated=True)


# ---------------------------------------------------------------- pedigree

def maternal_line(ped: Pedigree, pid: str) -> list[str]:
    """``pid``, their mother, the mother's mother, … up to a founder."""
    out = [pid]
    while ped[out[-1]].mother is not None:
        out.append(ped[out[-1]].mother)
    return out


def maternal_meioses(ped: Pedigree, a: str, b: str) -> int | None:
    """Meioses between ``a`` and ``b`` along the maternal line, or None if their lines do not meet."""
    la, lb = maternal_line(ped, a), maternal_line(ped, b)
    pos = {p: i for i, p in enumerate(la)}
    for j, p in enumerate(lb):
        if p in pos:
            return pos[p] + j
    return None


def maternal_relatives(ped: Pedigree, missing: str, typed: Iterable[str]) -> list[tuple[str, int]]:
    """The typed people (of either sex) who share ``missing``'s mtDNA, with their meioses, closest first."""
    if missing not in ped:
        raise PedigreeError(Problem(f"the missing person {missing!r} is not in the pedigree",
                                    code="lineage_missing_not_in_pedigree"))
    out = []
    for pid in typed:
        if pid == missing or pid not in ped:
            continue
        m = maternal_meioses(ped, missing, pid)
        if m is not None:
            out.append((pid, m))
    return sorted(out, key=lambda t: (t[1], t[0]))


# ---------------------------------------------------------------- the LR

@dataclass(frozen=True)
class MtLineageLR:
    """The mtDNA result: the comparison, its conclusion and, when it cannot exclude, the LR."""

    relative: str | None
    meioses: int | None
    comparison: MtComparison
    population: PopulationEstimate | None

    @property
    def lr(self) -> float | None:
        c = self.comparison.conclusion
        if c == "exclusion":
            return 0.0
        if c == "inconclusive":
            return None
        return 1 / self.population.probability

    @property
    def log10_lr(self) -> float | None:
        lr = self.lr
        if lr is None:
            return None
        return math.log10(lr) if lr > 0 else -math.inf

    def sentence(self, lang: str = "en") -> str:
        c = self.comparison
        who = self.relative or ("已分型亲属" if lang == "zh" else "the typed relative")
        if lang == "zh":
            head = f"线粒体DNA与{who}相差 {c.count} 处"
            return head + {"cannot_exclude": f"，不能排除同一母系；LR = {_fmt(self.lr or 0)}。",
                           "inconclusive": "，结论不确定（1处差异），不计算LR。",
                           "exclusion": "，排除同一母系（≥2处差异）。"}[c.conclusion]
        head = f"The mtDNA sequences of the found person and {who} differ at {c.count} position{'s' * (c.count != 1)}"
        if c.conclusion == "cannot_exclude":
            return (f"{head}: the maternal line cannot be excluded; the sequences are {_fmt(self.lr)} times more "
                    f"probable if of the same maternal line than if unrelated. " + self.population.sentence)
        if c.conclusion == "inconclusive":
            return f"{head}: inconclusive (one difference, SWGDAM 2019); no LR is given."
        return f"{head}: the maternal line is excluded (two or more differences, SWGDAM 2019)."

    def as_dict(self) -> dict:
        c = self.comparison
        lg = self.log10_lr
        return {"relative": self.relative, "meioses": self.meioses, "conclusion": c.conclusion,
                "differences": c.differences, "ignored_length_variants": c.ignored,
                "range": " ".join(f"{a}-{b}" for a, b in c.range), "lr": self.lr,
                "log10_lr": None if lg is None or lg == -math.inf else lg,
                "population": self.population.as_dict() if self.population else None,
                "sentence": {"en": self.sentence("en"), "zh": self.sentence("zh")}}


def mt_lineage_lr(relative: MtSequence, found: MtSequence, database: MtDatabase, *, method: str = "clopper_pearson",
                  alpha: float = 0.05, relative_id: str | None = None, meioses: int | None = None) -> MtLineageLR:
    """Compare ``found`` with a maternal relative and, if they cannot be excluded, the LR from ``database``."""
    cmp = compare_mt(relative, found)
    if not cmp.range:
        raise HaplotypeError(Problem("the two sequences share no sequenced range", code="mt_no_shared_range"))
    pop = None
    if cmp.conclusion == "cannot_exclude":
        x, n = database.count(found, cmp.range)
        if n == 0:
            raise HaplotypeError(Problem(f"no sequence of the database {database.source} covers the compared range",
                                     code="mt_database_no_cover"))
        pop = haplotype_probability(x, n, method=method, alpha=alpha, database=database.source)
    return MtLineageLR(relative_id, meioses, cmp, pop)
