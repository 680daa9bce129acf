"""Reading the case folder for the report: its records (evidence.csv, problems.jsonl, the findings,
segments.csv and the manifest's own hash) in one typed :class:`CaseRecords`, the re-hash of the
files the scan recorded, and the history of the reports made before. What cannot be read is said in
``notes``; the per-file readers are :mod:`forensic.report.readers`'."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from forensic.fsutil import sha256_path
from forensic.records import EvidenceItem, Finding
from forensic.report.readers import count_segments, inside_case, read_evidence, read_findings, read_problems
from forensic.store.case import MANIFEST


@dataclass
class CaseRecords:
    """What the report reads from a case folder (besides the manifest itself)."""

    items: list[EvidenceItem]  # evidence.csv
    problems: list[dict[str, Any]]  # problems.jsonl, all
    findings: list[Finding]  # findings.parquet or findings.csv; empty when there are none
    findings_source: str | None  # the file the findings were read from, None when there are none
    segments_total: int | None  # rows of segments.csv
    manifest_sha256: str | None  # of manifest.json as this report read it (before recording itself in it)


def read_case(case_dir: str, notes: list[str]) -> CaseRecords:
    items = read_evidence(case_dir, notes)
    problems = read_problems(case_dir, notes)
    findings, findings_source = read_findings(case_dir, notes)
    return CaseRecords(
        items=items,
        problems=problems,
        findings=findings if findings is not None else [],
        findings_source=findings_source,
        segments_total=count_segments(case_dir),
        manifest_sha256=sha256_path(os.path.join(case_dir, MANIFEST)),
    )


def check_outputs(case_dir: str, manifest: dict[str, Any]) -> dict[str, Any]:
    """Re-hash the case folder files the scan recorded (outputs_sha256), grouped by top folder."""
    recorded = manifest.get("outputs_sha256")
    if not isinstance(recorded, dict):
        return {"recorded": False, "groups": [], "mismatches": []}
    groups: dict[str, dict[str, Any]] = {}
    mismatches = []
    for rel, sha in sorted(recorded.items()):
        top = rel.split("/", 1)[0] if "/" in rel else rel
        g = groups.setdefault(top, {"name": top, "files": 0, "ok": 0, "folder": "/" in rel, "sha256": None})
        g["files"] += 1
        full = inside_case(case_dir, rel)
        if full is None:
            mismatches.append({"path": rel, "problem": "recorded path lies outside the case folder", "expected": sha})
            continue
        try:
            now = sha256_path(full)
        except OSError as exc:
            mismatches.append(
                {"path": rel, "problem": f"missing or unreadable ({exc.strerror or exc})", "expected": sha}
            )
            continue
        if now == sha:
            g["ok"] += 1
        else:
            mismatches.append({"path": rel, "problem": "changed since the scan", "expected": sha, "actual": now})
        if not g["folder"]:
            g["sha256"] = sha
    return {"recorded": True, "groups": list(groups.values()), "mismatches": mismatches}


def revision(manifest: dict[str, Any]) -> int:
    """This report's revision number: one more than the last report's (1 for the first)."""
    prev = manifest.get("reports")
    if isinstance(prev, dict):
        try:
            return int(prev.get("revision") or 0) + 1
        except (TypeError, ValueError):
            return len(prev.get("history", [])) + 2
    return 1


def previous_reports(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The reports made of this case before: the manifest's ``reports`` history, then the last one."""
    prev = manifest.get("reports")
    if not isinstance(prev, dict):
        return []
    hist = [h for h in prev.get("history", []) if isinstance(h, dict)]
    cur = {k: prev.get(k) for k in ("revision", "issued_utc", "html_sha256", "pdf_sha256")}
    return hist + ([cur] if cur.get("issued_utc") else [])
