"""``forensic verify CASE_DIR``: re-hash everything and compare with what was recorded.

* every evidence file listed in evidence.csv with a SHA-256, at its recorded path (read-only,
  no access-time update), against that SHA-256 (and MD5 and SHA-1), and whether that path is the
  same kind of entry the scan read (a file, or a symbolic link to the same target);
* every case folder file the scan recorded in manifest.json ``outputs_sha256``;
* every report file recorded in manifest.json ``reports.files`` and in the sidecar
  ``report/report.sha256`` (the two records must also agree with each other, and the sidecar must
  be, byte for byte, the one the report wrote for those files);
* and no file in the case folder that no record lists (a file added after the fact, a temporary
  file, a symbolic link);
* the manifest itself: against the SHA-256 the examiner wrote down (``--manifest-sha256``), and
  for its internal consistency (identity, configuration hash, model hash, status and sessions,
  summary counts against evidence.csv, segments.csv and findings.csv, exit code).

Every case folder file is a plain file the scan wrote: a recorded path that is now a symbolic link
(even to an identical copy), a folder, a named pipe or a device is a mismatch of its own, and is
never opened (a pipe would block the read, a device never end it).

:func:`verify` returns the mismatches (empty when everything matches).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field

from forensic.fsutil import TMP_PREFIX, sha256_path
from forensic.intake.hashing import HashResult, hash_files
from forensic.records import EvidenceItem, escape_path
from forensic.report.context import REPORT_DIR
from forensic.report.method import config_hash
from forensic.report.readers import FINDINGS_CSV, ReportError, read_manifest
from forensic.report.sidecar import SIDECAR, is_sha256, parse_sidecar, sidecar_bytes
from forensic.store.case import EVIDENCE, MANIFEST, PROBLEMS, SEGMENTS


@dataclass(frozen=True)
class Mismatch:
    # changed | missing | unreadable | unrecorded | disagree | outside | replaced | inconsistent
    kind: str
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


_NOT_FILES = {
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def _file_type(mode: int) -> str | None:
    """What a non-regular entry is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return _NOT_FILES.get(stat.S_IFMT(mode), "not a regular file")


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _case_parts(rel: str) -> list[str] | None:
    """The components of a recorded path; None when it does not name a path inside the case folder
    (absolute, empty, ``..``, ``.``, a NUL byte)."""
    if not isinstance(rel, str) or not rel or "\x00" in rel or os.path.isabs(rel):
        return None
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return None
    return parts


def _inspect(root: str, rel: str) -> tuple[str, str, str | None]:
    """``(kind, detail, full path)`` of what lies at the recorded path ``rel`` of the case folder
    whose resolved path is ``root``: kind ``""`` for a plain file (hash it), else ``outside``,
    ``missing``, ``replaced`` (a symbolic link on the way, even to an identical copy, or a folder,
    pipe, socket or device where a file was) or ``unreadable``. Nothing is opened."""
    parts = _case_parts(rel)
    if parts is None:
        return "outside", "recorded path leads outside the case folder", None
    path = root
    for n, part in enumerate(parts):
        path = os.path.join(path, part)
        try:
            st = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            return "missing", "", None
        except OSError as exc:
            return "unreadable", str(exc.strerror or exc), None
        last = n == len(parts) - 1
        if stat.S_ISLNK(st.st_mode):
            target = _readlink(path)
            where = "/".join(parts[: n + 1])
            real = os.path.realpath(path)
            leads = (
                "outside the case folder" if not real.startswith(root.rstrip(os.sep) + os.sep) else "in the case folder"
            )
            said = "it is" if last else f"{escape_path(where)!r} is"
            return (
                "replaced",
                f"{said} a symbolic link to {escape_path(target)!r} ({leads}), not the recorded file",
                None,
            )
        if not last and not stat.S_ISDIR(st.st_mode):
            return "missing", f"{escape_path('/'.join(parts[: n + 1]))!r} is not a folder", None
        if last:
            what = _file_type(st.st_mode)
            if what is not None:
                return "replaced", f"{what} where a file was recorded", None
    return "", "", path


def _read_text(root: str, rel: str) -> tuple[str | None, str]:
    """A case folder text file's content; ``(None, why)`` when it is not a plain readable UTF-8 file."""
    kind, detail, full = _inspect(root, rel)
    if full is None:
        return None, detail or kind
    try:
        with open(full, "rb") as f:
            return f.read().decode("utf-8"), ""
    except OSError as exc:
        return None, str(exc.strerror or exc)
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text ({exc.reason} at byte {exc.start})"


def _read_table(root: str, rel: str) -> tuple[list[dict[str, str]] | None, str]:
    text, why = _read_text(root, rel)
    if text is None:
        return None, why
    try:
        return list(csv.DictReader(io.StringIO(text, newline=""))), ""
    except csv.Error as exc:
        return None, f"not a CSV table ({exc})"


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
    root = os.path.realpath(case_dir)
    want = manifest_sha256.strip().lower() if manifest_sha256 is not None else None
    try:
        manifest = read_manifest(case_dir)
    except ReportError as exc:
        # a case folder whose manifest was damaged or deleted has failed verification: exit 3, not a usage error
        if not os.path.isdir(case_dir) or not any(os.path.lexists(os.path.join(case_dir, n)) for n in CASE_MARKERS):
            raise
        res = VerifyResult()
        kind, detail, full = _inspect(root, MANIFEST)
        if full is not None:  # a file that is not a case manifest (not JSON, not an object, no format)
            kind, detail = "unreadable", str(exc)
            try:
                res.manifest_sha256 = sha256_path(full)
            except OSError:
                pass
        elif kind == "missing":
            detail = "deleted or renamed"
        res.mismatches.append(Mismatch(kind, "case file", MANIFEST, want, res.manifest_sha256, detail))
        res.notes.append("without its manifest nothing else in the case folder can be checked against a record")
        return res
    res = VerifyResult()
    say = progress or (lambda _m: None)

    # 0. the manifest: a plain file, the anchor the examiner wrote down, then its own consistency
    kind, detail, full = _inspect(root, MANIFEST)
    if full is None:  # read through a symbolic link: the case folder does not hold it
        res.mismatches.append(Mismatch(kind, "case file", MANIFEST, detail=detail))
    try:
        res.manifest_sha256 = sha256_path(os.path.join(case_dir, MANIFEST))
    except OSError as exc:  # gone or changed between the two reads
        res.mismatches.append(Mismatch("unreadable", "case file", MANIFEST, detail=str(exc.strerror or exc)))
        return res
    if want is not None:
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

    # the records: outputs_sha256 (the scan), reports.files and the sidecar (the report)
    checks: dict[str, tuple[str, str]] = {}  # rel -> (sha, which record)
    outputs = manifest.get("outputs_sha256")
    if isinstance(outputs, dict):
        for rel, sha in outputs.items():
            checks[str(rel)] = (str(sha).lower(), "case file")
    else:
        res.notes.append("manifest.json records no outputs_sha256 (the scan did not finish writing it)")

    # 1. evidence
    rows, why = _read_table(root, EVIDENCE)
    if rows is None:
        if EVIDENCE in checks:  # its own verdict comes with the recorded files below
            res.notes.append(f"{EVIDENCE} cannot be read ({why}): no evidence file was checked")
        else:
            kind, _detail, _full = _inspect(root, EVIDENCE)
            res.mismatches.append(
                Mismatch(
                    kind if kind and kind != "outside" else "unreadable",
                    "case file",
                    EVIDENCE,
                    detail=f"{why}; no evidence list to check against" if why else "no evidence list to check against",
                )
            )
    else:
        hashed: list[EvidenceItem] = []
        for n, row in enumerate(rows, 2):
            try:
                item = EvidenceItem.from_row(row, None, f"{EVIDENCE} line {n}")
            except Exception as exc:  # a row edited out of shape is a mismatch, whatever it breaks
                res.mismatches.append(
                    Mismatch("unreadable", "case file", EVIDENCE, detail=f"line {n}: {type(exc).__name__}: {exc}")
                )
                continue
            if not item.sha256:
                res.notes.append(
                    f"not hashed during the scan, so not checked: {escape_path(item.path)} ({item.status})"
                )
                continue
            if _evidence_entry(item, res):
                hashed.append(item)
        say(f"hashing {len(hashed)} evidence file(s)")
        for item, (path, now) in zip(hashed, hash_files([i.path for i in hashed]), strict=True):
            say(f"hashed evidence {escape_path(path)}")
            _check_evidence(item, now, res)

    # 2. report files: manifest.json "reports" and the sidecar, which must agree
    reports = manifest.get("reports")
    report_files: dict[str, str] = {}
    if isinstance(reports, dict) and isinstance(reports.get("files"), dict):
        report_files = {str(k): str(v).lower() for k, v in reports["files"].items()}
    sidecar_rel = f"{REPORT_DIR}/{SIDECAR}"
    prefix = REPORT_DIR + "/"
    if report_files:
        # the report folder belongs to the report stage: its current record supersedes whatever the
        # scan recorded there (a report made at the end of a scan, made again later)
        for rel in [r for r in checks if r.startswith(prefix)]:
            del checks[rel]
        recorded = report_files
    else:  # no report record: what the scan recorded of the report folder, if anything
        recorded = {r: sha for r, (sha, _w) in checks.items() if r.startswith(prefix) and r != sidecar_rel}
    sidecar: dict[str, str] = {}
    sidecar_read = False
    kind, detail, full = _inspect(root, sidecar_rel)
    if full is not None:
        text, why = _read_text(root, sidecar_rel)
        if text is None:
            res.mismatches.append(Mismatch("unreadable", "report file", sidecar_rel, detail=why))
        else:
            sidecar_read = True
            entries, bad = parse_sidecar(text)
            sidecar = {prefix + k: v for k, v in entries.items()}
            for line in bad:
                res.mismatches.append(Mismatch("unreadable", "report file", sidecar_rel, detail=line))
            # its own verdict when the entries cannot say what changed: the same entries written
            # otherwise (a line added, a mark changed), or none left to compare
            if report_files and (sidecar == report_files or not sidecar):
                written = sidecar_bytes({k.removeprefix(prefix): v for k, v in report_files.items()})
                data = text.encode("utf-8")
                if data != written:
                    res.mismatches.append(
                        Mismatch(
                            "changed",
                            "report file",
                            sidecar_rel,
                            hashlib.sha256(written).hexdigest(),
                            hashlib.sha256(data).hexdigest(),
                            "not the report.sha256 the report wrote for the files manifest.json records",
                        )
                    )
    elif kind == "missing":
        if recorded:
            res.mismatches.append(Mismatch("missing", "report file", sidecar_rel, detail=detail))
    elif sidecar_rel not in checks:  # a sidecar the scan recorded gets its verdict with the recorded files
        res.mismatches.append(Mismatch(kind, "report file", sidecar_rel, detail=detail))
    if not recorded and not sidecar_read and not os.path.lexists(os.path.join(root, sidecar_rel)):
        res.notes.append("no report recorded in manifest.json (reports) and no report/report.sha256")
    for rel in sorted(set(recorded) | set(sidecar)):
        a, b = recorded.get(rel), sidecar.get(rel)
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
        elif a is None:
            res.mismatches.append(
                Mismatch(
                    "disagree", "report file", rel, None, b, "listed in report/report.sha256 but not in manifest.json"
                )
            )
        elif b is None and sidecar_read:
            res.mismatches.append(
                Mismatch(
                    "disagree", "report file", rel, a, None, "listed in manifest.json but not in report/report.sha256"
                )
            )
        checks[rel] = (a or b or "", "report file")

    # 3. every recorded file
    for rel, (sha, what) in sorted(checks.items()):
        _check_file(root, rel, sha, what, res)

    # 4. whatever no record lists: files, temporary files, links (to files or folders), pipes
    known = set(checks) | {MANIFEST, sidecar_rel}

    def cannot_list(exc: OSError) -> None:
        rel = os.path.relpath(exc.filename or root, root).replace(os.sep, "/")
        res.mismatches.append(
            Mismatch("unreadable", "case file", rel, detail=f"folder cannot be listed: {exc.strerror or exc}")
        )

    for dirpath, dirs, files in os.walk(root, onerror=cannot_list):
        dirs.sort()
        links = [d for d in dirs if os.path.islink(os.path.join(dirpath, d))]  # listed, never followed
        dirs[:] = [d for d in dirs if d not in links]
        for name in sorted(files + links):
            full_path = os.path.join(dirpath, name)
            rel = os.path.relpath(full_path, root).replace(os.sep, "/")
            if rel in known:
                continue
            try:
                what = _file_type(os.lstat(full_path).st_mode)
            except OSError:
                what = None
            if what == "a symbolic link":
                detail = f"a symbolic link to {escape_path(_readlink(full_path))!r}, in no record"
            elif name.startswith(TMP_PREFIX):
                detail = "a temporary file (an interrupted write leaves these), in no record"
            elif what is not None:
                detail = f"{what}, in no record"
            else:
                detail = "in the case folder but in no record (added after the fact?)"
            res.mismatches.append(Mismatch("unrecorded", "case file", rel, detail=detail))
    return res


STATUSES = ("running", "complete", "failed", "interrupted", "error")
# manifest keys and the JSON type each holds when present (null: not recorded)
SHAPES = {
    "identity": dict,
    "config": dict,
    "model": dict,
    "sessions": list,
    "summary": dict,
    "outputs_sha256": dict,
    "reports": dict,
    "hash_list": dict,
}


def _rows(case_dir: str, name: str, recorded: dict | None = None) -> list[dict[str, str]] | None:
    """The table's rows; None when it is absent, unreadable, or changed since recorded (each of
    which is reported with the recorded files)."""
    root = os.path.realpath(case_dir)
    _kind, _detail, full = _inspect(root, name)
    if full is None:
        return None
    if isinstance(recorded, dict) and name in recorded:
        try:
            if sha256_path(full) != str(recorded[name]).lower():
                return None
        except OSError:
            return None
    return _read_table(root, name)[0]


def _counts(rows: list[dict[str, str]], column: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in rows:
        out[row.get(column) or ""] = out.get(row.get(column) or "", 0) + 1
    return dict(sorted(out.items()))


def check_manifest(case_dir: str, manifest: dict) -> list[str]:
    """What in manifest.json disagrees with itself or with the tables it summarises ([] if nothing)."""
    out = []
    for key, shape in SHAPES.items():
        value = manifest.get(key)
        if value is not None and not isinstance(value, shape):
            out.append(f"{key} is {type(value).__name__}, not {'an object' if shape is dict else 'a list'}")
    for key in ("outputs_sha256",):
        value = manifest.get(key)
        if isinstance(value, dict):
            bad = sorted(str(k) for k, v in value.items() if not is_sha256(v))
            if bad:
                out.append(f"{key} records no SHA-256 for {', '.join(map(repr, bad[:3]))}")
    reports = manifest.get("reports")
    if isinstance(reports, dict) and "files" in reports:
        files = reports["files"]
        if not isinstance(files, dict):
            out.append(f"reports.files is {type(files).__name__}, not an object")
        else:
            bad = sorted(str(k) for k, v in files.items() if not is_sha256(v))
            if bad:
                out.append(f"reports.files records no SHA-256 for {', '.join(map(repr, bad[:3]))}")
    identity = manifest.get("identity") if isinstance(manifest.get("identity"), dict) else {}
    config = manifest.get("config")
    if isinstance(config, dict):
        try:
            got = config_hash(config)
        except (TypeError, ValueError) as exc:
            got = f"none: {exc}"
        if manifest.get("config_sha256") != got:
            out.append(f"config_sha256 {manifest.get('config_sha256')!r} is not the SHA-256 of config ({got})")
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
    for key in ("by_status", "findings_by_status"):
        if summary.get(key) is not None and not isinstance(summary[key], dict):
            out.append(f"summary.{key} is {type(summary[key]).__name__}, not an object")
    recorded = manifest.get("outputs_sha256")
    evidence = _rows(case_dir, EVIDENCE, recorded)
    if evidence is not None:
        if summary.get("inputs") != len(evidence):
            out.append(f"summary.inputs {summary.get('inputs')!r} but evidence.csv has {len(evidence)} row(s)")
        if isinstance(summary.get("by_status"), dict) and summary["by_status"] != _counts(evidence, "status"):
            out.append(f"summary.by_status {summary['by_status']} but evidence.csv says {_counts(evidence, 'status')}")
    segments = _rows(case_dir, SEGMENTS, recorded)
    if segments is not None and status == "complete" and summary.get("segments") != len(segments):
        out.append(f"summary.segments {summary.get('segments')!r} but segments.csv has {len(segments)} row(s)")
    findings = _rows(case_dir, FINDINGS_CSV, recorded)
    if findings is not None and isinstance(summary.get("findings_by_status"), dict):
        if summary["findings_by_status"] != _counts(findings, "status"):
            out.append(
                f"summary.findings_by_status {summary['findings_by_status']} but findings.csv says "
                f"{_counts(findings, 'status')}"
            )
        flagged = sum(1 for r in findings if r.get("label") == "stalking")
        if summary.get("flagged") is not None and summary.get("flagged") != flagged:
            out.append(f"summary.flagged {summary.get('flagged')!r} but findings.csv flags {flagged}")
        known = {r.get("sha256") for r in evidence or []}
        strays = sorted({r.get("sha256") or "" for r in findings} - known)
        if evidence is not None and strays:
            out.append(f"findings.csv names content evidence.csv does not list: {', '.join(strays[:3])}")
    if status == "complete" and evidence is not None and findings is not None:
        hash_list = manifest.get("hash_list")
        bad = any(
            r.get("status") in ("failed", "partial", "pending") or r.get("hash_verified") == "False" for r in evidence
        )
        bad = bad or any(r.get("status") == "failed" for r in findings)
        bad = bad or bool(manifest.get("evidence_changed_between_sessions"))
        bad = bad or (isinstance(hash_list, dict) and not hash_list.get("ok", True))
        want = 3 if bad else 0
        if manifest.get("exit_code") != want:
            out.append(f"exit_code {manifest.get('exit_code')!r} but the tables call for {want}")
    return out


def _evidence_entry(item: EvidenceItem, res: VerifyResult) -> bool:
    """Whether the recorded path still holds a regular file to hash (following a link, as the scan
    read it); otherwise the mismatch is recorded and nothing is opened (a pipe would block the read,
    a device never end it)."""
    path, sha = item.path, (item.sha256 or "").lower()
    res.evidence_checked += 1
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        detail = ""
        if os.path.islink(path):
            detail = f"a symbolic link to {escape_path(_readlink(path))!r} that leads nowhere"
        res.mismatches.append(Mismatch("missing", "evidence", path, sha, detail=detail))
        return False
    except (OSError, ValueError) as exc:
        detail = str(exc.strerror or exc) if isinstance(exc, OSError) else str(exc)
        res.mismatches.append(Mismatch("unreadable", "evidence", path, sha, detail=detail))
        return False
    what = _file_type(st.st_mode)
    if what is not None:
        res.mismatches.append(
            Mismatch("replaced", "evidence", path, sha, detail=f"{what} where the scan read a file: not read")
        )
        return False
    return True


def _check_evidence(item: EvidenceItem, now: HashResult | OSError, res: VerifyResult) -> None:
    """Every digest the scan recorded (SHA-256, and MD5 and SHA-1 where evidence.csv has them)
    against the same read made now; then whether the path is still what the scan read (a file, or a
    symbolic link to the same target)."""
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
    link = _readlink(path) if os.path.islink(path) else None
    if link != (item.link_target or None):
        was = f"a symbolic link to {escape_path(item.link_target)!r}" if item.link_target else "a file"
        is_ = f"a symbolic link to {escape_path(link)!r}" if link is not None else "a file"
        res.mismatches.append(
            Mismatch(
                "replaced",
                "evidence",
                path,
                sha,
                detail=f"the content matches, but the path is now {is_}; the scan read {was}",
            )
        )


def _check_file(root: str, rel: str, sha: str, what: str, res: VerifyResult) -> None:
    kind, detail, full = _inspect(root, rel)
    if kind == "outside":
        res.mismatches.append(Mismatch("outside", what, rel, sha, detail=detail))
        return
    res.files_checked += 1
    if full is None:
        res.mismatches.append(Mismatch(kind, what, rel, sha, detail=detail))
        return
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
