"""Face descriptors of the features stage's people (dlib's face recognition ResNet)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from forensic.features.faces import FaceFinder, pick_two
from forensic.features.identity import IdentityConfig, describe, model_path, model_sha256
from forensic.synth.photos import two_people_image


@pytest.fixture(scope="module")
def frame(tmp_path_factory) -> np.ndarray:
    img = cv2.imread(two_people_image(str(tmp_path_factory.mktemp("faces"))))  # astronaut left, grace_hopper right
    return cv2.resize(img, None, fx=0.7, fy=0.7, interpolation=cv2.INTER_AREA)


def people_of(images):
    finder = FaceFinder()
    return pick_two([finder.faces(img) for img in images])


def vec(rec, person):
    p = next(p for p in rec["people"] if p["person"] == person)
    return None if p["descriptor"] is None else np.array(p["descriptor"])


def test_same_person_close_different_people_far(frame):
    mirrored = np.ascontiguousarray(frame[:, ::-1])  # now grace_hopper is A (left), the astronaut B
    shifted = cv2.resize(frame, None, fx=0.85, fy=0.85, interpolation=cv2.INTER_AREA)
    images = [frame, shifted]
    rec = describe(images, [0, 1], people_of(images), IdentityConfig(max_frames=2))
    rec_m = describe([mirrored], [0], people_of([mirrored]))
    astro, hopper = vec(rec, "A"), vec(rec, "B")
    assert rec["model_sha256"] == model_sha256() and len(astro) == 128
    assert rec["people"][0]["frames_used"] == [0, 1]
    assert np.linalg.norm(astro - hopper) > 0.6
    assert np.linalg.norm(astro - vec(rec_m, "B")) < 0.6  # a mirrored face is the same person
    assert np.linalg.norm(hopper - vec(rec_m, "A")) < 0.6
    assert rec["people"][0]["thumb_jpeg_b64"]


def test_small_faces_skipped_and_counted(frame):
    small = cv2.resize(frame, None, fx=0.7, fy=0.7, interpolation=cv2.INTER_AREA)
    pairs = people_of([frame, small])
    assert all(f is not None for p in pairs for f in p)
    width = [[f.box[2] - f.box[0] for f in p] for p in pairs]  # [frame][person]
    cut = min(width[0])  # the smaller full-size face: at least that person's smaller copy is skipped
    rec = describe([frame, small], [0, 1], pairs, IdentityConfig(min_face_px=cut, max_frames=5))
    want = [[i for i in range(2) if width[i][k] >= cut] for k in range(2)]
    assert rec["skipped_small"] == sum(2 - len(w) for w in want) >= 1
    assert [p["frames_used"] for p in rec["people"]] == want
    assert [p["skipped_small"] for p in rec["people"]] == [2 - len(w) for w in want]
    rec = describe([small], [1], pairs[1:], IdentityConfig(min_face_px=10_000))
    assert rec["skipped_small"] == 2 and vec(rec, "A") is None and vec(rec, "B") is None


def test_model_file_found_without_importing_the_package():
    assert model_path().endswith("dlib_face_recognition_resnet_model_v1.dat")
    assert len(model_sha256()) == 64
