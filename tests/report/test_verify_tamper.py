"""A tamper sweep of `forensic verify`, as an examiner defending a case would try it.

One real case folder (a short generated clip of two faces, scanned with `forensic scan --engine
local --no-gate` and the default model: features, keyframes, stills, findings, co-appearance
tables, the report with its PDF), then, for every kind of file in it, on a private copy: one byte
changed, a byte that is not UTF-8, cut short, emptied, deleted, replaced with a folder or a named
pipe, renamed, a file added beside it (and a temporary-looking one), replaced with a symbolic link
to an identical copy outside the case folder and inside it, made unreadable; and the evidence
itself changed, cut, deleted, replaced with a folder, a pipe, a device, a link. Each must end with
a verdict naming the file and exit 3 (README, "Faults and what the case folder shows"), never 0,
never a usage error or a traceback, never a hang.

As root, ``chmod 000`` does not make a file unreadable: root reads it and its content still
matches (exit 0, which is right: permissions are no part of any record). The unreadable cases are
verified by an unprivileged user instead (``nobody``), which is why the case lives in a folder
anyone may enter.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from forensic._cli import main
from forensic.report.verify import Mismatch, verify_case
from tests.conftest import REPO

MODEL = REPO / "models" / "default"
MANIFEST_LINE = "manifest sha256: "
NOBODY = 65534


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TF_USE_LEGACY_KERAS", "1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


@dataclass
class Scanned:
    root: Path  # a folder anyone may enter (see the module's docstring)
    case: Path  # the pristine case folder: copy before changing anything
    clip: Path  # the evidence file the case records
    clip_bytes: bytes
    anchor: str  # the manifest's SHA-256 as the scan printed it
    files: dict[str, str]  # label -> path relative to the case folder


@pytest.fixture(scope="module")
def scanned() -> Iterator[Scanned]:
    from forensic.synth.lavfi import Shot, make_clip, two_people_image

    if not (MODEL / "model_card.json").is_file():
        pytest.skip(f"the default model is missing from {MODEL}")
    root = Path(tempfile.mkdtemp(prefix="forensic-tamper-"))
    try:
        root.chmod(0o755)
        evidence = root / "evidence"
        evidence.mkdir(mode=0o755)
        clip = evidence / "two.mp4"
        pair = two_people_image(str(root / "faces"))
        make_clip(str(clip), [Shot(f"still:{pair}", 30)], fps=10, size=(640, 360))
        clip.chmod(0o644)
        case = root / "case"
        args = ["scan", str(evidence), "--out", str(case), "--model", str(MODEL), "--engine", "local"]
        r = subprocess.run(
            [sys.executable, "-m", "forensic", *args, "--no-gate", "-q"],
            env=_env(),
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert r.returncode == 0, r.stderr[-3000:]
        last = r.stdout.strip().splitlines()[-1]
        assert last.startswith(MANIFEST_LINE), r.stdout
        anchor = last[len(MANIFEST_LINE) :]
        feature = next((case / "features").iterdir())
        segment = next(feature.iterdir())

        def rel(p: Path) -> str:
            return p.relative_to(case).as_posix()

        files = {
            "manifest": "manifest.json",
            "evidence.csv": "evidence.csv",
            "segments.csv": "segments.csv",
            "segments json": rel(next(p for p in (case / "segments").iterdir() if p.name.endswith(".json"))),
            "findings.parquet": "findings.parquet",
            "findings.csv": "findings.csv",
            "findings part": rel(next((case / "findings").iterdir())),
            "problems.jsonl": "problems.jsonl",
            "timeline": rel(next((case / "timelines").iterdir())),
            "keyframe png": rel(next((segment / "keyframes").iterdir())),
            "still png": rel(next((segment / "stills").iterdir())),
            "features.csv": rel(segment / "features.csv"),
            "features_long.csv": rel(segment / "features_long.csv"),
            "features.json": rel(segment / "features.json"),
            "frames128.npy": rel(segment / "frames128.npy"),
            "coappearance.csv": "coappearance.csv",
            "identities.csv": "identities.csv",
            "identity_sightings.csv": "identity_sightings.csv",
            "report.html": "report/report.html",
            "report.pdf": "report/report.pdf",
            "all_segments.csv": "report/all_segments.csv",
            "report.sha256": "report/report.sha256",
        }
        scanned = Scanned(root, case, clip, clip.read_bytes(), anchor, files)
        res = verify_case(str(case), manifest_sha256=anchor)
        assert res.ok, [str(m) for m in res.mismatches]
        assert res.evidence_checked == 1 and res.files_checked > 20
        yield scanned
    finally:
        for dirpath, dirs, _files in os.walk(root):  # folders a case made unreadable
            for d in dirs:
                p = os.path.join(dirpath, d)
                if not os.path.islink(p):
                    os.chmod(p, 0o755)
        shutil.rmtree(root, ignore_errors=True)


# -- tampering ------------------------------------------------------------------------------------------


def _flip(p: Path) -> None:
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0x01
    p.write_bytes(bytes(data))


def _not_utf8(p: Path) -> None:
    data = bytearray(p.read_bytes())
    mid = len(data) // 2
    data[mid] = 0xFE if data[mid] == 0xFF else 0xFF  # never a UTF-8 byte, and never the one already there
    p.write_bytes(bytes(data))


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _to_folder(p: Path) -> None:
    p.unlink()
    p.mkdir()


def _to_pipe(p: Path) -> None:
    p.unlink()
    os.mkfifo(p)


def _link_outside(case: Path, p: Path) -> None:
    copy = case.parent / ("outside-" + p.name)
    shutil.copyfile(p, copy)
    p.unlink()
    p.symlink_to(copy)


def _link_inside(case: Path, p: Path) -> None:
    copy = p.with_name(".copy-" + p.name)
    shutil.copyfile(p, copy)
    p.unlink()
    p.symlink_to(copy.name)


def _plain(change: Callable[[Path], object]) -> Callable[[Path, Path], None]:
    def run(_case: Path, p: Path) -> None:
        change(p)

    return run


# name -> (change(case, file), the verdicts that may name the file, the path the verdict names:
# None for the file itself, else a name beside it)
TAMPERS: dict[str, tuple[Callable[[Path, Path], None], set[str], str | None]] = {
    "one byte": (_plain(_flip), {"changed"}, None),
    "not UTF-8": (_plain(_not_utf8), {"changed"}, None),
    "cut short": (_plain(_truncate), {"changed"}, None),
    "emptied": (_plain(lambda p: p.write_bytes(b"")), {"changed"}, None),
    "deleted": (_plain(lambda p: p.unlink()), {"missing"}, None),
    "renamed": (_plain(lambda p: p.rename(p.with_name(p.name + ".old"))), {"missing"}, None),
    "a folder": (_plain(_to_folder), {"replaced"}, None),
    "a folder with a file": (_plain(lambda p: (_to_folder(p), (p / "x").write_text("x"))), {"replaced"}, None),
    "a named pipe": (_plain(_to_pipe), {"replaced"}, None),
    "a link to a copy outside": (_link_outside, {"replaced"}, None),
    "a link to a copy inside": (_link_inside, {"replaced"}, None),
    "a file beside it": (_plain(lambda p: p.with_name("added.txt").write_text("added\n")), {"unrecorded"}, "added.txt"),
    "a temporary file beside it": (
        _plain(lambda p: p.with_name(".tmp-added").write_text("x")),
        {"unrecorded"},
        ".tmp-added",
    ),
    "unreadable": (_plain(lambda p: p.chmod(0)), {"unreadable"}, None),
}
# the manifest is checked against the anchor: a change that leaves it JSON is "changed", one that does
# not is "unreadable"; a change to the sidecar can also show as the entries that disagree, or a line
# that is no entry
CHANGED_MANIFEST = {"changed", "unreadable"}
CHANGED_SIDECAR = {"changed", "disagree", "unreadable"}


LABELS = [
    "manifest",
    "evidence.csv",
    "segments.csv",
    "segments json",
    "findings.parquet",
    "findings.csv",
    "findings part",
    "problems.jsonl",
    "timeline",
    "keyframe png",
    "still png",
    "features.csv",
    "features_long.csv",
    "features.json",
    "frames128.npy",
    "coappearance.csv",
    "identities.csv",
    "identity_sightings.csv",
    "report.html",
    "report.pdf",
    "all_segments.csv",
    "report.sha256",
]


class Hang(Exception):
    pass


def _verify(case: Path, anchor: str | None) -> tuple[list[Mismatch], int, str]:
    """verify_case and the CLI on ``case``; a hang (a pipe read) fails the test instead of the run."""

    def alarm(_sig, _frame):
        raise Hang(f"verify did not return within 60 s on {case}")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(60)
    try:
        res = verify_case(str(case), manifest_sha256=anchor)
        args = ["verify", "-q", str(case)] + (["--manifest-sha256", anchor] if anchor else [])
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    text = out.getvalue() + err.getvalue()
    return res.mismatches, rc, text


def _names(m: Mismatch, rel: str) -> bool:
    """Whether the verdict is about ``rel``: its path, a path below it (a folder in its place), or a
    report file whose record in ``rel`` (the sidecar) disagrees."""
    return m.path == rel or m.path.startswith(rel + "/") or rel in m.detail


def _assert_caught(mismatches: list[Mismatch], rc: int, text: str, rel: str, kinds: set[str]) -> None:
    said = [str(m) for m in mismatches]
    assert "Traceback" not in text, text
    assert rc == 3, f"exit {rc}, not 3: {text}"
    assert mismatches, "verify found nothing"
    about = [m for m in mismatches if _names(m, rel)]
    assert about, f"no verdict names {rel!r}: {said}"
    assert any(m.kind in kinds for m in about), f"{rel!r}: wanted one of {sorted(kinds)}, got {said}"
    for m in about:
        assert f"{m.kind.upper()}: {m.what} " in text, text  # the CLI prints each verdict, one line each


def _copy(scanned: Scanned, tmp: Path) -> Path:
    case = tmp / "case"
    shutil.copytree(scanned.case, case, symlinks=True)
    return case


def _as_nobody(case: Path, anchor: str) -> tuple[int, str]:
    """``forensic verify`` as an unprivileged user (root reads a chmod 000 file), through util-linux's
    ``setpriv`` (Python's own ``user=`` cannot start this interpreter, which lies under /root)."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("as root, an unreadable file needs another user to verify it: setpriv is missing")
    r = subprocess.run(
        [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", sys.executable, "-m", "forensic"]
        + ["verify", "-q", str(case), "--manifest-sha256", anchor],
        env={**_env(), "HOME": str(case.parent)},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=str(case.parent),
    )
    return r.returncode, r.stdout + r.stderr


@pytest.mark.parametrize("tamper", list(TAMPERS))
@pytest.mark.parametrize("label", LABELS)
def test_every_case_file_tampered_is_caught(scanned, tmp_path, label, tamper):
    rel = scanned.files[label]
    if not (scanned.case / rel).is_file():
        pytest.skip(f"this scan wrote no {rel}")
    change, kinds, beside = TAMPERS[tamper]
    if kinds == {"changed"}:
        kinds = {"manifest": CHANGED_MANIFEST, "report.sha256": CHANGED_SIDECAR}.get(label, kinds)
    as_root = tamper == "unreadable" and os.geteuid() == 0
    if as_root:  # verified by nobody below: a folder anyone may enter
        root = Path(tempfile.mkdtemp(dir=scanned.root))
        root.chmod(0o755)
    else:
        root = tmp_path
    case = _copy(scanned, root)
    target = case / rel
    said = (Path(rel).parent / beside).as_posix() if beside else rel
    change(case, target)
    try:
        if as_root:
            assert _verify(case, scanned.anchor)[:2] == ([], 0), "root reads it: its content still matches"
            rc, text = _as_nobody(case, scanned.anchor)
            assert rc == 3 and "Traceback" not in text, text
            what = "report file" if rel.startswith("report/") else "case file"
            assert f"UNREADABLE: {what} {rel!r}" in text, text
            return
        mismatches, rc, text = _verify(case, scanned.anchor)
        _assert_caught(mismatches, rc, text, said, kinds)
        if tamper == "renamed" and label != "manifest":  # (without its manifest nothing else is checked)
            assert ("unrecorded", rel + ".old") in {(m.kind, m.path) for m in mismatches}, text
        if label != "manifest":  # the same without the examiner's anchor
            _assert_caught(*_verify(case, None), said, kinds)
    finally:
        if tamper == "unreadable":
            target.chmod(0o644)


# -- the evidence ---------------------------------------------------------------------------------------


def _ev_link_to_copy(p: Path) -> None:
    copy = p.with_name("copy-" + p.name)
    shutil.copyfile(p, copy)
    p.unlink()
    p.symlink_to(copy)


EVIDENCE_TAMPERS: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # name -> (change, kind, words in the verdict)
    "one byte": (_flip, "changed", "SHA-256 differs"),
    "cut short": (_truncate, "changed", "SHA-256 differs"),
    "deleted": (lambda p: p.unlink(), "missing", ""),
    "a folder": (_to_folder, "replaced", "a folder"),
    "a named pipe": (_to_pipe, "replaced", "named pipe"),
    "a link to a device": (lambda p: (p.unlink(), p.symlink_to("/dev/zero")), "replaced", "character device"),
    "a link to an identical copy": (_ev_link_to_copy, "replaced", "the content matches"),
    "a dangling link": (lambda p: (p.unlink(), p.symlink_to(p.with_name("gone.mp4"))), "missing", "leads nowhere"),
    "unreadable": (lambda p: p.chmod(0), "unreadable", ""),
}


@pytest.fixture()
def evidence(scanned) -> Iterator[Path]:
    """The scanned clip, put back exactly as it was after the test changed it."""
    yield scanned.clip
    clip = scanned.clip
    if clip.is_symlink() or clip.exists():
        if clip.is_dir() and not clip.is_symlink():
            shutil.rmtree(clip)
        else:
            clip.unlink()
    for extra in clip.parent.iterdir():
        extra.unlink()
    clip.write_bytes(scanned.clip_bytes)
    clip.chmod(0o644)
    assert hashlib.sha256(clip.read_bytes()).hexdigest() == hashlib.sha256(scanned.clip_bytes).hexdigest()


@pytest.mark.parametrize("tamper", list(EVIDENCE_TAMPERS))
def test_every_evidence_tamper_is_caught(scanned, evidence, tamper):
    change, kind, words = EVIDENCE_TAMPERS[tamper]
    change(evidence)
    if tamper == "unreadable" and os.geteuid() == 0:
        assert _verify(scanned.case, scanned.anchor)[0] == []  # root reads it: the content matches
        rc, text = _as_nobody(scanned.case, scanned.anchor)
        assert rc == 3 and "Traceback" not in text, text
        assert f"UNREADABLE: evidence {str(evidence)!r}" in text, text
        return
    mismatches, rc, text = _verify(scanned.case, scanned.anchor)
    assert "Traceback" not in text and rc == 3, text
    assert [(m.kind, m.what, m.path) for m in mismatches] == [(kind, "evidence", str(evidence))], text
    assert words in mismatches[0].detail, text


# -- the case folder as a whole ---------------------------------------------------------------------------


def _manifest_edit(edit: Callable[[dict], None]) -> Callable[[Path], None]:
    def change(case: Path) -> None:
        m = json.loads((case / "manifest.json").read_text(encoding="utf-8"))
        edit(m)
        (case / "manifest.json").write_text(json.dumps(m, indent=2), encoding="utf-8")

    return change


def _link_folder_outside(name: str) -> Callable[[Path], None]:
    def change(case: Path) -> None:
        away = case.parent / ("outside-" + name)
        shutil.move(case / name, away)
        (case / name).symlink_to(away)

    return change


WHOLE: dict[str, tuple[Callable[[Path], None], str, str, bool]] = {
    # name -> (change, kind, path, with the anchor)
    "a file at the top": (lambda c: (c / "notes.txt").write_text("x"), "unrecorded", "notes.txt", True),
    "a hidden file at the top": (lambda c: (c / ".hidden").write_text("x"), "unrecorded", ".hidden", True),
    "a temporary file at the top": (lambda c: (c / ".tmp-abc").write_text("x"), "unrecorded", ".tmp-abc", True),
    "a link to a folder outside": (lambda c: (c / "more").symlink_to("/etc"), "unrecorded", "more", True),
    "a dangling link": (lambda c: (c / "gone").symlink_to("/nonexistent"), "unrecorded", "gone", True),
    "a named pipe": (lambda c: os.mkfifo(c / "pipe"), "unrecorded", "pipe", True),
    "findings.parquet a link to its identical part": (
        lambda c: (
            (c / "findings.parquet").unlink(),
            (c / "findings.parquet").symlink_to(next((c / "findings").iterdir()).relative_to(c)),
        ),
        "replaced",
        "findings.parquet",
        True,
    ),
    "the report folder a link outside": (_link_folder_outside("report"), "replaced", "report/report.html", True),
    "the features folder a link outside": (_link_folder_outside("features"), "replaced", "features/", True),
    "the report folder deleted": (lambda c: shutil.rmtree(c / "report"), "missing", "report/report.html", True),
    "a blank line added to report.sha256": (
        lambda c: (c / "report/report.sha256").write_text((c / "report/report.sha256").read_text() + "\n"),
        "changed",
        "report/report.sha256",
        True,
    ),
    "report.sha256 in binary mode": (
        lambda c: (c / "report/report.sha256").write_text((c / "report/report.sha256").read_text().replace("  ", " *")),
        "changed",
        "report/report.sha256",
        True,
    ),
    "the report record dropped from the manifest": (
        _manifest_edit(lambda m: m.pop("reports")),
        "disagree",
        "report/report.html",
        False,
    ),
    "hash_list not an object": (
        _manifest_edit(lambda m: m.__setitem__("hash_list", "ok")),
        "inconsistent",
        "manifest.json",
        False,
    ),
    "a recorded name with a NUL byte": (
        _manifest_edit(lambda m: m["outputs_sha256"].__setitem__("evidence.csv\x00", "0" * 64)),
        "outside",
        "evidence.csv\x00",
        False,
    ),
    "a manifest rewritten consistently": (
        _manifest_edit(lambda m: m.__setitem__("examiner", "someone else")),
        "changed",
        "manifest.json",
        True,
    ),
}


@pytest.mark.parametrize("name", list(WHOLE))
def test_whole_case_folder_tampers_are_caught(scanned, tmp_path, name):
    change, kind, path, anchored = WHOLE[name]
    case = _copy(scanned, tmp_path)
    change(case)
    mismatches, rc, text = _verify(case, scanned.anchor if anchored else None)
    assert "Traceback" not in text and rc == 3, text
    got = {(m.kind, m.path) for m in mismatches}
    assert any(k == kind and (p == path or p.startswith(path)) for k, p in got), (name, sorted(got))


def test_an_empty_folder_added_is_no_file_and_no_mismatch(scanned, tmp_path):
    """What verify promises is about files: an empty folder holds none, and a case folder may hold
    empty ones (timelines/ of a scan with no footage)."""
    case = _copy(scanned, tmp_path)
    (case / "features" / "empty").mkdir()
    assert _verify(case, scanned.anchor)[:2] == ([], 0)
