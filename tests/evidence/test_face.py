"""The face LR: detection and embedding on real photographs, the shipped calibration replayed, the
LR's rules (monotone, capped, shrunk toward 1), and the install hint when the extra is missing.

Embeddings are computed once per test session (a handful of photographs, about 0.2 s each).
"""

from __future__ import annotations

import functools
import io
import itertools
import json
import math
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from reunite.errors import InputError
from reunite.evidence import face as face_mod
from reunite.evidence import fuse
from reunite.evidence.face import (
    BAND_WEIGHTS,
    FaceCalibration,
    face_embedding,
    face_lr,
    face_score,
    find_face,
    fit_calibration,
)
from shared_paths import SHARED

ROOT = Path(__file__).resolve().parents[2]
FACES = SHARED / "data" / "faces"
# A few London identities (neutral = gallery, smiling = probe).
IDS = ["001", "010", "027", "045", "090"]


@functools.cache
def embedding(rel: str) -> np.ndarray | None:
    found = find_face((FACES / rel).read_bytes())
    return None if found.embedding is None else np.asarray(found.embedding.vector)


def neutral(i: str) -> str:
    return f"london/neutral/{i}_03.jpg"


def smiling(i: str) -> str:
    return f"london/smiling/{i}_08.jpg"


@functools.cache
def stored() -> dict:
    text = resources.files("reunite").joinpath("data/evidence/face_calibration.json").read_text(encoding="utf-8")
    return json.loads(text)


# ---------------------------------------------------------------------------------------------
# Detection and embedding


def test_the_astronaut_has_one_face_embedded_from_bytes_a_path_or_a_pil_image():
    path = FACES / "astronaut_eileen_collins.jpg"
    found = find_face(path.read_bytes())
    assert found.embedding is not None and found.faces >= 1 and found.reason == ""
    emb = found.embedding
    assert emb.vector.shape == (128,) and not emb.vector.flags.writeable
    w, h = emb.image_size
    left, top, right, bottom = emb.box
    assert 0 <= left < right <= w and 0 <= top < bottom <= h
    assert (right - left) * (bottom - top) > 0.02 * w * h  # the portrait's face, not a speck
    same = face_embedding(path)
    assert same is not None and face_score(same, emb) < 1e-6
    pil = face_embedding(Image.open(path))
    assert pil is not None and face_score(pil, emb) < 1e-6


def test_a_london_photograph_has_a_face():
    assert embedding(neutral(IDS[0])) is not None


def test_a_blank_image_has_no_face_and_says_why_in_both_languages():
    buf = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 200, 200)).save(buf, format="PNG")
    found = find_face(buf.getvalue())
    assert found.embedding is None and found.faces == 0
    assert "no face" in found.reason and "人脸" in found.reason_zh
    assert face_embedding(buf.getvalue()) is None


def test_a_small_photograph_is_enlarged_before_giving_up():
    img = Image.open(FACES / neutral(IDS[1])).convert("RGB").resize((96, 96), Image.Resampling.LANCZOS)
    emb = face_embedding(img)
    assert emb is not None and emb.image_size == (96, 96)
    assert face_score(emb, embedding(neutral(IDS[1]))) < 0.45


@pytest.mark.parametrize("bad", [b"not an image", b"", 42])
def test_what_is_not_an_image_is_refused(bad):
    with pytest.raises(InputError, match="image"):
        find_face(bad)


def test_a_huge_image_is_refused_before_it_is_decoded():
    with pytest.raises(InputError, match="too large"):
        find_face(Image.new("1", (7000, 7000)))


def test_face_score_checks_its_inputs():
    with pytest.raises(InputError, match="128"):
        face_score([0.0] * 3, [0.0] * 128)
    with pytest.raises(InputError, match="128"):
        face_score([math.nan] * 128, [0.0] * 128)
    assert face_score([0.0] * 128, [0.0] * 127 + [0.5]) == pytest.approx(0.5)


# ---------------------------------------------------------------------------------------------
# Genuine pairs score better than impostors (measured on the full set: rank-1 1.0; see the benchmark)


def test_each_smiling_probe_is_nearest_to_its_own_neutral_photograph():
    gallery = [embedding(neutral(i)) for i in IDS]
    for k, i in enumerate(IDS):
        d = [face_score(embedding(smiling(i)), g) for g in gallery]
        assert int(np.argmin(d)) == k
        assert d[k] < 0.45 < min(x for j, x in enumerate(d) if j != k)


def test_the_stored_distances_rank_the_same_person_first_as_measured():
    data = stored()
    d = np.array(data["distances"]["values"], dtype=float)
    n = d.shape[0]
    assert n == 102 == len(data["identities"])
    rank1 = np.mean(np.argmin(d, axis=1) == np.arange(n))
    assert rank1 >= 0.95  # measured 1.00 (docs/evidence-faces.md)
    genuine, impostor = np.diag(d), d[~np.eye(n, dtype=bool)]
    assert np.median(genuine) < np.quantile(impostor, 0.01)


# ---------------------------------------------------------------------------------------------
# The calibration file is what the script computes


def test_the_calibration_replays_from_its_stored_distances():
    data = stored()
    d = np.array(data["distances"]["values"], dtype=float)
    groups = data["groups"]
    same = np.array([[a is not None and a == b for b in groups] for a in groups])
    eye = np.eye(len(groups), dtype=bool)
    fit = fit_calibration(d[eye], d[~eye & same])
    assert fit == pytest.approx(data["fit"], rel=1e-12, abs=1e-12)
    assert data["fit_on"]["genuine_pairs"] == 102 and data["fit_on"]["impostor_pairs"] == int((~eye & same).sum())
    assert "benchmarks/faces.py --write-calibration" in data["produced_by"]
    cal = FaceCalibration.default()
    assert (cal.intercept_log10, cal.slope_log10) == (data["fit"]["intercept_log10"], data["fit"]["slope_log10"])


def test_the_stored_distances_are_those_of_the_photographs():
    data = stored()
    index = {name.removeprefix("london_"): k for k, name in enumerate(data["identities"])}
    d = data["distances"]["values"]
    for a in IDS[:3]:
        for b in IDS[:3]:
            live = face_score(embedding(smiling(a)), embedding(neutral(b)))
            assert live == pytest.approx(d[index[a]][index[b]], abs=2e-3)


# ---------------------------------------------------------------------------------------------
# The LR


def test_the_lr_falls_as_the_distance_grows_and_is_capped():
    scores = np.linspace(0.0, 1.5, 301)
    logs = [face_lr(s, age_band="adult").log10_lr for s in scores]
    assert all(b <= a for a, b in itertools.pairwise(logs))
    assert max(logs) == pytest.approx(1.0) and min(logs) == pytest.approx(-0.5)
    typical_genuine, typical_impostor = face_lr(0.25, age_band="adult"), face_lr(0.85, age_band="adult")
    assert typical_genuine.lr == pytest.approx(10.0) and typical_impostor.lr == pytest.approx(10 ** -0.5)
    assert "capped" in typical_genuine.sentence and "上限" in typical_genuine.sentence_zh
    assert "only weakens" in typical_impostor.sentence


@given(st.floats(0, 2), st.floats(0, 2), st.sampled_from(["infant", "child", "adolescent", "adult", None]),
       st.floats(0, 60))
def test_the_lr_is_monotone_and_bounded_in_every_band(a, b, band, gap):
    lo, hi = sorted((a, b))
    near, far = face_lr(lo, age_band=band, age_gap_years=gap), face_lr(hi, age_band=band, age_gap_years=gap)
    assert far.log10_lr <= near.log10_lr
    assert -0.5 - 1e-12 <= far.log10_lr <= near.log10_lr <= 1.0 + 1e-12
    assert math.isclose(near.lr, 10 ** near.log10_lr)


def test_the_lr_shrinks_toward_one_for_infants_and_age_gaps():
    adult = face_lr(0.2, age_band="adult").log10_lr
    infant = face_lr(0.2, age_band="infant").log10_lr
    child = face_lr(0.2, age_band=6).log10_lr
    assert infant == pytest.approx(adult * BAND_WEIGHTS["infant"])
    assert 0 < infant < child < adult
    assert face_lr(0.2, age_band=0.7).log10_lr == pytest.approx(infant)
    assert face_lr(0.2).log10_lr == pytest.approx(infant)  # age not stated: the least informative band
    assert face_lr(0.2, age_band="adult", age_gap_years=2).log10_lr == pytest.approx(adult / 2)
    far = face_lr(0.2, age_band="infant", age_gap_years=20)
    assert abs(far.log10_lr) < 1e-3 and far.lr == pytest.approx(1.0, abs=3e-3)
    assert 10 ** -0.05 - 1e-12 <= face_lr(1.2, age_band="infant").lr <= 1.0


def test_no_face_gives_lr_one():
    item = face_lr(None, age_band="adult")
    assert item.lr == 1.0 and item.log10_lr == 0.0 and "No face" in item.sentence


def test_a_face_alone_cannot_decide_and_fuses_like_any_evidence():
    best = face_lr(0.0, age_band="adult")
    post = fuse([best], prior=1 / 1000)
    assert post.probability < 0.01
    d = best.as_dict()
    assert d["kind"] == "face" and d["sentence_zh"].startswith("照片证据") and "never decides" in d["sentence"]
    assert d["parameters"]["age_band"] == "adult" and d["observed"]["distance"] == 0.0


@pytest.mark.parametrize(("kwargs", "field"), [({"score": -0.1}, "score"), ({"score": "x"}, "score"),
                                               ({"score": 0.3, "age_band": "toddler"}, "age_band"),
                                               ({"score": 0.3, "age_gap_years": -1}, "age_gap_years")])
def test_bad_lr_inputs_name_their_field(kwargs, field):
    with pytest.raises(InputError, match=field):
        face_lr(**kwargs)


def test_a_calibration_that_rewards_distance_is_refused():
    with pytest.raises(InputError, match="negative"):
        FaceCalibration(0.0, 1.0)


# ---------------------------------------------------------------------------------------------
# The extra


def test_faces_is_an_extra_the_tests_install():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {d.split(">")[0].split("[")[0].strip() for d in project["dependencies"]}
    assert not names & {"dlib", "dlib-bin", "face-recognition-models"}
    assert {d.split(">")[0] for d in project["optional-dependencies"]["faces"]} == {"dlib-bin",
                                                                                  "face-recognition-models"}
    assert "reunite[faces]" in project["optional-dependencies"]["test"]


def test_the_evidence_layer_imports_without_dlib():
    code = "import sys, reunite.evidence, reunite.evidence.face\nprint('dlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("missing", ["dlib", "face_recognition_models"])
def test_without_the_extra_the_error_names_it(monkeypatch, missing):
    face_mod._dlib_models.cache_clear()
    monkeypatch.setitem(sys.modules, missing, None)
    try:
        with pytest.raises(ImportError, match=r"pip install 'reunite\[faces\]'"):
            find_face((FACES / "astronaut_eileen_collins.jpg").read_bytes())
    finally:
        face_mod._dlib_models.cache_clear()
