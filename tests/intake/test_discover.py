"""forensic.intake.discover: every path found, in a stable order, nothing followed or opened."""

from __future__ import annotations

import os

import pytest

from forensic.intake import discover
from forensic.records import EvidenceStatus


def _touch(path, data: bytes = b"x") -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return str(path)


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "evidence"
    files = [
        root / "c.mp4",
        root / "a.txt",
        root / "B.mov",
        root / "sub" / "z.mp4",
        root / "sub" / "deeper" / "x.mkv",
        root / "sub" / "deeper" / "deepest" / "y.ts",
        root / "aa" / "m.avi",
    ]
    for f in files:
        _touch(f)
    return root, sorted(str(f) for f in files)


def test_recursive_and_sorted(tree):
    root, expected = tree
    items = discover([str(root)])
    paths = [i.path for i in items]
    assert paths == expected
    assert paths == sorted(paths)
    assert all(i.status == EvidenceStatus.PENDING for i in items)
    assert all(i.reason == "" and i.link_target is None for i in items)


def test_order_does_not_depend_on_argument_order(tree):
    root, expected = tree
    a = discover([str(root / "sub"), str(root / "c.mp4"), str(root / "a.txt")])
    b = discover([str(root / "a.txt"), str(root / "c.mp4"), str(root / "sub")])
    assert [i.path for i in a] == [i.path for i in b]
    assert [i.path for i in a] == sorted(
        [str(root / "a.txt"), str(root / "c.mp4")] + [p for p in expected if p.startswith(str(root / "sub") + os.sep)]
    )


def test_same_file_given_twice_once(tree):
    root, expected = tree
    items = discover([str(root), str(root / "c.mp4"), str(root / "sub")])
    assert [i.path for i in items] == expected


def test_relative_paths_become_absolute(tree, monkeypatch):
    root, expected = tree
    monkeypatch.chdir(root.parent)
    items = discover(["evidence"])
    assert [i.path for i in items] == expected
    assert all(os.path.isabs(i.path) for i in items)


def test_single_file(tree):
    root, _ = tree
    items = discover([str(root / "c.mp4")])
    assert len(items) == 1
    assert items[0].path == str(root / "c.mp4")
    assert items[0].status == EvidenceStatus.PENDING


def test_empty_folder(tmp_path):
    assert discover([str(tmp_path)]) == []


def test_missing_path_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        discover([str(tmp_path / "no-such-thing")])


def test_missing_path_raises_even_with_good_paths(tree):
    root, _ = tree
    with pytest.raises(FileNotFoundError):
        discover([str(root), str(root / "missing.mp4")])


def test_dangling_symlink_in_folder_fails(tmp_path):
    root = tmp_path / "ev"
    _touch(root / "ok.mp4")
    os.symlink(str(tmp_path / "gone.mp4"), root / "link.mp4")
    items = {i.path: i for i in discover([str(root)])}
    assert set(items) == {str(root / "ok.mp4"), str(root / "link.mp4")}
    link = items[str(root / "link.mp4")]
    assert link.status == EvidenceStatus.FAILED
    assert "dangling" in link.reason
    assert link.link_target == str(tmp_path / "gone.mp4")
    assert items[str(root / "ok.mp4")].status == EvidenceStatus.PENDING


def test_dangling_symlink_given_directly_fails(tmp_path):
    link = tmp_path / "link.mp4"
    os.symlink("nowhere.mp4", link)
    items = discover([str(link)])
    assert len(items) == 1
    assert items[0].status == EvidenceStatus.FAILED
    assert "dangling" in items[0].reason
    assert items[0].link_target == "nowhere.mp4"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this OS")
def test_fifo_is_skipped(tmp_path):
    root = tmp_path / "ev"
    _touch(root / "ok.mp4")
    os.mkfifo(root / "pipe.mp4")
    items = {i.path: i for i in discover([str(root)])}  # must not block on opening the FIFO
    fifo = items[str(root / "pipe.mp4")]
    assert fifo.status == EvidenceStatus.SKIPPED
    assert "not a regular file" in fifo.reason
    assert "FIFO" in fifo.reason
    assert items[str(root / "ok.mp4")].status == EvidenceStatus.PENDING


def test_symlink_to_folder_skipped_not_followed(tmp_path):
    outside = tmp_path / "outside"
    _touch(outside / "secret.mp4")
    _touch(outside / "inner" / "more.mp4")
    root = tmp_path / "ev"
    _touch(root / "ok.mp4")
    os.symlink(str(outside), root / "linkdir")
    items = discover([str(root)])
    by_path = {i.path: i for i in items}
    link = by_path[str(root / "linkdir")]
    assert link.status == EvidenceStatus.SKIPPED
    assert "not followed" in link.reason
    assert link.link_target == str(outside)
    # nothing found through the link
    assert not any(p.startswith(str(root / "linkdir") + os.sep) for p in by_path)
    assert not any("secret" in p or "more" in p for p in by_path)
    assert set(by_path) == {str(root / "ok.mp4"), str(root / "linkdir")}


def test_symlink_to_folder_given_directly_skipped(tmp_path):
    outside = tmp_path / "outside"
    _touch(outside / "secret.mp4")
    link = tmp_path / "linkdir"
    os.symlink(str(outside), link)
    items = discover([str(link)])
    assert [i.path for i in items] == [str(link)]
    assert items[0].status == EvidenceStatus.SKIPPED
    assert "not followed" in items[0].reason
    assert items[0].link_target == str(outside)


def test_symlink_to_file_kept_with_target(tmp_path):
    target = _touch(tmp_path / "real" / "clip.mp4", b"data")
    root = tmp_path / "ev"
    root.mkdir()
    os.symlink(target, root / "alias.mp4")
    items = discover([str(root)])
    assert len(items) == 1
    item = items[0]
    assert item.path == str(root / "alias.mp4")  # the link's own path, not resolved
    assert item.status == EvidenceStatus.PENDING
    assert item.link_target == target


def test_relative_symlink_target_recorded_as_written(tmp_path):
    root = tmp_path / "ev"
    _touch(root / "real.mp4")
    os.symlink("real.mp4", root / "alias.mp4")
    items = {i.path: i for i in discover([str(root)])}
    assert items[str(root / "alias.mp4")].link_target == "real.mp4"
    assert items[str(root / "alias.mp4")].status == EvidenceStatus.PENDING
    assert items[str(root / "real.mp4")].link_target is None


def test_discover_does_not_modify_evidence(tree):
    root, expected = tree
    before = {p: (os.stat(p).st_mtime_ns, open(p, "rb").read()) for p in expected}
    listing_before = sorted(os.listdir(root))
    discover([str(root)])
    assert {p: (os.stat(p).st_mtime_ns, open(p, "rb").read()) for p in expected} == before
    assert sorted(os.listdir(root)) == listing_before
