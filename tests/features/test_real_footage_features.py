"""The features stage on the real clips in ../shared/footage (skipped when the folder is absent)."""

from __future__ import annotations

import pytest

from forensic import intake
from forensic.config import ScanConfig
from forensic.features import INSUFFICIENT_SUBJECTS, make_segmenter, table
from forensic.features.faces import FaceFinder
from forensic.features.segment import sample_images, segment_features
from forensic.segments import segment_file
from tests.conftest import snapshot

pytestmark = pytest.mark.real_footage

SELFIE = "mediapipe_selfie_segmentation_web.mp4"
INTEL = "intel_one-by-one-person-detection.mp4"


def first_segment(path: str):
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
    assert result.segments
    return result.segments[0], info, item


@pytest.fixture(scope="module")
def finder() -> FaceFinder:
    return FaceFinder()


@pytest.fixture(scope="module")
def selfie(footage_dir):
    path = footage_dir / SELFIE
    if not path.is_file():
        pytest.skip(f"{SELFIE} is absent")
    return first_segment(str(path))


def test_selfie_face_on_most_sample_frames(selfie, finder):
    segment, info, item = selfie
    imgs = sample_images(segment, info.stream_index, item.rotation or 0)
    counts = [len(finder.faces(img)) for img in imgs.images]
    assert len(counts) == 5
    assert sum(1 for c in counts if c >= 1) >= 4, counts  # one person talking to the camera
    assert max(counts) == 1, counts  # and only one


def test_selfie_is_insufficient_subjects(selfie, finder, footage_dir):
    before = snapshot(footage_dir)
    segment, info, item = selfie
    feats, _ = segment_features(
        segment, make_segmenter("hog-face-grabcut", None, finder), finder, info.stream_index, item.rotation or 0
    )
    assert feats.status == INSUFFICIENT_SUBJECTS and feats.frames128 is None
    assert feats.table[list(table.FEATURE_COLUMNS)].isna().all().all()
    assert (feats.table["faces"] >= 1).sum() >= 4
    assert snapshot(footage_dir) == before


def test_intel_one_by_one_is_insufficient_subjects(footage_dir, finder):
    path = footage_dir / INTEL
    if not path.is_file():
        pytest.skip(f"{INTEL} is absent")
    segment, info, item = first_segment(str(path))
    feats, imgs = segment_features(
        segment, make_segmenter("hog-face-grabcut", None, finder), finder, info.stream_index, item.rotation or 0
    )
    assert feats.status == INSUFFICIENT_SUBJECTS
    assert feats.frames128 is None
    assert len(feats.table) == 5 and not feats.mask.any()
    assert feats.table[list(table.FEATURE_COLUMNS)].isna().all().all()
    assert len(imgs.images) == 5
