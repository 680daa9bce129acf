"""Feature extraction in several processes (`forensic train --jobs N`): the same cache entries and
the same arrays as one process, in the same order; a bad clip is still reported, not fatal."""

from __future__ import annotations

import numpy as np

from forensic.model.data import load_dataset
from forensic.model.feature_settings import resolve_settings


def test_two_jobs_match_one(dataset, tmp_path):
    settings = resolve_settings("hog-face-grabcut")
    one = load_dataset(str(dataset), settings, str(tmp_path / "c1"))
    two = load_dataset(str(dataset), settings, str(tmp_path / "c2"), jobs=2)
    assert [c.path for c in one.clips] == [c.path for c in two.clips]
    assert [(c.path, c.status) for c in one.left_out] == [(c.path, c.status) for c in two.left_out]
    assert any(c.status == "failed" for c in two.left_out)  # the broken clip of the fixture
    assert np.array_equal(one.frames, two.frames)
    assert np.array_equal(one.vectors, two.vectors, equal_nan=True)
    assert np.array_equal(one.labels, two.labels)
    # the entries themselves: same keys, both caches complete
    c1, c2 = (sorted(p.name for p in (tmp_path / c).rglob("*.npz")) for c in ("c1", "c2"))
    assert c1 == c2 and c1


def test_time_bounded_processes_take_short_shards(dataset, tmp_path, monkeypatch):
    """Where a task has a time bound, no shard is longer than MAX_SHARD clips (a healthy long shard
    must not be stopped as hung); the cache entries are the same as in one process."""
    from forensic.model import cache
    from forensic.parallel import LocalBatch

    monkeypatch.setattr(cache, "MAX_SHARD", 3)
    settings = resolve_settings("hog-face-grabcut")
    said: list[str] = []
    bounded = load_dataset(
        str(dataset), settings, str(tmp_path / "c1"), progress=said.append, batch=LocalBatch(2, bound_s=900)
    )
    shards = [s for s in said if s.startswith("features: ") and "shard(s) done" in s]
    extracted = len(bounded.clips) + len(bounded.left_out)
    assert len(shards) == -(-extracted // 3) and all("(3 clip(s))" in s or "(2 clip(s))" in s for s in shards)
    one = load_dataset(str(dataset), settings, str(tmp_path / "c2"))
    assert np.array_equal(one.vectors, bounded.vectors, equal_nan=True)
    c1, c2 = (sorted(p.name for p in (tmp_path / c).rglob("*.npz")) for c in ("c1", "c2"))
    assert c1 == c2 and c1
