"""Scan configuration: one frozen record, hashed into the manifest so a result names its settings."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

DETECTORS = ("content", "adaptive", "threshold", "hash", "histogram")

# PySceneDetect's own defaults for each detector's main threshold.
DEFAULT_THRESHOLDS = {
    "content": 27.0,
    "adaptive": 3.0,
    "threshold": 12.0,
    "hash": 0.35,
    "histogram": 0.20,
}


@dataclass(frozen=True)
class SegmentConfig:
    detector: str = "content"
    threshold: float | None = None  # None: the detector's PySceneDetect default
    min_scene_len_s: float = 0.6  # a cut closer than this to the previous one is ignored
    detect_width: int = 256  # frames are scaled to this width for detection (PySceneDetect's)
    window_min_s: float = 3.0
    window_target_s: float = 5.0
    window_max_s: float = 8.0
    samples: int = 5  # frames sampled per segment (the paper's 5)
    chunk_s: float = 300.0  # long files are detected in chunks of this many seconds, in parallel
    chunk_warmup_s: float = 2.0  # each chunk's detector first sees this much of the previous chunk

    def __post_init__(self) -> None:
        numbers = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "detector"}
        # chunk_s may be infinite: one chunk, whatever the length (AVI, whose frames come out of order)
        bad = [
            n for n, v in numbers.items() if v is not None and not math.isfinite(v) and (n, v) != ("chunk_s", math.inf)
        ]
        if bad:  # inf or nan: no cut could be placed, and an int() of it raises far from here
            raise ValueError(f"{', '.join(bad)} must be a finite number")
        if self.threshold is not None and self.threshold < 0:
            raise ValueError("threshold must not be negative")
        if self.detector not in DETECTORS:
            raise ValueError(f"unknown detector {self.detector!r}; choose one of {', '.join(DETECTORS)}")
        if not (0 < self.window_min_s <= self.window_target_s <= self.window_max_s):
            raise ValueError("need 0 < window_min_s <= window_target_s <= window_max_s")
        if self.window_max_s < 2 * self.window_min_s:
            # otherwise some shot lengths cannot be cut into windows inside [min, max]
            raise ValueError("window_max_s must be at least twice window_min_s")
        if self.samples < 1:
            raise ValueError("samples must be at least 1")
        if self.min_scene_len_s < 0:
            raise ValueError("min_scene_len_s must not be negative")
        if self.chunk_s < 10 or self.chunk_warmup_s < 0:
            raise ValueError("chunk_s must be at least 10 s and chunk_warmup_s not negative")
        if self.detect_width < 16:
            raise ValueError("detect_width must be at least 16 pixels")

    @property
    def effective_threshold(self) -> float:
        return DEFAULT_THRESHOLDS[self.detector] if self.threshold is None else self.threshold


@dataclass(frozen=True)
class ScanConfig:
    segments: SegmentConfig = SegmentConfig()
    rehash_at_end: bool = True
    # segments the features stage could not classify (too few sample frames with two faces, found by
    # the scan's own face detector) are finished by a cheap gate, not the segment workers
    presence_gate: bool = True

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["segments"]["effective_threshold"] = self.segments.effective_threshold
        return d

    def hash(self) -> str:
        """SHA-256 of the canonical JSON of the configuration."""
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()
