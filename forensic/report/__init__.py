"""The evidence report: ``report.html`` and ``report.pdf`` from the same jinja2 templates, per-video
subtitles of the flagged intervals, a CSV of all segments, and their SHA-256 in manifest.json and
in a ``sha256sum`` sidecar.

    from forensic.report import build_report
    paths = build_report("cases/2026-001", agency="Example Police", clock_offsets=["<sha256>=+3.5"])

Everything goes into ``CASE_DIR/report/`` (made in a temporary folder beside it and swapped in
whole, so a failure leaves the previous report as it was):

    report/report.html        self-contained (inline CSS, images as data: URIs, no script)
    report/report.pdf         the same HTML printed by WeasyPrint (page n of N on every page)
    report/all_segments.csv   every segment's finding, with its rank, wall-clock time and source
    report/subtitles/<name>.<sha12>.vtt / .srt   flagged intervals per video
    report/report.sha256      SHA-256 of every file above (``sha256sum -c report.sha256``)

and manifest.json gets a ``reports`` key (every other key kept; rewritten atomically). The scan
calls :func:`build_report` at its end; ``forensic report CASE_DIR`` calls it again at any time
(a new revision: the previous revision's hashes stay in ``reports.history``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from forensic.fsutil import sha256_path, swap_dir, write_atomic
from forensic.records import FINDING_COLUMNS, PIXELLIB_SEGMENTER, escape_path
from forensic.report.clocks import ClockSpec, parse_clock_offsets, parse_clock_value
from forensic.report.context import DEFAULT_TOP, REPORT_DIR, ReportContext, load_context
from forensic.report.readers import ReportError, inside_case
from forensic.report.sidecar import SIDECAR, sidecar_bytes
from forensic.report.views import Keyframe, SegmentView
from forensic.store.case import MANIFEST, remove_leftovers

__all__ = ["ReportError", "ReportPaths", "build_report", "default_templates_dir", "render_html"]

HTML_NAME = "report.html"
PDF_NAME = "report.pdf"
CSV_NAME = "all_segments.csv"
SUBTITLES = "subtitles"
TEMPLATE = "report.html.j2"

FLAG_WORDS = {
    "short_shot": "short shot: the whole shot is under 3 s (the model was trained on 3-8 s clips)",
    "few_frames": "fewer distinct frames than samples: some sample frames repeat",
    "partial_file": "the file failed to decode part way; this segment is its last good stretch",
    "timeline_gap": "frames are missing inside the segment (a hole in the timestamps)",
}


@dataclass
class ReportPaths:
    """What :func:`build_report` wrote (absolute paths) and the SHA-256 of each file."""

    folder: str
    html: str
    pdf: str | None
    csv: str
    sidecar: str
    subtitles: dict[str, dict[str, str]] = field(default_factory=dict)  # sha256 -> {"vtt": path, "srt": path}
    sha256: dict[str, str] = field(default_factory=dict)  # path relative to the case folder -> SHA-256
    revision: int = 1
    flagged: int = 0
    notes: list[str] = field(default_factory=list)
    manifest_sha256: str = ""  # of manifest.json as this report left it
    mismatches: list[dict[str, Any]] = field(default_factory=list)  # case files unlike outputs_sha256


def default_templates_dir() -> str:
    """The report templates: inside the installed package, or the checkout's ``templates/``."""
    from forensic.resources import templates_dir

    return templates_dir()


def _clock_specs(clock_offsets: Mapping[str, Any] | Iterable[str] | None) -> list[ClockSpec]:
    if clock_offsets is None:
        return []
    if isinstance(clock_offsets, Mapping):
        return [parse_clock_value(str(k), v, "build_report(clock_offsets=...)") for k, v in clock_offsets.items()]
    return parse_clock_offsets([str(x) for x in clock_offsets])


def build_report(
    case_dir: str,
    *,
    agency: str | None = None,
    clock_offsets: Mapping[str, Any] | Iterable[str] | None = None,
    top: int = DEFAULT_TOP,
    argv: list[str] | None = None,
    pdf: bool = True,
    templates_dir: str | None = None,
    issued_utc: str | None = None,
    lock: bool = False,
) -> ReportPaths:
    """Make the report of the case folder ``case_dir`` into ``case_dir/report/``.

    ``clock_offsets``: ``["SHA256_OR_PATH=+SECONDS", "SHA256_OR_PATH=2026-03-01T09:30:00Z"]`` or a
    mapping of the same keys to seconds (float) or ISO times; they override the manifest's
    ``clock_offsets``. ``top``: flagged segments shown in detail, best score first (0: all); the
    contact sheet shows the first 24 of them. ``argv``: the command line to record. ``lock``: hold
    the case folder's lock from reading to the rewritten manifest (``forensic report`` does; the
    scan, which holds it already, does not).
    Raises :class:`ReportError` (a usage error) for a folder that is not a case folder, one in use by
    another forensic process, or a clock offset that names no file of the case."""
    case_dir = os.path.abspath(case_dir)
    case = _locked(case_dir) if lock else None
    try:
        # what a report or scan killed while writing left (a scan clears its own when it opens the folder)
        removed = remove_leftovers(case_dir) if case is not None else []
        return _build(case_dir, agency, clock_offsets, top, argv, pdf, templates_dir, issued_utc, removed)
    finally:
        if case is not None:
            case.close()


def _locked(case_dir: str):
    """The case folder, locked against a scan (or another report) writing into it meanwhile."""
    from forensic.store.case import CaseFolder, CaseFolderError

    if not os.path.isdir(case_dir):
        return None  # load_context says what is wrong
    case = CaseFolder(case_dir)
    try:
        case.lock()
    except CaseFolderError as exc:
        raise ReportError(str(exc)) from None
    except OSError as exc:
        raise ReportError(f"{case_dir} cannot be locked: {exc.strerror or exc}") from None
    return case


def _build(
    case_dir: str,
    agency: str | None,
    clock_offsets: Mapping[str, Any] | Iterable[str] | None,
    top: int,
    argv: list[str] | None,
    pdf: bool,
    templates_dir: str | None,
    issued_utc: str | None,
    removed: list[str] | None = None,
) -> ReportPaths:
    ctx = load_context(
        case_dir,
        agency=agency,
        clock_specs=_clock_specs(clock_offsets),
        top=top,
        issued_utc=issued_utc,
        report_argv=argv or ["build_report", case_dir],
    )
    if removed:
        ctx.notes.append(
            f"removed {len(removed)} temporary file(s) that writes cut short left in the case folder (no record "
            f"lists them): {', '.join(escape_path(r) for r in removed)}"
        )
    templates_dir = templates_dir or default_templates_dir()
    if not os.path.isfile(os.path.join(templates_dir, TEMPLATE)):
        raise ReportError(f"report templates not found: {os.path.join(templates_dir, TEMPLATE)}")

    final = os.path.join(case_dir, REPORT_DIR)
    work = tempfile.mkdtemp(prefix=".tmp-report-", dir=case_dir)
    try:
        os.chmod(work, 0o755 & ~_umask())
        files: dict[str, str] = {}  # path relative to the report folder -> sha256

        def put(rel: str, data: bytes) -> None:
            full = os.path.join(work, rel)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            write_atomic(full, data)
            files[rel] = sha256_path(full)

        _prepare_pictures(ctx)
        ctx.coappear = _coappear_view(ctx)
        subs = _write_subtitles(ctx, put)
        put(CSV_NAME, _segments_csv(ctx))
        ctx.issued_files = sorted(files.items())
        html = render_html(ctx, templates_dir)
        put(HTML_NAME, html.encode("utf-8"))
        if pdf:
            put(PDF_NAME, html_to_pdf(html))
        write_atomic(os.path.join(work, SIDECAR), sidecar_bytes(files))
        _swap_in(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise

    rel_files = {f"{REPORT_DIR}/{rel}": sha for rel, sha in sorted(files.items())}
    manifest_sha256 = _record_in_manifest(ctx, rel_files, files)
    return ReportPaths(
        folder=final,
        html=os.path.join(final, HTML_NAME),
        pdf=os.path.join(final, PDF_NAME) if pdf else None,
        csv=os.path.join(final, CSV_NAME),
        sidecar=os.path.join(final, SIDECAR),
        subtitles={sha: {k: os.path.join(final, v) for k, v in d.items()} for sha, d in subs.items()},
        sha256=rel_files,
        revision=ctx.revision,
        flagged=len(ctx.flagged),
        notes=list(ctx.notes),
        manifest_sha256=manifest_sha256,
        mismatches=list(ctx.outputs_check.get("mismatches", [])),
    )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _swap_in(work: str, final: str) -> None:
    """Replace ``final`` by ``work`` in one atomic exchange (the old report folder is removed after)."""
    swap_dir(work, final)


def _record_in_manifest(ctx: ReportContext, rel_files: dict[str, str], files: dict[str, str]) -> str:
    """Add the report to manifest.json; returns the SHA-256 of the manifest written."""
    import hashlib

    from forensic.provenance import tool_source

    path = os.path.join(ctx.case_dir, MANIFEST)
    with open(path, encoding="utf-8") as f:
        manifest = json.load(f)  # as it is now: every other key is kept
    previous = manifest.get("reports")
    history: list[dict[str, Any]] = []
    if isinstance(previous, dict):
        history = [h for h in previous.get("history", []) if isinstance(h, dict)]
        history.append({k: previous.get(k) for k in ("revision", "issued_utc", "html_sha256", "pdf_sha256")})
    manifest["reports"] = {
        "revision": ctx.revision,
        "issued_utc": ctx.issued_utc,
        "folder": REPORT_DIR,
        "html_sha256": files.get(HTML_NAME),
        "pdf_sha256": files.get(PDF_NAME),
        "files": rel_files,
        "sidecar": f"{REPORT_DIR}/{SIDECAR}",
        "agency": ctx.agency,
        "top": ctx.top,
        "flagged": len(ctx.flagged),
        "detailed": len(ctx.detailed),
        "clock_sources": {v.sha256: v.clock.to_dict() for v in ctx.videos},
        "command_line": ctx.report_argv,
        "tool": tool_source(),
        "notes": ctx.notes,
        "history": history,
    }
    data = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
    write_atomic(path, data)
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------------------
# pictures


def _keyframes_of(ctx: ReportContext, s: SegmentView) -> list[Keyframe]:
    f = s.finding
    rels = list(f.keyframes)
    if not rels and f.features_dir:
        folder = inside_case(ctx.case_dir, f.features_dir)
        kdir = os.path.join(folder, "keyframes") if folder else None
        if kdir and os.path.isdir(kdir):
            rels = [
                os.path.join(f.features_dir, "keyframes", n) for n in sorted(os.listdir(kdir)) if n.endswith(".png")
            ]
    out = []
    for rel in rels:
        frame = None
        stem = os.path.splitext(os.path.basename(rel))[0]
        if stem.startswith("frame_") and stem[6:].isdigit():
            frame = int(stem[6:])
        k = Keyframe(rel=rel, frame=frame)
        full = inside_case(ctx.case_dir, rel)
        if full is None:
            k.missing = "refused: the path leads outside the case folder"
            ctx.notes.append(f"keyframe {rel!r} of segment {f.key} leads outside the case folder; not embedded")
        elif not os.path.isfile(full):
            k.missing = "missing from the case folder"
            ctx.notes.append(f"keyframe {rel!r} of segment {f.key} is missing from the case folder")
        else:
            k.sha256 = sha256_path(full)
        out.append(k)
    return out


def _stills_of(ctx: ReportContext, s: SegmentView) -> list[Keyframe]:
    """The exact decoded sample frames, ``stills/frame_NNNNNN.png`` in the features folder (written by
    the features stage; a case folder made before it wrote them has none, and the report says so)."""
    folder = inside_case(ctx.case_dir, s.finding.features_dir) if s.finding.features_dir else None
    sdir = os.path.join(folder, "stills") if folder else None
    if not sdir or not os.path.isdir(sdir):
        return []
    out = []
    for name in sorted(os.listdir(sdir)):
        stem = os.path.splitext(name)[0]
        if not (name.endswith(".png") and stem.startswith("frame_") and stem[6:].isdigit()):
            continue
        full = os.path.join(sdir, name)
        k = Keyframe(rel=os.path.join(s.finding.features_dir, "stills", name), frame=int(stem[6:]))
        if os.path.islink(full) or inside_case(ctx.case_dir, k.rel) is None:
            k.missing = "refused: the path leads outside the case folder"
        else:
            k.sha256 = sha256_path(full)
        out.append(k)
    return out


def _explain(s: SegmentView) -> None:
    """The measurements, the streams, and the player links of one detailed segment."""
    from forensic.report import finding, player

    s.points = finding.curves(s.table)
    s.looks = finding.looks_summary(s.points) if s.points else ""
    s.streams = finding.stream_contributions(s.features_json)
    if s.video is not None and s.player_start is not None and s.player_end is not None:
        path = s.video.item.path
        s.url = player.file_url(path, s.player_start, s.player_end)
        s.mpv = player.mpv_command(path, s.player_start, s.player_end)
        s.vlc = player.vlc_command(path, s.player_start, s.player_end)


def _features_of(ctx: ReportContext, s: SegmentView) -> None:
    f = s.finding
    folder = inside_case(ctx.case_dir, f.features_dir) if f.features_dir else None
    if f.features_dir and folder is None:
        ctx.notes.append(
            f"features folder {f.features_dir!r} of segment {f.key} leads outside the case folder; not read"
        )
    if folder and os.path.isfile(os.path.join(folder, "features.csv")):
        with open(os.path.join(folder, "features.csv"), newline="", encoding="utf-8") as fh:
            s.table = list(csv.DictReader(fh))
    elif f.features_dir:
        ctx.notes.append(f"features.csv of segment {f.key} is missing")
    if folder and os.path.isfile(os.path.join(folder, "features.json")):
        try:
            with open(os.path.join(folder, "features.json"), encoding="utf-8") as fh:
                meta = json.load(fh)
            s.features_json = meta if isinstance(meta, dict) else {}
        except (OSError, ValueError) as exc:
            ctx.notes.append(f"features.json of segment {f.key} cannot be read: {exc}")


def _segment_warnings(s: SegmentView) -> list[str]:
    f = s.finding
    out = [FLAG_WORDS.get(flag, f"flag: {flag}") for flag in f.flags]
    for w in s.features_json.get("warnings", []) or []:
        out.append(str(w))
    seg = f.segmenter or s.features_json.get("segmenter")
    if seg and seg not in ("pixellib", PIXELLIB_SEGMENTER):
        out.append(f"background removal by {seg}, not the paper's Mask R-CNN (PixelLib)")
    elif not seg:
        out.append("the people segmenter used is not recorded")
    n = len(s.table) or 5
    if f.pair_frames < n:
        out.append(f"only {f.pair_frames} of {n} sample frames show both people")
    if f.attempts and f.attempts > 1:
        out.append(f"classified after {f.attempts} attempts")
    if f.error:
        out.append(f"error: {f.error}")
    if s.video is not None:
        if s.video.item.variable_frame_rate:
            out.append("the file has a variable frame rate: seconds come from its timestamps, not from frame counts")
        if s.video.item.rotation:
            out.append(f"the file is rotated {s.video.item.rotation} degrees by its metadata")
    return out


def _coappear_view(ctx: ReportContext):
    from forensic.report.coappear import coappear_view

    return coappear_view(ctx)


def _prepare_pictures(ctx: ReportContext) -> None:
    from forensic.report import charts

    for v in ctx.videos:
        if v.findings:
            thr = next((f.threshold for f in v.findings if f.threshold is not None), None)
            if thr is None and ctx.model:
                thr = ctx.model.get("threshold")
            v.timeline = charts.data_uri(charts.timeline_png(v.findings, v.item.duration_s, thr), "image/png")
    contact = {id(s) for s in ctx.contact}
    for s in ctx.detailed:
        _features_of(ctx, s)
        s.keyframes = _keyframes_of(ctx, s)
        s.stills = _stills_of(ctx, s)
        s.warnings = _segment_warnings(s)
        _explain(s)
        if s.table:
            s.chart = charts.data_uri(charts.segment_chart_png(s.table), "image/png")
        for k in [*s.keyframes, *s.stills]:
            if k.missing is None:
                full = inside_case(ctx.case_dir, k.rel)
                jpg = charts.keyframe_jpeg(full, 480, 82)
                if jpg is None:
                    k.missing = "not a readable image"
                    ctx.notes.append(f"picture {k.rel!r} cannot be read as an image")
                else:
                    k.image = charts.data_uri(jpg, "image/jpeg")
        if id(s) in contact:
            k = s.contact_keyframe
            if k is not None and k.missing is None:
                thumb = charts.keyframe_jpeg(inside_case(ctx.case_dir, k.rel), 360, 80)
                k.thumb = charts.data_uri(thumb, "image/jpeg") if thumb else None


# ---------------------------------------------------------------------------------------------
# subtitles and CSV


def _write_subtitles(ctx: ReportContext, put) -> dict[str, dict[str, str]]:
    from forensic.report import subtitles

    out: dict[str, dict[str, str]] = {}
    by_sha: dict[str, list[SegmentView]] = {}
    for s in ctx.flagged:
        by_sha.setdefault(s.finding.sha256, []).append(s)
    rid = str(ctx.manifest.get("report_id") or "")
    for v in ctx.videos:
        flagged = by_sha.get(v.sha256, [])
        if not flagged:
            continue
        stem = subtitles.file_stem(v.item.path, v.sha256)
        vtt, srt = f"{SUBTITLES}/{stem}.vtt", f"{SUBTITLES}/{stem}.srt"
        offset = v.player.offset_s if v.player is not None else 0.0
        put(vtt, subtitles.webvtt(v.item.path, v.sha256, flagged, rid, ctx.revision, offset).encode("utf-8"))
        put(srt, subtitles.srt(flagged, offset).encode("utf-8"))
        v.subtitles = {"vtt": vtt, "srt": srt}
        out[v.sha256] = dict(v.subtitles)
    return out


CSV_EXTRA = ["wall_clock_start_utc", "wall_clock_end_utc", "wall_clock_source"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        return json.dumps(list(v), ensure_ascii=False)
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        return "'" + v  # a spreadsheet must not run a file name as a formula
    return str(v)


def _segments_csv(ctx: ReportContext) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["rank", "flagged", *FINDING_COLUMNS, *CSV_EXTRA])
    for s in ctx.segments:
        f = s.finding
        row = [s.rank or "", "yes" if s.flagged else "no"]
        frow = f.to_row()  # the findings.csv form: the path escaped losslessly (forensic.records)
        for col in FINDING_COLUMNS:
            row.append(frow[col] if col == "path" else _cell(getattr(f, col)))
        clock = s.video.clock if s.video is not None else None
        row += [s.wall_start or "", s.wall_end or "", clock.kind if clock is not None else "none"]
        w.writerow(row)
    return buf.getvalue().encode("utf-8")


# ---------------------------------------------------------------------------------------------
# HTML and PDF


def render_html(ctx: ReportContext, templates_dir: str | None = None) -> str:
    from forensic.report.render import environment

    env = environment(templates_dir or default_templates_dir())
    return env.get_template(TEMPLATE).render(ctx=ctx, m=ctx.manifest)


def html_to_pdf(html: str) -> bytes:
    """The same HTML printed by WeasyPrint. Its URL fetcher allows data: URIs only and stops the
    rendering on any other: nothing is ever fetched from outside."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols=("data",), fail_on_errors=True, allow_redirects=False)
    return HTML(string=html, url_fetcher=fetcher, base_url=None).write_pdf()
