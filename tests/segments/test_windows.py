"""Shots -> 3-8 s windows -> sample frames: pure functions over a seconds array, no video."""

from __future__ import annotations

import numpy as np
import pytest

from forensic.config import SegmentConfig
from forensic.records import FEW_FRAMES, SHORT_SHOT
from forensic.segments.windows import sample_frames, shots_from_cuts, split_shot, window_count

CFG = SegmentConfig()


def cfr_seconds(frames: int, fps: float) -> np.ndarray:
    """Start of every frame plus the end of the last one, at a constant rate (microsecond rounded,
    as Timeline.seconds_array gives them)."""
    return np.round(np.arange(frames + 1, dtype=np.float64) / fps, 6)


def vfr_seconds(intervals: np.ndarray) -> np.ndarray:
    return np.round(np.concatenate([[0.0], np.cumsum(intervals)]), 6)


def check_cover(windows, start: int, end: int) -> None:
    """Contiguous, non-empty, covering [start, end) exactly once."""
    assert windows, "no window"
    assert windows[0][0] == start
    assert windows[-1][1] == end
    for (a, b, _f), (c, _d, _g) in zip(windows, windows[1:]):
        assert b == c, f"windows not contiguous: {windows}"
    for a, b, _f in windows:
        assert a < b, f"empty window in {windows}"
    covered = np.concatenate([np.arange(a, b) for a, b, _f in windows])
    assert np.array_equal(covered, np.arange(start, end))


# ---------------------------------------------------------------- window_count


def test_window_count_keeps_windows_within_3_to_8_s():
    bad = []
    for d in np.arange(3.0, 600.0 + 1e-9, 0.01):
        d = float(round(d, 2))
        n = window_count(d, CFG)
        if not (n >= 1 and CFG.window_min_s <= d / n <= CFG.window_max_s):
            bad.append((d, n, d / n))
    assert not bad, f"window lengths outside [3, 8] s: {bad[:10]}"


@pytest.mark.parametrize("d", [3.0, 7.99, 8.0, 8.01, 15.99, 16.0, 16.01, 24.5, 599.99])
def test_window_count_boundaries(d):
    n = window_count(d, CFG)
    assert 3.0 <= d / n <= 8.0


def test_window_count_targets_about_5_s():
    # far from the bounds, the count is the one that gives windows nearest the 5 s target
    assert window_count(10.0, CFG) == 2
    assert window_count(60.0, CFG) == 12
    assert window_count(3600.0, CFG) == 720


@pytest.mark.parametrize("d", [0.0, 0.04, 1.0, 2.0, 2.999])
def test_window_count_short_shot_is_one_window(d):
    assert window_count(d, CFG) == 1


# ---------------------------------------------------------------- split_shot


def test_static_hour_is_720_windows_of_5_s():
    frames = 90_000  # one hour at 25 fps
    seconds = cfr_seconds(frames, 25)
    assert seconds[-1] == 3600.0
    windows = split_shot(0, frames, seconds, CFG)
    assert len(windows) == 720
    check_cover(windows, 0, frames)
    durations = np.array([seconds[b] - seconds[a] for a, b, _f in windows])
    assert np.allclose(durations, 5.0, atol=0.04 + 1e-6), durations[np.abs(durations - 5) > 0.04][:5]
    assert all(b - a == 125 for a, b, _f in windows)
    assert all(f == () for _a, _b, f in windows)


def test_split_shot_inside_a_longer_clip_stays_inside_the_shot():
    seconds = cfr_seconds(1000, 25)  # 40 s clip; the shot is frames 100..600 (20 s)
    windows = split_shot(100, 600, seconds, CFG)
    check_cover(windows, 100, 600)
    assert len(windows) == 4
    assert [a for a, _b, _f in windows] == [100, 225, 350, 475]


def test_split_shot_random_lengths_and_frame_rates():
    rng = np.random.default_rng(20240611)
    for trial in range(400):
        fps = float(rng.choice([1, 5, 8, 12.5, 15, 23.976, 24, 25, 29.97, 30, 50, 59.94, 60, 120, 240]))
        kind = trial % 3
        n = int(rng.integers(2, 40_000 if fps > 20 else 4000))
        if kind == 0:  # constant rate
            iv = np.full(n, 1.0 / fps)
        elif kind == 1:  # jittery variable rate
            iv = rng.uniform(0.3, 1.7, n) / fps
        else:  # variable rate with stalls and bursts
            iv = rng.exponential(1.0 / fps, n) + 1e-4
            stalls = rng.random(n) < 0.002
            iv[stalls] += rng.uniform(0.5, 2.5, int(stalls.sum()))
        pad_before, pad_after = int(rng.integers(0, 50)), int(rng.integers(0, 50))
        all_iv = np.concatenate([rng.uniform(0.5, 1.5, pad_before) / fps, iv, rng.uniform(0.5, 1.5, pad_after) / fps])
        seconds = vfr_seconds(all_iv)
        start, end = pad_before, pad_before + n
        max_iv = float(np.diff(seconds[start : end + 1]).max())
        shot_s = float(seconds[end] - seconds[start])
        windows = split_shot(start, end, seconds, CFG)
        check_cover(windows, start, end)
        if shot_s < CFG.window_min_s:
            assert windows == [(start, end, (SHORT_SHOT,))]
            continue
        assert len(windows) == window_count(shot_s, CFG)
        for a, b, flags in windows:
            dur = float(seconds[b] - seconds[a])
            assert CFG.window_min_s - max_iv - 1e-6 <= dur <= CFG.window_max_s + max_iv + 1e-6, (
                trial,
                fps,
                kind,
                n,
                shot_s,
                max_iv,
                (a, b),
                dur,
            )
            assert flags == ()


def test_split_shot_variable_rate_is_split_by_time():
    # 5 s at 60 fps (300 frames) then 5 s at 10 fps (50 frames): two windows, cut at 5.0 s
    seconds = vfr_seconds(np.concatenate([np.full(300, 1 / 60), np.full(50, 1 / 10)]))
    windows = split_shot(0, 350, seconds, CFG)
    assert [(a, b) for a, b, _f in windows] == [(0, 300), (300, 350)]
    assert seconds[300] == pytest.approx(5.0)


def test_two_second_shot_is_one_short_window():
    seconds = cfr_seconds(50, 25)
    assert split_shot(0, 50, seconds, CFG) == [(0, 50, (SHORT_SHOT,))]


def test_shot_of_exactly_3_s_is_not_short():
    seconds = cfr_seconds(75, 25)
    assert split_shot(0, 75, seconds, CFG) == [(0, 75, ())]


# ---------------------------------------------------------------- shots_from_cuts


def test_shots_from_cuts_plain():
    assert shots_from_cuts([50, 80, 120], 150) == [(0, 50), (50, 80), (80, 120), (120, 150)]


def test_shots_from_cuts_no_cut_is_one_shot():
    assert shots_from_cuts([], 10) == [(0, 10)]


def test_shots_from_cuts_ignores_zero_out_of_range_and_duplicates():
    cuts = [120, 0, 50, 50, -3, 150, 151, 10_000, 80, 120]
    assert shots_from_cuts(cuts, 150) == [(0, 50), (50, 80), (80, 120), (120, 150)]


def test_shots_from_cuts_tile_the_frames():
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(1, 500))
        cuts = [int(c) for c in rng.integers(-5, n + 5, int(rng.integers(0, 20)))]
        shots = shots_from_cuts(cuts, n)
        covered = np.concatenate([np.arange(a, b) for a, b in shots])
        assert np.array_equal(covered, np.arange(n))
        assert [a for a, _b in shots[1:]] == sorted({c for c in cuts if 0 < c < n})


# ---------------------------------------------------------------- sample_frames


def test_sample_frames_five_increasing_near_part_centres():
    seconds = cfr_seconds(400, 25)
    start, end = 100, 225  # 5 s
    picks, flags = sample_frames(start, end, seconds, 5)
    assert flags == ()
    assert len(picks) == 5
    assert list(picks) == sorted(set(picks)), picks
    assert all(start <= p < end for p in picks)
    t0, t1 = seconds[start], seconds[end]
    for i, p in enumerate(picks):
        centre = t0 + (i + 0.5) * (t1 - t0) / 5
        # the frame on screen at the centre of part i
        assert seconds[p] <= centre + 1e-9 < seconds[p + 1], (i, p, centre)
    assert picks == (112, 137, 162, 187, 212)


@pytest.mark.parametrize("fps", [10, 24, 25, 29.97, 60])
@pytest.mark.parametrize("length", [5, 6, 7, 13, 75, 200])
def test_sample_frames_distinct_and_inside_for_constant_rates(fps, length):
    seconds = cfr_seconds(length + 20, fps)
    picks, flags = sample_frames(10, 10 + length, seconds, 5)
    assert flags == ()
    assert all(10 <= p < 10 + length for p in picks)
    assert all(a < b for a, b in zip(picks, picks[1:])), picks


@pytest.mark.parametrize("length", [1, 2, 3, 4])
def test_sample_frames_few_frames_repeat_and_flag(length):
    seconds = cfr_seconds(20, 25)
    picks, flags = sample_frames(3, 3 + length, seconds, 5)
    assert flags == (FEW_FRAMES,)
    assert len(picks) == 5
    assert all(3 <= p < 3 + length for p in picks)
    assert list(picks) == sorted(picks)  # non-decreasing
    assert set(picks) == set(range(3, 3 + length))  # every frame used, some repeated


def test_sample_frames_variable_rate_spread_by_time():
    # 1 s at 100 fps (frames 0..99) then 4 s at 2 fps (frames 100..107): 5 s, parts of 1 s
    seconds = vfr_seconds(np.concatenate([np.full(100, 0.01), np.full(8, 0.5)]))
    picks, flags = sample_frames(0, 108, seconds, 5)
    assert flags == ()
    # centres at 0.5, 1.5, 2.5, 3.5, 4.5 s: frame 50, then the 2 fps frames showing at those times
    assert picks == (50, 101, 103, 105, 107)
    # by frame count it would have been about (10, 32, 54, 75, 97): all in the first second
    assert sum(seconds[p] < 1.0 for p in picks) == 1
