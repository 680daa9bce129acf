"""What decides a clip's features, and the key of the feature cache.

A clip's features (:mod:`forensic.model.cache`) are made by the segmenter and its weights, the
feature configuration, the number of sample frames per clip and the code that makes them (the
version and source hash of the segments and features stages): :class:`FeatureSettings` holds them
all, and :meth:`FeatureSettings.key` turns them and the clip's SHA-256 into the cache key, so that a
change of any of them makes new features.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import forensic
from forensic.features import FeatureConfig
from forensic.fsutil import sha256_path

CACHE_FORMAT = "forensic-features-cache/1"
SAMPLES = 5
HOG_SEGMENTER = "hog-face-grabcut"
MEDIAPIPE_SEGMENTER = "mediapipe-selfie-pose"
SEGMENTERS = ("auto", "pixellib", HOG_SEGMENTER, MEDIAPIPE_SEGMENTER)


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
