"""``report/report.sha256``: the report folder's ``sha256sum`` sidecar, written by the report and
read back by ``forensic verify`` (one format, here)."""

from __future__ import annotations

from forensic.records import escape_path

SIDECAR = "report.sha256"
_HEX = frozenset("0123456789abcdef")


def is_sha256(value: object) -> bool:
    """A SHA-256 written as 64 hex digits."""
    return isinstance(value, str) and len(value) == 64 and set(value.lower()) <= _HEX


def sidecar_bytes(files: dict[str, str]) -> bytes:
    """The sidecar for ``files`` (SHA-256 by path relative to the report folder): ``<hex>  <name>``
    a line, sorted by name, as ``sha256sum`` writes it and ``sha256sum -c`` reads it."""
    return "".join(f"{sha}  {rel}\n" for rel, sha in sorted(files.items())).encode("utf-8")


def parse_sidecar(text: str) -> tuple[dict[str, str], list[str]]:
    """``sha256sum`` format: ``<hex>  <name>`` (or ``<hex> *<name>``) per line; returns the entries
    and a description of every line that is not one."""
    out: dict[str, str] = {}
    bad: list[str] = []
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        sha, _, name = line.partition(" ")
        name = name[1:] if name[:1] in (" ", "*") else name
        if not is_sha256(sha) or not name:
            bad.append(f"line {n} is not '<SHA-256>  <name>': {escape_path(line[:120])!r}")
            continue
        if name in out:
            bad.append(f"line {n} lists {escape_path(name)!r} a second time")
        out[name] = sha.lower()
    return out, bad
