"""Read-only, single-pass hashing of evidence files: SHA-256, SHA-1 and MD5 from the same read."""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

CHUNK = 1 << 20  # 1 MiB
HEAD = 4096  # bytes kept from the start of the file for signature sniffing


@dataclass(frozen=True)
class HashResult:
    sha256: str
    size: int  # bytes actually read
    head: bytes  # the first HEAD bytes (for the container signature)
    md5: str = ""
    sha1: str = ""


def open_readonly(path: str) -> int:
    """Open for reading only, without updating the access time where the OS allows it."""
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
    noatime = getattr(os, "O_NOATIME", 0)
    if noatime:
        try:
            return os.open(path, flags | noatime)
        except OSError as exc:  # O_NOATIME needs ownership (or CAP_FOWNER): fall back
            if exc.errno not in (errno.EPERM, errno.EACCES):
                raise
    return os.open(path, flags)


def sha256_file(path: str) -> HashResult:
    """SHA-256 (and SHA-1 and MD5, the same bytes) of a file in one streamed read; raises OSError
    when it cannot be read. MD5, the slowest of the three, runs in a second thread beside SHA-1 and
    SHA-256 (hashlib works outside the GIL on large chunks), so the read costs about MD5 alone.

    Raises ``OSError`` (errno EIO) if the file changed size while it was read.
    """
    fd = open_readonly(path)
    try:
        expected = os.fstat(fd).st_size
        digest = hashlib.sha256()
        md5 = hashlib.md5(usedforsecurity=False)
        sha1 = hashlib.sha1(usedforsecurity=False)
        head = b""
        size = 0
        with ThreadPoolExecutor(1, thread_name_prefix="md5") as beside:
            while True:
                chunk = os.read(fd, CHUNK)
                if not chunk:
                    break
                if size < HEAD:
                    head += chunk[: HEAD - size]
                done = beside.submit(md5.update, chunk)
                digest.update(chunk)
                sha1.update(chunk)
                done.result()
                size += len(chunk)
    finally:
        os.close(fd)
    if size != expected:
        raise OSError(errno.EIO, f"file size changed while hashing ({expected} bytes before, {size} read)", path)
    return HashResult(digest.hexdigest(), size, head, md5.hexdigest(), sha1.hexdigest())


def hash_files(paths: Sequence[str], workers: int = 1) -> Iterator[tuple[str, HashResult | OSError]]:
    """:func:`sha256_file` of every path in the order given: ``(path, result or the OSError)``.
    One file at a time by default: one read stream is what a disk or a write blocker serves best,
    and each file's three digests already run in parallel; ``workers`` > 1 reads that many files at
    once (fast storage with many CPUs)."""
    paths = list(paths)
    workers = max(1, min(workers, len(paths)))

    def one(path: str) -> HashResult | OSError:
        try:
            return sha256_file(path)
        except OSError as exc:
            return exc

    if workers == 1:
        for path in paths:
            yield path, one(path)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="hash") as pool:
        yield from zip(paths, pool.map(one, paths), strict=True)
