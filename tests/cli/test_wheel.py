"""The tool as a package: a wheel built from the checkout, installed apart from it, scans from another
folder and finds its report templates and default model inside the package (forensic/_data/).

Cheap on purpose: the wheel is built without build isolation (the virtualenv's setuptools, no
download), installed --no-deps into a --target folder put first on PYTHONPATH (the dependencies
come from the running Python), and run from a folder outside the checkout on a 4-second clip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO

SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "forensic", "templates")
MODELS = ("default", "mediapipe")


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_wheel_installed_elsewhere_scans_from_another_folder(tmp_path):
    if not (REPO / "models" / "default" / "model_card.json").is_file():
        pytest.skip("models/default is absent from this checkout")
    src = tmp_path / "src"  # a copy, so that building leaves nothing in the checkout
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        p = REPO / name
        (shutil.copytree(p, src / name, ignore=ignore) if p.is_dir() else shutil.copy2(p, src / name))
    for name in MODELS:
        if (REPO / "models" / name).is_dir():
            shutil.copytree(REPO / "models" / name, src / "models" / name, ignore=ignore)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", ".", "-w", str(tmp_path / "dist")],
        cwd=src,
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next((tmp_path / "dist").glob("forensic-*.whl"))
    target = tmp_path / "site"
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert (target / "forensic" / "_data" / "templates" / "report.html.j2").is_file()
    assert (target / "forensic" / "_data" / "models" / "default" / "model_card.json").is_file()

    evidence, work = tmp_path / "evidence", tmp_path / "elsewhere"
    evidence.mkdir()
    work.mkdir()
    clip = evidence / "clip.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-nostdin",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=25:duration=4",
            "-pix_fmt",
            "yuv420p",
            str(clip),
        ],
        check=True,
        timeout=120,
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PYTHONPATH=str(target), TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2")
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import forensic, forensic.resources as r; "
            "print(forensic.__file__); print(r.templates_dir()); print(r.default_model_dir())",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    paths = where.stdout.split()
    assert all(p.startswith(str(target)) for p in paths), paths  # not the checkout
    r = subprocess.run(
        [sys.executable, "-m", "forensic", "scan", str(clip), "--out", "case", "--engine", "local", "-q"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    case = work / "case"
    assert (case / "report" / "report.html").is_file() and (case / "report" / "report.pdf").is_file()
    manifest = json.loads((case / "manifest.json").read_text())
    assert manifest["model"]["dir"].startswith(str(target / "forensic" / "_data" / "models" / "default"))
