"""Background removal: keep the people, black out everything else (the paper's Figure 2).

Segmenters sit behind one small base class. Three backends:

* ``pixellib``: PixelLib's Mask R-CNN with the COCO weights (``mask_rcnn_coco.h5``), person
  class only, as in the paper (:mod:`forensic.features.pixellib_backend`).
* ``mediapipe-selfie-pose``: the embedded default, pretrained models shipped in
  ``models/mediapipe`` (hash-checked): MediaPipe's selfie segmentation on the whole frame plus
  BlazePose's person segmentation on a crop around each face
  (:mod:`forensic.features.people_mediapipe`).
* ``hog-face-grabcut``: the older embedded fallback: OpenCV's HOG people detector plus body
  regions anchored on detected faces, refined with GrabCut (:mod:`forensic.features.people_default`).

The name of the segmenter is recorded with every result: a model trained on one segmenter's
frames is not valid on another's.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

import numpy as np

from forensic.records import PIXELLIB_SEGMENTER


def recorded_segmenter(name: str) -> str:
    """The name a segmenter chosen as ``name`` records in findings (its ``.name``), without
    loading it (importing PixelLib switches TensorFlow's eager execution off)."""
    return PIXELLIB_SEGMENTER if name == "pixellib" else name


@dataclass
class PeopleMask:
    """People found in one frame."""

    mask: np.ndarray  # H x W bool, True where a person is
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)  # (x0, y0, x1, y1) per person
    scores: list[float] = field(default_factory=list)
    segmenter: str = ""

    @property
    def count(self) -> int:
        return len(self.boxes)


class Segmenter(abc.ABC):
    """Finds the people in a BGR frame. Never draws on or changes the frame it is given."""

    name: str = "base"
    uses_small_faces: bool = False  # True: given faces too small for landmarks too (as people present)

    @abc.abstractmethod
    def people(self, image_bgr: np.ndarray) -> PeopleMask:
        """The people in ``image_bgr`` (H x W x 3 uint8, BGR)."""

    def people_given_faces(self, image_bgr: np.ndarray, faces: list) -> PeopleMask:
        """The same, when the faces of this frame are already known (a segmenter may use them)."""
        return self.people(image_bgr)


def remove_background(image_bgr: np.ndarray, people: PeopleMask) -> np.ndarray:
    """A copy of the frame with everything but the people set to black."""
    out = np.zeros_like(image_bgr)
    out[people.mask] = image_bgr[people.mask]
    return out
