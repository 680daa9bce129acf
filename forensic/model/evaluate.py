"""Evaluation, as the paper's section IV.B: accuracy, per-class precision, recall and F1, macro
averages, the confusion matrix (Table 1, Figure 9), and the four-model comparison (Table 2).

A clip is predicted "stalking" when its score is at least the threshold (0.5 unless the model
card says otherwise). A precision or recall whose denominator is 0 (no clip predicted, or none
present, in that class) is reported as 0, as scikit-learn does; the support says why.

``forensic evaluate DATASET --model MODEL_DIR`` scores the clips of DATASET the model did not train
or validate on: its test split (when DATASET is the data set it was trained on, clips matched by
SHA-256) and any clip it never saw. Accuracies on the training and validation clips are shown
apart and never mixed into the headline metrics.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forensic.features import FeatureConfig
from forensic.model.ablation import Ablation, ablation, format_table2
from forensic.model.data import Dataset, DatasetError, load_dataset
from forensic.model.feature_settings import FeatureSettings, resolve_settings
from forensic.model.metrics import Metrics, compute_metrics, format_metrics, frame_accuracy
from forensic.model.split import read_split_csv
from forensic.model.store import SPLIT_CSV, clip_scores, load_model
from forensic.parallel import Batch

__all__ = [
    "Ablation",
    "Evaluation",
    "Metrics",
    "ablation",
    "compute_metrics",
    "evaluate_model",
    "format_evaluation",
    "format_metrics",
    "format_table2",
    "frame_accuracy",
    "settings_from_card",
]

Progress = Callable[[str], None]


def _quiet(_msg: str) -> None:
    pass


# ---------------------------------------------------------------------------------------------
# forensic evaluate DATASET --model MODEL_DIR


def settings_from_card(card: dict[str, Any], maskrcnn_weights: str | None = None) -> FeatureSettings:
    """The feature settings the model was trained with (the segmenter's weights must be the same file)."""
    seg = card["segmenter"]
    try:
        config = FeatureConfig(**seg["feature_config"])
    except TypeError as exc:
        raise ValueError(
            f"the model was trained with feature settings this version of forensic cannot make "
            f"({seg['feature_config']}): {exc}"
        ) from None
    if seg["choice"] == "pixellib":
        settings = resolve_settings("pixellib", maskrcnn_weights, config)
        if settings.maskrcnn_weights_sha256 != seg.get("maskrcnn_weights_sha256"):
            raise ValueError(
                f"the model's frames were made with Mask R-CNN weights of SHA-256 "
                f"{seg.get('maskrcnn_weights_sha256')}; {settings.maskrcnn_weights} differs"
            )
    else:
        settings = resolve_settings(seg["choice"], None, config)
    if settings.samples != seg.get("samples", settings.samples):
        raise ValueError(f"the model was trained on {seg.get('samples')} sample frames per clip")
    return settings


@dataclass
class Evaluation:
    model_name: str
    model_sha256: str
    architecture: str
    segmenter: str
    dataset: Dataset
    scores: np.ndarray  # every usable clip, in the data set's order
    split_of: list[str]  # per usable clip: train | val | test | unseen
    evaluated: list[int]  # indices counted in ``metrics``
    metrics: Metrics
    by_split: dict[str, Metrics]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        root = self.dataset.root
        return {
            "model": {
                "name": self.model_name,
                "sha256": self.model_sha256,
                "architecture": self.architecture,
                "segmenter": self.segmenter,
            },
            "dataset": {
                "root": root,
                "dataset_sha256": self.dataset.fingerprint(),
                "clips": self.dataset.counts(),
                "left_out": [c.summary(root) for c in self.dataset.left_out],
            },
            "evaluated_clips": len(self.evaluated),
            "metrics": self.metrics.to_dict(),
            "by_split": {k: v.to_dict() for k, v in self.by_split.items()},
            "clips": [
                {**c.summary(root), "split": s, "score": float(x)}
                for c, s, x in zip(self.dataset.clips, self.split_of, self.scores, strict=True)
            ],
            "warnings": self.warnings,
        }


def evaluate_model(
    dataset_dir: str,
    model_dir: str,
    cache_dir: str,
    include_all: bool = False,
    maskrcnn_weights: str | None = None,
    progress: Progress = _quiet,
    jobs: int = 1,
    batch: Batch | None = None,
) -> Evaluation:
    """Score DATASET with the model in MODEL_DIR (verified first) and measure it."""
    clf = load_model(model_dir)
    settings = settings_from_card(clf.card, maskrcnn_weights)
    warnings = []
    trained_code = clf.card["segmenter"].get("code")
    if trained_code and trained_code != settings.describe()["code"]:
        warnings.append(
            f"the features code changed since the model was trained ({trained_code} then, "
            f"{settings.describe()['code']} now)"
        )
    dataset = load_dataset(dataset_dir, settings, cache_dir, progress, jobs=jobs, batch=batch)
    if not dataset.clips:  # accuracy "0 of 0" is not a result
        raise DatasetError(
            f"no usable clip in {dataset_dir} ({len(dataset.left_out)} file(s) left out as unusable): nothing to "
            "evaluate (labelled clips go in its stalking/ and non_stalking/ folders)"
        )
    with open(os.path.join(model_dir, SPLIT_CSV), "rb") as f:
        recorded = read_split_csv(f.read())
    split_of = [recorded.get(c.sha256 or "", "unseen") for c in dataset.clips]
    raw = clf.raw_scores(dataset.frames, dataset.vectors)
    scores = clip_scores(raw)
    evaluated = [i for i, s in enumerate(split_of) if include_all or s in ("test", "unseen")]
    idx = np.array(evaluated, dtype=np.int64)
    metrics = compute_metrics(dataset.labels[idx], scores[idx], clf.threshold)
    if clf.frame_level:
        metrics.frame_accuracy = frame_accuracy(raw[idx], dataset.labels[idx], clf.threshold)
    by_split = {}
    for part in ("train", "val", "test", "unseen"):
        sel = np.array([i for i, s in enumerate(split_of) if s == part], dtype=np.int64)
        if sel.size:
            by_split[part] = compute_metrics(dataset.labels[sel], scores[sel], clf.threshold)
    if not evaluated:
        warnings.append(
            "no clip of this data set is held out from the model's training and validation: "
            "nothing to measure (use --all to score the training clips too)"
        )
    return Evaluation(
        clf.name,
        clf.sha256,
        clf.architecture,
        clf.segmenter,
        dataset,
        scores,
        split_of,
        evaluated,
        metrics,
        by_split,
        warnings,
    )


def format_evaluation(ev: Evaluation, include_all: bool = False) -> str:
    ds = ev.dataset
    counted = "all usable clips" if include_all else "clips held out from training and validation (test split + unseen)"
    lines = [
        f"model {ev.model_name} ({ev.architecture}), sha256 {ev.model_sha256}",
        f"segmenter {ev.segmenter}; data set {ds.root} (sha256 {ds.fingerprint()})",
        f"usable clips {len(ds.clips)} {ds.counts()}; left out {len(ds.left_out)}",
    ]
    for c in ds.left_out:
        lines.append(
            f"  left out: {c.label}/{os.path.relpath(c.path, os.path.join(ds.root, c.label))}: {c.status}: {c.reason}"
        )
    for w in ev.warnings:
        lines.append(f"warning: {w}")
    lines.append(f"evaluated: {len(ev.evaluated)} {counted}")
    lines.append(format_metrics(ev.metrics))
    if ev.by_split:
        lines.append("accuracy by split: " + ", ".join(f"{k} {v.accuracy:.4f} ({v.n})" for k, v in ev.by_split.items()))
    return "\n".join(lines)
