"""Re-posing a face photo (forensic.synth.faces3d): dlib still finds it, the estimated yaw and pitch
follow the requested ones, 0/0 is the photo itself."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from forensic.features import pose
from forensic.features.faces import POINT_INDEX0
from forensic.synth import faces3d

REPO = Path(__file__).resolve().parents[2]
W, H = 640, 480


@pytest.fixture(scope="module")
def models(pool):
    return [m for m in pool.models if not m.name.endswith("~mirrored")]


def render_in_frame(
    model: faces3d.FaceModel,
    yaw: float,
    pitch: float,
    face_width: float = 110.0,
    rendered: faces3d.Rendered | None = None,
):
    """The re-posed head (or ``rendered``), face_width px wide, nose at the centre of a W x H frame."""
    r = rendered if rendered is not None else model.render(yaw, pitch)
    k = face_width / model.face_width
    img = cv2.resize(r.image, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
    al = cv2.resize(r.alpha, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)[..., None]
    lm = (r.landmarks + 0.5) * k - 0.5
    ox, oy = int(round(W / 2 - lm[33, 0])), int(round(H / 2 - lm[33, 1]))
    canvas = np.full((H, W, 3), 110, np.uint8)
    h, w = img.shape[:2]
    roi = canvas[oy : oy + h, ox : ox + w]
    roi[:] = (img * al + roi * (1 - al) + 0.5).astype(np.uint8)
    return canvas, lm + (ox, oy)


def estimate(finder, frame):
    faces = finder.faces(frame)
    if not faces:
        return None
    return pose.yaw_pitch(faces[0].six, frame.shape[1], frame.shape[0]), faces[0]


def test_generic_face_keeps_the_estimators_six_depths():
    assert faces3d.GENERIC_DEPTH.shape == (68,)
    assert np.allclose(faces3d.GENERIC_DEPTH[list(POINT_INDEX0)], pose.MODEL_POINTS[:, 2])
    # symmetric: mirrored landmarks get the same depths
    mirror = list(range(16, -1, -1)) + list(range(26, 16, -1))
    assert np.allclose(faces3d.GENERIC_DEPTH[:27], faces3d.GENERIC_DEPTH[mirror])


def test_rotation_matches_the_pose_convention():
    forward = np.array([0.0, 0.0, -1.0])
    assert (faces3d.rotation(30, 0) @ forward)[0] > 0.4  # toward image right
    assert (faces3d.rotation(0, 20) @ forward)[1] < -0.3  # up
    # and the estimator reads the projected generic face the same way
    rvec, _ = cv2.Rodrigues(faces3d.rotation(25, -10))
    yaw, pitch, _roll = pose.angles(rvec)
    assert abs(yaw - 25) < 1e-6 and abs(pitch + 10) < 1e-6


def test_zero_zero_is_the_photo(models):
    for m in models:
        r = m.render(0, 0)
        assert np.allclose(r.landmarks, m.landmarks)
        inside = m.alpha > 0.5
        diff = np.abs(r.image.astype(int) - m.image.astype(int))[inside]
        assert diff.mean() < 1.0, m.name


def test_zero_zero_stays_near_the_photos_own_pose(models, finder):
    """dlib + pose.yaw_pitch read the same pose on the 0/0 render as on the photo itself (pasted
    at the same size and place, not warped)."""
    for m in models:
        frame, lm = render_in_frame(m, 0, 0)
        got = estimate(finder, frame)[0]
        photo = faces3d.Rendered(m.image, m.alpha, m.landmarks.copy(), 0.0, 0.0)
        own = estimate(finder, render_in_frame(m, 0, 0, rendered=photo)[0])[0]
        assert abs(got[0] - own[0]) < 2 and abs(got[1] - own[1]) < 2, (m.name, got, own)
        if m.photo_pose is not None:  # and near what it reads on the original photo
            assert abs(got[0] - m.photo_pose[0]) < 12, (m.name, got, m.photo_pose)


@pytest.mark.parametrize("pitch", [-15, 0])
def test_dlib_finds_reposed_faces_and_yaw_follows(models, finder, pitch):
    for m in models:
        base = estimate(finder, render_in_frame(m, 0, pitch)[0])[0]
        lo, hi = faces3d.detectable_yaw_range(m, finder)
        for yaw in (-30, -15, 15, 30):
            if not lo <= yaw <= hi and abs(yaw) > 16:
                continue
            frame, lm = render_in_frame(m, yaw, pitch)
            got = estimate(finder, frame)
            assert got is not None, (m.name, yaw, pitch)
            (ey, _ep), face = got
            assert np.abs(face.nose - lm[33]).max() < 6  # found where it was drawn
            change = ey - base[0]
            assert np.sign(change) == np.sign(yaw), (m.name, yaw, pitch, ey, base)
            assert 0.4 * abs(yaw) < abs(change) < 1.7 * abs(yaw), (m.name, yaw, pitch, ey, base)


def test_pitch_follows(models, finder):
    for m in models:
        p = {req: estimate(finder, render_in_frame(m, 0, req)[0])[0][1] for req in (-20, 0, 5)}
        assert p[-20] < p[0] < p[5] and p[5] - p[-20] > 6, (m.name, p)  # sign; see the benchmark for size


def test_detectable_yaw_range(models, finder):
    for m in models:
        lo, hi = faces3d.detectable_yaw_range(m, finder)
        assert -36 <= lo <= -16 and 16 <= hi <= 36


def test_user_faces_folder(tmp_path, finder):
    import skimage.data

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no face"):
        faces3d.load_user_faces(str(empty), finder)
    (empty / "grey.png").write_bytes(cv2.imencode(".png", np.full((200, 200, 3), 128, np.uint8))[1].tobytes())
    (empty / "notes.txt").write_text("not a picture")
    with pytest.raises(ValueError, match="dlib finds no face"):
        faces3d.load_user_faces(str(empty), finder)
    good = tmp_path / "good"
    good.mkdir()
    cv2.imwrite(str(good / "me.png"), cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR))
    (good / "grey.png").write_bytes((empty / "grey.png").read_bytes())
    got = faces3d.load_user_faces(str(good), finder)
    assert [m.name for m in got] == ["user:me"] and os.path.isabs(got[0].source)
    with pytest.raises(ValueError):
        faces3d.load_models(str(tmp_path / "nope"), finder=finder)


def test_contact_sheet_is_in_the_docs():
    sheet = REPO / "docs" / "synth_contact_sheet.png"
    assert sheet.is_file() and sheet.stat().st_size < 1_000_000
    img = cv2.imread(str(sheet))
    assert img is not None and img.shape[0] > 300 and img.shape[1] > 300
