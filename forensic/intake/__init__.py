"""Intake: discover the inputs, hash them read-only, and probe what they are.

Plain functions over :class:`forensic.records.EvidenceItem`; nothing here writes anywhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

from forensic.intake.discover import discover
from forensic.intake.hashing import HashResult, hash_files, sha256_file
from forensic.intake.probe import ProbeError, ProbeInfo, probe
from forensic.intake.signature import claims_video
from forensic.records import EvidenceItem, EvidenceStatus, fraction_str

__all__ = [
    "access_times",
    "copy_outcome",
    "discover",
    "hash_item",
    "mark_duplicates",
    "probe_item",
    "rehash",
    "restore_access_times",
]


def hash_item(item: EvidenceItem) -> bool:
    """Stat, hash (one read-only pass) and sniff one pending item, in place.

    Returns True when the item is still pending (hashed, not empty); otherwise it ends
    ``failed`` (unreadable, or an empty file that claims to be video) or ``skipped``.
    """
    if item.status != EvidenceStatus.PENDING:
        return False
    try:
        st = os.stat(item.path)
        item.size_bytes = st.st_size
        item.mtime_utc = _utc(st.st_mtime)
        digest = sha256_file(item.path)
    except OSError as exc:
        item.claims_video, item.signature = claims_video(item.path, b"")
        item.status = EvidenceStatus.FAILED
        item.reason = f"cannot read: {exc.strerror or exc}"
        return False
    item.sha256, item.size_bytes = digest.sha256, digest.size
    item.md5, item.sha1 = digest.md5, digest.sha1
    item.claims_video, item.signature = claims_video(item.path, digest.head)
    if digest.size == 0:
        _not_footage(item, "empty file (0 bytes)")
        return False
    return True


def probe_item(item: EvidenceItem) -> ProbeInfo | None:
    """Probe one hashed, pending item in place.

    Returns the probe of footage that is ready to be decoded (item still ``pending``); otherwise
    the item ends ``skipped`` (not footage) or ``failed`` (claims video, unreadable) and None
    comes back.
    """
    if item.status != EvidenceStatus.PENDING:
        return None
    try:
        info = probe(item.path)
    except ProbeError as exc:
        return _not_footage(item, f"not readable as video: {exc}")
    item.container = info.container
    item.duration_container_s = info.duration_s
    item.video_streams, item.audio_streams = info.video_streams, info.audio_streams
    item.creation_time_utc = info.creation_time_utc
    if info.creation_time_raw and not info.creation_time_utc:
        item.warnings.append(f"creation time in metadata not understood: {info.creation_time_raw!r}")
    if info.video_streams == 0:
        what = "audio only" if info.audio_streams else "no audio or video"
        return _not_footage(item, f"no video stream ({what}; container {info.container})")
    if info.is_still_image:
        return _not_footage(item, f"still image ({info.codec or info.container}), not video")
    item.codec, item.width, item.height = info.codec, info.width, info.height
    item.rotation = info.rotation
    item.time_base = fraction_str(info.time_base)
    item.nominal_fps = float(info.nominal_fps) if info.nominal_fps else None
    item.avg_fps = float(info.avg_fps) if info.avg_fps else None
    item.frame_count_container = info.frame_count
    item.stream_start_time_s = info.stream_start_time_s
    item.format_start_time_s = info.format_start_time_s
    if info.video_streams > 1:
        item.warnings.append(f"{info.video_streams} video streams; analysed stream #{info.stream_index}")
    stderr = info.raw.get("_stderr")
    if stderr:
        item.warnings.append(f"ffprobe: {stderr}")
    return info


def _not_footage(item: EvidenceItem, reason: str) -> None:
    """Skipped when the file is plainly something else, failed when it claims to be video."""
    item.status = EvidenceStatus.FAILED if item.claims_video else EvidenceStatus.SKIPPED
    if item.claims_video:
        why = f"container signature {item.signature}" if item.signature else "video file extension"
        reason = f"{reason} (but it claims to be video: {why})"
    item.reason = reason
    return None


def mark_duplicates(items: list[EvidenceItem]) -> dict[str, list[EvidenceItem]]:
    """Group hashed items by SHA-256; every item after the first of a group gets ``duplicate_of``.

    Returns {sha256: [items, first is the one analysed]}.
    """
    groups: dict[str, list[EvidenceItem]] = {}
    for item in items:
        if item.sha256 is not None:
            groups.setdefault(item.sha256, []).append(item)
    for group in groups.values():
        for other in group[1:]:
            other.duplicate_of = group[0].path
    return groups


_ANALYSIS_FIELDS = (
    "status",
    "reason",
    "container",
    "codec",
    "width",
    "height",
    "rotation",
    "time_base",
    "nominal_fps",
    "avg_fps",
    "variable_frame_rate",
    "frame_interval_min_s",
    "frame_interval_max_s",
    "frame_count",
    "frame_count_container",
    "duration_s",
    "duration_container_s",
    "start_pts",
    "start_pts_s",
    "stream_start_time_s",
    "format_start_time_s",
    "creation_time_utc",
    "video_streams",
    "audio_streams",
    "decode_errors",
    "segment_count",
    "claims_video",
    "signature",
)


def copy_outcome(source: EvidenceItem, duplicate: EvidenceItem) -> None:
    """A duplicate (same SHA-256) is analysed once: it takes the analysed file's results."""
    for name in _ANALYSIS_FIELDS:
        setattr(duplicate, name, getattr(source, name))
    duplicate.duplicate_of = source.path
    note = f"identical to {source.path} (same SHA-256), analysed once as that file"
    duplicate.reason = f"{source.reason}; {note}" if source.reason else note


def rehash(item: EvidenceItem, result: HashResult | OSError | None = None) -> bool | None:
    """Hash again after analysis (or take ``result``, a hash made just now); returns whether it
    matches (None when it was never hashed)."""
    if item.sha256 is None:
        return None
    if result is None:
        try:
            result = sha256_file(item.path)
        except OSError as exc:
            result = exc
    if isinstance(result, OSError):
        item.sha256_after = None
        item.hash_verified = False
        item.warnings.append(f"could not be re-hashed at the end of the scan: {result.strerror or result}")
        return False
    item.sha256_after = result.sha256
    item.hash_verified = item.sha256_after == item.sha256
    return item.hash_verified


def rehash_all(items: list[EvidenceItem]) -> Iterator[tuple[EvidenceItem, bool]]:
    """:func:`rehash` of every hashed item, several files at a time; ``(item, matches)`` in order."""
    hashed = [i for i in items if i.sha256 is not None]
    for item, (_path, result) in zip(hashed, hash_files([i.path for i in hashed]), strict=True):
        yield item, bool(rehash(item, result))


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def access_times(items: list[EvidenceItem]) -> dict[str, int]:
    """The access time (ns) of every readable input, taken before anything reads it."""
    out = {}
    for item in items:
        try:
            st = os.stat(item.path)
        except OSError:
            continue
        out[item.path] = st.st_atime_ns
        item.atime_before_utc = _utc(st.st_atime_ns / 1e9)
    return out


def restore_access_times(items: list[EvidenceItem], before: dict[str, int]) -> list[EvidenceItem]:
    """Put back access times that reading changed, in place; returns the items whose access time
    changed. Hashing opens with O_NOATIME where allowed, but ffprobe and the decoder (FFmpeg) open
    files without it, so a mount with atime updates (relatime, strictatime) records the read. The
    time is set back with ``os.utime`` where permitted (owner or CAP_FOWNER; this changes the
    inode's ctime), and ``item.atime`` says what happened: unchanged, restored, or changed (why)."""
    changed = []
    for item in items:
        if item.path not in before:
            continue
        try:
            st = os.stat(item.path)
        except OSError as exc:
            item.atime = f"not checked: {exc.strerror or exc}"
            continue
        if st.st_atime_ns == before[item.path]:
            item.atime, item.atime_after_utc = "unchanged", _utc(st.st_atime_ns / 1e9)
            continue
        changed.append(item)
        was = _utc(st.st_atime_ns / 1e9)
        try:
            os.utime(item.path, ns=(before[item.path], st.st_mtime_ns))
            now = os.stat(item.path)
        except OSError as exc:
            item.atime, item.atime_after_utc = f"changed by reading; not restored: {exc.strerror or exc}", was
            continue
        if now.st_atime_ns == before[item.path] and now.st_mtime_ns == st.st_mtime_ns:
            item.atime, item.atime_after_utc = f"restored (reading had set it to {was})", _utc(now.st_atime_ns / 1e9)
        else:
            item.atime = "changed by reading; restoring it did not hold"
            item.atime_after_utc = _utc(now.st_atime_ns / 1e9)
    return changed
