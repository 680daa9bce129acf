"""Player time: the clock VLC and mpv show, and links that open the evidence at a segment.

Players count from the container's start time (the earliest stream's first timestamp), not from
the first video frame: when audio starts before video (the Hamilton clip: format start 0.008 s,
video 0.852 s), the first picture shows at 0.844 s on the player's clock. So

    player time = seconds from the first decoded frame (``*_s``) + offset
    offset      = stream time of the first decoded frame (``start_pts_s``) - container start time

Subtitles, the "player time" clock of the report and the player links all use it. A case folder
that does not record the container start time (made before it was) gets offset 0, and says so.
"""

from __future__ import annotations

import math
import os
import shlex
from dataclasses import dataclass
from urllib.parse import quote

from forensic.records import EvidenceItem, timecode


@dataclass(frozen=True)
class PlayerClock:
    """How one file's seconds-from-first-frame map onto its player time."""

    offset_s: float  # player time of the first decoded frame
    known: bool  # False: the container start time is not recorded; offset taken as 0
    description: str

    def at(self, seconds_from_first_frame: float) -> float:
        return float(seconds_from_first_frame) + self.offset_s


def _finite(v: float | None) -> bool:
    return v is not None and isinstance(v, (int, float)) and math.isfinite(float(v))


def player_clock(item: EvidenceItem | None) -> PlayerClock:
    if item is None or not _finite(item.start_pts_s) or not _finite(getattr(item, "format_start_time_s", None)):
        return PlayerClock(
            0.0, False, "the container start time is not recorded: player time taken as time from the first frame"
        )
    offset = round(float(item.start_pts_s) - float(item.format_start_time_s), 6)
    if offset < 0:  # the first decoded frame before the container's start: players show it at 0
        offset = 0.0
    if offset == 0:
        return PlayerClock(0.0, True, "the video starts with the file: player time = time from the first frame")
    return PlayerClock(
        offset,
        True,
        f"another stream (audio) starts {offset:.3f} s before the video: players show the first "
        f"frame at {offset:.3f} s, so player time = time from the first frame + "
        f"{offset:.3f} s",
    )


def file_url(path: str, start_s: float | None = None, end_s: float | None = None) -> str:
    """``file:`` URL of ``path`` (every byte outside the unreserved set percent-encoded), with a
    W3C media fragment ``#t=start,end`` in seconds of player time."""
    raw = os.fsencode(os.path.abspath(path))
    url = "file://" + quote(raw, safe="/")
    if start_s is not None:
        url += f"#t={max(0.0, start_s):.3f}" + ("" if end_s is None else f",{max(0.0, end_s):.3f}")
    return url


def mpv_command(path: str, start_s: float, end_s: float) -> str:
    return shlex.join(["mpv", f"--start={start_s:.3f}", f"--end={end_s:.3f}", "--pause", "--", path])


def vlc_command(path: str, start_s: float, end_s: float) -> str:
    return shlex.join(["vlc", f"--start-time={start_s:.3f}", f"--stop-time={end_s:.3f}", path])


def player_tc(seconds: float) -> str:
    return timecode(seconds)
