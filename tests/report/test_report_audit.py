"""An examiner's cross-check of the report against the case folder, line by line, before court.

Every figure the report shows is recomputed here from the case folder's own records (evidence.csv,
segments.csv, findings.parquet and findings.csv, problems.jsonl, manifest.json) and from the
options the report was made with (its clock statements), never from the report code: counts by
status, the flagged list and its order, each flagged segment's file, times in every clock, score and
threshold, the files' hashes and sizes, the problems by severity, the sessions, the model. Every
timestamp shown must name its clock, and every wall-clock time its source. The PDF must say what
the HTML says.

Two real cases: the report fixture (tests/report/conftest.py: a duplicate, a failed and a skipped
input, a creation time with the manifest's clock offset, an examiner's ISO start time, hostile file
names) and the demo footage (`forensic synth demo`) scanned for real with the default model
(analysed, insufficient, still and short segments), reported with an examiner's ISO start time
given with a time zone.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from forensic.records import unescape_path
from tests.report.conftest import TS_START

REPO = Path(__file__).resolve().parents[2]

# -- reading the report ------------------------------------------------------------------------------

BLOCKS = {"p", "li", "div", "td", "th", "h1", "h2", "h3", "h4", "pre", "title"}


def norm(text: str) -> str:
    return " ".join(text.split())


@dataclass
class Block:
    tag: str
    section: str
    labels: list[str]  # column and row headers of this cell and of the cells around it
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return norm("".join(self.parts))

    @property
    def context(self) -> str:
        return " ".join([*self.labels, self.text])


@dataclass
class Table:
    section: str
    head: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    in_head: bool = False
    row: list[str] | None = None
    row_head: str | None = None


class Report(HTMLParser):
    """report.html as an examiner reads it: text by section, tables as rows of cells, and every
    innermost block of text with the headers that label it."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: dict[str, list[str]] = {}
        self.blocks: list[Block] = []
        self.tables: list[Table] = []
        self._ids: list[str | None] = []  # section/div ids open
        self._open: list[Block] = []
        self._tables: list[Table] = []
        self._skip = 0
        self.feed(html)
        self.close()

    @property
    def section(self) -> str:
        return next((i for i in reversed(self._ids) if i), "")

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("style", "script"):
            self._skip += 1
        if tag in ("section", "div"):
            self._ids.append(a.get("id"))
            if a.get("id"):
                self.sections.setdefault(a["id"], [])
        if tag == "table":
            self._tables.append(Table(self.section))
        t = self._tables[-1] if self._tables else None
        if tag == "thead" and t:
            t.in_head = True
        if tag == "tr" and t:
            t.row, t.row_head = [], None
        if tag in BLOCKS:
            labels = list(self._open[-1].labels) if self._open else []
            if tag in ("td", "th") and t is not None and t.row is not None:
                col = len(t.row)
                if not t.in_head and col < len(t.head):
                    labels.append(t.head[col])
                if t.row_head is not None:
                    labels.append(t.row_head)
            self._open.append(Block(tag, self.section, labels))
        if tag == "br":
            self._data("\n")

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1
        t = self._tables[-1] if self._tables else None
        if tag in BLOCKS and self._open and self._open[-1].tag == tag:
            b = self._open.pop()
            self.blocks.append(b)
            if self._open:  # the enclosing block reads its children's text too
                self._open[-1].parts.append(" " + "".join(b.parts) + " ")
            if tag in ("td", "th") and t is not None and t.row is not None:
                t.row.append(b.text)
                if tag == "th" and len(t.row) == 1 and not t.in_head:
                    t.row_head = b.text
        if tag == "tr" and t and t.row is not None:
            if t.in_head:
                t.head.extend(t.row)
            else:
                t.rows.append(t.row)
            t.row = None
        if tag == "thead" and t:
            t.in_head = False
        if tag == "table" and t:
            self.tables.append(self._tables.pop())
        if tag in ("section", "div") and self._ids:
            self._ids.pop()

    def _data(self, data: str) -> None:
        if self._skip:
            return
        for sid in {i for i in self._ids if i}:
            self.sections[sid].append(data)
        if self._open:
            self._open[-1].parts.append(data)

    def handle_data(self, data):
        self._data(data)

    def text(self, section: str) -> str:
        return norm("".join(self.sections[section]))

    def table(self, section: str, column: str) -> Table:
        found = [t for t in self.tables if t.section == section and column in t.head]
        assert len(found) == 1, f"section {section}: {len(found)} tables with a column {column!r}"
        return found[0]

    def kv(self, section: str) -> dict[str, str]:
        """The key-value rows (a header cell, then a value cell) of a section's tables."""
        out = {}
        for t in self.tables:
            if t.section == section:
                for r in t.rows:
                    if len(r) == 2:
                        out[r[0]] = r[1]
        return out


# -- the records, read as the examiner reads them ---------------------------------------------------


def timecode(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def shown(text: str) -> str:
    """A name as the report shows it (README: invisible and direction-changing characters as tokens)."""
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if 0xDC80 <= ord(ch) <= 0xDCFF:
            out.append(f"\u20390x{ord(ch) - 0xDC00:02X}\u203a")
        elif cat in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"} or (cat == "Zs" and ch != " "):
            out.append(f"\u2039U+{ord(ch):04X}\u203a")
        else:
            out.append(ch)
    return "".join(out)


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@dataclass
class Records:
    case: Path
    manifest: dict
    evidence: list[dict[str, str]]
    segments: list[dict[str, str]]
    findings: list[dict[str, str]]  # findings.csv, as text: the figures an examiner reads
    parquet: pd.DataFrame
    problems: list[dict]
    clock_given: dict[str, str]  # the report's --clock-offset statements, by SHA-256
    manifest_sha256_read: str | None = None  # of manifest.json as the report read it

    @property
    def by_sha(self) -> dict[str, dict[str, str]]:
        return {r["sha256"]: r for r in self.evidence if r["sha256"] and not r["duplicate_of"]}

    @property
    def videos(self) -> list[dict[str, str]]:
        """The distinct footage files as the report numbers them: evidence.csv order, analysed or
        partial, identical copies left out."""
        out, seen = [], set()
        for r in self.evidence:
            if r["status"] in ("analysed", "partial") and r["sha256"] and not r["duplicate_of"]:
                if r["sha256"] not in seen:
                    seen.add(r["sha256"])
                    out.append(r)
        return out

    def video_number(self, sha: str) -> int:
        return next(n for n, r in enumerate(self.videos, 1) if r["sha256"] == sha)

    def player_offset(self, sha: str) -> float:
        r = self.by_sha[sha]
        try:
            off = round(float(r["start_pts_s"]) - float(r["format_start_time_s"]), 6)
        except ValueError:
            return 0.0
        return max(0.0, off)

    def wall_start(self, sha: str) -> tuple[datetime | None, str]:
        """The wall-clock time of the file's first frame and its kind, by the README's rules: an
        examiner's statement (command line over manifest): an ISO time is the first frame's, a
        number is added to the creation time; else the creation time (unverified)."""
        r = self.by_sha[sha]
        created = parse_iso(r["creation_time_utc"]) if r["creation_time_utc"] else None
        given = self.clock_given.get(sha)
        if given is None:
            for key, value in (self.manifest.get("clock_offsets") or {}).items():
                if key == sha or key == r["path"]:
                    given = value
        if given is not None:
            if isinstance(given, str) and re.match(r"^\d{4}-\d{2}-\d{2}", given):
                return parse_iso(given), "examiner_start"
            if created is None:
                return None, "none"
            return created + timedelta(seconds=float(given)), "examiner_offset"
        return (created, "creation_time") if created else (None, "none")

    def wall(self, sha: str, seconds: float) -> str | None:
        start, _ = self.wall_start(sha)
        return iso(start + timedelta(seconds=seconds)) if start else None


def read_records(case: Path, clock_given: dict[str, str], manifest_sha256_read: str | None) -> Records:
    problems = [json.loads(x) for x in (case / "problems.jsonl").read_text().splitlines() if x.strip()]
    evidence = [{**r, "path": unescape_path(r["path"])} for r in _rows(case / "evidence.csv")]
    findings = [{**r, "path": unescape_path(r["path"])} for r in _rows(case / "findings.csv")]
    segments = [{**r, "path": unescape_path(r["path"])} for r in _rows(case / "segments.csv")]
    return Records(
        case,
        json.loads((case / "manifest.json").read_text()),
        evidence,
        segments,
        findings,
        pd.read_parquet(case / "findings.parquet"),
        problems,
        clock_given,
        manifest_sha256_read,
    )


def flagged_of(rec: Records) -> list[dict[str, str]]:
    """The flagged findings, best first (ties: path, then first frame)."""
    fl = [f for f in rec.findings if f["status"] == "analysed" and f["label"] == "stalking"]
    return sorted(fl, key=lambda f: (-float(f["score"]), f["path"], int(f["start_frame"])))


CLOCK_WORDS = {  # how the report names each source of wall-clock time, in a table cell and in full
    "examiner_start": ("examiner's start time", "examiner-supplied wall-clock time of the first frame"),
    "examiner_offset": ("creation time + examiner's offset", "corrected by the examiner-supplied offset"),
    "creation_time": ("creation time, unverified", "container creation time: unverified metadata"),
}


# -- the cases ---------------------------------------------------------------------------------------


@dataclass
class Audited:
    rec: Records
    doc: Report
    html: str
    pdf_text: str
    top: int


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def fixture_audit(reported, fixture_case) -> Audited:
    """The report fixture: `forensic report --clock-offset TS_FILE=TS_START --top 4` (conftest)."""
    before = hashlib.sha256((fixture_case.case / "manifest.json").read_bytes()).hexdigest()
    rec = read_records(reported.case, {reported.sha["ts"]: TS_START}, before)
    html = (reported.case / "report" / "report.html").read_text(encoding="utf-8")
    return Audited(rec, Report(html), html, _pdf_text(reported.case / "report" / "report.pdf"), 4)


def _forensic(*args: str) -> None:
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run(
        [sys.executable, "-m", "forensic", *args], capture_output=True, text=True, env=env, cwd=REPO, check=False
    )
    assert proc.returncode in (0, 3), proc.stderr[-3000:]


@pytest.fixture(scope="module")
def demo_audit(tmp_path_factory) -> Audited:
    """The demo footage scanned for real (the one scan of this module), then reported again with an
    examiner's start time, given in another time zone, for the file of the best-scoring segment (or
    the first analysed file when nothing is flagged)."""
    root = tmp_path_factory.mktemp("audit_demo")
    _forensic("synth", "demo", "--out", str(root / "footage"))
    case = root / "case"
    _forensic("scan", str(root / "footage"), "--out", str(case), "--engine", "local", "--case-id", "AUDIT-1", "-q")
    findings = [{**r, "path": unescape_path(r["path"])} for r in _rows(case / "findings.csv")]
    evidence = [{**r, "path": unescape_path(r["path"])} for r in _rows(case / "evidence.csv")]
    fl = sorted((f for f in findings if f["label"] == "stalking"), key=lambda f: (-float(f["score"]), f["path"])) or [
        f for f in findings if f["status"] == "analysed"
    ]
    target = fl[0] if fl else findings[0]
    given = "2026-03-02T18:00:00+01:00"
    before = hashlib.sha256((case / "manifest.json").read_bytes()).hexdigest()
    _forensic("report", str(case), "--clock-offset", f"{target['path']}={given}", "--top", "0", "-q")
    assert any(r["sha256"] == target["sha256"] for r in evidence)
    rec = read_records(case, {target["sha256"]: given}, before)
    html = (case / "report" / "report.html").read_text(encoding="utf-8")
    return Audited(rec, Report(html), html, _pdf_text(case / "report" / "report.pdf"), 0)


@pytest.fixture(params=["fixture", "demo"])
def audited(request) -> Audited:
    return request.getfixturevalue(f"{request.param}_audit")


# -- the records agree with each other (what the report is checked against) -------------------------


def test_the_records_agree_with_each_other(audited):
    rec = audited.rec
    pq = rec.parquet
    assert len(pq) == len(rec.findings)
    by_key = {f["key"]: f for f in rec.findings}
    for _, row in pq.iterrows():
        f = by_key[row["key"]]
        assert f["status"] == row["status"]
        if pd.isna(row["score"]):
            assert f["score"] == ""
        else:  # findings.csv holds the score to 6 decimals
            assert f["score"] == f"{row['score']:.6f}"
    segs = {(s["sha256"], s["start_frame"], s["end_frame"]): s for s in rec.segments}
    for f in rec.findings:
        s = segs[(f["sha256"], f["start_frame"], f["end_frame"])]
        assert int(s["index"]) == int(f["segment_index"])
        for col in ("start_s", "end_s", "start_pts_s", "end_pts_s"):
            assert math.isclose(float(s[col]), float(f[col]), abs_tol=1e-6), col
        for col in ("start_pts", "end_pts", "time_base"):
            assert s[col] == f[col], col
    for f in rec.findings:
        if f["status"] == "analysed":  # the label is the threshold's verdict on the score
            assert (f["label"] == "stalking") == (float(f["score"]) >= float(f["threshold"]))
    summary = rec.manifest.get("summary") or {}
    if "findings_by_status" in summary:
        assert summary["findings_by_status"] == dict(sorted(Counter(f["status"] for f in rec.findings).items()))
        assert summary["flagged"] == len(flagged_of(rec))
    assert summary["segments"] == len(rec.segments)
    assert summary["inputs"] == len(rec.evidence)
    g = _figures(rec)
    assert math.isclose(summary["footage_seconds"], g["seconds"], abs_tol=1e-6)
    assert (summary["unique_footage_files"], summary["duplicates"]) == (g["unique"], g["duplicates"])


# -- the header and the summary ----------------------------------------------------------------------


def _figures(rec: Records) -> dict:
    statuses = Counter(r["status"] for r in rec.evidence)
    footage = [r for r in rec.evidence if r["status"] not in ("skipped", "pending")]
    unique = [r for r in footage if not r["duplicate_of"]]
    fs = Counter(f["status"] for f in rec.findings)
    fl = flagged_of(rec)
    return {
        "inputs": len(rec.evidence),
        "by_status": dict(sorted(statuses.items())),
        "footage": len(footage),
        "unique": len(unique),
        "duplicates": sum(1 for r in rec.evidence if r["duplicate_of"]),
        "seconds": sum(float(r["duration_s"] or 0) for r in unique),
        "segments": len(rec.segments),
        "classified": fs["analysed"],
        "insufficient": fs["insufficient_subjects"],
        "short": fs["short_shot"],
        "still": fs["still"],
        "failed": fs["failed"],
        "flagged": len(fl),
        "flagged_files": len({f["sha256"] for f in fl}),
        "flagged_seconds": sum(float(f["end_s"]) - float(f["start_s"]) for f in fl),
        "best": fl[0]["score"] if fl else None,
    }


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def test_header_names_the_case_the_scan_and_the_manifest(audited):
    rec, doc = audited.rec, audited.doc
    kv = doc.kv("header")
    m = rec.manifest
    assert kv["Case ID"] == (shown(m["case_id"]) if m.get("case_id") else "not recorded")
    assert kv["Examiner"] == (shown(m["examiner"]) if m.get("examiner") else "not recorded")
    assert kv["Report ID"].startswith(m["report_id"])
    assert kv["Analysis (scan) started, UTC"] == m["started_utc"]
    assert kv["Analysis (scan) ended, UTC"].startswith(m["ended_utc"])
    assert kv["Scan status, exit code"] == f"{m['status']}, exit code {m['exit_code']}"
    assert kv["manifest.json SHA-256 (as this report read it)"] == rec.manifest_sha256_read
    sessions = m.get("sessions") or []
    if sessions:  # the scan's times span its sessions, every one of which the appendix lists
        assert m["started_utc"] <= sessions[0]["started_utc"] <= sessions[-1]["ended_utc"] <= m["ended_utc"]
        listed = doc.kv("appendix")["Sessions, UTC"]
        for n, s in enumerate(sessions, 1):
            assert f"{n}: {s['started_utc']} \u2013 {s['ended_utc']}, {s['status']}" in listed


def test_at_a_glance_and_what_was_examined_count_what_the_records_hold(audited):
    rec, doc = audited.rec, audited.doc
    g = _figures(rec)
    rows = [r for t in doc.tables if t.section == "header" and not t.head for r in t.rows if len(r) == 2]
    glance = {r[1]: r[0] for r in rows}
    line = next(k for k in glance if k.startswith("input paths examined"))
    assert glance[line] == str(g["inputs"])
    statuses = ", ".join(f"{n} {k}" for k, n in g["by_status"].items())
    assert line.startswith(f"input paths examined: {statuses}")
    if g["duplicates"]:
        assert _plural(g["duplicates"], "identical copy", "identical copies") in line
    line = next(k for k in glance if k.startswith("of footage in"))
    assert glance[line] == f"{g['seconds'] / 3600:.2f} h"
    assert f"of footage in {g['unique']} distinct footage file(s) ({g['seconds']:.3f} s" in line
    line = next(k for k in glance if k.startswith("segments"))
    assert glance[line] == str(g["segments"])
    assert (
        f"{g['classified']} classified by the model, {g['insufficient']} with too few people, "
        f"{_plural(g['short'], 'short shot', 'short shots')}, {g['still']} still, {g['failed']} failed"
    ) in line
    if any(float(x["end_s"]) - float(x["start_s"]) < 3 for x in rec.segments):  # a short shot is not 3-8 s
        assert not line.startswith("segments of 3\u20138 s")
    line = next(k for k in glance if "flagged as possible stalking" in k)
    assert glance[line] == str(g["flagged"])
    assert f"in {g['flagged_files']} file(s), {g['flagged_seconds']:.3f} s in all" in line
    if g["best"] is not None:
        assert line.endswith(f"the best score is {g['best']}")  # as findings.csv writes it

    kv = doc.kv("examined")
    assert kv["Input paths"].startswith(f"{g['inputs']} ({statuses}); {g['footage']} footage file(s), {g['unique']}")
    assert kv["Footage"].startswith(f"{g['seconds']:.3f} s (")
    seg = kv["Segments"]
    assert seg.startswith(f"{g['segments']} segments")
    classified_line = (
        f"{g['classified']} classified ({g['flagged']} flagged, {g['classified'] - g['flagged']} not), "
        f"{g['insufficient']} with fewer than two people in most sample frames, "
        f"{_plural(g['short'], 'short shot', 'short shots')}, {g['still']} still"
    )
    assert classified_line in seg and seg.endswith(f"{g['failed']} failed")
    assert rec.manifest["outputs_sha256"]["evidence.csv"] in kv["Every input, one row each"]
    lim = doc.text("limitations")
    assert (
        f"{g['insufficient']} segment(s) did not show two people in most sample frames, {g['short']} were shots "
        f"under 3 s, {g['still']} showed two people in a scene where nothing moved"
    ) in lim
    assert f"and {g['failed']} failed: none of these was classified." in lim


def test_the_files_with_a_flagged_segment_hashes_sizes_durations(audited):
    rec, doc = audited.rec, audited.doc
    fl = flagged_of(rec)
    shas = list(dict.fromkeys(f["sha256"] for f in fl))
    if not shas:
        assert "None: no segment was flagged." in doc.text("examined")
        return
    t = doc.table("examined", "Size")
    assert t.head == ["File", "Name", "SHA-256", "Size", "Duration", "Segments", "Flagged"]
    expected = sorted(shas, key=rec.video_number)
    assert [r[2] for r in t.rows] == expected  # in file order, each once
    for row in t.rows:
        e = rec.by_sha[row[2]]
        copies = [r for r in rec.evidence if r["duplicate_of"] == e["path"]]
        assert row[0] == str(rec.video_number(row[2]))
        name = shown(os.path.basename(e["path"]))
        paths = "; ".join(shown(c["path"]) for c in copies)
        assert row[1] == name + (f" (and {len(copies)} identical path(s)) {paths}" if copies else "")
        assert row[3].startswith(f"{int(e['size_bytes']):,} bytes")
        assert row[4] == f"{float(e['duration_s']):.3f} s"
        assert row[5] == str(sum(1 for s in rec.segments if s["sha256"] == row[2]))
        assert row[5] == e["segment_count"] or e["segment_count"] == ""
        assert row[6] == str(sum(1 for f in fl if f["sha256"] == row[2]))
    not_full = [r for r in rec.evidence if r["status"] in ("failed", "partial")]
    text = doc.text("examined")
    if not_full:
        t = doc.table("examined", "Status")
        assert len(t.rows) == min(len(not_full), 20)
        for r, row in zip(not_full, t.rows):
            assert row[0].startswith(shown(r["path"])) and row[1] == r["status"]
            assert (r["sha256"] or "not hashed") in row[0] and f"{int(r['size_bytes']):,} bytes" in row[0]
    else:
        assert "None: every file that claims to be video was decoded in full." in text


# -- what was flagged --------------------------------------------------------------------------------


def _wall_cell(rec: Records, f: dict[str, str]) -> str:
    wall = rec.wall(f["sha256"], float(f["start_s"]))
    if wall is None:
        return "not known"
    return f"{wall} ({CLOCK_WORDS[rec.wall_start(f['sha256'])[1]][0]})"


def _player(rec: Records, f: dict[str, str], col: str) -> str:
    return timecode(float(f[col]) + rec.player_offset(f["sha256"]))


def test_the_flagged_table_lists_every_flagged_segment_best_first(audited):
    rec, doc = audited.rec, audited.doc
    fl = flagged_of(rec)
    text = doc.text("flagged")
    if not fl:
        assert "No segment was flagged" in text
        return
    assert text.startswith(f"2. What was flagged, and why {len(fl)} segment(s) scored at or above the threshold")
    t = doc.table("flagged", "Score")
    assert len(t.rows) == len(fl)
    for rank, (row, f) in enumerate(zip(t.rows, fl), 1):
        assert float(f["score"]) >= float(f["threshold"])
        assert row == [
            str(rank),
            f["score"],  # the figure findings.csv holds, digit for digit
            f"{rec.video_number(f['sha256'])}: {shown(os.path.basename(f['path']))}",
            f["segment_index"],
            f"{_player(rec, f, 'start_s')} \u2013 {_player(rec, f, 'end_s')}",
            f"[{f['start_frame']}, {f['end_frame']})",
            _wall_cell(rec, f),
        ], rank
    scores = [float(r[1]) for r in t.rows]
    assert scores == sorted(scores, reverse=True)


def test_each_finding_page_agrees_with_the_records(audited):
    rec, doc, top = audited.rec, audited.doc, audited.top
    fl = flagged_of(rec)
    detailed = fl if top == 0 else fl[:top]
    assert {s for s in doc.sections if s.startswith("seg-")} == {f"seg-{n}" for n in range(1, len(detailed) + 1)}
    for rank, f in enumerate(detailed, 1):
        sid = f"seg-{rank}"
        text = doc.text(sid)
        assert text.startswith(
            f"Finding #{rank} \u2014 score {f['score']} (threshold {f['threshold']}) \u2014 "
            f"file {rec.video_number(f['sha256'])}, segment {f['segment_index']}"
        )
        kv = doc.kv(sid)
        assert kv["File; SHA-256"].startswith(f"{shown(f['path'])} {f['sha256']}")
        start_s, end_s = float(f["start_s"]), float(f["end_s"])
        player = kv["Player time (what VLC / mpv show)"]
        assert player.startswith(
            f"{_player(rec, f, 'start_s')} \u2013 {_player(rec, f, 'end_s')} ({end_s - start_s:.3f} s)"
        )
        off = rec.player_offset(f["sha256"])
        if off:
            assert f"= from first frame {f['start_tc']} + {off:.3f} s" in player
        assert kv["Frames; stream time"] == (
            f"[{f['start_frame']}, {f['end_frame']}); {float(f['start_pts_s']):.6f} \u2013 "
            f"{float(f['end_pts_s']):.6f} s (pts {f['start_pts']}\u2013{f['end_pts']} \u00d7 {f['time_base']})"
        )
        wall = kv["Wall clock, UTC"]
        start = rec.wall(f["sha256"], start_s)
        if start is None:
            assert wall == "not known"
        else:
            assert wall.startswith(f"{start} \u2013 {rec.wall(f['sha256'], end_s)} (")
            assert CLOCK_WORDS[rec.wall_start(f["sha256"])[1]][1] in wall
        result = kv["Result"]
        assert result.startswith(f"{f['label']} {f['score']}; both people in {f['pair_frames']} of ")
        assert f"model {f['model_name']}, segmenter {f['segmenter']}" in result
        assert f["model_sha256"] == rec.manifest["model"]["sha256"]
        url = kv["Open the footage here"]
        t0 = start_s + off
        t1 = end_s + off
        assert f"#t={t0:.3f},{t1:.3f}" in url and f"--start={t0:.3f} --end={t1:.3f}" in url


def test_how_sure_model_and_thresholds(audited):
    rec, doc = audited.rec, audited.doc
    text = doc.text("sure")
    model = rec.manifest["model"]
    classified = [f for f in rec.findings if f["status"] == "analysed"]
    thresholds = sorted({f["threshold"] for f in classified if f["threshold"]}, key=float)
    fl = flagged_of(rec)
    if fl:
        assert f"flagged at or above the threshold ({', '.join(thresholds)})" in text
        bands = re.findall(r"(\d+) from (\d+(?:\.\d+)?) to (\d+(?:\.\d+)?)", text)
        assert sum(int(n) for n, _lo, _hi in bands) == len(fl)
        for n, lo, hi in bands:
            inside = [
                f for f in fl if float(lo) <= float(f["score"]) < float(hi) or float(f["score"]) == float(hi) == 1
            ]
            assert int(n) == len(inside), (lo, hi)
    assert f"Model {model['name']}, SHA-256 {model['sha256']}" in text
    if classified:
        assert {f["model_sha256"] for f in classified} == {model["sha256"]}
        assert "every classified segment of this case was scored by it" in text
    test = (model.get("card") or {}).get("metrics", {}).get("test") or {}
    n = test.get("n", test.get("clips"))
    if n is not None:
        assert f"test clips ({n};" in text
    if test.get("accuracy") is not None:
        assert f"accuracy {test['accuracy']:.3f}" in text
    appendix = doc.kv("appendix")
    assert appendix["Model"].startswith(f"{model['name']}; SHA-256 {model['sha256']}")
    assert "file SHA-256" not in appendix["Model"]  # the model's SHA-256 is not that of a file
    assert appendix["Configuration SHA-256"].startswith(rec.manifest["config_sha256"])
    detector = rec.manifest.get("face_detector")
    method = doc.text("appendix")
    if detector:
        assert f"the two largest faces found ({detector})" in method
    cluster = rec.manifest.get("cluster") or {}
    sessions = rec.manifest.get("sessions") or []
    engine = appendix["Engine"]
    assert engine.endswith(_plural(len(sessions), "session", "sessions"))
    if cluster:
        assert f"{cluster['nodes']} node(s)" in engine


def test_appendix_records_problems_and_clocks(audited):
    rec, doc = audited.rec, audited.doc
    hashes = rec.manifest["outputs_sha256"]
    t = doc.table("appendix", "SHA-256 (recorded by the scan)")
    named = {r[0]: r[1] for r in t.rows}
    for name in ("evidence.csv", "segments.csv", "findings.parquet", "findings.csv", "problems.jsonl"):
        assert named[name] == hashes[name], name
        assert hashlib.sha256((rec.case / name).read_bytes()).hexdigest() == hashes[name], name
    for folder in ("features/", "timelines/"):
        n = sum(1 for k in hashes if k.startswith(folder))
        if n:
            assert named[folder].startswith(f"{n} files")
    severities = dict(sorted(Counter(p.get("severity") or "unknown" for p in rec.problems).items()))
    text = doc.text("appendix")
    counts = ", ".join(f"{n} {k}" for k, n in severities.items()) or "no entries"
    assert f"problems.jsonl: {counts}." in text
    serious = [p for p in rec.problems if p.get("severity") in ("error", "critical")]
    for p in (p for p in serious[:10] if p.get("path")):
        assert shown(unescape_path(p["path"])) in text
    fl = flagged_of(rec)
    if fl:
        t = doc.table("appendix", "Player time")
        shas = sorted({f["sha256"] for f in fl}, key=rec.video_number)
        assert [r[0] for r in t.rows] == [str(rec.video_number(s)) for s in shas]
        for row, sha in zip(t.rows, shas):
            start, kind = rec.wall_start(sha)
            if start is None:
                assert "no wall-clock time" in row[2]
            else:
                assert row[2].startswith(f"first frame {iso(start)}: ") and CLOCK_WORDS[kind][1] in row[2]


# -- every time names its clock ----------------------------------------------------------------------

ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z")
TIMECODE = re.compile(r"(?<![\d:])\d{2,}:\d{2}:\d{2}\.\d{3}(?![\d])")
TIMECODE_CLOCKS = ("Player time", "player ", "From first frame", "from first frame", "duration", "Duration")


def test_every_time_names_its_clock_and_every_wall_clock_its_source(audited):
    rec, doc = audited.rec, audited.doc
    footage_walls = set()
    for f in rec.findings:
        if f["sha256"] in rec.by_sha:
            for col in ("start_s", "end_s"):
                w = rec.wall(f["sha256"], float(f[col]))
                if w:
                    footage_walls.add(w)
    sources = [w for pair in CLOCK_WORDS.values() for w in pair]
    innermost = [b for b in doc.blocks if b.tag not in ("title",)]
    checked = 0
    for b in innermost:
        own = b.text
        for t in ISO_TIME.findall(own):
            checked += 1
            assert "UTC" in b.context, f"a time without its clock: {t!r} in {b.context[:200]!r}"
            if t in footage_walls:
                assert any(s in b.context for s in sources), f"a wall-clock time without its source: {b.context!r}"
        for t in TIMECODE.findall(ISO_TIME.sub(" ", own)):
            checked += 1
            assert any(c in b.context for c in TIMECODE_CLOCKS), f"a time without its clock: {t!r} in {b.context!r}"
    assert checked


# -- the PDF says what the HTML says ------------------------------------------------------------------


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def test_pdf_says_what_the_html_says(audited):
    rec, doc = audited.rec, audited.doc
    pdf = _flat(audited.pdf_text)
    rows = [r for t in doc.tables if t.section == "header" and not t.head for r in t.rows if len(r) == 2]
    for big, words in [(r[0], r[1]) for r in rows if r[1] and r[0]]:  # the glance lines and the header
        assert _flat(big + words) in pdf or (_flat(big) in pdf and _flat(words) in pdf), words
    for key, value in doc.kv("examined").items():
        assert _flat(value) in pdf, key
    for row in doc.table("flagged", "Score").rows if flagged_of(rec) else []:
        assert _flat("".join(row)) in pdf or all(_flat(c) in pdf for c in row), row
    for sid in (s for s in doc.sections if s.startswith("seg-")):
        heading = next(b.text for b in doc.blocks if b.section == sid and b.tag == "h3")
        assert _flat(heading) in pdf, heading
    problems = re.search(r"problems\.jsonl: [^.]*\.", doc.text("appendix")).group(0)
    assert _flat(problems) in pdf
    assert rec.manifest["report_id"] in pdf and rec.manifest_sha256_read in pdf


def test_a_misstated_figure_is_caught(fixture_audit):
    """The audit itself: a report whose flagged score, frame range or count is changed fails it."""
    html = fixture_audit.html
    f = flagged_of(fixture_audit.rec)[0]
    for old, new in (
        (f">{f['score']}<", ">0.123456<"),
        (f"[{f['start_frame']}, {f['end_frame']})", f"[{f['start_frame']}, {int(f['end_frame']) - 1})"),
    ):
        assert html.count(old) >= 1, old
        bad = Audited(fixture_audit.rec, Report(html.replace(old, new)), "", fixture_audit.pdf_text, fixture_audit.top)
        with pytest.raises(AssertionError):
            test_the_flagged_table_lists_every_flagged_segment_best_first(bad)
    g = _figures(fixture_audit.rec)
    old = f'<td class="big flag">{g["flagged"]}</td>'
    assert old in html
    bad = Audited(fixture_audit.rec, Report(html.replace(old, '<td class="big flag">99</td>')), "", "", 4)
    with pytest.raises(AssertionError):
        test_at_a_glance_and_what_was_examined_count_what_the_records_hold(bad)
