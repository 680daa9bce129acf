"""forensic.store.case: the case folder."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import stat
from fractions import Fraction

import numpy as np
import pytest

from forensic.records import EvidenceItem, EvidenceStatus, Problem, Segment, Severity
from forensic.segments.decode import Timeline
from forensic.store.case import (
    EVIDENCE_COLUMNS,
    SEGMENT_COLUMNS,
    CaseFolder,
    CaseFolderError,
    write_atomic,
)


def _sha(path) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _segment(index: int = 0, **kw) -> Segment:
    base = dict(
        sha256="ab" * 32,
        path="/ev/a.mp4",
        index=index,
        shot=1,
        start_frame=25,
        end_frame=100,
        start_s=1.0,
        end_s=4.0,
        start_pts=13312,
        end_pts=51712,
        start_pts_s=1.04,
        end_pts_s=4.04,
        time_base="1/12800",
        sample_frames=(25, 62, 99),
        sample_pts=(13312, 32256, 51200),
        sample_s=(1.0, 2.48, 3.96),
        flags=("short_shot",),
    )
    base.update(kw)
    return Segment(**base)


# -- create


def test_create_new_folder(tmp_path):
    root = tmp_path / "case"
    case = CaseFolder.create(str(root))
    assert case.root == str(root)
    assert sorted(os.listdir(root)) == ["problems.jsonl", "segments.csv", "timelines"]
    assert not (root / "manifest.json").exists()
    assert (root / "timelines").is_dir()
    assert (root / "problems.jsonl").read_bytes() == b""
    assert (root / "segments.csv").read_text() == ",".join(SEGMENT_COLUMNS) + "\n"
    with open(root / "segments.csv", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == SEGMENT_COLUMNS
        assert list(reader) == []


def test_segment_columns():
    assert SEGMENT_COLUMNS[:3] == ["sha256", "path", "index"]
    assert SEGMENT_COLUMNS[-4:] == ["frame_count", "duration_s", "start_tc", "end_tc"]
    assert len(SEGMENT_COLUMNS) == len(set(SEGMENT_COLUMNS))


def test_create_in_existing_empty_folder(tmp_path):
    root = tmp_path / "case"
    root.mkdir()
    CaseFolder.create(str(root))
    assert (root / "segments.csv").exists()


def test_create_relative_path_is_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    case = CaseFolder.create("rel_case")
    assert case.root == str(tmp_path / "rel_case")
    assert case.path("segments.csv") == str(tmp_path / "rel_case" / "segments.csv")


def test_create_refuses_existing_manifest(tmp_path):
    root = tmp_path / "case"
    root.mkdir()
    (root / "manifest.json").write_text('{"old": true}')
    with pytest.raises(CaseFolderError, match="manifest"):
        CaseFolder.create(str(root))
    assert (root / "manifest.json").read_text() == '{"old": true}'
    assert os.listdir(root) == ["manifest.json"]


def test_create_refuses_non_empty_folder(tmp_path):
    root = tmp_path / "case"
    root.mkdir()
    (root / "something.txt").write_text("keep me")
    with pytest.raises(CaseFolderError, match="not empty"):
        CaseFolder.create(str(root))
    assert os.listdir(root) == ["something.txt"]


def test_create_refuses_hidden_file_only(tmp_path):
    root = tmp_path / "case"
    root.mkdir()
    (root / ".hidden").write_text("x")
    with pytest.raises(CaseFolderError):
        CaseFolder.create(str(root))


def test_create_refuses_a_file(tmp_path):
    root = tmp_path / "case"
    root.write_text("a file")
    with pytest.raises(CaseFolderError):
        CaseFolder.create(str(root))
    assert root.read_text() == "a file"


def test_create_refuses_case_inside_evidence_folder(tmp_path):
    ev = tmp_path / "evidence"
    ev.mkdir()
    (ev / "a.mp4").write_bytes(b"x")
    root = ev / "case"
    with pytest.raises(CaseFolderError, match="inside the evidence folder"):
        CaseFolder.create(str(root), [str(ev)])
    assert not root.exists()
    assert os.listdir(ev) == ["a.mp4"]


def test_create_refuses_case_deep_inside_evidence_folder(tmp_path):
    ev = tmp_path / "evidence"
    (ev / "sub").mkdir(parents=True)
    with pytest.raises(CaseFolderError):
        CaseFolder.create(str(ev / "sub" / "deeper" / "case"), [str(ev)])
    assert not (ev / "sub" / "deeper").exists()


def test_create_refuses_case_equal_to_evidence_folder(tmp_path):
    ev = tmp_path / "evidence"
    ev.mkdir()
    with pytest.raises(CaseFolderError):
        CaseFolder.create(str(ev), [str(ev)])
    assert os.listdir(ev) == []


def test_create_refuses_case_inside_evidence_through_symlink(tmp_path):
    ev = tmp_path / "evidence"
    ev.mkdir()
    os.symlink(str(ev), tmp_path / "alias")
    with pytest.raises(CaseFolderError):
        CaseFolder.create(str(tmp_path / "alias" / "case"), [str(ev)])
    assert os.listdir(ev) == []


def test_create_refuses_evidence_inside_case_folder(tmp_path):
    root = tmp_path / "case"
    ev_file = root / "clips" / "a.mp4"
    ev_file.parent.mkdir(parents=True)
    ev_file.write_bytes(b"x")
    with pytest.raises(CaseFolderError, match="inside the case folder"):
        CaseFolder.create(str(root), [str(ev_file)])
    assert ev_file.read_bytes() == b"x"


def test_create_refuses_evidence_folder_inside_case_folder(tmp_path):
    root = tmp_path / "case"
    with pytest.raises(CaseFolderError):
        CaseFolder.create(str(root), [str(root / "later")])
    assert not root.exists()


def test_create_allows_sibling_with_common_prefix(tmp_path):
    ev = tmp_path / "evidence"
    ev.mkdir()
    (ev / "a.mp4").write_bytes(b"x")
    root = tmp_path / "evidence2"  # shares a name prefix, but is not inside
    CaseFolder.create(str(root), [str(ev), str(ev / "a.mp4")])
    assert (root / "segments.csv").exists()


def test_create_refuses_case_next_to_evidence_file(tmp_path):
    # nothing is written beside the evidence: the folder holding an evidence file is protected too
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "a.mp4").write_bytes(b"x")
    with pytest.raises(CaseFolderError, match="folder holding the evidence file"):
        CaseFolder.create(str(tmp_path / "ev" / "case"), [str(tmp_path / "ev" / "a.mp4")])
    assert not (tmp_path / "ev" / "case").exists()
    root = tmp_path / "case"  # beside the evidence's folder is fine
    CaseFolder.create(str(root), [str(tmp_path / "ev" / "a.mp4")])
    assert root.is_dir()


# -- write_atomic


def test_write_atomic_replaces_and_leaves_no_tmp(tmp_path):
    p = tmp_path / "out.json"
    write_atomic(str(p), b"first")
    assert p.read_bytes() == b"first"
    write_atomic(str(p), b"second, longer content")
    assert p.read_bytes() == b"second, longer content"
    write_atomic(str(p), b"")
    assert p.read_bytes() == b""
    assert os.listdir(tmp_path) == ["out.json"]
    assert not any(n.startswith(".tmp-") for n in os.listdir(tmp_path))


def test_write_atomic_permissions_follow_umask(tmp_path):
    p = tmp_path / "out.bin"
    write_atomic(str(p), b"x")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask


def test_write_atomic_failure_keeps_old_file(tmp_path, monkeypatch):
    p = tmp_path / "out.json"
    write_atomic(str(p), b"old")

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_atomic(str(p), b"new")
    monkeypatch.undo()
    assert p.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.json"]


# -- appended files


def test_append_segments(tmp_path):
    case = CaseFolder.create(str(tmp_path / "case"))
    s0 = _segment(0)
    s1 = _segment(1, start_frame=100, end_frame=175, start_s=4.0, end_s=7.0, flags=(), path='/ev/with, comma "q".mp4')
    case.append_segments([s0])
    case.append_segments([])
    case.append_segments([s1])
    with open(case.path("segments.csv"), newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == SEGMENT_COLUMNS
        rows = list(reader)
    assert len(rows) == 2
    r0, r1 = rows
    assert r0["sha256"] == "ab" * 32
    assert r0["path"] == "/ev/a.mp4"
    assert r0["index"] == "0" and r1["index"] == "1"
    assert r0["shot"] == "1"
    assert (r0["start_frame"], r0["end_frame"]) == ("25", "100")
    assert r0["frame_count"] == "75"
    assert float(r0["duration_s"]) == pytest.approx(3.0)
    assert r0["start_tc"] == "00:00:01.000"
    assert r0["end_tc"] == "00:00:04.000"
    assert r0["time_base"] == "1/12800"
    assert json.loads(r0["sample_frames"]) == [25, 62, 99]
    assert json.loads(r0["sample_pts"]) == [13312, 32256, 51200]
    assert json.loads(r0["sample_s"]) == [1.0, 2.48, 3.96]
    assert json.loads(r0["flags"]) == ["short_shot"]
    assert json.loads(r1["flags"]) == []
    assert r1["path"] == '/ev/with, comma "q".mp4'
    assert r1["start_tc"] == "00:00:04.000" and r1["end_tc"] == "00:00:07.000"
    assert float(r1["start_pts_s"]) == pytest.approx(1.04)


def test_append_empty_list_writes_nothing(tmp_path):
    case = CaseFolder.create(str(tmp_path / "case"))
    before = open(case.path("segments.csv"), "rb").read()
    case.append_segments([])
    assert open(case.path("segments.csv"), "rb").read() == before


def test_record_problem(tmp_path):
    case = CaseFolder.create(str(tmp_path / "case"))
    p1 = Problem(Severity.WARNING, "probe", "odd stream", path="/ev/a.mp4")
    p2 = Problem(Severity.CRITICAL, "hash", "evidence changed: é", sha256="cd" * 32)
    case.record_problem(p1)
    case.record_problem(p2)
    lines = open(case.path("problems.jsonl"), encoding="utf-8").read().splitlines()
    assert len(lines) == 2
    d1, d2 = (json.loads(ln) for ln in lines)
    assert d1["severity"] == "warning" and d1["stage"] == "probe" and d1["message"] == "odd stream"
    assert d1["path"] == "/ev/a.mp4" and d1["sha256"] is None
    assert d2["severity"] == "critical" and d2["message"] == "evidence changed: é" and d2["sha256"] == "cd" * 32
    for d in (d1, d2):
        assert d["time_utc"].endswith("Z")
    assert "é" in lines[1]  # not escaped (ensure_ascii=False)


def test_record_problem_keeps_given_time(tmp_path):
    case = CaseFolder.create(str(tmp_path / "case"))
    case.record_problem(Problem(Severity.INFO, "intake", "m", time_utc="2024-01-01T00:00:00.000000Z"))
    d = json.loads(open(case.path("problems.jsonl")).read())
    assert d["time_utc"] == "2024-01-01T00:00:00.000000Z"


# -- whole files


def _timeline() -> Timeline:
    return Timeline(pts=np.array([1000, 1512, 2024], dtype=np.int64), time_base=Fraction(1, 12800), end_pts=2536)


def test_write_timeline_rows(tmp_path):
    case = CaseFolder.create(str(tmp_path / "case"))
    sha = "ef" * 32
    rel = case.write_timeline(sha, _timeline())
    assert rel == os.path.join("timelines", f"{sha}.csv.gz")
    raw = open(case.path(rel), "rb").read()
    text = gzip.decompress(raw).decode()
    assert text.splitlines() == [
        "# time_base=1/12800",
        "frame,pts,pts_s,s",
        "0,1000,0.078125,0.000000",
        "1,1512,0.118125,0.040000",
        "2,2024,0.158125,0.080000",
        "end,2536,0.198125,0.120000",
    ]
    assert not any(n.startswith(".tmp-") for n in os.listdir(case.path("timelines")))


def test_write_timeline_is_reproducible(tmp_path):
    a = CaseFolder.create(str(tmp_path / "a"))
    b = CaseFolder.create(str(tmp_path / "b"))
    sha = "ef" * 32
    rel_a = a.write_timeline(sha, _timeline())
    first = open(a.path(rel_a), "rb").read()
    rel_a2 = a.write_timeline(sha, _timeline())  # same file written again
    assert open(a.path(rel_a2), "rb").read() == first
    rel_b = b.write_timeline(sha, _timeline())
    assert open(b.path(rel_b), "rb").read() == first
    assert first[4:8] == b"\x00\x00\x00\x00"  # gzip header mtime 0


def test_write_timeline_rows_parse_as_csv(tmp_path):
    case = CaseFolder.create(str(tmp_path / "case"))
    tl = Timeline(pts=np.array([0, 3, 5, 9], dtype=np.int64), time_base=Fraction(1, 30), end_pts=10)
    rel = case.write_timeline("00" * 32, tl)
    lines = gzip.decompress(open(case.path(rel), "rb").read()).decode().splitlines()
    rows = list(csv.DictReader(lines[1:]))
    assert [r["frame"] for r in rows] == ["0", "1", "2", "3", "end"]
    assert [int(r["pts"]) for r in rows] == [0, 3, 5, 9, 10]
    assert [float(r["s"]) for r in rows] == pytest.approx([0, 0.1, 5 / 30, 0.3, 10 / 30], abs=1e-6)


def test_write_evidence(tmp_path):
    case = CaseFolder.create(str(tmp_path / "case"))
    items = [
        EvidenceItem(path="/ev/a.mp4", status=EvidenceStatus.ANALYSED, width=320, warnings=["w1", "ü"]),
        EvidenceItem(path="/ev/b.txt", status=EvidenceStatus.SKIPPED, reason="not video"),
    ]
    case.write_evidence(items)
    with open(case.path("evidence.csv"), newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == EVIDENCE_COLUMNS
        rows = list(reader)
    assert [r["path"] for r in rows] == ["/ev/a.mp4", "/ev/b.txt"]
    assert rows[0]["status"] == "analysed" and rows[1]["status"] == "skipped"
    assert rows[0]["width"] == "320" and rows[1]["width"] == ""
    assert json.loads(rows[0]["warnings"]) == ["w1", "ü"]


def test_output_hashes(tmp_path):
    case = CaseFolder.create(str(tmp_path / "case"))
    case.append_segments([_segment(0)])
    case.record_problem(Problem(Severity.INFO, "intake", "hello"))
    case.write_evidence([EvidenceItem(path="/ev/a.mp4")])
    rel = case.write_timeline("ef" * 32, _timeline())
    case.write_manifest({"summary": "x"})
    hashes = case.output_hashes()
    assert "manifest.json" not in hashes
    assert set(hashes) == {"segments.csv", "problems.jsonl", "evidence.csv", rel}
    for name, digest in hashes.items():
        assert digest == _sha(case.path(name))
    assert list(hashes) == sorted(hashes)
    # the manifest's content does not change the other hashes
    case.write_manifest({"summary": "y", "outputs": hashes})
    assert case.output_hashes() == hashes
    assert json.loads(open(case.path("manifest.json")).read())["outputs"] == hashes


def test_output_hashes_tracks_changes(tmp_path):
    case = CaseFolder.create(str(tmp_path / "case"))
    before = case.output_hashes()
    case.record_problem(Problem(Severity.INFO, "intake", "hello"))
    after = case.output_hashes()
    assert before["problems.jsonl"] == hashlib.sha256(b"").hexdigest()
    assert after["problems.jsonl"] != before["problems.jsonl"]
    assert after["segments.csv"] == before["segments.csv"]


def test_write_manifest(tmp_path):
    case = CaseFolder.create(str(tmp_path / "case"))
    case.write_manifest({"a": 1, "name": "Zoë"})
    text = open(case.path("manifest.json"), encoding="utf-8").read()
    assert json.loads(text) == {"a": 1, "name": "Zoë"}
    assert text.endswith("\n") and "Zoë" in text
    with pytest.raises(CaseFolderError):
        CaseFolder.create(case.root)
