"""The Ray engine's plain jobs (chunks, presence-gate tasks) on a simulated cluster: at most one job
per CPU in flight, so a job's time bound measures its own work and never its wait behind the
others (an archive of hundreds of short files used to time out in Ray's queue), and jobs added
while results come back (a cut file's gate tasks) are run, ahead of those still waiting.

The cluster is simulated (FakeRay: one simulated second per job, a clock of its own) so that the
tests are exact and take no time; the real engine runs the same code in tests/engine/test_gate.py
and tests/engine/test_ray.py."""

from __future__ import annotations

import itertools
import math
from collections import deque
from types import SimpleNamespace

from forensic.engine import ray_engine
from forensic.engine.ray_engine import RayRunner
from forensic.engine.runners import GATE, Job
from forensic.engine.timeouts import Timeouts


class FakeRay:
    """Ray's task API as the engine uses it (remote, put, wait, get, cancel) on ``cpus`` simulated
    CPUs: a submitted task waits in a FIFO queue for a free CPU, then runs ``run_s`` seconds of
    the simulated clock, which only moves while the driver waits."""

    def __init__(self, cpus: int, run_s: float = 1.0):
        self.cpus, self.run_s, self.now = cpus, run_s, 0.0
        self.queue: deque = deque()
        self.running: dict[int, float] = {}  # ref -> end time
        self.results: dict[int, object] = {}
        self.args: dict[int, tuple] = {}
        self.submitted: list[tuple] = []  # (time, first argument) per submission
        self.most_in_flight = 0
        self._refs = itertools.count()

    def remote(self, **_options):
        def wrap(_fn):
            return SimpleNamespace(remote=self._submit)

        return wrap

    def put(self, value):
        return value

    def _submit(self, *args):
        ref = next(self._refs)
        self.args[ref] = args
        self.queue.append(ref)
        self.submitted.append((self.now, args[0]))
        self.most_in_flight = max(self.most_in_flight, len(self.queue) + len(self.running))
        self._start()
        return ref

    def _start(self) -> None:
        while self.queue and len(self.running) < self.cpus:
            self.running[self.queue.popleft()] = self.now + self.run_s

    def _finish_due(self) -> None:
        for ref, end in sorted(self.running.items(), key=lambda kv: kv[1]):
            if end <= self.now + 1e-9:
                del self.running[ref]
                self.results[ref] = ("done", self.args[ref][0])
        self._start()

    def wait(self, refs, num_returns=1, timeout=None):
        ready = [r for r in refs if r in self.results]
        if not ready:
            nxt = min(self.running.values(), default=math.inf)
            self.now = min(nxt, self.now + (timeout if timeout is not None else math.inf))
            self._finish_due()
            ready = [r for r in refs if r in self.results]
        return ready[:num_returns], [r for r in refs if r not in ready[:num_returns]]

    def get(self, ref):
        return self.results.pop(ref)

    def cancel(self, ref, force=False):
        if ref in self.queue:
            self.queue.remove(ref)
        self.running.pop(ref, None)
        self._start()


def _runner(fake: FakeRay, bound_s: float, monkeypatch) -> RayRunner:
    """A RayRunner on the simulated cluster (no Ray started): jobs bounded at ``bound_s``."""
    monkeypatch.setattr(ray_engine, "time", SimpleNamespace(monotonic=lambda: fake.now))
    runner = object.__new__(RayRunner)
    runner.ray = fake
    runner.settings = None
    runner.max_attempts = 2
    runner.timeouts = Timeouts(chunk_base_s=bound_s, chunk_per_footage_s=0.0, task_start_s=0.0)
    runner.cpus = float(fake.cpus)
    return runner


def _job(name: str) -> Job:
    return Job(GATE, SimpleNamespace(footage_s=5.0, name=name))


def test_queued_jobs_are_not_timed_out_and_at_most_one_per_cpu_is_in_flight(monkeypatch):
    """40 jobs of 1 s on 2 CPUs, each bounded at 3 s: 20 s of work, none late. With every job
    submitted at once (the engine before), the 7th onwards waited past its bound in the queue."""
    fake = FakeRay(cpus=2)
    runner = _runner(fake, 3.0, monkeypatch)
    jobs = [_job(f"j{i}") for i in range(40)]
    results = list(runner.run_jobs(deque(jobs)))
    assert [f for _j, _v, f in results if f] == []
    assert sorted(v[1].payload.name for _j, v, _f in results) == sorted(j.payload.name for j in jobs)
    assert fake.most_in_flight == 2
    assert math.isclose(fake.now, 20.0)


def test_a_job_that_overruns_its_bound_is_retried_then_failed_with_the_reason(monkeypatch):
    fake = FakeRay(cpus=2, run_s=5.0)  # every job takes longer than its bound
    runner = _runner(fake, 3.0, monkeypatch)
    results = list(runner.run_jobs(deque([_job("slow")])))
    assert len(results) == 1 and results[0][1] is None
    assert results[0][2] == "presence gate timed out after 3 s, 2 attempt(s)"
    assert len(fake.submitted) == 2  # tried again once (max_attempts 2)


def test_jobs_added_while_results_come_back_run_ahead_of_those_waiting(monkeypatch):
    """What the scan does when a file is cut: its gate jobs go to the front of the feed."""
    fake = FakeRay(cpus=1)
    runner = _runner(fake, 10.0, monkeypatch)
    feed = deque(_job(f"chunk{i}") for i in range(3))
    order = []
    for job, _value, _failure in runner.run_jobs(feed):
        order.append(job.payload.name)
        if job.payload.name == "chunk0":
            feed.extendleft(reversed([_job("gate0a"), _job("gate0b")]))
    assert order == ["chunk0", "gate0a", "gate0b", "chunk1", "chunk2"]
    assert [a.payload.name for _t, a in fake.submitted] == order


def test_no_segment_for_the_workers_starts_no_worker():
    """A scan whose segments were all finished before the workers (gated, short shots) never
    starts the actor pool (each actor loads TensorFlow and the model: seconds and a GB)."""
    runner = object.__new__(RayRunner)
    runner.ray = None  # no cluster: nothing may be asked of it

    def started():
        raise AssertionError("the segment workers were started")

    runner._pool = started
    assert list(runner.process_segments(iter([]))) == []
