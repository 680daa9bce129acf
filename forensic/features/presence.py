"""The presence gate: can the features stage classify a segment at all?

The features stage (:func:`forensic.features.extract`) calls a segment ``insufficient_subjects``,
without looking further, when fewer than ``min(min_pair_frames, frames)`` of its sample frames show
two faces large enough for landmarks: faces kept by :meth:`FaceFinder.detect` (the scan's face
detector, its minimum size and score) whose box is at least ``min_landmark_px`` wide. The gate asks
exactly that question, with the same :class:`FaceFinder` (built from the same
:class:`FeatureConfig`) on the same full-size upright BGR sample frames, so its answer is the full
path's own first decision: a segment the gate stops is one the full path would have stopped at the
same point, and every segment the full path might classify passes.

It stops looking as soon as the answer is certain: with 5 frames and 3 needed, three frames
without two faces decide "insufficient", three with two decide "pass", so an empty segment costs
three face detections, not five. Landmarks, background removal and everything after are never run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from forensic.features import FeatureConfig
from forensic.features.faces import FaceFinder

GATE_FLAG = "presence_gate"  # on a finding the gate finished (no features folder)


@dataclass
class Verdict:
    """What the gate saw on one segment's sample frames."""

    passed: bool  # True: the full path may classify it; False: it is insufficient_subjects
    need: int  # frames that must show two faces
    frames: int  # sample frames the segment has
    checked: int = 0  # frames looked at before the answer was certain
    pair_frames: int = 0  # of those, frames with two faces large enough for landmarks
    faces: list[int] = field(default_factory=list)  # per checked frame: faces large enough for landmarks
    small: list[int] = field(default_factory=list)  # per checked frame: faces too small for landmarks
    detector: str = ""

    @property
    def decided(self) -> bool:
        """Passed, or too few frames left to reach ``need``."""
        return self.passed or self.checked - self.pair_frames > self.frames - self.need

    @property
    def people(self) -> int:
        """Most faces (small ones included) in one checked frame, as Finding.people counts them."""
        return max((f + s for f, s in zip(self.faces, self.small)), default=0)

    @property
    def reason(self) -> str:
        return (
            f"{self.pair_frames} of {self.checked} sample frame(s) checked show two faces of at least the landmark "
            f"size ({self.detector}); {self.need} of {self.frames} needed"
        )

    def to_dict(self) -> dict:
        return {
            "passed": self.passed,
            "need": self.need,
            "frames": self.frames,
            "checked": self.checked,
            "pair_frames": self.pair_frames,
            "faces": self.faces,
            "small": self.small,
            "detector": self.detector,
            "reason": self.reason,
        }


class PresenceGate:
    """``check(images)``: the full path's "enough faces?" test, stopping as soon as it is decided."""

    def __init__(self, config: FeatureConfig, finder: FaceFinder | None = None):
        self.config = config
        self.finder = finder or config.face_finder()

    @property
    def name(self) -> str:
        return self.finder.name

    def count(self, image_bgr: np.ndarray) -> tuple[int, int]:
        """(faces large enough for landmarks, smaller faces) as :meth:`FaceFinder.find` splits them."""
        big = small = 0
        for box, _score in self.finder.detect(image_bgr):
            if box[2] - box[0] + 1 < self.finder.min_landmark_px:
                small += 1
            else:
                big += 1
        return big, small

    def start(self, frames: int) -> Verdict:
        """A verdict for a segment of ``frames`` sample frames, before any is seen."""
        need = min(self.config.min_pair_frames, frames)
        return Verdict(passed=need <= 0, need=need, frames=frames, detector=self.name)

    def feed(self, v: Verdict, image_bgr: np.ndarray) -> None:
        """The segment's next sample frame (in order); does nothing once the verdict is decided."""
        if v.decided:
            return
        big, small = self.count(image_bgr)
        v.checked += 1
        v.faces.append(big)
        v.small.append(small)
        v.pair_frames += big >= 2
        if v.pair_frames >= v.need:
            v.passed = True

    def settle(self, v: Verdict) -> None:
        """After the last frame there is: a verdict still undecided (a sample frame that could not
        be decoded) passes, so the full path decides (and records why it could not)."""
        if not v.decided:
            v.passed = True

    def check(self, images: Iterable[np.ndarray], frames: int) -> Verdict:
        """``images``: the segment's ``frames`` sample frames in order (an iterator is read only as
        far as needed)."""
        v = self.start(frames)
        for image in images:
            if v.decided:
                break
            self.feed(v, image)
        self.settle(v)
        return v
