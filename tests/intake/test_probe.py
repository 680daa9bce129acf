"""forensic.intake.probe: what ffprobe says about real files made with ffmpeg."""

from __future__ import annotations

import os
import shutil
import subprocess
from fractions import Fraction

import pytest

from forensic.intake.probe import ProbeError, _rotation, ffmpeg_url, parse_creation_time, probe
from forensic.synth.lavfi import Shot, make_clip


def _ffmpeg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], capture_output=True, text=True)


def _ok(*args: str) -> None:
    proc = _ffmpeg(*args)
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("probe")
    out = {}
    out["clip"] = make_clip(
        str(d / "clip.mp4"),
        [Shot("testsrc2", 30), Shot("color=c=red", 20)],
        fps=25,
        size=(320, 240),
        output_args=("-metadata", "creation_time=2024-05-01T12:34:56Z"),
    )
    out["small"] = make_clip(str(d / "small.mp4"), [Shot("color=c=blue", 10)], fps=10, size=(160, 120))
    out["ts"] = make_clip(
        str(d / "offset.ts"),
        [Shot("testsrc2", 25)],
        fps=25,
        size=(320, 240),
        codec_args=("-c:v", "mpeg2video", "-q:v", "4"),
        output_args=("-output_ts_offset", "10"),
    )
    # rotation: ffmpeg >= 6 has -display_rotation (an input option); older ffmpeg takes the legacy tag
    rotated = str(d / "rotated.mp4")
    proc = _ffmpeg("-display_rotation", "90", "-i", out["clip"], "-c", "copy", rotated)
    if proc.returncode != 0:
        _ok("-i", out["clip"], "-c", "copy", "-metadata:s:v", "rotate=90", rotated)
    out["rotated"] = rotated
    out["png"] = str(d / "still.png")
    _ok("-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1", out["png"])
    out["wav"] = str(d / "tone.wav")
    _ok("-f", "lavfi", "-i", "sine=duration=1", out["wav"])
    out["txt"] = str(d / "notes.txt")
    with open(out["txt"], "w") as f:
        f.write("this is not a video\n" * 20)
    return out


def test_clip_basics(media):
    info = probe(media["clip"])
    assert "mp4" in info.container
    assert info.codec == "h264"
    assert (info.width, info.height) == (320, 240)
    assert info.nominal_fps == Fraction(25)
    assert info.avg_fps == Fraction(25)
    assert info.duration_s == pytest.approx(2.0, abs=0.05)
    assert info.stream_duration_s == pytest.approx(2.0, abs=0.05)
    assert info.frame_count == 50
    assert info.video_streams == 1
    assert info.audio_streams == 0
    assert info.is_still_image is False
    assert info.rotation == 0
    assert info.stream_index == 0
    assert isinstance(info.time_base, Fraction) and info.time_base > 0
    # 25 fps frames are a whole number of time_base ticks apart
    assert (Fraction(1, 25) / info.time_base).denominator == 1


def test_small_clip_different_values(media):
    info = probe(media["small"])
    assert (info.width, info.height) == (160, 120)
    assert info.nominal_fps == Fraction(10)
    assert info.frame_count == 10
    assert info.duration_s == pytest.approx(1.0, abs=0.05)
    assert info.creation_time_utc is None
    assert info.creation_time_raw is None


def test_creation_time(media):
    info = probe(media["clip"])
    assert info.creation_time_utc == "2024-05-01T12:34:56.000000Z"
    assert info.creation_time_raw.startswith("2024-05-01T12:34:56")


def test_rotation_display_matrix(media):
    """A 90-degree rotation is reported as 90 or 270 (degrees counter-clockwise, display-matrix
    convention). With ffmpeg 5.1 and ``-metadata:s:v rotate=90`` the muxer writes a display
    matrix that ffprobe reads back as ``rotation: 90``, so ``probe`` gives 90 there."""
    info = probe(media["rotated"])
    assert info.rotation in (90, 270)
    # the stored size is not swapped: rotation is display-only
    assert (info.width, info.height) == (320, 240)


def _gray_frame(path: str, w: int, h: int):
    import numpy as np

    proc = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True,
    )
    assert proc.returncode == 0, proc.stderr
    return np.frombuffer(proc.stdout, np.uint8).reshape(h, w).astype(int)


def test_rotation_agrees_with_ffmpeg_autorotate(media):
    """The reported angle is counter-clockwise: ffmpeg's own autorotation of the first frame
    equals numpy's rot90 (counter-clockwise) by rotation/90 quarter turns."""
    import numpy as np

    rotation = probe(media["rotated"]).rotation
    upright = _gray_frame(media["clip"], 320, 240)
    shown = _gray_frame(media["rotated"], 240, 320)  # ffmpeg applies the display matrix when decoding
    assert np.abs(np.rot90(upright, rotation // 90) - shown).mean() < 1.0
    assert np.abs(np.rot90(upright, (rotation // 90) + 2) - shown).mean() > 20.0


def test_rotation_conventions():
    assert _rotation({}) == 0
    assert _rotation({"side_data_list": [{"side_data_type": "Display Matrix", "rotation": 90}]}) == 90
    assert _rotation({"side_data_list": [{"rotation": -90}]}) == 270
    assert _rotation({"side_data_list": [{"rotation": -180}]}) == 180
    # the legacy tag is clockwise: rotate=90 (clockwise) is 270 counter-clockwise
    assert _rotation({"tags": {"rotate": "90"}}) == 270
    assert _rotation({"tags": {"rotate": "270"}}) == 90
    # the display matrix wins over the tag
    assert _rotation({"side_data_list": [{"rotation": 90}], "tags": {"rotate": "90"}}) == 90
    # side data without a rotation is ignored
    assert _rotation({"side_data_list": [{"side_data_type": "CPB properties"}], "tags": {"rotate": "180"}}) == 180
    assert _rotation({"tags": {"rotate": "sideways"}}) == 0


def test_mpegts_offset_start_time(media):
    info = probe(media["ts"])
    assert info.container == "mpegts"
    assert info.codec == "mpeg2video"
    assert info.stream_start_time_s is not None
    assert info.stream_start_time_s > 10
    assert info.stream_start_time_s < 12


def test_png_is_still_image(media):
    info = probe(media["png"])
    assert info.is_still_image is True
    assert info.video_streams == 1
    assert info.codec == "png"


def test_audio_only(media):
    info = probe(media["wav"])
    assert info.video_streams == 0
    assert info.audio_streams == 1
    assert info.codec is None
    assert info.width is None
    assert info.stream_index is None
    assert info.is_still_image is False
    assert info.duration_s == pytest.approx(1.0, abs=0.05)


def test_text_file_raises_probe_error(media):
    with pytest.raises(ProbeError) as ei:
        probe(media["txt"])
    msg = str(ei.value)
    assert msg  # ffprobe's own words
    assert "Invalid data" in msg
    assert media["txt"] not in msg  # the path is replaced, messages stay path-free


def test_missing_file_raises_probe_error(tmp_path):
    with pytest.raises(ProbeError):
        probe(str(tmp_path / "gone.mp4"))


def test_ffmpeg_url_prefixes_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert ffmpeg_url("concat:a.mp4|b.mp4") == "file:" + str(tmp_path / "concat:a.mp4|b.mp4")
    assert ffmpeg_url("/abs/http:x") == "file:/abs/http:x"
    assert ffmpeg_url("/abs/a.mp4") == "file:/abs/a.mp4"


def test_protocol_like_name_is_probed_as_plain_file(media, tmp_path, monkeypatch):
    """A file named ``concat:a.mp4|b.mp4`` is that file, not the concatenation of a.mp4 and b.mp4."""
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(media["clip"], tmp_path / "concat:a.mp4|b.mp4")
    # decoys: if the name were read as the concat protocol, these (160x120, 1 s each) would be probed
    shutil.copyfile(media["small"], tmp_path / "a.mp4")
    shutil.copyfile(media["small"], tmp_path / "b.mp4")
    info = probe("concat:a.mp4|b.mp4")
    assert (info.width, info.height) == (320, 240)
    assert info.frame_count == 50
    assert info.duration_s == pytest.approx(2.0, abs=0.05)


def test_protocol_like_name_without_decoys(media, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(media["clip"], tmp_path / "concat:a.mp4|b.mp4")
    assert not os.path.exists("a.mp4")
    assert probe("concat:a.mp4|b.mp4").codec == "h264"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-05-01T12:34:56Z", "2024-05-01T12:34:56.000000Z"),
        ("2024-05-01T12:34:56.000000Z", "2024-05-01T12:34:56.000000Z"),
        ("2024-05-01T12:34:56", "2024-05-01T12:34:56.000000Z"),  # naive: UTC
        ("2024-05-01 12:34:56", "2024-05-01T12:34:56.000000Z"),
        ("  2024-05-01T12:34:56.25  ", "2024-05-01T12:34:56.250000Z"),
        ("2024-05-01T14:34:56+02:00", "2024-05-01T12:34:56.000000Z"),
        ("2024-05-01T14:34:56+0200", "2024-05-01T12:34:56.000000Z"),
        ("2024-04-30T21:34:56-15:00", "2024-05-01T12:34:56.000000Z"),
        ("2024-05-01T00:30:00+01:00", "2024-04-30T23:30:00.000000Z"),  # date changes too
    ],
)
def test_parse_creation_time_valid(text, expected):
    assert parse_creation_time(text) == expected


@pytest.mark.parametrize(
    "text",
    [None, "", "garbage", "2024-13-01T00:00:00Z", "yesterday", "1904-01-01T00:00:00.000000Z", "1904-01-01 00:00:00"],
)
def test_parse_creation_time_invalid(text):
    assert parse_creation_time(text) is None


def test_parse_creation_time_1904_epoch_with_offset():
    # 1904-01-01 01:00 +01:00 is the MP4 epoch itself
    assert parse_creation_time("1904-01-01T01:00:00+01:00") is None
    assert parse_creation_time("1970-01-01T00:00:00Z") == "1970-01-01T00:00:00.000000Z"
