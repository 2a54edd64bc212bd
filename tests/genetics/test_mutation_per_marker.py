"""Per-marker mutation models (``MutationSpec``), the bundled published rates, and their use in the
kinship engine and the simulator."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reunite.errors import InputError, MutationError
from reunite.genetics import (
    DEFAULT_MUTATION,
    MutationModel,
    MutationSpec,
    SexSpecificMutation,
    bundled_tables,
    default_mutation,
    load_case,
    load_frequencies,
    marker_key,
    marker_matrices,
    missing_person_lr,
    mutation_matrix,
    parse_mutation,
)
from reunite.genetics.simulate import simulate_population
from shared_paths import SHARED

STEP = {"model": "stepwise", "rate": 0.002, "rate2": 1e-06, "range": 0.1}
EQUAL = {"model": "equal", "rate": 0.003}
SEX = {"female": {"model": "equal", "rate": 0.001}, "male": {"model": "stepwise", "rate": 0.004,
                                                                "rate2": 1e-06, "range": 0.5}}
ALLELES = ("8", "9", "10", "11", "11.3", "12")
FREQS = np.array([0.05, 0.2, 0.3, 0.25, 0.05, 0.15])

CASES = sorted((SHARED / "kinship-cases").glob("*.json"))
MUT_CASES = [p for p in CASES if json.loads(p.read_text()).get("mutation") is not None]


def _sex(d) -> SexSpecificMutation:
    return parse_mutation(d)


# ---------------------------------------------------------------------------------------------
# parsing


def test_per_marker_spec_parses_and_folds_names():
    spec = parse_mutation({"per_marker": {"Penta D": STEP, "vWA": SEX, "th01": EQUAL},
                           "default": EQUAL})
    assert isinstance(spec, MutationSpec)
    assert [k for k, _ in spec.per_marker] == sorted(["PENTAD", "VWA", "TH01"])
    for name in ("Penta D", "PENTA_D", "PentaD", "penta-d"):
        assert spec.for_marker(name) == _sex(STEP)
    assert spec.for_marker("VWA") == _sex(SEX)
    assert spec.for_marker("THO1") == _sex(EQUAL)  # the TH01 alias
    assert spec.for_marker("D3S1358") == _sex(EQUAL)  # the default
    assert spec.default == _sex(EQUAL)


@pytest.mark.parametrize("default", [None, "none", "NONE"])
def test_per_marker_without_default_means_no_mutation_elsewhere(default):
    d = {"per_marker": {"FGA": STEP}}
    if default is not None:
        d["default"] = default
    spec = parse_mutation(d)
    assert spec.default is None
    assert spec.for_marker("FGA") == _sex(STEP)
    assert spec.for_marker("D3S1358") is None
    assert marker_matrices(spec, "D3S1358", ALLELES, FREQS) is None


def test_default_may_be_sex_specific_and_per_marker_may_be_empty():
    spec = parse_mutation({"per_marker": {}, "default": SEX})
    assert spec.per_marker == () and spec.default == _sex(SEX)
    assert spec.for_marker("anything") == _sex(SEX)


def test_old_forms_still_return_sex_specific():
    assert parse_mutation(None) is None
    m = parse_mutation(STEP)
    assert type(m) is SexSpecificMutation
    assert type(parse_mutation(SEX)) is SexSpecificMutation
    assert m.for_marker("FGA") is m and m.for_marker("whatever") is m


@pytest.mark.parametrize("word", ["none", "None", " NONE "])
def test_none_word(word):
    assert parse_mutation(word) is None


@pytest.mark.parametrize("word", ["default", "Default", DEFAULT_MUTATION])
def test_default_word_is_the_bundled_spec(word):
    assert parse_mutation(word) == default_mutation()


def test_a_spec_passes_through():
    spec = default_mutation()
    assert parse_mutation(spec) is spec


@pytest.mark.parametrize(("spec", "words"), [
    ({"per_marker": {"FGA": STEP}, "defualt": EQUAL}, ["'defualt'", "per_marker", "default"]),
    ({"per_marker": {"FGA": STEP}, "female": EQUAL}, ["'female'"]),
    ({"per_marker": [STEP]}, ["per_marker", "object"]),
    ({"per_marker": {"vWA": STEP, "VWA": EQUAL}}, ["'vWA'", "'VWA'", "VWA"]),
    ({"per_marker": {"Penta D": STEP, "PENTA_D": EQUAL}}, ["'Penta D'", "'PENTA_D'"]),
    ({"per_marker": {"  ": STEP}}, ["marker name"]),
    ({"per_marker": {"D3S1358": {"model": "equal", "rate": 2}}}, ["mutation.per_marker.D3S1358", "rate"]),
    ({"per_marker": {"D3S1358": {"model": "dawid"}}}, ["mutation.per_marker.D3S1358", "dawid"]),
    ({"per_marker": {"FGA": {"female": EQUAL}}}, ["mutation.per_marker.FGA", "female", "male"]),
    ({"per_marker": {"FGA": {"female": EQUAL, "male": EQUAL, "x": 1}}}, ["mutation.per_marker.FGA", "'x'"]),
    ({"per_marker": {"FGA": None}}, ["mutation.per_marker.FGA", "trivial"]),
    ({"per_marker": {}, "default": {"model": "equal"}}, ["mutation.default", "rate"]),
    ({"per_marker": {}, "default": {"female": EQUAL, "male": {"model": "equal", "rate": -1}}},
     ["mutation.default.male", "rate"]),
    ("stepwise", ["'stepwise'", "model", "none", "default"]),
    ("", ["model"]),
])
def test_errors_name_the_bad_key_or_marker(spec, words):
    with pytest.raises(MutationError) as info:
        parse_mutation(spec)
    assert isinstance(info.value, InputError)
    for w in words:
        assert w in str(info.value), (w, str(info.value))


# ---------------------------------------------------------------------------------------------
# marker_matrices


@pytest.mark.parametrize("spec", [STEP, SEX, {"per_marker": {"FGA": SEX, "TH01": EQUAL}, "default": STEP}])
@pytest.mark.parametrize("marker", ["FGA", "TH01", "D3S1358"])
def test_marker_matrices_equal_mutation_matrix_of_the_chosen_model(spec, marker):
    mut = parse_mutation(spec)
    chosen = mut.for_marker(marker)
    fem, male = marker_matrices(mut, marker, ALLELES, FREQS)
    np.testing.assert_array_equal(fem, mutation_matrix(chosen.female, ALLELES, FREQS, marker))
    np.testing.assert_array_equal(male, mutation_matrix(chosen.male, ALLELES, FREQS, marker))
    assert not fem.flags.writeable and not male.flags.writeable
    if chosen.female == chosen.male:
        assert fem is male


def test_marker_matrices_none_and_cache():
    assert marker_matrices(None, "FGA", ALLELES, FREQS) is None
    mut = parse_mutation(STEP)
    a = marker_matrices(mut, "FGA", list(ALLELES), FREQS.copy())
    b = marker_matrices(mut, "FGA", ALLELES, FREQS)
    assert a[0] is b[0]


def test_marker_matrices_accepts_any_spelling_of_the_marker():
    mut = parse_mutation({"per_marker": {"Penta E": EQUAL}})
    assert marker_matrices(mut, "PENTA_E", ALLELES, FREQS) is not None
    assert marker_matrices(mut, "Penta D", ALLELES, FREQS) is None


# ---------------------------------------------------------------------------------------------
# round trips (hypothesis)

_rate = st.floats(0.0, 0.05, allow_nan=False)
_models = st.one_of(
    st.builds(lambda r: {"model": "equal", "rate": r}, _rate),
    st.builds(lambda r: {"model": "proportional", "rate": r}, _rate),
    st.builds(lambda r: {"model": "onestep", "rate": r}, _rate),
    st.builds(lambda r, r2, g: {"model": "stepwise", "rate": r, "rate2": r2, "range": g},
              _rate, st.floats(0.0, 1e-3), st.floats(0.01, 1.0)),
    st.just({"model": "trivial"}),
)
_model_or_sex = st.one_of(_models, st.builds(lambda f, m: {"female": f, "male": m}, _models, _models))
_names = st.sampled_from(["D3S1358", "vWA", "Penta D", "TH01", "FGA", "D12S391", "SE33", "D6S1043",
                          "CSF1PO", "D1S1656"])
_specs = st.builds(
    lambda pm, d: {"per_marker": pm, "default": d},
    st.dictionaries(_names, _model_or_sex, max_size=6),
    st.one_of(st.none(), _model_or_sex),
)


@settings(max_examples=150, deadline=None)
@given(_specs)
def test_as_dict_round_trips(d):
    spec = parse_mutation(d)
    assert parse_mutation(spec.as_dict()) == spec
    assert parse_mutation(json.loads(json.dumps(spec.as_dict()))) == spec
    assert hash(parse_mutation(spec.as_dict())) == hash(spec)
    assert isinstance(spec.describe(), str) and spec.describe()
    for name in d["per_marker"]:
        assert spec.for_marker(name) == parse_mutation(d["per_marker"][name])


@settings(max_examples=100, deadline=None)
@given(_model_or_sex)
def test_sex_specific_round_trips(d):
    m = parse_mutation(d)
    assert parse_mutation(m.as_dict()) == m


def test_default_spec_round_trips_and_describes_itself():
    spec = default_mutation()
    back = parse_mutation(spec.as_dict())
    assert back == spec and hash(back) == hash(spec)
    assert "published per-locus rates" in spec.describe()


# ---------------------------------------------------------------------------------------------
# the bundled table

DATA = Path(__file__).resolve().parents[2] / "src" / "reunite" / "data" / "mutation"


def _table_rows():
    with (DATA / "published_rates.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_bundled_table_covers_the_23_loci_of_the_main_table():
    keys = {marker_key(r["marker"]) for r in _table_rows()}
    assert set(load_frequencies("nist1036_us_asian").markers) - {"PENTAC", "SE33", "F13A01", "F13B",
                                                                 "FESFPS", "LPL"} <= keys
    assert len(keys) == len(_table_rows()) >= 23
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "Butler" in readme and "AABB" in readme and "Table 6.3" in readme


def test_default_mutation_follows_the_table():
    spec = default_mutation()
    rows = _table_rows()
    published = [r for r in rows if r["rate"].strip()]
    mean = sum(float(r["rate"]) for r in published) / len(published)
    for r in rows:
        m = spec.for_marker(r["marker"])
        want = float(r["rate"]) if r["rate"].strip() else mean
        fem = float(r["maternal"]) if r["maternal"].strip() else want
        male = float(r["paternal"]) if r["paternal"].strip() else want
        assert m.female == MutationModel("stepwise", rate=pytest.approx(fem, rel=1e-15), rate2=1e-6, range=0.1)
        assert m.male == MutationModel("stepwise", rate=pytest.approx(male, rel=1e-15), rate2=1e-6, range=0.1)
    assert spec.default.female.rate == pytest.approx(mean, rel=1e-15)
    assert spec.for_marker("SE33") == spec.default
    assert spec.for_marker("vWA").male.rate == 0.0017 and spec.for_marker("TPOX").male.rate == 0.0001


def test_default_mutation_builds_for_every_marker_of_every_bundled_table():
    spec = default_mutation()
    for name in bundled_tables():
        table = load_frequencies(name)
        for mf in table.markers.values():
            for mat in marker_matrices(spec, mf.name, mf.alleles, mf.freqs):
                np.testing.assert_allclose(mat.sum(axis=1), 1.0, atol=1e-12)
                assert (mat >= 0).all()


# ---------------------------------------------------------------------------------------------
# the kinship engine


def _case(path: Path, mutation) -> dict:
    d = json.loads(path.read_text())
    d.pop("expected", None)
    d["mutation"] = mutation
    return d


@pytest.mark.parametrize("path", MUT_CASES, ids=[p.stem for p in MUT_CASES])
def test_per_marker_spec_of_one_model_gives_the_single_model_lr(path):
    d = json.loads(path.read_text())
    single = missing_person_lr(load_case(_case(path, d["mutation"])))
    markers = list(d["frequencies"])
    for spec in ({"per_marker": {m: d["mutation"] for m in markers}},
                 {"per_marker": {m: d["mutation"] for m in markers[::2]}, "default": d["mutation"]},
                 {"per_marker": {}, "default": d["mutation"]}):
        res = missing_person_lr(load_case(_case(path, spec)))
        assert [m.marker for m in res.markers] == [m.marker for m in single.markers]
        for a, b in zip(res.markers, single.markers, strict=True):
            assert a.lr == pytest.approx(b.lr, rel=1e-12, abs=0)
            assert a.inconsistent == b.inconsistent
        assert res.inconsistent_markers == single.inconsistent_markers
        if single.log10_lr is None:
            assert res.lr == 0
        else:
            assert res.log10_lr == pytest.approx(single.log10_lr, abs=1e-12)


_MODELS = [
    {"model": "equal", "rate": 0.002},
    {"model": "stepwise", "rate": 0.004, "rate2": 1e-06, "range": 0.1},
    {"female": {"model": "equal", "rate": 0.001}, "male": {"model": "stepwise", "rate": 0.005,
                                                           "rate2": 1e-06, "range": 0.5}},
    {"model": "proportional", "rate": 0.003},
    None,  # no mutation at this marker (left to the default: none)
]


# One case of each relationship, and the three with a marker inconsistent without mutation
# (K0006, K0131, K0134): some offsets leave that marker without mutation (LR 0), others do not.
CASE_IDS = ["K0002", "K0005", "K0006", "K0007", "K0019", "K0024", "K0040", "K0057", "K0075",
            "K0093", "K0111", "K0129", "K0131", "K0134"]


@pytest.mark.parametrize("offset", [0, 2, 4])
@pytest.mark.parametrize("case_id", CASE_IDS)
def test_per_marker_lr_is_the_product_of_single_model_lrs(case_id, offset):
    d = json.loads((SHARED / "kinship-cases" / f"{case_id}.json").read_text())
    d.pop("expected", None)
    which = {marker_key(m): (i + offset) % len(_MODELS) for i, m in enumerate(d["frequencies"])}
    spec = {"per_marker": {m: _MODELS[which[marker_key(m)]] for m in d["frequencies"]
                           if _MODELS[which[marker_key(m)]] is not None}}
    res = missing_person_lr(load_case({**d, "mutation": spec}))
    # Independently: the whole case under each single model; marker m's LR is taken from the run
    # under the model chosen for m.
    singles = []
    for mod in _MODELS:
        r = missing_person_lr(load_case({**d, "mutation": mod}))
        singles.append({marker_key(x.marker): x for x in r.markers})
    assert len(res.markers) == len(singles[0])
    log_sum, zero = 0.0, False
    for got in res.markers:
        k = marker_key(got.marker)
        want = singles[which[k]][k]
        assert got.lr == pytest.approx(want.lr, rel=1e-12, abs=0), got.marker
        assert got.inconsistent == want.inconsistent
        if want.lr == 0:
            zero = True
        else:
            log_sum += math.log10(want.lr)
    if zero:
        assert res.lr == 0 and res.log10_lr is None
    else:
        assert res.log10_lr == pytest.approx(log_sum, abs=1e-9)
    # an exclusion exactly when an inconsistent marker was left without mutation
    assert zero == any(_MODELS[which[marker_key(m)]] is None for m in res.inconsistent_markers)


def test_a_per_marker_spec_without_mutation_at_an_inconsistent_marker_excludes():
    # a golden case with mutation whose result lists a marker inconsistent without mutation
    for path in MUT_CASES:
        d = json.loads(path.read_text())
        res = missing_person_lr(load_case(_case(path, d["mutation"])))
        if res.inconsistent_markers and res.lr > 0:
            bad = res.inconsistent_markers[0]
            others = {m: d["mutation"] for m in d["frequencies"] if marker_key(m) != marker_key(bad)}
            res2 = missing_person_lr(load_case(_case(path, {"per_marker": others})))
            assert res2.lr == 0 and bad in res2.inconsistent_markers
            res3 = missing_person_lr(load_case(_case(path, {"per_marker": {bad: d["mutation"]}})))
            assert res3.lr > 0
            return
    pytest.skip("no golden case with mutation has an inconsistent marker")


def test_kinship_case_accepts_the_words_and_records_the_model():
    path = MUT_CASES[0]
    res = missing_person_lr(load_case(_case(path, "default")))
    assert res.mutation.startswith("published per-locus rates")
    res_none = missing_person_lr(load_case(_case(path, "none")))
    assert res_none.mutation == "none"
    res_pm = missing_person_lr(load_case(_case(path, {"per_marker": {"FGA": STEP}})))
    assert res_pm.mutation.startswith("per marker: FGA: stepwise")
    with pytest.raises(InputError, match=r"mutation\.per_marker\.FGA"):
        load_case(_case(path, {"per_marker": {"FGA": {"model": "equal", "rate": 9}}}))


# ---------------------------------------------------------------------------------------------
# the simulator


def test_simulator_per_marker_same_model_is_the_single_model_population():
    a = simulate_population("nist1036_us_asian", 60, 30, 0.5, seed=3, markers="cn23", mutation=EQUAL)
    keys = load_frequencies("nist1036_us_asian").markers
    b = simulate_population("nist1036_us_asian", 60, 30, 0.5, seed=3, markers="cn23",
                            mutation={"per_marker": {k: EQUAL for k in keys}})
    c = simulate_population("nist1036_us_asian", 60, 30, 0.5, seed=3, markers="cn23",
                            mutation={"per_marker": {}, "default": EQUAL})
    for other in (b, c):
        assert np.array_equal(a.found_alleles, other.found_alleles)
        for g, h in zip(a.groups, other.groups, strict=True):
            for k in g.alleles:
                assert np.array_equal(g.alleles[k], h.alleles[k])


def test_simulator_mutates_only_the_markers_with_a_model():
    pop = simulate_population("nist1036_us_asian", 300, 0, 0.0, seed=11, markers="cn23",
                              structures=["both_parents"],
                              mutation={"per_marker": {"FGA": {"model": "equal", "rate": 0.5}}})
    fga = pop.markers.index("FGA")
    bad_markers = set()
    for grp in pop.groups:
        f, m, c = (grp.alleles[p] for p in ("F", "M", "C"))
        for z in range(len(pop.markers)):
            for r in range(f.shape[0]):
                child = set(c[r, z])
                ok = any({a, b} == child or (a == b and {a} == child)
                         for a in f[r, z] for b in m[r, z])
                if not ok:
                    bad_markers.add(z)
    assert bad_markers == {fga}
    assert pop.mutation == parse_mutation({"per_marker": {"FGA": {"model": "equal", "rate": 0.5}}})


def test_family_inconsistent_at_a_marker_without_mutation_names_it():
    from reunite.errors import InconsistencyError

    case = {
        "frequencies": "nist1036_us_asian",
        "pedigree": [{"id": "F", "father": None, "mother": None, "sex": "male"},
                     {"id": "M", "father": None, "mother": None, "sex": "female"},
                     {"id": "S", "father": "F", "mother": "M", "sex": "female"},
                     {"id": "MP", "father": "F", "mother": "M", "sex": "male"}],
        "genotypes": {"F": {"D3S1358": ["15", "15"], "vWA": ["16", "17"]},
                      "M": {"D3S1358": ["16", "16"], "vWA": ["14", "18"]},
                      "S": {"D3S1358": ["15", "17"], "vWA": ["16", "18"]}},
        "missing": "MP",
        "found": {"D3S1358": ["15", "16"], "vWA": ["17", "14"]},
    }
    with pytest.raises(InconsistencyError) as info:
        missing_person_lr(load_case({**case, "mutation": {"per_marker": {"vWA": STEP}}}))
    assert "D3S1358" in str(info.value) and "per-marker" in str(info.value)
    res = missing_person_lr(load_case({**case, "mutation": {"per_marker": {"D3S1358": STEP}}}))
    assert res.lr > 0
