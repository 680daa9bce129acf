"""Would all 68 landmarks read the head pose better than the paper's six? (a measure, not the product)

The same faces are read twice, by forensic.features.pose.yaw_pitch on the paper's six points, and by
the same solvePnP set-up on all 68 dlib landmarks against a generic 68-point face: x and y the mean
of the generator's photos (the packaged two and their mirror images) in their face frame, z the
generator's depth table (forensic.synth.faces3d.GENERIC_DEPTH). Faces as a scan finds them:
BlazeFace, then dlib's landmarks.

* AFLW2000-3D (../shared/pose/aflw2000, real faces with labels, our yaw sign), by |yaw| band;
* re-posed generated heads (the four photos, yaw -30..30, pitch -20..10, 100 px wide in 640x480).

For each: the line estimate = gain x truth + offset, the MAE and the correlation. And how stable
each estimate is: a face and its mirror image must read the same pitch and opposite yaws (AFLW
faces under 45 degrees of yaw, and the generator's photos at rest). README quotes it.

    .venv/bin/python benchmarks/pose_points.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pose_accuracy as pa  # noqa: E402

from forensic.features import pose  # noqa: E402
from forensic.features.faces import POINT_INDEX0, FaceFinder  # noqa: E402
from forensic.synth import faces3d  # noqa: E402


def generic_68(models) -> np.ndarray:
    """68 x 3: the photos' mean landmark layout (face frame, MODEL_POINTS units, nose tip at 0)
    and the generator's depths."""
    unit = faces3d.CANON_EYE_PX / faces3d.MODEL_EYE
    shapes = []
    for m in models:
        L = m.landmarks
        right = (L[45] - L[36]) / np.linalg.norm(L[45] - L[36])
        down = np.array([-right[1], right[0]])
        d = L - L[33]
        shapes.append(np.stack([d @ right, d @ down], axis=-1) / unit)
    return np.column_stack([np.mean(shapes, axis=0), faces3d.GENERIC_DEPTH])


def yaw_pitch_68(model68: np.ndarray, landmarks: np.ndarray, w: int, h: int):
    """pose.yaw_pitch (the same solver and starts) on all 68 points against ``model68``."""
    return pose.yaw_pitch(landmarks, w, h, pose.FacePoints(model68, 33, (36, 45)))


def line(truth, est) -> dict:
    t, e = np.asarray(truth, float), np.asarray(est, float)
    (gain, offset), *_ = np.linalg.lstsq(np.column_stack([t, np.ones_like(t)]), e, rcond=None)
    return {
        "gain": round(float(gain), 2),
        "offset": round(float(offset), 1),
        "mae": round(float(np.mean(np.abs(e - t))), 1),
        "r": round(float(np.corrcoef(t, e)[0, 1]), 2),
    }


def both(rows) -> dict:
    r = np.asarray(rows, float)  # yaw, pitch, six yaw, six pitch, 68 yaw, 68 pitch
    return {
        "n": len(r),
        "six": {"yaw": line(r[:, 0], r[:, 2]), "pitch": line(r[:, 1], r[:, 3])},
        "68": {"yaw": line(r[:, 0], r[:, 4]), "pitch": line(r[:, 1], r[:, 5])},
    }


def _nearest(finder, img):
    h, w = img.shape[:2]
    near = [f for f in finder.faces(img) if np.hypot(*(f.nose - (w / 2, h / 2))) < 0.25 * w]
    return min(near, key=lambda f: np.hypot(*(f.nose - (w / 2, h / 2)))) if near else None


def mirror_gaps(finder, model68, images) -> dict:
    """|pitch(face) - pitch(mirror)| and |yaw(face) + yaw(mirror)| per estimator: median, 90th
    percentile and largest, over the images where both are read."""
    gaps: dict[str, list[float]] = {"six pitch": [], "six yaw": [], "68 pitch": [], "68 yaw": []}
    for img in images:
        reads = []
        for view in (img, img[:, ::-1].copy()):
            f = _nearest(finder, view)
            h, w = view.shape[:2]
            reads.append(None if f is None else (pose.yaw_pitch(f.six, w, h), yaw_pitch_68(model68, f.landmarks, w, h)))
        if None in reads or any(r is None for pair in reads for r in pair):
            continue
        for k, name in enumerate(("six", "68")):
            (ya, pa_), (yb, pb) = reads[0][k], reads[1][k]
            gaps[f"{name} pitch"].append(abs(pa_ - pb))
            gaps[f"{name} yaw"].append(abs(ya + yb))
    return {
        k: {
            "n": len(v),
            "median": round(float(np.median(v)), 1),
            "p90": round(float(np.percentile(v, 90)), 1),
            "max": round(float(np.max(v)), 1),
        }
        for k, v in gaps.items()
        if v
    }


def main() -> int:
    finder = FaceFinder(detector="blazeface", min_size=12)
    models = faces3d.load_models(mirrored=True, finder=FaceFinder(upsample=1))
    model68 = generic_68(models)
    out: dict = {}
    if pa.AFLW.is_dir():
        rows = []
        for path, yaw, pitch in pa.aflw_items():
            img = cv2.imread(str(path))
            h, w = img.shape[:2]
            f = _nearest(finder, img)
            if f is None:
                continue
            a, b = pose.yaw_pitch(f.six, w, h), yaw_pitch_68(model68, f.landmarks, w, h)
            if a and b:
                rows.append((yaw, pitch, *a, *b))
        for lo, hi in ((0, 45), (45, 60)):
            band = [r for r in rows if lo <= abs(r[0]) < hi]
            out[f"aflw |yaw| {lo}-{hi}"] = both(band)
        frontal = (cv2.imread(str(path)) for path, yaw, _pitch in pa.aflw_items() if abs(yaw) < 45)
        out["aflw |yaw| 0-45, face against its mirror image"] = mirror_gaps(finder, model68, frontal)
    else:
        print(f"AFLW2000 skipped: {pa.AFLW} is absent (real faces live in ../shared)")
    rows = []
    for m in models:
        for yaw in range(-30, 31, 10):
            for pitch in (-20, -10, 0, 10):
                roi, off, _drawn = pa.place(m, yaw, pitch, 100)
                faces = finder.faces(roi)
                if not faces:
                    continue
                L = faces[0].landmarks + np.asarray(off, float)
                a = pose.yaw_pitch(L[list(POINT_INDEX0)], pa.W, pa.H)
                b = yaw_pitch_68(model68, L, pa.W, pa.H)
                if a and b:
                    rows.append((yaw, pitch, *a, *b))
    out[f"generated ({len(models)} photos)"] = both(rows)
    out["generator photos at rest, six points (yaw, pitch)"] = {
        m.name: [round(v, 1) for v in m.photo_pose] for m in models if m.photo_pose
    }
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
