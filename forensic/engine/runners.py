"""Runners execute the two kinds of parallel work of a scan: scene detection of file chunks and
the features + model of segments. The in-process runner does them one after another; the Ray
runner (forensic.engine.ray_engine) spreads them over a cluster. Both run the very same
functions (forensic.segments.chunks.detect_chunk, forensic.engine.work.SegmentWorker.process)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from forensic.config import SegmentConfig
from forensic.engine.work import SegmentOutcome, SegmentTask, SegmentWorker, WorkerSettings
from forensic.engine.work import describe_error, failed_outcome, format_traceback
from forensic.segments.chunks import Chunk, ChunkResult, detect_chunk

MAX_ATTEMPTS = 3  # a segment that raises (or whose worker dies) is tried this many times, then failed


class Runner(Protocol):
    name: str

    def cluster(self) -> dict[str, Any]: ...

    def detect_chunks(self, chunks: list[Chunk], config: SegmentConfig) -> Iterator[ChunkResult]: ...

    def process_segments(self, tasks: Iterable[SegmentTask], on_error=None) -> Iterator[SegmentOutcome]: ...

    def close(self) -> None: ...


class LocalRunner:
    """Everything in this process, in order: for debugging, tests, and machines without Ray."""

    name = "local"

    def __init__(self, settings: WorkerSettings, max_attempts: int = MAX_ATTEMPTS):
        self.settings = settings
        self.max_attempts = max_attempts
        self._worker: SegmentWorker | None = None

    def cluster(self) -> dict[str, Any]:
        import os

        return {"engine": "local", "nodes": 1, "cpus": float(os.cpu_count() or 1), "gpus": 0.0, "workers": 1}

    def detect_chunks(self, chunks: list[Chunk], config: SegmentConfig) -> Iterator[ChunkResult]:
        for chunk in chunks:
            yield detect_chunk(chunk, config)

    def process_segments(self, tasks: Iterable[SegmentTask], on_error=None) -> Iterator[SegmentOutcome]:
        if self._worker is None:
            self._worker = SegmentWorker(self.settings)
        w = self._worker
        for task in tasks:
            for attempt in range(1, self.max_attempts + 1):
                try:
                    outcome = w.process(task)
                    if attempt > 1:
                        import dataclasses

                        outcome.finding = dataclasses.replace(outcome.finding, attempts=attempt)
                    yield outcome
                    break
                except Exception as exc:  # noqa: BLE001 - recorded, retried, then failed
                    if on_error:
                        on_error(task, attempt, format_traceback(exc))
                    if attempt == self.max_attempts:
                        yield failed_outcome(task, self.settings, describe_error(exc), attempt)

    def close(self) -> None:
        self._worker = None
