"""The jinja2 environment of the report: autoescape always on, and the filters the templates use.

Only :func:`shown` (and the number formatters, whose output is made here) returns markup; every
other value a template prints is escaped by jinja2.
"""

from __future__ import annotations

import json
import math
from typing import Any

from markupsafe import Markup, escape

from forensic.records import timecode
from forensic.report.text import NOT_RECORDED, plain_visible, split_visible

_NR = Markup(f'<span class="nr">{NOT_RECORDED}</span>')


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and v.strip() == "")


def shown(value: Any, empty: str | None = None, newlines: bool = False) -> Markup:
    """Untrusted text as text: escaped, invisible and direction-changing characters shown as
    ``‹U+XXXX›`` (marked), isolated from the surrounding text's direction. ``newlines``: keep line
    breaks as they are (for multi-line text in a ``pre`` block), else they are shown as tokens."""
    if _missing(value):
        return Markup(f'<span class="nr">{escape(empty)}</span>') if empty is not None else _NR
    lines = str(value).split("\n") if newlines else [str(value)]
    out = []
    for line in lines:
        parts = []
        for piece, is_token in split_visible(line):
            parts.append(Markup('<span class="ctl">{}</span>').format(piece) if is_token else escape(piece))
        out.append(Markup("").join(parts))
    return Markup('<bdi class="u">') + Markup("\n").join(out) + Markup("</bdi>")


def shown_text(value: Any, empty: str | None = None) -> Markup:
    """:func:`shown`, keeping line breaks."""
    return shown(value, empty, newlines=True)


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def num(value: Any, digits: int = 3, unit: str = "") -> Markup | str:
    if _missing(value):
        return _NR
    try:
        v = float(value)
    except (TypeError, ValueError):
        return shown(value)
    text = f"{v:,.{digits}f}"
    return f"{text} {unit}".rstrip()


def integer(value: Any) -> Markup | str:
    if _missing(value):
        return _NR
    try:
        return f"{int(float(value)):,}"
    except (TypeError, ValueError):
        return shown(value)


def size(value: Any) -> Markup | str:
    if _missing(value):
        return _NR
    n = int(value)
    units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
    v, i = float(n), 0
    while v >= 1024 and i < len(units) - 1:
        v, i = v / 1024, i + 1
    return f"{n:,} bytes" + (f" ({v:.1f} {units[i]})" if i else "")


def seconds(value: Any) -> Markup | str:
    """``12.345 s (00:00:12.345)``"""
    if _missing(value):
        return _NR
    v = float(value)
    return f"{v:.3f} s ({timecode(v)})"


def tc(value: Any) -> Markup | str:
    return _NR if _missing(value) else timecode(float(value))


def hours(value: Any) -> str:
    v = float(value or 0.0)
    whole = int(round(v))
    h, rem = divmod(whole, 3600)
    m, s = divmod(rem, 60)
    return f"{v / 3600:.2f} h ({h}:{m:02d}:{s:02d})"


def yesno(value: Any, yes: str = "yes", no: str = "no", empty: str | None = None) -> Markup | str:
    if value is None:
        return _NR if empty is None else empty
    return yes if value else no


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def tojson_compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def flat(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested dicts as (dotted key, value) rows."""
    if isinstance(value, dict) and value:
        out: list[tuple[str, Any]] = []
        for k, v in value.items():
            out += flat(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    return [(prefix, value)]


def value(v: Any) -> Markup | str:
    """Any manifest value: numbers as they are, lists and dicts as JSON, text shown safely."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return _NR if isinstance(v, float) and math.isnan(v) else f"{v:g}" if isinstance(v, float) else str(v)
    if isinstance(v, (list, dict)):
        return shown(json.dumps(v, ensure_ascii=False))
    return shown(v)


def fval(v: Any, digits: int = 1) -> str:
    """A features.csv cell: number with ``digits`` decimals, or an en dash when empty."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return "\u2013"
    return "\u2013" if math.isnan(x) else f"{x:.{digits}f}"


def environment(templates_dir: str):
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=True,  # always, whatever the template's extension
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        plain=plain_visible,
        tojson_compact=tojson_compact,
        shown=shown,
        shown_text=shown_text,
        plural=plural,
        num=num,
        integer=integer,
        size=size,
        seconds=seconds,
        tc=tc,
        hours=hours,
        yesno=yesno,
        pretty_json=pretty_json,
        flat=flat,
        value=value,
        fval=fval,
    )
    return env
