"""Batch work on the Ray engine (forensic.engine.batch): `forensic synth clips --engine ray` writes the
same files as the local engine, feature extraction on Ray fills the same cache entries and gives the
same arrays, results come back in the order of the items with failures in place, and the private
cluster's token leaves with it (HOME is the test's own: ~/.ray is never touched)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from forensic.model.data import load_dataset
from forensic.model.feature_settings import resolve_settings
from forensic.synth.scenes import make_clips
from tests.model.conftest import env as base_env
from tests.model.conftest import make_dataset

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    shutil.which("ray", path=os.path.dirname(sys.executable)) is None, reason="ray is not installed"
)

SCRIPT = textwrap.dedent(
    """
    import json, os, signal, sys
    import numpy as np
    from forensic._cli import main
    from forensic.engine.batch import open_batch
    from forensic.model.data import load_dataset
    from forensic.model.feature_settings import resolve_settings
    from tests.test_parallel import dies_on_five, scaled

    data, out = sys.argv[1], sys.argv[2]
    handlers = [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)]
    rc = main(["synth", "clips", "--out", out + "/clips", "--per-class", "1", "--seed", "11",
               "--engine", "ray", "--quiet"])
    batch = open_batch("ray")
    try:
        mapped = list(batch.map(scaled, range(6), 10))
        workers = batch.workers
        pids = [pid for _i, pid in batch.map(dies_on_five, [0, 1, 2], out)]
        ds = load_dataset(data, resolve_settings("hog-face-grabcut"), out + "/cache", batch=batch)
    finally:
        batch.close()
    np.savez(out + "/ray.npz", vectors=ds.vectors, frames=ds.frames, labels=ds.labels)
    json.dump({
        "rc": rc,
        "mapped": [r if isinstance(r, int) else {"failed": r.reason} for r in mapped],
        "workers": workers,
        "pids": pids,
        "driver_pid": os.getpid(),
        "clips": [c.path for c in ds.clips],
        "left_out": [[c.path, c.status] for c in ds.left_out],
        "token_after": os.environ.get("RAY_AUTH_TOKEN"),
        "handlers_after": [str(signal.getsignal(s)) for s in (signal.SIGINT, signal.SIGTERM)],
        "handlers_before": [str(h) for h in handlers],
    }, open(out + "/ray.json", "w"))
    """
)


def digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


def test_ray_batch_gives_what_the_local_engine_gives(tmp_path):
    data = make_dataset(tmp_path / "data", per_class=2)
    out = tmp_path / "ray"
    out.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    e = base_env()
    e.update(HOME=str(home), RAY_USAGE_STATS_ENABLED="0", PYTHONPATH=str(REPO))
    for name in ("RAY_ADDRESS", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_AUTH_MODE"):
        e.pop(name, None)
    r = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(data), str(out)],
        env=e,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads((out / "ray.json").read_text())
    assert got["rc"] == 0
    assert got["workers"] >= 1
    assert got["pids"] and got["driver_pid"] not in got["pids"]  # the work ran in Ray's workers
    assert got["mapped"][:3] == [0, 10, 20] and got["mapped"][4:] == [40, 50]
    assert "ValueError: three is refused" in got["mapped"][3]["failed"]
    assert got["token_after"] is None  # the private cluster's token left with it
    assert got["handlers_after"] == got["handlers_before"]  # and so did Ray's own SIGTERM handler
    assert not (home / ".ray").exists()

    # the same clips as the local engine renders
    make_clips(str(tmp_path / "local_clips"), 1, 11)
    assert digests(out / "clips") == digests(tmp_path / "local_clips")

    # the same features as extracted in this process
    local = load_dataset(str(data), resolve_settings("hog-face-grabcut"), str(tmp_path / "local_cache"))
    ray = np.load(out / "ray.npz")
    assert got["clips"] == [c.path for c in local.clips]
    assert got["left_out"] == [[c.path, c.status] for c in local.left_out]
    assert any(status == "failed" for _p, status in got["left_out"])  # the fixture's broken clip
    assert np.array_equal(ray["vectors"], local.vectors, equal_nan=True)
    assert np.array_equal(ray["frames"], local.frames)
    assert np.array_equal(ray["labels"], local.labels)
    c1, c2 = (
        sorted(p.name for p in (root / "features").rglob("*.npz")) for root in (out / "cache", tmp_path / "local_cache")
    )
    assert c1 == c2 and c1
