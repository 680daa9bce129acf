"""Faces and 68-point landmarks with dlib (HOG detector, shape predictor from face-recognition-models).

dlib's 68 points are numbered 1..68 in the paper and 0..67 in code. The paper keeps six per person:
34 nose tip, 9 chin, 37 left corner of the left eye, 46 right corner of the right eye, 49 and 55
mouth corners ("left" and "right" as seen in the image).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from dataclasses import dataclass

import cv2
import numpy as np

# (name, dlib 1-based index) in the fixed order used everywhere (table columns, model input)
POINTS: tuple[tuple[str, int], ...] = (
    ("nose_tip", 34),
    ("chin", 9),
    ("left_eye_left_corner", 37),
    ("right_eye_right_corner", 46),
    ("mouth_left_corner", 49),
    ("mouth_right_corner", 55),
)
POINT_NAMES = tuple(name for name, _ in POINTS)
POINT_INDEX0 = tuple(i - 1 for _, i in POINTS)  # 0-based, for dlib's shape.part()


@dataclass
class Face:
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in frame pixels
    score: float  # dlib HOG detection score
    landmarks: np.ndarray  # 68 x 2 float, frame pixels

    @property
    def six(self) -> np.ndarray:
        """The paper's six points, 6 x 2, in :data:`POINTS` order."""
        return self.landmarks[list(POINT_INDEX0)]

    @property
    def nose(self) -> np.ndarray:
        return self.landmarks[33]

    @property
    def area(self) -> int:
        return (self.box[2] - self.box[0]) * (self.box[3] - self.box[1])


def predictor_path() -> str:
    """shape_predictor_68_face_landmarks.dat as shipped by face-recognition-models.

    Found without importing the package (its __init__ needs pkg_resources, gone from new setuptools).
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("face-recognition-models is not installed (pip install face-recognition-models==0.3.0)")
    path = os.path.join(list(spec.submodule_search_locations)[0], "models", "shape_predictor_68_face_landmarks.dat")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} is missing from face-recognition-models")
    return path


@functools.lru_cache(maxsize=1)
def _models():
    import dlib

    return dlib.get_frontal_face_detector(), dlib.shape_predictor(predictor_path())


class FaceFinder:
    """dlib HOG face detection and 68-point landmarks on an RGB or BGR frame (dlib wants RGB).

    ``upsample``: dlib upsampling passes (1 finds faces down to ~40 px, at ~4x the cost);
    ``min_size``: faces smaller than this (box width in pixels) are ignored; ``min_score``: dlib
    detections scoring lower are ignored (0.2 drops the weak false faces dlib finds in clothing
    and texture, e.g. on scikit-image's astronaut suit at 0.12, and keeps real faces, ~1).
    """

    def __init__(self, upsample: int = 1, min_size: int = 20, min_score: float = 0.2, detect_width: int = 960):
        self.detector, self.predictor = _models()
        self.upsample = upsample
        self.min_size = min_size
        self.min_score = min_score
        self.detect_width = detect_width  # larger frames are scaled down for detection only

    def detect(self, image_bgr: np.ndarray) -> list[tuple[object, float]]:
        """Face rectangles in frame pixels. Detection runs on a copy at most ``detect_width``
        wide (dlib's HOG cost grows with the pixel count; with one upsampling pass faces of about
        40 px at that width are still found); landmarks are then fitted on the full frame."""
        import dlib

        h, w = image_bgr.shape[:2]
        scale = min(1.0, self.detect_width / w)
        small = image_bgr if scale == 1.0 else cv2.resize(image_bgr, (round(w * scale), round(h * scale)),
                                                          interpolation=cv2.INTER_AREA)  # fmt: skip
        rgb = np.ascontiguousarray(small[:, :, ::-1])
        rects, scores, _ = self.detector.run(rgb, self.upsample, 0.0)
        out = []
        for r, s in zip(rects, scores):
            if scale != 1.0:
                r = dlib.rectangle(round(r.left() / scale), round(r.top() / scale), round(r.right() / scale),
                                   round(r.bottom() / scale))  # fmt: skip
            if r.width() >= self.min_size and s >= self.min_score:
                out.append((r, float(s)))
        return out

    def landmarks(self, image_bgr: np.ndarray, rect) -> np.ndarray:
        rgb = np.ascontiguousarray(image_bgr[:, :, ::-1])
        shape = self.predictor(rgb, rect)
        return np.array([(shape.part(i).x, shape.part(i).y) for i in range(68)], dtype=np.float64)

    def faces(self, image_bgr: np.ndarray) -> list[Face]:
        """Every face found, largest first."""
        h, w = image_bgr.shape[:2]
        out = []
        for rect, score in self.detect(image_bgr):
            box = (max(0, rect.left()), max(0, rect.top()), min(w, rect.right()), min(h, rect.bottom()))
            out.append(Face(box, score, self.landmarks(image_bgr, rect)))
        out.sort(key=lambda f: f.area, reverse=True)
        return out


def pick_two(frames: list[list[Face]]) -> list[tuple[Face | None, Face | None]]:
    """The two people of a segment, with stable identities across its frames.

    Rule (the paper keeps "the front two people"): in each frame the two largest faces are the
    front two. Person A is the one on the left of the image in the first frame that shows two;
    in every other frame the pair is matched to the previous known positions of A and B by the
    smaller total nose-tip movement, so A stays A. A frame with one face gives it to whichever of
    A or B was nearest; a frame with none gives (None, None).
    """
    out: list[tuple[Face | None, Face | None]] = []
    last_a = last_b = None
    first_two = next((i for i, fs in enumerate(frames) if len(fs) >= 2), None)
    if first_two is not None:
        a, b = sorted(frames[first_two][:2], key=lambda f: f.nose[0])
        last_a, last_b = a.nose, b.nose
    for faces in frames:
        front = faces[:2]
        if len(front) == 2 and last_a is not None:
            f, g = front
            keep = np.linalg.norm(f.nose - last_a) + np.linalg.norm(g.nose - last_b)
            swap = np.linalg.norm(g.nose - last_a) + np.linalg.norm(f.nose - last_b)
            a, b = (f, g) if keep <= swap else (g, f)
        elif len(front) == 1 and last_a is not None and last_b is not None:
            f = front[0]
            a, b = (f, None) if np.linalg.norm(f.nose - last_a) <= np.linalg.norm(f.nose - last_b) else (None, f)
        elif len(front) == 1:  # nobody seen as a pair yet: a lone face is A until B turns up
            a, b = front[0], None
        else:
            a = b = None
        if a is not None:
            last_a = a.nose
        if b is not None:
            last_b = b.nose
        out.append((a, b))
    return out
