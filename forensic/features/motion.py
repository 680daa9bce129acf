"""Does anything move in a segment? A cheap frame-difference measure over its sample frames.

A segment whose frames do not change (a photograph filmed or shown on screen, a paused camera, a
frozen stream) shows no behaviour: following, keeping a distance and turning one's head all need
time to pass. Such a segment is ``still`` and is not classified.

The measure: each sample frame in grey, scaled to :data:`WIDTH` pixels wide (area averaging,
which also averages sensor grain and compression noise away) and blurred a little; for each pair
of consecutive sample frames, the fraction of pixels whose grey level changed by more than
:data:`LEVEL`; the segment's change is the largest of those fractions. It is still when that is
below :data:`STILL_MAX`: no pair of its sample frames (about a second apart) differs anywhere
but in a few scattered pixels. About 1 ms a frame.

Measured (README, "Still segments"): a still picture of two people encoded as
H.264, and a uniform colour, 0.0; a real person standing almost still in front of a camera
(../shared/people, Intel's head-pose GIF) 0.010, a classroom 0.012; generated scenes 0.055 and
more; 5 s windows of real footage with people in them 0.008 and more (an empty room: under 0.001).
"""

from __future__ import annotations

import cv2
import numpy as np

WIDTH = 320  # pixels: frames are compared at this width
LEVEL = 8  # grey levels (of 255) a pixel must change by to count as changed
STILL_MAX = 0.001  # a segment is still when under 0.1 % of its pixels change between any two sample frames


def _small(image: np.ndarray) -> np.ndarray:
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    h, w = grey.shape[:2]
    size = (WIDTH, max(1, round(h * WIDTH / max(w, 1))))
    return cv2.GaussianBlur(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), (3, 3), 0).astype(np.int16)


def frame_change(images: list[np.ndarray]) -> float:
    """The largest fraction of pixels that change between two consecutive sample frames (0 when
    there are fewer than two frames). Frames of different sizes count as changed."""
    small = [_small(img) for img in images]
    worst = 0.0
    for a, b in zip(small, small[1:]):
        if a.shape != b.shape:
            return 1.0
        worst = max(worst, float(np.mean(np.abs(a - b) > LEVEL)))
    return worst


def is_still(change: float) -> bool:
    return change < STILL_MAX
