"""The national search with lineage markers (reunite.search.lineage): the vectorized Y-STR and mtDNA
LRs equal the pair-by-pair functions of reunite.genetics (and the store's pair_lineage), families with
lineage markers only are searchable, exclusions, old indexes, the CLI, and bad lineage rows."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reunite.errors import InputError
from reunite.genetics import load_frequencies
from reunite.genetics.haplotype import YHaplotype
from reunite.genetics.kinship import KinshipCase, missing_person_lr
from reunite.genetics.markers import parse_profile
from reunite.genetics.mtdna import MtSequence, bundled_mt_database, mt_lineage_lr, parse_mt_sequence
from reunite.genetics.pedigree import make_pedigree
from reunite.genetics.simulate import simulate_population
from reunite.genetics.simulate_lineage import as_haplotype, mutate_y, simulate_y_population
from reunite.genetics.ystr import bundled_y_database, y_lineage_lr
from reunite.search.index import INDEX_VERSION, ReferenceIndex, build_index, index_status
from reunite.search.io import FamilyRecord, read_profiles, read_profiles_lineage
from reunite.search.kernel import search_child, search_family
from reunite.search.lineage import (
    LineageOptions,
    compile_lineage,
    empty_lineage,
    family_lineage,
    lineage_log10,
    y_codes,
)
from reunite.simulation.io import family_records

YDB = bundled_y_database()
MTDB = bundled_mt_database()
OPTS = LineageOptions(YDB, MTDB)


# ------------------------------------------------------------------ random haplotypes


def _mangle(h: dict[str, tuple[str, ...]], rng: np.random.Generator) -> dict[str, tuple[str, ...]]:
    """Nulls, duplications, microvariants, dropped loci and a third copy, at random."""
    out = dict(h)
    for locus in list(out):
        u = rng.random()
        if u < 0.04:
            out[locus] = ()                                  # null allele
        elif u < 0.07 and len(out[locus]) == 1:
            a = int(float(out[locus][0]))
            out[locus] = (str(a), str(a + 1))                # duplication
        elif u < 0.11 and out[locus]:
            a = out[locus][0]
            out[locus] = tuple(sorted((f"{int(float(a))}.2", *out[locus][1:]), key=float))   # microvariant
        elif u < 0.14:
            del out[locus]                                   # untyped
    return out


def _haps(seed: int, n: int):
    rng = np.random.default_rng(seed)
    base = [as_haplotype(h).alleles for h in simulate_y_population(n, seed=seed % 1000 + 1, clans=6, man_depth=4)]
    rels, founds, meioses = [], [], []
    for i in range(n):
        m = int(rng.integers(1, 7))
        rel = dict(base[i])
        if rng.random() < 0.3:
            found = dict(YDB.haplotypes[int(rng.integers(len(YDB)))].alleles)    # seen in the database
        else:
            ints = {k: tuple(int(float(x)) for x in v) for k, v in rel.items()}
            found = as_haplotype(mutate_y(ints, int(rng.integers(0, 3 * m + 1)), rng)).alleles
        if rng.random() < 0.5:
            rel = _mangle(rel, rng)
        if rng.random() < 0.3:
            found = _mangle(found, rng)
        rels.append(YHaplotype(rel))
        founds.append(YHaplotype(found))
        meioses.append(m)
    return rels, founds, meioses


def _lineage_rows(rels, meioses, loci=None):
    loci = loci or sorted({x for h in rels for x in h.alleles})
    li = empty_lineage(len(rels), loci)
    for r, (h, m) in enumerate(zip(rels, meioses, strict=True)):
        li.y_meioses[r] = m
        li.y_count[r], li.y_alleles[r] = y_codes(h, loci)
        li.y_relative[r], li.y_relation[r] = "R", "paternal_line"
    return li


def _pair_y(rel, found, m, method="clopper_pearson"):
    try:
        return y_lineage_lr(rel, found, m, YDB, method=method).log10_lr
    except Exception as exc:
        assert type(exc).__name__ == "HaplotypeError"
        return math.nan


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= 1e-9


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), method=st.sampled_from(["clopper_pearson", "count", "augmented"]))
def test_y_kernel_equals_y_lineage_lr_on_random_pairs(seed, method):
    rels, founds, meioses = _haps(seed, 40)
    li = _lineage_rows(rels, meioses)
    opts = LineageOptions(YDB, MTDB, method=method)
    for found in founds[:6]:
        got = lineage_log10(li, np.arange(len(rels)), found, None, opts).y
        for r, (rel, m) in enumerate(zip(rels, meioses, strict=True)):
            want = _pair_y(rel, found, m, method)
            assert _same(float(got[r]), want), (seed, r, got[r], want)


def test_y_kernel_covers_multicopy_nulls_microvariants_and_exclusions():
    """Hand-made pairs: each case of the model, with its value computed independently here."""
    from reunite.genetics.ystr import load_y_rates, step_distribution

    rates = load_y_rates()
    base = dict(YDB.haplotypes[0].alleles)
    found = YHaplotype(base)
    cases = {
        "identical": dict(base),
        "one step at DYS19": {**base, "DYS19": (str(int(base["DYS19"][0]) + 1),)},
        "DYS385 swapped pairing": {**base, "DYS385": tuple(sorted((str(int(base["DYS385"][0]) + 1),
                                                                   base["DYS385"][1]), key=float))},
        "null on one side": {**base, "DYS448": ()},
        "microvariant": {**base, "DYS19": (base["DYS19"][0] + ".2",)},
        "unreachable": {**base, "DYS19": (str(int(base["DYS19"][0]) + 9),)},
    }
    rels = [YHaplotype(h) for h in cases.values()]
    li = _lineage_rows(rels, [2] * len(rels))
    got = lineage_log10(li, np.arange(len(rels)), found, None, OPTS).y
    x, n = YDB.count(found, YDB.loci)
    from reunite.genetics.ystr import clopper_pearson_upper

    pop = clopper_pearson_upper(x, n, 0.05)

    def p0(locus, d=0):
        mu, _ = rates.rate(locus)
        return step_distribution(2, mu / rates.copies.get(locus, 1)).get(d, 0.0)

    def stay(loci):
        return math.prod(p0(loc) ** len(base[loc]) for loc in loci if base[loc])

    every = list(base)
    assert got[0] == pytest.approx(math.log10(stay(every)) - math.log10(pop), abs=1e-12)
    others = [x for x in every if x != "DYS19"]
    assert got[1] == pytest.approx(math.log10(stay(others) * p0("DYS19", -1)) - math.log10(pop), abs=1e-12)
    # DYS385 (a, b) against (a+1, b): pairings (a->a+... ) summed by the model; check against y_lineage_lr
    assert got[2] == pytest.approx(_pair_y(rels[2], found, 2), abs=1e-12)
    # a null on one side only: DYS448 not compared, counted on the other loci
    x2, n2 = YDB.count(found, [x for x in every if x != "DYS448"])
    pop2 = clopper_pearson_upper(x2, n2, 0.05)
    want = math.log10(stay([x for x in every if x != "DYS448"])) - math.log10(pop2)
    assert got[3] == pytest.approx(want, abs=1e-12)
    # a microvariant difference: DYS19 not compared
    x3, n3 = YDB.count(found, others)
    assert got[4] == pytest.approx(math.log10(stay(others)) - math.log10(clopper_pearson_upper(x3, n3, 0.05)),
                                   abs=1e-12)
    assert got[5] == -math.inf


def _mt_variants(seed: int, n: int):
    rng = np.random.default_rng(seed)
    seqs = []
    for _ in range(n):
        s = MTDB.sequences[int(rng.integers(len(MTDB)))]
        var = dict(s.variants)
        rng_ = s.range
        k = int(rng.integers(0, 4))
        for _ in range(k):
            u = rng.random()
            pos = int(rng.choice([16100 + int(rng.integers(0, 200)), 100 + int(rng.integers(0, 200))]))
            if u < 0.5:
                var[(pos, 0)] = str(rng.choice(list("ACGT")))
            elif u < 0.7:
                var[(pos, 0)] = str(rng.choice(list("RYKM")))        # heteroplasmy
            elif u < 0.78:
                var[(309, 1)] = "C"                                    # a length variant (ignored)
            elif u < 0.84:
                var[(pos, 0)] = "-"                                    # a deletion
            elif u < 0.9:
                var[(pos, 1)] = str(rng.choice(list("ACGT")))         # an insertion
            elif var:
                var.pop(next(iter(var)))
        if rng.random() < 0.15:
            rng_ = ((16024, 16365),)
            var = {k: v for k, v in var.items() if k[0] >= 16024}
        seqs.append(MtSequence(var, rng_))
    return seqs


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_mt_kernel_equals_mt_lineage_lr(seed):
    """The vectorized difference count (same range, no heteroplasmy) and compare_mt (the rest) against
    mt_lineage_lr, with substitutions, heteroplasmies, deletions, insertions, length variants, ranges."""
    rels = _mt_variants(seed, 30)
    founds = _mt_variants(seed + 1, 4) + rels[:3] + [MtSequence(dict(r.variants), r.range) for r in rels[3:6]]
    li = empty_lineage(len(rels))
    for r, s in enumerate(rels):
        li.mt_meioses[r] = 1
        li.mt_seq[r] = len(li.mt_sequences)
        li.mt_sequences.append(s)
    for found in founds:
        sc = lineage_log10(li, np.arange(len(rels)), None, found, OPTS)
        for r, rel in enumerate(rels):
            res = mt_lineage_lr(rel, found, MTDB)
            c = res.comparison.conclusion
            assert sc.mt_state[r] == {"cannot_exclude": 0, "inconclusive": 1, "exclusion": 2}[c]
            if c == "cannot_exclude":
                assert sc.mt[r] == pytest.approx(res.log10_lr, abs=1e-9)
            elif c == "exclusion":
                assert sc.mt[r] == -math.inf and sc.total[r] == -math.inf
            else:
                assert math.isnan(sc.mt[r]) and sc.total[r] == 0.0


# ------------------------------------------------------------------ families through the index


def _pedigree_rows(kind: str):
    """A missing boy C and one typed relative R of his paternal line (id R), founders untyped."""
    rows = {
        "brother": [("F", None, None, "male"), ("M", None, None, "female"), ("C", "F", "M", "male"),
                    ("R", "F", "M", "male")],
        "paternal_uncle": [("GF", None, None, "male"), ("GM", None, None, "female"), ("F", "GF", "GM", "male"),
                           ("M", None, None, "female"), ("C", "F", "M", "male"), ("R", "GF", "GM", "male")],
        "paternal_grandfather": [("R", None, None, "male"), ("GM", None, None, "female"),
                                 ("F", "R", "GM", "male"), ("M", None, None, "female"), ("C", "F", "M", "male")],
        "maternal_grandmother": [("GF", None, None, "male"), ("R", None, None, "female"),
                                 ("M", "GF", "R", "female"), ("F", None, None, "male"), ("C", "F", "M", "male")],
    }[kind]
    return [{"id": i, "father": f, "mother": m, "sex": s} for i, f, m, s in rows]


MEIOSES = {"brother": 2, "paternal_uncle": 3, "paternal_grandfather": 2, "maternal_grandmother": 2}


@pytest.fixture(scope="module")
def world():
    """Simulated autosomal families (some with Y on their men) plus families typed with lineage markers
    only; found boys with Y haplotypes, some of them of those families."""
    table = load_frequencies("nist1036_us_asian")
    pop = simulate_population(table, 30, 10, 0.5, 5, markers="cn23")
    rng = np.random.default_rng(5)
    clans = simulate_y_population(200, seed=3)
    fams, y, mt = [], {}, {}
    for i, f in enumerate(family_records(pop)):
        samples = {pid: f"{f.family}-{pid}" for pid in f.profiles}
        fams.append(FamilyRecord(f.family, f.pedigree, f.missing, f.profiles, samples))
        for pid in f.profiles:
            if f.pedigree[pid].sex == "male":
                y[samples[pid]] = as_haplotype(mutate_y(clans[i], 1, rng))
    kids = {c.sample: parse_profile({m: list(g) for m, g in c.profile.items()}) for c in pop.found}
    found_y = {s: as_haplotype(mutate_y(clans[int(rng.integers(30, 200))], 1, rng)) for s in kids}
    truth = {}
    for j, kind in enumerate(["brother", "paternal_uncle", "paternal_grandfather", "brother"] * 3):
        fam = f"L{j:03d}"
        ped = make_pedigree(_pedigree_rows(kind))
        fams.append(FamilyRecord(fam, ped, "C", {"R": parse_profile({})}, {"R": f"{fam}-R"}))
        line = clans[100 + j]
        y[f"{fam}-R"] = as_haplotype(mutate_y(line, 1, rng))
        boy = f"B{j:03d}"
        kids[boy] = parse_profile({})
        found_y[boy] = as_haplotype(mutate_y(line, MEIOSES[kind] - 1, rng))
        truth[boy] = fam
    # one maternal-line family with mtDNA only
    ped = make_pedigree(_pedigree_rows("maternal_grandmother"))
    fams.append(FamilyRecord("LMT", ped, "C", {"R": parse_profile({})}, {"R": "LMT-R"}))
    mt["LMT-R"] = MTDB.sequences[7]
    return table, fams, kids, y, mt, found_y, truth


def test_lineage_only_families_are_indexed_and_found_first(world):
    table, fams, kids, y, mt, found_y, truth = world
    idx = build_index(fams, table, y=y, mt=mt)
    assert idx.lineage is not None
    assert all(f in idx.family_ids for f in truth.values())
    row = idx._rows["L001"]
    assert idx.lineage.y_relation[row] == "paternal_uncle" and idx.lineage.y_meioses[row] == 3
    row = idx._rows["LMT"]
    assert idx.lineage.mt_relation[row] == "maternal_grandmother" and idx.lineage.mt_meioses[row] == 2
    first = 0
    for boy, fam in truth.items():
        every = search_child(idx, kids[boy], sample=boy, min_lr=0.0, top=0, found_y=found_y[boy], lineage=OPTS)
        h = next(c for c in every if c.family == fam)
        hits = search_child(idx, kids[boy], sample=boy, min_lr=1.0, top=5, found_y=found_y[boy], lineage=OPTS)
        if h.log10_lr is not None and h.log10_lr > 1:   # no mutation between the two men: found first
            assert hits[0] == h
            first += 1
        assert h.log10_lr == pytest.approx(h.log10_lr_autosomal + h.log10_lr_y, abs=1e-12)
        assert h.log10_lr_autosomal == pytest.approx(0.0, abs=1e-12)   # no autosomal relative: LR 1
        assert h.lineage[0]["marker"] == "Y-STR" and h.lineage[0]["meioses"] == MEIOSES[
            next(k for k in MEIOSES if idx.lineage.y_relation[idx._rows[fam]] == k)]
        assert "multiply" in h.sentence("en") and "相乘" in h.sentence("zh")
    assert first >= len(truth) // 2


def test_every_combined_hit_equals_engine_times_pair_lineage(world):
    """Combined log10 LR = the kinship engine's autosomal LR + the store's pair_lineage, for every hit."""
    from reunite.cases.lineage import DatabaseInfo, Databases, LineageFamily, pair_lineage

    table, fams, kids, y, mt, found_y, _truth = world
    idx = build_index(fams, table, y=y, mt=mt)
    dbs = Databases(YDB, MTDB, DatabaseInfo("y", YDB.source, len(YDB), True, None),
                    DatabaseInfo("mt", MTDB.source, len(MTDB), True, None))
    by_id = {f.family: f for f in fams}
    checked = 0
    for sample in list(kids)[:12]:
        found_mt = MTDB.sequences[7] if sample.startswith("B00") else None
        hits = search_child(idx, kids[sample], sample=sample, min_lr=0.0, top=0, found_y=found_y[sample],
                            found_mt=found_mt, lineage=OPTS)
        assert len(hits) == idx.size
        for h in hits:
            f = by_id[h.family]
            ys = {pid: y[s] for pid, s in f.samples.items() if s in y}
            mts = {pid: mt[s] for pid, s in f.samples.items() if s in mt}
            fl = family_lineage(f.pedigree, f.missing, ys, mts)
            lin = None
            if fl is not None:
                # every typed relative of each line, closest first, as cases.lineage.lineage_family lists them
                lf = LineageFamily(f.family, f.pedigree, f.missing,
                                   [(p, m, h) for p, m, _r, h in ([fl.y] if fl.y else []) + list(fl.y_more)],
                                   [(p, m, q) for p, m, _r, q in ([fl.mt] if fl.mt else []) + list(fl.mt_more)])
                lin = pair_lineage(found_y[sample], found_mt, lf, dbs)
            typed = {pid: p for pid, p in f.profiles.items() if len(p)}
            auto = 0.0 if not typed else missing_person_lr(
                KinshipCase(f.pedigree, typed, f.missing, kids[sample], table, None),
                skip_unknown_markers=True).log10_lr if len(kids[sample]) else 0.0
            if lin is None:
                assert not h.lineage
                want = auto
            elif lin.excluded:
                assert h.log10_lr is None and h.lr == 0
                continue
            else:
                want = None if auto is None else auto + lin.log10_lr
                assert h.lineage
            if want is None or (auto is not None and not math.isfinite(auto)):
                assert h.log10_lr is None
            else:
                assert h.log10_lr == pytest.approx(want, abs=1e-9)
                checked += 1
    assert checked > 100


def test_y_exclusion_gives_lr_zero(world):
    table, fams, kids, y, mt, found_y, truth = world
    idx = build_index(fams, table, y=y, mt=mt)
    boy = next(iter(truth))
    far = YHaplotype({k: tuple(str(int(float(a)) + 6) for a in v) for k, v in found_y[boy].alleles.items()})
    hits = search_child(idx, kids[boy], sample=boy, min_lr=0.0, top=0, found_y=far, lineage=OPTS)
    h = next(c for c in hits if c.family == truth[boy])
    assert h.lr == 0 and h.log10_lr is None and h.lineage[0]["conclusion"] == "exclusion"
    assert truth[boy] not in [c.family for c in search_child(idx, kids[boy], sample=boy, min_lr=1e-300, top=0,
                                                             found_y=far, lineage=OPTS)]


def test_family_search_and_save_load_agree_with_child_search(world, tmp_path):
    table, fams, kids, y, mt, found_y, truth = world
    idx = build_index(fams, table, y=y, mt=mt)
    idx.save(tmp_path / "ix")
    again = ReferenceIndex.load(tmp_path / "ix")
    st_ = index_status(tmp_path / "ix")
    assert st_["version"] == INDEX_VERSION and st_["lineage"]["y"] >= len(truth)
    lin = {s: (found_y[s], None) for s in kids}
    for boy, fam in list(truth.items())[:4]:
        a = search_child(idx, kids[boy], sample=boy, min_lr=1.0, top=3, found_y=found_y[boy], lineage=OPTS)
        b = search_child(again, kids[boy], sample=boy, min_lr=1.0, top=3, found_y=found_y[boy], lineage=OPTS)
        assert [(h.family, h.log10_lr) for h in a] == [(h.family, h.log10_lr) for h in b]
        rev = search_family(again, fam, kids, min_lr=0.0, top=0, found_lineage=lin, lineage=OPTS)
        mine = next(h for h in rev if h.sample == boy)
        every = search_child(again, kids[boy], sample=boy, min_lr=0.0, top=0, found_y=found_y[boy], lineage=OPTS)
        assert mine == next(h for h in every if h.family == fam)
        assert rev == sorted(rev, key=lambda h: (-(h.log10_lr if h.log10_lr is not None else -1e9), h.sample))


def test_mutation_index_with_lineage_matches_pairs(world):
    table, fams, kids, y, mt, found_y, truth = world
    mut = {"model": "stepwise", "rate": 0.002, "rate2": 1e-06, "range": 0.1}
    idx = build_index(fams[:12] + fams[-13:], table, mutation=mut, y=y, mt=mt)
    seen = 0
    for boy in list(truth)[:6] + [s for s in kids if s not in truth][:4]:
        every = search_child(idx, kids[boy], sample=boy, min_lr=0.0, top=0, found_y=found_y[boy], lineage=OPTS)
        full = {h.family: h.log10_lr for h in every}
        assert any(h.lineage for h in every)
        top = search_child(idx, kids[boy], sample=boy, min_lr=10.0, top=3, found_y=found_y[boy], lineage=OPTS)
        want = sorted([(f, v) for f, v in full.items() if v is not None and v >= 1], key=lambda t: (-t[1], t[0]))[:3]
        assert [(h.family, pytest.approx(h.log10_lr, abs=1e-9)) for h in top] == want
        seen += len(want)
        if boy in truth and top and full[truth[boy]] is not None and full[truth[boy]] > 1:
            assert top[0].family == truth[boy]
    assert seen


def test_old_index_without_lineage_behaves_as_before(world, tmp_path):
    table, fams, kids, _y, _mt, found_y, _truth = world
    plain = [f for f in fams if not f.family.startswith("L")]
    idx = build_index(plain, table)
    idx.save(tmp_path / "old")
    meta = json.loads((tmp_path / "old" / "meta.json").read_text())
    assert meta["version"] == 3 and "lineage" not in meta
    assert not any(p.name.startswith("lineage") for p in (tmp_path / "old").iterdir())
    again = ReferenceIndex.load(tmp_path / "old")
    assert again.lineage is None
    for s in list(kids)[:5]:
        a = search_child(again, kids[s], sample=s, min_lr=1.0, top=5)
        b = search_child(again, kids[s], sample=s, min_lr=1.0, top=5, found_y=found_y[s], lineage=OPTS)
        assert a == b and all(not h.lineage for h in a)
        assert "lineage" not in (a[0].as_dict() if a else {})


# ------------------------------------------------------------------ files and the CLI


PROFILES = """sample,marker,allele1,allele2,mt_range,mt_variants
{rows}"""


def _hap_rows(sample: str, h: YHaplotype) -> list[str]:
    return [f'{sample},{locus},"{",".join(v) if v else "null"}",,,' for locus, v in h.alleles.items()]


def test_cli_end_to_end_index_build_and_search(world, tmp_path):
    _table, _fams, _kids, _y, _mt, _found_y, _truth = world
    rng = np.random.default_rng(9)
    line = simulate_y_population(5, seed=11)
    rows = []
    fam_rows = ["family,id,father,mother,sex,sample,missing"]
    for j, kind in enumerate(["brother", "paternal_uncle", "paternal_grandfather"]):
        fam = f"LF{j}"
        for r in _pedigree_rows(kind):
            fam_rows.append(f"{fam},{r['id']},{r['father'] or ''},{r['mother'] or ''},{r['sex']},"
                            f"{fam + '-R' if r['id'] == 'R' else ''},{1 if r['id'] == 'C' else 0}")
        rows += _hap_rows(f"{fam}-R", as_haplotype(mutate_y(line[j], 0, rng)))
    rows.append("LF0-R,D3S1358,15,16,,")
    (tmp_path / "profiles.csv").write_text(PROFILES.format(rows="\n".join(rows)) + "\n")
    (tmp_path / "families.csv").write_text("\n".join(fam_rows) + "\n")
    found = []
    for j in range(3):
        found += _hap_rows(f"BOY{j}", as_haplotype(line[j]))
    found.append("BOY0,D3S1358,15,16,,")
    (tmp_path / "found.csv").write_text(PROFILES.format(rows="\n".join(found)) + "\n")
    cmd = [sys.executable, "-m", "reunite"]
    out = subprocess.run([*cmd, "index", "build", "--families", str(tmp_path / "families.csv"), "--profiles",
                          str(tmp_path / "profiles.csv"), "--frequencies", "nist1036_us_asian", "--out",
                          str(tmp_path / "ix"), "--mutation", "none"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "lineage markers: 3 families" in out.stdout
    st_ = subprocess.run([*cmd, "index", "status", str(tmp_path / "ix")], capture_output=True, text=True)
    assert "lineage markers: 3 families" in st_.stdout
    res = subprocess.run([*cmd, "search", "--index", str(tmp_path / "ix"), "--profiles", str(tmp_path / "found.csv"),
                          "--json", "--top", "3"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    got = {d["sample"]: d["candidates"] for d in map(json.loads, res.stdout.splitlines())}
    for j in range(3):
        best = got[f"BOY{j}"][0]
        assert best["family"] == f"LF{j}"
        assert best["lineage"][0]["relation"] == ["brother", "paternal_uncle", "paternal_grandfather"][j]
        assert best["log10_lr"] == pytest.approx(best["log10_lr_autosomal"] + best["log10_lr_y"], abs=1e-12)
        assert best["log10_lr_y"] > 1
    text = subprocess.run([*cmd, "search", "--index", str(tmp_path / "ix"), "--profiles",
                           str(tmp_path / "found.csv"), "--top", "1"], capture_output=True, text=True)
    assert "the LRs multiply" in text.stdout
    fam = subprocess.run([*cmd, "search", "--index", str(tmp_path / "ix"), "--family", "LF2", "--found-profiles",
                          str(tmp_path / "found.csv"), "--json", "--top", "1"], capture_output=True, text=True)
    assert fam.returncode == 0, fam.stderr
    rev = json.loads(fam.stdout)["candidates"][0]
    assert rev["sample"] == "BOY2" and rev["lineage"][0]["relation"] == "paternal_grandfather"
    assert rev["log10_lr"] == pytest.approx(got["BOY2"][0]["log10_lr"], abs=1e-12)


def test_bad_lineage_rows_name_file_line_and_field(tmp_path):
    p = tmp_path / "profiles.csv"
    p.write_text("sample,marker,allele1,allele2,mt_range,mt_variants\n"
                 "S1,D3S1358,15,16,,\n"
                 "S1,DYS19,1x,,,\n"
                 "S1,DYS19,15,,,\n"
                 "S2,mtDNA,,,16024-16365,16223Q\n"
                 "S2,D3S1358,15,16,,16223T\n"
                 "S3,DYS385,\"13,19\",14,,\n"
                 "S4,vWA,,,,\n")
    with pytest.raises(InputError) as exc:
        read_profiles_lineage(p)
    probs = exc.value.problems
    where = {(x.line, x.field) for x in probs}
    assert {(3, "allele1"), (5, "mt_variants"), (6, "mt_variants"), (7, "allele2"), (8, "allele1")} <= where
    assert all(x.file == str(p) for x in probs)
    assert not any("1x" in str(v) or "16223Q" in str(v) for x in probs for v in x.params.values())


def test_read_profiles_keeps_its_contract_and_lineage_reader_splits(tmp_path):
    p = tmp_path / "profiles.csv"
    p.write_text("sample,marker,allele1,allele2\nS1,D3S1358,15,16\nS1,vWA,17,17\n")
    assert read_profiles_lineage(p).profiles == read_profiles(p)
    q = tmp_path / "both.csv"
    q.write_text("sample,marker,allele1,allele2,mt_range,mt_variants\nS1,D3S1358,15,16,,\nS1,DYS385a,13,,,\n"
                 "S1,DYS385b,19,,,\nS1,DYF387S1,36,,,\nS2,mtDNA,,,,16223T 73G\n")
    r = read_profiles_lineage(q)
    assert r.profiles["S1"].genotypes == {"D3S1358": ("15", "16")}
    assert len(r.profiles["S2"]) == 0
    assert r.y["S1"].alleles == {"DYS385": ("13", "19"), "DYF387S1": ("36", "36")}
    assert r.mt["S2"] == parse_mt_sequence("16223T 73G")


def test_compile_lineage_picks_the_closest_man_by_meioses_then_id():
    ped = make_pedigree([*_pedigree_rows("paternal_uncle"), {"id": "B", "father": "F", "mother": "M", "sex": "male"}])
    h1, h2 = YHaplotype({"DYS19": ("15",)}), YHaplotype({"DYS19": ("16",)})
    fam = FamilyRecord("X", ped, "C", {}, {"R": "s-R", "B": "s-B", "M": "s-M"})
    li = compile_lineage(["X"], [fam], {"s-R": h1, "s-B": h2}, {"s-M": MTDB.sequences[0]})
    assert li.y_relative == ["B"] and li.y_relation == ["brother"] and int(li.y_meioses[0]) == 2
    assert li.mt_relative == ["M"] and li.mt_relation == ["mother"] and int(li.mt_meioses[0]) == 1
    # a female missing child has no paternal line for Y
    ped_f = make_pedigree([{**r, "sex": "female"} if r["id"] == "C" else r for r in _pedigree_rows("brother")])
    assert compile_lineage(["Y"], [FamilyRecord("Y", ped_f, "C", {}, {"R": "s-R"})], {"s-R": h1}, {}) is None


@pytest.mark.slow
def test_dask_batch_with_lineage_equals_single_process(world, tmp_path):
    pytest.importorskip("distributed")
    import pyarrow.parquet as pq

    from reunite.search.batch import batch_search, write_results

    table, fams, kids, y, mt, found_y, _truth = world
    idx = build_index(fams, table, y=y, mt=mt)
    idx.save(tmp_path / "ix")
    lin = {s: (found_y[s], None) for s in kids}
    res = batch_search(tmp_path / "ix", kids, min_lr=1.0, top=4, workers=2, partitions=3, progress=False,
                       found_lineage=lin, lineage=OPTS)
    for s, p in kids.items():
        assert res[s] == search_child(idx, p, sample=s, min_lr=1.0, top=4, found_y=found_y[s], lineage=OPTS)
    t = pq.read_table(write_results(res, tmp_path / "r.parquet")).to_pydict()
    assert {"log10_lr_autosomal", "log10_lr_y", "y_relation", "y_meioses"} <= set(t)
    for lg, a, yv, mv in zip(t["log10_lr"], t["log10_lr_autosomal"], t["log10_lr_y"], t["log10_lr_mt"], strict=True):
        if lg is not None:
            assert lg == pytest.approx(a + (yv or 0) + (mv or 0), abs=1e-12)


def test_simulate_y_haplotypes_then_index_and_search(tmp_path):
    """`reunite simulate --y-haplotypes` writes Y rows the index and the search read; a related found boy
    whose family has a typed man of his paternal line gets a Y-STR part, equal to y_lineage_lr's."""
    cmd = [sys.executable, "-m", "reunite"]
    sim = subprocess.run([*cmd, "simulate", "--families", "16", "--found", "8", "--frequencies", "nist1036_us_asian",
                          "--out", str(tmp_path / "sim"), "--markers", "cn23", "--related-fraction", "1",
                          "--structures", "father_only,grandparents,siblings_only", "--seed", "4", "--y-haplotypes"],
                         capture_output=True, text=True)
    assert sim.returncode == 0, sim.stderr
    assert "Y-STR haplotypes for" in sim.stdout
    fam = read_profiles_lineage(tmp_path / "sim" / "profiles.csv")
    kids = read_profiles_lineage(tmp_path / "sim" / "found.csv")
    assert fam.y and kids.y
    b = subprocess.run([*cmd, "index", "build", "--families", str(tmp_path / "sim" / "families.csv"), "--profiles",
                        str(tmp_path / "sim" / "profiles.csv"), "--frequencies", "nist1036_us_asian", "--out",
                        str(tmp_path / "ix"), "--mutation", "none"], capture_output=True, text=True)
    assert b.returncode == 0, b.stderr
    idx = ReferenceIndex.load(tmp_path / "ix")
    truth = dict(line.split(",") for line in (tmp_path / "sim" / "truth.csv").read_text().splitlines()[1:])
    compared = 0
    for boy, h in kids.y.items():
        hits = search_child(idx, kids.profiles[boy], sample=boy, min_lr=0.0, top=0, found_y=h, lineage=OPTS)
        mine = next(c for c in hits if c.family == truth[boy])
        row = idx._rows[truth[boy]]
        if idx.lineage.y_meioses[row] >= 0:
            want = y_lineage_lr(idx.lineage.haplotype(row), h, int(idx.lineage.y_meioses[row]), YDB).log10_lr
            got = mine.log10_lr_y if mine.lineage[0]["conclusion"] != "exclusion" else -math.inf
            assert _same(got, want)
            compared += 1
    assert compared


def test_benchmark_script_smoke():
    # benchmarks/lineage_search.py at its smallest (not timed): the figures are computed and the kernel
    # agrees with y_lineage_lr on every row.
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "lineage_search.py"
    spec = importlib.util.spec_from_file_location("bench_lineage_search", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = mod.run(n_families=30, paternal=4, children=4, kernel_children=2)
    assert out["families"] == 30 and out["paternal_line_families"] == 12
    assert set(out["a_accuracy"]) == {"brother", "paternal_uncle", "paternal_grandfather"}
    assert all(v["pairs"] == 4 for v in out["a_accuracy"].values())
    assert out["c_max_abs_difference_log10"] <= 1e-9
    assert out["d_max_abs_difference_log10"] <= 1e-9 and out["d_rows_with_mt"] > 0


@pytest.mark.parametrize(("min_lr", "top"), [(1.0, 3), (100.0, 5), (0.0, 4), (1e-3, 0)])
def test_top_and_min_lr_apply_to_the_combined_lr(world, min_lr, top):
    """The prefilter with lineage LRs added keeps exactly the hits a full search ranks first."""
    from reunite.search.hits import _passes, _rank

    table, fams, kids, y, mt, found_y, _truth = world
    idx = build_index(fams, table, y=y, mt=mt)
    for s in list(kids)[::3]:
        full = search_child(idx, kids[s], sample=s, min_lr=0.0, top=0, found_y=found_y[s], lineage=OPTS)
        want = sorted([h for h in full if _passes(h, min_lr)], key=lambda h: _rank(h, "family"))
        want = want[:top] if top else want
        got = search_child(idx, kids[s], sample=s, min_lr=min_lr, top=top, found_y=found_y[s], lineage=OPTS)
        assert got == want


def test_lineage_row_problems_have_words_in_both_languages(tmp_path):
    from reunite.web.i18n import MESSAGES

    p = tmp_path / "profiles.csv"
    p.write_text("sample,marker,allele1,allele2,mt_range,mt_variants\nS1,DYS19,,,,\nS1,DYS19,15,,,\nS1,DYS19,16,,,\n"
                 "S1,DYS385,\"13,19\",14,,\nS1,DYS390,x,,,\nS2,mtDNA,1,,,16223T\nS2,mtDNA,,,,16223T\n"
                 "S3,mtDNA,,,,16223Q\nS4,vWA,17,17,,73G\n")
    with pytest.raises(InputError) as exc:
        read_profiles_lineage(p)
    codes = {x.code for x in exc.value.problems}
    assert {"lineage_y_allele_empty", "lineage_y_twice", "lineage_y_allele2", "lineage_y_invalid",
            "lineage_mt_alleles", "lineage_mt_twice", "lineage_mt_invalid", "lineage_mt_column_stray"} <= codes
    for c in codes:
        assert f"problem.{c}" in MESSAGES["zh"] and f"problem.{c}" in MESSAGES["en"]


@pytest.mark.slow
def test_discrete_laplace_method_equals_y_lineage_lr():
    rels = [YDB.haplotypes[i] for i in (3, 50, 100)] + [YHaplotype({**YDB.haplotypes[3].alleles, "DYS19": ("15.2",)})]
    found = YDB.haplotypes[3]
    li = _lineage_rows(rels, [2, 2, 3, 2], sorted(YDB.loci))
    opts = LineageOptions(YDB, MTDB, method="discrete_laplace")
    got = lineage_log10(li, np.arange(len(rels)), found, None, opts).y
    for r, h in enumerate(rels):
        assert _same(float(got[r]), _pair_y(h, found, [2, 2, 3, 2][r], "discrete_laplace"))
