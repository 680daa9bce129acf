"""Never lose work: kill -9 a scan half way, run the same command again, and get exactly the rows
of an uninterrupted scan, none twice."""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from forensic.synth.lavfi import Shot, make_clip, two_people_image
from tests.model.conftest import env

COMPARE = [
    c
    for c in (
        "key",
        "status",
        "score",
        "label",
        "people",
        "pair_frames",
        "segment_index",
        "start_s",
        "end_s",
        "features_dir",
        "keyframes",
        "flags",
    )
]


@pytest.fixture(scope="module")
def evidence(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("resume")
    ev = root / "evidence"
    ev.mkdir()
    png = two_people_image(str(root))
    for i in range(4):  # 4 different files (identical ones would be analysed once): 3-4 segments each
        make_clip(
            str(ev / f"cam{i}.mp4"),
            [Shot("still:" + png, 375 + 25 * i), Shot("testsrc2", 100 + 10 * i)],
            fps=25,
            size=(480 - 16 * i, 270),
        )
    return ev


def scan_cmd(evidence: Path, case: Path, model: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "forensic",
        "scan",
        str(evidence),
        "--out",
        str(case),
        "--model",
        str(model),
        "--engine",
        "local",
        "--no-report",
        "-q",
    ]


def test_kill_9_and_resume_equals_uninterrupted(evidence, tmp_path, tiny_model_dir):
    whole = tmp_path / "whole"
    r = subprocess.run(
        scan_cmd(evidence, whole, tiny_model_dir), env=env(), capture_output=True, text=True, timeout=900
    )
    assert r.returncode == 0, r.stderr[-3000:]
    expected = pd.read_parquet(whole / "findings.parquet")

    case = tmp_path / "case"
    proc = subprocess.Popen(
        scan_cmd(evidence, case, tiny_model_dir), env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 600
    while not glob.glob(str(case / "findings" / "part-*.parquet")):
        assert proc.poll() is None, "the scan ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    parts = glob.glob(str(case / "findings" / "part-*.parquet"))
    done_before = sum(len(pd.read_parquet(p)) for p in parts)
    assert 0 < done_before < len(expected), "killed half way"
    assert not (case / "findings.parquet").exists()  # the consolidated table is only written at the end
    for p in parts:  # every part that exists is whole
        pd.read_parquet(p)

    r = subprocess.run(scan_cmd(evidence, case, tiny_model_dir), env=env(), capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    got = pd.read_parquet(case / "findings.parquet")
    assert got["key"].is_unique
    pd.testing.assert_frame_equal(got[COMPARE].reset_index(drop=True), expected[COMPARE].reset_index(drop=True))
    # the resumed run did only what was left
    import json

    m = json.loads((case / "manifest.json").read_text())
    assert [s["resumed"] for s in m["sessions"]] == [False, True]
    assert m["sessions"][0]["status"] == "running"  # killed: it never got to say otherwise
    assert m["status"] == m["sessions"][1]["status"] == "complete"
    all_rows = sum(len(pd.read_parquet(p)) for p in glob.glob(str(case / "findings" / "part-*.parquet")))
    assert all_rows == len(expected), "segments done before the kill were not done again"
