"""Footage whose timestamps do not find frames the usual way: the segments' sample frames must still
be read, and be the pictures a plain decode gives at those positions.

* MPEG-TS whose sample frames lie after its last key frame: a seek there decodes nothing, and the
  reader must seek further back (it used to give up: every such segment failed).
* A raw H.264 elementary stream (a common CCTV export) has no timestamps at all: the timeline makes
  them up, so its segments are flagged ``pts_missing`` and their frames found by index (they used
  to be looked up by the made-up timestamps: never found, every segment failed).
"""

from __future__ import annotations

import av
import numpy as np
import pytest

from forensic.config import SegmentConfig
from forensic.engine.gate import gateable
from forensic.features.segment import sample_images
from forensic.records import PTS_MISSING
from forensic.segments import segment_path
from forensic.segments.decode import ImageConverter, read_frames
from tests.conftest import ffmpeg


def _all_frames(path: str) -> list[tuple[int | None, np.ndarray]]:
    convert = ImageConverter("bgr24")
    with av.open(path) as container:
        return [(f.pts, convert(f)) for f in container.decode(video=0)]


def test_ts_frames_after_the_last_key_frame_are_read(tmp_path):
    path = str(tmp_path / "cam.ts")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "12", "-g", "100", "-f", "mpegts", path)
    frames = _all_frames(path)
    assert len(frames) == 300
    for index in (15, 150, 210, 250, 290, 299):  # key frames at 0, 100, 200
        pts, image = frames[index]
        got = read_frames(path, [pts])
        assert list(got) == [pts], index
        assert np.array_equal(got[pts], image), index


def test_ts_single_gop_clip_is_analysable(tmp_path):
    """The sweep's case: a 6 s TS export in one GOP; every segment's sample frames come back."""
    path = str(tmp_path / "cam.ts")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "6", "-g", "250", "-f", "mpegts", path)
    item, _info, result = segment_path(path, SegmentConfig())
    assert result is not None and result.segments
    frames = _all_frames(path)
    for seg in result.segments:
        imgs = sample_images(seg)
        for index, image in zip(seg.sample_frames, imgs.images):
            assert np.array_equal(image, frames[index][1])


def test_raw_h264_segments_are_read_by_index(tmp_path):
    path = str(tmp_path / "export.h264")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "8", "-pix_fmt", "yuv420p", "-f", "h264", path)
    frames = _all_frames(path)
    assert all(pts is None for pts, _ in frames)  # what makes this file odd
    item, _info, result = segment_path(path, SegmentConfig())
    assert result is not None and result.segments, item.reason
    assert any("no timestamp" in w for w in item.warnings)
    for seg in result.segments:
        assert PTS_MISSING in seg.flags
        assert not gateable(seg)  # the gate finds frames by timestamp: these take the full path
        imgs = sample_images(seg)
        assert len(imgs.images) == len(seg.sample_frames)
        for index, image in zip(seg.sample_frames, imgs.images):
            assert np.array_equal(image, frames[index][1])


@pytest.mark.parametrize("container", ["mp4", "mkv"])
def test_ordinary_files_are_not_flagged(tmp_path, container):
    path = str(tmp_path / f"clip.{container}")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "4", "-pix_fmt", "yuv420p", path)
    _item, _info, result = segment_path(path, SegmentConfig())
    assert result is not None and result.segments
    assert all(PTS_MISSING not in seg.flags for seg in result.segments)


def test_a_second_video_stream_not_analysed_makes_the_file_partial(tmp_path):
    """Two cameras in one file: one stream is analysed, and the file says it was only partly (exit 3),
    without marking the analysed stream's segments as a damaged file's last stretch."""
    path = str(tmp_path / "two.mp4")
    ffmpeg(
        *("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4"),
        *("-f", "lavfi", "-i", "smptebars=size=160x120:rate=15:duration=4"),
        *("-map", "0", "-map", "1", "-pix_fmt", "yuv420p", path),
    )
    item, _info, result = segment_path(path, SegmentConfig())
    assert result is not None and result.segments
    assert item.video_streams == 2
    assert str(item.status) == "partial" and "1 of its 2 video streams not analysed" in item.reason
    assert all("partial_file" not in seg.flags for seg in result.segments)
