"""Faults injected into a scan, and what the case folder shows afterwards (see conftest.py)."""

from __future__ import annotations

import csv
import glob
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from forensic.engine.scan import EXIT_FAILED, EXIT_OK, EXIT_SOME_FAILED, ScanRequest, ScanStopped, run_scan
from forensic.records import EvidenceItem, unescape_path
from tests.faults.conftest import MODEL, assert_whole, cli, env, manifest, plain_clip, problems, scan_args

MANIFEST_LINE = b"manifest sha256: "


@pytest.fixture(scope="module")
def plain_evidence(tmp_path_factory) -> Path:
    """Three short clips nobody is in, a file that claims to be video and is not, and a text file."""
    ev = tmp_path_factory.mktemp("faults") / "evidence"
    ev.mkdir()
    plain_clip(ev / "a.mp4", 4, "testsrc2")
    plain_clip(ev / "b.mkv", 3, "smptebars")
    plain_clip(ev / "c.mov", 3, "rgbtestsrc")
    (ev / "broken.mp4").write_bytes(b"not a video at all\n")
    (ev / "notes.txt").write_text("case notes\n")
    return ev


def request(evidence: Path, case: Path, **kw) -> ScanRequest:
    return ScanRequest(
        paths=[str(evidence)],
        case_dir=str(case),
        model_dir=str(MODEL),
        engine="local",
        report=False,
        argv=["forensic", "scan", str(evidence), "--out", str(case)],
        **kw,
    )


def last_line(out: bytes) -> bytes:
    return out.strip().splitlines()[-1]


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# -- names ------------------------------------------------------------------------------------------------


def test_non_utf8_newline_and_escape_names_round_trip_into_every_file(tmp_path, model_dir):
    ev = tmp_path / "evidence"
    ev.mkdir()
    names = [b"caf\xe9.mkv", b"two\nlines.mp4", b"red\x1b[31m\x1b[2J.mov"]
    for raw, pattern in zip(names, ("testsrc2", "smptebars", "rgbtestsrc")):
        plain_clip(Path(os.fsdecode(os.fsencode(ev) + b"/" + raw)), 3, pattern)
    case = tmp_path / "case"
    args = scan_args(ev, case)
    args.remove("--no-report")
    r = cli(args)
    assert r.returncode == EXIT_OK, r.stderr[-3000:]
    for stream in (r.stdout, r.stderr):
        assert b"\x1b" not in stream and b"\xe9" not in stream and b"\ntwo\n" not in stream
    assert last_line(r.stdout).startswith(MANIFEST_LINE)
    real = sorted(os.fsdecode(ev / os.fsdecode(n)) for n in names)
    # every text file of the case folder and the report: UTF-8, no raw escape sequence
    for p in case.rglob("*"):
        if p.suffix in (".csv", ".jsonl", ".json", ".sha256", ".html", ".vtt", ".srt"):
            text = p.read_bytes().decode("utf-8")
            assert "\x1b" not in text, p
    with open(case / "evidence.csv", newline="", encoding="utf-8") as f:
        items = [EvidenceItem.from_row(row) for row in csv.DictReader(f)]
    assert sorted(i.path for i in items) == real and all(str(i.status) == "analysed" for i in items)
    for table in ("segments.csv", "findings.csv", "report/all_segments.csv"):
        with open(case / table, newline="", encoding="utf-8") as f:
            assert sorted(unescape_path(r["path"]) for r in csv.DictReader(f)) == real, table
    for line in (case / "problems.jsonl").read_text(encoding="utf-8").splitlines():
        assert json.loads(line)  # one object a line: no name forged a line
    assert_whole(case)
    sha = last_line(r.stdout)[len(MANIFEST_LINE) :].decode()
    v = cli(["verify", str(case), "--manifest-sha256", sha, "-q"])
    assert v.returncode == 0, v.stdout.decode() + v.stderr.decode()


# -- exit codes -------------------------------------------------------------------------------------------


def test_tampered_model_is_a_usage_error_with_nothing_written(tmp_path, plain_evidence, model_dir):
    model = tmp_path / "model"
    shutil.copytree(model_dir, model)
    scaler = json.loads((model / "scaler.json").read_text())
    scaler["mean"][0] = float(scaler["mean"][0]) + 1.0
    (model / "scaler.json").write_text(json.dumps(scaler))
    args = scan_args(plain_evidence, tmp_path / "case")
    args[args.index("--model") + 1] = str(model)
    r = cli(args)
    assert r.returncode == 2, r.stderr[-2000:]
    assert b"Traceback" not in r.stderr and b"forensic: error:" in r.stderr and b"nothing written" in r.stderr
    assert not (tmp_path / "case").exists()


@pytest.mark.parametrize("wrong", ["inside the evidence", "not empty", "a file"])
def test_a_wrong_case_folder_is_refused_before_a_model_loads_or_a_cluster_starts(
    tmp_path, plain_evidence, monkeypatch, wrong
):
    """A wrong --out is said at once (it used to come after the model was loaded and, with Ray, after
    a cluster was started), and nothing is written."""
    import dataclasses

    import forensic.model
    from forensic.engine import ray_engine
    from forensic.store.case import CaseFolderError

    def too_early(*_a, **_k):
        raise AssertionError("a model was loaded or a cluster joined for a case folder that is refused")

    monkeypatch.setattr(forensic.model, "load_model", too_early)
    monkeypatch.setattr(ray_engine, "connect", too_early)
    case = {"inside the evidence": plain_evidence / "case", "not empty": tmp_path / "full", "a file": tmp_path / "f"}[
        wrong
    ]
    if wrong == "not empty":
        case.mkdir()
        (case / "keep.txt").write_text("examiner's notes\n")
    elif wrong == "a file":
        case.write_text("a file\n")
    before = tree_hashes(tmp_path)
    for engine in ("local", "ray"):
        with pytest.raises(CaseFolderError, match="inside the evidence folder|is not empty|is not a folder"):
            run_scan(dataclasses.replace(request(plain_evidence, case), engine=engine))
    assert tree_hashes(tmp_path) == before


def test_an_error_after_the_case_folder_exists_is_recorded_exit_4_and_resumable(
    tmp_path, plain_evidence, model_dir, monkeypatch, capsys
):
    import forensic._cli as cli_main
    from forensic.engine import stages

    def broken(*a, **k):
        raise OSError(5, "Input/output error (injected)")

    monkeypatch.setattr(stages, "cut_and_gate", broken)
    case = tmp_path / "case"
    rc = cli_main.main(scan_args(plain_evidence, case))
    out, err = capsys.readouterr()
    assert rc == EXIT_FAILED, err
    assert "Input/output error (injected)" in err and "usage" not in err and "nothing written" not in err
    assert out.strip().splitlines()[-1].startswith("manifest sha256: ")
    m = manifest(case)
    assert m["status"] == "failed" and m["sessions"][-1]["status"] == "failed" and m["exit_code"] == EXIT_FAILED
    assert any(p["severity"] == "critical" and "Input/output error" in p["message"] for p in problems(case))
    monkeypatch.undo()
    assert cli_main.main(scan_args(plain_evidence, case)) == EXIT_SOME_FAILED  # broken.mp4 fails: exit 3
    m = manifest(case)
    assert [s["status"] for s in m["sessions"]] == ["failed", "complete"] and m["status"] == "complete"
    assert_whole(case)


def test_crash_before_the_first_manifest_resumes(tmp_path, plain_evidence, model_dir):
    from forensic.store.case import CaseFolder

    case = tmp_path / "case"
    CaseFolder.create(str(case), [str(plain_evidence)]).close()  # killed before manifest.json
    out = run_scan(request(plain_evidence, case))
    assert out.exit_code == EXIT_SOME_FAILED and manifest(case)["status"] == "complete"
    assert any("stopped before it wrote its first manifest.json" in p["message"] for p in problems(case))
    assert_whole(case)


def test_problems_reach_problems_jsonl_as_they_happen(tmp_path, plain_evidence, model_dir, monkeypatch):
    from forensic.engine import stages

    seen_then = []
    real = stages.analyse_segments

    def spy(*a, **k):
        seen_then.extend(problems(tmp_path / "case"))
        raise KeyboardInterrupt  # Ctrl-C while the segments are analysed

    monkeypatch.setattr(stages, "analyse_segments", spy)
    with pytest.raises(ScanStopped) as stopped:
        run_scan(request(plain_evidence, tmp_path / "case"))
    assert stopped.value.status == "interrupted" and stopped.value.exit_code == 130
    by_path = {os.path.basename(unescape_path(p["path"] or "")): p for p in seen_then}
    assert by_path["broken.mp4"]["severity"] == "error" and by_path["notes.txt"]["severity"] == "info"
    assert manifest(tmp_path / "case")["status"] == "interrupted"
    monkeypatch.setattr(stages, "analyse_segments", real)
    run_scan(request(plain_evidence, tmp_path / "case"))
    assert_whole(tmp_path / "case")


# -- signals ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def busy_evidence(tmp_path_factory) -> Path:
    """Clips with two people in every shot, one approaching the other (the scene changes: each segment goes through
    the whole features path and takes a while; a still picture would be done at once), so that a
    scan can be interrupted half way, with work left after its first findings part."""
    from forensic.synth.lavfi import Shot, make_clip, two_people_image

    root = tmp_path_factory.mktemp("busy")
    ev = root / "evidence"
    ev.mkdir()
    png = two_people_image(str(root))
    # six different files (copies would be scanned once), none so narrow that the faces are too small
    # for landmarks: the first findings part (the gate's rows) appears before any segment is analysed,
    # so a signal sent then leaves all of that work undone even on a loaded machine (with three files
    # the scan once finished before the signal arrived)
    for i in range(6):
        make_clip(
            str(ev / f"cam{i}.mp4"),
            [Shot("approach:" + png, 250 + 25 * i), Shot("testsrc2", 60 + 10 * i)],
            fps=25,
            size=(480 - 16 * (i % 3), 270),
        )
    return ev


@pytest.mark.parametrize(
    "sig, code, words", [(signal.SIGTERM, 143, "terminated (SIGTERM)"), (signal.SIGINT, 130, "interrupted (Ctrl-C)")]
)
def test_sigterm_and_ctrl_c_end_cleanly_and_resume(tmp_path, busy_evidence, model_dir, sig, code, words):
    case = tmp_path / "case"
    # the scan starts as from a terminal, with Ctrl-C's default disposition: a process started with
    # SIGINT ignored keeps it ignored (as a background job must), and a test run started in the
    # background (`cmd &` from a script, as CI runners do) has SIGINT and SIGQUIT ignored from its
    # start (POSIX: a non-interactive shell's asynchronous commands), which every child inherits
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "forensic", *scan_args(busy_evidence, case)],
            env=env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    finally:
        signal.signal(signal.SIGINT, inherited)
    start = time.monotonic()
    deadline = start + 600
    while not glob.glob(str(case / "findings" / "part-*.parquet")):
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert time.monotonic() < deadline
        time.sleep(0.2)
    sent_s = time.monotonic() - start
    parts_then = sorted(os.path.basename(p) for p in glob.glob(str(case / "findings" / "part-*.parquet")))
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == code, (
        f"signal at {sent_s:.1f} s with {parts_then}, ended at {time.monotonic() - start:.1f} s "
        f"(this process's SIGINT handler when the scan started: {inherited}); stdout {out[-300:]!r}"
    )
    assert b"Traceback" not in err and words.encode() in err
    assert last_line(out).startswith(MANIFEST_LINE)
    m = manifest(case)
    assert m["status"] == "interrupted" and m["sessions"][-1]["error"] == words and m["exit_code"] == code
    assert any(words in p["message"] for p in problems(case))
    done = pd.read_parquet(case / "findings.parquet")  # what was finished is in the table already
    assert len(done) > 0 and done["key"].is_unique
    r = cli(scan_args(busy_evidence, case))
    assert r.returncode == EXIT_OK, r.stderr[-3000:]
    findings = assert_whole(case)
    assert set(done["key"]) <= set(findings["key"])
    parts = sum(len(pd.read_parquet(p)) for p in glob.glob(str(case / "findings" / "part-*.parquet")))
    assert parts == len(findings), "segments finished before the signal were not done again"
    assert [s["status"] for s in manifest(case)["sessions"]] == ["interrupted", "complete"]


# -- resume -----------------------------------------------------------------------------------------------


def test_evidence_changed_between_sessions_is_said_and_not_mixed(tmp_path, model_dir, capsys):
    ev = tmp_path / "evidence"
    ev.mkdir()
    plain_clip(ev / "a.mp4", 4, "testsrc2")
    plain_clip(ev / "b.mp4", 3, "smptebars")
    case = tmp_path / "case"
    first = run_scan(request(ev, case))
    assert first.exit_code == EXIT_OK
    old = dict(zip(first.findings["path"], first.findings["sha256"]))
    plain_clip(ev / "a.mp4", 6, "rgbtestsrc")  # the file changes before the next session
    second = run_scan(request(ev, case))
    assert second.exit_code == EXIT_SOME_FAILED
    assert "CHANGED BETWEEN SESSIONS" in capsys.readouterr().err
    findings = assert_whole(case)
    a = str(ev / "a.mp4")
    assert old[a] not in set(findings["sha256"]), "the old content's findings are not mixed in"
    m = manifest(case)
    assert [c["path"] for c in m["evidence_changed_between_sessions"]] == [a]
    assert m["evidence_changed_between_sessions"][0]["sha256_before"] == old[a]
    crit = [p for p in problems(case) if p["severity"] == "critical"]
    assert crit and crit[0]["path"] == a and old[a] in crit[0]["message"]
    assert any("set aside" in p["message"] and p["sha256"] == old[a] for p in problems(case))
    rows = {r["path"]: r for r in csv.DictReader(open(case / "evidence.csv", newline="", encoding="utf-8"))}
    assert "CHANGED BETWEEN SESSIONS" in rows[a]["warnings"]


def test_two_scans_into_one_case_folder(tmp_path, plain_evidence, model_dir):
    from forensic.store.case import CaseFolder

    case = tmp_path / "case"
    assert cli(scan_args(plain_evidence, case)).returncode == EXIT_SOME_FAILED
    before = tree_hashes(case)
    m = manifest(case)
    held, _ = CaseFolder.open_for_scan(str(case), [str(plain_evidence)], m["identity"])  # a scan running
    try:
        r = cli(scan_args(plain_evidence, case))
    finally:
        held.close()
    assert r.returncode == 2 and b"in use by another forensic process" in r.stderr, r.stderr[-2000:]
    assert tree_hashes(case) == before, "the refused run wrote nothing"
    assert cli(scan_args(plain_evidence, case)).returncode == EXIT_SOME_FAILED
    assert len(manifest(case)["sessions"]) == 2
    assert_whole(case)


# -- disk full --------------------------------------------------------------------------------------------


@pytest.fixture
def small_fs(tmp_path):
    """A real 8 MiB file system (tmpfs), mounted for the test (root only)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; the disk-full test runs in CI as root")
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_disk_full_says_why_and_resumes(small_fs, plain_evidence, model_dir, monkeypatch, capsys):
    """The file system fills up for real once the first segment's finding is stored (by the
    presence gate or a segment worker; a file takes every free block), so the scan's next writes
    and its error path all meet ENOSPC."""
    import forensic._cli as cli_main
    from forensic.store.findings import FindingsWriter

    filler = small_fs / "filler"
    real = FindingsWriter.add

    def store_then_fill(*a, **k):
        real(*a, **k)
        if not filler.exists():
            with open(filler, "wb") as f:
                try:
                    while True:
                        f.write(b"\0" * 65536)
                        f.flush()
                except OSError:
                    pass

    monkeypatch.setattr(FindingsWriter, "add", store_then_fill)
    case = small_fs / "case"
    rc = cli_main.main(scan_args(plain_evidence, case))
    out, err = capsys.readouterr()
    assert filler.exists(), "the disk was filled"
    assert rc == EXIT_FAILED, err[-3000:]
    assert "No space left on device" in err and "Traceback" not in err, err[-3000:]
    assert "usage" not in err and "nothing written" not in err
    monkeypatch.undo()
    filler.unlink()  # the examiner frees space
    assert cli_main.main(scan_args(plain_evidence, case)) == EXIT_SOME_FAILED  # broken.mp4: exit 3
    m = manifest(case)
    assert m["status"] == "complete" and m["sessions"][0]["status"] in ("failed", "running")
    said = [p["message"] for p in problems(case)]
    assert any("No space left on device" in t or "ended without recording" in t for t in said), said
    assert_whole(case)


# -- tampering --------------------------------------------------------------------------------------------


def test_a_consistent_manifest_rewrite_is_caught_by_the_manifest_sha256(tmp_path, plain_evidence, model_dir):
    case = tmp_path / "case"
    r = cli(scan_args(plain_evidence, case))
    assert r.returncode == EXIT_SOME_FAILED
    anchor = last_line(r.stdout)[len(MANIFEST_LINE) :].decode()
    assert anchor == hashlib.sha256((case / "manifest.json").read_bytes()).hexdigest()
    assert cli(["verify", str(case), "--manifest-sha256", anchor, "-q"]).returncode == 0
    # a forger edits findings.csv and records its new hash: the manifest stays consistent
    text = (case / "findings.csv").read_text(encoding="utf-8")
    text = text.replace("insufficient_subjects,,", "insufficient_subjects,reviewed and cleared,", 1)
    (case / "findings.csv").write_text(text, encoding="utf-8")
    m = manifest(case)
    m["outputs_sha256"]["findings.csv"] = hashlib.sha256(text.encode()).hexdigest()
    (case / "manifest.json").write_text(json.dumps(m, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert cli(["verify", str(case), "-q"]).returncode == 0, "consistent: only the anchor can tell"
    v = cli(["verify", str(case), "--manifest-sha256", anchor, "-q"])
    assert v.returncode == 3 and b"manifest.json" in v.stdout
    # a careless one changes a count: the manifest disagrees with its tables
    m["summary"]["inputs"] += 1
    (case / "manifest.json").write_text(json.dumps(m, indent=2) + "\n", encoding="utf-8")
    v = cli(["verify", str(case), "-q"])
    assert v.returncode == 3 and b"INCONSISTENT" in v.stdout and b"summary.inputs" in v.stdout


# -- forensic practice --------------------------------------------------------------------------------------


def test_hash_list_mismatch_and_access_times(tmp_path, plain_evidence, model_dir, capsys):
    ev = tmp_path / "evidence"
    shutil.copytree(plain_evidence, ev)
    a = ev / "a.mp4"
    good = hashlib.md5(a.read_bytes()).hexdigest()
    st = os.stat(a)
    old_atime = st.st_mtime_ns - 7200 * 10**9  # older than mtime: reading it updates it (relatime)
    os.utime(a, ns=(old_atime, st.st_mtime_ns))
    bad = hashlib.sha256(b"what was seized").hexdigest()
    (tmp_path / "acquisition.md5").write_text(f"{good}  evidence/a.mp4\n{bad}  evidence/b.mkv\n")
    out = run_scan(request(ev, tmp_path / "case", hash_list=str(tmp_path / "acquisition.md5")))
    assert out.exit_code == EXIT_SOME_FAILED
    assert "DOES NOT MATCH THE ACQUISITION HASH LIST" in capsys.readouterr().err
    rows = {
        os.path.basename(r["path"]): r
        for r in csv.DictReader(open(tmp_path / "case" / "evidence.csv", newline="", encoding="utf-8"))
    }
    assert rows["a.mp4"]["hash_list"] == "match (md5)" and rows["b.mkv"]["hash_list"].startswith("MISMATCH")
    assert rows["c.mov"]["hash_list"] == "not listed"
    assert rows["a.mp4"]["md5"] == good and len(rows["a.mp4"]["sha1"]) == 40
    m = manifest(tmp_path / "case")
    assert m["hash_list"]["ok"] is False and len(m["hash_list"]["mismatched"]) == 1
    said = problems(tmp_path / "case")
    assert any(p["severity"] == "critical" and "ACQUISITION HASH LIST" in p["message"] for p in said)
    # access time: put back, or the change recorded
    assert rows["a.mp4"]["atime"] in ("unchanged",) or rows["a.mp4"]["atime"].startswith(("restored", "changed"))
    if rows["a.mp4"]["atime"].startswith("restored") or rows["a.mp4"]["atime"] == "unchanged":
        assert os.stat(a).st_atime_ns == old_atime


# -- no footage -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("contents", ["empty", "documents"])
def test_inputs_without_footage_are_a_problem_not_a_clean_scan(tmp_path, model_dir, contents):
    """The wrong folder (or an empty one) is not "every footage file analysed": exit 3, recorded."""
    ev = tmp_path / "evidence"
    ev.mkdir()
    if contents == "documents":
        (ev / "notes.txt").write_text("case notes\n")
        (ev / "statement.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    case = tmp_path / "case"
    r = cli(scan_args(ev, case))
    assert r.returncode == EXIT_SOME_FAILED, r.stderr[-2000:]
    assert b"no footage to analyse" in r.stderr, r.stderr[-2000:]
    said = [p for p in problems(case) if "no footage to analyse" in p["message"]]
    assert len(said) == 1 and said[0]["severity"] == "error", problems(case)
    assert manifest(case)["status"] == "complete"


def test_a_scan_with_footage_never_says_there_is_none(tmp_path, model_dir):
    """The no-footage check runs after intake, while the footage is still pending: it must count it."""
    ev = tmp_path / "evidence"
    ev.mkdir()
    plain_clip(ev / "a.mp4", 3, "testsrc2")
    (ev / "notes.txt").write_text("case notes\n")
    case = tmp_path / "case"
    r = cli(scan_args(ev, case))
    assert r.returncode == EXIT_OK, r.stderr[-2000:]
    assert b"no footage" not in r.stderr
    assert not [p for p in problems(case) if "no footage" in p["message"]], problems(case)


def test_case_facts_given_on_resume_are_recorded_not_dropped(tmp_path, model_dir):
    """--case-id, --examiner, --agency given when a scan resumes were silently dropped."""
    ev = tmp_path / "evidence"
    ev.mkdir()
    plain_clip(ev / "a.mp4", 3, "testsrc2")
    case = tmp_path / "case"
    assert cli(scan_args(ev, case)).returncode == EXIT_OK
    assert manifest(case)["case_id"] is None
    r = cli(scan_args(ev, case, "--case-id", "C-17", "--examiner", "A. Examiner"))
    assert r.returncode == EXIT_OK, r.stderr[-2000:]
    m = manifest(case)
    assert (m["case_id"], m["examiner"], m["agency"]) == ("C-17", "A. Examiner", None)
    assert any("--case-id 'C-17' recorded when the scan resumed" in p["message"] for p in problems(case))
    assert cli(scan_args(ev, case, "--examiner", "B. Other")).returncode == EXIT_OK
    m = manifest(case)
    assert m["examiner"] == "A. Examiner" and m["sessions"][-1]["examiner"] == "B. Other"
    said = [p for p in problems(case) if "--examiner 'B. Other' given when the scan resumed" in p["message"]]
    assert len(said) == 1 and said[0]["severity"] == "warning"
    assert_whole(case)


def test_a_resumed_scan_removes_what_cut_short_writes_left(tmp_path, model_dir):
    """kill -9 or a power cut in the middle of an atomic write leaves a ``.tmp-*`` file that no
    record lists, and verify refuses such a folder: the next scan (it holds the lock, it is the
    only writer) removes them and says so, and the case folder verifies again."""
    ev = tmp_path / "evidence"
    ev.mkdir()
    plain_clip(ev / "a.mp4", 3, "testsrc2")
    case = tmp_path / "case"
    assert cli(scan_args(ev, case)).returncode == EXIT_OK
    (case / ".tmp-abc123").write_bytes(b"half a manifest")
    (case / "findings" / ".tmp-part").write_bytes(b"half a part")
    (case / ".tmp-old-xyz").mkdir()
    (case / ".tmp-old-xyz" / "evidence.csv").write_bytes(b"old")
    assert cli(["verify", str(case), "-q"]).returncode == EXIT_SOME_FAILED  # leftovers are in no record
    r = cli(scan_args(ev, case))
    assert r.returncode == EXIT_OK, r.stderr[-2000:]
    assert not list(case.rglob(".tmp-*"))
    said = [p for p in problems(case) if "temporary file(s) that writes cut short" in p["message"]]
    assert len(said) == 1 and said[0]["severity"] == "warning", said
    assert all(name in said[0]["message"] for name in (".tmp-abc123", "findings/.tmp-part", ".tmp-old-xyz"))
    v = cli(["verify", str(case), "-q"])
    assert v.returncode == EXIT_OK, v.stdout[-2000:] + v.stderr[-2000:]
    assert_whole(case)
