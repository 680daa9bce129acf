"""Would averaging several copies of the default architecture generalise better to unseen seeds?

The default model (fusion_relational) is trained N times on one data set and one split (split seed
42, as `make model`), each copy from its own initialisation seed (42, 43, ...; everything else as the
default card: at most 40 epochs, early stopping with patience 5 and min_delta 0.001). Each copy and
the running average of the first k copies' scores are measured on the validation and test splits
and on a held-out folder of clips from a generator seed never used in training, at 0.5 and at the
threshold chosen on validation (forensic.model.calibration.choose_threshold).

``--vectors-only`` asks the same of the variant without its image stream: the MLP stream (the paper's
29 numbers and the relational ones) and the fusion head alone, same scaler, optimiser, schedule and
early stopping (beyond the paper: does the ConvLSTM stream help or hurt on unseen seeds?).

    .venv/bin/python benchmarks/ensemble.py CLIPS HELDOUT [--members 6] [--vectors-only] [--cache DIR] [--jobs 2]
        [--out FILE]

CLIPS and HELDOUT are folders `forensic synth clips` wrote (for README: `--per-class 200 --seed 101`
and `--per-class 50 --seed 202`). Features are cached, so a second run only trains.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SPLIT_SEED = 42


def accuracy(scores: np.ndarray, labels: np.ndarray, threshold: float) -> float:
    return round(float(((scores >= threshold) == labels).mean()), 3)


def measure(scores: dict[str, np.ndarray], labels: dict[str, np.ndarray]) -> dict[str, float]:
    from forensic.model.calibration import choose_threshold

    chosen = choose_threshold(labels["val"], scores["val"]).threshold
    out = {f"{part}_acc": accuracy(scores[part], labels[part], 0.5) for part in scores}
    out["threshold"] = round(float(chosen), 3)
    out["heldout_acc_at_threshold"] = accuracy(scores["heldout"], labels["heldout"], chosen)
    return out


class VectorsOnly:
    """The relational variant's MLP stream and fusion head without the image stream, trained like
    forensic.model.train.fit_arrays (scaler on the training split, Adam with the paper's inverse-time
    decay, early stopping on validation loss with the best weights restored)."""

    def __init__(self, vectors: np.ndarray, train: np.ndarray, config) -> None:
        from forensic.model.architecture import model_vectors, vector_columns
        from forensic.model.scaler import fit_on_split

        self.arch = config.architecture
        self.scaler = fit_on_split(model_vectors(self.arch, vectors), train, None, vector_columns(self.arch))

    def inputs(self, vectors: np.ndarray) -> np.ndarray:
        from forensic.model.architecture import model_vectors

        return self.scaler.transform(model_vectors(self.arch, vectors)).astype(np.float32)

    def fit(self, vectors, labels, train, val, config) -> tuple[int, int]:
        from forensic.model.architecture import _input_vectors, head, keras, mlp_stream
        from forensic.model.train import set_determinism

        set_determinism(config.seed)
        k = keras()
        x, y = self.inputs(vectors), labels.astype(np.float32)
        inp = _input_vectors(False, x.shape[2])
        self.model = k.Model(inp, head([mlp_stream(inp, config.arch)], config.arch), name="vectors_only")
        schedule = k.optimizers.schedules.InverseTimeDecay(config.learning_rate, decay_steps=1, decay_rate=config.decay)
        self.model.compile(optimizer=k.optimizers.Adam(learning_rate=schedule), loss="binary_crossentropy")
        stop = k.callbacks.EarlyStopping(
            monitor="val_loss", patience=config.patience, min_delta=config.min_delta, restore_best_weights=True
        )
        hist = self.model.fit(
            x[train],
            y[train],
            validation_data=(x[val], y[val]),
            epochs=config.epochs,
            batch_size=config.batch_size,
            shuffle=True,
            callbacks=[stop],
            verbose=0,
        )
        return len(hist.history["loss"]), int(stop.best_epoch) + 1

    def scores(self, _frames, vectors) -> np.ndarray:
        return self.model.predict(self.inputs(vectors), batch_size=8, verbose=0).astype(np.float64).ravel()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("clips")
    ap.add_argument("heldout")
    ap.add_argument("--members", type=int, default=6)
    ap.add_argument("--vectors-only", action="store_true", help="the variant without its image stream")
    ap.add_argument("--cache", default="/tmp/forensic-ensemble-cache")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", help="write the results as JSON here")
    args = ap.parse_args()

    from forensic.model.data import load_dataset
    from forensic.model.evaluate import settings_from_card
    from forensic.model.store import FusionClassifier, clip_scores
    from forensic.model.train import TrainConfig, fit_arrays, prepare

    with open(REPO / "models" / "default" / "model_card.json", encoding="utf-8") as f:
        settings = settings_from_card(json.load(f))  # the default model's perception

    def log(msg: str) -> None:
        print(msg, flush=True)

    ds, split = prepare(args.clips, settings, args.cache, SPLIT_SEED, log, jobs=args.jobs)
    held = load_dataset(args.heldout, settings, args.cache, log, jobs=args.jobs)
    labels = {"val": ds.labels[split.val], "test": ds.labels[split.test], "heldout": held.labels}
    parts = {"val": (ds, split.val), "test": (ds, split.test), "heldout": (held, np.arange(len(held.clips)))}
    members: list[dict] = []
    averages: list[dict] = []
    sums = {part: np.zeros(len(y)) for part, y in labels.items()}
    for k in range(args.members):
        config = TrainConfig(
            architecture="fusion_relational", epochs=40, patience=5, min_delta=0.001, seed=SPLIT_SEED + k
        )
        t0 = time.perf_counter()
        if args.vectors_only:
            alone = VectorsOnly(ds.vectors, split.train, config)
            epochs, kept = alone.fit(ds.vectors, ds.labels, split.train, split.val, config)
            score = alone.scores
        else:
            fit = fit_arrays(ds.frames, ds.vectors, ds.labels, split.train, split.val, config)
            epochs, kept = fit.epochs_run, fit.best_epoch
            model = FusionClassifier(fit.keras_model, fit.scaler, {"architecture": {"name": config.architecture}})

            def score(frames, vectors, model=model):
                return clip_scores(model.raw_scores(frames, vectors))

        scores = {part: score(d.frames[idx], d.vectors[idx]) for part, (d, idx) in parts.items()}
        for part in sums:
            sums[part] += scores[part]
        members.append(
            {
                "seed": config.seed,
                "epochs": epochs,
                "kept": kept,
                "seconds": round(time.perf_counter() - t0, 1),
                **measure(scores, labels),
            }
        )
        averages.append({"members": k + 1, **measure({p: s / (k + 1) for p, s in sums.items()}, labels)})
        log(f"copy {k + 1}: {members[-1]}")
        log(f"average of {k + 1}: {averages[-1]}")
    result = {
        "clips": args.clips,
        "heldout": args.heldout,
        "model": "fusion_relational without its image stream" if args.vectors_only else "fusion_relational",
        "split": {"seed": SPLIT_SEED, "train": int(split.train.size), "val": int(split.val.size)},
        "heldout_clips": len(held.clips),
        "members": members,
        "averages": averages,
    }
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
