"""The typed records that flow through the pipeline.

intake   -> :class:`EvidenceItem` (one per input path)
segments -> :class:`Segment` (one per 3-8 s window of one piece of footage)
every stage -> :class:`Problem` (anything that went wrong, stored in the case folder, never swallowed)

Later stages (features, model, engine, report) consume and extend :class:`Segment`; it is the one
record every stage and every sink reads, the way supervision's ``Detections`` is.

Clocks. Every time in these records names its clock in the field name:

* ``*_frame``     decoded-frame index: 0 is the first frame the decoder returns, in presentation
                  order. Ranges are half open: ``[start_frame, end_frame)``.
* ``*_s``         seconds from the presentation time of the first decoded frame (so frame 0 is 0.0).
* ``*_pts``       the stream's own presentation timestamp, an integer in units of ``time_base``.
* ``*_pts_s``     the same presentation timestamp in seconds (``pts * time_base``); the stream's
                  start time is often not 0 (for instance 0.852 s).
* ``*_tc``        ``HH:MM:SS.mmm`` of the ``*_s`` value (seconds from the first frame).
* ``*_utc``       wall-clock time, ISO 8601 in UTC with a ``Z`` suffix.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

CLOCKS: dict[str, str] = {
    "frame": "decoded-frame index; 0 = first frame returned by the decoder in presentation order; "
    "ranges are [start, end)",
    "s": "seconds from the presentation time of the first decoded frame",
    "pts": "stream presentation timestamp, integer, in units of the stream's time_base",
    "pts_s": "stream presentation timestamp in seconds (pts * time_base); often not 0 at the start",
    "tc": "HH:MM:SS.mmm of the seconds-from-first-frame clock",
    "utc": "wall-clock time, ISO 8601, UTC (Z suffix)",
}


# ---------------------------------------------------------------------------------------------
# names and text from the evidence, as written into the case folder
#
# A file name is bytes: on Linux any byte but "/" and NUL. Python holds a name that is not UTF-8
# with surrogate escapes (byte 0xE9 -> U+DCE9), which no UTF-8 file can hold, and a name may hold a
# newline or a terminal escape sequence that would forge lines on a terminal or in a log. Every
# path field is written in one escaped form that is printable, one line, and lossless:
#
#   \\      a backslash            \xNN   a byte that is not UTF-8 (NN >= 80, hex)
#   \n \r \t   newline, CR, tab    \uNNNN / \UNNNNNNNN   any other control, format or
#                                    direction-changing character (ESC is \u001b)
#
# :func:`unescape_path` gives the name back exactly; :func:`visible` is the same escaping for free
# text (messages, reasons) except that backslashes stay as they are.

_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _escape_char(ch: str) -> str | None:
    cp = ord(ch)
    if 0xDC80 <= cp <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{cp - 0xDC00:02x}"
    if ch in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[ch]
    if cp < 0x20 or 0x7F <= cp < 0xA0 or unicodedata.category(ch) in _HIDDEN_CATEGORIES:
        return f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"
    return None


def _escape(text: str, backslash: bool) -> str:
    if text.isprintable() and "\\" not in text:  # the usual case: nothing to do
        return text
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\" if backslash else ch)
            continue
        esc = _escape_char(ch)
        out.append(ch if esc is None else esc)
    return "".join(out)


def escape_path(path: str | None) -> str | None:
    """The lossless, printable, one-line form of a path (see above); None stays None."""
    return None if path is None else _escape(str(path), backslash=True)


def visible(text: str | None) -> str | None:
    """Free text made safe for a terminal, a log line and a UTF-8 file: controls, format characters
    and undecodable bytes escaped as in :func:`escape_path` (backslashes kept as they are)."""
    return None if text is None else _escape(str(text), backslash=False)


def unescape_path(text: str | None) -> str | None:
    """Inverse of :func:`escape_path`: the name as Python holds it (surrogate escapes for bytes)."""
    if text is None or "\\" not in text:
        return text
    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch != "\\" or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        kind = text[i + 1]
        width = {"x": 2, "u": 4, "U": 8}.get(kind)
        if kind in "\\nrt":
            out.append({"\\": "\\", "n": "\n", "r": "\r", "t": "\t"}[kind])
            i += 2
        elif width and i + 2 + width <= n:
            cp = int(text[i + 2 : i + 2 + width], 16)
            out.append(chr(0xDC00 + cp) if kind == "x" else chr(cp))
            i += 2 + width
        else:
            raise ValueError(f"not an escaped path: {text!r}")
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# reading rows back (CSV cells are text, Parquet cells typed): one converter for every record


def _empty(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if type(v).__name__ in ("NAType", "NaTType"):  # pandas' missing values, without importing pandas
        return True
    return isinstance(v, str) and v == ""


def _as_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("true", "1", "yes"):
        return True
    if s in ("false", "0", "no"):
        return False
    raise ValueError(f"not a boolean: {v!r}")


def _as_int(v: Any) -> int:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    f = float(v)
    if not f.is_integer():
        raise ValueError(f"not an integer: {v!r}")
    return int(f)


def _as_list(v: Any) -> list:
    if isinstance(v, (list, tuple)):
        return list(v)
    if hasattr(v, "tolist"):
        return list(v.tolist())
    s = str(v).strip()
    if not s:
        return []
    parsed = json.loads(s)
    return list(parsed) if isinstance(parsed, (list, tuple)) else [parsed]


def _converter(annotation: Any):
    a = str(annotation).replace(" ", "")
    optional = "None" in a
    base = a.replace("|None", "").replace("None|", "")
    if base == "int":
        conv: Any = _as_int
    elif base == "float":
        conv = float
    elif base == "bool":
        conv = _as_bool
    elif base.startswith("tuple[int"):
        conv = lambda v: tuple(_as_int(x) for x in _as_list(v))  # noqa: E731
    elif base.startswith("tuple[float"):
        conv = lambda v: tuple(float(x) for x in _as_list(v))  # noqa: E731
    elif base.startswith("tuple"):
        conv = lambda v: tuple(str(x) for x in _as_list(v))  # noqa: E731
    elif base.startswith("list"):
        conv = lambda v: [str(x) for x in _as_list(v)]  # noqa: E731
    elif base in _ENUMS:
        conv = _ENUMS[base]
    else:
        conv = str
    return conv, optional


def record_from_row(cls, row: dict[str, Any], notes: list[str] | None = None, where: str = ""):
    """Build a record (EvidenceItem, Segment, Finding) from a CSV or Parquet row, the inverse of its
    ``to_row``: types from the dataclass's annotations; path fields unescaped; empty cells are None
    (or the field's default); unknown columns are ignored; a cell that cannot be read is left at its
    default and noted (raises ValueError when ``notes`` is None)."""
    kw: dict[str, Any] = {}
    paths = getattr(cls, "PATH_FIELDS", ())
    for f in dataclasses.fields(cls):
        if f.name not in row:
            continue
        v = row[f.name]
        conv, optional = _converter(f.type)
        if _empty(v):
            if optional:
                kw[f.name] = None
            elif conv is str:
                kw[f.name] = ""
            continue  # the field's default
        if isinstance(v, float) and conv is str:
            v = repr(v)
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        try:
            kw[f.name] = unescape_path(conv(v)) if f.name in paths else conv(v)
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            if notes is None:
                raise ValueError(f"{where}: column {f.name}: value {v!r} not understood ({exc})") from exc
            notes.append(f"{where}: column {f.name}: value {v!r} not understood ({exc}); left empty")
    try:
        return cls(**kw)
    except TypeError as exc:  # a required field missing
        raise ValueError(f"{where}: {exc}") from exc


def _text_row(d: dict[str, Any], paths: tuple[str, ...]) -> dict[str, Any]:
    """Path fields escaped losslessly, every other text field made visible."""
    out = {}
    for k, v in d.items():
        if isinstance(v, str):
            v = escape_path(v) if k in paths else visible(v)
        out[k] = v
    return out


class EvidenceStatus(str, enum.Enum):
    """What happened to one input path."""

    PENDING = "pending"  # not processed yet (only seen mid-scan)
    ANALYSED = "analysed"  # footage, fully decoded and segmented
    PARTIAL = "partial"  # footage, but decoding failed part way; segments cover what decoded
    FAILED = "failed"  # claims to be video (extension or container signature) but cannot be read
    SKIPPED = "skipped"  # plainly not footage (text, image, audio, special file)

    def __str__(self) -> str:  # so f-strings and CSV cells show the plain value
        return self.value


class Severity(str, enum.Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"  # e.g. evidence changed during the scan

    def __str__(self) -> str:
        return self.value


@dataclass
class Problem:
    """Anything that went wrong or looks wrong; written to ``problems.jsonl`` in the case folder."""

    severity: Severity
    stage: str  # intake | hash | probe | decode | segments | store | ...
    message: str
    path: str | None = None
    sha256: str | None = None
    time_utc: str | None = None  # when it was recorded

    def to_dict(self) -> dict[str, Any]:
        """The ``problems.jsonl`` form: the path escaped losslessly, the message made visible (one line)."""
        d = dataclasses.asdict(self)
        d["severity"] = str(self.severity)
        return _text_row(d, ("path",))


@dataclass
class EvidenceItem:
    """One input path and everything intake learned about it."""

    path: str  # absolute path, as found (symbolic links not resolved)
    status: EvidenceStatus = EvidenceStatus.PENDING
    reason: str = ""  # human-readable; empty only for a clean analysis
    # file system
    size_bytes: int | None = None
    mtime_utc: str | None = None
    link_target: str | None = None  # when ``path`` is a symbolic link
    claims_video: bool = False  # by extension or container signature
    signature: str | None = None  # container signature found in the first bytes, if any
    # integrity
    sha256: str | None = None  # before analysis
    md5: str | None = None  # in the same read as sha256 (labs' hash lists use them)
    sha1: str | None = None
    sha256_after: str | None = None  # re-hashed at the end of the scan
    hash_verified: bool | None = None  # sha256 == sha256_after
    duplicate_of: str | None = None  # path of the identical file that was analysed
    # probe (ffprobe), for footage
    container: str | None = None
    codec: str | None = None
    width: int | None = None
    height: int | None = None
    rotation: int | None = None  # degrees, from the display matrix / rotate tag; 0 when none
    time_base: str | None = None  # of the video stream, e.g. "1/12800"
    nominal_fps: float | None = None  # r_frame_rate
    avg_fps: float | None = None  # avg_frame_rate, or measured from the decoded timestamps
    variable_frame_rate: bool | None = None
    frame_interval_min_s: float | None = None
    frame_interval_max_s: float | None = None
    frame_count: int | None = None  # frames actually decoded
    frame_count_container: int | None = None  # what the container claims, if it says
    duration_s: float | None = None  # decoded: from first frame start to last frame end
    duration_container_s: float | None = None
    start_pts: int | None = None  # of the first decoded frame
    start_pts_s: float | None = None
    stream_start_time_s: float | None = None  # the stream's start_time as ffprobe reports it
    format_start_time_s: float | None = None  # the container's start_time (earliest stream); players count from it
    creation_time_utc: str | None = None  # from container metadata, when present (unverified)
    video_streams: int | None = None
    audio_streams: int | None = None
    decode_errors: int = 0
    segment_count: int | None = None
    warnings: list[str] = field(default_factory=list)
    # acquisition hash list (scan --hash-list): match | MISMATCH | not listed
    hash_list: str | None = None
    # access time, which ffprobe and the decoder (opening without O_NOATIME) may change
    atime_before_utc: str | None = None
    atime_after_utc: str | None = None
    atime: str | None = None  # unchanged | restored | changed (why)

    PATH_FIELDS = ("path", "link_target", "duplicate_of")

    @property
    def is_footage(self) -> bool:
        """Footage, readable or not (everything but skipped inputs)."""
        return self.status not in (EvidenceStatus.SKIPPED, EvidenceStatus.PENDING)

    def to_row(self) -> dict[str, Any]:
        """The evidence.csv row (read back by :meth:`from_row`)."""
        d = _text_row(dataclasses.asdict(self), self.PATH_FIELDS)
        d["status"] = str(self.status)
        d["warnings"] = json.dumps([visible(w) for w in self.warnings], ensure_ascii=False)
        return d

    @classmethod
    def from_row(cls, row: dict[str, Any], notes: list[str] | None = None, where: str = "") -> EvidenceItem:
        return record_from_row(cls, row, notes, where)


@dataclass(frozen=True)
class Segment:
    """A window of 3-8 s of one shot of one piece of footage (or a whole shot shorter than 3 s).

    Identified by the footage's SHA-256 and its frame range, so that identical files share
    segments and a segment can be found again whatever the path.
    """

    sha256: str
    path: str  # the path it was analysed from (the first of identical files)
    index: int  # 0-based within the file
    shot: int  # 0-based scene (shot) number within the file
    start_frame: int
    end_frame: int  # exclusive
    start_s: float
    end_s: float  # presentation end: start of frame ``end_frame`` (or end of the last frame)
    start_pts: int
    end_pts: int
    start_pts_s: float
    end_pts_s: float
    time_base: str
    sample_frames: tuple[int, ...]
    sample_pts: tuple[int, ...]
    sample_s: tuple[float, ...]
    flags: tuple[str, ...] = ()

    PATH_FIELDS = ("path",)

    @property
    def frame_count(self) -> int:
        return self.end_frame - self.start_frame

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def start_tc(self) -> str:
        return timecode(self.start_s)

    @property
    def end_tc(self) -> str:
        return timecode(self.end_s)

    @property
    def key(self) -> str:
        """Stable identity: file hash and frame range."""
        return f"{self.sha256}:{self.start_frame}-{self.end_frame}"

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["sample_frames"] = list(self.sample_frames)
        d["sample_pts"] = list(self.sample_pts)
        d["sample_s"] = list(self.sample_s)
        d["flags"] = list(self.flags)
        d["frame_count"] = self.frame_count
        d["duration_s"] = self.duration_s
        d["start_tc"] = self.start_tc
        d["end_tc"] = self.end_tc
        return d

    def to_row(self) -> dict[str, Any]:
        """Flat row for CSV: lists as JSON arrays, the path escaped (read back by :meth:`from_row`)."""
        d = self.to_dict()
        for k in ("sample_frames", "sample_pts", "sample_s", "flags"):
            d[k] = json.dumps(d[k])
        return _text_row(d, self.PATH_FIELDS)

    @classmethod
    def from_row(cls, row: dict[str, Any], notes: list[str] | None = None, where: str = "") -> Segment:
        return record_from_row(cls, row, notes, where)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Segment:
        """Inverse of :meth:`to_dict` (JSON keeps the path exactly)."""
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        for k in ("sample_frames", "sample_pts", "sample_s", "flags"):
            kw[k] = tuple(kw.get(k, ()))
        return cls(**kw)


class FindingStatus(str, enum.Enum):
    """What the model stage made of one segment."""

    ANALYSED = "analysed"  # classified: score and label are set
    INSUFFICIENT_SUBJECTS = "insufficient_subjects"  # most sample frames lack two faces: not classified
    SHORT_SHOT = "short_shot"  # a shot under 3 s: not classified (the paper's clips are 3-8 s)
    # two people, but the sample frames do not change (a photo, a paused camera) or change only as a
    # camera moving over an unchanging scene does (a pan over a picture): not classified
    STILL = "still"
    FAILED = "failed"  # an error; see ``error``

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Finding:
    """One segment's result: the row of ``findings.parquet`` / ``findings.csv``.

    Times are the segment's, in every clock (see the module docstring). Paths are relative to
    the case folder.
    """

    key: str  # Segment.key: "<sha256>:<start_frame>-<end_frame>"
    sha256: str
    path: str
    segment_index: int
    shot: int
    start_frame: int
    end_frame: int
    start_s: float
    end_s: float
    start_pts: int
    end_pts: int
    start_pts_s: float
    end_pts_s: float
    time_base: str
    start_tc: str
    end_tc: str
    status: FindingStatus
    error: str = ""
    score: float | None = None  # fusion model's sigmoid output, 0..1
    label: str | None = None  # "stalking" / "non_stalking" at ``threshold``
    threshold: float | None = None
    people: int = 0  # most faces found in one sample frame
    pair_frames: int = 0  # sample frames showing both people
    model_sha256: str | None = None
    model_name: str | None = None
    segmenter: str | None = None
    face_detector: str | None = None  # the face detector the features were made with
    config_sha256: str | None = None
    features_dir: str | None = None  # folder with features.csv, frames128.npy, keyframes/
    keyframes: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    attempts: int = 1

    PATH_FIELDS = ("path",)

    @classmethod
    def from_segment(cls, seg: Segment, status: FindingStatus, **kw: Any) -> Finding:
        return cls(
            key=seg.key,
            sha256=seg.sha256,
            path=seg.path,
            segment_index=seg.index,
            shot=seg.shot,
            start_frame=seg.start_frame,
            end_frame=seg.end_frame,
            start_s=seg.start_s,
            end_s=seg.end_s,
            start_pts=seg.start_pts,
            end_pts=seg.end_pts,
            start_pts_s=seg.start_pts_s,
            end_pts_s=seg.end_pts_s,
            time_base=seg.time_base,
            start_tc=seg.start_tc,
            end_tc=seg.end_tc,
            status=status,
            flags=seg.flags,
            **kw,
        )

    def to_row(self) -> dict[str, Any]:
        """The findings.parquet / findings.csv row (read back by :meth:`from_row`)."""
        d = _text_row(dataclasses.asdict(self), self.PATH_FIELDS)
        d["status"] = str(self.status)
        d["keyframes"] = json.dumps(list(self.keyframes))
        d["flags"] = json.dumps(list(self.flags))
        return d

    @classmethod
    def from_row(cls, row: dict[str, Any], notes: list[str] | None = None, where: str = "") -> Finding:
        return record_from_row(cls, row, notes, where)


FINDING_COLUMNS = [f.name for f in dataclasses.fields(Finding)]
_ENUMS = {"EvidenceStatus": EvidenceStatus, "FindingStatus": FindingStatus, "Severity": Severity}


# Segment flags
PIXELLIB_SEGMENTER = "pixellib-maskrcnn-coco"  # the name the pixellib segmenter records in findings

SHORT_SHOT = "short_shot"  # the whole shot is shorter than the 3 s minimum
FEW_FRAMES = "few_frames"  # fewer distinct frames than samples wanted; samples repeat
PARTIAL_FILE = "partial_file"  # the file failed to decode part way; this is its last good stretch
TIMELINE_GAP = "timeline_gap"  # frames are missing inside the segment (a hole in the timestamps)
PTS_REORDERED = "pts_reordered"  # the file's timestamps came out of order (e.g. B-frames in AVI): the
#   timeline uses the same timestamps sorted into presentation order, frames are found by index
PTS_MISSING = "pts_missing"  # frames without timestamps (a raw H.264 export): the timeline gives each
#   one frame interval after the last, which the file does not hold, so frames are found by index


def found_by_index(flags) -> bool:
    """Whether a segment's sample frames must be found by their decoded-frame index: the file's
    timestamps cannot find them (see PTS_REORDERED, PTS_MISSING)."""
    return PTS_REORDERED in flags or PTS_MISSING in flags


def timecode(seconds: float) -> str:
    """``HH:MM:SS.mmm`` (hours may exceed 99); rounds to the millisecond."""
    ms = int(round(seconds * 1000))
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{sign}{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def fraction_str(value: Fraction | None) -> str | None:
    return None if value is None else f"{value.numerator}/{value.denominator}"
