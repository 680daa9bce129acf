"""Decoding backend (PyAV): every frame in presentation order with its presentation timestamp.

Frame index 0 is the first frame the decoder returns. Decoder errors are collected from
FFmpeg's log (not printed) so they can be stored in the case folder.

Frame-threaded decoding and FFmpeg's log routed into Python (PyAV issues 751, 909, 2276): an
FFmpeg decoder thread that logs takes the GIL in PyAV's log callback, and PyAV frees a codec
context (``avcodec_free_context``, which joins those threads) while holding the GIL. Freeing a
decoder that still has packets in flight (we stop at a chunk's end with frames still being decoded)
therefore deadlocks as soon as one of those frames logs (an hour of looped CCTV: a stop inside a
damaged frame). Every decoder here is drained to its end, with the GIL released, before it is
freed (:func:`_drain`), so no decoder thread is working, or logging, while it is torn down.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import av
import av.logging
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

from forensic.intake.probe import ffmpeg_url

MAX_CONSECUTIVE_EXCEPTIONS = 50
# FFmpeg's log level and capture are process-wide; reentrant, so that two readers iterated in
# the same thread (zip of two files) do not wait on each other forever
_LOG_LOCK = threading.RLock()


def decoder_threads() -> int:
    """Decoder threads for this task: FORENSIC_DECODE_THREADS, else the CPUs this process may use
    (a Ray task's OMP_NUM_THREADS, which Ray sets to the task's CPUs, else the affinity mask)."""
    for name in ("FORENSIC_DECODE_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def fault_block(path: str) -> None:
    """Fault injection for the engines' timeout tests: with FORENSIC_FAULT_BLOCK_DECODE set to part
    of a file's path, decoding that file blocks forever, as a hung decoder would."""
    needle = os.environ.get("FORENSIC_FAULT_BLOCK_DECODE")
    if needle and needle in path:
        threading.Event().wait()


def _threaded(stream) -> None:
    stream.thread_type = "AUTO"
    stream.thread_count = decoder_threads()


def _drain(stream) -> None:
    """Let the decoder finish every packet it was given (frames discarded), with the GIL released,
    so that freeing it afterwards joins idle threads (see the module's docstring)."""
    try:
        ctx = stream.codec_context
        if ctx is not None and ctx.is_open:
            for _frame in ctx.decode(None):
                pass
    except (av.error.FFmpegError, ValueError, RuntimeError):
        pass


class ImageConverter:
    """Decoded frames to numpy images, exactly as ``frame.to_ndarray(format=fmt)`` gives them, with
    one swscale context for the whole stream: ``to_ndarray`` sets a new one up for every frame (a
    new VideoFrame has no reformatter yet), which cost three times the conversion itself (768x432
    yuv420p to bgr24: 0.68 ms a frame against 0.19 ms), a third of the cut pass on SD footage. One
    scaling thread: the same pixels as swscale's automatic threads (tests compare them), and a chunk
    or gate task already has its CPU."""

    def __init__(self, fmt: str = "bgr24"):
        self.fmt = fmt
        self._reformatter = VideoReformatter()

    def __call__(self, frame) -> np.ndarray:
        return self._reformatter.reformat(frame, format=self.fmt, threads=1).to_ndarray()


@dataclass
class Timeline:
    """Presentation timestamps of every decoded frame."""

    pts: np.ndarray  # int64, one per decoded frame, in units of time_base
    time_base: Fraction
    end_pts: int  # presentation end of the last frame (its pts plus its duration)

    def __len__(self) -> int:
        return int(self.pts.shape[0])

    def pts_at(self, index: int) -> int:
        """pts of frame ``index``; ``len(self)`` gives the end of the last frame."""
        return int(self.end_pts if index >= len(self) else self.pts[index])

    def seconds(self, index: int) -> float:
        """Seconds from the first frame to the start of frame ``index`` (or the end, at len)."""
        return round(float((self.pts_at(index) - int(self.pts[0])) * self.time_base), 6)

    def pts_seconds(self, index: int) -> float:
        return round(float(self.pts_at(index) * self.time_base), 6)

    def seconds_array(self) -> np.ndarray:
        """Seconds from the first frame for every frame, plus the end as the last element."""
        rel = np.append(self.pts, self.end_pts).astype(np.int64) - int(self.pts[0])
        return np.round(rel.astype(np.float64) * float(self.time_base), 6)  # to the microsecond

    def intervals_s(self) -> np.ndarray:
        return np.diff(self.seconds_array())


@dataclass
class DecodeReport:
    frames: int = 0
    errors: Counter = field(default_factory=Counter)  # FFmpeg error-level messages, counted
    warnings: Counter = field(default_factory=Counter)  # FFmpeg warning-level messages, counted
    exceptions: list[str] = field(default_factory=list)
    stopped_by: str | None = None  # why decoding stopped before the end of the stream, if it did
    missing_pts: int = 0  # frames without a timestamp (given previous + one frame)
    non_monotonic: int = 0  # frames whose pts did not increase

    @property
    def error_count(self) -> int:
        return sum(self.errors.values()) + len(self.exceptions)

    def summary(self, limit: int = 3) -> str:
        parts = [f"{msg} (x{n})" if n > 1 else msg for msg, n in self.errors.most_common(limit)]
        parts += self.exceptions[:limit]
        return "; ".join(parts)


class FrameReader:
    """Iterate ``(index, pts, image)`` over every frame of one video stream.

    ``width``: scale each image down the way PySceneDetect does for its detectors (the larger side
    to this size, OpenCV's bilinear resize of the full-size image), or None for the full size;
    ``fmt``: PyAV pixel format of the image (``bgr24`` for OpenCV). After iteration,
    :attr:`report` and :meth:`timeline` tell what was decoded.
    """

    def __init__(
        self,
        path: str,
        stream_index: int | None = None,
        width: int | None = None,
        fmt: str = "bgr24",
        seek_pts: int | None = None,
        stop_pts: int | None = None,
    ):
        """``seek_pts``: start at the key frame at or before this pts instead of the beginning;
        ``stop_pts``: stop before the first frame whose pts is at or after this one."""
        self.seek_pts = seek_pts
        self.stop_pts = stop_pts
        self.path = path
        self.stream_index = stream_index
        self.width = width
        self.fmt = fmt
        self._convert = ImageConverter(fmt)
        self.report = DecodeReport()
        self._pts: list[int] = []
        self._end_pts: int | None = None
        self.time_base: Fraction | None = None

    def __iter__(self) -> Iterator[tuple[int, int, np.ndarray]]:
        with _LOG_LOCK:
            old_level, old_skip = av.logging.get_level(), av.logging.get_skip_repeated()
            av.logging.set_level(av.logging.WARNING)
            # PyAV drops a message equal to the previous one, process-wide: decoding the same
            # damaged file twice would lose its errors the second time
            av.logging.set_skip_repeated(False)
            try:
                with av.logging.Capture(local=False) as logs:
                    try:
                        yield from self._decode()
                    finally:
                        self._collect(logs)
            finally:
                av.logging.set_level(old_level)
                av.logging.set_skip_repeated(old_skip)

    def _collect(self, logs: list) -> None:
        for level, name, message in logs:
            if name == "swscaler":  # our own scaling (e.g. "deprecated pixel format"), not the evidence
                continue
            text = " ".join(str(message).split())
            if level <= av.logging.ERROR:
                self.report.errors[text] += 1
            elif level <= av.logging.WARNING:
                self.report.warnings[text] += 1

    def _decode(self) -> Iterator[tuple[int, int, np.ndarray]]:
        fault_block(self.path)
        container = av.open(ffmpeg_url(self.path), mode="r")
        stream = None
        try:
            streams = container.streams.video
            if not streams:
                raise ValueError("no video stream")
            stream = streams[0]
            if self.stream_index is not None:
                stream = next((s for s in streams if s.index == self.stream_index), stream)
            _threaded(stream)
            self.time_base = stream.time_base or Fraction(1, 90000)
            default_step = _default_step(stream, self.time_base)
            if self.seek_pts is not None:
                container.seek(int(self.seek_pts), stream=stream, backward=True, any_frame=False)
            size = None
            index = 0
            failures = 0
            last_duration = 0
            packets = container.demux(stream)
            while True:
                try:
                    packet = next(packets)
                except StopIteration:
                    break
                except av.error.FFmpegError as exc:  # demuxing cannot go on
                    self.report.exceptions.append(f"demux: {exc}")
                    self.report.stopped_by = f"demuxer error at frame {index}: {exc}"
                    break
                try:
                    frames = packet.decode()
                    failures = 0
                except av.error.FFmpegError as exc:
                    self.report.exceptions.append(f"decode: {exc}")
                    failures += 1
                    if failures >= MAX_CONSECUTIVE_EXCEPTIONS:
                        self.report.stopped_by = f"{failures} decoder errors in a row at frame {index}"
                        break
                    continue
                stop = False
                for frame in frames:
                    pts = frame.pts
                    if self.stop_pts is not None and pts is not None and pts >= self.stop_pts:
                        stop = True
                        break
                    if pts is None:
                        self.report.missing_pts += 1
                        pts = (self._pts[-1] + default_step) if self._pts else 0
                    elif self._pts and pts <= self._pts[-1]:
                        self.report.non_monotonic += 1
                    duration = getattr(frame, "duration", None) or 0
                    if duration > 0:
                        last_duration = duration
                    if self.width and size is None:
                        size = _scaled_size(frame.width, frame.height, self.width)
                    image = self._convert(frame)
                    if size is not None and size != (image.shape[1], image.shape[0]):
                        # PySceneDetect's own downscale (SceneManager, auto_downscale): the full-size
                        # image, then OpenCV's bilinear resize; any other scaler moves scores enough
                        # to add or lose cuts (its test video: content/27 gave 211 and 692 extra)
                        image = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
                    self._pts.append(int(pts))
                    yield index, int(pts), image
                    index += 1
                if stop:
                    break
            if self._pts:
                # the last frame lasts as long as the frames before it (containers often give a
                # nominal duration that is wrong for variable frame rates), else its own duration
                if len(self._pts) > 1:
                    last_duration = int(np.median(np.diff(self._pts[-50:])))
                self._end_pts = self._pts[-1] + max(1, int(last_duration or default_step))
            self.report.frames = index
        finally:
            # drain before anything frees the decoder (also when the consumer stops early): the
            # last packet and frame objects below hold the stream, and dropping them frees it
            packet = frames = frame = packets = None  # noqa: F841
            if stream is not None:
                _drain(stream)
            container.close()

    def timeline(self) -> Timeline:
        if not self._pts:
            raise ValueError("no frame was decoded")
        assert self.time_base is not None and self._end_pts is not None
        return Timeline(np.asarray(self._pts, dtype=np.int64), self.time_base, self._end_pts)


def _default_step(stream, time_base: Fraction) -> int:
    rate = stream.average_rate or stream.base_rate or stream.guessed_rate
    if rate:
        return max(1, round(1 / (Fraction(rate) * time_base)))
    return max(1, round(Fraction(1, 25) / time_base))


def _scaled_size(width: int, height: int, target_width: int) -> tuple[int, int]:
    """PySceneDetect's auto-downscale (``scene_manager.compute_downscale_factor`` of the larger
    side, then ``round`` of each side divided by it): the frame size its detectors see. Never up."""
    big = max(width, height)
    if big <= target_width:
        return width, height
    factor = big / float(target_width)
    return max(1, round(width / factor)), max(1, round(height / factor))


@contextlib.contextmanager
def _open_video(path: str, stream_index: int | None) -> Iterator[tuple[Any, Any]]:
    """An open container and its video stream, frame-threaded; drained before it is closed."""
    container = av.open(ffmpeg_url(path), mode="r")
    stream = None
    try:
        streams = container.streams.video
        stream = next((s for s in streams if s.index == stream_index), streams[0])
        _threaded(stream)
        yield container, stream
    finally:
        if stream is not None:
            _drain(stream)
        container.close()


def read_frames(
    path: str, pts: list[int], stream_index: int | None = None, rotation: int = 0, fmt: str = "bgr24"
) -> dict[int, np.ndarray]:
    """Full-size images of the frames with these presentation timestamps, upright.

    Seeks to a key frame before the earliest one and decodes forward until every wanted pts is
    seen (a segment's sample frames are a few seconds apart). Seeking is imprecise in some
    containers (MPEG-TS): when the first frame decoded is already past the earliest wanted one,
    it seeks further back, and at last decodes from the start. ``rotation``: the display rotation
    in degrees counter-clockwise (forensic.intake.probe), applied so people stand up. Frames not
    found (damaged files) are missing from the result.
    """
    return dict(iter_frames_at(path, {int(p) for p in pts}, stream_index, rotation, fmt))


def to_image(frame, convert: ImageConverter, rotation: int = 0) -> np.ndarray:
    """A decoded frame as the features stage reads it: full size, ``convert``'s format, upright."""
    image = convert(frame)
    k = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(image, k)) if k else image


def iter_frames_at(
    path: str, wanted: set[int], stream_index: int | None = None, rotation: int = 0, fmt: str = "bgr24"
) -> Iterator[tuple[int, np.ndarray]]:
    """``(pts, image)`` of the frames with these presentation timestamps, in presentation order,
    images exactly as :func:`read_frames` gives them, from one seek and one decode forward over
    their whole span (many segments' sample frames at once, not a seek per segment).

    ``wanted`` may shrink while this runs (the consumer drops frames it no longer needs: they are
    then decoded but not converted). Frames not found are not yielded. Seeking lands before the
    first wanted frame as in :func:`read_frames` (further back, at last from the start).
    """
    if not wanted:
        return
    first = min(wanted)
    convert = ImageConverter(fmt)
    with _open_video(path, stream_index) as (container, stream):
        tb = stream.time_base or Fraction(1, 90000)
        for back_s in (0, 1, 5, 30, None):
            try:
                if back_s is None:
                    container.seek(0, backward=True, any_frame=False, stream=stream)
                else:
                    container.seek(max(0, first - int(back_s / tb)), stream=stream, backward=True, any_frame=False)
            except av.error.FFmpegError:
                continue
            frames = container.decode(stream)
            started = False
            size, last = len(wanted), max(wanted)
            for frame in frames:
                if frame.pts is None:
                    continue
                if not started:
                    started = True
                    if frame.pts > first and back_s is not None:
                        break  # landed past the first wanted frame: seek further back
                if frame.pts in wanted:
                    yield int(frame.pts), to_image(frame, convert, rotation)
                if len(wanted) != size:
                    size, last = len(wanted), max(wanted, default=-1)
                if not wanted or frame.pts >= last:
                    return
            else:
                if started or back_s is None:
                    return  # the end of the stream
                # nothing decoded from where the seek landed (MPEG-TS past its last key frame): further back
            frames = None


def read_frames_by_index(
    path: str, indices: list[int], stream_index: int | None = None, rotation: int = 0, fmt: str = "bgr24"
) -> dict[int, np.ndarray]:
    """Full-size images of the frames at these decoded-frame indices, counting from the first frame.

    For files whose timestamps cannot find a frame (see records.found_by_index): it
    decodes from the start, so it costs a decode of the file up to the last index.
    """
    wanted = {int(i) for i in indices}
    out: dict[int, np.ndarray] = {}
    if not wanted:
        return out
    last = max(wanted)
    convert = ImageConverter(fmt)
    with _open_video(path, stream_index) as (container, stream):
        for i, frame in enumerate(container.decode(stream)):
            if i in wanted:
                out[i] = to_image(frame, convert, rotation)
            if i >= last:
                break
    return out
