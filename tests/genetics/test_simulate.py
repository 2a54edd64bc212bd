"""Gene dropping: reproducibility, Mendelian consistency, frequencies, truth, files, the command."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from reunite.commands.simulate import register
from reunite.errors import InputError
from reunite.genetics import load_frequencies, marker_key
from reunite.genetics.simulate import MARKER_SETS, STRUCTURES, simulate_population
from reunite.search.io import read_families, read_profiles
from reunite.simulation.io import write_population

TABLE = "nist1036_us_asian"


@pytest.fixture(scope="module")
def pop():
    return simulate_population(TABLE, 600, 300, 0.4, seed=7, markers="cn23")


def _same(a, b) -> bool:
    return (a.markers == b.markers and np.array_equal(a.family_group, b.family_group)
            and np.array_equal(a.found_alleles, b.found_alleles) and np.array_equal(a.found_male, b.found_male)
            and np.array_equal(a.found_family, b.found_family)
            and all(np.array_equal(g.alleles[k], h.alleles[k]) and np.array_equal(g.male[k], h.male[k])
                    for g, h in zip(a.groups, b.groups, strict=True) for k in g.alleles))


def test_seeded_runs_are_reproducible(pop):
    again = simulate_population(TABLE, 600, 300, 0.4, seed=7, markers="cn23")
    assert _same(pop, again)
    assert pop.families[123] == again.families[123] and pop.truth == again.truth
    other = simulate_population(TABLE, 600, 300, 0.4, seed=8, markers="cn23")
    assert not _same(pop, other)


def test_marker_sets_and_defaults():
    table = load_frequencies(TABLE)
    assert len(table.markers) == 29
    assert len(MARKER_SETS["cn23"]) == 23 and all(marker_key(m) in table.markers for m in MARKER_SETS["cn23"])
    everything = simulate_population(TABLE, 6, 0, 0.0, seed=1)
    assert everything.markers == tuple(table.markers)
    picked = simulate_population(TABLE, 6, 0, 0.0, seed=1, markers=["vwa", "Penta D", "TH01"])
    assert picked.markers == ("VWA", "PENTAD", "TH01") and picked.marker_names == ("vWA", "Penta D", "TH01")
    assert set(picked.families[0].missing_profile) == {"vWA", "Penta D", "TH01"}


def _possible_from(child: np.ndarray, father: np.ndarray, mother: np.ndarray) -> np.ndarray:
    """Per family and marker: can the child's pair be one allele of the father and one of the mother?"""
    def has(parent, allele):
        return (parent[..., 0] == allele) | (parent[..., 1] == allele)
    a, b = child[..., 0], child[..., 1]
    return (has(father, a) & has(mother, b)) | (has(father, b) & has(mother, a))


def test_every_family_is_mendelian_without_mutation(pop):
    checked = 0
    for grp in pop.groups:
        for pid, fa, mo, _sex in grp.layout.members:
            if fa is None:
                continue
            ok = _possible_from(grp.alleles[pid], grp.alleles[fa], grp.alleles[mo])
            assert ok.all(), f"{grp.layout.name}: {pid} inconsistent with {fa}, {mo}"
            checked += ok.size
    assert checked > 600 * 23


def test_mutation_breaks_consistency_sometimes_and_stays_in_the_table():
    p = simulate_population(TABLE, 3000, 0, 0.0, seed=3, markers="cn23", structures=["both_parents"],
                            mutation={"model": "stepwise", "rate": 0.05, "rate2": 0.001, "range": 0.5})
    [grp] = p.groups
    ok = _possible_from(grp.alleles["C"], grp.alleles["F"], grp.alleles["M"])
    rate = 1 - ok.mean()
    assert 0.02 < rate < 0.12  # two transmissions at 5 % each, some mutations invisible
    sizes = np.array([len(a) for a in p.alleles])
    assert (grp.alleles["C"].max(axis=(0, 2)) < sizes).all()


def test_genotypes_are_ordered_like_profiles(pop):
    fam = pop.families[5]
    for gt in [*fam.profiles.values(), fam.missing_profile]:
        for a, b in gt.values():
            assert float(a) <= float(b)


def test_founder_alleles_follow_the_table():
    p = simulate_population(TABLE, 4000, 0, 0.0, seed=11, markers="cn23", structures=["both_parents"])
    table = load_frequencies(TABLE)
    [grp] = p.groups
    founders = np.concatenate([grp.alleles["F"], grp.alleles["M"]])  # 8000 people, 16000 alleles per marker
    for m, key in enumerate(p.markers):
        freqs = np.asarray(table.markers[key].freqs)
        freqs = freqs / freqs.sum()
        n = founders.shape[0] * 2
        observed = np.bincount(founders[:, m, :].ravel(), minlength=len(freqs))
        expected = freqs * n
        big = expected >= 5
        chi2 = float((((observed - expected) ** 2)[big] / expected[big]).sum())
        df = max(int(big.sum()) - 1, 1)
        assert chi2 < df + 6 * np.sqrt(2 * df), (key, chi2, df)
        assert np.abs(observed / n - freqs).max() < 0.015


def test_structures_are_spread_evenly_with_the_right_typed_members(pop):
    counts = pop.counts()
    assert counts == dict.fromkeys(STRUCTURES, 100)
    typed = {"both_parents": {("F", "M")}, "mother_only": {("M",)}, "father_only": {("F",)},
             "mother_and_sibling": {("M", "S")}, "grandparents": {("GF", "GM")},
             "siblings_only": {("S1",), ("S1", "S2")}}
    seen = {s: set() for s in STRUCTURES}
    for grp in pop.groups:
        seen[grp.layout.structure].add(grp.layout.typed)
        assert grp.layout.missing == "C"
    assert seen == typed
    variants = {g.layout.name for g in pop.groups}
    assert {"grandparents/paternal", "grandparents/maternal", "siblings_only/one", "siblings_only/two"} <= variants
    fam = next(f for f in pop.families if f.structure == "grandparents")
    recs = {r["id"]: r for r in fam.pedigree}
    linked = "F" if recs["F"]["father"] == "GF" else "M"
    assert recs[linked]["mother"] == "GM" and recs["C"]["father"] == "F" and recs["C"]["mother"] == "M"
    assert set(fam.profiles) == {"GF", "GM"}


def test_related_fraction_and_truth(pop):
    related = [c for c in pop.found if c.family is not None]
    assert len(related) == round(0.4 * 300)
    assert len({c.family for c in related}) == len(related)  # distinct families
    fam_by_id = {f.family: f for f in pop.families}
    for child in pop.found:
        assert pop.truth[child.sample] == child.family
        if child.family is None:
            continue
        fam = fam_by_id[child.family]
        assert child.profile == fam.missing_profile
        sex = next(r["sex"] for r in fam.pedigree if r["id"] == fam.missing)
        assert child.sex == sex and child.amelogenin == (("X", "Y") if sex == "male" else ("X", "X"))
    # Unrelated children are not copies of missing children.
    missing = {tuple(sorted(f.missing_profile.items())) for f in pop.families}
    assert all(tuple(sorted(c.profile.items())) not in missing for c in pop.found if c.family is None)
    assert pop.found[0].sample == "C000001" and pop.families[-1].family == "F000600"


def test_bad_arguments_are_reported_together():
    with pytest.raises(InputError) as exc:
        simulate_population(TABLE, -1, 10, 1.5, seed=1, structures=["both_parents", "cousins"])
    fields = {p.field for p in exc.value.problems}
    assert fields == {"n_families", "related_fraction", "structures"}
    with pytest.raises(InputError, match="only 5 are simulated"):
        simulate_population(TABLE, 5, 10, 1.0, seed=1)
    with pytest.raises(InputError) as exc:
        simulate_population(TABLE, 5, 1, 0.0, seed=1, markers=["D3S1358", "DXS10", "Nope"])
    assert len(exc.value.problems) == 2


def test_files_are_read_back_by_the_readers(pop, tmp_path):
    paths = write_population(pop, tmp_path)
    assert sorted(p.name for p in paths.values()) == ["families.csv", "found.csv", "profiles.csv", "truth.csv"]
    table = load_frequencies(TABLE)
    profiles = read_profiles(paths["profiles"], frequencies=table)
    families = read_families(paths["families"], profiles)
    found = read_profiles(paths["found"], frequencies=table)
    assert len(families) == pop.n_families and len(found) == pop.n_found
    for sim in pop.families[::37]:
        rec = families[sim.family]
        assert rec.missing == sim.missing
        assert rec.pedigree.as_records() == sim.pedigree
        assert rec.samples == {pid: sim.sample(pid) for pid in sim.profiles}
        for pid, gt in sim.profiles.items():
            prof = rec.profiles[pid]
            assert prof.genotypes == {marker_key(m): ab for m, ab in gt.items()}
            assert prof.sex() == rec.pedigree[pid].sex
    for child in pop.found[::11]:
        prof = found[child.sample]
        assert prof.genotypes == {marker_key(m): ab for m, ab in child.profile.items()}
        assert prof.sex() == child.sex
    lines = Path(paths["truth"]).read_text().splitlines()
    assert lines[0] == "sample,family"
    truth = dict(line.split(",") for line in lines[1:])
    assert truth == {k: v or "" for k, v in pop.truth.items()}


def test_empty_population_writes_headers_only(tmp_path):
    p = simulate_population(TABLE, 0, 0, 0.0, seed=1, markers="codis20")
    paths = write_population(p, tmp_path / "out")
    assert Path(paths["families"]).read_text() == "family,id,father,mother,sex,sample,missing\n"
    assert Path(paths["found"]).read_text() == "sample,marker,allele1,allele2\n"
    only_found = simulate_population(TABLE, 0, 3, 0.0, seed=1, markers="codis20")
    paths = write_population(only_found, tmp_path / "found-only")
    assert Path(paths["truth"]).read_text() == "sample,family\nC000001,\nC000002,\nC000003,\n"
    assert len(read_profiles(paths["found"])) == 3


def test_simulate_imports_only_the_core():
    src = Path(__file__).resolve().parents[2] / "src" / "reunite" / "genetics" / "simulate.py"
    mods = set()
    for node in ast.walk(ast.parse(src.read_text())):
        if isinstance(node, ast.Import):
            mods.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            mods.add("." * node.level + (node.module or ""))
    assert mods <= {"__future__", "collections", "dataclasses", "functools", "numpy", "..errors", ".frequencies",
                    ".markers", ".mutation", "collections.abc"}, mods


# ----------------------------------------------------------------------------------- command


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root():
        """Test app."""

    register(app)
    return app


def test_simulate_command(tmp_path):
    out = tmp_path / "sim"
    args = ["simulate", "--families", "60", "--found", "20", "--related-fraction", "0.5", "--frequencies", TABLE,
            "--seed", "4", "--out", str(out), "--structures", "both_parents,siblings_only", "--markers", "cn23"]
    res = CliRunner().invoke(_app(), args)
    assert res.exit_code == 0, res.output
    assert res.output.count("\n") == 1
    assert "simulated 60 families (both_parents 30, siblings_only 30) and 20 found children (10 related)" in res.output
    assert "23 markers of nist1036_us_asian" in res.output
    fams = read_families(out / "families.csv", read_profiles(out / "profiles.csv"))
    assert len(fams) == 60
    again = tmp_path / "again"
    assert CliRunner().invoke(_app(), [*args[:-5], str(again), *args[-4:]]).exit_code == 0
    for name in ("profiles.csv", "families.csv", "found.csv", "truth.csv"):
        assert (out / name).read_bytes() == (again / name).read_bytes()


def test_simulate_command_with_mutation(tmp_path):
    res = CliRunner().invoke(_app(), ["simulate", "--families", "10", "--found", "4", "--frequencies", TABLE,
                                      "--out", str(tmp_path), "--mutation",
                                      '{"model": "equal", "rate": 0.01}'])
    assert res.exit_code == 0, res.output
    assert "29 markers" in res.output


@pytest.mark.parametrize("extra, words", [
    (["--structures", "cousins"], "unknown family structure"),
    (["--markers", "D3S1358,NOPE"], "not in the frequency table"),
    (["--mutation", "{bad"], "not valid JSON"),
    (["--mutation", '{"model": "magic"}'], "unknown mutation model"),
])
def test_simulate_command_errors(tmp_path, extra, words):
    res = CliRunner().invoke(_app(), ["simulate", "--families", "10", "--found", "4", "--frequencies", TABLE,
                                      "--out", str(tmp_path / "x"), *extra])
    assert res.exit_code == 2
    assert words in res.output and "error:" in res.output
    assert not (tmp_path / "x").exists()


def test_simulate_help_documents_the_files():
    res = CliRunner().invoke(_app(), ["simulate", "--help"])
    assert res.exit_code == 0
    for word in ("--families", "--found", "--related-fraction", "--frequencies", "--seed", "--out", "--structures",
                 "--markers", "truth.csv"):
        assert word in res.output
