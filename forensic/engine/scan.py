"""The scan: intake -> segments -> features -> fusion model -> store, with any runner.

The driver (this module) owns the case folder: it hashes and probes the evidence, hands file
chunks and segments to a runner (in-process or Ray), and writes every result as it arrives, so
memory stays bounded and nothing finished is lost. Re-running the same scan into the same case
folder resumes it: files already segmented are not decoded again, segments already done are
skipped, failed segments are tried again.
"""

from __future__ import annotations

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
from forensic.engine.session import (
    any_failed,
    changed_between_sessions,
    check_hash_list,
    finish,
    no_footage,
    record_superseded,
    restore_access_times,
    resumed_case_facts,
    write_report,
)
from forensic.engine.session import summarize as summarize  # noqa: F401 - importable from here, as before
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
        raise ScanStopped("interrupted", _interrupted_code(exc), exc, case.root) from exc
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
    """One session of the scan, in the locked case folder: open the session's record, run the
    stages (recording how they stopped), end the session's record, then the co-appearances and the
    report of a complete scan. Raises :class:`ScanStopped` when the stages did not finish."""
    argv = [visible(a) for a in request.argv]
    resumed = manifest is not None
    settings = _worker_settings(request.config, model, model_dir, segmenter, weights, threshold, face_detector)
    record = _session_record(request, argv, resumed)
    if manifest is None:
        manifest = _new_manifest(
            request, argv, identity, model, model_dir, segmenter, threshold, face_detector, record["started_utc"]
        )
    _open_session(case, manifest, record, request, resumed)
    run = _Run(case, manifest, record, items, request, progress, settings, resumed, FindingsWriter(case.root))
    _run_stages(run, hashes)
    attempt = _Attempts()
    end = _end_session(run, attempt)
    if run.stop is not None:
        raise ScanStopped(
            str(manifest["status"]), end.exit_code, run.stop, case.root, end.manifest_sha256, attempt.unrecorded
        ) from run.stop
    _after_complete(run, attempt)
    manifest_sha = case.manifest_sha256()
    return ScanOutcome(case, items, run.segment_count, end.exit_code, manifest, end.findings, manifest_sha)


# -- the session's record ---------------------------------------------------------------------


def _worker_settings(
    config: ScanConfig,
    model,
    model_dir: str,
    segmenter: str,
    weights: str | None,
    threshold: float,
    face_detector: str | None,
) -> WorkerSettings:
    return WorkerSettings(
        model_dir=os.path.abspath(model_dir),
        model_sha256=model.sha256,
        model_name=model.name,
        segmenter=segmenter,
        maskrcnn_weights=weights if segmenter == "pixellib" else None,
        threshold=threshold,
        config_sha256=config.hash(),
        face_detector=face_detector,
    )


def _session_record(request: ScanRequest, argv: list[str], resumed: bool) -> dict[str, Any]:
    """This session's entry in manifest.json's ``sessions``, as it starts."""
    return {
        "started_utc": utc_now(),
        "ended_utc": None,
        "status": "running",
        "resumed": resumed,
        "command_line": argv,
        "engine": request.engine,
        "pid": os.getpid(),
    }


def _new_manifest(
    request: ScanRequest,
    argv: list[str],
    identity: dict[str, Any],
    model,
    model_dir: str,
    segmenter: str,
    threshold: float,
    face_detector: str | None,
    started_utc: str,
) -> dict[str, Any]:
    """manifest.json of a scan's first session."""
    config = request.config
    return {
        "format": "forensic-case/1",
        "report_id": str(uuid.uuid4()),
        "case_id": request.case_id,
        "examiner": request.examiner,
        "agency": request.agency,
        "status": "running",
        "started_utc": started_utc,
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


def _open_session(
    case: CaseFolder, manifest: dict[str, Any], record: dict[str, Any], request: ScanRequest, resumed: bool
) -> None:
    """manifest.json says this session is running; problems.jsonl says how it began (after a
    recovered folder, resumed, case facts given again, an earlier session that never ended)."""
    manifest["status"] = "running"
    manifest.setdefault("sessions", []).append(record)
    fact_problems = resumed_case_facts(manifest, record, request) if resumed else []
    case.write_manifest(manifest)
    if case.recovered:
        msg = "an earlier scan into this folder stopped before it wrote its first manifest.json; started again"
        case.record_problem(Problem(Severity.WARNING, "scan", msg))
    if case.leftovers:
        shown = ", ".join(escape_path(p) for p in case.leftovers[:10]) + (" ..." if len(case.leftovers) > 10 else "")
        msg = (
            f"removed {len(case.leftovers)} temporary file(s) that writes cut short left in the case folder "
            f"(no record lists them; the resumed scan writes again what is missing): {shown}"
        )
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


# -- the stages -------------------------------------------------------------------------------


@dataclass
class _Run:
    """What the steps of one session share. ``runner``, ``atimes`` and ``segment_count`` are set as
    the stages get that far, ``stop`` when they stop early: the end of the session works with
    whatever was reached."""

    case: CaseFolder
    manifest: dict[str, Any]
    record: dict[str, Any]  # this session's entry in manifest["sessions"]
    items: list[EvidenceItem]
    request: ScanRequest
    progress: Progress
    settings: WorkerSettings
    resumed: bool
    writer: FindingsWriter
    runner: Any = None
    segment_count: int = 0
    # problems recorded per item, so each goes to problems.jsonl once, as it happens
    seen: dict[str, Any] = field(default_factory=dict)
    atimes: dict[str, int] = field(default_factory=dict)
    stop: BaseException | None = None

    def set_status(self, status: str) -> None:
        self.manifest["status"] = self.record["status"] = status


def _run_stages(run: _Run, hashes) -> None:
    """Intake, cut and gate, features and model, the items' outcomes: the status ``complete``, or
    the one that says how they stopped (``run.stop``: Ctrl-C, SIGTERM, a library's own exit, an error)."""
    try:
        with signals.sigterm_interrupts():
            run.atimes = intake.access_times(run.items)
            _start_runner(run)
            timings = run.record["timings_s"] = {}
            probes = _intake(run, hashes, timings)
            _analyse(run, probes, timings)
            _settle_items(run, timings)
            run.set_status("complete")
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated)
        run.stop = exc
        run.set_status("interrupted")
    except SystemExit as exc:  # a library's own signal handler exiting
        stop = Terminated()
        stop.__cause__ = exc
        run.stop = stop
        run.set_status("interrupted")
    except Exception as exc:  # noqa: BLE001 - recorded in the case folder, then raised as ScanStopped
        run.stop = exc
        run.set_status("failed")


def _start_runner(run: _Run) -> None:
    run.runner = make_runner(run.request, run.settings)
    signals.sigterm_raises()  # again: starting a cluster may have installed a handler of its own
    run.manifest["cluster"] = run.record["cluster"] = run.runner.cluster()


def _intake(run: _Run, hashes, timings: dict[str, float]) -> dict[str, Any]:
    """Hash and probe every input, then check the hashes against earlier sessions and the
    acquisition hash list; returns the probes."""
    case, items = run.case, run.items
    t = time.monotonic()
    probes = stages.intake_all(items, run.progress, case, run.seen)
    if no_footage(items):  # the wrong folder, or an empty one: say so, exit 3
        what = f"none of the {len(items)} input file(s) is footage" if items else "the inputs hold no files"
        case.record_problem(Problem(Severity.ERROR, "intake", f"no footage to analyse: {what}"))
        run.progress(f"no footage to analyse: {what}")
    if run.resumed:
        changed_between_sessions(case, items, run.manifest)
    case.write_evidence(items)  # the next session compares its hashes with these
    if hashes is not None:
        check_hash_list(items, hashes, case, run.manifest, run.progress)
    timings["intake"] = round(time.monotonic() - t, 3)
    return probes


def _analyse(run: _Run, probes: dict[str, Any], timings: dict[str, float]) -> None:
    """Cut and gate every file, then features and model on every segment."""
    analysis = stages.Analysis(run.items, probes, run.case, run.runner, run.writer, run.settings, run.progress)
    # a file is gated as soon as it is cut
    run.segment_count = stages.cut_and_gate(analysis, run.request.config, run.seen, timings)
    t = time.monotonic()
    stages.analyse_segments(analysis)
    timings["features_and_model"] = round(time.monotonic() - t, 3)


def _settle_items(run: _Run, timings: dict[str, float]) -> None:
    """Duplicates take their original's outcome, every item's problems are recorded, and the
    evidence is hashed again if asked."""
    t = time.monotonic()
    for group in intake.mark_duplicates(run.items).values():
        for dup in group[1:]:
            intake.copy_outcome(group[0], dup)
    for item in run.items:
        stages.record_item_problems(item, run.case, run.seen)
    if run.request.config.rehash_at_end:
        stages.rehash_all(run.items, run.case, run.progress)
    timings["rehash"] = round(time.monotonic() - t, 3)


# -- the end of the session -------------------------------------------------------------------


class _Attempts:
    """The error path must never raise again and hide the cause: note what could not be done."""

    def __init__(self) -> None:
        self.unrecorded: list[str] = []

    def __call__(self, what: str, fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except Exception as exc:  # noqa: BLE001
            self.unrecorded.append(f"{what}: {describe(exc)}")
            return None


@dataclass
class _End:
    exit_code: int
    findings: Any  # pandas DataFrame of findings.parquet; None if it could not be written
    manifest_sha256: str | None  # None if manifest.json could not be written


def _interrupted_code(exc: KeyboardInterrupt) -> int:
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED


def _end_session(run: _Run, attempt: _Attempts) -> _End:
    """However the stages stopped: the stop in problems.jsonl, the runner closed, access times put
    back, findings.parquet, segments.csv, evidence.csv and the final manifest.json, each attempted
    so that one failing cannot hide another (what failed turns a finished scan into a failed one)."""
    case, manifest, record, items = run.case, run.manifest, run.record, run.items
    with signals.deferred():  # a second Ctrl-C or SIGTERM must not cut the record of the first short
        if run.stop is not None:
            attempt("problems.jsonl", case.record_problem, _stop_problem(run.stop))
        if run.runner is not None:
            attempt("closing the runner", run.runner.close)
        attempt("access times", restore_access_times, items, run.atimes, case)
        current = {i.sha256: escape_path(i.path) for i in items if i.sha256 and i.duplicate_of is None}
        order = [escape_path(i.path) for i in items]
        findings = attempt("findings.parquet", run.writer.consolidate, order=order, current=current)
        attempt("problems.jsonl", record_superseded, case, run.writer.superseded)
        attempt("segments.csv", stages.write_segments_csv, case, items)
        exit_code = _results_exit_code(manifest, items, findings)
        if run.stop is None and attempt.unrecorded:
            run.stop = OSError("; ".join(attempt.unrecorded))
            run.set_status("failed")
        if run.stop is not None:
            exit_code = EXIT_FAILED
            if isinstance(run.stop, KeyboardInterrupt):
                exit_code = _interrupted_code(run.stop)
            record["error"] = describe(run.stop)
            if attempt.unrecorded:
                record["unrecorded"] = list(attempt.unrecorded)
        record["ended_utc"] = utc_now()
        manifest_sha = attempt("manifest.json", finish, case, manifest, items, run.segment_count, exit_code, findings)
    return _End(exit_code, findings, manifest_sha)


def _stop_problem(stop: BaseException) -> Problem:
    how = "interrupted" if isinstance(stop, KeyboardInterrupt) else "stopped by an error"
    return Problem(
        Severity.ERROR if isinstance(stop, KeyboardInterrupt) else Severity.CRITICAL,
        "scan",
        f"scan {how}: {describe(stop)}; nothing finished is lost: run the same command to resume",
    )


def _results_exit_code(manifest: dict[str, Any], items: list[EvidenceItem], findings) -> int:
    """EXIT_SOME_FAILED when an input or a segment failed, the hash list did not match, there was
    no footage or the evidence changed between sessions; else EXIT_OK."""
    failed_segments = 0
    if findings is not None and len(findings):
        failed_segments = int((findings["status"] == str(FindingStatus.FAILED)).sum())
    hash_list_ok = (manifest.get("hash_list") or {}).get("ok", True)
    some_failed = any_failed(items) or failed_segments or not hash_list_ok or no_footage(items)
    return EXIT_SOME_FAILED if some_failed or manifest.get("evidence_changed_between_sessions") else EXIT_OK


def _after_complete(run: _Run, attempt: _Attempts) -> None:
    """The co-appearances and the report of a complete scan. Ctrl-C or SIGTERM during the report
    is recorded and raised as :class:`ScanStopped`: the scan itself stays complete."""
    case, request = run.case, run.request
    if request.coappear and run.manifest["status"] == "complete":
        from forensic.coappear import after_scan

        after_scan(case.root, run.progress)
    if request.report and run.manifest["status"] == "complete":
        try:
            with signals.sigterm_interrupts():
                write_report(case, run.progress, request)
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
                _interrupted_code(exc),
                exc,
                case.root,
                attempt("manifest.json", case.manifest_sha256),
                attempt.unrecorded,
            ) from exc


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
