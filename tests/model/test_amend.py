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


def test_limits_say_what_the_model_did_on_real_people_together():
    from forensic.model.card import limits_text

    gen = {"faces": [{"identity": "astronaut"}, {"identity": "hopper"}]}
    untested = limits_text("/data", "mediapipe-selfie-pose", gen)
    assert "nor on real people who are simply together" in untested[0]
    check = {"footage": "5 real clip(s) scanned by `make model` (footage, people)", "segments": 42}
    checked = limits_text("/data", "mediapipe-selfie-pose", gen, {**check, "classified": 1, "flagged": 0})
    assert "nor on real people" not in checked[0]
    assert "never tested on real footage of stalking" in checked[0]
    assert "5 real clip(s) scanned" in checked[0] and "1 of 42 segment(s) classified" in checked[0]
    assert "0 flagged" in checked[0] and "far too few" in checked[0]
    assert checked[1:] == untested[1:]


def test_training_data_names_generated_clips_by_recipe_not_by_a_training_machine_folder():
    """The report prints this to whoever reads it: a folder of the machine that trained the model
    means nothing to them (the card's data record keeps it); a folder of clips forensic did not make
    is named, because its path is all that is known of it."""
    from forensic.model.card import training_data_text

    counts, sizes = {"stalking": 5, "non_stalking": 5}, {"train": 6, "val": 2, "test": 2}
    gen = {"generator": "forensic.synth.scenes/2", "faces": [{"face": "astronaut"}], "stalking_scenarios": {"a": 1}}
    made = training_data_text("/work/t8/work/train", counts, 0, sizes, "mediapipe-selfie-pose", gen)
    assert "/work/t8" not in made and "forensic.synth.scenes/2" in made and made.startswith("10 clips (5 labelled")
    found = training_data_text("/cases/labelled", counts, 0, sizes, "mediapipe-selfie-pose", None)
    assert "from /cases/labelled" in found and "knows nothing more" in found
