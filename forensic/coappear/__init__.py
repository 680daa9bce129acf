"""Co-appearance across the archive: the same two people, again and again (Liu et al. 2019, as the
paper cites them).

Reads a case folder (never the evidence): the face descriptors of the two people of every analysed
segment (``features/<sha256>/<segment>/features.json``, key ``identity``, made by
:mod:`forensic.features.identity`), clusters them into anonymous identities P1, P2, ... (numbers
within this case, largest first: never a name), and lists the pairs of identities seen together
in at least ``min_segments`` segments, with every occurrence. Writes into the case folder:

    coappearance.csv        one row per occurrence of a listed pair: the pair's totals, then the
                            segment (file, camera, times in every clock, wall clock where known,
                            the fusion model's score and flag)
    identities.csv          one row per identity: segments, files, cameras, first/last seen
    identity_sightings.csv  one row per person and segment: its identity and distance to the
                            identity's mean descriptor

and a ``coappear`` record (settings, counts, notes, the files' SHA-256) in manifest.json, whose
``outputs_sha256`` is brought up to date for these files.

A pair seen together often is a pointer for review, not a finding: people who know each other
are seen together; faces that are small, turned or covered give poor descriptors; twins and
look-alikes can fall into one identity and one person can split into two.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from forensic.coappear.cluster import DEFAULT_METHOD, DEFAULT_THRESHOLD, METHODS, cluster
from forensic.coappear.load import TIME_COLUMNS, CoappearError, Loaded, Sighting, load_sightings
from forensic.coappear.pairs import Pair, find_pairs

COAPPEARANCE = "coappearance.csv"
IDENTITIES = "identities.csv"
SIGHTINGS = "identity_sightings.csv"
OUTPUTS = (COAPPEARANCE, IDENTITIES, SIGHTINGS)

__all__ = ["METHODS", "CoappearError", "CoappearResult", "CoappearSettings", "after_scan", "run"]


@dataclass(frozen=True)
class CoappearSettings:
    method: str = DEFAULT_METHOD  # connected | chinese-whispers (forensic.coappear.cluster)
    threshold: float = DEFAULT_THRESHOLD  # Euclidean distance between dlib descriptors
    min_segments: int = 2  # a pair is listed when seen together in at least this many segments
    cameras: tuple[tuple[str, str], ...] = ()  # (folder, camera id): files under folder are that camera

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown clustering method {self.method!r}: {', '.join(METHODS)}")
        if not 0 < self.threshold < 2:
            raise ValueError("the distance threshold must be between 0 and 2 (dlib's usual: 0.6)")
        if self.min_segments < 2:
            raise ValueError("a co-appearance needs at least 2 segments (--min-segments 2 or more)")

    def describe(self) -> str:
        how = {
            "connected": "single-linkage agglomerative clustering (connected components, shortest edges first)",
            "chinese-whispers": "dlib's chinese whispers graph clustering",
        }[self.method]
        return (
            f"{how} of dlib face descriptors at a Euclidean distance threshold of {self.threshold:g}; "
            "the two people of one segment are never put in one identity"
        )


@dataclass
class CoappearResult:
    case_dir: str
    settings: CoappearSettings
    sightings: list[Sighting]
    pairs: list[Pair]
    identities: list[dict[str, Any]]
    counts: dict[str, int]
    notes: list[str] = field(default_factory=list)
    model_sha256: str | None = None
    files: dict[str, str] = field(default_factory=dict)  # written, relative path -> SHA-256


def assign(loaded: Loaded, settings: CoappearSettings) -> dict[str, int]:
    """Cluster the sightings in place (identity, distance); returns the clustering's counts."""
    ss = loaded.sightings
    if not ss:
        return {"edges": 0, "split": 0}
    x = np.stack([s.descriptor for s in ss])
    labels, info = cluster(x, [s.key for s in ss], settings.method, settings.threshold)
    for lab in np.unique(labels):
        idx = np.nonzero(labels == lab)[0]
        mean = x[idx].mean(axis=0)
        for k in idx:
            ss[k].identity = f"P{int(lab) + 1}"
            ss[k].distance = round(float(np.linalg.norm(x[k] - mean)), 4)
    return info


def identity_rows(sightings: list[Sighting]) -> list[dict[str, Any]]:
    by: dict[str, list[Sighting]] = {}
    for s in sightings:
        by.setdefault(s.identity, []).append(s)
    rows = []
    for ident, ss in sorted(by.items(), key=lambda kv: int(kv[0][1:])):
        walls = [s.wall_start_utc for s in ss if s.wall_start_utc]
        ends = [s.wall_end_utc for s in ss if s.wall_end_utc]
        best = min(ss, key=lambda s: (s.distance or 0.0) - 0.001 * (s.face_px or 0))  # central and large
        rows.append(
            {
                "identity": ident,
                "sightings": len(ss),
                "segments": len({s.key for s in ss}),
                "files": len({s.sha256 for s in ss}),
                "cameras": len({s.camera for s in ss}),
                "flagged_segments": len({s.key for s in ss if s.flagged}),
                "first_seen_utc": min(walls) if walls else "",
                "last_seen_utc": max(ends) if ends else "",
                "wall_clock_known": f"{sum(1 for s in ss if s.wall_start_utc)}/{len(ss)}",
                "max_distance_to_mean": max(s.distance or 0.0 for s in ss),
                "thumbnail_features_dir": best.features_dir,
                "thumbnail_person": best.person,
                "thumbnail_segment_key": best.key,
            }
        )
    return rows


def _csv(columns: list[str], rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: _cell(r.get(k)) for k in columns})
    return buf.getvalue().encode("utf-8")


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6f}".rstrip("0").rstrip(".") if v == v else ""
    if isinstance(v, str) and v.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + v  # a spreadsheet must not run a file name as a formula
    return v


SEGMENT_COLUMNS = [
    "path",
    "sha256",
    "camera",
    "segment_index",
    "key",
    *TIME_COLUMNS,
    "wall_start_utc",
    "wall_end_utc",
    "wall_clock_source",
    "status",
    "score",
    "flagged",
]
PAIR_COLUMNS = [
    "pair",
    "identity_1",
    "identity_2",
    "pair_segments",
    "pair_files",
    "pair_cameras",
    "pair_flagged",
    "pair_first_utc",
    "pair_last_utc",
    "pair_span_s",
    "pair_span_clock",
    "occurrence",
]
OCC_COLUMNS = ["identity_1_person", "identity_1_distance", "identity_2_person", "identity_2_distance"]
SIGHTING_COLUMNS = ["identity", "person", "distance_to_mean", "face_px", "spread", "features_dir"]


def _segment_cells(s: Sighting, wall_source: str) -> dict[str, Any]:
    return {
        "path": s.path,
        "sha256": s.sha256,
        "camera": s.camera,
        "segment_index": s.segment_index,
        "key": s.key,
        **s.times,
        "wall_start_utc": s.wall_start_utc,
        "wall_end_utc": s.wall_end_utc,
        "wall_clock_source": wall_source if s.wall_start_utc else "none",
        "status": s.status,
        "score": s.score,
        "flagged": "yes" if s.flagged else "no",
    }


def pair_rows(pairs: list[Pair], wall_source: str) -> list[dict[str, Any]]:
    rows = []
    for p in pairs:
        head = {
            "pair": p.name,
            "identity_1": p.first,
            "identity_2": p.second,
            "pair_segments": p.segments,
            "pair_files": p.files,
            "pair_cameras": p.cameras,
            "pair_flagged": p.flagged,
            "pair_first_utc": p.first_utc,
            "pair_last_utc": p.last_utc,
            "pair_span_s": p.span_s,
            "pair_span_clock": p.span_clock,
        }
        for n, o in enumerate(p.occurrences, 1):
            rows.append(
                {
                    **head,
                    "occurrence": n,
                    **_segment_cells(o.segment, wall_source),
                    "identity_1_person": o.first.person,
                    "identity_1_distance": o.first.distance,
                    "identity_2_person": o.second.person,
                    "identity_2_distance": o.second.distance,
                }
            )
    return rows


def _update_manifest(case_dir: str, record: dict[str, Any]) -> None:
    from forensic.store.case import MANIFEST, CaseFolder

    with open(os.path.join(case_dir, MANIFEST), encoding="utf-8") as f:
        manifest = json.load(f)
    manifest["coappear"] = record
    outputs = manifest.get("outputs_sha256")
    if isinstance(outputs, dict):
        outputs.update(record["files"])
        manifest["outputs_sha256"] = dict(sorted(outputs.items()))
    CaseFolder(case_dir).write_manifest(manifest)


def run(
    case_dir: str,
    settings: CoappearSettings = CoappearSettings(),
    argv: list[str] | None = None,
    write: bool = True,
    lock: bool = True,
) -> CoappearResult:
    """Cluster, list the pairs, write the CSVs and the manifest record. Raises
    :class:`CoappearError` for a folder that is not a scanned case folder or one in use by
    another process (``lock``: take the case folder's lock while writing; the scan, which holds
    it, passes False)."""
    from forensic.store.case import CaseFolder, CaseFolderError

    case_dir = os.path.abspath(case_dir)
    case = CaseFolder(case_dir)
    if write and lock and os.path.isdir(case_dir):
        try:
            case.lock()
        except CaseFolderError as exc:
            raise CoappearError(str(exc)) from exc
    try:
        return _run(case_dir, settings, argv, write)
    finally:
        case.close()


def _run(case_dir: str, settings: CoappearSettings, argv: list[str] | None, write: bool) -> CoappearResult:
    from forensic.provenance import utc_now
    from forensic.store.case import sha256_path, write_atomic

    loaded = load_sightings(case_dir, settings.cameras)
    info = assign(loaded, settings)
    pairs = find_pairs(loaded.sightings, settings.min_segments)
    idents = identity_rows(loaded.sightings)
    counts = {
        **loaded.counts,
        **info,
        "identities": len(idents),
        "pairs": len(pairs),
        "pair_occurrences": sum(p.segments for p in pairs),
    }
    result = CoappearResult(
        case_dir, settings, loaded.sightings, pairs, idents, counts, list(loaded.notes), loaded.model_sha256
    )
    if not write:
        return result
    seg_cols = SEGMENT_COLUMNS
    sighting_rows = [
        {
            **_segment_cells(s, loaded.wall_clock_source),
            "identity": s.identity,
            "person": s.person,
            "distance_to_mean": s.distance,
            "face_px": s.face_px,
            "spread": s.spread,
            "features_dir": s.features_dir,
        }
        for s in sorted(loaded.sightings, key=lambda s: (int(s.identity[1:]), s.path, s.segment_index))
    ]
    blobs = {
        COAPPEARANCE: _csv(PAIR_COLUMNS + seg_cols + OCC_COLUMNS, pair_rows(pairs, loaded.wall_clock_source)),
        IDENTITIES: _csv(list(idents[0]) if idents else ["identity"], idents),
        SIGHTINGS: _csv(SIGHTING_COLUMNS[:2] + seg_cols + SIGHTING_COLUMNS[2:], sighting_rows),
    }
    for name, data in blobs.items():
        write_atomic(os.path.join(case_dir, name), data)
        result.files[name] = sha256_path(os.path.join(case_dir, name))
    record = {
        "utc": utc_now(),
        "command_line": list(argv or []),
        "settings": {**asdict(settings), "cameras": [list(c) for c in settings.cameras]},
        "method": settings.describe(),
        "face_model": {"name": "dlib_face_recognition_resnet_model_v1", "sha256": loaded.model_sha256},
        "wall_clock_source": loaded.wall_clock_source,
        "counts": counts,
        "notes": result.notes,
        "files": dict(result.files),
    }
    _update_manifest(case_dir, record)
    return result


def after_scan(case_dir: str, progress=None, settings: CoappearSettings = CoappearSettings()) -> None:
    """The co-appearance step at the end of a complete scan: a failure is recorded in the case
    folder and on stderr, never fatal (the scan's results stand; `forensic coappear` redoes it)."""
    try:
        res = run(case_dir, settings, argv=["forensic scan (co-appearance step)"], lock=False)
        if progress is not None:
            progress(
                f"co-appearance: {res.counts['identities']} identities, {res.counts['pairs']} pair(s) seen "
                f"together in {settings.min_segments}+ segments: {os.path.join(case_dir, COAPPEARANCE)}"
            )
    except Exception as exc:  # noqa: BLE001 - recorded, and the report can be made without it
        from forensic.records import Problem, Severity
        from forensic.store.case import CaseFolder

        case = CaseFolder(case_dir)
        case.record_problem(
            Problem(Severity.ERROR, "coappear", f"co-appearance step failed: {exc!r}; run `forensic coappear CASE_DIR`")
        )
        with open(case.path("manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        manifest["outputs_sha256"] = case.output_hashes()  # problems.jsonl changed
        case.write_manifest(manifest)
        print(f"forensic: co-appearance step failed: {exc}", file=sys.stderr)
