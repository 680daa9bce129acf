"""forensic verify CASE_DIR"""

from __future__ import annotations

import argparse
import sys

from forensic._cli.common import EXIT_OK, EXIT_SOME_FAILED, usage_error


def add_parser(sub) -> None:
    p = sub.add_parser(
        "verify",
        help="re-hash the evidence and the case folder and compare with the records",
        description="Re-hash every evidence file listed in evidence.csv (read-only), every case folder file "
        "recorded in manifest.json, and every report file recorded in manifest.json and report/report.sha256; "
        "report files no record lists; check manifest.json for internal consistency and, with "
        "--manifest-sha256, against the SHA-256 the scan printed as its last line. Exit 0 when everything "
        "matches, 3 with the list of mismatches otherwise, 2 on usage errors.",
    )
    p.add_argument("case_dir", metavar="CASE_DIR")
    p.add_argument(
        "--manifest-sha256",
        metavar="HEX",
        help="the manifest's SHA-256 as `forensic scan` or `forensic report` printed it last "
        "(`manifest sha256: <hex>`): a manifest.json rewritten since fails, however consistent",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, argv: list[str]) -> int:
    from forensic.report.readers import ReportError
    from forensic.report.verify import verify_case

    progress = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    want = args.manifest_sha256
    if want is not None and not (len(want.strip()) == 64 and all(c in "0123456789abcdefABCDEF" for c in want.strip())):
        return usage_error("--manifest-sha256 takes 64 hexadecimal digits")
    try:
        res = verify_case(args.case_dir, progress, want)
    except ReportError as exc:
        return usage_error(str(exc))
    for note in res.notes:
        print(f"note: {note}", file=sys.stderr)
    if res.ok:
        print(
            f"OK: {res.evidence_checked} evidence file(s) and {res.files_checked} case folder file(s) match their "
            "records" + ("; manifest.json matches the SHA-256 given" if want else "")
        )
        print(f"manifest sha256: {res.manifest_sha256}")
        return EXIT_OK
    print(
        f"MISMATCH: {len(res.mismatches)} problem(s) found "
        f"({res.evidence_checked} evidence file(s), {res.files_checked} case folder file(s) checked):"
    )
    for mm in res.mismatches:
        print(f"  {mm}")
    return EXIT_SOME_FAILED
