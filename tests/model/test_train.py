"""Training (forensic.model.train) on made-up arrays: it learns, the scaler sees the training split
only, the learning-rate schedule is the paper's, early stopping keeps the best weights, and
training is refused where PixelLib was imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from forensic.model.store import FusionClassifier, model_inputs
from forensic.model.train import TrainConfig, fit_arrays

from .conftest import env


def arrays(n: int, seed: int, signal: bool):
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 256, (n, 5, 128, 128, 3), dtype=np.uint8)
    labels = np.array([0, 1] * (n // 2))
    if signal:  # only the nose-to-nose distance is known, and it gives the class away
        vectors = np.full((n, 5, 29), np.nan)
        vectors[..., -1] = np.where(labels[:, None] == 1, 400.0, 100.0) + rng.normal(size=(n, 5)) * 30
    else:  # noise: the model can only memorise the training clips
        vectors = rng.normal(size=(n, 5, 29)) * 50 + 100
        vectors[labels == 1, :, -1] += 300
    return frames, vectors, labels


@pytest.fixture(scope="module")
def learned():
    frames, vectors, labels = arrays(24, seed=0, signal=True)
    train, val = np.arange(16), np.arange(16, 24)
    result = fit_arrays(frames, vectors, labels, train, val, TrainConfig(epochs=8, batch_size=4, patience=8, seed=1))
    return frames, vectors, labels, train, val, result


def test_it_learns_a_signal_given_only_in_the_numbers(learned):
    frames, vectors, labels, _train, val, r = learned
    loss = r.history["loss"]
    assert r.epochs_run == 8 and len(r.epoch_seconds) == 8 and loss[-1] < loss[0] - 0.1
    clf = FusionClassifier(r.keras_model, r.scaler, {"architecture": {"name": "fusion"}})
    scores = clf.predict(frames[val], vectors[val])
    assert scores[labels[val] == 1].min() > scores[labels[val] == 0].max()
    assert r.train_samples == 16 and r.val_samples == 8 and r.peak_rss_mb > 100


def test_the_scaler_is_fitted_on_the_training_split_only(learned):
    _frames, vectors, _labels, train, _val, r = learned
    assert r.scaler.mean[-1] == pytest.approx(np.nanmean(vectors[train][..., -1]), rel=1e-12)
    assert r.scaler.mean[-1] != pytest.approx(np.nanmean(vectors[..., -1]), rel=1e-6)
    assert r.scaler.count[-1] == train.size * 5 and r.scaler.count[0] == 0  # missing everywhere else
    assert r.scaler.frames == train.size * 5


def test_adam_with_the_papers_decay(learned):
    opt = learned[-1].keras_model.optimizer
    assert type(opt).__name__ == "Adam"
    schedule = opt.get_config()["learning_rate"]
    assert schedule["class_name"] == "InverseTimeDecay"
    assert schedule["config"] == {
        "initial_learning_rate": 1e-3,
        "decay_steps": 1,
        "decay_rate": 5e-4,
        "staircase": False,
        "name": None,
    }
    steps = int(opt.iterations.numpy())
    assert steps == 8 * 4  # 16 clips, batch 4, 8 epochs: one step per batch
    # the rate the last update used (step index steps - 1): Keras' old Adam(lr=1e-3, decay=5e-4)
    assert float(opt.learning_rate.numpy()) == pytest.approx(1e-3 / (1 + 5e-4 * (steps - 1)), rel=1e-6)


def test_early_stopping_keeps_the_best_weights():
    """Validation clips labelled against the training signal: the better the model learns, the worse
    its validation loss, so training stops and the weights of the best epoch must come back."""
    frames, vectors, labels = arrays(24, seed=0, signal=True)
    train, val = np.arange(16), np.arange(16, 24)
    labels = labels.copy()
    labels[val] = 1 - labels[val]
    r = fit_arrays(frames, vectors, labels, train, val, TrainConfig(epochs=6, batch_size=4, patience=1, seed=1))
    val_loss = r.history["val_loss"]
    assert r.epochs_run < 6 and r.best_epoch < r.epochs_run  # it stopped after worse epochs
    assert r.best_epoch == int(np.argmin(val_loss)) + 1
    x = model_inputs("fusion", frames[val], r.scaler.transform(vectors[val]))
    r.keras_model.compile(loss="binary_crossentropy")
    now = r.keras_model.evaluate(x, labels[val].astype(np.float32), batch_size=4, verbose=0)
    assert now == pytest.approx(val_loss[r.best_epoch - 1], abs=1e-5)
    assert now != pytest.approx(val_loss[-1], abs=1e-4)


def test_min_delta_counts_only_large_enough_improvements(learned):
    """The validation loss falls every epoch here (learned: 8 of 8 epochs run); with min_delta above
    any fall, no epoch after the first counts as better, so training stops after ``patience``."""
    frames, vectors, labels, train, val, r8 = learned
    assert r8.epochs_run == 8 and min(r8.history["val_loss"][1:]) < r8.history["val_loss"][0]
    cfg = TrainConfig(epochs=8, batch_size=4, patience=1, min_delta=0.9, seed=1)
    r = fit_arrays(frames, vectors, labels, train, val, cfg)
    assert r.epochs_run == 2 and r.best_epoch == 1


def test_bad_settings_are_refused(tmp_path):
    for bad in (
        TrainConfig(min_delta=-0.01),
        TrainConfig(min_delta=1.0),
        TrainConfig(epochs=0),
        TrainConfig(batch_size=0),
        TrainConfig(architecture="lenet"),
        TrainConfig(threshold=1.5),
        TrainConfig(vgg16_weights=str(tmp_path / "w.h5")),
    ):
        with pytest.raises((ValueError, FileNotFoundError)):
            bad.check()


def test_training_is_refused_where_pixellib_was_imported():
    script = textwrap.dedent("""
        import numpy as np
        from pixellib.instance import mask_rcnn  # turns eager execution off for the process
        from forensic.model.train import TrainConfig, fit_arrays
        f = np.zeros((6, 5, 128, 128, 3), np.uint8); v = np.zeros((6, 5, 29)); y = np.array([0, 1] * 3)
        try:
            fit_arrays(f, v, y, np.arange(4), np.arange(4, 6), TrainConfig(epochs=1))
        except RuntimeError as exc:
            print("REFUSED:", exc)
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env())
    assert "REFUSED: training cannot run in a process where PixelLib was imported" in r.stdout, r.stderr[-2000:]


def test_the_relational_variant_reads_the_29_and_its_derived_numbers():
    """fusion_relational: the same 5 x 29 numbers go in; its scaler and MLP stream see 48 columns per
    frame (the 29, 11 relational numbers of the frame, 8 of the clip), and it learns a class given
    only by who moves toward whom."""
    from forensic.features.table import FEATURE_COLUMNS
    from forensic.model.architecture import model_vectors, vector_columns
    from forensic.model.relational import RELATIONAL_CLIP_NAMES, RELATIONAL_NAMES
    from forensic.model.scaler import StandardScaler

    rng = np.random.default_rng(3)
    n = 24
    frames = rng.integers(0, 256, (n, 5, 128, 128, 3), dtype=np.uint8)
    labels = np.array([0, 1] * (n // 2))
    col = {c: i for i, c in enumerate(FEATURE_COLUMNS)}
    vectors = np.full((n, 5, 29), np.nan)  # only the noses, eye corners and distance are known
    for i, label in enumerate(labels):
        step = 25.0 if label else -25.0  # A walks toward B (class 1) or away from B (class 0)
        ax = 100.0 + rng.uniform(0, 400) + step * np.arange(5)
        bx = ax[0] + 300.0 + rng.normal(size=5)
        for who, x in (("A", ax), ("B", bx)):
            vectors[i, :, col[f"{who}_nose_tip_x"]] = x
            vectors[i, :, col[f"{who}_left_eye_left_corner_x"]] = x - 20
            vectors[i, :, col[f"{who}_right_eye_right_corner_x"]] = x + 20
            vectors[i, :, col[f"{who}_nose_tip_y"]] = 200.0
            vectors[i, :, col[f"{who}_left_eye_left_corner_y"]] = vectors[
                i, :, col[f"{who}_right_eye_right_corner_y"]
            ] = 180
        vectors[i, :, col["distance_px"]] = np.abs(bx - ax)
    wide = model_vectors("fusion_relational", vectors)
    assert wide.shape == (n, 5, 29 + len(RELATIONAL_NAMES) + len(RELATIONAL_CLIP_NAMES)) == (n, 5, 48)
    np.testing.assert_array_equal(wide[..., :29], vectors)
    np.testing.assert_array_equal(model_vectors("fusion", vectors), vectors)
    train, val = np.arange(16), np.arange(16, 24)
    cfg = TrainConfig(architecture="fusion_relational", epochs=12, batch_size=4, patience=12, seed=1)
    r = fit_arrays(frames, vectors, labels, train, val, cfg)
    assert r.scaler.columns == vector_columns("fusion_relational") and len(r.scaler.mean) == wide.shape[-1]
    assert StandardScaler.from_json(r.scaler.to_json()).columns == r.scaler.columns  # the model folder's scaler.json
    assert r.keras_model.get_layer("vectors").input_shape[0][1:] == (5, wide.shape[-1])
    clf = FusionClassifier(r.keras_model, r.scaler, {"architecture": {"name": "fusion_relational"}})
    scores = clf.predict(frames[val], vectors[val])  # the 29 numbers, as the scan hands them over
    assert scores[labels[val] == 1].min() > scores[labels[val] == 0].max()
