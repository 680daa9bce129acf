"""The in-process scan: bad inputs never stop it, evidence is never touched, the case folder
records everything."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from forensic.config import ScanConfig
from forensic.engine.scan import EXIT_OK, EXIT_SOME_FAILED, ScanRequest, run_scan
from forensic.model.feature_settings import MEDIAPIPE_SEGMENTER
from forensic.store.case import CaseFolderError
from forensic.synth.lavfi import Shot, cut_frames, make_clip
from tests.conftest import snapshot

SHOTS = [Shot("testsrc2", 90), Shot("color=c=red", 40), Shot("smptebars", 120)]


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def evidence(tmp_path_factory) -> Path:
    """A folder of good footage and every kind of bad input the foundation issue lists."""
    root = tmp_path_factory.mktemp("evidence")
    good = root / "good.mp4"
    make_clip(str(good), SHOTS, fps=25, size=(320, 240))
    (root / "sub").mkdir()
    shutil.copyfile(good, root / "sub" / "same_as_good.mov")  # identical bytes, other name
    make_clip(str(root / "sub" / "other.mkv"), SHOTS[:2], fps=30, size=(320, 240))
    (root / "empty.mp4").write_bytes(b"")  # zero bytes, claims video by extension
    (root / "notes.txt").write_text("case notes, not video\n")
    (root / "fake.avi").write_text("this is text with a video extension\n")
    data = good.read_bytes()
    (root / "truncated.mp4").write_bytes(data[: len(data) // 3])  # moov at the end: unreadable
    # decodes part way: the first half of a Matroska file
    mkv = (root / "sub" / "other.mkv").read_bytes()
    (root / "cut_short.mkv").write_bytes(mkv[: len(mkv) // 2])
    os.symlink(root / "does-not-exist.mp4", root / "dangling.mp4")  # unreadable
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=duration=1", str(root / "audio.wav")], check=True
    )
    return root


def request(paths, case_dir, model, **kw) -> ScanRequest:
    return ScanRequest(
        paths=[str(p) for p in paths], case_dir=str(case_dir), model_dir=str(model), engine="local", report=False, **kw
    )


@pytest.fixture(scope="module")
def scanned(evidence, tmp_path_factory, tiny_model_dir):
    before = snapshot(evidence)
    case_dir = tmp_path_factory.mktemp("cases") / "case"
    outcome = run_scan(
        request(
            [evidence],
            case_dir,
            tiny_model_dir,
            case_id="C-1",
            examiner="E. X.",
            argv=["forensic", "scan", str(evidence)],
        )
    )
    return outcome, before, case_dir


def test_statuses_of_every_input(scanned, evidence):
    outcome, _, case_dir = scanned
    rows = {os.path.relpath(r["path"], evidence): r for r in _rows(case_dir / "evidence.csv")}
    expected = {
        "good.mp4": "analysed",
        "sub/same_as_good.mov": "analysed",
        "sub/other.mkv": "analysed",
        "empty.mp4": "failed",
        "notes.txt": "skipped",
        "fake.avi": "failed",
        "truncated.mp4": "failed",
        "cut_short.mkv": "partial",
        "dangling.mp4": "failed",
        "audio.wav": "skipped",
    }
    assert {k: v["status"] for k, v in rows.items()} == expected
    for name, row in rows.items():
        if row["status"] != "analysed":
            assert row["reason"], f"{name} has no reason"
    assert "empty" in rows["empty.mp4"]["reason"]
    assert "dangling" in rows["dangling.mp4"]["reason"]
    assert "no video stream" in rows["audio.wav"]["reason"]
    assert outcome.exit_code == EXIT_SOME_FAILED


def test_evidence_untouched_and_nothing_written_beside_it(scanned, evidence):
    _, before, _ = scanned
    assert snapshot(evidence) == before


def test_every_file_rehashed_and_verified(scanned, evidence):
    _, _, case_dir = scanned
    for row in _rows(case_dir / "evidence.csv"):
        if row["sha256"]:
            assert row["sha256_after"] == row["sha256"], row["path"]
            assert row["hash_verified"] == "True"


def test_duplicates_analysed_once_and_all_paths_listed(scanned, evidence):
    _, _, case_dir = scanned
    rows = {os.path.relpath(r["path"], evidence): r for r in _rows(case_dir / "evidence.csv")}
    dup = rows["sub/same_as_good.mov"]
    assert dup["duplicate_of"] == str(evidence / "good.mp4")
    assert dup["sha256"] == rows["good.mp4"]["sha256"]
    segs = _rows(case_dir / "segments.csv")
    assert {s["path"] for s in segs if s["sha256"] == dup["sha256"]} == {str(evidence / "good.mp4")}


def test_segments_follow_the_cuts(scanned, evidence):
    _, _, case_dir = scanned
    segs = [s for s in _rows(case_dir / "segments.csv") if s["path"] == str(evidence / "good.mp4")]
    starts = [int(s["start_frame"]) for s in segs]
    assert starts[0] == 0
    for cut in cut_frames(SHOTS):
        assert cut in starts
    assert int(segs[-1]["end_frame"]) == sum(s.frames for s in SHOTS)
    assert all(
        json.loads(s["flags"]) == ["short_shot"] for s in segs if int(s["end_frame"]) - int(s["start_frame"]) < 75
    )


def test_manifest_records_the_session(scanned, evidence):
    outcome, _, case_dir = scanned
    m = json.loads((case_dir / "manifest.json").read_text())
    assert m["case_id"] == "C-1" and m["examiner"] == "E. X."
    assert m["status"] == "complete" and m["exit_code"] == EXIT_SOME_FAILED
    assert m["started_utc"].endswith("Z") and m["ended_utc"].endswith("Z") and m["ended_utc"] >= m["started_utc"]
    assert m["tool"]["version"] and m["dependencies"]["scenedetect"] == "0.7.2"
    assert m["external_tools"]["ffprobe"].startswith("ffprobe version")
    assert m["config_sha256"] == ScanConfig().hash()
    assert m["command_line"] == ["forensic", "scan", str(evidence)]
    assert m["summary"]["by_status"] == {"analysed": 3, "failed": 4, "partial": 1, "skipped": 2}
    assert m["summary"]["segments"] == len(_rows(case_dir / "segments.csv"))
    assert set(m["clocks"]) >= {"frame", "s", "pts", "pts_s", "tc", "utc"}
    from forensic.store.case import sha256_path

    for rel, digest in m["outputs_sha256"].items():
        assert sha256_path(str(case_dir / rel)) == digest


def test_every_problem_is_in_problems_jsonl(scanned, evidence):
    _, _, case_dir = scanned
    problems = [json.loads(line) for line in (case_dir / "problems.jsonl").read_text().splitlines()]
    errors = {p["path"] for p in problems if p["severity"] == "error"}
    for name in ("empty.mp4", "fake.avi", "truncated.mp4", "cut_short.mkv", "dangling.mp4"):
        assert str(evidence / name) in errors


def test_a_scan_of_other_inputs_into_the_same_case_is_refused(scanned, evidence, tiny_model_dir, tmp_path):
    _, _, case_dir = scanned
    before = snapshot(case_dir)
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(CaseFolderError, match="another scan"):
        run_scan(request([other], case_dir, tiny_model_dir))
    with pytest.raises(CaseFolderError, match="another scan"):
        run_scan(request([evidence], case_dir, tiny_model_dir, config=ScanConfig(rehash_at_end=False)))
    assert snapshot(case_dir) == before


def test_case_folder_inside_the_evidence_is_refused(evidence, tiny_model_dir):
    before = snapshot(evidence)
    with pytest.raises(CaseFolderError):
        run_scan(request([evidence], evidence / "case", tiny_model_dir))
    assert snapshot(evidence) == before


def test_clean_footage_exits_zero(tmp_path, tiny_model_dir):
    src = tmp_path / "ev"
    src.mkdir()
    make_clip(str(src / "a.mp4"), SHOTS[:2], fps=25, size=(160, 120))
    outcome = run_scan(request([src], tmp_path / "case", tiny_model_dir))
    assert outcome.exit_code == EXIT_OK
    assert [str(i.status) for i in outcome.items] == ["analysed"]


def test_evidence_changed_during_the_scan_is_recorded_loudly(tmp_path, monkeypatch, capsys, tiny_model_dir):
    src = tmp_path / "ev"
    src.mkdir()
    clip = src / "a.mp4"
    make_clip(str(clip), SHOTS[:2], fps=25, size=(160, 120))
    from forensic.engine import stages

    real = stages.finish_file

    def tamper(item, *args, **kwargs):  # someone writes to the evidence mid-scan
        result = real(item, *args, **kwargs)
        with open(clip, "ab") as f:
            f.write(b"\0")
        return result

    monkeypatch.setattr(stages, "finish_file", tamper)
    outcome = run_scan(request([src], tmp_path / "case", tiny_model_dir))
    assert outcome.exit_code == EXIT_SOME_FAILED
    assert [i.path for i in outcome.changed] == [str(clip)]
    assert "CHANGED" in capsys.readouterr().err
    problems = (tmp_path / "case" / "problems.jsonl").read_text()
    assert '"severity": "critical"' in problems
    m = json.loads((tmp_path / "case" / "manifest.json").read_text())
    assert m["summary"]["evidence_changed"] == [str(clip)]


# -- findings -----------------------------------------------------------------------------------


def test_one_finding_per_segment_with_its_status(scanned, evidence):
    outcome, _, case_dir = scanned
    import pandas as pd

    segs = _rows(case_dir / "segments.csv")
    findings = pd.read_parquet(case_dir / "findings.parquet")
    assert sorted(findings["key"]) == sorted(f"{s['sha256']}:{s['start_frame']}-{s['end_frame']}" for s in segs)
    assert findings["key"].is_unique
    csv_rows = _rows(case_dir / "findings.csv")
    assert [r["key"] for r in csv_rows] == list(findings["key"])
    for _, f in findings.iterrows():
        flags = json.loads(f["flags"])
        if "short_shot" in flags:
            assert f["status"] == "short_shot" and pd.isna(f["score"])
        else:  # test patterns, no faces: never classified, finished by the presence gate (no features)
            assert f["status"] == "insufficient_subjects", f["key"]
            assert "presence_gate" in flags and pd.isna(f["features_dir"]) and json.loads(f["keyframes"]) == []
            # no two faces anywhere (a lone low-score BlazeFace box on a test pattern may count as people)
            assert f["pair_frames"] == 0 and f["people"] <= 1
        assert f["model_sha256"] == outcome.manifest["model"]["sha256"]
        assert f["segmenter"] == outcome.manifest["model"]["segmenter"] == MEDIAPIPE_SEGMENTER  # the model's own
        assert f["config_sha256"] == outcome.manifest["config_sha256"]


@pytest.fixture(scope="module")
def two_people(tmp_path_factory) -> Path:
    from forensic.synth.lavfi import two_people_image

    root = tmp_path_factory.mktemp("two_people")
    ev = root / "evidence"
    ev.mkdir()
    png = two_people_image(str(root))
    # one person approaching the other, not still: a still picture (or a pan over one) is not behaviour and
    # is not classified (forensic.features.motion)
    make_clip(str(ev / "pair.mp4"), [Shot("approach:" + png, 150), Shot("testsrc2", 100)], fps=25, size=(640, 360))
    return ev


def test_two_people_are_scored_and_labelled(two_people, tmp_path, tiny_model_dir):
    import pandas as pd

    outcome = run_scan(request([two_people], tmp_path / "case", tiny_model_dir))
    assert outcome.exit_code == EXIT_OK
    f = pd.read_parquet(tmp_path / "case" / "findings.parquet")
    scored = f[f["status"] == "analysed"]
    assert len(scored) == 1 and int(scored.iloc[0]["start_frame"]) == 0
    row = scored.iloc[0]
    assert 0.0 <= row["score"] <= 1.0 and row["threshold"] == outcome.manifest["model"]["threshold"]
    assert row["label"] == ("stalking" if row["score"] >= row["threshold"] else "non_stalking")
    # two faces large enough for landmarks in every sample frame; people also counts smaller boxes
    # (BlazeFace reports a few low-score ones on this picture)
    assert row["people"] >= 2 and row["pair_frames"] == 5
    folder = tmp_path / "case" / row["features_dir"]
    assert (folder / "frames128.npy").is_file()
    meta = json.loads((folder / "features.json").read_text())
    assert meta["model"]["sha256"] == row["model_sha256"] and abs(meta["score"] - row["score"]) < 1e-9
    assert set(f["status"]) == {"analysed", "insufficient_subjects"}
    # a lower threshold flags it: the label follows the configured threshold
    again = run_scan(request([two_people], tmp_path / "case2", tiny_model_dir, threshold=0.0))
    g = pd.read_parquet(tmp_path / "case2" / "findings.parquet")
    assert list(g[g["status"] == "analysed"]["label"]) == ["stalking"]
    assert again.manifest["model"]["threshold"] == 0.0


def test_a_segment_that_keeps_failing_is_recorded_and_the_scan_goes_on(
    two_people, tmp_path, tiny_model_dir, monkeypatch
):
    import pandas as pd

    # the local engine works in a child process of its own (so that a blocked call can be
    # cancelled): the failure is injected there through the environment
    monkeypatch.setenv("FORENSIC_FAULT_FAIL_SEGMENT", "0")
    outcome = run_scan(request([two_people], tmp_path / "case", tiny_model_dir))
    assert outcome.exit_code == EXIT_SOME_FAILED
    f = pd.read_parquet(tmp_path / "case" / "findings.parquet")
    bad = f[f["segment_index"] == 0].iloc[0]
    assert bad["status"] == "failed" and "simulated worker failure" in bad["error"] and bad["attempts"] == 3
    assert (f["status"] != "failed").sum() == len(f) - 1
    problems = (tmp_path / "case" / "problems.jsonl").read_text()
    assert problems.count("simulated worker failure") >= 3


def test_short_shots_are_finished_without_the_segment_workers(tmp_path, tiny_model_dir, monkeypatch):
    """A shot under 3 s is never classified: its finding is made by the scan itself, stamped as a
    worker would stamp it, so footage of short shots alone never starts a worker or loads a model
    there. The injected worker failure for segment 0 would fail it if it went to a worker."""
    import pandas as pd

    clip = tmp_path / "evidence" / "short.mp4"
    clip.parent.mkdir()
    make_clip(str(clip), [Shot("testsrc2", 50)], fps=25, size=(320, 240))  # one 2 s shot
    monkeypatch.setenv("FORENSIC_FAULT_FAIL_SEGMENT", "0")
    outcome = run_scan(request([clip], tmp_path / "case", tiny_model_dir))
    assert outcome.exit_code == EXIT_OK
    f = pd.read_parquet(tmp_path / "case" / "findings.parquet")
    assert list(f["status"]) == ["short_shot"] and list(f["attempts"]) == [1]
    m = outcome.manifest
    row = f.iloc[0]
    assert (row["model_sha256"], row["model_name"]) == (m["model"]["sha256"], m["model"]["name"])
    assert (row["segmenter"], row["face_detector"]) == (m["segmenter"], m["face_detector"])
    assert row["threshold"] == m["model"]["threshold"] and row["config_sha256"] == m["config_sha256"]
