"""Cluster face descriptors into anonymous identities.

Both methods work on the same graph: an edge between two descriptors closer than ``threshold``
(Euclidean; dlib's usual 0.6 for its face recognition model), never between the two people of one
segment (two people seen at the same moment are two people: a "cannot-link" rule).

* ``connected`` (default): edges taken shortest first, two groups joined unless that would put both
  people of one segment in one identity: single-linkage agglomerative clustering cut at
  ``threshold``, with the cannot-link rule.
* ``chinese-whispers``: dlib's ``chinese_whispers`` on the graph (what dlib's own face clustering
  example uses); a group that still holds both people of a segment is split, the one further from
  the group's mean leaving.

Distances are computed in blocks (float32 matrix products, the upper triangle only), so 10,000
descriptors need about 40 MB at a time, not a 10,000 x 10,000 matrix.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

METHODS = ("connected", "chinese-whispers")
DEFAULT_METHOD = "connected"
DEFAULT_THRESHOLD = 0.6


def edges_below(
    x: np.ndarray, threshold: float, groups: Sequence[str] | None = None, block: int = 1024
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, distance) with i < j for every pair closer than ``threshold``, except pairs of the
    same group (segment)."""
    x = np.asarray(x, dtype=np.float32)
    n = len(x)
    sq = (x * x).sum(axis=1)
    gid = None
    if groups is not None:
        _, gid = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
    ii, jj, dd = [], [], []
    for s in range(0, n, block):  # the upper triangle only: rows s..e against columns s..n
        e = min(n, s + block)
        d2 = x[s:e] @ x[s:].T
        d2 *= -2.0
        d2 += sq[s:e, None]
        d2 += sq[None, s:]
        np.maximum(d2, 0.0, out=d2)
        r, c = np.nonzero(d2 < threshold * threshold)
        rows, cols = r + s, c + s
        keep = cols > rows
        if gid is not None:
            keep &= gid[rows] != gid[cols]
        ii.append(rows[keep])
        jj.append(cols[keep])
        dd.append(np.sqrt(d2[r[keep], c[keep]]))
    if not ii:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0, np.float32)
    return np.concatenate(ii), np.concatenate(jj), np.concatenate(dd)


def _connected(n: int, i: np.ndarray, j: np.ndarray, d: np.ndarray, groups: Sequence[str] | None) -> np.ndarray:
    parent = list(range(n))
    members: list[set[str]] = [{str(groups[k])} if groups is not None else set() for k in range(n)]

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for k in np.argsort(d, kind="stable"):
        a, b = find(int(i[k])), find(int(j[k]))
        if a == b or (members[a] & members[b]):
            continue
        if len(members[a]) < len(members[b]):
            a, b = b, a
        parent[b] = a
        members[a] |= members[b]
        members[b] = set()
    return np.array([find(k) for k in range(n)])


def _chinese_whispers(
    x: np.ndarray, n: int, i: np.ndarray, j: np.ndarray, groups: Sequence[str] | None
) -> tuple[np.ndarray, int]:
    import dlib

    edges = [(k, k) for k in range(n)] + list(zip(i.tolist(), j.tolist()))
    labels = np.asarray(dlib.chinese_whispers(edges), dtype=int)
    split = 0
    if groups is None:
        return labels, split
    next_label = int(labels.max()) + 1 if n else 0
    for lab in np.unique(labels):
        idx = np.nonzero(labels == lab)[0]
        mean = x[idx].mean(axis=0)
        seen: dict[str, int] = {}
        for k in sorted(idx, key=lambda k: float(np.linalg.norm(x[k] - mean))):  # nearest to the mean stay
            g = str(groups[k])
            if g in seen:
                labels[k] = next_label
                next_label += 1
                split += 1
            else:
                seen[g] = k
    return labels, split


def cluster(
    x: np.ndarray,
    groups: Sequence[str] | None = None,
    method: str = DEFAULT_METHOD,
    threshold: float = DEFAULT_THRESHOLD,
) -> tuple[np.ndarray, dict[str, int]]:
    """Labels 0..k-1 (0 the largest identity; ties by first member) and a few counts."""
    if method not in METHODS:
        raise ValueError(f"unknown clustering method {method!r}: {', '.join(METHODS)}")
    if not threshold > 0:
        raise ValueError("the distance threshold must be more than 0")
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    if n == 0:
        return np.zeros(0, int), {"edges": 0, "split": 0}
    i, j, d = edges_below(x, threshold, groups)
    split = 0
    if method == "connected":
        raw = _connected(n, i, j, d, groups)
    else:
        raw, split = _chinese_whispers(x, n, i, j, groups)
    # renumber: largest first, ties by the first member
    uniq, first, count = np.unique(raw, return_index=True, return_counts=True)
    order = sorted(range(len(uniq)), key=lambda k: (-count[k], first[k]))
    new = {int(uniq[k]): r for r, k in enumerate(order)}
    return np.array([new[int(v)] for v in raw]), {"edges": int(len(i)), "split": split}
