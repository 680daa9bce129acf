"""Progress of a scan, stage by stage: files hashed, chunks cut, segments analysed; footage seconds
per wall second and an ETA.

Four forms, chosen by the command line and the terminal:

* ``human`` on a terminal (TTY): live progress bars (Rich), one per stage, with footage seconds
  per wall second and the ETA; other messages print above the bars;
* ``human`` into a pipe or file: plain lines, as they always were (one per file hashed or segmented,
  a segments line every few seconds);
* ``json`` (``--log-json``): one JSON object per line with an ``event`` name and a UTC time
  (``stage_start`` / ``stage_end`` with the stage's name, ``segments_start``, ``progress``, ``step``);
* ``quiet``: nothing.

The driver calls :meth:`Progress.stage` when a stage starts, :meth:`Progress.advance` as its
items finish and :meth:`Progress.end_stage`; ``start_segments`` / ``segment_done`` are the
segment stage's names for the same.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO

from forensic.provenance import utc_now

STAGE_WORDS = {"hash": "files hashed", "chunks": "chunks cut", "segments": "segments analysed"}


@dataclass
class _Stage:
    name: str
    total: int
    done: int = 0
    footage_s: float = 0.0
    started: float = 0.0
    task: Any = None  # Rich task id

    def rate(self, now: float) -> float:
        return self.footage_s / max(1e-9, now - self.started)

    def eta_s(self, now: float) -> float | None:
        if not self.done or self.total <= self.done:
            return None if not self.done else 0.0
        return (self.total - self.done) * ((now - self.started) / self.done)


def _eta_text(eta: float | None) -> str:
    return "?" if eta is None else time.strftime("%H:%M:%S", time.gmtime(eta))


class Progress:
    def __init__(
        self, mode: str = "human", stream: TextIO | None = None, every_s: float = 2.0, live: bool | None = None
    ):
        """``live``: bars (True), plain lines (False), or bars when ``stream`` is a terminal (None)."""
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
        self._stages: dict[str, _Stage] = {}
        self._bars = None
        if live is None:
            live = mode == "human" and bool(getattr(self.stream, "isatty", lambda: False)())
        self.live = bool(live) and mode == "human"

    # -- output -------------------------------------------------------------------------------

    def event(self, event: str, message: str = "", **fields: Any) -> None:
        if self.mode == "json":
            self.stream.write(
                json.dumps({"time_utc": utc_now(), "event": event, "message": message, **fields}, default=str) + "\n"
            )
            self.stream.flush()
        elif self.mode == "human" and message:
            if self._bars is not None:
                self._bars.console.print(message, markup=False, highlight=False)
            else:
                self.stream.write(message + "\n")
                self.stream.flush()

    def __call__(self, message: str) -> None:  # plain progress lines (intake, segmenting)
        active = self._active()
        if active is not None:  # on a terminal, the stage's bar shows it instead of a new line
            self._bars.update(active.task, current=message[-60:])
            return
        self.event("step", message)

    def _active(self) -> _Stage | None:
        if not self.live or self._bars is None:
            return None
        running = [st for st in self._stages.values() if st.task is not None and st.done < st.total]
        return running[-1] if running else None

    def _ensure_bars(self):
        if self._bars is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bars

            console = Console(file=self.stream, force_terminal=True)
            self._bars = Bars(
                TextColumn("{task.description:<18}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TextColumn("ETA {task.fields[eta]}"),
                TimeElapsedColumn(),
                TextColumn("{task.fields[current]}", style="dim"),
                console=console,
                transient=False,
                refresh_per_second=4,
            )
            self._bars.start()
        return self._bars

    def close(self) -> None:
        """Stop the live bars (leaving them on screen)."""
        if self._bars is not None:
            self._bars.stop()
            self._bars = None

    # -- stages -------------------------------------------------------------------------------

    def stage(self, name: str, total: int, message: str = "") -> None:
        st = self._stages[name] = _Stage(name, int(total), started=time.monotonic())
        if self.live and total:
            self._add_bar(st)
            if message:
                self._bars.console.print(message, markup=False, highlight=False)
        elif self.mode == "json":
            self.event("stage_start", message, stage=name, total=int(total))
        elif message:
            self.event("step", message)

    def _add_bar(self, st: _Stage) -> None:
        st.task = self._ensure_bars().add_task(
            STAGE_WORDS.get(st.name, st.name), total=st.total, rate="", eta="?", current=""
        )

    def grow(self, name: str, more: int) -> None:
        """``more`` to do in stage ``name`` (started now if it was not): a stage whose work becomes
        known as it goes, like the presence gate, which gets a file's tasks once the file is cut."""
        st = self._stages.get(name)
        if st is None:
            self.stage(name, more)
            return
        st.total += int(more)
        if self.live and st.task is not None:
            self._bars.update(st.task, total=st.total)
        elif self.live and st.total:
            self._add_bar(st)

    def advance(self, name: str, message: str = "", footage_s: float = 0.0, **fields: Any) -> None:
        st = self._stages.get(name)
        if st is None:
            st = self._stages[name] = _Stage(name, 0, started=time.monotonic())
        st.done += 1
        st.footage_s += float(footage_s or 0.0)
        now = time.monotonic()
        if self.live and st.task is not None:
            rate = f"{st.rate(now):.1f} footage s/s" if st.footage_s else ""
            self._bars.update(st.task, completed=st.done, rate=rate, eta=_eta_text(st.eta_s(now)))
        elif self.mode == "json":
            if now - self._last >= self.every_s or st.done >= st.total:
                self._last = now
                self.event(
                    "stage_progress",
                    message,
                    stage=name,
                    done=st.done,
                    total=st.total,
                    footage_s_per_wall_s=round(st.rate(now), 3),
                    eta_s=st.eta_s(now),
                    **fields,
                )
        elif message:
            self.event("step", message)

    def end_stage(self, name: str) -> None:
        st = self._stages.get(name)
        if st is None:
            return
        now = time.monotonic()
        if self.live and st.task is not None:
            self._bars.update(st.task, completed=st.total, eta=_eta_text(0.0), current="")
        elif self.mode == "json":
            self.event(
                "stage_end",
                "",
                stage=name,
                done=st.done,
                total=st.total,
                seconds=round(now - st.started, 3),
                footage_s_per_wall_s=round(st.rate(now), 3),
            )

    # -- the segment stage (its historical names; plain lines as before) -------------------------

    def start_segments(self, total: int) -> None:
        self.total, self.done, self.footage_s = total, 0, 0.0
        self.started = time.monotonic()
        if self.live:
            self.stage("segments", total)
            if not total:
                self.close()
            return
        self.event("segments_start", f"analysing {total} segment(s)", total=total)

    def segment_done(self, duration_s: float, status: str) -> None:
        self.done += 1
        self.footage_s += duration_s
        if self.live:
            self.advance("segments", footage_s=duration_s)
            if self.done >= self.total:
                self.close()
            return
        now = time.monotonic()
        if now - self._last < self.every_s and self.done < self.total:
            return
        self._last = now
        wall = max(1e-9, now - self.started)
        rate = self.footage_s / wall
        eta = (self.total - self.done) * (wall / self.done) if self.done else None
        self.event(
            "progress",
            f"segments {self.done}/{self.total}  footage {rate:.2f} s per wall s  ETA {_eta_text(eta)}",
            done=self.done,
            total=self.total,
            footage_s_per_wall_s=round(rate, 3),
            eta_s=None if eta is None else round(eta, 1),
            last_status=status,
        )
