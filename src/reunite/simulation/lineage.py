"""Simulated Y-STR haplotypes for simulated families and found children, and families typed on one
paternal-line relative only: the data that measure the accuracy of the lineage search.

Every haplotype here is SIMULATED.  Haplotypes are dropped along the paternal lines of each pedigree
with :func:`reunite.genetics.simulate_lineage.mutate_y` (the stepwise model the LR uses): a male
founder carries a haplotype drawn from :func:`~reunite.genetics.simulate_lineage.simulate_y_population`
(a clan process, so unrelated men share haplotypes as often as that process makes them), and each son
his father's haplotype after one meiosis.  A found child of a family is its missing member, so a
found boy carries the missing boy's haplotype.

* :func:`population_y` does it for a :class:`~reunite.genetics.simulate.SimulatedPopulation`
  (``reunite simulate --y-haplotypes``), :func:`append_y_rows` writes the rows into its CSV files;
* :func:`paternal_line_families` gene-drops families whose only typed relative is a brother, a
  paternal uncle or a paternal grandfather of the missing boy (autosomal STRs without mutation,
  and a Y-STR haplotype), with the boy himself as the found child.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..genetics.frequencies import FrequencyTable
from ..genetics.haplotype import YHaplotype
from ..genetics.markers import parse_profile
from ..genetics.pedigree import make_pedigree
from ..genetics.simulate import SimulatedPopulation
from ..genetics.simulate_lineage import as_haplotype, mutate_y, simulate_y_population
from ..genetics.ystr import KITS
from ..search.io import FamilyRecord

__all__ = ["PATERNAL_KINDS", "append_y_rows", "paternal_line_families", "population_y"]


def _pool(n: int, seed: int, loci: Sequence[str]) -> list[dict[str, tuple[int, ...]]]:
    return simulate_y_population(max(n, 1), seed=seed, loci=loci)


def population_y(pop: SimulatedPopulation, *, seed: int = 1, kit: str = "yfiler_plus",
                 founders: Sequence[dict] | None = None) -> tuple[dict[str, YHaplotype], dict[str, YHaplotype]]:
    """Y-STR haplotypes of the typed men of ``pop``'s families (by sample id, ``F000001-F``) and of its
    found boys (by sample id), dropped along the paternal lines (see the module docstring).
    ``founders``: the male founders' haplotypes, used in turn (default: a clan population of ``seed``)."""
    loci = KITS[kit]
    rng = np.random.default_rng(seed)
    need = sum(sum(1 for _p, fa, _m, _s in g.layout.members if fa is None) * len(g) for g in pop.groups)
    pool = list(founders) if founders is not None else _pool(need + pop.n_found, seed, loci)
    if len(pool) < need + pop.n_found:
        raise ValueError(f"{need + pop.n_found} founder haplotypes are needed, {len(pool)} given")
    nxt = iter(pool)
    fam_ids = pop.family_ids()
    typed: dict[str, YHaplotype] = {}
    missing_hap: dict[int, dict] = {}
    for g in pop.groups:
        lay = g.layout
        for j, fi in enumerate(g.family_index.tolist()):
            hap: dict[str, dict] = {}
            for pid, fa, _mo, _sex in lay.members:
                if fa is None:
                    h = next(nxt)
                    if bool(g.male[pid][j]):
                        hap[pid] = h
                elif bool(g.male[pid][j]) and fa in hap:
                    hap[pid] = mutate_y(hap[fa], 1, rng)
            for pid in lay.typed:
                if pid in hap:
                    typed[f"{fam_ids[fi]}-{pid}"] = as_haplotype(hap[pid])
            if lay.missing in hap:
                missing_hap[fi] = hap[lay.missing]
    found: dict[str, YHaplotype] = {}
    for k, sample in enumerate(pop.found_ids()):
        if not bool(pop.found_male[k]):
            continue
        fi = int(pop.found_family[k])
        h = missing_hap.get(fi) if fi >= 0 else None
        found[sample] = as_haplotype(h if h is not None else next(nxt))
    return typed, found


def append_y_rows(path: str | Path, haplotypes: dict[str, YHaplotype]) -> int:
    """Append one row per sample and Y-STR locus to a profiles CSV (``13,19`` for two copies, ``null``)."""
    n = 0
    with open(path, "a", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        for sample, h in haplotypes.items():
            for locus, v in h.alleles.items():
                w.writerow((sample, locus, ",".join(v) if v else "null", ""))
                n += 1
    return n


def _profile(g: np.ndarray, names: Sequence[str], alleles: Sequence[tuple[str, ...]]):
    return parse_profile({nm: [al[int(a)], al[int(b)]] for nm, al, (a, b) in zip(names, alleles, g, strict=True)})


#: The paternal-line relatives :func:`paternal_line_families` types, with their meioses to the boy.
PATERNAL_KINDS = {"brother": 2, "paternal_uncle": 3, "paternal_grandfather": 2}

_PEDIGREES = {
    "brother": (("F", None, None, "male"), ("M", None, None, "female"), ("C", "F", "M", "male"),
                ("R", "F", "M", "male")),
    "paternal_uncle": (("GF", None, None, "male"), ("GM", None, None, "female"), ("F", "GF", "GM", "male"),
                       ("M", None, None, "female"), ("C", "F", "M", "male"), ("R", "GF", "GM", "male")),
    "paternal_grandfather": (("R", None, None, "male"), ("GM", None, None, "female"), ("F", "R", "GM", "male"),
                             ("M", None, None, "female"), ("C", "F", "M", "male")),
}


def paternal_line_families(table: FrequencyTable, markers: Sequence[str], counts: dict[str, int], *,
                           seed: int = 1, kit: str = "yfiler_plus", prefix: str = "P",
                           founders: Sequence[dict] | None = None
                           ) -> tuple[list[FamilyRecord], dict[str, YHaplotype], dict, dict, dict[str, str]]:
    """Families whose only typed relative (member ``R``, sample ``<family>-R``) is the missing boy's
    brother, paternal uncle or paternal grandfather (``counts``: how many of each), gene-dropped:
    autosomal STRs at ``markers`` (frequencies of ``table``, Mendelian, no mutation) and Y-STR
    haplotypes of ``kit`` along the paternal line.

    Returns (families, relatives' haplotypes by sample, found boys' profiles, found boys' haplotypes,
    truth: boy → family).  The boy ``<family>-C`` is the missing child himself.  ``founders``: the
    haplotypes of the lines' founders, one per family (default: a clan population of ``seed``)."""
    rng = np.random.default_rng(seed)
    loci = KITS[kit]
    total = sum(counts.values())
    pool = iter(list(founders) if founders is not None else _pool(total, seed + 7, loci))
    freqs = [np.asarray(table.markers[m].freqs, dtype=float) for m in markers]
    cdfs = [np.cumsum(f) / f.sum() for f in freqs]
    names = [table.markers[m].name for m in markers]
    alleles = [table.markers[m].alleles for m in markers]
    fams: list[FamilyRecord] = []
    ys: dict[str, YHaplotype] = {}
    kids: dict = {}
    kid_y: dict[str, YHaplotype] = {}
    truth: dict[str, str] = {}
    peds = {k: make_pedigree([{"id": i, "father": f, "mother": m, "sex": s} for i, f, m, s in rows])
            for k, rows in _PEDIGREES.items()}
    n = 0
    for kind, how_many in counts.items():
        rows = _PEDIGREES[kind]
        for _ in range(how_many):
            n += 1
            fam = f"{prefix}{n:06d}"
            geno: dict[str, np.ndarray] = {}
            hap: dict[str, dict] = {}
            for pid, fa, mo, sex in rows:
                if fa is None:
                    u = rng.random((len(markers), 2))
                    geno[pid] = np.array([[int(np.searchsorted(c, x, side="right").clip(max=len(c) - 1)) for x in uu]
                                          for c, uu in zip(cdfs, u, strict=True)])
                    if sex == "male":
                        hap[pid] = next(pool)
                else:
                    pick = rng.integers(0, 2, size=(len(markers), 2))
                    ar = np.arange(len(markers))
                    geno[pid] = np.stack([geno[fa][ar, pick[:, 0]], geno[mo][ar, pick[:, 1]]], axis=1)
                    if sex == "male":
                        hap[pid] = mutate_y(hap[fa], 1, rng)

            fams.append(FamilyRecord(fam, peds[kind], "C", {"R": _profile(geno["R"], names, alleles)},
                                     {"R": f"{fam}-R"}))
            ys[f"{fam}-R"] = as_haplotype(hap["R"])
            boy = f"{fam}-C"
            kids[boy] = _profile(geno["C"], names, alleles)
            kid_y[boy] = as_haplotype(hap["C"])
            truth[boy] = fam
    return fams, ys, kids, kid_y, truth
