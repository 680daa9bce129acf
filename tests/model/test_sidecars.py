"""``forensic train`` on a folder ``forensic synth clips`` wrote: the ground-truth JSON beside each
clip is not a clip, so it is neither used nor reported as left out (forensic.model.data)."""

from __future__ import annotations

import json
import os

from forensic.model.data import find_clips, ground_truth_sidecars


def test_sidecars_are_the_json_files_named_like_a_clip():
    paths = [
        "/d/stalking/a.mp4",
        "/d/stalking/a.json",
        "/d/stalking/lone.json",
        "/d/stalking/b.MKV",
        "/d/stalking/b.JSON",
        "/d/other/a.json",
    ]
    assert ground_truth_sidecars(paths) == {"/d/stalking/a.json", "/d/stalking/b.JSON"}


def test_find_clips_skips_ground_truth_but_keeps_other_files(tmp_path):
    for label in ("stalking", "non_stalking"):
        (tmp_path / label).mkdir()
        (tmp_path / label / f"{label}_1_0000.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
        (tmp_path / label / f"{label}_1_0000.json").write_text(json.dumps({"label": label}))
    (tmp_path / "stalking" / "notes.json").write_text("{}")  # no clip of that name: still reported
    found = {os.path.basename(item.path) for _label, item in find_clips(str(tmp_path))}
    assert found == {"stalking_1_0000.mp4", "non_stalking_1_0000.mp4", "notes.json"}
