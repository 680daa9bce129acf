"""Would more generated clips help on unseen seeds? A learning curve of the cheap learners.

The clips of one or more folders `forensic synth clips` wrote are pooled (features as the default
model's perception measures them, cached); a fixed validation set of ``--val`` clips is set aside
(balanced, per repeat), and training sets of growing size are drawn from the rest (balanced, nested).
Each is learnt by

* the default architecture without its image stream (benchmarks/ensemble.py's ``VectorsOnly``: the
  MLP stream on the paper's 29 numbers and the relational ones, the fusion head; seconds to train,
  where the fusion model takes minutes), early stopping on the validation set;
* scikit-learn's histogram gradient boosting on the same numbers flattened (benchmarks/ceiling.py's
  learner, NaN as it is),

and scored on a held-out folder of clips from a generator seed that none of the pooled folders used.

    .venv/bin/python benchmarks/learning_curve.py CLIPS [CLIPS ...] --heldout DIR [--sizes 238,476,714,952]
        [--repeats 3] [--val 160] [--cache DIR] [--jobs 2] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def balanced(order: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """The first n // 2 clips of each class in ``order``."""
    picked = [order[labels[order] == c][: n // 2] for c in (0, 1)]
    return np.sort(np.concatenate(picked))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("clips", nargs="+")
    ap.add_argument("--heldout", required=True)
    ap.add_argument("--sizes", default="238,476,714,952")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--val", type=int, default=160)
    ap.add_argument("--cache", default="/tmp/forensic-ensemble-cache")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out")
    args = ap.parse_args()

    from ceiling import gradient_boosting, with_relational
    from ensemble import VectorsOnly

    from forensic.model.data import load_dataset
    from forensic.model.evaluate import settings_from_card
    from forensic.model.train import TrainConfig

    with open(REPO / "models" / "default" / "model_card.json", encoding="utf-8") as f:
        settings = settings_from_card(json.load(f))

    def log(msg: str) -> None:
        print(msg, flush=True)

    pooled = [load_dataset(folder, settings, args.cache, log, jobs=args.jobs) for folder in args.clips]
    vectors = np.concatenate([d.vectors for d in pooled])
    labels = np.concatenate([d.labels for d in pooled]).astype(int)
    held = load_dataset(args.heldout, settings, args.cache, log, jobs=args.jobs)
    sizes = [int(s) for s in args.sizes.split(",")]
    log(f"pooled {len(labels)} clips ({int(labels.sum())} stalking); held-out {len(held.labels)}")
    if max(sizes) + args.val > len(labels):
        raise SystemExit(f"{max(sizes)} training + {args.val} validation clips need more than {len(labels)}")
    rows = []
    for r in range(args.repeats):
        order = np.random.default_rng(r).permutation(len(labels))
        val = balanced(order, labels, args.val)
        rest = order[~np.isin(order, val)]
        for n in sizes:
            train = balanced(rest, labels, n)
            config = TrainConfig(architecture="fusion_relational", epochs=200, patience=5, min_delta=0.001, seed=42 + r)
            net = VectorsOnly(vectors, train, config)
            epochs, kept = net.fit(vectors, labels, train, val, config)
            net_val = float(((net.scores(None, vectors[val]) >= 0.5) == labels[val]).mean())
            net_held = float(((net.scores(None, held.vectors) >= 0.5) == held.labels).mean())
            x = with_relational(vectors)
            gb = gradient_boosting(r).fit(x[train], labels[train])
            gb_val = float((gb.predict(x[val]) == labels[val]).mean())
            gb_held = float((gb.predict(with_relational(held.vectors)) == held.labels).mean())
            rows.append(
                {
                    "repeat": r,
                    "train": n,
                    "mlp_epochs": epochs,
                    "mlp_kept": kept,
                    "mlp_val": round(net_val, 3),
                    "mlp_heldout": round(net_held, 3),
                    "gb_val": round(gb_val, 3),
                    "gb_heldout": round(gb_held, 3),
                }
            )
            log(json.dumps(rows[-1]))
    summary = {}
    for n in sizes:
        got = [row for row in rows if row["train"] == n]
        summary[n] = {
            key: [round(float(np.mean([g[key] for g in got])), 3), round(float(np.std([g[key] for g in got])), 3)]
            for key in ("mlp_val", "mlp_heldout", "gb_val", "gb_heldout")
        }
        log(f"train {n}: " + ", ".join(f"{k} {m:.3f} ± {s:.3f}" for k, (m, s) in summary[n].items()))
    if args.out:
        Path(args.out).write_text(
            json.dumps(
                {
                    "clips": args.clips,
                    "heldout": args.heldout,
                    "pooled": int(len(labels)),
                    "heldout_clips": int(len(held.labels)),
                    "val": args.val,
                    "rows": rows,
                    "summary": summary,
                },
                indent=2,
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
