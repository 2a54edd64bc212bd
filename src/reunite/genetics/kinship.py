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

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import InconsistencyError, InputError, MarkerError, Problem
from ._spec import read_json_spec
from .decisions import (
    PARENTAGE,
    Alternative,
    Conclusion,
    RuleSet,
    conclude,
    format_lr,
    load_rules,
    parents_of,
    relationship_class,
    verbal_scale,
)
from .frequencies import DEFAULT_NEW_ALLELE_FREQ, FrequencyTable, load_frequencies
from .likelihood import THETA_CONVENTION, MarkerData, marker_likelihoods
from .markers import MISSING, Profile, parse_profile
from .mutation import MutationModel, MutationSpec, SexSpecificMutation, marker_matrices, parse_mutation
from .mutation import _matrix_cached as _mutation_matrix_cached
from .pedigree import Pedigree, Person, make_pedigree

__all__ = [
    "KinshipCase",
    "LRResult",
    "MarkerLR",
    "alternative_relationships",
    "conclude_case",
    "format_lr",
    "load_case",
    "missing_person_lr",
    "verbal_equivalent",
]

def verbal_equivalent(lr: float | None, log10_lr: float | None = None) -> str:
    """The ENFSI (2015) verbal equivalent of an LR, for H1 or (LR < 1) for H2.

    Give the log10 when the LR is beyond floating point (``lr`` None, ``log10_lr`` set).  Only an
    LR of exactly 0 (``log10_lr`` None and ``lr == 0``) is an exclusion; a tiny LR is very strong
    support for H2, never "LR 0".  The conclusion under a rule set (:mod:`.rules`) may replace
    this phrase when the rule does not use the LR (see :attr:`LRResult.verbal`).
    """
    if log10_lr is None:
        if lr is None:
            raise ValueError("verbal_equivalent needs an LR or its log10")
        if lr == 0:
            return "exclusion: the found person cannot be the missing member (LR 0)"
        log10_lr = math.log10(lr)
    return verbal_scale(log10_lr)


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
    #: The relationship class the conclusion is judged under (:func:`.rules.relationship_class`);
    #: set by :meth:`conclusion` when given the case.  None: not known (no categorical decision).
    relationship: str | None = None
    #: The rule set of :attr:`verbal`, :attr:`decision`, :meth:`sentence` and :meth:`as_dict`: the
    #: one last given to :meth:`conclusion` with the case (``gbt`` until then).
    rules: str = "gbt"
    _conclusions: dict = field(default_factory=dict, repr=False, compare=False)

    def conclusion(self, case: KinshipCase | None = None, rules: str | None = None) -> Conclusion:
        """The one conclusion of this result under a rule set (``gbt`` or ``isfg``; default
        :attr:`rules`).

        Given the case, the relationship class comes from its pedigree and is kept on the result
        with the rule set, and an exclusion as parent carries the LRs of other relationships;
        without it, the class last set is used (None: judged as ``distant``, no categorical
        decision).
        """
        name = load_rules(rules if rules is not None else self.rules).name
        if case is not None:
            c = conclude_case(self, case, name)
            self.relationship, self.rules = c.relationship, name
            self._conclusions.clear()
            self._conclusions[(name, c.relationship)] = c
            return c
        key = (name, self.relationship)
        if key not in self._conclusions:
            self._conclusions[key] = conclude(
                log10_lr=self.log10_lr, inconsistent=len(self.inconsistent_markers),
                relationship=self.relationship or "distant", rules=name,
                markers_compared=self.markers_compared, mutation=self.mutation != "none")
        return self._conclusions[key]

    @property
    def verbal(self) -> str:
        """The verbal phrase of the conclusion under the default rules (never contradicting it)."""
        return self.conclusion().verbal

    @property
    def decision(self) -> str:
        """The decision under the default rules (gbt): support, exclusion, inconclusive or no_decision."""
        return self.conclusion().decision

    @property
    def markers_compared(self) -> int:
        """Markers typed in the found person and used in the LR."""
        return sum(1 for m in self.markers if m.found is not None)

    def sentence(self, lang: str = "en", rules: str | None = None) -> str:
        """One paragraph a person can read: the LR and the conclusion, in English or Chinese."""
        c = self.conclusion(rules=rules)
        n = len(self.inconsistent_markers)
        if self.log10_lr is None and self.lr == 0:
            head = (f"似然比为 0：{n} 个基因座在不考虑突变时无法解释。" if lang == "zh" else
                    f"The LR is 0: {n} marker(s) cannot be explained without mutation.")
            return head + " " + c.sentence(lang)
        if c.excluded and self.log10_lr is not None and self.log10_lr > 0:
            return c.sentence(lang)   # the LR is not used: saying how probable would contradict it
        x = format_lr(self.lr, self.log10_lr)
        if lang == "zh":
            head = f"DNA 结果在“被寻人员是失踪者”假设下出现的概率是“与该家庭无关”假设下的 {x} 倍（{c.verbal_zh}）。"
        else:
            head = (f"The DNA results are {x} times more probable if the found person is the family's "
                    f"missing member than if unrelated ({c.verbal}).")
        if c.decision == "no_decision" and not c.alternatives:
            return head
        return head + " " + c.sentence(lang, verbal=False)

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "lr": self.lr if self.lr is not None and math.isfinite(self.lr) else None,
            "log10_lr": self.log10_lr,
            "lr_text": format_lr(self.lr, self.log10_lr),
            "verbal": self.verbal,
            "decision": self.decision,
            "relationship": self.relationship,
            "conclusion": self.conclusion().as_dict(),
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
                "theta_convention": THETA_CONVENTION,
                "hypotheses": {
                    "H1": "the found person is the pedigree's missing member",
                    "H2": "the found person is unrelated to the family",
                },
                "independence": "markers are treated as independent (product rule)",
            },
            "software": f"reunite {__version__}",
        }


_ALT_PEDIGREES: dict[str, list[dict]] = {
    # R is the typed relative, X the found person placed as the missing member.
    "full_siblings": [
        {"id": "F", "sex": "male"}, {"id": "M", "sex": "female"},
        {"id": "R", "father": "F", "mother": "M"}, {"id": "X", "father": "F", "mother": "M"}],
    "second_degree": [  # half siblings through the father
        {"id": "F", "sex": "male"}, {"id": "M1", "sex": "female"}, {"id": "M2", "sex": "female"},
        {"id": "R", "father": "F", "mother": "M1"}, {"id": "X", "father": "F", "mother": "M2"}],
    "first_cousins": [
        {"id": "GF", "sex": "male"}, {"id": "GM", "sex": "female"},
        {"id": "A", "father": "GF", "mother": "GM", "sex": "male"},
        {"id": "B", "father": "GF", "mother": "GM", "sex": "male"},
        {"id": "SA", "sex": "female"}, {"id": "SB", "sex": "female"},
        {"id": "R", "father": "A", "mother": "SA"}, {"id": "X", "father": "B", "mother": "SB"}],
}


def alternative_relationships(found: Profile, relatives: Mapping[str, Profile], table: FrequencyTable,
                              mutation: SexSpecificMutation | MutationSpec | None = None,
                              theta: float = 0.0) -> tuple[Alternative, ...]:
    """The LR of the found person against each typed relative as another relationship.

    Pairwise, each against unrelated: full sibling, second degree (half sibling; a grandparent or
    uncle/aunt has the same LR without mutation) and first cousin, computed by the kinship engine
    on small standard pedigrees.
    """
    out = []
    for rid, prof in relatives.items():
        sexes = {"R": prof.sex() or "unknown", "X": found.sex() or "unknown"}  # from Amelogenin if typed
        for rel, recs in _ALT_PEDIGREES.items():
            recs = [dict(r, sex=sexes[r["id"]]) if r["id"] in sexes else r for r in recs]
            case = KinshipCase(make_pedigree(recs, source=f"{rel} pedigree"), {"R": prof}, "X", found,
                               table, mutation, theta, None)
            res = missing_person_lr(case, skip_unknown_markers=True)
            out.append(Alternative(rel, rid, res.lr, res.log10_lr))
    return tuple(out)


def conclude_case(result: LRResult, case: KinshipCase, rules: str | RuleSet = "gbt") -> Conclusion:
    """The conclusion of a computed result: its relationship class from the case's pedigree and, when
    the found person is excluded as a parent (or child), the LR of the other relationships."""
    typed = [pid for pid, prof in case.profiles.items() if len(prof)]
    rel = relationship_class(case.pedigree, case.missing, typed)
    base = conclude(log10_lr=result.log10_lr, inconsistent=len(result.inconsistent_markers),
                    relationship=rel, rules=rules, markers_compared=result.markers_compared,
                    mutation=case.mutation is not None)
    if base.excluded and rel in PARENTAGE:
        ped = case.pedigree
        near = set(parents_of(ped, case.missing)) | set(ped.children(case.missing))
        relatives = {pid: case.profiles[pid] for pid in typed if pid in near}
        alts = alternative_relationships(case.found, relatives, case.frequencies, case.mutation,
                                         case.theta)
        base = conclude(log10_lr=result.log10_lr, inconsistent=len(result.inconsistent_markers),
                        relationship=rel, rules=rules, markers_compared=result.markers_compared,
                        mutation=case.mutation is not None, alternatives=alts)
    return base


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
    spec, source, default_id = read_json_spec(spec, source, "case")
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
    case = KinshipCase(ped, profiles, str(missing), found, table, mutation, float(theta),
                       str(spec.get("id") or default_id) if (spec.get("id") or default_id)
                       else None)
    if table.x_markers():
        try:
            _x_pedigree(case, table.x_markers())
        except InputError as exc:
            raise InputError([Problem(p.message, file=source, field=p.field)
                              for p in exc.problems]) from None
    return case


def _matrix_cached(model: MutationModel, alleles: tuple[str, ...], freqs: bytes,
                   marker: str) -> np.ndarray:
    """One model's read-only matrix, cached (shared with :func:`marker_matrices`)."""
    return _mutation_matrix_cached(model, alleles, freqs, marker)


def _marker_data(mf, mutation: SexSpecificMutation | MutationSpec | None) -> MarkerData:
    """A marker ready for the engine, with the mutation model of that marker (if any)."""
    mats = marker_matrices(mutation, mf.name, mf.alleles, mf.freqs)
    chrom = getattr(mf, "chromosome", "A")
    if mats is None:
        return MarkerData(mf.name, mf.alleles, mf.freqs, chromosome=chrom)
    return MarkerData(mf.name, mf.alleles, mf.freqs, mats[0], mats[1], chrom)


def hw_genotype_prob(freqs: np.ndarray, a: int, b: int, theta: float = 0.0, *,
                     hemizygous: bool = False) -> float:
    """P(genotype {a, b}) of an unrelated person: Hardy–Weinberg, and with theta the
    Balding–Nichols joint of a singleton's two alleles, p_a(θ + (1 − θ)p_a) and 2 p_a p_b (1 − θ).
    ``hemizygous`` (a male at an X-chromosomal marker, genotype (a, a)): p_a."""
    pa, pb = float(freqs[a]), float(freqs[b])
    if hemizygous:
        return pa
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


def _x_pedigree(case: KinshipCase, x_keys: list[str]) -> tuple[Pedigree, str | None]:
    """The case's pedigree with the sex of everyone typed at an X-chromosomal marker resolved, and
    the found person's sex (None if untyped at those markers).

    A sex the pedigree leaves unknown is taken from the person's Amelogenin, else "female" if the
    person is heterozygous at an X marker (only a female can be); otherwise it is an error asking
    for the sex.  A male heterozygous at an X marker is an error naming the person and the marker.
    Every problem is collected into one :class:`InputError`."""
    ped = case.pedigree
    people = {pid: prof for pid, prof in case.profiles.items() if pid != case.missing}
    people[case.missing] = case.found
    problems: list[Problem] = []
    sexes: dict[str, str] = {}
    found_sex = None
    for pid, prof in people.items():
        if pid not in ped:
            continue
        keys = [k for k in x_keys if k in prof.genotypes]
        if not keys:
            continue
        who = f"the found person (as {pid!r})" if pid == case.missing else repr(pid)
        het = [prof.names.get(k, k) for k in keys if prof.genotypes[k][0] != prof.genotypes[k][1]]
        sex = ped[pid].sex
        if sex == "unknown":
            sex = prof.sex() or ("female" if het else "unknown")
        if sex == "unknown":
            problems.append(Problem(
                f"{who} is typed at X-chromosomal marker(s) {', '.join(prof.names.get(k, k) for k in keys)} "
                f"with one allele (or a homozygote) but has unknown sex; give the sex in the "
                f"pedigree (or type Amelogenin): a male carries one X allele, a female two",
                field="sex"))
            continue
        if sex == "male" and het:
            problems.append(Problem(
                f"{who} is male but heterozygous at the X-chromosomal marker(s) {', '.join(het)}; "
                f"a male carries one X allele (give it once, or repeated); check the sex and the "
                f"sample", field=het[0]))
            continue
        sexes[pid] = sex
        if pid == case.missing:
            found_sex = sex
    if problems:
        raise InputError(problems)
    if any(ped[pid].sex != sx for pid, sx in sexes.items()):
        ped = Pedigree(Person(p.id, p.father, p.mother, sexes.get(p.id, p.sex))
                       for p in (ped[i] for i in ped.order))
    return ped, found_sex


def observed_alleles(case: KinshipCase) -> dict[str, set[str]]:
    """The alleles typed at each marker of the case's table in the found person and the relatives
    (the missing member's own entry excepted), in the table's order: the markers a case uses, and
    the alleles :meth:`FrequencyTable.with_alleles` adds where the table lacks them."""
    table = case.frequencies
    seen: dict[str, set[str]] = {}
    for pid, prof in [("", case.found), *case.profiles.items()]:
        if pid == case.missing:
            continue
        for k, pair in prof.genotypes.items():
            if k in table.markers:
                seen.setdefault(k, set()).update(pair)
    return {k: seen[k] for k in table.markers if k in seen}


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
    observed = observed_alleles(case)
    used = list(observed)
    # X-chromosomal markers need the sex of everyone typed there (males are hemizygous).
    x_used = [k for k in used if table.markers[k].chromosome == "X"]
    pedigree, found_sex = _x_pedigree(case, x_used) if x_used else (case.pedigree, None)

    # Add unseen alleles of the used markers to the table.
    table = table.with_alleles(observed, new_allele_freq)
    mds = [_marker_data(table.markers[k], case.mutation) for k in used]

    nm = len(used)
    geno = {pid: _allele_indices(prof, used, table) for pid, prof in relatives.items()}
    farr = _allele_indices(found, used, table)

    h1_geno = dict(geno)
    h1_geno[case.missing] = farr
    # H1: the pedigree as given.  H2: the part of it that relates the typed relatives to each
    # other (forrel's convention: a lone relative is a Hardy–Weinberg individual).
    ped1 = pedigree.trimmed(set(h1_geno))
    ped2 = pedigree.trimmed(set(geno))
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
        pg = hw_genotype_prob(mf.freqs, int(farr[z, 0]), int(farr[z, 1]), case.theta,
                              hemizygous=mf.chromosome == "X" and found_sex == "male") \
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
        lr_total = 10.0 ** log10 if abs(log10) <= 300 else None  # beyond: shown from log10
    added = {table.markers[k].name: list(v) for k, v in table.added.items() if k in observed}
    mut = case.mutation.describe() if case.mutation is not None else "none"
    return LRResult(lr_total, log10, results,
                    [m.marker for m in results if m.inconsistent],
                    table.name if table.name != "inline" else "inline table",
                    mut, case.theta, added, skipped, warnings, case.id,
                    relationship=relationship_class(case.pedigree, case.missing, relatives))
