"""Features of one segment: extract / segment_features on footage made from two real faces."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from forensic import intake
from forensic.config import ScanConfig
from forensic.features import (
    FRAME_SIZE,
    INSUFFICIENT_SUBJECTS,
    FeatureConfig,
    SegmentFeatures,
    extract,
    make_segmenter,
    table,
    to_model_frame,
)
from forensic.features.background import PeopleMask, Segmenter
from forensic.features.faces import FaceFinder
from forensic.features.people_default import HogFaceGrabCut
from forensic.features.segment import SegmentImages, sample_images, segment_features
from forensic.segments import segment_file
from forensic.synth.lavfi import Shot, face_images, make_clip, two_people_image

SIZE = (960, 540)
TIMING_KEYS = {"faces", "background", "pose", "resize"}
COLS = list(table.FEATURE_COLUMNS)


def segment_of(path: str, index: int = 0):
    """The Segment as forensic.engine.local.features_of_segment gets it."""
    item = intake.discover([path])[0]
    assert intake.hash_item(item)
    info = intake.probe_item(item)
    assert info is not None
    result = segment_file(
        item,
        ScanConfig().segments,
        info.avg_fps or info.nominal_fps,
        info.stream_index,
        info.stream_duration_s or info.duration_s,
    )
    return result.segments[index], info, item


@pytest.fixture(scope="module")
def finder() -> FaceFinder:
    return FaceFinder()


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("pictures")
    out = dict(face_images(str(folder)))
    out["two"] = two_people_image(str(folder))
    return out


@pytest.fixture(scope="module")
def two_people(tmp_path_factory, pictures, finder) -> tuple[SegmentFeatures, SegmentImages, object]:
    path = str(tmp_path_factory.mktemp("two") / "two_people.mp4")
    make_clip(path, [Shot("still:" + pictures["two"], 125)], fps=25, size=SIZE)
    segment, info, item = segment_of(path)
    seg = make_segmenter("hog-face-grabcut", None, finder)
    feats, imgs = segment_features(segment, seg, finder, info.stream_index, item.rotation or 0)
    return feats, imgs, segment


def test_two_people_status_and_table(two_people):
    feats, imgs, segment = two_people
    assert feats.status == "ok"
    assert feats.segmenter == "hog-face-grabcut"
    df = feats.table
    assert len(df) == 5
    assert df["frame"].tolist() == list(segment.sample_frames)
    assert df["s"].tolist() == pytest.approx(list(segment.sample_s))
    assert not df[COLS].isna().any().any()
    assert df["has_pair"].all() and feats.mask.all()
    assert (df["faces"] == 2).all()
    assert feats.vector.shape == (5, 29) and not np.isnan(feats.vector).any()
    assert len(feats.pairs) == len(feats.faces) == len(feats.people) == 5


def test_two_people_a_is_the_astronaut_on_the_left(two_people):
    feats, imgs, _ = two_people
    df = feats.table
    assert (df["A_nose_tip_x"] < df["B_nose_tip_x"]).all()
    assert (df["A_nose_tip_x"] < SIZE[0] * 0.45).all()  # the astronaut fills the left ~45 %
    assert (df["B_nose_tip_x"] > SIZE[0] * 0.55).all()
    # grace_hopper's face is bigger than the astronaut's
    for a, b in feats.pairs:
        assert b.area > a.area


def test_two_people_distance(two_people):
    feats, imgs, _ = two_people
    df = feats.table
    assert (df["distance_px"] > 300).all()
    d = np.hypot(df["A_nose_tip_x"] - df["B_nose_tip_x"], df["A_nose_tip_y"] - df["B_nose_tip_y"])
    np.testing.assert_allclose(df["distance_px"], d, rtol=1e-9)
    np.testing.assert_allclose(df["distance_norm"], d / np.hypot(*SIZE), rtol=1e-9)
    # a still picture: the numbers hardly move between the five frames
    assert df["distance_px"].max() - df["distance_px"].min() < 10
    assert df[["A_yaw", "A_pitch", "B_yaw", "B_pitch"]].abs().max().max() < 90


def test_two_people_frames128(two_people):
    feats, imgs, _ = two_people
    f = feats.frames128
    assert f is not None and f.shape == (5, FRAME_SIZE, FRAME_SIZE, 3) == (5, 128, 128, 3) and f.dtype == np.uint8
    # the grey gap between the two pictures (x ~430..530 of 960) is background: black
    gap_frame = imgs.images[0][40:500, 445:515]
    assert abs(float(gap_frame.mean()) - 90) < 15  # it is grey in the frame itself
    x0, x1 = int(445 / SIZE[0] * 128), int(515 / SIZE[0] * 128) + 1
    gap = f[:, 10:118, x0:x1]
    assert (gap == 0).mean() > 0.9
    # the people are kept: the astronaut's face and grace_hopper's face are not black
    for i, (a, b) in enumerate(feats.pairs):
        for face in (a, b):
            cx, cy = int(face.nose[0] / SIZE[0] * 128), int(face.nose[1] / SIZE[1] * 128)
            assert f[i, cy - 2 : cy + 3, cx - 2 : cx + 3].mean() > 30
    # RGB order: the kept pixels match the frame resized with its channels reversed
    small = cv2.resize(imgs.images[0], (128, 128), interpolation=cv2.INTER_AREA).astype(float)
    keep = f[0].sum(axis=2) > 0
    rgb_err = np.abs(f[0].astype(float) - small[:, :, ::-1])[keep].mean()
    bgr_err = np.abs(f[0].astype(float) - small)[keep].mean()
    assert rgb_err < 15 and rgb_err < bgr_err / 2
    # each frame is to_model_frame of its picture and people mask
    for i in range(5):
        assert np.array_equal(f[i], to_model_frame(imgs.images[i], feats.people[i]))


def test_two_people_masks_and_timings(two_people):
    feats, imgs, _ = two_people
    for pm, (a, b), img in zip(feats.people, feats.pairs, imgs.images):
        assert isinstance(pm, PeopleMask) and pm.mask.shape == img.shape[:2]
        for face in (a, b):
            assert pm.mask[int(face.nose[1]), int(face.nose[0])]
    assert TIMING_KEYS <= set(feats.timings_s)
    assert all(v >= 0 for v in feats.timings_s.values())
    assert feats.timings_s["faces"] > 0 and feats.timings_s["background"] > 0


def test_sample_images_are_full_size_bgr(two_people):
    feats, imgs, segment = two_people
    again = sample_images(segment)
    assert again.frame_indices == list(segment.sample_frames) == imgs.frame_indices
    assert len(again.images) == 5
    for img in again.images:
        assert img.shape == (SIZE[1], SIZE[0], 3) and img.dtype == np.uint8
    # BGR: the astronaut's orange suit (lower left) has more red (index 2) than blue (index 0)
    suit = again.images[0][380:520, 30:200].reshape(-1, 3).astype(float).mean(axis=0)
    assert suit[2] > suit[0] + 40


def test_one_person_clip_is_insufficient_subjects(tmp_path, pictures, finder):
    path = str(tmp_path / "one.mp4")
    make_clip(path, [Shot("still:" + pictures["astronaut"], 100)], fps=25, size=(640, 360))
    segment, info, item = segment_of(path)
    seg = make_segmenter("hog-face-grabcut", None, finder)
    feats, imgs = segment_features(segment, seg, finder, info.stream_index, item.rotation or 0)
    assert feats.status == INSUFFICIENT_SUBJECTS
    assert feats.frames128 is None
    assert len(feats.table) == 5
    assert feats.table[COLS].isna().all().all()
    assert (feats.table["faces"] == 1).all() and not feats.table["has_pair"].any()
    assert TIMING_KEYS <= set(feats.timings_s)


# ---------------------------------------------------------------- extract on pictures


class SpySegmenter(Segmenter):
    """Records its calls; keeps the left ``keep`` fraction of the frame as 'people'."""

    name = "spy"

    def __init__(self, keep: float = 1.0):
        self.keep = keep
        self.calls = 0

    def people(self, image_bgr):
        self.calls += 1
        mask = np.zeros(image_bgr.shape[:2], bool)
        mask[:, : int(image_bgr.shape[1] * self.keep)] = True
        return PeopleMask(mask, [(0, 0, int(image_bgr.shape[1] * self.keep), image_bgr.shape[0])], [1.0], self.name)


class CachedFinder:
    """A FaceFinder that searches each distinct picture object once (the tests below reuse them)."""

    def __init__(self, finder: FaceFinder):
        self.finder = finder
        self.name = finder.name
        self.min_landmark_px = finder.min_landmark_px
        self.cache: dict[int, tuple[np.ndarray, tuple[list, list]]] = {}

    def find(self, image_bgr):
        key = id(image_bgr)
        if key not in self.cache:
            self.cache[key] = (image_bgr, self.finder.find(image_bgr))  # keeps the picture alive
        faces, small = self.cache[key][1]
        return list(faces), list(small)

    def faces(self, image_bgr):
        return self.find(image_bgr)[0]


@pytest.fixture(scope="module")
def cached(finder) -> CachedFinder:
    return CachedFinder(finder)


@pytest.fixture(scope="module")
def scaled(pictures) -> dict[str, np.ndarray]:
    """The pictures at about half size (quick to search), as frames."""
    out = {}
    for name in ("astronaut", "two"):
        img = cv2.imread(pictures[name])
        out[name] = cv2.resize(img, (img.shape[1] * 3 // 4, img.shape[0] * 3 // 4), interpolation=cv2.INTER_AREA)
    return out


def test_too_few_pairs_skips_the_expensive_stage(scaled, cached):
    flat = np.full_like(scaled["astronaut"], 100)
    images = [flat, scaled["astronaut"], flat, flat, flat]
    spy = SpySegmenter()
    before = [im.copy() for im in images]
    feats = extract(images, [0, 5, 10, 15, 20], [0.0, 0.2, 0.4, 0.6, 0.8], spy, cached)
    assert spy.calls == 0  # background removal never ran
    assert feats.status == INSUFFICIENT_SUBJECTS and feats.frames128 is None
    assert feats.people == [None] * 5
    assert feats.table["faces"].tolist() == [0, 1, 0, 0, 0]
    assert feats.table[COLS].isna().all().all() and not feats.mask.any()
    assert feats.pairs[1][0] is not None and feats.pairs[1][1] is None  # the one face kept, as A
    assert feats.segmenter == "spy"
    assert TIMING_KEYS <= set(feats.timings_s) and feats.timings_s["background"] == 0.0
    assert all(np.array_equal(a, b) for a, b in zip(images, before))


class SchedulingSegmenter(SpySegmenter):
    """Keeps everything in the first frame, then only the left ``keep`` fraction."""

    def people(self, image_bgr):
        pm = super().people(image_bgr)
        if self.calls == 1:
            pm.mask[:] = True
        return pm


def test_faces_outside_the_people_mask_do_not_count(scaled, cached):
    two = scaled["two"]
    images = [two, two, two]
    seg = SchedulingSegmenter(keep=0.5)  # from frame 1 on, grace_hopper (on the right) is 'not a person'
    feats = extract(images, [0, 1, 2], [0.0, 0.04, 0.08], seg, cached, FeatureConfig(min_pair_frames=3))
    assert seg.calls == 3
    assert feats.table["faces"].tolist() == [2, 1, 1]
    assert feats.mask.tolist() == [True, False, False]
    assert feats.status == INSUFFICIENT_SUBJECTS  # only one frame of three shows both people
    assert feats.frames128 is not None and feats.frames128.shape == (3, 128, 128, 3)
    assert feats.frames128[0, :, 66:].any() and not feats.frames128[1:, :, 66:].any()
    assert sum("outside every person mask" in w for w in feats.warnings) == 2
    # the astronaut stays A in the frames where she is alone
    assert [a is not None for a, _ in feats.pairs] == [True, True, True]
    assert [b is None for _, b in feats.pairs] == [False, True, True]
    assert feats.table.loc[1:, COLS].isna().all().all()


def test_everyone_kept_gives_the_pair(scaled, cached):
    two = scaled["two"]
    everyone = SpySegmenter(keep=1.0)
    feats = extract([two, two, two], [0, 1, 2], [0.0, 0.04, 0.08], everyone, cached)
    assert feats.status == "ok" and feats.mask.all() and feats.warnings == []
    assert (feats.table["A_nose_tip_x"] < feats.table["B_nose_tip_x"]).all()


def test_one_face_left_in_every_frame_after_masking(scaled, cached):
    two = scaled["two"]
    feats = extract([two, two, two], [0, 1, 2], [0.0, 0.04, 0.08], SpySegmenter(keep=0.5), cached)
    assert feats.table["faces"].tolist() == [1, 1, 1]
    assert feats.status == INSUFFICIENT_SUBJECTS and not feats.mask.any()


def test_min_pair_frames(scaled, cached):
    two, flat = scaled["two"], np.full_like(scaled["two"], 100)
    images = [two, two, flat, flat, flat]
    feats = extract(images, list(range(5)), [0.0] * 5, SpySegmenter(), cached, FeatureConfig(min_pair_frames=3))
    assert feats.status == INSUFFICIENT_SUBJECTS and feats.frames128 is None
    feats = extract(images, list(range(5)), [0.0] * 5, SpySegmenter(), cached, FeatureConfig(min_pair_frames=2))
    assert feats.status == "ok" and feats.mask.tolist() == [True, True, False, False, False]
    assert feats.frames128.shape == (5, 128, 128, 3)
    assert feats.table.loc[2:, COLS].isna().all().all()  # no numbers invented for the empty frames


def test_to_model_frame():
    img = np.zeros((60, 80, 3), np.uint8)
    img[:, :] = (10, 20, 30)  # BGR
    mask = np.zeros((60, 80), bool)
    mask[:, :40] = True
    before = img.copy()
    out = to_model_frame(img, PeopleMask(mask))
    assert np.array_equal(img, before)
    assert out.shape == (128, 128, 3) and out.dtype == np.uint8 and out.flags["C_CONTIGUOUS"]
    assert out[:, :60].reshape(-1, 3).tolist() == [[30, 20, 10]] * (128 * 60)  # RGB
    assert not out[:, 68:].any()


def test_make_segmenter(tmp_path):
    from forensic.features.people_mediapipe import MediaPipeSelfiePose

    assert isinstance(make_segmenter("hog-face-grabcut"), HogFaceGrabCut)
    # the embedded default is now the pretrained one; hog-face-grabcut is asked for by name
    assert isinstance(make_segmenter("auto"), MediaPipeSelfiePose)
    assert isinstance(make_segmenter("auto", str(tmp_path / "missing.h5")), MediaPipeSelfiePose)
    assert isinstance(make_segmenter("mediapipe-selfie-pose"), MediaPipeSelfiePose)
    with pytest.raises(FileNotFoundError, match="maskrcnn-weights"):
        make_segmenter("pixellib")
    with pytest.raises(ValueError, match="unknown segmenter"):
        make_segmenter("magic")
    finder = FaceFinder()
    seg = make_segmenter("hog-face-grabcut", faces=finder)
    assert seg._faces is finder  # the face finder is shared, not loaded twice
