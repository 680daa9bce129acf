"""The report made from the fixture case folder: files, manifest record, HTML sections and safety,
PDF pages, subtitles and the segments CSV."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import cv2
import pandas as pd
import pytest

from forensic.report.subtitles import CLOCK_NOTE, SRT_CLOCK, parse_times
from tests.report.conftest import (
    LONG_NAME,
    MANIFEST_OFFSET_S,
    QUOTE_NAME,
    RTL_NAME,
    SCRIPT_DIR,
    SCRIPT_NAME,
    TS_START,
)

SECTIONS = (
    "header",
    "examined",
    "flagged",
    "contact-sheet",
    "sure",
    "limitations",
    "integrity",
    "appendix",
    "end-of-report",
)
TOP = 4  # the `reported` fixture's --top


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        d = dict(attrs)
        self.tags.append((tag, d))
        if d.get("id"):
            self.ids.add(d["id"])

    def handle_data(self, data):
        self.text.append(data)

    @property
    def joined(self) -> str:
        return "".join(self.text)


@pytest.fixture(scope="module")
def report_dir(reported) -> Path:
    return reported.case / "report"


@pytest.fixture(scope="module")
def html(report_dir) -> str:
    return (report_dir / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page(html) -> Page:
    p = Page()
    p.feed(html)
    p.close()
    return p


@pytest.fixture(scope="module")
def findings(reported) -> pd.DataFrame:
    return pd.read_parquet(reported.case / "findings.parquet")


@pytest.fixture(scope="module")
def pdf_pages(report_dir) -> int:
    info = subprocess.run(["pdfinfo", str(report_dir / "report.pdf")], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


@pytest.fixture(scope="module")
def pdf_text(report_dir) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(report_dir / "report.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- files and records ---------------------------------------------------------------------------


def test_report_folder_and_sidecar(report_dir):
    names = sorted(str(p.relative_to(report_dir)) for p in report_dir.rglob("*") if p.is_file())
    assert {"report.html", "report.pdf", "all_segments.csv", "report.sha256"} <= set(names)
    subs = [n for n in names if n.startswith("subtitles/")]
    assert len(subs) == 2 * 5  # five videos have flagged intervals: a .vtt and an .srt each
    lines = (report_dir / "report.sha256").read_text().splitlines()
    listed = {}
    for line in lines:
        sha, name = line.split("  ", 1)
        listed[name] = sha
    assert set(listed) == set(names) - {"report.sha256"}
    for name, sha in listed.items():
        assert _sha(report_dir / name) == sha, name
    # sha256sum itself accepts it
    subprocess.run(["sha256sum", "--quiet", "-c", "report.sha256"], cwd=report_dir, check=True)


def test_manifest_records_the_report_and_keeps_every_other_key(reported, fixture_case, report_dir):
    before = json.loads((fixture_case.case / "manifest.json").read_text())
    after = json.loads((reported.case / "manifest.json").read_text())
    assert {k: v for k, v in after.items() if k != "reports"} == before
    rec = after["reports"]
    assert rec["html_sha256"] == _sha(report_dir / "report.html")
    assert rec["pdf_sha256"] == _sha(report_dir / "report.pdf")
    assert rec["files"]["report/report.html"] == rec["html_sha256"]
    assert rec["files"]["report/report.pdf"] == rec["pdf_sha256"]
    assert rec["revision"] == 1 and rec["history"] == []
    assert rec["agency"] == "Agency <A&B>" and rec["top"] == TOP and rec["flagged"] == 5
    assert rec["command_line"][:2] == ["forensic", "report"]
    # no temporary folder left behind
    assert not [p for p in reported.case.iterdir() if p.name.startswith(".tmp-")]


def test_clock_sources_recorded(reported):
    rec = json.loads((reported.case / "manifest.json").read_text())["reports"]["clock_sources"]
    two, ts, rtl = reported.sha["two"], reported.sha["ts"], reported.sha["rtl"]
    assert rec[two]["source"] == "examiner_offset" and rec[two]["origin"] == "manifest (clock_offsets)"
    assert rec[two]["start_utc"] == "2026-03-01T09:30:02.500Z"  # creation time + 2.5 s
    assert rec[ts]["source"] == "examiner_start" and rec[ts]["start_utc"] == "2026-03-02T18:00:00.000Z"
    assert rec[rtl]["source"] == "none" and rec[rtl]["start_utc"] is None


# -- HTML --------------------------------------------------------------------------------------------


def test_every_section_is_there(page, html):
    for sid in SECTIONS:
        assert sid in page.ids, sid
    for rank in range(1, TOP + 1):
        assert f"seg-{rank}" in page.ids
    assert f"seg-{TOP + 1}" not in page.ids  # --top 4: the fifth is listed, not detailed
    text = page.joined
    for words in (
        "Forensic video analysis report",
        "1. What was examined",
        "2. What was flagged, and why",
        "3. How sure",
        "4. Limits",
        "5. How to verify",
        "Appendix",
        "END OF REPORT",
        "The results relate only to the items examined",
    ):
        assert words in text, words
    assert "Agency <A&B>" in text and "E. O'Brien" in text and 'CASE <7> "\u03a9"' in text
    assert html.rstrip().endswith("</html>")


def test_header_and_method_facts(page, reported):
    text = page.joined
    manifest = json.loads((reported.case / "manifest.json").read_text())
    assert manifest["report_id"] in text
    assert manifest["config_sha256"] in text and "matches the configuration shown" in text
    assert manifest["started_utc"] in text and manifest["ended_utc"] in text
    assert "fusion-test" in text and "5" * 64 in text
    assert "test clips (120;" in text and "macro F1 0.900" in text  # model card's test figures
    assert "<not> validated on CCTV at night" in text  # model card limits, as text
    assert "staged clips, two actors" in text  # and its training data, in the limits
    assert "local: 1 node(s), 2 CPU(s), 0 GPU(s)" in text
    assert manifest["command_line_text"] in text
    assert "hog-face-grabcut" in text


def test_what_was_examined_names_the_records_not_every_input(page, reported, html):
    """The body grows with the findings, not with the inputs: every input is in evidence.csv (named
    with its SHA-256); the body lists the files with flags, and the inputs that failed, with why."""
    text = page.joined
    manifest = json.loads((reported.case / "manifest.json").read_text())
    assert manifest["outputs_sha256"]["evidence.csv"] in text
    for key in ("two", "script", "quote", "rtl", "ts"):  # the files with a flagged segment
        assert reported.sha[key] in text
    assert reported.sha["long"] not in text and LONG_NAME not in text  # nothing flagged, nothing failed
    assert "notes.txt" not in text  # skipped: counted, listed in evidence.csv only
    assert reported.paths["broken"] in text and "not readable as video" in text  # failed, with why
    assert "(and 1 identical path(s))" in text  # two_people.mp4 and its copy
    assert "unverified" in text
    assert '"card_sha256"' not in html and "epoch_seconds" not in html  # no raw model card


def test_contact_sheet(page):
    cells = [
        (t, a) for t, a in page.tags if t == "img" and (a.get("alt") or "").startswith("keyframe of flagged segment")
    ]
    assert len(cells) == TOP
    for _tag, attrs in cells:
        assert attrs["src"].startswith("data:image/jpeg;base64,")
    text = page.joined
    assert "#1 score 0.970" in text and "#4 score 0.620" in text


def test_flagged_segment_details(page, findings):
    text = page.joined
    flagged = findings[findings["label"] == "stalking"].sort_values("score", ascending=False)
    assert len(flagged) == 5
    for rank, (_, f) in enumerate(flagged.iterrows(), 1):
        assert f"{f['score']:.3f}" in text
        assert f"{f['start_tc']}" in text and f"{f['end_tc']}" in text
        if rank <= TOP:
            assert f"Finding #{rank} \u2014 score {f['score']:.3f}" in text
    # every clock of the two-people segment, wall clock from creation time + the manifest offset
    assert "2026-03-01T09:30:02.500Z" in text and "2026-03-01T09:30:07.500Z" in text
    assert "2026-03-02T18:00:00.000Z" in text  # the .ts file: examiner ISO start (rank 5, in the table)
    assert f"+{MANIFEST_OFFSET_S:g} s" in text
    keyframes = [a for t, a in page.tags if t == "img" and (a.get("alt") or "").startswith("annotated frame")]
    stills = [a for t, a in page.tags if t == "img" and (a.get("alt") or "").startswith("decoded frame")]
    assert len(keyframes) == len(stills) == 5 * TOP
    charts = [a for t, a in page.tags if t == "img" and "looking toward and distance" in (a.get("alt") or "")]
    assert len(charts) == TOP and all(a["src"].startswith("data:image/png;base64,") for a in charts)
    assert "background removal by hog-face-grabcut, not the paper's Mask R-CNN" in text
    timelines = [a for t, a in page.tags if t == "img" and (a.get("alt") or "").startswith("score timeline")]
    assert len(timelines) == 5  # the files with a flagged segment


def test_html_is_self_contained(page, html):
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed", "base", "frame", "applet"), tag
        for key in ("src", "href", "srcset", "data", "poster", "action", "formaction"):
            v = (attrs.get(key) or "").strip()
            if v and tag == "a" and key == "href" and v.startswith("file://"):
                assert "#t=" in v and attrs.get("class") == "mono small"  # a player link: opened, never loaded
            elif v:
                assert v.startswith("#") or v.startswith("data:"), (tag, key, v[:60])
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:|//)", html, re.I)
    assert not re.search(r"src\s*=\s*[\"']?\s*file:", html, re.I)
    assert "<script" not in html.lower()
    for m in re.finditer(r"url\(([^)]*)\)", html):
        assert m.group(1).strip("'\" ").startswith("data:"), m.group(0)
    assert "@import" not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


def test_hostile_names_render_as_text_in_html(page, html, reported):
    text = page.joined
    assert f"{SCRIPT_DIR}/{SCRIPT_NAME}" == "<script>alert(1)</script>.mp4"
    assert reported.paths["script"] in text  # .../<script>alert(1)</script>.mp4, as text
    assert reported.paths["quote"] in text and QUOTE_NAME in text
    # the right-to-left override is shown, not obeyed
    assert "\u202e" not in html
    assert RTL_NAME.replace("\u202e", "\u2039U+202E\u203a") in text
    # the markup in the names never became markup
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold<b>" not in html and "&lt;b&gt;bold&lt;b&gt;" in html
    assert not any(tag == "script" for tag, _ in page.tags)


# -- PDF ---------------------------------------------------------------------------------------------


def test_pdf_pages_render_with_page_numbers(report_dir, pdf_pages, tmp_path):
    # a few pages, then one per detailed finding: the length follows the findings, not the inputs
    assert pdf_pages <= 6 + TOP  # 10 here; 58 before (issue 15)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(report_dir / "report.pdf"), str(tmp_path / "p")], check=True)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == pdf_pages
    colourful = []
    for n, png in enumerate(pngs, 1):
        img = cv2.imread(str(png))
        assert img is not None and img.shape[0] > img.shape[1]  # A4 portrait
        gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        assert (gray < 200).mean() > 0.003, f"page {n} is blank"
        sat = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)[:, :, 1]
        colourful.append(float((sat > 80).mean()))
        text = subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), str(report_dir / "report.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert f"Page {n} of {pdf_pages}" in text, n
    assert sum(c > 0.05 for c in colourful) >= TOP  # one page per detailed finding: frames and curves
    for rank in range(1, TOP + 1):  # each finding starts its own page and fits on it
        pages = [
            n
            for n in range(1, pdf_pages + 1)
            if f"Finding #{rank} "
            in subprocess.run(
                ["pdftotext", "-f", str(n), "-l", str(n), str(report_dir / "report.pdf"), "-"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        ]
        assert len(pages) == 1, (rank, pages)
    last = subprocess.run(
        ["pdftotext", "-f", str(pdf_pages), "-l", str(pdf_pages), str(report_dir / "report.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "END OF REPORT" in last and "Nothing follows" in last


def test_pdf_sections_and_images(report_dir, pdf_text):
    for words in (
        "1. What was examined",
        "2. What was flagged, and why",
        "Contact sheet",
        "3. How sure",
        "4. Limits",
        "5. How to verify",
        "Appendix",
        "END OF REPORT",
    ):
        assert words in pdf_text
    images = subprocess.run(["pdfimages", "-list", str(report_dir / "report.pdf")], capture_output=True, text=True)
    if images.returncode == 0:  # poppler-utils' pdfimages: every embedded picture
        rows = [line for line in images.stdout.splitlines()[2:] if line.strip()]
        # timelines (5) + contact sheet (4) + annotated and exact frames (10 per finding) + curves (1 each)
        assert len(rows) >= 5 + TOP + 11 * TOP


def test_hostile_names_render_as_text_in_pdf(pdf_text, reported):
    flat = re.sub(r"\s+", "", pdf_text)
    assert "<script>alert(1)</script>.mp4" in pdf_text
    assert re.sub(r"\s+", "", reported.paths["script"]) in flat
    assert re.sub(r"\s+", "", QUOTE_NAME) in flat
    assert "rtl_\u2039U+202E\u203aevil_4pm.mp4" in flat
    assert "\u202e" not in pdf_text
    assert 'CASE <7> "\u03a9"' in pdf_text and "Agency <A&B>" in pdf_text


# -- subtitles and CSV --------------------------------------------------------------------------------


def _close(cues, want) -> bool:
    """Each cue at most 1 ms before the time it stands for (player time; see subtitles._ms)."""
    return len(cues) == len(want) and all(0 <= w - c <= 0.0011 for cw, ww in zip(cues, want) for c, w in zip(cw, ww))


def test_subtitles_parse_and_match_findings(report_dir, findings, reported):
    from forensic.report.player import player_clock
    from forensic.report.readers import read_evidence

    items = {i.sha256: i for i in read_evidence(str(reported.case), []) if i.duplicate_of is None}
    flagged = findings[findings["label"] == "stalking"]
    by_sha = {
        sha: sorted(
            (a + player_clock(items[sha]).offset_s, b + player_clock(items[sha]).offset_s)
            for a, b in zip(g["start_s"], g["end_s"])
        )
        for sha, g in flagged.groupby("sha256")
    }
    vtts = sorted((report_dir / "subtitles").glob("*.vtt"))
    assert len(vtts) == len(by_sha) == 5
    for vtt in vtts:
        sha12 = vtt.name.split(".")[-2]
        sha = next(s for s in by_sha if s.startswith(sha12))
        want = by_sha[sha]
        text = vtt.read_text(encoding="utf-8")
        assert text.startswith("WEBVTT\n\nNOTE\n")
        assert CLOCK_NOTE in text and sha in text
        note = text.split("\n\n")[1]
        assert "-->" not in note  # a NOTE block must not hold -->
        assert _close(parse_times(text, "vtt"), want), (parse_times(text, "vtt"), want)
        srt = vtt.with_suffix(".srt").read_text(encoding="utf-8")
        assert _close(parse_times(srt, "srt"), want)
        blocks = [b for b in srt.strip().split("\n\n") if b]
        assert [b.splitlines()[0] for b in blocks] == [str(i) for i in range(1, len(want) + 1)]
        assert all(b.splitlines()[-1] == SRT_CLOCK for b in blocks)
        assert "\u202e" not in text and "\u202e" not in srt
    rtl = [v for v in vtts if v.name.startswith("rtl_evil_4pm.")]
    assert rtl and "rtl_\u2039U+202E\u203aevil_4pm.mp4" in rtl[0].read_text(encoding="utf-8")


def test_vtt_opens_in_ffmpeg(report_dir, tmp_path):
    """ffmpeg's WebVTT and SRT demuxers read the files (as VLC and mpv do)."""
    for sub in sorted((report_dir / "subtitles").iterdir())[:2]:
        out = tmp_path / (sub.name + ".ass")
        proc = subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(sub), str(out)], capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr
        assert "FLAGGED" in out.read_text(encoding="utf-8")


def test_all_segments_csv(report_dir, findings):
    with open(report_dir / "all_segments.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(findings) == 9
    flagged = [r for r in rows if r["flagged"] == "yes"]
    assert sorted(int(r["rank"]) for r in flagged) == [1, 2, 3, 4, 5]
    assert all(r["label"] == "stalking" for r in flagged)
    assert {r["key"] for r in rows} == set(findings["key"])
    two = [r for r in rows if r["path"].endswith("two_people.mp4") and r["segment_index"] == "0"]
    assert two[0]["wall_clock_start_utc"] == "2026-03-01T09:30:02.500Z"
    assert two[0]["wall_clock_source"] == "examiner_offset"
    ts = [r for r in rows if r["path"].endswith(".ts")]
    assert ts[0]["wall_clock_start_utc"] == TS_START.replace("Z", ".000Z")


def test_csv_cells_never_start_a_formula():
    from forensic.report import _cell

    assert _cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert _cell("@SUM(1)") == "'@SUM(1)" and _cell("-1+2") == "'-1+2"
    assert _cell("/tmp/a.mp4") == "/tmp/a.mp4" and _cell(None) == "" and _cell(-1.5) == "-1.5"


# -- made again ----------------------------------------------------------------------------------------


def test_report_made_again_is_a_new_revision(reported, tmp_path):
    from forensic.report import build_report
    from forensic.report.verify import verify

    case = tmp_path / "case"
    shutil.copytree(reported.case, case)
    first = json.loads((case / "manifest.json").read_text())["reports"]
    paths = build_report(str(case), top=1, pdf=False, argv=["test"])
    assert paths.revision == 2 and paths.pdf is None
    rec = json.loads((case / "manifest.json").read_text())["reports"]
    assert rec["revision"] == 2 and rec["pdf_sha256"] is None
    assert rec["history"] == [
        {
            "revision": 1,
            "issued_utc": first["issued_utc"],
            "html_sha256": first["html_sha256"],
            "pdf_sha256": first["pdf_sha256"],
        }
    ]
    assert not (case / "report" / "report.pdf").exists()  # the old revision's files are gone, not mixed in
    html = (case / "report" / "report.html").read_text(encoding="utf-8")
    assert first["html_sha256"] in html and "revision 2" in html  # earlier revision listed
    assert verify(str(case)) == []
