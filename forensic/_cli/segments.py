"""forensic segments VIDEO [--json]"""

from __future__ import annotations

import argparse
import json
import os
import sys

from forensic._cli.common import EXIT_OK, EXIT_SOME_FAILED, add_segment_options, segment_config, usage_error


def add_parser(sub) -> None:
    p = sub.add_parser(
        "segments",
        help="print the segments of one video",
        description="Decode one video, find its scene cuts and print its segments (frame ranges, times in "
        "every clock, sample frames, flags). Writes nothing.",
    )
    p.add_argument("video", metavar="VIDEO")
    p.add_argument("--json", action="store_true", help="a JSON list of segment objects")
    add_segment_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, argv: list[str]) -> int:
    from forensic.records import EvidenceStatus
    from forensic.segments import segment_path

    if not os.path.isfile(args.video):
        return usage_error(f"no such file: {args.video}")
    item, _info, result = segment_path(args.video, segment_config(args))
    segments = result.segments if result else []
    if args.json:
        json.dump([s.to_dict() for s in segments], sys.stdout, indent=2)
        print()
    else:
        print(f"{'#':>4} {'shot':>4} {'frames':>15} {'start':>12} {'end':>12}  samples  flags")
        for s in segments:
            print(
                f"{s.index:>4} {s.shot:>4} {s.start_frame:>7}-{s.end_frame:<7} {s.start_tc:>12} {s.end_tc:>12}  "
                f"{','.join(map(str, s.sample_frames))}  {','.join(s.flags)}"
            )
    if item.status != EvidenceStatus.ANALYSED:
        print(f"forensic: {args.video}: {item.status}: {item.reason}", file=sys.stderr)
        return EXIT_SOME_FAILED
    return EXIT_OK
