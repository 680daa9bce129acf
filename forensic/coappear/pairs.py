"""Pairs of identities seen together: both people of one segment, again in other segments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from forensic.coappear.load import Sighting


@dataclass
class Occurrence:
    """One segment showing both identities of a pair (``first`` is the lower-numbered identity)."""

    first: Sighting
    second: Sighting

    @property
    def segment(self) -> Sighting:  # the segment's own fields are the same in both
        return self.first


@dataclass
class Pair:
    first: str  # identity, e.g. "P1"
    second: str
    occurrences: list[Occurrence]

    @property
    def name(self) -> str:
        return f"{self.first}+{self.second}"

    @property
    def segments(self) -> int:
        return len(self.occurrences)

    @property
    def files(self) -> int:
        return len({o.segment.sha256 for o in self.occurrences})

    @property
    def cameras(self) -> int:
        return len({o.segment.camera for o in self.occurrences})

    @property
    def flagged(self) -> int:
        return sum(1 for o in self.occurrences if o.segment.flagged)

    @property
    def first_utc(self) -> str | None:
        walls = [o.segment.wall_start_utc for o in self.occurrences]
        return min(walls) if walls and all(walls) else None

    @property
    def last_utc(self) -> str | None:
        walls = [o.segment.wall_end_utc for o in self.occurrences]
        return max(walls) if walls and all(walls) else None

    @property
    def span_s(self) -> float | None:
        """Wall-clock time from the first occurrence's start to the last one's end, when every
        occurrence has a wall clock; within one file, its seconds-from-first-frame span."""
        if self.first_utc and self.last_utc:
            a = datetime.fromisoformat(self.first_utc.replace("Z", "+00:00"))
            b = datetime.fromisoformat(self.last_utc.replace("Z", "+00:00"))
            return round((b - a).total_seconds(), 3)
        if self.files == 1:
            starts = [float(o.segment.times["start_s"]) for o in self.occurrences]
            ends = [float(o.segment.times["end_s"]) for o in self.occurrences]
            return round(max(ends) - min(starts), 3)
        return None

    @property
    def span_clock(self) -> str:
        if self.first_utc and self.last_utc:
            return "utc"
        return "s (one file)" if self.files == 1 else "unknown (no wall clock for every file)"


def _number(identity: str) -> int:
    return int(identity[1:]) if identity[1:].isdigit() else 10**9


def find_pairs(sightings: list[Sighting], min_segments: int = 2) -> list[Pair]:
    """Pairs seen together in at least ``min_segments`` segments, most cameras, files and
    segments first. Sightings must carry their identity."""
    by_segment: dict[str, list[Sighting]] = {}
    for s in sightings:
        if s.identity:
            by_segment.setdefault(s.key, []).append(s)
    pairs: dict[tuple[str, str], list[Occurrence]] = {}
    for people in by_segment.values():
        people = sorted(people, key=lambda s: s.person)
        for k in range(len(people)):
            for m in range(k + 1, len(people)):
                a, b = sorted((people[k], people[m]), key=lambda s: _number(s.identity))
                if a.identity == b.identity:
                    continue
                pairs.setdefault((a.identity, b.identity), []).append(Occurrence(a, b))
    out = []
    for (p, q), occ in pairs.items():
        if len(occ) >= min_segments:
            occ.sort(key=lambda o: (o.segment.wall_start_utc or "", o.segment.path, o.segment.segment_index))
            out.append(Pair(p, q, occ))
    out.sort(key=lambda x: (-x.cameras, -x.files, -x.segments, _number(x.first), _number(x.second)))
    return out
