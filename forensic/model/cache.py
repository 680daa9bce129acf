"""The feature cache: a clip's features, extracted once and kept.

Nothing is written beside the evidence. Features are cached in a folder the user chooses (or
MODEL_DIR/../.forensic-cache, :func:`default_cache_dir`), one file per clip and feature settings,
keyed by the clip's SHA-256 and the settings (:meth:`forensic.model.feature_settings.FeatureSettings.key`:
segmenter and its weights' hash, feature configuration, samples per clip, the version and source
hash of the code that made them), so a second run is fast and a change of any of them makes new
features.

PixelLib's Mask R-CNN turns TensorFlow's eager execution off for the whole process, and training
needs it on: with the pixellib segmenter, features are extracted in a separate (spawned) process
and reach the training process only through the cache.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from forensic.features.table import FEATURE_COLUMNS
from forensic.fsutil import write_atomic
from forensic.model.feature_settings import CACHE_FORMAT, SAMPLES, FeatureSettings, feature_code_version
from forensic.parallel import Batch, TaskFailed
from forensic.provenance import utc_now
from forensic.records import EvidenceStatus

Progress = Callable[[str], None]

# a clip's status after extraction (the features stage's "ok" and "insufficient_subjects", and
# these); the data set adds its own (forensic.model.data: duplicate, conflict)
OK, INSUFFICIENT, FAILED, SKIPPED, ERROR = ("ok", "insufficient_subjects", "failed", "skipped", "error")


def _quiet(_msg: str) -> None:
    pass


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


def default_cache_dir(model_dir: str) -> str:
    """MODEL_DIR/../.forensic-cache"""
    return os.path.join(os.path.dirname(os.path.abspath(model_dir)), ".forensic-cache")
