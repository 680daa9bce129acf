"""Reading the case folder's records for the report: the manifest, evidence.csv, segments.csv,
problems.jsonl and the findings (findings.parquet, or findings.csv when it cannot be read), each
row into the package's own records; a path from the case folder is followed only when it stays
inside it. What cannot be read is said in ``notes`` (shown in the report), never skipped silently."""

from __future__ import annotations

import csv
import json
import os
from typing import Any

from forensic.fsutil import inside_root
from forensic.records import EvidenceItem, Finding
from forensic.records import record_from_row as _records_from_row
from forensic.store.case import EVIDENCE, MANIFEST, PROBLEMS, SEGMENTS

FINDINGS_PARQUET = "findings.parquet"
FINDINGS_CSV = "findings.csv"
CASE_KEYS = ("format", "status")  # in the first manifest.json of every scan
CASE_FORMAT = "forensic-case/"
PROBLEM_TEXT_MAX = 4000  # longer problem messages are cut in the report (full text in problems.jsonl)


class ReportError(Exception):
    """The report cannot be made (no case folder, no manifest, bad clock offset): a usage error."""


def record_from_row(cls, row: dict[str, Any], notes: list[str] | None = None, where: str = ""):
    """Build a record (EvidenceItem, Finding) from a CSV or Parquet row: the records' own reader
    (:func:`forensic.records.record_from_row`, the inverse of their ``to_row``)."""
    return _records_from_row(cls, row, notes if notes is not None else [], where)


def read_manifest(case_dir: str) -> dict[str, Any]:
    path = os.path.join(case_dir, MANIFEST)
    if not os.path.isdir(case_dir):
        raise ReportError(f"no such case folder: {case_dir}")
    if not os.path.isfile(path):
        raise ReportError(f"{case_dir} is not a case folder: it has no {MANIFEST}")
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path} cannot be read: {exc}") from exc
    if not isinstance(manifest, dict):
        raise ReportError(f"{path} is not a JSON object")
    check_case_manifest(case_dir, manifest)
    return manifest


def check_case_manifest(case_dir: str, manifest: dict[str, Any]) -> None:
    """What every scan writes into manifest.json before anything else; a usage error without it."""
    lacks = [k for k in CASE_KEYS if k not in manifest]
    if lacks:
        raise ReportError(f"{case_dir} is not a case folder: {MANIFEST} lacks {', '.join(map(repr, lacks))}")
    form = manifest["format"]
    if not isinstance(form, str) or not form.startswith(CASE_FORMAT):
        raise ReportError(f"{case_dir} is not a case folder: {MANIFEST} has the format {form!r}, not {CASE_FORMAT}N")


def read_evidence(case_dir: str, notes: list[str]) -> list[EvidenceItem]:
    path = os.path.join(case_dir, EVIDENCE)
    if not os.path.isfile(path):
        notes.append(f"{EVIDENCE} is missing from the case folder: no item can be listed")
        return []
    items = []
    with open(path, newline="", encoding="utf-8") as f:
        for n, row in enumerate(csv.DictReader(f), 2):
            try:
                items.append(record_from_row(EvidenceItem, row, notes, f"{EVIDENCE} line {n}"))
            except ValueError as exc:
                notes.append(f"{EVIDENCE} line {n} cannot be read: {exc}")
    return items


def count_segments(case_dir: str) -> int | None:
    path = os.path.join(case_dir, SEGMENTS)
    if not os.path.isfile(path):
        return None
    with open(path, newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.DictReader(f))


def read_problems(case_dir: str, notes: list[str]) -> list[dict[str, Any]]:
    path = os.path.join(case_dir, PROBLEMS)
    out: list[dict[str, Any]] = []
    if not os.path.isfile(path):
        notes.append(f"{PROBLEMS} is missing from the case folder")
        return out
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                p = json.loads(line)
                if not isinstance(p, dict):
                    raise ValueError("not an object")
            except ValueError:
                p = {"severity": "unknown", "stage": "", "message": line.rstrip("\n")}
                notes.append(f"{PROBLEMS} line {n} is not a JSON object; shown as text")
            p["line"] = n
            msg = str(p.get("message") or "")
            p["truncated"] = len(msg) > PROBLEM_TEXT_MAX
            p["message_shown"] = msg[:PROBLEM_TEXT_MAX]
            out.append(p)
    return out


def read_findings(case_dir: str, notes: list[str]) -> tuple[list[Finding] | None, str | None]:
    """The findings (None when the model stage wrote none) and which file they came from."""
    rows: list[dict[str, Any]] | None = None
    source = None
    pq = os.path.join(case_dir, FINDINGS_PARQUET)
    cs = os.path.join(case_dir, FINDINGS_CSV)
    if os.path.isfile(pq):
        try:
            import pandas as pd

            rows = pd.read_parquet(pq).to_dict(orient="records")
            source = FINDINGS_PARQUET
        except Exception as exc:  # noqa: BLE001 - fall back to the CSV, and say so
            notes.append(
                f"{FINDINGS_PARQUET} cannot be read ({type(exc).__name__}: {exc}); {FINDINGS_CSV} used instead"
            )
    if rows is None and os.path.isfile(cs):
        with open(cs, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        source = FINDINGS_CSV
    if rows is None:
        return None, None
    findings = []
    for n, row in enumerate(rows, 1):
        try:
            findings.append(record_from_row(Finding, row, notes, f"{source} row {n}"))
        except ValueError as exc:
            notes.append(f"{source} row {n} cannot be read: {exc}")
    return findings, source


def inside_case(case_dir: str, rel: str | None) -> str | None:
    """The absolute path of ``rel`` when it lies inside the case folder (symbolic links resolved),
    else None."""
    return inside_root(case_dir, rel)
