"""Two steps of `make model` (benchmarks/default_model.py) that decide what is measured: which
generated clips are kept from an earlier --work folder, and how a scan of labelled clips is scored."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import benchmark_script


@pytest.fixture(scope="module")
def dm():
    return benchmark_script("default_model")


def _clips(folder: Path, seed: str, per_class: int, skip_json: str | None = None) -> None:
    rows = []
    for label in ("stalking", "non_stalking"):
        (folder / label).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            stem = f"{label}_{seed}_{i:04d}"
            (folder / label / f"{stem}.mp4").write_bytes(b"clip")
            if stem != skip_json:
                (folder / label / f"{stem}.json").write_text("{}")
            rows.append({"path": f"{label}/{stem}.mp4", "label": label, "seed": seed, "index": str(i)})
    index = folder / "clips.csv"
    old = list(csv.DictReader(open(index, newline=""))) if index.is_file() else []
    with open(index, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["path", "label", "seed", "index"])
        w.writeheader()
        w.writerows(old + rows)


def test_a_seed_is_kept_only_when_all_its_clips_and_ground_truth_are_there(dm, tmp_path):
    assert not dm.generated(tmp_path, "101", 2)  # nothing there
    _clips(tmp_path, "101", 2)
    _clips(tmp_path, "104", 2, skip_json="non_stalking_104_0001")
    assert dm.generated(tmp_path, "101", 2)
    assert not dm.generated(tmp_path, "101", 3)  # more clips asked for than were made
    assert not dm.generated(tmp_path, "104", 2)  # one ground-truth file missing
    assert not dm.generated(tmp_path, "202", 1)  # another seed
    (tmp_path / "stalking" / "stalking_101_0001.mp4").unlink()
    assert not dm.generated(tmp_path, "101", 2)  # a clip gone


def test_clips_score_counts_a_clip_flagged_when_any_of_its_segments_is(dm, tmp_path):
    root = tmp_path / "heldout"
    _clips(root, "202", 3)
    s, n = root / "stalking", root / "non_stalking"
    rows = [
        (s / "stalking_202_0000.mp4", "analysed", "stalking"),
        (s / "stalking_202_0000.mp4", "analysed", "non_stalking"),  # a second segment of the same clip
        (s / "stalking_202_0001.mp4", "analysed", "non_stalking"),  # missed
        (s / "stalking_202_0002.mp4", "insufficient_subjects", None),  # not classified: not flagged
        (n / "non_stalking_202_0000.mp4", "analysed", "stalking"),  # false flag
        (n / "non_stalking_202_0001.mp4", "analysed", "non_stalking"),
    ]  # non_stalking_202_0002 never reached the findings
    case = tmp_path / "case"
    case.mkdir()
    pd.DataFrame([{"path": str(p), "status": st, "label": lb} for p, st, lb in rows]).to_parquet(
        case / "findings.parquet"
    )
    got = dm.clips_score(case, root)
    assert got["clips"] == 6
    assert got["clips_classified"] == 4
    assert got["clips_flagged"] == 2
    assert got["stalking_clips"] == 3
    assert got["stalking_clips_flagged"] == 1
    assert got["precision_clips"] == 0.5
    assert got["recall_clips"] == round(1 / 3, 3)
    assert got["clips_not_scanned"] == ["non_stalking/non_stalking_202_0002.mp4"]


def test_copy_subset_takes_the_first_clips_of_one_seed_with_their_ground_truth(dm, tmp_path):
    src, dst = tmp_path / "train", tmp_path / "table2"
    _clips(src, "101", 3)
    _clips(src, "104", 3)
    (src / "generator.json").write_text('{"generator": "x"}')
    dm.copy_subset(src, dst, "101", 2)
    got = sorted(str(p.relative_to(dst)) for p in dst.rglob("*") if p.is_file())
    assert got == sorted(
        ["clips.csv", "generator.json"]
        + [
            f"{c}/{c}_101_{i:04d}.{ext}"
            for c in ("stalking", "non_stalking")
            for i in (0, 1)
            for ext in ("mp4", "json")
        ]
    )
    rows = list(csv.DictReader(open(dst / "clips.csv", newline="")))
    assert [(r["label"], r["seed"], r["index"]) for r in rows] == [
        ("stalking", "101", "0"),
        ("stalking", "101", "1"),
        ("non_stalking", "101", "0"),
        ("non_stalking", "101", "1"),
    ]
    assert dm.generated(dst, "101", 2) and not dm.generated(dst, "104", 1)
    with pytest.raises(RuntimeError, match="does not hold 4 clips per class of seed 101"):
        dm.copy_subset(src, tmp_path / "other", "101", 4)


def test_clips_of_an_earlier_run_that_were_not_asked_for_are_named(dm, tmp_path):
    assert dm.unasked(tmp_path / "nothing", ["101"], 2) == []
    _clips(tmp_path, "101", 3)
    _clips(tmp_path, "104", 1)
    assert dm.unasked(tmp_path, ["101", "104"], 3) == []  # 104 has index 0 only: a subset is fine
    assert dm.unasked(tmp_path, ["101"], 3) == [
        "non_stalking/non_stalking_104_0000.json",
        "non_stalking/non_stalking_104_0000.mp4",
        "stalking/stalking_104_0000.json",
        "stalking/stalking_104_0000.mp4",
    ]
    assert dm.unasked(tmp_path, ["101", "104"], 2) == [
        "non_stalking/non_stalking_101_0002.json",
        "non_stalking/non_stalking_101_0002.mp4",
        "stalking/stalking_101_0002.json",
        "stalking/stalking_101_0002.mp4",
    ]
    # clips an older generator made are never kept as if they were this generator's
    (tmp_path / "generator.json").write_text('{"generator": "forensic.synth.scenes/1"}')
    assert dm.unasked(tmp_path, ["101", "104"], 3) == [
        "generator.json (forensic.synth.scenes/1, not forensic.synth.scenes/2)"
    ]
