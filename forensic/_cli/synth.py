"""forensic synth ..."""

from __future__ import annotations

import argparse

from forensic._cli.common import EXIT_OK


def add_parser(sub) -> None:
    p = sub.add_parser("synth", help="make footage (no download needed)",
                       description="Generate footage with ffmpeg and pictures of faces that ship with packages.")
    kinds = p.add_subparsers(dest="synth_command", metavar="KIND")
    demo = kinds.add_parser("demo", help="the demo footage scanned by `make demo`",
                            description="Write several multi-shot files (MP4 with one and two people, "
                            "variable-frame-rate MKV, MPEG-TS starting at 11.4 s, an identical copy) into OUT.")
    demo.add_argument("--out", required=True, metavar="DIR")
    demo.set_defaults(func=run_demo)
    p.set_defaults(func=lambda args, argv: p.print_help() or 2)


def run_demo(args: argparse.Namespace, argv: list[str]) -> int:
    from forensic.synth.lavfi import make_demo_footage

    for path in make_demo_footage(args.out):
        print(path)
    return EXIT_OK
