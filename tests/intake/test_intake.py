"""forensic.intake: hash_item / probe_item outcomes, duplicates, copy_outcome, rehash."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from datetime import datetime

import pytest

from forensic.intake import copy_outcome, hash_item, mark_duplicates, probe_item, rehash
from forensic.intake.probe import ProbeInfo
from forensic.records import EvidenceItem, EvidenceStatus
from forensic.synth.lavfi import Shot, make_clip


def _ok(*args: str) -> None:
    proc = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("intake_src")
    out = {}
    # no +faststart: the moov atom is written at the end of the file
    out["clip"] = make_clip(str(d / "clip.mp4"), [Shot("testsrc2", 25), Shot("color=c=red", 15)], fps=25)
    out["png"] = str(d / "still.png")
    _ok("-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1", out["png"])
    out["wav"] = str(d / "tone.wav")
    _ok("-f", "lavfi", "-i", "sine=duration=1", out["wav"])
    return out


def _run(path: str) -> tuple[EvidenceItem, ProbeInfo | None]:
    item = EvidenceItem(path=str(path))
    info = probe_item(item) if hash_item(item) else None
    return item, info


def _write(path, data: bytes) -> str:
    with open(path, "wb") as f:
        f.write(data)
    return str(path)


TEXT = b"Interview notes.\nNothing to see here.\n" * 10


def test_empty_mp4_fails(tmp_path):
    p = _write(tmp_path / "empty.mp4", b"")
    item = EvidenceItem(path=p)
    assert hash_item(item) is False
    assert item.status == EvidenceStatus.FAILED
    assert item.claims_video is True
    assert "empty" in item.reason
    assert "video file extension" in item.reason
    assert item.size_bytes == 0
    assert item.sha256 == hashlib.sha256(b"").hexdigest()


def test_empty_txt_skipped(tmp_path):
    p = _write(tmp_path / "empty.txt", b"")
    item = EvidenceItem(path=p)
    assert hash_item(item) is False
    assert item.status == EvidenceStatus.SKIPPED
    assert item.claims_video is False
    assert "empty" in item.reason
    assert item.sha256 == hashlib.sha256(b"").hexdigest()


def test_text_file_skipped(tmp_path):
    item, info = _run(_write(tmp_path / "notes.txt", TEXT))
    assert info is None
    assert item.status == EvidenceStatus.SKIPPED
    assert item.claims_video is False
    assert "not readable as video" in item.reason
    assert "claims to be video" not in item.reason
    assert item.sha256 == hashlib.sha256(TEXT).hexdigest()
    assert item.size_bytes == len(TEXT)


def test_text_named_mp4_fails(tmp_path):
    item, info = _run(_write(tmp_path / "fake.mp4", TEXT))
    assert info is None
    assert item.status == EvidenceStatus.FAILED
    assert item.claims_video is True
    assert item.signature is None
    assert "not readable as video" in item.reason
    assert "video file extension" in item.reason


def test_truncated_mp4_fails(media, tmp_path):
    with open(media["clip"], "rb") as f:
        data = f.read()
    head = data[:300]
    assert b"moov" not in head  # made without +faststart: the index is at the end
    item, info = _run(_write(tmp_path / "truncated.mp4", head))
    assert info is None
    assert item.status == EvidenceStatus.FAILED
    assert item.claims_video is True
    assert item.signature == "isobmff"
    assert "not readable as video" in item.reason
    assert "container signature isobmff" in item.reason


def test_truncated_mp4_renamed_still_fails_by_signature(media, tmp_path):
    with open(media["clip"], "rb") as f:
        head = f.read(300)
    item, _ = _run(_write(tmp_path / "recovered.bin", head))
    assert item.status == EvidenceStatus.FAILED
    assert item.signature == "isobmff"


def test_png_skipped_as_still_image(media, tmp_path):
    p = shutil.copyfile(media["png"], tmp_path / "photo.png")
    item, info = _run(str(p))
    assert info is None
    assert item.status == EvidenceStatus.SKIPPED
    assert "still image" in item.reason
    assert item.codec is None  # not footage: no video fields filled


def test_wav_skipped_no_video_stream(media, tmp_path):
    p = shutil.copyfile(media["wav"], tmp_path / "tone.wav")
    item, info = _run(str(p))
    assert info is None
    assert item.status == EvidenceStatus.SKIPPED
    assert "no video stream" in item.reason
    assert "audio only" in item.reason
    assert item.video_streams == 0
    assert item.audio_streams == 1


def test_good_clip_stays_pending(media):
    item, info = _run(media["clip"])
    assert isinstance(info, ProbeInfo)
    assert item.status == EvidenceStatus.PENDING
    assert item.reason == ""
    assert item.codec == "h264"
    assert (item.width, item.height) == (320, 240)
    assert item.nominal_fps == pytest.approx(25.0)
    assert item.avg_fps == pytest.approx(25.0)
    assert item.rotation == 0
    assert item.video_streams == 1
    assert item.audio_streams == 0
    assert item.frame_count_container == 40
    assert item.duration_container_s == pytest.approx(1.6, abs=0.05)
    assert item.time_base is not None and "/" in item.time_base
    num, den = item.time_base.split("/")
    assert int(num) > 0 and int(den) > 0
    assert item.claims_video is True and item.signature == "isobmff"
    with open(media["clip"], "rb") as f:
        data = f.read()
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert item.size_bytes == len(data)
    assert item.mtime_utc.endswith("Z")
    mtime = datetime.fromisoformat(item.mtime_utc.replace("Z", "+00:00")).timestamp()
    assert mtime == pytest.approx(os.stat(media["clip"]).st_mtime, abs=1e-5)


def test_not_pending_items_untouched(tmp_path):
    p = _write(tmp_path / "x.mp4", b"abc")
    item = EvidenceItem(path=p, status=EvidenceStatus.SKIPPED, reason="given")
    assert hash_item(item) is False
    assert item.sha256 is None and item.reason == "given"
    assert probe_item(item) is None
    assert item.status == EvidenceStatus.SKIPPED and item.reason == "given"


def test_mark_duplicates(media, tmp_path):
    a = shutil.copyfile(media["clip"], tmp_path / "a.mp4")
    b = shutil.copyfile(media["clip"], tmp_path / "b_copy.mp4")
    c = _write(tmp_path / "c.txt", TEXT)
    d = shutil.copyfile(media["clip"], tmp_path / "d_copy.mp4")
    items = [EvidenceItem(path=str(p)) for p in (a, b, c, d)]
    for it in items:
        assert hash_item(it)
    unhashed = EvidenceItem(path=str(tmp_path / "never.mp4"))
    groups = mark_duplicates(items + [unhashed])
    ia, ib, ic, id_ = items
    assert ia.duplicate_of is None
    assert ib.duplicate_of == ia.path
    assert id_.duplicate_of == ia.path
    assert ic.duplicate_of is None
    assert unhashed.duplicate_of is None
    assert set(groups) == {ia.sha256, ic.sha256}
    assert groups[ia.sha256] == [ia, ib, id_]
    assert groups[ic.sha256] == [ic]


def test_copy_outcome(tmp_path):
    source = EvidenceItem(
        path="/ev/a.mp4",
        status=EvidenceStatus.ANALYSED,
        reason="",
        sha256="ab" * 32,
        codec="h264",
        width=320,
        height=240,
        rotation=90,
        nominal_fps=25.0,
        frame_count=40,
        duration_s=1.6,
        segment_count=3,
        decode_errors=2,
        claims_video=True,
        signature="isobmff",
        creation_time_utc="2024-05-01T12:34:56.000000Z",
    )
    dup = EvidenceItem(path="/ev/copy/a.mp4", sha256="ab" * 32, size_bytes=123, mtime_utc="2020-01-01T00:00:00.000000Z")
    copy_outcome(source, dup)
    assert dup.status == EvidenceStatus.ANALYSED
    assert (dup.codec, dup.width, dup.height, dup.rotation) == ("h264", 320, 240, 90)
    assert dup.nominal_fps == 25.0 and dup.frame_count == 40 and dup.duration_s == 1.6
    assert dup.segment_count == 3 and dup.decode_errors == 2
    assert dup.claims_video is True and dup.signature == "isobmff"
    assert dup.creation_time_utc == "2024-05-01T12:34:56.000000Z"
    assert dup.duplicate_of == "/ev/a.mp4"
    assert "/ev/a.mp4" in dup.reason
    # its own file-system facts stay its own
    assert dup.path == "/ev/copy/a.mp4"
    assert dup.size_bytes == 123
    assert dup.mtime_utc == "2020-01-01T00:00:00.000000Z"


def test_copy_outcome_keeps_source_reason():
    source = EvidenceItem(path="/ev/a.mp4", status=EvidenceStatus.PARTIAL, reason="decoding stopped at frame 10")
    dup = EvidenceItem(path="/ev/b.mp4")
    copy_outcome(source, dup)
    assert dup.status == EvidenceStatus.PARTIAL
    assert dup.reason.startswith("decoding stopped at frame 10")
    assert "/ev/a.mp4" in dup.reason


def test_rehash_unchanged_and_changed(media, tmp_path):
    p = shutil.copyfile(media["clip"], tmp_path / "clip.mp4")
    item = EvidenceItem(path=str(p))
    assert hash_item(item)
    assert rehash(item) is True
    assert item.hash_verified is True
    assert item.sha256_after == item.sha256

    with open(p, "r+b") as f:  # same size, one byte different
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    assert rehash(item) is False
    assert item.hash_verified is False
    assert item.sha256_after != item.sha256
    with open(p, "rb") as f:
        assert item.sha256_after == hashlib.sha256(f.read()).hexdigest()


def test_rehash_never_hashed():
    item = EvidenceItem(path="/nowhere/x.mp4")
    assert rehash(item) is None
    assert item.hash_verified is None


def test_rehash_deleted_file(tmp_path):
    p = _write(tmp_path / "x.mp4", b"some bytes")
    item = EvidenceItem(path=p)
    assert hash_item(item)
    os.unlink(p)
    assert rehash(item) is False
    assert item.hash_verified is False
    assert item.sha256_after is None
    assert any("re-hashed" in w for w in item.warnings)
