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
import gzip
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Iterable
from typing import Any

from forensic.records import EvidenceItem, Problem, Segment
from forensic.segments.decode import Timeline
from forensic.store.provenance import utc_now

MANIFEST = "manifest.json"
EVIDENCE = "evidence.csv"
SEGMENTS = "segments.csv"
PROBLEMS = "problems.jsonl"
TIMELINES = "timelines"

EVIDENCE_COLUMNS = [f.name for f in dataclasses.fields(EvidenceItem)]
SEGMENT_COLUMNS = [f.name for f in dataclasses.fields(Segment)] + ["frame_count", "duration_s", "start_tc", "end_tc"]


class CaseFolderError(Exception):
    """The case folder cannot be used (it exists already, or it lies among the evidence)."""


def _inside(child: str, parent: str) -> bool:
    child, parent = os.path.realpath(child), os.path.realpath(parent)
    return child == parent or child.startswith(parent.rstrip(os.sep) + os.sep)


def check_location(root: str, evidence_paths: Iterable[str]) -> None:
    """Refuse a case folder inside an evidence folder (or evidence inside the case folder)."""
    for given in evidence_paths:
        top = os.path.abspath(given)
        folder = top if os.path.isdir(top) else os.path.dirname(top)
        if _inside(root, folder):
            what = "evidence folder" if os.path.isdir(top) else "folder holding the evidence file"
            raise CaseFolderError(
                f"the output folder {root} is inside the {what} {folder}: nothing may be written "
                "next to the evidence; choose a folder elsewhere"
            )
        if _inside(top, root):
            raise CaseFolderError(f"the evidence {given} is inside the case folder {root}")


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # read once, at import: os.umask is process-wide and not thread-safe


def write_atomic(path: str, data: bytes) -> None:
    """Write a whole file so that a crash leaves either the old or the new file, never half."""
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def sha256_path(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _csv_bytes(columns: list[str], rows: Iterable[dict[str, Any]], header: bool = True) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, extrasaction="raise", lineterminator="\n")
    if header:
        w.writeheader()
    for row in rows:
        w.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buf.getvalue().encode("utf-8")


class CaseFolder:
    """A new case folder. Refuses a folder that already holds anything."""

    def __init__(self, root: str):
        self.root = os.path.abspath(root)

    def path(self, name: str) -> str:
        return os.path.join(self.root, name)

    @classmethod
    def create(cls, root: str, evidence_paths: Iterable[str] = ()) -> CaseFolder:
        root = os.path.abspath(root)
        check_location(root, evidence_paths)
        if os.path.exists(os.path.join(root, MANIFEST)):
            raise CaseFolderError(
                f"{root} already holds a case (manifest.json): a second scan must not destroy the first; "
                "choose a new case folder"
            )
        if os.path.isdir(root) and os.listdir(root):
            raise CaseFolderError(f"{root} is not empty: choose a new or empty case folder")
        if os.path.exists(root) and not os.path.isdir(root):
            raise CaseFolderError(f"{root} exists and is not a folder")
        os.makedirs(os.path.join(root, TIMELINES), exist_ok=True)
        case = cls(root)
        with open(case.path(SEGMENTS), "wb") as f:
            f.write(_csv_bytes(SEGMENT_COLUMNS, []))
        open(case.path(PROBLEMS), "wb").close()
        return case

    @classmethod
    def open_for_scan(cls, root: str, evidence_paths: Iterable[str], identity: dict[str, Any]
                      ) -> tuple[CaseFolder, dict[str, Any] | None]:  # fmt: skip
        """A new case folder, or the folder of the same scan to resume it.

        Returns (case, previous manifest or None). The same scan means the same inputs,
        configuration, model, segmenter and threshold (``identity``); a case folder of another
        scan is refused: its results would mix with this one's.
        """
        root = os.path.abspath(root)
        manifest_path = os.path.join(root, MANIFEST)
        if not os.path.exists(manifest_path):
            return cls.create(root, evidence_paths), None
        check_location(root, evidence_paths)
        try:
            with open(manifest_path, encoding="utf-8") as f:
                previous = json.load(f)
        except (OSError, json.JSONDecodeError) as exc:
            raise CaseFolderError(f"{root} holds a manifest.json that cannot be read ({exc}); choose a new folder") from exc
        before = previous.get("identity")
        if before != identity:
            diff = sorted(k for k in set(identity) | set(before or {}) if (before or {}).get(k) != identity.get(k))
            raise CaseFolderError(
                f"{root} already holds a case of another scan (different {', '.join(diff) or 'format'}): "
                "a second scan must not mix with the first; choose a new case folder "
                "(the same command resumes an interrupted scan)"
            )
        os.makedirs(os.path.join(root, TIMELINES), exist_ok=True)
        return cls(root), previous

    # -- whole files, written atomically
    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_atomic(self.path(MANIFEST), (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode())

    def write_evidence(self, items: list[EvidenceItem]) -> None:
        write_atomic(self.path(EVIDENCE), _csv_bytes(EVIDENCE_COLUMNS, (i.to_row() for i in items)))

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
        with open(self.path(SEGMENTS), "ab") as f:
            f.write(_csv_bytes(SEGMENT_COLUMNS, (s.to_row() for s in segments), header=False))
            f.flush()
            os.fsync(f.fileno())

    def record_problem(self, problem: Problem) -> None:
        if problem.time_utc is None:
            problem.time_utc = utc_now()
        line = json.dumps(problem.to_dict(), ensure_ascii=False) + "\n"
        with open(self.path(PROBLEMS), "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()

    def output_hashes(self) -> dict[str, str]:
        """SHA-256 of every file in the case folder but the manifest, by relative path."""
        out = {}
        for dirpath, _dirs, files in os.walk(self.root):
            for name in sorted(files):
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, self.root)
                if rel != MANIFEST and not name.startswith(".tmp-"):
                    out[rel] = sha256_path(full)
        return dict(sorted(out.items()))
