"""Writing one segment's features: the 5 x 29 table, the 128 x 128 frames, annotated keyframes."""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from forensic.features import SegmentFeatures, table
from forensic.features.annotate import annotate
from forensic.features.segment import SegmentImages
from forensic.fsutil import write_atomic
from forensic.records import Segment, timecode


@dataclass
class FeatureBundle:
    """Everything stored for one segment's features; made where the frames are (a worker), written
    by whoever owns the case folder. Plain data, so it travels between processes."""

    table_csv: bytes
    long_csv: bytes
    frames128: np.ndarray | None
    keyframes: list[tuple[str, bytes]]  # (relative name, PNG bytes)
    meta: dict[str, Any]
    stills: list[tuple[str, bytes]] = field(default_factory=list)  # the sample frames as decoded (lossless PNG)


def make_bundle(
    segment: Segment, feats: SegmentFeatures, imgs: SegmentImages, extra: dict[str, Any] | None = None
) -> FeatureBundle:
    """Render the annotated keyframes and serialise the tables of one segment."""
    keyframes = []
    for i, (img, pair, fs) in enumerate(zip(imgs.images, feats.pairs, feats.faces)):
        people = feats.people[i] if feats.people else None
        pic = annotate(img, pair, people, fs, imgs.frame_indices[i], f"{timecode(imgs.seconds[i])} (from first frame)")
        ok, png = cv2.imencode(".png", pic)
        if ok:
            keyframes.append((f"keyframes/frame_{imgs.frame_indices[i]:06d}.png", png.tobytes()))
    stills = []
    for img, index in zip(imgs.images, imgs.frame_indices):  # unannotated, exactly as decoded (upright)
        ok, png = cv2.imencode(".png", img)
        if ok:
            stills.append((f"stills/frame_{index:06d}.png", png.tobytes()))
    meta = {
        "segment": segment.to_dict(),
        "segmenter": feats.segmenter,
        "face_detector": feats.face_detector,
        "status": feats.status,
        "feature_columns": list(table.FEATURE_COLUMNS),
        "pairs_found": int(feats.mask.sum()),
        "faces_per_frame": [len(fs) for fs in feats.faces],
        "people_present_per_frame": feats.people_present,
        "timings_s": {k: round(v, 4) for k, v in feats.timings_s.items()},
        "warnings": feats.warnings,
        # does anything move? (forensic.features.motion: a still segment is not classified)
        "motion": feats.motion,
        "scene_motion": feats.scene_motion,
        "still": feats.still,
        **(extra or {}),
    }
    return FeatureBundle(
        table_csv=feats.table.to_csv(index=False, float_format="%.6f").encode(),
        long_csv=table.long_form(feats.table).to_csv(index=False, float_format="%.6f").encode(),
        frames128=feats.frames128,
        keyframes=keyframes,
        meta=meta,
        stills=stills,
    )


def write_bundle(folder: str, bundle: FeatureBundle) -> dict[str, str]:
    """Write a bundle into ``folder`` (created); every file atomically. Returns the relative paths."""
    os.makedirs(os.path.join(folder, "keyframes"), exist_ok=True)
    written = {}

    def put(rel: str, data: bytes) -> None:
        write_atomic(os.path.join(folder, rel), data)
        written[rel] = rel

    put("features.csv", bundle.table_csv)
    put("features_long.csv", bundle.long_csv)
    if bundle.frames128 is not None:
        buf = io.BytesIO()
        np.save(buf, bundle.frames128)
        put("frames128.npy", buf.getvalue())
    for rel, png in bundle.keyframes:
        put(rel, png)
    if bundle.stills:
        os.makedirs(os.path.join(folder, "stills"), exist_ok=True)
    for rel, png in bundle.stills:
        put(rel, png)
    put("features.json", (json.dumps(bundle.meta, indent=2) + "\n").encode())
    return written


def write_segment_features(
    folder: str, segment: Segment, feats: SegmentFeatures, imgs: SegmentImages, extra: dict[str, Any] | None = None
) -> dict[str, str]:
    """Write into ``folder`` (created): features.csv (one row per sample frame, the 29 columns in
    their fixed order, then distance_norm, faces, has_pair), features_long.csv (frame, person,
    point, axis, value), frames128.npy (5 x 128 x 128 x 3 uint8 RGB, background removed, when
    computed), keyframes/frame_NNNNNN.png (annotated), stills/frame_NNNNNN.png (the sample frame exactly as
    decoded, unannotated), features.json (what, how, status).
    Returns the relative paths written."""
    return write_bundle(folder, make_bundle(segment, feats, imgs, extra))
