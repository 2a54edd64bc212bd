"""The store's matching scores lineage markers with the national search's vectorized kernel
(:func:`reunite.search.lineage.lineage_log10`) and builds the full pair details only for the pairs it keeps:
the candidates, their stored DNA evidence (every typed man listed, sentences) and conclusions, and the run's
counts equal those of the pair-by-pair path (``run_matching(lineage_kernel=False)``, which calls
:func:`reunite.cases.lineage.pair_lineage` for every pair); on SQLite and PostgreSQL.

The store has 48 families of six kinds (an uncle typed at autosomal and Y-STRs, a brother at Y-STRs only,
two brothers of whom the closer is typed only at a locus the database lacks, so the store uses the uncle,
the maternal grandmother's mtDNA, the grandparents' Y-STRs and mtDNA, a mother sequenced on HVS-I only
beside a fully sequenced grandmother) and 16 found children: their missing boys and girls, a few with a
mutation, and unrelated children.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from sqlalchemy import select

from reunite.cases.importing import import_families, import_found, import_profiles, import_reports
from reunite.cases.lineage import configured_databases, import_lineage_database, set_lineage_method
from reunite.cases.matching import _child_lineage, _child_lineage_pairs, _lineage_families, _lineage_index, run_matching
from reunite.cases.models import Candidate, DnaSample
from reunite.genetics.simulate_lineage import mutate_y, simulate_mt_population, simulate_y_population, write_mt_csv
from reunite.genetics.ystr import KITS

LOCI = tuple(reversed(KITS["yfiler_plus"][:10]))   # (not in sorted order: the fits are kept by loci order)
MISSING_FROM_DB = LOCI[-1]          # a locus typed in the families but not in the database
AUTO = {"D3S1358": ("15", "16"), "vWA": ("17", "18"), "FGA": ("22", "23")}
HVS1, FULL = "16024-16365", "16024-16365 73-340"
KINDS = ("uncle_auto", "brother", "brothers_skip", "mgm", "grandparents", "mother_hvs1")
PEDS = {
    # kind: [(id, father, mother, sex)], typed: {id: what}
    "uncle_auto": ([("GF", "", "", "male"), ("GM", "", "", "female"), ("F", "GF", "GM", "male"),
                    ("M", "", "", "female"), ("U", "GF", "GM", "male")], {"U": "y+auto"}),
    "brother": ([("F", "", "", "male"), ("M", "", "", "female"), ("B", "F", "M", "male")], {"B": "y"}),
    "brothers_skip": ([("GF", "", "", "male"), ("GM", "", "", "female"), ("F", "GF", "GM", "male"),
                       ("M", "", "", "female"), ("U", "GF", "GM", "male"), ("B", "F", "M", "male")],
                      {"B": "y_off_db", "U": "y"}),
    "mgm": ([("MGF", "", "", "male"), ("MGM", "", "", "female"), ("F", "", "", "male"),
             ("M", "MGF", "MGM", "female")], {"MGM": "mt"}),
    "grandparents": ([("GF", "", "", "male"), ("GM", "", "", "female"), ("F", "GF", "GM", "male"),
                      ("MGF", "", "", "male"), ("MGM", "", "", "female"), ("M", "MGF", "MGM", "female")],
                     {"GF": "y", "MGM": "mt"}),
    "mother_hvs1": ([("MGF", "", "", "male"), ("MGM", "", "", "female"), ("F", "", "", "male"),
                     ("M", "MGF", "MGM", "female")], {"M": "mt_hvs1", "MGM": "mt"}),
}


def _y_text(h: dict) -> dict[str, str]:
    """The rows of a haplotype, in reverse order (a child's loci not sorted: the discrete Laplace fits are
    kept by the loci's order, which the kernel must ask for as the pair path does)."""
    return {k: ",".join(map(str, v)) for k, v in reversed(list(h.items()))}


def _mt_text(seq: dict, rng: str = FULL) -> str:
    keep = [p for p in seq if rng == FULL or p >= 16024]
    return " ".join(f"{p}{seq[p]}" for p in sorted(keep, key=lambda p: (p < 16000, p)))


def _write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def _load(session, folder):
    rng = np.random.default_rng(15)
    ys = simulate_y_population(400, seed=15, loci=LOCI)
    mts = simulate_mt_population(360, seed=15)
    db_rows = [{k: v for k, v in h.items() if k != MISSING_FROM_DB} for h in ys[:300]]
    with open(folder / "ydb.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        loci = [x for x in LOCI if x != MISSING_FROM_DB]
        w.writerow(["id", *loci])
        for i, h in enumerate(db_rows):
            w.writerow([f"Y{i}", *(",".join(map(str, h[x])) for x in loci)])
    write_mt_csv(mts[:300], folder / "mtdb.csv")
    reports, found, fams, prof = [], [], [], []
    child_i = 0
    for i in range(48):
        kind = KINDS[i % len(KINDS)]
        rows, typed = PEDS[kind]
        number, girl = f"R-{i:02d}", kind in ("mgm", "mother_hvs1") and i % 4 == 3
        reports.append((number, "female" if girl else "male"))
        line_y, line_mt = ys[300 + i], mts[300 + i]
        for pid, fa, mo, sex in rows:
            what = typed.get(pid)
            sample = f"S-{number}-{pid}" if what else ""
            fams.append((number, pid, fa, mo, sex, sample, 0))
            if what in ("y", "y+auto"):
                h = mutate_y(line_y, 1, rng) if i % 5 == 0 else line_y
                prof += [(sample, k, v, "", "", "") for k, v in _y_text(h).items()]
            if what == "y_off_db":
                prof.append((sample, MISSING_FROM_DB, ",".join(map(str, line_y[MISSING_FROM_DB])), "", "", ""))
            if what == "y+auto":
                prof += [(sample, m, a, b, "", "") for m, (a, b) in AUTO.items()]
            if what == "mt":
                prof.append((sample, "mtDNA", "", "", FULL, _mt_text(line_mt)))
            if what == "mt_hvs1":
                prof.append((sample, "mtDNA", "", "", HVS1, _mt_text(line_mt, HVS1)))
        fams.append((number, "C", "F", "M", "female" if girl else "male", "", 1))
        if i % 3 == 0:     # the missing child found (every third family)
            case, sample = f"K-{child_i:02d}", f"S-K-{child_i:02d}"
            child_i += 1
            found.append((case, "female" if girl else "male", sample))
            if not girl:
                h = mutate_y(line_y, 1, rng) if i % 9 == 0 else line_y
                prof += [(sample, k, v, "", "", "") for k, v in _y_text(h).items()]
            rng_c = HVS1 if i % 12 == 3 else FULL
            prof.append((sample, "mtDNA", "", "", rng_c, _mt_text(line_mt, rng_c)))
            prof += [(sample, m, a, "19", "", "") for m, (a, _b) in AUTO.items()]
    for j in range(4):       # unrelated children (one of them a close relative's haplotype from the population)
        case, sample = f"K-U{j}", f"S-K-U{j}"
        found.append((case, "male", sample))
        prof += [(sample, k, v, "", "", "") for k, v in _y_text(ys[350 + j] if j else ys[300]).items()]
        prof.append((sample, "mtDNA", "", "", FULL, _mt_text(mts[340 + j])))
    files = {"reports": _write(folder / "reports.csv", ["report_number", "sex"], reports),
             "found": _write(folder / "found.csv", ["case_number", "sex", "sample"], found),
             "profiles": _write(folder / "profiles.csv",
                                ["sample", "marker", "allele1", "allele2", "mt_range", "mt_variants"], prof),
             "families": _write(folder / "families.csv",
                                ["family", "id", "father", "mother", "sex", "sample", "missing"], fams)}
    import_reports(session, files["reports"], user="t")
    import_found(session, files["found"], user="t")
    import_profiles(session, files["profiles"], lab="lab", user="t")
    import_families(session, files["families"], user="t")
    import_lineage_database(session, folder / "ydb.csv", kind="y", user="t")
    import_lineage_database(session, folder / "mtdb.csv", kind="mt", user="t")


def _row(obj, skip=("id", "candidate_id", "created_at", "updated_at", "computed_at")) -> dict:
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key not in skip}


def _snapshot(session) -> dict:
    """Every candidate's stored columns and evidence items (ids and times left out)."""
    out = {}
    for c in session.scalars(select(Candidate)):
        out[(c.found_child.case_number, c.report.report_number)] = json.dumps(
            {"candidate": _row(c), "items": sorted((_row(e) for e in c.evidence), key=lambda d: str(d.get("kind")))},
            sort_keys=True, default=str)
    return out


def _clear(session):
    for c in session.scalars(select(Candidate)):
        session.delete(c)
    session.commit()


@pytest.mark.parametrize("method", ["clopper_pearson", "augmented", "discrete_laplace"])
def test_the_kernel_keeps_what_the_pair_path_keeps(session, tmp_path, method):
    _load(session, tmp_path)
    if method != "clopper_pearson":
        set_lineage_method(session, method, user="t")
    slow = run_matching(session, lineage_kernel=False)
    before = _snapshot(session)
    _clear(session)
    fast = run_matching(session)
    after = _snapshot(session)
    assert slow.lineage_pairs > 300
    assert fast.as_dict() == slow.as_dict()
    assert sorted(after) == sorted(before)
    assert after == before
    # the run keeps true pairs by their lineage markers alone and drops unrelated ones
    assert ("K-00", "R-00") in after and ("K-01", "R-03") in after
    assert sum(c == "K-U1" for c, _r in after) < 5


@pytest.mark.parametrize("method", ["clopper_pearson", "discrete_laplace"])
def test_the_scores_equal_pair_lineage_and_details_are_built_only_when_asked(session, tmp_path, method):
    _load(session, tmp_path)
    if method != "clopper_pearson":
        set_lineage_method(session, method, user="t")
    samples = {s.sample: s for s in session.scalars(select(DnaSample))}
    fams = _lineage_families(session, samples)
    dbs = configured_databases(session)
    compiled = _lineage_index(fams, dbs)
    skipped = 0
    kids = sorted(s for s in samples if s.startswith("S-K-"))
    refs = {code: _child_lineage_pairs(samples[code], fams, dbs) for code in kids}
    fits = set(dbs.y.discrete_laplace_fits())
    for code in kids:
        ref = refs[code]
        fast = _child_lineage(samples[code], fams, dbs, compiled)
        assert fast.numbers() == set(ref)
        for number, res in ref.items():
            sc = fast.score(number)
            assert sc.excluded == res.excluded and list(sc.markers) == res.markers
            if res.log10_lr is not None:
                assert sc.log10_lr == pytest.approx(res.log10_lr, abs=1e-9)
        # the pairs built pair by pair: those whose closest typed relative cannot be compared
        skipped += len(fast.full)
        assert len(fast.full) < len(ref)
        for number in ref:
            assert fast.get(number) == ref[number]
    # the families of two brothers (the closer one typed off the database) went the exact way
    assert skipped >= 8
    # the kernel asked for the discrete Laplace fits the pair path made (loci in the child's order): no other
    assert set(dbs.y.discrete_laplace_fits()) == fits
