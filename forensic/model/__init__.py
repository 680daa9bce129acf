"""The model stage: Hasan et al.'s CNN-LSTM-MLP hybrid fusion model (section III.I), its training
and evaluation (section IV), and the inference API the scan engine calls.

    forensic.model.load_model(model_dir) -> FusionClassifier
    FusionClassifier.predict(frames128 (n,5,128,128,3) uint8 RGB, vectors (n,5,29) float, NaN allowed)
        -> (n,) float scores in [0, 1] (probability of "stalking")

Modules: :mod:`~forensic.model.architecture` (the four models of Table 2),
:mod:`~forensic.model.data` (labelled clips), :mod:`~forensic.model.feature_settings` and
:mod:`~forensic.model.cache` (their features, cached), :mod:`~forensic.model.split` (the stratified split),
:mod:`~forensic.model.scaler` (StandardScaler and the missing-value rule),
:mod:`~forensic.model.train`, :mod:`~forensic.model.evaluate`, :mod:`~forensic.model.card`
(the model card) and :mod:`~forensic.model.store` (MODEL_DIR, hashes, loading).

TensorFlow is used as tf-keras 2.x (``TF_USE_LEGACY_KERAS=1`` is set here, before TensorFlow can
be imported by anything under this package): a scan process may also run PixelLib's Mask R-CNN,
which needs tf-keras and turns eager execution off; tf-keras models still predict there. Training
needs eager execution, so it refuses to run in a process where PixelLib was imported.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__all__ = ["FusionClassifier", "ModelIntegrityError", "load_model"]


def __getattr__(name: str):
    # imported on first use, so that `forensic --help` and the data/scaler modules stay light
    if name in __all__:
        from forensic.model import store

        return getattr(store, name)
    raise AttributeError(f"module 'forensic.model' has no attribute {name!r}")
