"""Metrics (forensic.model.evaluate): the paper's Table 1 from its Figure 9, edge cases, printing."""

from __future__ import annotations

import numpy as np
import pytest

from forensic.model.data import CLASSES
from forensic.model.evaluate import Ablation, compute_metrics, format_metrics, format_table2, frame_accuracy


def labels_scores(tn: int, fp: int, fn: int, tp: int) -> tuple[np.ndarray, np.ndarray]:
    """Clips with these counts (positive = stalking), scored 0.2 or 0.9."""
    y = np.array([0] * (tn + fp) + [1] * (fn + tp))
    s = np.array([0.2] * tn + [0.9] * fp + [0.2] * fn + [0.9] * tp)
    return y, s


def test_the_papers_figure_9_gives_its_table_1():
    # Figure 9: 48 test videos; 20 non-stalking and 23 stalking right; 1 non-stalking and 4 stalking wrong
    y, s = labels_scores(tn=20, fp=1, fn=4, tp=23)
    m = compute_metrics(y, s)
    assert m.n == 48 and m.accuracy == pytest.approx(43 / 48)  # the paper's 89.58 %
    assert round(m.accuracy * 100, 2) == 89.58
    ns, st = m.per_class["non_stalking"], m.per_class["stalking"]
    # Table 1, "Proposed (with fusion)": precision 0.83 / 0.96, recall 0.95 / 0.85, F 0.89 / 0.90
    assert (round(ns["precision"], 2), round(st["precision"], 2)) == (0.83, 0.96)
    assert (round(ns["recall"], 2), round(st["recall"], 2)) == (0.95, 0.85)
    assert (round(ns["f1"], 2), round(st["f1"], 2)) == (0.89, 0.90)
    assert ns["support"] == 21 and st["support"] == 27
    assert m.confusion == [[20, 1], [4, 23]]
    assert round(m.macro["precision"], 2) == 0.90 and round(m.macro["f1"], 2) == 0.90  # Figure 7: 0.90


def test_threshold_and_ties():
    y = np.array([0, 1, 1])
    s = np.array([0.5, 0.5, 0.49])
    m = compute_metrics(y, s, threshold=0.5)  # a score equal to the threshold is "stalking"
    assert m.confusion == [[0, 1], [1, 1]]
    m = compute_metrics(y, s, threshold=0.4)
    assert m.confusion == [[0, 1], [0, 2]] and m.threshold == 0.4


def test_a_class_never_predicted_has_precision_zero():
    y, s = labels_scores(tn=3, fp=0, fn=2, tp=0)
    m = compute_metrics(y, s)
    assert m.per_class["stalking"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}
    assert m.per_class["non_stalking"]["precision"] == pytest.approx(3 / 5)
    assert m.macro["recall"] == pytest.approx(0.5)
    with pytest.raises(ValueError):
        compute_metrics(np.array([0, 1]), np.array([0.3]))


def test_frame_accuracy_counts_single_frames():
    scores = np.array([[0.9, 0.9, 0.1, 0.9, 0.9], [0.1, 0.2, 0.3, 0.6, 0.1]])  # a stalking, a non-stalking clip
    assert frame_accuracy(scores, np.array([1, 0])) == pytest.approx(8 / 10)
    assert frame_accuracy(scores, np.array([0, 1])) == pytest.approx(2 / 10)
    assert frame_accuracy(scores, np.array([1, 0]), threshold=0.95) == pytest.approx(5 / 10)  # all "non-stalking"


def test_format_metrics_prints_everything():
    y, s = labels_scores(tn=20, fp=1, fn=4, tp=23)
    text = format_metrics(compute_metrics(y, s))
    assert "accuracy 0.8958 (43 of 48 clips" in text
    for c in CLASSES:
        assert c in text
    assert "macro avg" in text and "confusion matrix" in text
    rows = [line.split() for line in text.splitlines()]
    assert ["non_stalking", "0.8333", "0.9524", "0.8889", "21"] in rows
    assert ["non_stalking", "20", "1"] in rows and ["stalking", "4", "23"] in rows


def test_table2_layout():
    class DS:
        clips = [0] * 10

        @staticmethod
        def counts():
            return {"non_stalking": 5, "stalking": 5}

    class SP:
        seed, train, val, test = 7, np.arange(6), np.arange(2), np.arange(2)

    rows = [
        {
            "architecture": a,
            "cnn": True,
            "lstm": a in ("convlstm", "fusion"),
            "mlp": a in ("vgg16_mlp", "fusion"),
            "train_accuracy": acc,
            "val_accuracy": acc,
            "test_accuracy": acc,
            "test_macro": {"f1": acc},
            "test_frame_accuracy": 0.5 if a.startswith("vgg") else None,
        }
        for a, acc in (("vgg16", 0.6863), ("convlstm", 0.7465), ("vgg16_mlp", 0.8053), ("fusion", 0.9393))
    ]
    text = format_table2(Ablation(DS(), SP(), rows))
    lines = text.splitlines()
    assert "seed 7" in lines[0] and "train acc" in lines[1]
    assert lines[2].split() == ["✓", "vgg16", "68.63%", "68.63%", "68.63%", "0.6863", "50.00%"]
    assert lines[5].split() == ["✓", "✓", "✓", "fusion", "93.93%", "93.93%", "93.93%", "0.9393", "-"]
