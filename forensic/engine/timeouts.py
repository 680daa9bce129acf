"""How long the engines wait for one piece of work before they cancel it.

Every wait of both engines is bounded: a chunk (scene detection of up to 5 minutes of footage) or a
segment (features + model of 3-8 s) that does not answer within a bound derived from its length is
cancelled, tried again, and after the last attempt recorded as failed with the reason; the scan
goes on and ends with exit 3. The bounds are generous (a slow, shared machine must not fail good
work): a fixed allowance for start-up (a worker loading TensorFlow and its models) plus a multiple
of the footage's own duration. ``FORENSIC_TIMEOUT_SCALE`` multiplies every bound (tests use a small
value to meet a blocked decoder quickly; a very slow cluster a large one).
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Timeouts:
    chunk_base_s: float = 60.0  # opening the file, seeking, the detector's warm-up
    chunk_per_footage_s: float = 2.0  # decoding is many times faster than real time; 2x is a stall
    segment_base_s: float = 60.0  # decoding around 5 sample frames, faces, people, the model
    segment_per_footage_s: float = 20.0
    scale: float = 1.0
    startup_s: float = 900.0  # a worker importing TensorFlow and loading its models (unscaled in scans)
    task_start_s: float = 120.0  # a fresh Ray worker process importing the decoding stack

    @classmethod
    def from_env(cls) -> Timeouts:
        value = os.environ.get("FORENSIC_TIMEOUT_SCALE", "")
        try:
            scale = float(value) if value else 1.0
        except ValueError:
            scale = 1.0
        return cls(scale=scale if scale > 0 else 1.0)

    def chunk(self, footage_s: float | None) -> float:
        """Seconds to wait for the scene detection of a chunk of ``footage_s`` seconds."""
        return self.scale * (self.chunk_base_s + self.chunk_per_footage_s * max(0.0, footage_s or 600.0))

    def remote_chunk(self, footage_s: float | None) -> float:
        """A chunk run as a Ray task, which may first start a worker process."""
        return self.chunk(footage_s) + self.scale * self.task_start_s

    def batch_task(self) -> float:
        """Seconds one batch task outside a scan may take (forensic.parallel: rendering a clip,
        extracting a shard of training clips' features): a worker starting and loading its models,
        then the work, which callers keep to a few minutes (one clip, or a shard of clips)."""
        return self.scale * (self.startup_s + self.task_start_s)

    def segment(self, footage_s: float) -> float:
        """Seconds to wait for the features and score of a segment of ``footage_s`` seconds."""
        return self.scale * (self.segment_base_s + self.segment_per_footage_s * max(0.0, footage_s))


def chunk_seconds(chunk) -> float | None:
    """Footage seconds of a :class:`forensic.segments.chunks.Chunk` with its warm-up (None: unknown)."""
    return chunk.footage_s
