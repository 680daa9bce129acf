"""What one scan session says about the case across sessions of the same scan: what the evidence
looked like before (hashes, access times, the acquisition hash list), the case facts given again on
resume, findings set aside, and how the session ends (evidence.csv, the summary, the final
manifest.json, the report). Used by :mod:`forensic.engine.scan`, which runs the stages between.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from forensic import intake
from forensic.engine.progress import Progress
from forensic.provenance import utc_now
from forensic.records import EvidenceItem, EvidenceStatus, Problem, Severity, escape_path, unescape_path
from forensic.store.case import CaseFolder


def restore_access_times(items: list[EvidenceItem], atimes: dict[str, int], case: CaseFolder) -> None:
    for item in intake.restore_access_times(items, atimes):
        sev = Severity.INFO if item.atime and item.atime.startswith("restored") else Severity.WARNING
        case.record_problem(Problem(sev, "intake", f"access time {item.atime}", item.path, item.sha256))


def changed_between_sessions(case: CaseFolder, items: list[EvidenceItem], manifest: dict[str, Any]) -> list[str]:
    """Inputs whose content differs from what an earlier session of this scan hashed: said loudly
    (problems.jsonl, evidence.csv, manifest.json); their old findings are set aside at the end."""
    try:
        before = {i.path: i.sha256 for i in case.read_evidence() if i.sha256}
    except (OSError, ValueError):
        before = {}
    changed = []
    for item in items:
        old = before.get(item.path)
        if old and item.sha256 and old != item.sha256:
            msg = (
                f"EVIDENCE CHANGED BETWEEN SESSIONS of this scan: SHA-256 was {old} in an earlier session, now "
                f"{item.sha256}; findings of the earlier content are set aside, this content is analysed"
            )
            item.warnings.append(msg)
            case.record_problem(Problem(Severity.CRITICAL, "hash", msg, item.path, item.sha256))
            print(f"forensic: {escape_path(item.path)}: {msg}", file=sys.stderr)
            record = {
                "path": escape_path(item.path),
                "sha256_before": old,
                "sha256_now": item.sha256,
                "detected_utc": utc_now(),
            }
            manifest.setdefault("evidence_changed_between_sessions", []).append(record)
            changed.append(item.path)
    return changed


def record_superseded(case: CaseFolder, superseded) -> None:
    if superseded is None or not len(superseded):
        return
    for (path, sha), group in superseded.groupby(["path", "sha256"], sort=True):
        case.record_problem(
            Problem(
                Severity.WARNING,
                "store",
                (
                    f"{len(group)} finding(s) of content {sha} are set aside (kept in findings/ parts, left out of "
                    "findings.csv and findings.parquet): no input has that content now"
                ),
                unescape_path(str(path)),
                str(sha),
            )
        )


def check_hash_list(
    items: list[EvidenceItem], hashes, case: CaseFolder, manifest: dict[str, Any], progress: Progress
) -> None:
    from forensic.intake import hashlist as hashlists

    res = hashlists.check(items, hashes)
    manifest["hash_list"] = {
        "path": escape_path(hashes.path),
        "sha256": hashes.sha256,
        "entries": len(hashes.entries),
        "ok": res.ok,
        **res.to_dict(),
    }
    for mm in res.mismatched:
        msg = f"DOES NOT MATCH THE ACQUISITION HASH LIST {escape_path(hashes.path)}: {mm['detail']}"
        case.record_problem(Problem(Severity.CRITICAL, "hash", msg, unescape_path(mm["path"])))
        print(f"forensic: {mm['path']}: {msg}", file=sys.stderr)
    for miss in res.missing:
        msg = (
            f"the acquisition hash list {escape_path(hashes.path)} (line {miss['line']}) lists {miss['name']}, "
            "which is not among the evidence given"
        )
        case.record_problem(Problem(Severity.CRITICAL, "hash", msg))
        print(f"forensic: {msg}", file=sys.stderr)
    for path in res.not_listed:
        case.record_problem(Problem(Severity.WARNING, "hash", "not in the acquisition hash list", unescape_path(path)))
    progress(
        f"hash list: {len(res.matched)} match, {len(res.mismatched)} MISMATCH, {len(res.missing)} missing, "
        f"{len(res.not_listed)} not listed"
    )


# -- end of scan ------------------------------------------------------------------------------


CASE_FACTS = ("case_id", "examiner", "agency")


def resumed_case_facts(manifest: dict[str, Any], session: dict[str, Any], request) -> list[Problem]:
    """``--case-id``, ``--examiner``, ``--agency`` given when a scan is resumed: one the case folder
    does not have yet is filled in, one that differs from the recorded one is kept in this session's
    record only (the case's stays as first recorded). Changes ``manifest``/``session`` before the
    manifest is written; returns the problems that say so, for problems.jsonl."""
    problems = []
    for key in CASE_FACTS:
        given, recorded = getattr(request, key), manifest.get(key)
        if given is None or given == recorded:
            continue
        flag = "--" + key.replace("_", "-")
        if recorded is None:
            manifest[key] = given
            problems.append(Problem(Severity.INFO, "scan", f"{flag} {given!r} recorded when the scan resumed"))
        else:
            session[key] = given
            msg = f"{flag} {given!r} given when the scan resumed; the case keeps {recorded!r} (this session's record has the new one)"
            problems.append(Problem(Severity.WARNING, "scan", msg))
    return problems


def no_footage(items: list[EvidenceItem]) -> bool:
    """No input is video, readable or not (all skipped, or none at all). After intake the footage
    is still ``pending``, which :attr:`EvidenceItem.is_footage` does not count yet."""
    return all(i.status == EvidenceStatus.SKIPPED for i in items)


def any_failed(items: list[EvidenceItem]) -> bool:
    return any(
        i.status in (EvidenceStatus.FAILED, EvidenceStatus.PARTIAL, EvidenceStatus.PENDING) or i.hash_verified is False
        for i in items
    )


def summarize(items: list[EvidenceItem], segment_count: int, findings=None) -> dict[str, Any]:
    by_status: dict[str, int] = {}
    for item in items:
        by_status[str(item.status)] = by_status.get(str(item.status), 0) + 1
    analysed = [i for i in items if i.duplicate_of is None and i.duration_s]
    out = {
        "inputs": len(items),
        "by_status": dict(sorted(by_status.items())),
        "footage_files": sum(1 for i in items if i.is_footage),
        "unique_footage_files": sum(1 for i in items if i.is_footage and i.duplicate_of is None),
        "duplicates": sum(1 for i in items if i.duplicate_of is not None),
        "segments": segment_count,
        "footage_seconds": round(sum(i.duration_s for i in analysed), 6),
        "evidence_changed": [escape_path(i.path) for i in items if i.hash_verified is False],
    }
    if findings is not None:
        counts = findings["status"].value_counts().to_dict() if len(findings) else {}
        out["findings_by_status"] = {str(k): int(v) for k, v in sorted(counts.items())}
        out["flagged"] = int((findings["label"] == "stalking").sum()) if len(findings) else 0
    return out


def finish(
    case: CaseFolder, manifest: dict[str, Any], items: list[EvidenceItem], segments: int, exit_code: int, findings
) -> str:
    """evidence.csv and the final manifest.json; returns the manifest's SHA-256."""
    case.write_evidence(items)
    manifest["ended_utc"] = utc_now()
    manifest["summary"] = summarize(items, segments, findings)
    manifest["exit_code"] = exit_code
    manifest["outputs_sha256"] = case.output_hashes()
    return case.write_manifest(manifest)


def write_report(case: CaseFolder, progress: Progress, request) -> None:
    """The HTML and PDF report, at the end of every complete scan (``request``: the
    :class:`~forensic.engine.scan.ScanRequest`, for its agency and command line)."""
    from forensic.report import build_report

    try:
        build_report(case.root, agency=request.agency, argv=list(request.argv))
        progress("report written: " + case.path(os.path.join("report", "report.html")))
    except Exception as exc:  # noqa: BLE001 - the scan's results stand; the report can be rebuilt
        case.record_problem(
            Problem(Severity.ERROR, "report", f"report could not be built: {exc!r}; run `forensic report CASE_DIR`")
        )
        # problems.jsonl changed after the manifest recorded its hash: record it again
        manifest = json.loads(open(case.path("manifest.json"), encoding="utf-8").read())
        manifest["outputs_sha256"] = case.output_hashes()
        case.write_manifest(manifest)
        print(f"forensic: report could not be built: {exc}", file=sys.stderr)
