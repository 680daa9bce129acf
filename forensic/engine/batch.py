"""Batch work outside a scan on the scan's engines (see :mod:`forensic.parallel`): the command line
opens a batch with :func:`open_batch` and hands it to ``forensic.synth`` (rendering generated
clips) and ``forensic.model`` (extracting training features), which never import the engine.

``ray``: each item is a Ray task (one CPU) on a private local Ray sized to the machine, or on the
cluster of ``address`` (whose nodes must see the same paths: shared storage); at most one task per
CPU in flight. A task whose worker dies is retried by Ray; one that does not answer within its
bound is cancelled and tried again; after the last attempt it is a ``TaskFailed`` with the reason.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from forensic.engine.timeouts import Timeouts
from forensic.parallel import MAX_ATTEMPTS, Batch, InOrder, LocalBatch, TaskFailed, call_safely

ENGINES = ("local", "ray")


def _ray_call(item: Any, fn: Callable[..., Any], *args: Any) -> Any:  # runs in a Ray worker
    return call_safely(fn, item, args)


class RayBatch:
    engine = "ray"
    bounded = True

    def __init__(self, address: str | None = None, max_attempts: int = MAX_ATTEMPTS, timeouts: Timeouts | None = None):
        from forensic.engine import ray_engine

        ray_engine.connect(address)
        import ray

        self.ray = ray
        self._own = ray_engine.take_ownership()
        self.max_attempts = max(1, max_attempts)
        self.timeouts = timeouts or Timeouts.from_env()
        self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))  # what Ray reports

    def map(self, fn: Callable[..., Any], items: Sequence[Any], *args: Any) -> Iterator[Any]:
        from forensic.engine.ray_engine import bounded_tasks

        items = list(items)
        ray = self.ray
        shared = tuple(ray.put(a) for a in args)  # sent once, not with every task
        remote = ray.remote(num_cpus=1, max_retries=self.max_attempts - 1, retry_exceptions=False)(_ray_call)
        bound = self.timeouts.batch_task()
        order = InOrder()
        feed = deque(enumerate(items))
        for (i, _item), result, error, timeout in bounded_tasks(
            ray,
            lambda pair: remote.remote(pair[1], fn, *shared),
            feed,
            lambda _pair: bound,
            self.max_attempts,
            in_flight=self.workers,
        ):
            if error is not None:
                result = TaskFailed(f"failed on every attempt: {error}")
            elif timeout is not None:
                result = TaskFailed(timeout)
            order.results[i] = result
            yield from order.ready()

    def close(self) -> None:
        from forensic.engine import ray_engine

        ray_engine.release(self.ray, self._own)


def open_batch(engine: str = "local", jobs: int = 1, address: str | None = None, isolate: bool = False) -> Batch:
    """``local``: ``jobs`` processes on this machine (1: in this process unless ``isolate``);
    ``ray``: every CPU of the Ray cluster (``jobs`` is not used). Either way a task in a process of
    its own that does not answer within :meth:`Timeouts.batch_task` is stopped, retried, then failed."""
    if engine == "local":
        return LocalBatch(jobs, isolate=isolate, bound_s=Timeouts.from_env().batch_task())
    if engine == "ray":
        return RayBatch(address)
    raise ValueError(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")
