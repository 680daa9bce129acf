"""dlib faces and landmarks (FaceFinder, Face, POINTS) and the choice of the two people (pick_two)."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

from forensic.features.faces import POINT_INDEX0, POINT_NAMES, POINTS, Face, FaceFinder, pick_two, predictor_path


@pytest.fixture(scope="module")
def finder() -> FaceFinder:
    return FaceFinder()


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    import skimage.data

    return cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="module")
def grace_hopper() -> np.ndarray:
    import matplotlib.cbook

    img = cv2.imread(str(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    assert img is not None
    return img


# where the faces are in the two pictures (x centre, y centre of the face box, face width range)
KNOWN = {"astronaut": ((220, 121), (60, 130)), "grace_hopper": ((273, 232), (130, 250))}


# ---------------------------------------------------------------- the six points


def test_point_indices_are_dlib_1_based_minus_one():
    assert POINT_INDEX0 == (33, 8, 36, 45, 48, 54)
    assert [i for _, i in POINTS] == [34, 9, 37, 46, 49, 55]
    assert POINT_NAMES == (
        "nose_tip",
        "chin",
        "left_eye_left_corner",
        "right_eye_right_corner",
        "mouth_left_corner",
        "mouth_right_corner",
    )


def test_predictor_file_exists():
    path = predictor_path()
    assert os.path.isfile(path)
    assert os.path.basename(path) == "shape_predictor_68_face_landmarks.dat"
    assert os.path.getsize(path) > 50_000_000  # the real 68-point model (~95 MB), not a stub


def test_face_six_and_nose_are_the_right_landmarks():
    landmarks = np.arange(136, dtype=np.float64).reshape(68, 2)
    face = Face((0, 0, 10, 10), 1.0, landmarks)
    six = face.six
    assert six.shape == (6, 2)
    for row, index0 in zip(six, (33, 8, 36, 45, 48, 54)):
        assert row.tolist() == [2 * index0, 2 * index0 + 1]
    assert face.nose.tolist() == landmarks[33].tolist()
    assert face.area == 100


# ---------------------------------------------------------------- detection on real faces


@pytest.mark.parametrize("name", ["astronaut", "grace_hopper"])
def test_one_face_at_the_known_place(finder, name, request):
    img = request.getfixturevalue(name)
    faces = finder.faces(img)
    assert len(faces) == 1, [f.box for f in faces]
    face = faces[0]
    (cx, cy), (wmin, wmax) = KNOWN[name]
    x0, y0, x1, y1 = face.box
    assert abs((x0 + x1) / 2 - cx) < 25 and abs((y0 + y1) / 2 - cy) < 25, face.box
    assert wmin <= x1 - x0 <= wmax
    assert 0 <= x0 < x1 <= img.shape[1] and 0 <= y0 < y1 <= img.shape[0]
    assert face.score >= 0.2
    assert face.landmarks.shape == (68, 2)
    # the landmarks lie on the face
    assert np.all(face.landmarks[:, 0] > x0 - 20) and np.all(face.landmarks[:, 0] < x1 + 20)
    assert np.all(face.landmarks[:, 1] > y0 - 40) and np.all(face.landmarks[:, 1] < y1 + 30)


@pytest.mark.parametrize("name", ["astronaut", "grace_hopper"])
def test_six_points_are_geometrically_sensible(finder, name, request):
    face = finder.faces(request.getfixturevalue(name))[0]
    nose, chin, eye_l, eye_r, mouth_l, mouth_r = face.six
    eye_y = (eye_l[1] + eye_r[1]) / 2
    assert eye_y < nose[1] < chin[1]  # y grows downward
    assert eye_l[0] < eye_r[0]  # 37 is the image-left eye corner, 46 the image-right one
    assert mouth_l[0] < mouth_r[0]  # 49 left of 55
    assert eye_l[0] < nose[0] < eye_r[0]
    assert mouth_l[0] < nose[0] < mouth_r[0]
    assert nose[1] < mouth_l[1] < chin[1] and nose[1] < mouth_r[1] < chin[1]
    assert chin[1] == face.six[:, 1].max()  # the chin is the lowest of the six
    # the eye corners are far apart compared to the mouth corners (a real face, not noise)
    assert np.linalg.norm(eye_r - eye_l) > np.linalg.norm(mouth_r - mouth_l)


def test_no_face_on_flat_or_noise_images(finder):
    assert finder.faces(np.full((480, 640, 3), 128, np.uint8)) == []
    rng = np.random.default_rng(0)
    assert finder.faces(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)) == []


def test_min_size_and_min_score_filter(astronaut):
    assert FaceFinder(min_size=200).faces(astronaut) == []  # the face is ~90 px wide
    assert FaceFinder(min_score=10.0).faces(astronaut) == []
    assert len(FaceFinder().faces(astronaut)) == 1


def test_faces_are_sorted_largest_first(finder, astronaut, grace_hopper):
    # grace_hopper's face (~186 px) is larger than the astronaut's (~90 px); put it on the right
    h = max(astronaut.shape[0], grace_hopper.shape[0])
    canvas = np.full((h, astronaut.shape[1] + 100 + grace_hopper.shape[1], 3), 90, np.uint8)
    canvas[: astronaut.shape[0], : astronaut.shape[1]] = astronaut
    canvas[: grace_hopper.shape[0], astronaut.shape[1] + 100 :] = grace_hopper
    faces = finder.faces(canvas)
    assert len(faces) == 2
    assert faces[0].area > faces[1].area
    assert faces[0].nose[0] > astronaut.shape[1] + 100  # the larger one is grace_hopper, on the right
    assert faces[1].nose[0] < astronaut.shape[1]


# ---------------------------------------------------------------- pick_two


def fake_face(x: float, y: float, size: int = 80) -> Face:
    """A face whose 68 landmarks sit around the nose tip (x, y)."""
    rng = np.random.default_rng(int(x * 7 + y * 13) % 2**32)
    lm = np.column_stack([x + rng.uniform(-size / 3, size / 3, 68), y + rng.uniform(-size / 3, size / 3, 68)])
    lm[33] = (x, y)
    half = size // 2
    return Face((int(x) - half, int(y) - half, int(x) + half, int(y) + half), 1.0, lm)


def test_a_is_the_left_person_of_the_first_frame_with_two():
    left, right = fake_face(100, 200, 90), fake_face(500, 210, 60)
    # detection order is by size: the right (larger here) face first
    big_right, small_left = fake_face(500, 210, 120), fake_face(100, 200, 60)
    pairs = pick_two([[big_right, small_left]])
    assert pairs[0] == (small_left, big_right)
    pairs = pick_two([[left, right]])
    assert pairs[0] == (left, right)


def test_identities_stable_when_detection_order_swaps_and_people_move():
    frames = []
    a_x, b_x = 150.0, 450.0
    for i in range(5):
        a = fake_face(a_x + 15 * i, 200 + 5 * i)  # A walks right a bit
        b = fake_face(b_x - 10 * i, 220 - 3 * i)  # B walks left a bit
        frames.append([a, b] if i % 2 == 0 else [b, a])  # detection order swaps
    pairs = pick_two(frames)
    for (a, b), fs in zip(pairs, frames):
        assert a is not None and b is not None
        assert a.nose[0] < 250 < b.nose[0]
        assert {id(a), id(b)} == {id(f) for f in fs}


def test_identities_follow_people_who_cross_slowly():
    # A starts left and moves right past B's starting place in small steps; B moves left:
    # nearest-previous-position matching keeps A as A even after they have swapped sides
    xs_a = [100, 200, 300, 400, 500]
    xs_b = [500, 420, 340, 260, 180]
    frames = [[fake_face(xa, 200), fake_face(xb, 300)] for xa, xb in zip(xs_a, xs_b)]
    pairs = pick_two(frames)
    assert [a.nose[0] for a, _ in pairs] == xs_a
    assert [b.nose[0] for _, b in pairs] == xs_b


def test_frames_with_zero_or_one_face_get_none_slots():
    a0, b0 = fake_face(100, 200), fake_face(500, 200)
    only_b = fake_face(505, 202)
    only_a = fake_face(104, 198)
    a4, b4 = fake_face(108, 200), fake_face(498, 204)
    frames = [[], [only_b], [b0, a0], [only_a], [a4, b4]]
    pairs = pick_two(frames)
    assert len(pairs) == 5
    assert pairs[0] == (None, None)
    assert pairs[1] == (None, only_b)  # nearest to B of the first pair, even before that frame
    assert pairs[2] == (a0, b0)
    assert pairs[3] == (only_a, None)
    assert pairs[4] == (a4, b4)


def test_only_the_two_largest_faces_count():
    a, b = fake_face(100, 200, 100), fake_face(500, 200, 90)
    small = fake_face(300, 100, 30)  # a third, smaller face (faces() lists largest first)
    pairs = pick_two([[a, b, small], [b, a, small]])
    assert pairs == [(a, b), (a, b)]


def test_no_frames_and_no_faces():
    assert pick_two([]) == []
    assert pick_two([[], [], []]) == [(None, None)] * 3


def test_one_face_in_a_single_frame_only():
    f = fake_face(100, 100)
    assert pick_two([[], [f], []]) == [(None, None), (f, None), (None, None)]


def test_one_person_in_every_frame():
    faces = [fake_face(100 + i, 200) for i in range(5)]
    pairs = pick_two([[f] for f in faces])
    assert len(pairs) == 5
    slots = {0 if a is not None else 1 for a, _ in pairs}
    assert len(slots) == 1  # the same person keeps the same slot
    for (a, b), f in zip(pairs, faces):
        assert (a is f and b is None) or (a is None and b is f)
