"""The face photos a generator draws from, and the choice of two different people for a scene."""

from __future__ import annotations

import hashlib
import os

from forensic.synth import faces3d
from forensic.synth.scenarios import YAW_LIMIT, YAW_MARGIN


class FacePool:
    """The face photos a generator draws from (FaceModels, re-posed heads cached)."""

    def __init__(self, faces_dir: str | None = None, default_faces: bool = True, mirrored: bool = True):
        from forensic.features.faces import FaceFinder

        finder = FaceFinder(upsample=1)
        self.models = faces3d.load_models(faces_dir, include_default=default_faces, mirrored=mirrored, finder=finder)
        self.skin = [m.skin_bgr() for m in self.models]
        # drawn yaw range per face: where dlib still finds it (60 px wide, pitch 0 and 4, plain
        # background), less a margin for noise, dim light and busy backgrounds
        self.yaw_ranges = []
        for m in self.models:
            lo, hi = faces3d.detectable_yaw_range(m, finder, limit=YAW_LIMIT)
            self.yaw_ranges.append((min(-16.0, lo + YAW_MARGIN), max(16.0, hi - YAW_MARGIN)))
        self.faces_dir = faces_dir

    def __len__(self) -> int:
        return len(self.models)

    def describe(self, i: int) -> dict:
        m = self.models[i]
        d = {
            "face": m.name,
            "identity": m.identity,
            "mirrored": m.name.endswith("~mirrored"),
            "source": m.source,
            "photo_pose_estimate": None if m.photo_pose is None else [round(v, 2) for v in m.photo_pose],
            "drawn_yaw_range": list(self.yaw_ranges[i]),
        }
        if os.path.isfile(m.source):
            with open(m.source, "rb") as f:
                d["source_sha256"] = hashlib.sha256(f.read()).hexdigest()
        return d

    def identities(self) -> list[str]:
        return [m.identity for m in self.models]


def choose_faces(rng, pool: FacePool, k: int) -> list[int]:
    """k pool indices with different identities where possible."""
    ids = pool.identities()
    order = [int(i) for i in rng.permutation(len(ids))]
    out, seen = [], set()
    for i in order:
        if ids[i] not in seen:
            out.append(i)
            seen.add(ids[i])
        if len(out) == k:
            return out
    while len(out) < k:
        out.append(order[len(out) % len(order)])
    return out
