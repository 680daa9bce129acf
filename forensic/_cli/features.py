"""forensic features VIDEO --segment N --out DIR"""

from __future__ import annotations

import argparse
import json
import os

from forensic._cli.common import EXIT_OK, add_segment_options, segment_config, usage_error
from forensic.config import ScanConfig


def add_parser(sub) -> None:
    p = sub.add_parser(
        "features",
        help="the paper's features of one segment of one video",
        description="For segment N of VIDEO: keep the people (background removal), find the two people's "
        "faces and 68 landmarks, keep 6 points each, head yaw and pitch, nose-to-nose distance: the 5 x 29 "
        "table (features.csv, features_long.csv), the 5 background-removed 128x128 frames (frames128.npy), "
        "annotated keyframes (keyframes/*.png) and features.json, written into OUT.",
    )
    p.add_argument("video", metavar="VIDEO")
    p.add_argument("--segment", type=int, required=True, metavar="N", help="segment index (see `forensic segments`)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (not among the evidence)")
    p.add_argument(
        "--segmenter",
        default="auto",
        choices=("auto", "pixellib", "mediapipe-selfie-pose", "hog-face-grabcut"),
        help="background removal: pixellib (Mask R-CNN, needs the COCO weights), the embedded "
        "mediapipe-selfie-pose (pretrained, in models/mediapipe), the older hog-face-grabcut, or auto "
        "(pixellib when the weights exist, else mediapipe-selfie-pose)",
    )
    p.add_argument(
        "--face-detector",
        default="auto",
        choices=("auto", "dlib-hog", "blazeface", "mtcnn"),
        help="face detector before dlib's 68 landmarks: dlib-hog (the paper's), blazeface (MediaPipe "
        "full range), mtcnn; auto: blazeface, the best measured on real faces (README)",
    )
    p.add_argument("--maskrcnn-weights", metavar="PATH", help="mask_rcnn_coco.h5 (default models/mask_rcnn_coco.h5)")
    add_segment_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, argv: list[str]) -> int:
    from forensic.engine.local import features_of_segment
    from forensic.store.case import CaseFolderError

    if not os.path.isfile(args.video):
        return usage_error(f"no such file: {args.video}")
    try:
        out = features_of_segment(
            args.video,
            args.segment,
            args.out,
            args.segmenter,
            args.maskrcnn_weights,
            ScanConfig(segments=segment_config(args)),
            face_detector=args.face_detector,
        )
    except (FileNotFoundError, ValueError, CaseFolderError) as exc:
        return usage_error(str(exc))
    print(json.dumps(out, indent=2))
    return EXIT_OK
