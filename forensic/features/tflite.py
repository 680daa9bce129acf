"""The pretrained MediaPipe models, as TFLite files in ``models/mediapipe/``, run with TensorFlow's
own ``tf.lite.Interpreter`` (the mediapipe package itself is not a dependency: it pins numpy<2).

The files come from the mediapipe 0.10.21 wheel (Apache-2.0, see ``models/mediapipe/NOTICE``).
Each file's SHA-256 is pinned here and checked every time a file is loaded: a missing file is a
:class:`FileNotFoundError`, an altered one a :class:`ModelFileError`; there is no fallback.
TensorFlow is imported only when a model is loaded.
"""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
from dataclasses import dataclass

import numpy as np

from forensic import resources as _resources

MODELS_DIR = os.path.join(_resources.models_dir(), "mediapipe")  # packaged copy, or the checkout's models/
SOURCE = "mediapipe 0.10.21 wheel (cp311 manylinux_2_28_x86_64), mediapipe/modules/"


@dataclass(frozen=True)
class ModelFile:
    name: str
    filename: str
    sha256: str
    what: str


MODEL_FILES: dict[str, ModelFile] = {
    m.name: m
    for m in (
        ModelFile(
            "selfie_segmentation",
            "selfie_segmentation.tflite",
            "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
            "selfie segmentation (general, 256x256): person probability per pixel",
        ),
        ModelFile(
            "pose_landmark_full",
            "pose_landmark_full.tflite",
            "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
            "BlazePose full (256x256 crop): 33 landmarks, presence, person segmentation",
        ),
        ModelFile(
            "face_detection_full_range",
            "face_detection_full_range_sparse.tflite",
            "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",
            "BlazeFace full range (192x192): 2304 SSD anchors, box and 6 keypoints each",
        ),
    )
}


class ModelFileError(ValueError):
    """A model file whose content is not the pinned one."""


def verified_bytes(name: str, directory: str | None = None) -> tuple[str, bytes]:
    """(path, content) of model ``name``, after checking its SHA-256 against the pinned one."""
    if name not in MODEL_FILES:
        raise ValueError(f"unknown model {name!r}: {', '.join(MODEL_FILES)}")
    m = MODEL_FILES[name]
    path = os.path.join(directory or MODELS_DIR, m.filename)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"model file missing: {path} ({m.what}; from the {SOURCE}, see models/mediapipe/NOTICE)"
        )
    with open(path, "rb") as f:
        content = f.read()
    got = hashlib.sha256(content).hexdigest()
    if got != m.sha256:
        raise ModelFileError(f"model file altered: {path} has sha256 {got}, expected {m.sha256}; refusing to use it")
    return path, content


class TFLiteModel:
    """One interpreter; ``run`` is serialised (an interpreter is not thread-safe)."""

    def __init__(self, name: str, directory: str | None = None, threads: int = 1):
        import tensorflow as tf

        self.name = name
        self.path, content = verified_bytes(name, directory)
        self.sha256 = MODEL_FILES[name].sha256
        # from the bytes just checked, so the file cannot change between the check and the load; its
        # deprecation notice (LiteRT is a separate package) is not for the examiner's terminal
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated.*")
            self._it = tf.lite.Interpreter(model_content=content, num_threads=threads)
        self._it.allocate_tensors()
        self._in = self._it.get_input_details()[0]
        self._out = self._it.get_output_details()
        self._lock = threading.Lock()

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(v) for v in self._in["shape"])

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        """Outputs, in the model's output order, for one input batch (float32)."""
        with self._lock:
            self._it.set_tensor(self._in["index"], np.ascontiguousarray(x, dtype=np.float32))
            self._it.invoke()
            return [self._it.get_tensor(d["index"]).copy() for d in self._out]


_CACHE: dict[tuple[str, str], TFLiteModel] = {}
_CACHE_LOCK = threading.Lock()


def load(name: str, directory: str | None = None) -> TFLiteModel:
    """Model ``name``, loaded once per process (hash-checked at that load)."""
    key = (name, os.path.abspath(directory or MODELS_DIR))
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = TFLiteModel(name, directory)
        return _CACHE[key]


def describe() -> dict[str, dict[str, str]]:
    """What to record with a result: each model's file and SHA-256."""
    return {m.name: {"file": m.filename, "sha256": m.sha256} for m in MODEL_FILES.values()}
