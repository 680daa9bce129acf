"""FrameReader / Timeline over real generated footage."""

from __future__ import annotations

import itertools
from fractions import Fraction

import av
import av.logging
import numpy as np
import pytest

from forensic.segments.decode import FrameReader
from forensic.synth.lavfi import Shot, make_clip
from tests.conftest import ffmpeg

SHOTS = [Shot("testsrc2", 50), Shot("color=c=red", 30), Shot("smptebars", 40)]
N = 120  # frames in SHOTS

_reset_ids = itertools.count()


def forget_last_ffmpeg_log() -> None:
    """PyAV can drop a log message identical to the last one it saw, process-wide; log a unique
    message (captured, so it goes nowhere) so each test's decode starts clean whatever ran before
    (the regression test below decodes twice without this, on purpose)."""
    old = av.logging.get_level()
    av.logging.set_level(av.logging.WARNING)
    try:
        with av.logging.Capture(local=False):
            av.logging.log(av.logging.WARNING, "tests", f"forget {next(_reset_ids)}")
    finally:
        av.logging.set_level(old)


@pytest.fixture(autouse=True)
def _clean_log_state():
    forget_last_ffmpeg_log()


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("decode")
    mp4 = make_clip(str(d / "clip.mp4"), SHOTS, fps=25)
    mkv = make_clip(str(d / "clip.mkv"), SHOTS, fps=25)
    ts = make_clip(
        str(d / "offset.ts"),
        [Shot("mandelbrot", 60)],
        fps=25,
        codec_args=("-c:v", "mpeg2video", "-q:v", "4"),
        output_args=("-output_ts_offset", "10"),
    )
    data = (d / "clip.mkv").read_bytes()
    trunc = d / "truncated.mkv"
    trunc.write_bytes(data[: len(data) // 2])
    return {"mp4": mp4, "mkv": mkv, "ts": ts, "trunc": str(trunc)}


def read_all(path, **kw):
    reader = FrameReader(path, **kw)
    rows = list(reader)
    return reader, rows


@pytest.mark.parametrize("kind", ["mp4", "mkv"])
def test_indices_sizes_and_pts(clips, kind):
    reader, rows = read_all(clips[kind], width=160)
    assert [i for i, _p, _im in rows] == list(range(N))
    for _i, _p, im in rows:
        assert im.shape == (120, 160, 3)  # 320x240 scaled to width 160 keeps 4:3
        assert im.dtype == np.uint8
    pts = np.array([p for _i, p, _im in rows])
    assert np.all(np.diff(pts) > 0)
    assert reader.report.frames == N
    assert not reader.report.errors
    assert reader.report.stopped_by is None
    tl = reader.timeline()
    assert len(tl) == N
    assert np.array_equal(tl.pts, pts)


def test_full_size_and_no_upscaling(clips):
    _r, rows = read_all(clips["mp4"], width=None)
    assert rows[0][2].shape == (240, 320, 3)
    _r, rows = read_all(clips["mp4"], width=1000)
    assert rows[0][2].shape == (240, 320, 3)
    _r, rows = read_all(clips["mp4"], width=64)
    assert rows[0][2].shape == (48, 64, 3)


def test_images_are_the_pictures(clips):
    # frames 50..79 are the red shot: in bgr24 red is high in channel 2
    _r, rows = read_all(clips["mp4"], width=160)
    red = rows[60][2].reshape(-1, 3).mean(axis=0)
    assert red[2] > 200 and red[0] < 60 and red[1] < 60


@pytest.mark.parametrize("kind", ["mp4", "mkv"])
def test_timeline_seconds(clips, kind):
    reader, _rows = read_all(clips[kind], width=160)
    tl = reader.timeline()
    assert tl.seconds(0) == 0.0
    assert tl.seconds(1) == pytest.approx(0.04, abs=1e-3)
    assert tl.seconds(50) == pytest.approx(2.0, abs=1e-3)
    assert tl.seconds(len(tl)) == pytest.approx(N / 25, abs=1e-3)
    arr = tl.seconds_array()
    assert arr.shape == (N + 1,)
    assert arr[0] == 0.0 and arr[-1] == pytest.approx(4.8, abs=1e-3)
    assert np.all(np.diff(arr) > 0)
    assert np.allclose(tl.intervals_s(), 0.04, atol=1e-3)


def test_timeline_pts_seconds_is_pts_times_time_base(clips):
    reader, _rows = read_all(clips["mp4"], width=160)
    tl = reader.timeline()
    assert isinstance(tl.time_base, Fraction)
    for i in (0, 1, 37, N - 1, N):
        assert tl.pts_seconds(i) == pytest.approx(float(tl.pts_at(i) * tl.time_base), abs=1e-6)
    assert tl.pts_at(N) == tl.end_pts > tl.pts_at(N - 1)


def test_stream_not_starting_at_zero(clips):
    reader, rows = read_all(clips["ts"], width=160)
    assert len(rows) == 60
    tl = reader.timeline()
    assert tl.pts_seconds(0) > 10.0
    assert tl.seconds(0) == 0.0
    assert tl.seconds(60) == pytest.approx(2.4, abs=1e-3)
    assert tl.pts_seconds(25) - tl.pts_seconds(0) == pytest.approx(1.0, abs=1e-3)
    assert tl.seconds(25) == pytest.approx(1.0, abs=1e-3)


def test_truncated_mkv_reports_errors_instead_of_raising(clips):
    reader, rows = read_all(clips["trunc"], width=160)
    assert 0 < len(rows) < N
    assert [i for i, _p, _im in rows] == list(range(len(rows)))
    assert reader.report.errors, reader.report
    assert reader.report.error_count >= 1
    assert any("prematurely" in m or "EOF" in m or "end" in m.lower() for m in reader.report.errors), reader.report
    assert reader.report.frames == len(rows)
    assert len(reader.timeline()) == len(rows)


def test_truncated_mkv_errors_reported_on_every_decode(clips):
    # regression: PyAV drops a log message equal to the previous one, process-wide, so the second
    # decode of the same damaged file used to lose its only error ('File ended prematurely')
    first, _ = read_all(clips["trunc"], width=160)
    second, _ = read_all(clips["trunc"], width=160)
    assert first.report.errors
    assert second.report.errors == first.report.errors


def test_timeline_without_frames_raises():
    reader = FrameReader("/nonexistent.mp4")
    with pytest.raises(ValueError):
        reader.timeline()


def test_decoding_leaves_pyav_log_settings_as_they_were(clips):
    level, skip = av.logging.get_level(), av.logging.get_skip_repeated()
    read_all(clips["trunc"], width=160)
    assert av.logging.get_level() == level
    assert av.logging.get_skip_repeated() == skip


CONVERT_CASES = [  # (codec, pixel format, size): what archives hold, odd sizes and 10-bit included
    ("libx264", "yuv420p", "320x240"),
    ("mjpeg", "yuvj420p", "321x241"),
    ("libx264", "yuv422p", "320x240"),
    ("libx264", "yuv444p", "160x90"),
    ("libx264", "yuv420p10le", "320x240"),
    ("ffv1", "gray", "320x240"),
    ("ffv1", "bgr0", "322x240"),
    ("mpeg4", "yuv420p", "352x288"),
]


@pytest.mark.parametrize("codec,pix_fmt,size", CONVERT_CASES)
@pytest.mark.parametrize("fmt", ["bgr24", "rgb24"])
def test_image_converter_gives_to_ndarrays_pixels(tmp_path, codec, pix_fmt, size, fmt):
    """One swscale context for a whole stream gives every frame exactly the pixels PyAV's own
    per-frame conversion gives (the scene cuts, the gate and the features depend on them)."""

    from forensic.segments.decode import ImageConverter

    path = tmp_path / f"clip.{'mkv' if codec != 'mjpeg' else 'avi'}"
    source = f"testsrc2=size=320x240:rate=25,noise=alls=40:allf=t,scale={size}"
    ffmpeg("-f", "lavfi", "-i", source, "-t", "1", "-c:v", codec, "-pix_fmt", pix_fmt, str(path))
    convert = ImageConverter(fmt)
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == 25 and frames[0].format.name == pix_fmt
    for frame in frames:
        assert np.array_equal(convert(frame), frame.to_ndarray(format=fmt))
