"""The case folder under faults: a lock against two runs at once, a crash before the first
manifest.json, problems written durably as they happen."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from forensic.records import Problem, Severity
from forensic.store.case import MANIFEST, CaseFolder, CaseFolderBusy, CaseFolderError

IDENTITY = {"inputs": ["/ev"], "config_sha256": "c", "model_sha256": "m", "segmenter": "s", "threshold": 0.5}


def test_second_open_is_refused_while_the_first_holds_the_folder(tmp_path):
    first, _ = CaseFolder.open_for_scan(str(tmp_path / "case"), [], IDENTITY)
    first.write_manifest({"identity": IDENTITY})
    with pytest.raises(CaseFolderBusy, match="in use by another forensic process"):
        CaseFolder.open_for_scan(str(tmp_path / "case"), [], IDENTITY)
    first.close()
    again, previous = CaseFolder.open_for_scan(str(tmp_path / "case"), [], IDENTITY)
    assert previous == {"identity": IDENTITY}
    again.close()


def test_lock_holds_across_processes(tmp_path):
    case, _ = CaseFolder.open_for_scan(str(tmp_path / "case"), [], IDENTITY)
    case.write_manifest({"identity": IDENTITY})
    code = (
        "import sys; from forensic.store.case import CaseFolder, CaseFolderBusy\n"
        f"try:\n CaseFolder.open_for_scan({str(tmp_path / 'case')!r}, [], {IDENTITY!r})\n"
        "except CaseFolderBusy as e:\n print('busy'); sys.exit(0)\nsys.exit(1)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "busy" in r.stdout, r.stderr
    case.close()


def test_a_crash_before_the_first_manifest_is_resumed_not_refused(tmp_path):
    root = tmp_path / "case"
    first = CaseFolder.create(str(root))
    first.record_problem(Problem(Severity.INFO, "scan", "started"))
    first.close()  # killed here: no manifest.json yet
    (root / ".tmp-abc").write_bytes(b"half")  # a temporary file the kill left
    assert not (root / MANIFEST).exists()
    case, previous = CaseFolder.open_for_scan(str(root), [], IDENTITY)
    assert previous is None and case.recovered
    assert "started" in (root / "problems.jsonl").read_text()  # what the first run recorded is kept
    case.close()


def test_a_folder_with_other_files_is_still_refused(tmp_path):
    root = tmp_path / "case"
    root.mkdir()
    (root / "segments.csv").write_text("x")
    (root / "notes.txt").write_text("someone else's")
    with pytest.raises(CaseFolderError, match="not empty"):
        CaseFolder.create(str(root))


def test_record_problem_is_fsynced(tmp_path, monkeypatch):
    import os

    case = CaseFolder.create(str(tmp_path / "case"))
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    case.record_problem(Problem(Severity.WARNING, "intake", "w"))
    assert synced, "a problem must survive a power cut once recorded"
    assert json.loads((tmp_path / "case" / "problems.jsonl").read_text().splitlines()[-1])["message"] == "w"
    case.close()


def test_manifest_sha256_is_returned_and_matches(tmp_path):
    import hashlib

    case = CaseFolder.create(str(tmp_path / "case"))
    sha = case.write_manifest({"a": "caf\udce9"})  # a byte that is not UTF-8 does not kill the write
    data = (tmp_path / "case" / MANIFEST).read_bytes()
    assert sha == hashlib.sha256(data).hexdigest() == case.manifest_sha256()
    assert json.loads(data)["a"] == "caf\\xe9"
    case.close()
