"""``forensic`` command line, a private package (as PySceneDetect's ``_cli``): one module per
command, each with ``add_parser(subparsers)`` that sets ``func(args, argv) -> exit code``.
Commands only parse and call the pipeline."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

import forensic
from forensic._cli.common import EXIT_OK, EXIT_USAGE
from forensic._cli.examples import add_examples

# command modules, in the order `forensic --help` lists them
COMMANDS = (
    "scan",
    "segments",
    "features",
    "faces",
    "models",
    "synth",
    "report",
    "coappear",
    "verify",
    "train",
    "evaluate",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="forensic",
        description="Batch forensic video analysis: evidence intake (hash, probe), scene-cut segments, "
        "the paper's features and a case folder that records everything.",
    )
    parser.add_argument("--version", action="version", version=f"forensic {forensic.__version__}")
    add_examples(parser, "")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"forensic._cli.{name}").add_parser(sub)
        if name in sub.choices:
            add_examples(sub.choices[name], name)
    return parser


def main(argv: list[str] | None = None) -> int:
    # before anything imports TensorFlow: tf.keras is tf-keras 2 (PixelLib and the fusion model
    # need it), and TensorFlow's C++ start-up chatter stays off the terminal
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        return _main(sys.argv[1:] if argv is None else argv)
    except BrokenPipeError:  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args, argv))
    except ValueError as exc:  # bad option values (checked by the config records)
        print(f"forensic: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
