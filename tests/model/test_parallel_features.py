"""Feature extraction in several processes (`forensic train --jobs N`): the same cache entries and
the same arrays as one process, in the same order; a bad clip is still reported, not fatal."""

from __future__ import annotations

import numpy as np

from forensic.model.data import load_dataset, resolve_settings


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
