"""The report's pieces on their own: escaping, clocks, charts, subtitles, CLI usage errors, and the
refusal to embed anything from outside the case folder."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime

import cv2
import numpy as np
import pandas as pd
import pytest

from forensic._cli import build_parser, main
from forensic.records import EvidenceItem
from forensic.report import charts, default_templates_dir, subtitles
from forensic.report.clocks import ClockSpec, clock_source, parse_clock_offsets
from forensic.report.readers import ReportError, inside_case
from forensic.report.render import environment, shown
from forensic.report.text import plain_visible, split_visible
from tests.report.conftest import TS_START


def test_commands_registered():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert {"report", "verify"} <= set(sub.choices)


@pytest.mark.parametrize(
    "name", ["<script>alert(1)</script>.mp4", 'it\'s "q" & <b>x</b>', "a\u202eb", "x\ny", "\udcff"]
)
def test_shown_escapes_and_shows_hidden_characters(name):
    out = str(shown(name))
    assert "<script" not in out and "<b>" not in out
    for ch in ("\u202e", "\n", "\udcff"):
        assert ch not in out
    if "\u202e" in name:
        assert "\u2039U+202E\u203a" in out
    if "\udcff" in name:
        assert "\u20390xFF\u203a" in out
    assert str(shown(None)) == '<span class="nr">not recorded</span>'


def test_templates_autoescape_every_value():
    env = environment(default_templates_dir())
    assert env.from_string("{{ x }}").render(x="<script>&\"'") == "&lt;script&gt;&amp;&#34;&#39;"
    assert env.autoescape is True


def test_split_visible_keeps_plain_text():
    assert split_visible("abc def.mp4") == [("abc def.mp4", False)]
    assert split_visible("a\u200bb") == [("a", False), ("\u2039U+200B\u203a", True), ("b", False)]
    assert plain_visible("\u2066x\u2069") == "\u2039U+2066\u203ax\u2039U+2069\u203a"


def test_clock_offsets_parse_and_apply():
    specs = parse_clock_offsets(["/a=b.mp4=+3.5", "abc=-2", f"x={TS_START}", "y=2026-03-01T10:00:00+01:00"])
    assert specs[0].key == "/a=b.mp4" and specs[0].offset_s == 3.5
    assert specs[1].offset_s == -2.0
    assert specs[2].start_utc == datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
    assert specs[3].start_utc == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    for bad in ["nokey", "k=", "k=soon", "k=2026-03-01T10:00:00", "k=nan"]:
        with pytest.raises(ReportError):
            parse_clock_offsets([bad])
    item = EvidenceItem(path="/x.mp4", creation_time_utc="2026-03-01T09:30:00.000000Z")
    created = clock_source(item, None)
    assert created.kind == "creation_time" and created.at(1.25) == "2026-03-01T09:30:01.250Z"
    assert "unverified" in created.description
    corrected = clock_source(item, ClockSpec("k", offset_s=-30.0, text="-30"))
    assert corrected.kind == "examiner_offset" and corrected.at(0) == "2026-03-01T09:29:30.000Z"
    bare = EvidenceItem(path="/y.mp4")
    assert clock_source(bare, None).at(0) is None
    assert clock_source(bare, ClockSpec("k", offset_s=5.0)).kind == "none"  # nothing to add the offset to
    start = clock_source(bare, ClockSpec("k", start_utc=datetime(2026, 1, 1, tzinfo=UTC)))
    assert start.kind == "examiner_start" and start.at(61.5) == "2026-01-01T00:01:01.500Z"


def test_report_cli_usage_errors(reported, tmp_path, capsys):
    case = tmp_path / "case"
    shutil.copytree(reported.case, case)
    assert main(["report", str(case), "--clock-offset", "/no/such/file.mp4=+1", "-q"]) == 2
    assert "neither the SHA-256 nor the path" in capsys.readouterr().err
    assert main(["report", str(case), "--clock-offset", f"{reported.sha['two']}=tomorrow", "-q"]) == 2
    assert main(["report", str(case), "--top", "-1", "-q"]) == 2
    assert main(["report", str(tmp_path / "missing"), "-q"]) == 2
    # nothing was written by the refused runs
    assert json.loads((case / "manifest.json").read_text())["reports"]["revision"] == 1


def test_timeline_and_segment_charts_are_pngs():
    from forensic.records import Finding, FindingStatus

    def f(i, status, score=None, label=None):
        return Finding(
            key=f"k{i}",
            sha256="s",
            path="p",
            segment_index=i,
            shot=0,
            start_frame=i * 125,
            end_frame=(i + 1) * 125,
            start_s=i * 5.0,
            end_s=(i + 1) * 5.0,
            start_pts=0,
            end_pts=0,
            start_pts_s=0.0,
            end_pts_s=0.0,
            time_base="1/25",
            start_tc="",
            end_tc="",
            status=status,
            score=score,
            label=label,
            threshold=0.5,
        )

    segs = [
        f(0, FindingStatus.ANALYSED, 0.9, "stalking"),
        f(1, FindingStatus.ANALYSED, 0.2, "non_stalking"),
        f(2, FindingStatus.INSUFFICIENT_SUBJECTS),
        f(3, FindingStatus.SHORT_SHOT),
    ]
    png = charts.timeline_png(segs, 20.0, 0.5)
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and img.shape[1] > 800
    # the flagged interval is shaded red: reddish pixels in the first quarter of the plot
    b, g, r = (img[..., i].astype(int) for i in range(3))
    assert ((r - b > 30) & (r - g > 30)).sum() > 500
    rows = [
        {"frame": 10 * i, "s": i, "A_yaw": 10.0 + i, "A_pitch": -5, "B_yaw": -3, "B_pitch": 2, "distance_px": 300 + i}
        for i in range(5)
    ]
    rows[2] = {"frame": 20, "s": 2, "A_yaw": "", "A_pitch": "", "B_yaw": "", "B_pitch": "", "distance_px": ""}
    png2 = charts.segment_chart_png(rows)
    assert png2[:8] == b"\x89PNG\r\n\x1a\n"
    assert charts.tick_step(16) == 2 and charts.tick_step(3600) == 600
    assert charts.clock_label(3725, 60) == "1:02:05" and charts.clock_label(2.5, 0.5) == "0:02.5"


def test_subtitle_names_are_safe():
    assert subtitles.safe_stem("/x/<script>alert(1)</script>.mp4") == "script"
    assert subtitles.safe_stem("/x/rtl_\u202eevil.mp4") == "rtl_evil"
    assert subtitles.safe_stem("/x/\u00e9\u00e9.mp4") == "video"
    assert len(subtitles.safe_stem("/x/" + "y" * 300 + ".mp4")) <= 60
    assert subtitles.vtt_time(3725.0004) == "01:02:05.000" and subtitles.srt_time(0.0456) == "00:00:00,045"


def test_inside_case(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f.png").write_bytes(b"x")
    os.symlink("/etc", tmp_path / "a" / "out")
    assert inside_case(str(tmp_path), "a/f.png") == str(tmp_path / "a" / "f.png")
    for bad in ("../x.png", "/etc/passwd", "a/out/passwd", "", None, "."):
        assert inside_case(str(tmp_path), bad) is None


def test_nothing_outside_the_case_folder_is_embedded(reported, tmp_path):
    """A keyframe path leading outside the case folder (.., absolute, a symbolic link) is refused
    and the refusal is written in the report; the picture outside is never read."""
    from forensic.report import build_report

    case = tmp_path / "case"
    shutil.copytree(reported.case, case)
    secret = tmp_path / "secret.png"
    cv2.imwrite(str(secret), np.full((40, 40, 3), (0, 0, 255), np.uint8))
    os.symlink(secret, case / "link.png")
    df = pd.read_parquet(case / "findings.parquet")
    i = int(df["score"].idxmax())
    kf = json.loads(df.at[i, "keyframes"])
    kf[0], kf[1], kf[2] = "../secret.png", str(secret), "link.png"
    df.at[i, "keyframes"] = json.dumps(kf)
    df.to_parquet(case / "findings.parquet", index=False)
    paths = build_report(str(case), top=1, pdf=True, argv=["test"])
    html = open(paths.html, encoding="utf-8").read()
    assert html.count("refused: the path leads outside the case folder") == 3
    assert sum("leads outside the case folder" in n for n in paths.notes) == 3
    assert html.count('alt="annotated frame') == 2 and html.count('alt="decoded frame') == 5


@pytest.mark.parametrize(
    "segmenter, warned",
    [("pixellib", False), ("pixellib-maskrcnn-coco", False), ("mediapipe-selfie-pose", True), (None, True)],
)
def test_segment_warnings_name_the_segmenter_that_is_not_the_papers(segmenter, warned):
    """PixelLib's segmenter records itself as pixellib-maskrcnn-coco: that is the paper's, no warning
    (it used to be called "the fallback segmenter"); any other is named; none recorded is said."""
    from types import SimpleNamespace

    from forensic.report import _segment_warnings

    finding = SimpleNamespace(flags=(), segmenter=segmenter, pair_frames=5, attempts=1, error=None)
    view = SimpleNamespace(finding=finding, features_json={}, table=[], video=None)
    said = " ".join(_segment_warnings(view))
    if segmenter is None:
        assert "segmenter used is not recorded" in said
    else:
        assert ("not the paper's Mask R-CNN" in said) is warned
        assert "fallback" not in said
