"""The in-process engine: intake -> segments -> store, one file after another."""

from __future__ import annotations

import sys
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from forensic import intake
from forensic.config import ScanConfig
from forensic.records import CLOCKS, EvidenceItem, EvidenceStatus, Problem, Severity
from forensic.segments import segment_file
from forensic.store.case import CaseFolder
from forensic.store.provenance import session_record, utc_now

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_SOME_FAILED = 3

Progress = Callable[[str], None]


@dataclass
class ScanRequest:
    paths: list[str]
    case_dir: str
    case_id: str | None = None
    examiner: str | None = None
    config: ScanConfig = field(default_factory=ScanConfig)
    argv: list[str] = field(default_factory=lambda: list(sys.argv))


@dataclass
class ScanOutcome:
    case: CaseFolder
    items: list[EvidenceItem]
    segment_count: int
    exit_code: int
    manifest: dict[str, Any]

    @property
    def failed(self) -> list[EvidenceItem]:
        return [i for i in self.items if i.status in (EvidenceStatus.FAILED, EvidenceStatus.PARTIAL)]

    @property
    def changed(self) -> list[EvidenceItem]:
        return [i for i in self.items if i.hash_verified is False]


def _quiet(_msg: str) -> None:
    pass


def run_scan(request: ScanRequest, progress: Progress = _quiet) -> ScanOutcome:
    """Scan every input into a new case folder. Raises FileNotFoundError / CaseFolderError for
    usage errors, before anything is written."""
    items = intake.discover(request.paths)
    case = CaseFolder.create(request.case_dir, request.paths)
    config = request.config
    manifest: dict[str, Any] = {
        "format": "forensic-case/1",
        "report_id": str(uuid.uuid4()),
        "case_id": request.case_id,
        "examiner": request.examiner,
        "status": "running",
        "started_utc": utc_now(),
        "ended_utc": None,
        **session_record(request.argv),
        "engine": "local",
        "inputs": list(request.paths),
        "config": config.to_dict(),
        "config_sha256": config.hash(),
        "clocks": CLOCKS,
    }
    case.write_manifest(manifest)
    segment_count = 0
    try:
        segment_count = _scan_items(items, case, config, progress)
        if config.rehash_at_end:
            _rehash_all(items, case, progress)
        manifest["status"] = "complete"
    except KeyboardInterrupt:
        manifest["status"] = "interrupted"
        case.record_problem(Problem(Severity.ERROR, "scan", "scan interrupted by the user (Ctrl-C)"))
        raise
    except BaseException as exc:
        manifest["status"] = "error"
        case.record_problem(Problem(Severity.CRITICAL, "scan", f"scan stopped by an internal error: {exc!r}"))
        raise
    finally:
        exit_code = EXIT_SOME_FAILED if _any_failed(items) else EXIT_OK
        _finish(case, manifest, items, segment_count, exit_code)
    return ScanOutcome(case, items, segment_count, exit_code, manifest)


def _scan_items(items: list[EvidenceItem], case: CaseFolder, config: ScanConfig, progress: Progress) -> int:
    total = len(items)
    for n, item in enumerate(items, 1):
        progress(f"[{n}/{total}] hashing {item.path}")
        intake.hash_item(item)
    groups = intake.mark_duplicates(items)
    segment_count = 0
    for n, item in enumerate(items, 1):
        if item.duplicate_of is None and item.status == EvidenceStatus.PENDING:
            progress(f"[{n}/{total}] segmenting {item.path}")
            try:
                segment_count += _analyse(item, case, config)
            except Exception as exc:  # noqa: BLE001 - one bad file never stops the scan
                item.status = EvidenceStatus.FAILED
                item.reason = f"internal error while analysing: {type(exc).__name__}: {exc}"
                case.record_problem(
                    Problem(Severity.ERROR, "segments", traceback.format_exc(), item.path, item.sha256)
                )
    for group in groups.values():
        for dup in group[1:]:
            intake.copy_outcome(group[0], dup)
    for item in items:
        _record_item_problems(item, case)
    return segment_count


def _analyse(item: EvidenceItem, case: CaseFolder, config: ScanConfig) -> int:
    info = intake.probe_item(item)
    if info is None:
        return 0
    expected = info.stream_duration_s or info.duration_s
    result = segment_file(item, config.segments, info.avg_fps or info.nominal_fps, info.stream_index, expected)
    if result.timeline is not None:
        case.write_timeline(item.sha256, result.timeline)
    case.append_segments(result.segments)
    return len(result.segments)


def _record_item_problems(item: EvidenceItem, case: CaseFolder) -> None:
    if item.status in (EvidenceStatus.FAILED, EvidenceStatus.PARTIAL):
        case.record_problem(Problem(Severity.ERROR, "intake", f"{item.status}: {item.reason}", item.path, item.sha256))
    elif item.status == EvidenceStatus.SKIPPED:
        case.record_problem(Problem(Severity.INFO, "intake", f"skipped: {item.reason}", item.path, item.sha256))
    for warning in item.warnings:
        case.record_problem(Problem(Severity.WARNING, "intake", warning, item.path, item.sha256))


def _rehash_all(items: list[EvidenceItem], case: CaseFolder, progress: Progress) -> None:
    for item in items:
        if item.sha256 is None:
            continue
        progress(f"re-hashing {item.path}")
        if intake.rehash(item) is False:
            msg = (
                f"EVIDENCE CHANGED OR UNREADABLE DURING THE SCAN: SHA-256 was {item.sha256}, "
                f"now {item.sha256_after or 'unreadable'}"
            )
            case.record_problem(Problem(Severity.CRITICAL, "hash", msg, item.path, item.sha256))
            print(f"forensic: {item.path}: {msg}", file=sys.stderr)


def _any_failed(items: list[EvidenceItem]) -> bool:
    return any(
        i.status in (EvidenceStatus.FAILED, EvidenceStatus.PARTIAL, EvidenceStatus.PENDING) or i.hash_verified is False
        for i in items
    )


def summarize(items: list[EvidenceItem], segment_count: int) -> dict[str, Any]:
    by_status: dict[str, int] = {}
    for item in items:
        by_status[str(item.status)] = by_status.get(str(item.status), 0) + 1
    analysed = [i for i in items if i.duplicate_of is None and i.duration_s]
    return {
        "inputs": len(items),
        "by_status": dict(sorted(by_status.items())),
        "footage_files": sum(1 for i in items if i.is_footage),
        "unique_footage_files": sum(1 for i in items if i.is_footage and i.duplicate_of is None),
        "duplicates": sum(1 for i in items if i.duplicate_of is not None),
        "segments": segment_count,
        "footage_seconds": round(sum(i.duration_s for i in analysed), 6),
        "evidence_changed": [i.path for i in items if i.hash_verified is False],
    }


def _finish(case: CaseFolder, manifest: dict[str, Any], items: list[EvidenceItem], segments: int, exit_code: int) -> None:
    case.write_evidence(items)
    manifest["ended_utc"] = utc_now()
    manifest["summary"] = summarize(items, segments)
    manifest["exit_code"] = exit_code
    manifest["outputs_sha256"] = case.output_hashes()
    case.write_manifest(manifest)


def default_maskrcnn_weights() -> str:
    """models/mask_rcnn_coco.h5 beside the package (the checkout's models/ folder)."""
    import os

    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "models",
                        "mask_rcnn_coco.h5")  # fmt: skip


def features_of_segment(video: str, segment_index: int, out_dir: str, segmenter: str = "auto",
                        maskrcnn_weights: str | None = None, config: ScanConfig | None = None) -> dict[str, Any]:  # fmt: skip
    """intake -> segments -> features -> store for one segment of one file, written to ``out_dir``.

    Raises FileNotFoundError / CaseFolderError for usage errors (``out_dir`` may not lie among
    the evidence), ValueError for a segment index out of range or a file that is not footage.
    """
    import os

    from forensic.features import make_segmenter
    from forensic.features.faces import FaceFinder
    from forensic.features.segment import segment_features
    from forensic.store.case import check_location
    from forensic.store.features import write_segment_features

    config = config or ScanConfig()
    check_location(os.path.abspath(out_dir), [video])
    item = intake.discover([video])[0]
    info = intake.probe_item(item) if intake.hash_item(item) else None
    if info is None:
        raise ValueError(f"{video}: {item.status}: {item.reason}")
    result = segment_file(item, config.segments, info.avg_fps or info.nominal_fps, info.stream_index,
                          info.stream_duration_s or info.duration_s)  # fmt: skip
    if not 0 <= segment_index < len(result.segments):
        raise ValueError(f"{video} has {len(result.segments)} segments (0..{len(result.segments) - 1}); "
                         f"there is no segment {segment_index}")  # fmt: skip
    segment = result.segments[segment_index]
    faces = FaceFinder()
    weights = maskrcnn_weights or (default_maskrcnn_weights() if segmenter in ("auto", "pixellib") else None)
    seg = make_segmenter(segmenter, weights, faces)
    feats, imgs = segment_features(segment, seg, faces, info.stream_index, item.rotation or 0)
    written = write_segment_features(out_dir, segment, feats, imgs, extra={
        "evidence": {"path": item.path, "sha256": item.sha256, "rotation": item.rotation},
        "config_sha256": config.hash(),
    })  # fmt: skip
    return {"status": feats.status, "segmenter": feats.segmenter, "written": sorted(written),
            "timings_s": feats.timings_s, "pairs_found": int(feats.mask.sum())}  # fmt: skip
