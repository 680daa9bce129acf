"""Listing pairs seen together in several segments."""

from __future__ import annotations

import numpy as np

from forensic.coappear.load import Sighting, camera_of
from forensic.coappear.pairs import find_pairs


def sighting(path, seg, person, ident, flagged=False, wall=None, start=0.0):
    times = {"start_s": start, "end_s": start + 5.0}
    return Sighting(
        key=f"{path}:{seg}",
        sha256=path,
        path=path,
        segment_index=seg,
        person=person,
        camera=path,
        times=times,
        status="analysed",
        score=None,
        flagged=flagged,
        descriptor=np.zeros(128),
        features_dir="",
        wall_start_utc=wall[0] if wall else None,
        wall_end_utc=wall[1] if wall else None,
        identity=ident,
    )


def test_pairs_with_counts_and_span():
    ss = [
        sighting("f1", 0, "A", "P1", True, ("2026-03-01T09:00:00.000Z", "2026-03-01T09:00:05.000Z")),
        sighting("f1", 0, "B", "P2", True, ("2026-03-01T09:00:00.000Z", "2026-03-01T09:00:05.000Z")),
        sighting("f2", 3, "A", "P2", False, ("2026-03-03T10:00:00.000Z", "2026-03-03T10:00:05.000Z")),
        sighting("f2", 3, "B", "P1", False, ("2026-03-03T10:00:00.000Z", "2026-03-03T10:00:05.000Z")),
        sighting("f2", 4, "A", "P1"),  # alone: no pair
        sighting("f3", 0, "A", "P3"),
        sighting("f3", 0, "B", "P1"),  # P1+P3 once only: not listed
    ]
    pairs = find_pairs(ss, 2)
    assert [p.name for p in pairs] == ["P1+P2"]
    p = pairs[0]
    assert (p.segments, p.files, p.cameras, p.flagged) == (2, 2, 2, 1)
    assert p.first_utc == "2026-03-01T09:00:00.000Z" and p.last_utc == "2026-03-03T10:00:05.000Z"
    assert p.span_s == 2 * 86400 + 3600 + 5
    assert p.occurrences[1].first.person == "B"  # P1 was B in the second segment
    assert [p.name for p in find_pairs(ss, 1)] == ["P1+P2", "P1+P3"]


def test_span_without_wall_clock():
    ss = [
        sighting("f1", 0, "A", "P1", start=0.0),
        sighting("f1", 0, "B", "P2", start=0.0),
        sighting("f1", 5, "A", "P1", start=25.0),
        sighting("f1", 5, "B", "P2", start=25.0),
        sighting("f2", 1, "A", "P3"),
        sighting("f2", 1, "B", "P4"),
        sighting("f3", 1, "A", "P3"),
        sighting("f3", 1, "B", "P4"),
    ]
    one, two = sorted(find_pairs(ss, 2), key=lambda p: p.name)
    assert one.span_s == 30.0 and one.span_clock.startswith("s")
    assert two.span_s is None and two.span_clock.startswith("unknown")


def test_cameras_by_folder(tmp_path):
    cams = ((str(tmp_path / "site"), "SITE"), (str(tmp_path / "site" / "door"), "DOOR"))
    assert camera_of(str(tmp_path / "site" / "x.mp4"), cams) == "SITE"
    assert camera_of(str(tmp_path / "site" / "door" / "y.mp4"), cams) == "DOOR"
    assert camera_of(str(tmp_path / "sitex" / "z.mp4"), cams) == str(tmp_path / "sitex" / "z.mp4")
