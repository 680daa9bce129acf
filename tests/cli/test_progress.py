"""Scan progress: live bars on a terminal, today's plain lines in a pipe, JSON lines for machines."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys

from forensic.engine.progress import Progress


def _drive(p: Progress) -> None:
    p.stage("hash", 3)
    for n in range(3):
        p(f"[{n + 1}/3] hashing /evidence/file{n}.mp4")
        p.advance("hash")
    p.end_stage("hash")
    p("segmenting 2 file(s) in 2 chunk(s)")
    p.stage("chunks", 2)
    for _ in range(2):
        p.advance("chunks", footage_s=300.0)
    p.end_stage("chunks")
    p.start_segments(4)
    for _ in range(4):
        p.segment_done(5.0, "analysed")


def test_pipe_gets_plain_lines():
    out = io.StringIO()  # not a terminal
    p = Progress("human", stream=out, every_s=0.0)
    assert not p.live
    _drive(p)
    lines = out.getvalue().splitlines()
    assert lines[:3] == [f"[{n}/3] hashing /evidence/file{n - 1}.mp4" for n in (1, 2, 3)]
    assert "segmenting 2 file(s) in 2 chunk(s)" in lines and "analysing 4 segment(s)" in lines
    assert lines[-1].startswith("segments 4/4  footage ") and "ETA 00:00:00" in lines[-1]
    assert "\x1b[" not in out.getvalue()  # no terminal control codes


def test_json_lines_stay_machine_readable():
    out = io.StringIO()
    p = Progress("json", stream=out, every_s=0.0)
    _drive(p)
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    names = [e["event"] for e in events]
    assert names[0] == "stage_start" and events[0]["stage"] == "hash" and events[0]["total"] == 3
    assert {"stage_end", "stage_progress", "segments_start", "progress", "step"} <= set(names)
    chunks = [e for e in events if e["event"] == "stage_end" and e["stage"] == "chunks"][0]
    assert chunks["done"] == 2 and chunks["footage_s_per_wall_s"] > 0
    last = [e for e in events if e["event"] == "progress"][-1]
    assert last["done"] == last["total"] == 4 and all("time_utc" in e for e in events)


def test_quiet_prints_nothing():
    out = io.StringIO()
    _drive(Progress("quiet", stream=out))
    assert out.getvalue() == ""


def test_live_bars_per_stage_with_rate_and_eta():
    out = io.StringIO()
    p = Progress("human", stream=out, live=True)
    _drive(p)
    p.close()
    text = out.getvalue()
    for words in ("files hashed", "chunks cut", "segments analysed", "3/3", "2/2", "4/4", "footage s/s", "ETA"):
        assert words in text, words


def test_a_terminal_gets_bars_by_itself():
    """A real pseudo-terminal: Progress picks the bars on its own; into a pipe it does not."""
    code = (
        "from forensic.engine.progress import Progress; import sys; p = Progress('human'); "
        "print('LIVE' if p.live else 'PLAIN', file=sys.stderr); p.stage('hash', 2); p.advance('hash'); "
        "p.advance('hash'); p.end_stage('hash'); p.close()"
    )
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "TERM": "xterm"},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(leader)
    text = b"".join(chunks).decode("utf-8", "replace")
    assert "LIVE" in text and "files hashed" in text and "2/2" in text
    piped = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "PLAIN" in piped.stderr and "files hashed" not in piped.stderr


def test_a_stage_that_grows_as_files_are_cut():
    """The gate's total is known file by file: the first file's tasks start its bar (also when a
    stage of no tasks came first), later files raise the total."""
    out = io.StringIO()
    p = Progress("human", stream=out, live=True)
    p.grow("gate", 0)
    p.grow("gate", 2)
    p.advance("gate", footage_s=120.0)
    p.grow("gate", 3)
    for _ in range(4):
        p.advance("gate", footage_s=60.0)
    p.end_stage("gate")
    p.close()
    last = out.getvalue().split("\r\x1b[2K")[-1]  # the bars as left on screen
    assert "5/5" in last and last.count("gate") == 1  # one bar, grown: not a second one per file
