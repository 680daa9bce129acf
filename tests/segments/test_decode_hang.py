"""Regression: stopping a frame-threaded decode with damaged frames in flight used to deadlock.

PyAV frees a codec context (joining FFmpeg's decoder threads) with the GIL held; a decoder thread
that logs a decode error at that moment waits for the GIL in PyAV's log callback (PyAV issues
751, 909, 2276). A chunk that stops just before damaged frames hung forever (the one-hour CCTV
scan). Run in a child process with a timeout, so a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")

CHILD = textwrap.dedent(
    """
    import sys
    import av
    from forensic.segments.decode import FrameReader, read_frames
    path, rounds = sys.argv[1], int(sys.argv[2])
    with av.open(path) as c:
        tb = c.streams.video[0].time_base
    errors = 0
    for i in range(rounds):
        stop = int(4.0 / tb) - i % 7  # just before the damaged frames
        reader = FrameReader(path, width=160, stop_pts=stop)
        n = sum(1 for _ in reader)
        errors += reader.report.error_count
        # stopping the consumer early is the same hazard
        it = iter(FrameReader(path, width=160, seek_pts=stop))
        next(it)
        it.close()
    got = read_frames(path, [int(round(97 / 25 / tb))])
    print("ok", n, errors, len(got))
    """
)


def damaged_h264(folder) -> str:
    """An H.264 mp4 whose non-key frames from 4 s to 8 s have their payload scrambled (the index
    is intact, so demuxing works and only the decoder threads meet the damage)."""
    import av

    clean = folder / "clean.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x480:rate=25",
            "-t",
            "10",
            "-c:v",
            "libx264",
            "-g",
            "50",
            "-pix_fmt",
            "yuv420p",
            str(clean),
        ],
        check=True,
    )
    data = bytearray(clean.read_bytes())
    with av.open(str(clean)) as c:
        s = c.streams.video[0]
        for p in c.demux(s):
            if p.pts is None or p.pos is None or p.pos < 0 or p.is_keyframe or p.size < 200:
                continue
            if 4.0 <= float(p.pts * s.time_base) < 8.0:
                for k in range(p.pos + 40, p.pos + p.size - 10, 7):
                    data[k] ^= 0x5A
    bad = folder / "damaged.mp4"
    bad.write_bytes(bytes(data))
    return str(bad)


def test_stop_before_damaged_frames_does_not_hang(tmp_path):
    path = damaged_h264(tmp_path)
    p = subprocess.run(
        [sys.executable, "-c", CHILD, path, "12"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=str(Path(__file__).resolve().parents[2]),
    )
    assert p.returncode == 0, p.stderr[-3000:]
    ok, frames, _errors, got = p.stdout.split()
    assert ok == "ok" and int(frames) == 100 and int(got) == 1


def test_damaged_frames_are_still_reported(tmp_path):
    from forensic.segments.decode import FrameReader

    path = damaged_h264(tmp_path)
    reader = FrameReader(path, width=160)
    assert sum(1 for _ in reader) == 250
    assert reader.report.error_count > 0, reader.report
