"""Head pose (yaw, pitch) from the paper's six landmarks with cv2.solvePnP and a generic 3D face.

Convention (documented, tested):
* camera coordinates: x to the image's right, y down, z away from the camera;
* the generic face model is given in those coordinates for a face looking straight at the camera,
  so a frontal face gives yaw = pitch = 0 (no ±180 wrap-around);
* **yaw** > 0 when the face turns toward the right side of the image (the subject's left); a
  horizontally mirrored face gives the opposite yaw;
* **pitch** > 0 when the face tilts up (chin forward, toward the top of the image);
* roll is dropped, as in the paper. Angles in degrees, in (-180, 180].
Focal length = image width, principal point = image centre, no lens distortion.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numpy as np

# Generic face, millimetre-like units, same order as forensic.features.faces.POINTS:
# nose tip, chin, left eye left corner, right eye right corner, mouth left, mouth right.
MODEL_POINTS = np.array(
    [
        (0.0, 0.0, 0.0),
        (0.0, 330.0, 65.0),
        (-225.0, -170.0, 135.0),
        (225.0, -170.0, 135.0),
        (-150.0, 150.0, 125.0),
        (150.0, 150.0, 125.0),
    ],
    dtype=np.float64,
)


class FacePoints(NamedTuple):
    """A generic face for solvePnP: its points, the row of its nose tip and of its outer eye corners
    (450 units apart: the frontal start's distance is taken from them)."""

    model: np.ndarray
    nose: int
    eyes: tuple[int, int]


SIX_POINTS = FacePoints(MODEL_POINTS, 0, (2, 3))


def camera_matrix(width: int, height: int) -> np.ndarray:
    f = float(width)
    return np.array([[f, 0, width / 2.0], [0, f, height / 2.0], [0, 0, 1]], dtype=np.float64)


def solve(
    six: np.ndarray, width: int, height: int, face: FacePoints = SIX_POINTS
) -> tuple[np.ndarray, np.ndarray] | None:
    """(rvec, tvec) of the generic face for these six image points, or None when it fails.

    Two starts, each refined by Levenberg-Marquardt: SQPnP (a global solver, right at extreme
    angles where a local one stops in a wrong minimum) and a frontal face in front of the camera;
    the solution in front of the camera with the smaller reprojection error wins. ``face`` replaces
    the paper's six points with another generic face (benchmarks/pose_points.py measures 68).
    """
    model, nose, eyes = face
    pts = np.asarray(six, dtype=np.float64).reshape(len(model), 1, 2)
    cam = camera_matrix(width, height)
    dist = np.zeros((4, 1))
    starts = []
    try:
        ok, r, t = cv2.solvePnP(model, pts, cam, dist, flags=cv2.SOLVEPNP_SQPNP)
        if ok:
            starts.append((r, t))
    except cv2.error:
        pass
    scale = np.linalg.norm(pts[eyes[1], 0] - pts[eyes[0], 0]) or 1.0
    z0 = cam[0, 0] * 450.0 / scale
    t0 = np.array(
        [[(pts[nose, 0, 0] - width / 2) * z0 / cam[0, 0]], [(pts[nose, 0, 1] - height / 2) * z0 / cam[0, 0]], [z0]]
    )
    starts.append((np.zeros((3, 1)), t0))
    best, best_err = None, np.inf
    for r0, t0 in starts:
        try:
            ok, r, t = cv2.solvePnP(model, pts, cam, dist, r0.copy(), t0.copy(), True, cv2.SOLVEPNP_ITERATIVE)
        except cv2.error:
            continue
        if not ok or float(t[2, 0]) <= 0:
            continue
        proj, _ = cv2.projectPoints(model, r, t, cam, dist)
        err = float(np.sqrt(np.mean(np.sum((proj - pts) ** 2, axis=2))))
        if err < best_err:
            best, best_err = (r, t), err
    return best


def angles(rvec: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees from a rotation vector, in the convention above."""
    r, _ = cv2.Rodrigues(rvec)
    # R = Ry(yaw) @ Rx(pitch) @ Rz(roll) in camera coordinates
    yaw = math.degrees(math.atan2(r[0, 2], r[2, 2]))
    pitch = math.degrees(math.asin(max(-1.0, min(1.0, -r[1, 2]))))
    roll = math.degrees(math.atan2(r[1, 0], r[1, 1]))
    # x to the right, y down: turning toward image-right is a negative rotation about y (down)
    return -yaw, -pitch, roll


def yaw_pitch(six: np.ndarray, width: int, height: int, face: FacePoints = SIX_POINTS) -> tuple[float, float] | None:
    """(yaw, pitch) in degrees of the face at these image points (:func:`solve`), or None."""
    sol = solve(six, width, height, face)
    if sol is None:
        return None
    yaw, pitch, _roll = angles(sol[0])
    return _wrap(yaw), _wrap(pitch)


def _wrap(deg: float) -> float:
    d = (deg + 180.0) % 360.0 - 180.0
    return 180.0 if d == -180.0 else d


def direction_line(six: np.ndarray, width: int, height: int, length: float = 500.0):
    """Image points (start, end) of a line from the nose tip along the face's direction."""
    sol = solve(six, width, height)
    if sol is None:
        return None
    rvec, tvec = sol
    pts = np.array([(0.0, 0.0, 0.0), (0.0, 0.0, -length)])
    img, _ = cv2.projectPoints(pts, rvec, tvec, camera_matrix(width, height), np.zeros((4, 1)))
    return tuple(img[0, 0]), tuple(img[1, 0])
