"""The fault-injection suite: what happens to a case folder when things go wrong.

Every test scans small generated clips with ``--engine local`` and the shipped default model (no
training), injects one fault, and asserts the same three things: nothing finished is lost, no
row is doubled, and the case folder says what happened. The table of faults and outcomes is in
README.md ("Faults and what the case folder shows"). Elsewhere: kill -9 mid-scan and resume
(tests/engine/test_resume.py), a Ray worker killed and a blocking decoder (tests/engine/test_ray.py,
tests/segments/, the data-path suite).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import REPO

MODEL = REPO / "models" / "default"


def env() -> dict[str, str]:
    e = dict(os.environ)
    e.setdefault("TF_USE_LEGACY_KERAS", "1")
    e.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return e


@pytest.fixture(scope="session")
def model_dir() -> Path:
    if not (MODEL / "model_card.json").is_file():
        pytest.skip(f"the default model is missing from {MODEL}")
    return MODEL


def plain_clip(path: Path, seconds: int = 4, pattern: str = "testsrc2", size: str = "160x120") -> None:
    """A short clip nobody is in: one segment, classified quickly as insufficient_subjects."""
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"{pattern}=size={size}:rate=10:duration={seconds}",
            "-pix_fmt",
            "yuv420p",
            os.fsencode(path),
        ],
        check=True,
    )


def scan_args(evidence, case, *extra: str) -> list[str]:
    return [
        "scan",
        os.fsdecode(os.fsencode(evidence)),
        "--out",
        str(case),
        "--model",
        str(MODEL),
        "--engine",
        "local",
        "--no-report",
        "-q",
        *extra,
    ]


def cli(args: list[str], timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "forensic", *args], env=env(), capture_output=True, timeout=timeout)


def manifest(case: Path) -> dict:
    return json.loads((case / "manifest.json").read_text(encoding="utf-8"))


def problems(case: Path) -> list[dict]:
    return [json.loads(line) for line in (case / "problems.jsonl").read_text(encoding="utf-8").splitlines() if line]


def assert_whole(case: Path) -> pd.DataFrame:
    """Nothing lost, nothing doubled: one finding per segment of segments.csv, each key once, and
    every parts row of the current content in the table."""
    findings = pd.read_parquet(case / "findings.parquet")
    assert findings["key"].is_unique, "a segment is in findings twice"
    with open(case / "segments.csv", newline="", encoding="utf-8") as f:
        keys = [f"{r['sha256']}:{r['start_frame']}-{r['end_frame']}" for r in csv.DictReader(f)]
    assert len(keys) == len(set(keys)), "a segment is in segments.csv twice"
    assert sorted(findings["key"]) == sorted(keys), "every segment has exactly one finding"
    with open(case / "findings.csv", newline="", encoding="utf-8") as f:
        assert sorted(r["key"] for r in csv.DictReader(f)) == sorted(keys)
    return findings
