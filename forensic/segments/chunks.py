"""Scene detection over time chunks of one file, so that one long file also uses every worker.

A file is cut into chunks of ``SegmentConfig.chunk_s`` seconds of presentation time. Chunk k owns
the frames whose pts lies in ``[T_k, T_k+1)``; it seeks to ``T_k - warmup`` and feeds the frames
before ``T_k`` to the detector only, so that a cut right at ``T_k`` is still seen and the
detector has its usual context. The chunks' results are merged in order into one timeline and one
list of cuts. Every engine (in-process or Ray) runs exactly these functions, so they agree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from forensic.config import SegmentConfig
from forensic.segments.decode import DecodeReport, FrameReader, Timeline
from forensic.segments.detectors import make_detector


@dataclass(frozen=True)
class Chunk:
    """One piece of work: decode and detect cuts in ``[start_pts, stop_pts)`` of one file."""

    path: str
    sha256: str
    number: int  # 0-based, in presentation order
    count: int  # chunks in the file
    stream_index: int | None
    time_base: Fraction
    start_pts: int | None  # None: from the very first frame
    stop_pts: int | None  # None: to the end
    warmup_pts: int  # frames this much before start_pts are fed to the detector only
    fps: Fraction
    footage_s: float | None = None  # seconds of footage it decodes, warm-up included (bounds the wait)


@dataclass
class ChunkResult:
    chunk: Chunk
    pts: list[int]  # frames owned by this chunk, in order
    cut_pts: list[int]  # pts of owned frames that start a new shot
    end_pts: int | None  # presentation end of the last owned frame (meaningful for the last chunk)
    report: DecodeReport = field(default_factory=DecodeReport)
    detector: str = ""


def plan_chunks(
    path: str,
    sha256: str,
    config: SegmentConfig,
    time_base: Fraction | None,
    fps: Fraction | None,
    start_s: float | None,
    duration_s: float | None,
    stream_index: int | None = None,
) -> list[Chunk]:
    """Chunks of ``config.chunk_s`` seconds (the last one takes the remainder, so up to twice that);
    one chunk for footage up to 1.5 chunks long, or when the duration or time base is unknown."""
    fps = fps or Fraction(25)
    tb = time_base or Fraction(1, 90000)
    warmup = int(round(config.chunk_warmup_s / tb))
    if not duration_s or not time_base or duration_s <= config.chunk_s * 1.5:
        return [Chunk(path, sha256, 0, 1, stream_index, tb, None, None, warmup, fps, duration_s or None)]
    # past 1.5 chunks there are at least two (a 9-minute file in 5-minute chunks used one core only)
    n = max(2, int(duration_s // config.chunk_s))
    t0 = start_s or 0.0
    bounds = [int(round((t0 + k * config.chunk_s) / tb)) for k in range(1, n)]
    starts = [None, *bounds]
    stops = [*bounds, None]
    lengths = [config.chunk_s] * (n - 1) + [duration_s - (n - 1) * config.chunk_s]
    return [
        Chunk(path, sha256, k, n, stream_index, tb, a, b, warmup, fps, length + (config.chunk_warmup_s if k else 0.0))
        for k, (a, b, length) in enumerate(zip(starts, stops, lengths))
    ]


def detect_chunk(chunk: Chunk, config: SegmentConfig) -> ChunkResult:
    """Decode one chunk (with its warm-up) and find the cuts among the frames it owns."""
    seek = None if chunk.start_pts is None else max(0, chunk.start_pts - chunk.warmup_pts)
    reader = FrameReader(
        chunk.path, chunk.stream_index, width=config.detect_width, seek_pts=seek, stop_pts=chunk.stop_pts
    )
    detector = make_detector(config, chunk.fps)
    all_pts: list[int] = []
    cuts_local: list[int] = []
    try:
        for index, pts, image in reader:
            cuts_local += detector.process(index, image)
            all_pts.append(pts)
    except Exception as exc:  # noqa: BLE001 - a broken file must not stop the scan
        reader.report.exceptions.append(f"{type(exc).__name__}: {exc}")
        reader.report.stopped_by = f"{type(exc).__name__} after {len(all_pts)} frames: {exc}"
    if all_pts:
        cuts_local += detector.finish(len(all_pts) - 1)
    first = chunk.start_pts if chunk.start_pts is not None else None
    owned = [p for p in all_pts if first is None or p >= first]
    owned_set = set(owned)
    cut_pts = sorted({all_pts[i] for i in cuts_local if 0 <= i < len(all_pts) and all_pts[i] in owned_set})
    end = None
    if owned:
        try:
            end = reader.timeline().end_pts
        except ValueError:
            end = None
    return ChunkResult(chunk, owned, cut_pts, end, reader.report, detector.name)


def merge_chunks(results: list[ChunkResult]) -> tuple[Timeline | None, list[int], DecodeReport, str]:
    """One timeline and the cut frame indices of the whole file, from its chunks (any order)."""
    results = sorted(results, key=lambda r: r.chunk.number)
    report = DecodeReport(errors=Counter(), warnings=Counter())
    pts: list[int] = []
    cut_pts: set[int] = set()
    end = None
    for r in results:
        report.errors.update(r.report.errors)
        report.warnings.update(r.report.warnings)
        report.exceptions += r.report.exceptions
        report.missing_pts += r.report.missing_pts
        report.non_monotonic += r.report.non_monotonic
        report.stopped_by = report.stopped_by or r.report.stopped_by
        if pts and r.pts and r.pts[0] <= pts[-1]:
            report.non_monotonic += 1  # timestamps go back across a chunk seam
        pts += r.pts
        cut_pts.update(r.cut_pts)
        if r.pts:
            end = r.end_pts
    report.frames = len(pts)
    detector = results[0].detector if results else ""
    if not pts:
        return None, [], report, detector
    tb = results[0].chunk.time_base
    if report.non_monotonic:
        # the decoder returns frames in presentation order; out-of-order timestamps are the right
        # values on the wrong frames (AVI has no presentation timestamps of its own, and B-frames
        # reorder them): sorted, they are the presentation times of the frames in order
        pts = sorted(pts)
        end = max(end or pts[-1] + 1, pts[-1] + 1)
    timeline = Timeline(np.asarray(pts, dtype=np.int64), tb, int(end if end is not None else pts[-1] + 1))
    index = {p: i for i, p in enumerate(pts)}
    cuts = sorted(index[p] for p in cut_pts if p in index and index[p] > 0)
    # a chunk seam is not a cut by itself; chunk starts are only cuts when the detector said so
    return timeline, cuts, report, detector
