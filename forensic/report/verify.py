"""``forensic verify CASE_DIR``: re-hash everything and compare with what was recorded.

* every evidence file listed in evidence.csv with a SHA-256, at its recorded path (read-only,
  no access-time update), against that SHA-256;
* every case folder file the scan recorded in manifest.json ``outputs_sha256``;
* every report file recorded in manifest.json ``reports.files`` and in the sidecar
  ``report/report.sha256`` (the two records must also agree with each other);
* and no file in the case folder that no record lists (a file added after the fact).

:func:`verify` returns the mismatches (empty when everything matches).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from forensic.intake.hashing import sha256_file
from forensic.report.context import REPORT_DIR, ReportError, inside_case, plain_visible, read_manifest
from forensic.store.case import EVIDENCE, MANIFEST, sha256_path

SIDECAR = "report.sha256"


@dataclass(frozen=True)
class Mismatch:
    kind: str  # changed | missing | unreadable | unrecorded | disagree | outside
    what: str  # evidence | case file | report file
    path: str
    expected: str | None = None
    actual: str | None = None
    detail: str = ""

    def __str__(self) -> str:
        parts = [f"{self.kind.upper()}: {self.what} {self.path!r}"]
        if self.expected:
            parts.append(f"recorded {self.expected}")
        if self.actual:
            parts.append(f"now {self.actual}")
        if self.detail:
            parts.append(self.detail)
        return "; ".join(parts)


@dataclass
class VerifyResult:
    evidence_checked: int = 0
    files_checked: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def read_sidecar(path: str) -> dict[str, str]:
    """``sha256sum`` format: ``<hex>  <name>`` (or ``<hex> *<name>``) per line."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                continue
            sha, _, name = line.partition(" ")
            name = name[1:] if name[:1] in (" ", "*") else name
            out[name] = sha.lower()
    return out


def verify(case_dir: str, progress: Callable[[str], None] | None = None) -> list[Mismatch]:
    """Every mismatch between the case folder (and the evidence) and its records; [] when all match.
    Raises :class:`ReportError` when ``case_dir`` is not a case folder."""
    return verify_case(case_dir, progress).mismatches


def verify_case(case_dir: str, progress: Callable[[str], None] | None = None) -> VerifyResult:
    case_dir = os.path.abspath(case_dir)
    manifest = read_manifest(case_dir)
    res = VerifyResult()
    say = progress or (lambda _m: None)

    # 1. evidence
    ev_path = os.path.join(case_dir, EVIDENCE)
    if not os.path.isfile(ev_path):
        res.mismatches.append(Mismatch("missing", "case file", EVIDENCE, detail="no evidence list to check against"))
    else:
        with open(ev_path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        for row in rows:
            path, sha = row.get("path") or "", (row.get("sha256") or "").lower()
            if not sha:
                res.notes.append(f"not hashed during the scan, so not checked: {path!r} ({row.get('status')})")
                continue
            say(f"hashing evidence {plain_visible(path)}")
            res.evidence_checked += 1
            try:
                now = sha256_file(path).sha256
            except FileNotFoundError:
                res.mismatches.append(Mismatch("missing", "evidence", path, sha))
                continue
            except OSError as exc:
                res.mismatches.append(Mismatch("unreadable", "evidence", path, sha, detail=str(exc.strerror or exc)))
                continue
            if now != sha:
                res.mismatches.append(Mismatch("changed", "evidence", path, sha, now))

    # 2. case folder files recorded by the scan
    checks: dict[str, tuple[str, str]] = {}  # rel -> (sha, which record)
    outputs = manifest.get("outputs_sha256")
    if isinstance(outputs, dict):
        for rel, sha in outputs.items():
            checks[str(rel)] = (str(sha).lower(), "case file")
    else:
        res.notes.append("manifest.json records no outputs_sha256 (the scan did not finish writing it)")

    # 3. report files: manifest.json "reports" and the sidecar, which must agree
    reports = manifest.get("reports")
    report_files: dict[str, str] = {}
    if isinstance(reports, dict) and isinstance(reports.get("files"), dict):
        report_files = {str(k): str(v).lower() for k, v in reports["files"].items()}
    sidecar_rel = f"{REPORT_DIR}/{SIDECAR}"
    sidecar_full = os.path.join(case_dir, REPORT_DIR, SIDECAR)
    sidecar: dict[str, str] = {}
    if os.path.isfile(sidecar_full):
        try:
            sidecar = {f"{REPORT_DIR}/{k}": v for k, v in read_sidecar(sidecar_full).items()}
        except (OSError, UnicodeDecodeError) as exc:
            res.mismatches.append(Mismatch("unreadable", "report file", sidecar_rel, detail=str(exc)))
    elif report_files:
        res.mismatches.append(Mismatch("missing", "report file", sidecar_rel))
    if not report_files and not sidecar:
        res.notes.append("no report recorded in manifest.json (reports) and no report/report.sha256")
    else:
        # the report folder belongs to the report stage: its current record supersedes whatever the
        # scan recorded there (a report made at the end of a scan, made again later)
        for rel in [r for r in checks if r.startswith(REPORT_DIR + "/")]:
            del checks[rel]
    for rel in sorted(set(report_files) | set(sidecar)):
        a, b = report_files.get(rel), sidecar.get(rel)
        if a and b and a != b:
            res.mismatches.append(Mismatch("disagree", "report file", rel, a, b,
                                           "manifest.json and report/report.sha256 record different hashes"))  # fmt: skip
        elif a is None and report_files:
            res.mismatches.append(Mismatch("disagree", "report file", rel, None, b,
                                           "listed in report/report.sha256 but not in manifest.json"))  # fmt: skip
        elif b is None and sidecar:
            res.mismatches.append(Mismatch("disagree", "report file", rel, a, None,
                                           "listed in manifest.json but not in report/report.sha256"))  # fmt: skip
        checks[rel] = (a or b or "", "report file")

    for rel, (sha, what) in sorted(checks.items()):
        _check_file(case_dir, rel, sha, what, res)

    # 4. files no record lists
    known = set(checks) | {MANIFEST, sidecar_rel}
    for dirpath, dirs, files in os.walk(case_dir):
        dirs.sort()
        for name in sorted(files):
            rel = os.path.relpath(os.path.join(dirpath, name), case_dir).replace(os.sep, "/")
            if rel not in known and not name.startswith(".tmp-"):
                res.mismatches.append(Mismatch("unrecorded", "case file", rel,
                                               detail="in the case folder but in no record (added after the fact?)"))  # fmt: skip
    return res


def _check_file(case_dir: str, rel: str, sha: str, what: str, res: VerifyResult) -> None:
    full = inside_case(case_dir, rel)
    if full is None:
        res.mismatches.append(Mismatch("outside", what, rel, sha, detail="recorded path leads outside the case folder"))
        return
    res.files_checked += 1
    try:
        now = sha256_path(full)
    except FileNotFoundError:
        res.mismatches.append(Mismatch("missing", what, rel, sha))
        return
    except OSError as exc:
        res.mismatches.append(Mismatch("unreadable", what, rel, sha, detail=str(exc.strerror or exc)))
        return
    if now != sha:
        res.mismatches.append(Mismatch("changed", what, rel, sha, now))


__all__ = ["Mismatch", "ReportError", "VerifyResult", "verify", "verify_case"]
