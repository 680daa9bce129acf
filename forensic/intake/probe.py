"""ffprobe: what the container says about a file."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

PROBE_TIMEOUT_S = 120

# ffprobe format names of still-image demuxers: a picture has a "video stream" but is not footage.
_IMAGE_FORMATS = ("image2", "_pipe", "webp", "apng")


class ProbeError(Exception):
    """ffprobe could not read the file; the message is ffprobe's own words."""


@dataclass
class ProbeInfo:
    container: str  # ffprobe format_name
    container_long: str
    duration_s: float | None
    video_streams: int
    audio_streams: int
    is_still_image: bool
    # the chosen video stream (None when there is none)
    stream_index: int | None = None
    codec: str | None = None
    width: int | None = None
    height: int | None = None
    rotation: int = 0
    time_base: Fraction | None = None
    nominal_fps: Fraction | None = None  # r_frame_rate
    avg_fps: Fraction | None = None  # avg_frame_rate
    frame_count: int | None = None  # nb_frames, when the container says
    stream_start_time_s: float | None = None
    format_start_time_s: float | None = None  # the container's (earliest stream's)
    stream_duration_s: float | None = None
    creation_time_utc: str | None = None
    creation_time_raw: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


def ffmpeg_url(path: str) -> str:
    """A URL that makes ffmpeg/ffprobe treat ``path`` as a plain file, whatever its name.

    Without the ``file:`` prefix a file named ``concat:a|b`` or ``http:...`` would be read as a
    protocol: file names are untrusted input.
    """
    return "file:" + os.path.abspath(path)


def _fraction(text: str | None) -> Fraction | None:
    if not text or text in ("0/0", "N/A"):
        return None
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None
    return value if value > 0 else None


def _float(text: Any) -> float | None:
    try:
        return None if text in (None, "N/A") else float(text)
    except (TypeError, ValueError):
        return None


def _int(text: Any) -> int | None:
    try:
        return None if text in (None, "N/A") else int(text)
    except (TypeError, ValueError):
        return None


def _rotation(stream: dict[str, Any]) -> int:
    for side in stream.get("side_data_list", []) or []:
        if "rotation" in side:
            try:
                return int(round(float(side["rotation"]))) % 360
            except (TypeError, ValueError):
                pass
    rotate = (stream.get("tags") or {}).get("rotate")
    if rotate is not None:
        try:
            # the legacy tag is clockwise, the display matrix counter-clockwise
            return (-int(rotate)) % 360
        except ValueError:
            pass
    return 0


def parse_creation_time(text: str | None) -> str | None:
    """Container creation time as ISO 8601 UTC with Z, or None when it does not parse."""
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:  # MP4/MOV creation_time is UTC by specification
        dt = dt.replace(tzinfo=UTC)
    dt = dt.astimezone(UTC)
    if dt.year <= 1904:  # an unset MP4 creation time (epoch 1904-01-01)
        return None
    return dt.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _hms(text: str | None) -> float | None:
    """Matroska's DURATION tag, ``HH:MM:SS.nnnnnnnnn``."""
    if not text:
        return None
    try:
        h, m, s = text.strip().split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)
    except ValueError:
        return None


def run_ffprobe(path: str, timeout: float = PROBE_TIMEOUT_S) -> dict[str, Any]:
    cmd = [
        "ffprobe",
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        ffmpeg_url(path),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise ProbeError(f"ffprobe did not finish within {timeout:.0f} s") from exc
    except FileNotFoundError as exc:
        raise RuntimeError("ffprobe is not installed (Debian package ffmpeg)") from exc
    err = proc.stderr.decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        raise ProbeError(_clean_ffmpeg_message(err, path) or f"ffprobe exited with {proc.returncode}")
    try:
        data = json.loads(proc.stdout.decode("utf-8", "replace") or "{}")
    except json.JSONDecodeError as exc:
        raise ProbeError(f"ffprobe printed invalid JSON: {exc}") from exc
    if err:
        data["_stderr"] = _clean_ffmpeg_message(err, path)
    return data


def _clean_ffmpeg_message(text: str, path: str) -> str:
    """ffmpeg prefixes messages with the URL; keep them short and path-free."""
    url = ffmpeg_url(path)
    lines = [ln.replace(url + ": ", "").replace(url, "<file>").strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    return "; ".join(dict.fromkeys(lines))[:500]


def probe(path: str) -> ProbeInfo:
    data = run_ffprobe(path)
    fmt = data.get("format") or {}
    streams = data.get("streams") or []
    videos = [
        s for s in streams if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    container = fmt.get("format_name", "") or ""
    info = ProbeInfo(
        container=container,
        container_long=fmt.get("format_long_name", "") or "",
        duration_s=_float(fmt.get("duration")),
        format_start_time_s=_float(fmt.get("start_time")),
        video_streams=len(videos),
        audio_streams=len(audios),
        is_still_image=any(tag in container for tag in _IMAGE_FORMATS),
        raw=data,
    )
    tags = fmt.get("tags") or {}
    if not videos:
        raw_ct = tags.get("creation_time")
        info.creation_time_raw, info.creation_time_utc = raw_ct, parse_creation_time(raw_ct)
        return info
    # The main video stream: ffprobe's default disposition first, then the largest picture.
    v = max(
        videos,
        key=lambda s: ((s.get("disposition") or {}).get("default", 0), (s.get("width") or 0) * (s.get("height") or 0)),
    )
    stags = v.get("tags") or {}
    raw_ct = (
        tags.get("creation_time")
        or stags.get("creation_time")
        or tags.get("com.apple.quicktime.creationdate")
        or tags.get("DATE")
    )
    info.stream_index = _int(v.get("index"))
    info.codec = v.get("codec_name")
    info.width = _int(v.get("width"))
    info.height = _int(v.get("height"))
    info.rotation = _rotation(v)
    info.time_base = _fraction(v.get("time_base"))
    info.nominal_fps = _fraction(v.get("r_frame_rate"))
    info.avg_fps = _fraction(v.get("avg_frame_rate"))
    info.frame_count = _int(v.get("nb_frames")) or _int(stags.get("NUMBER_OF_FRAMES"))
    info.stream_start_time_s = _float(v.get("start_time"))
    info.stream_duration_s = _float(v.get("duration")) or _hms(stags.get("DURATION"))
    info.creation_time_raw = raw_ct
    info.creation_time_utc = parse_creation_time(raw_ct)
    return info
