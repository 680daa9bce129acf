"""forensic.parallel.LocalBatch: the same results in the order of the items, in this process or in
spawned ones; a task that raises is a TaskFailed in its place; a process that dies costs only the
item that killed it (the items running beside it are tried again, alone); a task that never answers
is stopped after the batch's bound, tried again, then failed, while the others finish."""

from __future__ import annotations

import os
import time

import pytest

from forensic.parallel import LocalBatch, TaskFailed


def scaled(item: int, factor: int) -> int:
    if item == 3:
        raise ValueError("three is refused")
    return item * factor


def dies_on_five(item: int, marker_dir: str) -> tuple[int, int]:
    """Item 5 kills its process (as the kernel's OOM killer would); every call leaves a marker."""
    open(os.path.join(marker_dir, f"{item}-{os.getpid()}-{os.urandom(4).hex()}"), "w").close()
    if item == 5:
        os._exit(9)
    return item, os.getpid()


def hangs_on_two(item: int, marker_dir: str) -> int:
    """Item 2 blocks forever (as a deadlocked decoder would); every call leaves a marker."""
    open(os.path.join(marker_dir, f"{item}-{os.getpid()}-{os.urandom(4).hex()}"), "w").close()
    if item == 2:
        time.sleep(3600)
    time.sleep(0.2)
    return item


@pytest.mark.parametrize("jobs", [1, 2])
def test_results_in_order_and_failures_in_place(jobs):
    out = list(LocalBatch(jobs).map(scaled, range(8), 10))
    assert [r for i, r in enumerate(out) if i != 3] == [i * 10 for i in range(8) if i != 3]
    assert isinstance(out[3], TaskFailed)
    assert "ValueError: three is refused" in out[3].reason and "test_parallel.py" in out[3].reason


def test_spawned_processes_are_not_this_one(tmp_path):
    out = list(LocalBatch(2).map(dies_on_five, [0, 1, 2], str(tmp_path)))
    assert [r[0] for r in out] == [0, 1, 2]
    assert os.getpid() not in {r[1] for r in out}
    inproc = list(LocalBatch(1).map(dies_on_five, [0], str(tmp_path)))
    assert inproc[0][1] == os.getpid()
    assert LocalBatch(1, isolate=True).workers == 1
    assert list(LocalBatch(1, isolate=True).map(dies_on_five, [1], str(tmp_path)))[0][1] != os.getpid()


def test_a_dying_process_costs_only_its_own_item(tmp_path):
    items = list(range(10))
    out = list(LocalBatch(2, max_attempts=2).map(dies_on_five, items, str(tmp_path)))
    assert len(out) == len(items)
    assert [r[0] for i, r in enumerate(out) if i != 5] == [i for i in items if i != 5]
    assert isinstance(out[5], TaskFailed)
    assert "died on each of 2 attempt(s)" in out[5].reason
    tries = [name.split("-")[0] for name in os.listdir(tmp_path)]
    assert tries.count("5") == 2  # tried again once, alone, then given up


def test_jobs_must_be_positive():
    with pytest.raises(ValueError):
        LocalBatch(0)


def test_a_task_that_never_answers_is_stopped_retried_and_failed(tmp_path):
    batch = LocalBatch(2, max_attempts=2, bound_s=4.0)
    assert batch.bounded
    t0 = time.monotonic()
    out = list(batch.map(hangs_on_two, range(6), str(tmp_path)))
    took = time.monotonic() - t0
    assert [r for i, r in enumerate(out) if i != 2] == [0, 1, 3, 4, 5]
    assert isinstance(out[2], TaskFailed)
    assert out[2].reason == "no answer within 4 s on each of 2 attempt(s)"
    tries = [name.split("-")[0] for name in os.listdir(tmp_path)]
    assert tries.count("2") == 2  # stopped, tried once more (alone), then given up
    assert sorted(set(tries)) == [str(i) for i in range(6)]
    assert took < 120  # two bounds of 4 s and process start-ups, not the hour the task asks for


def test_bounds_are_checked_and_apply_only_to_spawned_processes():
    with pytest.raises(ValueError):
        LocalBatch(2, bound_s=0)
    assert not LocalBatch(1, bound_s=10).bounded  # in this process: nothing can stop it
    assert LocalBatch(1, isolate=True, bound_s=10).bounded
    assert not LocalBatch(2).bounded
