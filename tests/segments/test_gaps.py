"""A hole in the timeline is a boundary like a cut (motion-triggered CCTV, DVR gaps, a lost chunk).

Footage made by ffmpeg with timestamp jumps (setpts): 5 s of frames, a 300 s hole, one lone frame,
another 300 s hole, 5 s of frames. No segment may span a hole, the segment before a hole ends
where its last frame ends, and the lone frame is a short shot (not classified), flagged.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from forensic.config import SegmentConfig
from forensic.records import SHORT_SHOT, TIMELINE_GAP
from forensic.segments import segment_path

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


@pytest.fixture(scope="module")
def gappy(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("gaps") / "motion.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-t",
            "10",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=25",
            "-vf",
            "setpts='PTS+gte(N,125)*300/TB+gte(N,126)*300/TB'",
            "-fps_mode",
            "passthrough",
            "-c:v",
            "libx264",
            "-g",
            "25",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        check=True,
    )
    return str(path)


def test_no_segment_spans_a_gap(gappy):
    config = SegmentConfig()
    item, _info, result = segment_path(gappy, config)
    segs = result.segments
    assert item.frame_count == 250
    assert [(s.start_frame, s.end_frame) for s in segs][0][0] == 0 and segs[-1].end_frame == 250
    assert all(a.end_frame == b.start_frame for a, b in zip(segs, segs[1:]))  # every frame once
    starts = {s.start_frame for s in segs}
    assert {125, 126} <= starts  # both holes are boundaries
    for s in segs:
        assert s.end_s - s.start_s <= config.window_max_s + 1e-6, s
    before = next(s for s in segs if s.end_frame == 125)
    assert before.end_s == pytest.approx(5.0) and before.end_pts_s == pytest.approx(5.0)
    assert TIMELINE_GAP in before.flags
    lone = next(s for s in segs if s.start_frame == 125)
    assert lone.end_frame == 126 and lone.end_s - lone.start_s == pytest.approx(0.04)
    assert SHORT_SHOT in lone.flags and TIMELINE_GAP in lone.flags  # too short to sample: not classified
    after = next(s for s in segs if s.start_frame == 126)
    assert after.start_s == pytest.approx(605.04) and TIMELINE_GAP in after.flags
    assert after.shot != lone.shot != before.shot


def test_a_lost_chunk_is_a_gap_too(tmp_path):
    """A chunk that gave nothing (failed after its retries) leaves a hole: the same boundary."""
    from fractions import Fraction

    import av

    from forensic.engine.runners import failed_chunk
    from forensic.segments import build_segments
    from forensic.segments.chunks import detect_chunk, merge_chunks, plan_chunks

    path = str(tmp_path / "plain.mp4")
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=160x120:rate=25",
            "-t",
            "36",
            "-c:v",
            "libx264",
            "-g",
            "25",
            "-pix_fmt",
            "yuv420p",
            path,
        ],
        check=True,
    )
    config = SegmentConfig(chunk_s=12.0)
    with av.open(path) as c:
        tb = c.streams.video[0].time_base
    chunks = plan_chunks(path, "x", config, tb, Fraction(25), 0.0, 36.0)
    assert len(chunks) == 3
    results = [detect_chunk(c, config) for c in chunks]
    results[1] = failed_chunk(chunks[1], "chunk 1 timed out")  # 12 s to 24 s are lost
    timeline, cuts, _report, _name = merge_chunks(results)
    segs = build_segments("x", path, timeline, cuts, config, partial=True)
    assert 300 in {s.start_frame for s in segs}  # the first frame after the hole starts a segment
    for s in segs:
        assert s.end_s - s.start_s <= config.window_max_s + 1e-6, s
    before = next(s for s in segs if s.end_frame == 300)
    assert before.end_s == pytest.approx(12.0) and TIMELINE_GAP in before.flags
