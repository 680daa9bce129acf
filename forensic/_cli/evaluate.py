"""forensic evaluate DATASET [--model MODEL_DIR] [--ablation]"""

from __future__ import annotations

import argparse
import json
import os

from forensic._cli.common import EXIT_OK, EXIT_SOME_FAILED, batch_of, usage_error
from forensic._cli.train import add_training_options, progress_printer
from forensic.fsutil import folder_problem


def add_parser(sub) -> None:
    p = sub.add_parser(
        "evaluate",
        help="measure a trained model on labelled clips; --ablation: the paper's Table 2",
        description="Score the clips of DATASET (stalking/ and non_stalking/) with the model in MODEL_DIR (default "
        "models/default; its files are checked against their recorded SHA-256 first; features are made with the "
        "model's segmenter and cached) and print accuracy, per-class precision, recall and F1, macro averages and "
        "the confusion matrix (the paper's Table 1 and Figure 9). Clips the model trained or validated on "
        "(matched by SHA-256 with its split.csv) are not counted unless --all. --ablation trains the four models of the paper's Table 2 "
        "(vgg16, convlstm, vgg16_mlp, fusion) and the relational variant (fusion_relational) on one split with the same settings and prints their training, "
        "validation and test accuracy; settings not given come from --model's card. Exit 0, 3 when clips were "
        "left out, 2 on usage errors or a model that fails its checks.",
    )
    p.add_argument("dataset", metavar="DATASET", help="folder with stalking/ and non_stalking/ clips")
    p.add_argument(
        "--model",
        metavar="MODEL_DIR",
        help="model folder written by `forensic train` (default: models/default, as `forensic scan`; "
        "with --ablation: the card whose settings are reused)",
    )
    p.add_argument("--all", action="store_true", help="count every usable clip, also those the model trained on")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument(
        "--ablation",
        action="store_true",
        help="train and compare the four models of Table 2 and the relational variant",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help="with --ablation: save the models (DIR/<architecture>/) and table2.json / table2.txt into this new folder",
    )
    add_training_options(p, defaults=False)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, argv: list[str]) -> int:
    from forensic.model.cache import default_cache_dir
    from forensic.model.data import DatasetError
    from forensic.model.store import ModelIntegrityError
    from forensic.resources import default_model_dir

    progress = progress_printer(args.quiet)
    try:
        if not os.path.isdir(args.dataset):
            raise FileNotFoundError(f"no such data set folder: {args.dataset}")
        if args.ablation:
            return _ablation(args, argv, progress)
        from forensic.model.evaluate import evaluate_model, format_evaluation

        model = args.model or default_model_dir()
        if not os.path.isdir(model):
            raise FileNotFoundError(f"no model at {model}: train one with `forensic train` or pass --model")
        # the default model may live inside an installed package: its cache goes to the user's cache folder
        cache = os.path.abspath(args.cache or (default_cache_dir(model) if args.model else user_cache_dir()))
        with batch_of(args) as batch:
            ev = evaluate_model(args.dataset, model, cache, args.all, args.maskrcnn_weights, progress, args.jobs, batch)
    except (FileNotFoundError, FileExistsError, DatasetError, ValueError, ModelIntegrityError, RuntimeError) as exc:
        return usage_error(str(exc))
    print(json.dumps(ev.to_dict(), indent=2) if args.json else format_evaluation(ev, args.all))
    return EXIT_SOME_FAILED if ev.dataset.left_out else EXIT_OK


def user_cache_dir() -> str:
    """``$XDG_CACHE_HOME/forensic/features`` (default ``~/.cache/forensic/features``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "forensic", "features")


def _ablation(args: argparse.Namespace, argv: list[str], progress) -> int:
    from forensic.model.cache import default_cache_dir
    from forensic.model.evaluate import ablation, format_table2, settings_from_card
    from forensic.model.feature_settings import resolve_settings
    from forensic.model.train import TrainConfig

    base = TrainConfig()
    card = None
    if args.model:
        from forensic.model.store import verify

        card = verify(os.path.abspath(args.model))
        t = card["training"]
        base = TrainConfig(
            epochs=t["epochs_requested"],
            batch_size=t["batch_size"],
            seed=t["seed"],
            patience=t["early_stopping"]["patience"],
            min_delta=t["early_stopping"].get("min_delta", 0.0),  # cards before min_delta: 0
        )
    given = {k: getattr(args, k) for k in ("epochs", "batch_size", "seed", "patience", "min_delta", "vgg16_weights")}
    config = TrainConfig(
        **{**{k: getattr(base, k) for k in given}, **{k: v for k, v in given.items() if v is not None}}
    )
    config.check()
    if card is not None and args.segmenter is None:
        settings = settings_from_card(card, args.maskrcnn_weights)
    else:
        from forensic.features import FeatureConfig

        detector = FeatureConfig(face_detector=args.face_detector or "blazeface")
        settings = resolve_settings(args.segmenter or "auto", args.maskrcnn_weights, detector)
    if args.cache:
        cache = args.cache
    elif args.model:
        cache = default_cache_dir(args.model)
    elif args.out:
        cache = default_cache_dir(args.out)
    else:
        raise ValueError(
            "--ablation needs --cache DIR (or --model MODEL_DIR or --out DIR, beside which the cache goes)"
        )
    if args.out and (why := folder_problem(args.out)) is not None:
        raise ValueError(f"--out {why}")
    if args.out and os.path.exists(args.out) and os.listdir(args.out):
        raise FileExistsError(f"{args.out} is not empty: choose a new folder for the ablation models")
    with batch_of(args) as batch:
        result = ablation(
            args.dataset,
            settings,
            config,
            os.path.abspath(cache),
            args.out,
            progress,
            ["forensic", *argv],
            args.jobs,
            batch,
        )
    print(json.dumps(result.to_dict(), indent=2) if args.json else format_table2(result))
    return EXIT_SOME_FAILED if result.dataset.left_out else EXIT_OK
