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
from forensic.engine.local import EXIT_OK, EXIT_SOME_FAILED, ScanRequest, run_scan
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
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=duration=1", str(root / "audio.wav")], check=True)
    return root


@pytest.fixture(scope="module")
def scanned(evidence, tmp_path_factory):
    before = snapshot(evidence)
    case_dir = tmp_path_factory.mktemp("cases") / "case"
    outcome = run_scan(ScanRequest(paths=[str(evidence)], case_dir=str(case_dir), case_id="C-1", examiner="E. X.",
                                   argv=["forensic", "scan", str(evidence)]))  # fmt: skip
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
    assert all(json.loads(s["flags"]) == ["short_shot"] for s in segs if int(s["end_frame"]) - int(s["start_frame"]) < 75)


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


def test_second_scan_into_the_same_case_is_refused(scanned, evidence):
    _, _, case_dir = scanned
    before = snapshot(case_dir)
    with pytest.raises(CaseFolderError):
        run_scan(ScanRequest(paths=[str(evidence)], case_dir=str(case_dir)))
    assert snapshot(case_dir) == before


def test_case_folder_inside_the_evidence_is_refused(evidence):
    before = snapshot(evidence)
    with pytest.raises(CaseFolderError):
        run_scan(ScanRequest(paths=[str(evidence)], case_dir=str(evidence / "case")))
    assert snapshot(evidence) == before


def test_clean_footage_exits_zero(tmp_path):
    src = tmp_path / "ev"
    src.mkdir()
    make_clip(str(src / "a.mp4"), SHOTS[:2], fps=25, size=(160, 120))
    outcome = run_scan(ScanRequest(paths=[str(src)], case_dir=str(tmp_path / "case")))
    assert outcome.exit_code == EXIT_OK
    assert [str(i.status) for i in outcome.items] == ["analysed"]


def test_evidence_changed_during_the_scan_is_recorded_loudly(tmp_path, monkeypatch, capsys):
    src = tmp_path / "ev"
    src.mkdir()
    clip = src / "a.mp4"
    make_clip(str(clip), SHOTS[:2], fps=25, size=(160, 120))
    import forensic.engine.local as local

    real = local.segment_file

    def tamper(item, *args, **kwargs):  # someone writes to the evidence mid-scan
        result = real(item, *args, **kwargs)
        with open(clip, "ab") as f:
            f.write(b"\0")
        return result

    monkeypatch.setattr(local, "segment_file", tamper)
    outcome = run_scan(ScanRequest(paths=[str(src)], case_dir=str(tmp_path / "case")))
    assert outcome.exit_code == EXIT_SOME_FAILED
    assert [i.path for i in outcome.changed] == [str(clip)]
    assert "CHANGED" in capsys.readouterr().err
    problems = (tmp_path / "case" / "problems.jsonl").read_text()
    assert '"severity": "critical"' in problems
    m = json.loads((tmp_path / "case" / "manifest.json").read_text())
    assert m["summary"]["evidence_changed"] == [str(clip)]
