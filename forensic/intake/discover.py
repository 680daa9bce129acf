"""Find the input files: files and folders (recursive), in a stable order."""

from __future__ import annotations

import os
import stat

from forensic.records import EvidenceItem, EvidenceStatus


def discover(paths: list[str]) -> list[EvidenceItem]:
    """One :class:`EvidenceItem` per file found under ``paths``.

    Regular files (and symbolic links to them) come back ``pending``. Anything that cannot be
    footage (sockets, devices, FIFOs, dangling links, links to folders, unreadable folders) comes
    back ``skipped`` or ``failed`` with the reason, so that nothing found is silently dropped.
    Raises FileNotFoundError for a PATH that does not exist (a usage error).
    """
    items: dict[str, EvidenceItem] = {}
    for given in paths:
        top = os.path.abspath(given)
        if not os.path.lexists(top):
            raise FileNotFoundError(f"no such file or folder: {given}")
        if os.path.isdir(top) and not os.path.islink(top):
            _walk(top, items)
        else:
            _add(top, items)
    return [items[p] for p in sorted(items)]


def _walk(top: str, items: dict[str, EvidenceItem]) -> None:
    def onerror(exc: OSError) -> None:
        where = exc.filename or top
        items[where] = EvidenceItem(
            path=where, status=EvidenceStatus.FAILED, reason=f"folder could not be listed: {exc.strerror}"
        )

    for root, dirs, files in os.walk(top, onerror=onerror, followlinks=False):
        dirs.sort()
        for name in dirs:
            full = os.path.join(root, name)
            if os.path.islink(full):  # os.walk does not descend; say so
                items[full] = EvidenceItem(
                    path=full,
                    status=EvidenceStatus.SKIPPED,
                    reason=f"symbolic link to a folder, not followed (-> {os.readlink(full)})",
                    link_target=os.readlink(full),
                )
        for name in sorted(files):
            _add(os.path.join(root, name), items)


def _add(path: str, items: dict[str, EvidenceItem]) -> None:
    item = EvidenceItem(path=path)
    if os.path.islink(path):
        item.link_target = os.readlink(path)
    try:
        st = os.stat(path)  # follows links
    except OSError as exc:
        item.status = EvidenceStatus.FAILED
        what = "dangling symbolic link" if item.link_target is not None else "cannot stat"
        item.reason = f"{what}: {exc.strerror}"
        items[path] = item
        return
    if stat.S_ISDIR(st.st_mode):
        item.status = EvidenceStatus.SKIPPED
        item.reason = f"symbolic link to a folder, not followed (-> {item.link_target})"
    elif not stat.S_ISREG(st.st_mode):
        kind = (
            "FIFO"
            if stat.S_ISFIFO(st.st_mode)
            else "socket"
            if stat.S_ISSOCK(st.st_mode)
            else "device"
            if (stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode))
            else "special file"
        )
        item.status = EvidenceStatus.SKIPPED
        item.reason = f"not a regular file ({kind}); not read"
    items[path] = item
