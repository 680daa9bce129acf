"""Shared pieces of the command line: exit codes and the segment options."""

from __future__ import annotations

import argparse

from forensic.config import DETECTORS, SegmentConfig

EXIT_OK, EXIT_USAGE, EXIT_SOME_FAILED = 0, 2, 3


class UsageError(Exception):
    """A usage error found after parsing: printed as ``forensic: error: ...``, exit 2."""


def add_segment_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("scene cuts and segments")
    g.add_argument("--detector", choices=DETECTORS, default="content", help="PySceneDetect detector (default: content)")
    g.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="detector threshold (default: PySceneDetect's for that detector, 27 for content)",
    )
    g.add_argument(
        "--min-scene-len",
        type=float,
        default=0.6,
        metavar="SECONDS",
        help="ignore a cut closer than this to the previous one (default 0.6 s)",
    )
    g.add_argument(
        "--window",
        type=float,
        nargs=3,
        default=(3.0, 5.0, 8.0),
        metavar=("MIN", "TARGET", "MAX"),
        help="segment length in seconds within a shot (default 3 5 8)",
    )
    g.add_argument("--samples", type=int, default=5, help="sample frames per segment (default 5, the paper's)")


def segment_config(args: argparse.Namespace) -> SegmentConfig:
    lo, target, hi = args.window
    return SegmentConfig(
        detector=args.detector,
        threshold=args.threshold,
        min_scene_len_s=args.min_scene_len,
        window_min_s=lo,
        window_target_s=target,
        window_max_s=hi,
        samples=args.samples,
    )
