"""Labelled clips -> cached features -> split (forensic.model.data)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys

import numpy as np
import pytest

from forensic.features import FeatureConfig
from forensic.model import data
from forensic.model.cache import cache_path, default_cache_dir, read_cache
from forensic.model.data import DatasetError, load_dataset
from forensic.model.feature_settings import MEDIAPIPE_SEGMENTER, resolve_settings
from forensic.model.split import split_dataset
from tests.conftest import snapshot

HOG = "hog-face-grabcut"


@pytest.fixture(scope="module")
def settings():
    return resolve_settings(HOG)


@pytest.fixture(scope="module")
def loaded(dataset, settings, tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    before = snapshot(dataset)
    ds = load_dataset(str(dataset), settings, str(cache))
    assert snapshot(dataset) == before, "loading the data set changed the evidence"
    return ds, cache


def by_name(ds):
    return {os.path.basename(c.path): c for c in ds.clips + ds.left_out}


def test_usable_clips_and_arrays(loaded):
    ds, cache = loaded
    assert ds.counts() == {"non_stalking": 5, "stalking": 5}
    assert {os.path.splitext(c.path)[1] for c in ds.clips} == {".mp4", ".mkv", ".avi", ".mov"}  # any format
    assert ds.frames.shape == (10, 5, 128, 128, 3) and ds.frames.dtype == np.uint8
    assert ds.vectors.shape == (10, 5, 29) and ds.labels.tolist() == [0] * 5 + [1] * 5
    # ordered by label then SHA-256
    assert [c.sha256 for c in ds.clips[:5]] == sorted(c.sha256 for c in ds.clips[:5])
    for c in ds.clips:
        assert c.status == "ok" and c.mask.sum() >= 3 and not c.cached
    # the two classes differ where they should: the nose-to-nose distance
    dist = np.nanmean(ds.vectors[..., -1], axis=1)
    assert dist[ds.labels == 1].min() > dist[ds.labels == 0].max()
    assert ds.frames.max() > 0 and ds.cache_dir == str(cache)


def test_what_is_left_out_is_reported(loaded):
    ds, _ = loaded
    clips = by_name(ds)
    expected = {
        "broken.mp4": "failed",
        "notes.txt": "skipped",
        "nobody.mkv": "insufficient_subjects",
        "stalking_00.mp4": "duplicate",
    }  # copy_of_00.mp4 (same bytes) sorts first and is used
    assert {os.path.basename(c.path): c.status for c in ds.left_out} == expected
    assert clips["copy_of_00.mp4"].status == "ok"
    assert "moov atom not found" in clips["broken.mp4"].reason or "Invalid data" in clips["broken.mp4"].reason
    assert "0 of 5 sample frames" in clips["nobody.mkv"].reason
    assert "copy_of_00.mp4" in clips["stalking_00.mp4"].reason
    problems = {os.path.basename(p.path): p for p in ds.problems}
    assert str(problems["broken.mp4"].severity) == "error" and problems["broken.mp4"].stage == "model"
    assert str(problems["nobody.mkv"].severity) == "warning"
    assert all(p.time_utc for p in ds.problems)


def test_second_load_comes_from_the_cache(loaded, dataset, settings, monkeypatch):
    ds, cache = loaded
    calls = []

    def spy(tasks, *a, **k):
        calls.append([os.path.basename(t[0]) for t in tasks])
        return [{"status": "failed", "reason": "spy"} for _ in tasks]

    monkeypatch.setattr(data, "extract_to_cache", spy)
    again = load_dataset(str(dataset), settings, str(cache))
    # only what is never cached (not footage, undecodable) is looked at again
    assert calls == [["notes.txt", "broken.mp4"]]
    assert again.cache_hits == 11 and all(c.cached for c in again.clips)
    assert np.array_equal(again.frames, ds.frames) and np.array_equal(again.vectors, ds.vectors, equal_nan=True)
    assert again.fingerprint() == ds.fingerprint()


def test_a_damaged_cache_entry_is_made_again(loaded, dataset, settings, tmp_path):
    ds, cache = loaded
    own = tmp_path / "cache"
    shutil.copytree(cache, own)
    victim = cache_path(str(own), settings.key(ds.clips[3].sha256))
    with open(victim, "r+b") as f:
        f.truncate(100)
    assert read_cache(victim) is None
    again = load_dataset(str(dataset), settings, str(own))
    assert again.cache_hits == 10  # 11 entries, one remade
    assert np.array_equal(again.vectors, ds.vectors, equal_nan=True) and np.array_equal(again.frames, ds.frames)
    assert read_cache(victim) is not None


def test_cache_key_follows_clip_and_settings(settings):
    sha = "ab" * 32
    assert settings.key(sha) == resolve_settings(HOG).key(sha)
    assert settings.key(sha) != settings.key("cd" * 32)
    other = dataclasses.replace(settings, feature_config=FeatureConfig(min_pair_frames=4))
    assert other.key(sha) != settings.key(sha)
    assert dataclasses.replace(settings, samples=6).key(sha) != settings.key(sha)
    d = settings.describe()
    assert d["segmenter"] == HOG and d["code"]["features_source_sha256"] and d["code"]["forensic"]


def test_segmenter_resolution(tmp_path):
    # without the Mask R-CNN weights, auto is the embedded pretrained segmenter; the home-made one only by name
    assert resolve_settings("auto", str(tmp_path / "absent.h5")).segmenter == MEDIAPIPE_SEGMENTER
    assert resolve_settings(HOG).segmenter == HOG
    with pytest.raises(FileNotFoundError, match="weights"):
        resolve_settings("pixellib", str(tmp_path / "absent.h5"))
    with pytest.raises(ValueError):
        resolve_settings("yolo")


def test_nothing_is_written_beside_the_evidence(dataset, settings):
    with pytest.raises(DatasetError, match="inside the data set"):
        load_dataset(str(dataset), settings, str(dataset / "stalking" / ".cache"))
    assert not (dataset / "stalking" / ".cache").exists()
    assert default_cache_dir("/x/y/model") == "/x/y/.forensic-cache"


def test_class_folders_are_required(tmp_path, settings):
    (tmp_path / "stalking").mkdir()
    with pytest.raises(FileNotFoundError, match="non_stalking"):
        load_dataset(str(tmp_path), settings, str(tmp_path.parent / "c"))
    with pytest.raises(FileNotFoundError):
        load_dataset(str(tmp_path / "nope"), settings, str(tmp_path.parent / "c"))


def test_the_same_clip_under_both_labels_is_left_out(loaded, dataset, settings, tmp_path):
    _, cache = loaded
    root = tmp_path / "ds"
    for label in ("stalking", "non_stalking"):
        shutil.copytree(dataset / label, root / label, ignore=shutil.ignore_patterns("broken*", "notes*", "nobody*"))
    shutil.copy(dataset / "stalking" / "stalking_01.mkv", root / "non_stalking" / "mislabelled.mkv")
    ds = load_dataset(str(root), settings, str(cache))
    conflicts = sorted(os.path.basename(c.path) for c in ds.left_out if c.status == "conflict")
    assert conflicts == ["mislabelled.mkv", "stalking_01.mkv"]
    assert ds.counts() == {"non_stalking": 5, "stalking": 4}


def test_extraction_in_a_spawned_process_gives_the_same_features(loaded, dataset, settings, tmp_path):
    """The path taken for pixellib (which must never enter the training process)."""
    ds, _ = loaded
    root = tmp_path / "ds"
    for label in ("stalking", "non_stalking"):
        (root / label).mkdir(parents=True)
        shutil.copy(dataset / label / f"{label}_02.avi", root / label)
    small = load_dataset(str(root), settings, str(tmp_path / "cache"), isolate=True)
    assert len(small.clips) == 2 and not small.left_out
    for clip, vec, frames in zip(small.clips, small.vectors, small.frames, strict=True):
        i = [c.sha256 for c in ds.clips].index(clip.sha256)
        assert np.array_equal(vec, ds.vectors[i], equal_nan=True) and np.array_equal(frames, ds.frames[i])
    assert "pixellib" not in sys.modules


# --- the split


def test_split_is_stratified_60_20_20():
    for n, (tr, va, te) in {3: (1, 1, 1), 5: (3, 1, 1), 10: (6, 2, 2), 119: (71, 24, 24)}.items():
        labels = np.array([0] * n + [1] * n)
        keys = [f"{i:04d}" for i in range(2 * n)]
        sp = split_dataset(labels, keys, seed=1)
        for c in (0, 1):
            assert [int((labels[getattr(sp, p)] == c).sum()) for p in ("train", "val", "test")] == [tr, va, te]
        allidx = np.concatenate([sp.train, sp.val, sp.test])
        assert sorted(allidx.tolist()) == list(range(2 * n))  # each clip exactly once


def test_split_depends_on_seed_and_content_not_order():
    rng = np.random.default_rng(0)
    labels = np.array([0] * 20 + [1] * 25)
    keys = [f"{rng.integers(1 << 60):016x}" for _ in labels]
    a = split_dataset(labels, keys, seed=42)
    perm = rng.permutation(len(labels))  # the same clips listed in another order
    b = split_dataset(labels[perm], [keys[i] for i in perm], seed=42)
    for part in ("train", "val", "test"):
        assert sorted(keys[i] for i in getattr(a, part)) == sorted(keys[perm[i]] for i in getattr(b, part))
    c = split_dataset(labels, keys, seed=43)
    assert set(c.test.tolist()) != set(a.test.tolist())
    assert a.describe(labels)["clips"]["test"] == {"non_stalking": 4, "stalking": 5}


def test_split_needs_three_clips_per_class():
    with pytest.raises(DatasetError, match="stalking has 2"):
        split_dataset(np.array([0, 0, 0, 1, 1]), list("abcde"), seed=0)
