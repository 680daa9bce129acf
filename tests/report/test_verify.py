"""`forensic verify`: everything matches, then one byte of a report file or of an evidence file
changes. Evidence is always a private copy made here (never anything under ../shared)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from forensic._cli import main
from forensic.report import build_report
from forensic.report.verify import verify, verify_case
from forensic.synth.lavfi import Shot, make_clip
from tests.report.conftest import scan_case


def _flip(path: Path, offset: int = -100) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.fixture()
def small_case(tmp_path) -> tuple[Path, Path]:
    """An old-style case folder (no findings, no model keys) of one private clip, with its report."""
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    clip = evidence / "clip one.mp4"
    make_clip(str(clip), [Shot("testsrc2", 50)], fps=25, size=(160, 120))
    case = tmp_path / "case"
    scan_case([str(evidence)], case, "SMALL", "tester")
    build_report(str(case), pdf=False, argv=["test"])
    return case, clip


def test_verify_passes_on_the_fixture_report(reported, capsys):
    assert verify(str(reported.case)) == []
    assert main(["verify", "-q", str(reported.case)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: 9 evidence file(s)")


def test_verify_fails_when_one_byte_of_the_report_changes(reported, tmp_path, capsys):
    case = tmp_path / "case"
    shutil.copytree(reported.case, case)
    assert verify(str(case)) == []
    _flip(case / "report" / "report.pdf")
    bad = verify(str(case))
    assert [(m.kind, m.what, m.path) for m in bad] == [("changed", "report file", "report/report.pdf")]
    assert main(["verify", "-q", str(case)]) == 3
    out = capsys.readouterr().out
    assert "MISMATCH" in out and "report/report.pdf" in out
    _flip(case / "report" / "report.pdf")
    _flip(case / "report" / "report.html", 500)
    assert [(m.kind, m.path) for m in verify(str(case))] == [("changed", "report/report.html")]


def test_verify_fails_when_one_byte_of_evidence_changes(small_case, capsys):
    case, clip = small_case
    assert verify(str(case)) == []
    assert main(["verify", "-q", str(case)]) == 0
    _flip(clip)
    try:
        bad = verify(str(case))
        assert [(m.kind, m.what, m.path) for m in bad] == [("changed", "evidence", str(clip))]
        assert main(["verify", "-q", str(case)]) == 3
        assert str(clip) in capsys.readouterr().out
    finally:
        _flip(clip)
    assert verify(str(case)) == []
    clip.rename(clip.with_name("moved.mp4"))
    assert [(m.kind, m.path) for m in verify(str(case))] == [("missing", str(clip))]


def test_verify_checks_the_recorded_md5_and_sha1_too(small_case):
    """evidence.csv's MD5 and SHA-1 are what a lab's hash list quotes: verify re-checks them from
    the same read as the SHA-256 (here evidence.csv is edited, so it is also a changed case file)."""
    import csv

    case, clip = small_case
    rows = list(csv.DictReader(open(case / "evidence.csv", newline="", encoding="utf-8")))
    assert rows[0]["md5"] and rows[0]["sha1"]
    for column, name in (("md5", "MD5"), ("sha1", "SHA-1")):
        edited = [dict(r) for r in rows]
        edited[0][column] = "0" * len(rows[0][column])
        with open(case / "evidence.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(edited)
        bad = {(m.kind, m.what, m.path, m.detail) for m in verify(str(case))}
        assert ("changed", "evidence", str(clip), f"{name} differs") in bad
        assert ("changed", "case file", "evidence.csv", "") in bad


def test_verify_finds_changed_missing_and_unrecorded_case_files(reported, tmp_path):
    case = tmp_path / "case"
    shutil.copytree(reported.case, case)
    (case / "segments.csv").write_text("tampered\n")
    (case / "report" / "extra.txt").write_text("added later\n")
    (case / "problems.jsonl").unlink()
    got = {(m.kind, m.path) for m in verify(str(case))}
    assert got == {("changed", "segments.csv"), ("unrecorded", "report/extra.txt"), ("missing", "problems.jsonl")}


def test_verify_sidecar_and_manifest_must_agree(reported, tmp_path):
    case = tmp_path / "case"
    shutil.copytree(reported.case, case)
    side = case / "report" / "report.sha256"
    lines = side.read_text().splitlines()
    lines = [("0" * 64 + line[64:]) if line.endswith("all_segments.csv") else line for line in lines]
    side.write_text("\n".join(lines) + "\n")
    got = [(m.kind, m.path) for m in verify(str(case))]
    assert got == [("disagree", "report/all_segments.csv")]


def test_verify_usage_errors(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "nope")]) == 2
    assert main(["verify", str(tmp_path)]) == 2
    assert "not a case folder" in capsys.readouterr().err


def test_a_damaged_or_deleted_manifest_fails_verification(reported, tmp_path, capsys):
    """A case folder whose manifest.json is damaged or gone has failed verification (exit 3, said
    why), which is not the same as pointing verify at a folder that is no case folder (exit 2)."""
    case = tmp_path / "case"
    shutil.copytree(reported.case, case)
    manifest = case / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:-40])  # cut short: no longer JSON
    got = verify_case(str(case))
    assert [(m.kind, m.path) for m in got.mismatches] == [("unreadable", "manifest.json")]
    assert main(["verify", "-q", str(case)]) == 3
    assert "UNREADABLE: case file 'manifest.json'" in capsys.readouterr().out
    manifest.unlink()
    assert [(m.kind, m.path) for m in verify(str(case))] == [("missing", "manifest.json")]
    assert main(["verify", "-q", str(case)]) == 3
    assert "MISSING: case file 'manifest.json'" in capsys.readouterr().out


def test_report_of_an_old_case_folder(small_case):
    """No findings, no model, cluster or clock keys: the report says so instead of failing."""
    case, _clip = small_case
    html = (case / "report" / "report.html").read_text(encoding="utf-8")
    assert "No findings: the model stage has not been run" in html
    assert "not recorded" in html
    assert 'Model <span class="nr">not recorded</span>' in html
    assert not (case / "report" / "subtitles").exists()
    manifest = json.loads((case / "manifest.json").read_text())
    assert manifest["reports"]["flagged"] == 0
    res = verify_case(str(case))
    assert res.ok and res.evidence_checked == 1
