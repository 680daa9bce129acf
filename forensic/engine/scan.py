"""The scan: intake -> segments -> features -> fusion model -> store, with any runner.

The driver (this module) owns the case folder: it hashes and probes the evidence, hands file
chunks and segments to a runner (in-process or Ray), and writes every result as it arrives, so
memory stays bounded and nothing finished is lost. Re-running the same scan into the same case
folder resumes it: files already segmented are not decoded again, segments already done are
skipped, failed segments are tried again.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from forensic import intake
from forensic.config import ScanConfig
from forensic.engine.progress import Progress
from forensic.engine.work import SegmentOutcome, SegmentTask, WorkerSettings, features_dir_for
from forensic.records import CLOCKS, EvidenceItem, EvidenceStatus, FindingStatus, Problem, Segment, Severity
from forensic.segments import finish_file, plan_file
from forensic.store.case import CaseFolder, CaseFolderError, write_atomic
from forensic.store.features import write_bundle
from forensic.store.findings import FindingsWriter, resume_key
from forensic.store.provenance import session_record, utc_now

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_SOME_FAILED = 3

SEGMENTERS = ("auto", "hog-face-grabcut", "pixellib")


@dataclass
class ScanRequest:
    paths: list[str]
    case_dir: str
    case_id: str | None = None
    examiner: str | None = None
    agency: str | None = None
    config: ScanConfig = field(default_factory=ScanConfig)
    model_dir: str | None = None  # None: the default model in models/
    segmenter: str = "auto"  # auto: the segmenter the model was trained with
    maskrcnn_weights: str | None = None
    threshold: float | None = None  # None: the model's
    engine: str = "ray"  # "ray" or "local"
    address: str | None = None  # Ray cluster to join; None: RAY_ADDRESS or a local Ray
    workers: int | None = None  # segment workers; None: one per CPU of the cluster
    gpus_per_worker: float = 0.0
    report: bool = True
    argv: list[str] = field(default_factory=lambda: list(sys.argv))


@dataclass
class ScanOutcome:
    case: CaseFolder
    items: list[EvidenceItem]
    segment_count: int
    exit_code: int
    manifest: dict[str, Any]
    findings: Any = None  # pandas DataFrame of findings.parquet

    @property
    def failed(self) -> list[EvidenceItem]:
        return [i for i in self.items if i.status in (EvidenceStatus.FAILED, EvidenceStatus.PARTIAL)]

    @property
    def changed(self) -> list[EvidenceItem]:
        return [i for i in self.items if i.hash_verified is False]

    @property
    def failed_segments(self) -> int:
        if self.findings is None or len(self.findings) == 0:
            return 0
        return int((self.findings["status"] == str(FindingStatus.FAILED)).sum())


def default_model_dir() -> str:
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(here, "models", "default")


def resolve_segmenter(requested: str, model_segmenter: str, weights: str | None) -> str:
    """``auto`` is the segmenter the model was trained on; asking for another one is refused,
    because a model trained on one segmenter's frames is not valid on another's."""
    if requested not in SEGMENTERS:
        raise ValueError(f"unknown segmenter {requested!r}: {', '.join(SEGMENTERS)}")
    wanted = model_segmenter if requested == "auto" else requested
    name = "pixellib" if wanted.startswith("pixellib") else wanted
    if requested != "auto" and not model_segmenter.startswith(name):
        raise ValueError(
            f"the model was trained on frames of the {model_segmenter!r} segmenter; scanning with {requested!r} "
            "would give meaningless scores. Use --segmenter auto, or a model trained on that segmenter"
        )
    if name == "pixellib" and not (weights and os.path.isfile(weights)):
        raise FileNotFoundError(
            f"the model needs the pixellib segmenter, whose weights are missing ({weights}); "
            "put mask_rcnn_coco.h5 in models/ or pass --maskrcnn-weights (see `forensic models fetch`)"
        )
    return name


def make_runner(request: ScanRequest, settings: WorkerSettings):
    if request.engine == "local":
        from forensic.engine.runners import LocalRunner

        return LocalRunner(settings)
    if request.engine == "ray":
        from forensic.engine.ray_engine import RayRunner

        return RayRunner(settings, address=request.address, workers=request.workers,
                         gpus_per_worker=request.gpus_per_worker)  # fmt: skip
    raise ValueError(f"unknown engine {request.engine!r}: ray or local")


def run_scan(request: ScanRequest, progress: Progress | None = None) -> ScanOutcome:
    """Scan every input into a case folder (new, or the same scan's, to resume it).

    Raises FileNotFoundError, CaseFolderError or ValueError for usage errors, before anything is
    written.
    """
    from forensic.model import load_model

    progress = progress or Progress("quiet")
    config = request.config
    items = intake.discover(request.paths)
    model_dir = request.model_dir or default_model_dir()
    if not os.path.isdir(model_dir):
        raise FileNotFoundError(f"no model at {model_dir}: train one with `forensic train` or pass --model")
    model = load_model(model_dir)  # refuses a model whose files do not match their hashes
    from forensic.engine.local import default_maskrcnn_weights

    weights = request.maskrcnn_weights or default_maskrcnn_weights()
    segmenter = resolve_segmenter(request.segmenter, model.segmenter, weights)
    threshold = model.threshold if request.threshold is None else float(request.threshold)
    if not 0.0 <= threshold <= 1.0:
        raise ValueError("the threshold is a probability: between 0 and 1")
    identity = {
        "inputs": [os.path.abspath(p) for p in request.paths],
        "config_sha256": config.hash(),
        "model_sha256": model.sha256,
        "segmenter": segmenter,
        "threshold": threshold,
    }
    case, manifest = CaseFolder.open_for_scan(request.case_dir, request.paths, identity)
    resumed = manifest is not None
    settings = WorkerSettings(model_dir=os.path.abspath(model_dir), model_sha256=model.sha256, model_name=model.name,
                              segmenter=segmenter, maskrcnn_weights=weights if segmenter == "pixellib" else None,
                              threshold=threshold, config_sha256=config.hash())  # fmt: skip
    session = {"started_utc": utc_now(), "ended_utc": None, "status": "running", "resumed": resumed,
               "command_line": list(request.argv), "engine": request.engine}  # fmt: skip
    if manifest is None:
        manifest = {
            "format": "forensic-case/1",
            "report_id": str(uuid.uuid4()),
            "case_id": request.case_id,
            "examiner": request.examiner,
            "agency": request.agency,
            "status": "running",
            "started_utc": session["started_utc"],
            "ended_utc": None,
            **session_record(request.argv),
            "engine": request.engine,
            "identity": identity,
            "inputs": list(request.paths),
            "config": config.to_dict(),
            "config_sha256": config.hash(),
            "clocks": CLOCKS,
            "model": {"name": model.name, "sha256": model.sha256, "dir": os.path.abspath(model_dir),
                      "segmenter": model.segmenter, "threshold": threshold, "card": model.card},  # fmt: skip
            "segmenter": segmenter,
            "sessions": [],
        }
    manifest["status"] = "running"
    manifest.setdefault("sessions", []).append(session)
    case.write_manifest(manifest)
    if resumed:
        case.record_problem(Problem(Severity.INFO, "scan", "scan resumed into the same case folder"))
    writer = FindingsWriter(case.root)
    runner = None
    segment_count = 0
    findings = None
    try:
        runner = make_runner(request, settings)
        manifest["cluster"] = session["cluster"] = runner.cluster()
        timings = session["timings_s"] = {}
        t = time.monotonic()
        probes = _intake(items, progress)
        timings["intake"] = round(time.monotonic() - t, 3)
        t = time.monotonic()
        segment_count = _segment_all(items, probes, case, config, runner, progress)
        timings["segments"] = round(time.monotonic() - t, 3)
        t = time.monotonic()
        _analyse_segments(items, probes, case, runner, writer, settings, progress)
        timings["features_and_model"] = round(time.monotonic() - t, 3)
        t = time.monotonic()
        for group in intake.mark_duplicates(items).values():
            for dup in group[1:]:
                intake.copy_outcome(group[0], dup)
        for item in items:
            _record_item_problems(item, case)
        if config.rehash_at_end:
            _rehash_all(items, case, progress)
        timings["rehash"] = round(time.monotonic() - t, 3)
        manifest["status"] = session["status"] = "complete"
    except KeyboardInterrupt:
        manifest["status"] = session["status"] = "interrupted"
        case.record_problem(Problem(Severity.ERROR, "scan", "scan interrupted (Ctrl-C); run the same command to resume"))
        raise
    except BaseException as exc:
        manifest["status"] = session["status"] = "error"
        case.record_problem(Problem(Severity.CRITICAL, "scan", f"scan stopped by an internal error: {exc!r}"))
        raise
    finally:
        if runner is not None:
            runner.close()
        findings = writer.consolidate(order=[i.path for i in items])
        _write_segments_csv(case, items)
        failed_segments = int((findings["status"] == str(FindingStatus.FAILED)).sum()) if len(findings) else 0
        exit_code = EXIT_SOME_FAILED if (_any_failed(items) or failed_segments) else EXIT_OK
        session["ended_utc"] = utc_now()
        _finish(case, manifest, items, segment_count, exit_code, findings)
    if request.report and manifest["status"] == "complete":
        _report(case, progress, request)
    return ScanOutcome(case, items, segment_count, exit_code, manifest, findings)


# -- intake -----------------------------------------------------------------------------------


def _intake(items: list[EvidenceItem], progress: Progress) -> dict[str, Any]:
    """Hash everything, then probe each distinct file once; returns the probes by path."""
    probes: dict[str, Any] = {}
    total = len(items)
    for n, item in enumerate(items, 1):
        progress(f"[{n}/{total}] hashing {item.path}")
        intake.hash_item(item)
    intake.mark_duplicates(items)
    for item in items:
        if item.duplicate_of is None and item.status == EvidenceStatus.PENDING:
            info = intake.probe_item(item)
            if info is not None:
                probes[item.path] = info
    return probes


# -- segments ---------------------------------------------------------------------------------


def _segment_cache(case: CaseFolder, sha256: str) -> str:
    return case.path(os.path.join("segments", f"{sha256}.json"))


_CACHED_FIELDS = (
    "status", "reason", "time_base", "avg_fps", "variable_frame_rate", "frame_interval_min_s",
    "frame_interval_max_s", "frame_count", "duration_s", "start_pts", "start_pts_s", "decode_errors",
    "segment_count",
)  # fmt: skip


def _segment_all(items: list[EvidenceItem], probes: dict[str, Any], case: CaseFolder, config: ScanConfig, runner,
                 progress: Progress) -> int:  # fmt: skip
    """Segment every pending footage file: from the case folder's cache when a previous run of
    this scan did it, else by chunks on the runner. Returns the number of segments."""
    todo: dict[str, tuple[EvidenceItem, list, float | None]] = {}
    chunks = []
    count = 0
    for item in items:
        info = probes.get(item.path)
        if info is None or item.status != EvidenceStatus.PENDING:
            continue
        cached = _segment_cache(case, item.sha256)
        if os.path.isfile(cached):
            with open(cached, encoding="utf-8") as f:
                data = json.load(f)
            for name in _CACHED_FIELDS:
                setattr(item, name, data["item"][name])
            item.status = EvidenceStatus(data["item"]["status"])
            item.warnings += [w for w in data["item"]["warnings"] if w not in item.warnings]
            count += len(data["segments"])
            continue
        expected = info.stream_duration_s or info.duration_s
        file_chunks = plan_file(item, config.segments, info.avg_fps or info.nominal_fps, info.stream_index, expected)
        todo[item.sha256] = (item, [], expected)
        chunks += file_chunks
    if not chunks:
        return count
    progress(f"segmenting {len(todo)} file(s) in {len(chunks)} chunk(s)")
    need = {sha: sum(1 for c in chunks if c.sha256 == sha) for sha in todo}
    for result in runner.detect_chunks(chunks, config.segments):
        item, got, expected = todo[result.chunk.sha256]
        got.append(result)
        if len(got) < need[item.sha256]:
            continue
        seg = finish_file(item, config.segments, got, expected)
        if seg.timeline is not None:
            case.write_timeline(item.sha256, seg.timeline)
        cache = {
            "item": {**{name: getattr(item, name) for name in _CACHED_FIELDS}, "status": str(item.status),
                     "warnings": item.warnings},  # fmt: skip
            "detector": seg.detector,
            "cuts": seg.cuts,
            "segments": [s.to_dict() for s in seg.segments],
        }
        os.makedirs(os.path.dirname(_segment_cache(case, item.sha256)), exist_ok=True)
        write_atomic(_segment_cache(case, item.sha256), json.dumps(cache).encode())
        count += len(seg.segments)
        progress(f"segmented {item.path}: {len(seg.segments)} segment(s), {item.status}")
    return count


def _load_segments(case: CaseFolder, item: EvidenceItem) -> list[Segment]:
    path = _segment_cache(case, item.sha256)
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    names = {f.name for f in dataclasses.fields(Segment)}
    out = []
    for d in data["segments"]:
        d = {k: v for k, v in d.items() if k in names}
        for k in ("sample_frames", "sample_pts", "sample_s", "flags"):
            d[k] = tuple(d[k])
        out.append(Segment(**d))
    return out


def _write_segments_csv(case: CaseFolder, items: list[EvidenceItem]) -> None:
    from forensic.store.case import SEGMENT_COLUMNS, SEGMENTS, _csv_bytes

    rows = []
    for item in items:
        if item.duplicate_of is None and item.sha256:
            rows += [s.to_row() for s in _load_segments(case, item)]
    write_atomic(case.path(SEGMENTS), _csv_bytes(SEGMENT_COLUMNS, rows))


# -- features and model -----------------------------------------------------------------------


def _analyse_segments(items, probes: dict[str, Any], case: CaseFolder, runner, writer: FindingsWriter,
                      settings: WorkerSettings, progress: Progress) -> None:  # fmt: skip
    done = writer.done_keys()
    todo: list[tuple[EvidenceItem, int]] = []
    total = 0
    for item in items:
        if item.duplicate_of is None and item.status in (EvidenceStatus.ANALYSED, EvidenceStatus.PARTIAL):
            segs = _load_segments(case, item)
            left = sum(1 for s in segs if resume_key(s.key, settings.model_sha256, settings.config_sha256) not in done)
            total += left
            todo.append((item, left))
    progress.start_segments(total)
    if total == 0:
        return

    def tasks() -> Iterator[SegmentTask]:  # one file's segments in memory at a time
        for item, left in todo:
            if not left:
                continue
            info = probes.get(item.path)
            stream = info.stream_index if info is not None else None
            for seg in _load_segments(case, item):
                if resume_key(seg.key, settings.model_sha256, settings.config_sha256) in done:
                    continue
                yield SegmentTask(seg, stream, item.rotation or 0, features_dir_for(seg))

    def on_error(task: SegmentTask, attempt: int, text: str) -> None:
        case.record_problem(Problem(Severity.WARNING, "segment",
                                    f"segment {task.segment.index} attempt {attempt} failed: {text}",
                                    task.segment.path, task.segment.sha256))  # fmt: skip

    for outcome in runner.process_segments(tasks(), on_error=on_error):
        _store_outcome(case, writer, outcome)
        progress.segment_done(outcome.task.segment.duration_s, str(outcome.finding.status))
    writer.flush()


def _store_outcome(case: CaseFolder, writer: FindingsWriter, outcome: SegmentOutcome) -> None:
    if outcome.bundle is not None:
        write_bundle(case.path(outcome.task.features_dir), outcome.bundle)  # features before the row
    if outcome.finding.status == FindingStatus.FAILED:
        case.record_problem(Problem(Severity.ERROR, "segment", f"segment {outcome.finding.segment_index} failed after "
                                    f"{outcome.finding.attempts} attempt(s): {outcome.finding.error}",
                                    outcome.finding.path, outcome.finding.sha256))  # fmt: skip
    writer.add(outcome.finding)


# -- end of scan ------------------------------------------------------------------------------


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
        "evidence_changed": [i.path for i in items if i.hash_verified is False],
    }
    if findings is not None:
        counts = findings["status"].value_counts().to_dict() if len(findings) else {}
        out["findings_by_status"] = {str(k): int(v) for k, v in sorted(counts.items())}
        out["flagged"] = int((findings["label"] == "stalking").sum()) if len(findings) else 0
    return out


def _finish(case: CaseFolder, manifest: dict[str, Any], items: list[EvidenceItem], segments: int, exit_code: int,
            findings) -> None:  # fmt: skip
    case.write_evidence(items)
    manifest["ended_utc"] = utc_now()
    manifest["summary"] = summarize(items, segments, findings)
    manifest["exit_code"] = exit_code
    manifest["outputs_sha256"] = case.output_hashes()
    case.write_manifest(manifest)


def _report(case: CaseFolder, progress: Progress, request: ScanRequest) -> None:
    """The HTML and PDF report, at the end of every complete scan."""
    from forensic.report import build_report

    try:
        build_report(case.root, agency=request.agency, argv=list(request.argv))
        progress("report written: " + case.path(os.path.join("report", "report.html")))
    except Exception as exc:  # noqa: BLE001 - the scan's results stand; the report can be rebuilt
        case.record_problem(Problem(Severity.ERROR, "report", f"report could not be built: {exc!r}; "
                                    "run `forensic report CASE_DIR`"))  # fmt: skip
        # problems.jsonl changed after the manifest recorded its hash: record it again
        manifest = json.loads(open(case.path("manifest.json"), encoding="utf-8").read())
        manifest["outputs_sha256"] = case.output_hashes()
        case.write_manifest(manifest)
        print(f"forensic: report could not be built: {exc}", file=sys.stderr)


__all__ = ["EXIT_OK", "EXIT_SOME_FAILED", "EXIT_USAGE", "CaseFolderError", "ScanOutcome", "ScanRequest", "run_scan"]
