"""The typed records the report's templates render: one per input path (:class:`FileView`), per
analysed piece of footage (:class:`VideoView`), per segment (:class:`SegmentView`) with its
keyframes (:class:`Keyframe`), and the case's figures (:class:`Summary`).

They hold what was read from the case folder, arranged for showing; :mod:`forensic.report.assemble`
builds them, :mod:`forensic.report.context` gathers them into the one context the templates get.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from forensic.records import EvidenceItem, Finding, FindingStatus
from forensic.report.clocks import ClockSource
from forensic.report.text import has_hidden_characters

STALKING = "stalking"


def is_flagged(f: Finding) -> bool:
    return f.status == FindingStatus.ANALYSED and f.label == STALKING and f.score is not None


@dataclass
class Keyframe:
    rel: str  # relative to the case folder
    frame: int | None
    sha256: str | None = None
    image: str | None = None  # data: URI (reduced JPEG copy), set by the builder
    thumb: str | None = None
    missing: str | None = None  # why it cannot be shown


@dataclass
class FileView:
    """One input path (one row of evidence.csv)."""

    n: int
    item: EvidenceItem
    problems: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # other paths with identical bytes (on the primary)
    clock: ClockSource | None = None
    video: VideoView | None = None

    @property
    def anchor(self) -> str:
        return f"item-{self.n}"

    @property
    def hidden_characters(self) -> bool:
        return has_hidden_characters(self.item.path)


@dataclass
class VideoView:
    """One analysed piece of footage (unique SHA-256): its findings and timeline."""

    n: int
    sha256: str
    item: EvidenceItem
    paths: list[str]
    findings: list[Finding]
    clock: ClockSource
    counts: dict[str, int] = field(default_factory=dict)
    flagged: int = 0
    timeline: str | None = None  # data: URI
    subtitles: dict[str, str] = field(default_factory=dict)  # "vtt"/"srt" -> path relative to the report folder
    player: Any = None  # forensic.report.player.PlayerClock

    @property
    def anchor(self) -> str:
        return f"video-{self.n}"

    @property
    def name(self) -> str:
        return os.path.basename(self.item.path)


@dataclass
class SegmentView:
    finding: Finding
    video: VideoView | None
    rank: int | None = None
    wall_start: str | None = None
    wall_end: str | None = None
    keyframes: list[Keyframe] = field(default_factory=list)
    table: list[dict[str, Any]] = field(default_factory=list)  # features.csv rows (frame, s, angles, distance)
    chart: str | None = None  # data: URI
    warnings: list[str] = field(default_factory=list)
    features_json: dict[str, Any] = field(default_factory=dict)
    detailed: bool = False
    stills: list[Keyframe] = field(default_factory=list)  # the exact decoded sample frames (stills/*.png)
    points: list[Any] = field(default_factory=list)  # forensic.report.finding.FramePoint per sample frame
    looks: str = ""  # who looks toward whom, in words
    streams: list[tuple[str, str]] | None = None  # the streams' contributions, when recorded
    player_start: float | None = None  # player time (what VLC and mpv show), seconds
    player_end: float | None = None
    url: str = ""  # file: URL of the evidence with a media fragment
    mpv: str = ""
    vlc: str = ""

    @property
    def frame_pairs(self) -> list[tuple[Keyframe | None, Keyframe | None, Any]]:
        """(annotated keyframe, exact still, FramePoint) per sample frame, by frame number."""
        st = {k.frame: k for k in self.stills if k.frame is not None}
        pts = {p.frame: p for p in self.points if p.frame is not None}
        if not self.keyframes:
            return [(None, s, pts.get(s.frame)) for s in self.stills]
        out = []
        for i, k in enumerate(self.keyframes):
            if k.frame is None:  # a keyframe path without its frame number: matched by position
                s = self.stills[i] if len(self.stills) == len(self.keyframes) else None
                out.append((k, s, pts.get(s.frame) if s else None))
            else:
                out.append((k, st.get(k.frame), pts.get(k.frame)))
        return out

    @property
    def anchor(self) -> str:
        return f"seg-{self.rank}" if self.rank is not None else f"seg-{self.finding.key}"

    @property
    def flagged(self) -> bool:
        return is_flagged(self.finding)

    @property
    def contact_keyframe(self) -> Keyframe | None:
        shown = [k for k in self.keyframes if k.missing is None]
        return shown[len(shown) // 2] if shown else (self.keyframes[0] if self.keyframes else None)


@dataclass
class Summary:
    inputs: int
    by_status: dict[str, int]
    footage_files: int
    unique_footage: int
    duplicates: int
    footage_seconds: float
    segments_total: int | None  # rows of segments.csv
    findings_total: int
    by_finding_status: dict[str, int]
    classified: int
    flagged: int
    not_flagged: int
    insufficient: int
    short_shot: int
    still: int  # two people, but nothing in the scene moves (a photo, a paused camera, a pan over a picture)
    failed: int
    files_with_flags: int
    flagged_seconds: float
    evidence_changed: list[str]
    # the model (SHA-256) and face detector of each classified segment, with their counts: the report
    # says "scored by the model" only when every classified segment names the manifest's model
    model_sha256s: dict[str, int] = field(default_factory=dict)
    face_detectors: dict[str, int] = field(default_factory=dict)

    @property
    def footage_hours(self) -> float:
        return self.footage_seconds / 3600.0
