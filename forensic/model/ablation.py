"""The paper's Table 2: the four models trained and measured on one split with the same settings
(``forensic evaluate DATASET --ablation``)."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from forensic.fsutil import write_atomic
from forensic.model import train as training
from forensic.model.architecture import FRAME_LEVEL, TABLE2_ROWS, TABLE2_VARIANTS, keras
from forensic.model.data import Dataset
from forensic.model.feature_settings import FeatureSettings
from forensic.parallel import Batch

Progress = Callable[[str], None]


def _quiet(_msg: str) -> None:
    pass


@dataclass
class Ablation:
    dataset: Dataset
    split: Any  # forensic.model.split.Split
    rows: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": {
                "root": self.dataset.root,
                "dataset_sha256": self.dataset.fingerprint(),
                "clips": self.dataset.counts(),
            },
            "split": self.split.describe(self.dataset.labels),
            "rows": self.rows,
        }


def ablation(
    dataset_dir: str,
    settings: FeatureSettings,
    config,
    cache_dir: str,
    out_dir: str | None = None,
    progress: Progress = _quiet,
    argv: list[str] | None = None,
    jobs: int = 1,
    batch: Batch | None = None,
) -> Ablation:
    """Train and measure the four models of Table 2 on one split with the same settings, then the
    variants beyond the paper as extra rows (``config``: a :class:`forensic.model.train.TrainConfig`;
    its architecture is replaced).
    With ``out_dir``, each model is saved as OUT_DIR/<architecture>/ (a full MODEL_DIR)."""
    training.ensure_trainable()
    if out_dir:
        for arch, _ in TABLE2_ROWS + TABLE2_VARIANTS:
            training.check_model_dir(os.path.join(out_dir, arch), dataset_dir)
    dataset, split = training.prepare(dataset_dir, settings, cache_dir, config.seed, progress, jobs, batch)
    rows = []
    for arch, (cnn, lstm, mlp) in TABLE2_ROWS + TABLE2_VARIANTS:
        cfg = dataclasses.replace(
            config, architecture=arch, vgg16_weights=config.vgg16_weights if arch in FRAME_LEVEL else None
        )
        progress(f"ablation: training {arch}")
        keras().backend.clear_session()  # free the previous model; fresh layer names
        model_dir = os.path.join(out_dir, arch) if out_dir else None
        outcome = training.train_on(dataset, split, cfg, model_dir, progress, argv)
        m = outcome.metrics
        rows.append(
            {
                "architecture": arch,
                "cnn": cnn,
                "lstm": lstm,
                "mlp": mlp,
                "frame_level": arch in FRAME_LEVEL,
                "train_accuracy": m["train"].accuracy,
                "val_accuracy": m["val"].accuracy,
                "test_accuracy": m["test"].accuracy,
                "test_macro": m["test"].macro,
                "test_frame_accuracy": m["test"].frame_accuracy,
                "epochs_run": outcome.fit.epochs_run,
                "best_epoch": outcome.fit.best_epoch,
                "mean_epoch_s": float(np.mean(outcome.fit.epoch_seconds)) if outcome.fit.epoch_seconds else None,
                "test": m["test"].to_dict(),
                "model_dir": outcome.model_dir,
                "model_sha256": outcome.card["card_sha256"] if outcome.card else None,
            }
        )
        del outcome
    if out_dir:
        result = Ablation(dataset, split, rows)
        write_atomic(os.path.join(out_dir, "table2.json"), (json.dumps(result.to_dict(), indent=2) + "\n").encode())
        write_atomic(os.path.join(out_dir, "table2.txt"), (format_table2(result) + "\n").encode())
    return Ablation(dataset, split, rows)


def format_table2(ab: Ablation) -> str:
    """The paper's Table 2: training, validation and testing accuracy of the four models, then the
    variants beyond the paper (clip level; the frame-level models' clip score is the mean of their 5
    frame scores)."""
    ds, sp = ab.dataset, ab.split
    head = (
        f"{'CNN':<5}{'LSTM':<6}{'MLP':<5}{'model':<19}{'train acc':>11}{'val acc':>11}{'test acc':>11}"
        f"{'test macro F1':>15}{'test frame acc':>16}"
    )
    lines = [
        f"Table 2: {len(ds.clips)} clips {ds.counts()}, split seed {sp.seed}: train {sp.train.size}, "
        f"validation {sp.val.size}, test {sp.test.size}",
        head,
    ]
    tick = lambda b: "✓" if b else ""  # noqa: E731
    for r in ab.rows:
        frame = f"{r['test_frame_accuracy'] * 100:.2f}%" if r["test_frame_accuracy"] is not None else "-"
        lines.append(
            f"{tick(r['cnn']):<5}{tick(r['lstm']):<6}{tick(r['mlp']):<5}{r['architecture']:<19}"
            f"{r['train_accuracy'] * 100:>10.2f}%{r['val_accuracy'] * 100:>10.2f}%"
            f"{r['test_accuracy'] * 100:>10.2f}%"
            f"{r['test_macro']['f1']:>15.4f}{frame:>16}"
        )
    return "\n".join(lines)
