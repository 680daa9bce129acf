"""Segments: decode every frame, find scene cuts (PySceneDetect), cut shots into 3-8 s windows
and pick 5 sample frames per window, with every time in every clock (see forensic.records)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from forensic.config import SegmentConfig
from forensic.records import (
    PARTIAL_FILE,
    PTS_MISSING,
    PTS_REORDERED,
    TIMELINE_GAP,
    EvidenceItem,
    EvidenceStatus,
    Segment,
    fraction_str,
)
from forensic.segments.chunks import Chunk, ChunkResult, detect_chunk, merge_chunks, plan_chunks
from forensic.segments.decode import DecodeReport, Timeline
from forensic.segments.windows import sample_frames, shots_from_cuts, split_shot

__all__ = [
    "Chunk",
    "ChunkResult",
    "SegmentResult",
    "Timeline",
    "build_segments",
    "clip_segment",
    "detect_chunk",
    "detect_cuts",
    "finish_file",
    "plan_file",
    "segment_file",
    "segment_path",
]


@dataclass
class SegmentResult:
    segments: list[Segment]
    timeline: Timeline | None
    cuts: list[int]
    report: DecodeReport
    detector: str


def detect_cuts(path: str, config: SegmentConfig, fps: Fraction, stream_index: int | None = None):
    """Decode the whole stream once, in one chunk; returns (cuts, timeline, report, detector name).

    ``cuts`` are decoded-frame indices where a new shot starts. The timeline is None when no frame
    could be decoded.
    """
    chunk = Chunk(path, "", 0, 1, stream_index, Fraction(1, 90000), None, None, 0, fps)
    timeline, cuts, report, name = merge_chunks([detect_chunk(chunk, config)])
    return cuts, timeline, report, name


def find_gaps(seconds: np.ndarray) -> list[int]:
    """Frame indices that come after a hole in the timeline (missing or dropped frames).

    A hole is an interval over four times the median and at least a quarter second longer.
    """
    iv = np.diff(seconds[:-1])  # the last frame's duration is an estimate: leave it out
    if iv.size < 2:
        return []
    median = float(np.median(iv))
    big = np.nonzero(iv > max(4 * median, median + 0.25))[0]
    return [int(i) + 1 for i in big]


def build_segments(
    sha256: str,
    path: str,
    timeline: Timeline,
    cuts: list[int],
    config: SegmentConfig,
    partial: bool = False,
    reordered: bool = False,
    missing_pts: bool = False,
) -> list[Segment]:
    """Shots -> windows -> sample frames, as :class:`Segment` records.

    A hole in the timeline (motion-triggered recording, a DVR gap, a chunk lost after its retries)
    is a boundary like a cut: no segment spans it, and the segment before it ends where its last
    frame ends (one frame interval after it starts), not where the footage resumes. Both segments
    beside a hole are flagged ``timeline_gap``; one too short to sample is a short shot (not
    classified) like any other.
    """
    seconds = timeline.seconds_array()
    n = len(timeline)
    gaps = set(find_gaps(seconds))
    step_s, step_pts = _frame_step(seconds, timeline)
    tb = timeline.time_base
    out: list[Segment] = []
    for shot, (s0, s1) in enumerate(shots_from_cuts(sorted(set(cuts) | gaps), n)):
        secs = seconds
        end_pts_at_gap = None
        if s1 in gaps:  # the shot ends where its last frame ends, not where the footage resumes
            secs = seconds.copy()
            secs[s1] = round(float(seconds[s1 - 1]) + step_s, 6)
            end_pts_at_gap = int(timeline.pts[s1 - 1]) + step_pts
        for a, b, flags in split_shot(s0, s1, secs, config):
            samples, sflags = sample_frames(a, b, secs, config.samples)
            extra = list(flags) + list(sflags)
            if a in gaps or (b in gaps and b == s1):
                extra.append(TIMELINE_GAP)
            if partial and b == n:
                extra.append(PARTIAL_FILE)
            if reordered:
                extra.append(PTS_REORDERED)
            if missing_pts:
                extra.append(PTS_MISSING)
            end_pts = end_pts_at_gap if (b == s1 and end_pts_at_gap is not None) else timeline.pts_at(b)
            out.append(
                Segment(
                    sha256=sha256,
                    path=path,
                    index=len(out),
                    shot=shot,
                    start_frame=a,
                    end_frame=b,
                    start_s=float(secs[a]),
                    end_s=float(secs[b]),
                    start_pts=timeline.pts_at(a),
                    end_pts=end_pts,
                    start_pts_s=timeline.pts_seconds(a),
                    end_pts_s=round(float(end_pts * tb), 6),
                    time_base=fraction_str(tb) or "",
                    sample_frames=samples,
                    sample_pts=tuple(timeline.pts_at(i) for i in samples),
                    sample_s=tuple(float(secs[i]) for i in samples),
                    flags=tuple(extra),
                )
            )
    return out


def _frame_step(seconds: np.ndarray, timeline: Timeline) -> tuple[float, int]:
    """The usual frame interval, in seconds and in pts (the median; one frame's own duration
    when there is a single frame)."""
    if len(timeline) > 1:
        step_pts = int(np.median(np.diff(timeline.pts)))
    else:
        step_pts = int(timeline.end_pts - timeline.pts[0])
    step_pts = max(1, step_pts)
    return float(step_pts * timeline.time_base), step_pts


def plan_file(
    item: EvidenceItem,
    config: SegmentConfig,
    fps: Fraction | None,
    stream_index: int | None = None,
    expected_duration_s: float | None = None,
) -> list[Chunk]:
    """The chunks one probed, pending piece of footage is decoded in (one unless it is long)."""
    assert item.sha256 is not None
    tb = Fraction(item.time_base) if item.time_base else None
    if item.container and "avi" in item.container.split(","):
        # AVI has no presentation timestamps: they may come out of order, so one chunk, in order
        config = dataclasses.replace(config, chunk_s=float("inf"))
    return plan_chunks(
        item.path,
        item.sha256,
        config,
        tb,
        fps,
        item.stream_start_time_s,
        expected_duration_s or item.duration_container_s,
        stream_index,
    )


def finish_file(
    item: EvidenceItem, config: SegmentConfig, results: list[ChunkResult], expected_duration_s: float | None = None
) -> SegmentResult:
    """Merge the chunks of one file, cut it into segments; fills in the decode facts of ``item``.

    ``item`` ends ``analysed``, ``partial`` (decoding failed part way: segments cover what
    decoded) or ``failed`` (nothing decoded).
    """
    assert item.sha256 is not None
    timeline, cuts, report, detector = merge_chunks(results)
    item.decode_errors = report.error_count
    for msg, count in report.warnings.most_common(5):
        item.warnings.append(f"decoder: {msg}" + (f" (x{count})" if count > 1 else ""))
    if timeline is None:
        item.status = EvidenceStatus.FAILED
        item.reason = "no frame could be decoded" + (f": {report.summary()}" if report.error_count else "")
        item.frame_count = 0
        item.segment_count = 0
        return SegmentResult([], None, [], report, detector)
    _describe_timeline(item, timeline, report)
    problems = []
    if report.stopped_by:
        problems.append(f"decoding stopped early ({report.stopped_by})")
    if report.error_count:
        problems.append(f"{report.error_count} decoder error(s): {report.summary()}")
    short = _short_by(item, expected_duration_s)
    if short:
        problems.append(short)
    partial = bool(problems)
    segments = build_segments(
        item.sha256,
        item.path,
        timeline,
        cuts,
        config,
        partial=partial,
        reordered=bool(report.non_monotonic),
        missing_pts=bool(report.missing_pts),
    )
    item.segment_count = len(segments)
    if (item.video_streams or 0) > 1:  # not a decoding problem: its segments are whole, the file is not
        unread = item.video_streams - 1
        problems.append(f"{unread} of its {item.video_streams} video streams not analysed (one video stream a file)")
    if problems:
        item.status = EvidenceStatus.PARTIAL
        item.reason = "; ".join(problems)
    else:
        item.status = EvidenceStatus.ANALYSED
    return SegmentResult(segments, timeline, cuts, report, detector)


def segment_file(
    item: EvidenceItem,
    config: SegmentConfig,
    fps: Fraction | None,
    stream_index: int | None = None,
    expected_duration_s: float | None = None,
) -> SegmentResult:
    """Segment one probed, pending piece of footage in this process (chunk after chunk)."""
    chunks = plan_file(item, config, fps, stream_index, expected_duration_s)
    return finish_file(item, config, [detect_chunk(c, config) for c in chunks], expected_duration_s)


def _describe_timeline(item: EvidenceItem, timeline: Timeline, report: DecodeReport) -> None:
    seconds = timeline.seconds_array()
    iv = np.diff(seconds[:-1]) if len(timeline) > 1 else np.array([])
    item.frame_count = len(timeline)
    item.duration_s = float(seconds[-1])
    item.start_pts = int(timeline.pts[0])
    item.start_pts_s = timeline.pts_seconds(0)
    item.time_base = fraction_str(timeline.time_base)
    if iv.size:
        item.frame_interval_min_s = round(float(iv.min()), 6)
        item.frame_interval_max_s = round(float(iv.max()), 6)
        if seconds[-2] > seconds[0]:
            item.avg_fps = round(float(iv.size / (seconds[-2] - seconds[0])), 6)
        item.variable_frame_rate = is_variable(iv, timeline.time_base)
    else:
        item.variable_frame_rate = False
    gaps = find_gaps(seconds)
    if gaps:
        item.warnings.append(
            f"{len(gaps)} hole(s) in the timeline (missing frames), first before frame {gaps[0]} "
            f"at {seconds[gaps[0]]:.3f} s"
        )
    if report.missing_pts:
        item.warnings.append(f"{report.missing_pts} frame(s) had no timestamp; one frame interval assumed")
    if report.non_monotonic:
        item.warnings.append(
            f"{report.non_monotonic} frame(s) came with a timestamp not after the previous one (out of order, as "
            "B-frames in AVI give): the timeline uses the timestamps sorted, and frames are found by their index"
        )
    if item.frame_count_container and item.frame_count_container != item.frame_count:
        item.warnings.append(f"container says {item.frame_count_container} frames, {item.frame_count} were decoded")


def is_variable(intervals: np.ndarray, time_base: Fraction) -> bool:
    """Variable frame rate: over 1% of frame intervals differ from the median by more than 5%
    (and by more than 1.5 ticks of the time base, so rounded timestamps don't count)."""
    median = float(np.median(intervals))
    tolerance = max(0.05 * median, 1.5 * float(time_base))
    off = np.abs(intervals - median) > tolerance
    return bool(off.sum() > max(1, 0.01 * intervals.size))


def _short_by(item: EvidenceItem, expected_s: float | None) -> str | None:
    """A message when the decoded footage is much shorter than the container says (truncation)."""
    if not expected_s or item.duration_s is None:
        return None
    step = (1 / item.avg_fps) if item.avg_fps else 0.04
    tolerance = max(1.0, 3 * step, 0.05 * expected_s)
    if expected_s - item.duration_s > tolerance:
        return (
            f"decoded {item.duration_s:.3f} s but the container says {expected_s:.3f} s: "
            "the file looks truncated or damaged"
        )
    return None


def segment_path(path: str, config: SegmentConfig):
    """One file, in this process: intake (hash, probe) then segments. Returns (EvidenceItem,
    ProbeInfo or None, SegmentResult or None); the item's status says what became of it."""
    from forensic import intake

    item = intake.discover([path])[0]
    info = intake.probe_item(item) if intake.hash_item(item) else None
    if info is None:
        return item, None, None
    result = segment_file(
        item, config, info.avg_fps or info.nominal_fps, info.stream_index, info.stream_duration_s or info.duration_s
    )
    return item, info, result


def clip_segment(path: str, samples: int = 5) -> tuple[EvidenceItem, Segment | None]:
    """A whole clip as one segment (the paper's data: one labelled 3-8 s clip, 5 frames over it),
    ignoring scene cuts. Returns the clip's EvidenceItem (hashed, probed, decoded: its status says
    whether it could be read) and the segment, or None when the clip is not readable footage."""
    item, _info, result = segment_path(path, SegmentConfig(samples=samples))
    if result is None or result.timeline is None:
        return item, None
    n = len(result.timeline)
    whole = SegmentConfig(samples=samples, window_min_s=1e6, window_target_s=1e6, window_max_s=2e6)
    seg = build_segments(
        item.sha256,
        item.path,
        result.timeline,
        [],
        whole,
        reordered=bool(result.report.non_monotonic),
        missing_pts=bool(result.report.missing_pts),
    )[0]
    return item, dataclasses.replace(seg, flags=tuple(f for f in seg.flags if f != "short_shot"), end_frame=n)
