"""Scene cuts agree with PySceneDetect's own golden cut lists (its release tests' goldens).

``../shared/scenedetect/`` holds PySceneDetect's test video and the golden files
``<video>.<Detector>.<variant>.json`` (``{"cuts": [frame, ...]}``: the first frame of every scene
after the first, from a plain SceneManager with auto-downscale and the detector's defaults,
min_scene_len 15 frames; ``t30``: ContentDetector threshold 30, ``t5``: AdaptiveDetector 5). Our
segments stage, set the same way, must start shots exactly there, in one pass and in chunks.
Skipped when the folder is absent.
"""

from __future__ import annotations

import functools
import json
from fractions import Fraction
from pathlib import Path

import pytest

from forensic.config import SegmentConfig
from forensic.segments import segment_path

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "scenedetect"
GOLDENS = sorted(SHARED.glob("*.*Detector.*.json")) if SHARED.is_dir() else []
DETECTORS = {
    "ContentDetector": "content",
    "AdaptiveDetector": "adaptive",
    "ThresholdDetector": "threshold",
    "HashDetector": "hash",
    "HistogramDetector": "histogram",
}
VARIANT_THRESHOLDS = {"t30": 30.0, "t5": 5.0, "default": None}


def _params(golden: Path) -> tuple[Path, str, str, float | None]:
    video_name, rest = golden.name.split(".mp4.", 1) if ".mp4." in golden.name else golden.name.split(".", 1)
    detector, variant, _json = rest.split(".")
    video = golden.parent / (video_name + (".mp4" if ".mp4." in golden.name else ""))
    return video, detector, variant, VARIANT_THRESHOLDS[variant]


def _fps(video: Path) -> Fraction:
    import av

    with av.open(str(video)) as c:
        return Fraction(c.streams.video[0].average_rate)


@functools.cache
def pyscenedetect_cuts(video: Path, detector: str, threshold: float | None) -> list[int]:
    """What the installed PySceneDetect itself finds (its SceneManager, PyAV backend)."""
    import scenedetect.detectors as d
    from scenedetect import SceneManager, open_video

    cls = getattr(d, detector)
    kw = {"min_scene_len": 15}
    if threshold is not None:
        kw["adaptive_threshold" if detector == "AdaptiveDetector" else "threshold"] = threshold
    sm = SceneManager()
    sm.add_detector(cls(**kw))
    sm.detect_scenes(open_video(str(video), backend="pyav"))
    return [s[0].frame_num for s in sm.get_scene_list()][1:]


@pytest.mark.skipif(not GOLDENS, reason=f"PySceneDetect's test video and goldens are absent ({SHARED})")
@pytest.mark.parametrize("golden", GOLDENS, ids=[g.name for g in GOLDENS])
@pytest.mark.parametrize("chunk_s", [300.0, 10.0], ids=["one-pass", "chunked"])
def test_cuts_match_pyscenedetect_goldens(golden, chunk_s):
    video, detector, _variant, threshold = _params(golden)
    if not video.is_file():
        pytest.skip(f"{video} is absent")
    expected = json.loads(golden.read_text())["cuts"]
    fps = _fps(video)
    config = SegmentConfig(
        detector=DETECTORS[detector], threshold=threshold, min_scene_len_s=float(15 / fps), chunk_s=chunk_s
    )
    item, _info, result = segment_path(str(video), config)
    assert result is not None, (item.status, item.reason)
    starts = sorted(
        {s.start_frame for s in result.segments if s.start_frame > 0 and s.shot != result.segments[s.index - 1].shot}
    )
    assert result.cuts == starts  # every cut starts a shot, and only cuts do
    own = pyscenedetect_cuts(video, detector, threshold)
    assert result.cuts == own, f"ours {result.cuts}, PySceneDetect's own {own}, golden {expected}"
    if own != expected:
        pytest.xfail(f"the installed PySceneDetect itself gives {own} where its golden (0.7.1) says {expected}")
    assert result.cuts == expected
