"""Shared pieces of the command line: exit codes and the segment options."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator

from forensic.config import DETECTORS, SegmentConfig

EXIT_OK, EXIT_USAGE, EXIT_SOME_FAILED = 0, 2, 3
EXIT_FAILED = 4  # the machine refused (disk full, permission, I/O error): one line on stderr, no traceback
EXIT_READER_LEFT = 141  # stdout's reader went away (`| head`): 128 + SIGPIPE, as a shell reports it
EXIT_INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as a shell reports it


def usage_error(message: str) -> int:
    """Say ``message`` on stderr as a usage error (``forensic: error: ...``): exit 2."""
    print(f"forensic: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def seed_value(text: str) -> int:
    """A random seed (NumPy takes none below 0): argparse's ``type`` for ``--seed``."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"a seed is a whole number of 0 or more, not {text}")
    return value


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


def add_batch_options(g, work: str) -> None:
    """``--engine`` / ``--address`` of a batch command (``work``: what its tasks do)."""
    g.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help=f"where to {work}: local (default: --jobs processes on this machine) or ray (every CPU of a "
        "local Ray sized to the machine, or of the cluster of --address; the results are the same)",
    )
    g.add_argument("--address", default=None, help="Ray cluster to join with --engine ray (default: $RAY_ADDRESS)")


@contextlib.contextmanager
def batch_of(args: argparse.Namespace) -> Iterator:
    """The batch of ``--engine`` for the ``with`` block (None: the stage's own local default, ``--jobs``
    processes on this machine, isolated where it must be), closed after it. A Ray cluster that
    cannot be joined is a ValueError: a usage error, exit 2."""
    if args.jobs < 1:
        raise ValueError("--jobs must be at least 1")
    if args.engine == "local":
        yield None
        return
    from forensic.engine.batch import open_batch
    from forensic.engine.ray_engine import ClusterAccessError

    try:
        batch = open_batch(args.engine, args.jobs, args.address)
    except ClusterAccessError as exc:
        raise ValueError(str(exc)) from None
    try:
        yield batch
    finally:
        batch.close()
