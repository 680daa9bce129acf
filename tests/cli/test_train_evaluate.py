"""The commands behave like their peers: `train` takes the folder `synth clips` wrote (its
ground-truth .json files are not clips), `evaluate` uses models/default when --model is absent
(as `scan` does), and every command's --help ends with examples."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from forensic._cli import COMMANDS
from tests.conftest import REPO


def forensic(*args: str, cwd=None, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [sys.executable, "-m", "forensic", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout
    )


def test_help_ends_with_examples():
    from forensic._cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    helps = {"": parser.format_help(), **{name: sub.choices[name].format_help() for name in COMMANDS}}
    for name, text in helps.items():
        tail = text.split("examples:")
        assert len(tail) == 2, (name, text[-500:])
        lines = [ln.strip() for ln in tail[1].strip().splitlines()]
        assert lines and all(ln.startswith("forensic ") for ln in lines), name
    r = forensic("evaluate", "--help", timeout=120)  # and through the console, once
    assert r.returncode == 0 and "forensic evaluate DATASET  " in r.stdout


def test_train_on_synth_clips_exits_0_and_evaluate_defaults_to_the_default_model(tmp_path):
    if not (REPO / "models" / "default" / "model_card.json").is_file():
        pytest.skip("models/default is absent from this checkout")
    data, cache = tmp_path / "clips", tmp_path / "cache"
    r = forensic("synth", "clips", "--out", str(data), "--per-class", "4", "--seed", "5")
    assert r.returncode == 0, r.stderr[-2000:]
    assert list(data.rglob("*.json")), "synth clips writes ground truth beside each clip"
    r = forensic(
        "train",
        str(data),
        "--out",
        str(tmp_path / "model"),
        "--epochs",
        "1",
        "--batch-size",
        "2",
        "--cache",
        str(cache),
        "-q",
    )
    # exit 0: every generated clip can be read (one whose faces the detector misses is left out and
    # recorded, not a failure); the ground-truth .json files beside the clips are never counted
    assert r.returncode == 0, r.stdout[-1000:] + r.stderr[-3000:]
    card = json.loads((tmp_path / "model" / "model_card.json").read_text())
    left = card["data"].get("left_out", [])
    assert not any(str(c["path"]).endswith(".json") for c in left) and ".json" not in r.stderr
    assert len(left) < 3 and all(c["status"] not in ("failed", "error") for c in left)
    r = forensic("evaluate", str(data), "--cache", str(cache), "--json", "-q", cwd=tmp_path)
    assert r.returncode in (0, 3), r.stderr[-3000:]
    default = json.loads((REPO / "models" / "default" / "model_card.json").read_text())
    assert json.loads(r.stdout)["model"]["name"] == default["name"]
