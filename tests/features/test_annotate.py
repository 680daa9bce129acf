"""Annotated keyframes (forensic.features.annotate): drawn on a copy, nose-to-nose line in green."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from forensic.features.annotate import annotate
from forensic.features.background import PeopleMask
from forensic.features.faces import FaceFinder, pick_two
from forensic.synth.lavfi import two_people_image

GREEN = np.array([0, 255, 0], np.uint8)


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    img = cv2.imread(two_people_image(str(tmp_path_factory.mktemp("annotate"))))
    faces = FaceFinder().faces(img)
    assert len(faces) == 2
    (pair,) = pick_two([faces])
    return img, faces, pair


def green_pixels(img: np.ndarray) -> np.ndarray:
    return np.all(img == GREEN, axis=2)


def test_returns_a_new_image_and_leaves_the_input(scene):
    img, faces, pair = scene
    before = img.copy()
    mask = np.zeros(img.shape[:2], bool)
    mask[100:500, 50:400] = True
    out = annotate(img, pair, PeopleMask(mask, [(50, 100, 400, 500)], [1.0]), faces, 37, "00:00:01.480")
    assert out is not img and not np.shares_memory(out, img)
    assert out.shape == img.shape and out.dtype == img.dtype
    assert np.array_equal(img, before)
    assert not np.array_equal(out, img)
    # the people mask is tinted: inside it changes, far outside (top-right corner) it does not
    assert (out[150:450, 60:120] != img[150:450, 60:120]).any(axis=2).mean() > 0.9
    assert np.array_equal(out[:40, -150:], img[:40, -150:])


def test_nose_to_nose_line_is_green(scene):
    img, faces, pair = scene
    a, b = pair
    assert not green_pixels(img).any()  # the pictures have no pure green of their own
    out = annotate(img, pair, None, faces)
    green = green_pixels(out)
    hits = 0
    ts = np.linspace(0.15, 0.85, 15)
    for t in ts:
        x, y = (1 - t) * a.nose + t * b.nose
        x, y = int(round(x)), int(round(y))
        if green[y - 2 : y + 3, x - 2 : x + 3].any():
            hits += 1
    assert hits >= len(ts) - 3  # (the distance label covers the middle)
    # and nowhere far from that line, except the label near its middle
    ys, xs = np.nonzero(green)
    assert xs.min() >= min(a.nose[0], b.nose[0]) - 60 and xs.max() <= max(a.nose[0], b.nose[0]) + 60


def test_no_line_without_a_pair(scene):
    img, faces, pair = scene
    a, _ = pair
    out = annotate(img, (a, None), None, faces)
    assert not green_pixels(out).any()
    assert not np.array_equal(out, img)  # A is still drawn
    # B's face is drawn only as a grey 'other face' box, not as person B (no blue box)
    b = pair[1]
    x0, y0, x1, y1 = b.box
    assert np.array_equal(out[y0, x0 + 10], [160, 160, 160])
    blank = annotate(img, (None, None))
    assert np.array_equal(blank, img) and blank is not img  # nothing to draw, still a copy


def test_frame_stamp(scene):
    img, _, _ = scene
    out = annotate(img, (None, None), None, (), 112, "00:00:04.480")
    h = img.shape[0]
    changed = (out != img).any(axis=2)
    assert changed[h - 40 :, :400].any()  # bottom-left label
    assert not changed[: h - 60].any()
