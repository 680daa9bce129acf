"""`forensic features VIDEO --segment N --out DIR`: what it writes and its usage errors."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from forensic.features.table import FEATURE_COLUMNS
from forensic.synth.lavfi import Shot, make_clip, two_people_image


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "forensic", *args], capture_output=True, text=True, timeout=300)


def rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """The video alone in its own folder (the 'evidence folder')."""
    pics = tmp_path_factory.mktemp("pics")
    evidence = tmp_path_factory.mktemp("evidence")
    path = evidence / "two_people.mp4"
    make_clip(str(path), [Shot("still:" + two_people_image(str(pics)), 125)], fps=25, size=(960, 540))
    return path


@pytest.fixture(scope="module")
def done(clip, tmp_path_factory):
    out = tmp_path_factory.mktemp("features") / "seg0"
    # the paper's path with dlib's detector (the default, blazeface, also finds a false face on the suit's patch)
    r = run(
        "features",
        str(clip),
        "--segment",
        "0",
        "--out",
        str(out),
        "--segmenter",
        "hog-face-grabcut",
        "--face-detector",
        "dlib-hog",
    )
    return r, out


def test_exit_0_and_summary(done, clip):
    r, out = done
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["status"] == "ok" and summary["segmenter"] == "hog-face-grabcut"
    assert summary["face_detector"] == "dlib-hog"
    assert summary["pairs_found"] == 5
    # a still picture: a scan would not classify it (the camera does not move, so no scene measure)
    assert summary["still"] is True and summary["motion"] == 0.0 and summary["scene_motion"] is None
    assert {"faces", "background", "pose", "resize"} <= set(summary["timings_s"])
    assert "features.csv" in summary["written"] and "frames128.npy" in summary["written"]
    assert sorted(os.listdir(clip.parent)) == [clip.name]  # nothing written beside the evidence


def test_features_csv(done):
    _, out = done
    names, table = rows(out / "features.csv")
    assert names == ["frame", "s", *FEATURE_COLUMNS, "distance_norm", "faces", "has_pair"]
    assert len(table) == 5
    for row in table:
        values = [float(row[c]) for c in FEATURE_COLUMNS]
        assert all(np.isfinite(values))
        assert row["has_pair"] == "True" and row["faces"] == "2"
        assert float(row["A_nose_tip_x"]) < float(row["B_nose_tip_x"])
        assert float(row["distance_px"]) > 300
    frames = [int(r["frame"]) for r in table]
    assert frames == sorted(frames) and len(set(frames)) == 5


def test_features_long_csv(done):
    _, out = done
    names, long = rows(out / "features_long.csv")
    assert names == ["frame", "person", "point", "axis", "value"]
    assert len(long) == 5 * 29
    _, table = rows(out / "features.csv")
    first = [r for r in long if r["frame"] == table[0]["frame"]]
    assert [float(r["value"]) for r in first] == pytest.approx([float(table[0][c]) for c in FEATURE_COLUMNS])


def test_frames128_npy(done):
    _, out = done
    frames = np.load(out / "frames128.npy", allow_pickle=False)
    assert frames.shape == (5, 128, 128, 3) and frames.dtype == np.uint8
    assert (frames == 0).any() and frames.any()


def test_keyframes(done):
    _, out = done
    _, table = rows(out / "features.csv")
    pngs = sorted((out / "keyframes").glob("*.png"))
    assert [p.name for p in pngs] == [f"frame_{int(r['frame']):06d}.png" for r in table]
    for p in pngs:
        img = cv2.imread(str(p))
        assert img is not None and img.shape == (540, 960, 3)
        assert np.all(img == (0, 255, 0), axis=2).any()  # the nose-to-nose line


def test_features_json(done, clip):
    _, out = done
    meta = json.loads((out / "features.json").read_text())
    assert meta["status"] == "ok"
    assert meta["segmenter"] == "hog-face-grabcut" and meta["face_detector"] == "dlib-hog"
    assert meta["feature_columns"] == list(FEATURE_COLUMNS)
    assert meta["pairs_found"] == 5 and meta["faces_per_frame"] == [2] * 5
    assert meta["still"] is True and meta["motion"] == 0.0 and meta["scene_motion"] is None
    assert meta["segment"]["index"] == 0
    assert meta["evidence"]["path"].endswith("two_people.mp4") and len(meta["evidence"]["sha256"]) == 64
    assert len(meta["config_sha256"]) == 64


def test_segment_out_of_range(clip, tmp_path):
    out = tmp_path / "out99"
    r = run("features", str(clip), "--segment", "99", "--out", str(out), "--segmenter", "hog-face-grabcut")
    assert r.returncode == 2
    assert "has 1 segments" in r.stderr and "99" in r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists()


def test_missing_video(tmp_path):
    r = run("features", str(tmp_path / "nope.mp4"), "--segment", "0", "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "no such file" in r.stderr
    assert not (tmp_path / "o").exists()


def test_missing_maskrcnn_weights(clip, tmp_path):
    out = tmp_path / "outpx"
    r = run(
        "features",
        str(clip),
        "--segment",
        "0",
        "--out",
        str(out),
        "--segmenter",
        "pixellib",
        "--maskrcnn-weights",
        "/nonexistent.h5",
    )
    assert r.returncode == 2
    assert "/nonexistent.h5" in r.stderr and "does not exist" in r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists()


def test_out_inside_the_folder_holding_the_video(clip):
    evidence = clip.parent
    out = evidence / "features_out"
    try:
        r = run("features", str(clip), "--segment", "0", "--out", str(out), "--segmenter", "hog-face-grabcut")
        listing = sorted(os.listdir(evidence))
    finally:
        if out.exists():  # never leave it for the other tests
            import shutil

            shutil.rmtree(out)
    assert r.returncode == 2, r.stdout
    assert listing == [clip.name]
