"""A small hand-made case folder for the co-appearance tests: findings of three files, features.json
identity records with synthetic descriptors of known people (no footage, no model: fast)."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest

from forensic.records import FINDING_COLUMNS, Finding, FindingStatus, timecode

SHAS = {"cam1/a.mp4": "a" * 64, "cam1/b.mp4": "b" * 64, "cam2/c.mp4": "c" * 64}
CREATION = {"cam1/a.mp4": "2026-03-01T09:30:00Z", "cam1/b.mp4": "2026-03-02T10:00:00Z", "cam2/c.mp4": ""}
MODEL_SHA = "f" * 64

# (file, segment index, person A, person B, flagged); people are "alice", "bob", "carol", "dave"
SEGMENTS = [
    ("cam1/a.mp4", 0, "alice", "bob", True),
    ("cam1/a.mp4", 1, "bob", "alice", False),
    ("cam1/b.mp4", 0, "alice", "bob", False),
    ("cam2/c.mp4", 0, "carol", "alice", False),
    ("cam2/c.mp4", 1, "dave", "carol", False),
    ("cam2/c.mp4", 2, "bob", "alice", True),
    ("cam1/b.mp4", 1, "carol", "dave", False),
]


def people_centres(seed: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    names = ("alice", "bob", "carol", "dave")
    return {n: rng.normal(0, 0.9 / np.sqrt(2 * 128), 128) for n in names}  # about 0.9 apart


def identity_record(a: np.ndarray | None, b: np.ndarray | None) -> dict:
    def person(label, d):
        return {
            "person": label,
            "frames_seen": 5,
            "skipped_small": 0 if d is not None else 5,
            "frames_used": [10] if d is not None else [],
            "face_px": [80] if d is not None else [],
            "nose": [[100.0, 100.0]] if d is not None else [],
            "descriptor": None if d is None else [float(v) for v in d],
            "spread": 0.0,
            "thumb_jpeg_b64": None,
        }

    return {
        "format": "forensic-identity/1",
        "model": "dlib_face_recognition_resnet_model_v1",
        "model_sha256": MODEL_SHA,
        "distance": "euclidean",
        "min_face_px": 40,
        "max_frames": 1,
        "skipped_small": 0,
        "people": [person("A", a), person("B", b)],
        "seconds": 0.1,
    }


def make_case(root: Path, evidence_root: Path, noise: float = 0.02) -> Path:
    rng = np.random.default_rng(7)
    centres = people_centres()
    root.mkdir(parents=True)
    rows, ev = [], []
    for rel, sha in SHAS.items():
        ev.append(
            {"path": str(evidence_root / rel), "status": "analysed", "sha256": sha, "creation_time_utc": CREATION[rel]}
        )
    for rel, idx, pa, pb, flagged in SEGMENTS:
        sha = SHAS[rel]
        start, end = idx * 5.0, idx * 5.0 + 5.0
        fdir = os.path.join("features", sha, f"{idx:05d}")
        f = Finding(
            key=f"{sha}:{idx * 125}-{idx * 125 + 125}",
            sha256=sha,
            path=str(evidence_root / rel),
            segment_index=idx,
            shot=0,
            start_frame=idx * 125,
            end_frame=idx * 125 + 125,
            start_s=start,
            end_s=end,
            start_pts=idx * 125 * 512,
            end_pts=(idx * 125 + 125) * 512,
            start_pts_s=start,
            end_pts_s=end,
            time_base="1/12800",
            start_tc=timecode(start),
            end_tc=timecode(end),
            status=FindingStatus.ANALYSED,
            score=0.9 if flagged else 0.2,
            label="stalking" if flagged else "non_stalking",
            threshold=0.5,
            people=2,
            pair_frames=5,
            features_dir=fdir,
        )
        rows.append(f.to_row())
        os.makedirs(root / fdir)
        da = centres[pa] + rng.normal(0, noise, 128)
        db = centres[pb] + rng.normal(0, noise, 128)
        with open(root / fdir / "features.json", "w") as fh:
            json.dump({"status": "ok", "identity": identity_record(da, db)}, fh)
    # one analysed segment scanned before descriptors existed, and one not analysed
    for extra, status in ((3, FindingStatus.ANALYSED), (4, FindingStatus.INSUFFICIENT_SUBJECTS)):
        sha = SHAS["cam1/a.mp4"]
        f = Finding(
            key=f"{sha}:{extra * 125}-{extra * 125 + 125}",
            sha256=sha,
            path=str(evidence_root / "cam1/a.mp4"),
            segment_index=extra,
            shot=0,
            start_frame=extra * 125,
            end_frame=extra * 125 + 125,
            start_s=extra * 5.0,
            end_s=extra * 5.0 + 5,
            start_pts=0,
            end_pts=0,
            start_pts_s=0.0,
            end_pts_s=0.0,
            time_base="1/12800",
            start_tc=timecode(extra * 5.0),
            end_tc=timecode(extra * 5.0 + 5),
            status=status,
        )
        rows.append(f.to_row())
    with open(root / "findings.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FINDING_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    with open(root / "evidence.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["path", "status", "sha256", "creation_time_utc"])
        w.writeheader()
        w.writerows(ev)
    manifest = {"format": "forensic-case/1", "status": "complete", "outputs_sha256": {}}
    with open(root / "manifest.json", "w") as fh:
        json.dump(manifest, fh)
    return root


@pytest.fixture
def small_case(tmp_path: Path) -> Path:
    return make_case(tmp_path / "case", tmp_path / "evidence")
