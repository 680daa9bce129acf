"""A labelled data set of clips -> the paper's model inputs, with a feature cache and the split.

DATASET/stalking/... and DATASET/non_stalking/... hold clips (any video format, any depth). Each
clip is one labelled example: the whole clip is one segment with 5 sample frames
(:func:`forensic.segments.clip_segment`), whose features come from the features stage: the 5 x 29
numbers (:data:`forensic.features.table.FEATURE_COLUMNS`, NaN where missing) and the 5
background-removed 128 x 128 frames.

Nothing is written beside the evidence. Features are cached in a folder the user chooses (or
MODEL_DIR/../.forensic-cache), one file per clip and feature settings, keyed by the clip's
SHA-256 and the settings (segmenter and its weights' hash, feature configuration, samples per
clip, the version and source hash of the code that made them), so a second run is fast and a
change of any of them makes new features.

Clips that are not footage, cannot be decoded, show fewer than two people
(``insufficient_subjects``), are exact copies of another clip (same hash) or appear under both
labels are reported as problems and left out; nothing stops the run.

PixelLib's Mask R-CNN turns TensorFlow's eager execution off for the whole process, and training
needs it on: with the pixellib segmenter, features are extracted in a separate (spawned) process
and reach the training process only through the cache.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import forensic
from forensic.features import FeatureConfig
from forensic.features.table import FEATURE_COLUMNS
from forensic.fsutil import sha256_path, write_atomic
from forensic.parallel import Batch, LocalBatch, TaskFailed
from forensic.provenance import utc_now
from forensic.records import EvidenceStatus, Problem, Severity

CLASSES: tuple[str, ...] = ("non_stalking", "stalking")  # label 0 and 1; the model's score is P(stalking)
FRACTIONS = (0.6, 0.2, 0.2)  # train, validation, test (the paper's section IV.A)
CACHE_FORMAT = "forensic-features-cache/1"
SAMPLES = 5
HOG_SEGMENTER = "hog-face-grabcut"
MEDIAPIPE_SEGMENTER = "mediapipe-selfie-pose"
SEGMENTERS = ("auto", "pixellib", HOG_SEGMENTER, MEDIAPIPE_SEGMENTER)

Progress = Callable[[str], None]

# clip status (besides the features stage's "ok" and "insufficient_subjects")
OK, INSUFFICIENT, FAILED, SKIPPED, DUPLICATE, CONFLICT, ERROR = (
    "ok",
    "insufficient_subjects",
    "failed",
    "skipped",
    "duplicate",
    "conflict",
    "error",
)


class DatasetError(ValueError):
    """The data set cannot be used as given (too few clips, a folder inside the evidence...)."""


def _quiet(_msg: str) -> None:
    pass


# ---------------------------------------------------------------------------------------------
# feature settings and the cache key


@functools.lru_cache(maxsize=1)
def feature_code_version() -> dict[str, str]:
    """forensic's version and the SHA-256 of the source of the stages that make the features
    (segments, features): a change there makes new cache entries."""
    root = Path(forensic.__file__).resolve().parent
    h = hashlib.sha256()
    for sub in ("segments", "features"):
        for path in sorted((root / sub).glob("*.py")):
            h.update(f"{sub}/{path.name}\0".encode())
            h.update(path.read_bytes())
            h.update(b"\0")
    return {"forensic": forensic.__version__, "features_source_sha256": h.hexdigest()}


@dataclass(frozen=True)
class FeatureSettings:
    """Everything that decides a clip's features."""

    segmenter: str  # the choice, resolved: "pixellib" or "hog-face-grabcut" (never "auto")
    maskrcnn_weights: str | None = None  # path, for pixellib
    maskrcnn_weights_sha256: str | None = None
    feature_config: FeatureConfig = field(default_factory=FeatureConfig)
    samples: int = SAMPLES
    # the code that makes the features, fixed when the settings are made (a spawned extraction
    # process checks that it runs the same code)
    code: dict[str, str] = field(default_factory=lambda: dict(feature_code_version()))

    @property
    def segmenter_name(self) -> str:
        """The name the segmenter gives itself (and every frame it makes): "hog-face-grabcut" or
        "pixellib-maskrcnn-coco"."""
        return segmenter_name(self.segmenter)

    def describe(self) -> dict[str, Any]:
        """What goes into the cache key and the model card (paths left out: only content counts)."""
        return {
            "segmenter": self.segmenter,
            "segmenter_name": self.segmenter_name,
            "maskrcnn_weights_sha256": self.maskrcnn_weights_sha256,
            "feature_config": dataclasses.asdict(self.feature_config),
            "samples": self.samples,
            "code": dict(self.code),
        }

    def key(self, clip_sha256: str) -> str:
        blob = json.dumps({"format": CACHE_FORMAT, "clip_sha256": clip_sha256, **self.describe()}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()


def segmenter_name(choice: str) -> str:
    """The segmenter's own name for a ``--segmenter`` choice (pixellib is not imported for this)."""
    if choice == "pixellib":
        from forensic.features.pixellib_backend import PixelLibSegmenter  # imports neither TensorFlow nor PixelLib

        return PixelLibSegmenter.name
    if choice in (HOG_SEGMENTER, MEDIAPIPE_SEGMENTER):
        return choice
    raise ValueError(f"unknown segmenter {choice!r}")


def resolve_settings(
    segmenter: str = "auto", maskrcnn_weights: str | None = None, feature_config: FeatureConfig | None = None
) -> FeatureSettings:
    """``auto`` is pixellib when the Mask R-CNN COCO weights exist (``maskrcnn_weights`` or
    models/mask_rcnn_coco.h5), else the embedded pretrained mediapipe-selfie-pose (as the features
    stage); hog-face-grabcut only when asked for by name."""
    if segmenter not in SEGMENTERS:
        raise ValueError(f"unknown segmenter {segmenter!r}: {', '.join(SEGMENTERS)}")
    if segmenter in ("auto", "pixellib") and not maskrcnn_weights:
        from forensic.resources import default_maskrcnn_weights

        maskrcnn_weights = default_maskrcnn_weights()
    if segmenter == "auto":
        segmenter = "pixellib" if maskrcnn_weights and os.path.isfile(maskrcnn_weights) else MEDIAPIPE_SEGMENTER
    config = feature_config or FeatureConfig()
    if segmenter == "pixellib":
        if not maskrcnn_weights or not os.path.isfile(maskrcnn_weights):
            raise FileNotFoundError(
                f"the pixellib segmenter needs the Mask R-CNN COCO weights: {maskrcnn_weights} "
                "not found (forensic models fetch, or --maskrcnn-weights PATH)"
            )
        path = os.path.abspath(maskrcnn_weights)
        return FeatureSettings("pixellib", path, sha256_path(path), config)
    return FeatureSettings(segmenter, None, None, config)


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
# feature extraction into the cache


def extract_to_cache(
    tasks: list[tuple[str, str | None, str]], settings: FeatureSettings, cache_dir: str, progress: Progress = _quiet
) -> list[dict[str, Any]]:
    """Features of each (path, sha256, label), written into the cache; one outcome per task
    ({"status", "reason"}). Never raises for a bad clip."""
    from forensic import intake
    from forensic.features import make_segmenter
    from forensic.features.segment import segment_features
    from forensic.segments import clip_segment

    faces = settings.feature_config.face_finder()  # the detector and limits a scan with this model uses
    here = feature_code_version()
    if here != settings.code:
        reason = f"the features code changed during the run ({settings.code} at the start, {here} now); run again"
        return [{"status": ERROR, "reason": reason} for _ in tasks]
    segmenter = make_segmenter(settings.segmenter, settings.maskrcnn_weights, faces)
    if segmenter.name != settings.segmenter_name:
        raise RuntimeError(f"asked for segmenter {settings.segmenter_name}, got {segmenter.name}")
    outcomes = []
    for i, (path, sha, label) in enumerate(tasks, start=1):
        try:
            item, segment = clip_segment(path, settings.samples)
            if segment is None:
                status = SKIPPED if item.status == EvidenceStatus.SKIPPED else FAILED
                outcomes.append({"status": status, "reason": item.reason or str(item.status)})
            elif sha and item.sha256 != sha:
                outcomes.append(
                    {
                        "status": ERROR,
                        "reason": f"the file changed while it was being read (SHA-256 {sha} then {item.sha256})",
                    }
                )
            else:
                info = intake.probe(path)
                feats, _imgs = segment_features(
                    segment, segmenter, faces, info.stream_index, item.rotation or 0, settings.feature_config
                )
                warnings = list(item.warnings) + list(feats.warnings)
                if item.status == EvidenceStatus.PARTIAL:
                    warnings.append(f"only partly decodable: {item.reason}")
                if item.duration_s is not None and not 3.0 <= item.duration_s <= 8.0:
                    warnings.append(f"clip lasts {item.duration_s:.2f} s; the paper's clips last 3-8 s")
                meta = {
                    "format": CACHE_FORMAT,
                    "key": settings.key(item.sha256),
                    "clip_sha256": item.sha256,
                    "settings": settings.describe(),
                    "status": feats.status,
                    "segmenter": feats.segmenter,
                    "reason": ""
                    if feats.status == OK
                    else f"{int(feats.mask.sum())} of {len(feats.mask)} sample frames show two people",
                    "warnings": warnings,
                    "duration_s": item.duration_s,
                    "segment": segment.to_dict(),
                    "timings_s": feats.timings_s,
                    "extracted_from": path,
                    "created_utc": utc_now(),
                }
                write_cache(cache_path(cache_dir, meta["key"]), feats.vector, feats.mask, feats.frames128, meta)
                outcomes.append({"status": feats.status, "reason": meta["reason"]})
        except Exception as exc:  # noqa: BLE001 - one bad clip must not stop the others
            outcomes.append(
                {"status": FAILED if isinstance(exc, ValueError) else ERROR, "reason": f"{type(exc).__name__}: {exc}"}
            )
        progress(f"features {i}/{len(tasks)}: {label}/{os.path.basename(path)}: {outcomes[-1]['status']}")
    return outcomes


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _extract_shard(shard, settings, cache_dir):  # one batch task: a shard of clips, models loaded once
    return extract_to_cache(shard, settings, cache_dir, _stderr)


SHARDS_PER_WORKER = 4  # on Ray: more shards than workers, so that a slow or failed one holds up less
MAX_SHARD = 50  # clips per task at most where tasks are time-bounded (a few minutes: well inside the bound)


def _extract_batch(
    tasks, settings: FeatureSettings, cache_dir: str, batch: Batch, progress: Progress = _quiet
) -> list[dict[str, Any]]:
    """:func:`extract_to_cache` as ``batch`` tasks, a shard of clips each (each worker loads the
    models once per shard); the outcomes in the order of ``tasks``. A shard that failed as a whole
    (its process died) keeps what it wrote to the cache; the rest are errors with the reason."""
    if not batch.bounded:  # no time bound: one shard per process, the models loaded once
        n = batch.workers
    else:
        per_worker = SHARDS_PER_WORKER if batch.engine != "local" else 1
        n = max(batch.workers * per_worker, -(-len(tasks) // MAX_SHARD))
    n = max(1, min(len(tasks), n))
    shards = [tasks[k::n] for k in range(n)]
    outcomes: list[dict[str, Any] | None] = [None] * len(tasks)
    for k, done in enumerate(batch.map(_extract_shard, shards, settings, cache_dir)):
        if isinstance(done, TaskFailed):
            done = [
                {"status": OK, "reason": ""}
                if read_cache(cache_path(cache_dir, settings.key(sha or ""))) is not None
                else {"status": ERROR, "reason": f"feature extraction failed: {done.reason}"}
                for _path, sha, _label in shards[k]
            ]
        for j, out in enumerate(done):
            outcomes[k + j * n] = out
        progress(f"features: {k + 1} of {n} shard(s) done on the {batch.engine} engine ({len(shards[k])} clip(s))")
    return [o if o is not None else {"status": ERROR, "reason": "no outcome"} for o in outcomes]


def cache_path(cache_dir: str, key: str) -> str:
    return os.path.join(cache_dir, "features", key[:2], f"{key}.npz")


def write_cache(
    path: str, vector: np.ndarray, mask: np.ndarray, frames128: np.ndarray | None, meta: dict[str, Any]
) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    buf = io.BytesIO()
    frames = frames128 if frames128 is not None else np.zeros((0,), np.uint8)
    np.savez_compressed(
        buf,
        vector=np.asarray(vector, np.float64),
        mask=np.asarray(mask, bool),
        frames128=np.asarray(frames, np.uint8),
        meta=np.frombuffer(json.dumps(meta, sort_keys=True).encode(), np.uint8),
    )
    write_atomic(path, buf.getvalue())


def read_cache(path: str, key: str | None = None) -> dict[str, Any] | None:
    """A cache entry, or None when it is missing, unreadable or not the entry of ``key`` (then it is
    made again)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes().decode())
            vector, mask, frames = z["vector"], z["mask"], z["frames128"]
    except Exception:  # noqa: BLE001 - a missing or damaged cache file is only a cache miss
        return None
    if meta.get("format") != CACHE_FORMAT or vector.shape != (SAMPLES, len(FEATURE_COLUMNS)):
        return None
    if key is not None and meta.get("key") != key:
        return None
    if meta.get("segmenter") != meta.get("settings", {}).get("segmenter_name"):
        return None
    if meta.get("status") == OK and frames.shape != (SAMPLES, 128, 128, 3):
        return None
    return {"meta": meta, "vector": vector, "mask": mask, "frames128": frames if frames.size else None}


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


def default_cache_dir(model_dir: str) -> str:
    """MODEL_DIR/../.forensic-cache"""
    return os.path.join(os.path.dirname(os.path.abspath(model_dir)), ".forensic-cache")


# ---------------------------------------------------------------------------------------------
# the split


@dataclass
class Split:
    """Indices into a :class:`Dataset`'s arrays: 60/20/20, stratified by class, from ``seed``."""

    seed: int
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray

    def of(self, index: int) -> str:
        for name in ("train", "val", "test"):
            if index in getattr(self, name):
                return name
        raise KeyError(index)

    def describe(self, labels: np.ndarray) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "fractions": {"train": FRACTIONS[0], "val": FRACTIONS[1], "test": FRACTIONS[2]},
            "rule": "per class, clips sorted by SHA-256 and permuted by numpy.random.default_rng(seed) (classes in "
            "the order non_stalking, stalking): the first round(20%) (at least 1) are test, the next round(20%) "
            "(at least 1) validation, the rest training",
            "clips": {
                name: {c: int((labels[getattr(self, name)] == i).sum()) for i, c in enumerate(CLASSES)}
                for name in ("train", "val", "test")
            },
        }


def split_dataset(labels: np.ndarray, keys: list[str], seed: int) -> Split:
    """Stratified 60/20/20 split. ``keys`` (the clips' SHA-256) fix the order before shuffling, so
    the split depends on the clips' content and the seed, not on file names or folder order.
    Each class needs at least 3 clips (one per split)."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    parts: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for c, name in enumerate(CLASSES):
        idx = sorted(np.nonzero(labels == c)[0].tolist(), key=lambda i: keys[i])
        n = len(idx)
        if n < 3:
            raise DatasetError(
                f"class {name} has {n} usable clip(s); at least 3 are needed for a train/validation/test split"
            )
        n_test = max(1, round(FRACTIONS[2] * n))
        n_val = max(1, round(FRACTIONS[1] * n))
        order = [idx[j] for j in rng.permutation(n)]
        parts["test"] += order[:n_test]
        parts["val"] += order[n_test : n_test + n_val]
        parts["train"] += order[n_test + n_val :]
    return Split(seed, *(np.array(sorted(parts[k]), dtype=np.int64) for k in ("train", "val", "test")))


def split_csv(dataset: Dataset, split: Split) -> bytes:
    """One row per usable clip: split, label, sha256, path relative to the data set."""
    lines = ["split,label,sha256,path"]
    for i, clip in enumerate(dataset.clips):
        rel = os.path.relpath(clip.path, dataset.root).replace('"', '""')
        lines.append(f'{split.of(i)},{clip.label},{clip.sha256},"{rel}"')
    return ("\n".join(lines) + "\n").encode()


def read_split_csv(data: bytes) -> dict[str, str]:
    """sha256 -> split name, from a model's split.csv."""
    import csv

    rows = csv.DictReader(io.StringIO(data.decode()))
    return {row["sha256"]: row["split"] for row in rows}
