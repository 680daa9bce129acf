"""forensic coappear CASE_DIR [--method M] [--distance-threshold D] [--min-segments N] [--camera FOLDER=ID]..."""

from __future__ import annotations

import argparse
import os
import sys

from forensic._cli.common import EXIT_OK, usage_error


def add_parser(sub) -> None:
    from forensic.coappear.cluster import DEFAULT_THRESHOLD, METHODS

    p = sub.add_parser(
        "coappear",
        help="link people across segments: pairs seen together again and again",
        description="Cluster the face descriptors of a scanned case folder into anonymous identities (P1, P2, ... "
        "within this case, never a name) and list the pairs of identities seen together in several segments, with "
        "every occurrence. Writes coappearance.csv, identities.csv and identity_sightings.csv into CASE_DIR and "
        "records them in manifest.json; `forensic report CASE_DIR` then shows them. A pair seen together often is a "
        "pointer for review, not a finding. Exit 0 when written, 2 on usage errors.",
    )
    p.add_argument("case_dir", metavar="CASE_DIR", help="a case folder written by `forensic scan`")
    p.add_argument(
        "--method",
        choices=METHODS,
        default="connected",
        help="clustering: connected (single linkage cut at the threshold; default) or chinese-whispers "
        "(dlib's); both never put the two people of one segment in one identity",
    )
    p.add_argument(
        "--distance-threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        metavar="D",
        help=f"Euclidean distance between dlib face descriptors below which two faces may be one person "
        f"(default {DEFAULT_THRESHOLD:g}, dlib's)",
    )
    p.add_argument(
        "--min-segments",
        type=int,
        default=2,
        metavar="N",
        help="list a pair when seen together in at least N segments (default 2)",
    )
    p.add_argument(
        "--camera",
        action="append",
        default=[],
        metavar="FOLDER=ID",
        help="files under FOLDER come from camera ID (repeat; default: each file is its own camera)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no summary")
    p.set_defaults(func=run)


def parse_cameras(specs: list[str]) -> tuple[tuple[str, str], ...]:
    out = []
    for spec in specs:
        folder, sep, cam = spec.rpartition("=")
        if not sep or not folder or not cam:
            raise ValueError(f"--camera {spec!r}: expected FOLDER=ID")
        same = [c for f, c in out if os.path.abspath(f) == os.path.abspath(folder)]
        if same and same[0] != cam:
            raise ValueError(f"--camera {folder}: given twice, as {same[0]!r} and {cam!r}")
        out.append((folder, cam))
    return tuple(out)


def run(args: argparse.Namespace, argv: list[str]) -> int:
    from forensic.coappear import CoappearError, CoappearSettings
    from forensic.coappear import run as coappear

    settings = CoappearSettings(
        method=args.method,
        threshold=args.distance_threshold,
        min_segments=args.min_segments,
        cameras=parse_cameras(args.camera),
    )
    try:
        res = coappear(args.case_dir, settings, argv=["forensic", *argv])
    except CoappearError as exc:
        return usage_error(str(exc))
    if not args.quiet:
        c = res.counts
        print(
            f"{c.get('sightings', 0)} face(s) in {c.get('segments_with_descriptors', 0)} analysed segment(s) -> "
            f"{c['identities']} identities; {c['pairs']} pair(s) seen together in {settings.min_segments}+ "
            f"segments ({settings.describe()})",
            file=sys.stderr,
        )
        for p in res.pairs[:20]:
            print(f"{p.name}: {p.segments} segments, {p.files} file(s), {p.cameras} camera(s), {p.flagged} flagged")
        for note in res.notes:
            print(f"forensic: note: {note}", file=sys.stderr)
        print("forensic: run `forensic report CASE_DIR` to show them in the report", file=sys.stderr)
    return EXIT_OK
