"""The report's co-appearance section: what ``forensic coappear`` (or the scan's co-appearance
step) wrote into the case folder, with a face thumbnail per identity and a timeline per pair.

Reads coappearance.csv, identities.csv and the manifest's ``coappear`` record; wall-clock times
are the report's own (the files' clock sources, examiner offsets included), not the CSV's.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from forensic.coappear import COAPPEARANCE, IDENTITIES
from forensic.coappear.load import read_identity
from forensic.report.clocks import parse_utc
from forensic.report.context import ReportContext
from forensic.report.readers import inside_case

PAIRS_SHOWN = 20  # pairs with a timeline and an occurrence table; all are in coappearance.csv


@dataclass
class IdentityView:
    name: str
    segments: int
    files: int
    cameras: int
    flagged: int
    thumb: str | None = None  # data: URI


@dataclass
class OccurrenceView:
    video_n: int | None
    file: str
    camera: str
    segment_index: int
    start_tc: str
    end_tc: str
    start_frame: int
    end_frame: int
    wall_start: str | None
    flagged: bool
    score: str


@dataclass
class PairView:
    name: str
    first: str
    second: str
    segments: int
    files: int
    cameras: int
    flagged: int
    span: str
    occurrences: list[OccurrenceView] = field(default_factory=list)
    timeline: str | None = None  # data: URI


@dataclass
class CoappearView:
    ran: bool
    record: dict[str, Any] = field(default_factory=dict)
    identities: dict[str, IdentityView] = field(default_factory=dict)
    pairs: list[PairView] = field(default_factory=list)
    pairs_total: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, Any]:
        return self.record.get("counts") or {}

    @property
    def settings(self) -> dict[str, Any]:
        return self.record.get("settings") or {}


def _rows(path: str) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _thumb(ctx: ReportContext, features_dir: str, person: str) -> str | None:
    if not features_dir or inside_case(ctx.case_dir, features_dir) is None:
        return None
    rec = read_identity(ctx.case_dir, features_dir) or {}
    for p in rec.get("people") or []:
        if p.get("person") == person and p.get("thumb_jpeg_b64"):
            return "data:image/jpeg;base64," + str(p["thumb_jpeg_b64"])
    return None


def _span(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _timeline(pair: PairView, walls: list[datetime | None], rows: list[dict[str, str]]) -> str:
    """One row per camera; wall-clock x axis when every occurrence has one, else seconds from each
    file's first frame (then the rows do not share a clock, and the axis says so)."""
    from forensic.report.charts import _figure, _png, data_uri

    cams = sorted({o.camera for o in pair.occurrences})
    fig = _figure(7.0, 0.5 + 0.32 * len(cams))
    ax = fig.add_subplot(1, 1, 1)
    use_wall = all(w is not None for w in walls)
    for o, w, r in zip(pair.occurrences, walls, rows):
        y = cams.index(o.camera)
        colour = "#c0392b" if o.flagged else "#2c6fad"
        if use_wall:
            import matplotlib.dates as mdates

            x0 = mdates.date2num(w)
            width = (float(r["end_s"]) - float(r["start_s"])) / 86400.0
        else:
            x0, width = float(r["start_s"]), float(r["end_s"]) - float(r["start_s"])
        ax.broken_barh([(x0, max(width, 1e-9))], (y - 0.35, 0.7), facecolors=colour, edgecolors="white")
        ax.plot([x0 + width / 2], [y], marker="|", color=colour, markersize=14)
    ax.set_yticks(range(len(cams)))
    names = [os.path.basename(c) if os.sep in c else c for c in cams]  # a file as its own camera: its name
    ax.set_yticklabels([c if len(c) <= 28 else "…" + c[-27:] for c in names], fontsize=7)
    ax.set_ylim(-0.6, len(cams) - 0.4)
    if use_wall:
        import matplotlib.dates as mdates

        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d\n%H:%M:%S"))
        ax.set_xlabel("wall clock (UTC); red: flagged by the fusion model", fontsize=7)
    else:
        ax.set_xlabel("seconds from the first frame of each file (no shared wall clock); red: flagged", fontsize=7)
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    return data_uri(_png(fig), "image/png")


def coappear_view(ctx: ReportContext) -> CoappearView:
    """The section's data, from the case folder (``ran`` False when co-appearance was not run); a
    table that cannot be read is said in the section, never stops the report."""
    record = ctx.manifest.get("coappear")
    pairs_csv, ids_csv = os.path.join(ctx.case_dir, COAPPEARANCE), os.path.join(ctx.case_dir, IDENTITIES)
    if not isinstance(record, dict) or not os.path.isfile(pairs_csv):
        return CoappearView(False)
    view = CoappearView(True, record, notes=[str(n) for n in record.get("notes") or []])
    try:
        _fill(ctx, view, pairs_csv, ids_csv)
    except (OSError, ValueError, KeyError) as exc:
        view.pairs, view.identities = [], {}
        view.notes.append(f"the co-appearance tables cannot be read ({exc!r}): run `forensic coappear CASE_DIR`")
    return view


def _fill(ctx: ReportContext, view: CoappearView, pairs_csv: str, ids_csv: str) -> None:
    idents = {r["identity"]: r for r in _rows(ids_csv)} if os.path.isfile(ids_csv) else {}
    by_pair: dict[str, list[dict[str, str]]] = {}
    for r in _rows(pairs_csv):
        by_pair.setdefault(r["pair"], []).append(r)
    view.pairs_total = len(by_pair)
    videos = {v.sha256: v for v in ctx.videos}
    for name, rows in list(by_pair.items())[:PAIRS_SHOWN]:
        h = rows[0]
        pv = PairView(
            name,
            h["identity_1"],
            h["identity_2"],
            int(h["pair_segments"]),
            int(h["pair_files"]),
            int(h["pair_cameras"]),
            int(h["pair_flagged"]),
            "",
        )
        walls = []
        for r in rows:
            v = videos.get(r["sha256"])
            wall = v.clock.at(float(r["start_s"])) if v is not None else None
            walls.append(parse_utc(wall))
            pv.occurrences.append(
                OccurrenceView(
                    v.n if v is not None else None,
                    os.path.basename(r["path"]),
                    "this file" if r["camera"] == r["path"] else r["camera"],
                    int(r["segment_index"]),
                    r["start_tc"],
                    r["end_tc"],
                    int(r["start_frame"]),
                    int(r["end_frame"]),
                    wall,
                    r["flagged"] == "yes",
                    f"{float(r['score']):.6f}" if r["score"] else "",
                )
            )
        if all(walls):
            ends = [w.timestamp() + float(r["end_s"]) - float(r["start_s"]) for w, r in zip(walls, rows)]
            pv.span = f"{_span(max(ends) - min(w.timestamp() for w in walls))} (wall clock)"
        elif pv.files == 1:
            pv.span = (
                f"{_span(max(float(r['end_s']) for r in rows) - min(float(r['start_s']) for r in rows))} "
                "(within one file)"
            )
        else:
            pv.span = "unknown: not every file has a wall clock"
        try:
            pv.timeline = _timeline(pv, walls, rows)
        except Exception as exc:  # noqa: BLE001 - a chart must not stop the report
            view.notes.append(f"timeline of pair {name} could not be drawn: {exc}")
        view.pairs.append(pv)
        for ident in (pv.first, pv.second):
            if ident not in view.identities:
                r = idents.get(ident, {})
                view.identities[ident] = IdentityView(
                    ident,
                    int(r.get("segments") or 0),
                    int(r.get("files") or 0),
                    int(r.get("cameras") or 0),
                    int(r.get("flagged_segments") or 0),
                    _thumb(ctx, r.get("thumbnail_features_dir", ""), r.get("thumbnail_person", "")),
                )
