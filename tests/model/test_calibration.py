"""Calibration (forensic.model.calibration): reliability table, ECE and the threshold chosen on
validation, on small made-up predictions whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from forensic.model.calibration import calibration_summary, choose_threshold, reliability
from forensic.model.card import plot_reliability, text_sections


def test_reliability_bins_and_ece_by_hand():
    # bin [0.1, 0.2): two clips, mean score 0.15, none stalking -> gap 0.15
    # bin [0.8, 0.9): two clips, mean score 0.85, one stalking   -> gap 0.35
    # bin [0.9, 1.0]: a score of exactly 1 goes into the last bin, stalking -> gap 0
    y = np.array([0, 0, 1, 0, 1])
    s = np.array([0.1, 0.2 - 1e-9, 0.8, 0.9 - 1e-9, 1.0])
    rel = reliability(y, s, bins=10)
    assert rel.count == [0, 2, 0, 0, 0, 0, 0, 0, 2, 1] and rel.n == 5
    assert rel.mean_score[1] == pytest.approx(0.15) and rel.fraction_positive[8] == pytest.approx(0.5)
    assert np.isnan(rel.mean_score[0]) and np.isnan(rel.fraction_positive[5])
    assert rel.ece == pytest.approx(2 / 5 * 0.15 + 2 / 5 * 0.35 + 1 / 5 * 0.0)
    d = rel.to_dict()
    assert d["mean_score"][0] is None and d["ece"] == pytest.approx(rel.ece) and len(d["edges"]) == 11


def test_a_calibrated_model_has_a_small_ece_and_an_overconfident_one_a_large_one():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 20000)
    y = (rng.uniform(0, 1, p.size) < p).astype(int)  # stalking with probability p: calibrated
    assert reliability(y, p).ece < 0.02
    sharp = np.where(p >= 0.5, 1.0, 0.0)  # says 0 or 1 whatever the truth
    assert reliability(y, sharp).ece > 0.2


def test_reliability_refuses_bad_input():
    with pytest.raises(ValueError):
        reliability(np.array([0, 1]), np.array([0.5]))
    with pytest.raises(ValueError):
        reliability(np.array([0, 1]), np.array([0.5, 1.5]))


def test_threshold_is_chosen_on_validation_not_half_by_habit():
    # every score under 0.5: at 0.5 everything is non_stalking; the classes split at 0.15..0.2
    y = np.array([0, 0, 0, 1, 1, 1])
    s = np.array([0.05, 0.1, 0.15, 0.2, 0.3, 0.35])
    ch = choose_threshold(y, s)
    assert ch.threshold == pytest.approx(0.175) and ch.macro_f1 == 1.0 and ch.accuracy == 1.0
    assert ch.accuracy_at_half == 0.5 and ch.macro_f1_at_half < 0.5 and ch.n == 6
    assert ch.to_dict()["chosen_on"] == "validation split"


def test_threshold_ties_go_to_half():
    y = np.array([0, 0, 1, 1])
    s = np.array([0.1, 0.2, 0.8, 0.9])  # any threshold in (0.2, 0.8] separates them: 0.5 is one of them
    assert choose_threshold(y, s).threshold == 0.5
    with pytest.raises(ValueError):
        choose_threshold(np.array([], int), np.array([]))


def test_summary_goes_into_the_card_text_and_plot():
    y = {"val": np.array([0, 1, 0, 1]), "test": np.array([0, 1])}
    s = {"val": np.array([0.2, 0.4, 0.1, 0.45]), "test": np.array([0.3, 0.6])}
    ch = choose_threshold(y["val"], s["val"])
    summary = calibration_summary(y, s, ch, ch.threshold)
    assert set(summary["reliability"]) == {"val", "test"} and summary["threshold_applied"] == ch.threshold
    assert summary["threshold_on_validation"]["threshold"] == pytest.approx(0.3)
    lines = "\n".join(
        text_sections({"calibration": summary, "limits": ["never tested on X"], "training_data": "ten clips"})
    )
    assert "CALIBRATION" in lines and "val: ECE" in lines and "never tested on X" in lines and "ten clips" in lines
    assert plot_reliability(summary)[:8] == b"\x89PNG\r\n\x1a\n"


def test_training_applies_the_threshold_chosen_on_validation_when_asked(monkeypatch):
    from types import SimpleNamespace

    from forensic.model import train
    from forensic.model.split import Split

    labels = np.array([0, 0, 1, 1, 0, 1, 0, 1])
    split = Split(0, np.array([0, 1, 2, 3]), np.array([4, 5]), np.array([6, 7]))
    raw = {"train": np.array([0.1, 0.2, 0.3, 0.4]), "val": np.array([0.2, 0.35]), "test": np.array([0.25, 0.4])}
    monkeypatch.setattr(
        train,
        "fit",
        lambda *a, **k: SimpleNamespace(keras_model=None, scaler=None, epochs_run=1, best_epoch=1, seconds=0.0),
    )
    monkeypatch.setattr(train, "raw_scores_by_split", lambda clf, ds, sp: raw)
    dataset = SimpleNamespace(labels=labels)
    fixed = train.train_on(dataset, split, train.TrainConfig())
    assert fixed.metrics["test"].threshold == 0.5 and fixed.metrics["test"].accuracy == 0.5
    chosen = train.train_on(dataset, split, train.TrainConfig(choose_threshold=True))
    assert chosen.metrics["test"].threshold == pytest.approx(0.275) and chosen.metrics["test"].accuracy == 1.0
