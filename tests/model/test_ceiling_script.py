"""benchmarks/ceiling.py end to end on a few small generated clips, the features stage replaced by
cache entries that hold the generator's own numbers (perfect perception): the estimated runs must
then give exactly the ground-truth runs' results, and every question of the script is answered."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import benchmark_script

PER_CLASS = 5  # the learning curve and the swapped groups need 5 usable clips of each class


@pytest.fixture(scope="module")
def ceiling():
    return benchmark_script("ceiling")


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    from forensic.synth.clips import make_clips

    root = tmp_path_factory.mktemp("ceiling") / "clips"
    make_clips(str(root), PER_CLASS, 7, size=(480, 270), fps=10, seconds=3.0)
    return root


def _run(ceiling, argv: list[str]) -> int:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # scikit-learn's OpenMP threads crawl on a machine whose cores are busy
        return ceiling.main(argv)


def _perfect_cache(ceiling, clips: Path, cache_dir: Path) -> None:
    """One cache entry a clip, as the features stage writes it, holding the ground-truth table."""
    from forensic.fsutil import sha256_path
    from forensic.model import cache

    for _label, path, gt_path in ceiling.clips_of([str(clips)]):
        gt = json.loads(Path(gt_path).read_text())
        frames = ceiling.sample_frames(int(gt["frames"]))
        sha = sha256_path(path)
        meta = {
            "format": cache.CACHE_FORMAT,
            "key": sha,
            "clip_sha256": sha,
            "segmenter": ceiling.SEGMENTER,
            "settings": {"segmenter_name": ceiling.SEGMENTER, "code": {"test": "perfect perception"}},
            "status": cache.OK,
            "segment": {"sample_frames": frames},
        }
        table = ceiling.truth_table(gt, frames)
        cache.write_cache(
            cache.cache_path(str(cache_dir), sha),
            table,
            np.ones(len(frames), bool),
            np.zeros((len(frames), 128, 128, 3), np.uint8),
            meta,
        )


def test_without_features_only_the_ground_truth_is_measured(ceiling, clips, tmp_path):
    out = tmp_path / "ceiling.json"
    assert _run(ceiling, [str(clips), "--no-extract", "--cache", str(tmp_path / "empty"), "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["clips"] == 2 * PER_CLASS and result["measured"] == 0 and result["usable"] == 0
    assert set(result["runs"]) == {"ground truth, every clip"}
    run = result["runs"]["ground truth, every clip"]
    assert run["clips"] == 2 * PER_CLASS
    assert 0.0 <= run["gradient_boosting"]["accuracy"] <= 1.0


def test_perfect_estimates_give_the_ground_truth_results(ceiling, clips, tmp_path):
    _perfect_cache(ceiling, clips, tmp_path / "cache")
    out = tmp_path / "ceiling.json"
    assert _run(ceiling, [str(clips), "--no-extract", "--cache", str(tmp_path / "cache"), "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["measured"] == result["usable"] == 2 * PER_CLASS
    assert result["features_code_versions"] == [json.dumps({"test": "perfect perception"})]
    runs = result["runs"]
    for truth, est in (
        ("ground truth, usable clips (>= 3 of 5 frames with the pair)", "estimated, usable clips"),
        ("ground truth + relational, usable clips", "estimated + relational, usable clips"),
    ):
        for learner in ("gradient_boosting", "random_forest"):
            assert runs[est][learner]["accuracy"] == runs[truth][learner]["accuracy"], (est, learner)
        assert runs[est]["per_scenario_gradient_boosting"] == runs[truth]["per_scenario_gradient_boosting"]
    # every group of columns taken from the truth changes nothing when the estimate is the truth
    swapped = result["estimated + relational, one group from the truth"]
    accuracies = {round(v["accuracy"], 12) for v in swapped.values()}
    assert len(swapped) == 5 and len(accuracies) == 1
    curve = result["learning curve, gradient boosting, training clips -> accuracy"]
    assert curve["ground truth + relational"] == curve["estimated + relational"]
    assert set(result["median_abs_error_estimate_vs_truth"].values()) == {0.0}
    for angle, fit in result["head angles, estimate against truth"].items():
        assert fit["mae"] == 0.0 and fit["gain"] == pytest.approx(1.0) and fit["offset"] == pytest.approx(0.0), angle
        assert sum(b["frames"] for b in fit["mae_by_abs_truth"].values()) == fit["frames"] > 0


def test_angle_fit_reads_a_known_gain_offset_and_error(ceiling):
    from forensic.features.table import FEATURE_COLUMNS

    rng = np.random.default_rng(0)
    truth = np.full((40, 5, len(FEATURE_COLUMNS)), np.nan)
    yaw = [FEATURE_COLUMNS.index("A_yaw"), FEATURE_COLUMNS.index("B_yaw")]
    truth[..., yaw] = rng.uniform(-35, 35, (40, 5, 2))
    est = truth.copy()
    est[..., yaw] = 0.8 * truth[..., yaw] - 3.0
    est[0, 0, yaw[0]] = np.nan  # a frame without the estimate is left out
    fit = ceiling.angle_fit(truth, est, "yaw")
    assert fit["frames"] == 40 * 5 * 2 - 1
    assert fit["gain"] == pytest.approx(0.8) and fit["offset"] == pytest.approx(-3.0) and fit["r"] == pytest.approx(1.0)
    t = truth[..., yaw].ravel()[1:]
    assert fit["mae"] == pytest.approx(float(np.mean(np.abs(-0.2 * t - 3.0))))
    assert set(fit["mae_by_abs_truth"]) == {"0-10", "10-20", "20-30", "30-40"}
    assert ceiling.angle_fit(truth, est, "pitch") == {"frames": 0}  # no pitch anywhere
