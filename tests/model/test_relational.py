"""The relational numbers derived from the 29 (forensic.model.relational), on made-up scenes
whose answers are known: who walks toward whom, whose head is turned to the other, what is missing."""

from __future__ import annotations

import numpy as np
import pytest

from forensic.features.table import FEATURE_COLUMNS
from forensic.model.relational import RELATIONAL_CLIP_NAMES, RELATIONAL_NAMES, relational

FRAMES = 5
SPAN = 40.0  # eye span of both faces, px


def _scene(a_x, b_x, a_yaw=0.0, b_yaw=0.0, b_span=SPAN, y=200.0) -> np.ndarray:
    """One clip (1, 5, 29): two faces on a line, noses at ``a_x[k]`` and ``b_x[k]``."""
    t = np.zeros((1, FRAMES, len(FEATURE_COLUMNS)))
    col = {c: i for i, c in enumerate(FEATURE_COLUMNS)}
    for k in range(FRAMES):
        for who, x, span, yaw in (("A", a_x[k], SPAN, a_yaw), ("B", b_x[k], b_span, b_yaw)):
            t[0, k, col[f"{who}_nose_tip_x"]], t[0, k, col[f"{who}_nose_tip_y"]] = x, y
            t[0, k, col[f"{who}_left_eye_left_corner_x"]] = x - span / 2
            t[0, k, col[f"{who}_right_eye_right_corner_x"]] = x + span / 2
            t[0, k, col[f"{who}_left_eye_left_corner_y"]] = t[0, k, col[f"{who}_right_eye_right_corner_y"]] = y - 20
            t[0, k, col[f"{who}_yaw"]] = yaw
        t[0, k, col["distance_px"]] = abs(b_x[k] - a_x[k])
    return t


def _named(out: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    per_frame = out[0, : FRAMES * len(RELATIONAL_NAMES)].reshape(FRAMES, len(RELATIONAL_NAMES))
    clip = out[0, FRAMES * len(RELATIONAL_NAMES) :]
    return (
        {n: per_frame[:, i] for i, n in enumerate(RELATIONAL_NAMES)},
        {n: float(clip[i]) for i, n in enumerate(RELATIONAL_CLIP_NAMES)},
    )


def test_shape_and_names():
    out = relational(_scene([100] * 5, [300] * 5))
    assert out.shape == (1, FRAMES * len(RELATIONAL_NAMES) + len(RELATIONAL_CLIP_NAMES))


def test_a_follows_b_from_behind():
    """A walks 30 px a frame toward B, who stands: A closes, B does not move, distance shrinks."""
    frame, clip = _named(relational(_scene([100, 130, 160, 190, 220], [400] * 5)))
    assert clip["a_toward_b"] == pytest.approx(4 * 30 / SPAN)
    assert clip["b_toward_a"] == pytest.approx(0.0)
    assert clip["closing"] == pytest.approx((180 - 300) / SPAN)
    np.testing.assert_allclose(frame["dx_over_size"], [300 / SPAN, 270 / SPAN, 240 / SPAN, 210 / SPAN, 180 / SPAN])


def test_b_walks_away_on_the_left():
    """Mirror: B is on A's left and walks away from A: B's movement toward A is negative."""
    _frame, clip = _named(relational(_scene([400] * 5, [300, 280, 260, 240, 220])))
    assert clip["b_toward_a"] == pytest.approx(-4 * 20 / SPAN)
    assert clip["a_toward_b"] == pytest.approx(0.0)
    assert clip["closing"] > 0


@pytest.mark.parametrize("a_left", [True, False])
def test_heads_turned_toward_each_other(a_left):
    """yaw > 0 turns a face toward the image's right: A on the left looking right looks at B, and
    the same numbers hold when the two swap sides and turn the other way."""
    a_x, b_x = ([100] * 5, [300] * 5) if a_left else ([300] * 5, [100] * 5)
    sign = 1 if a_left else -1
    frame, clip = _named(relational(_scene(a_x, b_x, a_yaw=30 * sign, b_yaw=-20 * sign)))
    np.testing.assert_allclose(frame["a_turned_to_b"], 30)
    np.testing.assert_allclose(frame["b_turned_to_a"], 20)
    assert clip["a_turned_frames"] == 5 and clip["b_turned_frames"] == 5
    away, away_clip = _named(relational(_scene(a_x, b_x, a_yaw=-30 * sign, b_yaw=0)))
    np.testing.assert_allclose(away["a_turned_to_b"], -30)
    assert away_clip["a_turned_frames"] == 0


def test_nearer_face_and_scale_change():
    frame, clip = _named(relational(_scene([100] * 5, [300] * 5, b_span=20.0)))
    np.testing.assert_allclose(frame["size_ratio"], 2.0)
    assert clip["a_scale_change"] == pytest.approx(0.0)


def test_missing_frames_and_clips():
    """A frame without the pair is NaN in its own numbers; the clip numbers use the frames there
    are; a clip with none is NaN throughout."""
    t = _scene([100, 130, 160, 190, 220], [400] * 5)
    t[0, 0] = np.nan
    frame, clip = _named(relational(t))
    assert np.isnan(frame["dx_over_size"][0]) and np.isfinite(frame["dx_over_size"][1:]).all()
    assert clip["closing"] == pytest.approx((180 - 270) / SPAN)
    assert clip["a_toward_b"] == pytest.approx(3 * 30 / SPAN)
    empty = relational(np.full((1, FRAMES, len(FEATURE_COLUMNS)), np.nan))
    assert np.isnan(empty).all()


@pytest.mark.parametrize("behind", ["A", "B"])
def test_the_one_behind_looking_at_the_one_in_front_reads_the_same_whoever_is_on_the_left(behind):
    """A follower walking behind its target (a smaller face) and looking at it: the depth gap and the
    turn of the one behind do not depend on which of the two is on the left (A), where the size ratio
    and A's own turn do."""
    a_x, b_x = [100] * 5, [300] * 5
    small = SPAN / 1.5
    if behind == "A":  # A on the left, further back, turned right toward B; B looks ahead
        t = _scene(a_x, b_x, a_yaw=25.0, b_yaw=0.0)
        col = {c: i for i, c in enumerate(FEATURE_COLUMNS)}
        t[0, :, col["A_left_eye_left_corner_x"]] = 100 - small / 2
        t[0, :, col["A_right_eye_right_corner_x"]] = 100 + small / 2
    else:  # B on the right, further back, turned left toward A
        t = _scene(a_x, b_x, a_yaw=0.0, b_yaw=-25.0, b_span=small)
    frame, clip = _named(relational(t))
    np.testing.assert_allclose(frame["depth_gap"], np.log(1.5))
    np.testing.assert_allclose(frame["behind_turned_to_front"], 25.0)
    np.testing.assert_allclose(frame["front_turned_to_behind"], 0.0)
    assert clip["depth_gap_median"] == pytest.approx(np.log(1.5))
    np.testing.assert_allclose(frame["size_ratio"], 1 / 1.5 if behind == "A" else 1.5)  # the one-sided number differs


def test_abreast_has_no_depth_gap():
    frame, clip = _named(relational(_scene([100] * 5, [300] * 5, a_yaw=20.0, b_yaw=-10.0)))
    np.testing.assert_allclose(frame["depth_gap"], 0.0)
    assert clip["depth_gap_median"] == pytest.approx(0.0)


def test_collapsed_eye_corners_give_finite_numbers():
    """dlib can put both eye corners of a tiny face on one pixel: the depth numbers stay finite (an
    infinite value would poison the scaler), NaN stays for what is really missing."""
    col = {c: i for i, c in enumerate(FEATURE_COLUMNS)}
    for collapsed in ("A", "B"):
        t = _scene([100] * 5, [300] * 5)
        t[0, :, col[f"{collapsed}_left_eye_left_corner_x"]] = t[0, :, col[f"{collapsed}_right_eye_right_corner_x"]]
        frame, clip = _named(relational(t))
        assert np.isfinite(frame["depth_gap"]).all() and np.isfinite(clip["depth_gap_median"])
        assert np.isfinite(frame["behind_turned_to_front"]).all()
