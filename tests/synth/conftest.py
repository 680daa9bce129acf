"""Shared fixtures of the generator tests: the face pool is made once (dlib fits, yaw ranges)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def pool():
    from forensic.synth.scenes import FacePool

    return FacePool()


@pytest.fixture(scope="session")
def finder():
    from forensic.features.faces import FaceFinder

    return FaceFinder(upsample=1)
