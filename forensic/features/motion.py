"""Does anything move in a segment? A cheap frame-difference measure over its sample frames.

A segment whose frames do not change (a photograph filmed or shown on screen, a paused camera, a
frozen stream) shows no behaviour: following, keeping a distance and turning one's head all need
time to pass. Such a segment is ``still`` and is not classified. So is one where only the camera
moves over a scene that does not change (a camera panning over a poster, a photograph slid across a
screen): :func:`scene_change` measures what changes once each pair of sample frames
is aligned by one camera motion.

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

The scene measure (:func:`scene_change`): the same grey, 320 px, blurred frames; each consecutive
pair aligned by one affine camera motion (OpenCV's phase correlation for the shift, then its ECC
maximisation for the affine motion); the fraction of pixels, inside both frames, changing by more
than :data:`LEVEL` after alignment; the largest over the pairs. It is taken only where the camera
moved (a corner of the frame moves half a pixel or more at 320 px); with a fixed camera the stricter
frame measure alone decides, as it did before. The scene is still when that is below
:data:`SCENE_STILL_MAX`. Measured (README, "Still segments"): the demo's picture of two people
drifting sideways or panned across, at 480 to 1280 px wide, 0.0007-0.0008; a real person
standing almost still (Intel's head-pose GIF) 0.008, the other real clips 0.13 and more; 489
generated scenario clips 0.037 and more. 4-11 ms a pair on 640 px frames.
"""

from __future__ import annotations

import cv2
import numpy as np

WIDTH = 320  # pixels: frames are compared at this width
LEVEL = 8  # grey levels (of 255) a pixel must change by to count as changed
STILL_MAX = 0.001  # a segment is still when under 0.1 % of its pixels change between any two sample frames
# a segment is still when, after aligning each pair of sample frames by one camera motion, under
# 0.3 % of its pixels change: 4x the floor of a picture slid across (0.0008: interpolation and
# compression), 1/3 of the least a real person standing almost still gave (0.008)
SCENE_STILL_MAX = 0.003
# the camera moved when a corner of the frame moves this far (pixels at WIDTH) between two sample
# frames; with a fixed camera the stricter STILL_MAX alone applies, as before camera motion was measured
CAMERA_MIN_PX = 0.5
_ECC_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 50, 1e-4)
_EDGE = np.ones((5, 5), np.uint8)  # pixels this close to the frame's edge after alignment are left out


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


def scene_change(images: list[np.ndarray]) -> float | None:
    """The largest fraction of pixels that change between two consecutive sample frames once the
    second is aligned to the first by one affine camera motion (0 for fewer than two frames).
    None when the camera did not move (no corner of the frame moves :data:`CAMERA_MIN_PX` or more
    between any two sample frames: :func:`frame_change` alone decides, as for a fixed camera) or
    when a pair cannot be aligned (a uniform frame, frames of different sizes: the camera's motion
    is unknown), so nothing is said about the scene."""
    small = [_small(img).astype(np.float32) for img in images]
    worst, moved = 0.0, len(small) < 2
    for a, b in zip(small, small[1:]):
        if a.shape != b.shape:
            return None
        warp = np.eye(2, 3, dtype=np.float32)
        (dx, dy), _response = cv2.phaseCorrelate(a, b)
        warp[0, 2], warp[1, 2] = dx, dy
        try:
            _cc, warp = cv2.findTransformECC(a, b, warp, cv2.MOTION_AFFINE, _ECC_CRITERIA, None, 1)
        except cv2.error:  # no texture to align on, or ECC did not converge
            return None
        h, w = a.shape
        corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float32)
        moved = moved or float(np.abs(corners @ warp.T - corners[:, :2]).max()) >= CAMERA_MIN_PX
        inverse = cv2.INTER_LINEAR + cv2.WARP_INVERSE_MAP
        aligned = cv2.warpAffine(b, warp, (w, h), flags=inverse)
        inside = cv2.warpAffine(np.ones_like(b, np.uint8), warp, (w, h), flags=cv2.INTER_NEAREST + cv2.WARP_INVERSE_MAP)
        inside = cv2.erode(inside, _EDGE) > 0
        if not inside.any():
            return None
        worst = max(worst, float(np.mean(np.abs(a - aligned)[inside] > LEVEL)))
    return worst if moved else None


def is_still(change: float, scene: float | None = None) -> bool:
    """Still: the frames do not change, or (``scene``, from :func:`scene_change`) only the camera moves."""
    return change < STILL_MAX or (scene is not None and scene < SCENE_STILL_MAX)
