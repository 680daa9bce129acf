"""The scan's stage loops, driven by :mod:`forensic.engine.scan`: intake (hash, then probe), segments
(by chunks on the runner, cached in the case folder) and the presence gate in one stream of jobs
(a file's gate tasks start as soon as it is cut), features and model (on the runner's workers),
re-hashing at the end. Each writes what it finishes to the case folder as it
goes and records every problem in problems.jsonl when it becomes known.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from forensic import intake
from forensic.config import ScanConfig
from forensic.engine.gate import gate_finding, plan_gate
from forensic.engine.progress import Progress
from forensic.engine.runners import CHUNK, GATE, Job, failed_chunk
from forensic.engine.work import SegmentOutcome, SegmentTask, WorkerSettings, features_dir_for
from forensic.fsutil import write_atomic
from forensic.records import (
    SHORT_SHOT,
    EvidenceItem,
    EvidenceStatus,
    Finding,
    FindingStatus,
    Problem,
    Segment,
    Severity,
    escape_path,
)
from forensic.segments import finish_file, plan_file
from forensic.store.case import CaseFolder
from forensic.store.features import write_bundle
from forensic.store.findings import FindingsWriter, resume_key

# -- intake -----------------------------------------------------------------------------------


def intake_all(
    items: list[EvidenceItem], progress: Progress, case: CaseFolder | None = None, seen: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Hash everything, then probe each distinct file once; returns the probes by path. Each
    item's problems go to problems.jsonl as soon as they are known."""
    probes: dict[str, Any] = {}
    total = len(items)
    progress.stage("hash", total)
    for n, item in enumerate(items, 1):
        progress(f"[{n}/{total}] hashing {escape_path(item.path)}")
        intake.hash_item(item)
        progress.advance("hash")
    progress.end_stage("hash")
    intake.mark_duplicates(items)
    for item, info in _probe_all(items):
        if info is not None:
            probes[item.path] = info
        if case is not None:
            record_item_problems(item, case, seen)
    return probes


PROBE_THREADS = 4  # ffprobe runs (a process each, ~80 ms of mostly start-up) at once


def _probe_all(items: list[EvidenceItem]) -> Iterator[tuple[EvidenceItem, Any]]:
    """``(item, probe or None)`` for every item in order; the distinct pending ones are probed
    ``PROBE_THREADS`` at a time (each item is only touched by its own probe), so an archive of many
    short files does not wait for one ffprobe after another. Hashing stays sequential: one read
    stream at a time is what a disk (or a write blocker) serves best, and Ctrl-C stops it at once."""
    from concurrent.futures import ThreadPoolExecutor

    todo = [i for i in items if i.duplicate_of is None and i.status == EvidenceStatus.PENDING]
    if len(todo) <= 1:
        done = {id(i): intake.probe_item(i) for i in todo}
    else:
        with ThreadPoolExecutor(PROBE_THREADS, thread_name_prefix="probe") as pool:
            done = dict(zip((id(i) for i in todo), pool.map(intake.probe_item, todo)))
    for item in items:
        yield item, done.get(id(item))


# -- segments ---------------------------------------------------------------------------------


def _segment_cache(case: CaseFolder, sha256: str) -> str:
    return case.path(os.path.join("segments", f"{sha256}.json"))


_CACHED_FIELDS = (
    "status",
    "reason",
    "time_base",
    "avg_fps",
    "variable_frame_rate",
    "frame_interval_min_s",
    "frame_interval_max_s",
    "frame_count",
    "duration_s",
    "start_pts",
    "start_pts_s",
    "decode_errors",
    "segment_count",
)


def cut_and_gate(
    run: Analysis, config: ScanConfig, seen: dict[str, Any] | None = None, timings: dict[str, float] | None = None
) -> int:
    """Segment every pending footage file — from the case folder's cache when an earlier session of
    this scan did it, else by chunks on the runner — and, with the presence gate on, gate its
    segments not done yet, in one stream of jobs: as soon as a file's last chunk is cut, its gate
    tasks go in ahead of the chunks still waiting, so one file's segments are checked while the
    next file is cut. Returns the number of segments. ``timings`` gets ``segments`` (seconds until
    the last file was cut) and ``gate`` (the rest)."""
    case, progress = run.case, run.progress
    t0 = time.monotonic()
    feed: deque[Job] = deque()
    gate = _Gate(run) if config.presence_gate else None
    todo: dict[str, tuple[EvidenceItem, list, float | None, int]] = {}
    count = 0
    for item in run.items:
        info = run.probes.get(item.path)
        if info is None or item.status != EvidenceStatus.PENDING:
            continue
        cached = _segment_cache(case, item.sha256)
        if os.path.isfile(cached):
            with open(cached, encoding="utf-8") as f:
                data = json.load(f)
            for name in _CACHED_FIELDS:
                setattr(item, name, data["item"][name])
            item.status = EvidenceStatus(data["item"]["status"])
            item.warnings += [w for w in data["item"]["warnings"] if w not in item.warnings]
            count += len(data["segments"])
            if gate is not None:
                feed.extend(gate.plan(item, [Segment.from_dict(d) for d in data["segments"]]))
            continue
        expected = info.stream_duration_s or info.duration_s
        file_chunks = plan_file(item, config.segments, info.avg_fps or info.nominal_fps, info.stream_index, expected)
        todo[item.sha256] = (item, [], expected, len(file_chunks))
        feed.extend(Job(CHUNK, (c, config.segments)) for c in file_chunks)
    chunks_left = sum(n for *_, n in todo.values())
    if chunks_left:
        progress(f"segmenting {len(todo)} file(s) in {chunks_left} chunk(s)")
        progress.stage("chunks", chunks_left)
    cut_s = 0.0
    for job, value, failure in run.runner.run_jobs(feed):
        if job.kind != CHUNK:
            gate.done(job.payload, value, failure)
            continue
        result = value if failure is None else failed_chunk(job.payload[0], failure)
        item, got, expected, need = todo[result.chunk.sha256]
        got.append(result)
        progress.advance("chunks", footage_s=len(result.pts) / float(result.chunk.fps or 25))
        chunks_left -= 1
        if len(got) == need:
            segments = _finish_cut(case, item, config, got, expected, seen)
            count += len(segments)
            progress(f"segmented {escape_path(item.path)}: {len(segments)} segment(s), {item.status}")
            if gate is not None:  # ahead of the chunks still waiting: this file is checked while the next is cut
                feed.extendleft(reversed(gate.plan(item, segments)))
        if chunks_left == 0:
            progress.end_stage("chunks")
            cut_s = time.monotonic() - t0
    if gate is not None:
        gate.close()
    if timings is not None:
        timings["segments"] = round(cut_s, 3)
        timings["gate"] = round(time.monotonic() - t0 - cut_s, 3)
    return count


def _finish_cut(
    case: CaseFolder, item: EvidenceItem, config: ScanConfig, got: list, expected: float | None, seen
) -> list[Segment]:
    """A file whose chunks are all in: its segments, timeline and segment cache written, its
    problems recorded. Returns its segments (as the cache holds them)."""
    seg = finish_file(item, config.segments, got, expected)
    if seg.timeline is not None:
        case.write_timeline(item.sha256, seg.timeline)
    cache = {
        "item": {
            **{name: getattr(item, name) for name in _CACHED_FIELDS},
            "status": str(item.status),
            "warnings": item.warnings,
        },
        "detector": seg.detector,
        "cuts": seg.cuts,
        "segments": [s.to_dict() for s in seg.segments],
    }
    os.makedirs(os.path.dirname(_segment_cache(case, item.sha256)), exist_ok=True)
    write_atomic(_segment_cache(case, item.sha256), json.dumps(cache).encode())
    record_item_problems(item, case, seen)
    return list(seg.segments)


def load_segments(case: CaseFolder, item: EvidenceItem) -> list[Segment]:
    path = _segment_cache(case, item.sha256)
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return [Segment.from_dict(d) for d in data["segments"]]


def write_segments_csv(case: CaseFolder, items: list[EvidenceItem]) -> None:
    case.write_segments(
        seg for item in items if item.duplicate_of is None and item.sha256 for seg in load_segments(case, item)
    )


# -- features and model -----------------------------------------------------------------------


def _pending(
    items: list[EvidenceItem], case: CaseFolder, done: set[str], settings: WorkerSettings
) -> Iterator[tuple[EvidenceItem, list[Segment]]]:
    """Each analysable file (not a duplicate, decoded in whole or in part) with its segments that
    this scan has not finished (``done``: the findings' resume keys), one file at a time."""
    for item in items:
        if item.duplicate_of is not None or item.status not in (EvidenceStatus.ANALYSED, EvidenceStatus.PARTIAL):
            continue
        key = settings.model_sha256, settings.config_sha256
        yield item, [s for s in load_segments(case, item) if resume_key(s.key, *key) not in done]


def _stream(probes: dict[str, Any], item: EvidenceItem) -> int | None:
    info = probes.get(item.path)
    return info.stream_index if info is not None else None


@dataclass(frozen=True)
class Analysis:
    """What the gate and the features-and-model stage of one scan share: the evidence items and
    their probes, the case folder, the runner, the findings writer, the workers' settings, and
    where progress goes."""

    items: list[EvidenceItem]
    probes: dict[str, Any]
    case: CaseFolder
    runner: Any
    writer: FindingsWriter
    settings: WorkerSettings
    progress: Progress


def analyse_segments(run: Analysis) -> None:
    """Features and model (the runner's workers) for every segment not done yet, each stored as it
    arrives; a segment attempt that fails is a problem line, its last failure a failed finding."""
    case, writer, settings, progress = run.case, run.writer, run.settings, run.progress
    done = writer.done_keys()
    total = sum(len(segs) for _item, segs in _pending(run.items, case, done, settings))
    progress.start_segments(total)
    if total == 0:
        return

    def tasks() -> Iterator[SegmentTask]:  # one file's segments in memory at a time
        for item, segs in _pending(run.items, case, done, settings):
            for seg in segs:
                if SHORT_SHOT in seg.flags:  # never classified: finished here, no worker loads its models for it
                    writer.add(Finding.from_segment(seg, FindingStatus.SHORT_SHOT, **settings.stamp()))
                    progress.segment_done(seg.duration_s, str(FindingStatus.SHORT_SHOT))
                    continue
                yield SegmentTask(seg, _stream(run.probes, item), item.rotation or 0, features_dir_for(seg))

    def on_error(task: SegmentTask, attempt: int, text: str) -> None:
        case.record_problem(
            Problem(
                Severity.WARNING,
                "segment",
                f"segment {task.segment.index} attempt {attempt} failed: {text}",
                task.segment.path,
                task.segment.sha256,
            )
        )

    for outcome in run.runner.process_segments(tasks(), on_error=on_error):
        store_outcome(case, writer, outcome)
        progress.segment_done(outcome.task.segment.duration_s, str(outcome.finding.status))
    writer.flush()


class _Gate:
    """The presence gate (forensic.engine.gate) of one scan, file by file: :meth:`plan` gives a
    file's gate jobs (its segments not done yet), :meth:`done` takes each job's verdicts — the
    segments it stops are finished with a compact ``insufficient_subjects`` finding, the rest go on
    to the workers — and when a file's jobs are all in, its verdicts go to
    ``segments/<sha256>.gate.json`` (the reason and counts per segment). The compact findings are
    stored as the findings writer stores any (every 25 rows or 5 s, and at the end): a scan stopped
    between a file's gate.json and its findings gates those segments again when resumed, and their
    new verdicts replace the old ones in gate.json."""

    def __init__(self, run: Analysis):
        self.run = run
        self.done_keys = run.writer.done_keys()
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.left: dict[str, int] = {}  # gate jobs not back yet, per file
        self.stopped = self.passed = self.planned = 0

    def plan(self, item: EvidenceItem, segments: list[Segment]) -> list[Job]:
        """The gate jobs of ``item``, whose ``segments`` were just cut or read from the cache."""
        if item.duplicate_of is not None or item.status not in (EvidenceStatus.ANALYSED, EvidenceStatus.PARTIAL):
            return []
        key = self.run.settings.model_sha256, self.run.settings.config_sha256
        segs = [s for s in segments if resume_key(s.key, *key) not in self.done_keys]
        tasks = plan_gate(segs, _stream(self.run.probes, item), item.rotation or 0)
        if tasks:
            if not self.planned:
                self.run.progress("presence gate: each file's segments are checked as soon as it is cut")
            self.planned += len(tasks)
            self.left[item.sha256] = self.left.get(item.sha256, 0) + len(tasks)
            self.run.progress.grow("gate", len(tasks))
        return [Job(GATE, t) for t in tasks]

    def done(self, task, verdicts: list | None, error: str | None) -> None:
        case, writer = self.run.case, self.run.writer
        rows = self.rows.setdefault(task.sha256, [])
        if verdicts is None:  # nothing is dropped on an error: these segments take the full path
            case.record_problem(
                Problem(Severity.WARNING, "gate", f"{error}; its segments take the full path", task.path, task.sha256)
            )
            self.passed += len(task.segments)
            rows += [{"index": seg.index, "key": seg.key, "error": error} for seg in task.segments]
        else:
            for seg, verdict in zip(task.segments, verdicts):
                rows.append({"index": seg.index, "key": seg.key, **verdict.to_dict()})
                if verdict.passed:
                    self.passed += 1
                    continue
                self.stopped += 1
                writer.add(gate_finding(seg, verdict, self.run.settings))
        self.run.progress.advance("gate", footage_s=task.footage_s)
        self.left[task.sha256] -= 1
        if self.left[task.sha256] == 0:
            self._write(task.sha256, self.rows.pop(task.sha256))

    def _write(self, sha: str, rows: list[dict[str, Any]]) -> None:
        path = self.run.case.path(os.path.join("segments", f"{sha}.gate.json"))
        if os.path.isfile(path):  # a resumed scan: keep the verdicts of the earlier session
            with open(path, encoding="utf-8") as f:
                fresh = {r["index"] for r in rows}
                rows = [r for r in json.load(f) if r["index"] not in fresh] + rows
        write_atomic(path, json.dumps(sorted(rows, key=lambda r: r["index"])).encode())

    def close(self) -> None:
        self.run.writer.flush()
        if self.stopped + self.passed:
            self.run.progress.end_stage("gate")
            self.run.progress(
                f"presence gate: {self.stopped} segment(s) finished as insufficient_subjects, {self.passed} go on "
                f"({self.planned} task(s))"
            )


def store_outcome(case: CaseFolder, writer: FindingsWriter, outcome: SegmentOutcome) -> None:
    if outcome.bundle is not None:
        write_bundle(case.path(outcome.task.features_dir), outcome.bundle)  # features before the row
    if outcome.finding.status == FindingStatus.FAILED:
        case.record_problem(
            Problem(
                Severity.ERROR,
                "segment",
                f"segment {outcome.finding.segment_index} failed after "
                f"{outcome.finding.attempts} attempt(s): {outcome.finding.error}",
                outcome.finding.path,
                outcome.finding.sha256,
            )
        )
    writer.add(outcome.finding)


def record_item_problems(item: EvidenceItem, case: CaseFolder, seen: dict[str, Any] | None = None) -> None:
    """Record the item's outcome and warnings in problems.jsonl; with ``seen``, only what is new
    since the last call (so each problem is written once, when it becomes known)."""
    fresh: dict[str, Any] = {"status": None, "warnings": 0}
    state = seen.setdefault(item.path, fresh) if seen is not None else fresh
    outcome = (str(item.status), item.reason)
    if outcome != state["status"] and item.status != EvidenceStatus.PENDING:
        state["status"] = outcome
        if item.status in (EvidenceStatus.FAILED, EvidenceStatus.PARTIAL):
            msg = f"{item.status}: {item.reason}"
            case.record_problem(Problem(Severity.ERROR, "intake", msg, item.path, item.sha256))
        elif item.status == EvidenceStatus.SKIPPED:
            case.record_problem(Problem(Severity.INFO, "intake", f"skipped: {item.reason}", item.path, item.sha256))
    for warning in item.warnings[state["warnings"] :]:
        if not warning.startswith("EVIDENCE CHANGED BETWEEN SESSIONS"):  # recorded (critical) when found
            case.record_problem(Problem(Severity.WARNING, "intake", warning, item.path, item.sha256))
    state["warnings"] = len(item.warnings)


def rehash_all(items: list[EvidenceItem], case: CaseFolder, progress: Progress) -> None:
    progress(f"re-hashing {sum(i.sha256 is not None for i in items)} file(s)")
    for item, matches in intake.rehash_all(items):
        progress(f"re-hashed {escape_path(item.path)}")
        if not matches:
            msg = (
                f"EVIDENCE CHANGED OR UNREADABLE DURING THE SCAN: SHA-256 was {item.sha256}, "
                f"now {item.sha256_after or 'unreadable'}"
            )
            case.record_problem(Problem(Severity.CRITICAL, "hash", msg, item.path, item.sha256))
            print(f"forensic: {escape_path(item.path)}: {msg}", file=sys.stderr)
