"""`forensic coappear CASE_DIR` on a small hand-made case folder."""

from __future__ import annotations

import csv
import hashlib
import json

from forensic._cli import main
from forensic.records import CLOCKS, FINDING_COLUMNS

from .conftest import make_case


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_cli_writes_tables_and_manifest(small_case, capsys):
    assert main(["coappear", str(small_case)]) == 0
    ids = rows(small_case / "identities.csv")
    assert [r["identity"] for r in ids] == ["P1", "P2", "P3", "P4"]  # alice 5, bob 4, carol 3, dave 2
    assert [int(r["segments"]) for r in ids] == [5, 4, 3, 2]
    occ = rows(small_case / "coappearance.csv")
    assert [r["pair"] for r in occ] == ["P1+P2"] * 4 + ["P3+P4"] * 2
    first = occ[0]
    totals = (first["pair_segments"], first["pair_files"], first["pair_cameras"], first["pair_flagged"])
    assert totals == ("4", "3", "3", "2")
    assert first["pair_span_clock"].startswith("unknown")  # c.mp4 has no creation time
    # the segment's times in every clock, as the findings row holds them, the wall clock and the camera
    times = {c for c in FINDING_COLUMNS if c.startswith(("start_", "end_"))}
    assert {c.split("_", 1)[1] for c in times} == set(CLOCKS) - {"utc"}  # every clock but the wall clock
    assert times | {"time_base", "wall_start_utc", "camera"} <= set(first)
    a0 = next(r for r in occ if r["path"].endswith("a.mp4") and r["segment_index"] == "0")
    assert a0["wall_start_utc"] == "2026-03-01T09:30:00.000Z" and a0["flagged"] == "yes"
    sight = rows(small_case / "identity_sightings.csv")
    assert len(sight) == 14
    manifest = json.loads((small_case / "manifest.json").read_text())
    rec = manifest["coappear"]
    assert rec["settings"]["method"] == "connected" and rec["settings"]["threshold"] == 0.6
    assert rec["counts"]["analysed_without_descriptors"] == 1 and rec["notes"]
    for name in ("coappearance.csv", "identities.csv", "identity_sightings.csv"):
        sha = hashlib.sha256((small_case / name).read_bytes()).hexdigest()
        assert rec["files"][name] == sha == manifest["outputs_sha256"][name]
    out = capsys.readouterr()
    assert "P1+P2: 4 segments, 3 file(s), 3 camera(s), 2 flagged" in out.out


def test_cli_cameras_threshold_and_method(tmp_path):
    case = make_case(tmp_path / "case", tmp_path / "ev")
    argv = [
        "coappear",
        str(case),
        "--camera",
        f"{tmp_path / 'ev' / 'cam1'}=CAM1",
        "--camera",
        f"{tmp_path / 'ev' / 'cam2'}=CAM2",
        "--method",
        "chinese-whispers",
        "-q",
    ]
    assert main(argv) == 0
    occ = rows(case / "coappearance.csv")
    assert {r["camera"] for r in occ} == {"CAM1", "CAM2"}
    assert occ[0]["pair_cameras"] == "2"
    # a threshold far below the people's spread: every face its own identity, no pair
    assert main(["coappear", str(case), "--distance-threshold", "0.01", "-q"]) == 0
    assert rows(case / "coappearance.csv") == []
    assert len(rows(case / "identities.csv")) == 14


def test_cli_usage_errors(tmp_path, capsys):
    assert main(["coappear", str(tmp_path)]) == 2  # not a case folder
    assert "not a case folder" in capsys.readouterr().err
    case = make_case(tmp_path / "case", tmp_path / "ev")
    assert main(["coappear", str(case), "--distance-threshold", "-1"]) == 2
    assert main(["coappear", str(case), "--min-segments", "1"]) == 2
    assert main(["coappear", str(case), "--camera", "nofolder"]) == 2
    assert not (case / "coappearance.csv").exists()


def test_scan_step_switch_and_failure_recorded(tmp_path, capsys):
    from forensic._cli import build_parser
    from forensic.coappear import after_scan

    args = build_parser().parse_args(["scan", "x.mp4", "--out", str(tmp_path / "c"), "--no-coappear"])
    assert args.no_coappear is True
    case = make_case(tmp_path / "case", tmp_path / "ev")
    (case / "findings.csv").unlink()  # the step cannot run: recorded, never fatal
    after_scan(str(case))
    problems = [json.loads(line) for line in (case / "problems.jsonl").read_text().splitlines()]
    assert problems[-1]["stage"] == "coappear" and problems[-1]["severity"] == "error"
    manifest = json.loads((case / "manifest.json").read_text())
    sha = hashlib.sha256((case / "problems.jsonl").read_bytes()).hexdigest()
    assert manifest["outputs_sha256"]["problems.jsonl"] == sha
    assert "co-appearance step failed" in capsys.readouterr().err


def test_camera_statements_that_name_nothing_or_clash_are_said(tmp_path, capsys):
    """Found by a sweep: --camera naming no file of the case was silent (every file its own camera,
    as if the option had not been given), and one folder given two ids kept the first silently."""
    case = make_case(tmp_path / "case", tmp_path / "ev")
    cam1 = tmp_path / "ev" / "cam1"
    assert main(["coappear", str(case), "--camera", f"{cam1}=CAM1", "--camera", f"{cam1}/=CAM9"]) == 2
    assert "given twice" in capsys.readouterr().err
    assert not (case / "coappearance.csv").exists()
    assert main(["coappear", str(case), "--camera", f"{cam1}=CAM1", "--camera", f"{tmp_path / 'typo'}=CAM2"]) == 0
    err = capsys.readouterr().err
    assert f"--camera {tmp_path / 'typo'}=CAM2 matches no file of the case" in err
    assert "--camera " + f"{cam1}=CAM1 matches no file" not in err
