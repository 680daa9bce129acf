"""MODEL_DIR: the trained model, its scaler and its card, every file's SHA-256; loading refuses a
model folder whose files do not match.

MODEL_DIR/model.h5             the tf-keras model (HDF5: it loads correctly with eager execution off,
                               as in a process that runs PixelLib; the .keras format does not)
MODEL_DIR/scaler.json          the StandardScaler (training split only) and the missing-value rule
MODEL_DIR/model_card.json      everything about the model (forensic.model.card) with ``files``, the
                               SHA-256 of every other file, and ``card_sha256``, the SHA-256 of the
                               card itself (canonical JSON without that field)
MODEL_DIR/model_card.txt       the card, readable
MODEL_DIR/training_curves.png, confusion_matrix.png, history.csv, split.csv, problems.jsonl

``card_sha256`` identifies the whole folder (it covers every file's hash): it is
:attr:`FusionClassifier.sha256`, which a scan writes beside each finding.

The folder is written into a temporary sibling and renamed at the end: a crash never leaves half
a model, and an existing non-empty folder is never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from forensic.fsutil import sha256_path, write_atomic
from forensic.model.architecture import FRAME_LEVEL, FRAMES, N_FEATURES, USES_VECTORS, model_vectors, vector_columns
from forensic.model.scaler import StandardScaler

MODEL_FILE = "model.h5"
SCALER_FILE = "scaler.json"
CARD_JSON = "model_card.json"
CARD_TXT = "model_card.txt"
CURVES_PNG = "training_curves.png"
CONFUSION_PNG = "confusion_matrix.png"
HISTORY_CSV = "history.csv"
SPLIT_CSV = "split.csv"
PROBLEMS = "problems.jsonl"
CARD_FORMAT = "forensic-model-card/1"
PREDICT_BATCH = 8  # fixed, so that scores do not depend on how many clips are scored together
SELF_TEST_SEED = 20230101
SELF_TEST_TOLERANCE = 1e-5


class ModelIntegrityError(Exception):
    """A model folder that must not be used: missing files, or files that do not match their hashes."""


class FusionClassifier:
    """A trained model ready to score segments: the inference API of the scan engine.

    ``name``, ``sha256`` (identifies the whole model folder), ``segmenter`` (the frames must be made
    with it), ``threshold`` (default decision threshold), ``card`` (the model card) and
    :meth:`predict`.
    """

    def __init__(self, keras_model, scaler: StandardScaler, card: dict[str, Any], model_dir: str | None = None):
        self.keras_model = keras_model
        self.scaler = scaler
        self.card = card
        self.model_dir = model_dir
        self.name: str = str(card.get("name", ""))
        self.sha256: str = str(card.get("card_sha256", ""))
        self.segmenter: str = str(card.get("segmenter", {}).get("name", ""))
        self.threshold: float = float(card.get("threshold", 0.5))
        self.architecture: str = card_architecture(card)

    @property
    def frame_level(self) -> bool:
        return self.architecture in FRAME_LEVEL

    def predict(self, frames128: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        """Scores in [0, 1], P(stalking), one per segment.

        ``frames128``: (n, 5, 128, 128, 3) uint8 RGB, background removed by :attr:`segmenter`;
        ``vectors``: (n, 5, 29) float in :data:`forensic.features.table.FEATURE_COLUMNS` order, NaN
        where missing (scaled here with the saved scaler; missing values become the training mean).
        Deterministic: the same inputs give the same scores."""
        return clip_scores(self.raw_scores(frames128, vectors))

    def raw_scores(self, frames128: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        """:meth:`predict` before averaging: (n, 5) frame scores for frame-level models, else (n,)."""
        return raw_scores(self.keras_model, self.scaler, self.architecture, frames128, vectors)

    def __repr__(self) -> str:
        return f"FusionClassifier(name={self.name!r}, sha256={self.sha256[:12]}..., segmenter={self.segmenter!r})"


def check_inputs(frames128: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    frames = np.asarray(frames128)
    vec = np.asarray(vectors, dtype=np.float64)
    if frames.ndim != 5 or frames.shape[1:] != (FRAMES, 128, 128, 3):
        raise ValueError(f"frames128 must be (n, {FRAMES}, 128, 128, 3), got {frames.shape}")
    if frames.dtype != np.uint8:
        raise ValueError(f"frames128 must be uint8 RGB, got {frames.dtype}")
    if vec.shape != (frames.shape[0], FRAMES, N_FEATURES):
        raise ValueError(f"vectors must be (n, {FRAMES}, {N_FEATURES}) with n = {frames.shape[0]}, got {vec.shape}")
    return frames, vec


def raw_scores(
    keras_model,
    scaler: StandardScaler,
    architecture: str,
    frames128: np.ndarray,
    vectors: np.ndarray,
    batch_size: int = PREDICT_BATCH,
) -> np.ndarray:
    """The network's outputs: (n,) per clip, or (n, 5) per frame for frame-level models."""
    frames, vec = check_inputs(frames128, vectors)
    n = frames.shape[0]
    shape = (n, FRAMES) if architecture in FRAME_LEVEL else (n,)
    if n == 0:
        return np.zeros(shape, np.float64)
    inputs = model_inputs(architecture, frames, scaler.transform(model_vectors(architecture, vec)))
    out = np.asarray(keras_model.predict(inputs, batch_size=batch_size, verbose=0), dtype=np.float64)
    return np.clip(out.reshape(shape), 0.0, 1.0)


def clip_scores(raw: np.ndarray) -> np.ndarray:
    """A clip's score: the model's output, or the mean of its 5 frame scores (frame-level models)."""
    return raw.mean(axis=1) if raw.ndim == 2 else raw


def model_inputs(architecture: str, frames: np.ndarray, scaled_vectors: np.ndarray) -> dict[str, np.ndarray]:
    """The model's named inputs; frame-level models get one row per frame."""
    if architecture in FRAME_LEVEL:
        frames = frames.reshape(-1, *frames.shape[2:])
        scaled_vectors = scaled_vectors.reshape(-1, scaled_vectors.shape[-1])
    out = {"frames": np.ascontiguousarray(frames, dtype=np.uint8)}
    if architecture in USES_VECTORS:
        out["vectors"] = np.ascontiguousarray(scaled_vectors, dtype=np.float32)
    return out


# ---------------------------------------------------------------------------------------------
# hashes


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def card_digest(card: dict[str, Any]) -> str:
    """SHA-256 of the card without its ``card_sha256`` field."""
    return hashlib.sha256(canonical({k: v for k, v in card.items() if k != "card_sha256"})).hexdigest()


def self_test_inputs(scaler: StandardScaler) -> tuple[np.ndarray, np.ndarray]:
    """Two made-up clips (fixed seed) scored at save time and again at every load."""
    rng = np.random.default_rng(SELF_TEST_SEED)
    frames = rng.integers(0, 256, (2, FRAMES, 128, 128, 3), dtype=np.uint8)
    vectors = scaler.mean[:N_FEATURES] + scaler.scale[:N_FEATURES] * rng.standard_normal((2, FRAMES, N_FEATURES))
    vectors[1, 3:] = np.nan  # and the missing-value rule
    return frames, vectors


# ---------------------------------------------------------------------------------------------
# writing


def write_model_dir(
    model_dir: str,
    keras_model,
    scaler: StandardScaler,
    card: dict[str, Any],
    files: dict[str, bytes],
    render_text: Callable[[dict[str, Any]], str],
) -> dict[str, Any]:
    """Write MODEL_DIR (refusing one that holds anything) and return the final card."""
    model_dir = os.path.abspath(model_dir)
    if os.path.exists(model_dir) and (not os.path.isdir(model_dir) or os.listdir(model_dir)):
        raise FileExistsError(f"{model_dir} exists and is not an empty folder: choose a new model folder")
    parent = os.path.dirname(model_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".model-tmp-", dir=parent)
    try:
        with warnings.catch_warnings():  # "HDF5 is legacy": chosen on purpose, see the module docstring
            warnings.simplefilter("ignore", UserWarning)
            keras_model.save(os.path.join(tmp, MODEL_FILE), save_format="h5", include_optimizer=False)
        write_atomic(os.path.join(tmp, SCALER_FILE), scaler.to_json())
        for name, data in files.items():
            write_atomic(os.path.join(tmp, name), data)
        architecture = card["architecture"]["name"]
        frames, vectors = self_test_inputs(scaler)
        card = dict(card)
        card["self_test"] = {
            "what": "two made-up clips (numpy default_rng seed below) scored when the model was saved; loading "
            "scores them again and refuses the model if a score differs by more than the tolerance",
            "seed": SELF_TEST_SEED,
            "tolerance": SELF_TEST_TOLERANCE,
            "scores": [float(s) for s in clip_scores(raw_scores(keras_model, scaler, architecture, frames, vectors))],
        }
        card["files"] = {
            name: sha256_path(os.path.join(tmp, name)) for name in sorted([MODEL_FILE, SCALER_FILE, *files])
        }
        write_atomic(os.path.join(tmp, CARD_TXT), render_text(card).encode())
        card["files"][CARD_TXT] = sha256_path(os.path.join(tmp, CARD_TXT))
        card["files"] = dict(sorted(card["files"].items()))
        card["card_sha256"] = card_digest(card)
        write_atomic(os.path.join(tmp, CARD_JSON), (json.dumps(card, indent=2, ensure_ascii=False) + "\n").encode())
        if os.path.isdir(model_dir):
            os.rmdir(model_dir)  # empty, checked above
        os.rename(tmp, model_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return card


def amend_card(
    model_dir: str,
    fields: dict[str, Any],
    render_text: Callable[[dict[str, Any]], str],
    files: dict[str, bytes] | None = None,
) -> dict[str, Any]:
    """Add ``fields`` (and new ``files``) to the card of an existing MODEL_DIR without retraining: the
    folder is verified first, the text card is rendered again, every hash and ``card_sha256`` are
    recomputed. The weights, scaler and self-test are untouched, so the model scores as before; its
    ``card_sha256`` (the model's identity in a scan) changes. Returns the new card."""
    card = verify(model_dir)
    touched = {CARD_TXT, CARD_JSON, *(files or {})}
    if any(name in (MODEL_FILE, SCALER_FILE) or os.path.basename(name) != name for name in touched):
        raise ValueError(f"amend_card may not replace {sorted(touched)}")
    card = {k: v for k, v in card.items() if k != "card_sha256"}
    card.update(fields)
    for name, data in (files or {}).items():
        write_atomic(os.path.join(model_dir, name), data)
    card["files"] = {name: digest for name, digest in card["files"].items() if name != CARD_TXT}
    card["files"].update({name: sha256_path(os.path.join(model_dir, name)) for name in files or {}})
    write_atomic(os.path.join(model_dir, CARD_TXT), render_text(card).encode())
    card["files"][CARD_TXT] = sha256_path(os.path.join(model_dir, CARD_TXT))
    card["files"] = dict(sorted(card["files"].items()))
    card["card_sha256"] = card_digest(card)
    write_atomic(os.path.join(model_dir, CARD_JSON), (json.dumps(card, indent=2, ensure_ascii=False) + "\n").encode())
    return card


# ---------------------------------------------------------------------------------------------
# reading


def verify(model_dir: str) -> dict[str, Any]:
    """The card of MODEL_DIR after checking the card's own hash and every file's SHA-256."""
    path = os.path.join(model_dir, CARD_JSON)
    if not os.path.isdir(model_dir):
        raise ModelIntegrityError(f"no such model folder: {model_dir}")
    try:
        with open(path, "rb") as f:
            card = json.loads(f.read())
    except FileNotFoundError:
        raise ModelIntegrityError(f"{model_dir} is not a model folder: {CARD_JSON} is missing") from None
    except (OSError, ValueError) as exc:
        raise ModelIntegrityError(f"{path} cannot be read: {exc}") from None
    if not isinstance(card, dict) or card.get("format") != CARD_FORMAT:
        raise ModelIntegrityError(f"{path} is not a {CARD_FORMAT} model card")
    if card.get("card_sha256") != card_digest(card):
        raise ModelIntegrityError(
            f"{path} was changed after the model was saved: its content no longer matches its "
            f"recorded card_sha256 {card.get('card_sha256')}; refusing to use this model"
        )
    files = card.get("files") or {}
    for required in (MODEL_FILE, SCALER_FILE):
        if required not in files:
            raise ModelIntegrityError(f"{path} records no hash for {required}")
    bad = []
    for name, expected in files.items():
        full = os.path.join(model_dir, name)
        if os.path.basename(name) != name:
            raise ModelIntegrityError(f"{path} names a file outside the model folder: {name!r}")
        if not os.path.isfile(full):
            bad.append(f"{name}: missing")
        elif (got := sha256_path(full)) != expected:
            bad.append(f"{name}: SHA-256 {got}, recorded {expected}")
    if bad:
        raise ModelIntegrityError(
            f"refusing the model in {model_dir}: its files do not match the hashes recorded in "
            f"{CARD_JSON} (" + "; ".join(bad) + ")"
        )
    return card


def card_architecture(card: dict[str, Any]) -> str:
    """The architecture a model card names (cards from before the choice existed: the paper's fusion)."""
    return str((card.get("architecture") or {}).get("name", "fusion"))


def load_model(model_dir: str) -> FusionClassifier:
    """The model in MODEL_DIR, after checking every file against its recorded SHA-256 and scoring the
    recorded self-test. Raises :class:`ModelIntegrityError` for a model that must not be used."""
    from forensic.model.architecture import keras

    model_dir = os.path.abspath(model_dir)
    card = verify(model_dir)
    try:
        with open(os.path.join(model_dir, SCALER_FILE), "rb") as f:
            scaler = StandardScaler.from_json(f.read())
    except (ValueError, KeyError) as exc:
        raise ModelIntegrityError(f"{SCALER_FILE} in {model_dir} cannot be used: {exc}") from None
    architecture = card_architecture(card)
    wanted = vector_columns(architecture)
    if scaler.columns != wanted:
        extra = [c for c in scaler.columns if c not in wanted]
        missing = [c for c in wanted if c not in scaler.columns]
        raise ModelIntegrityError(
            f"the model in {model_dir} ({architecture}) was trained on {len(scaler.columns)} numbers per frame, "
            f"this version of forensic derives {len(wanted)} for it (not derived now: {extra[:4]}; new: {missing[:4]}): "
            "retrain it with this version (forensic train) or use the version it was trained with"
        )
    k = keras()
    try:  # its bytes matched their hash, but the file may still not open (permissions, a short read)
        keras_model = k.models.load_model(os.path.join(model_dir, MODEL_FILE), compile=False)
    except (OSError, ValueError) as exc:
        raise ModelIntegrityError(f"{MODEL_FILE} in {model_dir} cannot be loaded: {exc}") from None
    clf = FusionClassifier(keras_model, scaler, card, model_dir)
    test = card.get("self_test")
    if test:
        frames, vectors = self_test_inputs(scaler)
        got = clf.predict(frames, vectors)
        want = np.asarray(test["scores"], dtype=np.float64)
        if got.shape != want.shape or not np.allclose(got, want, rtol=0.0, atol=float(test["tolerance"])):
            raise ModelIntegrityError(
                f"the model in {model_dir} does not reproduce its recorded self-test scores ({want.tolist()} recorded, "
                f"{got.tolist()} now): the weights were not loaded as saved; refusing to use it"
            )
    return clf
