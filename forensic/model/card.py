"""The model card: what the model is, how it was made, from what, how well it does, with which
software. JSON (model_card.json, hashed: see forensic.model.store) and readable text
(model_card.txt), plus the training curves and the confusion matrix as PNG.
"""

from __future__ import annotations

import io
import json
import os
import platform
from typing import Any

import numpy as np

from forensic.features.table import FEATURE_COLUMNS
from forensic.model.architecture import (
    CHOICES,
    FRAME_LEVEL,
    PAPER_SIZES,
    TABLE2_ROWS,
    TABLE2_VARIANTS,
    USES_VECTORS,
    layer_table,
    output_sizes,
)
from forensic.model.data import CLASSES, Dataset
from forensic.model.metrics import Metrics, format_metrics
from forensic.model.scaler import MISSING_RULE
from forensic.model.split import FRACTIONS, Split
from forensic.model.store import (
    CARD_FORMAT,
    CONFUSION_PNG,
    CURVES_PNG,
    HISTORY_CSV,
    MODEL_FILE,
    PROBLEMS,
    SCALER_FILE,
    SPLIT_CSV,
)
from forensic.provenance import dependency_versions, tool_source, utc_now
from forensic.records import Problem

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
    "fusion_relational": "beyond the paper: the fusion model whose MLP stream reads, per frame, the 29 numbers plus 19 "
    "relational ones derived from them (forensic.model.relational: where B is from A in face widths, who is "
    "nearer the camera and how far apart in depth, whose head is turned toward the other, whether the one behind "
    "looks at the one in front, who closes the distance over the clip)",
}


def _name_default(config, dataset: Dataset) -> str:
    return f"{config.architecture}-{dataset.fingerprint()[:12]}-seed{config.seed}"


def versions() -> dict[str, Any]:
    deps = dependency_versions()
    key = {
        k: deps.get(k) or deps.get(k.replace("-", "_"))
        for k in (
            "tensorflow-cpu",
            "tensorflow",
            "tf-keras",
            "keras",
            "numpy",
            "h5py",
            "opencv-python",
            "opencv-contrib-python-headless",
            "dlib-bin",
            "scenedetect",
            "av",
            "pixellib",
        )
    }
    return {
        "forensic": tool_source(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "key": {k: v for k, v in key.items() if v},
        "dependencies": deps,
    }


def build_card(
    *,
    name: str | None,
    config,
    dataset: Dataset,
    split: Split,
    fit,
    metrics: dict[str, Any],
    argv: list[str],
    calibration: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything but ``self_test``, ``files`` and ``card_sha256`` (added by forensic.model.store)."""
    arch = config.architecture
    model = fit.keras_model
    sizes = output_sizes(model)
    checked = {
        k: {"paper": list(v), "model": list(sizes[k]), "same": tuple(sizes[k]) == v}
        for k, v in PAPER_SIZES.items()
        if k in sizes
    }
    ticks = dict(TABLE2_ROWS + TABLE2_VARIANTS)[arch]
    settings = dataset.settings
    vgg = None
    if arch in FRAME_LEVEL:
        from forensic.fsutil import sha256_path

        vgg = (
            {
                "weights": "a file supplied by the user",
                "path": config.vgg16_weights,
                "sha256": sha256_path(config.vgg16_weights),
            }
            if config.vgg16_weights
            else {"weights": "none: trained from scratch (ImageNet weights cannot be downloaded on this machine)"}
        )
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
            "vectors": {
                "shape": "(n, 5, 29) float, NaN where missing",
                "columns": list(FEATURE_COLUMNS),
                "scaling": f"StandardScaler fitted on the training split only ({SCALER_FILE})",
                "missing_values": MISSING_RULE,
            },
            "score": "sigmoid output: probability that the clip shows stalking",
            "classes": {str(i): c for i, c in enumerate(CLASSES)},
        },
        "threshold": config.threshold,
        "segmenter": {
            "name": settings.segmenter_name,
            "choice": settings.segmenter,
            **{k: v for k, v in settings.describe().items() if k not in ("segmenter", "segmenter_name")},
            "note": "a scan must make its frames and numbers with this segmenter and these settings",
        },
        "data": {
            "root": dataset.root,
            "dataset_sha256": dataset.fingerprint(),
            "dataset_sha256_rule": "SHA-256 of the sorted lines 'label<TAB>clip sha256' of the usable clips",
            "clips": dataset.counts(),
            "left_out": [c.summary(dataset.root) for c in dataset.left_out],
            "feature_cache": dataset.cache_dir,
        },
        "split": {**split.describe(dataset.labels), "file": SPLIT_CSV},
        "scaler": {
            "file": SCALER_FILE,
            "fitted_on": f"training split only: {split.train.size} clips, {split.train.size * 5} frames",
            "missing_values": MISSING_RULE,
        },
        "training": {
            "optimizer": "Adam",
            "learning_rate": {
                "schedule": "InverseTimeDecay",
                "initial": config.learning_rate,
                "decay_rate": config.decay,
                "decay_steps": 1,
                "formula": f"lr = {config.learning_rate:g} / (1 + {config.decay:g} * step), "
                "one step per batch (Keras' old Adam 'decay')",
            },
            "loss": "binary cross-entropy",
            "batch_size": config.batch_size,
            "epochs_requested": config.epochs,
            "epochs_run": fit.epochs_run,
            "best_epoch": fit.best_epoch,
            "early_stopping": {
                "monitor": "val_loss",
                "patience": config.patience,
                "min_delta": config.min_delta,
                "restore_best_weights": True,
                "stopped_early": fit.epochs_run < config.epochs,
            },
            "seed": config.seed,
            "determinism": "Python, numpy and TensorFlow seeded with the seed; tf.config.experimental."
            "enable_op_determinism(); same data, seed and machine give the same weights",
            "samples_per_epoch": {
                "train": fit.train_samples,
                "val": fit.val_samples,
                "unit": "frames" if arch in FRAME_LEVEL else "clips",
            },
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
        "calibration": calibration,
        "training_data": training_data(dataset, split),
        "limits": limits(dataset, settings.segmenter_name),
        "problems_file": PROBLEMS,
        "model_file": MODEL_FILE,
        "command_line": list(argv),
        "versions": versions(),
    }


def generator_of(dataset_root: str) -> dict[str, Any] | None:
    """``generator.json`` of a folder ``forensic synth clips`` wrote, or None."""
    try:
        with open(os.path.join(dataset_root, "generator.json")) as f:
            desc = json.load(f)
    except (OSError, ValueError):
        return None
    return desc if isinstance(desc, dict) and desc.get("generator") else None


def training_data(dataset: Dataset, split: Split) -> str:
    """What the model was trained on, in plain words."""
    sizes = {"train": int(split.train.size), "val": int(split.val.size), "test": int(split.test.size)}
    return training_data_text(
        dataset.root,
        dataset.counts(),
        len(dataset.left_out),
        sizes,
        dataset.settings.segmenter_name,
        generator_of(dataset.root),
    )


def training_data_text(
    root: str,
    counts: dict[str, int],
    left_out: int,
    sizes: dict[str, int],
    segmenter_name: str,
    gen: dict[str, Any] | None,
) -> str:
    # generated clips are named by how they were made (below), not by a folder of the training
    # machine that a reader of the report cannot open; the card's data record keeps the path and
    # every clip's SHA-256
    where = "" if gen is not None else f" from {root}"
    text = (
        f"{sum(counts.values())} clips ({counts['stalking']} labelled stalking, {counts['non_stalking']} "
        f"non_stalking; {left_out} more left out){where}, split {sizes['train']} for training, "
        f"{sizes['val']} for validation and {sizes['test']} for testing; frames made with the {segmenter_name} "
        "people segmenter."
    )
    if gen is None:
        return text + " The labels are whoever assembled the folder's; forensic knows nothing more about these clips."
    faces = ", ".join(f.get("face", "?") for f in gen.get("faces", []))
    scenarios = lambda d: ", ".join(d or {})  # noqa: E731
    return text + (
        f" Every clip was generated by forensic itself ({gen['generator']}, `forensic synth clips`): real "
        f"face photos ({faces}) re-posed in 3D on drawn bodies, over drawn streets, rooms and parks or "
        "photographs, moving as the generator's scenarios say (stalking: "
        f"{scenarios(gen.get('stalking_scenarios'))}; not stalking: "
        f"{scenarios(gen.get('non_stalking_scenarios'))}). No real footage."
    )


def limits(dataset: Dataset, segmenter_name: str) -> list[str]:
    """What the model was never tested on and where it must not be trusted, in plain words."""
    return limits_text(dataset.root, segmenter_name, generator_of(dataset.root))


def limits_text(
    root: str, segmenter_name: str, gen: dict[str, Any] | None, real_check: dict[str, Any] | None = None
) -> list[str]:
    """The card's ``limits``. ``real_check``: what a scan of real footage of people who are together
    (none of it stalking) gave with this very model: ``{"footage": what was scanned, "segments": N,
    "classified": N, "flagged": N}`` (``make model`` measures it after training)."""
    out = []
    if gen is not None:
        n_faces = len({f.get("identity") for f in gen.get("faces", [])})
        if real_check is None:
            real = "nor on real people who are simply together"
        else:
            real = (
                f"and on real people who are simply together only on {real_check['footage']}: "
                f"{real_check['classified']} of {real_check['segments']} segment(s) classified (the others showed "
                f"too few faces or were too short), {real_check['flagged']} flagged, far too few to vouch for it"
            )
        out += [
            f"Trained and tested only on generated scenes: never tested on real footage of stalking, {real}; its "
            "scores on real footage mean little.",
            f"It has seen {n_faces} face identities, drawn bodies and drawn or photographic backdrops only: real "
            "clothes, crowds, occlusion, night or infrared footage, profile faces and children were never seen.",
        ]
    else:
        out.append(f"Tested only on the held-out test clips of {root}; footage unlike them was never tested.")
    out += [
        "Two people only: a segment where fewer than 3 of its 5 sample frames show two frontal faces is not "
        "classified; with more than two people only the two largest faces count.",
        "A segment whose frames do not change (a photograph, a paused camera) is not classified (status still).",
        f"Frames must come from the {segmenter_name} people segmenter; another segmenter's are refused.",
        "A score is not a finding of fact: every flag is a pointer for a person to review.",
    ]
    return out


def training_choices(config) -> list[dict[str, str]]:
    return [
        {
            "topic": "labels",
            "choice": "non_stalking = 0, stalking = 1; the score is P(stalking); 'stalking' when score >= "
            f"{config.threshold:g}",
            "why": "the paper's two classes and a sigmoid output",
        },
        {"topic": "missing values", "choice": MISSING_RULE, "why": "the paper does not say; no number is invented"},
        {
            "topic": "split",
            "choice": f"{int(FRACTIONS[0] * 100)}/{int(FRACTIONS[1] * 100)}/{int(FRACTIONS[2] * 100)}, "
            f"stratified by class, seed {config.seed}, at least one clip of each class in each split",
            "why": "the paper gives 60/20/20, not how",
        },
        {
            "topic": "early stopping patience",
            "choice": f"{config.patience} epochs, best weights restored"
            + (f"; an improvement counts from {config.min_delta:g} of validation loss" if config.min_delta else ""),
            "why": "the paper uses early stopping on validation loss without a patience",
        },
        {
            "topic": "batch size and epochs",
            "choice": f"batch {config.batch_size}, at most {config.epochs} epochs",
            "why": "the paper stops at 35 epochs and gives no batch size",
        },
        {"topic": "class balance", "choice": "no class weights or resampling", "why": "the paper mentions none"},
    ]


# ---------------------------------------------------------------------------------------------
# files


def card_text(card: dict[str, Any]) -> str:
    """The card as plain text, for a person."""
    a, t, d, m = card["architecture"], card["training"], card["data"], card["metrics"]
    out = [
        f"MODEL CARD  {card['name']}",
        f"created {card['created_utc']} by forensic {card['versions']['forensic'].get('version')} "
        f"(commit {card['versions']['forensic'].get('commit')}, dirty {card['versions']['forensic'].get('dirty')})",
        f'paper: {card["paper"]["authors"]}, "{card["paper"]["title"]}"',
        "",
        f"ARCHITECTURE  {a['name']}: {a['description']}",
        f"  parameters {a['parameters']:,}; CNN {a['table2']['cnn']}, LSTM {a['table2']['lstm']}, MLP {a['table2']['mlp']}",
    ]
    if a.get("vgg16"):
        out.append(f"  VGG16 weights: {a['vgg16']['weights']}")
    out.append("  layer sizes the paper states (paper = model):")
    for k, v in a["paper_sizes"].items():
        out.append(
            f"    {k:<11} {'x'.join(map(str, v['paper'])):>14}  {'ok' if v['same'] else 'DIFFERENT: ' + str(v['model'])}"
        )
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
        f"  segmenter {seg['name']}"
        + (
            f" (Mask R-CNN weights sha256 {seg['maskrcnn_weights_sha256']})"
            if seg.get("maskrcnn_weights_sha256")
            else ""
        )
        + f"; {seg['note']}",
        f"  feature settings {json.dumps(seg['feature_config'])}, {seg['samples']} frames per clip, code {json.dumps(seg['code'])}",
        f"  decision threshold {card['threshold']:g}",
        "",
        f"DATA  {d['root']}",
        f"  dataset sha256 {d['dataset_sha256']}; usable clips per class {d['clips']}; left out {len(d['left_out'])}",
    ]
    for c in d["left_out"]:
        out.append(f"    left out {c['path']}: {c['status']}: {c['reason']}")
    sp = card["split"]
    out.append(f"  split seed {sp['seed']}: " + "; ".join(f"{k} {v}" for k, v in sp["clips"].items()))
    out.append(f"  scaler: {card['scaler']['fitted_on']}")
    out += text_sections(card)
    out += [
        "",
        f"TRAINING  Adam, {t['learning_rate']['formula']}; {t['loss']}; batch {t['batch_size']}; seed {t['seed']}",
        f"  epochs {t['epochs_run']} of {t['epochs_requested']} (early stopping on val_loss, patience "
        f"{t['early_stopping']['patience']}"
        + (f", min_delta {t['early_stopping']['min_delta']:g}" if t["early_stopping"].get("min_delta") else "")
        + f"); weights of epoch {t['best_epoch']} kept",
        f"  {t['seconds']:.1f} s in all; first epoch {t['epoch_seconds'][0] if t['epoch_seconds'] else 0:.1f} s, later epochs "
        f"{t['steady_epoch_seconds'] if t['steady_epoch_seconds'] is not None else float('nan'):.1f} s each "
        f"({t['samples_per_epoch']['train']} training {t['samples_per_epoch']['unit']}); peak memory {t['peak_rss_mb']:.0f} MB",
        "",
        f"METRICS (threshold {m['threshold']:g})",
        f"  accuracy: train {m['train']['accuracy']:.4f}, validation {m['val']['accuracy']:.4f}, test {m['test']['accuracy']:.4f}",
        "  test split:",
    ]
    test = {k: v for k, v in m["test"].items() if k != "confusion_axes"}
    out += ["    " + line for line in format_metrics(Metrics(**test)).splitlines()]
    v = card["versions"]
    out += [
        "",
        f"VERSIONS  python {v['python']} on {v['platform']}",
        "  " + ", ".join(f"{k} {ver}" for k, ver in v["key"].items()),
        "",
        "FILES  (SHA-256; model_card.json holds them all and its own card_sha256)",
    ]
    for name, digest in card.get("files", {}).items():
        out.append(f"  {digest}  {name}")
    st = card.get("self_test")
    if st:
        out.append(
            f"SELF-TEST  scores {st['scores']} (seed {st['seed']}, tolerance {st['tolerance']:g}), checked at every load"
        )
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


def plot_reliability(calibration: dict[str, Any]) -> bytes:
    """The reliability diagram: per bin of P(stalking), the fraction of clips that are stalking
    against the mean score, one line per split, the diagonal for a calibrated model."""
    fig = _figure(5.2, 4.6)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="calibrated")
    for part, rel in calibration.get("reliability", {}).items():
        pts = [(m, f) for m, f in zip(rel["mean_score"], rel["fraction_stalking"]) if m is not None]
        if pts:
            xs, ys = zip(*pts)
            ax.plot(xs, ys, "-o", label=f"{part} (ECE {rel['ece']:.3f}, n={rel['n']})")
    ch = calibration.get("threshold_on_validation")
    if ch:
        ax.axvline(ch["threshold"], color="red", linestyle="--", label=f"threshold on validation {ch['threshold']:.3f}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean score P(stalking) in bin")
    ax.set_ylabel("fraction of clips that are stalking")
    ax.set_title("reliability diagram")
    ax.legend(fontsize=8)
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


def text_sections(card: dict[str, Any]) -> list[str]:
    """The card's plain-words fields (training data, limits, calibration) as text lines; cards
    written before these fields existed have none."""
    import textwrap

    out = []
    if card.get("training_data"):
        out += [
            "",
            "TRAINING DATA",
            *textwrap.wrap(card["training_data"], 100, initial_indent="  ", subsequent_indent="  "),
        ]
    if card.get("limits"):
        out += ["", "LIMITS"]
        for item in card["limits"]:
            out += textwrap.wrap(item, 100, initial_indent="  - ", subsequent_indent="    ")
    cal = card.get("calibration")
    if cal:
        out += ["", "CALIBRATION  " + cal.get("ece_rule", "")]
        for part, rel in cal.get("reliability", {}).items():
            out.append(f"  {part}: ECE {rel['ece']:.4f} over {rel['n']} clips")
        ch = cal.get("threshold_on_validation")
        if ch:
            out.append(
                f"  threshold chosen on validation {ch['threshold']:.4f} (validation macro F1 "
                f"{ch['val_macro_f1']:.4f}, {ch['val_macro_f1_at_0.5']:.4f} at 0.5); "
                f"applied: {cal.get('threshold_applied')}"
            )
    return out
