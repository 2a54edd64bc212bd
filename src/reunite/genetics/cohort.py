"""A rescued cohort solved jointly: many found children against many families at once.

The joint model is dvir's (Vigeland & Egeland 2021): an *assignment* gives each found child at
most one missing person of compatible sex (a child of unknown sex fits both) with pairwise LR
above 0, and no missing person to two children.  Its LR against "nobody identified" is

    LR(a) = prod over families F of  L(F with its assigned children placed) / L(F)
            / prod over placed children V of P_HW(V)

so that children placed together in one family carry their sibling evidence.  Families are
independent given the assignment, so the joint LR factorises over families: each family has a
list of *local configurations* (which of its missing persons receive which children), each with
its own factor, and an assignment picks one configuration per family such that no found child is
used twice.

Method (exact).  Every configuration's factor is computed once with the kinship engine
(:func:`~reunite.genetics.likelihood.marker_likelihoods`, configurations of a family batched as
extra markers).  The only coupling between families is that a found child is used once; only
children that appear in the configurations of two or more families need to be tracked, as bits
of a *used* mask.  A dynamic programme over families with the mask as state gives exactly

- the normaliser Z (the sum of LR over all admissible assignments, the empty one included) and
  the number of admissible assignments (sum-product with weights 1),
- each pair's posterior P(V = M) (forward-backward over the same states),
- the best LR with a pair forced in or out (max-product), for the generalised LR of each pair,
- the top-K assignments, in order, by best-first search whose bound is the exact max-product
  completion (A* with an exact heuristic: each complete assignment popped is the next best).

Cost: families × configurations × 2^b, b the number of shared children (12 children: 4,096
states), instead of the number of assignments (tens of millions for 12 children against 10
families with a mutation model).  Beyond :data:`MAX_SHARED` shared children the answer would
need more memory than is sensible and :class:`~reunite.errors.InputError` says so.

Conclusions, one per found child, follow dvir's ``dviSolve`` defaults (threshold 10^4,
threshold2 = threshold/10, ``maxIncomp`` 2) applied to the joint solution; see
:func:`_conclude` and docs/cohort.md.  Hypotheses and conventions are those of KINSHIP.md.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import InconsistencyError, InputError, MarkerError, Problem
from ._spec import read_json_spec
from .frequencies import DEFAULT_NEW_ALLELE_FREQ, FrequencyTable, load_frequencies
from .likelihood import MarkerData, marker_likelihoods
from .markers import AMELOGENIN, MISSING, Profile, allele_sort_key, marker_key, parse_profile
from .mutation import MutationSpec, SexSpecificMutation, marker_matrices, parse_mutation
from .pedigree import SEX_ALIASES, Pedigree, Person, make_pedigree
from .simulate import resolve_markers

__all__ = [
    "CONCLUSIONS",
    "MAX_CONFIGS",
    "MAX_SHARED",
    "RELATIONSHIPS",
    "Cohort",
    "CohortFamily",
    "CohortResult",
    "FoundChild",
    "OtherChild",
    "Rules",
    "load_cohort",
    "simulate_cohort",
    "solve_cohort",
]

#: The conclusions a found child can receive, strongest first.
CONCLUSIONS = ("identified", "probable", "disputed", "inconclusive", "no_match", "excluded")
#: The relationships compared between two found children (each against ``unrelated``).
RELATIONSHIPS = ("full_siblings", "half_siblings_paternal", "half_siblings_maternal", "same_person")
#: At most this many found children may be shared between families' candidate lists (2^b states).
MAX_SHARED = 22
#: At most this many local configurations (placements of found children) per family.
MAX_CONFIGS = 250_000
#: Birth years within this many years count as compatible (an estimated age of a found infant).
BIRTH_YEAR_TOLERANCE = 1

_CHUNK = 3000  # engine problems per call (markers × configurations), to bound memory


# ---------------------------------------------------------------------------------------------
# Input


@dataclass(frozen=True)
class OtherChild:
    """A child of the family the report lists besides the missing ones (sex, birth year)."""

    sex: str | None
    birth_year: int | None


@dataclass(frozen=True)
class CohortFamily:
    """One reference family: pedigree, missing members, typed members, listed other children.

    ``other_children`` is None when the report does not list them (an unreported brother or
    sister can then not be excluded), a tuple (possibly empty) when it does.
    """

    id: str
    pedigree: Pedigree
    missing: tuple[str, ...]
    typed: tuple[str, ...]
    other_children: tuple[OtherChild, ...] | None = None


@dataclass(frozen=True)
class FoundChild:
    """A found child: id, sex (``"male"``/``"female"``/None), profile, estimated birth year."""

    id: str
    sex: str | None
    profile: Profile
    birth_year: int | None = None


@dataclass(frozen=True)
class Rules:
    """The decision thresholds (dvir ``dviSolve`` defaults) and the unreported-sibling policy.

    ``unreported_siblings``: ``"downgrade"`` (default) turns an identification into ``probable``
    while the family's report does not exclude an unreported brother or sister; ``"note"`` keeps
    ``identified`` and only says so in the note (dvir's behaviour plus the warning).
    """

    threshold: float = 1e4
    threshold2: float = 1e3
    max_inconsistent: int = 2
    unreported_siblings: str = "downgrade"

    def as_dict(self) -> dict:
        return {"threshold": self.threshold, "threshold2": self.threshold2,
                "max_inconsistent": self.max_inconsistent,
                "unreported_siblings": self.unreported_siblings}


@dataclass(frozen=True)
class Cohort:
    """A validated cohort: families, their typed relatives' profiles, the found children."""

    families: tuple[CohortFamily, ...]
    profiles: Mapping[str, Profile]
    found: tuple[FoundChild, ...]
    frequencies: FrequencyTable
    mutation: SexSpecificMutation | MutationSpec | None = None
    theta: float = 0.0
    rules: Rules = field(default_factory=Rules)
    id: str | None = None


def _sex(value, problems, source, fld, who) -> str | None:
    if value is None:
        return None
    s = SEX_ALIASES.get(str(value).strip().lower())
    if s is None:
        problems.append(Problem(f"{who}: sex {value!r} is not male, female or null", file=source,
                                field=fld))
        return None
    return None if s == "unknown" else s


def _year(value, problems, source, fld, who) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2200:
        problems.append(Problem(f"{who}: birth_year {value!r} is not a year such as 2013",
                                file=source, field=fld))
        return None
    return int(value)


def load_cohort(spec: Mapping | str | Path, *, source: str | None = None) -> Cohort:
    """Validate a cohort (a mapping or a JSON file); every problem is reported at once.

    Errors name the field, the family, the person and the marker; they never contain genotypes.
    """
    spec, source, default_id = read_json_spec(spec, source, "cohort")
    if not isinstance(spec, Mapping):
        raise InputError(Problem("a cohort is a JSON object", file=source))
    problems: list[Problem] = []
    for key in ("frequencies", "families", "found"):
        if key not in spec:
            problems.append(Problem(f"the cohort lacks {key!r}", file=source, field=key))
    if problems:
        raise InputError(problems)

    def collect(fn, *args, where=None, fld=None, **kw):
        try:
            return fn(*args, **kw)
        except InputError as exc:
            problems.extend(Problem((f"{where}: " if where else "") + p.message, file=source,
                                    line=p.line, field=fld or p.field) for p in exc.problems)
            return None

    table = collect(load_frequencies, spec["frequencies"], fld="frequencies")
    mutation = collect(parse_mutation, spec.get("mutation"), fld="mutation")
    theta = spec.get("theta", 0.0) or 0.0
    if isinstance(theta, bool) or not isinstance(theta, int | float) or not 0 <= theta < 1:
        problems.append(Problem(f"theta must be a number in [0, 1), got {theta!r}", file=source,
                                field="theta"))
        theta = 0.0
    rules = _rules(spec.get("rules"), problems, source)

    # Profiles of typed relatives.
    raw = spec.get("genotypes") or {}
    profiles: dict[str, Profile] = {}
    if not isinstance(raw, Mapping):
        problems.append(Problem("'genotypes' must be an object of person: profile", file=source,
                                field="genotypes"))
        raw = {}
    for pid, prof in raw.items():
        p = collect(parse_profile, prof, source=source, where=f"genotypes of {pid}",
                    fld=f"genotypes.{pid}")
        if p is not None:
            profiles[str(pid)] = p

    # Families.
    families: list[CohortFamily] = []
    owner: dict[str, str] = {}
    fams = spec["families"]
    if not isinstance(fams, list):
        problems.append(Problem("'families' must be a list (it may be empty)", file=source,
                                field="families"))
        fams = []
    seen_fam: set[str] = set()
    for i, f in enumerate(fams, start=1):
        fld = f"families[{i}]"
        if not isinstance(f, Mapping):
            problems.append(Problem(f"family {i} is not an object", file=source, field=fld))
            continue
        fid = str(f.get("id") or "").strip()
        if not fid:
            problems.append(Problem(f"family {i} has no id", file=source, field=f"{fld}.id"))
            fid = f"#{i}"
        elif fid in seen_fam:
            problems.append(Problem(f"family id {fid!r} is used twice", file=source,
                                    field=f"{fld}.id"))
        seen_fam.add(fid)
        recs = f.get("pedigree")
        if not isinstance(recs, list):
            problems.append(Problem(f"family {fid}: 'pedigree' must be a list of members",
                                    file=source, field=f"{fld}.pedigree"))
            recs = None
        ped = collect(make_pedigree, recs, source=source, where=f"family {fid}",
                      fld=f"{fld}.pedigree") if recs is not None else None
        if ped is not None:
            try:
                ped.check_loop_free()
            except InputError as exc:
                problems.extend(Problem(f"family {fid}: {p.message}", file=source,
                                        field=f"{fld}.pedigree") for p in exc.problems)
        missing = f.get("missing")
        if isinstance(missing, str):
            missing = [missing]
        if not isinstance(missing, list) or not missing:
            problems.append(Problem(f"family {fid}: 'missing' must list the missing members",
                                    file=source, field=f"{fld}.missing"))
            missing = []
        missing = [str(m) for m in missing]
        if len(set(missing)) != len(missing):
            problems.append(Problem(f"family {fid}: a missing member is listed twice",
                                    file=source, field=f"{fld}.missing"))
        others = _other_children(f, fid, fld, problems, source)
        if ped is None:
            continue
        for m in missing:
            if m not in ped:
                problems.append(Problem(f"family {fid}: the missing member {m!r} is not in the "
                                        f"pedigree", file=source, field=f"{fld}.missing"))
            elif m in profiles and len(profiles[m]):
                problems.append(Problem(
                    f"family {fid}: the missing member {m!r} is typed in 'genotypes'; a missing "
                    f"member's profile can only be a found child's", file=source,
                    field=f"genotypes.{m}"))
        for pid in ped.persons:
            if pid in owner:
                problems.append(Problem(
                    f"family {fid}: person id {pid!r} is also in family {owner[pid]}; ids must "
                    f"be unique across families", file=source, field=f"{fld}.pedigree"))
            else:
                owner[pid] = fid
        typed = tuple(pid for pid in ped.order if pid in profiles and len(profiles[pid]))
        families.append(CohortFamily(fid, ped, tuple(missing), typed, others))
    for pid in profiles:
        if pid not in owner:
            problems.append(Problem(f"genotypes are given for {pid!r}, who is in no family's "
                                    f"pedigree", file=source, field=f"genotypes.{pid}"))

    # Found children.
    found: list[FoundChild] = []
    flist = spec["found"]
    if not isinstance(flist, list):
        problems.append(Problem("'found' must be a list of found children", file=source,
                                field="found"))
        flist = []
    seen_found: set[str] = set()
    for i, c in enumerate(flist, start=1):
        fld = f"found[{i}]"
        if not isinstance(c, Mapping):
            problems.append(Problem(f"found child {i} is not an object", file=source, field=fld))
            continue
        cid = str(c.get("id") or "").strip()
        if not cid:
            problems.append(Problem(f"found child {i} has no id", file=source, field=f"{fld}.id"))
            cid = f"#{i}"
        elif cid in seen_found or cid in owner:
            problems.append(Problem(f"found child id {cid!r} is used twice (ids must differ from "
                                    f"each other and from family members)", file=source,
                                    field=f"{fld}.id"))
        seen_found.add(cid)
        sex = _sex(c.get("sex"), problems, source, f"{fld}.sex", f"found child {cid}")
        year = _year(c.get("birth_year"), problems, source, f"{fld}.birth_year",
                     f"found child {cid}")
        raw_g = c.get("genotypes") or {}
        prof = collect(parse_profile, raw_g, source=source, where=f"found child {cid}",
                       fld=f"{fld}.genotypes")
        if table is not None and isinstance(raw_g, Mapping):
            unknown = []
            for name in raw_g:
                try:
                    key = marker_key(name)
                except InputError:
                    continue
                if key not in table.markers and key != AMELOGENIN:
                    unknown.append(str(name))
            if unknown:
                problems.append(Problem(
                    f"found child {cid}: marker(s) {', '.join(unknown)} not in the frequency "
                    f"table {table.name!r}; use another table or leave them out", file=source,
                    field=f"{fld}.genotypes"))
        if prof is None:
            continue
        amel = prof.sex()
        if amel is not None and sex is not None and amel != sex:
            problems.append(Problem(f"found child {cid}: sex is given as {sex} but Amelogenin "
                                    f"shows {amel}", file=source, field=f"{fld}.sex"))
        found.append(FoundChild(cid, sex or amel, prof, year))
    if problems:
        raise InputError(problems)
    cid = spec.get("id") or default_id
    return Cohort(tuple(families), profiles, tuple(found), table, mutation, float(theta), rules,
                  str(cid) if cid else None)


def _other_children(f, fid, fld, problems, source):
    if "other_children" not in f or f["other_children"] is None:
        return None
    raw = f["other_children"]
    if not isinstance(raw, list):
        problems.append(Problem(f"family {fid}: 'other_children' must be a list of "
                                f"{{sex, birth_year}}", file=source, field=f"{fld}.other_children"))
        return None
    out = []
    for k, oc in enumerate(raw, start=1):
        where = f"{fld}.other_children[{k}]"
        if not isinstance(oc, Mapping):
            problems.append(Problem(f"family {fid}: other child {k} is not an object",
                                    file=source, field=where))
            continue
        out.append(OtherChild(_sex(oc.get("sex"), problems, source, f"{where}.sex",
                                   f"family {fid}, other child {k}"),
                              _year(oc.get("birth_year"), problems, source, f"{where}.birth_year",
                                    f"family {fid}, other child {k}")))
    return tuple(out)


def _rules(raw, problems, source) -> Rules:
    if raw is None:
        return Rules()
    if not isinstance(raw, Mapping):
        problems.append(Problem("'rules' must be an object", file=source, field="rules"))
        return Rules()
    r = Rules()
    kw = {}
    for key in ("threshold", "threshold2"):
        if key in raw:
            v = raw[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0:
                problems.append(Problem(f"rules.{key} must be a positive number, got {v!r}",
                                        file=source, field=f"rules.{key}"))
            else:
                kw[key] = float(v)
    if "max_inconsistent" in raw:
        v = raw["max_inconsistent"]
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            problems.append(Problem(f"rules.max_inconsistent must be a whole number >= 0, got "
                                    f"{v!r}", file=source, field="rules.max_inconsistent"))
        else:
            kw["max_inconsistent"] = v
    if "unreported_siblings" in raw:
        v = raw["unreported_siblings"]
        if v not in ("downgrade", "note"):
            problems.append(Problem(f"rules.unreported_siblings must be 'downgrade' or 'note', "
                                    f"got {v!r}", file=source, field="rules.unreported_siblings"))
        else:
            kw["unreported_siblings"] = v
    return Rules(**{**r.as_dict(), **kw})


# ---------------------------------------------------------------------------------------------
# Engine helpers


def _allele_indices(profile: Profile, markers: list[str], table: FrequencyTable) -> np.ndarray:
    arr = np.full((len(markers), 2), MISSING, dtype=np.int64)
    for z, k in enumerate(markers):
        gt = profile.genotypes.get(k)
        if gt is not None:
            mf = table.markers[k]
            arr[z] = (mf.index(gt[0]), mf.index(gt[1]))
    return arr


def _marker_data(mf, mutation) -> MarkerData:
    mats = marker_matrices(mutation, mf.name, mf.alleles, mf.freqs)
    if mats is None:
        return MarkerData(mf.name, mf.alleles, mf.freqs)
    return MarkerData(mf.name, mf.alleles, mf.freqs, mats[0], mats[1])


def batched_likelihoods(ped: Pedigree, mds: Sequence[MarkerData],
                        genotypes: Mapping[str, np.ndarray], theta: float) -> np.ndarray:
    """Likelihoods of C problems on one pedigree: ``genotypes[pid]`` is (C, nm, 2); returns (C, nm).

    The C problems are handed to the engine as C × nm markers (chunked), so one engine call
    computes many placements of found children at once.
    """
    if not genotypes:
        return np.ones((0, len(mds)))
    c = next(iter(genotypes.values())).shape[0]
    nm = len(mds)
    out = np.empty((c, nm))
    step = max(1, _CHUNK // max(nm, 1))
    for lo in range(0, c, step):
        hi = min(c, lo + step)
        geno = {pid: g[lo:hi].reshape(-1, 2) for pid, g in genotypes.items()}
        out[lo:hi] = marker_likelihoods(ped, list(mds) * (hi - lo), geno,
                                        theta=theta).reshape(hi - lo, nm)
    return out


def _log10_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Sum over markers (last axis) of log10(num/den); -inf where any marker's num is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.log10(num) - np.log10(den)
    return r.sum(axis=-1)


# ---------------------------------------------------------------------------------------------
# Prepared data


@dataclass
class _Prepared:
    markers: list[str]
    table: FrequencyTable
    mds: list[MarkerData]
    mds0: list[MarkerData] | None            # without mutation (None: no mutation model)
    rel: dict[str, np.ndarray]               # typed relative -> (nm, 2)
    found: np.ndarray                        # (n_found, nm, 2)
    log10_hw: np.ndarray                     # (n_found, nm) log10 P_HW (0 where untyped)
    hw: np.ndarray                           # (n_found, nm) P_HW (1 where untyped)
    added: dict[str, list[str]]
    x_skipped: list[str] = field(default_factory=list)


def _prepare(cohort: Cohort, new_allele_freq: float) -> _Prepared:
    table = cohort.frequencies
    typed_keys: set[str] = set()
    for c in cohort.found:
        typed_keys.update(c.profile.genotypes)
    rel_profiles = {pid: p for f in cohort.families for pid in f.typed
                    for p in [cohort.profiles[pid]]}
    for p in rel_profiles.values():
        typed_keys.update(k for k in p.genotypes if k in table.markers)
    # X-chromosomal markers are left out here (the joint solve is autosomal for now) and listed.
    x_skipped = [table.markers[k].name for k in table.markers
                 if k in typed_keys and getattr(table.markers[k], "chromosome", "A") == "X"]
    used = [k for k in table.markers if k in typed_keys
            and getattr(table.markers[k], "chromosome", "A") != "X"]
    observed: dict[str, set[str]] = {k: set() for k in used}
    for p in [c.profile for c in cohort.found] + list(rel_profiles.values()):
        for k in used:
            if k in p.genotypes:
                observed[k].update(p.genotypes[k])
    table = table.with_alleles(observed, new_allele_freq)
    mds = [_marker_data(table.markers[k], cohort.mutation) for k in used]
    has_mut = any(m.mut_female is not None or m.mut_male is not None for m in mds)
    mds0 = [m.without_mutation() for m in mds] if has_mut else None
    rel = {pid: _allele_indices(p, used, table) for pid, p in rel_profiles.items()}
    nm = len(used)
    found = np.stack([_allele_indices(c.profile, used, table) for c in cohort.found]) \
        if cohort.found else np.zeros((0, nm, 2), dtype=np.int64)
    # P_HW of each found child per marker, through the engine (a one-person pedigree), so that
    # the theta convention is the engine's.
    hw = np.ones((len(cohort.found), nm))
    if cohort.found and nm:
        solo = Pedigree([Person("V", None, None, "unknown")])
        hw = batched_likelihoods(solo, mds, {"V": found}, cohort.theta)
    with np.errstate(divide="ignore"):
        log10_hw = np.log10(hw)
    added = {table.markers[k].name: list(v) for k, v in table.added.items() if k in observed}
    return _Prepared(used, table, mds, mds0, rel, found, log10_hw, hw, added, x_skipped)


# ---------------------------------------------------------------------------------------------
# Family configurations


@dataclass
class _Config:
    pairs: tuple[tuple[int, str], ...]       # (found index, missing id), sorted by found index
    log10: float                             # log10 factor; -inf for a factor 0


@dataclass
class _FamilyTable:
    family: CohortFamily
    log10_l0: np.ndarray                     # per marker log10 L(F)
    configs: list[_Config]
    pair_lr: dict[tuple[int, str], tuple[float, int]]   # (found, missing) -> (log10 LR, inconsistent)


def _count_configs(sizes: list[int]) -> int:
    """An upper bound of a family's configurations: sum over subsets of missing members of the
    product of their candidate counts (exact when the members' candidates are disjoint)."""
    total = 0
    for k in range(len(sizes) + 1):
        for sub in itertools.combinations(sizes, k):
            total += math.prod(sub)
    return total


def _compatible(child_sex: str | None, member_sex: str) -> bool:
    return child_sex is None or member_sex == "unknown" or child_sex == member_sex


def _family_table(fam: CohortFamily, cohort: Cohort, prep: _Prepared) -> _FamilyTable:
    theta = cohort.theta
    nm = len(prep.markers)
    typed = {pid: prep.rel[pid] for pid in fam.typed}
    ped0 = fam.pedigree.trimmed(set(typed))
    l0 = marker_likelihoods(ped0, prep.mds, typed, theta=theta) if typed else np.ones(nm)
    bad = [prep.mds[z].name for z in range(nm) if not l0[z] > 0]
    if bad:
        raise InconsistencyError(
            f"family {fam.id}: the family's own genotypes are impossible at marker(s) "
            + ", ".join(bad) + (" without a mutation model" if cohort.mutation is None else
                                " even with the mutation model")
            + "; check the relationships and sample labels")
    with np.errstate(divide="ignore"):
        log10_l0 = np.log10(l0)

    # Pairs: every found child against every missing member of compatible sex.
    cand: dict[str, list[int]] = {}
    pair_lr: dict[tuple[int, str], tuple[float, int]] = {}
    for m in fam.missing:
        msex = fam.pedigree[m].sex
        js = [j for j, c in enumerate(cohort.found) if _compatible(c.sex, msex)]
        if not js:
            cand[m] = []
            continue
        ped1 = fam.pedigree.trimmed(set(typed) | {m})
        g = {pid: np.broadcast_to(a, (len(js), nm, 2)) for pid, a in typed.items()}
        g[m] = prep.found[js]
        l1 = batched_likelihoods(ped1, prep.mds, g, theta)
        l1p = batched_likelihoods(ped1, prep.mds0, g, theta) if prep.mds0 is not None else l1
        lr = _log10_ratio(l1, l0[None, :] * prep.hw[js])
        inc = (l1p == 0).sum(axis=1)
        cand[m] = []
        for k, j in enumerate(js):
            pair_lr[(j, m)] = (float(lr[k]), int(inc[k]))
            if lr[k] > -math.inf:
                cand[m].append(j)

    # Configurations: injective maps from a subset of the missing members to candidate children.
    n_cfg = _count_configs([len(cand[m]) for m in fam.missing])
    if n_cfg > MAX_CONFIGS:
        raise InputError(Problem(
            f"family {fam.id}: {len(fam.missing)} missing members with "
            f"{len({j for m in fam.missing for j in cand[m]})} candidate found children give "
            f"{n_cfg:,} ways to place them (more than {MAX_CONFIGS:,}); give a mutation model "
            f"only where needed, or split the family's missing members across cohorts",
            field="families"))
    configs = [_Config((), 0.0)]
    groups: dict[tuple[str, ...], list[tuple[tuple[int, str], ...]]] = {}
    for k in range(1, len(fam.missing) + 1):
        for ms in itertools.combinations(fam.missing, k):
            for js in itertools.product(*(cand[m] for m in ms)):
                if len(set(js)) < k:
                    continue
                pairs = tuple(sorted(zip(js, ms, strict=True)))
                if k == 1:
                    configs.append(_Config(pairs, pair_lr[pairs[0]][0]))
                else:
                    groups.setdefault(ms, []).append(pairs)
    for ms, plist in groups.items():
        ped = fam.pedigree.trimmed(set(typed) | set(ms))
        c = len(plist)
        g = {pid: np.broadcast_to(a, (c, nm, 2)) for pid, a in typed.items()}
        for m in ms:
            g[m] = np.stack([prep.found[dict((mm, jj) for jj, mm in p)[m]] for p in plist])
        lik = batched_likelihoods(ped, prep.mds, g, theta)
        hw_prod = np.stack([np.prod([prep.hw[j] for j, _ in p], axis=0) for p in plist])
        lr = _log10_ratio(lik, l0[None, :] * hw_prod)
        configs.extend(_Config(p, float(v)) for p, v in zip(plist, lr, strict=True))
    return _FamilyTable(fam, log10_l0, configs, pair_lr)


# ---------------------------------------------------------------------------------------------
# The joint search


class _Joint:
    """The dynamic programme over families with the used-children mask as state."""

    def __init__(self, tables: list[_FamilyTable], n_found: int):
        self.tables = tables
        uses = np.zeros(n_found, dtype=np.int64)
        for t in tables:
            kids = {j for c in t.configs for j, _ in c.pairs}
            for j in kids:
                uses[j] += 1
        shared = [j for j in range(n_found) if uses[j] >= 2]
        if len(shared) > MAX_SHARED:
            raise InputError(Problem(
                f"{len(shared)} found children are candidates of two or more families; the exact "
                f"joint search handles at most {MAX_SHARED}: split the cohort or exclude pairings"))
        self.bit = {j: 1 << b for b, j in enumerate(shared)}
        self.n_states = 1 << len(shared)
        self.states = np.arange(self.n_states, dtype=np.int64)
        # Per family: config masks, log10 weights, and the scaled weights.
        self.masks: list[np.ndarray] = []
        self.logw: list[np.ndarray] = []
        self.off: list[float] = []
        for t in tables:
            self.masks.append(np.array([sum(self.bit.get(j, 0) for j, _ in c.pairs)
                                        for c in t.configs], dtype=np.int64))
            lw = np.array([c.log10 for c in t.configs])
            self.logw.append(lw)
            self.off.append(float(lw.max()))

    def _grouped(self, f: int, weights: np.ndarray, how: str):
        """Per distinct mask of family f: the sum (or max) of ``weights``."""
        out: dict[int, float] = {}
        for m, w in zip(self.masks[f].tolist(), weights.tolist(), strict=True):
            if how == "sum":
                out[m] = out.get(m, 0.0) + w
            else:
                out[m] = max(out.get(m, 0.0), w)
        return out

    def _scaled(self, f: int, drop: np.ndarray | None = None) -> np.ndarray:
        w = np.power(10.0, self.logw[f] - self.off[f])
        if drop is not None:
            w = np.where(drop, 0.0, w)
        return w

    def forward(self, how: str, weights: list[np.ndarray]) -> list[np.ndarray]:
        s = self.states
        a = np.zeros(self.n_states)
        a[0] = 1.0
        out = [a]
        for f in range(len(self.tables)):
            nxt = np.zeros(self.n_states)
            for m, w in self._grouped(f, weights[f], how).items():
                if w == 0:
                    continue
                ok = (s & m) == 0
                tgt = s[ok] | m
                if how == "sum":
                    nxt[tgt] += a[ok] * w
                else:
                    nxt[tgt] = np.maximum(nxt[tgt], a[ok] * w)
            a = nxt
            out.append(a)
        return out

    def backward(self, how: str, weights: list[np.ndarray]) -> list[np.ndarray]:
        s = self.states
        nf = len(self.tables)
        b = np.ones(self.n_states)
        out = [b]
        for f in range(nf - 1, -1, -1):
            nxt = np.zeros(self.n_states)
            for m, w in self._grouped(f, weights[f], how).items():
                if w == 0:
                    continue
                ok = (s & m) == 0
                val = np.zeros(self.n_states)
                val[ok] = b[s[ok] | m] * w
                nxt = nxt + val if how == "sum" else np.maximum(nxt, val)
            b = nxt
            out.append(b)
        return out[::-1]   # out[f]: completion from family f on

    def best_log10(self, drop: list[np.ndarray] | None = None) -> float:
        w = [self._scaled(f, None if drop is None else drop[f]) for f in range(len(self.tables))]
        top = float(self.forward("max", w)[-1].max())
        return math.log10(top) + sum(self.off) if top > 0 else -math.inf

    def max_through(self) -> list[np.ndarray]:
        """Per family f and configuration c: log10 LR of the best complete assignment that uses c.

        Every complete assignment uses exactly one configuration of each family, so the best
        assignment without a pair (or without a child in a family) is the maximum of this over
        that family's configurations without it: one forward and one backward max pass serve
        every generalised LR."""
        nf = len(self.tables)
        w = [self._scaled(f) for f in range(nf)]
        fwd, bwd = self.forward("max", w), self.backward("max", w)
        s = self.states
        out = []
        for f in range(nf):
            h: dict[int, float] = {}
            for m in set(self.masks[f].tolist()):
                ok = (s & m) == 0
                h[m] = float((fwd[f][ok] * bwd[f + 1][s[ok] | m]).max()) if ok.any() else 0.0
            vals = w[f] * np.array([h[m] for m in self.masks[f].tolist()])
            with np.errstate(divide="ignore"):
                out.append(np.log10(vals) + sum(self.off))
        return out

    def top(self, k: int) -> list[tuple[float, list[int]]]:
        """The k best assignments: (log10 LR, chosen config index per family), best first."""
        nf = len(self.tables)
        if nf == 0:
            return [(0.0, [])]
        w = [self._scaled(f) for f in range(nf)]
        bmax = self.backward("max", w)
        with np.errstate(divide="ignore"):
            lbound = [np.log10(b) for b in bmax]
        # Order each family's configs by weight for a stable, readable output.
        heap: list[tuple[float, int, int, int, float, tuple]] = []
        tie = itertools.count()
        start = lbound[0][0]
        heapq.heappush(heap, (-start, next(tie), 0, 0, 0.0, ()))
        out: list[tuple[float, list[int]]] = []
        while heap and len(out) < k:
            _, _, f, mask, g, chosen = heapq.heappop(heap)
            if f == nf:
                out.append((g + sum(self.off), list(chosen)))
                continue
            lw = self.logw[f] - self.off[f]
            masks = self.masks[f]
            ok = np.flatnonzero(((masks & mask) == 0) & np.isfinite(lw))
            for c in ok.tolist():
                nm = mask | int(masks[c])
                rest = lbound[f + 1][nm]
                if not np.isfinite(rest):
                    continue
                g2 = g + float(lw[c])
                heapq.heappush(heap, (-(g2 + rest), next(tie), f + 1, nm, g2, (*chosen, c)))
        return out


# ---------------------------------------------------------------------------------------------
# Found relatives


def _found_relatives(cohort: Cohort, prep: _Prepared) -> list[dict]:
    n = len(cohort.found)
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    if not pairs:
        return []
    nm = len(prep.markers)
    ga = prep.found[[a for a, _ in pairs]]
    gb = prep.found[[b for _, b in pairs]]
    both = (ga[..., 0] != MISSING) & (gb[..., 0] != MISSING)
    unrel = prep.hw[[a for a, _ in pairs]] * prep.hw[[b for _, b in pairs]]

    def ped(members):
        return Pedigree(Person(i, f, m, s) for i, f, m, s in members)

    peds = {
        "full_siblings": ped([("F", None, None, "male"), ("M", None, None, "female"),
                              ("A", "F", "M", "unknown"), ("B", "F", "M", "unknown")]),
        "half_siblings_paternal": ped([("F", None, None, "male"), ("M1", None, None, "female"),
                                       ("M2", None, None, "female"), ("A", "F", "M1", "unknown"),
                                       ("B", "F", "M2", "unknown")]),
        "half_siblings_maternal": ped([("F1", None, None, "male"), ("F2", None, None, "male"),
                                       ("M", None, None, "female"), ("A", "F1", "M", "unknown"),
                                       ("B", "F2", "M", "unknown")]),
    }
    lrs: dict[str, np.ndarray] = {}
    for name, p in peds.items():
        lik = batched_likelihoods(p, prep.mds, {"A": ga, "B": gb}, cohort.theta)
        lrs[name] = _log10_ratio(lik, unrel)
    same = np.all(~both | ((ga[..., 0] == gb[..., 0]) & (ga[..., 1] == gb[..., 1])), axis=1)
    # Same person: the shared markers' genotypes must be identical; P = P(genotype) there.
    with np.errstate(divide="ignore"):
        hwa = np.log10(prep.hw[[a for a, _ in pairs]])
        hwb = np.log10(prep.hw[[b for _, b in pairs]])
    same_l = np.where(both, -hwb, 0.0).sum(axis=1)  # P(a) / (P(a) P(b)) on shared markers
    del hwa
    lrs["same_person"] = np.where(same, same_l, -np.inf)
    out = []
    for k, (a, b) in enumerate(pairs):
        vals = {name: float(lrs[name][k]) for name in RELATIONSHIPS}
        ranked = sorted([("unrelated", 0.0), *vals.items()], key=lambda kv: -kv[1])
        best, bv = ranked[0]
        tied = [nm_ for nm_, v in ranked if v > -math.inf and abs(v - bv) <= 1e-9 * max(1, abs(bv))]
        rel = best
        if set(tied) >= {"half_siblings_paternal", "half_siblings_maternal"} and \
                best.startswith("half_siblings"):
            rel = "half_siblings"
        nxt = next((v for nm_, v in ranked if nm_ not in tied), None)
        out.append({
            "a": cohort.found[a].id, "b": cohort.found[b].id, "relationship": rel,
            "lrs": {name: _lr(v) for name, v in vals.items()},
            "log10_lrs": {name: (v if v > -math.inf else None) for name, v in vals.items()},
            "log10_support": (bv - nxt) if nxt is not None and nxt > -math.inf else None,
            "markers_compared": int(both[k].sum()),
        })
    del nm
    return out


def _lr(log10: float) -> float | None:
    """An LR from its log10: 0 for -inf, None when it overflows a float (log10_lr is kept)."""
    if log10 == -math.inf:
        return 0.0
    return 10.0 ** log10 if log10 < 308 else None


# ---------------------------------------------------------------------------------------------
# Conclusions


def _sibling_check(fam: CohortFamily, child: FoundChild) -> tuple[bool, str]:
    """Does the family's report exclude that ``child`` is a brother or sister it did not report
    missing?  Returns (excluded, sentence)."""
    if fam.other_children is None:
        return False, (f"family {fam.id}'s report does not list its other children, so {child.id} "
                       f"might be an unreported brother or sister of the missing child (the DNA "
                       f"of a full sibling fits the parents as well); ask the family for its other "
                       f"children (sex, birth year)")
    fits = []
    for k, oc in enumerate(fam.other_children, start=1):
        sex_ok = oc.sex is None or child.sex is None or oc.sex == child.sex
        year_ok = (oc.birth_year is None or child.birth_year is None
                   or abs(oc.birth_year - child.birth_year) <= BIRTH_YEAR_TOLERANCE)
        if sex_ok and year_ok:
            fits.append(f"no. {k} ({oc.sex or 'sex unknown'}, "
                        f"born {oc.birth_year if oc.birth_year is not None else 'year unknown'})")
    if fits:
        return False, (f"{child.id} might be family {fam.id}'s other child "
                       + ", ".join(fits) + " (sex and age compatible), not the missing one")
    return True, (f"family {fam.id}'s report lists its other children and none is sex- and "
                  f"age-compatible with {child.id}")


@dataclass
class CohortResult:
    """The joint solution of a cohort, with everything needed to replay it."""

    pairwise: list[dict]
    assignments: list[dict]
    conclusions: list[dict]
    found_relatives: list[dict]
    n_admissible: float
    log10_normaliser: float
    method: str
    frequencies: str
    mutation: str
    theta: float
    rules: Rules
    added_alleles: dict[str, list[str]]
    markers: list[str]
    id: str | None = None
    x_markers_skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "pairwise": self.pairwise,
            "assignments": self.assignments,
            "conclusions": self.conclusions,
            "found_relatives": self.found_relatives,
            "search": {"admissible_assignments": self.n_admissible,
                       "log10_normaliser": self.log10_normaliser, "method": self.method},
            "assumptions": {
                "frequencies": self.frequencies, "mutation": self.mutation, "theta": self.theta,
                "prior": "flat over all admissible assignments, the empty one included",
                "rules": self.rules.as_dict(), "markers": self.markers,
                "added_alleles": self.added_alleles,
                "x_markers_skipped": self.x_markers_skipped,
                "independence": "markers are treated as independent (product rule)",
            },
            "software": f"reunite {__version__}",
        }


def solve_cohort(cohort: Cohort, *, top: int = 10,
                 new_allele_freq: float = DEFAULT_NEW_ALLELE_FREQ) -> CohortResult:
    """Solve a validated :class:`Cohort` jointly (see the module docstring for the method)."""
    if cohort.found and not any(len(c.profile) for c in cohort.found):
        raise MarkerError("no found child is typed at any marker")
    prep = _prepare(cohort, new_allele_freq)
    tables = [_family_table(f, cohort, prep) for f in cohort.families]
    joint = _Joint(tables, len(cohort.found))
    nf = len(tables)
    found_ids = [c.id for c in cohort.found]

    # Normaliser, counts, marginals.
    w = [joint._scaled(f) for f in range(nf)]
    fwd = joint.forward("sum", w)
    bwd = joint.backward("sum", w)
    z_scaled = float(bwd[0][0]) if nf else 1.0
    log10_z = math.log10(z_scaled) + sum(joint.off)
    ones = [np.ones(len(t.configs)) for t in tables]
    n_adm = float(joint.forward("sum", ones)[-1].sum()) if nf else 1.0
    post: dict[tuple[int, str], float] = {}
    s = joint.states
    for f, t in enumerate(tables):
        g: dict[int, float] = {}
        for m in set(joint.masks[f].tolist()):
            ok = (s & m) == 0
            g[m] = float((fwd[f][ok] * bwd[f + 1][s[ok] | m]).sum())
        for c, cfg in enumerate(t.configs):
            if not cfg.pairs or w[f][c] == 0:
                continue
            p = w[f][c] * g[int(joint.masks[f][c])] / z_scaled
            for j, m in cfg.pairs:
                post[(j, m)] = post.get((j, m), 0.0) + p

    # Pairwise table.
    pairwise = []
    fam_of: dict[str, str] = {}
    for t in tables:
        for m in t.family.missing:
            fam_of[m] = t.family.id
        for (j, m), (l10, inc) in sorted(t.pair_lr.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            pairwise.append({"found": found_ids[j], "missing": m, "family": t.family.id,
                             "lr": _lr(l10), "log10_lr": l10 if l10 > -math.inf else None,
                             "inconsistent": inc, "posterior": post.get((j, m), 0.0)})

    # Top assignments.
    best = joint.top(max(top, 5))
    assignments = []
    for l10, chosen in best:
        a: dict[str, str | None] = dict.fromkeys(found_ids)
        for f, c in enumerate(chosen):
            for j, m in tables[f].configs[c].pairs:
                a[found_ids[j]] = m
        assignments.append({"assignment": a, "log10_lr": l10,
                            "posterior": 10.0 ** (l10 - log10_z)})

    conclusions = _conclude(cohort, tables, joint, assignments, post, fam_of)
    relatives = _found_relatives(cohort, prep)
    _relatives_notes(conclusions, relatives, cohort.rules)
    method = (f"exact: dynamic programme over {nf} families with {len(joint.bit)} shared found "
              f"children as state ({joint.n_states} states); top assignments by best-first "
              f"search bounded by the exact max-product completion")
    mut = cohort.mutation.describe() if cohort.mutation is not None else "none"
    table = prep.table
    return CohortResult(pairwise, assignments, conclusions, relatives, n_adm, log10_z, method,
                        table.name if table.name != "inline" else "inline table", mut,
                        cohort.theta, cohort.rules, prep.added,
                        [prep.table.markers[k].name for k in prep.markers], cohort.id,
                        prep.x_skipped)


def _conclude(cohort, tables, joint, assignments, post, fam_of) -> list[dict]:
    rules = cohort.rules
    t1, t2 = math.log10(rules.threshold), math.log10(rules.threshold2)
    best = assignments[0]["assignment"]
    best_l10 = assignments[0]["log10_lr"]
    nf = len(tables)
    fam_by_id = {t.family.id: t.family for t in tables}
    through = joint.max_through() if tables else []
    out = []
    for j, child in enumerate(cohort.found):
        pairs = {(m, t.family.id): t.pair_lr[(j, m)] for t in tables for m in t.family.missing
                 if (j, m) in t.pair_lr}
        base = {"found": child.id, "missing": None, "family": None, "lr": None,
                "log10_lr": None, "posterior": None, "flags": []}
        if not pairs:
            out.append({**base, "conclusion": "no_match",
                        "note": "no missing person of compatible sex in the cohort's families"})
            continue
        allowed = {k: v for k, v in pairs.items() if v[1] <= rules.max_inconsistent}
        if not allowed:
            out.append({**base, "conclusion": "excluded",
                        "note": f"excluded from every missing person of compatible sex: more than "
                                f"{rules.max_inconsistent} inconsistent markers with each (dvir's "
                                f"findExcluded, maxIncomp = {rules.max_inconsistent})"})
            continue
        top_pair = max(allowed.items(), key=lambda kv: kv[1][0])
        (bm, bf), (bl, _) = top_pair
        m = best[child.id]
        if m is not None and (m, fam_of[m]) not in allowed:
            # The joint model may place a child where a mutation model forgives more than
            # max_inconsistent markers; the rule excludes that pairing (dvir's findExcluded).
            base["note_prefix"] = (f"the best joint assignment places {child.id} as {m}, but with "
                                   f"more than {rules.max_inconsistent} inconsistent markers, "
                                   f"which the rule excludes; ")
            m = None
        if m is None:
            if bl >= t2:
                sib_excluded, _ = _sibling_check(fam_by_id[bf], child)
                out.append({**base, "conclusion": "disputed", "missing": bm, "family": bf,
                            "lr": _lr(bl), "log10_lr": bl, "posterior": post.get((j, bm), 0.0),
                            "flags": ["another_child_fits_better"]
                            + ([] if sib_excluded else ["unreported_sibling_possible"]),
                            "note": (f"LR {_fmt(bl)} with {bm} (family {bf}) but the best joint "
                                     f"assignment leaves {child.id} unassigned: another found "
                                     f"child explains {bm} better; "
                                     + _sibling_hint(fam_by_id[bf], child))})
            elif bl >= 0:
                out.append({**base, "conclusion": "inconclusive", "missing": None,
                            "note": f"best pairwise LR {_fmt(bl)} ({bm}, family {bf}) is below "
                                    f"threshold2 {rules.threshold2:g}"})
            elif bl == -math.inf:
                out.append({**base, "conclusion": "no_match",
                            "note": f"every pairwise LR is 0 (inconsistent without mutation), but "
                                    f"with at most {rules.max_inconsistent} inconsistent markers "
                                    f"with {bm} (family {bf}), which is not an exclusion by the "
                                    f"rule (dvir's maxIncomp)"})
            else:
                out.append({**base, "conclusion": "no_match",
                            "note": f"every pairwise LR is below 1 (best {_fmt(bl)}, {bm}): the "
                                    f"DNA favours unrelated for every missing person"})
            continue
        f_id = fam_of[m]
        fi = next(i for i, t in enumerate(tables) if t.family.id == f_id)
        l10, inc = tables[fi].pair_lr[(j, m)]
        # Generalised LR: best assignment with V = M against the best without it (and the same
        # for V anywhere in M's family).
        cfgs = tables[fi].configs
        thr = through[fi]
        without = max((float(thr[c]) for c, cfg in enumerate(cfgs) if (j, m) not in cfg.pairs),
                      default=-math.inf)
        glr = best_l10 - without
        without_fam = max((float(thr[c]) for c, cfg in enumerate(cfgs)
                           if all(jj != j for jj, _ in cfg.pairs)), default=-math.inf)
        glr_fam = best_l10 - without_fam
        p = post.get((j, m), 0.0)
        p_fam = sum(post.get((j, mm), 0.0) for mm in tables[fi].family.missing)
        row = {**base, "missing": m, "family": f_id, "lr": _lr(l10), "log10_lr": l10,
               "posterior": p, "family_posterior": p_fam,
               "log10_glr": glr if math.isfinite(glr) else None}
        flags: list[str] = []
        why = (f"pairwise LR {_fmt(l10)}, {inc} inconsistent marker(s); the best joint assignment "
               f"is {_fmt(glr)} times as likely as the best one without {child.id} = {m}")
        if l10 >= t1 and glr >= t1:
            concl, rule = "identified", (f"undisputed in the joint solution (LR and generalised "
                                         f"LR >= {rules.threshold:g}, dvir)")
        elif l10 >= t1 and glr_fam >= t1:
            why = f"pairwise LR {_fmt(l10)}, {inc} inconsistent marker(s)"
            flags.append("symmetric")
            others = [mm for mm in tables[fi].family.missing if mm != m]
            concl, rule = "identified", (
                f"undisputed as a child of family {f_id} (generalised LR of the family "
                f"{_fmt(glr_fam)} >= {rules.threshold:g}); which of its missing members "
                f"({', '.join([m, *others])}) is symmetric or nearly so in the DNA (dvir's "
                f"'symmetric undisputed')")
        elif l10 >= t2 and glr >= t2:
            concl, rule = "probable", (f"LR and generalised LR >= threshold2 "
                                       f"{rules.threshold2:g} but not both >= "
                                       f"{rules.threshold:g} (dvir's 'probable')")
        elif l10 >= t2:
            concl, rule = "disputed", (f"another joint explanation is within a factor "
                                       f"{rules.threshold2:g} (dvir's 'disputed')")
        elif l10 >= 0:
            concl, rule = "inconclusive", f"LR below threshold2 {rules.threshold2:g}"
        else:
            concl, rule = "no_match", "LR below 1: the DNA favours unrelated"
        note = f"{rule}; {why}"
        if concl in ("identified", "probable", "disputed"):
            excluded, sentence = _sibling_check(tables[fi].family, child)
            if not excluded:
                flags.append("unreported_sibling_possible")
            if not excluded and concl == "identified" and rules.unreported_siblings == "downgrade":
                concl = "probable"
                flags.append("downgraded")
                note = (f"meets the identification rule ({rule}) but {sentence}; probable until "
                        f"the report excludes it; {why}")
            else:
                note = f"{note}; {sentence}"
        out.append({**row, "conclusion": concl, "note": note, "flags": flags})
    del nf
    for c in out:
        prefix = c.pop("note_prefix", None)
        if prefix:
            c["note"] = prefix + c["note"]
            c["flags"].append("placed_beyond_max_inconsistent")
    return out


def _relatives_notes(conclusions: list[dict], relatives: list[dict], rules: Rules) -> None:
    """Beyond dvir: a found child not placed in a family, but a sibling (or the same person) of a
    found child who is, may be a child of that family the report does not list as missing."""
    by_id = {c["found"]: c for c in conclusions}
    t2 = math.log10(rules.threshold2)
    for r in relatives:
        if r["relationship"] == "unrelated":
            continue
        best = max((v for v in r["log10_lrs"].values() if v is not None), default=None)
        if best is None or best < t2:
            continue
        for me, other in ((r["a"], r["b"]), (r["b"], r["a"])):
            mine, theirs = by_id[me], by_id[other]
            if theirs["family"] is None or theirs["conclusion"] not in ("identified", "probable"):
                continue
            if mine["family"] == theirs["family"] and mine["conclusion"] in ("identified", "probable"):
                continue
            mine["flags"].append(f"sibling_of_placed_child:{other}")
            mine["note"] += (f"; the found children {me} and {other} are most likely "
                             f"{r['relationship'].replace('_', ' ')} (LR {_fmt(best)} against "
                             f"unrelated) and {other} is placed in family {theirs['family']}: {me} "
                             f"may be a child of that family not reported missing")


def _sibling_hint(fam: CohortFamily, child: FoundChild) -> str:
    excluded, sentence = _sibling_check(fam, child)
    return sentence if not excluded else "the report lists no compatible other child"


def _fmt(log10: float) -> str:
    if log10 == -math.inf:
        return "0"
    if log10 == math.inf:
        return "infinite"
    if -2 <= log10 < 4:
        return f"{10 ** log10:,.3g}"
    return f"1e{log10:.1f}"


# ---------------------------------------------------------------------------------------------
# Simulated cohorts (tests, benchmarks, demos)

_SIM_STRUCTURES = ("both_parents", "mother_only", "father_only", "mother_and_sibling",
                   "siblings_only")


def simulate_cohort(table: FrequencyTable | str, n_families: int, n_found: int, seed: int, *,
                    markers: Sequence[str] | str | None = "cn23", mutation: object = None,
                    two_missing: float = 0.3, unreported: int = 0, listed: float = 0.5,
                    unrelated: int = 0) -> tuple[dict, dict[str, str | None]]:
    """Gene-drop a rescued cohort: a cohort spec (as :func:`load_cohort` reads) and the truth.

    Each family is a couple with one missing child (two with probability ``two_missing``), born
    in 2013, and relatives typed in one of five structures (both parents, mother only, father
    only, mother and a reported sibling, a reported sibling only).  The found children are
    ``n_found`` children: ``unreported`` full siblings of a missing child whom the report does
    not list as missing (born 2013 or 2014), ``unrelated`` unrelated children, and missing
    children of the families for the rest.  A family's report lists its other children with
    probability ``listed`` (then it lists the unreported sibling too, when there is one, and an
    older child born 2008).  The truth maps a found id to its missing id, to
    ``"sibling:<family>"`` for an unreported sibling, or to None.
    """
    table = load_frequencies(table)
    keys = resolve_markers(table, markers)
    mut = parse_mutation(mutation)
    rng = np.random.default_rng(seed)
    mfs = [table.markers[k] for k in keys]
    cdfs = [np.cumsum(mf.freqs / mf.freqs.sum()) for mf in mfs]
    mats = [marker_matrices(mut, mf.name, mf.alleles, mf.freqs) if mut is not None else None
            for mf in mfs]

    def founder():
        return [tuple(int(min(np.searchsorted(c, u, side="right"), len(c) - 1))
                      for u in rng.random(2)) for c in cdfs]

    def child(fa, mo):
        out = []
        for z in range(len(mfs)):
            pair = []
            for par, s in ((fa, 1), (mo, 0)):
                a = par[z][int(rng.integers(2))]
                if mats[z] is not None:
                    row = mats[z][s][a]
                    a = int(min(np.searchsorted(np.cumsum(row / row.sum()), rng.random(),
                                                side="right"), len(row) - 1))
                pair.append(a)
            out.append(tuple(pair))
        return out

    def labels(g):
        return {mf.name: sorted([mf.alleles[a], mf.alleles[b]], key=_label_key)
                for mf, (a, b) in zip(mfs, g, strict=True)}

    families, genotypes, found, truth = [], {}, [], {}
    n_unrel = unrelated
    n_sib = unreported
    n_miss_found = max(0, n_found - n_sib - n_unrel)
    missing_pool: list[tuple[str, list, str]] = []
    sib_pool: list[tuple[str, list, str]] = []
    for i in range(n_families):
        fid = f"F{i + 1:02d}"
        fa, mo = founder(), founder()
        struct = _SIM_STRUCTURES[i % len(_SIM_STRUCTURES)]
        ped = [{"id": f"{fid}_F", "father": None, "mother": None, "sex": "male"},
               {"id": f"{fid}_M", "father": None, "mother": None, "sex": "female"}]
        nmiss = 2 if rng.random() < two_missing else 1
        missing = []
        for k in range(nmiss):
            mid = f"{fid}_MP{k + 1}"
            sex = "male" if rng.random() < 0.5 else "female"
            ped.append({"id": mid, "father": f"{fid}_F", "mother": f"{fid}_M", "sex": sex})
            missing.append(mid)
            missing_pool.append((mid, child(fa, mo), sex))
        typed = {"both_parents": [("F", fa), ("M", mo)], "mother_only": [("M", mo)],
                 "father_only": [("F", fa)]}.get(struct)
        if typed is None:
            s = child(fa, mo)
            ped.append({"id": f"{fid}_S", "father": f"{fid}_F", "mother": f"{fid}_M",
                        "sex": "male" if rng.random() < 0.5 else "female"})
            typed = [("S", s)] + ([("M", mo)] if struct == "mother_and_sibling" else [])
        for who, g in typed:
            genotypes[f"{fid}_{who}"] = labels(g)
        fam = {"id": fid, "pedigree": ped, "missing": missing}
        sib = None
        if len(sib_pool) < n_sib:
            sib = (f"sibling:{fid}", child(fa, mo), "male" if rng.random() < 0.5 else "female")
            sib_pool.append(sib)
        if rng.random() < listed:
            others = [{"sex": None, "birth_year": 2008}]
            if sib is not None:
                others.append({"sex": sib[2], "birth_year": 2014})
            fam["other_children"] = others
        families.append(fam)
    order = rng.permutation(len(missing_pool))[:n_miss_found]
    picks = [missing_pool[k] for k in order] + sib_pool
    picks += [(None, founder(), "male" if rng.random() < 0.5 else "female")
              for _ in range(n_unrel)]
    perm = rng.permutation(len(picks))
    for n, k in enumerate(perm.tolist(), start=1):
        who, g, sex = picks[k]
        vid = f"V{n:02d}"
        year = 2014 if who is not None and who.startswith("sibling:") else 2013
        found.append({"id": vid, "sex": sex, "birth_year": year, "genotypes": labels(g)})
        truth[vid] = who
    spec = {"id": f"simulated-{seed}", "frequencies": table.name, "mutation": mutation,
            "families": families, "genotypes": genotypes, "found": found}
    return spec, truth


def _label_key(label: str):
    return allele_sort_key(label)
