"""The face likelihood ratio: how alike two photographs' faces are, turned into a capped, shrunk LR.

Model
-----
* **Detector and embedder** (the ``faces`` extra: ``pip install 'reunite[faces]'``): dlib's HOG
  frontal face detector (built into dlib, Boost Software License), dlib's 5-point shape predictor
  for alignment and dlib's ResNet face embedding (``dlib_face_recognition_resnet_model_v1``, a
  128-dimensional vector trained so that photographs of one person lie within a Euclidean
  distance of about 0.6).  Both model files ship inside the PyPI package ``face-recognition-models``
  and were released into the public domain by their author (Davis King, dlib-models); nothing is
  downloaded at run time.  The 68-point predictor in the same package is not used: it was
  trained on iBUG 300-W, whose licence excludes commercial use.  The largest face of an image is
  embedded; images with no face give no embedding and a reason (:func:`find_face`).
* **Score**: the Euclidean distance between two embeddings (:func:`face_score`; 0 = identical,
  lower = more alike).
* **Calibration**: Platt scaling. A logistic regression of "same person" on the distance, fitted
  on same-person and different-person pairs with each class weighted to the same total weight
  (so the fitted log-odds is a log LR, not a posterior) and Platt's smoothed targets
  ((N₊ + 1)/(N₊ + 2) for same-person pairs, 1/(N₋ + 2) for different-person pairs, which keeps the
  fit finite when the two classes do not overlap): log10 LR(d) = intercept + slope × d, slope < 0,
  so the LR falls as the distance grows.  The shipped parameters
  (``reunite/data/evidence/face_calibration.json``) were fitted by ``benchmarks/faces.py
  --write-calibration`` on the London set (adults, smiling against neutral, one session): its 102
  same-person pairs against the 2,460 different-person pairs of the same gender and ethnicity
  (sex is an LR of its own, and a found child's candidates are mostly of its own ethnicity;
  pairs across groups lie farther apart and would overstate the LR).  The file keeps every
  distance of the set, so the fit can be replayed (:func:`fit_calibration`).
* **Cap and floor**: the calibrated log10 LR is clipped to [``floor_log10``, ``cap_log10``]
  (defaults -0.5 and 1: LR in [0.32, 10]).  The calibration set is same-session adult
  photographs, the easiest case there is; the photographs of a case differ in age, camera, light
  and pose, so no face comparison is allowed more than one step of the ENFSI verbal scale, and a
  face alone can never decide a match.  The floor is higher than 1/10 because poor photographs
  mislead one way only (measured, docs/evidence-faces.md): shrunk to 64 px or blurred, the same
  person's photographs drift apart (median distance 0.23 → 0.45 and 0.42) and half or a third of
  them would get the clean calibration's LR 1/10, while different people do not drift together
  (the 1 % quantile of their distances stays above 0.6).  So a face that does not look alike
  weakens a match at most about threefold.
* **Shrinkage toward 1** where no licensed data exist (children, age gaps): the clipped log10
  LR is multiplied by a weight w = w_band × w_gap ≤ 1.  w_band is 1 for adults (the calibrated
  case), 0.5 for adolescents (12–17 years), 0.25 for children (2–11) and 0.1 for infants (under
  2 years) and when the age is not stated; w_gap = 0.5^(gap / 2 years) (the weight halves with
  every two years between the two photographs).  These are stated, conservative choices, not
  fitted values: the best published models match only about a third of same-infant pairs at a
  0.1 % false match rate (adults: nearly all), so an infant's face is given a tenth of an
  adult's weight in log10, i.e. an LR of at most 10^0.1 ≈ 1.26.

A pure module of the evidence layer: numpy, Pillow and dlib (imported when a photograph is first
read, so the layer imports without the extra); no store, web or report.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import json
import math
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ._bilingual import BilingualItem
from ._common import fail, number
from .marks import mark_name

__all__ = [
    "AGE_BANDS",
    "BAND_WEIGHTS",
    "DEFAULT_CAP_LOG10",
    "DEFAULT_FLOOR_LOG10",
    "DEFAULT_GAP_HALF_LIFE_YEARS",
    "EMBEDDING_MODEL",
    "FACES_INSTALL_HINT",
    "MAX_IMAGE_PIXELS",
    "Embedding",
    "FaceCalibration",
    "FaceFinding",
    "age_band_of",
    "face_embedding",
    "face_lr",
    "face_score",
    "faces_available",
    "find_face",
    "fit_calibration",
]

FACES_INSTALL_HINT = "pip install 'reunite[faces]'"
EMBEDDING_MODEL = ("dlib HOG frontal face detector + shape_predictor_5_face_landmarks + "
                   "dlib_face_recognition_resnet_model_v1 (128-d), from the face-recognition-models package")
#: Largest image accepted (pixels); a larger one is refused before it is decoded.
MAX_IMAGE_PIXELS = 40_000_000
#: Images are shrunk to this longer side before detection (faces stay large; time stays bounded).
_MAX_SIDE = 1600
#: Images whose longer side is below this are enlarged to it when no face is found at first.
_SMALL_SIDE = 640
# dlib's detector and networks are not documented as thread-safe: one photograph at a time.
_DLIB_LOCK = threading.Lock()

AGE_BANDS = ("infant", "child", "adolescent", "adult")
#: log10-LR weight of each age band (of the younger face): a stated, conservative rule, not a fit.
BAND_WEIGHTS: Mapping[str, float] = {"infant": 0.1, "child": 0.25, "adolescent": 0.5, "adult": 1.0,
                                     "unknown": 0.1}
DEFAULT_CAP_LOG10 = 1.0
DEFAULT_FLOOR_LOG10 = -0.5
DEFAULT_GAP_HALF_LIFE_YEARS = 2.0

_BAND_ZH = {"infant": "婴儿", "child": "儿童", "adolescent": "青少年", "adult": "成年人", "unknown": "年龄未知"}
MODEL = ("score = Euclidean distance of dlib ResNet face embeddings; log10 LR = intercept + slope × distance "
         "(Platt scaling on same-person / different-person adult pairs, classes weighted equally), clipped to "
         "[floor_log10, cap_log10], then multiplied by w_band × 0.5^(age gap / half-life) toward LR 1")


# ---------------------------------------------------------------------------------------------
# The detector and embedder (the `faces` extra)


def _models_dir() -> Path:
    try:
        spec = importlib.util.find_spec("face_recognition_models")
    except (ImportError, ValueError):  # blocked or half-installed
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"the face models are not installed: {FACES_INSTALL_HINT} "
                          "(installs dlib-bin and face-recognition-models)")
    # found without importing the package, whose __init__ needs pkg_resources
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def faces_available() -> bool:
    """Whether the ``faces`` extra is installed (dlib and the model files), found without importing either."""
    try:
        _models_dir()
        return importlib.util.find_spec("dlib") is not None
    except (ImportError, ValueError):
        return False


@functools.lru_cache(maxsize=1)
def _dlib_models():
    try:
        import dlib
    except ImportError as exc:
        raise ImportError(f"face comparison needs dlib: {FACES_INSTALL_HINT} "
                          "(installs dlib-bin and face-recognition-models)") from exc
    models = _models_dir()
    paths = {name: models / f"{name}.dat" for name in
             ("shape_predictor_5_face_landmarks", "dlib_face_recognition_resnet_model_v1")}
    missing = [p.name for p in paths.values() if not p.is_file()]
    if missing:
        raise ImportError(f"the face model files {missing} are missing from face-recognition-models: "
                          f"reinstall with {FACES_INSTALL_HINT}")
    return (dlib.get_frontal_face_detector(),
            dlib.shape_predictor(os.fspath(paths["shape_predictor_5_face_landmarks"])),
            dlib.face_recognition_model_v1(os.fspath(paths["dlib_face_recognition_resnet_model_v1"])))


@dataclass(frozen=True)
class Embedding:
    """A face's 128-dimensional embedding (read-only), the face's box in the image and the model used.

    ``box`` is (left, top, right, bottom) in the pixels of the image as given (after its EXIF
    orientation); ``detector_score`` is the HOG detector's confidence (above 0 is a detection).
    """

    vector: np.ndarray
    box: tuple[int, int, int, int]
    image_size: tuple[int, int]
    detector_score: float
    model: str = EMBEDDING_MODEL

    def as_dict(self) -> dict:
        return {"vector": [float(x) for x in self.vector], "box": list(self.box), "image_size": list(self.image_size),
                "detector_score": self.detector_score, "model": self.model}


@dataclass(frozen=True)
class FaceFinding:
    """What :func:`find_face` found: the embedding of the largest face, or None and the reason."""

    embedding: Embedding | None
    faces: int
    reason: str = ""
    reason_zh: str = ""


def _open_image(image: object):
    if isinstance(image, Image.Image):
        img = image
    else:
        if isinstance(image, (bytes, bytearray, memoryview)):
            source: object = io.BytesIO(bytes(image))
        elif isinstance(image, (str, os.PathLike)):
            source = os.fspath(image)
        else:
            raise fail("image", "must be image bytes, a path or a PIL image")
        try:
            img = Image.open(source)  # reads the header only
        except (UnidentifiedImageError, OSError, ValueError):
            raise fail("image", "is not an image Pillow can read (JPEG, PNG, WebP, …)") from None
    w, h = img.size
    if w < 1 or h < 1:
        raise fail("image", "is empty (no pixels)")
    if w * h > MAX_IMAGE_PIXELS:
        raise fail("image", f"is too large ({w}×{h} pixels; at most {MAX_IMAGE_PIXELS:,} pixels): shrink it first")
    try:
        img = ImageOps.exif_transpose(img).convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        raise fail("image", "could not be decoded (a truncated or damaged image file)") from None
    return img


def _detect(detector, pixels: np.ndarray):
    rects, scores, _ = detector.run(pixels, 1, 0.0)
    return list(zip(rects, scores, strict=True))


def find_face(image: object) -> FaceFinding:
    """Detect faces in ``image`` (bytes, a path or a PIL image) and embed the largest one.

    Raises :class:`~reunite.errors.InputError` when ``image`` is not a readable image or is too
    large, and ImportError with the install hint when the ``faces`` extra is missing.
    """
    img = _open_image(image)
    detector, shaper, embedder = _dlib_models()
    with _DLIB_LOCK:
        return _find(img, detector, shaper, embedder)


def _find(img: Image.Image, detector, shaper, embedder) -> FaceFinding:
    size = img.size
    scale = 1.0
    if max(size) > _MAX_SIDE:
        scale = _MAX_SIDE / max(size)
    elif max(size) < _SMALL_SIDE:
        scale = None  # enlarge only if nothing is found at the image's own size
    work = img if scale in (1.0, None) else img.resize((round(size[0] * scale), round(size[1] * scale)),
                                                       Image.Resampling.LANCZOS)
    pixels = np.asarray(work)
    found = _detect(detector, pixels)
    if not found and scale is None:
        scale = _SMALL_SIDE / max(size)
        work = img.resize((max(1, round(size[0] * scale)), max(1, round(size[1] * scale))), Image.Resampling.BICUBIC)
        pixels = np.asarray(work)
        found = _detect(detector, pixels)
    scale = scale or 1.0
    if not found:
        return FaceFinding(None, 0, "no face was found in the photograph (a face seen from the front is needed, "
                                    "not too small, blurred or turned away)",
                           "照片中未检测到人脸（需要正面人脸，且不过小、不模糊、未侧转）")
    rect, score = max(found, key=lambda rs: rs[0].width() * rs[0].height())
    shape = shaper(pixels, rect)
    vector = np.asarray(embedder.compute_face_descriptor(pixels, shape), dtype=np.float64)
    vector.setflags(write=False)
    box = tuple(round(v / scale) for v in (rect.left(), rect.top(), rect.right(), rect.bottom()))
    return FaceFinding(Embedding(vector, box, size, float(score)), len(found))


def face_embedding(image: object) -> Embedding | None:
    """The embedding of the largest face in ``image``, or None when there is no face (:func:`find_face` says why)."""
    return find_face(image).embedding


def _vector(value: object, field_name: str) -> np.ndarray:
    vec = value.vector if isinstance(value, Embedding) else value
    try:
        arr = np.asarray(vec, dtype=np.float64)
    except (TypeError, ValueError):
        raise fail(field_name, "must be a face embedding (128 numbers)") from None
    if arr.shape != (128,) or not np.all(np.isfinite(arr)):
        raise fail(field_name, "must be a face embedding (128 finite numbers)")
    return arr


def face_score(a: object, b: object) -> float:
    """The Euclidean distance between two face embeddings (0 = identical; lower = more alike).

    Same-person adult pairs of the London set lie around 0.3–0.5, different people around 0.7–1.0
    (see docs/evidence-faces.md); dlib's model was trained to put one person within 0.6.
    """
    return float(np.linalg.norm(_vector(a, "a") - _vector(b, "b")))


# ---------------------------------------------------------------------------------------------
# Calibration


def fit_calibration(genuine: Sequence[float], impostor: Sequence[float], *, iterations: int = 100) -> dict:
    """Platt scaling of distances to log10 LRs (see the module): {"intercept_log10", "slope_log10"}.

    ``genuine`` are the distances of same-person pairs, ``impostor`` of different-person pairs.
    Each class gets the same total weight, so the fitted log-odds is a log LR; Platt's smoothed
    targets keep the fit finite when the classes are separated.  Deterministic (Newton's method
    from a fixed start), so a calibration file can be replayed exactly.
    """
    g = np.asarray(genuine, dtype=np.float64)
    i = np.asarray(impostor, dtype=np.float64)
    if g.size < 2 or i.size < 2:
        raise fail("genuine", "needs at least two same-person and two different-person distances")
    s = np.concatenate([g, i])
    t = np.concatenate([np.full(g.size, (g.size + 1.0) / (g.size + 2.0)), np.full(i.size, 1.0 / (i.size + 2.0))])
    w = np.concatenate([np.full(g.size, 0.5 / g.size), np.full(i.size, 0.5 / i.size)])
    x = np.stack([np.ones_like(s), s], axis=1)
    beta = np.zeros(2)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        grad = x.T @ (w * (p - t))
        hess = x.T @ (x * (w * p * (1.0 - p))[:, None])
        step = np.linalg.solve(hess, grad)
        beta = beta - step
        if np.max(np.abs(step)) < 1e-12:
            break
    return {"intercept_log10": float(beta[0] / math.log(10.0)), "slope_log10": float(beta[1] / math.log(10.0))}


@dataclass(frozen=True)
class FaceCalibration:
    """A fitted face calibration and the rules applied after it (cap, shrinkage toward 1).

    :meth:`default` loads the one shipped with Reunite; :meth:`log10_lr_uncapped` is the
    calibrated value before the cap and shrinkage (what the Cllr of the benchmark measures).
    """

    intercept_log10: float
    slope_log10: float
    cap_log10: float = DEFAULT_CAP_LOG10
    floor_log10: float = DEFAULT_FLOOR_LOG10
    band_weights: Mapping[str, float] = field(default_factory=lambda: dict(BAND_WEIGHTS))
    gap_half_life_years: float = DEFAULT_GAP_HALF_LIFE_YEARS
    source: str = ""

    def __post_init__(self) -> None:
        if not self.slope_log10 < 0:
            raise fail("slope_log10", "must be negative (a larger distance must weaken the match)")
        number(self.cap_log10, "cap_log10", lo=0.0)
        number(self.floor_log10, "floor_log10", hi=0.0)
        number(self.gap_half_life_years, "gap_half_life_years", lo=0.0, lo_open=True)
        for band in (*AGE_BANDS, "unknown"):
            number(self.band_weights.get(band), f"band_weights.{band}", lo=0.0, hi=1.0)

    @classmethod
    def default(cls) -> FaceCalibration:
        """The calibration shipped in ``reunite/data/evidence/face_calibration.json``."""
        return _default_calibration()

    @classmethod
    def from_json(cls, data: Mapping) -> FaceCalibration:
        fit = data["fit"]
        rules = data.get("rules", {})
        return cls(float(fit["intercept_log10"]), float(fit["slope_log10"]),
                   float(rules.get("cap_log10", DEFAULT_CAP_LOG10)),
                   float(rules.get("floor_log10", DEFAULT_FLOOR_LOG10)),
                   dict(rules.get("band_weights", BAND_WEIGHTS)),
                   float(rules.get("gap_half_life_years", DEFAULT_GAP_HALF_LIFE_YEARS)),
                   str(data.get("source", "")))

    def log10_lr_uncapped(self, score: float) -> float:
        return self.intercept_log10 + self.slope_log10 * score

    def parameters(self) -> dict:
        return {"intercept_log10": self.intercept_log10, "slope_log10": self.slope_log10,
                "cap_log10": self.cap_log10, "floor_log10": self.floor_log10, "band_weights": dict(self.band_weights),
                "gap_half_life_years": self.gap_half_life_years}


@functools.lru_cache(maxsize=1)
def _default_calibration() -> FaceCalibration:
    text = resources.files("reunite").joinpath("data/evidence/face_calibration.json").read_text(encoding="utf-8")
    return FaceCalibration.from_json(json.loads(text))


# ---------------------------------------------------------------------------------------------
# The LR


def age_band_of(age_years: float) -> str:
    """The age band of an age in years: infant (< 2), child (2–11), adolescent (12–17), adult (18+)."""
    age = number(age_years, "age_years", lo=0.0, hi=120.0)
    if age < 2:
        return "infant"
    if age < 12:
        return "child"
    if age < 18:
        return "adolescent"
    return "adult"


def _band(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, str):
        key = value.strip().lower()
        if key in (*AGE_BANDS, "unknown"):
            return key
        raise fail("age_band", f"must be one of {', '.join(AGE_BANDS)} (or an age in years)")
    return age_band_of(value)


def face_lr(score: object, *, age_band: object = None, age_gap_years: object = None,
            calibration: FaceCalibration | None = None, counted_by_marks: Sequence[str] = ()) -> BilingualItem:
    """The face LR of a distance ``score`` (:func:`face_score`), capped and shrunk toward 1.

    ``age_band`` is the band of the younger face when its photograph was taken (``infant``,
    ``child``, ``adolescent``, ``adult``, or an age in years); not stated, it counts as the least
    informative band (infant).  ``age_gap_years`` is the time between the two photographs (not
    stated: 0).  ``calibration`` defaults to the one shipped (:meth:`FaceCalibration.default`).
    A score of None (a photograph without a face) gives LR 1.

    ``counted_by_marks`` names the facial features the marks item already counts on both records
    (:func:`reunite.evidence.marks.facial_matches`): the likeness of two faces that share a cleft lip
    is partly that cleft, so the face may then only weaken the match (its LR is at most 1), never
    count the feature a second time.
    """
    cal = calibration or FaceCalibration.default()
    band = _band(age_band)
    gap = 0.0 if age_gap_years is None else number(age_gap_years, "age_gap_years", lo=0.0, hi=120.0)
    params = {**cal.parameters(), "age_band": band, "age_gap_years": gap}
    if score is None:
        return BilingualItem("face", 1.0, 0.0, MODEL, params, {},
                            "(No face could be compared, so the photographs say nothing here.)",
                            "（无法比对人脸，照片在此不提供证据。）")
    d = number(score, "score", lo=0.0)
    raw = cal.log10_lr_uncapped(d)
    clipped = min(max(raw, cal.floor_log10), cal.cap_log10)
    w_band = float(cal.band_weights[band])
    w_gap = 0.5 ** (gap / cal.gap_half_life_years)
    log10 = clipped * w_band * w_gap
    facial = [str(f) for f in counted_by_marks]
    discounted = bool(facial) and log10 > 0
    if discounted:
        log10 = 0.0
    if log10 == 0.0:
        log10 = 0.0  # no -0.0
    observed = {"distance": round(d, 6), "log10_lr_calibrated": round(raw, 6), "weight_band": w_band,
                "weight_gap": round(w_gap, 6)}
    why = []
    why_zh = []
    if facial:
        observed["counted_by_marks"] = facial
        params["counted_by_marks_rule"] = "a facial feature both records share is counted by the marks item: LR ≤ 1"
    if discounted:
        why.append("not counted above 1, because the marks item already counts the facial feature both records "
                   f"share ({', '.join(mark_name(f) for f in facial)}), which the likeness of the faces partly is")
        why_zh.append(f"双方记录共有的面部特征（{'、'.join(mark_name(f, 'zh') for f in facial)}）已由体征证据计入，"
                      "照片的相似部分来自该特征，故不再计入大于1的似然比")
    if raw != clipped:
        why.append(f"capped at LR {10 ** cal.cap_log10:.3g}" if raw > 0 else
                   f"limited to LR {10 ** cal.floor_log10:.2g} (a photograph that does not look alike only weakens)")
        why_zh.append(f"已达上限（似然比{10 ** cal.cap_log10:.3g}）" if raw > 0 else
                      f"已限于下限（似然比{10 ** cal.floor_log10:.2g}：照片不像只削弱匹配）")
    if w_band < 1:
        why.append(f"shrunk toward 1 for the {band if band != 'unknown' else 'unstated'} age band "
                   "(no calibration data for children)")
        why_zh.append(f"因{_BAND_ZH[band]}年龄段向1收缩（无儿童校准数据）")
    if gap > 0:
        why.append(f"shrunk for {gap:.1f} years between the photographs")
        why_zh.append(f"因两张照片相隔{gap:.1f}年而收缩")
    note = "(Face comparison: " + "; ".join(why) + ". A face never decides a match alone.)" if why else \
        "(A face never decides a match alone.)"
    note_zh = "（照片比对：" + "；".join(why_zh) + "。照片比对不能单独决定匹配。）" if why_zh else \
        "（照片比对不能单独决定匹配。）"
    return BilingualItem("face", 10.0 ** log10, log10, MODEL, params, observed, note, note_zh)

