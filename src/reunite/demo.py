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

import csv
from pathlib import Path

import numpy as np
from sqlalchemy import select

from .cases.db import open_session
from .cases.importing import SAMPLE_COLUMNS, import_families, import_found, import_profiles, import_reports
from .cases.labs import add_lab
from .cases.matching import run_matching
from .cases.models import Candidate, FoundChild
from .cases.records import add_user
from .commands.kinship import render_lr_text
from .genetics import load_case, load_frequencies, missing_person_lr
from .genetics.simulate import MARKER_SETS

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


# ------------------------------------------------------------------ lab report examples
#: The laboratory of the report examples (invented; the accreditation number is fictitious).
EXAMPLE_LAB = {"name": "Yunnan forensic DNA laboratory (example)",
               "name_zh": "云南省公安厅物证鉴定中心DNA实验室（示例）",
               "accreditation": "CNAS L9999（示例编号）", "address": "云南省昆明市（示例地址）"}
EXAMPLE_KINDS = ("trio-mutation", "full-siblings")


def _consistent(child, father, mother) -> bool:
    """Whether a child's genotype can be inherited from these parents without mutation."""
    a, b = child
    return (a in father and b in mother) or (b in father and a in mother)


def build_report_example(kind: str, folder, *, seed: int = 37223, url: str | None = None,
                         unrelated: int = 0) -> dict:
    """A store (``url``, default ``folder/example.db``) holding one report example, matched: ``trio-mutation`` (father
    and mother typed, the found child their child with one paternal mutation) or ``full-siblings``
    (two full siblings typed, no parent).  Returns the database URL and the candidate's id.

    Invented people and samples, DNA gene-dropped from the bundled NIST 1036 U.S. Asian table over the
    23 markers of the Chinese kits; every sample has its chain of custody and the laboratory is
    registered.  The matching runs with the bundled published mutation rates and the ``gbt`` rules.
    ``unrelated`` adds found children unrelated to the family (case numbers ``KM-2014-1xx``).
    """
    if kind not in EXAMPLE_KINDS:
        raise ValueError(f"kind must be one of {', '.join(EXAMPLE_KINDS)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    table = load_frequencies(TABLE)
    markers = list(MARKER_SETS["cn23"])
    fa = {m: [_draw(rng, table, m), _draw(rng, table, m)] for m in markers}
    mo = {m: [_draw(rng, table, m), _draw(rng, table, m)] for m in markers}

    def child() -> dict:
        return {m: [fa[m][rng.integers(2)], mo[m][rng.integers(2)]] for m in markers}

    found = child()
    if kind == "trio-mutation":
        # One paternal allele one repeat longer: a single inconsistent marker.
        for m in markers:
            up = str(int(found[m][0]) + 1) if found[m][0].isdigit() else None
            if up is not None and up in table[m].alleles and not _consistent([up, found[m][1]], fa[m], mo[m]):
                found[m] = [up, found[m][1]]
                break
        typed = {"F": fa, "M": mo}
        members = [("F", "", "", "male"), ("M", "", "", "female"), ("C", "F", "M", "male")]
    else:
        typed = {"S1": child(), "S2": child()}
        members = [("F", "", "", "male"), ("M", "", "", "female"), ("S1", "F", "M", "female"),
                   ("S2", "F", "M", "male"), ("C", "F", "M", "male")]
    report, case = ("YN-2013-017", "KM-2014-005") if kind == "trio-mutation" else ("YN-2013-021", "KM-2014-009")
    custody = {"kit": "Goldeneye 22NC", "typed_on": "2014-02-01", "collected_by": "赵警官", "sealed_by": "钱警官",
               "received_by": "孙技术员", "received_on": "2014-01-22"}

    def sample_rows(sample, gts, sex, kind_, collected):
        meta = {**custody, "sample_kind": kind_, "collected_on": collected}
        rows = [(sample, m, *gts[m]) for m in markers]
        rows.append((sample, "Amelogenin", "X", "Y" if sex == "male" else "X"))
        return [(*r, *(meta[c] for c in SAMPLE_COLUMNS)) for r in rows]

    profiles = sample_rows(f"{case}-DNA", found, "male", "blood_card", "2014-01-16")
    strangers = [f"KM-2014-{101 + i}" for i in range(unrelated)]
    for other in strangers:
        gts = {m: [_draw(rng, table, m), _draw(rng, table, m)] for m in markers}
        profiles += sample_rows(f"{other}-DNA", gts, "male", "blood_card", "2014-01-16")
    for mid, _f, _m, sex in members:
        if mid in typed:
            profiles += sample_rows(f"{report}-{mid}", typed[mid], sex, "buccal_swab", "2014-01-20")

    def write(name, header, rows):
        with open(folder / name, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
        return folder / name

    files = {
        "profiles": write("profiles.csv", ["sample", "marker", "allele1", "allele2", *SAMPLE_COLUMNS], profiles),
        "families": write("families.csv", ["family", "id", "father", "mother", "sex", "sample", "missing"],
                          [(report, mid, f, m, sex, f"{report}-{mid}" if mid in typed else "", int(mid == "C"))
                           for mid, f, m, sex in members]),
        "reports": write("missing_reports.csv", ["report_number", "child_name", "sex", "date_of_birth",
                                                 "disappeared_on", "disappeared_place"],
                         [(report, "李小明" if kind == "trio-mutation" else "王小龙", "male", "2013-05-02",
                           "2013-07-20", "云南省昭通市镇雄县")]),
        "found": write("found_children.csv", ["case_number", "sex", "age_months", "age_sd_months", "found_on",
                                              "found_place", "sample"],
                       [(c, "male", "8.5", "1.5", "2014-01-15", "云南省昆明市", f"{c}-DNA")
                        for c in (case, *strangers)]),
    }
    if url is None:
        db = folder / "example.db"
        if db.exists():
            db.unlink()
        url = f"sqlite:///{db}"
    with open_session(url) as s:
        add_user(s, "李分析师", "lab_analyst")
        add_lab(s, EXAMPLE_LAB["name"], name_zh=EXAMPLE_LAB["name_zh"], accreditation=EXAMPLE_LAB["accreditation"],
                address=EXAMPLE_LAB["address"], user="李分析师")
        import_reports(s, files["reports"], user="李分析师")
        import_found(s, files["found"], user="李分析师")
        import_profiles(s, files["profiles"], lab=EXAMPLE_LAB["name"], user="李分析师")
        import_families(s, files["families"], user="李分析师")
        # An explicit prior, as if the child were searched against a thousand open reports.
        run_matching(s, frequencies=TABLE, rules="gbt", prior=0.001)
        cand = s.scalars(select(Candidate).join(Candidate.found_child).where(FoundChild.case_number == case)).first()
        if cand is None:
            raise RuntimeError(f"the {kind} example made no candidate (seed {seed})")
        return {"url": url, "candidate": cand.id, "kind": kind, "report": report, "case": case}
