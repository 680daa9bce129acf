"""forensic.intake.signature: container signatures of real files, and claims_video."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from forensic.intake.hashing import HEAD
from forensic.intake.signature import claims_video, sniff


def _ffmpeg(*args: str) -> None:
    proc = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


SRC = ("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-frames:v", "10")

CONTAINERS = {
    "clip.mp4": ("isobmff", ("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p")),
    "clip.mov": ("isobmff", ("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p")),
    "clip.mkv": ("matroska", ("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p")),
    "clip.webm": ("matroska", ("-c:v", "libvpx", "-b:v", "200k", "-deadline", "realtime")),
    "clip.ts": ("mpeg-ts", ("-c:v", "mpeg2video")),
    "clip.avi": ("avi", ("-c:v", "mpeg4")),
    "clip.flv": ("flv", ("-c:v", "flv1")),
    "clip.mpg": ("mpeg-ps", ("-c:v", "mpeg2video", "-f", "vob")),
    "clip.y4m": ("y4m", ("-pix_fmt", "yuv420p")),
    "clip.h264": (
        "elementary-stream",
        ("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-bsf:v", "h264_mp4toannexb"),
    ),
}


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sig")
    out = {}
    for name, (_sig, codec) in CONTAINERS.items():
        path = folder / name
        _ffmpeg(*SRC, *codec, str(path))
        out[name] = path
    png = folder / "still.png"
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1", str(png))
    out["still.png"] = png
    wav = folder / "tone.wav"
    _ffmpeg("-f", "lavfi", "-i", "sine=duration=0.2", str(wav))
    out["tone.wav"] = wav
    return out


def _head(path) -> bytes:
    with open(path, "rb") as f:
        return f.read(HEAD)


@pytest.mark.parametrize("name", list(CONTAINERS))
def test_sniff_real_containers(media, name):
    expected = CONTAINERS[name][0]
    assert sniff(_head(media[name])) == expected


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"hello world, this is a plain text file\n" * 50,
        b"# notes\n" + b"A" * 5000,
        b'{"json": true}',
        b"\x00" * 4096,
        b"GIF89a" + b"\x00" * 100,
        b"%PDF-1.7\n" + b"x" * 1000,
    ],
    ids=["empty", "text", "markdown", "json", "zeros", "gif", "pdf"],
)
def test_sniff_not_video(head):
    assert sniff(head) is None


def test_sniff_png_and_wav_are_not_video(media):
    assert sniff(_head(media["still.png"])) is None
    assert sniff(_head(media["tone.wav"])) is None  # RIFF, but WAVE, not AVI


def test_sniff_isobmff_needs_12_bytes():
    assert sniff(b"\x00\x00\x00\x18ftypisom") == "isobmff"
    assert sniff(b"\x00\x00\x00\x18ftyp") is None  # too short to be sure


def test_sniff_mpeg_ts_needs_three_sync_bytes():
    packet = b"\x47" + b"\x00" * 187
    assert sniff(packet * 3) == "mpeg-ts"
    assert sniff(packet * 2) is None  # only two packets: not enough evidence
    broken = packet * 2 + b"\x00" * 188
    assert sniff(broken) is None


def test_sniff_m2ts_timestamped_packets():
    packet = b"\x00\x00\x00\x00\x47" + b"\x00" * 187
    assert sniff(packet * 3) == "m2ts"


def test_claims_video_by_extension_only():
    text = b"just some text, not a video\n"
    assert claims_video("x.MOV", text) == (True, None)
    assert claims_video("/evidence/Clip.Mp4", text) == (True, None)
    assert claims_video("dir.mp4/notes", text) == (False, None)  # the folder's name does not count


def test_claims_video_neither():
    assert claims_video("notes.txt", b"just some text\n") == (False, None)
    assert claims_video("README", b"") == (False, None)
    assert claims_video("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50) == (False, None)


def test_claims_video_by_signature_only(media, tmp_path):
    renamed = tmp_path / "renamed.bin"
    shutil.copyfile(media["clip.mp4"], renamed)
    assert claims_video(str(renamed), _head(renamed)) == (True, "isobmff")
    no_ext = tmp_path / "IMG0001"
    shutil.copyfile(media["clip.mkv"], no_ext)
    assert claims_video(str(no_ext), _head(no_ext)) == (True, "matroska")


def test_claims_video_extension_and_signature(media):
    assert claims_video(str(media["clip.ts"]), _head(media["clip.ts"])) == (True, "mpeg-ts")


def test_text_that_looks_like_a_box_name_is_not_video():
    """'The free ...' has 'free' at bytes 4-8, but no plausible box size before it."""
    from forensic.intake.signature import sniff as _sniff

    assert _sniff(b"The free software foundation says hello\n" * 4) is None
    assert _sniff(b"\x00\x00\x00\x08wide" + b"\x00" * 16) == "isobmff"
