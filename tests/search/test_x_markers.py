"""The search index is autosomal: X-chromosomal markers of the table are left out, and it says so
(never treated as autosomal: a father and son differing at an X-STR are not excluded)."""

from __future__ import annotations

import pytest

from reunite.errors import InputError
from reunite.genetics import KinshipCase, load_frequencies, missing_person_lr
from reunite.genetics.markers import parse_profile
from reunite.search.columnar import read_reference_columns
from reunite.search.index import ReferenceIndex, build_index, compile_index, index_status
from reunite.search.io import read_families, read_profiles
from reunite.search.kernel import search_child

TABLE = {"D3S1358": {"14": 0.25, "15": 0.25, "16": 0.5},
         "vWA": {"16": 0.2, "17": 0.3, "18": 0.5},
         "DXS10135": {"18": 0.1, "19": 0.2, "20": 0.3, "21": 0.4}}

PROFILES = """\
sample,marker,allele1,allele2
A-F,D3S1358,15,16
A-F,vWA,17,18
A-F,DXS10135,18,18
KID,D3S1358,15,14
KID,vWA,17,16
KID,DXS10135,21,21
"""

FAMILIES = """\
family,id,father,mother,sex,sample,missing
A,F,,,male,A-F,0
A,M,,,female,,0
A,C,F,M,male,,1
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "profiles.csv").write_text(PROFILES, encoding="utf-8")
    (tmp_path / "families.csv").write_text(FAMILIES, encoding="utf-8")
    return tmp_path


def test_x_markers_are_left_out_and_said(files, tmp_path):
    table = load_frequencies(TABLE)
    assert table["DXS10135"].chromosome == "X"
    fams = read_families(files / "families.csv", read_profiles(files / "profiles.csv"))
    idx = build_index(fams.values(), table)
    assert idx.markers == ["D3S1358", "VWA"]
    assert idx.x_markers_skipped == ["DXS10135"]
    assert any("DXS10135" in n and "autosomal" in n and "kinship lr" in n for n in idx.notes)
    # the father (18) and son (21) differ at the X-STR: no inconsistency, the LR is the autosomal one
    kid = read_profiles(files / "profiles.csv")["KID"]
    (hit,) = search_child(idx, kid, min_lr=0.0, top=0)
    assert hit.inconsistent == 0 and hit.markers_compared == 2
    full = missing_person_lr(KinshipCase(fams["A"].pedigree, fams["A"].profiles, "C", kid, table))
    assert full.markers_compared == 3 and full.inconsistent_markers == []
    assert hit.log10_lr == pytest.approx(full.log10_lr, abs=1e-9)   # the X marker's LR is 1 here
    idx.save(tmp_path / "ix")
    assert ReferenceIndex.load(tmp_path / "ix").x_markers_skipped == ["DXS10135"]
    st = index_status(tmp_path / "ix")
    assert st["x_markers_skipped"] == ["DXS10135"] and st["notes"] and "DXS10135" not in st["markers"]


def test_the_columnar_reader_leaves_them_out_too(files):
    table = load_frequencies(TABLE)
    markers, ids, structures, records = read_reference_columns(files / "families.csv", files / "profiles.csv",
                                                               table)
    assert markers == ["D3S1358", "VWA"]
    idx = compile_index(table, markers, ids, structures, records)
    assert idx.x_markers_skipped == ["DXS10135"] and idx.markers == ["D3S1358", "VWA"]


def test_asking_for_an_x_marker_is_an_error(files):
    fams = read_families(files / "families.csv", read_profiles(files / "profiles.csv"))
    with pytest.raises(InputError, match="X-chromosomal; the search index is autosomal"):
        build_index(fams.values(), load_frequencies(TABLE), markers=["D3S1358", "DXS10135"])


def test_an_autosomal_table_has_no_note():
    prof = parse_profile({"D3S1358": ["15", "16"]})
    from reunite.genetics import make_pedigree
    from reunite.search.io import FamilyRecord

    ped = make_pedigree([{"id": "F", "sex": "male"}, {"id": "M", "sex": "female"},
                         {"id": "C", "father": "F", "mother": "M", "sex": "male"}])
    idx = build_index([FamilyRecord("A", ped, "C", {"F": prof})], load_frequencies({"D3S1358": TABLE["D3S1358"]}))
    assert idx.x_markers_skipped == [] and idx.notes == []
