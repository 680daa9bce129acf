"""Untrusted text from the evidence (file names, container metadata, messages quoting them): which
characters are invisible or change the writing direction, and how they are shown instead, so a
name renders exactly as its bytes say, never as it would like to look."""

from __future__ import annotations

import unicodedata

NOT_RECORDED = "not recorded"


_VISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _needs_showing(ch: str) -> bool:
    if ch in (" ",):
        return False
    cat = unicodedata.category(ch)
    return cat in _VISIBLE_CATEGORIES or (cat == "Zs")


def control_token(ch: str) -> str:
    """How an invisible or direction-changing character is shown: ``‹U+202E›``; a byte that was
    not UTF-8 in the file name (Python's surrogate escape) is shown as ``‹0xNN›``."""
    cp = ord(ch)
    if 0xDC80 <= cp <= 0xDCFF:
        return f"\u20390x{cp - 0xDC00:02X}\u203a"
    return f"\u2039U+{cp:04X}\u203a"


def split_visible(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is_control_token) runs; control characters become tokens."""
    out: list[tuple[str, bool]] = []
    buf = []
    for ch in text:
        if _needs_showing(ch):
            if buf:
                out.append(("".join(buf), False))
                buf = []
            out.append((control_token(ch), True))
        else:
            buf.append(ch)
    if buf:
        out.append(("".join(buf), False))
    return out


def plain_visible(text: str | None) -> str:
    """The same as :func:`split_visible`, as one plain string (for subtitles and notes)."""
    if text is None:
        return NOT_RECORDED
    return "".join(piece for piece, _ in split_visible(str(text)))


def has_hidden_characters(text: str | None) -> bool:
    return bool(text) and any(_needs_showing(ch) for ch in str(text))
