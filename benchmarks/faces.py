"""Face detection, embedding and calibration on the licensed adult face set (../shared/data/faces).

    python benchmarks/faces.py                       # every condition (clean and four degradations)
    python benchmarks/faces.py --quick               # clean photographs only (the smoke test)
    python benchmarks/faces.py --write-calibration src/reunite/data/evidence/face_calibration.json

Probes are the 102 smiling photographs of the London set, the gallery its 102 neutral ones (same
people, same session): 102 same-person and 10,302 different-person pairs.  Printed as JSON:

* detection: probes and gallery photographs without a face;
* rank-1: share of probes whose nearest gallery face (Euclidean distance of the embeddings) is
  the same person (a probe without a face counts as a miss);
* the quantiles of the same-person (genuine) and different-person (impostor) distances, the
  equal error rate, the false match / false non-match rates at distances 0.4, 0.5 and 0.6, and
  the true match rate at a false match rate of 0.1 % (the figure published for infants);
* Cllr of the calibrated LR and its rates of misleading evidence, cross-validated: the
  identities are split in halves (10 seeded splits, each half in turn the training half), the
  calibration is fitted on the pairs within one half (same-person pairs against different-person
  pairs of the same gender and ethnicity, as the shipped one) and scored on the pairs within the
  other (all impostors, and those of the same gender and ethnicity); uncapped, with the shipped
  floor and cap (log10 LR in [-0.5, 1]) and with a symmetric cap (log10 LR in [-1, 1]);
* the same under degradations of the probes made in code (never stored): shrunk to 64 px, a
  Gaussian blur of radius 4 px, grayscale, JPEG quality 20; the calibration is always fitted on
  clean training pairs, so the degraded Cllr also measures the mismatch;
* impostor distances of pairs of the same gender and ethnicity against the others;
* seconds per embedding (detection + alignment + embedding, one core of a shared machine).

``--write-calibration PATH`` fits the shipped calibration on all clean pairs and writes it with
every distance it was fitted on (rounded to 1e-5, the values the fit used), so that
``reunite.evidence.face.fit_calibration`` replays it exactly.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from reunite import __version__
from reunite.evidence.calibration import cllr
from reunite.evidence.face import (
    DEFAULT_CAP_LOG10,
    DEFAULT_FLOOR_LOG10,
    FaceCalibration,
    find_face,
    fit_calibration,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FACES = Path(os.environ.get("REUNITE_SHARED", ROOT.parent / "shared")) / "data" / "faces"
THRESHOLDS = (0.4, 0.5, 0.6)
QUANTILES = (0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0)
SPLITS = 10
ROUND = 5


def _shrink(img: Image.Image) -> Image.Image:
    s = 64 / max(img.size)
    return img.resize((max(1, round(img.width * s)), max(1, round(img.height * s))), Image.Resampling.LANCZOS)


def _jpeg(img: Image.Image) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=20)
    return Image.open(io.BytesIO(buf.getvalue()))


DEGRADATIONS = {
    "clean": lambda img: img,
    "shrink_64px": _shrink,
    "blur_r4": lambda img: img.filter(ImageFilter.GaussianBlur(4)),
    "grayscale": lambda img: img.convert("L").convert("RGB"),
    "jpeg_q20": _jpeg,
}


def london(faces: Path) -> tuple[list[str], dict[str, Path], dict[str, Path], dict[str, tuple[str, str]]]:
    ids, neutral, smiling = [], {}, {}
    with open(faces / "manifest.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if not row["path"].startswith("london/"):
                continue
            key = row["identity"]
            (neutral if row["condition"] == "neutral" else smiling)[key] = faces / row["path"]
    ids = sorted(set(neutral) & set(smiling))
    info = {}
    with open(faces / "london" / "london_info.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            info[f"london_{row['face_id']}"] = (row["face_gender"], row["face_eth"])
    return ids, neutral, smiling, info


def embed_all(paths: list[Path], degrade) -> tuple[list[np.ndarray | None], list[float]]:
    out, times = [], []
    for p in paths:
        img = degrade(Image.open(p).convert("RGB"))
        t = time.perf_counter()
        found = find_face(img)
        times.append(time.perf_counter() - t)
        out.append(None if found.embedding is None else np.asarray(found.embedding.vector))
    return out, times


def distances(probes: list, gallery: list) -> np.ndarray:
    """Probe × gallery distances; NaN where either photograph has no face."""
    d = np.full((len(probes), len(gallery)), np.nan)
    for i, p in enumerate(probes):
        if p is None:
            continue
        for j, g in enumerate(gallery):
            if g is not None:
                d[i, j] = float(np.linalg.norm(p - g))
    return d


def pairs(d: np.ndarray, rows=None, same: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(genuine, impostor) distances among the identities ``rows`` (all by default), faces only.

    With ``same`` (identities × identities, True where two people share gender and ethnicity),
    only the impostor pairs of the same group are kept.
    """
    idx = np.arange(d.shape[0]) if rows is None else np.asarray(rows)
    sub = d[np.ix_(idx, idx)]
    eye = np.eye(len(idx), dtype=bool)
    keep = ~eye if same is None else (~eye & same[np.ix_(idx, idx)])
    g, i = sub[eye], sub[keep]
    return g[~np.isnan(g)], i[~np.isnan(i)]


def rank1(d: np.ndarray) -> float:
    hits = 0
    for k in range(d.shape[0]):
        row = d[k]
        if np.isnan(row[k]):
            continue
        hits += int(np.nanargmin(row) == k)
    return hits / d.shape[0]


def eer(g: np.ndarray, i: np.ndarray) -> tuple[float, float]:
    """(equal error rate, the distance at which it holds)."""
    best = (2.0, 0.0, 1.0)
    for t in np.unique(np.concatenate([g, i])):
        fnmr = float(np.mean(g > t))
        fmr = float(np.mean(i <= t))
        gap = abs(fnmr - fmr)
        if gap < best[0]:
            best = (gap, t, (fnmr + fmr) / 2)
    return best[2], float(best[1])


def tmr_at_fmr(g: np.ndarray, i: np.ndarray, fmr: float) -> tuple[float, float]:
    t = float(np.quantile(i, fmr, method="lower"))
    return float(np.mean(g <= t)), t


def quantiles(x: np.ndarray) -> dict:
    return {f"q{int(q * 100):02d}": round(float(np.quantile(x, q)), 4) for q in QUANTILES}


def cross_validated_cllr(clean: np.ndarray, test: np.ndarray, same: np.ndarray, cap: tuple[float, float]) -> dict:
    """Mean Cllr over the splits, the calibration fitted on clean same-group pairs of one half and
    scored on the other half's pairs: all impostors, and those of the same gender and ethnicity."""
    n = clean.shape[0]
    out: dict[str, list[float]] = {}
    for seed in range(SPLITS):
        perm = np.random.default_rng(seed).permutation(n)
        halves = (perm[: n // 2], perm[n // 2:])
        for a, b in ((0, 1), (1, 0)):
            fit = fit_calibration(*pairs(clean, halves[a], same))
            for label, mask in (("all_impostors", None), ("same_group_impostors", same)):
                g, i = pairs(test, halves[b], mask)
                lg = fit["intercept_log10"] + fit["slope_log10"] * g
                li = fit["intercept_log10"] + fit["slope_log10"] * i
                out.setdefault(f"cllr_uncapped_{label}", []).append(cllr(lg, li))
                out.setdefault(f"cllr_capped_{label}", []).append(cllr(np.clip(lg, *cap), np.clip(li, *cap)))
                out.setdefault(f"cllr_symmetric_cap_{label}", []).append(cllr(np.clip(lg, -1, 1), np.clip(li, -1, 1)))
                out.setdefault(f"misleading_genuine_lr_below_1_{label}", []).append(float(np.mean(lg < 0)))
                out.setdefault(f"misleading_impostor_lr_above_1_{label}", []).append(float(np.mean(li > 0)))
    return {k: round(statistics.mean(v), 4) for k, v in out.items()} | {"splits": 2 * SPLITS}


def evaluate(d: np.ndarray, clean: np.ndarray, same: np.ndarray, cap: tuple[float, float]) -> dict:
    g, i = pairs(d)
    e, t = eer(g, i)
    tmr, t001 = tmr_at_fmr(g, i, 0.001)
    return {
        "probes_without_face": int(np.all(np.isnan(d), axis=1).sum()),
        "rank1": round(rank1(d), 4),
        "genuine_pairs": int(g.size), "impostor_pairs": int(i.size),
        "genuine_quantiles": quantiles(g), "impostor_quantiles": quantiles(i),
        "eer": round(e, 4), "eer_distance": round(t, 4),
        "at_distance": {f"{th:g}": {"fmr": round(float(np.mean(i <= th)), 5),
                                    "fnmr": round(float(np.mean(g > th)), 4)} for th in THRESHOLDS},
        "tmr_at_fmr_0.1%": round(tmr, 4), "distance_at_fmr_0.1%": round(t001, 4),
        **cross_validated_cllr(clean, d, same, cap),
    }


def demographics(d: np.ndarray, ids: list[str], info: dict) -> dict:
    same, other = [], []
    for a, ia in enumerate(ids):
        for b, ib in enumerate(ids):
            if a != b and not np.isnan(d[a, b]):
                (same if info.get(ia) == info.get(ib) else other).append(d[a, b])
    return {"impostor_same_gender_ethnicity": {"pairs": len(same), "median": round(float(np.median(same)), 4),
                                               "q01": round(float(np.quantile(same, 0.01)), 4)},
            "impostor_other": {"pairs": len(other), "median": round(float(np.median(other)), 4),
                               "q01": round(float(np.quantile(other, 0.01)), 4)}}


def write_calibration(path: Path, faces: Path, ids: list[str], groups: list, d: np.ndarray) -> dict:
    import dlib

    rounded = np.round(d, ROUND)
    same = np.array([[a is not None and a == b for b in groups] for a in groups])
    g, i = pairs(rounded, None, same)
    fit = fit_calibration(g, i)
    data = {
        "about": ("Face calibration of reunite.evidence.face: Platt scaling (logistic regression of 'same person' "
                  "on the Euclidean embedding distance, classes weighted equally, Platt's smoothed targets), "
                  "log10 LR = intercept_log10 + slope_log10 × distance; then the rules (cap, shrinkage toward 1 "
                  "for children and age gaps: stated choices, not fitted). Written by a script, never by hand."),
        "source": "London set (DeBruine & Jones 2017, CC BY 4.0): 102 adults, smiling probe vs neutral gallery",
        "produced_by": "python benchmarks/faces.py --write-calibration " + str(path.relative_to(ROOT)
                                                                            if path.is_relative_to(ROOT) else path),
        "reunite_version": __version__,
        "dlib_version": dlib.__version__,
        "dataset_sha256sums_sha256": hashlib.sha256((faces / "SHA256SUMS").read_bytes()).hexdigest(),
        "fit": fit,
        "fit_on": {"genuine_pairs": int(g.size), "impostor_pairs": int(i.size),
                   "impostors": "pairs of different people of the same gender and ethnicity (london_info.csv): "
                                "sex is an LR of its own, and a found child's candidates are mostly of its own "
                                "ethnicity, so pairs across groups would overstate the face LR"},
        "rules": FaceCalibration(fit["intercept_log10"], fit["slope_log10"]).parameters() | {},
        "identities": ids,
        "groups": ["/".join(x) if x else None for x in groups],
        "distance_decimals": ROUND,
        "distances": {"rows": "smiling probe (identities in order)", "columns": "neutral gallery (same order)",
                      "values": "__VALUES__"},
    }
    for key in ("intercept_log10", "slope_log10"):
        data["rules"].pop(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = ",\n   ".join(json.dumps([None if math.isnan(x) else float(x) for x in row]) for row in rounded)
    text = json.dumps(data, ensure_ascii=False, indent=1).replace('"__VALUES__"', "[\n   " + rows + "\n  ]")
    path.write_text(text + "\n", encoding="utf-8")
    return fit


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--faces", type=Path, default=DEFAULT_FACES, help="the face set (default ../shared/data/faces)")
    ap.add_argument("--quick", action="store_true", help="clean photographs only")
    ap.add_argument("--write-calibration", type=Path, metavar="PATH", help="fit on all clean pairs and write PATH")
    args = ap.parse_args(argv)
    ids, neutral, smiling, info = london(args.faces)
    cap = (DEFAULT_FLOOR_LOG10, DEFAULT_CAP_LOG10)
    groups = [info.get(k) for k in ids]
    same = np.array([[a is not None and a == b for b in groups] for a in groups])
    gallery, g_times = embed_all([neutral[k] for k in ids], DEGRADATIONS["clean"])
    conditions = ["clean"] if args.quick or args.write_calibration else list(DEGRADATIONS)
    results, clean = {}, None
    for name in conditions:
        probes, p_times = embed_all([smiling[k] for k in ids], DEGRADATIONS[name])
        d = distances(probes, gallery)
        if name == "clean":
            clean = d
            times = g_times + p_times
        else:
            times = p_times
        results[name] = evaluate(d, clean, same, cap) | {
            "seconds_per_embedding": {"median": round(statistics.median(times), 4),
                                      "mean": round(statistics.mean(times), 4)}}
        print(f"{name}: done", file=sys.stderr, flush=True)
    out = {
        "benchmark": "faces",
        "identities": len(ids),
        "gallery_without_face": sum(x is None for x in gallery),
        "conditions": results,
        "demographics_clean": demographics(clean, ids, info),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                    "load_average": [round(x, 2) for x in os.getloadavg()]},
    }
    if args.write_calibration:
        out["calibration"] = write_calibration(args.write_calibration.resolve(), args.faces, ids, groups, clean)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
