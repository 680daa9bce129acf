"""Faces (a face detector of :mod:`forensic.features.detectors`) and dlib's 68-point landmarks
(shape predictor from face-recognition-models).

dlib's 68 points are numbered 1..68 in the paper and 0..67 in code. The paper keeps six per person:
34 nose tip, 9 chin, 37 left corner of the left eye, 46 right corner of the right eye, 49 and 55
mouth corners ("left" and "right" as seen in the image).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from dataclasses import dataclass

import numpy as np

from forensic.features.detectors import DLIB_HOG, dlib_hog_detector, make_detector

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
    score: float  # the face detector's score
    landmarks: np.ndarray  # 68 x 2 float, frame pixels
    detector: str = DLIB_HOG  # the face detector that found it

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
def _predictor():
    import dlib

    return dlib.shape_predictor(predictor_path())


@dataclass
class SmallFace:
    """A face found but too small for landmarks (box width under ``min_landmark_px``): a person
    present, not used for pose."""

    box: tuple[int, int, int, int]
    score: float
    detector: str = DLIB_HOG

    @property
    def nose(self) -> np.ndarray:  # the box centre stands in for the nose tip
        return np.array([(self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2], dtype=np.float64)

    @property
    def area(self) -> int:
        return (self.box[2] - self.box[0]) * (self.box[3] - self.box[1])


class FaceFinder:
    """Faces (any detector of :mod:`forensic.features.detectors`) and dlib's 68-point landmarks on a
    BGR frame.

    ``detector``: ``dlib-hog`` (default here, the paper's), ``blazeface`` or ``mtcnn``;
    ``upsample``/``detect_width``: dlib's upsampling passes and the width frames are scaled down
    to for dlib detection (1 pass finds faces down to ~40 px at that width); ``min_size``: faces
    narrower than this (in dlib's box geometry, pixels) are ignored; ``min_score``: detections
    scoring lower are ignored (None: the detector's own default, dlib 0.2: it drops the weak false
    faces dlib finds in clothing and texture, e.g. on scikit-image's astronaut suit at 0.12);
    ``min_landmark_px``: faces narrower than this are returned by :meth:`find` as
    :class:`SmallFace` (people present, no landmarks, no pose).
    """

    def __init__(
        self,
        upsample: int = 1,
        min_size: int = 20,
        min_score: float | None = None,
        detect_width: int = 960,
        detector: str = DLIB_HOG,
        min_landmark_px: int = 40,
    ):
        self.face_detector = make_detector(detector, upsample=upsample, detect_width=detect_width, min_face_px=min_size)
        self.predictor = _predictor()
        self.upsample = upsample
        self.min_size = min_size
        self.min_score = self.face_detector.default_min_score if min_score is None else min_score
        self.detect_width = detect_width
        self.min_landmark_px = min_landmark_px

    @property
    def name(self) -> str:
        """The face detector's name (recorded with every result)."""
        return self.face_detector.name

    @property
    def detector(self):
        """dlib's HOG detector object (forensic.synth measures dlib-detectability with it)."""
        return dlib_hog_detector()

    def detect(self, image_bgr: np.ndarray) -> list[tuple[tuple[int, int, int, int], float]]:
        """(box in dlib's geometry, score) of every face kept (size and score), in frame pixels."""
        out = []
        for det in self.face_detector.detect(image_bgr):
            box = self.face_detector.dlib_box(det)
            if box[2] - box[0] + 1 >= self.min_size and det.score >= self.min_score:
                out.append((box, det.score))
        return out

    def landmarks(self, image_bgr: np.ndarray, box) -> np.ndarray:
        """68 points fitted in ``box`` (x0, y0, x1, y1 inclusive, dlib's geometry, or a dlib rectangle)."""
        import dlib

        if not isinstance(box, dlib.rectangle):
            box = dlib.rectangle(*(int(v) for v in box))
        rgb = np.ascontiguousarray(image_bgr[:, :, ::-1])
        shape = self.predictor(rgb, box)
        return np.array([(shape.part(i).x, shape.part(i).y) for i in range(68)], dtype=np.float64)

    def find(self, image_bgr: np.ndarray) -> tuple[list[Face], list[SmallFace]]:
        """(faces with landmarks, largest first; faces too small for landmarks)."""
        h, w = image_bgr.shape[:2]
        out, small = [], []
        for box, score in self.detect(image_bgr):
            clipped = (max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3]))
            if box[2] - box[0] + 1 < self.min_landmark_px:
                small.append(SmallFace(clipped, score, self.name))
                continue
            out.append(Face(clipped, score, self.landmarks(image_bgr, box), self.name))
        out.sort(key=lambda f: f.area, reverse=True)
        small.sort(key=lambda f: f.area, reverse=True)
        return out, small

    def faces(self, image_bgr: np.ndarray) -> list[Face]:
        """Every face large enough for landmarks, largest first."""
        return self.find(image_bgr)[0]


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
