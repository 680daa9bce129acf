"""`forensic synth clips | archive` on the command line: help, usage errors (exit 2), a real run."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "forensic", *args], capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("command", [["synth"], ["synth", "clips"], ["synth", "archive"], ["synth", "demo"]])
def test_help(command):
    r = run(*command, "--help")
    assert r.returncode == 0 and "usage: forensic synth" in r.stdout


def test_usage_errors_exit_2(tmp_path):
    out = str(tmp_path / "out")
    assert run("synth").returncode == 2
    assert run("synth", "clips", "--out", out, "--seed", "1").returncode == 2  # --per-class missing
    r = run("synth", "clips", "--out", out, "--per-class", "0", "--seed", "1")
    assert r.returncode == 2 and "--per-class" in r.stderr
    r = run("synth", "archive", "--out", out, "--minutes", "0", "--seed", "1")
    assert r.returncode == 2 and "--minutes" in r.stderr
    r = run("synth", "clips", "--out", out, "--per-class", "1", "--seed", "1", "--faces", str(tmp_path / "nope"))
    assert r.returncode == 2 and "no such folder" in r.stderr
    r = run("synth", "clips", "--out", out, "--per-class", "1", "--seed", "1", "--no-default-faces")
    assert r.returncode == 2 and "--faces" in r.stderr
    (tmp_path / "file").write_text("x")
    r = run("synth", "clips", "--out", str(tmp_path / "file"), "--per-class", "1", "--seed", "1")
    assert r.returncode == 2 and "not a folder" in r.stderr
    assert not Path(out).exists()


def test_faces_folder_without_a_face_exits_2(tmp_path):
    faces = tmp_path / "faces"
    faces.mkdir()
    cv2.imwrite(str(faces / "wall.png"), np.full((240, 240, 3), 128, np.uint8))
    r = run("synth", "archive", "--out", str(tmp_path / "a"), "--minutes", "1", "--seed", "1", "--faces", str(faces))
    assert r.returncode == 2 and "no face dlib can find" in r.stderr and "wall.png" in r.stderr
    assert not (tmp_path / "a").exists()


def test_clips_run(tmp_path):
    out = tmp_path / "clips"
    r = run("synth", "clips", "--out", str(out), "--per-class", "1", "--seed", "4")
    assert r.returncode == 0, r.stderr
    printed = r.stdout.split()
    assert printed[-1] == str(out / "clips.csv")
    for label in ("stalking", "non_stalking"):
        mp4 = sorted((out / label).glob("*.mp4"))
        assert len(mp4) == 1 and str(mp4[0]) in printed
        gt = json.loads(mp4[0].with_suffix(".json").read_text())
        assert gt["label"] == label and 3.0 <= gt["duration_s"] <= 8.0 + 1e-6
    rows = list(csv.DictReader(open(out / "clips.csv")))
    assert sorted(r["label"] for r in rows) == ["non_stalking", "stalking"]
