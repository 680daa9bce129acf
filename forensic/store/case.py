"""The case folder: everything a scan writes, and nothing next to the evidence.

CASE_DIR/manifest.json    session record, configuration and its hash, summary, output hashes
CASE_DIR/evidence.csv     one row per input path
CASE_DIR/segments.csv     one row per segment (appended as files are segmented)
CASE_DIR/problems.jsonl   every warning and error, one JSON object per line, as it happens
CASE_DIR/timelines/<sha256>.csv.gz   per decoded frame: index, pts, pts seconds, seconds from first
"""

from __future__ import annotations

import csv
import dataclasses
import errno
import fcntl
import gzip
import hashlib
import io
import json
import os
import shutil
from collections.abc import Iterable
from typing import Any

from forensic.fsutil import (  # noqa: F401 - write_atomic and sha256_path: their old home
    TMP_PREFIX,
    append_durable,
    folder_problem,
    fsync_dir,
    is_inside,
    makedirs_durable,
    sha256_path,
    write_atomic,
)
from forensic.provenance import utc_now
from forensic.records import EvidenceItem, Problem, Segment, escape_path
from forensic.segments.decode import Timeline

MANIFEST = "manifest.json"
EVIDENCE = "evidence.csv"
SEGMENTS = "segments.csv"
PROBLEMS = "problems.jsonl"
TIMELINES = "timelines"

EVIDENCE_COLUMNS = [f.name for f in dataclasses.fields(EvidenceItem)]
SEGMENT_COLUMNS = [f.name for f in dataclasses.fields(Segment)] + ["frame_count", "duration_s", "start_tc", "end_tc"]


class CaseFolderError(Exception):
    """The case folder cannot be used (another scan's, among the evidence, or in use): a usage error."""


class CaseFolderBusy(CaseFolderError):
    """Another process is writing into the case folder."""


_inside = is_inside  # the old private name


def check_location(root: str, evidence_paths: Iterable[str]) -> None:
    """Refuse a case folder inside an evidence folder (or evidence inside the case folder), or one
    that cannot be a folder (it or a path above it is a file)."""
    why = folder_problem(root)
    if why is not None:
        raise CaseFolderError(why)
    for given in evidence_paths:
        top = os.path.abspath(given)
        folder = top if os.path.isdir(top) else os.path.dirname(top)
        if is_inside(root, folder):
            what = "evidence folder" if os.path.isdir(top) else "folder holding the evidence file"
            raise CaseFolderError(
                f"the output folder {escape_path(root)} is inside the {what} {escape_path(folder)}: nothing may be "
                "written next to the evidence; choose a folder elsewhere"
            )
        if is_inside(top, root):
            raise CaseFolderError(f"the evidence {escape_path(given)} is inside the case folder {escape_path(root)}")


def check_target(root: str, evidence_paths: Iterable[str]) -> None:
    """What a scan's case folder must be, checked without writing anything: not next to the
    evidence (:func:`check_location`), a folder or nothing, and if it holds no case yet, empty (or
    left half-made by a scan that stopped before its first manifest). A scan asks this before it
    loads a model or starts a cluster, so that a wrong ``--out`` is said at once;
    :meth:`CaseFolder.open_for_scan` asks again when it takes the folder."""
    root = os.path.abspath(root)
    check_location(root, evidence_paths)
    if os.path.lexists(root) and not os.path.isdir(root):
        raise CaseFolderError(f"{escape_path(root)} exists and is not a folder")
    if (
        os.path.isdir(root)
        and not os.path.exists(os.path.join(root, MANIFEST))
        and os.listdir(root)
        and not _unfinished_creation(root)
    ):
        raise CaseFolderError(f"{escape_path(root)} is not empty: choose a new or empty case folder")


def _csv_bytes(columns: list[str], rows: Iterable[dict[str, Any]], header: bool = True) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, extrasaction="raise", lineterminator="\n")
    if header:
        w.writeheader()
    for row in rows:
        w.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buf.getvalue().encode("utf-8")


# what CaseFolder.create leaves before the first manifest.json: a folder holding only these was
# being created by a scan that stopped (crash, kill -9) before it wrote its manifest
_CREATED_FIRST = {TIMELINES, SEGMENTS, PROBLEMS}


def _unfinished_creation(root: str) -> bool:
    for name in os.listdir(root):
        if name.startswith(TMP_PREFIX):
            continue
        if name not in _CREATED_FIRST:
            return False
        if name == TIMELINES and (not os.path.isdir(os.path.join(root, name)) or os.listdir(os.path.join(root, name))):
            return False
    return True


def remove_leftovers(root: str) -> list[str]:
    """Removes the ``.tmp-*`` files and folders that writes cut short (kill -9, power loss) left in
    the case folder, which a scan holding its lock is the only writer of; returns their relative
    paths (for problems.jsonl). No record lists them, so ``forensic verify`` would rightly refuse a
    folder that still held one. Symbolic links are removed, never followed."""
    removed, touched = [], set()
    for dirpath, dirs, files in os.walk(root):
        for name in sorted([*dirs, *files]):
            if not name.startswith(TMP_PREFIX):
                continue
            full = os.path.join(dirpath, name)
            if os.path.isdir(full) and not os.path.islink(full):
                shutil.rmtree(full)
            else:
                os.unlink(full)
            removed.append(os.path.relpath(full, root))
            touched.add(dirpath)
        dirs[:] = [d for d in dirs if not d.startswith(TMP_PREFIX)]
    for folder in sorted(touched):
        fsync_dir(folder)
    return removed


def _lock(root: str) -> int:
    """An exclusive lock on the case folder itself (``flock`` of the folder, held until the process
    ends or :meth:`CaseFolder.close`): a second scan into the same folder is refused, never mixed."""
    fd = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise CaseFolderBusy(
                f"{escape_path(root)} is in use by another forensic process (a scan writing into it): "
                "two runs must not write one case folder at once; wait for it to end, then run the same command "
                "again to resume"
            ) from None
        raise
    return fd


class CaseFolder:
    """A case folder, locked while this process writes into it."""

    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self._lock_fd: int | None = None
        self.recovered = False  # an earlier run stopped before its first manifest.json
        self.leftovers: list[str] = []  # temporary files of interrupted writes, removed when opened for a scan

    def path(self, name: str) -> str:
        return os.path.join(self.root, name)

    def lock(self) -> None:
        if self._lock_fd is None:
            self._lock_fd = _lock(self.root)

    def close(self) -> None:
        """Release the lock (it goes with the process anyway)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @classmethod
    def create(cls, root: str, evidence_paths: Iterable[str] = ()) -> CaseFolder:
        root = os.path.abspath(root)
        check_target(root, evidence_paths)
        if os.path.exists(os.path.join(root, MANIFEST)):
            raise CaseFolderError(
                f"{escape_path(root)} already holds a case (manifest.json): a second scan must not destroy the "
                "first; choose a new case folder"
            )
        makedirs_durable(root)
        case = cls(root)
        case.lock()
        try:
            if os.path.exists(case.path(MANIFEST)):  # another process created it meanwhile
                raise CaseFolderBusy(f"{escape_path(root)} was made a case folder by another process meanwhile")
            case.recovered = bool(os.listdir(root))
            case.leftovers = remove_leftovers(root)
            makedirs_durable(case.path(TIMELINES))
            write_atomic(case.path(SEGMENTS), _csv_bytes(SEGMENT_COLUMNS, []))
            if not os.path.exists(case.path(PROBLEMS)):
                append_durable(case.path(PROBLEMS), b"")
        except BaseException:
            case.close()
            raise
        return case

    @classmethod
    def open_for_scan(
        cls, root: str, evidence_paths: Iterable[str], identity: dict[str, Any]
    ) -> tuple[CaseFolder, dict[str, Any] | None]:
        """A new case folder, or the folder of the same scan to resume it; locked either way.

        Returns (case, previous manifest or None). The same scan means the same inputs,
        configuration, model, segmenter and threshold (``identity``); a case folder of another
        scan is refused: its results would mix with this one's. A folder another process is
        writing into is refused (:class:`CaseFolderBusy`).
        """
        root = os.path.abspath(root)
        manifest_path = os.path.join(root, MANIFEST)
        if not os.path.exists(manifest_path):
            return cls.create(root, evidence_paths), None
        check_location(root, evidence_paths)
        case = cls(root)
        case.lock()
        try:
            try:
                with open(manifest_path, encoding="utf-8") as f:
                    previous = json.load(f)
            except (OSError, ValueError) as exc:
                raise CaseFolderError(
                    f"{escape_path(root)} holds a manifest.json that cannot be read ({exc}); choose a new folder"
                ) from exc
            before = previous.get("identity") if isinstance(previous, dict) else None
            if before != identity:
                keys = set(identity) | set(before or {})
                diff = sorted(k for k in keys if (before or {}).get(k) != identity.get(k))
                raise CaseFolderError(
                    f"{escape_path(root)} already holds a case of another scan (different "
                    f"{', '.join(diff) or 'format'}): a second scan must not mix with the first; choose a new case "
                    "folder (the same command resumes an interrupted scan)"
                )
            case.leftovers = remove_leftovers(root)
            makedirs_durable(case.path(TIMELINES))
        except BaseException:
            case.close()
            raise
        return case, previous

    # -- whole files, written atomically
    def write_manifest(self, manifest: dict[str, Any]) -> str:
        """Write manifest.json; returns its SHA-256 (the anchor an examiner writes down)."""
        data = manifest_bytes(manifest)
        write_atomic(self.path(MANIFEST), data)
        return hashlib.sha256(data).hexdigest()

    def manifest_sha256(self) -> str:
        return sha256_path(self.path(MANIFEST))

    def write_evidence(self, items: list[EvidenceItem]) -> None:
        write_atomic(self.path(EVIDENCE), _csv_bytes(EVIDENCE_COLUMNS, (i.to_row() for i in items)))

    def write_segments(self, segments: Iterable[Segment]) -> None:
        """segments.csv whole, in the order given (the end of a scan: every file's segments)."""
        write_atomic(self.path(SEGMENTS), _csv_bytes(SEGMENT_COLUMNS, (s.to_row() for s in segments)))

    def read_evidence(self) -> list[EvidenceItem]:
        """evidence.csv as records ([] when there is none yet)."""
        if not os.path.isfile(self.path(EVIDENCE)):
            return []
        with open(self.path(EVIDENCE), newline="", encoding="utf-8") as f:
            rows = enumerate(csv.DictReader(f), 2)
            return [EvidenceItem.from_row(row, [], f"{EVIDENCE} line {n}") for n, row in rows]

    def write_timeline(self, sha256: str, timeline: Timeline) -> str:
        """Per-frame clock table of one file; returns its path relative to the case folder."""
        rel = os.path.join(TIMELINES, f"{sha256}.csv.gz")
        seconds = timeline.seconds_array()
        buf = io.StringIO()
        buf.write(f"# time_base={timeline.time_base.numerator}/{timeline.time_base.denominator}\n")
        buf.write("frame,pts,pts_s,s\n")
        tb = float(timeline.time_base)
        for i, pts in enumerate(timeline.pts.tolist()):
            buf.write(f"{i},{pts},{pts * tb:.6f},{seconds[i]:.6f}\n")
        buf.write(f"end,{timeline.end_pts},{timeline.end_pts * tb:.6f},{seconds[-1]:.6f}\n")
        # mtime=0: the same timeline always gives the same bytes
        write_atomic(self.path(rel), gzip.compress(buf.getvalue().encode(), mtime=0))
        return rel

    # -- appended as work goes on
    def append_segments(self, segments: list[Segment]) -> None:
        if not segments:
            return
        append_durable(self.path(SEGMENTS), _csv_bytes(SEGMENT_COLUMNS, (s.to_row() for s in segments), header=False))

    def record_problem(self, problem: Problem) -> None:
        """Append one line to problems.jsonl, durably, as it happens (names escaped: one line each)."""
        if problem.time_utc is None:
            problem.time_utc = utc_now()
        line = json.dumps(problem.to_dict(), ensure_ascii=False) + "\n"
        append_durable(self.path(PROBLEMS), line.encode("utf-8"))

    def output_hashes(self) -> dict[str, str]:
        """SHA-256 of every file in the case folder but the manifest, by relative path."""
        out = {}
        for dirpath, _dirs, files in os.walk(self.root):
            for name in sorted(files):
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, self.root)
                if rel != MANIFEST and not name.startswith(TMP_PREFIX):
                    out[rel] = sha256_path(full)
        return dict(sorted(out.items()))


def _no_surrogates(v: Any) -> Any:
    """Bytes that were not UTF-8 (surrogate escapes) shown as ``\\xNN``: JSON escapes controls itself."""
    if isinstance(v, str):
        if v.isascii():
            return v
        return "".join(f"\\x{ord(c) - 0xDC00:02x}" if 0xDC80 <= ord(c) <= 0xDCFF else c for c in v)
    if isinstance(v, dict):
        return {_no_surrogates(k): _no_surrogates(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_no_surrogates(x) for x in v]
    return v


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The one serialisation of manifest.json (UTF-8; paths in it are escaped by the scan, and any
    byte that is not UTF-8 left elsewhere is shown as ``\\xNN`` rather than failing)."""
    return (json.dumps(_no_surrogates(manifest), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
