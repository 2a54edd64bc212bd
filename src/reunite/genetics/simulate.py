"""Gene dropping: simulated reference families and found children, for tests and benchmarks.

Founders draw two alleles each from the frequency table (Hardy–Weinberg, markers independent);
children receive one allele from each parent, chosen with probability 1/2, optionally changed
at transmission by a mutation model (mothers through the female model, fathers through the
male one).  Without a mutation model every simulated family is Mendelian-consistent.

Family structures (the typed relatives of the missing child ``C``):

============================  ==============================================================
``both_parents``              father ``F`` and mother ``M`` typed
``mother_only``               ``M`` typed, ``F`` untyped
``father_only``               ``F`` typed, ``M`` untyped
``mother_and_sibling``        ``M`` and a full sibling ``S`` typed, ``F`` untyped
``grandparents``              the paternal or the maternal grandparents ``GF`` and ``GM`` typed
                              (half the families each); both parents untyped
``siblings_only``             one or two full siblings ``S1`` (``S2``) typed (half each);
                              both parents untyped
============================  ==============================================================

Families are spread evenly over the structures asked for, in random order.  A share
``related_fraction`` of the found children are the missing children of distinct families (their
genotype is the simulated genotype of that family's ``C``); the rest are unrelated people drawn
from the table.  Found children carry their sex (Amelogenin X,X or X,Y), a related child the sex
of the missing member it is.

Everything is kept columnar: per family *layout* (structure and variant) an array of allele
indices ``(families, markers, 2)`` per member, the alleles of a genotype ordered by their label
(numerically, as in :class:`~reunite.genetics.markers.Profile`).  Label-level views
(:attr:`SimulatedPopulation.families`, :attr:`SimulatedPopulation.found`) are built on access.
Sampling normalises each marker's frequencies to sum to 1 (tables may be off by up to
:data:`~reunite.genetics.frequencies.SUM_TOLERANCE`); likelihoods use the table as given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import InputError, Problem
from .frequencies import FrequencyTable, load_frequencies
from .markers import allele_sort_key, marker_key
from .mutation import MutationSpec, SexSpecificMutation, marker_matrices, parse_mutation

__all__ = [
    "MARKER_SETS",
    "MISSING_ID",
    "STRUCTURES",
    "FamilyLayout",
    "SimulatedFamily",
    "SimulatedFoundChild",
    "SimulatedGroup",
    "SimulatedPopulation",
    "resolve_markers",
    "simulate_population",
]

#: The family structures, in the order they are reported.
STRUCTURES = (
    "both_parents",
    "mother_only",
    "father_only",
    "mother_and_sibling",
    "grandparents",
    "siblings_only",
)

#: Id of the missing child in every simulated family.
MISSING_ID = "C"

_CODIS20 = (
    "CSF1PO", "FGA", "TH01", "TPOX", "vWA", "D3S1358", "D5S818", "D7S820", "D8S1179", "D13S317",
    "D16S539", "D18S51", "D21S11", "D1S1656", "D2S441", "D2S1338", "D10S1248", "D12S391", "D19S433",
    "D22S1045",
)

#: Named marker sets: ``codis20`` (the 20 CODIS core markers) and ``cn23`` (those plus Penta D,
#: Penta E and D6S1043, the 23 autosomal STRs of the kits used in China's databases).
MARKER_SETS: dict[str, tuple[str, ...]] = {
    "codis20": _CODIS20,
    "cn23": (*_CODIS20, "Penta D", "Penta E", "D6S1043"),
}


@dataclass(frozen=True)
class FamilyLayout:
    """One pedigree shape: members ``(id, father, mother, sex)`` with parents before children
    (sex ``"random"`` is drawn per family), the typed members and the missing member."""

    structure: str
    variant: str
    members: tuple[tuple[str, str | None, str | None, str], ...]
    typed: tuple[str, ...]
    missing: str = MISSING_ID

    @property
    def name(self) -> str:
        return f"{self.structure}/{self.variant}" if self.variant else self.structure

    def records(self, sexes: Mapping[str, str]) -> list[dict]:
        """The pedigree records of one family, with the sexes drawn for it."""
        return [{"id": pid, "father": fa, "mother": mo, "sex": sexes.get(pid, sex)}
                for pid, fa, mo, sex in self.members]


def _layouts() -> dict[str, tuple[FamilyLayout, ...]]:
    f = ("F", None, None, "male")
    m = ("M", None, None, "female")
    c = (MISSING_ID, "F", "M", "random")
    gf, gm = ("GF", None, None, "male"), ("GM", None, None, "female")
    return {
        "both_parents": (FamilyLayout("both_parents", "", (f, m, c), ("F", "M")),),
        "mother_only": (FamilyLayout("mother_only", "", (f, m, c), ("M",)),),
        "father_only": (FamilyLayout("father_only", "", (f, m, c), ("F",)),),
        "mother_and_sibling": (
            FamilyLayout("mother_and_sibling", "", (f, m, ("S", "F", "M", "random"), c), ("M", "S")),),
        "grandparents": (
            FamilyLayout("grandparents", "paternal", (gf, gm, ("F", "GF", "GM", "male"), m, c), ("GF", "GM")),
            FamilyLayout("grandparents", "maternal", (gf, gm, f, ("M", "GF", "GM", "female"), c), ("GF", "GM")),
        ),
        "siblings_only": (
            FamilyLayout("siblings_only", "one", (f, m, ("S1", "F", "M", "random"), c), ("S1",)),
            FamilyLayout("siblings_only", "two", (f, m, ("S1", "F", "M", "random"), ("S2", "F", "M", "random"), c),
                         ("S1", "S2")),
        ),
    }


LAYOUTS: dict[str, tuple[FamilyLayout, ...]] = _layouts()


@dataclass(frozen=True)
class SimulatedGroup:
    """All families of one layout: ``family_index`` (into the population's families), per member
    the allele indices ``alleles[id]`` of shape ``(n, markers, 2)`` and ``male[id]`` of shape
    ``(n,)``."""

    layout: FamilyLayout
    family_index: np.ndarray
    alleles: dict[str, np.ndarray]
    male: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.family_index)


@dataclass(frozen=True)
class SimulatedFamily:
    """One simulated reference family, with labels: typed members' profiles
    (``{member: {marker: (allele, allele)}}``) and the missing child's true profile."""

    family: str
    structure: str
    pedigree: list[dict]
    missing: str
    profiles: dict[str, dict[str, tuple[str, str]]]
    missing_profile: dict[str, tuple[str, str]]

    def sample(self, member: str) -> str:
        """The sample id of a typed member, as written to ``profiles.csv``."""
        return f"{self.family}-{member}"


@dataclass(frozen=True)
class SimulatedFoundChild:
    """One simulated found child: sample id, sex and profile ``{marker: (allele, allele)}``;
    ``family`` is the family whose missing child this is, or None for an unrelated child."""

    sample: str
    sex: str
    profile: dict[str, tuple[str, str]]
    family: str | None

    @property
    def amelogenin(self) -> tuple[str, str]:
        return ("X", "Y") if self.sex == "male" else ("X", "X")


class _LazyList(Sequence):
    def __init__(self, n: int, make):
        self._n, self._make = n, make

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._make(j) for j in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        return self._make(i)


@dataclass(frozen=True)
class SimulatedPopulation:
    """Simulated reference families and found children, with the truth.

    ``groups`` holds the families by layout (columnar); ``family_group`` / ``family_row`` say
    where family ``i`` is.  Found child ``j`` has alleles ``found_alleles[j]``, sex
    ``found_male[j]`` and belongs to family ``found_family[j]`` (-1: unrelated).
    """

    table: str
    markers: tuple[str, ...]
    marker_names: tuple[str, ...]
    alleles: tuple[tuple[str, ...], ...]
    seed: int
    mutation: SexSpecificMutation | MutationSpec | None
    structures: tuple[str, ...]
    groups: tuple[SimulatedGroup, ...]
    family_group: np.ndarray
    family_row: np.ndarray
    found_alleles: np.ndarray
    found_male: np.ndarray
    found_family: np.ndarray
    family_width: int = field(default=6)
    found_width: int = field(default=6)

    @property
    def n_families(self) -> int:
        return len(self.family_group)

    @property
    def n_found(self) -> int:
        return len(self.found_male)

    def family_id(self, i: int) -> str:
        return f"F{i + 1:0{self.family_width}d}"

    def found_id(self, j: int) -> str:
        return f"C{j + 1:0{self.found_width}d}"

    def family_ids(self) -> list[str]:
        return [f"F{i:0{self.family_width}d}" for i in range(1, self.n_families + 1)]

    def found_ids(self) -> list[str]:
        return [f"C{j:0{self.found_width}d}" for j in range(1, self.n_found + 1)]

    def structure_of(self, i: int) -> str:
        return self.groups[int(self.family_group[i])].layout.structure

    def counts(self) -> dict[str, int]:
        """Number of families per structure."""
        out = dict.fromkeys(self.structures, 0)
        for g in self.groups:
            out[g.layout.structure] += len(g)
        return out

    @property
    def families(self) -> Sequence[SimulatedFamily]:
        """The families with labels, built on access (``len`` is free)."""
        return _LazyList(self.n_families, self._family)

    @property
    def found(self) -> Sequence[SimulatedFoundChild]:
        """The found children with labels, built on access."""
        return _LazyList(self.n_found, self._found)

    @cached_property
    def truth(self) -> dict[str, str | None]:
        """Found sample id -> the family whose missing child it is, or None when unrelated."""
        fam = self.found_family.tolist()
        return {s: (self.family_id(f) if f >= 0 else None) for s, f in zip(self.found_ids(), fam, strict=True)}

    def _labels(self, g: np.ndarray) -> dict[str, tuple[str, str]]:
        return {name: (als[a], als[b]) for name, als, (a, b) in
                zip(self.marker_names, self.alleles, g.tolist(), strict=True)}

    def _family(self, i: int) -> SimulatedFamily:
        grp = self.groups[int(self.family_group[i])]
        row = int(self.family_row[i])
        lay = grp.layout
        sexes = {pid: ("male" if grp.male[pid][row] else "female") for pid, *_ in lay.members}
        return SimulatedFamily(
            family=self.family_id(i), structure=lay.structure, pedigree=lay.records(sexes), missing=lay.missing,
            profiles={pid: self._labels(grp.alleles[pid][row]) for pid in lay.typed},
            missing_profile=self._labels(grp.alleles[lay.missing][row]))

    def _found(self, j: int) -> SimulatedFoundChild:
        f = int(self.found_family[j])
        return SimulatedFoundChild(self.found_id(j), "male" if self.found_male[j] else "female",
                                   self._labels(self.found_alleles[j]), self.family_id(f) if f >= 0 else None)


def resolve_markers(table: FrequencyTable, markers: str | Iterable[str] | None) -> list[str]:
    """Marker keys to simulate: all of the table's (None), a named set of :data:`MARKER_SETS`, or
    names (any spelling); every name the table lacks is reported together."""
    if markers is None:
        return list(table.markers)
    if isinstance(markers, str):
        markers = MARKER_SETS.get(markers.strip().lower()) or [m for m in markers.split(",") if m.strip()]
    keys: list[str] = []
    problems: list[Problem] = []
    for name in markers:
        try:
            key = marker_key(name)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if key not in table.markers:
            problems.append(Problem(f"marker {name!r} is not in the frequency table {table.name}",
                                    field="markers"))
        elif key not in keys:
            keys.append(key)
    if not keys and not problems:
        problems.append(Problem("no markers to simulate", field="markers"))
    if problems:
        raise InputError(problems)
    return keys


def simulate_population(
    table: FrequencyTable | str,
    n_families: int,
    n_found: int,
    related_fraction: float,
    seed: int,
    structures: Iterable[str] | None = None,
    markers: str | Iterable[str] | None = None,
    *,
    mutation: object = None,
) -> SimulatedPopulation:
    """Gene-drop ``n_families`` reference families and ``n_found`` found children.

    ``round(related_fraction * n_found)`` found children are the missing children of as many
    distinct families (so at most ``n_families``).  ``structures`` defaults to all of
    :data:`STRUCTURES`; ``markers`` to all markers of the table (or a :data:`MARKER_SETS` name,
    or names).  ``mutation`` takes what :func:`~reunite.genetics.mutation.parse_mutation` takes
    (None: no mutation).  The same arguments give the same population.
    """
    table = load_frequencies(table)
    problems: list[Problem] = []
    for name, v in (("n_families", n_families), ("n_found", n_found)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0:
            problems.append(Problem(f"{name} must be a non-negative integer, got {v!r}", field=name))
    if not (isinstance(related_fraction, int | float) and 0.0 <= related_fraction <= 1.0):
        problems.append(Problem(f"related_fraction must be in [0, 1], got {related_fraction!r}",
                                field="related_fraction"))
    structs = tuple(STRUCTURES if structures is None else
                    (s.strip() for s in (structures.split(",") if isinstance(structures, str) else structures)))
    unknown = [s for s in structs if s not in LAYOUTS]
    if unknown or not structs:
        problems.append(Problem(f"unknown family structure(s) {', '.join(map(repr, unknown))}; choose from "
                                f"{', '.join(STRUCTURES)}" if unknown else "no family structures given",
                                field="structures"))
    structs = tuple(dict.fromkeys(structs))
    if problems:
        raise InputError(problems)
    n_related = round(related_fraction * n_found)
    if n_related > n_families:
        raise InputError(Problem(
            f"{n_related} related found children need as many families, but only {n_families} are simulated; "
            f"lower related_fraction or n_found, or raise n_families", field="related_fraction"))
    keys = resolve_markers(table, markers)
    mut = parse_mutation(mutation)
    rng = np.random.default_rng(seed)

    mfs = [table.markers[k] for k in keys]
    n_alleles = max(len(mf.alleles) for mf in mfs)
    dtype = np.uint8 if n_alleles <= 255 else np.uint16
    cdfs = [np.cumsum(mf.freqs / np.sum(mf.freqs)) for mf in mfs]
    # rank[m][a]: position of allele a of marker m in label order, to order genotypes as Profile does.
    ranks = []
    for mf in mfs:
        order = sorted(range(len(mf.alleles)), key=lambda i, mf=mf: allele_sort_key(mf.alleles[i]))
        r = np.empty(len(mf.alleles), dtype=np.int64)
        r[order] = np.arange(len(mf.alleles))
        ranks.append(r)
    rank_lut = np.zeros((len(mfs), n_alleles), dtype=np.int64)
    for m, r in enumerate(ranks):
        rank_lut[m, :len(r)] = r
    # Per marker and sex, the cumulative rows of its mutation matrix (None: no mutation there).
    mut_cdf: dict[str, list[np.ndarray | None]] | None = None
    if mut is not None:
        mats = [marker_matrices(mut, mf.name, mf.alleles, mf.freqs) for mf in mfs]
        if any(m is not None for m in mats):
            mut_cdf = {sex: [None if m is None else _cum_rows(m[s]) for m in mats]
                       for s, sex in enumerate(("female", "male"))}

    def founders(n: int) -> np.ndarray:
        out = np.empty((n, len(mfs), 2), dtype=dtype)
        for m, cdf in enumerate(cdfs):
            idx = np.searchsorted(cdf, rng.random((n, 2)), side="right")
            out[:, m, :] = np.minimum(idx, len(cdf) - 1)
        return out

    def transmit(parent: np.ndarray, sex: str) -> np.ndarray:
        n = parent.shape[0]
        pick = rng.integers(0, 2, size=(n, len(mfs)), dtype=np.int8)
        allele = np.take_along_axis(parent, pick[..., None].astype(np.intp), axis=2)[..., 0]
        if mut_cdf is not None:
            for m, cum in enumerate(mut_cdf[sex]):
                if cum is not None:
                    allele[:, m] = _mutate(allele[:, m], cum, rng)
        return allele

    # Families: spread evenly over the structures, in random order.
    fam_struct = rng.permutation(np.arange(n_families) % len(structs))
    groups: list[SimulatedGroup] = []
    family_group = np.zeros(n_families, dtype=np.int16)
    family_row = np.zeros(n_families, dtype=np.int64)
    for s_i, struct in enumerate(structs):
        idx = np.flatnonzero(fam_struct == s_i)
        variants = LAYOUTS[struct]
        which = rng.integers(0, len(variants), size=len(idx)) if len(variants) > 1 else np.zeros(len(idx), int)
        for v_i, lay in enumerate(variants):
            fam = idx[which == v_i]
            n = len(fam)
            alleles: dict[str, np.ndarray] = {}
            male: dict[str, np.ndarray] = {}
            for pid, fa, mo, sex in lay.members:
                male[pid] = rng.random(n) < 0.5 if sex == "random" else np.full(n, sex == "male")
                if fa is None:
                    alleles[pid] = founders(n)
                else:
                    g = np.empty((n, len(mfs), 2), dtype=dtype)
                    g[..., 0] = transmit(alleles[fa], "male")
                    g[..., 1] = transmit(alleles[mo], "female")
                    alleles[pid] = g
            for g in alleles.values():
                _order_pairs(g, rank_lut)
                g.setflags(write=False)
            family_group[fam] = len(groups)
            family_row[fam] = np.arange(n)
            groups.append(SimulatedGroup(lay, fam, alleles, male))

    # Found children: the missing children of distinct families, and unrelated people.
    related = np.sort(rng.choice(n_families, size=n_related, replace=False)) if n_related else np.zeros(0, int)
    found_alleles = np.empty((n_found, len(mfs), 2), dtype=dtype)
    found_male = np.empty(n_found, dtype=bool)
    found_family = np.full(n_found, -1, dtype=np.int64)
    slots = rng.permutation(n_found)
    rel_slots, unrel_slots = slots[:n_related], slots[n_related:]
    for gi, grp in enumerate(groups):
        sel = family_group[related] == gi
        rows = family_row[related[sel]]
        found_alleles[rel_slots[sel]] = grp.alleles[grp.layout.missing][rows]
        found_male[rel_slots[sel]] = grp.male[grp.layout.missing][rows]
    found_family[rel_slots] = related
    unrel = founders(len(unrel_slots))
    _order_pairs(unrel, rank_lut)
    found_alleles[unrel_slots] = unrel
    found_male[unrel_slots] = rng.random(len(unrel_slots)) < 0.5
    for a in (found_alleles, found_male, found_family, family_group, family_row):
        a.setflags(write=False)

    return SimulatedPopulation(
        table=table.name, markers=tuple(keys), marker_names=tuple(mf.name for mf in mfs),
        alleles=tuple(mf.alleles for mf in mfs), seed=seed, mutation=mut, structures=structs,
        groups=tuple(groups), family_group=family_group, family_row=family_row, found_alleles=found_alleles,
        found_male=found_male, found_family=found_family, family_width=max(6, len(str(n_families))),
        found_width=max(6, len(str(n_found))))




def _order_pairs(g: np.ndarray, rank_lut: np.ndarray) -> None:
    """Order each genotype's two alleles by label, in place (as Profile orders them)."""
    m = np.arange(g.shape[1])
    swap = rank_lut[m, g[..., 0]] > rank_lut[m, g[..., 1]]
    if swap.any():
        first = np.where(swap, g[..., 1], g[..., 0])
        g[..., 1] = np.where(swap, g[..., 0], g[..., 1])
        g[..., 0] = first


def _cum_rows(matrix: np.ndarray) -> np.ndarray:
    rows = matrix / matrix.sum(axis=1, keepdims=True)
    return np.cumsum(rows, axis=1)


def _mutate(allele: np.ndarray, cum: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw each transmitted allele from its mutation-matrix row (most stay: handled in bulk)."""
    a = allele.astype(np.intp)
    u = rng.random(len(a))
    hi = cum[a, a]
    lo = np.where(a > 0, cum[a, np.maximum(a - 1, 0)], 0.0)
    moved = np.flatnonzero((u < lo) | (u >= hi))
    if len(moved):
        new = (u[moved, None] >= cum[a[moved]]).sum(axis=1)
        a[moved] = np.minimum(new, cum.shape[1] - 1)
    return a.astype(allele.dtype)
