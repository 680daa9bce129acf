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
from forensic.model.architecture import FRAME_LEVEL, TABLE2_ROWS, keras
from forensic.model.data import CLASSES, Dataset, FeatureSettings, read_split_csv, resolve_settings

Progress = Callable[[str], None]


def _quiet(_msg: str) -> None:
    pass


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
        d = {"n": self.n, "threshold": self.threshold, "accuracy": self.accuracy, "per_class": self.per_class,
             "macro": self.macro, "confusion": self.confusion, "confusion_axes": "rows true, columns predicted, "
             f"order {', '.join(CLASSES)}"}  # fmt: skip
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
    lines.append(f"{'macro avg':<{w}}{m.macro['precision']:>10.4f}{m.macro['recall']:>10.4f}{m.macro['f1']:>10.4f}{m.n:>10d}")
    lines.append("confusion matrix (rows: true class, columns: predicted class)")
    lines.append(" " * w + "".join(f"{c:>{w}}" for c in CLASSES))
    for c, row in zip(CLASSES, m.confusion, strict=True):
        lines.append(f"{c:<{w}}" + "".join(f"{v:>{w}d}" for v in row))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# forensic evaluate DATASET --model MODEL_DIR


def settings_from_card(card: dict[str, Any], maskrcnn_weights: str | None = None) -> FeatureSettings:
    """The feature settings the model was trained with (the segmenter's weights must be the same file)."""
    seg = card["segmenter"]
    try:
        config = FeatureConfig(**seg["feature_config"])
    except TypeError as exc:
        raise ValueError(f"the model was trained with feature settings this version of forensic cannot make "
                         f"({seg['feature_config']}): {exc}") from None  # fmt: skip
    if seg["choice"] == "pixellib":
        settings = resolve_settings("pixellib", maskrcnn_weights, config)
        if settings.maskrcnn_weights_sha256 != seg.get("maskrcnn_weights_sha256"):
            raise ValueError(f"the model's frames were made with Mask R-CNN weights of SHA-256 "
                             f"{seg.get('maskrcnn_weights_sha256')}; {settings.maskrcnn_weights} differs")  # fmt: skip
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
            "model": {"name": self.model_name, "sha256": self.model_sha256, "architecture": self.architecture,
                      "segmenter": self.segmenter},
            "dataset": {"root": root, "dataset_sha256": self.dataset.fingerprint(), "clips": self.dataset.counts(),
                        "left_out": [c.summary(root) for c in self.dataset.left_out]},
            "evaluated_clips": len(self.evaluated),
            "metrics": self.metrics.to_dict(),
            "by_split": {k: v.to_dict() for k, v in self.by_split.items()},
            "clips": [{**c.summary(root), "split": s, "score": float(x)}
                      for c, s, x in zip(self.dataset.clips, self.split_of, self.scores, strict=True)],
            "warnings": self.warnings,
        }  # fmt: skip


def evaluate_model(dataset_dir: str, model_dir: str, cache_dir: str, include_all: bool = False,
                   maskrcnn_weights: str | None = None, progress: Progress = _quiet) -> Evaluation:  # fmt: skip
    """Score DATASET with the model in MODEL_DIR (verified first) and measure it."""
    from forensic.model.data import load_dataset
    from forensic.model.store import SPLIT_CSV, clip_scores, load_model

    clf = load_model(model_dir)
    settings = settings_from_card(clf.card, maskrcnn_weights)
    warnings = []
    trained_code = clf.card["segmenter"].get("code")
    if trained_code and trained_code != settings.describe()["code"]:
        warnings.append(f"the features code changed since the model was trained ({trained_code} then, "
                        f"{settings.describe()['code']} now)")  # fmt: skip
    dataset = load_dataset(dataset_dir, settings, cache_dir, progress)
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
        warnings.append("no clip of this data set is held out from the model's training and validation: "
                        "nothing to measure (use --all to score the training clips too)")  # fmt: skip
    return Evaluation(clf.name, clf.sha256, clf.architecture, clf.segmenter, dataset, scores, split_of, evaluated,
                      metrics, by_split, warnings)  # fmt: skip


def format_evaluation(ev: Evaluation, include_all: bool = False) -> str:
    ds = ev.dataset
    counted = "all usable clips" if include_all else "clips held out from training and validation (test split + unseen)"
    lines = [
        f"model {ev.model_name} ({ev.architecture}), sha256 {ev.model_sha256}",
        f"segmenter {ev.segmenter}; data set {ds.root} (sha256 {ds.fingerprint()})",
        f"usable clips {len(ds.clips)} {ds.counts()}; left out {len(ds.left_out)}",
    ]
    for c in ds.left_out:
        lines.append(f"  left out: {c.label}/{os.path.relpath(c.path, os.path.join(ds.root, c.label))}: {c.status}: {c.reason}")
    for w in ev.warnings:
        lines.append(f"warning: {w}")
    lines.append(f"evaluated: {len(ev.evaluated)} {counted}")
    lines.append(format_metrics(ev.metrics))
    if ev.by_split:
        lines.append("accuracy by split: " + ", ".join(f"{k} {v.accuracy:.4f} ({v.n})" for k, v in ev.by_split.items()))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# forensic evaluate DATASET --ablation: the paper's Table 2


@dataclass
class Ablation:
    dataset: Dataset
    split: Any  # forensic.model.data.Split
    rows: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": {"root": self.dataset.root, "dataset_sha256": self.dataset.fingerprint(),
                            "clips": self.dataset.counts()},
                "split": self.split.describe(self.dataset.labels), "rows": self.rows}  # fmt: skip


def ablation(dataset_dir: str, settings: FeatureSettings, config, cache_dir: str, out_dir: str | None = None,
             progress: Progress = _quiet, argv: list[str] | None = None) -> Ablation:  # fmt: skip
    """Train and measure the four models of Table 2 on one split with the same settings
    (``config``: a :class:`forensic.model.train.TrainConfig`; its architecture is replaced).
    With ``out_dir``, each model is saved as OUT_DIR/<architecture>/ (a full MODEL_DIR)."""
    import dataclasses

    from forensic.model import train as training

    training.ensure_trainable()
    if out_dir:
        for arch, _ in TABLE2_ROWS:
            training.check_model_dir(os.path.join(out_dir, arch), dataset_dir)
    dataset, split = training.prepare(dataset_dir, settings, cache_dir, config.seed, progress)
    rows = []
    for arch, (cnn, lstm, mlp) in TABLE2_ROWS:
        cfg = dataclasses.replace(config, architecture=arch,
                                  vgg16_weights=config.vgg16_weights if arch in FRAME_LEVEL else None)  # fmt: skip
        progress(f"ablation: training {arch}")
        keras().backend.clear_session()  # free the previous model; fresh layer names
        model_dir = os.path.join(out_dir, arch) if out_dir else None
        outcome = training.train_on(dataset, split, cfg, model_dir, progress, argv)
        m = outcome.metrics
        rows.append({
            "architecture": arch, "cnn": cnn, "lstm": lstm, "mlp": mlp, "frame_level": arch in FRAME_LEVEL,
            "train_accuracy": m["train"].accuracy, "val_accuracy": m["val"].accuracy, "test_accuracy": m["test"].accuracy,
            "test_macro": m["test"].macro, "test_frame_accuracy": m["test"].frame_accuracy,
            "epochs_run": outcome.fit.epochs_run, "best_epoch": outcome.fit.best_epoch,
            "mean_epoch_s": float(np.mean(outcome.fit.epoch_seconds)) if outcome.fit.epoch_seconds else None,
            "test": m["test"].to_dict(), "model_dir": outcome.model_dir,
            "model_sha256": outcome.card["card_sha256"] if outcome.card else None,
        })  # fmt: skip
        del outcome
    if out_dir:
        import json

        from forensic.store.case import write_atomic

        result = Ablation(dataset, split, rows)
        write_atomic(os.path.join(out_dir, "table2.json"), (json.dumps(result.to_dict(), indent=2) + "\n").encode())
        write_atomic(os.path.join(out_dir, "table2.txt"), (format_table2(result) + "\n").encode())
    return Ablation(dataset, split, rows)


def format_table2(ab: Ablation) -> str:
    """The paper's Table 2: training, validation and testing accuracy of the four models (clip level;
    the frame-level models' clip score is the mean of their 5 frame scores)."""
    ds, sp = ab.dataset, ab.split
    head = f"{'CNN':<5}{'LSTM':<6}{'MLP':<5}{'model':<11}{'train acc':>11}{'val acc':>11}{'test acc':>11}{'test macro F1':>15}{'test frame acc':>16}"
    lines = [
        f"Table 2: {len(ds.clips)} clips {ds.counts()}, split seed {sp.seed}: train {sp.train.size}, "
        f"validation {sp.val.size}, test {sp.test.size}",
        head,
    ]
    tick = lambda b: "✓" if b else ""  # noqa: E731
    for r in ab.rows:
        frame = f"{r['test_frame_accuracy'] * 100:.2f}%" if r["test_frame_accuracy"] is not None else "-"
        lines.append(f"{tick(r['cnn']):<5}{tick(r['lstm']):<6}{tick(r['mlp']):<5}{r['architecture']:<11}"
                     f"{r['train_accuracy'] * 100:>10.2f}%{r['val_accuracy'] * 100:>10.2f}%{r['test_accuracy'] * 100:>10.2f}%"
                     f"{r['test_macro']['f1']:>15.4f}{frame:>16}")  # fmt: skip
    return "\n".join(lines)
