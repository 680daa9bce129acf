"""A labelled data set of clips -> the paper's model inputs.

DATASET/stalking/... and DATASET/non_stalking/... hold clips (any video format, any depth). Each
clip is one labelled example: the whole clip is one segment with 5 sample frames
(:func:`forensic.segments.clip_segment`), whose features come from the features stage: the 5 x 29
numbers (:data:`forensic.features.table.FEATURE_COLUMNS`, NaN where missing) and the 5
background-removed 128 x 128 frames, through the feature cache (:mod:`forensic.model.cache`,
keyed by :mod:`forensic.model.feature_settings`). The split into training, validation and test
clips is :mod:`forensic.model.split`.

Clips that are not footage, cannot be decoded, show fewer than two people
(``insufficient_subjects``), are exact copies of another clip (same hash) or appear under both
labels are reported as problems and left out; nothing stops the run. Nothing is written beside the
evidence (:func:`check_outside`).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forensic.features.table import FEATURE_COLUMNS
from forensic.model.cache import (
    ERROR,
    INSUFFICIENT,
    OK,
    SKIPPED,
    Progress,
    _extract_batch,
    _quiet,
    cache_path,
    extract_to_cache,
    read_cache,
)
from forensic.model.feature_settings import SAMPLES, FeatureSettings
from forensic.parallel import Batch, LocalBatch
from forensic.provenance import utc_now
from forensic.records import EvidenceStatus, Problem, Severity

CLASSES: tuple[str, ...] = ("non_stalking", "stalking")  # label 0 and 1; the model's score is P(stalking)

# clip status set by the data set (besides those of the extraction, forensic.model.cache)
DUPLICATE, CONFLICT = "duplicate", "conflict"


class DatasetError(ValueError):
    """The data set cannot be used as given (too few clips, a folder inside the evidence...)."""


# ---------------------------------------------------------------------------------------------
# records


@dataclass
class ClipResult:
    """One file found in the data set and what became of it."""

    path: str
    label: str  # "stalking" / "non_stalking"
    sha256: str | None
    status: str  # ok | insufficient_subjects | failed | skipped | duplicate | conflict | error
    reason: str = ""
    vector: np.ndarray | None = None  # 5 x 29 float64, NaN where missing
    frames128: np.ndarray | None = None  # 5 x 128 x 128 x 3 uint8 RGB, background removed
    mask: np.ndarray | None = None  # 5 bool: frames showing both people
    cached: bool = False  # features came from the cache
    warnings: list[str] = field(default_factory=list)
    duration_s: float | None = None

    @property
    def usable(self) -> bool:
        return self.status == OK and self.vector is not None and self.frames128 is not None

    def summary(self, root: str | None = None) -> dict[str, Any]:
        return {
            "path": os.path.relpath(self.path, root) if root else self.path,
            "label": self.label,
            "sha256": self.sha256,
            "status": self.status,
            "reason": self.reason,
            "pair_frames": int(self.mask.sum()) if self.mask is not None else None,
            "duration_s": self.duration_s,
            "warnings": list(self.warnings),
        }


@dataclass
class Dataset:
    """The usable clips, as arrays in one fixed order (by label, then SHA-256), and the rest."""

    root: str
    settings: FeatureSettings
    clips: list[ClipResult]
    left_out: list[ClipResult]
    problems: list[Problem]
    frames: np.ndarray  # (n, 5, 128, 128, 3) uint8
    vectors: np.ndarray  # (n, 5, 29) float64, NaN where missing
    labels: np.ndarray  # (n,) int64, index into CLASSES
    cache_dir: str
    cache_hits: int = 0

    @property
    def sha256(self) -> list[str]:
        return [c.sha256 or "" for c in self.clips]

    def counts(self, index: np.ndarray | None = None) -> dict[str, int]:
        labels = self.labels if index is None else self.labels[index]
        return {name: int((labels == i).sum()) for i, name in enumerate(CLASSES)}

    def fingerprint(self) -> str:
        """SHA-256 of the usable clips: sorted "label<TAB>sha256" lines."""
        lines = sorted(f"{c.label}\t{c.sha256}" for c in self.clips)
        return hashlib.sha256(("\n".join(lines) + "\n").encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# finding and reading the clips


def find_clips(root: str) -> list[tuple[str, Any]]:
    """(label, EvidenceItem) for every file under DATASET/<class>/, in a stable order, less the
    ground-truth files beside generated clips (:func:`ground_truth_sidecars`).

    Raises FileNotFoundError when DATASET or a class folder is missing (a usage error)."""
    from forensic import intake

    if not os.path.isdir(root):
        raise FileNotFoundError(f"no such data set folder: {root}")
    missing = [c for c in CLASSES if not os.path.isdir(os.path.join(root, c))]
    if missing:
        raise FileNotFoundError(
            f"{root} must hold one folder per class: {', '.join(CLASSES)} (missing: {', '.join(missing)})"
        )
    found = [(label, item) for label in CLASSES for item in intake.discover([os.path.join(root, label)])]
    sidecars = ground_truth_sidecars([item.path for _label, item in found])
    return [(label, item) for label, item in found if item.path not in sidecars]


def ground_truth_sidecars(paths: list[str]) -> set[str]:
    """The ground-truth files ``forensic synth clips`` writes beside each clip (``NAME.json`` next to
    ``NAME.mp4``): not clips, so neither used nor counted as left out. A JSON file without a
    clip of the same name beside it is still reported (skipped)."""
    stems = {os.path.splitext(p)[0] for p in paths if not p.lower().endswith(".json")}
    return {p for p in paths if p.lower().endswith(".json") and os.path.splitext(p)[0] in stems}


def load_dataset(
    root: str,
    settings: FeatureSettings,
    cache_dir: str,
    progress: Progress = _quiet,
    isolate: bool | None = None,
    jobs: int = 1,
    batch: Batch | None = None,
) -> Dataset:
    """Every clip of DATASET -> cached features -> arrays. The missing ones are extracted by
    ``batch`` (:mod:`forensic.parallel`: this machine or Ray), each task a shard of clips; default:
    ``jobs`` processes on this machine, in this process when ``jobs`` is 1 unless ``isolate``
    (default: only for the pixellib segmenter, which switches eager execution off process-wide).
    The cache entries are the same whatever the engine."""
    from forensic import intake

    root = os.path.abspath(root)
    check_outside(cache_dir, root, "the feature cache")
    found = find_clips(root)
    results: list[ClipResult] = []
    for label, item in found:
        intake.hash_item(item)
        r = ClipResult(
            item.path,
            label,
            item.sha256,
            OK if item.status == EvidenceStatus.PENDING else str(item.status),
            "" if item.status == EvidenceStatus.PENDING else item.reason,
        )
        results.append(r)
    _mark_copies(results)
    todo = [r for r in results if r.status == OK]
    entries: dict[int, dict[str, Any] | None] = {
        id(r): read_cache(cache_path(cache_dir, settings.key(r.sha256 or "")), settings.key(r.sha256 or ""))
        for r in todo
    }  # a missing or damaged entry is a miss, made again
    misses = [r for r in todo if entries[id(r)] is None]
    progress(
        f"{len(found)} file(s) in {root}: {len(todo)} to use, {len(todo) - len(misses)} already in the "
        f"feature cache {cache_dir}"
    )
    if misses:
        tasks = [(r.path, r.sha256, r.label) for r in misses]
        isolate = settings.segmenter == "pixellib" if isolate is None else isolate
        batch = batch or LocalBatch(jobs, isolate=isolate)
        outcomes = (
            extract_to_cache(tasks, settings, cache_dir, progress)
            if batch.engine == "local" and batch.workers == 1 and not getattr(batch, "isolate", False)
            else _extract_batch(tasks, settings, cache_dir, batch, progress)
        )
        for r, out in zip(misses, outcomes, strict=True):
            if out["status"] not in (OK, INSUFFICIENT):
                r.status, r.reason = out["status"], out["reason"]
            else:
                key = settings.key(r.sha256 or "")
                entries[id(r)] = read_cache(cache_path(cache_dir, key), key)
    hits = 0
    missed = {id(r) for r in misses}
    for r in todo:
        if r.status != OK:
            continue
        entry = entries[id(r)]
        if entry is None:
            r.status, r.reason = ERROR, "features could not be read back from the cache"
            continue
        meta = entry["meta"]
        r.cached = id(r) not in missed
        hits += int(r.cached)
        r.warnings = list(meta.get("warnings", []))
        r.duration_s = meta.get("duration_s")
        r.vector, r.mask = entry["vector"], entry["mask"]
        if meta["status"] != OK:
            r.status = meta["status"]
            r.reason = meta.get("reason") or "fewer than two people in most sample frames"
        else:
            r.frames128 = entry["frames128"]
    usable = sorted((r for r in results if r.usable), key=lambda r: (CLASSES.index(r.label), r.sha256))
    left_out = [r for r in results if not r.usable]
    problems = [_problem(r) for r in left_out] + [
        Problem(Severity.WARNING, "model", f"{w}", r.path, r.sha256) for r in usable for w in r.warnings
    ]
    for p in problems:
        p.time_utc = utc_now()
    n = len(usable)
    frames = np.stack([r.frames128 for r in usable]) if n else np.zeros((0, SAMPLES, 128, 128, 3), np.uint8)
    vectors = np.stack([r.vector for r in usable]) if n else np.zeros((0, SAMPLES, len(FEATURE_COLUMNS)))
    labels = np.array([CLASSES.index(r.label) for r in usable], dtype=np.int64)
    return Dataset(
        root,
        settings,
        usable,
        left_out,
        problems,
        frames.astype(np.uint8),
        vectors.astype(np.float64),
        labels,
        os.path.abspath(cache_dir),
        hits,
    )


def _mark_copies(results: list[ClipResult]) -> None:
    """Identical files (same SHA-256): used once; under both labels: left out, all copies."""
    by_hash: dict[str, list[ClipResult]] = {}
    for r in results:
        if r.status == OK and r.sha256:
            by_hash.setdefault(r.sha256, []).append(r)
    for same in by_hash.values():
        labels = {r.label for r in same}
        if len(labels) > 1:
            for r in same:
                r.status = CONFLICT
                r.reason = (
                    "the same clip (SHA-256) is labelled both "
                    + " and ".join(sorted(labels))
                    + ": "
                    + ", ".join(x.path for x in same)
                )
        else:
            for r in same[1:]:
                r.status = DUPLICATE
                r.reason = f"identical to {same[0].path} (same SHA-256), used once"


def _problem(r: ClipResult) -> Problem:
    severity = {SKIPPED: Severity.INFO, DUPLICATE: Severity.INFO, INSUFFICIENT: Severity.WARNING}.get(
        r.status, Severity.ERROR
    )
    return Problem(severity, "model", f"{r.label} clip left out: {r.status}: {r.reason}", r.path, r.sha256)


# ---------------------------------------------------------------------------------------------
# where things may be written


def _inside(child: str, parent: str) -> bool:
    child, parent = os.path.realpath(child), os.path.realpath(parent)
    return child == parent or child.startswith(parent.rstrip(os.sep) + os.sep)


def check_outside(path: str, dataset_root: str, what: str) -> None:
    """Refuse to write ``path`` inside the data set (the evidence), or the data set inside it."""
    if _inside(path, dataset_root):
        raise DatasetError(
            f"{what} {path} is inside the data set {dataset_root}: nothing may be written next to "
            "the evidence; choose a folder elsewhere"
        )
    if _inside(dataset_root, path):
        raise DatasetError(f"the data set {dataset_root} is inside {what} {path}")
