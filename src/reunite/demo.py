"""A small kinship example, end to end: ``python -m reunite.demo``.

``make demo`` and ``reunite demo`` run the larger Kunming case instead (:mod:`reunite.kunming`:
a whole ring, imported into a store and matched); this module is one family and two found
children through the kinship engine alone, printed as ``reunite kinship lr`` prints them.
A family reports a missing son; the father, the mother and the boy's sister give reference DNA.
Two children found by the police are compared with the family: one is the missing boy, the
other is unrelated.  Profiles are gene-dropped with a fixed seed from the bundled U.S. Asian
NIST 1036 table over the 23 markers of the Chinese kits (CODIS 20 + Penta D, Penta E, D6S1043).
"""

from __future__ import annotations

import numpy as np

from .commands.kinship import render_lr_text
from .genetics import load_case, load_frequencies, missing_person_lr

TABLE = "nist1036_us_asian"
MARKERS = ["CSF1PO", "D10S1248", "D12S391", "D13S317", "D16S539", "D18S51", "D19S433",
           "D1S1656", "D21S11", "D22S1045", "D2S1338", "D2S441", "D3S1358", "D5S818",
           "D6S1043", "D7S820", "D8S1179", "FGA", "Penta D", "Penta E", "TH01", "TPOX", "vWA"]


def _draw(rng, table, marker) -> str:
    mf = table[marker]
    return mf.alleles[rng.choice(len(mf.alleles), p=mf.freqs / mf.freqs.sum())]


def build_demo_cases(seed: int = 2014) -> tuple[dict, dict]:
    """The family case against the true missing child and against an unrelated child."""
    rng = np.random.default_rng(seed)
    table = load_frequencies(TABLE)
    father, mother, sister, son, stranger = ({} for _ in range(5))
    for m in MARKERS:
        f = [_draw(rng, table, m), _draw(rng, table, m)]
        mo = [_draw(rng, table, m), _draw(rng, table, m)]
        father[m], mother[m] = f, mo
        sister[m] = [f[rng.integers(2)], mo[rng.integers(2)]]
        son[m] = [f[rng.integers(2)], mo[rng.integers(2)]]
        stranger[m] = [_draw(rng, table, m), _draw(rng, table, m)]
    son["Amelogenin"] = ["X", "Y"]
    stranger["Amelogenin"] = ["X", "Y"]
    base = {
        "frequencies": TABLE,
        "mutation": {"model": "stepwise", "rate": 0.002, "rate2": 1e-06, "range": 0.1},
        "pedigree": [
            {"id": "father", "father": None, "mother": None, "sex": "male"},
            {"id": "mother", "father": None, "mother": None, "sex": "female"},
            {"id": "sister", "father": "father", "mother": "mother", "sex": "female"},
            {"id": "missing son", "father": "father", "mother": "mother", "sex": "male"},
        ],
        "genotypes": {"father": father, "mother": mother, "sister": sister},
        "missing": "missing son",
    }
    return ({**base, "id": "found child A (the missing son)", "found": son},
            {**base, "id": "found child B (unrelated)", "found": stranger})


def main() -> None:
    print("Reunite demo: two found children against one family (father, mother and sister typed)")
    print("Frequencies: NIST 1036 U.S. Asian, 23 loci; mutation: stepwise (rate 0.002).\n")
    for spec in build_demo_cases():
        res = missing_person_lr(load_case(spec))
        print(render_lr_text(res))
        print("\n" + "-" * 78 + "\n")


if __name__ == "__main__":
    main()
