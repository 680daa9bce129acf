"""Runners execute the parallel work of a scan: plain tasks (:class:`Job`: the scene detection of
a file chunk, a presence-gate task) and the features + model of segments. The local runner does
them one after another on this machine; the Ray runner (forensic.engine.ray_engine) spreads them
over a cluster. Both run the very same functions (:func:`run_job`,
forensic.engine.work.SegmentWorker.process).

Plain tasks come from a feed (:class:`collections.deque` of jobs) that the caller may add to while
the results come back: the scan puts a file's gate tasks in as soon as its last chunk is cut, ahead
of the chunks still waiting, so one file's segments are checked while the next file is cut.

Every wait is bounded (forensic.engine.timeouts). The local runner therefore does the work in one
child process of its own (started once, models loaded once): a chunk or segment that does not
answer in time has its child killed and started again, is tried again, and after the last attempt
is recorded as failed with the reason. A blocked call inside this process could not be cancelled.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from forensic.engine.gate import run_gate
from forensic.engine.timeouts import Timeouts, chunk_seconds
from forensic.engine.work import (
    SegmentOutcome,
    SegmentTask,
    SegmentWorker,
    WorkerSettings,
    describe_error,
    failed_outcome,
    format_traceback,
)
from forensic.segments.chunks import Chunk, ChunkResult, detect_chunk

MAX_ATTEMPTS = 3  # a segment that raises (or whose worker dies, or times out) is tried this many times, then failed


CHUNK, GATE = "chunk", "gate"


@dataclass(frozen=True)
class Job:
    """One plain task of a scan: ``chunk`` (payload ``(Chunk, SegmentConfig)``: its scene
    detection, a :class:`ChunkResult`) or ``gate`` (payload a :class:`GateTask`: its verdicts)."""

    kind: str
    payload: Any

    @property
    def footage_s(self) -> float | None:
        """What its time bound is derived from."""
        return chunk_seconds(self.payload[0]) if self.kind == CHUNK else self.payload.footage_s

    @property
    def what(self) -> str:
        return f"chunk {self.payload[0].number}" if self.kind == CHUNK else "presence gate"


def run_job(job: Job, settings: WorkerSettings) -> Any:
    """A job's work, wherever it runs (the local runner's child, a Ray task)."""
    if job.kind == CHUNK:
        return detect_chunk(*job.payload)
    if job.kind == GATE:  # the face detector only: no TensorFlow, no fusion model
        return run_gate(job.payload, settings)
    raise ValueError(f"unknown job kind {job.kind!r}")


class Runner(Protocol):
    name: str

    def cluster(self) -> dict[str, Any]: ...

    def run_jobs(self, feed: deque[Job]) -> Iterator[tuple[Job, Any, str | None]]: ...

    def process_segments(self, tasks: Iterable[SegmentTask], on_error=None) -> Iterator[SegmentOutcome]: ...

    def close(self) -> None: ...


def failed_chunk(chunk: Chunk, reason: str) -> ChunkResult:
    """A chunk that gave nothing: the file ends up partial (or failed), with the reason."""
    result = ChunkResult(chunk, [], [], None)
    result.report.exceptions.append(reason)
    result.report.stopped_by = reason
    return result


class PoolError(RuntimeError):
    """The segment workers could not start (e.g. a node without the model): the scan stops."""


class WorkerLost(RuntimeError):
    """The child process died, or was killed after a timeout."""


def _child_main(conn, settings: WorkerSettings) -> None:
    """The local runner's child: answers ("job", job), ("load", None) and ("segment", task)."""
    worker: SegmentWorker | None = None
    conn.send((True, "ready"))  # imports done: from here on, waits measure the work only
    while True:
        try:
            kind, payload = conn.recv()
        except EOFError:
            return
        try:
            if kind == "job":
                value: Any = run_job(payload, settings)
            elif kind == "load":  # the models, once (bounded by the start-up allowance)
                if worker is None:
                    worker = SegmentWorker(settings)
                value = "loaded"
            elif kind == "segment":
                if worker is None:
                    worker = SegmentWorker(settings)
                value = worker.process(payload)
            else:
                return
            conn.send((True, value))
        except Exception as exc:  # noqa: BLE001 - sent back: recorded, retried, then failed
            conn.send((False, (describe_error(exc), format_traceback(exc))))


class _Child:
    def __init__(self, settings: WorkerSettings, startup_s: float):
        ctx = multiprocessing.get_context("spawn")  # no fork of a process holding TensorFlow's threads
        self.conn, child_conn = ctx.Pipe()
        self.proc = ctx.Process(target=_child_main, args=(child_conn, settings), daemon=True, name="forensic-local")
        self.proc.start()
        child_conn.close()
        self.loaded = False
        self.call(None, None, startup_s)  # its "ready"

    def call(self, kind: str | None, payload: Any, timeout_s: float) -> tuple[bool, Any]:
        try:
            if kind is not None:
                self.conn.send((kind, payload))
            answered = self.conn.poll(timeout_s)
            if answered:
                return self.conn.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError, OSError) as exc:
            self.kill()
            raise WorkerLost(
                f"the worker process died ({type(exc).__name__}, exit code {self.proc.exitcode})"
            ) from None
        self.kill()
        raise TimeoutError(f"timed out after {timeout_s:.0f} s; the worker process was killed")

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(10)
        self.conn.close()


class LocalRunner:
    """Everything on this machine, in order, in one child process: for debugging, tests, and
    machines without Ray."""

    name = "local"

    def __init__(self, settings: WorkerSettings, max_attempts: int = MAX_ATTEMPTS, timeouts: Timeouts | None = None):
        self.settings = settings
        self.max_attempts = max_attempts
        self.timeouts = timeouts or Timeouts.from_env()
        self._child: _Child | None = None

    def cluster(self) -> dict[str, Any]:
        return {"engine": "local", "nodes": 1, "cpus": float(os.cpu_count() or 1), "gpus": 0.0, "workers": 1}

    def _call(self, kind: str, payload: Any, timeout_s: float) -> tuple[bool, Any]:
        try:
            if self._child is None or not self._child.proc.is_alive():
                self._child = _Child(self.settings, self.timeouts.startup_s)
            if kind == "segment" and not self._child.loaded:
                ok, value = self._child.call("load", None, self.timeouts.startup_s)
                if not ok:  # the models cannot be loaded: every segment would fail, stop with the cause
                    raise PoolError(f"the segment worker could not start: {value[0]}")
                self._child.loaded = True
            return self._child.call(kind, payload, timeout_s)
        except (TimeoutError, WorkerLost):
            self._child = None
            raise

    def run_jobs(self, feed: deque[Job]) -> Iterator[tuple[Job, Any, str | None]]:
        """``(job, value, None)`` for each job of ``feed`` in turn, or ``(job, None, reason)`` when it
        failed every attempt; jobs added to ``feed`` between two results are run too."""
        while feed:
            job = feed.popleft()
            bound = self.timeouts.chunk(job.footage_s)
            reasons = []
            for _attempt in range(1, self.max_attempts + 1):
                try:
                    ok, value = self._call("job", job, bound)
                except (TimeoutError, WorkerLost) as exc:
                    reasons.append(f"{type(exc).__name__}: {exc}")
                    continue
                if ok:
                    yield job, value, None
                    break
                reasons.append(value[0])
            else:
                yield job, None, f"{job.what} failed after {self.max_attempts} attempt(s): {reasons[-1]}"

    def process_segments(self, tasks: Iterable[SegmentTask], on_error=None) -> Iterator[SegmentOutcome]:
        for task in tasks:
            # the first segment also waits for the worker to load TensorFlow and its models
            bound = self.timeouts.segment(task.segment.duration_s)
            for attempt in range(1, self.max_attempts + 1):
                try:
                    ok, value = self._call("segment", task, bound)
                except (TimeoutError, WorkerLost) as exc:
                    ok, value = False, (f"{type(exc).__name__}: {exc}", f"{type(exc).__name__}: {exc}")
                if ok:
                    outcome = value
                    if attempt > 1:
                        outcome.finding = dataclasses.replace(outcome.finding, attempts=attempt)
                    yield outcome
                    break
                line, text = value
                if on_error:
                    on_error(task, attempt, text)
                if attempt == self.max_attempts:
                    yield failed_outcome(task, self.settings, line, attempt)

    def close(self) -> None:
        if self._child is not None:
            try:
                self._child.conn.send(("stop", None))
            except OSError:
                pass
            self._child.proc.join(10)
            self._child.kill()
            self._child = None
