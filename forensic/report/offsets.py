"""Which clock statement applies to which file of the case: the manifest's ``clock_offsets`` first,
the examiner's ``--clock-offset`` (command line) over them, each naming a file by its SHA-256 or its
path. A manifest statement that cannot be used is said in ``notes`` and ignored; a command-line one
is a usage error (:class:`ReportError`)."""

from __future__ import annotations

import os
import re
from typing import Any

from forensic.records import EvidenceItem
from forensic.report.clocks import ClockSource, ClockSpec, clock_source, parse_clock_value
from forensic.report.readers import ReportError
from forensic.report.text import plain_visible


def clock_statements(
    manifest: dict[str, Any], items: list[EvidenceItem], clock_specs: list[ClockSpec], notes: list[str]
) -> dict[str, ClockSpec]:
    """The clock statement of each file that has one, by the file's SHA-256."""
    specs: dict[str, ClockSpec] = {}
    by_path = {i.path: i for i in items}
    shas = {i.sha256 for i in items if i.sha256}
    raw_offsets = manifest.get("clock_offsets")
    if isinstance(raw_offsets, dict):
        for key, value in raw_offsets.items():
            try:
                spec = parse_clock_value(str(key), value, "manifest (clock_offsets)")
            except ReportError as exc:
                notes.append(f"manifest clock_offsets: {exc}; ignored")
                continue
            sha = _resolve_key(spec.key, by_path, shas)
            if sha is None:
                notes.append(
                    f"manifest clock_offsets names {plain_visible(str(key))}, which is no file of this case; ignored"
                )
            else:
                specs[sha] = spec
    given: dict[str, ClockSpec] = {}
    for spec in clock_specs:
        sha = _resolve_key(spec.key, by_path, shas)
        if sha is None:
            raise ReportError(
                f"--clock-offset: {spec.key!r} is neither the SHA-256 nor the path of a file of this case "
                "(see evidence.csv)"
            )
        if sha in given:
            raise ReportError(_given_twice(given[sha], spec, sha))
        given[sha] = specs[sha] = spec
    return specs


def file_clock(item: EvidenceItem, spec: ClockSpec | None, notes: list[str]) -> ClockSource:
    """The file's clock; a manifest clock statement that cannot be applied is said and not used (one
    from the command line is a usage error)."""
    try:
        return clock_source(item, spec)
    except ReportError as exc:
        if spec is None or not spec.origin.startswith("manifest"):
            raise
        notes.append(f"manifest clock_offsets: {exc}; ignored")
        return clock_source(item, None)


def _resolve_key(key: str, by_path: dict[str, EvidenceItem], shas: set[str]) -> str | None:
    k = key.strip()
    if re.fullmatch(r"[0-9a-fA-F]{64}", k) and k.lower() in shas:
        return k.lower()
    for candidate in (key, os.path.abspath(key)):
        item = by_path.get(candidate)
        if item is not None and item.sha256:
            return item.sha256
    return None


def _given_twice(first: ClockSpec, second: ClockSpec, sha: str) -> str:
    if first.key == second.key:
        return f"--clock-offset given twice for {first.key!r}: give one clock statement per file"
    return (
        f"--clock-offset given twice for one file: {first.key!r} and {second.key!r} both name {sha}; "
        "give one clock statement per file"
    )
