"""The ceiling: how separable are the generator's two classes from the paper's 29 numbers per frame?

For every clip of one or more folders that `forensic synth clips` wrote (CLIPS/stalking,
CLIPS/non_stalking, a ground-truth JSON beside each clip), two 5 x 29 tables at the same five
sample frames (the features stage's, one per fifth of the clip):

* ground truth: the numbers the generator drew (six points, yaw, pitch of each person in camera
  coordinates, nose-to-nose distance; A is the person on the left in the first sample frame), i.e.
  perfect perception;
* estimated: what the features stage measures on the encoded clip (the segmenter, the face detector, dlib
  landmarks, solvePnP pose), NaN where a frame lacks both people.

A strong classifier that is not the paper's model (scikit-learn's histogram gradient boosting,
which takes NaN as it is, and a random forest with NaN set to the training median) is
cross-validated (5 folds, stratified, shuffled with seed 0) on the flattened 145 numbers. If the
ground truth separates the classes well and the estimate does not, perception is the bottleneck;
if both are low, the scenarios overlap (the per-scenario accuracy says which). Two more runs add the
relational numbers derived from the 29 (forensic.model.relational: who is turned toward whom,
who closes the distance): the candidate variant beyond the paper.

Two more questions, on the usable clips with the relational numbers: which of the estimated
numbers cost the most against the truth (each group of columns -- the twelve points, the yaws, the
pitches, both angles, the distance -- replaced by the generator's own values, the estimate's missing
frames kept missing), and would more clips help (a learning curve: gradient boosting trained on 25,
50, 75 and 100 % of 80 % of the clips, scored on the other 20 %, 8 random splits).

    .venv/bin/python benchmarks/ceiling.py CLIPS [CLIPS ...] [--cache DIR] [--jobs 2] [--no-extract] [--out FILE]
    .venv/bin/python benchmarks/ceiling.py --make 100 --seed 101 /tmp/ceiling-clips   # generate first

Features are cached (forensic.model.cache, keyed by clip hash and feature settings), so a
second run only refits the classifiers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from forensic.features.table import FEATURE_COLUMNS  # noqa: E402
from forensic.model import cache, data, feature_settings  # noqa: E402
from forensic.model.relational import relational  # noqa: E402

SEGMENTER = "mediapipe-selfie-pose"  # the embedded defaults the default model is trained on
FACE_DETECTOR = "blazeface"


def clips_of(folders: list[str]) -> list[tuple[str, str, str]]:
    """(label, clip path, ground-truth path) of every generated clip."""
    out = []
    for folder in folders:
        for label in data.CLASSES:
            d = os.path.join(folder, label)
            for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                stem, ext = os.path.splitext(name)
                gt = os.path.join(d, stem + ".json")
                if ext.lower() != ".json" and os.path.isfile(gt):
                    out.append((label, os.path.join(d, name), gt))
    return out


def _extract(chunk, settings, cache_dir):
    return cache.extract_to_cache(chunk, settings, cache_dir)


def cached_by_clip(cache_dir: str, segmenter_name: str) -> dict[str, dict]:
    """Every readable cache entry of ``segmenter_name`` by clip SHA-256 (any features code version:
    the features code changes while it is being developed; the versions used are reported)."""
    out = {}
    for path in sorted(Path(cache_dir, "features").glob("*/*.npz")):
        entry = cache.read_cache(str(path))
        if entry and entry["meta"].get("segmenter") == segmenter_name:
            out.setdefault(entry["meta"]["clip_sha256"], entry)
    return out


def estimated(clips, settings, cache_dir: str, jobs: int, extract: bool) -> list[dict | None]:
    """The features stage on every clip (cached; with ``extract`` False only what is cached)."""
    from forensic.fsutil import sha256_path

    shas = [sha256_path(path) for _label, path, _gt in clips]
    have = cached_by_clip(cache_dir, settings.segmenter_name)
    todo = [(path, sha, label) for (label, path, _gt), sha in zip(clips, shas, strict=True) if sha not in have]
    if todo and extract:
        print(
            f"features stage on {len(todo)} clip(s) ({len(clips) - len(todo)} cached), {jobs} process(es)", flush=True
        )
        t0 = time.perf_counter()
        chunks = [todo[i::jobs] for i in range(jobs)]
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(_extract, chunks, [settings] * jobs, [cache_dir] * jobs))
        print(f"  {time.perf_counter() - t0:.0f} s", flush=True)
        have = cached_by_clip(cache_dir, settings.segmenter_name)
    return [have.get(sha) for sha in shas]


def sample_frames(n: int, samples: int = 5) -> list[int]:
    """The features stage's sample frames of a constant-frame-rate clip of ``n`` frames: the frame
    showing at the middle of each fifth of its time (forensic.segments.windows.sample_frames; a frame
    on a boundary may differ by one from the decoder's timestamps)."""
    return [min(n - 1, int(np.floor((i + 0.5) * n / samples + 1e-9))) for i in range(samples)]


def truth_table(gt: dict, frames: list[int]) -> np.ndarray:
    """The 5 x 29 numbers the generator drew at the sample ``frames``, in FEATURE_COLUMNS order."""
    people = gt["people"]
    out = np.full((len(frames), len(FEATURE_COLUMNS)), np.nan)
    if len(people) != 2:
        return out
    first = frames[0]
    a, b = sorted(people, key=lambda p: p["frames"]["nose_x"][first])  # A: on the left in the first sample frame
    for row, k in enumerate(frames):
        vals = []
        for p in (a, b):
            vals += [float(v) for xy in p["frames"]["six"][k] for v in xy]
        for p in (a, b):
            vals += [float(p["frames"]["yaw"][k]), float(p["frames"]["pitch"][k])]
        vals.append(
            float(
                np.hypot(
                    a["frames"]["nose_x"][k] - b["frames"]["nose_x"][k],
                    a["frames"]["nose_y"][k] - b["frames"]["nose_y"][k],
                )
            )
        )
        out[row] = vals
    return out


def gradient_boosting(seed: int = 0):
    """The ceiling's strong classifier (NaN taken as it is)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, random_state=seed)


def cross_validate(x: np.ndarray, y: np.ndarray, seed: int = 0) -> dict:
    """5-fold stratified CV of two classifiers; out-of-fold predictions of the first."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline

    models = {
        "gradient_boosting": lambda: gradient_boosting(seed),
        "random_forest": lambda: make_pipeline(
            SimpleImputer(strategy="median", keep_empty_features=True),
            RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=1),
        ),
    }
    out = {}
    k = int(min(5, np.bincount(y).min()))
    folds = list(StratifiedKFold(k, shuffle=True, random_state=seed).split(x, y))
    for name, make in models.items():
        pred = np.zeros_like(y)
        acc, f1 = [], []
        for train, test in folds:
            m = make().fit(x[train], y[train])
            pred[test] = m.predict(x[test])
            acc.append(accuracy_score(y[test], pred[test]))
            f1.append(f1_score(y[test], pred[test], average="macro"))
        out[name] = {
            "accuracy": float(np.mean(acc)),
            "accuracy_sd": float(np.std(acc)),
            "macro_f1": float(np.mean(f1)),
            "pred": pred,
        }
    return out


def per_scenario(scenarios: list[str], y: np.ndarray, pred: np.ndarray) -> dict:
    res = {}
    for s in sorted(set(scenarios)):
        sel = np.array([x == s for x in scenarios])
        res[s] = {"clips": int(sel.sum()), "accuracy": float(np.mean(pred[sel] == y[sel]))}
    return res


SWAP_GROUPS = {
    "the twelve points": [j for j, c in enumerate(FEATURE_COLUMNS) if c.endswith(("_x", "_y"))],
    "yaw": [j for j, c in enumerate(FEATURE_COLUMNS) if c.endswith("_yaw")],
    "pitch": [j for j, c in enumerate(FEATURE_COLUMNS) if c.endswith("_pitch")],
    "yaw and pitch": [j for j, c in enumerate(FEATURE_COLUMNS) if c.endswith(("_yaw", "_pitch"))],
    "distance": [FEATURE_COLUMNS.index("distance_px")],
}


def with_relational(x: np.ndarray) -> np.ndarray:
    """clips x 5 x 29 -> the flattened 145 numbers and the relational ones."""
    return np.concatenate([x.reshape(len(x), -1), relational(x)], axis=1)


def swapped(truth: np.ndarray, est: np.ndarray, y: np.ndarray) -> dict:
    """Gradient boosting accuracy with each group of estimated columns replaced by the truth (clips x
    5 x 29 both; where the estimate is missing the value stays missing)."""
    out = {}
    for name, cols in SWAP_GROUPS.items():
        x = est.copy()
        x[..., cols] = truth[..., cols]
        x[np.isnan(est)] = np.nan
        cv = cross_validate(with_relational(x), y)["gradient_boosting"]
        out[name] = {"accuracy": cv["accuracy"], "accuracy_sd": cv["accuracy_sd"]}
    return out


def learning_curve(x: np.ndarray, y: np.ndarray, repeats: int = 8, seed: int = 1) -> dict:
    """Gradient boosting accuracy on a fixed 20 % against the number of training clips."""
    from sklearn.model_selection import StratifiedShuffleSplit

    out = {}
    test_n = max(2, round(0.2 * len(y)))
    for frac in (0.25, 0.5, 0.75, 1.0):
        n = max(4, int((len(y) - test_n) * frac))
        accs = []
        splits = StratifiedShuffleSplit(repeats, train_size=n, test_size=test_n, random_state=seed).split(x, y)
        for train, test in splits:
            m = gradient_boosting()
            accs.append(float(np.mean(m.fit(x[train], y[train]).predict(x[test]) == y[test])))
        out[str(n)] = {"accuracy": float(np.mean(accs)), "accuracy_sd": float(np.std(accs))}
    return out


ANGLE_BANDS = ((0, 10), (10, 20), (20, 30), (30, 40), (40, 90))


def angle_fit(truth: np.ndarray, est: np.ndarray, angle: str) -> dict:
    """How the estimated head ``angle`` (both people, every sample frame where both tables have it,
    clips x 5 x 29 each) follows the truth: the fitted line estimate = gain x truth + offset, the
    correlation, the mean absolute error, and the mean absolute error by band of |truth|."""
    cols = [FEATURE_COLUMNS.index(f"{who}_{angle}") for who in ("A", "B")]
    t, e = truth[..., cols].ravel(), est[..., cols].ravel()
    ok = ~np.isnan(t) & ~np.isnan(e)
    t, e = t[ok], e[ok]
    if len(t) < 3:
        return {"frames": int(len(t))}
    gain, offset = np.polyfit(t, e, 1)
    bands = {}
    for lo, hi in ANGLE_BANDS:
        sel = (np.abs(t) >= lo) & (np.abs(t) < hi)
        if sel.any():
            bands[f"{lo}-{hi}"] = {"frames": int(sel.sum()), "mae": float(np.mean(np.abs(e[sel] - t[sel])))}
    return {
        "frames": int(len(t)),
        "gain": float(gain),
        "offset": float(offset),
        "r": float(np.corrcoef(t, e)[0, 1]) if np.std(t) and np.std(e) else None,
        "mae": float(np.mean(np.abs(e - t))),
        "mae_by_abs_truth": bands,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("clips", nargs="+", help="folders written by forensic synth clips")
    ap.add_argument(
        "--make",
        type=int,
        metavar="PER_CLASS",
        help="first generate PER_CLASS clips of each class into the (single) folder, with --seed",
    )
    ap.add_argument("--seed", type=int, default=101)
    ap.add_argument("--cache", help="feature cache (default: FOLDER/../.ceiling-cache of the first folder)")
    ap.add_argument("--jobs", type=int, default=1, help="feature-extraction processes (the machine is shared)")
    ap.add_argument("--out", help="write the numbers as JSON")
    ap.add_argument("--segmenter", default=SEGMENTER, help=f"features stage segmenter (default {SEGMENTER})")
    ap.add_argument("--face-detector", default=FACE_DETECTOR, help=f"face detector (default {FACE_DETECTOR})")
    ap.add_argument("--no-extract", action="store_true", help="use only the features already in the cache")
    args = ap.parse_args(argv)
    if args.make:
        from forensic.synth.clips import make_clips

        make_clips(args.clips[0], args.make, args.seed)
    clips = clips_of(args.clips)
    cache_dir = args.cache or os.path.join(os.path.dirname(os.path.abspath(args.clips[0])), ".ceiling-cache")
    from forensic.features import FeatureConfig

    settings = feature_settings.resolve_settings(
        args.segmenter, feature_config=FeatureConfig(face_detector=args.face_detector)
    )
    entries = estimated(clips, settings, cache_dir, max(1, args.jobs), not args.no_extract)
    rows = []
    for (label, _path, gt_path), entry in zip(clips, entries, strict=True):
        with open(gt_path) as f:
            gt = json.load(f)
        # the features stage's own sample frames where it ran (a frame on a boundary may differ by one)
        frames = (
            sample_frames(int(gt["frames"]))
            if entry is None
            else [int(k) for k in entry["meta"]["segment"]["sample_frames"]]
        )
        rows.append(
            {
                "label": label,
                "scenario": gt["scenario"],
                "truth": truth_table(gt, frames),
                "estimate": None if entry is None else np.asarray(entry["vector"], float),
                "status": None if entry is None else entry["meta"]["status"],
                "code": None if entry is None else json.dumps(entry["meta"]["settings"]["code"], sort_keys=True),
            }
        )
    y = np.array([data.CLASSES.index(r["label"]) for r in rows])
    measured = np.array([r["estimate"] is not None for r in rows])
    usable = np.array([r["status"] == cache.OK for r in rows])
    scen = [r["scenario"] for r in rows]
    truth = np.stack([r["truth"].reshape(-1) for r in rows])
    est = np.stack(
        [r["estimate"].reshape(-1) if r["estimate"] is not None else np.full(truth.shape[1], np.nan) for r in rows]
    )
    result = {
        "clips": len(rows),
        "per_class": {c: int((y == i).sum()) for i, c in enumerate(data.CLASSES)},
        "measured": int(measured.sum()),
        "usable": int(usable.sum()),
        "segmenter": settings.segmenter_name,
        "features_code_versions": sorted({r["code"] for r in rows if r["code"]}),
        "folders": [os.path.abspath(c) for c in args.clips],
        "runs": {},
    }
    runs = {
        "ground truth, every clip": (truth, np.ones(len(rows), bool)),
        "ground truth, the clips the features stage measured": (truth, measured),
        "estimated, the same clips (NaN where a frame lacks the pair)": (est, measured),
        "ground truth, usable clips (>= 3 of 5 frames with the pair)": (truth, usable),
        "estimated, usable clips": (est, usable),
    }
    # beyond the paper: the 29 numbers plus relational ones derived from them (the variant row)
    n_rows = len(rows)
    truth_rel = with_relational(truth.reshape(n_rows, 5, -1))
    est_rel = with_relational(est.reshape(n_rows, 5, -1))
    runs["ground truth + relational, usable clips"] = (truth_rel, usable)
    runs["estimated + relational, usable clips"] = (est_rel, usable)
    for name, (x, sel) in runs.items():
        if min(np.bincount(y[sel], minlength=2)) < 2:
            continue
        cv = cross_validate(x[sel], y[sel])
        sc = [s for s, k in zip(scen, sel, strict=True) if k]
        result["runs"][name] = {
            "clips": int(sel.sum()),
            "per_class": {c: int((y[sel] == i).sum()) for i, c in enumerate(data.CLASSES)},
            **{m: {k: v for k, v in r.items() if k != "pred"} for m, r in cv.items()},
            "per_scenario_gradient_boosting": per_scenario(sc, y[sel], cv["gradient_boosting"]["pred"]),
        }
    if min(np.bincount(y[usable], minlength=2)) >= 5:
        t3 = truth[usable].reshape(int(usable.sum()), 5, -1)
        e3 = est[usable].reshape(int(usable.sum()), 5, -1)
        result["estimated + relational, one group from the truth"] = swapped(t3, e3, y[usable])
        result["learning curve, gradient boosting, training clips -> accuracy"] = {
            "ground truth + relational": learning_curve(with_relational(t3), y[usable]),
            "estimated + relational": learning_curve(with_relational(e3), y[usable]),
        }
    rows = [r for r in rows if r["estimate"] is not None]
    truth, est = truth[measured], est[measured]
    # the estimate's error against the truth, on frames where both were measured
    both = ~np.isnan(est) & ~np.isnan(truth)
    err = np.abs(est - truth)
    shape = (len(rows), 5, len(FEATURE_COLUMNS))
    err, both = err.reshape(shape), both.reshape(shape)
    cols = {
        c: (float(np.median(err[..., j][both[..., j]])) if both[..., j].any() else None)
        for j, c in enumerate(FEATURE_COLUMNS)
        if c.endswith(("yaw", "pitch")) or c == "distance_px"
    }
    result["median_abs_error_estimate_vs_truth"] = cols
    result["head angles, estimate against truth"] = {
        ang: angle_fit(truth.reshape(shape), est.reshape(shape), ang) for ang in ("yaw", "pitch")
    }
    result["status_counts"] = {s: sum(r["status"] == s for r in rows) for s in sorted({r["status"] for r in rows})}
    print(json.dumps(result, indent=1))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
