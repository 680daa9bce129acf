"""Provenance of a scan session (as plaso records it): tool, versions, command line, host, times."""

from __future__ import annotations

import functools
import importlib.metadata
import os
import platform
import shlex
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import forensic


def utc_now() -> str:
    """Current wall-clock time, ISO 8601 in UTC with Z."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@functools.lru_cache(maxsize=1)
def tool_source() -> dict[str, Any]:
    """Version of forensic and, when it runs from a git checkout, its commit and whether it is dirty."""
    here = Path(forensic.__file__).resolve().parent.parent
    out: dict[str, Any] = {"name": "forensic", "version": forensic.__version__, "commit": None, "dirty": None}

    def git(*args: str) -> str | None:
        try:
            proc = subprocess.run(["git", "-C", str(here), *args], capture_output=True, timeout=10, text=True)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return proc.stdout.strip() if proc.returncode == 0 else None

    if (here / ".git").exists():
        out["commit"] = git("rev-parse", "HEAD")
        status = git("status", "--porcelain", "--untracked-files=no")
        out["dirty"] = None if status is None else bool(status)
    return out


@functools.lru_cache(maxsize=1)
def dependency_versions() -> dict[str, str]:
    """Every installed Python distribution and its version."""
    versions = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            versions[name.lower()] = dist.version
    return dict(sorted(versions.items()))


@functools.lru_cache(maxsize=1)
def external_tools() -> dict[str, str | None]:
    """First line of ``-version`` of the external programs the scan runs."""
    out: dict[str, str | None] = {}
    for tool in ("ffmpeg", "ffprobe"):
        try:
            proc = subprocess.run([tool, "-version"], capture_output=True, timeout=10, text=True)
            out[tool] = proc.stdout.splitlines()[0] if proc.returncode == 0 and proc.stdout else None
        except (OSError, subprocess.TimeoutExpired):
            out[tool] = None
    return out


def host_info() -> dict[str, Any]:
    mem = None
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        pass
    return {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "cpus": os.cpu_count(),
        "memory_bytes": mem,
        "user": _user(),
        "cwd": os.getcwd(),
    }


def _user() -> str | None:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        return os.environ.get("USER")


def session_record(argv: list[str]) -> dict[str, Any]:
    return {
        "tool": tool_source(),
        "command_line": list(argv),
        "command_line_text": shlex.join(argv),
        "host": host_info(),
        "dependencies": dependency_versions(),
        "external_tools": external_tools(),
    }
