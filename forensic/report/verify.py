"""``forensic verify CASE_DIR``: re-hash everything and compare with what was recorded.

* every evidence file listed in evidence.csv with a SHA-256, at its recorded path (read-only,
  no access-time update), against that SHA-256;
* every case folder file the scan recorded in manifest.json ``outputs_sha256``;
* every report file recorded in manifest.json ``reports.files`` and in the sidecar
  ``report/report.sha256`` (the two records must also agree with each other);
* and no file in the case folder that no record lists (a file added after the fact);
* the manifest itself: against the SHA-256 the examiner wrote down (``--manifest-sha256``), and
  for its internal consistency (identity, configuration hash, model hash, status and sessions,
  summary counts against evidence.csv, segments.csv and findings.csv, exit code).

:func:`verify` returns the mismatches (empty when everything matches).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from forensic.fsutil import sha256_path
from forensic.intake.hashing import HashResult, hash_files
from forensic.records import EvidenceItem, escape_path
from forensic.report.context import REPORT_DIR, config_hash
from forensic.report.readers import FINDINGS_CSV, ReportError, inside_case, read_manifest
from forensic.store.case import EVIDENCE, MANIFEST, PROBLEMS, SEGMENTS

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


CASE_MARKERS = (EVIDENCE, SEGMENTS, PROBLEMS, "findings.parquet")  # what a scan writes beside manifest.json


@dataclass
class VerifyResult:
    evidence_checked: int = 0
    files_checked: int = 0
    manifest_sha256: str | None = None
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


def verify(
    case_dir: str, progress: Callable[[str], None] | None = None, manifest_sha256: str | None = None
) -> list[Mismatch]:
    """Every mismatch between the case folder (and the evidence) and its records; [] when all match.
    Raises :class:`ReportError` when ``case_dir`` is not a case folder."""
    return verify_case(case_dir, progress, manifest_sha256).mismatches


def verify_case(
    case_dir: str, progress: Callable[[str], None] | None = None, manifest_sha256: str | None = None
) -> VerifyResult:
    """``manifest_sha256``: the manifest's SHA-256 as the scan (or ``forensic report``) printed it;
    anything else means manifest.json was rewritten since, however consistent it looks."""
    case_dir = os.path.abspath(case_dir)
    try:
        manifest = read_manifest(case_dir)
    except ReportError as exc:
        # a case folder whose manifest was damaged or deleted has failed verification: exit 3, not a usage error
        if not os.path.isdir(case_dir) or not any(os.path.exists(os.path.join(case_dir, n)) for n in CASE_MARKERS):
            raise
        res = VerifyResult()
        path = os.path.join(case_dir, MANIFEST)
        kind = "unreadable" if os.path.lexists(path) else "missing"
        res.manifest_sha256 = sha256_path(path) if os.path.isfile(path) else None
        res.mismatches.append(Mismatch(kind, "case file", MANIFEST, manifest_sha256, res.manifest_sha256, str(exc)))
        res.notes.append("without its manifest nothing else in the case folder can be checked against a record")
        return res
    res = VerifyResult()
    say = progress or (lambda _m: None)

    # 0. the manifest: the anchor the examiner wrote down, then its own consistency
    res.manifest_sha256 = sha256_path(os.path.join(case_dir, MANIFEST))
    if manifest_sha256 is not None:
        want = manifest_sha256.strip().lower()
        if want != res.manifest_sha256:
            res.mismatches.append(
                Mismatch(
                    "changed",
                    "case file",
                    MANIFEST,
                    want,
                    res.manifest_sha256,
                    "manifest.json is not the one whose SHA-256 was given",
                )
            )
    else:
        res.notes.append("no --manifest-sha256 given: manifest.json itself is checked only for consistency")
    for problem in check_manifest(case_dir, manifest):
        res.mismatches.append(Mismatch("inconsistent", "case file", MANIFEST, detail=problem))

    # 1. evidence
    ev_path = os.path.join(case_dir, EVIDENCE)
    if not os.path.isfile(ev_path):
        res.mismatches.append(Mismatch("missing", "case file", EVIDENCE, detail="no evidence list to check against"))
    else:
        with open(ev_path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        hashed: list[EvidenceItem] = []
        for n, row in enumerate(rows, 2):
            try:
                item = EvidenceItem.from_row(row, None, f"{EVIDENCE} line {n}")
            except ValueError as exc:
                res.mismatches.append(Mismatch("unreadable", "case file", EVIDENCE, detail=str(exc)))
                continue
            if not item.sha256:
                res.notes.append(
                    f"not hashed during the scan, so not checked: {escape_path(item.path)} ({item.status})"
                )
                continue
            hashed.append(item)
        say(f"hashing {len(hashed)} evidence file(s)")
        for item, (path, now) in zip(hashed, hash_files([i.path for i in hashed]), strict=True):
            say(f"hashed evidence {escape_path(path)}")
            res.evidence_checked += 1
            _check_evidence(item, now, res)

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
            res.mismatches.append(
                Mismatch(
                    "disagree",
                    "report file",
                    rel,
                    a,
                    b,
                    "manifest.json and report/report.sha256 record different hashes",
                )
            )
        elif a is None and report_files:
            res.mismatches.append(
                Mismatch(
                    "disagree", "report file", rel, None, b, "listed in report/report.sha256 but not in manifest.json"
                )
            )
        elif b is None and sidecar:
            res.mismatches.append(
                Mismatch(
                    "disagree", "report file", rel, a, None, "listed in manifest.json but not in report/report.sha256"
                )
            )
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
                res.mismatches.append(
                    Mismatch(
                        "unrecorded",
                        "case file",
                        rel,
                        detail="in the case folder but in no record (added after the fact?)",
                    )
                )
    return res


STATUSES = ("running", "complete", "failed", "interrupted", "error")


def _rows(case_dir: str, name: str, recorded: dict | None = None) -> list[dict[str, str]] | None:
    """The table's rows; None when it is absent, or changed since recorded (reported as changed)."""
    path = os.path.join(case_dir, name)
    if not os.path.isfile(path):
        return None
    if isinstance(recorded, dict) and name in recorded and sha256_path(path) != str(recorded[name]).lower():
        return None
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _counts(rows: list[dict[str, str]], column: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in rows:
        out[row.get(column) or ""] = out.get(row.get(column) or "", 0) + 1
    return dict(sorted(out.items()))


def check_manifest(case_dir: str, manifest: dict) -> list[str]:
    """What in manifest.json disagrees with itself or with the tables it summarises ([] if nothing)."""
    out = []
    identity = manifest.get("identity") if isinstance(manifest.get("identity"), dict) else {}
    config = manifest.get("config")
    if isinstance(config, dict):
        got = config_hash(config)
        if manifest.get("config_sha256") != got:
            out.append(f"config_sha256 {manifest.get('config_sha256')} is not the SHA-256 of config ({got})")
    if identity and identity.get("config_sha256") != manifest.get("config_sha256"):
        out.append("identity.config_sha256 differs from config_sha256")
    model = manifest.get("model") if isinstance(manifest.get("model"), dict) else {}
    if identity and model and identity.get("model_sha256") != model.get("sha256"):
        out.append("identity.model_sha256 differs from model.sha256")
    status = manifest.get("status")
    sessions = manifest.get("sessions") if isinstance(manifest.get("sessions"), list) else []
    if status not in STATUSES:
        out.append(f"status {status!r} is not one of {', '.join(STATUSES)}")
    if sessions and isinstance(sessions[-1], dict) and sessions[-1].get("status") != status:
        out.append(f"status {status!r} differs from the last session's {sessions[-1].get('status')!r}")
    for n, sess in enumerate(sessions, 1):
        if not isinstance(sess, dict):
            out.append(f"session {n} is not an object")
            continue
        start, end = sess.get("started_utc"), sess.get("ended_utc")
        if start and end and str(end) < str(start):
            out.append(f"session {n} ends ({end}) before it starts ({start})")
        if n > 1 and not sess.get("resumed"):
            out.append(f"session {n} is not marked resumed")
    summary = manifest.get("summary") if isinstance(manifest.get("summary"), dict) else None
    if status == "complete" and summary is None:
        out.append("a complete scan without a summary")
    if summary is None:
        return out
    recorded = manifest.get("outputs_sha256")
    evidence = _rows(case_dir, EVIDENCE, recorded)
    if evidence is not None:
        if summary.get("inputs") != len(evidence):
            out.append(f"summary.inputs {summary.get('inputs')} but evidence.csv has {len(evidence)} row(s)")
        if isinstance(summary.get("by_status"), dict) and summary["by_status"] != _counts(evidence, "status"):
            out.append(f"summary.by_status {summary['by_status']} but evidence.csv says {_counts(evidence, 'status')}")
    segments = _rows(case_dir, SEGMENTS, recorded)
    if segments is not None and status == "complete" and summary.get("segments") != len(segments):
        out.append(f"summary.segments {summary.get('segments')} but segments.csv has {len(segments)} row(s)")
    findings = _rows(case_dir, FINDINGS_CSV, recorded)
    if findings is not None and isinstance(summary.get("findings_by_status"), dict):
        if summary["findings_by_status"] != _counts(findings, "status"):
            out.append(
                f"summary.findings_by_status {summary['findings_by_status']} but findings.csv says "
                f"{_counts(findings, 'status')}"
            )
        flagged = sum(1 for r in findings if r.get("label") == "stalking")
        if summary.get("flagged") is not None and summary.get("flagged") != flagged:
            out.append(f"summary.flagged {summary.get('flagged')} but findings.csv flags {flagged}")
        known = {r.get("sha256") for r in evidence or []}
        strays = sorted({r.get("sha256") or "" for r in findings} - known)
        if evidence is not None and strays:
            out.append(f"findings.csv names content evidence.csv does not list: {', '.join(strays[:3])}")
    if status == "complete" and evidence is not None and findings is not None:
        bad = any(
            r.get("status") in ("failed", "partial", "pending") or r.get("hash_verified") == "False" for r in evidence
        )
        bad = bad or any(r.get("status") == "failed" for r in findings)
        bad = bad or bool(manifest.get("evidence_changed_between_sessions"))
        bad = bad or not (manifest.get("hash_list") or {}).get("ok", True)
        want = 3 if bad else 0
        if manifest.get("exit_code") != want:
            out.append(f"exit_code {manifest.get('exit_code')} but the tables call for {want}")
    return out


def _check_evidence(item: EvidenceItem, now: HashResult | OSError, res: VerifyResult) -> None:
    """Every digest the scan recorded (SHA-256, and MD5 and SHA-1 where evidence.csv has them)
    against the same read made now."""
    path, sha = item.path, (item.sha256 or "").lower()
    if isinstance(now, FileNotFoundError):
        res.mismatches.append(Mismatch("missing", "evidence", path, sha))
        return
    if isinstance(now, OSError):
        res.mismatches.append(Mismatch("unreadable", "evidence", path, sha, detail=str(now.strerror or now)))
        return
    for name, recorded, actual in (
        ("SHA-256", sha, now.sha256),
        ("MD5", item.md5, now.md5),
        ("SHA-1", item.sha1, now.sha1),
    ):
        if recorded and recorded.lower() != actual:
            res.mismatches.append(Mismatch("changed", "evidence", path, recorded.lower(), actual, f"{name} differs"))
            return


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


__all__ = ["Mismatch", "ReportError", "VerifyResult", "check_manifest", "verify", "verify_case"]
