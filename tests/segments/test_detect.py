"""Scene cuts on real generated footage: the exact decoded-frame indices where shots start."""

from __future__ import annotations

from fractions import Fraction

import pytest

from forensic.config import SegmentConfig
from forensic.segments import detect_cuts
from forensic.synth.lavfi import Shot, cut_frames, make_clip

CLIPS = {
    "a": [
        Shot("testsrc2", 50),
        Shot("color=c=red", 30),
        Shot("smptebars", 40),
        Shot("mandelbrot", 25),
        Shot("color=c=blue", 35),
    ],
    "b": [Shot("smptebars", 22), Shot("rgbtestsrc", 61), Shot("color=c=blue", 40)],
    "c": [Shot("mandelbrot", 33), Shot("testsrc2", 20), Shot("color=c=red", 47), Shot("smptebars", 28)],
}
FORMATS = [(25, "mp4"), (25, "mkv"), ("30000/1001", "mp4"), ("30000/1001", "mkv")]


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    d = tmp_path_factory.mktemp("detect")
    out = {}
    for name, shots in CLIPS.items():
        for fps, ext in FORMATS:
            tag = str(fps).replace("/", "_")
            out[(name, fps, ext)] = make_clip(str(d / f"{name}_{tag}.{ext}"), shots, fps=fps)
    # a cut 10 frames (0.4 s at 25 fps) after the previous one
    close = [Shot("testsrc2", 40), Shot("color=c=red", 10), Shot("smptebars", 40), Shot("color=c=blue", 30)]
    out["close"] = make_clip(str(d / "close.mp4"), close, fps=25)
    return out


@pytest.mark.parametrize("fps,ext", FORMATS)
@pytest.mark.parametrize("name", sorted(CLIPS))
def test_content_detector_finds_exact_cuts(videos, name, fps, ext):
    cuts, timeline, report, detector = detect_cuts(videos[(name, fps, ext)], SegmentConfig(), Fraction(fps))
    assert cuts == cut_frames(CLIPS[name])
    assert detector == "scenedetect.ContentDetector"
    assert len(timeline) == sum(s.frames for s in CLIPS[name])
    assert not report.errors and report.stopped_by is None


@pytest.mark.parametrize(
    "detector,cls",
    [("adaptive", "AdaptiveDetector"), ("histogram", "HistogramDetector"), ("content", "ContentDetector")],
)
@pytest.mark.parametrize("fps,ext", [(25, "mp4"), ("30000/1001", "mkv")])
def test_other_detectors_find_the_same_cuts(videos, detector, cls, fps, ext):
    cuts, _tl, _rep, name = detect_cuts(videos[("a", fps, ext)], SegmentConfig(detector=detector), Fraction(fps))
    assert cuts == cut_frames(CLIPS["a"])
    assert name == f"scenedetect.{cls}"


def test_cuts_are_plain_ints(videos):
    cuts, *_ = detect_cuts(videos[("a", 25, "mp4")], SegmentConfig(), Fraction(25))
    assert all(type(c) is int for c in cuts)


def test_high_threshold_finds_no_cut(videos):
    cuts, timeline, _rep, _name = detect_cuts(videos[("a", 25, "mp4")], SegmentConfig(threshold=255), Fraction(25))
    assert cuts == []
    assert len(timeline) == 180


def test_cut_closer_than_min_scene_len_is_suppressed(videos):
    # cuts at 40, 50 and 90; 50 is 0.4 s after 40, under the default 0.6 s minimum
    cuts, *_ = detect_cuts(videos["close"], SegmentConfig(), Fraction(25))
    assert cuts == [40, 90]


def test_min_scene_len_below_the_gap_keeps_the_close_cut(videos):
    cuts, *_ = detect_cuts(videos["close"], SegmentConfig(min_scene_len_s=0.2), Fraction(25))
    assert cuts == [40, 50, 90]


def test_min_scene_len_is_in_seconds_not_frames(videos):
    # 0.3 s is 7.5 frames at 25 fps (the cut 10 frames after 40 stays) but 15 frames when the
    # footage is said to run at 50 fps (the cut goes)
    cfg = SegmentConfig(min_scene_len_s=0.3)
    assert detect_cuts(videos["close"], cfg, Fraction(25))[0] == [40, 50, 90]
    assert detect_cuts(videos["close"], cfg, Fraction(50))[0] == [40, 90]


@pytest.mark.parametrize("detector", ["adaptive", "histogram"])
def test_min_scene_len_applies_to_other_detectors(videos, detector):
    cuts, *_ = detect_cuts(videos["close"], SegmentConfig(detector=detector), Fraction(25))
    assert cuts == [40, 90]


def test_unreadable_file_gives_no_timeline(tmp_path):
    p = tmp_path / "junk.mp4"
    p.write_bytes(b"\x00" * 4096)
    cuts, timeline, report, _name = detect_cuts(str(p), SegmentConfig(), Fraction(25))
    assert cuts == [] and timeline is None
    assert report.exceptions and report.stopped_by
