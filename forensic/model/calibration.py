"""Calibration of the model's scores: the reliability diagram and the expected calibration error
(ECE), and the decision threshold chosen on the validation split rather than 0.5 by habit.

Reliability: the scores P(stalking) of a split are put into ``bins`` equal-width bins over [0, 1]
(a score of exactly 1 goes into the last bin); per bin, the mean score and the fraction of clips
that really are stalking. A calibrated model has both equal. ECE = sum over bins of
(clips in bin / clips) * |fraction stalking - mean score| (Guo et al., "On Calibration of Modern
Neural Networks", ICML 2017, for the binary case on P(stalking)).

Threshold: every midpoint between two neighbouring distinct validation scores (and 0.5) is a
candidate; the one with the highest validation macro F1 wins, ties going to the candidate
closest to 0.5, then to the lower one. Chosen on validation only: the test split is never seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from forensic.model.metrics import compute_metrics

BINS = 10
THRESHOLD_RULE = (
    "the candidate with the highest validation macro F1 among 0.5 and every midpoint between two "
    "neighbouring distinct validation scores; ties: closest to 0.5, then the lower"
)


@dataclass
class Reliability:
    """Per bin: ``edges`` (bins + 1), ``count``, ``mean_score`` and ``fraction_positive`` (NaN in an
    empty bin), and the ECE over all of them."""

    edges: list[float]
    count: list[int]
    mean_score: list[float]
    fraction_positive: list[float]
    ece: float
    n: int

    def to_dict(self) -> dict[str, Any]:
        nan = lambda v: None if v != v else round(float(v), 6)  # noqa: E731 - JSON has no NaN
        return {
            "bins": len(self.count),
            "edges": [round(e, 6) for e in self.edges],
            "count": self.count,
            "mean_score": [nan(v) for v in self.mean_score],
            "fraction_stalking": [nan(v) for v in self.fraction_positive],
            "ece": round(self.ece, 6),
            "n": self.n,
        }


def reliability(labels: np.ndarray, scores: np.ndarray, bins: int = BINS) -> Reliability:
    """The reliability table and ECE of clip ``scores`` (P(stalking)) against ``labels`` (0 / 1)."""
    y = np.asarray(labels, dtype=np.float64).reshape(-1)
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if y.shape != s.shape:
        raise ValueError(f"{y.size} labels but {s.size} scores")
    if bins < 1:
        raise ValueError("at least one bin")
    if s.size and (np.nanmin(s) < 0.0 or np.nanmax(s) > 1.0):
        raise ValueError("scores must lie in [0, 1]")
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.minimum((s * bins).astype(np.int64), bins - 1)
    count, mean, frac = [], [], []
    ece = 0.0
    for b in range(bins):
        sel = which == b
        k = int(sel.sum())
        count.append(k)
        if k:
            mean.append(float(s[sel].mean()))
            frac.append(float(y[sel].mean()))
            ece += k / s.size * abs(frac[-1] - mean[-1])
        else:
            mean.append(float("nan"))
            frac.append(float("nan"))
    return Reliability(edges.tolist(), count, mean, frac, float(ece), int(s.size))


@dataclass
class ThresholdChoice:
    threshold: float
    macro_f1: float  # on validation, at the chosen threshold
    accuracy: float
    macro_f1_at_half: float  # on validation, at 0.5, for comparison
    accuracy_at_half: float
    n: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "chosen_on": "validation split",
            "rule": THRESHOLD_RULE,
            "val_macro_f1": self.macro_f1,
            "val_accuracy": self.accuracy,
            "val_macro_f1_at_0.5": self.macro_f1_at_half,
            "val_accuracy_at_0.5": self.accuracy_at_half,
            "val_clips": self.n,
        }


def choose_threshold(labels: np.ndarray, scores: np.ndarray) -> ThresholdChoice:
    """The decision threshold that does best on the validation split (:data:`THRESHOLD_RULE`)."""
    y = np.asarray(labels, dtype=np.int64).reshape(-1)
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if y.size == 0:
        raise ValueError("no validation clips to choose a threshold on")
    u = np.unique(s)
    candidates = sorted({0.5, *((u[:-1] + u[1:]) / 2.0).tolist()})
    best, best_key = 0.5, None
    for c in candidates:
        f1 = compute_metrics(y, s, c).macro["f1"]
        key = (round(f1, 12), -abs(c - 0.5), -c)
        if best_key is None or key > best_key:
            best, best_key = float(c), key
    at = compute_metrics(y, s, best)
    half = compute_metrics(y, s, 0.5)
    return ThresholdChoice(best, at.macro["f1"], at.accuracy, half.macro["f1"], half.accuracy, int(y.size))


def calibration_summary(
    labels_by_split: dict[str, np.ndarray],
    scores_by_split: dict[str, np.ndarray],
    choice: ThresholdChoice | None,
    applied: float,
) -> dict[str, Any]:
    """What the model card records: ECE and the reliability table per split, the threshold chosen
    on validation, and the threshold the model applies."""
    return {
        "reliability": {k: reliability(labels_by_split[k], scores_by_split[k]).to_dict() for k in scores_by_split},
        "ece_rule": "expected calibration error over 10 equal-width bins of P(stalking): sum of (clips in bin / "
        "clips) x |fraction stalking - mean score|",
        "threshold_on_validation": choice.to_dict() if choice else None,
        "threshold_applied": applied,
    }
