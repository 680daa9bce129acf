"""The Ray engine: scene detection of file chunks as Ray tasks, features + model of segments in a
pool of Ray actors that load their models once.

By default a local Ray sized to the machine is started; with ``address`` (or ``RAY_ADDRESS``) an
existing cluster is joined, whose nodes must see the footage at the same paths (shared storage)
and have forensic installed. Results come back to the driver, which alone writes the case folder.

A segment whose worker raises or dies is tried again, at most ``max_attempts`` times in all, then
recorded as failed; a dead actor is restarted by Ray (reloading its models) and gets new work.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from forensic.config import SegmentConfig
from forensic.engine.runners import MAX_ATTEMPTS
from forensic.engine.work import SegmentOutcome, SegmentTask, SegmentWorker, WorkerSettings, failed_outcome
from forensic.segments.chunks import Chunk, ChunkResult, detect_chunk

IN_FLIGHT_PER_WORKER = 2  # tasks queued on each actor: keeps it busy, keeps memory bounded


def _env() -> dict[str, Any]:
    """Worker environment: the legacy Keras switch must be set before TensorFlow loads there too."""
    return {"env_vars": {"TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}}


class RayRunner:
    name = "ray"

    def __init__(self, settings: WorkerSettings, address: str | None = None, workers: int | None = None,
                 gpus_per_worker: float = 0.0, max_attempts: int = MAX_ATTEMPTS):  # fmt: skip
        import ray

        self.ray = ray
        self.settings = settings
        self.max_attempts = max_attempts
        address = address or os.environ.get("RAY_ADDRESS") or None
        self._owns = not ray.is_initialized()
        if self._owns:
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "runtime_env": _env(),
                                      "configure_logging": False}  # fmt: skip
            if address:
                ray.init(address=address, **kwargs)
            else:
                # "local": always a new Ray of our own, sized to this machine (without it, ray.init()
                # would attach to whatever cluster `ray start` last started here)
                ray.init(address="local", num_cpus=os.cpu_count() or 1, **kwargs)
        res = ray.cluster_resources()
        self.cpus = float(res.get("CPU", 1))
        self.gpus = float(res.get("GPU", 0))
        self.workers = max(1, workers or int(self.cpus))
        self.gpus_per_worker = gpus_per_worker
        self._actors: list[Any] = []

    def cluster(self) -> dict[str, Any]:
        nodes = [n for n in self.ray.nodes() if n.get("Alive")]
        return {"engine": "ray", "nodes": len(nodes), "cpus": self.cpus, "gpus": self.gpus, "workers": self.workers,
                "gpus_per_worker": self.gpus_per_worker,
                "addresses": sorted({n.get("NodeManagerAddress", "") for n in nodes})}  # fmt: skip

    # -- chunks: plain tasks, retried by Ray when a worker dies
    def detect_chunks(self, chunks: list[Chunk], config: SegmentConfig) -> Iterator[ChunkResult]:
        ray = self.ray
        remote = ray.remote(num_cpus=1, max_retries=self.max_attempts - 1, retry_exceptions=False)(detect_chunk)
        pending = {remote.remote(c, config): c for c in chunks}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                chunk = pending.pop(ref)
                try:
                    yield ray.get(ref)
                except Exception as exc:  # noqa: BLE001 - the chunk is recorded as undecodable
                    result = ChunkResult(chunk, [], [], None)
                    result.report.exceptions.append(f"chunk {chunk.number} failed on every attempt: {exc}")
                    result.report.stopped_by = f"worker failure in chunk {chunk.number}"
                    yield result

    # -- segments: a pool of actors that load their models once
    def _pool(self) -> list[Any]:
        if not self._actors:
            ray = self.ray
            actor = ray.remote(num_cpus=1, num_gpus=self.gpus_per_worker, max_restarts=-1, max_task_retries=0)(
                _SegmentActor
            )
            self._actors = [actor.remote(self.settings) for _ in range(self.workers)]
        return self._actors

    def process_segments(self, tasks: Iterable[SegmentTask], on_error=None) -> Iterator[SegmentOutcome]:
        ray = self.ray
        actors = self._pool()
        source = iter(tasks)
        retry: deque[tuple[SegmentTask, int]] = deque()
        inflight: dict[Any, tuple[SegmentTask, int, int]] = {}  # ref -> (task, attempt, actor index)
        load = [0] * len(actors)
        exhausted = False

        def submit() -> None:
            nonlocal exhausted
            while True:
                free = [i for i, n in enumerate(load) if n < IN_FLIGHT_PER_WORKER]
                if not free:
                    return
                if retry:
                    task, attempt = retry.popleft()
                elif not exhausted:
                    try:
                        task, attempt = next(source), 1
                    except StopIteration:
                        exhausted = True
                        return
                else:
                    return
                i = min(free, key=lambda k: load[k])
                inflight[actors[i].process.remote(task, attempt)] = (task, attempt, i)
                load[i] += 1

        submit()
        while inflight:
            ready, _ = ray.wait(list(inflight), num_returns=1)
            for ref in ready:
                task, attempt, i = inflight.pop(ref)
                load[i] -= 1
                try:
                    outcome = ray.get(ref)
                except Exception as exc:  # noqa: BLE001 - the task raised, or its worker died
                    text = _error_text(exc)
                    if on_error:
                        on_error(task, attempt, text)
                    if attempt < self.max_attempts:
                        retry.append((task, attempt + 1))
                    else:
                        yield failed_outcome(task, self.settings, text.splitlines()[-1][:500] if text else "error",
                                             attempt)  # fmt: skip
                    continue
                yield outcome
            submit()

    def worker_pids(self) -> list[int]:
        """Process ids of the segment actors (for tests that kill one)."""
        return self.ray.get([a.pid.remote() for a in self._pool()])

    def close(self) -> None:
        for a in self._actors:
            try:
                self.ray.kill(a)
            except Exception:  # noqa: BLE001
                pass
        self._actors = []
        if self._owns and self.ray.is_initialized():
            self.ray.shutdown()


class _SegmentActor:
    def __init__(self, settings: WorkerSettings):
        self.worker = SegmentWorker(settings)

    def process(self, task: SegmentTask, attempt: int) -> SegmentOutcome:
        import dataclasses

        outcome = self.worker.process(task)
        if attempt > 1:
            outcome.finding = dataclasses.replace(outcome.finding, attempts=attempt)
        return outcome

    def pid(self) -> int:
        return os.getpid()


def _error_text(exc: BaseException) -> str:
    """Ray wraps the worker's exception; keep its message (first and last lines)."""
    text = str(exc).strip()
    cause = getattr(exc, "cause", None)
    if cause is not None:
        text = f"{type(cause).__name__}: {cause}"
    return text[-4000:] or type(exc).__name__
