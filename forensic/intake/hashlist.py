"""Acquisition hash lists: check the evidence against the hashes taken when it was seized.

Formats read (the algorithm is told by the length of each hash: 32 hex MD5, 40 SHA-1, 64 SHA-256):

* ``sha256sum`` / ``sha1sum`` / ``md5sum`` output: ``<hex>  <name>`` or ``<hex> *<name>`` per line
  (GNU's ``\\`` prefix for escaped names is understood);
* BSD / ``shasum --tag`` lines: ``SHA256 (<name>) = <hex>``;
* a CSV with a header naming a hash column (``sha256``, ``sha1``, ``md5``, ``hash``, ``sha-256``,
  ...) and a name column (``path``, ``file``, ``filename``, ``name``, ``file name``, ...).

A name matches an input when it is the same path (absolute, or relative to the hash list's folder
or to the current folder), else when the input's path ends with it (``/``-separated; Windows ``\\``
separators are read as ``/``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from dataclasses import dataclass, field

from forensic.records import EvidenceItem, escape_path

ALGORITHMS = {32: "md5", 40: "sha1", 64: "sha256"}
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_BSD = re.compile(r"^(MD5|SHA1|SHA-1|SHA256|SHA-256)\s*\((.*)\)\s*=\s*([0-9a-fA-F]+)\s*$")
_HASH_COLUMNS = ("sha256", "sha-256", "sha_256", "sha1", "sha-1", "sha_1", "md5", "md-5", "hash", "checksum", "digest")
_NAME_COLUMNS = ("path", "file", "filename", "file_name", "file name", "name", "filepath", "file path", "full path")


class HashListError(ValueError):
    """The hash list cannot be read (a usage error)."""


@dataclass(frozen=True)
class Entry:
    algorithm: str  # md5 | sha1 | sha256
    digest: str  # lower-case hex
    name: str
    line: int


@dataclass
class HashList:
    path: str
    sha256: str  # of the list file itself, recorded in the manifest
    entries: list[Entry]


@dataclass
class CheckResult:
    matched: list[str] = field(default_factory=list)  # escaped paths
    mismatched: list[dict] = field(default_factory=list)
    not_listed: list[str] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)  # entries no input matched

    def to_dict(self) -> dict:
        return {
            "matched": len(self.matched),
            "mismatched": self.mismatched,
            "not_listed": self.not_listed,
            "missing_from_evidence": self.missing,
        }

    @property
    def ok(self) -> bool:
        return not self.mismatched and not self.missing


def _algorithm(digest: str, line: int) -> str:
    algo = ALGORITHMS.get(len(digest))
    if algo is None or not _HEX.match(digest):
        raise HashListError(f"line {line}: {digest!r} is not an MD5, SHA-1 or SHA-256 hash")
    return algo


def _gnu_name(name: str, escaped: bool) -> str:
    if not escaped:
        return name
    return name.replace("\\\\", "\0").replace("\\n", "\n").replace("\\r", "\r").replace("\0", "\\")


def parse(path: str) -> HashList:
    """Read a hash list; raises :class:`HashListError` when it cannot be read or holds no hash."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise HashListError(f"the hash list {escape_path(path)} cannot be read: {exc.strerror or exc}") from None
    text = data.decode("utf-8", "surrogateescape").lstrip("\ufeff")
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    cells = [c.strip().strip('"').lower() for c in first.split(",")] if "," in first else []
    if any(c in _HASH_COLUMNS for c in cells):
        entries = _parse_csv(text)
    else:
        entries = _parse_lines(lines)
    if not entries:
        raise HashListError(f"the hash list {escape_path(path)} holds no MD5, SHA-1 or SHA-256 hash")
    return HashList(os.path.abspath(path), hashlib.sha256(data).hexdigest(), entries)


def _parse_lines(lines: list[str]) -> list[Entry]:
    out = []
    for n, raw in enumerate(lines, 1):
        line = raw.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _BSD.match(line)
        if m:
            digest = m.group(3).lower()
            out.append(Entry(_algorithm(digest, n), digest, m.group(2), n))
            continue
        escaped = line.startswith("\\")
        body = line[1:] if escaped else line
        digest, sep, name = body.partition(" ")
        if not sep:
            raise HashListError(f"line {n}: expected '<hash>  <name>', got {visible_line(line)!r}")
        name = name[1:] if name[:1] in (" ", "*") else name
        out.append(Entry(_algorithm(digest.lower(), n), digest.lower(), _gnu_name(name, escaped), n))
    return out


def _parse_csv(text: str) -> list[Entry]:
    rows = list(csv.reader(io.StringIO(text)))
    header = [c.strip().lower() for c in rows[0]]
    hashes = [i for i, c in enumerate(header) if c in _HASH_COLUMNS]
    names = [i for i, c in enumerate(header) if c in _NAME_COLUMNS]
    if not names:
        raise HashListError(f"the CSV hash list has no file name column (one of: {', '.join(_NAME_COLUMNS)})")
    out = []
    for n, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        name = row[names[0]].strip() if names[0] < len(row) else ""
        for i in hashes:
            digest = row[i].strip().lower() if i < len(row) else ""
            if digest:
                out.append(Entry(_algorithm(digest, n), digest, name, n))
    return out


def visible_line(line: str) -> str:
    return escape_path(line[:200]) or ""


def _norm(name: str) -> str:
    if "\\" in name and "/" not in name:
        name = name.replace("\\", "/")
    return name


def check(items: list[EvidenceItem], hashes: HashList, cwd: str | None = None) -> CheckResult:
    """Compare every hashed input with the list, in place (``item.hash_list``); returns the outcome."""
    cwd = cwd or os.getcwd()
    base = os.path.dirname(hashes.path)
    by_path = {os.path.normpath(i.path): i for i in items}
    found: dict[str, list[Entry]] = {}
    res = CheckResult()
    for e in hashes.entries:
        name = _norm(e.name)
        hits: list[EvidenceItem] = []
        if os.path.isabs(name):
            hit = by_path.get(os.path.normpath(name))
            hits = [hit] if hit else []
        else:
            for root in (base, cwd):
                hit = by_path.get(os.path.normpath(os.path.join(root, name)))
                if hit:
                    hits = [hit]
                    break
            if not hits:
                tail = "/" + name.lstrip("./")
                hits = [i for p, i in by_path.items() if p.replace(os.sep, "/").endswith(tail)]
        if not hits:
            res.missing.append({"name": escape_path(e.name), "line": e.line, e.algorithm: e.digest})
        for item in hits:
            found.setdefault(item.path, []).append(e)
    for item in items:
        entries = found.get(item.path)
        if not entries:
            if item.sha256 is not None:
                item.hash_list = "not listed"
                res.not_listed.append(escape_path(item.path))
            continue
        bad = []
        for e in entries:
            ours = getattr(item, e.algorithm)
            if ours is None:
                bad.append(f"{e.algorithm} listed {e.digest} (line {e.line}), the file could not be hashed")
            elif ours != e.digest:
                bad.append(f"{e.algorithm} listed {e.digest} (line {e.line}), computed {ours}")
        if bad:
            item.hash_list = "MISMATCH: " + "; ".join(bad)
            res.mismatched.append({"path": escape_path(item.path), "detail": "; ".join(bad)})
        else:
            item.hash_list = "match (" + ", ".join(sorted({e.algorithm for e in entries})) + ")"
            res.matched.append(escape_path(item.path))
    return res
