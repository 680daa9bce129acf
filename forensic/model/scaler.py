"""StandardScaler for the 29 numbers per frame (the paper's section III.H, equation 8), written
with numpy, and the rule for missing values.

Fitted per column over every sample frame of the TRAINING clips only (never validation or test),
as scikit-learn's StandardScaler: z = (x - mean) / std, population std (ddof 0), a column with
zero spread gets std 1.

Missing values (a frame without both people has NaN in all 29 columns, a face without a head
pose NaN in its two angles): mean and std are computed over the values present; after scaling,
a missing value becomes 0, which is the training mean. The model therefore sees "average" for
what is missing, never an invented measurement; the frames themselves still show who is there.
A column with no value at all in the training split gets mean 0 and std 1 (it is always 0).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forensic.features.table import FEATURE_COLUMNS

MISSING_RULE = (
    "NaN (a frame without both people, or a face without a head pose) is replaced after scaling by 0, "
    "i.e. by the training split's mean of that column; mean and std are computed over the values present"
)


@dataclass
class StandardScaler:
    mean: np.ndarray  # (29,)
    scale: np.ndarray  # (29,) standard deviation, 1 where it is 0 or unknown
    count: np.ndarray  # (29,) values present per column in the fitting data
    frames: int  # sample frames the scaler was fitted on
    columns: tuple[str, ...] = FEATURE_COLUMNS
    fitted_on: dict[str, Any] = field(default_factory=dict)  # what the data was (split, clip hashes)

    @classmethod
    def fit(
        cls, vectors: np.ndarray, fitted_on: dict[str, Any] | None = None, columns: tuple[str, ...] = FEATURE_COLUMNS
    ) -> StandardScaler:
        """Fit on ``vectors``: (clips, frames, C) or (frames, C), NaN where missing; C is the 29, or
        the relational variant's wider ``columns``."""
        x = _rows(vectors, len(columns))
        present = np.isfinite(x)
        count = present.sum(axis=0)
        safe = np.where(present, x, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, safe.sum(axis=0) / np.maximum(count, 1), 0.0)
            var = np.where(present, (x - mean) ** 2, 0.0).sum(axis=0) / np.maximum(count, 1)
        std = np.sqrt(var)
        scale = np.where((count > 0) & (std > np.finfo(np.float64).eps * np.maximum(1.0, np.abs(mean))), std, 1.0)
        return cls(
            mean.astype(np.float64),
            scale.astype(np.float64),
            count.astype(np.int64),
            int(x.shape[0]),
            tuple(columns),
            dict(fitted_on or {}),
        )

    def transform(self, vectors: np.ndarray) -> np.ndarray:
        """Scaled float32 copy of ``vectors`` (any shape ending in 29), missing values -> 0."""
        x = np.asarray(vectors, dtype=np.float64)
        if x.shape[-1] != len(self.columns):
            raise ValueError(f"expected {len(self.columns)} feature columns, got shape {x.shape}")
        if np.isinf(x).any():
            raise ValueError("feature vectors hold infinite values; only NaN marks a missing value")
        z = (x - self.mean) / self.scale
        return np.where(np.isnan(z), 0.0, z).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "StandardScaler (numpy; as scikit-learn's, ddof 0, std 1 for constant columns)",
            "columns": list(self.columns),
            "mean": [float(v) for v in self.mean],
            "scale": [float(v) for v in self.scale],
            "count": [int(v) for v in self.count],
            "frames": self.frames,
            "missing_values": MISSING_RULE,
            "fitted_on": self.fitted_on,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StandardScaler:
        columns = tuple(d["columns"])
        if columns[: len(FEATURE_COLUMNS)] != tuple(FEATURE_COLUMNS):
            raise ValueError("the scaler's columns do not start with forensic.features.table.FEATURE_COLUMNS in order")
        return cls(
            np.array(d["mean"], np.float64),
            np.array(d["scale"], np.float64),
            np.array(d["count"], np.int64),
            int(d["frames"]),
            columns,
            dict(d.get("fitted_on", {})),
        )

    def to_json(self) -> bytes:
        return (json.dumps(self.to_dict(), indent=2) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes) -> StandardScaler:
        return cls.from_dict(json.loads(data))


def _rows(vectors: np.ndarray, width: int = len(FEATURE_COLUMNS)) -> np.ndarray:
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim < 2 or x.shape[-1] != width:
        raise ValueError(f"expected (..., {width}) feature vectors, got shape {x.shape}")
    if np.isinf(x).any():
        raise ValueError("feature vectors hold infinite values; only NaN marks a missing value")
    return x.reshape(-1, x.shape[-1])


def fit_on_split(
    vectors: np.ndarray,
    train_index: np.ndarray,
    fitted_on: dict[str, Any] | None = None,
    columns: tuple[str, ...] = FEATURE_COLUMNS,
) -> StandardScaler:
    """The scaler of a training run: fitted on the rows of ``vectors`` in ``train_index`` only."""
    train_index = np.asarray(train_index, dtype=np.int64)
    if train_index.size == 0:
        raise ValueError("cannot fit the scaler: the training split is empty")
    return StandardScaler.fit(np.asarray(vectors)[train_index], fitted_on, columns)
