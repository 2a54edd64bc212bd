"""Kinship engine speed (not a test): prints one JSON object of figures.

- trio: a found child against father + mother over the 23 Chinese-kit markers (NIST 1036 U.S.
  Asian), in a batch of N cases (default 10,000; --quick: 500), without mutation and with a
  stepwise model; milliseconds per case.
- family8: a family of 8 with 5 untyped members (grandparents untyped, an aunt and a sister
  typed ...), per case, with and without mutation.
- baseline: the same trio cases through a plain Python per-marker enumeration in the same
  process (the ratio shows what the batched peeling buys).

Usage: python benchmarks/kinship.py [--quick]
"""

from __future__ import annotations

import json
import platform
import sys
import time

import numpy as np

from reunite.genetics import load_case, load_frequencies, missing_person_lr
from reunite.genetics.kinship import hw_genotype_prob

TABLE = "nist1036_us_asian"
MARKERS = ["CSF1PO", "D10S1248", "D12S391", "D13S317", "D16S539", "D18S51", "D19S433", "D1S1656", "D21S11",
           "D22S1045", "D2S1338", "D2S441", "D3S1358", "D5S818", "D6S1043", "D7S820", "D8S1179", "FGA",
           "Penta D", "Penta E", "TH01", "TPOX", "vWA"]
STEPWISE = {"model": "stepwise", "rate": 0.002, "rate2": 1e-06, "range": 0.1}


def _draw(rng, mf):
    return mf.alleles[rng.choice(len(mf.alleles), p=mf.freqs / mf.freqs.sum())]


def trio_cases(n, seed, mutation=None):
    rng = np.random.default_rng(seed)
    t = load_frequencies(TABLE)
    ped = [{"id": "F", "father": None, "mother": None, "sex": "male"},
           {"id": "M", "father": None, "mother": None, "sex": "female"},
           {"id": "C", "father": "F", "mother": "M", "sex": "male"}]
    out = []
    for _ in range(n):
        f, m, c = {}, {}, {}
        for k in MARKERS:
            mf = t[k]
            f[k] = [_draw(rng, mf), _draw(rng, mf)]
            m[k] = [_draw(rng, mf), _draw(rng, mf)]
            c[k] = [f[k][rng.integers(2)], m[k][rng.integers(2)]]
        out.append({"frequencies": TABLE, "mutation": mutation, "pedigree": ped,
                    "genotypes": {"F": f, "M": m}, "missing": "C", "found": c})
    return out


def family8_case(seed, mutation=None):
    rng = np.random.default_rng(seed)
    t = load_frequencies(TABLE)
    ped = [{"id": "GF", "father": None, "mother": None, "sex": "male"},     # untyped
           {"id": "GM", "father": None, "mother": None, "sex": "female"},   # untyped
           {"id": "FA", "father": "GF", "mother": "GM", "sex": "male"},     # untyped
           {"id": "AU", "father": "GF", "mother": "GM", "sex": "female"},   # typed aunt
           {"id": "MO", "father": None, "mother": None, "sex": "female"},   # untyped
           {"id": "SIB", "father": "FA", "mother": "MO", "sex": "female"},  # typed sister
           {"id": "UN", "father": "GF", "mother": "GM", "sex": "male"},     # untyped uncle
           {"id": "MP", "father": "FA", "mother": "MO", "sex": "male"}]     # missing
    g = {"AU": {}, "SIB": {}}
    found = {}
    for k in MARKERS:
        mf = t[k]
        gf = [_draw(rng, mf), _draw(rng, mf)]
        gm = [_draw(rng, mf), _draw(rng, mf)]
        fa = [gf[rng.integers(2)], gm[rng.integers(2)]]
        mo = [_draw(rng, mf), _draw(rng, mf)]
        g["AU"][k] = [gf[rng.integers(2)], gm[rng.integers(2)]]
        g["SIB"][k] = [fa[rng.integers(2)], mo[rng.integers(2)]]
        found[k] = [fa[rng.integers(2)], mo[rng.integers(2)]]
    return {"frequencies": TABLE, "mutation": mutation, "pedigree": ped, "genotypes": g,
            "missing": "MP", "found": found}


def baseline_trio_lr(spec):
    """Plain-Python textbook trio LR (no mutation): the per-case cost without batching."""
    t = load_frequencies(TABLE)
    log10 = 0.0
    for k in MARKERS:
        mf = t[k]
        f, m, c = spec["genotypes"]["F"][k], spec["genotypes"]["M"][k], spec["found"][k]
        num = 0.0
        for a in f:
            for b in m:
                if sorted((a, b)) == sorted(c):
                    num += 0.25
        idx = {a: i for i, a in enumerate(mf.alleles)}
        den = hw_genotype_prob(mf.freqs, idx[c[0]], idx[c[1]])
        log10 += np.log10(num / den) if num else -np.inf
    return log10


def timeit(fn, items):
    t0 = time.perf_counter()
    out = [fn(x) for x in items]
    return (time.perf_counter() - t0) / len(items), out


def main(argv):
    quick = "--quick" in argv
    n = 500 if quick else 10_000
    figures = {"machine": f"{platform.node()} {platform.machine()} python {platform.python_version()}",
               "trio_cases": n}
    cases = trio_cases(n, 1)
    load_case(cases[0])  # warm caches
    per, res = timeit(lambda s: missing_person_lr(load_case(s)), cases)
    figures["trio_ms_per_case"] = round(per * 1e3, 3)
    base, bres = timeit(baseline_trio_lr, cases)
    figures["trio_baseline_python_ms_per_case"] = round(base * 1e3, 3)
    figures["trio_max_abs_log10_diff_vs_baseline"] = float(max(
        abs(r.log10_lr - b) for r, b in zip(res, bres, strict=True) if r.log10_lr is not None))
    mcases = trio_cases(max(n // 10, 100), 2, STEPWISE)
    per, _ = timeit(lambda s: missing_person_lr(load_case(s)), mcases)
    figures["trio_stepwise_ms_per_case"] = round(per * 1e3, 3)
    fam = [family8_case(s) for s in range(20)]
    per, _ = timeit(lambda s: missing_person_lr(load_case(s)), fam)
    figures["family8_5untyped_ms_per_case"] = round(per * 1e3, 3)
    famm = [family8_case(s, STEPWISE) for s in range(5)]
    per, _ = timeit(lambda s: missing_person_lr(load_case(s)), famm)
    figures["family8_5untyped_stepwise_ms_per_case"] = round(per * 1e3, 3)
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
