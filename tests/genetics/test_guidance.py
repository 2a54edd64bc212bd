"""Sampling guidance: exclusion power against sums over every genotype, inclusion power against
exact distributions, reproducibility, the swab advice and the command."""

from __future__ import annotations

import itertools
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference.brute import brute_likelihood, forrel_reduce, hw_prob
from reunite.cli import main
from reunite.errors import InputError
from reunite.genetics.guidance import load_guidance_case, sampling_guidance

FREQS = {"D3S1358": {"14": 0.1, "15": 0.2, "16": 0.3, "17": 0.4},
         "vWA": {"14": 0.05, "16": 0.15, "17": 0.25, "18": 0.25, "19": 0.3},
         "TH01": {"6": 0.5, "7": 0.3, "9.3": 0.2}}
TRIO = [{"id": "FA", "sex": "male"}, {"id": "MO", "sex": "female"},
        {"id": "C", "father": "FA", "mother": "MO", "sex": "male"},
        {"id": "S", "father": "FA", "mother": "MO", "sex": "female"}]


def _case(genotypes, available=(), **kw):
    return {"frequencies": FREQS, "pedigree": TRIO, "missing": "C", "genotypes": genotypes,
            "available": list(available), "nsim": kw.pop("nsim", 400), "seed": kw.pop("seed", 3),
            **kw}


def _brute_ep(genotypes: dict) -> dict[str, float]:
    """Exclusion power per marker: every genotype of the missing child, compatible or not by
    enumeration over founder alleles (tests/reference/brute.py), without mutation."""
    parents = {"FA": (None, None), "MO": (None, None), "C": ("FA", "MO"), "S": ("FA", "MO")}
    out = {}
    for marker, table in FREQS.items():
        labels = list(table)
        f = list(table.values())
        rel = {pid: tuple(labels.index(a) for a in g[marker]) for pid, g in genotypes.items()
               if marker in g}
        ped = forrel_reduce(parents, set(rel) | {"C"})
        ep = 0.0
        for a, b in itertools.combinations_with_replacement(range(len(f)), 2):
            if brute_likelihood(ped, f, {**rel, "C": (a, b)}) == 0:
                ep += hw_prob(f, (a, b))
        out[marker] = ep
    return out


@pytest.mark.parametrize("genotypes", [
    {"MO": {"D3S1358": ["14", "15"], "vWA": ["18", "18"], "TH01": ["6", "9.3"]}},
    {"FA": {"D3S1358": ["16", "17"], "vWA": ["14", "19"], "TH01": ["7", "7"]},
     "MO": {"D3S1358": ["14", "15"], "vWA": ["18", "18"], "TH01": ["6", "9.3"]}},
    {"MO": {"D3S1358": ["14", "15"], "vWA": ["17", "18"]}, "S": {"D3S1358": ["15", "17"], "vWA": ["16", "18"],
                                                                 "TH01": ["6", "7"]}},
])
def test_exclusion_power_equals_the_sum_over_every_genotype(genotypes):
    g = sampling_guidance(load_guidance_case(_case(genotypes)))
    ep = g["typed"]["exclusion_power"]
    want = _brute_ep(genotypes)
    for marker, v in want.items():
        assert ep["per_marker"][marker] == pytest.approx(v, abs=1e-12)
    log_ne = sum(math.log10(1 - v) for v in want.values())
    assert ep["log10_p_not_excluded"] == pytest.approx(log_ne, abs=1e-12)
    assert ep["total"] == pytest.approx(1 - 10 ** log_ne, abs=1e-12)


def test_exclusion_power_by_hand():
    # Mother 14/15: a child is excluded when it carries neither 14 nor 15: (1 - 0.1 - 0.2)^2.
    g = sampling_guidance(load_guidance_case(_case({"MO": {"D3S1358": ["14", "15"]}})))
    assert g["typed"]["exclusion_power"]["per_marker"]["D3S1358"] == pytest.approx(0.7 ** 2, abs=1e-15)
    # Both parents (14/15 and 16/17): compatible = one allele from each.
    g = sampling_guidance(load_guidance_case(_case({"MO": {"D3S1358": ["14", "15"]},
                                                    "FA": {"D3S1358": ["16", "17"]}})))
    compatible = 2 * (0.1 + 0.2) * (0.3 + 0.4)
    assert g["typed"]["exclusion_power"]["per_marker"]["D3S1358"] == pytest.approx(1 - compatible, abs=1e-15)


def test_inclusion_power_agrees_with_the_exact_distribution():
    # Mother typed at one marker: P(LR >= t) exactly, over the child's conditional distribution.
    freqs = {"D3S1358": FREQS["D3S1358"]}
    case = {"frequencies": freqs, "pedigree": TRIO, "missing": "C",
            "genotypes": {"MO": {"D3S1358": ["14", "15"]}}, "thresholds": [2, 5], "nsim": 4000, "seed": 11}
    res = sampling_guidance(load_guidance_case(case))["typed"]["inclusion_power"]
    f = list(freqs["D3S1358"].values())
    exact = {2: 0.0, 5: 0.0}
    for a, b in itertools.combinations_with_replacement(range(4), 2):
        # P(child g | mother 0/1) and LR = P(g | mother) / P_HW(g).
        pm = [0.5 if x in (0, 1) else 0.0 for x in range(4)]
        p = (pm[a] * f[b] + (pm[b] * f[a] if a != b else 0.0))
        lr = p / hw_prob(f, (a, b))
        for t in exact:
            if lr >= t - 1e-12:
                exact[t] += p
    for t, p, se in zip(res["thresholds"], res["p"], res["se"], strict=True):
        assert abs(p - exact[t]) <= 4 * max(se, 1e-3)


def test_seeded_and_reproducible_and_before_typing_helps():
    spec = _case({"MO": {"D3S1358": ["14", "15"], "vWA": ["18", "18"], "TH01": ["6", "9.3"]}},
                 available=["FA", "S"], thresholds=[10, 100])
    a = sampling_guidance(load_guidance_case(spec))
    b = sampling_guidance(load_guidance_case(spec))
    assert a == b
    c = sampling_guidance(load_guidance_case({**spec, "seed": 4}))
    assert c["before_typing"]["inclusion_power"]["p"] != a["before_typing"]["inclusion_power"]["p"] or \
        c["typed"]["inclusion_power"]["p"] != a["typed"]["inclusion_power"]["p"]
    now, later = a["typed"]["inclusion_power"], a["before_typing"]["inclusion_power"]
    for p0, p1, s0, s1 in zip(now["p"], later["p"], now["se"], later["se"], strict=True):
        assert p1 >= p0 - 4 * (s0 + s1)
    assert a["before_typing"]["exclusion_power"]["mean"] >= a["typed"]["exclusion_power"]["total"] - 1e-9
    opts = a["swab"]["options"]
    assert {tuple(o["swab"]) for o in opts} == {("FA",), ("S",), ("FA", "S")}
    assert opts == sorted(opts, key=lambda o: (-o["p"], len(o["swab"]), o["swab"]))
    adv = a["swab"]["advice"]
    assert "father (FA)" in adv["en"] or "sister (S)" in adv["en"]
    assert "父亲" in adv["zh"] or "姐姐或妹妹" in adv["zh"]


def test_no_relative_typed_before_typing_simulates_everyone():
    spec = _case({}, available=["FA", "MO"], thresholds=[10])
    g = sampling_guidance(load_guidance_case(spec))
    assert g["typed"]["exclusion_power"]["total"] == 0
    assert g["typed"]["inclusion_power"]["p"] == [0.0]
    assert g["before_typing"]["inclusion_power"]["p"][0] > 0.5


def test_validation_collects_every_problem():
    spec = _case({"X": {"vWA": ["14", "16"]}, "C": {"vWA": ["14", "16"]}}, available=["ZZ", "C"],
                 nsim=5, thresholds=[0])
    spec["found"] = {}
    with pytest.raises(InputError) as err:
        load_guidance_case(spec)
    text = str(err.value)
    for piece in ("no 'found'", "'ZZ' is not in the pedigree", "'C' is the missing member", "nsim",
                  "thresholds", "'X', who is not in the pedigree", "typed in 'genotypes'"):
        assert piece in text, piece


def test_cli_json_shape_and_text(tmp_path, capsys):
    p = tmp_path / "case.json"
    p.write_text(json.dumps(_case({"MO": {"D3S1358": ["14", "15"], "vWA": ["18", "18"]}},
                                  available=["FA"], nsim=100)))
    assert main(["guidance", str(p), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["typed"]["exclusion_power"]) == {"total", "log10_p_not_excluded", "per_marker"}
    assert set(out["typed"]["inclusion_power"]) == {"thresholds", "p", "se", "nsim"}
    assert out["typed"]["inclusion_power"]["thresholds"] == [100, 1000, 10000, 1000000]
    assert set(out["before_typing"]["inclusion_power"]) == {"thresholds", "p", "se", "nsim"}
    assert set(out["before_typing"]["exclusion_power"]) == {"mean", "se"}
    assert set(out["swab"]["advice"]) == {"en", "zh"}
    assert main(["guidance", str(p)]) == 0
    text = capsys.readouterr().out
    assert "Exclusion power" in text and "Swab options" in text
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"frequencies": FREQS, "pedigree": TRIO, "missing": "Q"}))
    assert main(["guidance", str(bad)]) == 2
    assert "'Q' is not in the pedigree" in capsys.readouterr().err


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 1000), a=st.sampled_from(["14", "15", "16", "17"]),
       b=st.sampled_from(["14", "15", "16", "17"]))
def test_powers_are_probabilities_and_fall_with_the_threshold(seed, a, b):
    spec = _case({"MO": {"D3S1358": [a, b], "TH01": ["6", "7"]}}, available=["FA"], nsim=60, seed=seed,
                 thresholds=[1, 3, 10, 100])
    g = sampling_guidance(load_guidance_case(spec))
    ep = g["typed"]["exclusion_power"]
    assert 0 <= ep["total"] <= 1 and all(0 <= v <= 1 for v in ep["per_marker"].values())
    for ip in (g["typed"]["inclusion_power"], g["before_typing"]["inclusion_power"]):
        assert all(0 <= p <= 1 for p in ip["p"])
        assert ip["p"] == sorted(ip["p"], reverse=True)
