"""The scan: intake -> segments -> features -> fusion model -> store, with any runner.

The driver (this module) owns the case folder: it hashes and probes the evidence, hands file
chunks and segments to a runner (in-process or Ray), and writes every result as it arrives, so
memory stays bounded and nothing finished is lost. Re-running the same scan into the same case
folder resumes it: files already segmented are not decoded again, segments already done are
skipped, failed segments are tried again.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from forensic import intake
from forensic.config import ScanConfig
from forensic.engine import signals, stages
from forensic.engine.progress import Progress
from forensic.engine.signals import Terminated
from forensic.engine.work import WorkerSettings
from forensic.provenance import session_record, utc_now
from forensic.records import (
    CLOCKS,
    EvidenceItem,
    EvidenceStatus,
    FindingStatus,
    Problem,
    Severity,
    escape_path,
    unescape_path,
    visible,
)
from forensic.store.case import CaseFolder, CaseFolderError, check_target
from forensic.store.findings import FindingsWriter

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_SOME_FAILED = 3
EXIT_FAILED = 4  # the scan stopped after its case folder existed (I/O error, disk full, internal error)
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
EXIT_TERMINATED = 143  # SIGTERM (128 + SIGTERM)


class ScanStopped(Exception):
    """The scan stopped after its case folder existed: ``interrupted`` (Ctrl-C, SIGTERM) or
    ``failed`` (an error). The case folder says so (manifest.json status, problems.jsonl) as far
    as it could be written (``unrecorded`` lists what could not); the same command resumes it."""

    def __init__(
        self,
        status: str,
        exit_code: int,
        cause: BaseException,
        case_root: str,
        manifest_sha256: str | None = None,
        unrecorded: list[str] | None = None,
    ):
        self.status, self.exit_code, self.cause, self.case_root = status, exit_code, cause, case_root
        self.manifest_sha256 = manifest_sha256
        self.unrecorded = unrecorded or []
        super().__init__(f"scan {status}: {describe(cause)}")


def describe(exc: BaseException) -> str:
    """One line naming an exception, with its errno text (``No space left on device``)."""
    if isinstance(exc, Terminated):
        return "terminated (SIGTERM)"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (Ctrl-C)"
    text = str(exc) or type(exc).__name__
    return visible(f"{type(exc).__name__}: {text}")


SEGMENTERS = ("auto", "hog-face-grabcut", "pixellib", "mediapipe-selfie-pose")


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
    face_detector: str = "auto"  # auto: the face detector the model was trained with
    maskrcnn_weights: str | None = None
    threshold: float | None = None  # None: the model's
    engine: str = "ray"  # "ray" or "local"
    address: str | None = None  # Ray cluster to join; None: RAY_ADDRESS or a local Ray
    workers: int | None = None  # segment workers; None: one per CPU of the cluster
    gpus_per_worker: float = 0.0
    report: bool = True
    coappear: bool = True  # link people across segments at the end (forensic.coappear)
    hash_list: str | None = None  # acquisition hash list checked before analysis
    argv: list[str] = field(default_factory=lambda: list(sys.argv))


@dataclass
class ScanOutcome:
    case: CaseFolder
    items: list[EvidenceItem]
    segment_count: int
    exit_code: int
    manifest: dict[str, Any]
    findings: Any = None  # pandas DataFrame of findings.parquet
    manifest_sha256: str | None = None  # of manifest.json as the scan (and its report) left it

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
    from forensic.resources import default_model_dir as packaged_or_checkout

    return packaged_or_checkout()


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

        return RayRunner(
            settings, address=request.address, workers=request.workers, gpus_per_worker=request.gpus_per_worker
        )
    raise ValueError(f"unknown engine {request.engine!r}: ray or local")


def run_scan(request: ScanRequest, progress: Progress | None = None) -> ScanOutcome:
    """Scan every input into a case folder (new, or the same scan's, to resume it).

    Raises FileNotFoundError, CaseFolderError, ValueError or ModelIntegrityError for usage errors,
    before anything is written; :class:`ScanStopped` when the scan stops after its case folder
    exists (Ctrl-C, SIGTERM, an I/O error such as a full disk, an internal error), after recording
    how it ended. Leaves the caller's SIGINT and SIGTERM handlers as it found them (Ray's start
    installs one of its own).
    """
    with signals.kept():
        return _scan(request, progress)


def _scan(request: ScanRequest, progress: Progress | None) -> ScanOutcome:
    from forensic.intake import hashlist as hashlists
    from forensic.model import load_model

    progress = progress or Progress("quiet")
    config = request.config
    items = intake.discover(request.paths)
    check_target(request.case_dir, request.paths)  # before a model loads or a cluster starts
    from forensic.model.architecture import FRAMES

    if config.segments.samples != FRAMES:  # every segment would be unclassifiable ("still" or failed)
        raise ValueError(
            f"the model reads {FRAMES} sample frames a segment (the paper's): --samples {config.segments.samples} "
            "cannot be classified by it"
        )
    hashes = hashlists.parse(request.hash_list) if request.hash_list else None
    model_dir = request.model_dir or default_model_dir()
    if not os.path.isdir(model_dir):
        raise FileNotFoundError(f"no model at {model_dir}: train one with `forensic train` or pass --model")
    model = load_model(model_dir)  # refuses a model whose files do not match their hashes
    from forensic.resources import default_maskrcnn_weights

    weights = request.maskrcnn_weights or default_maskrcnn_weights()
    segmenter = resolve_segmenter(request.segmenter, model.segmenter, weights)
    from forensic.features.detectors import model_face_detector, resolve_face_detector

    face_detector = resolve_face_detector(request.face_detector, model_face_detector(model.card))
    threshold = model.threshold if request.threshold is None else float(request.threshold)
    if not 0.0 <= threshold <= 1.0:
        raise ValueError("the threshold is a probability: between 0 and 1")
    identity = {
        "inputs": [escape_path(os.path.abspath(p)) for p in request.paths],
        "config_sha256": config.hash(),
        "model_sha256": model.sha256,
        "segmenter": segmenter,
        "face_detector": face_detector,
        "threshold": threshold,
    }
    if request.engine == "ray":  # a cluster that cannot be joined is a usage error: nothing written yet
        from forensic.engine.ray_engine import connect

        connect(request.address)
    case, manifest = CaseFolder.open_for_scan(request.case_dir, request.paths, identity)  # locked from here
    try:
        return _run_in(
            case,
            manifest,
            items,
            hashes,
            model,
            model_dir,
            segmenter,
            weights,
            threshold,
            identity,
            request,
            progress,
            face_detector,
        )
    except ScanStopped:
        raise
    except KeyboardInterrupt as exc:  # before the scan's own handling began
        code = EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
        raise ScanStopped("interrupted", code, exc, case.root) from exc
    except Exception as exc:  # noqa: BLE001 - after the case folder exists nothing is a usage error
        raise ScanStopped("failed", EXIT_FAILED, exc, case.root) from exc
    finally:
        case.close()


def _run_in(
    case: CaseFolder,
    manifest: dict[str, Any] | None,
    items: list[EvidenceItem],
    hashes,
    model,
    model_dir: str,
    segmenter: str,
    weights: str | None,
    threshold: float,
    identity: dict[str, Any],
    request: ScanRequest,
    progress: Progress,
    face_detector: str | None = None,
) -> ScanOutcome:
    config = request.config
    argv = [visible(a) for a in request.argv]
    resumed = manifest is not None
    settings = WorkerSettings(
        model_dir=os.path.abspath(model_dir),
        model_sha256=model.sha256,
        model_name=model.name,
        segmenter=segmenter,
        maskrcnn_weights=weights if segmenter == "pixellib" else None,
        threshold=threshold,
        config_sha256=config.hash(),
        face_detector=face_detector,
    )
    session = {
        "started_utc": utc_now(),
        "ended_utc": None,
        "status": "running",
        "resumed": resumed,
        "command_line": argv,
        "engine": request.engine,
        "pid": os.getpid(),
    }
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
            **session_record(argv),
            "engine": request.engine,
            "identity": identity,
            "inputs": [escape_path(p) for p in request.paths],
            "config": config.to_dict(),
            "config_sha256": config.hash(),
            "clocks": CLOCKS,
            "model": {
                "name": model.name,
                "sha256": model.sha256,
                "dir": escape_path(os.path.abspath(model_dir)),
                "segmenter": model.segmenter,
                "threshold": threshold,
                "card": model.card,
            },
            "segmenter": segmenter,
            "face_detector": face_detector,
            "sessions": [],
        }
    manifest["status"] = "running"
    manifest.setdefault("sessions", []).append(session)
    fact_problems = _resumed_case_facts(manifest, session, request) if resumed else []
    case.write_manifest(manifest)
    if case.recovered:
        msg = "an earlier scan into this folder stopped before it wrote its first manifest.json; started again"
        case.record_problem(Problem(Severity.WARNING, "scan", msg))
    if resumed:
        case.record_problem(Problem(Severity.INFO, "scan", "scan resumed into the same case folder"))
        for problem in fact_problems:
            case.record_problem(problem)
        earlier = manifest["sessions"][:-1]
        if earlier and isinstance(earlier[-1], dict) and earlier[-1].get("status") == "running":
            msg = (
                f"the session started {earlier[-1].get('started_utc')} ended without recording how (killed, power "
                "cut, or a full disk); what it finished is kept"
            )
            case.record_problem(Problem(Severity.WARNING, "scan", msg))
    writer = FindingsWriter(case.root)
    runner = None
    segment_count = 0
    findings = None
    seen: dict[str, Any] = {}  # problems recorded per item, so each goes to problems.jsonl once, as it happens
    atimes: dict[str, int] = {}
    stop: BaseException | None = None
    try:
        with signals.sigterm_interrupts():
            atimes = intake.access_times(items)
            runner = make_runner(request, settings)
            signals.sigterm_raises()  # again: starting a cluster may have installed a handler of its own
            manifest["cluster"] = session["cluster"] = runner.cluster()
            timings = session["timings_s"] = {}
            t = time.monotonic()
            probes = stages.intake_all(items, progress, case, seen)
            if _no_footage(items):  # the wrong folder, or an empty one: say so, exit 3
                what = f"none of the {len(items)} input file(s) is footage" if items else "the inputs hold no files"
                case.record_problem(Problem(Severity.ERROR, "intake", f"no footage to analyse: {what}"))
                progress(f"no footage to analyse: {what}")
            if resumed:
                _changed_between_sessions(case, items, manifest)
            case.write_evidence(items)  # the next session compares its hashes with these
            if hashes is not None:
                _check_hash_list(items, hashes, case, manifest, progress)
            timings["intake"] = round(time.monotonic() - t, 3)
            analysis = stages.Analysis(items, probes, case, runner, writer, settings, progress)
            segment_count = stages.cut_and_gate(analysis, config, seen, timings)  # a file is gated as soon as it is cut
            t = time.monotonic()
            stages.analyse_segments(analysis)
            timings["features_and_model"] = round(time.monotonic() - t, 3)
            t = time.monotonic()
            for group in intake.mark_duplicates(items).values():
                for dup in group[1:]:
                    intake.copy_outcome(group[0], dup)
            for item in items:
                stages.record_item_problems(item, case, seen)
            if config.rehash_at_end:
                stages.rehash_all(items, case, progress)
            timings["rehash"] = round(time.monotonic() - t, 3)
            manifest["status"] = session["status"] = "complete"
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated)
        stop = exc
        manifest["status"] = session["status"] = "interrupted"
    except SystemExit as exc:  # a library's own signal handler exiting
        stop = Terminated()
        stop.__cause__ = exc
        manifest["status"] = session["status"] = "interrupted"
    except Exception as exc:  # noqa: BLE001 - recorded in the case folder, then raised as ScanStopped
        stop = exc
        manifest["status"] = session["status"] = "failed"

    unrecorded: list[str] = []

    def attempt(what: str, fn, *args, **kw):
        """The error path must never raise again and hide the cause: note what could not be done."""
        try:
            return fn(*args, **kw)
        except Exception as exc:  # noqa: BLE001
            unrecorded.append(f"{what}: {describe(exc)}")
            return None

    manifest_sha = None
    with signals.deferred():  # a second Ctrl-C or SIGTERM must not cut the record of the first short
        if stop is not None:
            how = "interrupted" if isinstance(stop, KeyboardInterrupt) else "stopped by an error"
            attempt(
                "problems.jsonl",
                case.record_problem,
                Problem(
                    Severity.ERROR if isinstance(stop, KeyboardInterrupt) else Severity.CRITICAL,
                    "scan",
                    f"scan {how}: {describe(stop)}; nothing finished is lost: run the same command to resume",
                ),
            )
        if runner is not None:
            attempt("closing the runner", runner.close)
        attempt("access times", _restore_access_times, items, atimes, case)
        current = {i.sha256: escape_path(i.path) for i in items if i.sha256 and i.duplicate_of is None}
        order = [escape_path(i.path) for i in items]
        findings = attempt("findings.parquet", writer.consolidate, order=order, current=current)
        attempt("problems.jsonl", _record_superseded, case, writer.superseded)
        attempt("segments.csv", stages.write_segments_csv, case, items)
        failed_segments = 0
        if findings is not None and len(findings):
            failed_segments = int((findings["status"] == str(FindingStatus.FAILED)).sum())
        hash_list_ok = (manifest.get("hash_list") or {}).get("ok", True)
        some_failed = _any_failed(items) or failed_segments or not hash_list_ok or _no_footage(items)
        exit_code = EXIT_SOME_FAILED if some_failed or manifest.get("evidence_changed_between_sessions") else EXIT_OK
        if stop is None and unrecorded:
            stop = OSError("; ".join(unrecorded))
            manifest["status"] = session["status"] = "failed"
        if stop is not None:
            exit_code = EXIT_FAILED
            if isinstance(stop, KeyboardInterrupt):
                exit_code = EXIT_TERMINATED if isinstance(stop, Terminated) else EXIT_INTERRUPTED
            session["error"] = describe(stop)
            if unrecorded:
                session["unrecorded"] = list(unrecorded)
        session["ended_utc"] = utc_now()
        manifest_sha = attempt("manifest.json", _finish, case, manifest, items, segment_count, exit_code, findings)
    if stop is not None:
        raise ScanStopped(str(manifest["status"]), exit_code, stop, case.root, manifest_sha, unrecorded) from stop
    if request.coappear and manifest["status"] == "complete":
        from forensic.coappear import after_scan

        after_scan(case.root, progress)
    if request.report and manifest["status"] == "complete":
        try:
            with signals.sigterm_interrupts():
                _report(case, progress, request)
        except KeyboardInterrupt as exc:
            attempt(
                "problems.jsonl",
                case.record_problem,
                Problem(
                    Severity.ERROR,
                    "report",
                    (f"report {describe(exc)}: the scan is complete; run `forensic report CASE_DIR` to write it"),
                ),
            )
            raise ScanStopped(
                "interrupted",
                EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED,
                exc,
                case.root,
                attempt("manifest.json", case.manifest_sha256),
                unrecorded,
            ) from exc
    manifest_sha = case.manifest_sha256()
    return ScanOutcome(case, items, segment_count, exit_code, manifest, findings, manifest_sha)


def _restore_access_times(items: list[EvidenceItem], atimes: dict[str, int], case: CaseFolder) -> None:
    for item in intake.restore_access_times(items, atimes):
        sev = Severity.INFO if item.atime and item.atime.startswith("restored") else Severity.WARNING
        case.record_problem(Problem(sev, "intake", f"access time {item.atime}", item.path, item.sha256))


def _changed_between_sessions(case: CaseFolder, items: list[EvidenceItem], manifest: dict[str, Any]) -> list[str]:
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


def _record_superseded(case: CaseFolder, superseded) -> None:
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


def _check_hash_list(
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


def _resumed_case_facts(manifest: dict[str, Any], session: dict[str, Any], request) -> list[Problem]:
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


def _no_footage(items: list[EvidenceItem]) -> bool:
    """No input is video, readable or not (all skipped, or none at all). After intake the footage
    is still ``pending``, which :attr:`EvidenceItem.is_footage` does not count yet."""
    return all(i.status == EvidenceStatus.SKIPPED for i in items)


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
        "evidence_changed": [escape_path(i.path) for i in items if i.hash_verified is False],
    }
    if findings is not None:
        counts = findings["status"].value_counts().to_dict() if len(findings) else {}
        out["findings_by_status"] = {str(k): int(v) for k, v in sorted(counts.items())}
        out["flagged"] = int((findings["label"] == "stalking").sum()) if len(findings) else 0
    return out


def _finish(
    case: CaseFolder, manifest: dict[str, Any], items: list[EvidenceItem], segments: int, exit_code: int, findings
) -> str:
    """evidence.csv and the final manifest.json; returns the manifest's SHA-256."""
    case.write_evidence(items)
    manifest["ended_utc"] = utc_now()
    manifest["summary"] = summarize(items, segments, findings)
    manifest["exit_code"] = exit_code
    manifest["outputs_sha256"] = case.output_hashes()
    return case.write_manifest(manifest)


def _report(case: CaseFolder, progress: Progress, request: ScanRequest) -> None:
    """The HTML and PDF report, at the end of every complete scan."""
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


__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_SOME_FAILED",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "CaseFolderError",
    "ScanOutcome",
    "ScanRequest",
    "ScanStopped",
    "run_scan",
]
