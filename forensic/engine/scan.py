"""The scan: intake -> segments -> features -> fusion model -> store, with any runner.

The driver (this module) owns the case folder: it hashes and probes the evidence, hands file
chunks and segments to a runner (in-process or Ray), and writes every result as it arrives, so
memory stays bounded and nothing finished is lost. Re-running the same scan into the same case
folder resumes it: files already segmented are not decoded again, segments already done are
skipped, failed segments are tried again.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from forensic import intake
from forensic.config import ScanConfig
from forensic.engine.progress import Progress
from forensic.engine.work import SegmentOutcome, SegmentTask, WorkerSettings, features_dir_for
from forensic.fsutil import write_atomic
from forensic.provenance import session_record, utc_now
from forensic.records import (
    CLOCKS,
    EvidenceItem,
    EvidenceStatus,
    FindingStatus,
    Problem,
    Segment,
    Severity,
    escape_path,
    unescape_path,
    visible,
)
from forensic.segments import finish_file, plan_file
from forensic.store.case import CaseFolder, CaseFolderError
from forensic.store.features import write_bundle
from forensic.store.findings import FindingsWriter, resume_key

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_SOME_FAILED = 3
EXIT_FAILED = 4  # the scan stopped after its case folder existed (I/O error, disk full, internal error)
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
EXIT_TERMINATED = 143  # SIGTERM (128 + SIGTERM)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the scan's thread the way Ctrl-C raises KeyboardInterrupt."""


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
    how it ended.
    """
    from forensic.intake import hashlist as hashlists
    from forensic.model import load_model

    progress = progress or Progress("quiet")
    config = request.config
    items = intake.discover(request.paths)
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
    case.write_manifest(manifest)
    if case.recovered:
        msg = "an earlier scan into this folder stopped before it wrote its first manifest.json; started again"
        case.record_problem(Problem(Severity.WARNING, "scan", msg))
    if resumed:
        case.record_problem(Problem(Severity.INFO, "scan", "scan resumed into the same case folder"))
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
        with _signals_interrupt():
            atimes = intake.access_times(items)
            runner = make_runner(request, settings)
            _on_sigterm_interrupt()  # again: starting a cluster may have installed a handler of its own
            manifest["cluster"] = session["cluster"] = runner.cluster()
            timings = session["timings_s"] = {}
            t = time.monotonic()
            probes = _intake(items, progress, case, seen)
            if resumed:
                _changed_between_sessions(case, items, manifest)
            case.write_evidence(items)  # the next session compares its hashes with these
            if hashes is not None:
                _check_hash_list(items, hashes, case, manifest, progress)
            timings["intake"] = round(time.monotonic() - t, 3)
            t = time.monotonic()
            segment_count = _segment_all(items, probes, case, config, runner, progress, seen)
            timings["segments"] = round(time.monotonic() - t, 3)
            t = time.monotonic()
            if config.presence_gate:
                _gate_segments(items, probes, case, runner, writer, settings, progress)
            timings["gate"] = round(time.monotonic() - t, 3)
            t = time.monotonic()
            _analyse_segments(items, probes, case, runner, writer, settings, progress)
            timings["features_and_model"] = round(time.monotonic() - t, 3)
            t = time.monotonic()
            for group in intake.mark_duplicates(items).values():
                for dup in group[1:]:
                    intake.copy_outcome(group[0], dup)
            for item in items:
                _record_item_problems(item, case, seen)
            if config.rehash_at_end:
                _rehash_all(items, case, progress)
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
    with _signals_deferred():  # a second Ctrl-C or SIGTERM must not cut the record of the first short
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
        attempt("segments.csv", _write_segments_csv, case, items)
        failed_segments = 0
        if findings is not None and len(findings):
            failed_segments = int((findings["status"] == str(FindingStatus.FAILED)).sum())
        hash_list_ok = (manifest.get("hash_list") or {}).get("ok", True)
        some_failed = _any_failed(items) or failed_segments or not hash_list_ok
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
            with _signals_interrupt():
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


def _raise_terminated(signum, frame):
    raise Terminated()


def _on_sigterm_interrupt():
    """SIGTERM raises :class:`Terminated` in the main thread (returns the handler it replaced)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_terminated)


@contextlib.contextmanager
def _signals_interrupt():
    """SIGTERM raises :class:`Terminated` (a KeyboardInterrupt) in the main thread, so that a
    terminated scan ends the way Ctrl-C ends it: recorded, resumable."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = _on_sigterm_interrupt()
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextlib.contextmanager
def _signals_deferred():
    """Ctrl-C and SIGTERM ignored while the case folder records how the scan ended."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


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


# -- intake -----------------------------------------------------------------------------------


def _intake(
    items: list[EvidenceItem], progress: Progress, case: CaseFolder | None = None, seen: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Hash everything, then probe each distinct file once; returns the probes by path. Each
    item's problems go to problems.jsonl as soon as they are known."""
    probes: dict[str, Any] = {}
    total = len(items)
    progress.stage("hash", total)
    for n, item in enumerate(items, 1):
        progress(f"[{n}/{total}] hashing {escape_path(item.path)}")
        intake.hash_item(item)
        progress.advance("hash")
    progress.end_stage("hash")
    intake.mark_duplicates(items)
    for item, info in _probe_all(items):
        if info is not None:
            probes[item.path] = info
        if case is not None:
            _record_item_problems(item, case, seen)
    return probes


PROBE_THREADS = 4  # ffprobe runs (a process each, ~80 ms of mostly start-up) at once


def _probe_all(items: list[EvidenceItem]) -> Iterator[tuple[EvidenceItem, Any]]:
    """``(item, probe or None)`` for every item in order; the distinct pending ones are probed
    ``PROBE_THREADS`` at a time (each item is only touched by its own probe), so an archive of many
    short files does not wait for one ffprobe after another. Hashing stays sequential: one read
    stream at a time is what a disk (or a write blocker) serves best, and Ctrl-C stops it at once."""
    from concurrent.futures import ThreadPoolExecutor

    todo = [i for i in items if i.duplicate_of is None and i.status == EvidenceStatus.PENDING]
    if len(todo) <= 1:
        done = {id(i): intake.probe_item(i) for i in todo}
    else:
        with ThreadPoolExecutor(PROBE_THREADS, thread_name_prefix="probe") as pool:
            done = dict(zip((id(i) for i in todo), pool.map(intake.probe_item, todo)))
    for item in items:
        yield item, done.get(id(item))


# -- segments ---------------------------------------------------------------------------------


def _segment_cache(case: CaseFolder, sha256: str) -> str:
    return case.path(os.path.join("segments", f"{sha256}.json"))


_CACHED_FIELDS = (
    "status",
    "reason",
    "time_base",
    "avg_fps",
    "variable_frame_rate",
    "frame_interval_min_s",
    "frame_interval_max_s",
    "frame_count",
    "duration_s",
    "start_pts",
    "start_pts_s",
    "decode_errors",
    "segment_count",
)


def _segment_all(
    items: list[EvidenceItem],
    probes: dict[str, Any],
    case: CaseFolder,
    config: ScanConfig,
    runner,
    progress: Progress,
    seen: dict[str, Any] | None = None,
) -> int:
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
    progress.stage("chunks", len(chunks))
    need = {sha: sum(1 for c in chunks if c.sha256 == sha) for sha in todo}
    for result in runner.detect_chunks(chunks, config.segments):
        item, got, expected = todo[result.chunk.sha256]
        got.append(result)
        progress.advance("chunks", footage_s=len(result.pts) / float(result.chunk.fps or 25))
        if len(got) < need[item.sha256]:
            continue
        seg = finish_file(item, config.segments, got, expected)
        if seg.timeline is not None:
            case.write_timeline(item.sha256, seg.timeline)
        cache = {
            "item": {
                **{name: getattr(item, name) for name in _CACHED_FIELDS},
                "status": str(item.status),
                "warnings": item.warnings,
            },
            "detector": seg.detector,
            "cuts": seg.cuts,
            "segments": [s.to_dict() for s in seg.segments],
        }
        os.makedirs(os.path.dirname(_segment_cache(case, item.sha256)), exist_ok=True)
        write_atomic(_segment_cache(case, item.sha256), json.dumps(cache).encode())
        count += len(seg.segments)
        _record_item_problems(item, case, seen)
        progress(f"segmented {escape_path(item.path)}: {len(seg.segments)} segment(s), {item.status}")
    progress.end_stage("chunks")
    return count


def _load_segments(case: CaseFolder, item: EvidenceItem) -> list[Segment]:
    path = _segment_cache(case, item.sha256)
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return [Segment.from_dict(d) for d in data["segments"]]


def _write_segments_csv(case: CaseFolder, items: list[EvidenceItem]) -> None:
    from forensic.store.case import SEGMENT_COLUMNS, SEGMENTS, _csv_bytes  # noqa: PLC0415

    rows = []
    for item in items:
        if item.duplicate_of is None and item.sha256:
            rows += [s.to_row() for s in _load_segments(case, item)]
    write_atomic(case.path(SEGMENTS), _csv_bytes(SEGMENT_COLUMNS, rows))


# -- features and model -----------------------------------------------------------------------


def _analyse_segments(
    items,
    probes: dict[str, Any],
    case: CaseFolder,
    runner,
    writer: FindingsWriter,
    settings: WorkerSettings,
    progress: Progress,
) -> None:
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
        case.record_problem(
            Problem(
                Severity.WARNING,
                "segment",
                f"segment {task.segment.index} attempt {attempt} failed: {text}",
                task.segment.path,
                task.segment.sha256,
            )
        )

    for outcome in runner.process_segments(tasks(), on_error=on_error):
        _store_outcome(case, writer, outcome)
        progress.segment_done(outcome.task.segment.duration_s, str(outcome.finding.status))
    writer.flush()


def _gate_segments(
    items,
    probes: dict[str, Any],
    case: CaseFolder,
    runner,
    writer: FindingsWriter,
    settings: WorkerSettings,
    progress: Progress,
) -> None:
    """The presence gate (forensic.engine.gate) over every segment not done yet: those it stops are
    finished here with a compact ``insufficient_subjects`` finding; the rest go on to the workers.
    Each file's verdicts go to ``segments/<sha256>.gate.json`` (the reason and counts per segment)."""
    from forensic.engine.gate import gate_finding, plan_gate

    done = writer.done_keys()
    tasks = []
    for item in items:
        if item.duplicate_of is not None or item.status not in (EvidenceStatus.ANALYSED, EvidenceStatus.PARTIAL):
            continue
        info = probes.get(item.path)
        stream = info.stream_index if info is not None else None
        segs = [
            s
            for s in _load_segments(case, item)
            if resume_key(s.key, settings.model_sha256, settings.config_sha256) not in done
        ]
        tasks += plan_gate(segs, stream, item.rotation or 0)
    if not tasks:
        return
    progress(f"presence gate: {sum(len(t.segments) for t in tasks)} segment(s) in {len(tasks)} task(s)")
    progress.stage("gate", len(tasks))
    records: dict[str, list[dict[str, Any]]] = {}
    stopped = passed = 0
    for task, verdicts, error in runner.check_presence(tasks):
        rows = records.setdefault(task.sha256, [])
        if verdicts is None:  # nothing is dropped on an error: these segments take the full path
            case.record_problem(
                Problem(Severity.WARNING, "gate", f"{error}; its segments take the full path", task.path, task.sha256)
            )
            passed += len(task.segments)
            rows += [{"index": seg.index, "key": seg.key, "error": error} for seg in task.segments]
        else:
            for seg, verdict in zip(task.segments, verdicts):
                rows.append({"index": seg.index, "key": seg.key, **verdict.to_dict()})
                if verdict.passed:
                    passed += 1
                    continue
                stopped += 1
                writer.add(gate_finding(seg, verdict, settings))
        progress.advance("gate", footage_s=task.footage_s)
    writer.flush()
    progress.end_stage("gate")
    for sha, rows in records.items():
        path = case.path(os.path.join("segments", f"{sha}.gate.json"))
        if os.path.isfile(path):  # a resumed scan: keep the verdicts of the earlier session
            with open(path, encoding="utf-8") as f:
                fresh = {r["index"] for r in rows}
                rows = [r for r in json.load(f) if r["index"] not in fresh] + rows
        write_atomic(path, json.dumps(sorted(rows, key=lambda r: r["index"])).encode())
    progress(f"presence gate: {stopped} segment(s) finished as insufficient_subjects, {passed} go on")


def _store_outcome(case: CaseFolder, writer: FindingsWriter, outcome: SegmentOutcome) -> None:
    if outcome.bundle is not None:
        write_bundle(case.path(outcome.task.features_dir), outcome.bundle)  # features before the row
    if outcome.finding.status == FindingStatus.FAILED:
        case.record_problem(
            Problem(
                Severity.ERROR,
                "segment",
                f"segment {outcome.finding.segment_index} failed after "
                f"{outcome.finding.attempts} attempt(s): {outcome.finding.error}",
                outcome.finding.path,
                outcome.finding.sha256,
            )
        )
    writer.add(outcome.finding)


# -- end of scan ------------------------------------------------------------------------------


def _record_item_problems(item: EvidenceItem, case: CaseFolder, seen: dict[str, Any] | None = None) -> None:
    """Record the item's outcome and warnings in problems.jsonl; with ``seen``, only what is new
    since the last call (so each problem is written once, when it becomes known)."""
    fresh: dict[str, Any] = {"status": None, "warnings": 0}
    state = seen.setdefault(item.path, fresh) if seen is not None else fresh
    outcome = (str(item.status), item.reason)
    if outcome != state["status"] and item.status != EvidenceStatus.PENDING:
        state["status"] = outcome
        if item.status in (EvidenceStatus.FAILED, EvidenceStatus.PARTIAL):
            msg = f"{item.status}: {item.reason}"
            case.record_problem(Problem(Severity.ERROR, "intake", msg, item.path, item.sha256))
        elif item.status == EvidenceStatus.SKIPPED:
            case.record_problem(Problem(Severity.INFO, "intake", f"skipped: {item.reason}", item.path, item.sha256))
    for warning in item.warnings[state["warnings"] :]:
        if not warning.startswith("EVIDENCE CHANGED BETWEEN SESSIONS"):  # recorded (critical) when found
            case.record_problem(Problem(Severity.WARNING, "intake", warning, item.path, item.sha256))
    state["warnings"] = len(item.warnings)


def _rehash_all(items: list[EvidenceItem], case: CaseFolder, progress: Progress) -> None:
    progress(f"re-hashing {sum(i.sha256 is not None for i in items)} file(s)")
    for item, matches in intake.rehash_all(items):
        progress(f"re-hashed {escape_path(item.path)}")
        if not matches:
            msg = (
                f"EVIDENCE CHANGED OR UNREADABLE DURING THE SCAN: SHA-256 was {item.sha256}, "
                f"now {item.sha256_after or 'unreadable'}"
            )
            case.record_problem(Problem(Severity.CRITICAL, "hash", msg, item.path, item.sha256))
            print(f"forensic: {escape_path(item.path)}: {msg}", file=sys.stderr)


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
