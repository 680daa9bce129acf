"""Face detectors behind one small interface: ``detect(image_bgr) -> [Detection]``.

* ``dlib-hog``: dlib's frontal HOG detector (the paper's; faces down to ~40 px with one upsampling
  pass, frontal and moderately turned, upright).
* ``blazeface``: MediaPipe's BlazeFace full range (TFLite, ``models/mediapipe``), its SSD anchors
  decoded as MediaPipe's face_detection_full_range graph does (192x192 letterboxed input, one
  48x48 anchor layer of stride 4, fixed anchor size, weighted non-maximum suppression).
* ``mtcnn``: MTCNN (pip package ``mtcnn`` 1.0.0, MIT, weights inside the package).

dlib's 68-point shape predictor was trained on dlib's own boxes, so a box from another detector is
mapped to dlib's box geometry before the landmarks are fitted (:attr:`FaceDetector.calibration`:
centre shift in box widths/heights and side scale, fitted by ``benchmarks/pose_accuracy.py
--calibrate`` on real frames where both detectors find the same face; see README).
"""

from __future__ import annotations

import abc
import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

DLIB_HOG, BLAZEFACE, MTCNN = "dlib-hog", "blazeface", "mtcnn"
FACE_DETECTORS = (DLIB_HOG, BLAZEFACE, MTCNN)


@dataclass
class Detection:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in frame pixels, the detector's own box
    score: float  # the detector's own score (dlib: SVM margin; blazeface, mtcnn: probability)

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]


class FaceDetector(abc.ABC):
    name = "base"
    default_min_score = 0.5
    # dlib-box centre = (cx + dx * w, cy + dy * h), dlib-box side = s * sqrt(w * h)
    calibration: tuple[float, float, float] = (0.0, 0.0, 1.0)

    @abc.abstractmethod
    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        """Every face found (any score; the caller filters), boxes in frame pixels."""

    def dlib_box(self, det: Detection) -> tuple[int, int, int, int]:
        """The box dlib's HOG detector would draw around this face (what the shape predictor expects)."""
        x0, y0, x1, y1 = det.box
        w, h = x1 - x0, y1 - y0
        dx, dy, s = self.calibration
        cx, cy = (x0 + x1) / 2 + dx * w, (y0 + y1) / 2 + dy * h
        half = s * math.sqrt(max(w * h, 1.0)) / 2
        return round(cx - half), round(cy - half), round(cx + half), round(cy + half)


@functools.lru_cache(maxsize=1)
def dlib_hog_detector():
    import dlib

    return dlib.get_frontal_face_detector()


class DlibHog(FaceDetector):
    name = DLIB_HOG
    default_min_score = 0.2  # drops the weak false faces HOG finds in clothing and texture (~0.12)

    def __init__(self, upsample: int = 1, detect_width: int = 960):
        self.hog = dlib_hog_detector()
        self.upsample = upsample
        self.detect_width = detect_width  # larger frames are scaled down for detection

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        small, scale = _at_most(image_bgr, self.detect_width)
        rects, scores, _ = self.hog.run(np.ascontiguousarray(small[:, :, ::-1]), self.upsample, 0.0)
        # dlib's right and bottom are inclusive: the box here ends one pixel after them
        return [
            Detection((r.left() / scale, r.top() / scale, r.right() / scale + 1, r.bottom() / scale + 1), float(s))
            for r, s in zip(rects, scores)
        ]

    def dlib_box(self, det: Detection) -> tuple[int, int, int, int]:
        x0, y0, x1, y1 = det.box
        return round(x0), round(y0), round(x1 - 1), round(y1 - 1)


def _at_most(image: np.ndarray, width: int) -> tuple[np.ndarray, float]:
    h, w = image.shape[:2]
    scale = min(1.0, width / w)
    if scale == 1.0:
        return image, 1.0
    return cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA), scale


# --- BlazeFace full range -------------------------------------------------------------------------
# MediaPipe face_detection_full_range: SsdAnchorsCalculator options num_layers 1, input 192x192,
# anchor_offset 0.5, strides [4], aspect_ratios [1.0], interpolated_scale_aspect_ratio 0.0,
# fixed_anchor_size true; TensorsToDetections: 2304 boxes, 16 coords (box at 0, 6 keypoints at 4),
# reverse_output_order (x, y, w, h), x/y/w/h scale 192, sigmoid score clipped at +-100;
# NonMaxSuppression: weighted, IoU 0.3. Input RGB scaled to [-1, 1], letterboxed to keep aspect.
BLAZE_SIZE = 192
BLAZE_GRID = 48


@functools.lru_cache(maxsize=1)
def blazeface_anchors() -> np.ndarray:
    """2304 x 2 anchor centres (x, y) in [0, 1], row by row, as SsdAnchorsCalculator orders them."""
    ys, xs = np.mgrid[0:BLAZE_GRID, 0:BLAZE_GRID]
    return np.stack([(xs.ravel() + 0.5) / BLAZE_GRID, (ys.ravel() + 0.5) / BLAZE_GRID], axis=1)


def letterbox(image_bgr: np.ndarray, size: int) -> tuple[np.ndarray, float, float, float]:
    """RGB float32 in [-1, 1], size x size, image centred; returns (input, scale, pad_x, pad_y) with
    frame = (input - pad) / scale."""
    h, w = image_bgr.shape[:2]
    scale = size / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    resized = cv2.resize(image_bgr, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    canvas = np.zeros((size, size, 3), np.uint8)
    px, py = (size - nw) // 2, (size - nh) // 2
    canvas[py : py + nh, px : px + nw] = resized
    x = canvas[:, :, ::-1].astype(np.float32) / 127.5 - 1.0
    return x, scale, float(px), float(py)


def decode_blazeface(raw_boxes: np.ndarray, raw_scores: np.ndarray, min_score: float) -> list[tuple[np.ndarray, float]]:
    """(box x0, y0, x1, y1 in input pixels, score) of every anchor scoring at least ``min_score``."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores.reshape(-1).astype(np.float64), -100.0, 100.0)))
    keep = np.flatnonzero(scores >= min_score)
    anchors = blazeface_anchors()[keep] * BLAZE_SIZE
    raw = raw_boxes.reshape(-1, 16)[keep]
    cx, cy = anchors[:, 0] + raw[:, 0], anchors[:, 1] + raw[:, 1]
    w, h = raw[:, 2], raw[:, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    return [(b, float(s)) for b, s in zip(boxes, scores[keep])]


def iou(a: np.ndarray, b: np.ndarray) -> float:
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def _inside(a: np.ndarray, b: np.ndarray) -> float:
    """The share of box ``a`` inside box ``b``."""
    inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    area = (a[2] - a[0]) * (a[3] - a[1])
    return float(inter / area) if area > 0 else 0.0


def weighted_nms(dets: list[tuple[np.ndarray, float]], threshold: float = 0.3) -> list[tuple[np.ndarray, float]]:
    """MediaPipe's WEIGHTED suppression: each cluster (IoU > threshold with its best box) becomes
    the score-weighted mean box, with the best score."""
    rest = sorted(dets, key=lambda d: -d[1])
    out = []
    while rest:
        best = rest[0]
        cluster = [d for d in rest if iou(best[0], d[0]) > threshold]
        # nested boxes (a face cut by a tile's edge, or seen at two scales) are the same face
        rest = [
            d
            for d in rest
            if iou(best[0], d[0]) <= threshold and _inside(d[0], best[0]) < 0.6 and _inside(best[0], d[0]) < 0.6
        ]
        w = np.array([d[1] for d in cluster])
        box = (np.stack([d[0] for d in cluster]) * w[:, None]).sum(axis=0) / w.sum()
        out.append((box, best[1]))
    return out


class BlazeFace(FaceDetector):
    """BlazeFace full range on the whole frame, and on overlapping square tiles of it when the frame
    is large next to the 192 px input (so that faces of ~20 px in a 640 px frame are still seen)."""

    name = BLAZEFACE
    default_min_score = 0.5  # MediaPipe's default min_detection_confidence
    calibration = (-0.0051, -0.0152, 0.999)  # fitted on 52 real faces: benchmarks/pose_accuracy.py --calibrate

    def __init__(self, tiles: bool = True, candidate_score: float = 0.3):
        from forensic.features import tflite

        self.model = tflite.load("face_detection_full_range")
        self.tiles = tiles
        self.candidate_score = candidate_score

    def _views(self, h: int, w: int) -> list[tuple[int, int, int]]:
        """(x0, y0, side) of the whole frame's square and of overlapping tiles ~0.6 of the short
        side (at least the 192 px input), overlapping by at least a quarter."""
        views = [(0, 0, max(h, w))]
        side = max(BLAZE_SIZE, round(min(h, w) * 0.6))
        if not self.tiles or side >= max(h, w):
            return views
        side = min(side, h, w)
        xs, ys = _starts(w, side), _starts(h, side)
        views += [(x, y, side) for y in ys for x in xs]
        return views

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        h, w = image_bgr.shape[:2]
        found: list[tuple[np.ndarray, float]] = []
        for x0, y0, side in self._views(h, w):
            crop = image_bgr[y0 : y0 + side, x0 : x0 + side]
            x, scale, px, py = letterbox(crop, BLAZE_SIZE)
            raw_boxes, raw_scores = self.model.run(x[None])
            for box, score in decode_blazeface(raw_boxes, raw_scores, self.candidate_score):
                fb = (box - [px, py, px, py]) / scale + [x0, y0, x0, y0]
                found.append((fb, score))
        out = []
        for box, score in weighted_nms(found, 0.3):
            x0, y0, x1, y1 = box
            out.append(Detection((max(0.0, x0), max(0.0, y0), min(float(w), x1), min(float(h), y1)), score))
        return out


def _starts(length: int, side: int) -> list[int]:
    if side >= length:
        return [0]
    n = math.ceil((length - 0.25 * side) / (0.75 * side))
    return [round(i * (length - side) / (n - 1)) for i in range(n)] if n > 1 else [0]


class Mtcnn(FaceDetector):
    name = MTCNN
    default_min_score = 0.9
    calibration = (0.0207, 0.0552, 1.0016)  # fitted on 52 real faces: benchmarks/pose_accuracy.py --calibrate

    def __init__(self, min_face_px: int = 12):
        self.net = _mtcnn()
        self.min_face_px = min_face_px

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        rgb = np.ascontiguousarray(image_bgr[:, :, ::-1])
        got = self.net.detect_faces(rgb, min_face_size=max(12, self.min_face_px), box_format="xyxy", threshold_onet=0.5)
        return [Detection(tuple(float(v) for v in d["box"]), float(d["confidence"])) for d in got]


@functools.lru_cache(maxsize=1)
def _mtcnn():
    try:
        from mtcnn import MTCNN as Net
    except ImportError as exc:
        raise FileNotFoundError("the mtcnn face detector needs the mtcnn package (pip install mtcnn==1.0.0)") from exc
    return Net(stages="face_and_landmarks_detection", device="CPU:0")


def make_detector(name: str, upsample: int = 1, detect_width: int = 960, min_face_px: int = 12) -> FaceDetector:
    if name == DLIB_HOG:
        return DlibHog(upsample=upsample, detect_width=detect_width)
    if name == BLAZEFACE:
        return BlazeFace()
    if name == MTCNN:
        return Mtcnn(min_face_px=min_face_px)
    raise ValueError(f"unknown face detector {name!r}: {', '.join(FACE_DETECTORS)}")


def model_face_detector(card: dict) -> str:
    """The face detector a model's features were made with (its card's feature settings); models
    from before the choice existed were all made with dlib-hog."""
    seg = card.get("segmenter") if isinstance(card, dict) else None
    config = seg.get("feature_config") if isinstance(seg, dict) else None
    return (config or {}).get("face_detector") or DLIB_HOG


def resolve_face_detector(requested: str, model_detector: str) -> str:
    """``auto`` is the face detector the model was trained with; another one is refused, because a
    model trained on one detector's faces (boxes, landmarks, which faces are found) is not valid on
    another's."""
    if requested not in ("auto", *FACE_DETECTORS):
        raise ValueError(f"unknown face detector {requested!r}: auto, {', '.join(FACE_DETECTORS)}")
    if requested != "auto" and requested != model_detector:
        raise ValueError(
            f"the model was trained on faces found by {model_detector!r}; scanning with {requested!r} "
            "would give meaningless scores. Use --face-detector auto, or a model trained with it"
        )
    return model_detector
