"""The missing-person likelihood ratio.

H1: the found person is the pedigree's missing member.  H2: the found person is unrelated to
the family, which keeps its pedigree with the missing member untyped.  Per marker::

    LR(m) = L(family + found person placed as the missing member, m)
            / ( L(family, m) * P(found person's genotype at m) )

and the LR is the product over the markers typed in the found person and present in the
frequency table (summed in log10).  Markers where the found person is untyped contribute 1;
relatives' untyped markers are summed out.  Without a mutation model an inconsistent marker
gives LR 0 exactly.  Inconsistent markers (H1 likelihood 0 without mutation) are listed with
every result, whatever the mutation model.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import InconsistencyError, InputError, MarkerError, Problem
from .frequencies import DEFAULT_NEW_ALLELE_FREQ, FrequencyTable, load_frequencies
from .likelihood import MarkerData, marker_likelihoods
from .markers import MISSING, Profile, parse_profile
from .mutation import MutationModel, MutationSpec, SexSpecificMutation, marker_matrices, parse_mutation
from .mutation import _matrix_cached as _mutation_matrix_cached
from .pedigree import Pedigree, make_pedigree

__all__ = [
    "KinshipCase",
    "LRResult",
    "MarkerLR",
    "load_case",
    "missing_person_lr",
    "verbal_equivalent",
]

# ENFSI (2015) verbal equivalents, lower bounds of each band of support for H1.
_VERBAL = (
    (1e6, "extremely strong support"),
    (1e4, "very strong support"),
    (1e3, "strong support"),
    (1e2, "moderately strong support"),
    (1e1, "moderate support"),
    (1.0, "weak support"),
)


def verbal_equivalent(lr: float | None, log10_lr: float | None = None) -> str:
    """The ENFSI/ISFG verbal equivalent of an LR, for H1 or (LR < 1) for H2."""
    if lr is not None and lr == 0:
        return "exclusion: the found person cannot be the missing member (LR 0)"
    if log10_lr is None:
        log10_lr = math.log10(lr)
    if abs(log10_lr) < 1e-12:
        return "no support for either hypothesis (LR 1)"
    mag = abs(log10_lr)
    label = "weak support"
    for bound, text in _VERBAL:
        if mag >= math.log10(bound) and mag > 0:
            label = text
            break
    side = "that the found person is the missing member" if log10_lr > 0 else \
        "that the found person is unrelated to the family"
    return f"{label} {side}"


@dataclass(frozen=True)
class MarkerLR:
    """One marker's contribution: its LR and whether it is inconsistent without mutation."""

    marker: str
    lr: float
    inconsistent: bool
    found: tuple[str, str] | None
    added_alleles: tuple[str, ...] = ()

    @property
    def log10_lr(self) -> float | None:
        return math.log10(self.lr) if self.lr > 0 else None


@dataclass
class LRResult:
    """The LR of one found person against one family, with everything needed to replay it."""

    lr: float | None
    log10_lr: float | None
    markers: list[MarkerLR]
    inconsistent_markers: list[str]
    frequencies: str
    mutation: str
    theta: float
    added_alleles: dict[str, list[str]] = field(default_factory=dict)
    skipped_markers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    id: str | None = None

    @property
    def verbal(self) -> str:
        return verbal_equivalent(self.lr, self.log10_lr)

    @property
    def decision(self) -> str:
        """The parentage decision practice of China's GB/T 37223 applied to this result."""
        n = len(self.inconsistent_markers)
        if n >= 3:
            return "exclusion (3 or more inconsistent markers)"
        if self.log10_lr is not None and self.log10_lr >= 4:
            return "inclusion supported (LR >= 10,000 with at most 2 inconsistent markers)"
        return "inconclusive: type more markers or more relatives"

    @property
    def markers_compared(self) -> int:
        """Markers typed in the found person and used in the LR."""
        return sum(1 for m in self.markers if m.found is not None)

    def sentence(self) -> str:
        """One sentence a person can read."""
        if self.lr == 0:
            return ("The DNA excludes the found person as the missing member: "
                    f"{len(self.inconsistent_markers)} marker(s) cannot be explained without "
                    "mutation.")
        return (f"The DNA results are {format_lr(self.lr, self.log10_lr)} times more probable if "
                "the found person is the family's missing member than if unrelated "
                f"({self.verbal}).")

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "lr": self.lr if self.lr is not None and math.isfinite(self.lr) else None,
            "log10_lr": self.log10_lr,
            "verbal": self.verbal,
            "decision": self.decision,
            "markers": {m.marker: m.lr for m in self.markers},
            "marker_details": [
                {"marker": m.marker, "lr": m.lr, "log10_lr": m.log10_lr,
                 "inconsistent": m.inconsistent, "found_typed": m.found is not None,
                 "added_alleles": list(m.added_alleles)}
                for m in self.markers
            ],
            "inconsistent_markers": list(self.inconsistent_markers),
            "markers_compared": self.markers_compared,
            "added_alleles": self.added_alleles,
            "skipped_markers": self.skipped_markers,
            "warnings": self.warnings,
            "assumptions": {
                "frequencies": self.frequencies,
                "mutation": self.mutation,
                "theta": self.theta,
                "hypotheses": {
                    "H1": "the found person is the pedigree's missing member",
                    "H2": "the found person is unrelated to the family",
                },
                "independence": "markers are treated as independent (product rule)",
            },
            "software": f"reunite {__version__}",
        }


def format_lr(lr: float | None, log10_lr: float | None) -> str:
    """An LR in forensic notation: plain below 10,000, scientific above."""
    if lr == 0:
        return "0"
    if log10_lr is None:
        return "undefined"
    if -2 <= log10_lr < 4:
        return f"{10 ** log10_lr:,.4g}"
    exp = math.floor(log10_lr)
    mant = 10 ** (log10_lr - exp)
    if mant >= 9.995:
        mant, exp = 1.0, exp + 1
    return f"{mant:.2f} × 10^{exp}"


@dataclass(frozen=True)
class KinshipCase:
    """A validated kinship case: a family, its typed members, the missing member, a found person."""

    pedigree: Pedigree
    profiles: Mapping[str, Profile]   # typed member -> profile (the case file's "genotypes")
    missing: str
    found: Profile
    frequencies: FrequencyTable
    mutation: SexSpecificMutation | MutationSpec | None = None
    theta: float = 0.0
    id: str | None = None


def load_case(spec: Mapping | str | Path, *, source: str | None = None) -> KinshipCase:
    """Validate a case in Reunite's JSON case format (a mapping or a path to a JSON file)."""
    if isinstance(spec, str | Path):
        path = Path(spec)
        source = source or str(path)
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(Problem(f"cannot read case: {exc.strerror}", file=source)) from None
        except json.JSONDecodeError as exc:
            raise InputError(Problem(f"not valid JSON ({exc.msg} at line {exc.lineno})",
                                     file=source, line=exc.lineno)) from None
        default_id = path.stem
    else:
        default_id = None
    source = source or "case"
    if not isinstance(spec, Mapping):
        raise InputError(Problem("a case is a JSON object", file=source))
    problems: list[Problem] = []
    for key in ("frequencies", "pedigree", "missing", "found"):
        if key not in spec:
            problems.append(Problem(f"the case lacks {key!r}", file=source, field=key))
    if problems:
        raise InputError(problems)

    def collect(fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except InputError as exc:
            problems.extend(Problem(p.message, file=p.file or source, line=p.line,
                                    field=p.field) for p in exc.problems)
            return None

    ped = collect(make_pedigree, spec["pedigree"] if isinstance(spec["pedigree"], list) else [],
                  source=source)
    if not isinstance(spec["pedigree"], list):
        problems.append(Problem("'pedigree' must be a list of members", file=source,
                                field="pedigree"))
    table = collect(load_frequencies, spec["frequencies"])
    mutation = collect(parse_mutation, spec.get("mutation"))
    found = collect(parse_profile, spec["found"], source=f"{source} (found)")
    profiles: dict[str, Profile] = {}
    raw = spec.get("genotypes") or {}
    if not isinstance(raw, Mapping):
        problems.append(Problem("'genotypes' must be an object of person: profile",
                                file=source, field="genotypes"))
        raw = {}
    for pid, prof in raw.items():
        p = collect(parse_profile, prof, source=f"{source} (genotypes of {pid})")
        if p is not None:
            profiles[str(pid)] = p
    theta = spec.get("theta", 0.0) or 0.0
    if isinstance(theta, bool) or not isinstance(theta, int | float) or not 0 <= theta < 1:
        problems.append(Problem(f"theta must be a number in [0, 1), got {theta!r}",
                                file=source, field="theta"))
        theta = 0.0
    missing = spec["missing"]
    if ped is not None:
        if missing not in ped:
            problems.append(Problem(f"the missing member {missing!r} is not in the pedigree",
                                    file=source, field="missing"))
        for pid in profiles:
            if pid not in ped:
                problems.append(Problem(f"genotypes are given for {pid!r}, who is not in the "
                                        f"pedigree", file=source, field="genotypes"))
        if missing in profiles and len(profiles[missing]):
            problems.append(Problem(
                f"the missing member {missing!r} is typed in 'genotypes'; the missing member's "
                f"profile is the found person's ('found')", file=source, field="genotypes"))
        try:
            ped.check_loop_free()
        except InputError as exc:
            problems.extend(Problem(p.message, file=source) for p in exc.problems)
    if problems:
        raise InputError(problems)
    return KinshipCase(ped, profiles, str(missing), found, table, mutation, float(theta),
                       str(spec.get("id") or default_id) if (spec.get("id") or default_id)
                       else None)


def _matrix_cached(model: MutationModel, alleles: tuple[str, ...], freqs: bytes,
                   marker: str) -> np.ndarray:
    """One model's read-only matrix, cached (shared with :func:`marker_matrices`)."""
    return _mutation_matrix_cached(model, alleles, freqs, marker)


def _marker_data(mf, mutation: SexSpecificMutation | MutationSpec | None) -> MarkerData:
    """A marker ready for the engine, with the mutation model of that marker (if any)."""
    mats = marker_matrices(mutation, mf.name, mf.alleles, mf.freqs)
    if mats is None:
        return MarkerData(mf.name, mf.alleles, mf.freqs)
    return MarkerData(mf.name, mf.alleles, mf.freqs, mats[0], mats[1])


def hw_genotype_prob(freqs: np.ndarray, a: int, b: int, theta: float = 0.0) -> float:
    """P(genotype {a, b}) of an unrelated person (Hardy–Weinberg; NRC II 4.10 with theta)."""
    pa, pb = float(freqs[a]), float(freqs[b])
    if a == b:
        return pa * (theta + (1.0 - theta) * pa)
    return 2.0 * (1.0 - theta) * pa * pb


def _allele_indices(profile: Profile, markers: list[str], table: FrequencyTable) -> np.ndarray:
    """A profile as (len(markers), 2) allele indices into the table (``MISSING`` where untyped)."""
    arr = np.full((len(markers), 2), MISSING, dtype=np.int64)
    for z, k in enumerate(markers):
        gt = profile.genotypes.get(k)
        if gt is not None:
            mf = table.markers[k]
            arr[z] = (mf.index(gt[0]), mf.index(gt[1]))
    return arr


def missing_person_lr(case: KinshipCase, *, new_allele_freq: float = DEFAULT_NEW_ALLELE_FREQ,
                      skip_unknown_markers: bool = False) -> LRResult:
    """Compute the missing-person LR of a validated :class:`KinshipCase`."""
    table = case.frequencies
    found = case.found
    skipped = [found.names[k] for k in found.genotypes if k not in table.markers]
    if skipped and not skip_unknown_markers:
        raise MarkerError([
            Problem(f"marker {name} is typed in the found person but is not in the frequency "
                    f"table {table.name!r}; use another table or skip unknown markers",
                    field=name) for name in skipped])
    warnings: list[str] = []
    sex = found.sex()
    member_sex = case.pedigree[case.missing].sex
    if sex is not None and member_sex != "unknown" and sex != member_sex:
        warnings.append(f"Amelogenin shows the found person is {sex}, but the missing member "
                        f"is recorded as {member_sex}; Amelogenin is not used in the LR")

    # The markers used: typed in the found person or in a relative, and in the table (in the
    # table's order, so that results do not depend on the order of the input).
    # A relative counts as typed only through markers the table has (others are never used).
    relatives = {pid: prof for pid, prof in case.profiles.items()
                 if pid != case.missing and any(k in table.markers for k in prof.genotypes)}
    typed_keys = set(found.genotypes)
    for prof in relatives.values():
        typed_keys.update(prof.genotypes)
    used = [k for k in table.markers if k in typed_keys]

    # Add unseen alleles of the used markers to the table.
    observed: dict[str, set[str]] = {k: set(found.genotypes.get(k, ())) for k in used}
    for prof in relatives.values():
        for k in used:
            if k in prof.genotypes:
                observed[k].update(prof.genotypes[k])
    table = table.with_alleles(observed, new_allele_freq)
    mds = [_marker_data(table.markers[k], case.mutation) for k in used]

    nm = len(used)
    geno = {pid: _allele_indices(prof, used, table) for pid, prof in relatives.items()}
    farr = _allele_indices(found, used, table)

    h1_geno = dict(geno)
    h1_geno[case.missing] = farr
    # H1: the pedigree as given.  H2: the part of it that relates the typed relatives to each
    # other (forrel's convention: a lone relative is a Hardy–Weinberg individual).
    ped1 = case.pedigree.trimmed(set(h1_geno))
    ped2 = case.pedigree.trimmed(set(geno))
    l1 = marker_likelihoods(ped1, mds, h1_geno, theta=case.theta)
    l2 = marker_likelihoods(ped2, mds, geno, theta=case.theta) if geno else np.ones(nm)
    if all(md.mut_female is None and md.mut_male is None for md in mds):
        l1_plain = l1
    else:
        l1_plain = marker_likelihoods(ped1, [m.without_mutation() for m in mds], h1_geno,
                                      theta=case.theta)
    bad = [mds[z].name for z in range(nm) if not l2[z] > 0]
    if bad:
        unmodelled = [mds[z].name for z in range(nm) if not l2[z] > 0 and mds[z].mut_female is None
                      and mds[z].mut_male is None]
        if case.mutation is None:
            why = (" without a mutation model; check the relationships and sample labels, or give "
                   "a mutation model")
        elif unmodelled:
            why = (" without mutation (the per-marker mutation model gives none at "
                   + ", ".join(unmodelled) + "); check the relationships and sample labels, or "
                   "give those markers a mutation model")
        else:
            why = " even with the mutation model; check the relationships and sample labels"
        raise InconsistencyError("the family's own genotypes are impossible at marker(s) "
                                 + ", ".join(bad) + why)
    results: list[MarkerLR] = []
    log_sum = 0.0
    zero = False
    for z, k in enumerate(used):
        mf = table.markers[k]
        typed = farr[z, 0] != MISSING
        pg = hw_genotype_prob(mf.freqs, int(farr[z, 0]), int(farr[z, 1]), case.theta) \
            if typed else 1.0
        lr = float(l1[z] / (l2[z] * pg))
        if lr > 0:
            log_sum += math.log10(lr)
        else:
            zero = True
        results.append(MarkerLR(mf.name, lr, bool(l1_plain[z] == 0), found.genotypes.get(k),
                                tuple(table.added.get(k, ()))))
    if zero:
        lr_total, log10 = 0.0, None
    else:
        log10 = log_sum
        lr_total = 10.0 ** log10 if log10 < 308 else math.inf
    added = {table.markers[k].name: list(v) for k, v in table.added.items() if k in observed}
    mut = case.mutation.describe() if case.mutation is not None else "none"
    return LRResult(lr_total, log10, results,
                    [m.marker for m in results if m.inconsistent],
                    table.name if table.name != "inline" else "inline table",
                    mut, case.theta, added, skipped, warnings, case.id)
