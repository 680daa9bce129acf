"""From what was read of the case folder to what the report shows: the views of the input paths
(problems and duplicates attached), of the analysed footage (findings and clocks attached), of the
segments (wall-clock and player times, ranking), the case's figures and the banners at the top.

What the report itself notices on the way (a clock that cannot be used, findings of a file that is
not analysed footage, times that fall out of range) is said in ``notes``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from forensic.records import EvidenceItem, EvidenceStatus, Finding, FindingStatus, unescape_path
from forensic.report.clocks import ClockSpec
from forensic.report.offsets import file_clock
from forensic.report.player import player_clock
from forensic.report.text import plain_visible
from forensic.report.views import FileView, SegmentView, Summary, VideoView, is_flagged

CONTACT_SHEET_MAX = 24


@dataclass
class FileViews:
    files: list[FileView]  # one per row of evidence.csv, numbered from 1
    general_problems: list[dict[str, Any]]  # problems without a path, or naming no file of the case
    duplicates: dict[str, list[FileView]]  # by SHA-256: the paths with identical bytes, the primary first
    failed: list[FileView]  # failed or partly failed


@dataclass
class SegmentViews:
    segments: list[SegmentView]  # all findings, in file order
    flagged: list[SegmentView]  # ranked by score
    detailed: list[SegmentView]  # the top ones, shown in detail
    contact: list[SegmentView]  # those on the contact sheet


def file_views(items: list[EvidenceItem], problems: list[dict[str, Any]]) -> FileViews:
    """A view per input path, with its problems and the other paths holding the same bytes."""
    problems_by_path: dict[str, list[dict[str, Any]]] = {}
    general = []
    for p in problems:
        if p.get("path"):
            try:  # problems.jsonl holds paths in records.py's escaped form
                key = unescape_path(str(p["path"]))
            except ValueError:
                key = str(p["path"])
            problems_by_path.setdefault(key, []).append(p)
        else:
            general.append(p)
    files = [FileView(n, item, problems_by_path.get(item.path, [])) for n, item in enumerate(items, 1)]
    known_paths = {i.path for i in items}
    for path, plist in problems_by_path.items():
        if path not in known_paths:
            general.extend(plist)
    dup_groups: dict[str, list[FileView]] = {}
    for fv in files:
        if fv.item.sha256 and (fv.item.duplicate_of or any(o.item.duplicate_of == fv.item.path for o in files)):
            dup_groups.setdefault(fv.item.sha256, []).append(fv)
    for group in dup_groups.values():
        group.sort(key=lambda fv: (fv.item.duplicate_of is not None, fv.n))
        group[0].duplicates = [g.item.path for g in group[1:]]
    failed_files = [fv for fv in files if fv.item.status in (EvidenceStatus.FAILED, EvidenceStatus.PARTIAL)]
    return FileViews(files, general, dup_groups, failed_files)


def video_views(
    files: list[FileView],
    findings: list[Finding],
    duplicates: dict[str, list[FileView]],
    specs: dict[str, ClockSpec],
    notes: list[str],
) -> dict[str, VideoView]:
    """A view per analysed piece of footage (unique SHA-256), by SHA-256 in file order, with its
    findings and clock; every file view gets its clock (and its footage's view, if any)."""
    by_sha: dict[str, list[Finding]] = {}
    for f in findings:
        by_sha.setdefault(f.sha256, []).append(f)
    videos: list[VideoView] = []
    video_of: dict[str, VideoView] = {}
    for fv in files:
        it = fv.item
        if (
            not it.sha256
            or it.duplicate_of is not None
            or it.status not in (EvidenceStatus.ANALYSED, EvidenceStatus.PARTIAL)
        ):
            continue
        if it.sha256 in video_of:
            continue
        fs = sorted(by_sha.get(it.sha256, []), key=lambda f: (f.start_frame, f.segment_index))
        clock = file_clock(it, specs.get(it.sha256), notes)
        paths = [it.path] + [g.item.path for g in duplicates.get(it.sha256, []) if g.item.path != it.path]
        v = VideoView(len(videos) + 1, it.sha256, it, paths, fs, clock)
        v.player = player_clock(it)
        v.counts = dict(Counter(str(f.status) for f in fs))
        v.flagged = sum(1 for f in fs if is_flagged(f))
        videos.append(v)
        video_of[it.sha256] = v
    for fv in files:
        if fv.item.sha256 in video_of:
            fv.video = video_of[fv.item.sha256]
            fv.clock = fv.video.clock
        else:
            fv.clock = file_clock(fv.item, specs.get(fv.item.sha256 or ""), notes)
    for sha, spec in specs.items():
        if sha not in video_of:
            notes.append(f"a clock statement ({spec.origin}) names {sha}, which is not analysed footage; not used")
        elif video_of[sha].clock.kind == "none":
            notes.append(f"{video_of[sha].clock.description} (file {sha})")
    orphans = sorted({f.sha256 for f in findings} - set(video_of))
    for sha in orphans:
        notes.append(
            f"findings name the file {sha}, which evidence.csv does not list as analysed footage; "
            "they are counted but have no file details"
        )
    return video_of


def segment_views(findings: list[Finding], video_of: dict[str, VideoView], top: int, notes: list[str]) -> SegmentViews:
    """A view per finding, with its wall-clock and player times; the flagged ones ranked by score,
    the first ``top`` of them (all for 0) detailed, and those of the contact sheet."""
    segments: list[SegmentView] = []
    for f in sorted(findings, key=lambda f: (f.path, f.sha256, f.start_frame)):
        v = video_of.get(f.sha256)
        sv = SegmentView(f, v)
        if v is not None:
            sv.wall_start, sv.wall_end = v.clock.at(f.start_s), v.clock.at(f.end_s)
            if v.clock.available and (sv.wall_start is None or sv.wall_end is None):
                notes.append(
                    f"segment {f.key}: its times ({f.start_s!r} s to {f.end_s!r} s) put on the wall clock "
                    "fall out of range; no wall-clock time shown"
                )
            sv.player_start, sv.player_end = v.player.at(f.start_s), v.player.at(f.end_s)
        segments.append(sv)
    flagged = sorted(
        (s for s in segments if s.flagged),
        key=lambda s: (-float(s.finding.score), s.finding.path, s.finding.start_frame),
    )
    for rank, s in enumerate(flagged, 1):
        s.rank = rank
    detailed = flagged if top == 0 else flagged[:top]
    for s in detailed:
        s.detailed = True
    contact = detailed[:CONTACT_SHEET_MAX]
    return SegmentViews(segments, flagged, detailed, contact)


def summarize(
    items: list[EvidenceItem],
    findings: list[Finding],
    flagged: list[SegmentView],
    videos: list[VideoView],
    segments_total: int | None,
) -> Summary:
    """The case's figures: inputs, footage, findings and flags."""
    by_status = dict(sorted(Counter(str(i.status) for i in items).items()))
    fstatus = Counter(str(f.status) for f in findings)
    unique_footage = [i for i in items if i.is_footage and i.duplicate_of is None]
    classified = [f for f in findings if f.status == FindingStatus.ANALYSED]
    return Summary(
        inputs=len(items),
        by_status=by_status,
        footage_files=sum(1 for i in items if i.is_footage),
        unique_footage=len(unique_footage),
        duplicates=sum(1 for i in items if i.duplicate_of is not None),
        footage_seconds=float(sum(i.duration_s or 0.0 for i in unique_footage)),
        segments_total=segments_total,
        findings_total=len(findings),
        by_finding_status=dict(sorted(fstatus.items())),
        classified=fstatus.get(str(FindingStatus.ANALYSED), 0),
        flagged=len(flagged),
        not_flagged=fstatus.get(str(FindingStatus.ANALYSED), 0) - len(flagged),
        insufficient=fstatus.get(str(FindingStatus.INSUFFICIENT_SUBJECTS), 0),
        short_shot=fstatus.get(str(FindingStatus.SHORT_SHOT), 0),
        still=fstatus.get(str(FindingStatus.STILL), 0),
        failed=fstatus.get(str(FindingStatus.FAILED), 0),
        files_with_flags=sum(1 for v in videos if v.flagged),
        flagged_seconds=float(sum(s.finding.end_s - s.finding.start_s for s in flagged)),
        evidence_changed=[i.path for i in items if i.hash_verified is False],
        model_sha256s=dict(Counter(f.model_sha256 or "not recorded" for f in classified)),
        face_detectors=dict(Counter(f.face_detector for f in findings if f.face_detector)),
    )


def score_bands(thresholds: list[float], flagged: list[SegmentView]) -> list[tuple[str, int]]:
    """How the flagged scores spread: (band, count), highest band first."""
    thr = thresholds[0] if thresholds else 0.5
    edges = sorted({e for e in (1.0, 0.9, 0.75) if e > thr} | {1.0, thr}, reverse=True)
    out = []
    for hi, lo in zip(edges, edges[1:]):
        if lo >= hi:
            continue
        n = sum(
            1 for sv in flagged if lo <= float(sv.finding.score) < hi or (hi == 1.0 and float(sv.finding.score) == 1.0)
        )
        out.append((f"{lo:g} to {hi:g}", n))
    return out


def banners(
    manifest: dict[str, Any], summary: Summary, outputs_check: dict[str, Any], findings_source: str | None
) -> list[tuple[str, str]]:
    """The (level, text) warnings at the top of the report."""
    out = []
    if summary.evidence_changed:
        out.append(
            (
                "critical",
                f"{len(summary.evidence_changed)} evidence file(s) CHANGED or became unreadable "
                "during the scan (SHA-256 after the scan differs from before): see Items examined.",
            )
        )
    if manifest.get("status") != "complete":
        out.append(
            (
                "critical",
                f"The scan did not complete (status: {plain_visible(str(manifest.get('status')))}); "
                "results cover only what was done.",
            )
        )
    if outputs_check.get("mismatches"):
        out.append(
            (
                "critical",
                f"{len(outputs_check['mismatches'])} case folder file(s) differ from the hashes "
                "recorded at the end of the scan: see Integrity.",
            )
        )
    if findings_source is None:
        out.append(
            (
                "warning",
                "No findings: the model stage has not been run on this case, so no segment was "
                "classified. This report lists the items examined and their segments only.",
            )
        )
    if (manifest.get("tool") or {}).get("dirty"):
        out.append(("warning", "The tool ran from a source checkout with uncommitted changes (tool.dirty)."))
    if summary.failed:
        out.append(("warning", f"{summary.failed} segment(s) failed in the model stage: see Problems."))
    return out
