"""A small but real case folder for the report tests.

Footage made with ffmpeg (forensic.synth.lavfi), two real faces in most of it, file names that try
to break the report (markup, quotes, a right-to-left override, 200 characters), a duplicate, a
file that fails and one that is skipped; scanned with the real `forensic scan`; then what the
engine will add: features folders written by forensic.store.features from real features of each
segment, findings.parquet / findings.csv with made-up scores, the model, cluster and clock
offset keys of the manifest, and outputs_sha256 brought up to date.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from forensic.records import Finding, FindingStatus, timecode
from forensic.store.case import CaseFolder, write_atomic
from forensic.synth.lavfi import Shot, make_clip, two_people_image

SCRIPT_DIR = "<script>alert(1)<"  # with the file name below the path reads .../<script>alert(1)</script>.mp4
SCRIPT_NAME = "script>.mp4"
QUOTE_NAME = 'it\'s a "quote" & <b>bold<b>.mp4'
RTL_NAME = "rtl_\u202eevil_4pm.mp4"
LONG_NAME = "long_" + "x" * 191 + ".mp4"
assert len(LONG_NAME) == 200

CREATION = "2026-03-01T09:30:00Z"
TS_START = "2026-03-02T18:00:00Z"
MANIFEST_OFFSET_S = 2.5  # manifest clock_offsets for two_people.mp4: camera clock 2.5 s behind

# scores the "model" gives, by (file name, segment index); anything else: not classified
SCORES = {
    (SCRIPT_NAME, 0): 0.97,
    ("two_people.mp4", 0): 0.88,
    ("two_people.mp4", 1): 0.42,
    (RTL_NAME, 0): 0.81,
    (QUOTE_NAME, 0): 0.62,
    ("camera_offset.ts", 0): 0.55,
}
THRESHOLD = 0.5
MODEL_SHA = "5" * 64


@dataclass
class FixtureCase:
    root: Path
    evidence: Path
    case: Path
    paths: dict[str, str]  # short name -> evidence path
    sha: dict[str, str]  # short name -> sha256


def _segments(case: Path) -> list[dict[str, str]]:
    from forensic.records import unescape_path  # paths in the case folder's tables are escaped (records.py)

    with open(case / "segments.csv", newline="", encoding="utf-8") as f:
        return [{**r, "path": unescape_path(r["path"])} for r in csv.DictReader(f)]


def make_footage(evidence: Path, tmp: Path) -> dict[str, str]:
    pair = two_people_image(str(tmp / "faces"))
    (evidence / SCRIPT_DIR).mkdir(parents=True)
    (evidence / "z_copies").mkdir()
    still = f"still:{pair}"
    big = (640, 360)
    paths = {
        "two": str(evidence / "two_people.mp4"),
        "script": str(evidence / SCRIPT_DIR / SCRIPT_NAME),
        "quote": str(evidence / QUOTE_NAME),
        "rtl": str(evidence / RTL_NAME),
        "long": str(evidence / LONG_NAME),
        "ts": str(evidence / "camera_offset.ts"),
    }
    make_clip(
        paths["two"],
        [Shot(still, 250), Shot("testsrc2", 100), Shot("color=c=navy", 50)],
        fps=25,
        size=big,
        output_args=("-metadata", f"creation_time={CREATION}"),
    )
    make_clip(paths["script"], [Shot(still, 100)], fps=25, size=big)
    make_clip(paths["quote"], [Shot(still, 110)], fps=25, size=big)
    make_clip(paths["rtl"], [Shot(still, 120)], fps=25, size=big)
    make_clip(paths["long"], [Shot("testsrc2", 80)], fps=25, size=(320, 240))
    make_clip(
        paths["ts"],
        [Shot(still, 100)],
        fps=25,
        size=big,
        codec_args=("-c:v", "mpeg2video", "-q:v", "4"),
        output_args=("-output_ts_offset", "10"),
    )
    shutil.copyfile(paths["two"], evidence / "z_copies" / "two_people_copy.mp4")
    paths["copy"] = str(evidence / "z_copies" / "two_people_copy.mp4")
    (evidence / "broken.mp4").write_text("not a video at all\n")
    paths["broken"] = str(evidence / "broken.mp4")
    (evidence / "notes.txt").write_text("case notes\n")
    paths["notes"] = str(evidence / "notes.txt")
    return paths


def add_findings(case: Path, manifest_extra: bool = True) -> None:
    """What the engine adds after segmenting: features folders, findings, model keys."""
    from forensic.engine.local import features_of_segment

    rows = _segments(case)
    findings = []
    for r in rows:
        name = os.path.basename(r["path"])
        idx = int(r["index"])
        flags = tuple(json.loads(r["flags"]))
        rel = f"features/{r['sha256']}/{idx:05d}"
        score = SCORES.get((name, idx))
        kw: dict = dict(model_sha256=MODEL_SHA, model_name="fusion-test", config_sha256=None)
        if "short_shot" in flags:
            status, features_dir, keyframes = FindingStatus.SHORT_SHOT, None, ()
            kw["segmenter"] = None
        else:
            out = features_of_segment(r["path"], idx, str(case / rel), segmenter="hog-face-grabcut")
            features_dir = rel
            keyframes = tuple(f"{rel}/{k}" for k in out["written"] if k.startswith("keyframes/"))
            kw["segmenter"] = out["segmenter"]
            with open(case / rel / "features.csv", newline="") as f:
                table = list(csv.DictReader(f))
            kw["people"] = max(int(t["faces"]) for t in table)
            kw["pair_frames"] = sum(t["has_pair"] == "True" for t in table)
            if out["status"] != "ok" or score is None:
                status = FindingStatus.INSUFFICIENT_SUBJECTS
            else:
                status = FindingStatus.ANALYSED
                kw.update(score=score, label="stalking" if score >= THRESHOLD else "non_stalking", threshold=THRESHOLD)
        findings.append(
            Finding(
                key=f"{r['sha256']}:{r['start_frame']}-{r['end_frame']}",
                sha256=r["sha256"],
                path=r["path"],
                segment_index=idx,
                shot=int(r["shot"]),
                start_frame=int(r["start_frame"]),
                end_frame=int(r["end_frame"]),
                start_s=float(r["start_s"]),
                end_s=float(r["end_s"]),
                start_pts=int(r["start_pts"]),
                end_pts=int(r["end_pts"]),
                start_pts_s=float(r["start_pts_s"]),
                end_pts_s=float(r["end_pts_s"]),
                time_base=r["time_base"],
                start_tc=timecode(float(r["start_s"])),
                end_tc=timecode(float(r["end_s"])),
                status=status,
                features_dir=features_dir,
                keyframes=keyframes,
                flags=flags,
                **kw,
            )
        )
    manifest = json.loads((case / "manifest.json").read_text())
    for i, f in enumerate(findings):
        findings[i] = Finding(**{**f.__dict__, "config_sha256": manifest["config_sha256"]})
    import pandas as pd

    from forensic.records import FINDING_COLUMNS

    table = pd.DataFrame([f.to_row() for f in findings], columns=FINDING_COLUMNS)
    for col in ("score", "threshold"):  # as the engine types them: floats, strings with NA
        table[col] = pd.to_numeric(table[col], errors="coerce").astype("float64")
    for col in ("label", "model_sha256", "model_name", "segmenter", "config_sha256", "features_dir", "error"):
        table[col] = table[col].astype("string")
    table.to_parquet(case / "findings.parquet", index=False)
    table.to_csv(case / "findings.csv", index=False, float_format="%.6f")
    if manifest_extra:
        two = next(r["sha256"] for r in rows if os.path.basename(r["path"]) == "two_people.mp4")
        manifest["model"] = {
            "name": "fusion-test",
            "sha256": MODEL_SHA,
            "segmenter": "hog-face-grabcut",
            "threshold": THRESHOLD,
            "card": {
                "metrics": {"accuracy": 0.912, "auc": 0.955, "test": {"clips": 120, "f1": 0.9}},
                "limits": "Trained on 240 staged clips filmed indoors; <not> validated on CCTV at night.",
                "training_data": "staged clips, two actors",
            },
        }
        manifest["cluster"] = {"engine": "local", "nodes": 1, "cpus": 2.0, "gpus": 0.0}
        manifest["agency"] = None
        manifest["clock_offsets"] = {two: MANIFEST_OFFSET_S}
    manifest["outputs_sha256"] = CaseFolder(str(case)).output_hashes()
    write_atomic(str(case / "manifest.json"), (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode())


def scan_case(paths: list[str], case_dir: Path, case_id: str, examiner: str) -> None:
    """The scan's intake, segments and store steps, as `forensic scan` runs them, without the model
    stage (which needs a trained model): manifest.json, evidence.csv, segments.csv, problems.jsonl,
    timelines/. The findings are added by :func:`add_findings`."""
    import uuid

    from forensic import intake
    from forensic.config import ScanConfig
    from forensic.provenance import session_record, utc_now
    from forensic.records import CLOCKS, EvidenceStatus, Problem, Severity
    from forensic.segments import segment_file

    config = ScanConfig()
    argv = ["forensic", "scan", *paths, "--out", str(case_dir), "--case-id", case_id, "--examiner", examiner]
    items = intake.discover(paths)
    case = CaseFolder.create(str(case_dir), paths)
    manifest = {
        "format": "forensic-case/1",
        "report_id": str(uuid.uuid4()),
        "case_id": case_id,
        "examiner": examiner,
        "status": "running",
        "started_utc": utc_now(),
        "ended_utc": None,
        **session_record(argv),
        "engine": "local",
        "inputs": list(paths),
        "config": config.to_dict(),
        "config_sha256": config.hash(),
        "clocks": CLOCKS,
    }
    for item in items:
        intake.hash_item(item)
    groups = intake.mark_duplicates(items)
    segments = 0
    for item in items:
        if item.duplicate_of is None and item.status == EvidenceStatus.PENDING:
            info = intake.probe_item(item)
            if info is None:
                continue
            result = segment_file(
                item,
                config.segments,
                info.avg_fps or info.nominal_fps,
                info.stream_index,
                info.stream_duration_s or info.duration_s,
            )
            if result.timeline is not None:
                case.write_timeline(item.sha256, result.timeline)
            case.append_segments(result.segments)
            segments += len(result.segments)
    for group in groups.values():
        for dup in group[1:]:
            intake.copy_outcome(group[0], dup)
    for item in items:
        if item.status in (EvidenceStatus.FAILED, EvidenceStatus.PARTIAL):
            case.record_problem(
                Problem(Severity.ERROR, "intake", f"{item.status}: {item.reason}", item.path, item.sha256)
            )
        elif item.status == EvidenceStatus.SKIPPED:
            case.record_problem(Problem(Severity.INFO, "intake", f"skipped: {item.reason}", item.path, item.sha256))
        for warning in item.warnings:
            case.record_problem(Problem(Severity.WARNING, "intake", warning, item.path, item.sha256))
    for item in items:
        if item.sha256 is not None:
            intake.rehash(item)
    case.write_evidence(items)
    from forensic.engine.session import summarize

    manifest.update(status="complete", ended_utc=utc_now(), exit_code=3, summary=summarize(items, segments))
    manifest["outputs_sha256"] = case.output_hashes()
    case.write_manifest(manifest)


def build_fixture_case(root: Path) -> FixtureCase:
    from forensic.records import unescape_path

    evidence = root / "evidence"
    evidence.mkdir(parents=True)
    paths = make_footage(evidence, root)
    case = root / "case"
    scan_case([str(evidence)], case, 'CASE <7> "\u03a9"', "E. O'Brien")
    add_findings(case)
    with open(case / "evidence.csv", newline="", encoding="utf-8") as f:
        sha = {
            k: row["sha256"] for row in csv.DictReader(f) for k, p in paths.items() if unescape_path(row["path"]) == p
        }
    return FixtureCase(root, evidence, case, paths, sha)


@pytest.fixture(scope="session")
def fixture_case(tmp_path_factory) -> FixtureCase:
    """The case folder, scanned, with findings; no report yet. Do not modify (copy first)."""
    return build_fixture_case(tmp_path_factory.mktemp("report_fixture"))


@pytest.fixture(scope="session")
def reported(fixture_case, tmp_path_factory) -> FixtureCase:
    """A copy of the fixture case with its report made by `forensic report` (agency, an ISO clock
    offset for the .ts file). Tests that change files copy it first."""
    from forensic._cli import main

    root = tmp_path_factory.mktemp("reported")
    case = root / "case"
    shutil.copytree(fixture_case.case, case)
    rc = main(
        [
            "report",
            str(case),
            "--agency",
            "Agency <A&B>",
            "--clock-offset",
            f"{fixture_case.paths['ts']}={TS_START}",
            "--top",
            "4",
            "-q",
        ]
    )
    assert rc == 0
    return FixtureCase(root, fixture_case.evidence, case, fixture_case.paths, fixture_case.sha)
