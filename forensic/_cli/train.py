"""forensic train DATASET --out MODEL_DIR"""

from __future__ import annotations

import argparse
import sys

from forensic._cli.common import EXIT_OK, EXIT_SOME_FAILED, add_batch_options, batch_of, seed_value, usage_error
from forensic.model.architecture import ARCHITECTURES  # light: constants only, no TensorFlow

# forensic.model.data.ClipResult statuses that are failures (unreadable, or one content in both classes)
UNREADABLE = ("failed", "error", "conflict")

SEGMENTERS = ("auto", "pixellib", "hog-face-grabcut", "mediapipe-selfie-pose")  # as forensic.model.feature_settings
FACE_DETECTORS = ("dlib-hog", "blazeface", "mtcnn")  # as forensic.features.detectors


def add_parser(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train the fusion model (or a comparison model) on labelled clips",
        description="DATASET holds the clips of the paper's two classes in DATASET/stalking/ and "
        "DATASET/non_stalking/ (any video format). Each clip is one example (5 sample frames); its features come "
        "from the features stage and are cached (--cache). Split 60/20/20 stratified (--seed), StandardScaler on "
        "the training split, Adam 1e-3 with decay 5e-4, early stopping on validation loss; the model, its scaler "
        "and its model card (metrics on the test split, curves, confusion matrix, every file's SHA-256) are "
        "written into MODEL_DIR, which must be new or empty. Clips left out for what they show (no two "
        "faces found, a still picture, a duplicate) are listed on stderr and in the card. Exit 0 when every clip "
        "could be read, 3 when some could not (failed to decode, an error), 2 on usage errors (nothing written).",
    )
    p.add_argument("dataset", metavar="DATASET", help="folder with stalking/ and non_stalking/ clips")
    p.add_argument("--out", required=True, metavar="MODEL_DIR", help="new (or empty) model folder")
    p.add_argument(
        "--architecture",
        choices=ARCHITECTURES,
        default="fusion",
        help="fusion (the paper's CNN-LSTM-MLP, default), convlstm (without fusion), vgg16 (CNN alone, "
        "frame level), vgg16_mlp (VGG16 + MLP with fusion, frame level), fusion_relational (beyond the paper: "
        "fusion with relational numbers derived from the 29 in its MLP stream)",
    )
    add_training_options(p, defaults=True)
    p.add_argument("--name", help="model name recorded in the card (default: ARCHITECTURE-DATASETHASH-seedS)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run)


def add_training_options(p: argparse.ArgumentParser, defaults: bool) -> None:
    """Options shared with ``evaluate --ablation`` (there, unset ones come from --model's card)."""
    g = p.add_argument_group("training")
    g.add_argument(
        "--epochs",
        type=int,
        default=50 if defaults else None,
        help="most epochs; early stopping usually ends sooner (default 50)",
    )
    g.add_argument("--batch-size", type=int, default=8 if defaults else None, help="batch size (default 8)")
    g.add_argument(
        "--seed",
        type=seed_value,
        default=42 if defaults else None,
        help="seed of the split and of training (default 42)",
    )
    g.add_argument(
        "--patience",
        type=int,
        default=5 if defaults else None,
        help="epochs without a better validation loss before stopping (default 5)",
    )
    g.add_argument(
        "--min-delta",
        type=float,
        default=0.0 if defaults else None,
        metavar="D",
        help="a validation loss counts as better only when at least D lower (default 0: any decrease; "
        "e.g. 0.001 stops a model stuck at chance whose loss creeps down by 1e-4 an epoch)",
    )
    g.add_argument(
        "--vgg16-weights",
        metavar="PATH",
        help="VGG16 'notop' weights file for vgg16 / vgg16_mlp (ImageNet weights cannot be downloaded "
        "here; default: trained from scratch)",
    )
    f = p.add_argument_group("features")
    f.add_argument(
        "--segmenter",
        choices=SEGMENTERS,
        default="auto" if defaults else None,
        help="background removal for the frames: pixellib (Mask R-CNN, needs the COCO weights), the "
        "embedded pretrained mediapipe-selfie-pose or the older hog-face-grabcut, or auto (pixellib when the "
        "weights exist, else mediapipe-selfie-pose; default)",
    )
    f.add_argument(
        "--face-detector",
        choices=FACE_DETECTORS,
        default="blazeface" if defaults else None,
        help="face detector whose faces the features are made from (recorded in the card; a scan with the "
        "model uses the same one; default blazeface, which finds the most real faces: see README; dlib-hog is the paper's)",
    )
    f.add_argument("--maskrcnn-weights", metavar="PATH", help="mask_rcnn_coco.h5 (default models/mask_rcnn_coco.h5)")
    f.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="extract the clips' features in N processes (the cache entries are the same for any N; default 1)",
    )
    add_batch_options(f, "extract the clips' features")
    f.add_argument(
        "--cache",
        metavar="DIR",
        help="feature cache folder, never inside DATASET (default: MODEL_DIR/../.forensic-cache)",
    )


def progress_printer(quiet: bool):
    return (lambda msg: None) if quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))


def run(args: argparse.Namespace, argv: list[str]) -> int:
    import os

    from forensic.features import FeatureConfig
    from forensic.model.cache import default_cache_dir
    from forensic.model.data import DatasetError
    from forensic.model.evaluate import format_metrics
    from forensic.model.feature_settings import resolve_settings
    from forensic.model.train import TrainConfig, train

    try:
        if not os.path.isdir(args.dataset):
            raise FileNotFoundError(f"no such data set folder: {args.dataset}")
        config = TrainConfig(
            architecture=args.architecture,
            epochs=args.epochs,
            batch_size=args.batch_size,
            seed=args.seed,
            patience=args.patience,
            min_delta=args.min_delta,
            vgg16_weights=args.vgg16_weights,
        )
        config.check()
        settings = resolve_settings(
            args.segmenter, args.maskrcnn_weights, FeatureConfig(face_detector=args.face_detector or "blazeface")
        )
        cache = os.path.abspath(args.cache or default_cache_dir(args.out))
        with batch_of(args) as batch:
            outcome = train(
                args.dataset,
                args.out,
                config,
                settings,
                cache,
                progress_printer(args.quiet),
                ["forensic", *argv],
                args.name,
                jobs=args.jobs,
                batch=batch,
            )
    # RuntimeError: training refused in this process (PixelLib imported)
    except (FileNotFoundError, FileExistsError, DatasetError, ValueError, RuntimeError) as exc:
        return usage_error(str(exc))
    card = outcome.card
    assert card is not None
    print(f"model {card['name']} written to {outcome.model_dir}")
    t = card["training"]
    print(
        f"sha256 {card['card_sha256']}; segmenter {card['segmenter']['name']}; {t['epochs_run']} epoch(s) in "
        f"{t['seconds']:.1f} s (first {t['epoch_seconds'][0]:.1f} s); weights of epoch {t['best_epoch']} kept"
    )
    print("test split:")
    print(format_metrics(outcome.metrics["test"]))
    left = outcome.dataset.left_out
    if left:
        print(
            f"forensic: {len(left)} clip(s) left out (see {os.path.join(outcome.model_dir, 'model_card.txt')}): "
            + "; ".join(f"{os.path.relpath(c.path, outcome.dataset.root)}: {c.status}" for c in left[:10])
            + (" ..." if len(left) > 10 else ""),
            file=sys.stderr,
        )
    # left out for what it shows is an outcome of the data, recorded in the card; unreadable is a failure
    if any(c.status in UNREADABLE for c in left):
        return EXIT_SOME_FAILED
    return EXIT_OK
