"""`forensic scan` on the real clips in ../shared/footage (skipped when the folder is absent)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from forensic.segments.decode import FrameReader
from tests.conftest import snapshot

pytestmark = pytest.mark.real_footage


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def case(footage_dir, tmp_path_factory, tiny_model_dir):
    before = snapshot(footage_dir)
    out = tmp_path_factory.mktemp("real") / "case"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "forensic",
            "scan",
            str(footage_dir),
            "--out",
            str(out),
            "-q",
            "--model",
            str(tiny_model_dir),
            "--engine",
            "local",
            "--no-report",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert snapshot(footage_dir) == before, "the scan changed or added files in the evidence folder"
    return r, out, footage_dir


def test_every_clip_analysed(case):
    r, out, footage = case
    assert r.returncode == 0, r.stderr
    rows = {Path(x["path"]).name: x for x in _rows(out / "evidence.csv")}
    assert rows["SOURCES.md"]["status"] == "skipped"
    videos = {n: x for n, x in rows.items() if n != "SOURCES.md"}
    assert len(videos) == 7 and all(x["status"] == "analysed" for x in videos.values())
    assert all(x["hash_verified"] == "True" for x in rows.values())


def test_hamilton_clip_clocks(case):
    _, out, footage = case
    ev = {Path(x["path"]).name: x for x in _rows(out / "evidence.csv")}["face_recognition_short_hamilton_clip.mp4"]
    assert int(ev["frame_count"]) == 275 and ev["width"] == "640" and ev["height"] == "360"
    assert abs(float(ev["start_pts_s"]) - 0.852019) < 1e-6  # the stream does not start at 0
    assert ev["variable_frame_rate"] == "False" and abs(float(ev["avg_fps"]) - 29.97) < 0.01
    segs = [s for s in _rows(out / "segments.csv") if s["path"].endswith("hamilton_clip.mp4")]
    assert float(segs[0]["start_s"]) == 0.0 and abs(float(segs[0]["start_pts_s"]) - 0.852019) < 1e-6
    for s in segs:
        assert abs(float(s["start_pts_s"]) - float(s["start_s"]) - 0.852019) < 1e-5


def test_segments_cover_every_frame_once_within_3_to_8_s(case):
    _, out, _ = case
    evidence = {x["sha256"]: x for x in _rows(out / "evidence.csv") if x["status"] == "analysed"}
    segs = _rows(out / "segments.csv")
    by_file: dict[str, list[dict[str, str]]] = {}
    for s in segs:
        by_file.setdefault(s["sha256"], []).append(s)
    assert set(by_file) == set(evidence)
    for sha, rows in by_file.items():
        rows.sort(key=lambda s: int(s["index"]))
        assert int(rows[0]["start_frame"]) == 0
        for a, b in zip(rows, rows[1:]):
            assert a["end_frame"] == b["start_frame"]
        assert int(rows[-1]["end_frame"]) == int(evidence[sha]["frame_count"])
        for s in rows:
            dur = float(s["end_s"]) - float(s["start_s"])
            flags = json.loads(s["flags"])
            if "short_shot" in flags:
                assert dur < 3.0
            else:
                assert 3.0 - 0.11 <= dur <= 8.0 + 0.11, (s["path"], dur)  # within a frame (10 fps clip)
            samples = json.loads(s["sample_frames"])
            assert len(samples) == 5 and samples == sorted(samples)
            assert all(int(s["start_frame"]) <= f < int(s["end_frame"]) for f in samples)


def test_cuts_are_where_the_picture_changes(case):
    """An independent check of PySceneDetect on real cuts: at every shot boundary found, the
    picture changes far more than between ordinary neighbouring frames."""
    _, out, footage = case
    clip = footage / "face_recognition_short_hamilton_clip.mp4"
    segs = [s for s in _rows(out / "segments.csv") if s["path"] == str(clip)]
    cuts = sorted({int(b["start_frame"]) for a, b in zip(segs, segs[1:]) if a["shot"] != b["shot"]})
    assert len(cuts) >= 2, "the clip has several hard cuts"
    frames = [img.astype(np.float32) for _, _, img in FrameReader(str(clip), width=160)]
    diffs = np.array([np.abs(b - a).mean() for a, b in zip(frames, frames[1:])])  # diffs[i]: i -> i+1
    typical = float(np.median(diffs))
    for c in cuts:
        assert diffs[c - 1] > 4 * typical, f"cut at frame {c}: change {diffs[c - 1]:.1f} vs typical {typical:.1f}"
    # and no unreported change as large as the smallest reported cut
    smallest = min(diffs[c - 1] for c in cuts)
    unreported = [i + 1 for i, d in enumerate(diffs) if d >= smallest and i + 1 not in cuts]
    assert unreported == [] or all(any(abs(u - c) <= 1 for c in cuts) for u in unreported), unreported


def test_real_footage_gets_a_finding_per_segment(case):
    import pandas as pd

    _, out, _ = case
    findings = pd.read_parquet(out / "findings.parquet")
    assert len(findings) == len(_rows(out / "segments.csv")) and findings["key"].is_unique
    assert "failed" not in set(findings["status"])
    # the one-person clips never have two people to classify
    solo = findings[findings["path"].str.contains("intel_asl|mediapipe")]
    assert set(solo["status"]) <= {"insufficient_subjects", "short_shot"}
