"""Sampling guidance for a missing-child report: how strong can the DNA be, and whom to swab next.

Conventions are those of KINSHIP.md (H1: the found person is the missing member; H2: unrelated),
and the figures are forrel's:

- **Exclusion power** (forrel's ``missingPersonEP``): the probability that an unrelated person is
  incompatible with the typed relatives, i.e. that a random Hardy–Weinberg genotype has H1
  likelihood 0 *without mutation*, per marker ``EP_m = Σ_g P_HW(g) [L_H1(g) = 0]``, and in total
  ``1 − Π_m (1 − EP_m)`` (markers independent), with ``log10 P(not excluded) = Σ_m log10(1 − EP_m)``.
  Exact: every genotype is enumerated, through the engine's table of the missing person's genotype
  (:func:`~reunite.genetics.likelihood.person_genotype_table`).
- **Inclusion power** (forrel's ``missingPersonIP``): the share of simulated true missing children
  whose LR is at least each threshold, by Monte Carlo with its standard error sqrt(p(1 − p)/n).
  The missing child is drawn from its exact conditional distribution given the typed relatives
  (the same table, with the case's mutation model).
- **Before typing**: the relatives in ``available`` (not yet typed) and the missing child are drawn
  jointly given the typed relatives, one person at a time from the exact conditional table given
  everything drawn so far; then the LR is computed as if the drawn relatives had been typed.
- **Which relatives to swab**: every single available relative and every pair, from the same joint
  draws; the one and the pair that raise P(LR ≥ 10^4) most are said in plain words, in Chinese and
  in English.

Seeded: the same case and seed give the same figures.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import InconsistencyError, InputError, Problem
from ._spec import read_json_spec
from .frequencies import DEFAULT_NEW_ALLELE_FREQ, FrequencyTable, load_frequencies
from .likelihood import MarkerData, marker_likelihoods, person_genotype_table
from .markers import MISSING, Profile, parse_profile
from .mutation import MutationSpec, SexSpecificMutation, marker_matrices, parse_mutation
from .pedigree import Pedigree, make_pedigree
from .simulate import MARKER_SETS, resolve_markers

__all__ = ["DEFAULT_THRESHOLDS", "GuidanceCase", "load_guidance_case", "sampling_guidance"]

DEFAULT_THRESHOLDS = (100.0, 1000.0, 10000.0, 1000000.0)
#: The LR the swab advice aims at (the identification threshold of the cohort rules, 10^4).
TARGET = 1e4
_CHUNK = 240   # full-allele table problems per engine call (bounds memory: nb^3 per problem)


@dataclass(frozen=True)
class GuidanceCase:
    """A validated guidance case: a family, its typed relatives, the relatives not yet typed."""

    pedigree: Pedigree
    profiles: Mapping[str, Profile]
    missing: str
    available: tuple[str, ...]
    frequencies: FrequencyTable
    markers: tuple[str, ...]
    mutation: SexSpecificMutation | MutationSpec | None = None
    theta: float = 0.0
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
    nsim: int = 2000
    seed: int = 1
    id: str | None = None


def load_guidance_case(spec: Mapping | str | Path, *, source: str | None = None) -> GuidanceCase:
    """Validate a guidance case: a kinship case without ``found``, plus ``available`` (ids not
    yet typed), optional ``thresholds``, ``nsim``, ``seed`` and ``markers`` (the kit: a set name
    such as ``cn23`` or a list; default the markers typed in the relatives, else ``cn23``)."""
    spec, source, default_id = read_json_spec(spec, source, "case")
    if not isinstance(spec, Mapping):
        raise InputError(Problem("a case is a JSON object", file=source))
    problems: list[Problem] = []
    for key in ("frequencies", "pedigree", "missing"):
        if key not in spec:
            problems.append(Problem(f"the case lacks {key!r}", file=source, field=key))
    if problems:
        raise InputError(problems)

    def collect(fn, *args, fld=None, **kw):
        try:
            return fn(*args, **kw)
        except InputError as exc:
            problems.extend(Problem(p.message, file=source, line=p.line, field=fld or p.field)
                            for p in exc.problems)
            return None

    recs = spec["pedigree"]
    ped = collect(make_pedigree, recs if isinstance(recs, list) else [], source=source)
    if not isinstance(recs, list):
        problems.append(Problem("'pedigree' must be a list of members", file=source,
                                field="pedigree"))
    table = collect(load_frequencies, spec["frequencies"], fld="frequencies")
    mutation = collect(parse_mutation, spec.get("mutation"), fld="mutation")
    profiles: dict[str, Profile] = {}
    raw = spec.get("genotypes") or {}
    if not isinstance(raw, Mapping):
        problems.append(Problem("'genotypes' must be an object of person: profile", file=source,
                                field="genotypes"))
        raw = {}
    for pid, prof in raw.items():
        p = collect(parse_profile, prof, source=f"{source} (genotypes of {pid})",
                    fld=f"genotypes.{pid}")
        if p is not None and len(p):
            profiles[str(pid)] = p
    theta = spec.get("theta", 0.0) or 0.0
    if isinstance(theta, bool) or not isinstance(theta, int | float) or not 0 <= theta < 1:
        problems.append(Problem(f"theta must be a number in [0, 1), got {theta!r}", file=source,
                                field="theta"))
        theta = 0.0
    if "found" in spec:
        problems.append(Problem("a guidance case has no 'found' (it plans typing before any "
                                "found child is compared); remove it", file=source, field="found"))
    available = spec.get("available", [])
    if not isinstance(available, list) or not all(isinstance(a, str) for a in available):
        problems.append(Problem("'available' must be a list of person ids not yet typed",
                                file=source, field="available"))
        available = []
    if len(set(available)) != len(available):
        problems.append(Problem("'available' lists a person twice", file=source,
                                field="available"))
    thresholds = spec.get("thresholds", list(DEFAULT_THRESHOLDS))
    if not isinstance(thresholds, list) or not thresholds or not all(
            isinstance(t, int | float) and not isinstance(t, bool) and t > 0 for t in thresholds):
        problems.append(Problem("'thresholds' must be a list of positive numbers", file=source,
                                field="thresholds"))
        thresholds = list(DEFAULT_THRESHOLDS)
    nsim = spec.get("nsim", 2000)
    if isinstance(nsim, bool) or not isinstance(nsim, int) or not 10 <= nsim <= 1_000_000:
        problems.append(Problem(f"nsim must be a whole number from 10 to 1,000,000, got {nsim!r}",
                                file=source, field="nsim"))
        nsim = 2000
    seed = spec.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        problems.append(Problem(f"seed must be a whole number >= 0, got {seed!r}", file=source,
                                field="seed"))
        seed = 1
    missing = str(spec["missing"])
    if ped is not None:
        if missing not in ped:
            problems.append(Problem(f"the missing member {missing!r} is not in the pedigree",
                                    file=source, field="missing"))
        for pid in profiles:
            if pid not in ped:
                problems.append(Problem(f"genotypes are given for {pid!r}, who is not in the "
                                        f"pedigree", file=source, field=f"genotypes.{pid}"))
        if missing in profiles:
            problems.append(Problem(f"the missing member {missing!r} is typed in 'genotypes'",
                                    file=source, field="genotypes"))
        for a in available:
            if a not in ped:
                problems.append(Problem(f"available relative {a!r} is not in the pedigree",
                                        file=source, field="available"))
            elif a == missing:
                problems.append(Problem(f"available relative {a!r} is the missing member",
                                        file=source, field="available"))
            elif a in profiles:
                problems.append(Problem(f"available relative {a!r} is already typed; 'available' "
                                        f"lists relatives not yet typed", file=source,
                                        field="available"))
        try:
            ped.check_loop_free()
        except InputError as exc:
            problems.extend(Problem(p.message, file=source) for p in exc.problems)
    markers: list[str] = []
    if table is not None:
        kit = spec.get("markers")
        if kit is None:
            typed_keys = {k for p in profiles.values() for k in p.genotypes if k in table.markers}
            if typed_keys:
                markers = [k for k in table.markers if k in typed_keys]
            else:
                kit = "cn23" if all(k in table for k in MARKER_SETS["cn23"]) else None
        if not markers:
            try:
                markers = resolve_markers(table, kit)
            except InputError as exc:
                problems.extend(Problem(p.message, file=source, field="markers")
                                for p in exc.problems)
    if problems:
        raise InputError(problems)
    cid = spec.get("id") or default_id
    return GuidanceCase(ped, profiles, missing, tuple(available), table, tuple(markers), mutation,
                        float(theta), tuple(float(t) for t in thresholds), int(nsim), int(seed),
                        str(cid) if cid else None)


# ---------------------------------------------------------------------------------------------
# Engine plumbing


def _marker_data(mf, mutation) -> MarkerData:
    mats = marker_matrices(mutation, mf.name, mf.alleles, mf.freqs)
    if mats is None:
        return MarkerData(mf.name, mf.alleles, mf.freqs)
    return MarkerData(mf.name, mf.alleles, mf.freqs, mats[0], mats[1])


def _hw_table(freqs: np.ndarray, theta: float) -> np.ndarray:
    """P(unordered genotype {a, b}) of an unrelated person on the upper triangle (a <= b)."""
    p = np.asarray(freqs, dtype=float)
    t = 2.0 * (1.0 - theta) * np.outer(p, p)
    np.fill_diagonal(t, p * (theta + (1.0 - theta) * p))
    return np.triu(t)


def _unique_problems(drawn: Mapping[str, np.ndarray], nsim: int, nm: int):
    """Per marker, the distinct combinations of the drawn people's genotypes.

    Returns (problems: list of (marker index, {pid: (2,) genotype})), index (nsim, nm) into it).
    """
    problems: list[tuple[int, dict[str, np.ndarray]]] = []
    index = np.zeros((nsim, nm), dtype=np.int64)
    pids = list(drawn)
    for z in range(nm):
        if not pids:
            index[:, z] = len(problems)
            problems.append((z, {}))
            continue
        keys = np.concatenate([drawn[p][:, z, :] for p in pids], axis=1)
        uniq, inv = np.unique(keys, axis=0, return_inverse=True)
        index[:, z] = len(problems) + inv.reshape(-1)
        for u in uniq:
            problems.append((z, {p: u[2 * i:2 * i + 2] for i, p in enumerate(pids)}))
    return problems, index


def _problem_geno(problems, typed: Mapping[str, np.ndarray], lo: int, hi: int):
    zs = [z for z, _ in problems[lo:hi]]
    geno = {p: a[zs] for p, a in typed.items()}
    for pid in problems[lo][1] if problems[lo:hi] else ():
        geno[pid] = np.stack([g[pid] for _, g in problems[lo:hi]])
    return zs, geno


def _tables(ped, mds, typed, problems, person, theta) -> list[np.ndarray]:
    """The joint table P(data, person's ordered genotype) for every problem."""
    out: list[np.ndarray] = []
    for lo in range(0, len(problems), _CHUNK):
        hi = min(len(problems), lo + _CHUNK)
        zs, geno = _problem_geno(problems, typed, lo, hi)
        out.extend(person_genotype_table(ped, [mds[z] for z in zs], geno, person, theta=theta))
    return out


def _likelihoods(ped, mds, typed, problems, theta, lump=True) -> np.ndarray:
    out = np.empty(len(problems))
    step = 3000
    for lo in range(0, len(problems), step):
        hi = min(len(problems), lo + step)
        zs, geno = _problem_geno(problems, typed, lo, hi)
        if not geno:
            out[lo:hi] = 1.0
            continue
        out[lo:hi] = marker_likelihoods(ped, [mds[z] for z in zs], geno, theta=theta, lump=lump)
    return out


def _draw(tab: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k ordered genotypes from a table proportional to P(genotype, data); sorted pairs (k, 2)."""
    flat = tab.reshape(-1)
    cdf = np.cumsum(flat)
    u = rng.random(k) * cdf[-1]
    idx = np.minimum(np.searchsorted(cdf, u, side="right"), len(flat) - 1)
    a, b = np.divmod(idx, tab.shape[0])
    return np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1)


def _simulate(ped, mds, typed, people, nsim, rng, theta) -> dict[str, np.ndarray]:
    """Draw ``people`` jointly given the typed relatives: one person at a time, each from its
    exact conditional table given the typed relatives and everyone drawn before."""
    nm = len(mds)
    drawn: dict[str, np.ndarray] = {}
    for pid in people:
        sub = ped.trimmed(set(typed) | set(drawn) | {pid})
        problems, index = _unique_problems(drawn, nsim, nm)
        tabs = _tables(sub, mds, typed, problems, pid, theta)
        out = np.empty((nsim, nm, 2), dtype=np.int64)
        flat = index.reshape(-1)
        order = np.argsort(flat, kind="stable")
        bounds = np.searchsorted(flat[order], np.arange(len(problems) + 1))
        for q, tab in enumerate(tabs):
            cells = order[bounds[q]:bounds[q + 1]]
            if len(cells) == 0:
                continue
            if not tab.sum() > 0:
                raise InconsistencyError(
                    f"the typed relatives' genotypes are impossible at marker {mds[problems[q][0]].name}"
                    " under the pedigree; check the relationships and sample labels")
            g = _draw(tab, len(cells), rng)
            s, z = np.divmod(cells, nm)
            out[s, z] = g
        drawn[pid] = out
    return drawn


def _log10_lrs(ped, mds, typed, drawn, relatives, missing, theta, hw_tabs, lump) -> np.ndarray:
    """log10 LR of the drawn missing child given the typed relatives and the drawn ``relatives``.

    Per marker and distinct combination of the relatives' genotypes, the engine gives the table
    of the missing child's genotype (H1, the pedigree with the child) and the relatives'
    likelihood (H2, the pedigree without it, trimmed as KINSHIP.md says); every drawn child
    then reads its LR off the table."""
    mchild = drawn[missing]
    nsim, nm, _ = mchild.shape
    rel = {p: drawn[p] for p in relatives}
    ped1 = ped.trimmed(set(typed) | set(rel) | {missing})
    ped2 = ped.trimmed(set(typed) | set(rel))
    problems, index = _unique_problems(rel, nsim, nm)
    tabs = _tables(ped1, mds, typed, problems, missing, theta)
    if typed or rel:
        l2 = _likelihoods(ped2, mds, typed, problems, theta, lump)
    else:
        l2 = np.ones(len(problems))
    l1 = np.empty((nsim, nm))
    flat = index.reshape(-1)
    order = np.argsort(flat, kind="stable")
    bounds = np.searchsorted(flat[order], np.arange(len(problems) + 1))
    for q, tab in enumerate(tabs):
        cells = order[bounds[q]:bounds[q + 1]]
        s, z = np.divmod(cells, nm)
        a, b = mchild[s, z, 0], mchild[s, z, 1]
        l1[s, z] = np.where(a == b, tab[a, b], tab[a, b] + tab[b, a]) / l2[q]
    z = np.arange(nm)[None, :]
    hw = np.stack(hw_tabs)
    ph = hw[z, mchild[..., 0], mchild[..., 1]]
    with np.errstate(divide="ignore"):
        return (np.log10(l1) - np.log10(ph)).sum(axis=1)


def _power(log10_lrs: np.ndarray, thresholds: Sequence[float]) -> dict:
    n = len(log10_lrs)
    ps = [float(np.mean(log10_lrs >= math.log10(t) - 1e-12)) for t in thresholds]
    return {"thresholds": list(thresholds), "p": ps,
            "se": [math.sqrt(p * (1 - p) / n) for p in ps], "nsim": n}


def _exclusion(ped, mds0, typed, problems, missing, theta, hw_tabs) -> np.ndarray:
    """Per problem, the exclusion power of its marker given its data (without mutation)."""
    tabs = _tables(ped, mds0, typed, problems, missing, theta)
    out = np.empty(len(problems))
    for q, tab in enumerate(tabs):
        z = problems[q][0]
        sym = tab + tab.T
        out[q] = float(hw_tabs[z][:tab.shape[0], :tab.shape[0]][np.triu(sym == 0)].sum())
    return out


# ---------------------------------------------------------------------------------------------
# Words


_ROLE = {"father": ("father", "父亲"), "mother": ("mother", "母亲"),
         "brother": ("brother", "哥哥或弟弟"), "sister": ("sister", "姐姐或妹妹"),
         "sibling": ("full brother or sister", "亲兄弟姐妹"),
         "half_sibling": ("half brother or sister", "同父异母或同母异父的兄弟姐妹"),
         "grandfather": ("grandfather", "祖父或外祖父"), "grandmother": ("grandmother", "祖母或外祖母"),
         "uncle": ("uncle", "叔伯舅"), "aunt": ("aunt", "姑姨"), "child": ("child", "孩子"),
         "relative": ("relative", "亲属")}


def relation(ped: Pedigree, pid: str, missing: str) -> str:
    """How ``pid`` is related to the missing member, in one word of :data:`_ROLE`."""
    m = ped[missing]
    p = ped[pid]
    if pid == m.father:
        return "father"
    if pid == m.mother:
        return "mother"
    if m.father is not None and p.father is not None:
        shared = (p.father == m.father) + (p.mother == m.mother)
        if shared == 2:
            return {"male": "brother", "female": "sister"}.get(p.sex, "sibling")
        if shared == 1:
            return "half_sibling"
    for par in (m.father, m.mother):
        if par is not None and pid in (ped[par].father, ped[par].mother):
            return "grandfather" if p.sex == "male" else "grandmother"
        if par is not None and ped[par].father is not None and p.father is not None and \
                (p.father, p.mother) == (ped[par].father, ped[par].mother):
            return "uncle" if p.sex == "male" else "aunt"
    if m.id in (p.id,) or missing in ped.children(pid):
        return "child"
    return "relative"


def _names(ped, ids, missing, lang):
    k = 0 if lang == "en" else 1
    parts = [f"{_ROLE[relation(ped, i, missing)][k]} ({i})" for i in ids]
    return (" and " if lang == "en" else "和").join(parts)


def percent_words(p: float) -> str:
    """A probability as a percentage with one decimal ("42.3%", "7%"), never "100%" for one short of
    certain nor "0%" for one above zero: those are "> 99.9%" and "< 0.1%" (a simulated chance is rarely
    exactly 0 or 1, and the advice must not say "certain" when it is not)."""
    text = f"{100 * p:.1f}%".replace(".0%", "%")
    if text == "100%" and p < 1:
        return "> 99.9%"
    if text == "0%" and p > 0:
        return "< 0.1%"
    return text


def _advice(ped, missing, base: float, options: list[dict]) -> dict:
    if not options:
        en = ("No relative is listed as available for a swab; the figures above are what the "
              "typed relatives give.")
        zh = "没有列出可以再采血的亲属；以上数字就是已采集亲属所能达到的把握。"
        return {"en": en, "zh": zh}
    one = max((o for o in options if len(o["swab"]) == 1), key=lambda o: o["p"], default=None)
    two = max((o for o in options if len(o["swab"]) == 2), key=lambda o: o["p"], default=None)

    pct = percent_words

    en = [f"With the relatives typed now, a true missing child would reach LR >= 10,000 in "
          f"{pct(base)} of cases."]
    zh = [f"按目前已采集的亲属，真正的孩子能达到 LR ≥ 10000 的概率约为 {pct(base)}。"]
    if base >= 0.99:
        en.append("The typed relatives already suffice; no more swabs are needed for this.")
        zh.append("已采集的亲属已经足够，不需要为此再采集。")
        return {"en": " ".join(en), "zh": "".join(zh)}
    if one is not None:
        en.append(f"Swabbing the {_names(ped, one['swab'], missing, 'en')} raises it to "
                  f"{pct(one['p'])}, the most of any one relative.")
        zh.append(f"再采集{_names(ped, one['swab'], missing, 'zh')}的 DNA，可提高到 {pct(one['p'])}，"
                  f"是单独一位亲属中提高最多的。")
    if two is not None:
        en.append(f"Swabbing the {_names(ped, two['swab'], missing, 'en')} raises it to "
                  f"{pct(two['p'])}, the most of any two.")
        zh.append(f"如果能采集{_names(ped, two['swab'], missing, 'zh')}两位，可提高到 {pct(two['p'])}，"
                  f"是任意两位中最高的。")
    if (two or one)["p"] <= base + 1e-9:
        en.append("No listed relative would help much: type more markers instead.")
        zh.append("列出的亲属帮助不大，建议检测更多的基因座。")
    return {"en": " ".join(en), "zh": "".join(zh)}


# ---------------------------------------------------------------------------------------------
# The guidance


def sampling_guidance(case: GuidanceCase, *,
                      new_allele_freq: float = DEFAULT_NEW_ALLELE_FREQ) -> dict:
    """Exclusion power, inclusion power and the relatives to swab, for a :class:`GuidanceCase`."""
    table = case.frequencies
    # X-chromosomal markers are left out (the guidance is autosomal for now) and listed.
    x_skipped = [table.markers[k].name for k in case.markers
                 if getattr(table.markers[k], "chromosome", "A") == "X"]
    keys = [k for k in case.markers if getattr(table.markers[k], "chromosome", "A") != "X"]
    observed = {k: {a for p in case.profiles.values() for a in p.genotypes.get(k, ())}
                for k in keys}
    table = table.with_alleles(observed, new_allele_freq)
    mds = [_marker_data(table.markers[k], case.mutation) for k in keys]
    mds0 = [m.without_mutation() for m in mds]
    nm = len(keys)
    ped = case.pedigree
    typed = {}
    for pid, prof in case.profiles.items():
        a = np.full((nm, 2), MISSING, dtype=np.int64)
        for z, k in enumerate(keys):
            if k in prof.genotypes:
                mf = table.markers[k]
                a[z] = (mf.index(prof.genotypes[k][0]), mf.index(prof.genotypes[k][1]))
        if (a[:, 0] != MISSING).any():
            typed[pid] = a
    if typed:
        l0 = marker_likelihoods(ped.trimmed(set(typed)), mds, typed, theta=case.theta)
        bad = [mds[z].name for z in range(nm) if not l0[z] > 0]
        if bad:
            raise InconsistencyError("the typed relatives' genotypes are impossible at marker(s) "
                                     + ", ".join(bad) + "; check the relationships and sample labels")
    nmax = max(m.n for m in mds)
    hw_tabs = []
    for m in mds:
        t = np.zeros((nmax, nmax))
        h = _hw_table(m.freqs, case.theta)
        t[:m.n, :m.n] = h + np.triu(h, 1).T   # symmetric lookup by (a, b) in either order
        hw_tabs.append(t)
    rng = np.random.default_rng(case.seed)
    nsim = case.nsim
    # Lumping unseen alleles is exact without mutation; with a model the engine would test
    # lumpability per problem (costly, and false for stepwise models), so it is not asked for.
    lump = case.mutation is None

    # Typed: exact exclusion power, and inclusion power of the missing child given the typed.
    ped1 = ped.trimmed(set(typed) | {case.missing})
    p0, _ = _unique_problems({}, 1, nm)
    ep_m = _exclusion(ped1, mds0, typed, p0, case.missing, case.theta, hw_tabs)
    ep_m = np.clip(ep_m, 0.0, 1.0)
    with np.errstate(divide="ignore"):
        log_ne = float(np.sum(np.log10(1.0 - ep_m)))
    typed_ep = {"total": float(1.0 - 10 ** log_ne) if log_ne > -300 else 1.0,
                "log10_p_not_excluded": log_ne,
                "per_marker": {mds[z].name: float(ep_m[z]) for z in range(nm)}}
    drawn_m = _simulate(ped, mds, typed, [case.missing], nsim, rng, case.theta)
    lr_typed = _log10_lrs(ped, mds, typed, drawn_m, [], case.missing, case.theta, hw_tabs, lump)
    typed_ip = _power(lr_typed, case.thresholds)

    out = {"id": case.id,
           "typed": {"exclusion_power": typed_ep, "inclusion_power": typed_ip,
                     "relatives": sorted(typed)}}
    # Before typing: the available relatives and the missing child drawn jointly.
    avail = list(case.available)
    options = []
    if avail:
        drawn = _simulate(ped, mds, typed, [*avail, case.missing], nsim, rng, case.theta)
        lr_all = _log10_lrs(ped, mds, typed, drawn, avail, case.missing, case.theta, hw_tabs, lump)
        pe, ie = _unique_problems({p: drawn[p] for p in avail}, nsim, nm)
        ped_all = ped.trimmed(set(typed) | set(avail) | {case.missing})
        ep = _exclusion(ped_all, mds0, typed, pe, case.missing, case.theta, hw_tabs)[ie]
        with np.errstate(divide="ignore"):
            tot = 1.0 - 10 ** np.log10(np.clip(1.0 - ep, 0.0, 1.0)).sum(axis=1)
        out["before_typing"] = {
            "available": avail,
            "inclusion_power": _power(lr_all, case.thresholds),
            "exclusion_power": {"mean": float(tot.mean()),
                                "se": float(tot.std(ddof=1) / math.sqrt(nsim)) if nsim > 1 else 0.0},
        }
        subsets = [(a,) for a in avail] + list(itertools.combinations(avail, 2))
        for sub in subsets:
            lrs = lr_all if set(sub) == set(avail) else _log10_lrs(
                ped, mds, typed, drawn, list(sub), case.missing, case.theta, hw_tabs, lump)
            p = float(np.mean(lrs >= math.log10(TARGET) - 1e-12))
            options.append({"swab": list(sub), "p": p, "se": math.sqrt(p * (1 - p) / nsim),
                            "relation": [relation(ped, s, case.missing) for s in sub]})
        options.sort(key=lambda o: (-o["p"], len(o["swab"]), o["swab"]))
    else:
        out["before_typing"] = {"available": [], "inclusion_power": typed_ip,
                                "exclusion_power": {"mean": typed_ep["total"], "se": 0.0}}
    base = float(np.mean(lr_typed >= math.log10(TARGET) - 1e-12))
    out["swab"] = {"target_lr": TARGET, "p_now": base, "options": options,
                   "advice": _advice(ped, case.missing, base, options)}
    out["assumptions"] = {
        "frequencies": table.name if table.name != "inline" else "inline table",
        "mutation": case.mutation.describe() if case.mutation is not None else "none",
        # the model's parameters and name, so that a page can describe it in its own language
        "mutation_model": None if case.mutation is None else {
            "spec": getattr(case.mutation, "name", None), "model": case.mutation.as_dict(),
            "description": case.mutation.describe()},
        "theta": case.theta, "markers": [m.name for m in mds], "seed": case.seed,
        "x_markers_skipped": x_skipped,
        "exclusion": "Mendelian incompatibility without mutation (forrel's missingPersonEP)",
        "inclusion": "Monte Carlo; the missing child (and the available relatives) drawn from the "
                     "exact conditional distribution given the typed relatives",
    }
    out["software"] = f"reunite {__version__}"
    return out

