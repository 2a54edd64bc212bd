"""The national search picks the lineage relative as the store does (the closest typed relative of the
line that can be compared), and the compiled found-children index carries the children's lineage markers.

The reference values are the store's own pair-by-pair evaluation (reunite.cases.lineage.pair_lineage on a
LineageFamily built as cases/lineage.py builds it) and y_lineage_lr / mt_lineage_lr on the right relative,
never the search's output."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from fnmatch import fnmatch

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reunite.cases.lineage import DatabaseInfo, Databases, LineageFamily, pair_lineage
from reunite.cases.privacy import INDEX_FILES
from reunite.genetics import load_frequencies
from reunite.genetics.haplotype import YHaplotype
from reunite.genetics.markers import parse_profile
from reunite.genetics.mtdna import bundled_mt_database, maternal_relatives, mt_lineage_lr, parse_mt_sequence
from reunite.genetics.pedigree import make_pedigree
from reunite.genetics.ystr import bundled_y_database, paternal_relatives, y_lineage_lr
from reunite.search.index import ReferenceIndex, build_index
from reunite.search.io import FamilyRecord
from reunite.search.kernel import FoundChildIndex, search_child, search_family
from reunite.search.lineage import LineageOptions, compile_lineage, lineage_log10, pair_parts, pair_scores

YDB = bundled_y_database()
MTDB = bundled_mt_database()
OPTS = LineageOptions(YDB, MTDB)
DBS = Databases(YDB, MTDB, DatabaseInfo("y", YDB.source, len(YDB), True, None),
                DatabaseInfo("mt", MTDB.source, len(MTDB), True, None))

# A missing boy C; his father F, brother B, paternal uncle U (sons of GF), grandfather GF; mother M
# and maternal grandmother MGM (the maternal line: M 1 meiosis, B and MGM 2, MA, M's sister, 3).
PED_ROWS = [("GF", None, None, "male"), ("GM", None, None, "female"), ("MGF", None, None, "male"),
            ("MGM", None, None, "female"), ("F", "GF", "GM", "male"), ("U", "GF", "GM", "male"),
            ("M", "MGF", "MGM", "female"), ("MA", "MGF", "MGM", "female"), ("C", "F", "M", "male"),
            ("B", "F", "M", "male")]
PED = make_pedigree([{"id": i, "father": f, "mother": m, "sex": s} for i, f, m, s in PED_ROWS])
MEN = ["F", "B", "GF", "U"]          # the paternal line, closest first (F 1, B 2, GF 2, U 3 meioses)
WOMEN_LINE = ["M", "B", "MGM", "MA"]  # the maternal line

HVS1, HVS2 = "16024-16365", "73-340"


# One autosomally typed family beside the lineage-only ones (an index of lineage-only families alone is
# tested at the end of this file).
AUTO = FamilyRecord("AUTO", PED, "C", {"F": parse_profile({"D3S1358": ["15", "16"]})}, {})


def _store_family(fam: str, ys: dict, mts: dict) -> LineageFamily:
    """As reunite.cases.lineage.lineage_family builds it: every typed relative of each line, closest first."""
    y_rel = [(pid, m, ys[pid]) for pid, m in paternal_relatives(PED, "C", ys)] if ys else []
    mt_rel = [(pid, m, mts[pid]) for pid, m in maternal_relatives(PED, "C", mts)] if mts else []
    return LineageFamily(fam, PED, "C", y_rel, mt_rel)


def _restrict(h: YHaplotype, loci) -> YHaplotype:
    return YHaplotype({k: v for k, v in h.alleles.items() if k in loci})


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9


def _store_parts(res) -> tuple:
    """(Y-STR log10 LR or None, mtDNA log10 LR or None, excluded, relatives used) of pair_lineage."""
    if res is None:
        return None, None, False, {}
    ent = {e["marker"]: e for e in res.entries}
    return (ent["Y-STR"]["log10_lr"] if "Y-STR" in ent else None,
            ent["mtDNA"]["log10_lr"] if "mtDNA" in ent else None, res.excluded,
            {k: e["relative"] for k, e in ent.items()})


def _search_parts(hit) -> tuple:
    ent = {e["marker"]: e for e in hit.lineage}
    excluded = any(e["conclusion"] == "exclusion" for e in hit.lineage)
    return hit.log10_lr_y, hit.log10_lr_mt, excluded, {k: e["relative"] for k, e in ent.items()}


# ------------------------------------------------------------------ the example of the issue


def _example():
    """The closest man (the father) typed only at two loci the found boy lacks; the uncle, farther,
    typed everywhere.  The mother sequenced on HVS-II only, the boy on HVS-I only; his brother on HVS-I."""
    base = YDB.haplotypes[3]
    only = ["DYS19", "DYS389I"]
    father = _restrict(base, only)
    uncle = base
    boy = YHaplotype({k: v for k, v in base.alleles.items() if k not in only})
    mother = parse_mt_sequence("263G", HVS2)
    brother = parse_mt_sequence("16223T", HVS1)
    boy_mt = parse_mt_sequence("16223T", HVS1)
    fam = FamilyRecord("FAM", PED, "C", {"F": parse_profile({}), "U": parse_profile({}), "M": parse_profile({}),
                                         "B": parse_profile({})},
                       {"F": "s-F", "U": "s-U", "M": "s-M", "B": "s-B"})
    y = {"s-F": father, "s-U": uncle}
    mt = {"s-M": mother, "s-B": brother}
    return fam, y, mt, boy, boy_mt


def test_closest_man_not_comparable_uses_the_next_one_as_the_store():
    fam, y, mt, boy, boy_mt = _example()
    # independent reference: y_lineage_lr on the uncle (3 meioses), mt_lineage_lr on the brother
    with pytest.raises(Exception, match="no Y-STR locus"):
        y_lineage_lr(y["s-F"], boy, 1, YDB)
    want_y = y_lineage_lr(y["s-U"], boy, 3, YDB).log10_lr
    with pytest.raises(Exception, match="share no sequenced range"):
        mt_lineage_lr(mt["s-M"], boy_mt, MTDB)
    want_mt = mt_lineage_lr(mt["s-B"], boy_mt, MTDB).log10_lr
    assert want_y > 0 and want_mt > 0
    store = pair_lineage(boy, boy_mt, _store_family("FAM", {"F": y["s-F"], "U": y["s-U"]},
                                                    {"M": mt["s-M"], "B": mt["s-B"]}), DBS)
    assert _store_parts(store)[:2] == pytest.approx((want_y, want_mt), abs=1e-12)

    table = load_frequencies("nist1036_us_asian")
    idx = build_index([fam, AUTO], table, y=y, mt=mt)
    li = idx.lineage
    r = idx._rows["FAM"]
    assert li.y_relative[r] == "F" and li.mt_relative[r] == "M"
    assert li.y_more_relative == ["U"] and li.mt_more_relative == ["B"]
    sc = lineage_log10(li, np.arange(idx.size), boy, boy_mt, OPTS)
    assert sc.y[r] == pytest.approx(want_y, abs=1e-9) and sc.mt[r] == pytest.approx(want_mt, abs=1e-9)
    assert pair_scores(li, r, boy, boy_mt, OPTS)[:2] == pytest.approx((want_y, want_mt), abs=1e-9)
    for ix in (idx, _saved(idx)):
        hit, = (h for h in search_child(ix, parse_profile({}), sample="BOY", min_lr=0.0, top=0, found_y=boy,
                                        found_mt=boy_mt, lineage=OPTS) if h.family == "FAM")
        assert hit.log10_lr_y == pytest.approx(want_y, abs=1e-9)
        assert hit.log10_lr_mt == pytest.approx(want_mt, abs=1e-9)
        assert hit.log10_lr == pytest.approx(want_y + want_mt, abs=1e-9)
        ent = {e["marker"]: e for e in hit.lineage}
        assert (ent["Y-STR"]["relative"], ent["Y-STR"]["relation"], ent["Y-STR"]["meioses"]) == \
            ("U", "paternal_uncle", 3)
        assert (ent["mtDNA"]["relative"], ent["mtDNA"]["relation"], ent["mtDNA"]["meioses"]) == \
            ("B", "maternal_sibling", 2)
        rev, = search_family(ix, "FAM", {"BOY": parse_profile({})}, min_lr=0.0, top=0,
                             found_lineage={"BOY": (boy, boy_mt)}, lineage=OPTS)
        assert rev == hit
    # a boy typed where the father is: the father (closest) is used, the uncle is not
    boy2 = _restrict(YDB.haplotypes[3], ["DYS19", "DYS389I", "DYS390"])
    hit, = (h for h in search_child(idx, parse_profile({}), sample="B2", min_lr=0.0, top=0, found_y=boy2,
                                    lineage=OPTS) if h.family == "FAM")
    assert hit.lineage[0]["relative"] == "F"
    assert hit.log10_lr_y == pytest.approx(y_lineage_lr(y["s-F"], boy2, 1, YDB).log10_lr, abs=1e-9)


def _saved(idx):
    import tempfile

    d = tempfile.mkdtemp()
    idx.save(d)
    return ReferenceIndex.load(d)


# ------------------------------------------------------------------ random lines against the store


def _random_families(seed: int, n: int):
    rng = np.random.default_rng(seed)
    loci = [x for x in YDB.loci]
    fams, y, mt, stores = [], {}, {}, {}
    for i in range(n):
        fam = f"F{i:03d}"
        base = YDB.haplotypes[int(rng.integers(len(YDB)))]
        samples, ys, mts = {}, {}, {}
        for pid in MEN:
            if rng.random() < 0.55:
                keep = [x for x in loci if rng.random() < (0.15 if rng.random() < 0.5 else 0.9)]
                h = dict(_restrict(base, keep).alleles)
                for k in list(h):
                    if h[k] and rng.random() < 0.1 and len(h[k]) == 1:
                        h[k] = (str(int(float(h[k][0])) + int(rng.choice([-1, 1]))),)
                if h:
                    samples[pid] = f"{fam}-{pid}"
                    ys[pid] = y[samples[pid]] = YHaplotype(h)
        for pid in WOMEN_LINE:
            if rng.random() < 0.45:
                s = MTDB.sequences[int(rng.integers(len(MTDB)))]
                rng_choice = [HVS1, HVS2, f"{HVS1} {HVS2}"][int(rng.integers(3))]
                v = " ".join(t for t in s.notation().split() if _in(t, rng_choice))
                samples[pid] = f"{fam}-{pid}"
                mts[pid] = mt[samples[pid]] = parse_mt_sequence(v, rng_choice)
        fams.append(FamilyRecord(fam, PED, "C", {p: parse_profile({}) for p in samples}, samples))
        stores[fam] = _store_family(fam, ys, mts)
    return fams, y, mt, stores


def _in(token: str, ranges: str) -> bool:
    pos = int("".join(ch for ch in token.split(".")[0] if ch.isdigit()) or 0)
    return any(int(a) <= pos <= int(b) for a, b in (r.split("-") for r in ranges.split()))


def _random_boys(seed: int, n: int):
    rng = np.random.default_rng(seed + 7)
    out = []
    for _ in range(n):
        base = YDB.haplotypes[int(rng.integers(len(YDB)))]
        keep = [x for x in YDB.loci if rng.random() < (0.2 if rng.random() < 0.5 else 0.9)]
        s = MTDB.sequences[int(rng.integers(len(MTDB)))]
        r = [HVS1, HVS2, f"{HVS1} {HVS2}"][int(rng.integers(3))]
        v = " ".join(t for t in s.notation().split() if _in(t, r))
        out.append((_restrict(base, keep), parse_mt_sequence(v, r)))
    return out


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_search_equals_pair_lineage_with_several_relatives_per_line(seed):
    fams, y, mt, stores = _random_families(seed, 40)
    ids = [f.family for f in fams]
    li = compile_lineage(ids, fams, y, mt)
    if li is None:
        return
    for boy_y, boy_mt in [*_random_boys(seed, 4), (YDB.haplotypes[seed % len(YDB)], MTDB.sequences[seed % 50])]:
        sc = lineage_log10(li, np.arange(len(ids)), boy_y, boy_mt, OPTS)
        for r, fam in enumerate(ids):
            want = _store_parts(pair_lineage(boy_y, boy_mt, stores[fam], DBS))
            ym, mm = sc.man(r)
            yv, mv, stt = float(sc.y[r]), float(sc.mt[r]), int(sc.mt_state[r])
            got_y = None if math.isnan(yv) or yv == -math.inf else yv
            got_mt = None if math.isnan(mv) or mv == -math.inf else mv
            assert _close(got_y, want[0]) and _close(got_mt, want[1]), (seed, fam)
            assert (yv == -math.inf or mv == -math.inf) == want[2]
            used = {}
            if not math.isnan(yv):
                used["Y-STR"] = li.y_man(r, ym)[0]
            if stt >= 0:
                used["mtDNA"] = li.mt_person(r, mm)[0]
            assert used == want[3], (seed, fam)
            # the pair-by-pair path (the family search's) agrees and names the same relatives
            p = pair_parts(li, r, boy_y, boy_mt, OPTS)
            assert _same(p[0], yv) and _same(p[1], mv) and p[2] == stt and (p[3], p[4]) == (ym, mm)


def _same(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= 1e-9


def test_more_relatives_survive_save_load_and_adding_families(tmp_path):
    fams, y, mt, stores = _random_families(4, 30)
    table = load_frequencies("nist1036_us_asian")
    idx = build_index([AUTO, *fams[:15]], table, y=y, mt=mt)
    idx.add_families(fams[15:], y=y, mt=mt)
    idx.save(tmp_path / "ix")
    for name in (p.name for p in (tmp_path / "ix").iterdir()):
        assert any(fnmatch(name, pat) for pat in INDEX_FILES), name
    again = ReferenceIndex.load(tmp_path / "ix")
    assert len(again.lineage.y_more_row) == sum(max(len(s.y) - 1, 0) for s in stores.values())
    assert len(again.lineage.mt_more_row) == sum(max(len(s.mt) - 1, 0) for s in stores.values())
    for boy_y, boy_mt in _random_boys(4, 5):
        hits = search_child(again, parse_profile({}), sample="X", min_lr=0.0, top=0, found_y=boy_y,
                            found_mt=boy_mt, lineage=OPTS)
        by = {h.family: h for h in hits}
        for f in fams:
            want = _store_parts(pair_lineage(boy_y, boy_mt, stores[f.family], DBS))
            h = by.get(f.family)
            if want == (None, None, False, {}):
                assert h is None or not h.lineage
                continue
            if want[2]:
                assert h.log10_lr is None and h.lr == 0
                continue
            assert _search_parts(h) == (pytest.approx(want[0], abs=1e-9) if want[0] is not None else None,
                                        pytest.approx(want[1], abs=1e-9) if want[1] is not None else None,
                                        False, want[3])


# ------------------------------------------------------------------ the compiled found-children index


def test_found_index_carries_lineage_and_family_search_equals_pairs(tmp_path):
    fams, y, mt, stores = _random_families(11, 20)
    table = load_frequencies("nist1036_us_asian")
    idx = build_index([AUTO, *fams], table, y=y, mt=mt)
    boys = _random_boys(11, 25)
    kids = {f"K{j:02d}": parse_profile({}) for j in range(len(boys))}
    lin = {s: b for s, b in zip(kids, boys, strict=True)}
    lin["K00"] = (None, lin["K00"][1])           # a child with mtDNA only
    found = FoundChildIndex.from_profiles(idx, kids, lineage=lin)
    found.save(tmp_path / "found")
    for name in (p.name for p in (tmp_path / "found").iterdir()):
        assert any(fnmatch(name, pat) for pat in INDEX_FILES), name
    loaded = FoundChildIndex.load(tmp_path / "found")
    assert loaded.lineage == {s: v for s, v in lin.items()}
    checked = 0
    for f in fams:
        if f.family not in {idx.family_ids[r] for r in range(idx.size)}:
            continue
        got = search_family(idx, f.family, loaded, min_lr=0.0, top=0, lineage=OPTS)
        ref = search_family(idx, f.family, kids, min_lr=0.0, top=0, found_lineage=lin, lineage=OPTS)
        assert got == ref
        by = {h.sample: h for h in got}
        for s, (by_, bmt) in lin.items():
            want = _store_parts(pair_lineage(by_, bmt, stores[f.family], DBS))
            h = by[s]
            if want[2]:
                assert h.lr == 0
            elif want[3]:
                assert _search_parts(h)[3] == want[3]
                assert _close(h.log10_lr_y, want[0]) and _close(h.log10_lr_mt, want[1])
                checked += 1
            else:
                assert not h.lineage
    assert checked > 10
    # a found index without lineage markers writes none (an earlier file is removed)
    FoundChildIndex.from_profiles(idx, kids).save(tmp_path / "found")
    assert not (tmp_path / "found" / "found_lineage.json").exists()
    assert FoundChildIndex.load(tmp_path / "found").lineage is None
    # add and remove keep the markers in step
    loaded.remove("K03")
    assert "K03" not in loaded.lineage
    loaded.add(idx, {"K03": kids["K03"]}, lineage={"K03": lin["K03"]})
    assert loaded.lineage["K03"] == lin["K03"]


def _hap_rows(sample: str, h: YHaplotype) -> list[str]:
    return [f'{sample},{locus},"{",".join(v) if v else "null"}",,,' for locus, v in h.alleles.items()]


def test_cli_found_index_with_lineage(tmp_path):
    base = YDB.haplotypes[10]
    fam_rows = ["family,id,father,mother,sex,sample,missing"]
    for i, f, m, s in PED_ROWS:
        fam_rows.append(f"FAM,{i},{f or ''},{m or ''},{s},{'FAM-U' if i == 'U' else ''},{1 if i == 'C' else 0}")
    rows = _hap_rows("FAM-U", base)
    (tmp_path / "families.csv").write_text("\n".join(fam_rows) + "\n")
    head = "sample,marker,allele1,allele2,mt_range,mt_variants\n"
    (tmp_path / "profiles.csv").write_text(head + "\n".join(rows) + "\n")
    far = YHaplotype({k: tuple(str(int(float(a)) + 1) for a in v) for k, v in base.alleles.items()})
    (tmp_path / "found.csv").write_text(head + "\n".join(_hap_rows("BOY", base) + _hap_rows("OTHER", far)) + "\n")
    cmd = [sys.executable, "-m", "reunite"]
    run = [*cmd, "index", "build", "--families", str(tmp_path / "families.csv"), "--profiles",
           str(tmp_path / "profiles.csv"), "--frequencies", "nist1036_us_asian", "--out", str(tmp_path / "ix")]
    assert subprocess.run(run, capture_output=True, text=True).returncode == 0
    out = subprocess.run([*cmd, "index", "found", "--profiles", str(tmp_path / "found.csv"), "--index",
                          str(tmp_path / "ix"), "--out", str(tmp_path / "fx")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "lineage markers: 2 with a Y-STR haplotype, 0 with an mtDNA sequence" in out.stdout
    res = subprocess.run([*cmd, "search", "--index", str(tmp_path / "ix"), "--family", "FAM", "--found-index",
                          str(tmp_path / "fx"), "--json", "--min-lr", "0", "--top", "0"], capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stderr
    cands = {c["sample"]: c for c in json.loads(res.stdout)["candidates"]}
    want = y_lineage_lr(base, base, 3, YDB).log10_lr
    assert cands["BOY"]["log10_lr_y"] == pytest.approx(want, abs=1e-9)
    assert cands["BOY"]["lineage"][0]["relative"] == "U"
    other = y_lineage_lr(base, far, 3, YDB).log10_lr
    if other == -math.inf:
        assert cands["OTHER"]["lr"] == 0
    else:
        assert cands["OTHER"]["log10_lr_y"] == pytest.approx(other, abs=1e-9)
    prof = subprocess.run([*cmd, "search", "--index", str(tmp_path / "ix"), "--family", "FAM", "--found-profiles",
                           str(tmp_path / "found.csv"), "--json", "--min-lr", "0", "--top", "0"],
                          capture_output=True, text=True)
    assert json.loads(prof.stdout) == json.loads(res.stdout)


def test_an_index_of_lineage_only_families_builds_and_searches(tmp_path):
    # No family is typed at an autosomal marker: the index has no marker (it failed to build with
    # "max() arg is an empty sequence"); the LR is the lineage LR alone, from the right relatives.
    fam, y, mt, boy, boy_mt = _example()
    want = y_lineage_lr(y["s-U"], boy, 3, YDB).log10_lr + mt_lineage_lr(mt["s-B"], boy_mt, MTDB).log10_lr
    idx = build_index([fam], load_frequencies("nist1036_us_asian"), y=y, mt=mt)
    assert idx.markers == [] and idx.size == 1
    idx.save(tmp_path / "idx")
    for i in (idx, ReferenceIndex.load(tmp_path / "idx")):
        (hit,) = search_child(i, parse_profile({}), found_y=boy, found_mt=boy_mt, lineage=OPTS, min_lr=0, top=5)
        assert hit.family == "FAM" and hit.markers_compared == 0
        assert hit.log10_lr == pytest.approx(want, abs=1e-9) and hit.log10_lr_autosomal == 0.0
