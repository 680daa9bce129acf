"""The Ray engine: plain jobs (scene detection of file chunks, presence-gate tasks) as Ray tasks,
one per CPU in flight; features + model of segments in a pool of Ray actors that load their models
once.

By default a local Ray sized to the machine is started; with ``address`` (or ``RAY_ADDRESS``) an
existing cluster is joined, whose nodes must see the footage at the same paths (shared storage)
and have forensic installed. Results come back to the driver, which alone writes the case folder.

A segment whose worker raises or dies is tried again, at most ``max_attempts`` times in all, then
recorded as failed; a dead actor is restarted by Ray (reloading its models) and gets new work.
Every wait is bounded (:mod:`forensic.engine.timeouts`): a chunk task that does not answer in time
is cancelled and tried again; a segment that does not answer in time gets its actor killed (Ray
restarts it) and is tried again; after the last attempt either is recorded as failed, with the
reason, and the scan goes on.

Token authentication (Ray 2.60): the private local Ray of a scan gets an ephemeral token of its
own, held in this process's environment and passed to the Ray processes it starts; nothing is read
from or written to ``~/.ray``. To join a cluster (``--address`` / ``RAY_ADDRESS``) that uses token
authentication, supply that cluster's token the way Ray reads it: ``RAY_AUTH_TOKEN=<token>`` or
``RAY_AUTH_TOKEN_PATH=<file>`` (else Ray reads ``~/.ray/auth_token``), with ``RAY_AUTH_MODE=token``.
A cluster that cannot be joined, or refuses the token, is a usage error (:class:`ClusterAccessError`).
"""

from __future__ import annotations

import itertools
import os
import secrets
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from forensic.engine import signals
from forensic.engine.runners import MAX_ATTEMPTS, Job, PoolError, run_job
from forensic.engine.timeouts import Timeouts
from forensic.engine.work import SegmentOutcome, SegmentTask, SegmentWorker, WorkerSettings, failed_outcome

IN_FLIGHT_PER_WORKER = 2  # tasks queued on each actor: keeps it busy, keeps memory bounded
TOKEN_HELP = (
    "a Ray cluster with token authentication needs its token: set RAY_AUTH_MODE=token and "
    "RAY_AUTH_TOKEN=<token> or RAY_AUTH_TOKEN_PATH=<file holding it> (else Ray reads ~/.ray/auth_token)"
)
_AUTH_VARS = ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")


class ClusterAccessError(ValueError):
    """The Ray cluster of ``--address`` cannot be joined (unreachable, or it refused our token)."""


def _is_auth_error(exc: BaseException | None) -> bool:
    """Ray wraps the GCS's refusal (InvalidAuthToken) in a ConnectionError: look down the chain."""
    seen = 0
    while exc is not None and seen < 10:
        text = f"{type(exc).__name__}: {exc}".lower()
        if "authenticat" in text or "invalidauthtoken" in text or "auth_token" in text:
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


_OWNED: dict[str, Any] = {}  # set when connect() started or joined Ray; the runner takes it over


@dataclass
class Ownership:
    """What a runner or batch that took over this process's Ray connection undoes when it closes:
    Ray itself (when :func:`connect` started or joined it), the token variables it changed, and
    the signal handlers found before ``ray.init`` (which installs a SIGTERM handler of its own)."""

    owns: bool = False
    env: dict[str, str | None] = field(default_factory=dict)
    handlers: dict[int, Any] = field(default_factory=dict)


def take_ownership(handlers: bool = True) -> Ownership:
    """The connection :func:`connect` just made, taken over by the caller (once). ``handlers=False``:
    the caller puts the signal handlers back itself (a scan does, after recording how it ended, when
    Ctrl-C must still be ignored)."""
    saved = _OWNED.pop("handlers", {})
    return Ownership(bool(_OWNED.pop("owns", False)), _OWNED.pop("saved", {}), saved if handlers else {})


def release(ray: Any, own: Ownership) -> None:
    """Shut down the Ray this process owns, put back the token variables and the signal handlers."""
    try:
        if own.owns and ray.is_initialized():
            ray.shutdown()
    finally:
        _restore(own.env)  # the private cluster's token leaves with it
        signals.restore(own.handlers)
        own.owns, own.env, own.handlers = False, {}, {}


def connect(address: str | None = None) -> None:
    """Connect this process to Ray, once: the cluster at ``address`` (or ``RAY_ADDRESS``), else a
    new private local Ray with an ephemeral token. The scan calls it before it writes anything, so
    that a cluster it cannot join is a usage error. Raises ClusterAccessError."""
    import ray

    if ray.is_initialized():
        return
    address = address or os.environ.get("RAY_ADDRESS") or None
    saved = {k: os.environ.get(k) for k in _AUTH_VARS}
    handlers = signals.current()
    if not address:
        # our own cluster, our own token: never ~/.ray/auth_token (Ray would write one there)
        os.environ["RAY_AUTH_MODE"] = "token"
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
        os.environ.pop("RAY_AUTH_TOKEN_PATH", None)
    _refresh_auth()
    kwargs: dict[str, Any] = {
        "include_dashboard": False,
        "log_to_driver": False,
        "runtime_env": _env(),
        "configure_logging": False,
    }
    if not address:
        # "local": always a new Ray of our own, sized to this machine (without it, ray.init()
        # would attach to whatever cluster `ray start` last started here)
        try:
            ray.init(address="local", num_cpus=_local_cpus(), **kwargs)
        except BaseException:
            _restore(saved)
            signals.restore(handlers)
            raise
        _OWNED.update(owns=True, saved=saved, handlers=handlers)
        return
    try:
        ray.init(address=address, **kwargs)
    except Exception as exc:  # noqa: BLE001 - mapped to a usage error with the cause
        signals.restore(handlers)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        if _is_auth_error(exc):
            raise ClusterAccessError(
                f"the Ray cluster at {address} refused this scan: authentication failed ({first}); {TOKEN_HELP}"
            ) from None
        raise ClusterAccessError(f"cannot join the Ray cluster at {address}: {first}; {TOKEN_HELP}") from None
    _OWNED.update(owns=True, saved={}, handlers=handlers)


def _restore(saved: dict[str, str | None]) -> None:
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    if saved:
        _refresh_auth()


def _refresh_auth() -> None:
    """Ray reads RAY_AUTH_* once, when it is imported, and caches the token: make it read them
    again (what Ray's own token set-up does after it changes them)."""
    try:
        from ray._raylet import AuthenticationTokenLoader, Config

        Config.initialize("")
        AuthenticationTokenLoader.instance().reset_cache()
    except (ImportError, AttributeError):  # another Ray version: it reads them at ray.init
        pass


def _local_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _env() -> dict[str, Any]:
    """Worker environment: the legacy Keras switch must be set before TensorFlow loads there too;
    the engine's own settings (timeouts, decoder threads, fault injection) travel with it."""
    env = {"TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    for name in ("FORENSIC_TIMEOUT_SCALE", "FORENSIC_DECODE_THREADS", "FORENSIC_FAULT_BLOCK_DECODE"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    return {"env_vars": env}


def bounded_tasks(
    ray, submit, feed: deque, bound_of, max_attempts: int, in_flight: int
) -> Iterator[tuple[Any, Any, str | None, str | None]]:
    """``submit(item)`` (which returns the Ray task's reference) for each item of ``feed``, in order,
    at most ``in_flight`` at once; yields ``(item, result, error, timeout)`` as each ends: ``error``
    when it failed on every attempt (Ray retries a task whose worker died), ``timeout`` when it did
    not answer within ``bound_of(item)`` seconds on every attempt (a task past its deadline is
    cancelled, its worker process killed, and submitted again).

    ``in_flight`` is what the cluster can run at once (its CPUs for one-CPU tasks): a deadline
    starts when the task is submitted, so a task must not wait there behind the others for a CPU
    (an archive of hundreds of short files would otherwise time out in the queue). The caller may
    add items to ``feed`` between two results; they are submitted as slots free up."""
    pending: dict[Any, tuple[Any, int, float, float]] = {}  # ref -> (item, attempt, bound, deadline)
    retry: deque[tuple[Any, int]] = deque()
    limit = max(1, in_flight)

    def fill() -> None:
        while len(pending) < limit:
            if retry:
                item, attempt = retry.popleft()
            elif feed:
                item, attempt = feed.popleft(), 1
            else:
                return
            bound = bound_of(item)
            pending[submit(item)] = (item, attempt, bound, time.monotonic() + bound)

    fill()
    while pending:
        wait_s = max(0.05, min(d for *_, d in pending.values()) - time.monotonic())
        ready, _ = ray.wait(list(pending), num_returns=1, timeout=wait_s)
        for ref in ready:
            item, _attempt, _bound, _deadline = pending.pop(ref)
            try:
                result = ray.get(ref)
            except Exception as exc:  # noqa: BLE001 - the caller records it
                yield item, None, _error_text(exc), None
            else:
                yield item, result, None, None
        now = time.monotonic()
        for ref in [r for r, (*_, d) in pending.items() if d <= now]:
            item, attempt, bound, _deadline = pending.pop(ref)
            ray.cancel(ref, force=True)  # the worker process is killed: a blocked decoder included
            if attempt < max_attempts:
                retry.appendleft((item, attempt + 1))
            else:
                yield item, None, None, f"timed out after {bound:.0f} s, {attempt} attempt(s)"
        fill()


class RayRunner:
    name = "ray"

    def __init__(
        self,
        settings: WorkerSettings,
        address: str | None = None,
        workers: int | None = None,
        gpus_per_worker: float = 0.0,
        max_attempts: int = MAX_ATTEMPTS,
        timeouts: Timeouts | None = None,
    ):
        connect(address)
        import ray

        self._own = take_ownership(handlers=False)  # the scan puts its caller's back (signals.kept)

        self.ray = ray
        self.settings = settings
        self.max_attempts = max_attempts
        self.timeouts = timeouts or Timeouts.from_env()
        res = ray.cluster_resources()  # what Ray reports, not this machine's cpu_count()
        self.cpus = float(res.get("CPU", 1))
        self.gpus = float(res.get("GPU", 0))
        per_gpu = int(self.gpus // gpus_per_worker) if gpus_per_worker > 0 else None
        fit = max(1, int(self.cpus) if per_gpu is None else min(int(self.cpus), per_gpu))
        self.workers = max(1, min(workers, fit) if workers else fit)
        self.gpus_per_worker = gpus_per_worker
        self._actors: list[Any] = []

    def cluster(self) -> dict[str, Any]:
        nodes = [n for n in self.ray.nodes() if n.get("Alive")]
        return {
            "engine": "ray",
            "nodes": len(nodes),
            "cpus": self.cpus,
            "gpus": self.gpus,
            "workers": self.workers,
            "gpus_per_worker": self.gpus_per_worker,
            "addresses": sorted({n.get("NodeManagerAddress", "") for n in nodes}),
        }

    # -- plain tasks (chunks, presence gate): retried by Ray when a worker dies, bounded in time
    def run_jobs(self, feed: deque[Job]) -> Iterator[tuple[Job, Any, str | None]]:
        """``(job, value, None)`` for each job of ``feed`` as it ends, or ``(job, None, reason)``
        when it failed every attempt; one job per CPU Ray reports in flight, jobs added to ``feed``
        between two results submitted as CPUs free up."""
        remote = self.ray.remote(num_cpus=1, max_retries=self.max_attempts - 1, retry_exceptions=False)(run_job)
        settings = self.ray.put(self.settings)
        for job, value, error, timeout in bounded_tasks(
            self.ray,
            lambda job: remote.remote(job, settings),
            feed,
            lambda job: self.timeouts.remote_chunk(job.footage_s),
            self.max_attempts,
            in_flight=max(1, int(self.cpus)),
        ):
            if error is not None:
                yield job, None, f"{job.what} failed on every attempt: {error}"
            elif timeout is not None:
                yield job, None, f"{job.what} {timeout}"
            else:
                yield job, value, None

    # -- segments: a pool of actors that load their models once
    def _pool(self) -> list[Any]:
        if not self._actors:
            ray = self.ray
            actor = ray.remote(num_cpus=1, num_gpus=self.gpus_per_worker, max_restarts=-1, max_task_retries=0)(
                _SegmentActor
            )
            self._actors = [actor.remote(self.settings) for _ in range(self.workers)]
            self._check_pool()
        return self._actors

    def _check_pool(self) -> None:
        """Every actor loaded its models; else stop with the cause (a node without the model
        would otherwise fail every segment three times)."""
        ray = self.ray
        refs = [a.ready.remote() for a in self._actors]
        bound = self.timeouts.startup_s
        ready, waiting = ray.wait(refs, num_returns=len(refs), timeout=bound)
        errors = []
        for ref in ready:
            try:
                ray.get(ref)
            except Exception as exc:  # noqa: BLE001
                errors.append(_error_text(exc).splitlines()[-1][:500])
        if errors or waiting:
            self.close()
            cause = errors[0] if errors else f"no answer within {bound:.0f} s"
            raise PoolError(f"{len(errors) + len(waiting)} of {len(refs)} segment worker(s) could not start: {cause}")

    def process_segments(self, tasks: Iterable[SegmentTask], on_error=None) -> Iterator[SegmentOutcome]:
        ray = self.ray
        source = iter(tasks)
        first = next(source, None)
        if first is None:  # nothing for the workers: their models are not loaded at all
            return
        source = itertools.chain([first], source)
        actors = self._pool()
        retry: deque[tuple[SegmentTask, int]] = deque()
        # ref -> (task, attempt, actor index, bound, deadline)
        inflight: dict[Any, tuple[SegmentTask, int, int, float, float]] = {}
        load = [0] * len(actors)
        restarted: set[int] = set()  # actors killed after a timeout: their next task waits for a reload
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
                # queued behind another task on the actor: its bound starts when that one's would end
                bound = self.timeouts.segment(task.segment.duration_s) * (1 + load[i])
                if i in restarted:
                    bound += self.timeouts.startup_s
                inflight[actors[i].process.remote(task, attempt)] = (task, attempt, i, bound, time.monotonic() + bound)
                load[i] += 1

        def failed(task: SegmentTask, attempt: int, text: str) -> SegmentOutcome | None:
            if on_error:
                on_error(task, attempt, text)
            if attempt < self.max_attempts:
                retry.append((task, attempt + 1))
                return None
            return failed_outcome(task, self.settings, text.splitlines()[-1][:500] if text else "error", attempt)

        submit()
        while inflight:
            wait_s = max(0.05, min(v[4] for v in inflight.values()) - time.monotonic())
            ready, _ = ray.wait(list(inflight), num_returns=1, timeout=wait_s)
            for ref in ready:
                task, attempt, i, _bound, _deadline = inflight.pop(ref)
                load[i] -= 1
                restarted.discard(i)
                try:
                    outcome = ray.get(ref)
                except Exception as exc:  # noqa: BLE001 - the task raised, or its worker died
                    out = failed(task, attempt, _error_text(exc))
                    if out is not None:
                        yield out
                    continue
                yield outcome
            now = time.monotonic()
            for ref in [r for r, v in inflight.items() if v[4] <= now]:
                if ref not in inflight:
                    continue
                task, attempt, i, bound, _deadline = inflight.pop(ref)
                load[i] -= 1
                # a blocked actor does not answer a cancel: kill it (Ray restarts it, reloading its
                # models); the other task queued on it goes back to the queue at the same attempt
                self.ray.kill(actors[i], no_restart=False)
                restarted.add(i)
                for other in [r for r, v in inflight.items() if v[2] == i]:
                    t2, a2, *_ = inflight.pop(other)
                    load[i] -= 1
                    retry.appendleft((t2, a2))
                out = failed(
                    task,
                    attempt,
                    f"TimeoutError: segment {task.segment.index} did not answer within "
                    f"{bound:.0f} s; its worker was restarted",
                )
                if out is not None:
                    yield out
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
        release(self.ray, self._own)


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

    def ready(self) -> bool:
        return True


def _error_text(exc: BaseException) -> str:
    """Ray wraps the worker's exception; keep its message (first and last lines)."""
    text = str(exc).strip()
    cause = getattr(exc, "cause", None)
    if cause is not None:
        text = f"{type(cause).__name__}: {cause}"
    return text[-4000:] or type(exc).__name__
