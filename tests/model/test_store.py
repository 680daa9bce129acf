"""MODEL_DIR (forensic.model.store): hashes, refusal of tampered models, the self-test, the
inference API and its input rules."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from forensic.model import FusionClassifier, ModelIntegrityError, load_model, store
from forensic.model.architecture import build_model, keras
from forensic.model.scaler import StandardScaler

CARD = {
    "format": store.CARD_FORMAT,
    "name": "test-model",
    "architecture": {"name": "fusion"},
    "segmenter": {"name": "hog-face-grabcut"},
    "threshold": 0.4,
}


def vectors(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(loc=np.arange(29) * 5.0, scale=3.0, size=(n, 5, 29))


def frames(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 5, 128, 128, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """An untrained fusion model (random weights, fixed seed) written as a model folder."""
    keras().utils.set_random_seed(11)
    model = build_model("fusion")
    scaler = StandardScaler.fit(vectors(8))
    root = tmp_path_factory.mktemp("store") / "model"
    card = store.write_model_dir(
        str(root), model, scaler, CARD, {"extra.txt": b"hello\n"}, lambda c: f"card of {c['name']}\n"
    )
    return root, model, scaler, card


def copy(saved_root, tmp_path):
    dst = tmp_path / "copy"
    shutil.copytree(saved_root, dst)
    return dst


def test_folder_content_and_hashes(saved):
    root, _model, _scaler, card = saved
    names = sorted(os.listdir(root))
    assert names == sorted([store.MODEL_FILE, store.SCALER_FILE, store.CARD_JSON, store.CARD_TXT, "extra.txt"])
    on_disk = json.loads((root / store.CARD_JSON).read_text())
    assert on_disk == card
    assert set(card["files"]) == set(names) - {store.CARD_JSON}
    import hashlib

    for name, digest in card["files"].items():
        assert hashlib.sha256((root / name).read_bytes()).hexdigest() == digest
    assert card["card_sha256"] == store.card_digest(card)
    assert len(card["self_test"]["scores"]) == 2


def test_load_model_api(saved):
    root, model, scaler, card = saved
    clf = load_model(str(root))
    assert isinstance(clf, FusionClassifier)
    assert clf.name == "test-model" and clf.sha256 == card["card_sha256"] and len(clf.sha256) == 64
    assert clf.segmenter == "hog-face-grabcut" and clf.threshold == 0.4 and clf.card == card
    f, v = frames(3), vectors(3, seed=5)
    v[1, 2] = np.nan
    got = clf.predict(f, v)
    assert got.shape == (3,) and got.dtype == np.float64 and ((got >= 0) & (got <= 1)).all()
    # the same as the saved Keras model on inputs scaled by the saved scaler, NaN -> 0
    want = model.predict({"frames": f, "vectors": scaler.transform(v)}, verbose=0).reshape(-1)
    assert np.allclose(got, want, atol=1e-6)
    assert np.array_equal(clf.predict(f, v), got)  # deterministic
    assert np.array_equal(clf.predict(f[1:2], v[1:2]), got[1:2])  # one at a time, same score
    assert clf.predict(f[:0], v[:0]).shape == (0,)


def test_missing_values_score_as_the_training_mean(saved):
    clf = load_model(str(saved[0]))
    f, v = frames(1, seed=2), vectors(1, seed=3)
    gap = v.copy()
    gap[0, 1:3] = np.nan
    mean = v.copy()
    mean[0, 1:3] = clf.scaler.mean
    assert np.allclose(clf.predict(f, gap), clf.predict(f, mean), atol=1e-7)
    assert not np.allclose(clf.predict(f, gap), clf.predict(f, v), atol=1e-7)


def test_bad_inputs_are_refused(saved):
    clf = load_model(str(saved[0]))
    with pytest.raises(ValueError, match="uint8"):
        clf.predict(frames(1).astype(np.float32), vectors(1))
    with pytest.raises(ValueError, match="128"):
        clf.predict(np.zeros((1, 5, 64, 64, 3), np.uint8), vectors(1))
    with pytest.raises(ValueError, match="vectors"):
        clf.predict(frames(2), vectors(1))
    v = vectors(1)
    v[0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="infinite"):
        clf.predict(frames(1), v)


@pytest.mark.parametrize("victim", [store.MODEL_FILE, store.SCALER_FILE, store.CARD_TXT, "extra.txt"])
def test_a_changed_file_is_refused(saved, tmp_path, victim):
    root = copy(saved[0], tmp_path)
    data = bytearray((root / victim).read_bytes())
    data[len(data) // 2] ^= 0x01
    (root / victim).write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match=f"{victim}: SHA-256"):
        load_model(str(root))


def test_a_missing_file_or_card_is_refused(saved, tmp_path):
    root = copy(saved[0], tmp_path)
    os.remove(root / store.SCALER_FILE)
    with pytest.raises(ModelIntegrityError, match="scaler.json: missing"):
        load_model(str(root))
    os.remove(root / store.CARD_JSON)
    with pytest.raises(ModelIntegrityError, match="model_card.json is missing"):
        load_model(str(root))
    with pytest.raises(ModelIntegrityError, match="no such model folder"):
        load_model(str(tmp_path / "nowhere"))


def test_an_edited_card_is_refused(saved, tmp_path):
    root = copy(saved[0], tmp_path)
    card = json.loads((root / store.CARD_JSON).read_text())
    card["threshold"] = 0.1  # someone lowers the threshold by hand
    (root / store.CARD_JSON).write_text(json.dumps(card, indent=2))
    with pytest.raises(ModelIntegrityError, match="changed after the model was saved"):
        load_model(str(root))


@pytest.mark.filterwarnings("ignore:You are saving your model as an HDF5 file")
def test_other_weights_with_consistent_hashes_fail_the_self_test(saved, tmp_path):
    """Replacing the weights and rewriting every hash still does not pass: the self-test scores differ."""
    root = copy(saved[0], tmp_path)
    keras().utils.set_random_seed(99)
    other = build_model("fusion")
    os.remove(root / store.MODEL_FILE)
    other.save(str(root / store.MODEL_FILE), save_format="h5", include_optimizer=False)
    card = json.loads((root / store.CARD_JSON).read_text())
    card["files"][store.MODEL_FILE] = store.sha256_path(str(root / store.MODEL_FILE))
    card["card_sha256"] = store.card_digest(card)
    (root / store.CARD_JSON).write_text(json.dumps(card))
    assert store.verify(str(root))["card_sha256"] == card["card_sha256"]  # the hashes alone are consistent
    with pytest.raises(ModelIntegrityError, match="self-test"):
        load_model(str(root))


def test_an_existing_model_folder_is_never_overwritten(saved, tmp_path):
    root, model, scaler, _ = saved
    before = {p: (root / p).read_bytes() for p in os.listdir(root)}
    with pytest.raises(FileExistsError):
        store.write_model_dir(str(root), model, scaler, CARD, {}, lambda c: "")
    assert {p: (root / p).read_bytes() for p in os.listdir(root)} == before
    assert not [p for p in os.listdir(root.parent) if p.startswith(".model-tmp-")]


def test_frame_level_model_scores_the_mean_of_its_frames(tmp_path):
    keras().utils.set_random_seed(5)
    model = build_model("vgg16_mlp")
    scaler = StandardScaler.fit(vectors(4))
    card = dict(CARD, architecture={"name": "vgg16_mlp"})
    store.write_model_dir(str(tmp_path / "m"), model, scaler, card, {}, lambda c: "")
    clf = load_model(str(tmp_path / "m"))
    assert clf.frame_level
    f, v = frames(2, seed=8), vectors(2, seed=9)
    per_frame = model.predict(
        {"frames": f.reshape(-1, 128, 128, 3), "vectors": scaler.transform(v).reshape(-1, 29)}, verbose=0
    ).reshape(2, 5)
    assert np.allclose(clf.predict(f, v), per_frame.mean(axis=1), atol=1e-6)


def test_a_relational_model_of_another_version_is_refused_with_the_reason(tmp_path, monkeypatch):
    """A fusion_relational model whose scaler holds other derived columns than this version computes
    (a model trained before relational numbers were added) is refused by name, not with a shape error
    half-way through a scan."""
    import forensic.model.relational as relational
    from forensic.model.architecture import model_vectors, vector_columns

    keras().utils.set_random_seed(5)
    model = build_model("fusion_relational")
    scaler = StandardScaler.fit(
        model_vectors("fusion_relational", vectors(8)), None, vector_columns("fusion_relational")
    )
    root = tmp_path / "model"
    card = dict(CARD, architecture={"name": "fusion_relational"})
    store.write_model_dir(str(root), model, scaler, card, {}, lambda c: "card\n")
    assert load_model(str(root)).architecture == "fusion_relational"  # this version: accepted
    monkeypatch.setattr(relational, "RELATIONAL_COLUMNS", relational.RELATIONAL_COLUMNS[:15])  # an older version
    with pytest.raises(
        ModelIntegrityError, match=r"trained on 48 numbers per frame, this version of forensic derives 44"
    ):
        load_model(str(root))


def test_a_weights_file_that_will_not_open_is_an_integrity_error(tiny_model_dir, monkeypatch):
    """Its hash matched but the HDF5 file would not open (permissions, a short read): that was a raw
    OSError (exit 4); a model that cannot be used is refused like any other (exit 2)."""
    import forensic.model.architecture as architecture

    real = architecture.keras()

    class Refusing:
        class models:
            @staticmethod
            def load_model(path, compile=False):
                raise OSError(f"Unable to synchronously open file (name = '{path}')")

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(architecture, "keras", lambda: Refusing())
    with pytest.raises(ModelIntegrityError, match="model.h5 in .* cannot be loaded: Unable to synchronously open"):
        load_model(str(tiny_model_dir))
