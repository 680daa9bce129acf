"""MD5 and SHA-1 beside SHA-256 in one read; acquisition hash lists; access times."""

from __future__ import annotations

import hashlib
import os

import pytest

from forensic import intake
from forensic.intake import hashlist
from forensic.intake.hashing import sha256_file
from forensic.records import EvidenceStatus


def test_three_hashes_in_one_read(tmp_path, monkeypatch):
    data = os.urandom(3 << 20) + b"tail"
    (tmp_path / "f").write_bytes(data)
    reads = []
    real = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: (reads.append(n), real(fd, n))[1])
    r = sha256_file(str(tmp_path / "f"))
    assert r.sha256 == hashlib.sha256(data).hexdigest()
    assert r.md5 == hashlib.md5(data).hexdigest() and r.sha1 == hashlib.sha1(data).hexdigest()
    assert sum(1 for _ in reads) == 5  # 4 chunks and the end: one pass


def _items(tmp_path):
    ev = tmp_path / "ev"
    (ev / "sub").mkdir(parents=True)
    (ev / "a.mp4").write_bytes(b"aaaa")
    (ev / "sub" / "b.mp4").write_bytes(b"bbbb")
    (ev / "c.txt").write_bytes(b"cccc")
    items = intake.discover([str(ev)])
    for i in items:
        intake.hash_item(i)
    return ev, {os.path.basename(i.path): i for i in items}


def test_sha256sum_md5sum_and_bsd_lines(tmp_path):
    ev, items = _items(tmp_path)
    lines = [
        f"{hashlib.sha256(b'aaaa').hexdigest()}  a.mp4",
        f"{hashlib.md5(b'XXXX').hexdigest()} *sub/b.mp4",  # wrong: the file was changed since acquisition
        f"SHA1 (c.txt) = {hashlib.sha1(b'cccc').hexdigest()}",
        f"{hashlib.sha256(b'dddd').hexdigest()}  gone.mp4",  # listed, not given
    ]
    (ev.parent / "acq.sha").write_text("\n".join(lines) + "\n")
    hl = hashlist.parse(str(ev.parent / "acq.sha"))
    assert [e.algorithm for e in hl.entries] == ["sha256", "md5", "sha1", "sha256"]
    res = hashlist.check(list(items.values()), hl, cwd=str(ev))
    assert items["a.mp4"].hash_list == "match (sha256)" and items["c.txt"].hash_list == "match (sha1)"
    assert items["b.mp4"].hash_list.startswith("MISMATCH: md5 listed")
    assert [m["path"].endswith("sub/b.mp4") for m in res.mismatched] == [True]
    assert [m["name"] for m in res.missing] == ["gone.mp4"] and not res.ok


def test_csv_with_a_hash_column(tmp_path):
    ev, items = _items(tmp_path)
    (ev.parent / "acq.csv").write_text(
        "Evidence No,File Name,MD5,SHA-256\n"
        f"1,a.mp4,{hashlib.md5(b'aaaa').hexdigest()},{hashlib.sha256(b'aaaa').hexdigest()}\n"
        f"2,sub\\b.mp4,,{hashlib.sha256(b'bbbb').hexdigest()}\n"
    )
    res = hashlist.check(list(items.values()), hashlist.parse(str(ev.parent / "acq.csv")))
    assert items["a.mp4"].hash_list == "match (md5, sha256)" and items["b.mp4"].hash_list == "match (sha256)"
    assert items["c.txt"].hash_list == "not listed" and res.ok


def test_unreadable_or_empty_list_is_a_usage_error(tmp_path):
    with pytest.raises(hashlist.HashListError):
        hashlist.parse(str(tmp_path / "nope"))
    (tmp_path / "empty").write_text("# nothing\n")
    with pytest.raises(hashlist.HashListError):
        hashlist.parse(str(tmp_path / "empty"))
    (tmp_path / "bad").write_text("1234  a.mp4\n")
    with pytest.raises(hashlist.HashListError, match="not an MD5"):
        hashlist.parse(str(tmp_path / "bad"))


def test_access_time_changed_by_reading_is_restored_and_recorded(tmp_path):
    f = tmp_path / "clip.mp4"
    f.write_bytes(b"x" * 100)
    st = os.stat(f)
    old = st.st_mtime_ns - 3600 * 10**9  # older than mtime: any atime mount option updates it on read
    os.utime(f, ns=(old, st.st_mtime_ns))
    items = intake.discover([str(f)])
    before = intake.access_times(items)
    with open(f, "rb") as fh:  # what ffprobe and the decoder do: no O_NOATIME
        fh.read()
    if os.stat(f).st_atime_ns == old:
        pytest.skip("this file system does not update access times (noatime or read-only)")
    changed = intake.restore_access_times(items, before)
    assert changed == items and items[0].atime.startswith("restored")
    assert os.stat(f).st_atime_ns == old and os.stat(f).st_mtime_ns == st.st_mtime_ns
    assert items[0].status == EvidenceStatus.PENDING


def test_access_time_unchanged_is_said(tmp_path):
    f = tmp_path / "clip.mp4"
    f.write_bytes(b"x")
    items = intake.discover([str(f)])
    before = intake.access_times(items)
    intake.restore_access_times(items, before)
    assert items[0].atime == "unchanged"
