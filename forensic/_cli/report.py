"""forensic report CASE_DIR [--agency NAME] [--clock-offset SHA_OR_PATH=+SECONDS|ISO_TIME]... [--top N]"""

from __future__ import annotations

import argparse
import sys

from forensic._cli.common import EXIT_OK, usage_error


def add_parser(sub) -> None:
    p = sub.add_parser(
        "report",
        help="write the evidence report (HTML, PDF, subtitles, CSV) of a case folder",
        description="Write CASE_DIR/report/: report.html (self-contained) and report.pdf from the same "
        "templates, a WebVTT and an SRT file of the flagged intervals per video, all_segments.csv, and "
        "report.sha256; the SHA-256 of the report also goes into manifest.json (key 'reports'). "
        "A report made again is a new revision. Exit 0 when written, 2 on usage errors.",
    )
    p.add_argument("case_dir", metavar="CASE_DIR", help="a case folder written by `forensic scan`")
    p.add_argument("--agency", metavar="NAME", help="agency the report is issued for (printed in the header)")
    p.add_argument(
        "--clock-offset",
        action="append",
        default=[],
        metavar="SHA_OR_PATH=VALUE",
        help="wall clock of one file, by its SHA-256 or its path as in evidence.csv: "
        "+SECONDS / -SECONDS is the camera clock's error, added to the file's creation time; "
        "an ISO 8601 time with a zone (2026-03-01T09:30:00Z) is the wall-clock time of its first "
        "frame. Repeat for more files; overrides the manifest's clock_offsets",
    )
    p.add_argument(
        "--top",
        type=int,
        default=50,
        metavar="N",
        help="flagged segments shown in detail, best score first (default 50; 0: all); the "
        "contact sheet shows the first 24",
    )
    p.add_argument("--no-pdf", action="store_true", help="write report.html only")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, argv: list[str]) -> int:
    from forensic.report import build_report
    from forensic.report.readers import ReportError

    if args.top < 0:
        return usage_error("--top must be 0 (all) or more")
    try:
        paths = build_report(
            args.case_dir,
            agency=args.agency,
            clock_offsets=args.clock_offset,
            top=args.top,
            argv=["forensic", *argv],
            pdf=not args.no_pdf,
            lock=True,
        )
    except ReportError as exc:
        return usage_error(str(exc))
    for m in paths.mismatches:  # said even with -q: the case folder no longer matches its record
        print(f"forensic: warning: {_mismatch(m)}", file=sys.stderr)
    if not args.quiet:
        print(f"report revision {paths.revision}: {paths.flagged} flagged segment(s); {paths.folder}", file=sys.stderr)
        for rel, sha in paths.sha256.items():
            if rel.endswith((".html", ".pdf")):
                print(f"{sha}  {rel}")
        for note in paths.notes:
            print(f"forensic: note: {note}", file=sys.stderr)
    print(f"manifest sha256: {paths.manifest_sha256}", flush=True)
    return EXIT_OK


def _mismatch(m: dict) -> str:
    """One case folder file unlike its hash in manifest.json (outputs_sha256), in one line."""
    from forensic.report.text import plain_visible

    name = plain_visible(str(m.get("path")))
    text = f"case folder file {name!r}: {m.get('problem')} (recorded SHA-256 {m.get('expected')}"
    if m.get("actual"):
        text += f", now {m['actual']}"
    return text + "); see the report's Integrity section and run `forensic verify`"
