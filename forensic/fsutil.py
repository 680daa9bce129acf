"""File-system helpers every stage may use: a leaf module (it imports nothing from forensic).

* :func:`write_atomic` writes a whole file so that a crash leaves the old file or the new one,
  never half of either: a temporary file beside it, ``fsync``, one ``rename``, and an ``fsync`` of
  the folder so that the rename itself survives a power cut;
* :func:`append_durable` appends and ``fsync``\\ s (for logs such as ``problems.jsonl``);
* :func:`makedirs_durable` makes folders and ``fsync``\\ s each parent it changed;
* :func:`swap_dir` puts a finished folder in place of another in one step (Linux ``renameat2``
  with ``RENAME_EXCHANGE``; elsewhere two renames, said in the return value);
* :func:`sha256_path`, :func:`is_inside`, :func:`inside_root` and :data:`UMASK`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import hashlib
import os
import shutil
import stat
import tempfile


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


UMASK = _read_umask()  # read once, at import: os.umask is process-wide and not thread-safe
TMP_PREFIX = ".tmp-"


def fsync_dir(path: str) -> None:
    """Make a folder's entries (a new or renamed file in it) durable. Quiet where folders cannot be
    opened or synced (some file systems refuse: EINVAL / EBADF / EACCES)."""
    try:
        fd = os.open(path or ".", os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.EACCES, errno.EROFS):
            raise
    finally:
        os.close(fd)


def write_atomic(path: str, data: bytes) -> None:
    """Write a whole file so that a crash leaves either the old or the new file, never half."""
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=folder)
    try:
        os.fchmod(fd, 0o666 & ~UMASK)  # mkstemp makes 0600; give the usual permissions
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            if os.path.lexists(tmp):
                os.unlink(tmp)
        except OSError:  # never hide the first error behind a second one
            pass
        raise
    fsync_dir(folder)


def append_durable(path: str, data: bytes) -> None:
    """Append ``data`` to ``path`` (created) and fsync it; a new file's folder is fsynced too."""
    new = not os.path.exists(path)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    finally:
        os.close(fd)
    if new:
        fsync_dir(os.path.dirname(path))


def makedirs_durable(path: str) -> None:
    """``os.makedirs(path, exist_ok=True)``, then fsync every folder that got a new entry."""
    path = os.path.abspath(path)
    missing = []
    p = path
    while not os.path.isdir(p):
        missing.append(p)
        parent = os.path.dirname(p)
        if parent == p:
            break
        p = parent
    os.makedirs(path, exist_ok=True)
    for made in reversed(missing):
        fsync_dir(os.path.dirname(made))


def sha256_path(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def folder_problem(path: str) -> str | None:
    """Why ``path`` cannot be (or become) a folder to write into: it, or the nearest existing path
    above it, is not a folder. None when it can."""
    p = os.path.abspath(path)
    while not os.path.lexists(p):
        parent = os.path.dirname(p)
        if parent == p:
            return None
        p = parent
    if os.path.isdir(p):
        return None
    return f"{path} exists and is not a folder" if p == os.path.abspath(path) else f"{p} (above {path}) is not a folder"


def is_inside(child: str, parent: str) -> bool:
    """Whether ``child`` is ``parent`` or lies below it (symbolic links resolved)."""
    child, parent = os.path.realpath(child), os.path.realpath(parent)
    return child == parent or child.startswith(parent.rstrip(os.sep) + os.sep)


def inside_root(root: str, rel: str | None) -> str | None:
    """The absolute path of ``rel`` when it lies strictly inside ``root`` (symbolic links
    resolved), else None (absolute paths, ``..``, links leading out)."""
    if not rel or os.path.isabs(rel):
        return None
    real_root = os.path.realpath(root)
    full = os.path.realpath(os.path.join(real_root, rel))
    if full == real_root or not full.startswith(real_root.rstrip(os.sep) + os.sep):
        return None
    return full


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


def exchange(a: str, b: str) -> bool:
    """Swap two existing paths in one atomic step; False where the system cannot."""
    fn = _renameat2()
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), a)


def swap_dir(new: str, final: str) -> str:
    """Put the finished folder ``new`` at ``final``; the old ``final`` (if any) is removed after.

    When ``final`` exists the two are exchanged in one atomic step (``renameat2`` with
    ``RENAME_EXCHANGE``): a reader or a crash sees the old folder or the new one, never neither.
    Returns how: ``"rename"`` (nothing was there), ``"exchange"`` or ``"two-renames"`` (a system
    without the exchange: a crash between them leaves ``final`` missing and the old folder as
    ``.tmp-*`` beside it)."""
    parent = os.path.dirname(os.path.abspath(final))
    how = "rename"
    old = None
    if os.path.lexists(final):
        if exchange(new, final):
            how, old = "exchange", new
        else:
            how = "two-renames"
            old = tempfile.mkdtemp(prefix=TMP_PREFIX + "old-", dir=parent)
            os.rmdir(old)
            os.replace(final, old)
            os.replace(new, final)
    else:
        os.replace(new, final)
    fsync_dir(parent)
    if old is not None:
        st = os.lstat(old)
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.unlink(old)
    return how
