"""forensic scan PATH... --out CASE_DIR"""

from __future__ import annotations

import argparse
import os
import sys

from forensic._cli.common import EXIT_OK, EXIT_USAGE, add_segment_options, segment_config
from forensic.config import ScanConfig


def add_parser(sub) -> None:
    p = sub.add_parser(
        "scan", help="scan footage files and folders into a new case folder",
        description="Hash every input read-only, probe it, cut footage into scene-cut 3-8 s segments "
        "and write manifest.json, evidence.csv, segments.csv and problems.jsonl into CASE_DIR. "
        "Exit 0 when every footage file was analysed, 3 when some failed, 2 on usage errors.",
    )  # fmt: skip
    p.add_argument("paths", nargs="+", metavar="PATH", help="footage files or folders (recursive)")
    p.add_argument("--out", required=True, metavar="CASE_DIR", help="new (or empty) case folder")
    p.add_argument("--case-id", help="case identifier recorded in the manifest")
    p.add_argument("--examiner", help="examiner name recorded in the manifest")
    p.add_argument("--no-rehash", action="store_true", help="skip re-hashing the evidence at the end")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    add_segment_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, argv: list[str]) -> int:
    from forensic.engine.local import ScanRequest, run_scan
    from forensic.store.case import CaseFolderError

    config = ScanConfig(segments=segment_config(args), rehash_at_end=not args.no_rehash)
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
