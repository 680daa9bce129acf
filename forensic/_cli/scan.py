"""forensic scan PATH... --out CASE_DIR"""

from __future__ import annotations

import argparse
import os
import sys

from forensic._cli.common import EXIT_OK, EXIT_USAGE, add_segment_options, segment_config
from forensic.config import ScanConfig


def add_parser(sub) -> None:
    p = sub.add_parser(
        "scan",
        help="scan footage files and folders into a new case folder",
        description="Hash every input read-only, probe it, cut footage into scene-cut 3-8 s segments "
        "and write manifest.json, evidence.csv, segments.csv and problems.jsonl into CASE_DIR. "
        "Exit 0 when every footage file was analysed, 3 when some failed (or evidence changed, did not match "
        "the hash list, or the inputs hold no footage at all), 2 on usage errors (nothing written), 4 when the scan stopped on an error after the case "
        "folder was made, 130 on Ctrl-C and 143 on SIGTERM (recorded; the same command resumes). The last line "
        "is `manifest sha256: <hex>`: write it down, `forensic verify --manifest-sha256` checks it.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="footage files or folders (recursive)")
    p.add_argument("--out", required=True, metavar="CASE_DIR", help="new (or empty) case folder")
    p.add_argument("--case-id", help="case identifier recorded in the manifest")
    p.add_argument("--examiner", help="examiner name recorded in the manifest")
    p.add_argument("--agency", help="agency recorded in the manifest and the report")
    p.add_argument("--no-rehash", action="store_true", help="skip re-hashing the evidence at the end")
    p.add_argument(
        "--no-gate",
        action="store_true",
        help="send every segment through the full features stage; by default a cheap presence gate (the model's "
        "own face detector on the sample frames) finishes segments that cannot be classified "
        "(insufficient_subjects) without it. Recorded in the manifest's config",
    )
    p.add_argument("--no-report", action="store_true", help="do not write the HTML/PDF report at the end")
    p.add_argument(
        "--no-coappear",
        action="store_true",
        help="do not link people across segments at the end (`forensic coappear CASE_DIR` does it later)",
    )
    p.add_argument(
        "--hash-list",
        metavar="FILE",
        help="acquisition hash list to check the evidence against before analysis: sha256sum / "
        "sha1sum / md5sum output, BSD 'SHA256 (name) = hex' lines, or a CSV with a hash and a name "
        "column; every mismatch is recorded (exit 3)",
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    out.add_argument("--log-json", action="store_true", help="machine-readable progress: one JSON object per line")
    m = p.add_argument_group("model")
    m.add_argument("--model", metavar="MODEL_DIR", help="fusion model folder (default: models/default)")
    m.add_argument(
        "--score-threshold",
        dest="score_threshold",
        type=float,
        metavar="P",
        help="flag a segment when its score is at least P (default: the model's, 0.5)",
    )
    m.add_argument(
        "--segmenter",
        default="auto",
        choices=("auto", "pixellib", "mediapipe-selfie-pose", "hog-face-grabcut"),
        help="background removal; auto (default) uses the one the model was trained on",
    )
    m.add_argument(
        "--face-detector",
        default="auto",
        choices=("auto", "dlib-hog", "blazeface", "mtcnn"),
        help="face detector; auto (default) uses the one the model was trained on",
    )
    m.add_argument("--maskrcnn-weights", metavar="PATH", help="mask_rcnn_coco.h5 (default models/mask_rcnn_coco.h5)")
    e = p.add_argument_group("engine")
    e.add_argument(
        "--engine",
        choices=("ray", "local"),
        default="ray",
        help="ray (default: a local Ray sized to the machine, or the cluster of --address) or "
        "local (in this process, for debugging; same findings)",
    )
    e.add_argument("--address", default=None, help="Ray cluster to join (default: $RAY_ADDRESS, else a local Ray)")
    e.add_argument("--workers", type=int, default=None, help="segment workers (default: one per CPU)")
    e.add_argument("--gpus-per-worker", type=float, default=0.0, help="GPUs per segment worker (default 0)")
    add_segment_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, argv: list[str]) -> int:
    from forensic.engine.progress import Progress
    from forensic.engine.scan import ScanRequest, ScanStopped, run_scan
    from forensic.model.store import ModelIntegrityError
    from forensic.records import escape_path, visible
    from forensic.store.case import CaseFolderError

    config = ScanConfig(segments=segment_config(args), rehash_at_end=not args.no_rehash, presence_gate=not args.no_gate)
    request = ScanRequest(
        paths=args.paths,
        case_dir=args.out,
        case_id=args.case_id,
        examiner=args.examiner,
        agency=args.agency,
        config=config,
        model_dir=args.model,
        segmenter=args.segmenter,
        maskrcnn_weights=args.maskrcnn_weights,
        face_detector=args.face_detector,
        threshold=args.score_threshold,
        engine=args.engine,
        address=args.address,
        workers=args.workers,
        gpus_per_worker=args.gpus_per_worker,
        report=not args.no_report,
        argv=["forensic", *argv],
        coappear=not args.no_coappear,
        hash_list=args.hash_list,
    )
    progress = Progress("quiet" if args.quiet else "json" if args.log_json else "human")
    try:
        outcome = run_scan(request, progress)
    except (FileNotFoundError, CaseFolderError, ValueError, ModelIntegrityError) as exc:
        print(f"forensic: error: {visible(str(exc))} (nothing written)", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # before the case folder was made
        print("forensic: interrupted before the scan began (nothing written)", file=sys.stderr)
        return 130
    except ScanStopped as exc:
        print(
            f"forensic: {exc}; the case folder {escape_path(exc.case_root)} records it (manifest.json status "
            f"{exc.status!r}, problems.jsonl); run the same command to resume",
            file=sys.stderr,
        )
        for what in exc.unrecorded:
            print(f"forensic: could not be written: {what}", file=sys.stderr)
        if exc.manifest_sha256:
            print(f"manifest sha256: {exc.manifest_sha256}", flush=True)
        return exc.exit_code
    summary = outcome.manifest["summary"]
    findings = summary.get("findings_by_status", {})
    progress.event(
        "done",
        f"{summary['inputs']} input(s): "
        + (", ".join(f"{n} {s}" for s, n in summary["by_status"].items()) or "none")
        + f"; {summary['segments']} segment(s): "
        + (", ".join(f"{n} {s}" for s, n in findings.items()) or "none")
        + f"; {summary.get('flagged', 0)} flagged; case folder {escape_path(outcome.case.root)}",
        summary=summary,
        exit_code=outcome.exit_code,
    )
    if outcome.exit_code != EXIT_OK:
        failed, changed = outcome.failed, outcome.changed
        parts = []
        footage = summary["footage_files"]
        if failed:
            parts.append(f"{len(failed)} of {footage} footage file(s) failed or were only partly analysed")
        if not footage:
            parts.append(f"no footage to analyse among {summary['inputs']} input file(s)")
        if outcome.failed_segments:
            parts.append(f"{outcome.failed_segments} segment(s) failed")
        if changed:
            parts.append(f"{len(changed)} evidence file(s) CHANGED during the scan")
        if outcome.manifest.get("evidence_changed_between_sessions"):
            parts.append("evidence CHANGED BETWEEN SESSIONS of this scan")
        if not (outcome.manifest.get("hash_list") or {}).get("ok", True):
            parts.append("evidence DOES NOT MATCH the acquisition hash list")
        root = outcome.case.root
        print(
            f"forensic: {'; '.join(parts)} (every problem: {escape_path(os.path.join(root, 'problems.jsonl'))}; "
            f"each file: {escape_path(os.path.join(root, 'evidence.csv'))})",
            file=sys.stderr,
        )
    sys.stderr.flush()
    print(f"manifest sha256: {outcome.manifest_sha256}", flush=True)
    return outcome.exit_code
