"""Simulated lineage markers: Y-STR haplotypes dropped along paternal lines, and the shipped databases.

Every haplotype here is SIMULATED; none is a real person's.

* :func:`mutate_y` drops a haplotype through ``m`` meioses: at each meiosis each copy of each locus
  mutates with probability μ/copies (the bundled rates, :func:`~reunite.genetics.ystr.load_y_rates`),
  by ±1 repeat, or ±2 with the share :data:`~reunite.genetics.ystr.TWO_STEP_SHARE` — the same model
  the LR uses.
* :func:`simulate_y_population` is a *clan* process: ``clans`` clan founders descend from one
  ancestral haplotype (:data:`Y_ANCESTOR`, arbitrary repeat numbers near common East Asian alleles)
  through ``clan_depth`` meioses each, and each man descends from a clan founder (chosen uniformly)
  through a uniform number of meioses in ``[1, man_depth]``.  Men of one clan often share a
  haplotype, as real populations do; the process is a stated stand-in, not a population model.
* :func:`simulate_mt_population` does the same for mtDNA: clan founders carry ``clan_variants``
  differences to the rCRS at positions drawn from HVS-I (16024–16365) and HVS-II (73–340); each
  woman adds a Poisson(``private_mean``) number of private variants.  Bases are drawn uniformly
  among the three not named in the position's label, without reference to the real rCRS base.

The shipped files ``data/lineage/simulated_ystr_database.csv`` and
``data/lineage/simulated_mtdna_database.csv`` are ``simulate_*_population(500, seed=15)`` written
by :func:`write_y_csv` / :func:`write_mt_csv`.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .ystr import KITS, TWO_STEP_SHARE, YHaplotype, load_y_rates

__all__ = ["Y_ANCESTOR", "mutate_y", "simulate_mt_population", "simulate_y_population", "write_mt_csv",
           "write_y_csv"]

#: The ancestral haplotype of the clan process (arbitrary starting values, Yfiler Plus loci).
Y_ANCESTOR: dict[str, tuple[int, ...]] = {
    "DYS19": (15,), "DYS385": (13, 19), "DYS389I": (13,), "DYS389II": (29,), "DYS390": (23,), "DYS391": (10,),
    "DYS392": (13,), "DYS393": (13,), "DYS437": (14,), "DYS438": (10,), "DYS439": (12,), "DYS448": (19,),
    "DYS456": (15,), "DYS458": (17,), "DYS635": (20,), "YGATAH4": (12,), "DYS449": (30,), "DYS460": (10,),
    "DYS481": (22,), "DYS518": (38,), "DYS533": (11,), "DYS570": (18,), "DYS576": (18,), "DYS627": (20,),
    "DYF387S1": (36, 38),
}


def mutate_y(haplotype: dict[str, tuple[int, ...]], meioses: int, rng: np.random.Generator, *,
             two_step: float = TWO_STEP_SHARE) -> dict[str, tuple[int, ...]]:
    """The haplotype after ``meioses`` father-to-son transmissions with stepwise mutation."""
    rates = load_y_rates()
    out = {}
    for locus, alleles in haplotype.items():
        mu, _ = rates.rate(locus)
        per_copy = mu / rates.copies.get(locus, 1)
        new = []
        for a in alleles:
            n = int(rng.binomial(meioses, per_copy)) if meioses else 0
            for _ in range(n):
                step = 2 if rng.random() < two_step else 1
                a += step if rng.random() < 0.5 else -step
            new.append(max(a, 1))
        out[locus] = tuple(sorted(new))
    return out


def simulate_y_population(n: int, *, seed: int = 15, clans: int = 120, clan_depth: int = 400,
                          man_depth: int = 60, loci: Sequence[str] = KITS["yfiler_plus"]
                          ) -> list[dict[str, tuple[int, ...]]]:
    """``n`` unrelated men's haplotypes from the clan process (see the module docstring)."""
    rng = np.random.default_rng(seed)
    anc = {k: v for k, v in Y_ANCESTOR.items() if k in loci}
    founders = [mutate_y(anc, clan_depth, rng) for _ in range(clans)]
    return [mutate_y(founders[int(rng.integers(clans))], int(rng.integers(1, man_depth + 1)), rng)
            for _ in range(n)]


def as_haplotype(h: dict[str, tuple[int, ...]]) -> YHaplotype:
    """A simulated haplotype as a :class:`~reunite.genetics.ystr.YHaplotype`."""
    return YHaplotype({k: tuple(str(a) for a in sorted(v)) for k, v in h.items()})


def write_y_csv(haps: Sequence[dict[str, tuple[int, ...]]], path: str | Path) -> None:
    """One row per man: ``id`` and one column per locus (multi-copy loci as ``13,19``)."""
    loci = list(haps[0])
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", *loci])
        for i, h in enumerate(haps, start=1):
            w.writerow([f"SIMY{i:04d}", *(",".join(str(a) for a in h[locus]) for locus in loci)])


_HVS1 = (16024, 16365)
_HVS2 = (73, 340)


def _random_variant(rng: np.random.Generator) -> tuple[int, str]:
    lo, hi = _HVS1 if rng.random() < 0.6 else _HVS2
    pos = int(rng.integers(lo, hi + 1))
    return pos, "ACGT"[int(rng.integers(4))]


def simulate_mt_population(n: int, *, seed: int = 15, clans: int = 80, clan_variants: int = 6,
                           private_mean: float = 0.6) -> list[dict[int, str]]:
    """``n`` unrelated women's control-region variants (position → base) from the clan process."""
    rng = np.random.default_rng(seed)
    founders = []
    for _ in range(clans):
        f: dict[int, str] = {}
        for _ in range(int(rng.integers(2, 2 * clan_variants))):
            pos, base = _random_variant(rng)
            f[pos] = base
        founders.append(f)
    out = []
    for _ in range(n):
        h = dict(founders[int(rng.integers(clans))])
        for _ in range(int(rng.poisson(private_mean))):
            pos, base = _random_variant(rng)
            h[pos] = base
        out.append(h)
    return out


def write_mt_csv(seqs: Sequence[dict[int, str]], path: str | Path) -> None:
    """One row per woman: ``id``, ``range`` (HVS-I and HVS-II) and the EMPOP-style ``variants``."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "range", "variants"])
        for i, s in enumerate(seqs, start=1):
            order = sorted(s, key=lambda p: (p < 16000, p))
            w.writerow([f"SIMMT{i:04d}", "16024-16365 73-340", " ".join(f"{p}{s[p]}" for p in order)])
