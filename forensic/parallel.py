"""Batch work outside a scan (rendering generated clips, extracting training features) on the
project's engines. A leaf module: the stages that need batch work (``forensic.synth``,
``forensic.model``) take a :class:`Batch` and never import the engine; the command line picks the
engine: :class:`LocalBatch` (this machine: in this process or in spawned processes) or the Ray one
(``forensic.engine.batch.RayBatch``: a private local Ray or a cluster). Both run the very same
functions and give the same results, in the order of the items.

A task that raises gives a :class:`TaskFailed` with the reason, in its place; the others go on.
A spawned process that dies (killed, out of memory) takes the items it was running with it: those
are tried again, one at a time in a fresh process, and recorded as failed after ``max_attempts``.
"""

from __future__ import annotations

import multiprocessing
import os
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

    def __init__(self, jobs: int = 1, isolate: bool = False, max_attempts: int = MAX_ATTEMPTS):
        if jobs < 1:
            raise ValueError("jobs must be at least 1")
        self.workers = int(jobs)
        self.isolate = isolate
        self.max_attempts = max(1, max_attempts)

    def map(self, fn: Callable[..., Any], items: Sequence[Any], *args: Any) -> Iterator[Any]:
        items = list(items)
        if self.workers == 1 and not self.isolate:
            for item in items:
                yield call_safely(fn, item, args)
            return
        yield from self._spawned(fn, items, args)

    def _spawned(self, fn: Callable[..., Any], items: list, args: tuple) -> Iterator[Any]:
        results: dict[int, Any] = {}
        attempts = [0] * len(items)
        nxt = 0

        def ready() -> Iterator[Any]:  # in order, as soon as the next one is known
            nonlocal nxt
            while nxt in results:
                yield results.pop(nxt)
                nxt += 1

        todo, alone = list(range(len(items))), []
        while todo:  # a process that dies breaks the pool: what had not started goes on in a new one
            lost, todo = self._pool_pass(fn, items, args, todo, min(self.workers, len(todo)), results, attempts)
            alone.extend(lost)
            yield from ready()
        while alone:  # what was running when a process died: each alone, so that one item cannot fail another
            i = alone.pop(0)
            lost, _ = self._pool_pass(fn, items, args, [i], 1, results, attempts)
            if lost and attempts[i] >= self.max_attempts:
                results[i] = TaskFailed(
                    f"the worker process died on each of {attempts[i]} attempt(s) (killed, or out of memory)"
                )
            elif lost:
                alone.insert(0, i)
            yield from ready()

    @staticmethod
    def _pool_pass(fn, items, args, todo, jobs, results, attempts) -> tuple[list[int], list[int]]:
        """Run ``todo`` in a pool of ``jobs`` processes, at most ``jobs`` in flight, storing the
        results. If a process dies: ``(the items in flight, the items not started)``."""
        ctx = multiprocessing.get_context("spawn")
        queue = list(todo)
        running: dict[Any, int] = {}
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init, initargs=(args,)) as pool:
            while queue or running:
                while queue and len(running) < jobs:
                    i = queue.pop(0)
                    attempts[i] += 1
                    running[pool.submit(_run, fn, items[i])] = i
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for fut in done:
                    try:
                        results[running[fut]] = fut.result()
                    except BrokenProcessPool:
                        return sorted(running.values()), queue  # every item in flight went down with it
                    except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled
                        results[running[fut]] = TaskFailed(describe(exc))
                    del running[fut]
        return [], []

    def close(self) -> None:
        pass
