"""The presence gate (forensic.features.presence, forensic.engine.gate): it decides exactly as the
features stage's own "two faces in enough sample frames?" test, on exactly the images the segment
workers read, so a scan with the gate gives the same findings as one without it for every segment
the full path classifies; a segment with nobody in it is finished without a features folder."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forensic.config import ScanConfig
from forensic.engine import signals
from forensic.engine.scan import ScanRequest, run_scan
from forensic.features import FeatureConfig, extract
from forensic.features.background import PeopleMask
from forensic.features.faces import FaceFinder
from forensic.features.presence import GATE_FLAG, PresenceGate
from forensic.synth.lavfi import Shot, make_clip

CLASSIFIED = ("analysed", "still")
BIG = [(10, 10, 69, 69), (110, 10, 169, 69), (10, 110, 69, 169)]  # 60 px: landmarks
SMALL = (110, 110, 139, 139)  # 30 px: a person present, no landmarks


class PatternFinder(FaceFinder):
    """The real FaceFinder (its find(), landmarks, size split) with detections given per frame:
    frame k's image holds k in its first pixel."""

    def __init__(self, patterns: list[list[tuple[int, int, int, int]]]):
        super().__init__(min_size=12)
        self.patterns = patterns

    def detect(self, image_bgr):
        return [(box, 1.0) for box in self.patterns[int(image_bgr[0, 0, 0])]]


class WholeFrame:
    """A segmenter that keeps the whole frame (the gate never reaches it; extract does)."""

    name = "whole-frame"
    uses_small_faces = False

    def people_given_faces(self, image, faces):
        return PeopleMask(np.ones(image.shape[:2], bool), [f.box for f in faces], [1.0] * len(faces), self.name)


def _images(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    out = []
    for k in range(n):
        img = rng.integers(0, 255, (200, 200, 3), dtype=np.uint8)
        img[0, 0, 0] = k
        out.append(img)
    return out


def test_gate_decides_as_the_features_stage_on_every_pattern():
    """All 3^5 ways 5 sample frames can show two faces, one, or one with a small one: the gate passes
    exactly the segments whose people stage runs in extract, and stops early."""
    kinds = {"two": BIG[:2], "one": BIG[:1], "one+small": [BIG[0], SMALL], "three": BIG}
    images = _images(5)
    config = FeatureConfig()
    for combo in itertools.product(["two", "one", "one+small"], repeat=5):
        patterns = [kinds[k] for k in combo]
        finder = PatternFinder(patterns)
        verdict = PresenceGate(config, finder).check(iter(images), 5)
        feats = extract(images, list(range(5)), [0.0] * 5, WholeFrame(), finder, config)
        people_stage_ran = feats.frames128 is not None
        assert verdict.passed == people_stage_ran, combo
        if not verdict.passed:
            assert feats.status == "insufficient_subjects", combo
        pairs = sum(k == "two" for k in combo)
        assert verdict.checked <= 5 and (verdict.checked < 5 or pairs in (2, 3))
        assert verdict.pair_frames == sum(k == "two" for k in combo[: verdict.checked])
    empty = PresenceGate(config, PatternFinder([[]] * 5)).check(iter(images), 5)
    assert not empty.passed and empty.checked == 3 and empty.faces == [0, 0, 0]
    crowd = PresenceGate(config, PatternFinder([BIG] * 5)).check(iter(images), 5)
    assert crowd.passed and crowd.checked == 3 and crowd.people == 3


def test_undecodable_sample_frames_go_to_the_full_path():
    gate = PresenceGate(FeatureConfig(), PatternFinder([[]] * 5))
    verdict = gate.check(iter(_images(2)), 5)  # two of five frames decoded, no decision possible
    assert verdict.passed and verdict.checked == 2


def test_gate_reads_the_images_the_workers_read(tmp_path):
    from forensic.config import SegmentConfig
    from forensic.segments import segment_path
    from forensic.segments.decode import iter_frames_at, read_frames

    clip = tmp_path / "clip.mp4"
    make_clip(str(clip), [Shot("testsrc2", 110), Shot("smptebars", 130)], fps=25, size=(320, 240))
    _item, info, result = segment_path(str(clip), SegmentConfig())
    wanted = {int(p) for s in result.segments for p in s.sample_pts}
    assert len(wanted) >= 10
    got = dict(iter_frames_at(str(clip), set(wanted), info.stream_index, rotation=90))
    assert set(got) == wanted
    for seg in result.segments:
        ref = read_frames(str(clip), list(seg.sample_pts), info.stream_index, rotation=90)
        for p in seg.sample_pts:
            assert np.array_equal(ref[p], got[p])
            assert ref[p].shape == (320, 240, 3)


# -- whole scans, gate on and off ----------------------------------------------------------------


def _scan(paths, case_dir: Path, model: Path, gate: bool, engine: str = "local", **kw):
    outcome = run_scan(
        ScanRequest(
            paths=[str(p) for p in paths],
            case_dir=str(case_dir),
            model_dir=str(model),
            engine=engine,
            report=False,
            coappear=False,
            config=ScanConfig(presence_gate=gate),
            **kw,
        )
    )
    df = pd.read_csv(case_dir / "findings.csv", keep_default_na=False)
    return outcome, df.set_index("key")


def _assert_same_findings(on: pd.DataFrame, off: pd.DataFrame, case_on: Path) -> tuple[int, int]:
    """Same status for every segment, same label and score for every segment the full path classifies;
    gated segments have no features folder. Returns (classified, gated)."""
    assert set(on.index) == set(off.index)
    classified = gated = 0
    for key, row in off.iterrows():
        got = on.loc[key]
        assert got["status"] == row["status"], key
        if row["status"] in CLASSIFIED:
            classified += 1
            assert got["label"] == row["label"], key
            if row["score"] != "":
                assert abs(float(got["score"]) - float(row["score"])) < 1e-6, key
            assert GATE_FLAG not in json.loads(got["flags"])
        if GATE_FLAG in json.loads(got["flags"]):
            gated += 1
            assert got["status"] == "insufficient_subjects" and got["features_dir"] == ""
            feats = case_on / "features" / got["sha256"] / f"{int(got['segment_index']):05d}"
            assert not feats.exists(), feats
            assert row["features_dir"] != ""  # without the gate the full path wrote its features
    return classified, gated


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """A small generated archive: scenes with nobody, one person, two people (real face photos)."""
    from forensic.synth.scenes import make_archive

    root = tmp_path_factory.mktemp("gate_archive")
    make_archive(str(root), 0.6, 11, size=(640, 360), fps=15, file_minutes=(0.3, 0.35))
    nobody = root / "footage" / "zz_nobody.mp4"
    make_clip(str(nobody), [Shot("testsrc2", 120), Shot("color=c=gray", 100)], fps=25, size=(320, 240))
    return root / "footage"


def test_gate_on_and_off_agree_on_a_generated_archive(archive, tmp_path, tiny_model_dir, monkeypatch):
    from forensic.engine.runners import CHUNK, LocalRunner

    order: list[tuple[str, str]] = []  # (job kind, file) in the order the runner ran them
    real = LocalRunner.run_jobs

    def recording(self, feed):
        for job, value, failure in real(self, feed):
            order.append((job.kind, job.payload[0].sha256 if job.kind == CHUNK else job.payload.sha256))
            yield job, value, failure

    monkeypatch.setattr(LocalRunner, "run_jobs", recording)
    out_on, on = _scan([archive], tmp_path / "on", tiny_model_dir, gate=True)
    monkeypatch.undo()
    # each file's gate tasks ran as soon as it was cut, before the next file's chunks
    files = list(dict.fromkeys(sha for _kind, sha in order))
    assert len(files) >= 3
    for sha in files:
        last_chunk = max(i for i, (kind, s) in enumerate(order) if s == sha and kind == CHUNK)
        gates = [i for i, (kind, s) in enumerate(order) if s == sha and kind != CHUNK]
        assert gates == list(range(last_chunk + 1, last_chunk + 1 + len(gates))), order
    assert order[-1][0] != CHUNK and any(kind != CHUNK for kind, _s in order[: len(order) // 2]), order
    out_off, off = _scan([archive], tmp_path / "off", tiny_model_dir, gate=False)
    assert out_on.manifest["config"]["presence_gate"] is True
    assert out_off.manifest["config"]["presence_gate"] is False
    classified, gated = _assert_same_findings(on, off, tmp_path / "on")
    assert classified >= 1, "the archive must hold segments the full path classifies"
    assert gated >= 3, "the segments with nobody in them are finished by the gate"
    nobody = on[on["path"].str.endswith("zz_nobody.mp4")]
    classifiable = nobody[~nobody["flags"].str.contains("short_shot")]
    assert len(classifiable) and classifiable["flags"].str.contains(GATE_FLAG).all()
    verdicts = json.loads(next((tmp_path / "on" / "segments").glob("*.gate.json")).read_text())
    assert all("reason" in v or "error" in v for v in verdicts)


def test_ray_engine_gates_like_the_local_one(archive, tmp_path, tiny_model_dir):
    if shutil.which("ray", path=os.path.dirname(sys.executable)) is None:
        pytest.skip("ray is not installed")
    nobody = archive / "zz_nobody.mp4"
    first = sorted(p for p in archive.iterdir() if p != nobody)[0]
    _, local = _scan([first, nobody], tmp_path / "local", tiny_model_dir, gate=True)
    before = signals.current()
    _, ray = _scan([first, nobody], tmp_path / "ray", tiny_model_dir, gate=True, engine="ray", workers=1)
    assert signals.current() == before  # Ray's start installed a SIGTERM handler: the scan put back ours
    cols = ["status", "label", "score", "flags", "features_dir", "people", "pair_frames"]
    assert local[cols].sort_index().equals(ray[cols].sort_index())
    assert local["flags"].str.contains(GATE_FLAG).any()


@pytest.mark.real_footage
def test_gate_on_and_off_agree_on_the_real_clips(footage_dir, tmp_path, tiny_model_dir):
    people = footage_dir.parent / "people"
    if not people.is_dir():
        pytest.skip(f"{people} is absent")
    inputs = [footage_dir, people]
    _, on = _scan(inputs, tmp_path / "on", tiny_model_dir, gate=True)
    _, off = _scan(inputs, tmp_path / "off", tiny_model_dir, gate=False)
    classified, gated = _assert_same_findings(on, off, tmp_path / "on")
    assert gated >= 10  # the CCTV clip and the empty stretches
