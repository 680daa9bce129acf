"""Read a case folder into one typed context for the report templates.

Everything the report shows comes from the case folder (manifest.json, evidence.csv, segments.csv,
problems.jsonl, findings.parquet or findings.csv, the segments' features folders) and from the
examiner's options (agency, clock offsets). Nothing from outside the case folder is read: a
keyframe or features path that leads outside it (``..``, an absolute path, a symbolic link) is
refused and the refusal is written in the report.

Text from the evidence (file names, container metadata, messages quoting them) is untrusted: the
templates escape it (autoescape) and :func:`shown` makes invisible and direction-changing
characters visible, so a name renders exactly as the bytes say, never as it would like to look.

The context is composed here: :mod:`forensic.report.load` reads the case folder,
:mod:`forensic.report.offsets` applies the clock statements, :mod:`forensic.report.assemble` turns
what was read into the views of :mod:`forensic.report.views`, and :mod:`forensic.report.method`
words the model card, the tools and the configuration.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from forensic.records import FindingStatus
from forensic.report import assemble, method
from forensic.report.clocks import ClockSpec, iso_utc
from forensic.report.finding import LOOK_RULE, STREAMS_NOT_EXPOSED
from forensic.report.load import check_outputs, previous_reports, read_case, revision
from forensic.report.offsets import clock_statements
from forensic.report.readers import ReportError, read_manifest
from forensic.report.text import NOT_RECORDED
from forensic.report.views import FileView, SegmentView, Summary, VideoView

__all__ = ["DEFAULT_TOP", "REPORT_DIR", "ReportContext", "load_context"]

REPORT_DIR = "report"
DEFAULT_TOP = 50


@dataclass
class ReportContext:
    case_dir: str
    manifest: dict[str, Any]
    issued_utc: str
    revision: int
    agency: str | None
    agency_origin: str
    top: int
    files: list[FileView]
    duplicate_groups: list[list[FileView]]
    failed_files: list[FileView]
    videos: list[VideoView]
    findings_source: str | None
    segments: list[SegmentView]  # all findings, in file order
    flagged: list[SegmentView]  # ranked by score
    detailed: list[SegmentView]
    contact: list[SegmentView]
    summary: Summary
    problems: list[dict[str, Any]]  # problems.jsonl, all
    general_problems: list[dict[str, Any]]  # those without a path
    notes: list[str]  # what the report itself noticed (missing keyframes, inconsistencies)
    clock_specs: list[ClockSpec]
    report_argv: list[str]
    outputs_check: dict[str, Any] = field(default_factory=dict)
    issued_files: list[tuple[str, str]] = field(default_factory=list)  # (path in report folder, sha256)
    segmenters: dict[str, int] = field(default_factory=dict)
    thresholds: list[float] = field(default_factory=list)
    config_check: str = ""
    previous_reports: list[dict[str, Any]] = field(default_factory=list)
    banners: list[tuple[str, str]] = field(default_factory=list)  # (level, text)
    coappear: Any = None  # forensic.report.coappear.CoappearView, set by build_report
    manifest_sha256: str | None = None  # of manifest.json as this report read it (before recording itself in it)

    # convenience for the templates
    look_rule: str = LOOK_RULE
    streams_not_exposed: str = STREAMS_NOT_EXPOSED

    def record_sha(self, name: str) -> str | None:
        """The SHA-256 the scan recorded for a case folder file (manifest outputs_sha256)."""
        rec = self.manifest.get("outputs_sha256")
        v = rec.get(name) if isinstance(rec, dict) else None
        return v if isinstance(v, str) else None

    @property
    def case_records(self) -> list[tuple[str, str | None, str]]:
        """(name, recorded SHA-256 or a count, what it holds) of the case folder's records."""
        return method.case_records(self.manifest)

    @property
    def test_metrics(self) -> dict[str, Any] | None:
        """The model card's test-split figures, in a few numbers (None when the card has none)."""
        return method.test_metrics(self.card)

    @property
    def score_bands(self) -> list[tuple[str, int]]:
        """How the flagged scores spread: (band, count), highest band first."""
        return assemble.score_bands(self.thresholds, self.flagged)

    @property
    def problem_counts(self) -> list[tuple[str, int]]:
        return sorted(Counter(str(p.get("severity") or "unknown") for p in self.problems).items())

    @property
    def serious_problems(self) -> list[dict[str, Any]]:
        return [p for p in self.problems if p.get("severity") in ("error", "critical")]

    @property
    def model_limits(self) -> list[str]:
        """The model's limits in plain words: the card's ``limits`` and ``training_data`` when present,
        else a fixed statement built from the card's record of its training data."""
        return method.model_limits(self.card)

    @property
    def model(self) -> dict[str, Any] | None:
        m = self.manifest.get("model")
        return m if isinstance(m, dict) else None

    @property
    def cluster(self) -> dict[str, Any] | None:
        c = self.manifest.get("cluster")
        return c if isinstance(c, dict) else None

    @property
    def card(self) -> dict[str, Any] | None:
        m = self.model
        c = m.get("card") if m else None
        return c if isinstance(c, dict) else None

    @property
    def card_facts(self) -> list[tuple[str, Any]]:
        """The model card's main facts (those present), for the method section."""
        return method.card_facts(self.card)

    @property
    def card_metrics(self) -> list[tuple[str, Any]]:
        """The model card's metrics as (dotted key, value) rows, the test split first."""
        return method.card_metrics(self.card)

    @property
    def card_choices(self) -> list[dict[str, Any]]:
        return method.card_choices(self.card)

    @property
    def card_json(self) -> str:
        return json.dumps(self.card, indent=1, sort_keys=True, ensure_ascii=False)

    @property
    def cluster_extra(self) -> list[tuple[str, Any]]:
        c = self.cluster or {}
        return [(k, v) for k, v in c.items() if k not in ("engine", "nodes", "cpus", "gpus")]

    @property
    def sessions(self) -> list[dict[str, Any]]:
        s = self.manifest.get("sessions")
        return [x for x in s if isinstance(x, dict)] if isinstance(s, list) else []

    @property
    def key_dependencies(self) -> list[tuple[str, str]]:
        return method.key_dependencies(self.manifest)

    @property
    def all_dependencies(self) -> list[tuple[str, str]]:
        return method.all_dependencies(self.manifest)

    @property
    def config_json(self) -> str:
        return json.dumps(self.manifest.get("config"), indent=2, sort_keys=True, ensure_ascii=False)


def load_context(
    case_dir: str,
    *,
    agency: str | None = None,
    clock_specs: list[ClockSpec] | None = None,
    top: int = DEFAULT_TOP,
    issued_utc: str | None = None,
    report_argv: list[str] | None = None,
) -> ReportContext:
    """Read the case folder. Raises :class:`ReportError` for a folder that is not a case, or a
    clock offset naming no file of the case."""
    case_dir = os.path.abspath(case_dir)
    manifest = read_manifest(case_dir)
    if top < 0:
        raise ReportError("--top must be 0 (all) or more")
    notes: list[str] = []
    case = read_case(case_dir, notes)
    findings = case.findings
    issued = issued_utc or iso_utc(datetime.now(UTC))
    specs = clock_statements(manifest, case.items, list(clock_specs or []), notes)
    fv = assemble.file_views(case.items, case.problems)
    video_of = assemble.video_views(fv.files, findings, fv.duplicates, specs, notes)
    videos = list(video_of.values())
    sv = assemble.segment_views(findings, video_of, top, notes)
    summary = assemble.summarize(case.items, findings, sv.flagged, videos, case.segments_total)
    if case.findings_source is not None and case.segments_total is not None and case.segments_total != len(findings):
        notes.append(
            f"segments.csv lists {case.segments_total} segment(s) but the findings hold {len(findings)}: "
            "segments without a finding were not classified"
        )

    agency_origin = "command line (--agency)" if agency else ("manifest" if manifest.get("agency") else "")
    ctx = ReportContext(
        case_dir=case_dir,
        manifest=manifest,
        issued_utc=issued,
        revision=revision(manifest),
        manifest_sha256=case.manifest_sha256,
        agency=agency or manifest.get("agency") or None,
        agency_origin=agency_origin,
        top=top,
        files=fv.files,
        duplicate_groups=[g for g in fv.duplicates.values() if len(g) > 1],
        failed_files=fv.failed,
        videos=videos,
        findings_source=case.findings_source,
        segments=sv.segments,
        flagged=sv.flagged,
        detailed=sv.detailed,
        contact=sv.contact,
        summary=summary,
        problems=case.problems,
        general_problems=fv.general_problems,
        notes=notes,
        clock_specs=list(clock_specs or []),
        report_argv=list(report_argv or []),
    )
    ctx.segmenters = dict(Counter(f.segmenter or NOT_RECORDED for f in findings if f.status == FindingStatus.ANALYSED))
    ctx.thresholds = sorted({float(f.threshold) for f in findings if f.threshold is not None})
    ctx.config_check = method.check_config(manifest, findings)
    ctx.previous_reports = previous_reports(manifest)
    ctx.outputs_check = check_outputs(case_dir, manifest)
    ctx.banners = assemble.banners(manifest, summary, ctx.outputs_check, case.findings_source)
    return ctx
