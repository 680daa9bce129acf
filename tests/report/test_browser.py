"""The HTML report in a real browser: headless Chromium (Debian's package) renders report.html,
takes a screenshot, and must log no console message (a Content-Security-Policy violation, a script
error) and no blocked or failed resource. A copy with an outside picture and an inline script must
be caught, so the check can fail."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import cv2
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian package `chromium`)")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1200,2400",
)
TROUBLE = re.compile(r":CONSOLE|net::ERR_|Refused to|Content Security Policy|blocked", re.I)


def render(html: Path, png: Path, profile: Path) -> list[str]:
    """Screenshot ``html`` into ``png``; returns the browser's log lines about the page's trouble."""
    profile.mkdir(parents=True, exist_ok=True)  # a new, empty profile each time
    r = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}", html.as_uri()],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return [line for line in r.stderr.splitlines() if TROUBLE.search(line)]


def test_report_renders_in_chromium_without_console_errors_or_blocked_resources(reported, tmp_path):
    html = reported.case / "report" / "report.html"
    png = tmp_path / "report.png"
    trouble = render(html, png, tmp_path / "profile")
    assert trouble == []
    img = cv2.imread(str(png))
    assert img is not None and img.shape[:2] == (2400, 1200)
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    assert (gray < 128).mean() > 0.01 and gray.std() > 20  # text and pictures, not a blank page
    sat = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)[:, :, 1]
    assert (sat > 80).mean() > 0.005  # the coloured charts and frames were drawn


def test_a_violation_is_caught(reported, tmp_path):
    html = (reported.case / "report" / "report.html").read_text(encoding="utf-8")
    bad = tmp_path / "bad.html"
    intruders = '<img src="https://example.invalid/x.png"><script>console.error("should not run")</script>'
    bad.write_text(html.replace("<body>", "<body>" + intruders, 1), encoding="utf-8")
    trouble = "\n".join(render(bad, tmp_path / "bad.png", tmp_path / "profile"))
    assert "Content Security Policy" in trouble and "example.invalid" in trouble
    assert "should not run" not in trouble  # the script was blocked, not run
