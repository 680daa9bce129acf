"""Player time, proven: subtitles written by the report are burnt into the footage by ffmpeg's
subtitles filter (libass) and the cue must appear on exactly the segment's decoded frames.

ffmpeg (without -copyts) rebases timestamps to the container's start time, as VLC and mpv do; when
the audio starts before the video (the Hamilton clip: 0.008 s against 0.852 s), a cue timed from
the first frame would be 0.844 s early. Run on a generated clip whose audio starts 0.5 s before its
video (always), and on the Hamilton clip (skipped when ../shared is absent).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from forensic.config import ScanConfig
from forensic.records import EvidenceStatus
from forensic.report import subtitles
from forensic.report.player import file_url, mpv_command, player_clock

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
W = 96  # frames are compared at this width, grey


@dataclass
class _F:
    start_s: float
    end_s: float
    start_frame: int
    end_frame: int
    score: float = 0.9
    threshold: float = 0.5
    segment_index: int = 0


@dataclass
class _S:
    finding: _F
    rank: int = 1


def _segments(path: Path):
    from forensic import intake
    from forensic.segments import segment_file

    items = intake.discover([str(path)])
    item = items[0]
    intake.hash_item(item)
    info = intake.probe_item(item)
    assert info is not None and item.status == EvidenceStatus.PENDING
    cfg = ScanConfig().segments
    result = segment_file(
        item, cfg, info.avg_fps or info.nominal_fps, info.stream_index, info.stream_duration_s or info.duration_s
    )
    return item, result.segments, item.frame_count


def _frames(path: Path, vf: str) -> np.ndarray:
    cmd = [
        "ffmpeg",
        "-v",
        "error",
        "-nostdin",
        "-i",
        str(path),
        "-map",
        "0:v:0",
        "-vf",
        f"{vf}scale={W}:-2,format=gray",
        "-fps_mode",
        "passthrough",
        "-f",
        "rawvideo",
        "-",
    ]
    raw = subprocess.run(cmd, capture_output=True, check=True, timeout=300).stdout
    return np.frombuffer(raw, dtype=np.uint8)


def frames_showing_cue(clip: Path, srt: Path, height: int, width: int) -> list[int]:
    """Indexes (decoded-frame order) of the frames on which the burnt-in cue shows."""
    h = round(height * W / width / 2) * 2
    style = (
        "FontSize=40,PrimaryColour=&H00FFFFFF,BorderStyle=3,OutlineColour=&H00000000,BackColour=&H00000000,Outline=8"
    )
    plain = _frames(clip, "").reshape(-1, h, W).astype(np.int16)
    burnt = _frames(clip, f"subtitles=filename={srt}:force_style='{style}',").reshape(-1, h, W).astype(np.int16)
    assert plain.shape == burnt.shape
    diff = np.abs(plain - burnt).mean(axis=(1, 2))
    return [int(i) for i in np.flatnonzero(diff > 2.0)]


def _check(clip: Path, tmp_path: Path, expect_offset: float) -> None:
    item, segs, frame_count = _segments(clip)
    clock = player_clock(item)
    assert clock.known and clock.offset_s == pytest.approx(expect_offset, abs=0.05 if expect_offset == 0.5 else 0.001)
    seg = segs[1] if len(segs) > 1 else segs[0]
    f = _F(seg.start_s, seg.end_s, seg.start_frame, seg.end_frame, segment_index=seg.index)
    srt = tmp_path / "cue.srt"
    srt.write_text(subtitles.srt([_S(f)], clock.offset_s), encoding="utf-8")
    shown = frames_showing_cue(clip, srt, item.height, item.width)
    assert shown == list(range(seg.start_frame, seg.end_frame)), (seg.start_frame, seg.end_frame, shown[:3], shown[-3:])
    # the same cue timed from the first frame (the old clock) is early whenever the offset is not 0
    if expect_offset > 0.1:
        srt.write_text(subtitles.srt([_S(f)], 0.0), encoding="utf-8")
        early = frames_showing_cue(clip, srt, item.height, item.width)
        assert early and early[0] < seg.start_frame
    # the player link and command carry the same player time
    start = clock.at(seg.start_s)
    assert file_url(str(clip), start, clock.at(seg.end_s)).endswith(f"#t={start:.3f},{clock.at(seg.end_s):.3f}")
    assert f"--start={start:.3f}" in mpv_command(str(clip), start, clock.at(seg.end_s))


def test_cue_on_the_segments_frames_when_audio_starts_first(tmp_path):
    clip = tmp_path / "audio_first.mkv"  # Matroska keeps the video's late start (MP4 hides it in an edit list)
    shots = (
        "testsrc2=size=320x240:rate=25:duration=4[a];color=c=navy:size=320x240:rate=25:duration=4[b];"
        "[a][b]concat=n=2:v=1:a=0[out0]"
    )
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-nostdin",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=9",
            "-itsoffset",
            "0.5",
            "-f",
            "lavfi",
            "-i",
            shots,
            "-map",
            "1:v",
            "-map",
            "0:a",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            str(clip),
        ],
        check=True,
        timeout=120,
    )
    _check(clip, tmp_path, 0.5)  # 0.5 s, and x264's B-frame delay


@pytest.mark.real_footage
def test_cue_on_the_segments_frames_hamilton(tmp_path, footage_dir):
    clip = footage_dir / "face_recognition_short_hamilton_clip.mp4"
    if not clip.is_file():
        pytest.skip(f"{clip} is absent")
    _check(clip, tmp_path, 0.852019 - 0.008005)
