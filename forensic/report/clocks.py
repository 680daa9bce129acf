"""The report's wall clock: the examiner's clock statements (an offset added to a file's creation
time, or the wall-clock time of its first frame) and, per file, where its wall-clock times come
from, in plain words. Every time is UTC and names its source."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from forensic.records import EvidenceItem
from forensic.report.readers import ReportError


@dataclass(frozen=True)
class ClockSpec:
    """One examiner-supplied clock statement for one file: either an offset in seconds added to
    the file's creation time (the camera clock's error), or the wall-clock time of its first
    frame."""

    key: str  # SHA-256 or path as given
    offset_s: float | None = None
    start_utc: datetime | None = None
    text: str = ""
    origin: str = "command line (--clock-offset)"


_ISO_HINT = re.compile(r"^\d{4}-\d{2}-\d{2}")

# a clock statement must leave every time it makes inside what a datetime holds (years 1-9999):
# offsets up to 100 years either way, and times at least 100 years from either end
MAX_OFFSET_S = 100 * 365.25 * 86400
EARLIEST = datetime(101, 1, 1, tzinfo=UTC)
LATEST = datetime(9899, 12, 31, 23, 59, 59, tzinfo=UTC)


def _check_offset(key: str, text: str, seconds: float) -> None:
    if not math.isfinite(seconds):
        raise ReportError(f"clock offset for {key}: {text!r} is not a finite number")
    if abs(seconds) > MAX_OFFSET_S:
        raise ReportError(f"clock offset for {key}: {text!r} is out of range (at most 100 years either way)")


def _in_range(dt: datetime) -> bool:
    return EARLIEST <= dt <= LATEST


def _iso_time(key: str, text: str) -> datetime:
    try:
        dt = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as exc:
        raise ReportError(f"clock offset for {key}: {text!r} is not an ISO 8601 time ({exc})") from exc
    if dt.tzinfo is None:
        raise ReportError(
            f"clock offset for {key}: {text!r} has no time zone; give Z or +HH:MM (for example 2026-03-01T09:30:00Z)"
        )
    try:
        dt = dt.astimezone(UTC)
    except OverflowError:
        dt = None
    if dt is None or not _in_range(dt):
        raise ReportError(
            f"clock offset for {key}: {text!r} is out of range (give a time between "
            f"the years {EARLIEST.year} and {LATEST.year})"
        )
    return dt


def parse_clock_value(key: str, value: Any, origin: str) -> ClockSpec:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_offset(key, repr(value), float(value))
        return ClockSpec(key, offset_s=float(value), text=f"{float(value):+g} s", origin=origin)
    text = str(value).strip()
    if _ISO_HINT.match(text):
        return ClockSpec(key, start_utc=_iso_time(key, text), text=text, origin=origin)
    try:
        seconds = float(text)
    except ValueError:
        raise ReportError(f"clock offset for {key}: {text!r} is neither +SECONDS nor an ISO 8601 time") from None
    _check_offset(key, text, seconds)
    return ClockSpec(key, offset_s=seconds, text=text, origin=origin)


def parse_clock_offsets(specs: list[str] | None) -> list[ClockSpec]:
    """``SHA256_OR_PATH=+SECONDS`` or ``SHA256_OR_PATH=ISO_TIME`` (split at the last ``=``, so
    paths may hold ``=``)."""
    out = []
    for spec in specs or []:
        key, sep, value = spec.rpartition("=")
        if not sep or not key or not value:
            raise ReportError(f"--clock-offset {spec!r}: expected SHA256_OR_PATH=+SECONDS or SHA256_OR_PATH=ISO_TIME")
        out.append(parse_clock_value(key, value, "command line (--clock-offset)"))
    return out


@dataclass
class ClockSource:
    """Where a file's wall-clock times come from, in plain words."""

    kind: str  # examiner_start | examiner_offset | creation_time | none
    start_utc: datetime | None  # wall-clock time of the first decoded frame (seconds clock 0)
    description: str
    given: str = ""
    origin: str = ""

    @property
    def available(self) -> bool:
        return self.start_utc is not None

    @property
    def short(self) -> str:
        """The source in a few words, to stand beside every wall-clock time a table shows."""
        return SHORT_SOURCE.get(self.kind, "no wall clock")

    def at(self, seconds: float | None) -> str | None:
        if self.start_utc is None or seconds is None:
            return None
        try:
            return iso_utc(self.start_utc + timedelta(seconds=float(seconds)))
        except (OverflowError, ValueError):  # a time the case folder holds beyond any calendar: none
            return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.kind,
            "start_utc": iso_utc(self.start_utc) if self.start_utc else None,
            "given": self.given or None,
            "origin": self.origin or None,
            "description": self.description,
        }


SHORT_SOURCE = {
    "examiner_start": "examiner's start time",
    "examiner_offset": "creation time + examiner's offset",
    "creation_time": "creation time, unverified",
}


def iso_utc(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_utc(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(str(text))
        return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


CREATION_CAVEAT = (
    "container creation time: unverified metadata written by the recording device or by "
    "software that later rewrote the file; taken here as the time of the first frame"
)


def _shifted(created: datetime, spec: ClockSpec) -> datetime:
    """The creation time corrected by the examiner's offset; a usage error when it leaves the range."""
    try:
        start = created + timedelta(seconds=float(spec.offset_s or 0.0))
    except (OverflowError, ValueError):
        start = None
    if start is None or not _in_range(start):
        raise ReportError(
            f"clock offset for {spec.key}: {spec.text or spec.offset_s!r} added to the creation time "
            f"{iso_utc(created)} is out of range"
        )
    return start


def clock_source(item: EvidenceItem | None, spec: ClockSpec | None) -> ClockSource:
    created = parse_utc(item.creation_time_utc) if item is not None else None
    if spec is not None and spec.start_utc is not None:
        return ClockSource(
            "examiner_start",
            spec.start_utc,
            f"examiner-supplied wall-clock time of the first frame ({spec.origin})",
            spec.text,
            spec.origin,
        )
    if created is not None and not _in_range(created):  # unverified metadata no calendar can follow
        return ClockSource(
            "none",
            None,
            f"the container creation time {item.creation_time_utc} is out of range: no wall-clock time",
            item.creation_time_utc or "",
            "container metadata",
        )
    if spec is not None and spec.offset_s is not None:
        if created is None:
            return ClockSource(
                "none",
                None,
                f"an examiner offset of {spec.offset_s:+g} s was given ({spec.origin}), but the file "
                "has no creation time to apply it to: no wall-clock time",
                spec.text,
                spec.origin,
            )
        return ClockSource(
            "examiner_offset",
            _shifted(created, spec),
            f"container creation time {iso_utc(created)} (unverified metadata) corrected by the "
            f"examiner-supplied offset {spec.offset_s:+g} s ({spec.origin})",
            spec.text,
            spec.origin,
        )
    if created is not None:
        return ClockSource(
            "creation_time", created, CREATION_CAVEAT, item.creation_time_utc or "", "container metadata"
        )
    return ClockSource("none", None, "no creation time in the file and no examiner offset: no wall-clock time")
