"""The split of a :class:`~forensic.model.data.Dataset` into training, validation and test clips
(60/20/20, stratified by class, from a seed), and the split.csv a model folder keeps of it."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from forensic.model.data import CLASSES, Dataset, DatasetError

FRACTIONS = (0.6, 0.2, 0.2)  # train, validation, test (the paper's section IV.A)


@dataclass
class Split:
    """Indices into a :class:`Dataset`'s arrays: 60/20/20, stratified by class, from ``seed``."""

    seed: int
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray

    def of(self, index: int) -> str:
        for name in ("train", "val", "test"):
            if index in getattr(self, name):
                return name
        raise KeyError(index)

    def describe(self, labels: np.ndarray) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "fractions": {"train": FRACTIONS[0], "val": FRACTIONS[1], "test": FRACTIONS[2]},
            "rule": "per class, clips sorted by SHA-256 and permuted by numpy.random.default_rng(seed) (classes in "
            "the order non_stalking, stalking): the first round(20%) (at least 1) are test, the next round(20%) "
            "(at least 1) validation, the rest training",
            "clips": {
                name: {c: int((labels[getattr(self, name)] == i).sum()) for i, c in enumerate(CLASSES)}
                for name in ("train", "val", "test")
            },
        }


def split_dataset(labels: np.ndarray, keys: list[str], seed: int) -> Split:
    """Stratified 60/20/20 split. ``keys`` (the clips' SHA-256) fix the order before shuffling, so
    the split depends on the clips' content and the seed, not on file names or folder order.
    Each class needs at least 3 clips (one per split)."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    parts: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for c, name in enumerate(CLASSES):
        idx = sorted(np.nonzero(labels == c)[0].tolist(), key=lambda i: keys[i])
        n = len(idx)
        if n < 3:
            raise DatasetError(
                f"class {name} has {n} usable clip(s); at least 3 are needed for a train/validation/test split"
            )
        n_test = max(1, round(FRACTIONS[2] * n))
        n_val = max(1, round(FRACTIONS[1] * n))
        order = [idx[j] for j in rng.permutation(n)]
        parts["test"] += order[:n_test]
        parts["val"] += order[n_test : n_test + n_val]
        parts["train"] += order[n_test + n_val :]
    return Split(seed, *(np.array(sorted(parts[k]), dtype=np.int64) for k in ("train", "val", "test")))


def split_csv(dataset: Dataset, split: Split) -> bytes:
    """One row per usable clip: split, label, sha256, path relative to the data set."""
    lines = ["split,label,sha256,path"]
    for i, clip in enumerate(dataset.clips):
        rel = os.path.relpath(clip.path, dataset.root).replace('"', '""')
        lines.append(f'{split.of(i)},{clip.label},{clip.sha256},"{rel}"')
    return ("\n".join(lines) + "\n").encode()


def read_split_csv(data: bytes) -> dict[str, str]:
    """sha256 -> split name, from a model's split.csv."""
    import csv

    rows = csv.DictReader(io.StringIO(data.decode()))
    return {row["sha256"]: row["split"] for row in rows}
