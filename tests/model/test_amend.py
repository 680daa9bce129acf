"""Adding plain-words fields to an existing model card without retraining (forensic.model.store.amend_card):
the model still loads and scores as before, every hash is recomputed, tampering is still refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from forensic.model import ModelIntegrityError, load_model, store
from forensic.model.architecture import build_model, keras
from forensic.model.scaler import StandardScaler

CARD = {
    "format": store.CARD_FORMAT,
    "name": "amend-me",
    "architecture": {"name": "fusion"},
    "segmenter": {"name": "hog-face-grabcut"},
    "threshold": 0.5,
}


def test_amend_card_keeps_the_model_and_its_integrity(tmp_path):
    keras().utils.set_random_seed(3)
    rng = np.random.default_rng(0)
    scaler = StandardScaler.fit(rng.normal(size=(6, 5, 29)))
    root = tmp_path / "model"
    before = store.write_model_dir(str(root), build_model("fusion"), scaler, CARD, {}, lambda c: f"{c['name']}\n")
    frames = rng.integers(0, 256, (2, 5, 128, 128, 3), dtype=np.uint8)
    vectors = rng.normal(size=(2, 5, 29))
    scores = load_model(str(root)).predict(frames, vectors)

    def text(card):
        return f"{card['name']}: {card.get('limits')}\n"

    after = store.amend_card(
        str(root),
        {"limits": ["never tested on real footage"], "training_data": "none"},
        text,
        files={"notes.txt": b"more\n"},
    )
    assert after["limits"] == ["never tested on real footage"] and after["card_sha256"] != before["card_sha256"]
    assert after["self_test"] == before["self_test"]
    assert after["files"][store.MODEL_FILE] == before["files"][store.MODEL_FILE]
    assert "notes.txt" in after["files"] and json.loads((root / store.CARD_JSON).read_text()) == after
    assert (root / store.CARD_TXT).read_text() == "amend-me: ['never tested on real footage']\n"
    clf = load_model(str(root))
    assert clf.sha256 == after["card_sha256"] and np.allclose(clf.predict(frames, vectors), scores)
    with pytest.raises(ValueError):
        store.amend_card(str(root), {}, text, files={store.MODEL_FILE: b"x"})
    (root / "notes.txt").write_bytes(b"changed\n")
    with pytest.raises(ModelIntegrityError):
        store.amend_card(str(root), {"limits": []}, text)
