"""Real people: three clips of one person fall into one identity, two other people into two others.

../shared/footage/intel_asl_{book,sister,walk}.mkv show one person; ../shared/people has head-pose
clips of a woman and of a man (never copied into the repository; skipped when absent)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from forensic.coappear.cluster import cluster
from forensic.features.identity import clip_descriptors

SHARED = Path(__file__).resolve().parents[3] / "shared"
SAME = [SHARED / "footage" / f"intel_asl_{n}.mkv" for n in ("book", "sister", "walk")]
OTHERS = [SHARED / "people" / f"intel_head-pose-face-detection-{n}.gif" for n in ("female", "male")]


def test_one_identity_per_real_person():
    missing = [str(p) for p in SAME + OTHERS if not p.is_file()]
    if missing:
        pytest.skip(f"real clips absent (they live beside the repository, in ../shared): {', '.join(missing)}")
    x, who = [], []
    for p in SAME + OTHERS:
        got = clip_descriptors(str(p), every=10, most=8)  # 3 per clip split the "sister" clip off at 0.6
        assert got, f"no face of 40 px or more found in {p.name}"
        x += got
        who += ["asl_person" if p in SAME else p.stem] * len(got)
    labels, _ = cluster(np.stack(x), [f"frame{k}" for k in range(len(x))], "connected", 0.6)
    by_person = defaultdict(set)
    for lab, w in zip(labels.tolist(), who):
        by_person[w].add(lab)
    assert all(len(v) == 1 for v in by_person.values()), dict(by_person)  # each person one identity
    assert len({next(iter(v)) for v in by_person.values()}) == 3  # three people, three identities
