"""The cohort solver: checked against independent brute force, the sibling trap, validation, the CLI."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference.brute import brute_likelihood, forrel_reduce, hw_prob
from reunite.cli import main
from reunite.errors import InputError
from reunite.genetics.cohort import load_cohort, simulate_cohort, solve_cohort
from reunite.genetics.likelihood import MarkerData, marker_likelihoods
from reunite.genetics.mutation import marker_matrices
from reunite.genetics.pedigree import Pedigree, Person

TABLE = "nist1036_us_asian"
FEW = ["D3S1358", "vWA", "FGA", "D8S1179", "D21S11", "D18S51", "TH01", "D13S317"]


# ---------------------------------------------------------------------------------------------
# An independent brute force: every assignment enumerated naively, each family's likelihood by
# its own engine call (no batching, no dynamic programme).


def _brute(spec: dict):
    cohort = load_cohort(spec)
    table = cohort.frequencies
    keys = [k for k in table.markers if any(k in c.profile.genotypes for c in cohort.found)
            or any(k in cohort.profiles[p].genotypes for f in cohort.families for p in f.typed)]
    obs = {k: set() for k in keys}
    for prof in [c.profile for c in cohort.found] + [cohort.profiles[p] for f in cohort.families
                                                     for p in f.typed]:
        for k in keys:
            obs[k].update(prof.genotypes.get(k, ()))
    table = table.with_alleles(obs)
    mds = []
    for k in keys:
        mf = table.markers[k]
        mats = marker_matrices(cohort.mutation, mf.name, mf.alleles, mf.freqs)
        mds.append(MarkerData(mf.name, mf.alleles, mf.freqs, *(mats or (None, None))))

    def arr(prof):
        a = np.full((len(keys), 2), -1)
        for z, k in enumerate(keys):
            if k in prof.genotypes:
                a[z] = [table.markers[k].index(x) for x in prof.genotypes[k]]
        return a

    def loglik(fam, placed):  # placed: {missing: found index}
        geno = {p: arr(cohort.profiles[p]) for p in fam.typed}
        geno.update({m: arr(cohort.found[j].profile) for m, j in placed.items()})
        if not geno:
            return 0.0
        lik = marker_likelihoods(fam.pedigree.trimmed(set(geno)), mds, geno)
        return float(np.sum(np.log10(lik))) if np.all(lik > 0) else -math.inf

    def loghw(j):
        g = arr(cohort.found[j].profile)
        return sum(math.log10(hw_prob(mds[z].freqs, tuple(g[z]))) for z in range(len(keys)) if g[z, 0] >= 0)

    l0 = {f.id: loglik(f, {}) for f in cohort.families}
    owner = {m: f for f in cohort.families for m in f.missing}
    edges = {}
    for j, c in enumerate(cohort.found):
        for m, f in owner.items():
            s = f.pedigree[m].sex
            if c.sex is None or s == "unknown" or s == c.sex:
                lr = loglik(f, {m: j}) - l0[f.id] - loghw(j)
                if lr > -math.inf:
                    edges[(j, m)] = lr
    results = []
    n = len(cohort.found)
    options = [[None] + [m for m in owner if (j, m) in edges] for j in range(n)]
    for choice in itertools.product(*options):
        used = [m for m in choice if m is not None]
        if len(used) != len(set(used)):
            continue
        total = 0.0
        for f in cohort.families:
            placed = {m: j for j, m in enumerate(choice) if m is not None and owner[m] is f}
            if placed:
                total += loglik(f, placed) - l0[f.id] - sum(loghw(j) for j in placed.values())
        results.append(({cohort.found[j].id: m for j, m in enumerate(choice)}, total))
    return results, edges


def _spec(seed, nf, nfound, mutation=None, **kw):
    spec, truth = simulate_cohort(TABLE, nf, nfound, seed, markers=FEW, mutation=mutation, **kw)
    return spec, truth


@pytest.mark.parametrize("mutation", [None, {"model": "equal", "rate": 0.005}])
@pytest.mark.parametrize("seed", [1, 2])
def test_joint_search_equals_brute_force(seed, mutation):
    spec, _ = _spec(seed, 3, 4, mutation, two_missing=0.7, unreported=1)
    res = solve_cohort(load_cohort(spec), top=50)
    brute, edges = _brute(spec)
    assert res.n_admissible == len(brute)
    finite = [v for _, v in brute if v > -math.inf]
    log10_z = math.log10(sum(10 ** v for v in finite))
    assert res.log10_normaliser == pytest.approx(log10_z, abs=1e-9)
    want = sorted((v for _, v in brute), reverse=True)[:len(res.assignments)]
    got = [a["log10_lr"] for a in res.assignments]
    assert got == pytest.approx(want, abs=1e-9)
    by_assignment = {tuple(sorted(a.items(), key=lambda kv: kv[0])): v for a, v in brute}
    for a in res.assignments:
        key = tuple(sorted(a["assignment"].items(), key=lambda kv: kv[0]))
        assert by_assignment[key] == pytest.approx(a["log10_lr"], abs=1e-9)
        assert a["posterior"] == pytest.approx(10 ** (a["log10_lr"] - log10_z), rel=1e-9)
    # Pair posteriors: the share of the normaliser carried by assignments with that pair.
    for row in res.pairwise:
        mass = sum(10 ** (v - log10_z) for a, v in brute if v > -math.inf and a[row["found"]] == row["missing"])
        assert row["posterior"] == pytest.approx(mass, abs=1e-12)
    # Generalised LRs: best with the pair against best without it, over every assignment.
    for c in res.conclusions:
        if c.get("log10_glr") is None:
            continue
        with_ = max(v for a, v in brute if a[c["found"]] == c["missing"])
        without = max(v for a, v in brute if a[c["found"]] != c["missing"])
        assert c["log10_glr"] == pytest.approx(with_ - without, abs=1e-9)
    # Pairwise LRs: the brute force's edges.
    ids = [c["id"] for c in spec["found"]]
    for row in res.pairwise:
        key = (ids.index(row["found"]), row["missing"])
        if key in edges:
            assert row["log10_lr"] == pytest.approx(edges[key], abs=1e-9)
        else:
            assert row["lr"] == 0


def test_two_placed_children_agree_with_founder_allele_enumeration():
    # One marker, three alleles: a mother typed, two missing children placed; the family factor
    # against brute force over every founder genotype (tests/reference/brute.py).
    freqs = {"D3S1358": {"14": 0.2, "15": 0.3, "16": 0.5}}
    spec = {"frequencies": freqs, "families": [{
        "id": "F", "pedigree": [{"id": "FA", "sex": "male"}, {"id": "MO", "sex": "female"},
                                {"id": "C1", "father": "FA", "mother": "MO", "sex": "male"},
                                {"id": "C2", "father": "FA", "mother": "MO", "sex": "female"}],
        "missing": ["C1", "C2"]}],
        "genotypes": {"MO": {"D3S1358": ["14", "15"]}},
        "found": [{"id": "V1", "sex": "male", "genotypes": {"D3S1358": ["14", "16"]}},
                  {"id": "V2", "sex": "female", "genotypes": {"D3S1358": ["15", "16"]}}]}
    res = solve_cohort(load_cohort(spec))
    f = [0.2, 0.3, 0.5]
    ped = {"FA": (None, None), "MO": (None, None), "C1": ("FA", "MO"), "C2": ("FA", "MO")}
    l2 = brute_likelihood(ped, f, {"MO": (0, 1), "C1": (0, 2), "C2": (1, 2)})
    l0 = brute_likelihood(forrel_reduce(ped, {"MO"}), f, {"MO": (0, 1)})
    want = math.log10(l2 / (l0 * hw_prob(f, (0, 2)) * hw_prob(f, (1, 2))))
    best = res.assignments[0]
    assert best["assignment"] == {"V1": "C1", "V2": "C2"}
    assert best["log10_lr"] == pytest.approx(want, abs=1e-12)


# ---------------------------------------------------------------------------------------------
# The unreported-sibling trap (dvir's pipeline identifies a full sibling as the missing child).


def _trio_family(other_children=None):
    spec, _ = simulate_cohort(TABLE, 1, 1, 5, markers="cn23", two_missing=0.0, unreported=1,
                              listed=0.0)
    fam = spec["families"][0]
    # Both parents typed: regenerate deterministically with the first structure.
    assert {"F01_F", "F01_M"} <= set(spec["genotypes"])
    if other_children is not None:
        fam["other_children"] = other_children
    return spec


def test_only_the_unreported_sibling_found_is_not_identified_unless_the_report_excludes_it():
    spec = _trio_family()
    sib = next(c for c in spec["found"])
    assert sib["birth_year"] == 2014
    res = solve_cohort(load_cohort(spec))
    (c,) = res.conclusions
    assert c["log10_lr"] > 4
    assert c["conclusion"] == "probable"
    assert "unreported brother or sister" in c["note"]
    assert {"unreported_sibling_possible", "downgraded"} <= set(c["flags"])
    # The family lists its other children, none compatible: identified.
    spec["families"][0]["other_children"] = [{"sex": None, "birth_year": 2005}]
    (c,) = solve_cohort(load_cohort(spec)).conclusions
    assert c["conclusion"] == "identified"
    # A listed child of the right sex and age: not excluded, named in the note.
    spec["families"][0]["other_children"] = [{"sex": sib["sex"], "birth_year": 2014}]
    (c,) = solve_cohort(load_cohort(spec)).conclusions
    assert c["conclusion"] == "probable" and "other child no. 1" in c["note"]
    # dvir's behaviour with the warning: identified, the note says it.
    spec["families"][0].pop("other_children")
    spec["rules"] = {"unreported_siblings": "note"}
    (c,) = solve_cohort(load_cohort(spec)).conclusions
    assert c["conclusion"] == "identified" and "unreported brother or sister" in c["note"]


def test_missing_child_and_unreported_sibling_both_found_are_disputed_and_found_to_be_siblings():
    spec, truth = simulate_cohort(TABLE, 1, 2, 5, markers="cn23", two_missing=0.0, unreported=1,
                                  listed=1.0)
    res = solve_cohort(load_cohort(spec))
    concl = {c["found"]: c for c in res.conclusions}
    assert all(c["conclusion"] != "identified" for c in concl.values())
    assert {c["conclusion"] for c in concl.values()} == {"disputed"}
    (rel,) = res.found_relatives
    assert rel["relationship"] == "full_siblings"
    assert set(truth.values()) == {"F01_MP1", "sibling:F01"}


# ---------------------------------------------------------------------------------------------
# Conclusions on simulated cohorts


def test_true_children_are_identified_and_unrelated_children_are_not():
    spec, truth = simulate_cohort(TABLE, 5, 6, 11, markers="cn23", two_missing=0.0, listed=1.0,
                                  unrelated=1)
    res = solve_cohort(load_cohort(spec))
    for c in res.conclusions:
        if truth[c["found"]] is None:
            assert c["conclusion"] in ("excluded", "no_match", "inconclusive")
        elif c["conclusion"] == "identified":
            assert c["missing"] == truth[c["found"]]
    assert sum(c["conclusion"] == "identified" for c in res.conclusions) >= 3


def test_large_cohort_with_mutation_answers_exactly():
    spec, _ = simulate_cohort(TABLE, 10, 12, 3, markers="cn23", mutation="default",
                              unreported=2, unrelated=1)
    res = solve_cohort(load_cohort(spec))
    assert res.n_admissible > 1e7
    assert res.method.startswith("exact")
    posts = [a["posterior"] for a in res.assignments]
    assert posts == sorted(posts, reverse=True) and sum(posts) <= 1 + 1e-9
    for c in res.conclusions:
        total = sum(r["posterior"] for r in res.pairwise if r["found"] == c["found"])
        assert total <= 1 + 1e-9


def test_found_relatives_compare_hypotheses():
    spec, _ = simulate_cohort(TABLE, 1, 2, 5, markers="cn23", two_missing=0.0, unreported=1)
    spec["families"] = []
    spec["genotypes"] = {}
    dup = dict(spec["found"][0], id="DUP")
    spec["found"].append(dup)
    res = solve_cohort(load_cohort(spec))
    rel = {(r["a"], r["b"]): r for r in res.found_relatives}
    a, b = spec["found"][0]["id"], spec["found"][1]["id"]
    assert rel[(a, b)]["relationship"] == "full_siblings"
    assert rel[(a, "DUP")]["relationship"] == "same_person"
    assert rel[(a, b)]["lrs"]["same_person"] == 0
    # Paternal and maternal half siblings tie on autosomal markers: reported as half_siblings.
    r = rel[(a, b)]["lrs"]
    assert r["half_siblings_paternal"] == pytest.approx(r["half_siblings_maternal"], rel=1e-9)
    assert all(c["conclusion"] == "no_match" for c in res.conclusions)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), perm_seed=st.integers(0, 100))
def test_order_of_found_children_and_families_does_not_matter(seed, perm_seed):
    spec, _ = _spec(seed, 3, 4, two_missing=0.5, unreported=1)
    res = solve_cohort(load_cohort(spec))
    rng = np.random.default_rng(perm_seed)
    spec["found"] = [spec["found"][k] for k in rng.permutation(len(spec["found"]))]
    spec["families"] = [spec["families"][k] for k in rng.permutation(len(spec["families"]))]
    again = solve_cohort(load_cohort(spec))
    assert again.n_admissible == res.n_admissible
    assert again.log10_normaliser == pytest.approx(res.log10_normaliser, abs=1e-9)
    assert [a["log10_lr"] for a in again.assignments] == pytest.approx(
        [a["log10_lr"] for a in res.assignments], abs=1e-9)
    a = {c["found"]: c["conclusion"] for c in res.conclusions}
    b = {c["found"]: c["conclusion"] for c in again.conclusions}
    assert a == b


def test_empty_cohort_answers():
    res = solve_cohort(load_cohort({"frequencies": TABLE, "families": [], "found": []}))
    assert res.assignments[0]["posterior"] == 1.0 and res.conclusions == []


# ---------------------------------------------------------------------------------------------
# Validation: every problem at once, named by field, family, person and marker


def test_validation_reports_every_problem_together():
    spec = {"frequencies": TABLE, "families": [
        {"id": "F1", "pedigree": [{"id": "A", "sex": "male"}, {"id": "B", "sex": "female"},
                                  {"id": "C", "father": "A", "mother": "B"}], "missing": ["X"]},
        {"id": "F1", "pedigree": [{"id": "A", "sex": "male"}], "missing": ["A"],
         "other_children": [{"sex": "boy", "birth_year": 13}]}],
        "genotypes": {"A": {"vWA": ["14", "15", "16"]}, "Z": {"vWA": ["14"]}},
        "found": [{"id": "V1", "sex": "x", "genotypes": {"NOTAMARKER": ["1", "2"], "FGA": ["9.30", "20"]}},
                  {"id": "V1", "genotypes": {}}]}
    with pytest.raises(InputError) as err:
        load_cohort(spec)
    text = str(err.value)
    for piece in ("family id 'F1' is used twice", "'X' is not in the pedigree", "also in family F1",
                  "genotypes of A", "'Z', who is in no family", "found child V1: sex 'x'",
                  "NOTAMARKER", "9.30", "found child id 'V1' is used twice", "other child 1: sex 'boy'",
                  "birth_year 13"):
        assert piece in text, piece
    assert "14" not in text.replace("14, 15", "")  # no genotypes in errors beyond marker context


# ---------------------------------------------------------------------------------------------
# The command


def test_cli_json_has_the_issue_shape(tmp_path, capsys):
    spec, _ = _spec(4, 2, 3, unreported=1)
    p = tmp_path / "cohort.json"
    p.write_text(json.dumps(spec))
    assert main(["cohort", "solve", str(p), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"pairwise", "assignments", "conclusions", "found_relatives"} <= set(out)
    assert {"found", "missing", "family", "lr", "log10_lr", "inconsistent"} <= set(out["pairwise"][0])
    assert {"assignment", "log10_lr", "posterior"} <= set(out["assignments"][0])
    assert {"found", "missing", "family", "conclusion", "lr", "note"} <= set(out["conclusions"][0])
    assert {"a", "b", "relationship", "lrs"} <= set(out["found_relatives"][0])
    assert set(out["found_relatives"][0]["lrs"]) == {"full_siblings", "half_siblings_paternal",
                                                     "half_siblings_maternal", "same_person"}
    assert len(out["assignments"]) >= 5 or len(out["assignments"]) == out["search"]["admissible_assignments"]


def test_cli_text_and_errors(tmp_path, capsys):
    spec, _ = _spec(4, 2, 3, unreported=1)
    p = tmp_path / "cohort.json"
    p.write_text(json.dumps(spec))
    assert main(["cohort", "solve", str(p)]) == 0
    out = capsys.readouterr().out
    assert "Conclusions" in out and "Best joint assignments" in out
    assert main(["cohort", "solve", str(p), "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "结论" in out and "最佳联合分配" in out
    assert main(["cohort", "solve", str(p), "--lang", "fr"]) == 2
    capsys.readouterr()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"frequencies": TABLE, "families": "no", "found": []}))
    assert main(["cohort", "solve", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "'families' must be a list" in err


def test_reference_pedigree_helpers_are_consistent():
    # Guard for the brute force above: a lone typed mother under forrel's reduction is HW.
    ped = Pedigree([Person("M", None, None, "female")])
    md = MarkerData("m", ("1", "2"), np.array([0.4, 0.6]))
    assert marker_likelihoods(ped, [md], {"M": np.array([[0, 1]])})[0] == pytest.approx(0.48)


def test_benchmark_script_smoke():
    # benchmarks/cohort.py at its smallest (not timed): one accuracy cohort, the dvir-like pipeline.
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "cohort.py"
    spec = importlib.util.spec_from_file_location("bench_cohort", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    c = mod.accuracy(1)
    assert c["found"] == 12 and c["siblings"] == 2 and c["unrelated"] == 1
    assert c["downgrade_wrong"] <= c["note_wrong"]
    assert c["downgrade_siblings_identified"] == 0


def test_dvir_readme_example_1_posteriors():
    # dvir's README, example 1 (github.com/magnusdv/dvir, the version with `global()`): seven victims
    # (V1-V6 male, V7 female) against a couple R1, R2 (both 1/1) with three missing sons, one marker with
    # alleles 1-3 equifrequent.  dvir lists six tied assignments with LR 729 and posterior 0.12326682,
    # then LR 81 with posterior 0.01369631 (over its 229 assignments, most with LR 0).
    freqs = {"D3S1358": {"1": 1 / 3, "2": 1 / 3, "3": 1 / 3}}
    gts = {"V1": "1", "V2": "2", "V3": "1", "V4": "1", "V5": "2", "V6": "2", "V7": "2"}
    spec = {"frequencies": freqs, "families": [{
        "id": "AM", "pedigree": [{"id": "R1", "sex": "male"}, {"id": "R2", "sex": "female"}]
        + [{"id": f"MP{i}", "father": "R1", "mother": "R2", "sex": "male"} for i in (1, 2, 3)],
        "missing": ["MP1", "MP2", "MP3"]}],
        "genotypes": {"R1": {"D3S1358": ["1", "1"]}, "R2": {"D3S1358": ["1", "1"]}},
        "found": [{"id": v, "sex": "female" if v == "V7" else "male", "genotypes": {"D3S1358": [a, a]}}
                  for v, a in gts.items()]}
    res = solve_cohort(load_cohort(spec), top=8)
    assert res.n_admissible == 34           # the 229 less those with a pairwise LR of 0
    lrs = [round(10 ** a["log10_lr"], 6) for a in res.assignments]
    assert lrs == [729.0] * 6 + [81.0] * 2
    assert res.assignments[0]["posterior"] == pytest.approx(0.12326682, abs=5e-9)
    assert res.assignments[6]["posterior"] == pytest.approx(0.01369631, abs=5e-9)
    assert {frozenset(v for v, m in a["assignment"].items() if m) for a in res.assignments[:6]} == \
        {frozenset({"V1", "V3", "V4"})}
    concl = {c["found"]: c["conclusion"] for c in res.conclusions}
    assert concl["V2"] == "no_match" and concl["V7"] == "no_match"   # 1 inconsistent marker: not excluded
    assert all(concl[v] != "identified" for v in ("V1", "V3", "V4"))   # LR 9 each: inconclusive


def test_a_sibling_of_a_placed_child_is_flagged_even_when_excluded_from_every_missing_member():
    # Seed 21: the unreported sibling V05 of family F01 has the other sex than F01's missing sons or
    # daughters, so no pairing is admissible and it is excluded from everyone; found_relatives ties it
    # to V04, placed in F01, and the note says so (beyond dvir).
    spec, truth = simulate_cohort(TABLE, 5, 6, 21, unreported=1, unrelated=1)
    res = solve_cohort(load_cohort(spec))
    sib = next(v for v, t in truth.items() if t and t.startswith("sibling:"))
    c = next(c for c in res.conclusions if c["found"] == sib)
    assert c["conclusion"] != "identified"
    assert "not reported missing" in c["note"] and "F01" in c["note"]
    assert any(f.startswith("sibling_of_placed_child:") for f in c["flags"])


def test_a_found_child_of_unknown_sex_fits_both_and_amelogenin_gives_the_sex():
    spec, _ = _spec(6, 2, 2)
    spec["found"][0]["sex"] = None
    spec["found"][1]["sex"] = None
    spec["found"][1]["genotypes"]["AMEL"] = ["X", "Y"]
    res = solve_cohort(load_cohort(spec))
    n_missing = sum(len(f["missing"]) for f in spec["families"])
    first = [r for r in res.pairwise if r["found"] == spec["found"][0]["id"]]
    assert len(first) == n_missing
    males = [m for f in spec["families"] for p in f["pedigree"] for m in f["missing"]
             if p["id"] == m and p["sex"] == "male"]
    second = {r["missing"] for r in res.pairwise if r["found"] == spec["found"][1]["id"]}
    assert second == set(males)
    spec["found"][1]["sex"] = "female"
    with pytest.raises(InputError, match="Amelogenin shows male"):
        load_cohort(spec)


def test_too_many_placements_in_one_family_is_an_error_naming_it(monkeypatch):
    import reunite.genetics.cohort as cohort_mod

    monkeypatch.setattr(cohort_mod, "MAX_CONFIGS", 3)
    spec, _ = _spec(4, 2, 3, mutation="default", two_missing=1.0)
    with pytest.raises(InputError, match="family F01: 2 missing members"):
        solve_cohort(load_cohort(spec))


def test_a_placement_beyond_max_inconsistent_markers_is_not_a_conclusion():
    # Both parents typed; the found child is their child but 3 markers are changed (a mutation model
    # with a high rate keeps the LR high): the joint model may place it, the rule excludes the pairing.
    spec, _ = simulate_cohort(TABLE, 1, 1, 5, markers="cn23", two_missing=0.0, unreported=0,
                              mutation={"model": "equal", "rate": 0.05})
    assert {"F01_F", "F01_M"} <= set(spec["genotypes"])
    child = spec["found"][0]
    mother = spec["genotypes"]["F01_M"]
    father = spec["genotypes"]["F01_F"]
    table = load_cohort(spec).frequencies
    changed = 0
    for marker in list(child["genotypes"]):
        if changed == 3:
            break
        alleles = table[marker].alleles
        new = next(x for x in alleles if x not in mother[marker] + father[marker])
        child["genotypes"][marker] = [new, new]
        changed += 1
    res = solve_cohort(load_cohort(spec))
    (row,) = [r for r in res.pairwise if r["found"] == child["id"]]
    assert row["inconsistent"] == 3 and row["log10_lr"] is not None
    assert res.assignments[0]["assignment"][child["id"]] == "F01_MP1"   # the joint model places it
    (c,) = res.conclusions
    assert c["conclusion"] == "excluded"                               # the rule excludes it
    # With a second family it could fit (nobody typed there: LR 1), the placement is named and flagged.
    spec["families"].append({"id": "G01", "pedigree": [{"id": "G_F", "sex": "male"},
                                                       {"id": "G_M", "sex": "female"},
                                                       {"id": "G_C", "father": "G_F", "mother": "G_M"}],
                             "missing": ["G_C"]})
    (c,) = solve_cohort(load_cohort(spec)).conclusions
    assert c["conclusion"] != "identified"
    assert "placed_beyond_max_inconsistent" in c["flags"] and "the rule excludes" in c["note"]
