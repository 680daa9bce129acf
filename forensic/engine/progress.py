"""Progress of a scan: segments done / total, footage seconds per wall second, ETA.

Three forms: human lines on stderr (default), nothing (``--quiet``), or one JSON object per line
(``--log-json``) with an ``event`` name and a UTC time, for machines.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

from forensic.store.provenance import utc_now


class Progress:
    def __init__(self, mode: str = "human", stream: TextIO | None = None, every_s: float = 2.0):
        if mode not in ("human", "quiet", "json"):
            raise ValueError(f"unknown progress mode {mode!r}")
        self.mode = mode
        self.stream = stream or sys.stderr
        self.every_s = every_s
        self.total = 0
        self.done = 0
        self.footage_s = 0.0
        self.started = time.monotonic()
        self._last = 0.0

    def event(self, event: str, message: str = "", **fields: Any) -> None:
        if self.mode == "json":
            self.stream.write(json.dumps({"time_utc": utc_now(), "event": event, "message": message, **fields},
                                         default=str) + "\n")  # fmt: skip
            self.stream.flush()
        elif self.mode == "human" and message:
            self.stream.write(message + "\n")
            self.stream.flush()

    def __call__(self, message: str) -> None:  # plain progress lines (intake, segmenting)
        self.event("step", message)

    def start_segments(self, total: int) -> None:
        self.total, self.done, self.footage_s = total, 0, 0.0
        self.started = time.monotonic()
        self.event("segments_start", f"analysing {total} segment(s)", total=total)

    def segment_done(self, duration_s: float, status: str) -> None:
        self.done += 1
        self.footage_s += duration_s
        now = time.monotonic()
        if now - self._last < self.every_s and self.done < self.total:
            return
        self._last = now
        wall = max(1e-9, now - self.started)
        rate = self.footage_s / wall
        eta = (self.total - self.done) * (wall / self.done) if self.done else None
        eta_text = "?" if eta is None else time.strftime("%H:%M:%S", time.gmtime(eta))
        self.event(
            "progress",
            f"segments {self.done}/{self.total}  footage {rate:.2f} s per wall s  ETA {eta_text}",
            done=self.done, total=self.total, footage_s_per_wall_s=round(rate, 3),
            eta_s=None if eta is None else round(eta, 1), last_status=status,
        )  # fmt: skip
