"""Make the default model and measure it: one command (`make model`) regenerates models/default
and every number README quotes for it.

1. generated labelled clips (`forensic synth clips`): a training set and a held-out set made from
   other seeds (see below; the same two packaged face photos, mirrored or not: no other faces ship offline;
   add yours with --faces);
2. `forensic train` of the fusion model and of its relational variant (fusion_relational) on the
   pretrained perception (the `mediapipe-selfie-pose` segmenter and the BlazeFace face detector, the
   embedded defaults), same data, same split; the one with the better validation accuracy (a tie:
   the paper's) becomes models/default (``--architectures fusion`` trains the paper's alone);
3. Table 1 on the held-out clips (`forensic evaluate`);
4. Table 2: the four models of the paper and the variant trained and evaluated on one split (`--ablation`,
   early stopping to convergence: at most 40 epochs, patience 5, min_delta 0.001), on the first 200
   clips per class of the first training seed (--table2-per-class);
5. a whole-archive score: `forensic scan` of a generated archive, flagged intervals against its
   ground truth (precision and recall of stalking intervals), and `forensic scan` of the held-out
   clips (the real path: precision and recall of flagged clips);
6. false flags on the real clips of ../shared/footage and ../shared/people (none of them shows stalking).

Training clips come from the generator seeds of --train-seeds (101: the default's), held-out clips
from two others (--heldout-seeds). With --work, clips of a seed already there (all of them, with their ground truth
and clips.csv rows) are kept, not made again, and features come from --work's cache; a --work
folder holding clips that were not asked for (another seed, more per class) is refused.

    .venv/bin/python benchmarks/default_model.py [--per-class 800] [--heldout 100] [--train-seeds 101 ...]
        [--heldout-seeds 202 205] [--archive-minutes 6] [--jobs 2] [--engine local|ray [--address HOST:PORT]]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FOOTAGE = REPO.parent / "shared" / "footage"
PEOPLE = REPO.parent / "shared" / "people"  # real people together: none of it shows stalking
ENV = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2", RAY_AUTH_MODE="token")


def forensic(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "forensic", *args]
    print("$ forensic " + " ".join(args), flush=True)
    r = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
    if check and r.returncode not in (0, 3):
        raise RuntimeError(
            f"forensic {' '.join(args)} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
        )
    return r


def overlaps(a0: float, a1: float, b0: float, b1: float) -> bool:
    return min(a1, b1) - max(a0, b0) > 0


def archive_score(case: Path, truth_csv: Path, footage: Path) -> dict:
    import pandas as pd

    f = pd.read_parquet(case / "findings.parquet")
    truth = list(csv.DictReader(open(truth_csv, newline="")))
    by_file: dict[str, list[dict]] = {}
    for t in truth:
        by_file.setdefault(os.path.normpath(str(footage / t["file"])), []).append(t)
    flagged = f[f["label"] == "stalking"]
    tp_segments = 0
    for _, s in flagged.iterrows():
        ivs = by_file.get(os.path.normpath(s["path"]), [])
        if any(
            t["label"] == "stalking" and overlaps(s["start_s"], s["end_s"], float(t["start_s"]), float(t["end_s"]))
            for t in ivs
        ):
            tp_segments += 1
    stalking = [t for t in truth if t["label"] == "stalking"]
    found = 0
    for t in stalking:
        path = os.path.normpath(str(footage / t["file"]))
        if any(
            overlaps(s["start_s"], s["end_s"], float(t["start_s"]), float(t["end_s"]))
            for _, s in flagged[flagged["path"].map(os.path.normpath) == path].iterrows()
        ):
            found += 1
    return {
        "segments": int(len(f)),
        "by_status": {k: int(v) for k, v in f["status"].value_counts().items()},
        "flagged_segments": int(len(flagged)),
        "flagged_in_stalking_intervals": tp_segments,
        "precision_segments": round(tp_segments / len(flagged), 3) if len(flagged) else None,
        "stalking_intervals": len(stalking),
        "stalking_intervals_found": found,
        "recall_intervals": round(found / len(stalking), 3) if stalking else None,
    }


def clips_score(case: Path, root: Path) -> dict:
    """`forensic scan` of a folder of generated labelled clips (ROOT/stalking, ROOT/non_stalking)
    scored per clip: a clip is flagged when any of its segments is; precision and recall of the
    flagged clips against the folder each clip is in. A clip the scan did not classify (too few
    faces, too short) counts as not flagged."""
    import pandas as pd

    f = pd.read_parquet(case / "findings.parquet")
    label = {}
    for cls in ("stalking", "non_stalking"):
        for p in sorted((root / cls).glob("*")):
            if p.suffix.lower() != ".json":
                label[os.path.normpath(str(p))] = cls
    f = f.assign(path=f["path"].map(os.path.normpath))
    flagged = set(f.loc[f["label"] == "stalking", "path"])
    classified = set(f.loc[f["status"] == "analysed", "path"])
    scanned = set(f["path"])
    tp = sum(1 for p, c in label.items() if c == "stalking" and p in flagged)
    n_flagged = sum(1 for p in label if p in flagged)
    positives = sum(1 for c in label.values() if c == "stalking")
    return {
        "clips": len(label),
        "segments_by_status": {k: int(v) for k, v in f["status"].value_counts().items()},
        "clips_classified": sum(1 for p in label if p in classified),
        "clips_flagged": n_flagged,
        "stalking_clips": positives,
        "stalking_clips_flagged": tp,
        "precision_clips": round(tp / n_flagged, 3) if n_flagged else None,
        "recall_clips": round(tp / positives, 3) if positives else None,
        "clips_not_scanned": sorted(os.path.relpath(p, root) for p in label if p not in scanned),
    }


def scan_clips(model: Path, root: Path, work: Path) -> dict:
    """The real path on the held-out clips: `forensic scan ROOT` with MODEL (presence gate on, local
    engine, no report), scored by :func:`clips_score`."""
    case = work / f"{root.name}_case"
    if case.exists():
        shutil.rmtree(case)
    forensic("scan", str(root), "--out", str(case), "--model", str(model), "--engine", "local", "--no-report", "-q")
    return clips_score(case, root)


def real_flags(model: Path, work: Path) -> dict:
    """`forensic scan` of the real clips (../shared/footage, ../shared/people: nobody stalks anybody
    there) with MODEL: per folder, the segments by status, the classified ones, and every flag."""
    import pandas as pd

    out: dict = {}
    for folder in (FOOTAGE, PEOPLE):
        if not folder.is_dir():
            out[folder.name] = "absent"
            continue
        case = work / f"real_case_{folder.name}"
        if case.exists():
            shutil.rmtree(case)
        forensic(
            "scan", str(folder), "--out", str(case), "--model", str(model), "--engine", "local", "--no-report", "-q"
        )
        f = pd.read_parquet(case / "findings.parquet")
        analysed = f[f["status"] == "analysed"]
        out[folder.name] = {
            "files": int(f["path"].nunique()),
            "segments": int(len(f)),
            "by_status": {k: int(v) for k, v in f["status"].value_counts().items()},
            "classified": [
                {"file": os.path.basename(r["path"]), "start_s": r["start_s"], "score": round(float(r["score"]), 3)}
                for _, r in analysed.iterrows()
            ],
            "flagged": int((f["label"] == "stalking").sum()),
        }
    return out


def real_check(real: dict) -> dict | None:
    """What :func:`real_flags` found, in the form the card's ``limits`` takes (None: nothing scanned)."""
    found = {name: v for name, v in real.items() if isinstance(v, dict)}
    if not found:
        return None
    files = sum(v["files"] for v in found.values())
    return {
        "footage": f"{files} real clip(s) scanned by `make model` ({', '.join(found)})",
        "segments": sum(v["segments"] for v in found.values()),
        "classified": sum(len(v["classified"]) for v in found.values()),
        "flagged": sum(v["flagged"] for v in found.values()),
    }


def amend_card(model_dir: Path, real: dict | None = None) -> dict:
    """(Re)write ``training_data`` and ``limits`` of an existing model's card: the card's own records,
    the generator's description (the same generator: clips are byte-identical for a seed) and, with
    ``real`` (:func:`real_flags` of this model), what the model did on real footage of people who are
    together; every hash recomputed (forensic.model.store.amend_card)."""
    from forensic.model import card as model_card
    from forensic.model import store
    from forensic.synth.clips import generator_description
    from forensic.synth.facepool import FacePool

    card = store.verify(str(model_dir))
    d, sp = card["data"], card["split"]["clips"]
    # ground-truth JSON files beside the clips were counted as left out before forensic.model.data skipped them
    left_out = [c for c in d["left_out"] if not (c["path"].lower().endswith(".json") and c["status"] == "skipped")]
    gen = generator_description(FacePool())
    sizes = {k: sum(v.values()) for k, v in sp.items()}
    segmenter = card["segmenter"]["name"]
    fields = {
        "training_data": model_card.training_data_text(d["root"], d["clips"], len(left_out), sizes, segmenter, gen),
        "limits": model_card.limits_text(d["root"], segmenter, gen, real_check(real or {})),
    }
    return store.amend_card(str(model_dir), fields, model_card.card_text)


def generated(folder: Path, seed: str, per_class: int) -> bool:
    """True when FOLDER already holds the PER_CLASS clips of each class that `forensic synth clips
    --seed SEED` makes, each with its ground truth beside it and its row in clips.csv (a --work folder
    of an earlier run: a clip depends only on seed, label and index, so it is not made again)."""
    index = folder / "clips.csv"
    if not index.is_file():
        return False
    with open(index, newline="") as f:
        rows = {(r["label"], int(r["index"])): r["path"] for r in csv.DictReader(f) if r["seed"] == seed and r["index"]}
    for label in ("stalking", "non_stalking"):
        for i in range(per_class):
            path = rows.get((label, i))
            if path is None or not (folder / path).is_file() or not (folder / path).with_suffix(".json").is_file():
                return False
    return True


def unasked(folder: Path, seeds: list[str], per_class: int) -> list[str]:
    """Clips in FOLDER (a --work folder of an earlier run) that are not among the PER_CLASS clips per
    class of SEEDS, or the folder's generator.json when another generator version made it: they would
    be trained or measured on (or kept) without being asked for."""
    from forensic.synth.scenarios import GENERATOR

    made_by = folder / "generator.json"  # clips of another generator version: every clip differs
    other = json.loads(made_by.read_text()).get("generator") if made_by.is_file() else GENERATOR
    if other != GENERATOR:
        return [f"generator.json ({other}, not {GENERATOR})"]
    want = {
        f"{label}_{seed}_{i:04d}" for label in ("stalking", "non_stalking") for seed in seeds for i in range(per_class)
    }
    return sorted(
        f"{label}/{p.name}"
        for label in ("stalking", "non_stalking")
        if (folder / label).is_dir()
        for p in (folder / label).iterdir()
        if p.stem not in want
    )


def copy_subset(src: Path, dst: Path, seed: str, per_class: int) -> None:
    """DST made anew with the first PER_CLASS clips of each class of SEED in SRC (a folder `forensic
    synth clips` wrote), their ground truth and clips.csv rows: the same bytes `--per-class PER_CLASS
    --seed SEED` makes, linked where the file system allows, copied otherwise."""
    if not generated(src, seed, per_class):
        raise RuntimeError(f"{src} does not hold {per_class} clips per class of seed {seed}")
    if dst.exists():
        shutil.rmtree(dst)
    with open(src / "clips.csv", newline="") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or [])
        rows = [r for r in reader if r["seed"] == seed and r["index"] and int(r["index"]) < per_class]
    for r in rows:
        for path in (Path(r["path"]), Path(r["path"]).with_suffix(".json")):
            (dst / path).parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(src / path, dst / path)
            except OSError:
                shutil.copy2(src / path, dst / path)
    if (src / "generator.json").is_file():  # what made the clips, read by the card's training_data
        shutil.copy2(src / "generator.json", dst / "generator.json")
    with open(dst / "clips.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def peak_rss_mb() -> dict[str, int]:
    import resource

    return {
        "this_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "largest_child": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
    }


def save(results: dict, out: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    Path(out).write_text(json.dumps(results, indent=2, default=str))


def batch_cli(args: argparse.Namespace) -> list[str]:
    """The engine options of `forensic synth clips`, `forensic synth archive` and `forensic evaluate`
    for this run."""
    return ["--jobs", str(args.jobs), "--engine", args.engine] + (["--address", args.address] if args.address else [])


def table2(args: argparse.Namespace, work: Path, model: Path, batch_args: list[str]) -> dict:
    """Table 2 (`forensic evaluate --ablation`, MODEL's settings) on the first --table2-per-class
    clips of each class of the first training seed in WORK/train (0: the whole training set),
    features from WORK/cache; the table and its text."""
    t = time.time()
    data = work / "train"
    if args.table2_per_class:
        data = work / "table2"
        copy_subset(work / "train", data, args.train_seeds[0], args.table2_per_class)
    r = forensic(
        "evaluate",
        str(data),
        "--model",
        str(model),
        "--ablation",
        "--epochs",
        str(args.ablation_epochs),
        "--patience",
        str(args.ablation_patience),
        "--min-delta",
        str(args.ablation_min_delta),
        "--cache",
        str(work / "cache"),
        "--out",
        str(work / "ablation"),
        *batch_args,
    )
    out: dict = {"table2_text": r.stdout[-4000:], "table2_s": round(time.time() - t)}
    t2 = work / "ablation" / "table2.json"
    if t2.is_file():
        out["table2"] = json.loads(t2.read_text())
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-class", type=int, default=800)
    ap.add_argument("--heldout", type=int, default=100)
    ap.add_argument(
        "--train-seeds",
        nargs="+",
        default=["101"],
        help="generator seeds of the training clips (--per-class clips of each class per seed; 101 alone, 800 per "
        "class, remakes models/default)",
    )
    ap.add_argument(
        "--heldout-seeds",
        nargs="+",
        default=["202", "205"],
        help="generator seeds of the held-out clips (--heldout per class per seed), never used in training",
    )
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes for clip generation and features")
    ap.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="engine of clip generation and feature extraction: local (--jobs processes) or ray (a local Ray, or "
        "the cluster of --address, whose nodes see --work at the same path)",
    )
    ap.add_argument(
        "--address", default=None, help="Ray cluster for --engine ray (default: $RAY_ADDRESS or a local Ray)"
    )
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument(
        "--ablation-epochs", type=int, default=40, help="Table 2: most epochs per model (early stopping ends sooner)"
    )
    ap.add_argument("--ablation-patience", type=int, default=5)
    ap.add_argument(
        "--ablation-min-delta",
        type=float,
        default=0.001,
        help="Table 2: the least validation-loss fall that counts (a model stuck at chance stops after its patience)",
    )
    ap.add_argument("--patience", type=int, default=10)
    ap.add_argument(
        "--architectures",
        nargs="+",
        default=["fusion", "fusion_relational"],
        choices=["fusion", "fusion_relational"],
        help="trained on the same split; the best on validation becomes the default",
    )
    ap.add_argument(
        "--table2-per-class",
        type=int,
        default=200,
        help="Table 2 on this many clips per class of the first training seed (the VGG16 rows, trained from "
        "scratch, take minutes an epoch); 0: on the whole training set",
    )
    ap.add_argument("--archive-minutes", type=float, default=6.0)
    ap.add_argument("--model", default=str(REPO / "models" / "default"))
    ap.add_argument("--work", default=None, help="keep the generated data here (default: a temporary folder)")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "out" / "default_model.json"))
    ap.add_argument(
        "--amend-card",
        action="store_true",
        help="only rewrite the plain-words fields (training_data, limits) of the card of --model, without "
        "retraining: the real clips are scanned with it again and what it did there goes into limits",
    )
    ap.add_argument(
        "--real-only",
        action="store_true",
        help="only scan the real clips with --model and put the result into --out (kept otherwise)",
    )
    ap.add_argument(
        "--table2-only",
        action="store_true",
        help="only Table 2, with --model and the training clips and cache of an earlier run's --work; into --out "
        "(kept otherwise)",
    )
    args = ap.parse_args()
    if args.table2_only:
        if not args.work:
            ap.error("--table2-only needs the --work folder of an earlier run")
        results = json.loads(Path(args.out).read_text()) if Path(args.out).is_file() else {}
        results.update(table2(args, Path(args.work), Path(args.model), batch_cli(args)))
        save(results, args.out)
        print(results["table2_text"])
        return 0
    if args.real_only:
        results = json.loads(Path(args.out).read_text()) if Path(args.out).is_file() else {}
        work = Path(args.work or tempfile.mkdtemp(prefix="forensic-model-"))
        results["real_footage"] = real_flags(Path(args.model), work)
        Path(args.out).write_text(json.dumps(results, indent=2, default=str))
        print(json.dumps(results["real_footage"], indent=2))
        return 0
    if args.amend_card:
        work = Path(args.work or tempfile.mkdtemp(prefix="forensic-model-"))
        real = real_flags(Path(args.model), work)
        print(json.dumps(real, indent=2))
        card = amend_card(Path(args.model), real)
        print(json.dumps({k: card[k] for k in ("training_data", "limits", "card_sha256")}, indent=2))
        return 0
    overlap = set(args.train_seeds) & set(args.heldout_seeds)
    if overlap:
        ap.error(f"a held-out seed must never be used in training: {', '.join(sorted(overlap))}")
    work = Path(args.work or tempfile.mkdtemp(prefix="forensic-model-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    t0 = time.time()
    batch_args = batch_cli(args)
    for name, n, seeds in (("train", args.per_class, args.train_seeds), ("heldout", args.heldout, args.heldout_seeds)):
        extra = unasked(work / name, seeds, n)
        if extra:
            ap.error(
                f"{work / name} holds {len(extra)} file(s) that are not {n} clips per class of seed(s) "
                f"{', '.join(seeds)} (e.g. {extra[0]}): another --work, or remove them"
            )
        for seed in seeds:  # several seeds into one folder: LABEL_SEED_INDEX names, one clips.csv
            t = time.time()
            if generated(work / name, seed, n):
                print(f"kept: {n} clips per class of seed {seed} already in {work / name}", flush=True)
                results[f"generate_{name}_{seed}_s"] = "kept"
                continue
            forensic(
                "synth", "clips", "--out", str(work / name), "--per-class", str(n), "--seed", seed, "-q", *batch_args
            )
            results[f"generate_{name}_{seed}_s"] = round(time.time() - t, 1)
    final = Path(args.model)
    model = work / "model"  # trained and measured here, put in place at the end
    if model.exists():
        shutil.rmtree(model)
    # trained in this process (PixelLib is never imported here) so that the decision threshold is the one
    # chosen on the validation split (TrainConfig.choose_threshold), not 0.5 by habit
    from forensic.engine.batch import open_batch
    from forensic.features import FeatureConfig
    from forensic.model.feature_settings import resolve_settings
    from forensic.model.train import TrainConfig, train

    lines: list[str] = []
    t_train = time.time()
    batch = open_batch(args.engine, args.jobs, args.address)
    candidates = {}
    for arch in args.architectures:
        config = TrainConfig(
            architecture=arch, epochs=args.epochs, seed=42, patience=args.patience, choose_threshold=True
        )
        out = work / f"model-{arch}"
        if out.exists():
            shutil.rmtree(out)
        t = time.time()
        train(
            str(work / "train"),
            str(out),
            config,
            resolve_settings("mediapipe-selfie-pose", feature_config=FeatureConfig(face_detector="blazeface")),
            str(work / "cache"),
            progress=lambda m: (lines.append(m), print(m, flush=True)),
            argv=["benchmarks/default_model.py", *sys.argv[1:]],
            name="default-synthetic-fusion" if arch == "fusion" else f"default-synthetic-{arch.replace('_', '-')}",
            jobs=args.jobs,
            batch=batch,
        )
        card = json.loads((out / "model_card.json").read_text())
        candidates[arch] = {"dir": out, "val": card["metrics"]["val"], "train_s": round(time.time() - t, 1)}
    batch.close()
    # the default: the best validation accuracy (never the test split); a tie keeps the first listed, the paper's
    best = max(candidates, key=lambda a: candidates[a]["val"]["accuracy"])
    results["candidates"] = {
        a: {"val_accuracy": c["val"]["accuracy"], "val_macro_f1": c["val"]["macro"]["f1"], "train_s": c["train_s"]}
        for a, c in candidates.items()
    }
    results["chosen_architecture"] = best
    shutil.copytree(candidates[best]["dir"], model)
    results["features_and_training_s"] = round(time.time() - t_train, 1)
    results["train_stdout_tail"] = "\n".join(lines)[-1500:]
    r = forensic(
        "evaluate",
        str(work / "heldout"),
        "--model",
        str(model),
        "--all",
        "--json",
        "--cache",
        str(work / "cache"),
        *batch_args,
    )
    results["table1_heldout"] = json.loads(r.stdout)
    forensic(
        "synth",
        "archive",
        "--out",
        str(work / "archive"),
        "--minutes",
        str(args.archive_minutes),
        "--seed",
        "303",
        *batch_args,
        "-q",
    )
    forensic(
        "scan",
        str(work / "archive" / "footage"),
        "--out",
        str(work / "archive_case"),
        "--model",
        str(model),
        "--engine",
        "local",
        "--no-report",
        "-q",
    )
    # ground_truth.csv names files relative to the archive folder ("footage/NAME")
    results["archive"] = archive_score(work / "archive_case", work / "archive" / "ground_truth.csv", work / "archive")
    results["scan_heldout"] = scan_clips(model, work / "heldout", work)
    results["real_footage"] = real_flags(model, work)
    amend_card(model, results["real_footage"])  # the card's limits say what it did on real footage
    if final.exists():
        shutil.rmtree(final)
    shutil.copytree(model, final)
    results["model"] = str(final)
    results["seconds_to_default_model"] = round(time.time() - t0)
    results["peak_rss_mb"] = peak_rss_mb()
    save(results, args.out)  # the default model's own figures are kept even if Table 2 is stopped
    # Table 2 last: the four models of the paper, each trained anew (the longest step)
    results.update(table2(args, work, model, batch_args))
    results["seconds"] = round(time.time() - t0)
    results["peak_rss_mb"] = peak_rss_mb()
    save(results, args.out)
    print(
        json.dumps(
            {k: v for k, v in results.items() if k not in ("train_stdout_tail", "table2_text")}, indent=2, default=str
        )
    )
    print(results.get("table2_text", ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
