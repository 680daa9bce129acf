"""The embedded default segmenter, hog-face-grabcut (forensic.features.people_default)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from forensic.features.background import PeopleMask, Segmenter, remove_background
from forensic.features.faces import FaceFinder
from forensic.features.people_default import HogFaceGrabCut


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    import skimage.data

    return cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="module")
def segmenter() -> HogFaceGrabCut:
    return HogFaceGrabCut(face_finder=FaceFinder())


@pytest.fixture(scope="module")
def astronaut_people(segmenter, astronaut):
    before = astronaut.copy()
    pm = segmenter.people(astronaut)
    assert np.array_equal(astronaut, before), "the segmenter changed the frame it was given"
    return pm


def test_opencv_hog_people_detector_is_available():
    assert hasattr(cv2, "HOGDescriptor")
    hog = cv2.HOGDescriptor()
    detector = cv2.HOGDescriptor_getDefaultPeopleDetector()
    hog.setSVMDetector(detector)
    assert np.asarray(detector).size > 3000  # the 64x128 default people SVM


def test_is_a_segmenter_with_its_name(segmenter):
    assert isinstance(segmenter, Segmenter)
    assert segmenter.name == HogFaceGrabCut.name == "hog-face-grabcut"


def test_astronaut_mask(astronaut_people, astronaut):
    pm = astronaut_people
    assert isinstance(pm, PeopleMask)
    assert pm.mask.dtype == bool and pm.mask.shape == astronaut.shape[:2]
    assert pm.segmenter == "hog-face-grabcut"
    assert pm.count >= 1 and len(pm.scores) == pm.count
    # the face centre (~220, 121) is a person
    assert pm.mask[111:131, 210:230].all()
    # the corners are background (flag, wall, helmet), except bottom-left, where the suit is
    for ys, xs in [
        (slice(0, 40), slice(0, 40)),
        (slice(0, 40), slice(-40, None)),
        (slice(-40, None), slice(-40, None)),
    ]:
        assert pm.mask[ys, xs].mean() < 0.1
    assert pm.mask[:100, :120].mean() < 0.1  # the flag, left of the head
    assert pm.mask[:100, 340:].mean() < 0.1  # the wall and the shuttle model, right of the head
    # neither nothing nor everything
    assert 0.1 < pm.mask.mean() < 0.8
    # the first person's box is anchored on the face: it holds the face and extends below it
    x0, y0, x1, y1 = pm.boxes[0]
    assert x0 <= 210 and x1 >= 230 and y0 <= 111 and y1 > 300


def test_flat_image_has_no_people(segmenter):
    img = np.full((360, 480, 3), 128, np.uint8)
    before = img.copy()
    pm = segmenter.people(img)
    assert pm.count == 0 and pm.boxes == [] and pm.scores == []
    assert pm.mask.shape == (360, 480) and pm.mask.dtype == bool and not pm.mask.any()
    assert np.array_equal(img, before)


def test_people_given_faces_uses_the_given_faces(segmenter, astronaut):
    faces = FaceFinder().faces(astronaut)
    pm = segmenter.people_given_faces(astronaut, faces)
    fx0, fy0, fx1, fy1 = faces[0].box
    x0, y0, x1, y1 = pm.boxes[0]
    assert x0 < fx0 and x1 > fx1 and y0 <= fy0 and y1 > fy1  # head and torso around the face
    assert pm.scores[0] == faces[0].score
    cy, cx = (fy0 + fy1) // 2, (fx0 + fx1) // 2
    assert pm.mask[cy, cx]
    # with no faces given, a flat picture has nothing
    flat = np.full((200, 200, 3), 40, np.uint8)
    assert not segmenter.people_given_faces(flat, []).mask.any()


def test_remove_background_blacks_out_everything_else(astronaut_people, astronaut):
    before = astronaut.copy()
    kept = remove_background(astronaut, astronaut_people)
    assert np.array_equal(astronaut, before)
    assert kept.shape == astronaut.shape and kept.dtype == np.uint8
    m = astronaut_people.mask
    assert not kept[~m].any()
    assert np.array_equal(kept[m], astronaut[m])
