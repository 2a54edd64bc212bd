"""No family stops the index: without a mutation model a family whose own relatives are
inconsistent is set aside, named (family, members, marker, why), listed by `index build` and
`index status`; and `bench search` prints its figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reunite.cli import main
from reunite.genetics import load_frequencies
from reunite.genetics.markers import parse_profile
from reunite.search.index import ReferenceIndex, build_index, index_status
from reunite.search.io import read_families, read_profiles
from reunite.search.kernel import search_child, search_family

# Family B: the sibling S is 20/20 at vWA, where the father is 17/17 (impossible without mutation);
# everything else agrees.  Family A is a plain trio.
PROFILES = """\
sample,marker,allele1,allele2
A-F,D3S1358,15,16
A-F,vWA,17,18
A-F,TH01,9.3,6
A-M,D3S1358,14,15
A-M,vWA,16,16
A-M,TH01,7,8
B-F,D3S1358,15,16
B-F,vWA,17,17
B-F,TH01,9.3,6
B-M,D3S1358,14,15
B-M,vWA,16,20
B-M,TH01,7,8
B-S,D3S1358,15,15
B-S,vWA,20,20
B-S,TH01,9.3,7
KID,D3S1358,15,14
KID,vWA,17,16
KID,TH01,9.3,8
"""

FAMILIES = """\
family,id,father,mother,sex,sample,missing
A,F,,,male,A-F,0
A,M,,,female,A-M,0
A,C,F,M,male,,1
B,F,,,male,B-F,0
B,M,,,female,B-M,0
B,S,F,M,male,B-S,0
B,C,F,M,female,,1
"""

STEPWISE = '{"model": "stepwise", "rate": 0.002, "rate2": 1e-06, "range": 0.1}'


@pytest.fixture
def inputs(tmp_path) -> dict[str, Path]:
    paths = {"profiles": tmp_path / "profiles.csv", "families": tmp_path / "families.csv"}
    paths["profiles"].write_text(PROFILES, encoding="utf-8")
    paths["families"].write_text(FAMILIES, encoding="utf-8")
    return paths


def _build(inputs, out, *extra) -> int:
    """Build with the options given, mutation-free unless they say otherwise."""
    extra = extra if "--mutation" in extra else (*extra, "--mutation", "none")
    return main(["index", "build", "--families", str(inputs["families"]), "--profiles", str(inputs["profiles"]),
                 "--frequencies", "nist1036_us_asian", "--out", str(out), *extra])


def test_an_inconsistent_family_is_set_aside_not_an_error(inputs, tmp_path, capsys):
    assert _build(inputs, tmp_path / "ix") == 0
    out = capsys.readouterr().out
    assert "indexed 1 families" in out
    assert "set aside 1 family" in out
    (line,) = [x for x in out.splitlines() if x.strip().startswith("family B")]
    assert "member(s) B" not in line and "member(s) F, S" in line and "marker vWA" in line
    assert "without a mutation" in line
    assert "20" not in line and "17" not in line   # labels, never alleles

    idx = ReferenceIndex.load(tmp_path / "ix")
    assert idx.size == 1 and [e["family"] for e in idx.set_aside] == ["B"]
    (entry,) = idx.set_aside
    assert entry["members"] == ["F", "S"] and entry["marker"] == "vWA" and entry["why"]
    kid = read_profiles(inputs["profiles"])["KID"]
    assert {c.family for c in search_child(idx, kid, min_lr=0.0, top=0)} == {"A"}
    with pytest.raises(Exception, match="set aside"):
        search_family(idx, "B", {"KID": kid})


def test_index_status_lists_the_set_aside_families(inputs, tmp_path, capsys):
    assert _build(inputs, tmp_path / "ix") == 0
    capsys.readouterr()
    assert main(["index", "status", str(tmp_path / "ix")]) == 0
    out = capsys.readouterr().out
    assert "families indexed: 1" in out and "1 set aside" in out
    assert "frequency table: nist1036_us_asian" in out
    assert "markers (3): " in out and "vWA" in out
    assert "mutation model: none" in out
    assert "set-aside families (1):" in out
    assert any(x.strip().startswith("family B") and "member(s) F, S" in x and "marker vWA" in x
               for x in out.splitlines())
    assert main(["index", "status", str(tmp_path / "ix"), "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["families"] == 1 and st["set_aside_families"] == 1 and st["mutation"] is None
    assert st["bytes"] > 0 and st["frequencies"] == "nist1036_us_asian" and len(st["markers"]) == 3
    assert [(e["family"], e["members"], e["marker"]) for e in st["set_aside"]] == [("B", ["F", "S"], "vWA")]
    assert main(["index", "status", str(tmp_path / "nothing")]) == 2
    assert "not a Reunite index" in capsys.readouterr().err


def test_with_a_mutation_model_nothing_is_set_aside(inputs, tmp_path, capsys):
    assert _build(inputs, tmp_path / "ix", "--mutation", STEPWISE) == 0
    out = capsys.readouterr().out
    assert "indexed 2 families" in out and "set aside: none" in out
    assert index_status(tmp_path / "ix")["set_aside"] == []
    assert _build(inputs, tmp_path / "ix0", "--mutation", "none") == 0
    assert "set aside 1 family" in capsys.readouterr().out
    assert _build(inputs, tmp_path / "bad", "--mutation", "{oops") == 2
    assert "--mutation is not valid JSON" in capsys.readouterr().err
    assert _build(inputs, tmp_path / "bad", "--mutation", "sometimes") == 2
    assert "is not a mutation model" in capsys.readouterr().err


def test_set_aside_survives_save_load_and_updates(inputs, tmp_path):
    table = load_frequencies("nist1036_us_asian")
    fams = read_families(inputs["families"], read_profiles(inputs["profiles"]))
    idx = build_index(fams.values(), table)
    idx.save(tmp_path / "ix")
    idx = ReferenceIndex.load(tmp_path / "ix")
    assert [e["family"] for e in idx.set_aside] == ["B"]
    # B's sibling retyped: added again, it is indexed and no longer set aside.
    b = fams["B"]
    fixed = dict(b.profiles)
    fixed["S"] = parse_profile({"D3S1358": ["15", "15"], "vWA": ["17", "20"], "TH01": ["9.3", "7"]})
    assert idx.add_families([type(b)(b.family, b.pedigree, b.missing, fixed)]) == 1
    assert idx.set_aside == [] and idx.size == 2
    # Added again inconsistent: set aside again; removing it forgets it.
    idx.remove_family("B")
    assert idx.add_families([b]) == 0 and [e["family"] for e in idx.set_aside] == ["B"]
    idx.remove_family("B")
    assert idx.set_aside == [] and idx.size == 1


def test_bench_search_prints_its_figures(capsys):
    assert main(["bench", "search", "--families", "60", "--found", "6", "--no-accuracy"]) == 0
    figures = json.loads(capsys.readouterr().out)
    for key in ("build_s", "index_bytes", "median_s", "p95_s", "peak_rss_bytes",      # asked for
                "search_child_s_median", "bytes_per_family_marker", "search_family_vs_children_s_median"):
        assert figures[key] is not None, key
    assert figures["mutation"] is None and figures["index_bytes"] > 0 and figures["peak_rss_bytes"] > 2**20
    assert figures["p95_s"] >= figures["median_s"] > 0
    assert main(["bench", "search", "--families", "20", "--found", "2", "--mutation", "none",
                 "--no-accuracy"]) == 0
    assert json.loads(capsys.readouterr().out)["mutation"] is None
    assert main(["bench", "search", "--families", "20", "--found", "2", "--mutation", '{"model": "nope"}']) == 2
    assert "error:" in capsys.readouterr().err


def test_bench_search_with_a_mutation_model(capsys):
    assert main(["bench", "search", "--families", "40", "--found", "4", "--no-accuracy", "--mutation",
                 STEPWISE]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["mutation"]["model"] == "stepwise"
    assert all(figures[k] is not None for k in ("build_s", "index_bytes", "median_s", "p95_s", "peak_rss_bytes"))
