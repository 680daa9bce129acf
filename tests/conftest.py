"""Shared fixtures. Real footage lives outside the repository, in ../shared/footage."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FOOTAGE = REPO.parent / "shared" / "footage"


@pytest.fixture(scope="session")
def footage_dir() -> Path:
    """The real clips (never copied into the repository); skips when they are absent."""
    if not FOOTAGE.is_dir() or not any(FOOTAGE.glob("*.mp4")):
        pytest.skip(f"real footage folder {FOOTAGE} is absent (it lives beside the repository, in ../shared)")
    return FOOTAGE


def benchmark_script(name: str):
    """``benchmarks/NAME.py`` loaded as a module (the scripts are not a package), for tests of its steps."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"{name}_under_test", REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ffmpeg(*args: str) -> None:
    """Runs the ffmpeg command line tool quietly (``-v error -y``); raises if it fails."""
    import subprocess

    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def snapshot(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Every file below ``folder``: (size, mtime_ns, sha256) by relative path."""
    import hashlib

    out = {}
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            p = Path(dirpath) / name
            if p.is_symlink() and not p.exists():
                out[str(p.relative_to(folder))] = (-1, -1, "dangling")
                continue
            if not p.is_file():
                out[str(p.relative_to(folder))] = (-1, -1, "special")
                continue
            st = p.stat()
            out[str(p.relative_to(folder))] = (st.st_size, st.st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
    return out


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A real fusion model trained for one epoch, through the CLI, on a tiny data set of two real
    faces far apart (stalking) or side by side (non_stalking). Good enough to drive the scan;
    its scores mean nothing."""
    import subprocess
    import sys

    from tests.model.conftest import env, make_dataset

    root = tmp_path_factory.mktemp("tiny_model")
    data = make_dataset(root, per_class=3, seed=7, extras=False)
    out = root / "model"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "forensic",
            "train",
            str(data),
            "--out",
            str(out),
            "--epochs",
            "1",
            "--batch-size",
            "2",
            "--cache",
            str(root / "cache"),
        ],
        capture_output=True,
        text=True,
        env=env(),
        timeout=900,
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    return out
