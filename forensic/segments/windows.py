"""Shots to segments: windows of 3-8 s (target 5 s) that never cross a cut, and sample frames."""

from __future__ import annotations

import numpy as np

from forensic.config import SegmentConfig
from forensic.records import FEW_FRAMES, SHORT_SHOT


def shots_from_cuts(cuts: list[int], frame_count: int) -> list[tuple[int, int]]:
    """[start, end) frame ranges of the shots, from the frames that start a new shot."""
    bounds = sorted({c for c in cuts if 0 < c < frame_count})
    starts = [0, *bounds]
    ends = [*bounds, frame_count]
    return [(s, e) for s, e in zip(starts, ends) if e > s]


def window_count(duration_s: float, config: SegmentConfig) -> int:
    """How many windows a shot of this length gets, each within [min, max], near the target."""
    if duration_s < config.window_min_s:
        return 1
    n = max(1, round(duration_s / config.window_target_s))
    while duration_s / n > config.window_max_s:
        n += 1
    while n > 1 and duration_s / n < config.window_min_s:
        n -= 1
    return n


def split_shot(
    start: int, end: int, seconds: np.ndarray, config: SegmentConfig
) -> list[tuple[int, int, tuple[str, ...]]]:
    """Cut the shot ``[start, end)`` into windows of equal duration, snapped to frame starts.

    ``seconds`` holds the start time of every frame plus the end of the last one (len = frames + 1),
    so variable frame rates are split by time, not by frame count. Windows cover every frame of the
    shot exactly once. Returns (start_frame, end_frame, flags).
    """
    t0, t1 = float(seconds[start]), float(seconds[end])
    duration = t1 - t0
    if duration < config.window_min_s:
        return [(start, end, (SHORT_SHOT,))]
    n = window_count(duration, config)
    bounds = [start]
    for k in range(1, n):
        target = t0 + duration * k / n
        # the frame whose start is nearest the target time
        i = int(np.searchsorted(seconds[start:end], target))
        cand = [j for j in (start + i - 1, start + i) if start < j < end]
        b = min(cand, key=lambda j: abs(float(seconds[j]) - target)) if cand else bounds[-1] + 1
        b = max(b, bounds[-1] + 1)
        if b >= end:
            break
        bounds.append(b)
    bounds.append(end)
    return [(a, b, ()) for a, b in zip(bounds[:-1], bounds[1:])]


def sample_frames(start: int, end: int, seconds: np.ndarray, count: int) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """``count`` frames spread evenly over ``[start, end)``: the frame showing at the middle of
    each of ``count`` equal parts of the segment's time. With fewer frames than ``count`` some
    repeat and the flag ``few_frames`` is returned."""
    t0, t1 = float(seconds[start]), float(seconds[end])
    picks = []
    for i in range(count):
        t = t0 + (i + 0.5) * (t1 - t0) / count
        j = int(np.searchsorted(seconds[start:end], t, side="right")) - 1 + start
        picks.append(min(max(j, start), end - 1))
    flags = (FEW_FRAMES,) if len(set(picks)) < count else ()
    return tuple(picks), flags
