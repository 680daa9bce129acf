"""End to end through the command line: `forensic train` on a tiny generated data set, then
`forensic evaluate` (and --ablation), then forensic.model.load_model, as the scan engine does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from forensic.features import FeatureConfig
from forensic.features.detectors import model_face_detector
from forensic.model import ModelIntegrityError, load_model
from forensic.model.data import load_dataset
from forensic.model.feature_settings import resolve_settings
from forensic.model.split import read_split_csv
from forensic.model.store import CARD_JSON, CARD_TXT, MODEL_FILE, SCALER_FILE
from tests.conftest import snapshot

from .conftest import env

LEFT_OUT = {
    "broken.mp4": "failed",
    "notes.txt": "skipped",
    "nobody.mkv": "insufficient_subjects",
    "stalking_00.mp4": "duplicate",
}
FILES = {
    MODEL_FILE,
    SCALER_FILE,
    CARD_JSON,
    CARD_TXT,
    "training_curves.png",
    "confusion_matrix.png",
    "history.csv",
    "split.csv",
    "problems.jsonl",
}


def forensic(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "forensic", *args], capture_output=True, text=True, timeout=600, env=env()
    )


@pytest.fixture(scope="module")
def trained(dataset, tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    model = root / "models" / "fusion"
    before = snapshot(dataset)
    r = forensic(
        "train",
        str(dataset),
        "--out",
        str(model),
        "--epochs",
        "2",
        "--batch-size",
        "4",
        "--segmenter",
        "hog-face-grabcut",
    )
    assert snapshot(dataset) == before, "training changed or added files among the evidence"
    return root, model, r


@pytest.fixture(scope="module")
def arrays(trained, dataset):
    """The data set's features, read back from the cache the training filled (same segmenter and
    face detector as the training: a different one would make new features)."""
    root, model, _ = trained
    card = json.loads((model / CARD_JSON).read_text())
    detector = model_face_detector(card)
    settings = resolve_settings("hog-face-grabcut", feature_config=FeatureConfig(face_detector=detector))
    cache = str(root / "models" / ".forensic-cache")
    arrays = load_dataset(str(dataset), settings, cache)
    assert arrays.fingerprint() == card["data"]["dataset_sha256"], "not the features the model was trained on"
    return arrays


def test_train_writes_a_model_folder_and_reports_what_was_left_out(trained):
    _root, model, r = trained
    assert r.returncode == 3, r.stderr[-3000:]  # a model was written, but some clips were left out
    assert f"written to {model}" in r.stdout and "test split:" in r.stdout and "confusion matrix" in r.stdout
    assert "4 clip(s) left out" in r.stderr
    for name, status in LEFT_OUT.items():
        assert f"{name}: {status}" in r.stderr
    assert "epoch 1/2" in r.stderr and "epoch 2/2" in r.stderr
    assert set(os.listdir(model)) == FILES
    assert not (model.parent / ".forensic-cache").is_relative_to(model)
    assert any((model.parent / ".forensic-cache" / "features").rglob("*.npz"))


def test_the_model_card(trained, arrays):
    _root, model, _ = trained
    card = json.loads((model / CARD_JSON).read_text())
    assert card["architecture"]["name"] == "fusion"
    assert all(v["same"] for v in card["architecture"]["paper_sizes"].values())
    assert card["architecture"]["paper_sizes"]["flatten"]["model"] == [3920]
    assert card["segmenter"]["name"] == "hog-face-grabcut"
    assert card["data"]["clips"] == {"non_stalking": 5, "stalking": 5}
    assert card["data"]["dataset_sha256"] == arrays.fingerprint()
    assert {os.path.basename(c["path"]): c["status"] for c in card["data"]["left_out"]} == LEFT_OUT
    assert card["split"]["seed"] == 42 and card["split"]["clips"]["test"] == {"non_stalking": 1, "stalking": 1}
    test = card["metrics"]["test"]
    assert test["n"] == 2 and test["accuracy"] == pytest.approx(np.trace(test["confusion"]) / 2)
    assert set(test["per_class"]) == {"non_stalking", "stalking"} and set(test["macro"]) == {
        "precision",
        "recall",
        "f1",
    }
    t = card["training"]
    assert t["epochs_run"] == 2 and len(t["epoch_seconds"]) == 2 and t["batch_size"] == 4 and t["peak_rss_mb"] > 100
    assert t["learning_rate"]["schedule"] == "InverseTimeDecay" and t["early_stopping"]["restore_best_weights"]
    assert any(c["topic"] == "missing values" for c in card["choices"])
    assert card["inputs"]["vectors"]["columns"][-1] == "distance_px"
    assert card["versions"]["key"].get("tf-keras") == "2.21.0" and card["versions"]["dependencies"]
    assert card["threshold"] == 0.5 and card["command_line"][:2] == ["forensic", "train"]
    assert set(card["files"]) == FILES - {CARD_JSON}
    for png in ("training_curves.png", "confusion_matrix.png"):
        assert (model / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = (model / CARD_TXT).read_text()
    for needle in (
        "MODEL CARD",
        "3920",
        "CHOICES WHERE THE PAPER IS SILENT",
        "hog-face-grabcut",
        "left out",
        "test split",
    ):
        assert needle in text
    assert len((model / "problems.jsonl").read_text().splitlines()) == 4


def test_the_scaler_was_fitted_on_the_training_split_only(trained, arrays):
    _root, model, _ = trained
    scaler = json.loads((model / SCALER_FILE).read_text())
    split = read_split_csv((model / "split.csv").read_bytes())
    parts = {p: [i for i, c in enumerate(arrays.clips) if split[c.sha256] == p] for p in ("train", "val", "test")}
    assert [len(v) for v in parts.values()] == [6, 2, 2]
    train_rows = arrays.vectors[parts["train"]].reshape(-1, 29)
    all_rows = arrays.vectors.reshape(-1, 29)
    assert np.allclose(scaler["mean"], np.nanmean(train_rows, axis=0), rtol=1e-12, atol=0)
    assert np.allclose(scaler["scale"], np.nanstd(train_rows, axis=0), rtol=1e-12, atol=0)
    assert not np.allclose(scaler["mean"], np.nanmean(all_rows, axis=0), rtol=1e-6, atol=0)
    assert scaler["fitted_on"]["clip_sha256"] == sorted(arrays.clips[i].sha256 for i in parts["train"])
    assert scaler["frames"] == 30


def test_predictions_are_deterministic_after_reload(trained, arrays, tmp_path):
    _root, model, _ = trained
    a, b = load_model(str(model)), load_model(str(model))
    card = json.loads((model / CARD_JSON).read_text())
    assert a.sha256 == card["card_sha256"] and a.name == card["name"] and a.segmenter == "hog-face-grabcut"
    sa, sb = a.predict(arrays.frames, arrays.vectors), b.predict(arrays.frames, arrays.vectors)
    assert np.array_equal(sa, sb) and sa.shape == (10,)
    # the recorded test metrics come from these very scores
    split = read_split_csv((model / "split.csv").read_bytes())
    test = [i for i, c in enumerate(arrays.clips) if split[c.sha256] == "test"]
    acc = np.mean((sa[test] >= 0.5) == (arrays.labels[test] == 1))
    assert acc == pytest.approx(card["metrics"]["test"]["accuracy"])
    # a fresh process, and one where PixelLib turned eager execution off (as a scan that runs Mask R-CNN)
    np.savez(tmp_path / "x.npz", frames=arrays.frames, vectors=arrays.vectors)
    for prelude in ("", "from pixellib.instance import mask_rcnn"):
        script = textwrap.dedent(f"""
            import json, sys
            import numpy as np
            {prelude}
            import tensorflow as tf
            from forensic.model import load_model
            z = np.load(sys.argv[2])
            clf = load_model(sys.argv[1])
            print(json.dumps({{"eager": tf.executing_eagerly(), "scores": clf.predict(z["frames"], z["vectors"]).tolist()}}))
        """)
        r = subprocess.run(
            [sys.executable, "-c", script, str(model), str(tmp_path / "x.npz")],
            capture_output=True,
            text=True,
            timeout=300,
            env=env(),
        )
        assert r.returncode == 0, r.stderr[-3000:]
        out = json.loads(r.stdout.strip().splitlines()[-1])
        assert out["eager"] == (prelude == "")
        assert np.allclose(out["scores"], sa, rtol=0, atol=1e-6)


def test_a_second_run_uses_the_cache_and_trains_the_same_model(trained, dataset):
    root, model, _ = trained
    again = root / "models" / "fusion_again"
    r = forensic(
        "train",
        str(dataset),
        "--out",
        str(again),
        "--epochs",
        "2",
        "--batch-size",
        "4",
        "--segmenter",
        "hog-face-grabcut",
    )
    assert r.returncode == 3, r.stderr[-3000:]
    assert "11 already in the feature cache" in r.stderr and "features 1/2" in r.stderr  # only the two non-videos
    c1, c2 = (json.loads((m / CARD_JSON).read_text()) for m in (model, again))
    assert c1["self_test"]["scores"] == c2["self_test"]["scores"]
    assert c1["metrics"] == c2["metrics"] and c1["data"]["dataset_sha256"] == c2["data"]["dataset_sha256"]
    w1, w2 = (load_model(str(m)).keras_model.get_weights() for m in (model, again))
    assert all(np.array_equal(x, y) for x, y in zip(w1, w2, strict=True))


def test_evaluate_prints_the_metrics(trained, dataset):
    _root, model, _ = trained
    card = json.loads((model / CARD_JSON).read_text())
    r = forensic("evaluate", str(dataset), "--model", str(model))
    assert r.returncode == 3, r.stderr[-3000:]
    out = r.stdout
    assert card["card_sha256"] in out and "evaluated: 2 clips held out" in out
    acc = card["metrics"]["test"]["accuracy"]
    assert f"accuracy {acc:.4f}" in out
    for needle in (
        "precision",
        "recall",
        "f1",
        "macro avg",
        "confusion matrix",
        "non_stalking",
        "stalking",
        "left out: stalking/broken.mp4: failed",
        "accuracy by split: train",
    ):
        assert needle in out
    r = forensic("evaluate", str(dataset), "--model", str(model), "--json", "--all", "-q")
    data = json.loads(r.stdout)
    assert data["metrics"]["n"] == 10 and data["model"]["sha256"] == card["card_sha256"]
    assert sorted(c["split"] for c in data["clips"]) == ["test"] * 2 + ["train"] * 6 + ["val"] * 2
    assert data["by_split"]["test"]["accuracy"] == pytest.approx(acc)


def test_a_tampered_model_is_refused(trained, dataset, tmp_path):
    _root, model, _ = trained
    bad = tmp_path / "tampered"
    shutil.copytree(model, bad)
    blob = bytearray((bad / MODEL_FILE).read_bytes())
    blob[-100] ^= 0xFF
    (bad / MODEL_FILE).write_bytes(bytes(blob))
    with pytest.raises(ModelIntegrityError, match="model.h5: SHA-256"):
        load_model(str(bad))
    r = forensic("evaluate", str(dataset), "--model", str(bad), "--cache", str(tmp_path / "cache"))
    assert r.returncode == 2 and "refusing the model" in r.stderr and "model.h5" in r.stderr
    assert not (tmp_path / "cache").exists()  # refused before any work


def test_usage_errors(trained, dataset, tmp_path):
    root, model, _ = trained
    r = forensic("train", str(dataset), "--out", str(dataset / "stalking" / "model"))
    assert r.returncode == 2 and "inside the data set" in r.stderr
    assert not (dataset / "stalking" / "model").exists()
    r = forensic("train", str(dataset), "--out", str(model))
    assert r.returncode == 2 and "not an empty folder" in r.stderr
    (tmp_path / "flat").mkdir()
    r = forensic("train", str(tmp_path / "flat"), "--out", str(tmp_path / "m"))
    assert r.returncode == 2 and "non_stalking" in r.stderr and not (tmp_path / "m").exists()
    assert forensic("train", str(dataset), "--out", str(tmp_path / "m"), "--epochs", "0").returncode == 2
    # evaluate without --model uses models/default, as scan does (forensic/_cli/evaluate.py): a missing
    # model folder is the usage error
    r = forensic("evaluate", str(dataset), "--model", str(tmp_path / "no-model"))
    assert r.returncode == 2 and "--model" in r.stderr
    for cmd in ("train", "evaluate"):
        h = forensic(cmd, "--help")
        assert h.returncode == 0 and "--segmenter" in h.stdout and "--cache" in h.stdout


def test_ablation_prints_table_2(trained, dataset):
    root, model, _ = trained
    out = root / "ablation"
    r = forensic("evaluate", str(dataset), "--model", str(model), "--ablation", "--epochs", "1", "--out", str(out))
    assert r.returncode == 3, r.stderr[-3000:]
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("Table 2: 10 clips") and "seed 42" in lines[0]  # the model's split
    rows = [line.split() for line in lines[2:]]
    names = ["vgg16", "convlstm", "vgg16_mlp", "fusion", "fusion_relational"]  # the paper's four, then the variant
    assert [row[row.index(next(x for x in row if x in names))] for row in rows] == names
    assert [row.count("✓") for row in rows] == [1, 2, 2, 3, 3]
    table = json.loads((out / "table2.json").read_text())
    assert [row["architecture"] for row in table["rows"]] == names
    assert all(row["epochs_run"] == 1 for row in table["rows"])
    assert table["split"]["clips"] == json.loads((model / CARD_JSON).read_text())["split"]["clips"]
    vgg = load_model(str(out / "vgg16"))
    assert vgg.frame_level and "from scratch" in vgg.card["architecture"]["vgg16"]["weights"]
