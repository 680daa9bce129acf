"""The console script: help, version, usage errors, `segments --json`, `scan` exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import forensic
from forensic.synth.lavfi import Shot, cut_frames, make_clip

SHOTS = [Shot("testsrc2", 100), Shot("color=c=red", 30), Shot("smptebars", 60)]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "forensic", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "clip.mp4"
    make_clip(str(path), SHOTS, fps=25, size=(320, 240))
    return path


def test_version():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"forensic {forensic.__version__}"


@pytest.mark.parametrize("command", [[], ["scan"], ["segments"], ["synth"], ["synth", "demo"]])
def test_help_says_what_each_command_does(command):
    r = run(*command, "--help")
    assert r.returncode == 0
    assert "usage: forensic" in r.stdout and len(r.stdout.splitlines()) > 4


def test_usage_errors_exit_2(tmp_path, clip, tiny_model_dir):
    assert run().returncode == 2
    assert run("scan", str(clip)).returncode == 2  # --out missing
    r = run("scan", str(tmp_path / "nope"), "--out", str(tmp_path / "case"), "--model", str(tiny_model_dir))
    assert r.returncode == 2 and "no such file" in r.stderr
    r = run("scan", str(clip), "--out", str(tmp_path / "c0"), "--model", str(tmp_path / "no-model"))
    assert r.returncode == 2 and "no model" in r.stderr
    assert not (tmp_path / "case").exists()
    r = run("scan", str(clip), "--out", str(tmp_path / "c2"), "--window", "3", "2", "8", "--model", str(tiny_model_dir))
    assert r.returncode == 2 and "window" in r.stderr
    assert run("scan", str(clip), "--out", str(tmp_path / "c3"), "--detector", "magic").returncode == 2


def test_a_reader_that_left_is_not_a_success(clip):
    """`forensic ... | head -1` where head has gone: exit 141 (what a shell reports for a tool its
    reader left), no traceback; the old handler returned 0 for any broken pipe."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before the first line
    try:
        r = subprocess.run(
            [sys.executable, "-m", "forensic", "segments", str(clip), "--json"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    finally:
        os.close(write_end)
    assert r.returncode == 141, r.stderr[-2000:]
    assert "Traceback" not in r.stderr and "Exception ignored" not in r.stderr


def _segments_command_raises(monkeypatch, exc: OSError) -> None:
    """`forensic segments` raises ``exc`` (built into the parser the way every command is)."""
    import forensic._cli.segments as segments_cli

    def raising(args, argv):
        raise exc

    real_add = segments_cli.add_parser

    def add_parser(sub):
        real_add(sub)
        sub.choices["segments"].set_defaults(func=raising)

    monkeypatch.setattr(segments_cli, "add_parser", add_parser)


def test_a_broken_pipe_inside_a_command_is_an_error_not_a_success(monkeypatch, capsys):
    """A helper process gone (its pipe broken) while stdout is fine: a failure, said in one line."""
    from forensic._cli import main

    _segments_command_raises(monkeypatch, BrokenPipeError(32, "Broken pipe"))
    assert main(["segments", "x.mp4"]) == 4
    err = capsys.readouterr().err
    assert err.startswith("forensic: error: BrokenPipeError") and "Traceback" not in err


def test_the_machine_refusing_is_one_line_and_exit_4(monkeypatch, capsys, tmp_path):
    from forensic._cli import main

    _segments_command_raises(monkeypatch, OSError(28, "No space left on device", str(tmp_path / "out.json")))
    assert main(["segments", "x.mp4"]) == 4
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left on device" in err[0] and "out.json" in err[0]


def test_segments_json(clip):
    r = run("segments", str(clip), "--json")
    assert r.returncode == 0, r.stderr
    segs = json.loads(r.stdout)
    for key in (
        "index",
        "shot",
        "start_frame",
        "end_frame",
        "start_s",
        "end_s",
        "sample_frames",
        "flags",
        "start_pts",
        "start_pts_s",
        "start_tc",
        "sha256",
    ):
        assert key in segs[0]
    assert [s["index"] for s in segs] == list(range(len(segs)))
    assert set(cut_frames(SHOTS)) <= {s["start_frame"] for s in segs}
    assert segs[-1]["end_frame"] == sum(s.frames for s in SHOTS)
    assert all(len(s["sample_frames"]) == 5 for s in segs)


def test_segments_of_a_non_video_fails_with_reason(tmp_path):
    txt = tmp_path / "x.txt"
    txt.write_text("hello")
    r = run("segments", str(txt), "--json")
    assert r.returncode == 3 and "skipped" in r.stderr and json.loads(r.stdout) == []


def test_scan_writes_the_case_folder_and_exit_codes(tmp_path, clip, tiny_model_dir):
    ev = tmp_path / "ev"
    ev.mkdir()
    (ev / "a.mp4").write_bytes(clip.read_bytes())
    model = ("--model", str(tiny_model_dir), "--engine", "local", "--no-report")
    r = run("scan", str(ev), "--out", str(tmp_path / "case"), "--case-id", "K-7", "--examiner", "Ann", "-q", *model)
    assert r.returncode == 0, r.stderr
    for name in ("manifest.json", "evidence.csv", "segments.csv", "problems.jsonl", "findings.parquet", "findings.csv"):
        assert (tmp_path / "case" / name).is_file()
    m = json.loads((tmp_path / "case" / "manifest.json").read_text())
    assert m["command_line"][:2] == ["forensic", "scan"] and "--examiner" in m["command_line"]
    # a scan of something else into the same folder is refused, the first is kept
    other = tmp_path / "other"
    other.mkdir()
    r2 = run("scan", str(other), "--out", str(tmp_path / "case"), *model)
    assert r2.returncode == 2 and "already holds a case of another scan" in r2.stderr
    assert json.loads((tmp_path / "case" / "manifest.json").read_text()) == m
    # one bad file: exit 3 with a one-line summary
    (ev / "broken.mp4").write_bytes(b"not a video")
    r3 = run("scan", str(ev), "--out", str(tmp_path / "case3"), "-q", *model)
    assert r3.returncode == 3
    # (TensorFlow 2.21 prints its own start-up lines whatever TF_CPP_MIN_LOG_LEVEL says; ours is one line)
    lines = [ln for ln in r3.stderr.splitlines() if ln.startswith("forensic:")]
    assert len(lines) == 1 and "1 of 2 footage file(s) failed" in lines[0]


def test_ctrl_c_in_any_command_is_one_line_and_exit_130(monkeypatch, capsys):
    """report, train, synth... did not handle Ctrl-C: a KeyboardInterrupt traceback (scan records it)."""
    from forensic._cli import main

    _segments_command_raises(monkeypatch, KeyboardInterrupt())
    assert main(["segments", "x.mp4"]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["forensic: interrupted (Ctrl-C)"]


@pytest.mark.parametrize(
    "args, words",
    [
        (["segments", "CLIP", "--min-scene-len", "inf"], "must be a finite number"),
        (["segments", "CLIP", "--min-scene-len", "nan"], "must be a finite number"),
        (["segments", "CLIP", "--threshold", "nan"], "must be a finite number"),
        (["segments", "CLIP", "--threshold", "-5"], "threshold must not be negative"),
        (["synth", "archive", "--out", "OUT", "--minutes", "inf", "--seed", "1"], "--minutes must be between"),
        (["synth", "archive", "--out", "OUT", "--minutes", "1e-9", "--seed", "1"], "--minutes must be between"),
        (["synth", "clips", "--out", "OUT", "--per-class", "1", "--seed", "-5"], "a seed is a whole number"),
        (["synth", "clips", "--out", "OUT", "--per-class", "1", "--seed", "1", "--jobs", "0"], "--jobs must be at"),
        (["synth", "archive", "--out", "OUT", "--minutes", "1", "--seed", "1", "--jobs", "0"], "--jobs must be at"),
    ],
)
def test_absurd_numbers_are_usage_errors(tmp_path, clip, args, words):
    """Found by a sweep: inf hung `synth archive` (it planned files forever), inf/nan cuts raised a
    traceback (and in a scan were written into evidence.csv as the file's failure), a negative seed
    failed every clip after starting."""
    args = [str(clip) if a == "CLIP" else str(tmp_path / "out") if a == "OUT" else a for a in args]
    r = run(*args)
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert words in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()


def test_a_scan_whose_sample_count_the_model_cannot_read_is_refused(tmp_path, clip):
    """--samples 1 made every segment "still" (exit 0, nothing flagged, silently); 2 or 7 failed
    every segment after three attempts each. The model reads 5: anything else is a usage error."""
    for n in ("1", "7"):
        r = run("scan", str(clip), "--out", str(tmp_path / f"case{n}"), "--engine", "local", "--samples", n)
        assert r.returncode == 2 and "reads 5 sample frames" in r.stderr, r.stderr[-2000:]
        assert not (tmp_path / f"case{n}").exists()


def test_evaluating_a_data_set_without_a_usable_clip_is_an_error(tmp_path):
    """It printed "accuracy 0.0000 (0 of 0 clips)" and exited 0."""
    data = tmp_path / "data"
    for label in ("stalking", "non_stalking"):
        (data / label).mkdir(parents=True)
    (data / "stalking" / "notes.txt").write_text("not a clip\n")
    r = run("evaluate", str(data), "--cache", str(tmp_path / "cache"))
    assert r.returncode == 2 and "no usable clip" in r.stderr, r.stderr[-2000:]


@pytest.mark.parametrize(
    "args",
    [
        ["synth", "demo", "--out", "FILE"],
        ["synth", "demo", "--out", "FILE/sub"],
        ["synth", "archive", "--out", "FILE/sub", "--minutes", "1", "--seed", "1"],
        ["synth", "clips", "--out", "FILE/sub", "--per-class", "1", "--seed", "1"],
        ["features", "CLIP", "--segment", "0", "--out", "FILE"],
        ["faces", "CLIP", "--out", "FILE/sub"],
        ["evaluate", "DIR", "--ablation", "--epochs", "1", "--out", "FILE"],
        ["scan", "CLIP", "--out", "FILE/sub"],
    ],
)
def test_an_output_folder_that_is_a_file_is_a_usage_error(tmp_path, clip, args):
    """It was a raw FileExistsError or NotADirectoryError with exit 4 (or 3), some after all the work."""
    afile = tmp_path / "afile"
    afile.write_text("a file, not a folder\n")
    (tmp_path / "data" / "stalking").mkdir(parents=True)
    subs = {"FILE": str(afile), "FILE/sub": str(afile / "sub"), "CLIP": str(clip), "DIR": str(tmp_path / "data")}
    r = run(*[subs.get(a, a) for a in args])
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert "is not a folder" in r.stderr and "Traceback" not in r.stderr
    assert afile.read_text() == "a file, not a folder\n"
