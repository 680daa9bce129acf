"""Training time per epoch and peak memory of the fusion model (or a comparison model) on this
machine, and the cost of scoring. Not a timed test: numbers go to README.

    .venv/bin/python benchmarks/train_timing.py [--clips 238] [--epochs 3] [--batch-size 8] [--architecture fusion]

The data are made-up arrays of the model's real input sizes (5 x 128 x 128 x 3 uint8 frames and
5 x 29 numbers per clip): the time of an epoch does not depend on the values. The default size is
the paper's data set, 238 clips, split 60/20/20 per class as `forensic train` splits (142 / 48 / 48).
Training runs through forensic.model.train.fit_arrays (the code `forensic train` runs) with
early stopping switched off, so every epoch is timed. The first epoch also builds TensorFlow's
graph; the later ones are the steady cost. Peak memory is the process's maximum resident set
size (getrusage), which includes TensorFlow itself and the data arrays.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from forensic.model.architecture import ARCHITECTURES  # noqa: E402
from forensic.model.split import split_dataset  # noqa: E402
from forensic.model.store import FusionClassifier  # noqa: E402
from forensic.model.train import TrainConfig, fit_arrays  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=238, help="clips in the data set (default 238, the paper's)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--architecture", choices=ARCHITECTURES, default="fusion")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    n = args.clips
    frames = rng.integers(0, 256, (n, 5, 128, 128, 3), dtype=np.uint8)
    vectors = rng.normal(100.0, 50.0, (n, 5, 29))
    vectors[rng.random((n, 5)) < 0.2] = np.nan  # frames without both people
    labels = np.arange(n) % 2
    split = split_dataset(labels, [f"{i:08d}" for i in range(n)], seed=42)
    rss_data = rss_mb()
    config = TrainConfig(
        architecture=args.architecture, epochs=args.epochs, batch_size=args.batch_size, patience=args.epochs
    )
    t0 = time.perf_counter()
    fit = fit_arrays(frames, vectors, labels, split.train, split.val, config)
    train_s = time.perf_counter() - t0
    clf = FusionClassifier(fit.keras_model, fit.scaler, {"architecture": {"name": args.architecture}})
    clf.predict(frames[:8], vectors[:8])  # warm up
    t0 = time.perf_counter()
    clf.predict(frames[split.test], vectors[split.test])
    predict_s = (time.perf_counter() - t0) / split.test.size
    later = fit.epoch_seconds[1:]
    out = {
        "architecture": args.architecture,
        "clips": n,
        "split": {"train": int(split.train.size), "val": int(split.val.size), "test": int(split.test.size)},
        "samples_per_epoch": fit.train_samples,
        "batch_size": args.batch_size,
        "epochs": fit.epochs_run,
        "epoch_seconds": [round(s, 2) for s in fit.epoch_seconds],
        "first_epoch_s": round(fit.epoch_seconds[0], 2),
        "steady_epoch_s": round(statistics.median(later), 2) if later else None,
        "steady_s_per_training_clip": round(statistics.median(later) / split.train.size, 4) if later else None,
        "fit_seconds": round(train_s, 1),
        "predict_s_per_clip": round(predict_s, 4),
        "peak_rss_mb": round(rss_mb(), 0),
        "rss_after_data_mb": round(rss_data, 0),
        "cpus": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
    }
    if args.json:
        print(json.dumps(out))
        return 0
    print(
        f"{args.architecture}: {n} clips (train {out['split']['train']}, validation {out['split']['val']}, "
        f"test {out['split']['test']}), batch {args.batch_size}, {os.cpu_count()} CPU(s)"
    )
    print(f"  epochs: {', '.join(f'{s:.1f} s' for s in fit.epoch_seconds)} (first includes graph building)")
    if later:
        print(
            f"  steady epoch {out['steady_epoch_s']:.1f} s = {out['steady_s_per_training_clip'] * 1000:.0f} ms per "
            f"training clip (incl. validation of {out['split']['val']} clips)"
        )
    print(f"  scoring {predict_s * 1000:.0f} ms per clip")
    print(f"  peak memory {out['peak_rss_mb']:.0f} MB (after making the data: {out['rss_after_data_mb']:.0f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
