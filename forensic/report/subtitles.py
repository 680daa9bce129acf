"""Subtitles of the flagged intervals, per video: WebVTT and SRT, to open beside the footage in VLC
or mpv.

Times are in the player's clock, what VLC and mpv show (and what ffmpeg's subtitles filter uses
when it burns them in): players count from the container's start time, which is the first video
frame unless another stream (audio) starts earlier. So a cue is the segment's seconds from the
first decoded frame (``start_s``/``end_s``) plus the file's offset
(:mod:`forensic.report.player`: 0.844 s for a clip whose audio starts at 0.008 s and video at
0.852 s). They are neither the stream's presentation timestamps (``*_pts_s``) nor wall-clock time.
The WebVTT file says so in a NOTE block; SRT has no comments, so every SRT cue ends with "(player
time)".

One cue per flagged segment (segments never overlap), in time order; each names the segment's
rank in the report, its score and threshold, its segment index and frame range.

File names: ``<name>.<sha256[:12]>.vtt`` / ``.srt``, where ``<name>`` is the video's file name
reduced to ASCII letters, digits, ``.``, ``_`` and ``-`` (the evidence's names are untrusted and may
be long, hold ``/``-like or direction-changing characters). VLC's default fuzzy matching loads a
subtitle file whose name starts with the video's name when both lie in one folder.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from forensic.report.text import plain_visible

CLOCK_NOTE = (
    "Times are player time, what VLC and mpv show: seconds from the start of the file (the first video "
    "frame, or an earlier audio start); not the stream's presentation timestamps, "
    "not wall-clock time."
)
SRT_CLOCK = "(player time)"


@dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    lines: tuple[str, ...]
    ident: str


def _ms(seconds: float) -> int:
    """Whole milliseconds just before ``seconds`` (at most 1 ms before): a cue timed so starts on the
    segment's first frame and ends before the frame after the segment, whichever way a player or
    libass rounds a frame's time to milliseconds."""
    return math.ceil(round(float(seconds) * 1000, 3)) - 1


def vtt_time(seconds: float) -> str:
    ms = max(0, _ms(seconds))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def srt_time(seconds: float) -> str:
    return vtt_time(seconds).replace(".", ",")


def _safe_line(text: str) -> str:
    """One NOTE or cue line: invisible characters (newlines among them) shown as ``‹U+XXXX›``, and
    no ``-->`` (which would end a WebVTT NOTE). Cue lines are made here of numbers only; a NOTE is
    never parsed for markup, so ``&`` and ``<`` in a file name stay as they are."""
    return plain_visible(text).replace("-->", "--\u203a")


def safe_stem(path: str, limit: int = 60) -> str:
    stem = os.path.splitext(os.path.basename(path))[0]
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-")
    safe = re.sub(r"_+", "_", safe)[:limit].strip("._-")
    return safe or "video"


def file_stem(path: str, sha256: str) -> str:
    return f"{safe_stem(path)}.{sha256[:12]}"


def cues(segments: Sequence[Any], offset_s: float = 0.0) -> list[Cue]:
    """``segments``: SegmentView-like records (``finding``, ``rank``), the flagged ones of one file;
    ``offset_s``: the file's player time of its first decoded frame."""
    out = []
    for s in sorted(segments, key=lambda s: (s.finding.start_s, s.finding.start_frame)):
        f = s.finding
        thr = "" if f.threshold is None else f" (threshold {float(f.threshold):.3f})"
        out.append(
            Cue(
                float(f.start_s) + offset_s,
                float(f.end_s) + offset_s,
                (
                    f"FLAGGED #{s.rank}: stalking score {float(f.score):.3f}{thr}",
                    f"segment {f.segment_index}, frames {f.start_frame}-{f.end_frame - 1}",
                ),
                f"flag-{s.rank}",
            )
        )
    return out


def webvtt(
    video_path: str, sha256: str, segments: Sequence[Any], report_id: str = "", revision: int = 1, offset_s: float = 0.0
) -> str:
    lines = [
        "WEBVTT",
        "",
        "NOTE",
        _safe_line(CLOCK_NOTE),
        _safe_line(f"Flagged intervals of the file with SHA-256 {sha256}"),
        "File: " + _safe_line(video_path),
        _safe_line(f"Forensic report {report_id} revision {revision}. One cue per flagged segment."),
        _safe_line(f"The first video frame is at {offset_s:.3f} s of player time."),
        "",
    ]
    for c in cues(segments, offset_s):
        lines += [c.ident, f"{vtt_time(c.start_s)} --> {vtt_time(c.end_s)}", *(_safe_line(x) for x in c.lines), ""]
    return "\n".join(lines)


def srt(segments: Sequence[Any], offset_s: float = 0.0) -> str:
    lines: list[str] = []
    for n, c in enumerate(cues(segments, offset_s), 1):
        lines += [
            str(n),
            f"{srt_time(c.start_s)} --> {srt_time(c.end_s)}",
            *(_safe_line(x) for x in c.lines),
            SRT_CLOCK,
            "",
        ]
    return "\n".join(lines)


_VTT_CUE = re.compile(r"^(\d{2,}):(\d{2}):(\d{2})\.(\d{3}) --> (\d{2,}):(\d{2}):(\d{2})\.(\d{3})")
_SRT_CUE = re.compile(r"^(\d{2,}):(\d{2}):(\d{2}),(\d{3}) --> (\d{2,}):(\d{2}):(\d{2}),(\d{3})")


def _secs(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000.0


def parse_times(text: str, kind: str) -> list[tuple[float, float]]:
    """(start, end) seconds of every cue of a WebVTT (``vtt``) or SRT (``srt``) text."""
    pat = _VTT_CUE if kind == "vtt" else _SRT_CUE
    out = []
    for line in text.splitlines():
        m = pat.match(line)
        if m:
            g = m.groups()
            out.append((_secs(*g[:4]), _secs(*g[4:])))
    return out
