"""forensic.intake.hashing: read-only single-pass SHA-256, head bytes, O_NOATIME fallback."""

from __future__ import annotations

import errno
import hashlib
import os
import stat

import pytest

from forensic.intake import hash_item
from forensic.intake.hashing import CHUNK, HEAD, hash_files, open_readonly, sha256_file
from forensic.records import EvidenceItem, EvidenceStatus


def _data(n: int) -> bytes:
    """Deterministic, non-repeating-looking bytes (different in every 4 KiB and every MiB)."""
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:n])


@pytest.mark.parametrize(
    "size",
    [0, 1, 100, HEAD - 1, HEAD, HEAD + 1, CHUNK - 1, CHUNK, 2 * CHUNK + 12345],
    ids=lambda n: f"{n}B",
)
def test_sha256_matches_hashlib(tmp_path, size):
    data = _data(size)
    p = tmp_path / "f.bin"
    p.write_bytes(data)
    res = sha256_file(str(p))
    assert res.sha256 == hashlib.sha256(data).hexdigest()
    assert res.size == size
    assert res.head == data[:HEAD]


def test_head_is_first_4096_bytes_of_multi_chunk_file(tmp_path):
    assert HEAD == 4096
    data = _data(CHUNK + 5000)
    p = tmp_path / "big.bin"
    p.write_bytes(data)
    res = sha256_file(str(p))
    assert len(res.head) == 4096
    assert res.head == data[:4096]
    assert res.sha256 == hashlib.sha256(data).hexdigest()


def test_empty_file_hash(tmp_path):
    p = tmp_path / "empty"
    p.write_bytes(b"")
    res = sha256_file(str(p))
    assert res.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert res.size == 0
    assert res.head == b""


def test_bytes_and_mtime_unchanged(tmp_path):
    data = _data(CHUNK + 777)
    p = tmp_path / "evidence.bin"
    p.write_bytes(data)
    old_ns = 1_600_000_000_123_456_789
    os.utime(p, ns=(old_ns, old_ns))
    before = p.stat()
    sha256_file(str(p))
    after = p.stat()
    assert after.st_mtime_ns == before.st_mtime_ns == old_ns
    assert after.st_size == before.st_size
    assert stat.S_IMODE(after.st_mode) == stat.S_IMODE(before.st_mode)
    assert p.read_bytes() == data


def _atime_updated_by_plain_read(folder) -> bool:
    """Whether this file system updates atime on an ordinary read (relatime, atime older than mtime)."""
    probe = folder / "atime_probe"
    probe.write_bytes(b"x" * 100)
    st = probe.stat()
    os.utime(probe, ns=(st.st_mtime_ns - 10**12, st.st_mtime_ns))
    before = probe.stat().st_atime_ns
    with open(probe, "rb") as f:
        f.read()
    return probe.stat().st_atime_ns != before


@pytest.mark.skipif(not getattr(os, "O_NOATIME", 0), reason="no O_NOATIME on this OS")
def test_access_time_not_updated(tmp_path):
    if not _atime_updated_by_plain_read(tmp_path):
        pytest.skip("this file system does not update atime on read; nothing to observe")
    p = tmp_path / "evidence.bin"
    p.write_bytes(_data(10_000))
    st = p.stat()
    old_atime = st.st_mtime_ns - 10**12  # older than mtime: relatime would update it on a read
    os.utime(p, ns=(old_atime, st.st_mtime_ns))
    sha256_file(str(p))
    assert p.stat().st_atime_ns == old_atime


def test_read_only_file_hashes(tmp_path):
    data = _data(5000)
    p = tmp_path / "ro.bin"
    p.write_bytes(data)
    p.chmod(0o444)
    try:
        res = sha256_file(str(p))
        assert res.sha256 == hashlib.sha256(data).hexdigest()
        assert stat.S_IMODE(p.stat().st_mode) == 0o444
    finally:
        p.chmod(0o644)


def test_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        sha256_file(str(tmp_path / "nope"))


def test_fd_is_closed_after_hashing(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(_data(3000))
    opened: list[int] = []
    closed: list[int] = []
    real_open, real_close = os.open, os.close

    def spy_open(*a, **k):
        fd = real_open(*a, **k)
        opened.append(fd)
        return fd

    def spy_close(fd):
        closed.append(fd)
        return real_close(fd)

    mp = pytest.MonkeyPatch()
    mp.setattr(os, "open", spy_open)
    mp.setattr(os, "close", spy_close)
    try:
        sha256_file(str(p))
    finally:
        mp.undo()
    assert opened and opened == closed


def test_size_change_while_hashing_raises_eio(tmp_path, monkeypatch):
    p = tmp_path / "growing.bin"
    p.write_bytes(_data(3000))
    real_fstat = os.fstat

    class FakeStat:
        def __init__(self, st):
            self.st_size = st.st_size + 10  # the file "was" bigger when opened

    monkeypatch.setattr(os, "fstat", lambda fd: FakeStat(real_fstat(fd)))
    with pytest.raises(OSError) as ei:
        sha256_file(str(p))
    assert ei.value.errno == errno.EIO


@pytest.mark.skipif(not getattr(os, "O_NOATIME", 0), reason="no O_NOATIME on this OS")
@pytest.mark.parametrize("err", [errno.EPERM, errno.EACCES])
def test_open_readonly_falls_back_without_noatime(tmp_path, monkeypatch, err):
    data = b"hello evidence"
    p = tmp_path / "f.bin"
    p.write_bytes(data)
    real_open = os.open
    calls: list[int] = []

    def fake_open(path, flags, *a, **k):
        calls.append(flags)
        if flags & os.O_NOATIME:
            raise OSError(err, os.strerror(err), path)
        return real_open(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", fake_open)
    fd = open_readonly(str(p))
    try:
        assert os.read(fd, 100) == data
    finally:
        os.close(fd)
    assert len(calls) == 2
    assert calls[0] & os.O_NOATIME
    assert not calls[1] & os.O_NOATIME
    # read-only in both attempts
    assert all(c & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND) == 0 for c in calls)


@pytest.mark.skipif(not getattr(os, "O_NOATIME", 0), reason="no O_NOATIME on this OS")
def test_open_readonly_fallback_then_full_hash(tmp_path, monkeypatch):
    data = _data(CHUNK + 10)
    p = tmp_path / "f.bin"
    p.write_bytes(data)
    real_open = os.open

    def fake_open(path, flags, *a, **k):
        if flags & os.O_NOATIME:
            raise PermissionError(errno.EPERM, "Operation not permitted", path)
        return real_open(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", fake_open)
    assert sha256_file(str(p)).sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.skipif(not getattr(os, "O_NOATIME", 0), reason="no O_NOATIME on this OS")
def test_open_readonly_other_errors_propagate(tmp_path, monkeypatch):
    p = tmp_path / "f.bin"
    p.write_bytes(b"x")
    calls: list[int] = []

    def fake_open(path, flags, *a, **k):
        calls.append(flags)
        raise OSError(errno.EIO, "Input/output error", path)

    monkeypatch.setattr(os, "open", fake_open)
    with pytest.raises(OSError) as ei:
        open_readonly(str(p))
    assert ei.value.errno == errno.EIO
    assert len(calls) == 1  # no retry for errors other than EPERM/EACCES


def test_open_readonly_flags_are_read_only(tmp_path, monkeypatch):
    p = tmp_path / "f.bin"
    p.write_bytes(b"x")
    real_open = os.open
    calls: list[int] = []

    def spy(path, flags, *a, **k):
        calls.append(flags)
        return real_open(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", spy)
    os.close(open_readonly(str(p)))
    assert calls
    for flags in calls:
        assert flags & os.O_ACCMODE == os.O_RDONLY
        assert flags & (os.O_CREAT | os.O_TRUNC | os.O_APPEND) == 0


def test_hash_item_permission_error_fails_with_cannot_read(tmp_path, monkeypatch):
    p = tmp_path / "locked.mp4"
    p.write_bytes(b"\x00" * 100)
    target = str(p)
    real_open = os.open

    def deny(path, flags, *a, **k):
        if os.fspath(path) == target:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_open(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", deny)
    item = EvidenceItem(path=target)
    assert hash_item(item) is False
    assert item.status == EvidenceStatus.FAILED
    assert item.reason.startswith("cannot read")
    assert "Permission denied" in item.reason
    assert item.sha256 is None
    assert item.size_bytes == 100  # stat still worked
    assert item.claims_video is True  # by its .mp4 extension
    assert item.signature is None


def test_hash_item_permission_error_on_non_video_is_still_failed(tmp_path, monkeypatch):
    p = tmp_path / "locked.txt"
    p.write_bytes(b"text")
    target = str(p)
    real_open = os.open

    def deny(path, flags, *a, **k):
        if os.fspath(path) == target:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_open(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", deny)
    item = EvidenceItem(path=target)
    assert hash_item(item) is False
    assert item.status == EvidenceStatus.FAILED
    assert "cannot read" in item.reason
    assert item.claims_video is False


def test_hash_files_in_order_with_errors_in_place(tmp_path):
    paths = []
    for k in range(5):
        p = tmp_path / f"f{k}.bin"
        p.write_bytes(os.urandom(3 * CHUNK + k))
        paths.append(str(p))
    paths.insert(2, str(tmp_path / "missing.bin"))
    for workers in (1, 3):
        got = list(hash_files(paths, workers))
        assert [p for p, _r in got] == paths
        assert isinstance(got[2][1], FileNotFoundError)
        for p, r in got[:2] + got[3:]:
            data = open(p, "rb").read()
            assert (r.sha256, r.md5, r.sha1) == tuple(
                hashlib.new(n, data).hexdigest() for n in ("sha256", "md5", "sha1")
            )
