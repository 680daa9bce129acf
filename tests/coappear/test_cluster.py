"""Clustering synthetic descriptors of known people."""

from __future__ import annotations

import numpy as np
import pytest

from forensic.coappear.cluster import METHODS, cluster, edges_below


def people(n_people: int, per: int, within: float = 0.35, between: float = 0.9, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, between / np.sqrt(2 * 128), (n_people, 128))
    truth = np.repeat(np.arange(n_people), per)
    x = centres[truth] + rng.normal(0, within / np.sqrt(2 * 128), (len(truth), 128))
    order = rng.permutation(len(truth))
    return x[order], truth[order]


def purity(labels, truth) -> tuple[float, float]:
    n = len(labels)
    pure = sum(np.bincount(truth[labels == c]).max() for c in np.unique(labels)) / n
    complete = sum(np.bincount(labels[truth == t]).max() for t in np.unique(truth)) / n
    return pure, complete


@pytest.mark.parametrize("method", METHODS)
def test_known_people_are_recovered(method):
    x, truth = people(30, 12)
    groups = [f"seg{k // 2}" for k in range(len(x))]
    labels, info = cluster(x, groups, method, 0.6)
    pure, complete = purity(labels, truth)
    assert pure == 1.0
    assert complete >= 0.97
    assert info["edges"] > 0
    # renumbered: 0 is the largest identity
    sizes = np.bincount(labels)
    assert sizes[0] == sizes.max()


@pytest.mark.parametrize("method", METHODS)
def test_two_people_of_one_segment_are_never_one_identity(method):
    rng = np.random.default_rng(1)
    a = rng.normal(0, 0.05, 128)
    x = np.stack([a, a + 0.001, a + 0.002, a - 0.001])  # all "the same face"
    groups = ["s1", "s1", "s2", "s3"]  # but the first two were seen at the same moment
    labels, _ = cluster(x, groups, method, 0.6)
    assert labels[0] != labels[1]
    assert len(set(labels.tolist())) == 2


@pytest.mark.parametrize("method", METHODS)
def test_threshold_separates(method):
    x = np.zeros((3, 128))
    x[1, 0] = 0.5  # 0.5 from the first
    x[2, 0] = 1.3  # 0.8 from the second
    labels, _ = cluster(x, None, method, 0.6)
    assert labels[0] == labels[1] != labels[2]
    labels, _ = cluster(x, None, method, 0.4)
    assert len(set(labels.tolist())) == 3


def test_edges_in_blocks_match_full_matrix():
    x, _ = people(10, 7, seed=4)
    i, j, d = edges_below(x, 0.6, block=8)
    full = np.linalg.norm(x[:, None] - x[None], axis=2)
    want = {(a, b) for a in range(len(x)) for b in range(a + 1, len(x)) if full[a, b] < 0.6}
    assert set(zip(i.tolist(), j.tolist())) == want
    assert np.allclose(d, full[i, j], atol=1e-4)


def test_empty_and_bad_arguments():
    labels, info = cluster(np.zeros((0, 128)))
    assert len(labels) == 0 and info["edges"] == 0
    with pytest.raises(ValueError):
        cluster(np.zeros((2, 128)), method="kmeans")
    with pytest.raises(ValueError):
        cluster(np.zeros((2, 128)), threshold=0)
