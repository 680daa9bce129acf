"""forensic.records: one place owns each record's row form, both ways, and every file name
(bytes that are not UTF-8, newlines, terminal escapes) round-trips through it."""

from __future__ import annotations

import json
import os
import random

import pytest

from forensic.records import (
    EvidenceItem,
    EvidenceStatus,
    Finding,
    FindingStatus,
    Problem,
    Segment,
    Severity,
    escape_path,
    unescape_path,
    visible,
)

NAMES = [
    "/ev/plain.mp4",
    os.fsdecode(b"/ev/caf\xe9.mkv"),
    "/ev/new\nline.mp4",
    "/ev/esc\x1b[31mred\x1b[0m.mp4",
    "/ev/back\\slash\\xe9.mp4",
    "/ev/rtl\u202eevil.mp4",
    "/ev/tab\there\r.mp4",
    "/ev/caf\u00e9 \u03a9.mp4",
]


@pytest.mark.parametrize("name", NAMES)
def test_escape_is_printable_one_line_and_lossless(name):
    shown = escape_path(name)
    assert shown.isprintable() and "\n" not in shown and "\x1b" not in shown
    shown.encode("utf-8")  # no surrogate left
    assert unescape_path(shown) == name


def test_escape_of_random_byte_names_round_trips():
    rng = random.Random(5)
    for _ in range(2000):
        raw = bytes(rng.choice([*range(1, 47), *range(48, 256)]) for _ in range(rng.randint(1, 12)))
        name = os.fsdecode(raw)
        assert os.fsencode(unescape_path(escape_path(name))) == raw


def test_plain_names_are_untouched():
    assert escape_path("/ev/caf\u00e9 \u03a9.mp4") == "/ev/caf\u00e9 \u03a9.mp4"
    assert escape_path(os.fsdecode(b"/ev/caf\xe9.mkv")) == "/ev/caf\\xe9.mkv"
    assert visible("a\\b\nc") == "a\\b\\nc"  # free text: backslashes kept, the newline shown


def test_evidence_row_round_trip():
    item = EvidenceItem(
        path=NAMES[1],
        status=EvidenceStatus.ANALYSED,
        reason="ok\nforged line",
        size_bytes=5,
        sha256="ab" * 32,
        md5="cd" * 16,
        sha1="ef" * 20,
        duplicate_of=NAMES[2],
        hash_verified=True,
        warnings=["w\x1b[2J"],
        avg_fps=25.0,
    )
    row = item.to_row()
    for v in row.values():
        if isinstance(v, str):
            v.encode("utf-8")
            assert "\n" not in v and "\x1b" not in v
    back = EvidenceItem.from_row({k: "" if v is None else str(v) for k, v in row.items()})
    assert back.path == item.path and back.duplicate_of == item.duplicate_of
    assert back.status == EvidenceStatus.ANALYSED and back.size_bytes == 5 and back.hash_verified is True
    assert back.md5 == item.md5 and back.sha1 == item.sha1 and back.avg_fps == 25.0


def _segment(path: str) -> Segment:
    return Segment(
        sha256="ab" * 32,
        path=path,
        index=2,
        shot=1,
        start_frame=25,
        end_frame=100,
        start_s=1.0,
        end_s=4.0,
        start_pts=1000,
        end_pts=4000,
        start_pts_s=1.0,
        end_pts_s=4.0,
        time_base="1/1000",
        sample_frames=(25, 40),
        sample_pts=(1000, 1600),
        sample_s=(1.0, 1.6),
        flags=("short_shot",),
    )


@pytest.mark.parametrize("name", NAMES)
def test_segment_and_finding_rows_round_trip(name):
    seg = _segment(name)
    row = seg.to_row()
    assert "\n" not in row["path"]
    assert Segment.from_row({k: str(v) for k, v in row.items()}) == seg
    assert Segment.from_dict(json.loads(json.dumps(seg.to_dict()))) == seg
    f = Finding.from_segment(
        seg,
        FindingStatus.ANALYSED,
        score=0.75,
        label="stalking",
        threshold=0.5,
        keyframes=("features/x/00002/keyframes/frame_000025.png",),
    )
    frow = f.to_row()
    assert Finding.from_row({k: "" if v is None else str(v) for k, v in frow.items()}) == f


def test_problem_line_is_one_line():
    p = Problem(Severity.ERROR, "intake", "cannot read x\ny\x1b[2J", NAMES[1])
    line = json.dumps(p.to_dict(), ensure_ascii=False)
    line.encode("utf-8")
    d = json.loads(line)
    assert unescape_path(d["path"]) == NAMES[1] and "\x1b" not in d["message"] and "\n" not in d["message"]


def test_report_reads_rows_through_records():
    """The report's reader is records.py's, not a converter of its own."""
    import inspect

    from forensic.report import context, readers

    assert "def _converter" not in inspect.getsource(context)
    src = inspect.getsource(readers)
    assert "def _converter" not in src and "_records_from_row" in src
    item = readers.record_from_row(EvidenceItem, EvidenceItem(path=NAMES[1]).to_row(), [])
    assert item.path == NAMES[1]
