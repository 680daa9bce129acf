"""Scene-cut detectors behind one small base class.

The detection itself is PySceneDetect's (``scenedetect.detectors``); this module only adapts it
to frames numbered by the decoder (see :mod:`forensic.segments.decode`), so that a cut is the
exact decoded-frame index where a new shot starts, also for variable-frame-rate footage.
"""

from __future__ import annotations

import abc
from fractions import Fraction

import numpy as np
from scenedetect import FrameTimecode
from scenedetect.detectors import (
    AdaptiveDetector,
    ContentDetector,
    HashDetector,
    HistogramDetector,
    ThresholdDetector,
)

from forensic.config import SegmentConfig


class CutDetector(abc.ABC):
    """Feed every frame in order; get back the indices of frames that start a new shot."""

    name: str = "base"

    @abc.abstractmethod
    def process(self, index: int, image: np.ndarray) -> list[int]:
        """Frame ``index`` (0, 1, 2, ... with no gaps); returns cut frame indices found so far."""

    def finish(self, last_index: int) -> list[int]:
        """After the last frame: cuts still held back by the detector."""
        return []


class SceneDetectCutDetector(CutDetector):
    """One of PySceneDetect's detectors, by name."""

    _CLASSES = {
        "content": (ContentDetector, "threshold"),
        "adaptive": (AdaptiveDetector, "adaptive_threshold"),
        "threshold": (ThresholdDetector, "threshold"),
        "hash": (HashDetector, "threshold"),
        "histogram": (HistogramDetector, "threshold"),
    }

    def __init__(self, config: SegmentConfig, fps: Fraction):
        cls, threshold_arg = self._CLASSES[config.detector]
        self.name = f"scenedetect.{cls.__name__}"
        self.fps = fps
        min_len = max(1, round(config.min_scene_len_s * float(fps)))
        self.detector = cls(**{threshold_arg: config.effective_threshold, "min_scene_len": min_len})

    def _timecode(self, index: int) -> FrameTimecode:
        return FrameTimecode(index, fps=self.fps)

    def process(self, index: int, image: np.ndarray) -> list[int]:
        return [tc.frame_num for tc in self.detector.process_frame(self._timecode(index), image)]

    def finish(self, last_index: int) -> list[int]:
        return [tc.frame_num for tc in self.detector.post_process(self._timecode(last_index))]


def make_detector(config: SegmentConfig, fps: Fraction) -> CutDetector:
    return SceneDetectCutDetector(config, fps)
