"""Identity descriptors: who each of a segment's two people is, as a 128-number face descriptor.

dlib's face recognition ResNet (``dlib_face_recognition_resnet_model_v1.dat``, shipped by
face-recognition-models) maps an aligned face to 128 numbers; two photos of the same person are
usually closer than 0.6 (Euclidean), two different people usually further (dlib's own threshold,
99.38 % on the LFW pairs benchmark). It runs on the faces the features stage already found, A and
B of :func:`forensic.features.faces.pick_two`, whatever detector made the :class:`Face`: the
68-point landmarks become dlib's ``full_object_detection`` (faces with another number of points
get dlib's 5-point predictor on their box).

Per person and segment the descriptor is the mean over up to ``max_frames`` sample frames, the
largest faces first; faces narrower than ``min_face_px`` are skipped and counted (a chip upsampled
from a small face gives an unreliable descriptor). On a CPU without BLAS one descriptor costs
about 130 ms, so the default takes the largest face of each person (one frame: 2 descriptors per
segment); ``max_frames=5`` averages them all.

Nothing here names anyone: a descriptor only says which faces look alike.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib.util
import os
import time
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from forensic.features.faces import Face

MODEL_FILE = "dlib_face_recognition_resnet_model_v1.dat"
MODEL_NAME = "dlib_face_recognition_resnet_model_v1"
PREDICTOR5_FILE = "shape_predictor_5_face_landmarks.dat"
FORMAT = "forensic-identity/1"
PEOPLE = ("A", "B")


@dataclass(frozen=True)
class IdentityConfig:
    min_face_px: int = 40  # face box width; smaller faces are skipped and counted
    max_frames: int = 1  # sample frames averaged per person, largest faces first
    thumb_px: int = 72  # aligned face thumbnail kept for the report
    padding: float = 0.25  # dlib's default padding around the aligned face


def model_path(name: str = MODEL_FILE) -> str:
    """A model file of face-recognition-models, found without importing the package (its
    __init__ needs pkg_resources), as :func:`forensic.features.faces.predictor_path`."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("face-recognition-models is not installed (pip install face-recognition-models==0.3.0)")
    path = os.path.join(list(spec.submodule_search_locations)[0], "models", name)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} is missing from face-recognition-models")
    return path


@functools.lru_cache(maxsize=1)
def model_sha256() -> str:
    h = hashlib.sha256()
    with open(model_path(), "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def _recogniser():
    import dlib

    return dlib.face_recognition_model_v1(model_path())


@functools.lru_cache(maxsize=1)
def _predictor5():
    import dlib

    return dlib.shape_predictor(model_path(PREDICTOR5_FILE))


def face_shape(rgb: np.ndarray, face: Face):
    """dlib's full_object_detection of a face: its 68 landmarks, else the 5-point predictor."""
    import dlib

    rect = dlib.rectangle(*(int(v) for v in face.box))
    pts = np.asarray(face.landmarks)
    if pts.shape == (68, 2) and np.isfinite(pts).all():
        return dlib.full_object_detection(rect, [dlib.point(int(round(x)), int(round(y))) for x, y in pts])
    return _predictor5()(rgb, rect)


def descriptor(rgb: np.ndarray, face: Face, padding: float = 0.25) -> np.ndarray:
    """The 128-number descriptor of one face in an RGB frame."""
    shape = face_shape(rgb, face)
    return np.array(_recogniser().compute_face_descriptor(rgb, shape, 0, padding), dtype=np.float64)


def thumbnail(rgb: np.ndarray, face: Face, size: int = 72) -> str:
    """An aligned face chip as base64 JPEG (for the report's identity thumbnails)."""
    import dlib

    chip = dlib.get_face_chip(rgb, face_shape(rgb, face), size, 0.35)
    ok, jpg = cv2.imencode(".jpg", np.ascontiguousarray(chip[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 85])
    return base64.b64encode(jpg.tobytes()).decode("ascii") if ok else ""


def describe(
    images: list[np.ndarray],
    frame_indices: list[int],
    pairs: list[tuple[Face | None, Face | None]],
    config: IdentityConfig = IdentityConfig(),
) -> dict[str, Any]:
    """Descriptors of a segment's people A and B (plain JSON-ready dict, stored in features.json
    under ``identity``). ``images`` are the full-size BGR sample frames, ``pairs`` the features
    stage's (A, B) per frame."""
    t0 = time.perf_counter()
    rgbs: dict[int, np.ndarray] = {}

    def rgb(i: int) -> np.ndarray:
        if i not in rgbs:
            rgbs[i] = np.ascontiguousarray(images[i][:, :, ::-1])
        return rgbs[i]

    people = []
    skipped_total = 0
    for k, label in enumerate(PEOPLE):
        seen = [(i, p[k]) for i, p in enumerate(pairs) if p[k] is not None]
        width = {i: int(f.box[2] - f.box[0]) for i, f in seen}
        usable = [(i, f) for i, f in seen if width[i] >= config.min_face_px]
        skipped = len(seen) - len(usable)
        skipped_total += skipped
        usable.sort(key=lambda x: (-width[x[0]], x[0]))
        chosen = sorted(usable[: max(1, config.max_frames)], key=lambda x: x[0])
        rec: dict[str, Any] = {
            "person": label,
            "frames_seen": len(seen),
            "skipped_small": skipped,
            "frames_used": [int(frame_indices[i]) for i, _ in chosen],
            "face_px": [width[i] for i, _ in chosen],
            "nose": [[round(float(v), 1) for v in f.nose] for _, f in chosen],
            "descriptor": None,
            "spread": None,
            "thumb_jpeg_b64": None,
        }
        if chosen:
            vecs = np.stack([descriptor(rgb(i), f, config.padding) for i, f in chosen])
            mean = vecs.mean(axis=0)
            rec["descriptor"] = [round(float(v), 6) for v in mean]
            rec["spread"] = round(float(np.linalg.norm(vecs - mean, axis=1).max()), 4)
            best_i, best_f = max(chosen, key=lambda x: width[x[0]])
            rec["thumb_jpeg_b64"] = thumbnail(rgb(best_i), best_f, config.thumb_px) or None
        people.append(rec)
    return {
        "format": FORMAT,
        "model": MODEL_NAME,
        "model_sha256": model_sha256(),
        "distance": "euclidean",
        "min_face_px": config.min_face_px,
        "max_frames": config.max_frames,
        "skipped_small": skipped_total,
        "people": people,
        "seconds": round(time.perf_counter() - t0, 4),
    }


def clip_descriptors(path: str, every: int = 10, most: int = 12) -> list[np.ndarray]:
    """Descriptors of the largest face (40 px or wider, dlib-hog) in every ``every``-th frame of a
    video, at most ``most``: how a real person's clips are compared outside a scan (tests, benchmark)."""
    import av

    from forensic.features.faces import FaceFinder

    finder = FaceFinder()
    out: list[np.ndarray] = []
    with av.open(path) as c:
        for i, frame in enumerate(c.decode(video=0)):
            if i % every:
                continue
            bgr = frame.to_ndarray(format="bgr24")
            faces = [f for f in finder.faces(bgr) if f.box[2] - f.box[0] >= 40]
            if faces:
                out.append(descriptor(np.ascontiguousarray(bgr[:, :, ::-1]), faces[0]))
            if len(out) >= most:
                break
    return out
