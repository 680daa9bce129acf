"""forensic.provenance: times, versions, tools and the command line of a session."""

from __future__ import annotations

import importlib.metadata
import re
import shlex
import sys
from datetime import UTC, datetime, timedelta

import pytest

import forensic
from forensic import provenance
from forensic.provenance import dependency_versions, external_tools, session_record, utc_now


def test_utc_now_format_and_value():
    before = datetime.now(UTC)
    text = utc_now()
    after = datetime.now(UTC)
    assert text.endswith("Z")
    assert "+" not in text
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", text)
    parsed = datetime.fromisoformat(text[:-1] + "+00:00")
    assert parsed.utcoffset() == timedelta(0)
    assert before - timedelta(milliseconds=1) <= parsed <= after + timedelta(milliseconds=1)


def test_dependency_versions():
    deps = dependency_versions()
    for name in ("numpy", "scenedetect"):
        assert name in deps
        assert deps[name] == importlib.metadata.version(name)
    assert all(k == k.lower() for k in deps)
    assert list(deps) == sorted(deps)


def test_external_tools_ffprobe():
    tools = external_tools()
    assert tools["ffprobe"] is not None
    assert tools["ffprobe"].startswith("ffprobe version")
    assert tools["ffmpeg"].startswith("ffmpeg version")
    assert "\n" not in tools["ffprobe"]


def test_external_tools_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no ffmpeg here
    external_tools.cache_clear()
    try:
        assert external_tools() == {"ffmpeg": None, "ffprobe": None}
    finally:
        external_tools.cache_clear()


ARGV = [
    "forensic",
    "scan",
    "/evidence/My Clips/camera 1",
    "--case",
    '/cases/it\'s "quoted"',
    "--note=tab\there",
    "",
    "$HOME;rm -rf /",
]


def test_session_record_command_line():
    argv = list(ARGV)
    rec = session_record(argv)
    assert rec["command_line"] == ARGV
    assert shlex.split(rec["command_line_text"]) == ARGV
    argv.append("--later")  # the record keeps its own copy
    assert rec["command_line"] == ARGV


def test_session_record_contents():
    rec = session_record(["forensic", "scan", "x"])
    assert set(rec) >= {"tool", "command_line", "command_line_text", "host", "dependencies", "external_tools"}
    assert rec["tool"]["name"] == "forensic"
    assert rec["tool"]["version"] == forensic.__version__
    assert rec["host"]["python"] == sys.version.split()[0]
    assert rec["host"]["python_executable"] == sys.executable
    assert rec["dependencies"]["numpy"] == importlib.metadata.version("numpy")
    assert rec["external_tools"]["ffprobe"].startswith("ffprobe version")
    assert rec["command_line_text"] == "forensic scan x"


def test_host_info_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    info = provenance.host_info()
    assert info["cwd"] == str(tmp_path)
    assert info["cpus"] is None or info["cpus"] >= 1


@pytest.mark.parametrize("argv", [[], ["forensic"], ["a b", "c'd", 'e"f', "g\\h"]])
def test_command_line_roundtrip_various(argv):
    assert shlex.split(session_record(argv)["command_line_text"]) == argv
