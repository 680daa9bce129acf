"""Head yaw and pitch with cv2.solvePnP (forensic.features.pose), in the convention of its docstring:
x to the image's right, y down; yaw > 0 when the face turns toward the image's right, pitch > 0
when it tilts up; a frontal face is 0, 0."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from forensic.features import pose
from forensic.features.faces import FaceFinder

W, H = 640, 480
SWAP_LR = [0, 1, 3, 2, 5, 4]  # mirrored, "left" and "right" labels follow the image position


def rotation(yaw: float, pitch: float) -> np.ndarray:
    """Rotation of the generic face (camera coordinates) for the documented yaw and pitch.

    Built from first principles, not from pose.angles: the face looks along -z (at the camera);
    turning toward image-right rotates that direction toward +x, tilting up rotates it toward -y.
    """
    a, b = math.radians(yaw), math.radians(pitch)
    ry = np.array([[math.cos(a), 0, -math.sin(a)], [0, 1, 0], [math.sin(a), 0, math.cos(a)]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), math.sin(b)], [0, -math.sin(b), math.cos(b)]])
    return ry @ rx


def project(yaw: float, pitch: float, t=(0.0, 0.0, 3000.0)) -> np.ndarray:
    rvec, _ = cv2.Rodrigues(rotation(yaw, pitch))
    pts, _ = cv2.projectPoints(
        pose.MODEL_POINTS, rvec, np.array(t, float).reshape(3, 1), pose.camera_matrix(W, H), np.zeros(4)
    )
    return pts.reshape(6, 2)


def mirror(six: np.ndarray, width: int = W) -> np.ndarray:
    m = six.copy()
    m[:, 0] = width - m[:, 0]
    return m[SWAP_LR]


def test_rotation_helper_matches_the_documented_meaning():
    forward = np.array([0.0, 0.0, -1.0])  # the frontal face looks at the camera
    assert (rotation(30, 0) @ forward)[0] > 0.4  # turned toward image right: +x
    assert (rotation(0, 20) @ forward)[1] < -0.3  # tilted up: -y (up in the image)
    # and so does its picture: the turned face's nose moves right of the eye-corner midpoint
    six = project(30, 0)
    assert six[0, 0] > (six[2, 0] + six[3, 0]) / 2 + 5
    six = project(0, 20)  # tilted up: the nose tip rises toward (above) the eye line's level
    frontal = project(0, 0)
    assert six[0, 1] - (six[2, 1] + six[3, 1]) / 2 < frontal[0, 1] - (frontal[2, 1] + frontal[3, 1]) / 2


def test_model_points_are_in_faces_points_order():
    nose, chin, eye_l, eye_r, mouth_l, mouth_r = pose.MODEL_POINTS
    assert tuple(nose) == (0, 0, 0)
    assert chin[1] > mouth_l[1] > nose[1] > eye_l[1]  # y down
    assert eye_l[0] < 0 < eye_r[0] and mouth_l[0] < 0 < mouth_r[0]  # x right
    assert eye_l[0] == -eye_r[0] and mouth_l[0] == -mouth_r[0]  # symmetric: mirroring is exact


def test_frontal_face_is_zero_not_180():
    for t in [(0, 0, 3000), (400, -150, 2500), (-500, 200, 4000)]:
        yaw, pitch = pose.yaw_pitch(project(0, 0, t), W, H)
        assert abs(yaw) < 0.5 and abs(pitch) < 0.5, (t, yaw, pitch)


@pytest.mark.parametrize("t", [(0.0, 0.0, 3000.0), (300.0, 200.0, 3000.0), (0.0, 0.0, 1500.0)])
def test_round_trip_over_a_grid(t):
    worst = 0.0
    for yaw in range(-60, 61, 10):
        for pitch in range(-40, 41, 10):
            got = pose.yaw_pitch(project(yaw, pitch, t), W, H)
            assert got is not None
            err = max(abs(got[0] - yaw), abs(got[1] - pitch))
            worst = max(worst, err)
            assert err < 0.5, (yaw, pitch, t, got)
    assert worst < 0.5


@pytest.mark.parametrize("yaw,pitch", [(25, 0), (-40, 10), (0, 30), (50, -30), (-15, -20)])
def test_mirrored_face_has_opposite_yaw_same_pitch(yaw, pitch):
    six = project(yaw, pitch, (250.0, -100.0, 3000.0))
    y1, p1 = pose.yaw_pitch(six, W, H)
    y2, p2 = pose.yaw_pitch(mirror(six), W, H)
    assert abs(y1 - yaw) < 0.5 and abs(p1 - pitch) < 0.5
    assert abs(y2 + yaw) < 0.5 and abs(p2 - pitch) < 0.5


def test_angles_of_known_rotation_vectors():
    yaw, pitch, roll = pose.angles(np.zeros((3, 1)))
    assert (abs(yaw), abs(pitch), abs(roll)) == (0, 0, 0)
    rvec, _ = cv2.Rodrigues(rotation(33, -12))
    yaw, pitch, _ = pose.angles(rvec)
    assert yaw == pytest.approx(33, abs=1e-6) and pitch == pytest.approx(-12, abs=1e-6)


def test_direction_line_points_where_the_face_turns():
    six = project(30, 0)
    start, end = pose.direction_line(six, W, H, length=500)
    assert np.allclose(start, six[0], atol=0.5)  # starts at the nose tip
    assert end[0] > start[0] + 20  # turned toward image right: ends right of the nose
    assert abs(end[1] - start[1]) < 5
    start, end = pose.direction_line(project(-30, 0), W, H)
    assert end[0] < start[0] - 20
    start, end = pose.direction_line(project(0, 20), W, H)
    assert end[1] < start[1] - 20  # tilted up: ends above the nose
    start, end = pose.direction_line(project(0, 0), W, H)
    assert np.allclose(start, end, atol=1.0)  # frontal: points straight at the camera


@pytest.mark.parametrize("yaw,pitch,t", [(-60, 30, (-600.0, 300.0, 3500.0)), (60, -40, (500.0, -200.0, 2500.0))])
def test_round_trip_off_centre_extreme(yaw, pitch, t):
    got = pose.yaw_pitch(project(yaw, pitch, t), W, H)
    assert got is not None
    assert abs(got[0] - yaw) < 0.5 and abs(got[1] - pitch) < 0.5, got


# ---------------------------------------------------------------- real faces


@pytest.fixture(scope="module")
def real_faces() -> dict[str, np.ndarray]:
    import matplotlib.cbook
    import skimage.data

    return {
        "astronaut": cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR),
        "grace_hopper": cv2.imread(str(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))),
    }


@pytest.mark.parametrize("name", ["astronaut", "grace_hopper"])
def test_real_face_mirrored_gives_opposite_yaw(real_faces, name):
    finder = FaceFinder()
    img = real_faces[name]
    flipped = cv2.flip(img, 1)
    (face,) = finder.faces(img)
    (face_m,) = finder.faces(flipped)
    h, w = img.shape[:2]
    yaw, pitch = pose.yaw_pitch(face.six, w, h)
    yaw_m, pitch_m = pose.yaw_pitch(face_m.six, w, h)
    assert -90 < yaw < 90 and -90 < pitch < 90  # a face seen from the front half, no wrap-around
    assert yaw * yaw_m < 0, (yaw, yaw_m)
    assert abs(yaw + yaw_m) < 10, (yaw, yaw_m)
    assert abs(pitch - pitch_m) < 10, (pitch, pitch_m)
