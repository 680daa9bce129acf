"""Read a case folder into one typed context for the report templates.

Everything the report shows comes from the case folder (manifest.json, evidence.csv, segments.csv,
problems.jsonl, findings.parquet or findings.csv, the segments' features folders) and from the
examiner's options (agency, clock offsets). Nothing from outside the case folder is read: a
keyframe or features path that leads outside it (``..``, an absolute path, a symbolic link) is
refused and the refusal is written in the report.

Text from the evidence (file names, container metadata, messages quoting them) is untrusted: the
templates escape it (autoescape) and :func:`shown` makes invisible and direction-changing
characters visible, so a name renders exactly as the bytes say, never as it would like to look.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from forensic.fsutil import sha256_path
from forensic.records import EvidenceItem, EvidenceStatus, Finding, FindingStatus, unescape_path
from forensic.report.clocks import ClockSource, ClockSpec, clock_source, iso_utc, parse_clock_value
from forensic.report.finding import LOOK_RULE, STREAMS_NOT_EXPOSED
from forensic.report.player import player_clock
from forensic.report.readers import (
    ReportError,
    count_segments,
    inside_case,
    read_evidence,
    read_findings,
    read_manifest,
    read_problems,
)
from forensic.report.text import NOT_RECORDED, has_hidden_characters, plain_visible
from forensic.store.case import MANIFEST

REPORT_DIR = "report"
STALKING = "stalking"
CONTACT_SHEET_MAX = 24
DEFAULT_TOP = 50

# the packages worth naming in the method section (every one is in the appendix)
KEY_DEPENDENCIES = (
    "forensic",
    "numpy",
    "opencv-python",
    "opencv-contrib-python-headless",
    "dlib-bin",
    "face-recognition-models",
    "face_recognition_models",
    "scenedetect",
    "av",
    "tensorflow-cpu",
    "tensorflow_cpu",
    "keras",
    "tf_keras",
    "pixellib",
    "ray",
    "pandas",
    "pyarrow",
    "matplotlib",
    "jinja2",
    "weasyprint",
    "scikit-image",
)


# the model card's facts shown in the method section, (label, dotted path), when present
CARD_FACTS = (
    ("card format", "format"),
    ("created (UTC)", "created_utc"),
    ("paper", "paper.title"),
    ("architecture", "architecture.name"),
    ("architecture, in words", "architecture.description"),
    ("parameters", "architecture.parameters"),
    ("segmenter trained with", "segmenter.name"),
    ("training data: clips", "data.clips"),
    ("training data: SHA-256", "data.dataset_sha256"),
    ("training data", "training_data"),
    ("split", "split.rule"),
    ("epochs run", "training.epochs_run"),
    ("best epoch", "training.best_epoch"),
    ("seed", "training.seed"),
    ("card SHA-256", "card_sha256"),
)
CARD_SKIP = {"metrics", "limits", "choices", "name", "threshold"}


def dig(d: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(d, dict) or part not in d:
            return None
        d = d[part]
    return d


# ---------------------------------------------------------------------------------------------
# the context


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

    @property
    def footage_hours(self) -> float:
        return self.footage_seconds / 3600.0


@dataclass
class ReportContext:
    case_dir: str
    manifest: dict[str, Any]
    issued_utc: str
    revision: int
    agency: str | None
    agency_origin: str
    top: int
    files: list[FileView]
    duplicate_groups: list[list[FileView]]
    failed_files: list[FileView]
    videos: list[VideoView]
    findings_source: str | None
    segments: list[SegmentView]  # all findings, in file order
    flagged: list[SegmentView]  # ranked by score
    detailed: list[SegmentView]
    contact: list[SegmentView]
    summary: Summary
    problems: list[dict[str, Any]]  # problems.jsonl, all
    general_problems: list[dict[str, Any]]  # those without a path
    notes: list[str]  # what the report itself noticed (missing keyframes, inconsistencies)
    clock_specs: list[ClockSpec]
    report_argv: list[str]
    outputs_check: dict[str, Any] = field(default_factory=dict)
    issued_files: list[tuple[str, str]] = field(default_factory=list)  # (path in report folder, sha256)
    segmenters: dict[str, int] = field(default_factory=dict)
    thresholds: list[float] = field(default_factory=list)
    config_check: str = ""
    previous_reports: list[dict[str, Any]] = field(default_factory=list)
    banners: list[tuple[str, str]] = field(default_factory=list)  # (level, text)
    coappear: Any = None  # forensic.report.coappear.CoappearView, set by build_report
    manifest_sha256: str | None = None  # of manifest.json as this report read it (before recording itself in it)

    # convenience for the templates
    look_rule: str = LOOK_RULE
    streams_not_exposed: str = STREAMS_NOT_EXPOSED

    def record_sha(self, name: str) -> str | None:
        """The SHA-256 the scan recorded for a case folder file (manifest outputs_sha256)."""
        rec = self.manifest.get("outputs_sha256")
        v = rec.get(name) if isinstance(rec, dict) else None
        return v if isinstance(v, str) else None

    @property
    def case_records(self) -> list[tuple[str, str | None, str]]:
        """(name, recorded SHA-256 or a count, what it holds) of the case folder's records."""
        rec = self.manifest.get("outputs_sha256")
        rec = rec if isinstance(rec, dict) else {}
        out = []
        for name, what in CASE_RECORDS:
            if name.endswith("/"):
                n = sum(1 for k in rec if k.startswith(name))
                if n:
                    out.append((name, f"{n} files, each hashed in manifest.json", what))
            elif name in rec:
                out.append((name, rec[name], what))
        return out

    @property
    def test_metrics(self) -> dict[str, Any] | None:
        """The model card's test-split figures, in a few numbers (None when the card has none)."""
        test = dig(self.card or {}, "metrics.test")
        if not isinstance(test, dict):
            return None
        per = test.get("per_class") if isinstance(test.get("per_class"), dict) else {}
        st = per.get(STALKING) if isinstance(per.get(STALKING), dict) else {}
        return {
            "n": test.get("n", test.get("clips")),
            "accuracy": test.get("accuracy"),
            "precision": st.get("precision"),
            "recall": st.get("recall"),
            "macro_f1": dig(test, "macro.f1") if dig(test, "macro.f1") is not None else test.get("f1"),
            "confusion": test.get("confusion"),
            "confusion_axes": test.get("confusion_axes"),
        }

    @property
    def score_bands(self) -> list[tuple[str, int]]:
        """How the flagged scores spread: (band, count), highest band first."""
        thr = self.thresholds[0] if self.thresholds else 0.5
        edges = sorted({e for e in (1.0, 0.9, 0.75) if e > thr} | {1.0, thr}, reverse=True)
        out = []
        for hi, lo in zip(edges, edges[1:]):
            if lo >= hi:
                continue
            n = sum(
                1
                for sv in self.flagged
                if lo <= float(sv.finding.score) < hi or (hi == 1.0 and float(sv.finding.score) == 1.0)
            )
            out.append((f"{lo:g} to {hi:g}", n))
        return out

    @property
    def problem_counts(self) -> list[tuple[str, int]]:
        return sorted(Counter(str(p.get("severity") or "unknown") for p in self.problems).items())

    @property
    def serious_problems(self) -> list[dict[str, Any]]:
        return [p for p in self.problems if p.get("severity") in ("error", "critical")]

    @property
    def model_limits(self) -> list[str]:
        """The model's limits in plain words: the card's ``limits`` and ``training_data`` when present,
        else a fixed statement built from the card's record of its training data."""
        return model_limits(self.card)

    @property
    def model(self) -> dict[str, Any] | None:
        m = self.manifest.get("model")
        return m if isinstance(m, dict) else None

    @property
    def cluster(self) -> dict[str, Any] | None:
        c = self.manifest.get("cluster")
        return c if isinstance(c, dict) else None

    @property
    def card(self) -> dict[str, Any] | None:
        m = self.model
        c = m.get("card") if m else None
        return c if isinstance(c, dict) else None

    @property
    def card_facts(self) -> list[tuple[str, Any]]:
        """The model card's main facts (those present), for the method section."""
        card = self.card or {}
        rows = []
        used = set()
        for label, path in CARD_FACTS:
            v = dig(card, path)
            if v is not None and v != {} and v != []:
                rows.append((label, v))
                used.add(path.split(".")[0])
        for k, v in card.items():  # any other plain value
            if k not in used and k not in CARD_SKIP and isinstance(v, (str, int, float, bool)):
                rows.append((str(k), v))
        return rows

    @property
    def card_metrics(self) -> list[tuple[str, Any]]:
        """The model card's metrics as (dotted key, value) rows, the test split first."""
        metrics = (self.card or {}).get("metrics")
        if not isinstance(metrics, dict):
            return []
        rows: list[tuple[str, Any]] = []

        def walk(v: Any, key: str) -> None:
            if isinstance(v, dict) and v:
                for k, x in v.items():
                    walk(x, f"{key}.{k}" if key else str(k))
            else:
                rows.append((key, v))

        walk(metrics, "")
        order = {"test": 0, "val": 1, "validation": 1, "train": 2}
        return sorted(rows, key=lambda r: order.get(r[0].split(".")[0], 3 if "." in r[0] else -1))

    @property
    def card_choices(self) -> list[dict[str, Any]]:
        ch = (self.card or {}).get("choices")
        return [c for c in ch if isinstance(c, dict)] if isinstance(ch, list) else []

    @property
    def card_json(self) -> str:
        return json.dumps(self.card, indent=1, sort_keys=True, ensure_ascii=False)

    @property
    def cluster_extra(self) -> list[tuple[str, Any]]:
        c = self.cluster or {}
        return [(k, v) for k, v in c.items() if k not in ("engine", "nodes", "cpus", "gpus")]

    @property
    def sessions(self) -> list[dict[str, Any]]:
        s = self.manifest.get("sessions")
        return [x for x in s if isinstance(x, dict)] if isinstance(s, list) else []

    @property
    def key_dependencies(self) -> list[tuple[str, str]]:
        deps = self.manifest.get("dependencies") or {}
        return [(k, deps[k]) for k in KEY_DEPENDENCIES if k in deps]

    @property
    def all_dependencies(self) -> list[tuple[str, str]]:
        deps = self.manifest.get("dependencies") or {}
        return sorted((str(k), str(v)) for k, v in deps.items())

    @property
    def config_json(self) -> str:
        return json.dumps(self.manifest.get("config"), indent=2, sort_keys=True, ensure_ascii=False)


CASE_RECORDS = (
    (
        "evidence.csv",
        "every input: path, SHA-256 before and after, size, container, codec, frame rates, clocks, status",
    ),
    ("segments.csv", "every segment: times in every clock, sample frames, flags"),
    ("findings.parquet", "every segment's result: status, score, label, people found, model and configuration hashes"),
    ("findings.csv", "the same, as text"),
    ("problems.jsonl", "every warning and error of the scan, as it happened"),
    ("features/", "per segment: features.csv (5 x 29 numbers), keyframes/ (annotated), stills/ (as decoded)"),
    ("timelines/", "per file: every decoded frame's index and timestamps"),
    ("segments/", "per file: scene cuts and segments (resume cache)"),
)

NO_LIMITS_WORDS = (
    "The model card does not state the model's limits in words. A model of this kind is only as good as "
    "the clips it was trained on; unless those clips are known to be real, labelled footage like the "
    "footage of this case, take it that the model has never been validated on real stalking: its "
    "scores on real footage may mean little."
)


def _words(v: Any) -> list[str]:
    if isinstance(v, str):
        return [v.strip()] if v.strip() else []
    if isinstance(v, (list, tuple)):
        return [w for x in v for w in _words(x)]
    if isinstance(v, dict):
        return [
            f"{k}: {x}" if not isinstance(x, (dict, list)) else f"{k}: {json.dumps(x, ensure_ascii=False)}"
            for k, x in v.items()
        ]
    return [] if v is None else [str(v)]


def model_limits(card: dict[str, Any] | None) -> list[str]:
    if not card:
        return [
            "No model card is recorded: nothing is known here about what the model was trained on or how well "
            "it does; treat every score as unvalidated."
        ]
    stated = _words(card.get("limits")) + _words(card.get("training_data"))
    if stated:
        return stated
    data = card.get("data") if isinstance(card.get("data"), dict) else {}
    clips = data.get("clips") if isinstance(data.get("clips"), dict) else {}
    seg = dig(card, "segmenter.name")
    parts = []
    if clips:
        parts.append(
            f"The model was trained on {sum(int(n) for n in clips.values() if isinstance(n, int))} clips ("
            + ", ".join(f"{n} {k}" for k, n in clips.items())
            + ")"
            + (f", with the {seg} people segmenter" if seg else "")
            + "."
        )
    return parts + [NO_LIMITS_WORDS]


def is_flagged(f: Finding) -> bool:
    return f.status == FindingStatus.ANALYSED and f.label == STALKING and f.score is not None


def config_hash(config: Any) -> str:
    """As forensic.config.ScanConfig.hash: SHA-256 of the canonical JSON."""
    blob = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


def load_context(
    case_dir: str,
    *,
    agency: str | None = None,
    clock_specs: list[ClockSpec] | None = None,
    top: int = DEFAULT_TOP,
    issued_utc: str | None = None,
    report_argv: list[str] | None = None,
) -> ReportContext:
    """Read the case folder. Raises :class:`ReportError` for a folder that is not a case, or a
    clock offset naming no file of the case."""
    case_dir = os.path.abspath(case_dir)
    manifest = read_manifest(case_dir)
    if top < 0:
        raise ReportError("--top must be 0 (all) or more")
    notes: list[str] = []
    items = read_evidence(case_dir, notes)
    problems = read_problems(case_dir, notes)
    findings, findings_source = read_findings(case_dir, notes)
    segments_total = count_segments(case_dir)
    issued = issued_utc or iso_utc(datetime.now(UTC))

    # clock statements: manifest first, the command line overrides
    specs: dict[str, ClockSpec] = {}
    by_path = {i.path: i for i in items}
    shas = {i.sha256 for i in items if i.sha256}
    raw_offsets = manifest.get("clock_offsets")
    if isinstance(raw_offsets, dict):
        for key, value in raw_offsets.items():
            try:
                spec = parse_clock_value(str(key), value, "manifest (clock_offsets)")
            except ReportError as exc:
                notes.append(f"manifest clock_offsets: {exc}; ignored")
                continue
            sha = _resolve_clock_key(spec.key, by_path, shas)
            if sha is None:
                notes.append(
                    f"manifest clock_offsets names {plain_visible(str(key))}, which is no file of this case; ignored"
                )
            else:
                specs[sha] = spec
    given: dict[str, ClockSpec] = {}
    for spec in clock_specs or []:
        sha = _resolve_clock_key(spec.key, by_path, shas)
        if sha is None:
            raise ReportError(
                f"--clock-offset: {spec.key!r} is neither the SHA-256 nor the path of a file of this case "
                "(see evidence.csv)"
            )
        if sha in given:
            raise ReportError(_given_twice(given[sha], spec, sha))
        given[sha] = specs[sha] = spec

    # files
    problems_by_path: dict[str, list[dict[str, Any]]] = {}
    general = []
    for p in problems:
        if p.get("path"):
            try:  # problems.jsonl holds paths in records.py's escaped form
                key = unescape_path(str(p["path"]))
            except ValueError:
                key = str(p["path"])
            problems_by_path.setdefault(key, []).append(p)
        else:
            general.append(p)
    files = [FileView(n, item, problems_by_path.get(item.path, [])) for n, item in enumerate(items, 1)]
    known_paths = set(by_path)
    for path, plist in problems_by_path.items():
        if path not in known_paths:
            general.extend(plist)
    dup_groups: dict[str, list[FileView]] = {}
    for fv in files:
        if fv.item.sha256 and (fv.item.duplicate_of or any(o.item.duplicate_of == fv.item.path for o in files)):
            dup_groups.setdefault(fv.item.sha256, []).append(fv)
    for group in dup_groups.values():
        group.sort(key=lambda fv: (fv.item.duplicate_of is not None, fv.n))
        group[0].duplicates = [g.item.path for g in group[1:]]
    failed_files = [fv for fv in files if fv.item.status in (EvidenceStatus.FAILED, EvidenceStatus.PARTIAL)]

    # footage (unique by hash) and its findings
    findings = findings if findings is not None else []
    by_sha: dict[str, list[Finding]] = {}
    for f in findings:
        by_sha.setdefault(f.sha256, []).append(f)
    videos: list[VideoView] = []
    video_of: dict[str, VideoView] = {}
    for fv in files:
        it = fv.item
        if (
            not it.sha256
            or it.duplicate_of is not None
            or it.status not in (EvidenceStatus.ANALYSED, EvidenceStatus.PARTIAL)
        ):
            continue
        if it.sha256 in video_of:
            continue
        fs = sorted(by_sha.get(it.sha256, []), key=lambda f: (f.start_frame, f.segment_index))
        clock = _clock_source(it, specs.get(it.sha256), notes)
        paths = [it.path] + [g.item.path for g in dup_groups.get(it.sha256, []) if g.item.path != it.path]
        v = VideoView(len(videos) + 1, it.sha256, it, paths, fs, clock)
        v.player = player_clock(it)
        v.counts = dict(Counter(str(f.status) for f in fs))
        v.flagged = sum(1 for f in fs if is_flagged(f))
        videos.append(v)
        video_of[it.sha256] = v
    for fv in files:
        if fv.item.sha256 in video_of:
            fv.video = video_of[fv.item.sha256]
            fv.clock = fv.video.clock
        else:
            fv.clock = _clock_source(fv.item, specs.get(fv.item.sha256 or ""), notes)
    for sha, spec in specs.items():
        if sha not in video_of:
            notes.append(f"a clock statement ({spec.origin}) names {sha}, which is not analysed footage; not used")
        elif video_of[sha].clock.kind == "none":
            notes.append(f"{video_of[sha].clock.description} (file {sha})")
    orphans = sorted({f.sha256 for f in findings} - set(video_of))
    for sha in orphans:
        notes.append(
            f"findings name the file {sha}, which evidence.csv does not list as analysed footage; "
            "they are counted but have no file details"
        )

    segments: list[SegmentView] = []
    for f in sorted(findings, key=lambda f: (f.path, f.sha256, f.start_frame)):
        v = video_of.get(f.sha256)
        sv = SegmentView(f, v)
        if v is not None:
            sv.wall_start, sv.wall_end = v.clock.at(f.start_s), v.clock.at(f.end_s)
            if v.clock.available and (sv.wall_start is None or sv.wall_end is None):
                notes.append(
                    f"segment {f.key}: its times ({f.start_s!r} s to {f.end_s!r} s) put on the wall clock "
                    "fall out of range; no wall-clock time shown"
                )
            sv.player_start, sv.player_end = v.player.at(f.start_s), v.player.at(f.end_s)
        segments.append(sv)
    flagged = sorted(
        (s for s in segments if s.flagged),
        key=lambda s: (-float(s.finding.score), s.finding.path, s.finding.start_frame),
    )
    for rank, s in enumerate(flagged, 1):
        s.rank = rank
    detailed = flagged if top == 0 else flagged[:top]
    for s in detailed:
        s.detailed = True
    contact = detailed[:CONTACT_SHEET_MAX]

    # summary
    by_status = dict(sorted(Counter(str(i.status) for i in items).items()))
    fstatus = Counter(str(f.status) for f in findings)
    unique_footage = [i for i in items if i.is_footage and i.duplicate_of is None]
    summary = Summary(
        inputs=len(items),
        by_status=by_status,
        footage_files=sum(1 for i in items if i.is_footage),
        unique_footage=len(unique_footage),
        duplicates=sum(1 for i in items if i.duplicate_of is not None),
        footage_seconds=float(sum(i.duration_s or 0.0 for i in unique_footage)),
        segments_total=segments_total,
        findings_total=len(findings),
        by_finding_status=dict(sorted(fstatus.items())),
        classified=fstatus.get(str(FindingStatus.ANALYSED), 0),
        flagged=len(flagged),
        not_flagged=fstatus.get(str(FindingStatus.ANALYSED), 0) - len(flagged),
        insufficient=fstatus.get(str(FindingStatus.INSUFFICIENT_SUBJECTS), 0),
        short_shot=fstatus.get(str(FindingStatus.SHORT_SHOT), 0),
        still=fstatus.get(str(FindingStatus.STILL), 0),
        failed=fstatus.get(str(FindingStatus.FAILED), 0),
        files_with_flags=sum(1 for v in videos if v.flagged),
        flagged_seconds=float(sum(s.finding.end_s - s.finding.start_s for s in flagged)),
        evidence_changed=[i.path for i in items if i.hash_verified is False],
    )

    if findings_source is not None and segments_total is not None and segments_total != len(findings):
        notes.append(
            f"segments.csv lists {segments_total} segment(s) but the findings hold {len(findings)}: "
            "segments without a finding were not classified"
        )

    agency_origin = "command line (--agency)" if agency else ("manifest" if manifest.get("agency") else "")
    ctx = ReportContext(
        case_dir=case_dir,
        manifest=manifest,
        issued_utc=issued,
        revision=_revision(manifest),
        manifest_sha256=sha256_path(os.path.join(case_dir, MANIFEST)),
        agency=agency or manifest.get("agency") or None,
        agency_origin=agency_origin,
        top=top,
        files=files,
        duplicate_groups=[g for g in dup_groups.values() if len(g) > 1],
        failed_files=failed_files,
        videos=videos,
        findings_source=findings_source,
        segments=segments,
        flagged=flagged,
        detailed=detailed,
        contact=contact,
        summary=summary,
        problems=problems,
        general_problems=general,
        notes=notes,
        clock_specs=list(clock_specs or []),
        report_argv=list(report_argv or []),
    )
    ctx.segmenters = dict(Counter(f.segmenter or NOT_RECORDED for f in findings if f.status == FindingStatus.ANALYSED))
    ctx.thresholds = sorted({float(f.threshold) for f in findings if f.threshold is not None})
    ctx.config_check = _check_config(manifest, findings)
    prev = manifest.get("reports")
    if isinstance(prev, dict):
        hist = [h for h in prev.get("history", []) if isinstance(h, dict)]
        cur = {k: prev.get(k) for k in ("revision", "issued_utc", "html_sha256", "pdf_sha256")}
        ctx.previous_reports = hist + ([cur] if cur.get("issued_utc") else [])
    ctx.outputs_check = check_outputs(case_dir, manifest)
    ctx.banners = _banners(ctx)
    return ctx


def _given_twice(first: ClockSpec, second: ClockSpec, sha: str) -> str:
    if first.key == second.key:
        return f"--clock-offset given twice for {first.key!r}: give one clock statement per file"
    return (
        f"--clock-offset given twice for one file: {first.key!r} and {second.key!r} both name {sha}; "
        "give one clock statement per file"
    )


def _clock_source(item: EvidenceItem, spec: ClockSpec | None, notes: list[str]) -> ClockSource:
    """The file's clock; a manifest clock statement that cannot be applied is said and not used (one
    from the command line is a usage error)."""
    try:
        return clock_source(item, spec)
    except ReportError as exc:
        if spec is None or not spec.origin.startswith("manifest"):
            raise
        notes.append(f"manifest clock_offsets: {exc}; ignored")
        return clock_source(item, None)


def _resolve_clock_key(key: str, by_path: dict[str, EvidenceItem], shas: set[str]) -> str | None:
    k = key.strip()
    if re.fullmatch(r"[0-9a-fA-F]{64}", k) and k.lower() in shas:
        return k.lower()
    for candidate in (key, os.path.abspath(key)):
        item = by_path.get(candidate)
        if item is not None and item.sha256:
            return item.sha256
    return None


def _revision(manifest: dict[str, Any]) -> int:
    prev = manifest.get("reports")
    if isinstance(prev, dict):
        try:
            return int(prev.get("revision") or 0) + 1
        except (TypeError, ValueError):
            return len(prev.get("history", [])) + 2
    return 1


def _check_config(manifest: dict[str, Any], findings: list[Finding]) -> str:
    cfg, recorded = manifest.get("config"), manifest.get("config_sha256")
    if cfg is None or not recorded:
        return "the configuration or its hash is not recorded"
    text = (
        "matches the configuration shown"
        if config_hash(cfg) == recorded
        else f"DOES NOT MATCH the configuration shown (which hashes to {config_hash(cfg)})"
    )
    others = sorted({f.config_sha256 for f in findings if f.config_sha256 and f.config_sha256 != recorded})
    if others:
        text += f"; {len(others)} other configuration hash(es) appear in the findings: " + ", ".join(others)
    return text


def check_outputs(case_dir: str, manifest: dict[str, Any]) -> dict[str, Any]:
    """Re-hash the case folder files the scan recorded (outputs_sha256), grouped by top folder."""
    recorded = manifest.get("outputs_sha256")
    if not isinstance(recorded, dict):
        return {"recorded": False, "groups": [], "mismatches": []}
    groups: dict[str, dict[str, Any]] = {}
    mismatches = []
    for rel, sha in sorted(recorded.items()):
        top = rel.split("/", 1)[0] if "/" in rel else rel
        g = groups.setdefault(top, {"name": top, "files": 0, "ok": 0, "folder": "/" in rel, "sha256": None})
        g["files"] += 1
        full = inside_case(case_dir, rel)
        if full is None:
            mismatches.append({"path": rel, "problem": "recorded path lies outside the case folder", "expected": sha})
            continue
        try:
            now = sha256_path(full)
        except OSError as exc:
            mismatches.append(
                {"path": rel, "problem": f"missing or unreadable ({exc.strerror or exc})", "expected": sha}
            )
            continue
        if now == sha:
            g["ok"] += 1
        else:
            mismatches.append({"path": rel, "problem": "changed since the scan", "expected": sha, "actual": now})
        if not g["folder"]:
            g["sha256"] = sha
    return {"recorded": True, "groups": list(groups.values()), "mismatches": mismatches}


def _banners(ctx: ReportContext) -> list[tuple[str, str]]:
    out = []
    m = ctx.manifest
    if ctx.summary.evidence_changed:
        out.append(
            (
                "critical",
                f"{len(ctx.summary.evidence_changed)} evidence file(s) CHANGED or became unreadable "
                "during the scan (SHA-256 after the scan differs from before): see Items examined.",
            )
        )
    if m.get("status") != "complete":
        out.append(
            (
                "critical",
                f"The scan did not complete (status: {plain_visible(str(m.get('status')))}); "
                "results cover only what was done.",
            )
        )
    if ctx.outputs_check.get("mismatches"):
        out.append(
            (
                "critical",
                f"{len(ctx.outputs_check['mismatches'])} case folder file(s) differ from the hashes "
                "recorded at the end of the scan: see Integrity.",
            )
        )
    if ctx.findings_source is None:
        out.append(
            (
                "warning",
                "No findings: the model stage has not been run on this case, so no segment was "
                "classified. This report lists the items examined and their segments only.",
            )
        )
    if (m.get("tool") or {}).get("dirty"):
        out.append(("warning", "The tool ran from a source checkout with uncommitted changes (tool.dirty)."))
    if ctx.summary.failed:
        out.append(("warning", f"{ctx.summary.failed} segment(s) failed in the model stage: see Problems."))
    return out
