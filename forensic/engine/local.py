"""In-process helpers of the engine: one segment's features for `forensic features`.

The scan itself (both engines) is :mod:`forensic.engine.scan`; the in-process runner is
:class:`forensic.engine.runners.LocalRunner`.
"""

from __future__ import annotations

from typing import Any

from forensic.config import ScanConfig
from forensic.resources import default_maskrcnn_weights
from forensic.segments import segment_path


def features_of_segment(
    video: str,
    segment_index: int,
    out_dir: str,
    segmenter: str = "auto",
    maskrcnn_weights: str | None = None,
    config: ScanConfig | None = None,
    face_detector: str = "auto",
) -> dict[str, Any]:
    """intake -> segments -> features -> store for one segment of one file, written to ``out_dir``.

    Raises FileNotFoundError / CaseFolderError for usage errors (``out_dir`` may not lie among
    the evidence), ValueError for a segment index out of range or a file that is not footage.
    """
    import os

    from forensic.features import FeatureConfig, make_segmenter
    from forensic.features.segment import segment_features
    from forensic.store.case import check_location
    from forensic.store.features import write_segment_features

    config = config or ScanConfig()
    check_location(os.path.abspath(out_dir), [video])
    item, info, result = segment_path(video, config.segments)
    if result is None:
        raise ValueError(f"{video}: {item.status}: {item.reason}")
    if not 0 <= segment_index < len(result.segments):
        raise ValueError(
            f"{video} has {len(result.segments)} segments (0..{len(result.segments) - 1}); "
            f"there is no segment {segment_index}"
        )
    segment = result.segments[segment_index]
    from forensic.features import DEFAULT_FACE_DETECTOR

    features = FeatureConfig(face_detector=DEFAULT_FACE_DETECTOR if face_detector == "auto" else face_detector)
    faces = features.face_finder()
    weights = maskrcnn_weights or (default_maskrcnn_weights() if segmenter in ("auto", "pixellib") else None)
    seg = make_segmenter(segmenter, weights, faces)
    feats, imgs = segment_features(segment, seg, faces, info.stream_index, item.rotation or 0, features)
    written = write_segment_features(
        out_dir,
        segment,
        feats,
        imgs,
        extra={
            "evidence": {"path": item.path, "sha256": item.sha256, "rotation": item.rotation},
            "config_sha256": config.hash(),
        },
    )
    return {
        "status": feats.status,
        "segmenter": feats.segmenter,
        "face_detector": feats.face_detector,
        "people_present": feats.people_present,
        "written": sorted(written),
        "timings_s": feats.timings_s,
        "pairs_found": int(feats.mask.sum()),
        # a still segment (nothing in the scene moves) is not classified by a scan (forensic.features.motion)
        "motion": feats.motion,
        "scene_motion": feats.scene_motion,
        "still": feats.still,
    }
