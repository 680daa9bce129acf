"""Would averaging several copies of the default architecture generalise better to unseen seeds?

The default model (fusion_relational) is trained N times on one data set and one split (split seed
42, as `make model`), each copy from its own initialisation seed (42, 43, ...; everything else as the
default card: at most 40 epochs, early stopping with patience 5 and min_delta 0.001). Each copy and
the running average of the first k copies' scores are measured on the validation and test splits
and on a held-out folder of clips from a generator seed never used in training, at 0.5 and at the
threshold chosen on validation (forensic.model.calibration.choose_threshold).

    .venv/bin/python benchmarks/ensemble.py CLIPS HELDOUT [--members 6] [--cache DIR] [--jobs 2] [--out FILE]

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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("clips")
    ap.add_argument("heldout")
    ap.add_argument("--members", type=int, default=6)
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
        fit = fit_arrays(ds.frames, ds.vectors, ds.labels, split.train, split.val, config)
        clf = FusionClassifier(fit.keras_model, fit.scaler, {"architecture": {"name": config.architecture}})
        scores = {part: clip_scores(clf.raw_scores(d.frames[idx], d.vectors[idx])) for part, (d, idx) in parts.items()}
        for part in sums:
            sums[part] += scores[part]
        members.append(
            {
                "seed": config.seed,
                "epochs": fit.epochs_run,
                "kept": fit.best_epoch,
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
