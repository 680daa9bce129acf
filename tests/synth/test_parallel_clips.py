"""`forensic synth clips --jobs N` and `forensic synth archive --jobs N`: clips (files) rendered in N
spawned processes are the same files, with the same clips.csv (ground truth), as one process makes
(every clip depends only on its seed, class and index; every file of an archive on the archive's
plan)."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from forensic.parallel import TaskFailed
from forensic.synth import scenes


def digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_jobs_make_the_same_files(tmp_path, pool):
    spec = dict(size=(320, 180), fps=8, seconds=3.0, pool=pool)
    one = scenes.make_clips(str(tmp_path / "one"), 2, 11, **spec)
    two = scenes.make_clips(str(tmp_path / "two"), 2, 11, jobs=2, **spec)
    assert [Path(p).name for p in one] == [Path(p).name for p in two]  # same order
    a, b = digests(tmp_path / "one"), digests(tmp_path / "two")
    assert len(a) == 2 * 2 * 2 + 2  # clip + ground truth each, clips.csv, generator.json
    assert a == b


ARCHIVE = dict(size=(320, 180), fps=8, file_minutes=(0.15, 0.2))


def test_archive_jobs_make_the_same_files(tmp_path, pool):
    """`forensic synth archive --jobs N`: files rendered in N processes are the same files, with the
    same ground truth, as one process makes; the backdrop of every scene differs from the scene's
    before it, also across a file boundary (settled before any file is rendered)."""
    one = scenes.make_archive(str(tmp_path / "one"), 0.6, 5, pool=pool, **ARCHIVE)
    two = scenes.make_archive(str(tmp_path / "two"), 0.6, 5, pool=pool, jobs=2, **ARCHIVE)
    assert len(one) >= 3
    assert [Path(p).name for p in one] == [Path(p).name for p in two]  # same order
    a, b = digests(tmp_path / "one"), digests(tmp_path / "two")
    assert len(a) == 2 * len(one) + 2  # footage + per-file ground truth, ground_truth.csv, generator.json
    assert a == b
    kinds = []
    for path in one:
        detail = json.loads((tmp_path / "one" / "ground_truth" / (Path(path).name + ".json")).read_text())
        kinds += [s["backdrop"]["kind"] for s in detail["scenes"]]
    assert len(kinds) >= 4 and all(x != y for x, y in zip(kinds, kinds[1:]))


class OneFails:
    """A batch on which the second file fails (as a worker that died on every attempt would)."""

    engine, workers, bounded = "local", 1, False

    def map(self, fn, items, *args):
        for k, item in enumerate(items):
            if k == 1:
                fn(item, *args)  # it wrote its file before it failed
                yield TaskFailed("worker died")
            else:
                yield fn(item, *args)

    def close(self):
        pass


def test_archive_file_that_fails_is_removed_and_named(tmp_path, pool):
    out = tmp_path / "archive"
    with pytest.raises(RuntimeError, match=r"1 of \d+ file\(s\) could not be made") as err:
        scenes.make_archive(str(out), 0.6, 5, pool=pool, batch=OneFails(), **ARCHIVE)
    names = [r["file"] for r in csv.DictReader(open(out / "ground_truth.csv", newline=""))]
    footage = sorted(p.name for p in (out / "footage").iterdir())
    details = sorted(p.name for p in (out / "ground_truth").iterdir())
    failed = err.value.args[0].split(": ")[1]
    assert failed in str(err.value) and failed not in footage and failed + ".json" not in details
    assert sorted({Path(n).name for n in names}) == footage  # the table lists exactly the files there
    assert details == [f + ".json" for f in footage] and len(footage) >= 2
