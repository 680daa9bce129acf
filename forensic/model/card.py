"""The model card: what the model is, how it was made, from what, how well it does, with which
software. JSON (model_card.json, hashed: see forensic.model.store) and readable text
(model_card.txt), plus the training curves and the confusion matrix as PNG.
"""

from __future__ import annotations

import io
import json
import platform
from typing import Any

import numpy as np

from forensic.features.table import FEATURE_COLUMNS
from forensic.model.architecture import (
    CHOICES, FRAME_LEVEL, PAPER_SIZES, TABLE2_ROWS, USES_VECTORS, layer_table, output_sizes,
)  # fmt: skip
from forensic.model.data import CLASSES, FRACTIONS, Dataset, Split
from forensic.model.scaler import MISSING_RULE
from forensic.model.store import CARD_FORMAT, CONFUSION_PNG, CURVES_PNG, HISTORY_CSV, MODEL_FILE, PROBLEMS, SCALER_FILE, SPLIT_CSV
from forensic.records import Problem
from forensic.store.provenance import dependency_versions, tool_source, utc_now

PAPER = {
    "title": "A Computer Vision Based Approach for Stalking Detection Using a CNN-LSTM-MLP Hybrid Fusion Model",
    "authors": "Hasan et al.",
    "sections": "III.G-J (dimension transformation, normalisation, model), IV (training settings, Tables 1-2)",
}

DESCRIPTIONS = {
    "fusion": "CNN-LSTM-MLP hybrid fusion (the paper's proposed model): ConvLSTM stream on 5 frames + MLP stream on "
              "5 x 29 numbers, concatenated, two Dense ReLU, Dense 1 sigmoid",
    "convlstm": "CNN-LSTM without fusion: the ConvLSTM stream alone, then the same head",
    "vgg16": "CNN (VGG16) alone, frame level: one frame at a time; a clip's score is the mean of its 5 frame scores",
    "vgg16_mlp": "CNN-MLP with fusion (VGG16 + MLP), frame level: one frame and its 29 numbers at a time; a clip's "
                 "score is the mean of its 5 frame scores",
}


def _name_default(config, dataset: Dataset) -> str:
    return f"{config.architecture}-{dataset.fingerprint()[:12]}-seed{config.seed}"


def versions() -> dict[str, Any]:
    deps = dependency_versions()
    key = {k: deps.get(k) or deps.get(k.replace("-", "_")) for k in ("tensorflow-cpu", "tensorflow", "tf-keras", "keras", "numpy", "h5py", "opencv-python",
                                    "opencv-contrib-python-headless", "dlib-bin", "scenedetect", "av", "pixellib")}  # fmt: skip
    return {"forensic": tool_source(), "python": platform.python_version(), "platform": platform.platform(),
            "key": {k: v for k, v in key.items() if v}, "dependencies": deps}  # fmt: skip


def build_card(*, name: str | None, config, dataset: Dataset, split: Split, fit, metrics: dict[str, Any],
               argv: list[str]) -> dict[str, Any]:  # fmt: skip
    """Everything but ``self_test``, ``files`` and ``card_sha256`` (added by forensic.model.store)."""
    arch = config.architecture
    model = fit.keras_model
    sizes = output_sizes(model)
    checked = {k: {"paper": list(v), "model": list(sizes[k]), "same": tuple(sizes[k]) == v}
               for k, v in PAPER_SIZES.items() if k in sizes}  # fmt: skip
    ticks = dict(TABLE2_ROWS)[arch]
    settings = dataset.settings
    vgg = None
    if arch in FRAME_LEVEL:
        from forensic.store.case import sha256_path

        vgg = ({"weights": "a file supplied by the user", "path": config.vgg16_weights,
                "sha256": sha256_path(config.vgg16_weights)} if config.vgg16_weights else
               {"weights": "none: trained from scratch (ImageNet weights cannot be downloaded on this machine)"})  # fmt: skip
    mean_epoch = float(np.mean(fit.epoch_seconds)) if fit.epoch_seconds else None
    # the first epoch also builds the TensorFlow graph: the later ones are the steady cost
    steady = float(np.median(fit.epoch_seconds[1:])) if len(fit.epoch_seconds) > 1 else None
    return {
        "format": CARD_FORMAT,
        "name": name or _name_default(config, dataset),
        "created_utc": utc_now(),
        "paper": PAPER,
        "architecture": {
            "name": arch,
            "description": DESCRIPTIONS[arch],
            "table2": {"cnn": ticks[0], "lstm": ticks[1], "mlp": ticks[2]},
            "frame_level": arch in FRAME_LEVEL,
            "uses_vectors": arch in USES_VECTORS,
            "config": config.arch.to_dict(),
            "paper_sizes": checked,
            "layers": layer_table(model),
            "parameters": int(model.count_params()),
            "vgg16": vgg,
        },
        "choices": [*CHOICES, *training_choices(config)],
        "inputs": {
            "frames": "(n, 5, 128, 128, 3) uint8 RGB: the 5 sample frames of a segment, background removed by the "
                      "segmenter below, resized to 128 x 128 (forensic.features)",
            "vectors": {"shape": "(n, 5, 29) float, NaN where missing", "columns": list(FEATURE_COLUMNS),
                        "scaling": f"StandardScaler fitted on the training split only ({SCALER_FILE})",
                        "missing_values": MISSING_RULE},
            "score": "sigmoid output: probability that the clip shows stalking",
            "classes": {str(i): c for i, c in enumerate(CLASSES)},
        },  # fmt: skip
        "threshold": config.threshold,
        "segmenter": {"name": settings.segmenter_name, "choice": settings.segmenter,
                      **{k: v for k, v in settings.describe().items() if k not in ("segmenter", "segmenter_name")},
                      "note": "a scan must make its frames and numbers with this segmenter and these settings"},  # fmt: skip
        "data": {
            "root": dataset.root,
            "dataset_sha256": dataset.fingerprint(),
            "dataset_sha256_rule": "SHA-256 of the sorted lines 'label<TAB>clip sha256' of the usable clips",
            "clips": dataset.counts(),
            "left_out": [c.summary(dataset.root) for c in dataset.left_out],
            "feature_cache": dataset.cache_dir,
        },
        "split": {**split.describe(dataset.labels), "file": SPLIT_CSV},
        "scaler": {"file": SCALER_FILE, "fitted_on": f"training split only: {split.train.size} clips, "
                   f"{split.train.size * 5} frames", "missing_values": MISSING_RULE},  # fmt: skip
        "training": {
            "optimizer": "Adam",
            "learning_rate": {"schedule": "InverseTimeDecay", "initial": config.learning_rate, "decay_rate": config.decay,
                              "decay_steps": 1, "formula": f"lr = {config.learning_rate:g} / (1 + {config.decay:g} * step), "
                              "one step per batch (Keras' old Adam 'decay')"},  # fmt: skip
            "loss": "binary cross-entropy",
            "batch_size": config.batch_size,
            "epochs_requested": config.epochs,
            "epochs_run": fit.epochs_run,
            "best_epoch": fit.best_epoch,
            "early_stopping": {"monitor": "val_loss", "patience": config.patience, "restore_best_weights": True,
                               "stopped_early": fit.epochs_run < config.epochs},  # fmt: skip
            "seed": config.seed,
            "determinism": "Python, numpy and TensorFlow seeded with the seed; tf.config.experimental."
                           "enable_op_determinism(); same data, seed and machine give the same weights",
            "samples_per_epoch": {"train": fit.train_samples, "val": fit.val_samples,
                                  "unit": "frames" if arch in FRAME_LEVEL else "clips"},  # fmt: skip
            "seconds": fit.seconds,
            "epoch_seconds": fit.epoch_seconds,
            "mean_epoch_seconds": mean_epoch,
            "steady_epoch_seconds": steady,
            "steady_epoch_rule": "median of the epochs after the first (the first also builds the graph)",
            "peak_rss_mb": fit.peak_rss_mb,
            "history_file": HISTORY_CSV,
            "curves_file": CURVES_PNG,
        },
        "metrics": {
            "threshold": config.threshold,
            "train": metrics["train"].to_dict(),
            "val": metrics["val"].to_dict(),
            "test": metrics["test"].to_dict(),
            "confusion_matrix_file": CONFUSION_PNG,
        },
        "problems_file": PROBLEMS,
        "model_file": MODEL_FILE,
        "command_line": list(argv),
        "versions": versions(),
    }


def training_choices(config) -> list[dict[str, str]]:
    return [
        {"topic": "labels", "choice": "non_stalking = 0, stalking = 1; the score is P(stalking); 'stalking' when score >= "
         f"{config.threshold:g}", "why": "the paper's two classes and a sigmoid output"},
        {"topic": "missing values", "choice": MISSING_RULE, "why": "the paper does not say; no number is invented"},
        {"topic": "split", "choice": f"{int(FRACTIONS[0] * 100)}/{int(FRACTIONS[1] * 100)}/{int(FRACTIONS[2] * 100)}, "
         f"stratified by class, seed {config.seed}, at least one clip of each class in each split",
         "why": "the paper gives 60/20/20, not how"},
        {"topic": "early stopping patience", "choice": f"{config.patience} epochs, best weights restored",
         "why": "the paper uses early stopping on validation loss without a patience"},
        {"topic": "batch size and epochs", "choice": f"batch {config.batch_size}, at most {config.epochs} epochs",
         "why": "the paper stops at 35 epochs and gives no batch size"},
        {"topic": "class balance", "choice": "no class weights or resampling", "why": "the paper mentions none"},
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# files


def card_text(card: dict[str, Any]) -> str:
    """The card as plain text, for a person."""
    a, t, d, m = card["architecture"], card["training"], card["data"], card["metrics"]
    out = [
        f"MODEL CARD  {card['name']}",
        f"created {card['created_utc']} by forensic {card['versions']['forensic'].get('version')} "
        f"(commit {card['versions']['forensic'].get('commit')}, dirty {card['versions']['forensic'].get('dirty')})",
        f"paper: {card['paper']['authors']}, \"{card['paper']['title']}\"",
        "",
        f"ARCHITECTURE  {a['name']}: {a['description']}",
        f"  parameters {a['parameters']:,}; CNN {a['table2']['cnn']}, LSTM {a['table2']['lstm']}, MLP {a['table2']['mlp']}",
    ]
    if a.get("vgg16"):
        out.append(f"  VGG16 weights: {a['vgg16']['weights']}")
    out.append("  layer sizes the paper states (paper = model):")
    for k, v in a["paper_sizes"].items():
        out.append(f"    {k:<11} {'x'.join(map(str, v['paper'])):>14}  {'ok' if v['same'] else 'DIFFERENT: ' + str(v['model'])}")
    out.append("  layers:")
    for layer in a["layers"]:
        shape = "x".join(map(str, layer["output_shape"] or []))
        out.append(f"    {layer['name']:<16} {layer['class']:<18} {shape:>16} {layer['parameters']:>10,}")
    out += ["", "CHOICES WHERE THE PAPER IS SILENT"]
    for c in card["choices"]:
        out.append(f"  - {c['topic']}: {c['choice']} ({c['why']})")
    seg = card["segmenter"]
    out += [
        "",
        f"INPUTS  frames {card['inputs']['frames']}",
        f"  vectors {card['inputs']['vectors']['shape']}; missing values: {card['inputs']['vectors']['missing_values']}",
        f"  segmenter {seg['name']}" + (f" (Mask R-CNN weights sha256 {seg['maskrcnn_weights_sha256']})"
                                         if seg.get("maskrcnn_weights_sha256") else "") + f"; {seg['note']}",
        f"  feature settings {json.dumps(seg['feature_config'])}, {seg['samples']} frames per clip, code {json.dumps(seg['code'])}",
        f"  decision threshold {card['threshold']:g}",
        "",
        f"DATA  {d['root']}",
        f"  dataset sha256 {d['dataset_sha256']}; usable clips per class {d['clips']}; left out {len(d['left_out'])}",
    ]  # fmt: skip
    for c in d["left_out"]:
        out.append(f"    left out {c['path']}: {c['status']}: {c['reason']}")
    sp = card["split"]
    out.append(f"  split seed {sp['seed']}: " + "; ".join(f"{k} {v}" for k, v in sp["clips"].items()))
    out.append(f"  scaler: {card['scaler']['fitted_on']}")
    out += [
        "",
        f"TRAINING  Adam, {t['learning_rate']['formula']}; {t['loss']}; batch {t['batch_size']}; seed {t['seed']}",
        f"  epochs {t['epochs_run']} of {t['epochs_requested']} (early stopping on val_loss, patience "
        f"{t['early_stopping']['patience']}); weights of epoch {t['best_epoch']} kept",
        f"  {t['seconds']:.1f} s in all; first epoch {t['epoch_seconds'][0] if t['epoch_seconds'] else 0:.1f} s, later epochs "
        f"{t['steady_epoch_seconds'] if t['steady_epoch_seconds'] is not None else float('nan'):.1f} s each "
        f"({t['samples_per_epoch']['train']} training {t['samples_per_epoch']['unit']}); peak memory {t['peak_rss_mb']:.0f} MB",
        "",
        f"METRICS (threshold {m['threshold']:g})",
        f"  accuracy: train {m['train']['accuracy']:.4f}, validation {m['val']['accuracy']:.4f}, test {m['test']['accuracy']:.4f}",
        "  test split:",
    ]  # fmt: skip
    from forensic.model.evaluate import Metrics, format_metrics

    test = {k: v for k, v in m["test"].items() if k != "confusion_axes"}
    out += ["    " + line for line in format_metrics(Metrics(**test)).splitlines()]
    v = card["versions"]
    out += ["", f"VERSIONS  python {v['python']} on {v['platform']}",
            "  " + ", ".join(f"{k} {ver}" for k, ver in v["key"].items()),
            "", "FILES  (SHA-256; model_card.json holds them all and its own card_sha256)"]  # fmt: skip
    for name, digest in card.get("files", {}).items():
        out.append(f"  {digest}  {name}")
    st = card.get("self_test")
    if st:
        out.append(f"SELF-TEST  scores {st['scores']} (seed {st['seed']}, tolerance {st['tolerance']:g}), checked at every load")
    out.append("COMMAND  " + " ".join(card["command_line"]))
    return "\n".join(out) + "\n"


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def plot_training_curves(history: dict[str, list[float]], best_epoch: int) -> bytes:
    """Loss and accuracy per epoch, training and validation (the paper's Figure 8)."""
    fig = _figure(10, 4)
    epochs = np.arange(1, len(history.get("loss", [])) + 1)
    for i, (metric, label) in enumerate((("loss", "loss"), ("accuracy", "accuracy"))):
        ax = fig.add_subplot(1, 2, i + 1)
        for key, style in ((metric, "-o"), (f"val_{metric}", "-s")):
            if key in history:
                ax.plot(epochs, history[key], style, label="training" if key == metric else "validation")
        ax.axvline(best_epoch, color="grey", linestyle=":", label=f"weights kept (epoch {best_epoch})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.set_title(f"model {label}")
        ax.legend()
    fig.tight_layout()
    return _png(fig)


def plot_confusion_matrix(metrics, title: str) -> bytes:
    """The confusion matrix (the paper's Figure 9)."""
    fig = _figure(4.8, 4.2)
    ax = fig.add_subplot(1, 1, 1)
    cm = np.asarray(metrics.confusion)
    ax.imshow(cm, cmap="Blues")
    for (r, c), v in np.ndenumerate(cm):
        ax.text(c, r, str(v), ha="center", va="center", color="white" if v > cm.max() / 2 else "black", fontsize=14)
    ax.set_xticks(range(len(CLASSES)), CLASSES)
    ax.set_yticks(range(len(CLASSES)), CLASSES)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{title}: accuracy {metrics.accuracy:.3f} (n={metrics.n})")
    fig.tight_layout()
    return _png(fig)


def history_csv(history: dict[str, list[float]], epoch_seconds: list[float]) -> bytes:
    keys = sorted(history)
    lines = [",".join(["epoch", *keys, "seconds"])]
    for i in range(len(history.get("loss", []))):
        secs = f"{epoch_seconds[i]:.3f}" if i < len(epoch_seconds) else ""
        lines.append(",".join([str(i + 1), *(repr(float(history[k][i])) for k in keys), secs]))
    return ("\n".join(lines) + "\n").encode()


def problems_jsonl(problems: list[Problem]) -> bytes:
    return "".join(json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in problems).encode()
