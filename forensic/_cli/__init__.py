"""``forensic`` command line, a private package (as PySceneDetect's ``_cli``): one module per
command, each with ``add_parser(subparsers)`` that sets ``func(args, argv) -> exit code``.
Commands only parse and call the pipeline."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

import forensic
from forensic._cli.common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_READER_LEFT, EXIT_USAGE, usage_error
from forensic._cli.examples import add_examples
from forensic.records import visible

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
        code = _main(sys.argv[1:] if argv is None else argv)
        sys.stdout.flush()  # a reader that left is found here, not in the interpreter's last flush
        return code
    except KeyboardInterrupt:
        # Ctrl-C in a command that does not record it itself (scan does): one line, no traceback
        print("forensic: interrupted (Ctrl-C)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as exc:
        if isinstance(exc, BrokenPipeError) and _stdout_gone():  # piped into `head` and the like
            # nothing more can be said on stdout; the command did not finish what it was printing,
            # so it ends as a tool its reader left does (a shell reports 141), never as a success
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_READER_LEFT
        # the machine refused (disk full, permission, I/O error, a helper process gone): one line
        # naming the cause, not a traceback, and never a success
        print(f"forensic: error: {visible(f'{type(exc).__name__}: {exc}')}", file=sys.stderr)
        return EXIT_FAILED


def _stdout_gone() -> bool:
    """True when stdout's reader has gone: a pipe without reader (poll: an error on its write end),
    a closed socket or a hung-up terminal (poll: hang-up)."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _fd, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no real file descriptor (a captured stdout)
        return False


def _main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args, argv))
    except ValueError as exc:  # bad option values (checked by the config records)
        return usage_error(str(exc))
