"""Read the case folder into sightings: one person (A or B) of one analysed segment with a face
descriptor, with the segment's times in every clock, its camera, its wall clock where known and
the fusion model's verdict."""

from __future__ import annotations

import csv
import json
import math
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

# the segment's times, in every clock (forensic.records), copied from the findings row
TIME_COLUMNS = (
    "start_frame",
    "end_frame",
    "start_s",
    "end_s",
    "start_pts",
    "end_pts",
    "start_pts_s",
    "end_pts_s",
    "time_base",
    "start_tc",
    "end_tc",
)
WALL_SOURCE = "container creation time (unverified metadata) + seconds from the first frame"


class CoappearError(Exception):
    """The folder is not a case folder the co-appearance stage can read (a usage error)."""


@dataclass
class Sighting:
    """One person of one segment, as a face descriptor."""

    key: str  # the segment's key (file hash and frame range)
    sha256: str
    path: str
    segment_index: int
    person: str  # "A" or "B", labels within the segment only
    camera: str
    times: dict[str, Any]
    status: str
    score: float | None
    flagged: bool
    descriptor: np.ndarray
    features_dir: str
    face_px: int | None = None
    spread: float | None = None
    wall_start_utc: str | None = None
    wall_end_utc: str | None = None
    identity: str = ""  # P1, P2, ... once clustered
    distance: float | None = None  # to its identity's mean descriptor


@dataclass
class Loaded:
    sightings: list[Sighting]
    model_sha256: str | None
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    wall_clock_source: str = WALL_SOURCE


def _read_findings(case_dir: str) -> list[dict[str, Any]]:
    pq, cs = os.path.join(case_dir, "findings.parquet"), os.path.join(case_dir, "findings.csv")
    if os.path.isfile(pq):
        import pandas as pd

        return pd.read_parquet(pq).to_dict("records")
    if os.path.isfile(cs):
        with open(cs, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    raise CoappearError(f"{case_dir} has no findings.parquet or findings.csv: run `forensic scan` first")


def _creation_times(case_dir: str) -> dict[str, datetime]:
    path = os.path.join(case_dir, "evidence.csv")
    out: dict[str, datetime] = {}
    if not os.path.isfile(path):
        return out
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            sha, text = row.get("sha256") or "", row.get("creation_time_utc") or ""
            if sha and text:
                try:
                    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
                except ValueError:
                    continue
                out[sha] = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    return out


def iso_utc(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def camera_of(path: str, cameras: tuple[tuple[str, str], ...]) -> str:
    """The examiner's camera id of the deepest folder holding ``path``, else the file itself."""
    best, best_len = path, -1
    full = os.path.abspath(path)
    for folder, cam in cameras:
        top = os.path.abspath(folder).rstrip(os.sep)
        if (full == top or full.startswith(top + os.sep)) and len(top) > best_len:
            best, best_len = cam, len(top)
    return best


def _plain(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        v = v.item()
    if v is not None and not isinstance(v, (int, float, str)):
        v = str(v)
    return None if v == "" else v


def _flagged(row: dict[str, Any]) -> bool:
    return str(row.get("status")) == "analysed" and str(row.get("label")) == "stalking"


def read_identity(case_dir: str, features_dir: str) -> dict[str, Any] | None:
    """The identity record of one segment (features.json ``identity``), or None."""
    if not features_dir or os.path.isabs(features_dir) or ".." in features_dir.split(os.sep):
        return None
    path = os.path.join(case_dir, features_dir, "features.json")
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return None
    ident = meta.get("identity") if isinstance(meta, dict) else None
    return ident if isinstance(ident, dict) else None


def load_sightings(case_dir: str, cameras: tuple[tuple[str, str], ...] = ()) -> Loaded:
    """Every person with a descriptor in the case folder's analysed segments."""
    case_dir = os.path.abspath(case_dir)
    if not os.path.isfile(os.path.join(case_dir, "manifest.json")):
        raise CoappearError(f"{case_dir} is not a case folder (no manifest.json)")
    rows = _read_findings(case_dir)
    created = _creation_times(case_dir)
    counts: Counter[str] = Counter()
    by_model: dict[str, list[Sighting]] = {}
    notes: list[str] = []
    for row in rows:
        counts["segments"] += 1
        if str(row.get("status")) != "analysed":
            continue
        counts["analysed_segments"] += 1
        features_dir = str(_plain(row.get("features_dir")) or "")
        ident = read_identity(case_dir, features_dir)
        if ident is None:
            counts["analysed_without_descriptors"] += 1
            continue
        counts["segments_with_descriptors"] += 1
        counts["faces_skipped_small"] += int(ident.get("skipped_small") or 0)
        times = {c: _plain(row.get(c)) for c in TIME_COLUMNS}
        start = created.get(str(row.get("sha256")))
        wall = (None, None)
        if start is not None and times["start_s"] is not None and times["end_s"] is not None:
            wall = (
                iso_utc(start + timedelta(seconds=float(times["start_s"]))),
                iso_utc(start + timedelta(seconds=float(times["end_s"]))),
            )
        for p in ident.get("people") or []:
            if not p.get("descriptor"):
                counts["people_without_descriptor"] += 1
                continue
            score = _plain(row.get("score"))
            s = Sighting(
                key=str(row["key"]),
                sha256=str(row["sha256"]),
                path=str(row["path"]),
                segment_index=int(row["segment_index"]),
                person=str(p.get("person")),
                camera=camera_of(str(row["path"]), cameras),
                times=times,
                status=str(row.get("status")),
                score=None if score is None else float(score),
                flagged=_flagged(row),
                descriptor=np.asarray(p["descriptor"], dtype=np.float64),
                features_dir=features_dir,
                face_px=max(p.get("face_px") or [0]) or None,
                spread=p.get("spread"),
                wall_start_utc=wall[0],
                wall_end_utc=wall[1],
            )
            by_model.setdefault(str(ident.get("model_sha256")), []).append(s)
    model = max(by_model, key=lambda k: len(by_model[k])) if by_model else None
    for other, ss in by_model.items():
        if other != model:
            notes.append(
                f"{len(ss)} descriptor(s) from another face model (SHA-256 {other}) left out: descriptors "
                "of different models cannot be compared"
            )
    if counts["analysed_without_descriptors"]:
        notes.append(
            f"{counts['analysed_without_descriptors']} analysed segment(s) have no face descriptors "
            "(scanned by a version without them): their people are not in the co-appearance tables"
        )
    paths = {str(row["path"]) for row in rows}
    for folder, cam in cameras:  # a typo in a folder would leave its files each their own camera, silently
        if not any(camera_of(p, ((folder, cam),)) == cam for p in paths):
            notes.append(f"--camera {folder}={cam} matches no file of the case: no file was given camera {cam!r}")
    sightings = by_model.get(model, []) if model else []
    counts["sightings"] = len(sightings)
    return Loaded(sightings, model, dict(counts), notes)
