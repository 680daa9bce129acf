"""Metrics of clip scores, as the paper's section IV.B: accuracy, per-class precision, recall and F1,
macro averages and the confusion matrix (Table 1, Figure 9).

A clip is predicted "stalking" when its score is at least the threshold. A precision or recall whose
denominator is 0 (no clip predicted, or none present, in that class) is reported as 0, as
scikit-learn does; the support says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from forensic.model.data import CLASSES


@dataclass
class Metrics:
    n: int
    threshold: float
    accuracy: float
    per_class: dict[str, dict[str, float]]  # class -> precision, recall, f1, support
    macro: dict[str, float]  # precision, recall, f1
    confusion: list[list[int]]  # rows: true class, columns: predicted class, both in CLASSES order
    frame_accuracy: float | None = None  # frame-level models: accuracy over single frames

    def to_dict(self) -> dict[str, Any]:
        d = {
            "n": self.n,
            "threshold": self.threshold,
            "accuracy": self.accuracy,
            "per_class": self.per_class,
            "macro": self.macro,
            "confusion": self.confusion,
            "confusion_axes": f"rows true, columns predicted, order {', '.join(CLASSES)}",
        }
        if self.frame_accuracy is not None:
            d["frame_accuracy"] = self.frame_accuracy
        return d


def compute_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float = 0.5) -> Metrics:
    """Metrics of clip ``scores`` (P(stalking)) against ``labels`` (0 non_stalking, 1 stalking)."""
    y = np.asarray(labels, dtype=np.int64).reshape(-1)
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if y.shape != s.shape:
        raise ValueError(f"{y.size} labels but {s.size} scores")
    pred = (s >= threshold).astype(np.int64)
    k = len(CLASSES)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (y, pred), 1)
    per_class = {}
    for c, name in enumerate(CLASSES):
        tp = int(confusion[c, c])
        predicted = int(confusion[:, c].sum())
        actual = int(confusion[c, :].sum())
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = {"precision": precision, "recall": recall, "f1": f1, "support": actual}
    macro = {m: float(np.mean([per_class[c][m] for c in CLASSES])) for m in ("precision", "recall", "f1")}
    accuracy = float(np.trace(confusion) / y.size) if y.size else 0.0
    return Metrics(int(y.size), float(threshold), accuracy, per_class, macro, confusion.tolist())


def frame_accuracy(frame_scores: np.ndarray, labels: np.ndarray, threshold: float = 0.5) -> float:
    """Frame-level models: accuracy over single frames, each labelled with its clip's label.
    ``frame_scores``: (n, 5)."""
    frame_scores = np.asarray(frame_scores)
    if frame_scores.size == 0:
        return 0.0
    truth = np.repeat((np.asarray(labels) == 1)[:, None], frame_scores.shape[1], axis=1)
    return float(np.mean((frame_scores >= threshold) == truth))


def format_metrics(m: Metrics) -> str:
    """Table 1 of the paper for one model: per-class precision, recall, F1; macro; confusion matrix."""
    w = max(len(c) for c in CLASSES) + 2
    lines = [f"accuracy {m.accuracy:.4f} ({round(m.accuracy * m.n)} of {m.n} clips; threshold {m.threshold:g})"]
    if m.frame_accuracy is not None:
        lines.append(f"frame-level accuracy {m.frame_accuracy:.4f}")
    lines.append(f"{'class':<{w}}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
    for c in CLASSES:
        r = m.per_class[c]
        lines.append(f"{c:<{w}}{r['precision']:>10.4f}{r['recall']:>10.4f}{r['f1']:>10.4f}{r['support']:>10d}")
    mac = m.macro
    lines.append(f"{'macro avg':<{w}}{mac['precision']:>10.4f}{mac['recall']:>10.4f}{mac['f1']:>10.4f}{m.n:>10d}")
    lines.append("confusion matrix (rows: true class, columns: predicted class)")
    lines.append(" " * w + "".join(f"{c:>{w}}" for c in CLASSES))
    for c, row in zip(CLASSES, m.confusion, strict=True):
        lines.append(f"{c:<{w}}" + "".join(f"{v:>{w}d}" for v in row))
    return "\n".join(lines)
