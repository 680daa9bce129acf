"""Training, as the paper's section IV.A: 60/20/20 split, StandardScaler on the training split,
Adam with learning rate 1e-3 and decay 5e-4, early stopping on validation loss with the best
weights restored; epochs and batch size configurable; deterministic for a given seed.

The paper's "decay of 5e-4" is Keras' old Adam ``decay`` argument: lr = 1e-3 / (1 + 5e-4 * step),
one step per batch. It is written here as the equivalent schedule, InverseTimeDecay(1e-3,
decay_steps=1, decay_rate=5e-4).

Training needs TensorFlow's eager execution: it refuses to run in a process where PixelLib was
imported (PixelLib turns eager execution off for the whole process).
"""

from __future__ import annotations

import dataclasses
import os
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forensic.model import card as model_card
from forensic.model import store
from forensic.model.architecture import (
    ARCHITECTURES,
    FRAME_LEVEL,
    FRAMES,
    ArchitectureConfig,
    build_model,
    keras,
    model_vectors,
    vector_columns,
)
from forensic.model.calibration import calibration_summary, choose_threshold
from forensic.model.data import Dataset, check_outside, load_dataset
from forensic.model.feature_settings import FeatureSettings
from forensic.model.metrics import compute_metrics, frame_accuracy
from forensic.model.scaler import StandardScaler, fit_on_split
from forensic.model.split import Split, split_csv, split_dataset
from forensic.model.store import FusionClassifier, clip_scores, model_inputs
from forensic.parallel import Batch

Progress = Callable[[str], None]


def _quiet(_msg: str) -> None:
    pass


@dataclass(frozen=True)
class TrainConfig:
    architecture: str = "fusion"
    epochs: int = 50  # an upper bound: early stopping ends training (the paper's model stopped after 35)
    batch_size: int = 8
    seed: int = 42
    learning_rate: float = 1e-3  # paper
    decay: float = 5e-4  # paper
    patience: int = 5  # epochs without a better validation loss before stopping (paper silent)
    min_delta: float = 0.0  # how much lower a validation loss must be to count as better
    threshold: float = 0.5
    choose_threshold: bool = False  # True: the threshold chosen on the validation split replaces ``threshold``
    vgg16_weights: str | None = None  # a VGG16 "notop" weights file; None: from scratch
    arch: ArchitectureConfig = field(default_factory=ArchitectureConfig)

    def check(self) -> None:
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.architecture!r}: {', '.join(ARCHITECTURES)}")
        if self.epochs < 1 or self.batch_size < 1 or self.patience < 0:
            raise ValueError("epochs and batch size must be at least 1, patience at least 0")
        if not 0.0 <= self.min_delta < 1.0:
            raise ValueError("min_delta (the least validation-loss improvement that counts) must lie in [0, 1)")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError("the threshold must lie between 0 and 1")
        if self.vgg16_weights and self.architecture not in FRAME_LEVEL:
            raise ValueError(f"--vgg16-weights applies to vgg16 and vgg16_mlp, not {self.architecture}")
        if self.vgg16_weights and not os.path.isfile(self.vgg16_weights):
            raise FileNotFoundError(f"VGG16 weights file not found: {self.vgg16_weights}")


@dataclass
class FitResult:
    keras_model: Any
    scaler: StandardScaler
    history: dict[str, list[float]]
    epochs_run: int
    best_epoch: int  # 1-based: the epoch whose weights were kept
    epoch_seconds: list[float]
    seconds: float
    peak_rss_mb: float  # of this process, so far
    train_samples: int  # what one epoch goes through (frames for frame-level models, else clips)
    val_samples: int


def ensure_trainable() -> None:
    """Refuse to train where PixelLib was imported (eager execution off: ConvLSTM training fails)."""
    if "pixellib" in sys.modules:
        raise RuntimeError(
            "training cannot run in a process where PixelLib was imported (it turns TensorFlow's eager "
            "execution off); extract the features in another process (forensic train does) and train here"
        )
    import tensorflow as tf

    if not tf.executing_eagerly():
        raise RuntimeError("training needs TensorFlow's eager execution, which is off in this process")


def set_determinism(seed: int) -> None:
    """Same seed, same data, same machine: same weights (Python, numpy and TensorFlow seeds; op determinism)."""
    import tensorflow as tf

    keras().utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


def fit_arrays(
    frames: np.ndarray,
    vectors: np.ndarray,
    labels: np.ndarray,
    train: np.ndarray,
    val: np.ndarray,
    config: TrainConfig,
    progress: Progress = _quiet,
    fitted_on: dict[str, Any] | None = None,
) -> FitResult:
    """Fit the scaler on ``train`` only, then the model; early stopping watches ``val``."""
    config.check()
    ensure_trainable()
    set_determinism(config.seed)
    k = keras()
    arch = config.architecture
    vectors = model_vectors(arch, vectors)  # the 29, or with the relational variant's numbers
    scaler = fit_on_split(vectors, train, fitted_on, vector_columns(arch))
    scaled = scaler.transform(vectors)
    per = FRAMES if arch in FRAME_LEVEL else 1
    x_train = model_inputs(arch, frames[train], scaled[train])
    y_train = np.repeat(labels[train].astype(np.float32), per)
    x_val = model_inputs(arch, frames[val], scaled[val])
    y_val = np.repeat(labels[val].astype(np.float32), per)
    model = build_model(arch, config.arch, config.vgg16_weights)
    schedule = k.optimizers.schedules.InverseTimeDecay(config.learning_rate, decay_steps=1, decay_rate=config.decay)
    model.compile(
        optimizer=k.optimizers.Adam(learning_rate=schedule),
        loss="binary_crossentropy",
        metrics=[k.metrics.BinaryAccuracy(name="accuracy", threshold=config.threshold)],
    )
    stop = k.callbacks.EarlyStopping(
        monitor="val_loss", patience=config.patience, min_delta=config.min_delta, restore_best_weights=True
    )
    timer = _EpochTimer(progress, config.epochs)
    t0 = time.perf_counter()
    hist = model.fit(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        epochs=config.epochs,
        batch_size=config.batch_size,
        shuffle=True,
        callbacks=[stop, timer],
        verbose=0,
    )
    seconds = time.perf_counter() - t0
    history = {key: [float(v) for v in values] for key, values in hist.history.items()}
    val_loss = history.get("val_loss", [])
    # the epoch whose weights early stopping restored (with min_delta not always the lowest val_loss)
    best = int(stop.best_epoch) + 1 if val_loss else len(history.get("loss", []))
    return FitResult(
        model,
        scaler,
        history,
        len(history.get("loss", [])),
        best,
        timer.seconds,
        seconds,
        peak_rss_mb(),
        int(y_train.shape[0]),
        int(y_val.shape[0]),
    )


class _EpochTimer:
    """Wall time of every epoch, and a progress line."""

    def __new__(cls, progress: Progress, epochs: int):
        k = keras()

        class Timer(k.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.seconds: list[float] = []
                self._t = 0.0

            def on_epoch_begin(self, epoch, logs=None):
                self._t = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                self.seconds.append(time.perf_counter() - self._t)
                logs = logs or {}
                progress(
                    f"epoch {epoch + 1}/{epochs}: {self.seconds[-1]:.1f} s, loss {logs.get('loss', float('nan')):.4f}, "
                    f"accuracy {logs.get('accuracy', float('nan')):.3f}, val_loss {logs.get('val_loss', float('nan')):.4f}, "
                    f"val_accuracy {logs.get('val_accuracy', float('nan')):.3f}"
                )

        return Timer()


def fit(dataset: Dataset, split: Split, config: TrainConfig, progress: Progress = _quiet) -> FitResult:
    """:func:`fit_arrays` on a data set and its split."""
    fitted_on = {
        "split": "train",
        "clips": int(split.train.size),
        "frames": int(split.train.size * FRAMES),
        "clip_sha256": sorted(dataset.clips[i].sha256 or "" for i in split.train),
    }
    return fit_arrays(
        dataset.frames, dataset.vectors, dataset.labels, split.train, split.val, config, progress, fitted_on
    )


def raw_scores_by_split(clf: FusionClassifier, dataset: Dataset, split: Split) -> dict[str, np.ndarray]:
    """The fitted model's outputs on each split, with the code the scan uses ((n,) per clip, or
    (n, 5) per frame for frame-level models)."""
    return {
        name: clf.raw_scores(dataset.frames[getattr(split, name)], dataset.vectors[getattr(split, name)])
        for name in ("train", "val", "test")
    }


@dataclass
class TrainOutcome:
    model_dir: str | None
    card: dict[str, Any] | None
    dataset: Dataset
    split: Split
    fit: FitResult
    metrics: dict[str, Any]  # split name -> forensic.model.metrics.Metrics


def check_model_dir(model_dir: str, dataset_dir: str) -> None:
    model_dir = os.path.abspath(model_dir)
    check_outside(model_dir, os.path.abspath(dataset_dir), "the model folder")
    if os.path.exists(model_dir) and (not os.path.isdir(model_dir) or os.listdir(model_dir)):
        raise FileExistsError(f"{model_dir} exists and is not an empty folder: choose a new model folder")


def prepare(
    dataset_dir: str,
    settings: FeatureSettings,
    cache_dir: str,
    seed: int,
    progress: Progress = _quiet,
    jobs: int = 1,
    batch: Batch | None = None,
) -> tuple[Dataset, Split]:
    """DATASET -> features (cached, extracted by ``batch``, else in ``jobs`` local processes) -> the stratified split; problems
    reported through ``progress``."""
    dataset = load_dataset(dataset_dir, settings, cache_dir, progress, jobs=jobs, batch=batch)
    for p in dataset.problems:
        progress(f"{p.severity}: {p.path}: {p.message}")
    split = split_dataset(dataset.labels, dataset.sha256, seed)
    progress(
        f"{len(dataset.clips)} usable clip(s) {dataset.counts()}, {len(dataset.left_out)} left out; split "
        f"train {split.train.size}, validation {split.val.size}, test {split.test.size} (seed {seed})"
    )
    return dataset, split


def train_on(
    dataset: Dataset,
    split: Split,
    config: TrainConfig,
    model_dir: str | None = None,
    progress: Progress = _quiet,
    argv: list[str] | None = None,
    name: str | None = None,
) -> TrainOutcome:
    """Fit one model on a prepared split, measure it on every split, and write MODEL_DIR when given."""
    result = fit(dataset, split, config, progress)
    progress(
        f"{config.architecture}: {result.epochs_run} epoch(s) in {result.seconds:.1f} s; kept the weights of "
        f"epoch {result.best_epoch}"
    )
    clf = FusionClassifier(
        result.keras_model,
        result.scaler,
        {"architecture": {"name": config.architecture}, "threshold": config.threshold},
    )
    raw = raw_scores_by_split(clf, dataset, split)
    scores = {part: clip_scores(r) for part, r in raw.items()}
    labels = {part: dataset.labels[getattr(split, part)] for part in raw}
    choice = choose_threshold(labels["val"], scores["val"])
    if config.choose_threshold:
        config = dataclasses.replace(config, threshold=choice.threshold)
        progress(
            f"threshold chosen on validation: {choice.threshold:.4f} (validation macro F1 {choice.macro_f1:.4f}, "
            f"{choice.macro_f1_at_half:.4f} at 0.5)"
        )
    calibration = calibration_summary(labels, scores, choice, config.threshold)
    metrics = {part: compute_metrics(labels[part], scores[part], config.threshold) for part in raw}
    if config.architecture in FRAME_LEVEL:
        for part, r in raw.items():
            metrics[part].frame_accuracy = frame_accuracy(r, dataset.labels[getattr(split, part)], config.threshold)
    if model_dir is None:
        return TrainOutcome(None, None, dataset, split, result, metrics)
    card = model_card.build_card(
        name=name,
        config=config,
        dataset=dataset,
        split=split,
        fit=result,
        metrics=metrics,
        argv=argv or [],
        calibration=calibration,
    )
    files = {
        store.CURVES_PNG: model_card.plot_training_curves(result.history, result.best_epoch),
        store.CONFUSION_PNG: model_card.plot_confusion_matrix(metrics["test"], "test split"),
        store.HISTORY_CSV: model_card.history_csv(result.history, result.epoch_seconds),
        store.SPLIT_CSV: split_csv(dataset, split),
        store.PROBLEMS: model_card.problems_jsonl(dataset.problems),
    }
    final = store.write_model_dir(model_dir, result.keras_model, result.scaler, card, files, model_card.card_text)
    return TrainOutcome(os.path.abspath(model_dir), final, dataset, split, result, metrics)


def train(
    dataset_dir: str,
    model_dir: str,
    config: TrainConfig,
    settings: FeatureSettings,
    cache_dir: str,
    progress: Progress = _quiet,
    argv: list[str] | None = None,
    name: str | None = None,
    jobs: int = 1,
    batch: Batch | None = None,
) -> TrainOutcome:
    """DATASET -> features (cached) -> split -> scaler + model -> metrics -> MODEL_DIR."""
    config.check()
    check_model_dir(model_dir, dataset_dir)
    ensure_trainable()
    dataset, split = prepare(dataset_dir, settings, cache_dir, config.seed, progress, jobs, batch)
    return train_on(dataset, split, config, model_dir, progress, argv, name)
