"""`forensic report` guards: the case folder's lock, clock statements out of range or given twice,
a manifest that is no case's, and case folder files changed since the scan said on stderr."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from forensic._cli import main
from forensic.records import EvidenceItem
from forensic.report.clocks import ClockSpec, clock_source, parse_clock_offsets
from forensic.report.readers import ReportError, read_manifest
from forensic.report.verify import verify


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def case(fixture_case, tmp_path) -> Path:
    """A private copy of the fixture case (scanned, with findings, no report yet)."""
    dst = tmp_path / "case"
    shutil.copytree(fixture_case.case, dst)
    return dst


def _report(case: Path, *extra: str) -> int:
    return main(["report", str(case), "--no-pdf", "--top", "1", "-q", *extra])


# -- the case folder's lock ------------------------------------------------------------------------


def test_report_removes_what_a_killed_report_left_and_says_so(case):
    """kill -9 while a report is written leaves its work folder (``.tmp-report-*``), which no record
    lists and verify refuses; the next report, holding the lock, removes it and its notes say so."""
    (case / ".tmp-report-abc").mkdir()
    (case / ".tmp-report-abc" / "report.html").write_text("half a report")
    assert _report(case) == 0
    assert not list(case.rglob(".tmp-*"))
    html = (case / "report" / "report.html").read_text(encoding="utf-8")
    assert "removed 1 temporary file(s)" in html and ".tmp-report-abc" in html
    assert verify(str(case)) == []


def test_report_is_refused_while_another_process_writes_the_case_folder(case, capsys):
    from forensic.store.case import CaseFolder

    before = _tree(case)
    m = json.loads((case / "manifest.json").read_text())
    held, _ = CaseFolder.open_for_scan(str(case), [], m.get("identity"))  # a scan running
    try:
        rc = _report(case)
    finally:
        held.close()
    err = capsys.readouterr().err
    assert rc == 2 and "in use by another forensic process" in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert _tree(case) == before, "the refused report wrote nothing"
    assert _report(case) == 0
    assert json.loads((case / "manifest.json").read_text())["reports"]["revision"] == 1
    assert verify(str(case)) == []


def test_report_holds_the_lock_while_it_rewrites_the_manifest(case, monkeypatch, capsys):
    import forensic.report as report
    from forensic.store.case import CaseFolder, CaseFolderBusy

    real = report._record_in_manifest
    seen = []

    def record(*args, **kwargs):
        with pytest.raises(CaseFolderBusy):
            CaseFolder(str(case)).lock()  # a scan starting now is refused
        seen.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(report, "_record_in_manifest", record)
    assert _report(case) == 0 and seen == [True]
    printed = capsys.readouterr().out.strip().splitlines()[-1]
    assert printed == "manifest sha256: " + hashlib.sha256((case / "manifest.json").read_bytes()).hexdigest()
    CaseFolder(str(case)).lock()  # released at the end


# -- clock statements --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["+1e20", "-99999999999", "+1e12", "-3155760001", "9999-12-31T23:59:59Z", "0001-01-01T00:30:00+01:00"]
)
def test_clock_values_out_of_range_are_refused_when_parsed(value):
    with pytest.raises(ReportError, match="out of range"):
        parse_clock_offsets([f"k={value}"])


def test_clock_values_within_a_hundred_years_are_taken():
    assert parse_clock_offsets(["k=-3155760000"])[0].offset_s == -3155760000.0
    assert parse_clock_offsets(["k=1990-01-01T00:00:00Z"])[0].start_utc == datetime(1990, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "key, value", [("two", "+1e20"), ("two", "-99999999999"), ("two", "+1e12"), ("ts", "9999-12-31T23:59:59Z")]
)
def test_report_clock_offset_out_of_range_is_a_usage_error(case, fixture_case, capsys, key, value):
    before = _tree(case)
    assert _report(case, "--clock-offset", f"{fixture_case.paths[key]}={value}") == 2
    err = capsys.readouterr().err
    assert "out of range" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert _tree(case) == before


def test_clock_arithmetic_out_of_range_gives_no_wall_clock():
    late = EvidenceItem(path="/x.mp4", creation_time_utc="9999-12-31T23:59:59Z")  # untrusted metadata
    clock = clock_source(late, None)
    assert clock.start_utc is None and clock.kind == "none" and "out of range" in clock.description
    assert clock_source(late, ClockSpec("k", offset_s=5.0)).at(0) is None
    assert clock_source(late, ClockSpec("k", start_utc=datetime(2026, 1, 1, tzinfo=UTC))).kind == "examiner_start"
    fine = clock_source(EvidenceItem(path="/y.mp4", creation_time_utc="2026-03-01T09:30:00Z"), None)
    assert fine.at(1e300) is None and fine.at(1.0) == "2026-03-01T09:30:01.000Z"
    with pytest.raises(ReportError, match="out of range"):  # a spec made without the parser
        clock_source(EvidenceItem(path="/y.mp4", creation_time_utc="2026-03-01T09:30:00Z"), ClockSpec("k", 1e15))


def test_report_clock_offset_given_twice_is_a_usage_error(case, fixture_case, capsys):
    before = _tree(case)
    two = fixture_case.paths["two"]
    assert _report(case, "--clock-offset", f"{two}=+1", "--clock-offset", f"{two}=+5") == 2
    err = capsys.readouterr().err
    assert "given twice" in err and os.path.basename(two) in err and len(err.strip().splitlines()) == 1, err
    sha = fixture_case.sha["two"]
    assert _report(case, "--clock-offset", f"{two}=+1", "--clock-offset", f"{sha}=+1") == 2  # one file, two names
    assert "given twice" in capsys.readouterr().err
    assert _tree(case) == before


# -- not a case folder -------------------------------------------------------------------------------


def test_a_manifest_without_the_scan_keys_is_no_case_folder(tmp_path, capsys):
    folder = tmp_path / "notacase"
    folder.mkdir()
    (folder / "manifest.json").write_text("{}")
    assert _report(folder) == 2
    err = capsys.readouterr().err
    assert "not a case folder: manifest.json lacks" in err and len(err.strip().splitlines()) == 1, err
    assert sorted(os.listdir(folder)) == ["manifest.json"] and (folder / "manifest.json").read_text() == "{}"
    (folder / "manifest.json").write_text(json.dumps({"format": "something-else/1", "status": "complete"}))
    with pytest.raises(ReportError, match="not a case folder"):
        read_manifest(str(folder))


# -- changed since the scan ----------------------------------------------------------------------------


def test_case_files_changed_since_the_scan_are_warned_on_stderr(case, capsys):
    with open(case / "findings.csv", "a", encoding="utf-8") as f:
        f.write("\n")
    (case / "problems.jsonl").unlink()
    assert _report(case) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("forensic: warning:")]
    assert len(warnings) == 2, warnings
    assert any("findings.csv" in w and "changed since the scan" in w for w in warnings)
    assert any("problems.jsonl" in w and "missing" in w for w in warnings)


def test_no_warning_when_the_case_files_match(case, capsys):
    assert _report(case) == 0
    assert "warning" not in capsys.readouterr().err
