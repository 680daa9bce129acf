"""Every wait is bounded: a decoder that blocks forever costs a bounded time, is retried, and is
recorded as failed with the reason; the scan goes on and ends with exit 3 (both engines).

The block is injected with FORENSIC_FAULT_BLOCK_DECODE (forensic.segments.decode.fault_block):
decoding a file whose path contains that text blocks forever, as a hung FFmpeg would.
"""

from __future__ import annotations

import csv
import time
from collections import deque
from fractions import Fraction

import pytest

from forensic.config import SegmentConfig
from forensic.engine.runners import CHUNK, Job, LocalRunner, failed_chunk
from forensic.engine.timeouts import Timeouts
from forensic.engine.work import WorkerSettings
from forensic.segments.chunks import plan_chunks
from forensic.synth.lavfi import Shot, make_clip

SHOTS = [Shot("testsrc2", 60), Shot("smptebars", 60)]


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("timeouts")
    good = make_clip(str(d / "good.mp4"), SHOTS, fps=25, size=(320, 240))
    blocked = make_clip(str(d / "BLOCKME.mp4"), SHOTS[::-1], fps=25, size=(320, 240))  # other bytes
    return good, blocked


def _settings() -> WorkerSettings:
    return WorkerSettings(
        model_dir="/nonexistent",
        model_sha256="",
        model_name="",
        segmenter="hog-face-grabcut",
        maskrcnn_weights=None,
        threshold=0.5,
        config_sha256="",
    )


def test_local_runner_gives_up_on_a_blocked_decoder_and_goes_on(clips, monkeypatch):
    good, blocked = clips
    monkeypatch.setenv("FORENSIC_FAULT_BLOCK_DECODE", "BLOCKME")
    config = SegmentConfig()
    chunks = [plan_chunks(p, p, config, Fraction(1, 12800), Fraction(25), 0.0, 4.8)[0] for p in (blocked, good)]
    runner = LocalRunner(_settings(), max_attempts=2, timeouts=Timeouts(chunk_base_s=4.0, chunk_per_footage_s=0.0))
    try:
        t0 = time.monotonic()
        feed = deque(Job(CHUNK, (c, config)) for c in chunks)
        results = [v if f is None else failed_chunk(j.payload[0], f) for j, v, f in runner.run_jobs(feed)]
        took = time.monotonic() - t0
    finally:
        runner.close()
    bad, ok = results
    assert not bad.pts and "timed out" in bad.report.stopped_by, bad.report.stopped_by
    assert "2 attempt" in bad.report.stopped_by, bad.report.stopped_by
    assert len(ok.pts) == 120 and not ok.report.exceptions  # the next chunk still ran, in a fresh worker
    assert took < 600


@pytest.mark.parametrize("engine", ["local", "ray"])
def test_scan_with_a_blocked_decoder_ends_with_exit_3(clips, tmp_path, tiny_model_dir, engine):
    import subprocess
    import sys

    from tests.engine.test_ray import env as ray_env

    good, blocked = clips
    if engine == "ray":
        import shutil

        if shutil.which("ray", path=__import__("os").path.dirname(sys.executable)) is None:
            pytest.skip("ray is not installed")
    e = ray_env()
    e["HOME"] = str(tmp_path / "home")  # the private Ray must neither read nor write ~/.ray
    (tmp_path / "home").mkdir()
    e.pop("RAY_AUTH_TOKEN_PATH", None)
    e.pop("RAY_AUTH_MODE", None)
    e["FORENSIC_FAULT_BLOCK_DECODE"] = "BLOCKME"
    # chunk bound 0.15 * (60 + 2 * 4.8 s) = 10 s in this process's worker, + 18 s for a Ray worker's start
    e["FORENSIC_TIMEOUT_SCALE"] = "0.15"
    case = tmp_path / "case"
    cmd = [
        sys.executable,
        "-m",
        "forensic",
        "scan",
        good,
        blocked,
        "--out",
        str(case),
        "--model",
        str(tiny_model_dir),
        "--no-report",
        "--no-coappear",
        "-q",
        "--engine",
        engine,
    ]
    p = subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=1200)
    assert p.returncode == 3, p.stderr[-3000:]
    with open(case / "evidence.csv", newline="", encoding="utf-8") as f:
        rows = {r["path"]: r for r in csv.DictReader(f)}
    assert rows[good]["status"] == "analysed", rows[good]["reason"]
    assert rows[blocked]["status"] in ("failed", "partial")
    assert "timed out" in rows[blocked]["reason"], rows[blocked]["reason"]
    assert not (tmp_path / "home" / ".ray").exists()


def test_a_worker_without_the_model_stops_the_scan_with_the_cause(clips):
    """Not three failed attempts per segment: the pool is checked once and the cause named."""
    from forensic.config import SegmentConfig as SC
    from forensic.engine.runners import PoolError
    from forensic.engine.work import SegmentTask, features_dir_for
    from forensic.segments import segment_path

    good, _blocked = clips
    _item, _info, result = segment_path(good, SC(window_min_s=1.0, window_target_s=2.0, window_max_s=4.0))
    tasks = [SegmentTask(s, None, 0, features_dir_for(s)) for s in result.segments]
    runner = LocalRunner(_settings())
    try:
        with pytest.raises(PoolError, match="could not start"):
            list(runner.process_segments(tasks))
    finally:
        runner.close()
