"""forensic models fetch"""

from __future__ import annotations

import argparse
import sys

from forensic._cli.common import EXIT_OK, EXIT_SOME_FAILED


def add_parser(sub) -> None:
    p = sub.add_parser("models", help="model files", description="Manage the model files in models/.")
    actions = p.add_subparsers(dest="models_command", metavar="ACTION")
    fetch = actions.add_parser(
        "fetch",
        help="download PixelLib's Mask R-CNN COCO weights",
        description="Download mask_rcnn_coco.h5 from PixelLib's published release and check it. "
        "Needs a network connection; fails with a clear message (no hang) when offline.",
    )
    fetch.add_argument(
        "--dest", default=None, metavar="PATH", help="where to put it (default models/mask_rcnn_coco.h5)"
    )
    fetch.add_argument("--timeout", type=float, default=20.0, help="network timeout in seconds (default 20)")
    fetch.set_defaults(func=run_fetch)
    p.set_defaults(func=lambda args, argv: p.print_help() or 2)


def run_fetch(args: argparse.Namespace, argv: list[str]) -> int:
    from forensic.features.pixellib_backend import fetch_coco_weights
    from forensic.resources import default_maskrcnn_weights

    dest = args.dest or default_maskrcnn_weights()
    try:
        path = fetch_coco_weights(dest, timeout=args.timeout)
    except RuntimeError as exc:
        print(f"forensic: error: {exc}", file=sys.stderr)
        return EXIT_SOME_FAILED
    print(path)
    return EXIT_OK
