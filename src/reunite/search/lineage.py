"""Lineage markers in the national search: the index's paternal and maternal lines, and the LR of a
found child against every family at once.

Where a family's typed relatives have Y-STR haplotypes or mtDNA sequences (``profiles.csv``'s
lineage rows, :func:`reunite.search.io.read_profiles_lineage`), the index keeps per family, as the
store's matching picks them (:func:`reunite.cases.lineage.pair_lineage`):

* the closest typed man of the missing child's paternal line (fewest meioses, ties by member id;
  :func:`~reunite.genetics.ystr.paternal_relatives`; none when the missing child is female), his
  meioses to the missing child and his haplotype over the index's locus list ``loci``:
  ``y_count[f, l]`` the number of alleles (-1 untyped, 0 a null allele) and ``y_alleles[f, l, c]``
  the alleles times ten (``17.2`` is 172), sorted, so a microvariant is an integer too;
* the closest typed person of the maternal line (:func:`~reunite.genetics.mtdna.maternal_relatives`),
  the meioses and the sequence (distinct sequences stored once, ``mt_seq[f]`` an index into them);
* the line's other typed relatives (most families have none), closest first, in the ``y_more_*`` and
  ``mt_more_*`` arrays (one entry per relative with its row): where the closest cannot be compared with
  a found child (no Y-STR locus typed in both and in the database; no mtDNA range in common or none of
  the database covering it), the next comparable one is used, as ``pair_lineage`` does.

:func:`lineage_log10` gives, for one found child, the Y-STR and mtDNA log10 LRs against every row:

* **Y-STR**, vectorized in numpy: per meioses and locus the step distribution of
  :func:`~reunite.genetics.ystr.step_distribution` (the per-copy rate of the locus) as a table
  over the repeat differences; per locus the families with as many alleles as the child (others are
  not compared, as :func:`~reunite.genetics.ystr.compare_y` says) get P(child's alleles | relative's)
  — for two alleles the sum over the two pairings (one when the child's two are equal), a pairing
  whose differences are not whole repeats left out, the locus not compared when no pairing is
  whole; a null against a null is compared with probability 1.  The numerator is the product over
  the compared loci (float64, in the order :func:`~reunite.genetics.ystr.compare_y` multiplies), the
  denominator the child's population probability on exactly those loci, computed once per child and
  set of loci (:func:`~reunite.genetics.ystr.haplotype_probability` on
  :meth:`~reunite.genetics.ystr.YDatabase.count`, or the discrete Laplace fit).  A child with three
  or more alleles at a locus is evaluated by :func:`~reunite.genetics.ystr.y_lineage_lr` itself,
  pair by pair.  No locus compared: no Y-STR LR (NaN); a difference the model cannot reach in the
  meioses: LR 0 (-inf), an exclusion.
* **mtDNA**: the differences to every distinct family sequence counted at once where
  :func:`~reunite.genetics.mtdna.compare_mt` reduces to counting positions whose states differ (the
  child's range, no heteroplasmy on either side; the C-stretch length variants left out), and
  :func:`~reunite.genetics.mtdna.compare_mt` itself for the others, once per distinct sequence; the
  child counted in the database over the compared range once (as
  :func:`~reunite.genetics.mtdna.mt_lineage_lr`): cannot exclude → log10 LR, inconclusive → no LR
  (0 in the sum, the conclusion kept), exclusion → -inf.

The parts multiply with the autosomal LR (independently inherited markers).  The results equal
:func:`~reunite.genetics.ystr.y_lineage_lr` / :func:`~reunite.genetics.mtdna.mt_lineage_lr` on the
same pair (tests/search/test_lineage_search.py, to 1e-9 in log10).  Nothing here names an allele or
a variant in a message.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError, PedigreeError, Problem
from ..genetics.haplotype import HaplotypeError, YHaplotype
from ..genetics.mtdna import (
    DELETION,
    IUPAC,
    LENGTH_HETEROPLASMY,
    MtDatabase,
    MtSequence,
    bundled_mt_database,
    compare_mt,
    load_mt_database,
    maternal_relatives,
    mt_lineage_lr,
    parse_mt_sequence,
)
from ..genetics.pedigree import Pedigree
from ..genetics.ystr import (
    TWO_STEP_SHARE,
    Y_METHODS,
    YDatabase,
    bundled_y_database,
    haplotype_probability,
    load_y_database,
    load_y_rates,
    paternal_relatives,
    step_distribution,
    y_lineage_lr,
)

__all__ = [
    "LINEAGE_FILES",
    "FamilyLineage",
    "LineageIndex",
    "LineageOptions",
    "LineageScores",
    "compile_lineage",
    "family_lineage",
    "lineage_log10",
    "lineage_options",
    "relation",
    "y_codes",
]

#: Files a saved index with lineage data adds (beside meta.json): arrays and the relatives' labels.
LINEAGE_FILES = ("lineage_y_meioses.npy", "lineage_y_count.npy", "lineage_y_alleles.npy",
                 "lineage_mt_meioses.npy", "lineage_mt_seq.npy", "lineage.json",
                 "lineage_y_more_row.npy", "lineage_y_more_meioses.npy", "lineage_y_more_count.npy",
                 "lineage_y_more_alleles.npy", "lineage_mt_more_row.npy", "lineage_mt_more_meioses.npy",
                 "lineage_mt_more_seq.npy")
_MORE_ARRAYS = ("y_more_row", "y_more_meioses", "y_more_count", "y_more_alleles", "mt_more_row",
                "mt_more_meioses", "mt_more_seq")
_MORE_LABELS = ("y_more_relative", "y_more_relation", "mt_more_relative", "mt_more_relation")

_NA = -1      # y_count: untyped; meioses: no relative on that line
_MAX_COPIES = 4


def relation(ped: Pedigree, missing: str, pid: str, maternal: bool) -> str:
    """The relative's relation to the missing child on one line (``brother``, ``paternal_uncle``,
    ``maternal_grandmother``, …), named as the store's lineage section names it."""
    me, p = ped[missing], ped[pid]
    parent = me.mother if maternal else me.father
    up = (lambda x: ped[x].mother) if maternal else (lambda x: ped[x].father)
    if pid == parent:
        return "mother" if maternal else "father"
    if parent is not None and (p.mother if maternal else p.father) == parent:
        return "maternal_sibling" if maternal else "brother"
    grand = up(parent) if parent is not None else None
    if grand is not None and pid == grand:
        return "maternal_grandmother" if maternal else "paternal_grandfather"
    if grand is not None and (p.mother if maternal else p.father) == grand:
        return "maternal_aunt_or_uncle" if maternal else "paternal_uncle"
    pp = p.mother if maternal else p.father
    if grand is not None and pp is not None and (ped[pp].mother if maternal else ped[pp].father) == grand:
        return "maternal_cousin" if maternal else "paternal_cousin"
    return "maternal_line" if maternal else "paternal_line"


@dataclass(frozen=True)
class FamilyLineage:
    """A family's closest typed relative of each line: (member id, meioses, relation, haplotype or
    sequence), None when the line has none; ``y_more``/``mt_more`` the line's other typed relatives in
    the same form, closest first (ties by member id), used when the closest cannot be compared."""

    y: tuple[str, int, str, YHaplotype] | None
    mt: tuple[str, int, str, MtSequence] | None
    y_more: tuple = ()
    mt_more: tuple = ()


def family_lineage(ped: Pedigree, missing: str, y: Mapping[str, YHaplotype],
                   mt: Mapping[str, MtSequence]) -> FamilyLineage | None:
    """The closest typed relative of the missing child's paternal line (with a haplotype) and of the
    maternal line (with a sequence), picked as :func:`reunite.cases.lineage.lineage_family` and
    ``pair_lineage`` pick them; ``y``/``mt`` map member ids to their markers.  None when neither."""
    ys = {pid: h for pid, h in y.items() if h is not None and h.alleles and pid != missing}
    mts = {pid: s for pid, s in mt.items() if s is not None and pid != missing}
    y_line: list = []
    if ys and ped[missing].sex != "female":
        try:
            rel = paternal_relatives(ped, missing, ys)
        except PedigreeError:
            rel = []
        y_line = [(pid, m, relation(ped, missing, pid, False), ys[pid]) for pid, m in rel]
    mt_line: list = []
    if mts:
        mt_line = [(pid, m, relation(ped, missing, pid, True), mts[pid])
                   for pid, m in maternal_relatives(ped, missing, mts)]
    if not y_line and not mt_line:
        return None
    return FamilyLineage(y_line[0] if y_line else None, mt_line[0] if mt_line else None,
                         tuple(y_line[1:]), tuple(mt_line[1:]))


def y_codes(h: YHaplotype, loci: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """A haplotype over ``loci``: the number of alleles per locus (-1 untyped, 0 null) and the
    alleles times ten, sorted ((L, 4) int16, 0 padding)."""
    count = np.full(len(loci), _NA, dtype=np.int8)
    vals = np.zeros((len(loci), _MAX_COPIES), dtype=np.int16)
    for li, locus in enumerate(loci):
        a = h.alleles.get(locus)
        if a is None:
            continue
        count[li] = len(a)
        vals[li, : len(a)] = sorted(round(float(x) * 10) for x in a)
    return count, vals


def _label(v: int) -> str:
    return str(v // 10) if v % 10 == 0 else f"{v // 10}.{v % 10}"


@dataclass
class LineageIndex:
    """The lineage part of a reference index, one row per index row (see the module docstring)."""

    loci: list[str]
    y_meioses: np.ndarray            # (F,) int16, -1: no typed man of the paternal line
    y_count: np.ndarray              # (F, L) int8, -1 untyped, 0 null
    y_alleles: np.ndarray            # (F, L, 4) int16, alleles x 10, sorted
    mt_meioses: np.ndarray           # (F,) int16, -1: no typed person of the maternal line
    mt_seq: np.ndarray               # (F,) int32 index into ``mt_sequences``, -1 none
    mt_sequences: list[MtSequence]
    y_relative: list[str | None] = field(default_factory=list)     # member id per row
    y_relation: list[str | None] = field(default_factory=list)
    mt_relative: list[str | None] = field(default_factory=list)
    mt_relation: list[str | None] = field(default_factory=list)
    # The other typed relatives of each line ("more"), for a pair whose closest one cannot be
    # compared (as the store's pair_lineage): one entry per relative, sorted by row, then closest first.
    y_more_row: np.ndarray | None = None        # (E,) int32 the index row
    y_more_meioses: np.ndarray | None = None    # (E,) int16
    y_more_count: np.ndarray | None = None      # (E, L) int8
    y_more_alleles: np.ndarray | None = None    # (E, L, 4) int16
    y_more_relative: list[str] = field(default_factory=list)
    y_more_relation: list[str] = field(default_factory=list)
    mt_more_row: np.ndarray | None = None       # (E',) int32
    mt_more_meioses: np.ndarray | None = None   # (E',) int16
    mt_more_seq: np.ndarray | None = None       # (E',) int32 into ``mt_sequences``
    mt_more_relative: list[str] = field(default_factory=list)
    mt_more_relation: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        n_l = len(self.loci)
        if self.y_more_row is None:
            self.y_more_row = np.zeros(0, np.int32)
            self.y_more_meioses = np.zeros(0, np.int16)
            self.y_more_count = np.zeros((0, n_l), np.int8)
            self.y_more_alleles = np.zeros((0, n_l, _MAX_COPIES), np.int16)
        if self.mt_more_row is None:
            self.mt_more_row = np.zeros(0, np.int32)
            self.mt_more_meioses = np.zeros(0, np.int16)
            self.mt_more_seq = np.zeros(0, np.int32)

    @property
    def rows(self) -> int:
        return len(self.y_meioses)

    def y_man(self, row: int, man: int = -1) -> tuple[str | None, str | None, int]:
        """(member id, relation, meioses) of the paternal-line man of ``row`` a score used: ``man`` -1 the
        closest, else an entry of the ``y_more_*`` arrays."""
        if man < 0:
            return self.y_relative[row], self.y_relation[row], int(self.y_meioses[row])
        return self.y_more_relative[man], self.y_more_relation[man], int(self.y_more_meioses[man])

    def mt_person(self, row: int, person: int = -1) -> tuple[str | None, str | None, int]:
        """(member id, relation, meioses) of the maternal-line relative of ``row`` a score used (as
        :meth:`y_man`)."""
        if person < 0:
            return self.mt_relative[row], self.mt_relation[row], int(self.mt_meioses[row])
        return self.mt_more_relative[person], self.mt_more_relation[person], int(self.mt_more_meioses[person])

    def _views(self) -> tuple[LineageIndex, LineageIndex]:
        """The ``more`` entries as lineage indexes of their own (one row per entry), for the kernel."""
        key = (len(self.y_more_row), len(self.mt_more_row), len(self.mt_sequences), id(self.y_more_count))
        v = self.__dict__.get("_more_views")
        if v is None or v[0] != key:
            e, e2 = len(self.y_more_row), len(self.mt_more_row)
            yv = LineageIndex(self.loci, np.asarray(self.y_more_meioses), np.asarray(self.y_more_count),
                              np.asarray(self.y_more_alleles), np.full(e, _NA, np.int16), np.full(e, -1, np.int32),
                              self.mt_sequences, list(self.y_more_relative), list(self.y_more_relation),
                              [None] * e, [None] * e)
            mv = LineageIndex(self.loci, np.full(e2, _NA, np.int16), np.full((e2, len(self.loci)), _NA, np.int8),
                              np.zeros((e2, len(self.loci), _MAX_COPIES), np.int16),
                              np.asarray(self.mt_more_meioses), np.asarray(self.mt_more_seq), self.mt_sequences,
                              [None] * e2, [None] * e2, list(self.mt_more_relative), list(self.mt_more_relation))
            v = (key, yv, mv)
            self.__dict__["_more_views"] = v
        return v[1], v[2]

    def counts(self) -> dict:
        """Rows with a paternal-line man, with a maternal-line relative, with either."""
        y = np.asarray(self.y_meioses) >= 0
        mt = np.asarray(self.mt_meioses) >= 0
        return {"y": int(y.sum()), "mt": int(mt.sum()), "either": int((y | mt).sum())}

    def nbytes(self) -> int:
        return int(sum(np.asarray(a).nbytes for a in (self.y_meioses, self.y_count, self.y_alleles,
                                                       self.mt_meioses, self.mt_seq,
                                                       *(getattr(self, x) for x in _MORE_ARRAYS))))

    def haplotype(self, row: int) -> YHaplotype:
        """The paternal-line man's haplotype of ``row`` (labels rebuilt from the codes)."""
        out = {}
        cnt, vals = self.y_count[row], self.y_alleles[row]
        for li, locus in enumerate(self.loci):
            n = int(cnt[li])
            if n >= 0:
                out[locus] = tuple(_label(int(v)) for v in vals[li, :n])
        return YHaplotype(out)

    def extend(self, other: LineageIndex | None, n: int) -> None:
        """Append ``n`` rows (``other``'s, or rows without lineage data)."""
        if other is None:
            other = empty_lineage(n, self.loci)
        if other.loci != self.loci:
            other = _relocus(other, self.loci)
        off = len(self.mt_sequences)
        rows = self.rows
        self.y_more_row = np.concatenate([np.asarray(self.y_more_row), np.asarray(other.y_more_row) + rows]
                                         ).astype(np.int32)
        self.mt_more_row = np.concatenate([np.asarray(self.mt_more_row), np.asarray(other.mt_more_row) + rows]
                                          ).astype(np.int32)
        self.mt_more_seq = np.concatenate([np.asarray(self.mt_more_seq), np.asarray(other.mt_more_seq) + off]
                                          ).astype(np.int32)
        for name in ("y_more_meioses", "y_more_count", "y_more_alleles", "mt_more_meioses"):
            setattr(self, name, np.concatenate([np.asarray(getattr(self, name)), np.asarray(getattr(other, name))]))
        self.y_meioses = np.concatenate([np.asarray(self.y_meioses), other.y_meioses])
        self.y_count = np.concatenate([np.asarray(self.y_count), other.y_count])
        self.y_alleles = np.concatenate([np.asarray(self.y_alleles), other.y_alleles])
        self.mt_meioses = np.concatenate([np.asarray(self.mt_meioses), other.mt_meioses])
        self.mt_seq = np.concatenate([np.asarray(self.mt_seq), np.where(other.mt_seq >= 0, other.mt_seq + off, -1)])
        self.mt_sequences = self.mt_sequences + other.mt_sequences
        for name in ("y_relative", "y_relation", "mt_relative", "mt_relation", *_MORE_LABELS):
            setattr(self, name, list(getattr(self, name)) + list(getattr(other, name)))

    # ------------------------------------------------------------------------------ save / load

    def save(self, out: Path, save_npy, save_text) -> None:
        save_npy(out / "lineage_y_meioses.npy", self.y_meioses)
        save_npy(out / "lineage_y_count.npy", self.y_count)
        save_npy(out / "lineage_y_alleles.npy", self.y_alleles)
        save_npy(out / "lineage_mt_meioses.npy", self.mt_meioses)
        save_npy(out / "lineage_mt_seq.npy", self.mt_seq)
        for name in _MORE_ARRAYS:
            save_npy(out / f"lineage_{name}.npy", np.asarray(getattr(self, name)))
        save_text(out / "lineage.json", json.dumps({
            "loci": self.loci, "mt_sequences": [s.as_dict() for s in self.mt_sequences],
            "y_relative": self.y_relative, "y_relation": self.y_relation,
            "mt_relative": self.mt_relative, "mt_relation": self.mt_relation,
            **{name: list(getattr(self, name)) for name in _MORE_LABELS}}))

    @classmethod
    def load(cls, path: Path, mmap_mode: str | None = "r") -> LineageIndex:
        meta = json.loads((path / "lineage.json").read_text(encoding="utf-8"))
        seqs = [parse_mt_sequence(d["variants"], d["range"], source="lineage.json") for d in meta["mt_sequences"]]
        # An index written before the other relatives of the lines were kept has no "more" files: none.
        more = {name: np.load(path / f"lineage_{name}.npy") for name in _MORE_ARRAYS
                if (path / f"lineage_{name}.npy").exists()} if "y_more_relative" in meta else {}
        labels = {name: meta[name] for name in _MORE_LABELS} if more else {}
        return cls(meta["loci"], np.load(path / "lineage_y_meioses.npy"),
                   np.load(path / "lineage_y_count.npy", mmap_mode=mmap_mode),
                   np.load(path / "lineage_y_alleles.npy", mmap_mode=mmap_mode),
                   np.load(path / "lineage_mt_meioses.npy"), np.load(path / "lineage_mt_seq.npy"), seqs,
                   meta["y_relative"], meta["y_relation"], meta["mt_relative"], meta["mt_relation"],
                   **more, **labels)


def empty_lineage(n: int, loci: Sequence[str] = ()) -> LineageIndex:
    """``n`` rows without lineage data."""
    loci = list(loci)
    return LineageIndex(loci, np.full(n, _NA, np.int16), np.full((n, len(loci)), _NA, np.int8),
                        np.zeros((n, len(loci), _MAX_COPIES), np.int16), np.full(n, _NA, np.int16),
                        np.full(n, -1, np.int32), [], [None] * n, [None] * n, [None] * n, [None] * n)


def _relocus(li: LineageIndex, loci: list[str]) -> LineageIndex:
    if any(x not in loci for x in li.loci):
        extra = [x for x in li.loci if x not in loci]
        raise InputError(f"the new families are typed at Y-STR loci the index does not have ({', '.join(extra)}); "
                         "rebuild the index")
    pos = [li.loci.index(x) if x in li.loci else -1 for x in loci]

    def remap(count, alleles):
        n = len(count)
        cnt = np.full((n, len(loci)), _NA, np.int8)
        vals = np.zeros((n, len(loci), _MAX_COPIES), np.int16)
        for j, p in enumerate(pos):
            if p >= 0:
                cnt[:, j] = count[:, p]
                vals[:, j] = alleles[:, p]
        return cnt, vals

    cnt, vals = remap(np.asarray(li.y_count), np.asarray(li.y_alleles))
    mcnt, mvals = remap(np.asarray(li.y_more_count), np.asarray(li.y_more_alleles))
    return LineageIndex(loci, li.y_meioses, cnt, vals, li.mt_meioses, li.mt_seq, li.mt_sequences,
                        li.y_relative, li.y_relation, li.mt_relative, li.mt_relation,
                        li.y_more_row, li.y_more_meioses, mcnt, mvals, li.y_more_relative, li.y_more_relation,
                        li.mt_more_row, li.mt_more_meioses, li.mt_more_seq, li.mt_more_relative,
                        li.mt_more_relation)


def compile_lineage(family_ids: Sequence[str], families: Iterable, y: Mapping[str, YHaplotype],
                    mt: Mapping[str, MtSequence]) -> LineageIndex | None:
    """The lineage rows of an index whose rows are ``family_ids``, from family records (``family``,
    ``pedigree``, ``missing``, ``samples``: member id → sample id) and the samples' Y-STR haplotypes
    and mtDNA sequences.  None when no family has a typed relative of either line."""
    found: dict[str, FamilyLineage] = {}
    for f in families:
        ys = {pid: y[s] for pid, s in f.samples.items() if s in y}
        mts = {pid: mt[s] for pid, s in f.samples.items() if s in mt}
        if not ys and not mts:
            continue
        fl = family_lineage(f.pedigree, f.missing, ys, mts)
        if fl is not None:
            found[f.family] = fl
    if not found:
        return None
    loci = sorted({locus for fl in found.values() for man in ((fl.y,) if fl.y else ()) + tuple(fl.y_more)
                   for locus in man[3].alleles})
    out = empty_lineage(len(family_ids), loci)
    seq_at: dict[tuple, int] = {}

    def seq_index(s: MtSequence) -> int:
        key = (s.range, tuple(sorted(s.variants.items())))
        if key not in seq_at:
            seq_at[key] = len(out.mt_sequences)
            out.mt_sequences.append(s)
        return seq_at[key]

    y_more: list = []    # (row, meioses, count, alleles, member id, relation)
    mt_more: list = []   # (row, meioses, sequence index, member id, relation)
    for r, fam in enumerate(family_ids):
        fl = found.get(fam)
        if fl is None:
            continue
        if fl.y is not None:
            pid, m, rel, h = fl.y
            out.y_meioses[r] = m
            out.y_count[r], out.y_alleles[r] = y_codes(h, loci)
            out.y_relative[r], out.y_relation[r] = pid, rel
            y_more += [(r, m2, *y_codes(h2, loci), pid2, rel2) for pid2, m2, rel2, h2 in fl.y_more]
        if fl.mt is not None:
            pid, m, rel, s = fl.mt
            out.mt_meioses[r] = m
            out.mt_seq[r] = seq_index(s)
            out.mt_relative[r], out.mt_relation[r] = pid, rel
            mt_more += [(r, m2, seq_index(s2), pid2, rel2) for pid2, m2, rel2, s2 in fl.mt_more]
    if y_more:
        out.y_more_row = np.array([e[0] for e in y_more], np.int32)
        out.y_more_meioses = np.array([e[1] for e in y_more], np.int16)
        out.y_more_count = np.stack([e[2] for e in y_more]).astype(np.int8)
        out.y_more_alleles = np.stack([e[3] for e in y_more]).astype(np.int16)
        out.y_more_relative, out.y_more_relation = [e[4] for e in y_more], [e[5] for e in y_more]
    if mt_more:
        out.mt_more_row = np.array([e[0] for e in mt_more], np.int32)
        out.mt_more_meioses = np.array([e[1] for e in mt_more], np.int16)
        out.mt_more_seq = np.array([e[2] for e in mt_more], np.int32)
        out.mt_more_relative, out.mt_more_relation = [e[3] for e in mt_more], [e[4] for e in mt_more]
    return out


# ------------------------------------------------------------------------------ options


@dataclass
class LineageOptions:
    """The reference databases the lineage LRs count in, and the method (one of ``Y_METHODS``; mtDNA
    uses the one-sided Clopper–Pearson bound when the method is ``discrete_laplace``, as the store)."""

    y_database: YDatabase
    mt_database: MtDatabase
    method: str = "clopper_pearson"
    alpha: float = 0.05

    def describe(self) -> dict:
        return {"y_database": self.y_database.source, "y_simulated": self.y_database.simulated,
                "mt_database": self.mt_database.source, "mt_simulated": self.mt_database.simulated,
                "method": self.method, "alpha": self.alpha}


_BUNDLED: dict[str, object] = {}


def lineage_options(y_database: str | Path | None = None, mt_database: str | Path | None = None, *,
                    method: str = "clopper_pearson", alpha: float = 0.05) -> LineageOptions:
    """Options from database CSV paths (None: the bundled SIMULATED databases) and a method."""
    if method not in Y_METHODS:
        raise InputError(Problem(f"method {method!r} is not one of {', '.join(Y_METHODS)}", field="method",
                                 code="lineage_method", params={"methods": ", ".join(Y_METHODS)}))
    if not 0 < alpha < 1:
        raise InputError(Problem(f"alpha must be between 0 and 1, got {alpha}", field="alpha"))
    if y_database is None:
        ydb = _BUNDLED.get("y") or _BUNDLED.setdefault("y", bundled_y_database())
    else:
        ydb = load_y_database(y_database)
        if not ydb.loci:
            raise HaplotypeError(Problem("no locus is typed in every haplotype of the database; a database row "
                                         "needs every locus the database is counted on", file=str(y_database)))
    mdb = (_BUNDLED.get("mt") or _BUNDLED.setdefault("mt", bundled_mt_database())) if mt_database is None \
        else load_mt_database(mt_database)
    return LineageOptions(ydb, mdb, method, alpha)


# ------------------------------------------------------------------------------ the kernel


@dataclass
class LineageScores:
    """One found child's lineage log10 LRs against rows ``rows`` of the index.

    ``y``/``mt``: NaN where the line gives no LR (no relative, nothing compared; for mtDNA also an
    inconclusive comparison), -inf for an exclusion.  ``mt_state``: -1 not compared, 0 cannot
    exclude, 1 inconclusive, 2 exclusion.  ``total``: the sum (NaN parts count 0), -inf if either
    excludes; ``applies``: rows where either line was compared.  ``y_man``/``mt_man``: which relative
    of the line gave the LR, -1 the closest (``y_relative``), else an entry of the ``*_more_*`` arrays
    (the closest could not be compared); None: all the closest."""

    rows: np.ndarray
    y: np.ndarray
    mt: np.ndarray
    mt_state: np.ndarray
    y_man: np.ndarray | None = None
    mt_man: np.ndarray | None = None

    def man(self, j: int) -> tuple[int, int]:
        """(y_man, mt_man) of position ``j``."""
        return (-1 if self.y_man is None else int(self.y_man[j]),
                -1 if self.mt_man is None else int(self.mt_man[j]))

    @property
    def y_applies(self) -> np.ndarray:
        return ~np.isnan(self.y)

    @property
    def applies(self) -> np.ndarray:
        return self.y_applies | (self.mt_state >= 0)

    @property
    def total(self) -> np.ndarray:
        t = np.where(np.isnan(self.y), 0.0, self.y) + np.where(np.isnan(self.mt), 0.0, self.mt)
        return np.where(np.isneginf(self.y) | np.isneginf(self.mt), -np.inf, t)


_TABLES: dict[tuple, np.ndarray] = {}


def _step_table(meioses: int, per_copy: float) -> np.ndarray:
    """P(net change d) for d = -2m..2m (index d + 2m), from :func:`step_distribution` itself."""
    key = (meioses, per_copy)
    t = _TABLES.get(key)
    if t is None:
        dist = step_distribution(meioses, per_copy, TWO_STEP_SHARE)
        t = np.zeros(4 * meioses + 1)
        for d, p in dist.items():
            t[d + 2 * meioses] = p
        _TABLES[key] = t
    return t


_BLOCK = 1 << 16   # families per block of the Y-STR kernel (bounds its temporary arrays)


def _lookup2(table: np.ndarray, d10: np.ndarray, m: int, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_lookup` for (families, loci) differences, ``table`` (loci, 4m + 1)."""
    whole = d10 % 10 == 0
    width = table.shape[1]
    d = d10 // 10 + 2 * m
    inside = whole & (d >= 0) & (d < width)
    flat = table.ravel()[cols[None, :] * width + np.clip(d, 0, width - 1)]
    return whole, np.where(inside, flat, 0.0)


def _y_scores(li: LineageIndex, rows: np.ndarray, found: YHaplotype, opts: LineageOptions) -> np.ndarray:
    out = np.full(len(rows), np.nan)
    mei = np.asarray(li.y_meioses)[rows]
    has = mei >= 0
    if not has.any() or not found.alleles:
        return out
    db = opts.y_database
    db_loci = set(db.loci)
    loci = li.loci
    if any(len(found.alleles[x]) > 2 for x in found.alleles if x in db_loci and x in loci):
        for j in np.nonzero(has)[0]:   # three or more copies: the pair-by-pair function itself
            out[j] = _y_pair(li, int(rows[j]), found, opts)
        return out
    fc, fv = y_codes(found, loci)
    fc = np.where(np.array([x in db_loci for x in loci], dtype=bool), fc, _NA)
    rates = load_y_rates()
    sel_all = np.nonzero(has)[0]
    num = np.ones(len(rows))
    comp = np.zeros((len(rows), len(loci)), dtype=bool)
    per_copy = [rates.rate(x)[0] / max(rates.copies.get(x, 1), 1) for x in loci]
    typed_l = fc >= 0
    n0, n2 = typed_l & (fc == 0), typed_l & (fc == 2)
    two = np.nonzero(n2)[0]
    cols2 = np.arange(len(two))
    swap_l = n2 & (fv[:, 0] != fv[:, 1])       # two different alleles: two pairings
    f0, f1 = fv[:, 0].astype(np.int64), fv[:, 1].astype(np.int64)
    cols = np.arange(len(loci))
    for m in np.unique(mei[sel_all]):
        m = int(m)
        table = np.stack([_step_table(m, per_copy[i]) for i in range(len(loci))])   # (L, 4m + 1)
        sel_m = sel_all[mei[sel_all] == m]
        for c0 in range(0, len(sel_m), _BLOCK):
            sel = sel_m[c0:c0 + _BLOCK]
            r = rows[sel]
            cnt = np.asarray(li.y_count[r])                                       # (n, L)
            vals = np.asarray(li.y_alleles[r][:, :, :2], dtype=np.int64)          # (n, L, 2)
            same = (cnt == fc[None, :]) & typed_l[None, :]
            ok, p = _lookup2(table, f0[None, :] - vals[:, :, 0], m, cols)
            if len(two):
                # two alleles: both copies whole; the two pairings summed where the child's differ
                w1, p1 = _lookup2(table[two], f1[None, two] - vals[:, two, 1], m, cols2)
                ident = ok[:, two] & w1
                pt = np.where(ident, p[:, two] * p1, 0.0)
                ws0, q0 = _lookup2(table[two], f1[None, two] - vals[:, two, 0], m, cols2)
                ws1, q1 = _lookup2(table[two], f0[None, two] - vals[:, two, 1], m, cols2)
                swap = swap_l[None, two] & ws0 & ws1
                ok[:, two] = ident | swap
                p[:, two] = pt + np.where(swap, q0 * q1, 0.0)
            ok[:, n0] = True
            p[:, n0] = 1.0
            use = same & ok
            comp[sel] = use
            num[sel] = np.prod(np.where(use, p, 1.0), axis=1)
    # The loci compared differ between families (nulls, duplications, microvariants, loci typed):
    # one population probability per distinct set, each set a row of bits.
    bits = np.packbits(comp[sel_all], axis=1, bitorder="little")
    keys = np.ascontiguousarray(bits).view(np.dtype((np.void, bits.shape[1]))).reshape(-1)
    uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    with np.errstate(divide="ignore"):
        lnum = np.log10(num[sel_all])
    res = np.full(len(sel_all), np.nan)
    for si in range(len(uniq)):
        s = comp[sel_all[first[si]]]
        if not s.any():
            continue
        pop = _y_population(found, [loci[i] for i in np.nonzero(s)[0]], opts)
        if pop is None:      # the discrete Laplace fit cannot evaluate this haplotype: no Y-STR LR
            continue
        j = inverse == si
        res[j] = np.where(np.isneginf(lnum[j]), -np.inf, lnum[j] - math.log10(pop))
    out[sel_all] = res
    return out


def _y_population(found: YHaplotype, loci: list[str], opts: LineageOptions) -> float | None:
    db = opts.y_database
    cache = db._counts.setdefault("search_population", {})
    key = (found.key(loci), tuple(loci), opts.method, opts.alpha)
    p = cache.get(key)
    if p is None:
        if opts.method == "discrete_laplace":
            try:
                p = db.discrete_laplace(loci).probability(found)
            except HaplotypeError:   # a null, duplicated or microvariant allele (as y_lineage_lr raises)
                cache[key] = math.nan
                return None
        else:
            x, n = db.count(found, loci)
            p = haplotype_probability(x, n, method=opts.method, alpha=opts.alpha, database=db.source).probability
        cache[key] = p
    return None if math.isnan(p) else p


def _y_pair(li: LineageIndex, row: int, found: YHaplotype, opts: LineageOptions) -> float:
    """One row by :func:`y_lineage_lr` itself (NaN when nothing is compared)."""
    try:
        r = y_lineage_lr(li.haplotype(row), found, int(li.y_meioses[row]), opts.y_database, method=opts.method,
                         alpha=opts.alpha)
    except HaplotypeError:
        return math.nan
    return r.log10_lr


def _mt_scores(li: LineageIndex, rows: np.ndarray, found: MtSequence, opts: LineageOptions
               ) -> tuple[np.ndarray, np.ndarray]:
    out = np.full(len(rows), np.nan)
    state = np.full(len(rows), -1, dtype=np.int8)
    seq = np.asarray(li.mt_seq)[rows]
    has = seq >= 0
    if not has.any():
        return out, state
    method = opts.method if opts.method != "discrete_laplace" else "clopper_pearson"
    used = np.unique(seq[has])
    s_lg = np.full(len(li.mt_sequences), np.nan)
    s_st = np.full(len(li.mt_sequences), -1, dtype=np.int8)
    fast = _mt_fast(li, found)
    if fast is not None:
        ok, count = fast
        f = used[ok[used]]
        if len(f):
            c = count[f]
            s_st[f] = np.minimum(c, 2)
            s_lg[f] = np.where(c >= 2, -np.inf, np.nan)
            if (c == 0).any():
                s_lg[f[c == 0]] = _mt_log10(found, compare_mt(found, found).range, opts.mt_database, method,
                                            opts.alpha)
                s_st[f[c == 0]] = 0 if not math.isnan(s_lg[f[c == 0]][0]) else -1
        used = used[~ok[used]]
    for u in used:   # heteroplasmy, or another range: compare_mt itself, once per distinct sequence
        s_lg[u], s_st[u] = _mt_pair(li.mt_sequences[int(u)], found, opts.mt_database, method, opts.alpha)
    out[has], state[has] = s_lg[seq[has]], s_st[seq[has]]
    return out, state


def _counted_keys(s: MtSequence) -> list[tuple[int, int]]:
    """The positions of ``s`` that :func:`compare_mt` counts (length variants of the C-stretches left out)."""
    return [k for k in s.variants if not (k[1] and k[0] in LENGTH_HETEROPLASMY)]


def _heteroplasmic(s: MtSequence) -> bool:
    return any(v != DELETION and len(IUPAC[v]) > 1 for v in s.variants.values())


def _mt_fast(li: LineageIndex, found: MtSequence) -> tuple[np.ndarray, np.ndarray] | None:
    """Differences of ``found`` to every distinct family sequence, vectorized, where :func:`compare_mt`
    reduces to counting positions whose states differ: the same range and no heteroplasmy on either
    side.  Returns (which sequences, their difference counts), or None when the child is heteroplasmic.

    Then every variant is inside the range (the parser refuses others), a position is a difference
    unless both have the same state, and the count is |K_family| + |K_child| − |shared positions| −
    |shared (position, state)|."""
    if _heteroplasmic(found):
        return None
    t = li.__dict__.get("_mt_table")
    if t is None or t["n"] != len(li.mt_sequences):
        keys: dict = {}
        toks: dict = {}
        kid, tid, ptr, het, rng = [], [], [0], [], []
        for s in li.mt_sequences:
            ks = _counted_keys(s)
            kid += [keys.setdefault(k, len(keys)) for k in ks]
            tid += [toks.setdefault((k, s.variants[k]), len(toks)) for k in ks]
            ptr.append(len(kid))
            het.append(_heteroplasmic(s))
            rng.append(s.range)
        t = {"n": len(li.mt_sequences), "keys": keys, "toks": toks, "kid": np.array(kid, dtype=np.int64),
             "tid": np.array(tid, dtype=np.int64), "ptr": np.array(ptr, dtype=np.int64),
             "het": np.array(het, dtype=bool), "range": rng}
        li.__dict__["_mt_table"] = t
    ck = _counted_keys(found)
    kmark = np.zeros(len(t["keys"]) + 1, dtype=np.int64)
    tmark = np.zeros(len(t["toks"]) + 1, dtype=np.int64)
    kmark[[t["keys"][k] for k in ck if k in t["keys"]]] = 1
    tmark[[t["toks"][(k, found.variants[k])] for k in ck if (k, found.variants[k]) in t["toks"]]] = 1
    ptr = t["ptr"]
    ks = np.concatenate([[0], np.cumsum(kmark[t["kid"]])])
    ts = np.concatenate([[0], np.cumsum(tmark[t["tid"]])])
    shared_k = ks[ptr[1:]] - ks[ptr[:-1]]
    shared_t = ts[ptr[1:]] - ts[ptr[:-1]]
    count = np.diff(ptr) + len(ck) - shared_k - shared_t
    ok = ~t["het"] & np.array([r == found.range for r in t["range"]], dtype=bool)
    return ok, count


def _mt_log10(found: MtSequence, rng: tuple, db: MtDatabase, method: str, alpha: float) -> float:
    """log10 LR of a comparison that cannot exclude: −log10 of the population probability of ``found``
    counted over ``rng`` (as :func:`mt_lineage_lr`), cached; NaN when no database sequence covers it."""
    cache = db._cache.setdefault("search_population", {})
    key = (tuple(sorted(found.variants.items())), rng, method, alpha)
    p = cache.get(key)
    if p is None:
        x, n = db.count(found, rng)
        if n == 0:
            return math.nan
        p = cache[key] = haplotype_probability(x, n, method=method, alpha=alpha, database=db.source).probability
    return -math.log10(p)


_STATES = {"cannot_exclude": 0, "inconclusive": 1, "exclusion": 2}


def _mt_pair(rel: MtSequence, found: MtSequence, db: MtDatabase, method: str, alpha: float) -> tuple[float, int]:
    cmp = compare_mt(rel, found)
    if not cmp.range:
        return math.nan, -1
    if cmp.conclusion != "cannot_exclude":
        return (-math.inf if cmp.conclusion == "exclusion" else math.nan), _STATES[cmp.conclusion]
    lg = _mt_log10(found, cmp.range, db, method, alpha)
    return lg, (0 if not math.isnan(lg) else -1)


def _first_comparable(more_row: np.ndarray, rows: np.ndarray, need: np.ndarray, score) -> tuple[np.ndarray, np.ndarray]:
    """For positions ``need`` of ``rows`` (closest relative not comparable), the line's next relatives:
    ``score(entries)`` says which ``more`` entries are comparable; returns per position of ``need`` the
    entry used (-1 none) and its place among the scored entries."""
    more_row = np.asarray(more_row)
    r = rows[need]
    lo = np.searchsorted(more_row, r, side="left")
    hi = np.searchsorted(more_row, r, side="right")
    n = hi - lo
    pick = np.full(len(r), -1, np.int64)
    at = np.full(len(r), -1, np.int64)
    if not n.any():
        return pick, at
    pos = np.repeat(np.arange(len(r)), n)                    # position (of need) of each entry
    ent = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True) if b > a])
    ok = score(ent)
    good = np.nonzero(ok)[0]
    if len(good):
        # entries are closest first within a row: the first comparable one of each position
        p_u, first = np.unique(pos[good], return_index=True)
        pick[p_u] = ent[good[first]]
        at[p_u] = good[first]
    return pick, at


def _y_fallback(li: LineageIndex, rows: np.ndarray, y: np.ndarray, found: YHaplotype, opts: LineageOptions
                ) -> tuple[np.ndarray, np.ndarray]:
    man = np.full(len(rows), -1, np.int64)
    if not len(li.y_more_row):
        return y, man
    need = np.nonzero(np.isnan(y) & (np.asarray(li.y_meioses)[rows] >= 0))[0]
    if not len(need):
        return y, man
    yv, _mv = li._views()
    got = {}

    def score(ent):
        got["v"] = _y_scores(yv, ent, found, opts)
        return ~np.isnan(got["v"])

    pick, at = _first_comparable(li.y_more_row, rows, need, score)
    has = pick >= 0
    if has.any():
        y = y.copy()
        y[need[has]] = got["v"][at[has]]
        man[need[has]] = pick[has]
    return y, man


def _mt_fallback(li: LineageIndex, rows: np.ndarray, mt: np.ndarray, st: np.ndarray, found: MtSequence,
                 opts: LineageOptions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    man = np.full(len(rows), -1, np.int64)
    if not len(li.mt_more_row):
        return mt, st, man
    need = np.nonzero((st < 0) & (np.asarray(li.mt_seq)[rows] >= 0))[0]
    if not len(need):
        return mt, st, man
    _yv, mv = li._views()
    got = {}

    def score(ent):
        got["v"], got["s"] = _mt_scores(mv, ent, found, opts)
        return got["s"] >= 0

    pick, at = _first_comparable(li.mt_more_row, rows, need, score)
    has = pick >= 0
    if has.any():
        mt, st = mt.copy(), st.copy()
        mt[need[has]] = got["v"][at[has]]
        st[need[has]] = got["s"][at[has]]
        man[need[has]] = pick[has]
    return mt, st, man


def lineage_log10(li: LineageIndex, rows: np.ndarray, found_y: YHaplotype | None, found_mt: MtSequence | None,
                  opts: LineageOptions) -> LineageScores:
    """A found child's Y-STR and mtDNA log10 LRs against index rows ``rows`` (see the module docstring).

    Per line the closest typed relative is scored for every row at once; where he cannot be compared
    (no locus or range in common with the child and the database) the line's next relatives are, closest
    first, and the first comparable one is used, as the store's ``pair_lineage`` picks."""
    rows = np.asarray(rows, dtype=np.int64)
    y_man = mt_man = None
    if found_y is not None and found_y.alleles:
        y, y_man = _y_fallback(li, rows, _y_scores(li, rows, found_y, opts), found_y, opts)
    else:
        y = np.full(len(rows), np.nan)
    if found_mt is not None:
        mt, st, mt_man = _mt_fallback(li, rows, *_mt_scores(li, rows, found_mt, opts), found_mt, opts)
    else:
        mt, st = np.full(len(rows), np.nan), np.full(len(rows), -1, dtype=np.int8)
    return LineageScores(rows, y, mt, st, y_man, mt_man)


def pair_scores(li: LineageIndex, row: int, found_y: YHaplotype | None, found_mt: MtSequence | None,
                opts: LineageOptions) -> tuple[float, float, int]:
    """One row pair by pair (:func:`y_lineage_lr`, :func:`mt_lineage_lr`): (y, mt, mt_state) as in
    :class:`LineageScores` — the reference the vectorized kernel is tested against, and the reverse
    search's evaluation (one family against each child).  Per line the closest comparable relative is
    used (:func:`pair_parts` also says which)."""
    return pair_parts(li, row, found_y, found_mt, opts)[:3]


def _mt_one(seq: MtSequence, found: MtSequence, opts: LineageOptions) -> tuple[float, int] | None:
    """mtDNA of one relative by :func:`mt_lineage_lr` (log10 LR or NaN, state); None: not comparable."""
    method = opts.method if opts.method != "discrete_laplace" else "clopper_pearson"
    try:
        r = mt_lineage_lr(seq, found, opts.mt_database, method=method, alpha=opts.alpha)
    except HaplotypeError:
        return None
    lg = r.log10_lr
    return (math.nan if lg is None else lg), _STATES[r.comparison.conclusion]


def pair_parts(li: LineageIndex, row: int, found_y: YHaplotype | None, found_mt: MtSequence | None,
               opts: LineageOptions) -> tuple[float, float, int, int, int]:
    """:func:`pair_scores` and which relative of each line was used: (y, mt, mt_state, y_man, mt_man),
    the men as in :class:`LineageScores` (-1 the closest)."""
    y, y_man = math.nan, -1
    if found_y is not None and found_y.alleles and li.y_meioses[row] >= 0:
        y = _y_pair(li, row, found_y, opts)
        if math.isnan(y) and len(li.y_more_row):
            yv, _mv = li._views()
            more = np.asarray(li.y_more_row)
            for e in range(int(np.searchsorted(more, row)), int(np.searchsorted(more, row, side="right"))):
                v = _y_pair(yv, e, found_y, opts)
                if not math.isnan(v):
                    y, y_man = v, e
                    break
    mt, st, mt_man = math.nan, -1, -1
    if found_mt is not None and li.mt_seq[row] >= 0:
        got = _mt_one(li.mt_sequences[int(li.mt_seq[row])], found_mt, opts)
        if got is None and len(li.mt_more_row):
            more = np.asarray(li.mt_more_row)
            for e in range(int(np.searchsorted(more, row)), int(np.searchsorted(more, row, side="right"))):
                got = _mt_one(li.mt_sequences[int(li.mt_more_seq[e])], found_mt, opts)
                if got is not None:
                    mt_man = e
                    break
        if got is not None:
            mt, st = got
    return y, mt, st, y_man, mt_man


__all__ += ["empty_lineage", "pair_parts", "pair_scores"]
