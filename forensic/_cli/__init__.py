"""``forensic`` command line: parses arguments and calls the pipeline; nothing else."""

from __future__ import annotations

import argparse
import json
import os
import sys

import forensic
from forensic.config import DETECTORS, ScanConfig, SegmentConfig

EXIT_OK, EXIT_USAGE, EXIT_SOME_FAILED = 0, 2, 3


def _segment_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("scene cuts and segments")
    g.add_argument("--detector", choices=DETECTORS, default="content",
                   help="PySceneDetect detector (default: content)")
    g.add_argument("--threshold", type=float, default=None,
                   help="detector threshold (default: PySceneDetect's for that detector, 27 for content)")
    g.add_argument("--min-scene-len", type=float, default=0.6, metavar="SECONDS",
                   help="ignore a cut closer than this to the previous one (default 0.6 s)")
    g.add_argument("--window", type=float, nargs=3, default=(3.0, 5.0, 8.0), metavar=("MIN", "TARGET", "MAX"),
                   help="segment length in seconds within a shot (default 3 5 8)")
    g.add_argument("--samples", type=int, default=5, help="sample frames per segment (default 5, the paper's)")


def _segment_config(args: argparse.Namespace) -> SegmentConfig:
    lo, target, hi = args.window
    return SegmentConfig(
        detector=args.detector, threshold=args.threshold, min_scene_len_s=args.min_scene_len,
        window_min_s=lo, window_target_s=target, window_max_s=hi, samples=args.samples,
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="forensic",
        description="Batch forensic video analysis: evidence intake (hash, probe), scene-cut segments, "
        "and a case folder that records everything.",
    )
    parser.add_argument("--version", action="version", version=f"forensic {forensic.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    scan = sub.add_parser(
        "scan", help="scan footage files and folders into a new case folder",
        description="Hash every input read-only, probe it, cut footage into scene-cut 3-8 s segments "
        "and write manifest.json, evidence.csv, segments.csv and problems.jsonl into CASE_DIR. "
        "Exit 0 when every footage file was analysed, 3 when some failed, 2 on usage errors.",
    )  # fmt: skip
    scan.add_argument("paths", nargs="+", metavar="PATH", help="footage files or folders (recursive)")
    scan.add_argument("--out", required=True, metavar="CASE_DIR", help="new (or empty) case folder")
    scan.add_argument("--case-id", help="case identifier recorded in the manifest")
    scan.add_argument("--examiner", help="examiner name recorded in the manifest")
    scan.add_argument("--no-rehash", action="store_true", help="skip re-hashing the evidence at the end")
    scan.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    _segment_options(scan)

    seg = sub.add_parser(
        "segments", help="print the segments of one video",
        description="Decode one video, find its scene cuts and print its segments (frame ranges, times in "
        "every clock, sample frames, flags). Writes nothing.",
    )  # fmt: skip
    seg.add_argument("video", metavar="VIDEO")
    seg.add_argument("--json", action="store_true", help="a JSON list of segment objects")
    _segment_options(seg)

    feat = sub.add_parser(
        "features", help="the paper's features of one segment of one video",
        description="For segment N of VIDEO: keep the people (background removal), find the two people's "
        "faces and 68 landmarks, keep 6 points each, head yaw and pitch, nose-to-nose distance: the 5 x 29 "
        "table (features.csv, features_long.csv), the 5 background-removed 128x128 frames (frames128.npy), "
        "annotated keyframes (keyframes/*.png) and features.json, written into OUT.",
    )  # fmt: skip
    feat.add_argument("video", metavar="VIDEO")
    feat.add_argument("--segment", type=int, required=True, metavar="N", help="segment index (see `forensic segments`)")
    feat.add_argument("--out", required=True, metavar="DIR", help="output folder (not among the evidence)")
    feat.add_argument("--segmenter", default="auto", choices=("auto", "pixellib", "hog-face-grabcut"),
                      help="background removal: pixellib (Mask R-CNN, needs the COCO weights), the embedded "
                      "hog-face-grabcut, or auto (pixellib when the weights exist)")  # fmt: skip
    feat.add_argument("--maskrcnn-weights", metavar="PATH", help="mask_rcnn_coco.h5 (default models/mask_rcnn_coco.h5)")
    _segment_options(feat)

    models = sub.add_parser("models", help="model files", description="Manage the model files in models/.")
    models_sub = models.add_subparsers(dest="models_command", metavar="ACTION")
    fetch = models_sub.add_parser(
        "fetch", help="download PixelLib's Mask R-CNN COCO weights",
        description="Download mask_rcnn_coco.h5 from PixelLib's published release and check its SHA-256. "
        "Needs a network connection; fails with a clear message (no hang) when offline.",
    )  # fmt: skip
    fetch.add_argument("--dest", default=None, metavar="PATH", help="where to put it (default models/mask_rcnn_coco.h5)")
    fetch.add_argument("--timeout", type=float, default=20.0, help="network timeout in seconds (default 20)")

    synth = sub.add_parser("synth", help="make footage (no download needed)",
                           description="Generate footage with ffmpeg and pictures of faces that ship with packages.")
    synth_sub = synth.add_subparsers(dest="synth_command", metavar="KIND")
    demo = synth_sub.add_parser("demo", help="the demo footage scanned by `make demo`",
                                description="Write several multi-shot files (MP4, variable-frame-rate MKV, "
                                "MPEG-TS starting at 11.4 s, an identical copy) into OUT.")
    demo.add_argument("--out", required=True, metavar="DIR")
    return parser


def main(argv: list[str] | None = None) -> int:
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
        if args.command == "scan":
            return _scan(args, argv)
        if args.command == "segments":
            return _segments(args)
        if args.command == "features":
            return _features(args)
        if args.command == "models":
            return _models(args, parser)
        if args.command == "synth":
            if args.synth_command is None:
                parser.parse_args(["synth", "--help"])
            from forensic.synth.lavfi import make_demo_footage

            for path in make_demo_footage(args.out):
                print(path)
            return EXIT_OK
    except ValueError as exc:  # bad option values (SegmentConfig checks)
        print(f"forensic: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    parser.error(f"unknown command {args.command}")
    return EXIT_USAGE


def _scan(args: argparse.Namespace, argv: list[str]) -> int:
    from forensic.engine.local import ScanRequest, run_scan
    from forensic.store.case import CaseFolderError

    config = ScanConfig(segments=_segment_config(args), rehash_at_end=not args.no_rehash)
    request = ScanRequest(
        paths=args.paths, case_dir=args.out, case_id=args.case_id, examiner=args.examiner,
        config=config, argv=["forensic", *argv],
    )  # fmt: skip
    progress = (lambda msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    try:
        outcome = run_scan(request, progress)
    except (FileNotFoundError, CaseFolderError) as exc:
        print(f"forensic: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    summary = outcome.manifest["summary"]
    if not args.quiet:
        print(
            f"{summary['inputs']} input(s): "
            + ", ".join(f"{n} {s}" for s, n in summary["by_status"].items())
            + f"; {summary['segments']} segment(s); case folder {outcome.case.root}",
            file=sys.stderr,
        )
    if outcome.exit_code != EXIT_OK:
        failed, changed = outcome.failed, outcome.changed
        parts = []
        if failed:
            footage = summary["footage_files"]
            parts.append(f"{len(failed)} of {footage} footage file(s) failed or were only partly analysed")
        if changed:
            parts.append(f"{len(changed)} evidence file(s) CHANGED during the scan")
        print(f"forensic: {'; '.join(parts)} (see {os.path.join(outcome.case.root, 'evidence.csv')})",
              file=sys.stderr)  # fmt: skip
    return outcome.exit_code


def _segments(args: argparse.Namespace) -> int:
    from forensic import intake
    from forensic.records import EvidenceStatus
    from forensic.segments import segment_file

    if not os.path.isfile(args.video):
        print(f"forensic: error: no such file: {args.video}", file=sys.stderr)
        return EXIT_USAGE
    config = _segment_config(args)
    items = intake.discover([args.video])
    item = items[0]
    info = intake.probe_item(item) if intake.hash_item(item) else None
    result = None
    if info is not None:
        result = segment_file(item, config, info.avg_fps or info.nominal_fps, info.stream_index,
                              info.stream_duration_s or info.duration_s)  # fmt: skip
    segments = result.segments if result else []
    if args.json:
        json.dump([s.to_dict() for s in segments], sys.stdout, indent=2)
        print()
    else:
        print(f"{'#':>4} {'shot':>4} {'frames':>15} {'start':>12} {'end':>12}  samples  flags")
        for s in segments:
            print(f"{s.index:>4} {s.shot:>4} {s.start_frame:>7}-{s.end_frame:<7} {s.start_tc:>12} {s.end_tc:>12}  "
                  f"{','.join(map(str, s.sample_frames))}  {','.join(s.flags)}")  # fmt: skip
    if item.status != EvidenceStatus.ANALYSED:
        print(f"forensic: {args.video}: {item.status}: {item.reason}", file=sys.stderr)
        return EXIT_SOME_FAILED
    return EXIT_OK


def _features(args: argparse.Namespace) -> int:
    from forensic.engine.local import features_of_segment
    from forensic.store.case import CaseFolderError

    if not os.path.isfile(args.video):
        print(f"forensic: error: no such file: {args.video}", file=sys.stderr)
        return EXIT_USAGE
    try:
        out = features_of_segment(args.video, args.segment, args.out, args.segmenter, args.maskrcnn_weights,
                                  ScanConfig(segments=_segment_config(args)))  # fmt: skip
    except (FileNotFoundError, CaseFolderError, ValueError) as exc:
        print(f"forensic: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps(out, indent=2))
    return EXIT_OK


def _models(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.models_command != "fetch":
        parser.parse_args(["models", "--help"])
    from forensic.engine.local import default_maskrcnn_weights
    from forensic.features.pixellib_backend import fetch_coco_weights

    dest = args.dest or default_maskrcnn_weights()
    try:
        path = fetch_coco_weights(dest, timeout=args.timeout)
    except RuntimeError as exc:
        print(f"forensic: error: {exc}", file=sys.stderr)
        return EXIT_SOME_FAILED
    print(path)
    return EXIT_OK
