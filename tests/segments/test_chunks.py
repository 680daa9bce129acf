"""Chunked scene detection (how one long file uses every worker) gives the same result as one pass."""

from __future__ import annotations

import pytest

from forensic import intake
from forensic.config import SegmentConfig
from forensic.segments import plan_file, segment_file
from forensic.synth.lavfi import Shot, cut_frames, make_clip
from tests.conftest import ffmpeg

SHOTS = [Shot("testsrc2", 400), Shot("color=c=red", 500), Shot("smptebars", 250), Shot("mandelbrot", 351)]
X264 = ("-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-pix_fmt", "yuv420p")
MPEG2 = ("-c:v", "mpeg2video", "-q:v", "4")


@pytest.fixture(scope="module", params=["mp4", "ts"])
def clip(request, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("chunks") / f"long.{request.param}")
    if request.param == "ts":
        make_clip(path, SHOTS, fps=25, size=(160, 120), codec_args=MPEG2, output_args=("-output_ts_offset", "3"))
    else:
        make_clip(path, SHOTS, fps=25, size=(160, 120), codec_args=X264)
    return path


def _segment(path, chunk_s):
    item = intake.discover([path])[0]
    intake.hash_item(item)
    info = intake.probe_item(item)
    config = SegmentConfig(chunk_s=chunk_s)
    chunks = plan_file(item, config, info.avg_fps or info.nominal_fps, info.stream_index, info.stream_duration_s)
    result = segment_file(item, config, info.avg_fps or info.nominal_fps, info.stream_index, info.stream_duration_s)
    return chunks, result, item


def test_long_file_is_planned_in_chunks(clip):
    chunks, _, _ = _segment(clip, 10.0)
    assert len(chunks) == 6  # 60 s of footage in 10 s chunks
    assert chunks[0].start_pts is None and chunks[-1].stop_pts is None
    for a, b in zip(chunks, chunks[1:]):
        assert a.stop_pts == b.start_pts
    short, _, _ = _segment(clip, 1000.0)
    assert len(short) == 1
    # past 1.5 chunks a file is split, even when it is under two chunks long (60 s in 35 s chunks)
    two, _, _ = _segment(clip, 35.0)
    assert len(two) == 2 and two[0].stop_pts == two[1].start_pts
    one, _, _ = _segment(clip, 41.0)  # 60.04 s is under 1.5 x 41 s
    assert len(one) == 1


@pytest.mark.parametrize("chunk_s", [16.0, 11.0, 10.0])  # 16 s: a cut falls exactly on a seam
def test_chunked_detection_equals_one_pass(clip, chunk_s):
    _, whole, item1 = _segment(clip, 1000.0)
    _, chunked, item2 = _segment(clip, chunk_s)
    assert whole.cuts == cut_frames(SHOTS)
    assert chunked.cuts == whole.cuts
    assert chunked.timeline.pts.tolist() == whole.timeline.pts.tolist()
    assert chunked.timeline.end_pts == whole.timeline.end_pts
    assert [s.to_dict() for s in chunked.segments] == [s.to_dict() for s in whole.segments]
    assert str(item1.status) == str(item2.status) == "analysed"


def test_b_frames_in_avi_timestamps_out_of_order(tmp_path):
    """AVI has no presentation timestamps: with B-frames they come out of order. The timeline is
    sorted, segments are flagged, and sample frames are found by index: the right pictures."""

    import numpy as np

    from forensic.features.segment import sample_images
    from forensic.segments.decode import FrameReader

    path = str(tmp_path / "bframes.avi")
    source = "testsrc2=size=160x120:rate=25:duration=4"
    ffmpeg("-f", "lavfi", "-i", source, "-c:v", "libx264", "-bf", "2", "-pix_fmt", "yuv420p", path)
    _, result, item = _segment(path, 300.0)
    assert str(item.status) == "analysed" and any("out of order" in w for w in item.warnings)
    pts = result.timeline.pts.tolist()
    assert pts == sorted(pts) and len(set(pts)) == len(pts) == 100
    seg = result.segments[0]
    assert "pts_reordered" in seg.flags
    frames = [img for _, _, img in FrameReader(path)]
    got = sample_images(seg)
    for index, img in zip(seg.sample_frames, got.images):
        assert np.array_equal(frames[index], img)
