"""Features of one segment, as the paper's section III.C-H: for its 5 sample frames, keep the
people (background removal), find the two people's faces and 68 landmarks, keep 6 points each,
estimate head yaw and pitch, measure the nose-to-nose distance: 29 numbers per frame (see
:mod:`forensic.features.table`), plus the 5 background-removed frames at 128x128 for the
ConvLSTM stream.

Cheap stages first: faces are found on every sample frame (the face detector of
:mod:`forensic.features.detectors`, named with every result); when most frames do not show two
faces large enough for landmarks the segment is ``insufficient_subjects`` and the expensive
background removal is skipped. Faces under ``min_landmark_px`` (40 px) are counted as people
present but get no landmarks and no pose, and the segment's warnings say so.

Landmarks are found on the original frame (the detector sees the same face pixels either way,
since background removal keeps people) and kept only for faces inside the people mask when a
mask exists, so only people's faces count, as in the paper.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import cv2
import numpy as np
import pandas as pd

from forensic.features import motion, pose, table
from forensic.features.background import PeopleMask, Segmenter, remove_background
from forensic.features.detectors import BLAZEFACE, DLIB_HOG
from forensic.features.faces import Face, FaceFinder, SmallFace, pick_two

FRAME_SIZE = 128  # the paper's ConvLSTM input: 5 x 128 x 128 x 3
INSUFFICIENT_SUBJECTS = "insufficient_subjects"
DEFAULT_FACE_DETECTOR = BLAZEFACE  # measured best on real faces (README, "Perception")
DEFAULT_SEGMENTER = "mediapipe-selfie-pose"  # the embedded default when PixelLib's weights are absent
SEGMENTER_NAMES = ("pixellib", DEFAULT_SEGMENTER, "hog-face-grabcut")


@dataclass
class FeatureConfig:
    min_pair_frames: int = 3  # frames (of 5) that must show two people, else insufficient_subjects
    face_upsample: int = 1  # dlib-hog only
    min_face_px: int = 12  # faces narrower than this are not counted at all
    min_face_score: float | None = None  # None: the face detector's own default (dlib-hog 0.2)
    face_detect_width: int = 960  # dlib-hog: frames wider than this are scaled down for detection only
    face_detector: str = DLIB_HOG  # a model's features are made with one detector: see forensic.engine.scan
    min_landmark_px: int = 40  # narrower faces: people present, no landmarks, no pose
    identity_descriptors: bool = True  # face descriptors of A and B (forensic.features.identity), ok segments only

    def face_finder(self) -> FaceFinder:
        return FaceFinder(
            upsample=self.face_upsample,
            min_size=self.min_face_px,
            min_score=self.min_face_score,
            detect_width=self.face_detect_width,
            detector=self.face_detector,
            min_landmark_px=self.min_landmark_px,
        )


@dataclass
class SegmentFeatures:
    """What the features stage adds to a :class:`forensic.records.Segment`."""

    segmenter: str
    table: pd.DataFrame  # one row per sample frame: frame, s, the 29 columns, extras
    frames128: np.ndarray | None  # 5 x 128 x 128 x 3 uint8 RGB, background removed; None if skipped
    status: str  # "ok" or "insufficient_subjects"
    faces: list[list[Face]] = field(default_factory=list)  # every face found, per frame
    pairs: list[tuple[Face | None, Face | None]] = field(default_factory=list)
    people: list[PeopleMask | None] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    identity: dict | None = None  # forensic.features.identity.describe() of A and B, when computed
    motion: float | None = None  # forensic.features.motion.frame_change of the sample frames
    # forensic.features.motion.scene_change (camera motion taken out), measured when the segment
    # could be classified and its frames change; None otherwise or when the frames cannot be aligned
    scene_motion: float | None = None
    face_detector: str = DLIB_HOG
    small_faces: list[list[SmallFace]] = field(default_factory=list)  # per frame: too small for landmarks

    @property
    def people_present(self) -> list[int]:
        """Faces found per frame, those too small for landmarks included."""
        return [
            len(fs) + (len(self.small_faces[i]) if i < len(self.small_faces) else 0) for i, fs in enumerate(self.faces)
        ]

    @property
    def still(self) -> bool:
        """The sample frames do not change (a photo, a paused camera), or only the camera moves over a
        scene that does not (a pan over a poster): not behaviour, not classified."""
        return self.motion is not None and motion.is_still(self.motion, self.scene_motion)

    @property
    def vector(self) -> np.ndarray:
        """frames x 29 in the fixed column order (NaN where a value is missing)."""
        return table.to_array(self.table)

    @property
    def mask(self) -> np.ndarray:
        """frames: True where the frame shows both people."""
        return self.table["has_pair"].to_numpy(dtype=bool)


def extract(
    images: list[np.ndarray],
    frame_indices: list[int],
    seconds: list[float],
    segmenter: Segmenter,
    faces: FaceFinder,
    config: FeatureConfig = FeatureConfig(),
) -> SegmentFeatures:
    """Features of one segment from its sample frames (full-size BGR images, upright)."""
    timings = {"faces": 0.0, "background": 0.0, "pose": 0.0, "resize": 0.0}
    t = time.perf_counter()
    both = [faces.find(img) for img in images]
    found = [fs for fs, _ in both]
    small = [sm for _, sm in both]
    timings["faces"] = time.perf_counter() - t
    enough = sum(1 for fs in found if len(fs) >= 2) >= min(config.min_pair_frames, len(images))
    people: list[PeopleMask | None] = [None] * len(images)
    frames128 = None
    warnings: list[str] = []
    if enough:
        t = time.perf_counter()
        for i, (img, fs) in enumerate(zip(images, found)):
            pm = segmenter.people_given_faces(img, [*fs, *small[i]] if segmenter.uses_small_faces else fs)
            people[i] = pm
            kept = [
                f
                for f in fs
                if pm.mask[_clip(int(f.nose[1]), pm.mask.shape[0]), _clip(int(f.nose[0]), pm.mask.shape[1])]
            ]
            if len(kept) < len(fs):
                warnings.append(
                    f"frame {frame_indices[i]}: {len(fs) - len(kept)} face(s) outside every person mask ignored"
                )
            found[i] = kept
        timings["background"] = time.perf_counter() - t
        t = time.perf_counter()
        frames128 = np.stack([to_model_frame(img, pm) for img, pm in zip(images, people)])
        timings["resize"] = time.perf_counter() - t
    pairs = pick_two(found)
    t = time.perf_counter()
    rows = []
    for img, pair, fs in zip(images, pairs, found):
        h, w = img.shape[:2]
        rows.append(table.frame_row(pair, w, h, len(fs), lambda f, w=w, h=h: pose.yaw_pitch(f.six, w, h)))
    timings["pose"] = time.perf_counter() - t
    df = table.to_frame(rows, list(frame_indices), list(seconds))
    status = (
        "ok"
        if enough and int(df["has_pair"].sum()) >= min(config.min_pair_frames, len(images))
        else INSUFFICIENT_SUBJECTS
    )
    n_small = sum(len(sm) for sm in small)
    if n_small:
        warnings.append(
            f"{n_small} face(s) under {faces.min_landmark_px} px wide in the sample frames: counted as "
            "people present, not used for landmarks or pose"
        )
    ident = None
    if config.identity_descriptors and status == "ok":  # co-appearance across segments (forensic.coappear)
        from forensic.features import identity

        t = time.perf_counter()
        ident = identity.describe(images, list(frame_indices), pairs)
        timings["identity"] = time.perf_counter() - t
    # still segments are not classified (forensic.engine.work); one frame cannot show whether anything moves
    change = motion.frame_change(images) if len(images) > 1 else None
    scene = None
    moving = status == "ok" and change is not None and not motion.is_still(change)
    if moving:  # only the camera moving? (a pan over a picture)
        t = time.perf_counter()
        scene = motion.scene_change(images)
        timings["motion"] = time.perf_counter() - t
    return SegmentFeatures(
        segmenter.name,
        df,
        frames128,
        status,
        found,
        pairs,
        people,
        timings,
        warnings,
        ident,
        change,
        face_detector=faces.name,
        scene_motion=scene,
        small_faces=small,
    )


def _clip(v: int, n: int) -> int:
    return min(max(v, 0), n - 1)


def to_model_frame(image_bgr: np.ndarray, people: PeopleMask) -> np.ndarray:
    """Background removed, resized to 128 x 128 (aspect not kept, as the paper), RGB uint8."""
    kept = remove_background(image_bgr, people)
    small = cv2.resize(kept, (FRAME_SIZE, FRAME_SIZE), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(small[:, :, ::-1])


def make_segmenter(name: str, maskrcnn_weights: str | None = None, faces: FaceFinder | None = None) -> Segmenter:
    """``auto`` prefers pixellib when the COCO weights exist, else the embedded default
    (``mediapipe-selfie-pose``); ``hog-face-grabcut`` is the older embedded fallback."""
    from forensic.features.people_default import HogFaceGrabCut

    if name == "auto":
        import os

        name = "pixellib" if maskrcnn_weights and os.path.isfile(maskrcnn_weights) else DEFAULT_SEGMENTER
    if name == DEFAULT_SEGMENTER:
        from forensic.features.people_mediapipe import MediaPipeSelfiePose

        return MediaPipeSelfiePose(face_finder=faces)
    if name == "pixellib":
        if not maskrcnn_weights:
            raise FileNotFoundError("the pixellib segmenter needs --maskrcnn-weights (or models/mask_rcnn_coco.h5)")
        from forensic.features.pixellib_backend import PixelLibSegmenter

        return PixelLibSegmenter(maskrcnn_weights)
    if name == HogFaceGrabCut.name:
        return HogFaceGrabCut(face_finder=faces)
    raise ValueError(f"unknown segmenter {name!r}: auto, {', '.join(SEGMENTER_NAMES)}")
