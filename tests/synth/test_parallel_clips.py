"""`forensic synth clips --jobs N`: clips rendered in N spawned processes are the same files, with the
same clips.csv, as one process makes (every clip depends only on its seed, class and index)."""

from __future__ import annotations

import hashlib
from pathlib import Path

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
