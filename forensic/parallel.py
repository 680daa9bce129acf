"""Batch work outside a scan (rendering generated clips, extracting training features) on the
project's engines. A leaf module: the stages that need batch work (``forensic.synth``,
``forensic.model``) take a :class:`Batch` and never import the engine; the command line picks the
engine: :class:`LocalBatch` (this machine: in this process or in spawned processes) or the Ray one
(``forensic.engine.batch.RayBatch``: a private local Ray or a cluster). Both run the very same
functions and give the same results, in the order of the items.

A task that raises gives a :class:`TaskFailed` with the reason, in its place; the others go on.
A spawned process that dies (killed, out of memory) takes the items it was running with it: those
are tried again, one at a time in a fresh process, and recorded as failed after ``max_attempts``.
With ``bound_s``, a task in a spawned process that does not answer within that many seconds (a
decoder that blocks, a deadlock) has its pool's processes killed: it is tried again alone and after
the last attempt recorded as failed with that reason; the items that were running beside it are
started again without losing an attempt. Work in this process (``jobs`` 1, not ``isolate``) cannot
be bounded.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol

MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class TaskFailed:
    """What a batch gives in place of the result of an item that failed on every attempt."""

    reason: str


class Batch(Protocol):
    engine: str
    workers: int  # how many items run at once: callers size their shards by it
    bounded: bool  # whether a task that does not answer in time is stopped: callers keep tasks short then

    def map(self, fn: Callable[..., Any], items: Sequence[Any], *args: Any) -> Iterator[Any]:
        """``fn(item, *args)`` for every item; results (or :class:`TaskFailed`) in item order.
        ``fn`` must be a module-level function; ``args`` are sent once per process."""
        ...

    def close(self) -> None: ...


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def call_safely(fn: Callable[..., Any], item: Any, args: tuple) -> Any:
    """``fn(item, *args)``, or :class:`TaskFailed` with the exception and where it was raised."""
    try:
        return fn(item, *args)
    except Exception as exc:  # noqa: BLE001 - one bad item must not stop the others
        where = traceback.extract_tb(exc.__traceback__)[-1:]
        at = f" (at {os.path.basename(where[0].filename)}:{where[0].lineno})" if where else ""
        return TaskFailed(describe(exc) + at)


_ARGS: tuple = ()  # the batch's shared arguments, set once in each spawned process


def _init(args: tuple) -> None:
    global _ARGS
    _ARGS = args


def _run(fn: Callable[..., Any], item: Any) -> Any:
    return call_safely(fn, item, _ARGS)


class LocalBatch:
    """This machine. ``jobs`` == 1 and not ``isolate``: in this process, one item after another.
    Otherwise in ``jobs`` spawned processes (spawn: no fork of a process holding TensorFlow's
    threads; ``isolate`` keeps a library that changes process-wide state, PixelLib, out of this one)."""

    engine = "local"

    def __init__(
        self, jobs: int = 1, isolate: bool = False, max_attempts: int = MAX_ATTEMPTS, bound_s: float | None = None
    ):
        if jobs < 1:
            raise ValueError("jobs must be at least 1")
        if bound_s is not None and bound_s <= 0:
            raise ValueError("bound_s must be positive (or None: no bound)")
        self.workers = int(jobs)
        self.isolate = isolate
        self.max_attempts = max(1, max_attempts)
        self.bound_s = bound_s

    @property
    def bounded(self) -> bool:
        return self.bound_s is not None and (self.workers > 1 or self.isolate)

    def map(self, fn: Callable[..., Any], items: Sequence[Any], *args: Any) -> Iterator[Any]:
        items = list(items)
        if self.workers == 1 and not self.isolate:
            for item in items:
                yield call_safely(fn, item, args)
            return
        yield from self._spawned(fn, items, args)

    def _spawned(self, fn: Callable[..., Any], items: list, args: tuple) -> Iterator[Any]:
        order = InOrder()
        results = order.results  # filled by _pool_pass
        attempts = [0] * len(items)
        why: dict[int, str] = {}  # what ended an item's last attempt (its process died, or it timed out)
        todo, alone = list(range(len(items))), []
        while todo:  # a process that dies breaks the pool: what had not started goes on in a new one
            lost, todo = self._pool_pass(fn, items, args, todo, min(self.workers, len(todo)), results, attempts, why)
            alone.extend(lost)
            yield from order.ready()
        while alone:  # what was running when a process died: each alone, so that one item cannot fail another
            i = alone.pop(0)
            lost, _ = self._pool_pass(fn, items, args, [i], 1, results, attempts, why)
            if lost and attempts[i] >= self.max_attempts:
                results[i] = TaskFailed(why[i].format(n=attempts[i]))
            elif lost:
                alone.insert(0, i)
            yield from order.ready()

    def _pool_pass(self, fn, items, args, todo, jobs, results, attempts, why) -> tuple[list[int], list[int]]:
        """Run ``todo`` in a pool of ``jobs`` processes, at most ``jobs`` in flight, storing the
        results. If a process dies or a task outlives ``bound_s``: ``(the items to try again alone,
        the items to start again)``; ``why`` says what ended the first ones."""
        ctx = multiprocessing.get_context("spawn")
        queue = list(todo)
        running: dict[Any, tuple[int, float]] = {}  # future -> (item index, deadline)
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init, initargs=(args,)) as pool:
            while queue or running:
                while queue and len(running) < jobs:
                    i = queue.pop(0)
                    attempts[i] += 1
                    deadline = time.monotonic() + self.bound_s if self.bound_s else math.inf
                    running[pool.submit(_run, fn, items[i])] = (i, deadline)
                first = min(d for _, d in running.values())
                timeout = None if first == math.inf else max(0.05, first - time.monotonic())
                done, _ = wait(list(running), timeout=timeout, return_when=FIRST_COMPLETED)
                for fut in done:
                    i = running.pop(fut)[0]
                    try:
                        results[i] = fut.result()
                    except BrokenProcessPool:
                        lost = sorted([i, *(j for j, _ in running.values())])  # all in flight went down
                        why.update(
                            (j, "the worker process died on each of {n} attempt(s) (killed, or out of memory)")
                            for j in lost
                        )
                        return lost, queue
                    except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled
                        results[i] = TaskFailed(describe(exc))
                now = time.monotonic()
                late = sorted(i for i, d in running.values() if d <= now)
                if late:
                    why.update((i, f"no answer within {self.bound_s:g} s on each of {{n}} attempt(s)") for i in late)
                    beside = sorted(i for i, _ in running.values() if i not in late)
                    for i in beside:  # killed for another's sake: started again, the attempt not counted
                        attempts[i] -= 1
                    _kill(pool)
                    return late, beside + queue
        return [], []

    def close(self) -> None:
        pass


class InOrder:
    """Results handed on in the order of their items, each as soon as every one before it is known."""

    def __init__(self) -> None:
        self.results: dict[int, Any] = {}
        self.next = 0

    def ready(self) -> Iterator[Any]:
        while self.next in self.results:
            yield self.results.pop(self.next)
            self.next += 1


def _kill(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's worker processes: a task that does not answer cannot be cancelled otherwise."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            proc.kill()
        except (OSError, ValueError):  # already gone, or closed
            pass
