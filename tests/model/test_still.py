"""Still pictures and paused cameras are not behaviour: a segment whose sample frames do not change
is ``still`` and is not classified (forensic.features.motion, forensic.engine.work)."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensic.features import motion
from forensic.features.segment import sample_images
from forensic.segments import clip_segment
from forensic.synth.lavfi import Shot, make_clip, two_people_image

FOOTAGE = Path(__file__).resolve().parents[2].parent / "shared" / "footage"


def change_of(path: str) -> float:
    _item, segment = clip_segment(path, 5)
    return motion.frame_change(sample_images(segment).images)


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> dict[str, str]:
    """The demo's still picture of two people (`forensic synth demo`'s second shot), the same
    picture drifting sideways, and a uniform colour."""
    root = tmp_path_factory.mktemp("still")
    png = two_people_image(str(root))
    (root / "evidence").mkdir()
    out = {}
    for name, shots in (
        ("still", [Shot("still:" + png, 150)]),
        ("drift", [Shot("drift:" + png, 150)]),
        ("navy", [Shot("color=c=navy", 100)]),
    ):
        out[name] = make_clip(str(root / "evidence" / f"{name}.mp4"), shots, fps=25, size=(640, 360))
    return out


def test_still_picture_and_colour_are_still_a_drifting_one_is_not(pictures):
    assert change_of(pictures["still"]) < motion.STILL_MAX and motion.is_still(change_of(pictures["still"]))
    assert motion.is_still(change_of(pictures["navy"]))
    assert change_of(pictures["drift"]) > 50 * motion.STILL_MAX


def test_generated_scenes_move(tmp_path):
    from forensic.synth.clips import make_clips

    for path in make_clips(str(tmp_path / "clips"), 1, 3, size=(480, 270), fps=10, seconds=3.0):
        assert not motion.is_still(change_of(path)), path


@pytest.mark.skipif(not FOOTAGE.is_dir(), reason="the real clips of ../shared/footage are not here")
def test_real_clips_that_move_are_not_still():
    for name in ("face_recognition_short_hamilton_clip.mp4", "intel_asl_book.mkv"):
        change = change_of(str(FOOTAGE / name))
        assert change > 10 * motion.STILL_MAX, (name, change)


def test_frames_of_different_sizes_count_as_changed():
    import numpy as np

    a = np.zeros((90, 160, 3), np.uint8)
    assert motion.frame_change([a, a, a]) == 0.0 and motion.frame_change([a]) == 0.0
    assert motion.frame_change([a, np.zeros((100, 160, 3), np.uint8)]) == 1.0


def test_a_still_picture_of_two_people_is_not_classified(pictures, tmp_path, tiny_model_dir):
    import pandas as pd

    from forensic.engine.scan import ScanRequest, run_scan

    evidence = Path(pictures["still"]).parent
    run_scan(
        ScanRequest(
            paths=[str(evidence)],
            case_dir=str(tmp_path / "case"),
            model_dir=str(tiny_model_dir),
            engine="local",
            report=False,
        )
    )
    f = pd.read_parquet(tmp_path / "case" / "findings.parquet")
    status = {Path(p).name: s for p, s in zip(f["path"], f["status"])}
    assert status == {"still.mp4": "still", "drift.mp4": "analysed", "navy.mp4": "insufficient_subjects"}
    still = f[f["status"] == "still"].iloc[0]
    # people counts faces too small for landmarks as well: BlazeFace (the tiny model's detector) also
    # reports a few low-score 17-31 px boxes on this picture, so at least the two real ones
    assert pd.isna(still["score"]) and still["pair_frames"] == 5 and still["people"] >= 2
