"""forensic.fsutil: the leaf module of file-system helpers (durable writes, one-step folder swap)."""

from __future__ import annotations

import os
import stat

import pytest

from forensic import fsutil


def _record_fsyncs(monkeypatch) -> list[str]:
    kinds: list[str] = []
    real = os.fsync

    def spy(fd):
        kinds.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        return real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    return kinds


def test_write_atomic_fsyncs_the_file_and_its_folder(tmp_path, monkeypatch):
    kinds = _record_fsyncs(monkeypatch)
    fsutil.write_atomic(str(tmp_path / "a.json"), b"{}")
    assert (tmp_path / "a.json").read_bytes() == b"{}"
    assert kinds == ["file", "dir"], "the rename is durable only once the folder is fsynced"


def test_store_write_atomic_is_the_leaf_ones():
    from forensic.store import case, findings

    assert case.write_atomic is fsutil.write_atomic and findings.write_atomic is fsutil.write_atomic


def test_append_durable_fsyncs(tmp_path, monkeypatch):
    kinds = _record_fsyncs(monkeypatch)
    fsutil.append_durable(str(tmp_path / "log"), b"one\n")
    fsutil.append_durable(str(tmp_path / "log"), b"two\n")
    assert (tmp_path / "log").read_bytes() == b"one\ntwo\n"
    assert kinds == ["file", "dir", "file"]  # the folder once, when the file was new


def test_makedirs_durable_fsyncs_each_parent(tmp_path, monkeypatch):
    kinds = _record_fsyncs(monkeypatch)
    fsutil.makedirs_durable(str(tmp_path / "a" / "b" / "c"))
    assert (tmp_path / "a" / "b" / "c").is_dir()
    assert kinds == ["dir", "dir", "dir"]


def test_swap_dir_is_one_exchange_not_two_renames(tmp_path, monkeypatch):
    final, new = tmp_path / "report", tmp_path / ".tmp-new"
    final.mkdir()
    (final / "old.txt").write_text("old")
    new.mkdir()
    (new / "new.txt").write_text("new")
    renames = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (renames.append((a, b)), real(a, b))[1])
    how = fsutil.swap_dir(str(new), str(final))
    if how == "two-renames":
        pytest.skip("this kernel or file system has no renameat2(RENAME_EXCHANGE)")
    assert how == "exchange" and renames == []
    assert sorted(os.listdir(final)) == ["new.txt"]
    assert not new.exists(), "the old folder is removed after the swap"


def test_swap_dir_into_nothing(tmp_path):
    new = tmp_path / ".tmp-new"
    new.mkdir()
    assert fsutil.swap_dir(str(new), str(tmp_path / "report")) == "rename"
    assert (tmp_path / "report").is_dir()


def test_inside_root(tmp_path):
    (tmp_path / "a").mkdir()
    os.symlink("/etc", tmp_path / "out")
    assert fsutil.inside_root(str(tmp_path), "a") == str((tmp_path / "a").resolve())
    assert fsutil.inside_root(str(tmp_path), "../x") is None
    assert fsutil.inside_root(str(tmp_path), "/etc") is None
    assert fsutil.inside_root(str(tmp_path), "out/passwd") is None
    assert fsutil.is_inside(str(tmp_path / "a"), str(tmp_path))


def test_fsutil_is_a_leaf():
    import ast

    tree = ast.parse(open(fsutil.__file__, encoding="utf-8").read())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not [m for m in imported if m.startswith("forensic")]


def test_model_report_engine_do_not_import_store_for_helpers():
    import pathlib

    root = pathlib.Path(fsutil.__file__).parent
    for sub in ("model", "report", "engine"):
        for py in (root / sub).glob("*.py"):
            text = py.read_text(encoding="utf-8")
            for helper in ("write_atomic", "sha256_path"):
                assert f"from forensic.store.case import {helper}" not in text, py
                assert not any(
                    line.startswith("from forensic.store.case import") and helper in line for line in text.splitlines()
                ), (py, helper)
