"""PixelLib's Mask R-CNN (COCO weights), person class only: the paper's background remover.

The network is PixelLib's Keras port of Matterport's Mask R-CNN
(:class:`pixellib.instance.mask_rcnn.MaskRCNN`, ResNet-101 backbone, 81 COCO classes), built
in inference mode and fed PixelLib's ``mask_rcnn_coco.h5``. PixelLib's own high-level wrapper
(:class:`pixellib.instance.instance_segmentation`) is not used:

* its ``load_model`` / ``MaskRCNN.load_weights`` go through TensorFlow's private legacy Keras
  loader (``tensorflow.python.keras``), whose backend keeps a TensorFlow session of its own:
  used as PixelLib uses it, the values are assigned in that session while tf-keras reads the
  model's variables from another one, so nothing is loaded and nothing is said (checked
  here: the network's weights stay the random ones). The weights are loaded here with the
  Keras model's own ``load_weights(path, by_name=True)`` and then checked against the file,
  layer by layer: a file that matches nothing, or only part of the network, is refused
  (``ValueError``);
* its ``segmentImage`` / ``segmentFrame`` draw on the frame they are given. Here the network is
  run on an RGB copy and only the raw detections are read back.

Process-wide side effects, read before use:

* importing PixelLib switches TensorFlow's eager execution off for the whole process
  (``tf.compat.v1.disable_eager_execution()`` at import time of its ``mask_rcnn`` module), so
  PixelLib is imported lazily, when a :class:`PixelLibSegmenter` is built (or
  :func:`save_random_weights` is called), never when this module is imported. A process that
  builds one should not also run eager TensorFlow / Keras 3 code: run the segmenter in its own
  worker process;
* ``TF_USE_LEGACY_KERAS=1`` is set before TensorFlow is imported (PixelLib needs ``tf.keras``
  to be tf-keras 2.x); if TensorFlow was already imported and ``tf.keras`` already resolved to
  Keras 3, building the segmenter fails with a ``RuntimeError`` that says so;
* ``np.bool`` (used by PixelLib) is restored as an alias of ``bool`` when missing.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import numpy as np

from forensic.features.background import PIXELLIB_SEGMENTER, PeopleMask, Segmenter

COCO_WEIGHTS_URL = "https://github.com/ayoolaolafenwa/PixelLib/releases/download/1.2/mask_rcnn_coco.h5"
# The sha256 of the published mask_rcnn_coco.h5 is not known on this (offline) machine and is
# deliberately not guessed. While it is None, fetch_coco_weights cannot check the download's
# hash (it still checks the length and that the file is a Keras weights file) and prints the
# hash it got; record it here once the file has been obtained from a trusted source.
COCO_WEIGHTS_SHA256: str | None = None

DEFAULT_WEIGHTS_PATH = os.path.join("models", "mask_rcnn_coco.h5")
COCO_NUM_CLASSES = 81  # 80 COCO classes + background
PERSON_CLASS_ID = 1  # in PixelLib's / Matterport's COCO class list, 'BG' is 0 and 'person' is 1
BACKBONE = "resnet101"  # PixelLib's backbone for the COCO model

_HOW_TO_GET_WEIGHTS = (
    "PixelLib's COCO weights file mask_rcnn_coco.h5 is needed: put it at "
    f"{DEFAULT_WEIGHTS_PATH} or pass its path with --maskrcnn-weights. "
    "`forensic models fetch` downloads it when the machine is online "
    f"(from {COCO_WEIGHTS_URL}); on an offline machine, download it elsewhere and copy it in."
)


# --------------------------------------------------------------------------------------------
# Lazy PixelLib / TensorFlow import
# --------------------------------------------------------------------------------------------

_PIXELLIB: dict[str, Any] = {}


def _import_pixellib() -> dict[str, Any]:
    """Import TensorFlow (as tf-keras 2.x) and PixelLib's Mask R-CNN; turns eager execution off."""
    if _PIXELLIB:
        return _PIXELLIB
    # tf.keras is resolved lazily at its first use, from this variable: it must be "1" by then.
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    if not hasattr(np, "bool"):  # removed in numpy 1.24..2.0, used by PixelLib
        np.bool = bool  # type: ignore[attr-defined]
    import tensorflow as tf

    keras_name = getattr(tf.keras, "__name__", "")
    if not keras_name.startswith("tf_keras"):
        raise RuntimeError(
            f"PixelLib needs tf.keras to be tf-keras 2.x, but in this process it is {keras_name!r} "
            "(TensorFlow's tf.keras was used before TF_USE_LEGACY_KERAS=1 was set). Run the "
            "PixelLib segmenter in a process of its own, or set TF_USE_LEGACY_KERAS=1 before "
            "TensorFlow is imported."
        )
    import tf_keras  # noqa: F401  (the tf.keras above; imported to fail clearly when absent)
    from pixellib.instance import mask_rcnn as pl_mask_rcnn  # disables eager execution
    from pixellib.instance import utils as pl_utils
    from pixellib.instance.config import Config

    _PIXELLIB.update(tf=tf, mask_rcnn=pl_mask_rcnn, utils=pl_utils, Config=Config)
    return _PIXELLIB


def _check_image_max_dim(image_max_dim: int) -> int:
    if isinstance(image_max_dim, bool) or not isinstance(image_max_dim, (int, np.integer)):
        raise ValueError(f"image_max_dim must be an int, got {image_max_dim!r}")
    if image_max_dim < 64 or image_max_dim % 64:
        raise ValueError(
            f"image_max_dim must be a positive multiple of 64 (Mask R-CNN halves the image 6 times), "
            f"got {image_max_dim}; e.g. 256, 384, 512, 1024"
        )
    return int(image_max_dim)


def build_maskrcnn(image_max_dim: int = 512, min_score: float = 0.5, *, optimize_graph: bool = True) -> Any:
    """PixelLib's Mask R-CNN for COCO (ResNet-101, 81 classes) in inference mode, NOT loaded.

    Returns the :class:`pixellib.instance.mask_rcnn.MaskRCNN` wrapper; the Keras model is its
    ``.keras_model``. Images are resized so that the longer side is ``image_max_dim`` (and the
    shorter side at most that), then padded to a square, as PixelLib's ``infer_speed`` modes do.
    The model lives in a TensorFlow graph and session of its own (``.forensic_graph``,
    ``.forensic_session``); use it inside :func:`model_scope`. ``optimize_graph=False`` turns
    TensorFlow's graph optimiser (Grappler) off for its session: much faster for one-off jobs
    that run many small fetches (saving weights layer by layer: 3 s instead of 15 s here); keep
    it on for inference.
    """
    image_max_dim = _check_image_max_dim(image_max_dim)
    pl = _import_pixellib()
    tf = pl["tf"]

    class _ForensicCocoConfig(pl["Config"]):
        NAME = "forensic_coco"

    config = _ForensicCocoConfig(
        BACKBONE=BACKBONE,
        NUM_CLASSES=COCO_NUM_CLASSES,
        class_names=["BG", "person"],  # only read by PixelLib's drawing helpers, unused here
        IMAGES_PER_GPU=1,
        GPU_COUNT=1,
        IMAGE_MAX_DIM=image_max_dim,
        IMAGE_MIN_DIM=image_max_dim,
        IMAGE_RESIZE_MODE="square",
        DETECTION_MIN_CONFIDENCE=float(min_score),
    )
    # A graph and session of its own: nothing else in the process (another model, a Keras
    # clear_session) can swap the session under it and leave it with freshly initialised
    # variables, and TensorFlow does not re-optimise one big shared graph on every run.
    graph = tf.Graph()
    session_config = tf.compat.v1.ConfigProto()
    if not optimize_graph:
        session_config.graph_options.rewrite_options.disable_meta_optimizer = True
    session = tf.compat.v1.Session(graph=graph, config=session_config)
    with graph.as_default(), session.as_default():
        maskrcnn = pl["mask_rcnn"].MaskRCNN(mode="inference", config=config, model_dir=tempfile.gettempdir())
    maskrcnn.forensic_graph = graph
    maskrcnn.forensic_session = session
    return maskrcnn


@contextlib.contextmanager
def model_scope(maskrcnn: Any) -> Iterator[None]:
    """Makes the graph and session of a model from :func:`build_maskrcnn` the default ones."""
    with maskrcnn.forensic_graph.as_default(), maskrcnn.forensic_session.as_default():
        yield


def _weighted_layers(keras_model: Any) -> list[Any]:
    return [layer for layer in keras_model.layers if layer.weights]


def _h5_layer_weights(path: str) -> tuple[tuple[Any, Any], dict[str, list[str]]]:
    """Open a Keras HDF5 weights file: ((h5py file, weights group), {layer: weight names}). Caller closes the file."""
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ValueError(f"{path} is not an HDF5 file ({exc}); expected Keras weights (mask_rcnn_coco.h5)") from exc
    group = f
    if "layer_names" not in group.attrs and "model_weights" in group:
        group = group["model_weights"]  # a whole saved model: its weights live here
    if "layer_names" not in group.attrs:
        f.close()
        raise ValueError(f"{path} is an HDF5 file but not Keras weights (no 'layer_names'); expected mask_rcnn_coco.h5")

    def text(v: Any) -> str:
        return v.decode("utf8") if isinstance(v, bytes) else str(v)

    layers: dict[str, list[str]] = {}
    for name in group.attrs["layer_names"]:
        name = text(name)
        if name in group:
            layers[name] = [text(w) for w in group[name].attrs.get("weight_names", [])]
    return (f, group), layers


def load_weights_by_name(maskrcnn: Any, path: str, allow_partial: bool = False) -> tuple[int, int]:
    """Load ``path`` into ``maskrcnn.keras_model`` by layer name, then check it really loaded.

    Returns (layers loaded, layers with weights in the model). Raises ``ValueError`` when no
    layer of the model has weights in the file, when (unless ``allow_partial``) some do not,
    when shapes do not match, or when a loaded layer does not hold the file's values afterwards.
    """
    keras_model = maskrcnn.keras_model
    model_layers = _weighted_layers(keras_model)
    (f, group), file_layers = _h5_layer_weights(path)
    try:
        matched = [layer for layer in model_layers if file_layers.get(layer.name)]
        if not matched:
            raise ValueError(
                f"{path} holds no weights for any layer of PixelLib's Mask R-CNN "
                f"(0 of {len(model_layers)} layers matched by name; the file has "
                f"{len(file_layers)} layers, e.g. {sorted(file_layers)[:5]}): nothing would be loaded. "
                "Is it really PixelLib's mask_rcnn_coco.h5? " + _HOW_TO_GET_WEIGHTS
            )
        missing = [layer.name for layer in model_layers if not file_layers.get(layer.name)]
        if missing and not allow_partial:
            raise ValueError(
                f"{path} holds weights for only {len(matched)} of the {len(model_layers)} layers of "
                f"PixelLib's Mask R-CNN (missing e.g. {missing[:8]}): the rest would stay random. "
                "Is it really PixelLib's mask_rcnn_coco.h5 (COCO, 81 classes, ResNet-101)? " + _HOW_TO_GET_WEIGHTS
            )
        with model_scope(maskrcnn):
            try:
                keras_model.load_weights(path, by_name=True)
            except ValueError as exc:
                raise ValueError(
                    f"{path} does not fit PixelLib's COCO Mask R-CNN (ResNet-101, {COCO_NUM_CLASSES} classes): {exc}"
                ) from exc
            # Check that every matched layer now holds exactly the file's values.
            values = _PIXELLIB["tf"].keras.backend.batch_get_value([w for layer in matched for w in layer.weights])
        i = 0
        for layer in matched:
            names = file_layers[layer.name]
            if len(names) != len(layer.weights):
                raise ValueError(
                    f"{path}: layer {layer.name!r} has {len(names)} weights in the file but "
                    f"{len(layer.weights)} in the model"
                )
            for wname in names:
                if not np.array_equal(values[i], np.asarray(group[layer.name][wname])):
                    raise ValueError(
                        f"weights of layer {layer.name!r} were not loaded from {path} "
                        "(the model's values differ from the file's after load_weights)"
                    )
                i += 1
    finally:
        f.close()
    return len(matched), len(model_layers)


# --------------------------------------------------------------------------------------------
# The segmenter
# --------------------------------------------------------------------------------------------


def _as_bgr_image(image_bgr: Any) -> np.ndarray:
    image = np.asarray(image_bgr)
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"expected an H x W x 3 BGR image, got an array of shape {image.shape}")
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 BGR image, got dtype {image.dtype}")
    return image


def people_from_detections(
    rois: np.ndarray,
    class_ids: np.ndarray,
    scores: np.ndarray,
    masks: np.ndarray,
    image_shape: tuple[int, ...],
    min_score: float,
    segmenter: str = "",
) -> PeopleMask:
    """PixelLib/Matterport detections (rois as (y1, x1, y2, x2), masks H x W x N) -> PeopleMask.

    Keeps class ``PERSON_CLASS_ID`` with score >= ``min_score``; the mask is their union; boxes
    become (x0, y0, x1, y1) in image pixels (x1, y1 exclusive), clipped to the image.
    """
    h, w = int(image_shape[0]), int(image_shape[1])
    union = np.zeros((h, w), dtype=bool)
    boxes: list[tuple[int, int, int, int]] = []
    kept: list[float] = []
    rois = np.asarray(rois).reshape(-1, 4)
    class_ids = np.asarray(class_ids).reshape(-1)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    for i in range(class_ids.shape[0]):
        if int(class_ids[i]) != PERSON_CLASS_ID or not scores[i] >= min_score:
            continue
        y1, x1, y2, x2 = (int(v) for v in rois[i])
        x0c, x1c = min(max(x1, 0), w), min(max(x2, 0), w)
        y0c, y1c = min(max(y1, 0), h), min(max(y2, 0), h)
        boxes.append((x0c, y0c, x1c, y1c))
        kept.append(float(scores[i]))
        union |= np.asarray(masks[:, :, i], dtype=bool)
    return PeopleMask(mask=union, boxes=boxes, scores=kept, segmenter=segmenter)


class PixelLibSegmenter(Segmenter):
    """People in a frame by PixelLib's Mask R-CNN with the COCO weights (person class only).

    ``min_score``: keep person detections with at least this score (PixelLib's default
    confidence is 0.7, its "average" speed mode 0.45). ``image_max_dim``: the square the frame
    is resized into (multiple of 64); PixelLib's default is 1024, 512 is its "average" mode and
    about twice as fast on a CPU (a 1280 x 720 frame on 2 cores: ~1.8 s at 512, ~3 s at 1024).
    """

    name = PIXELLIB_SEGMENTER

    def __init__(
        self, weights_path: str, min_score: float = 0.5, image_max_dim: int = 512, *, allow_partial: bool = False
    ):
        path = os.fspath(weights_path)
        if not os.path.isfile(path):
            what = "is a directory, not a file" if os.path.isdir(path) else "does not exist"
            raise FileNotFoundError(f"Mask R-CNN weights {path!r} {what}. " + _HOW_TO_GET_WEIGHTS)
        if not 0.0 <= float(min_score) <= 1.0:
            raise ValueError(f"min_score must be between 0 and 1, got {min_score!r}")
        image_max_dim = _check_image_max_dim(image_max_dim)
        # Refuse a file that is not Keras weights before spending time on building the network.
        (f, _group), _ = _h5_layer_weights(path)
        f.close()

        self.weights_path = os.path.abspath(path)
        self.min_score = float(min_score)
        self.image_max_dim = image_max_dim
        self.model = build_maskrcnn(image_max_dim=image_max_dim, min_score=self.min_score)
        self.keras_model = self.model.keras_model
        self.layers_loaded, self.layers_total = load_weights_by_name(self.model, path, allow_partial=allow_partial)
        self._weights_sha256: str | None = None

    def close(self) -> None:
        """Free the TensorFlow session (the segmenter cannot be used afterwards)."""
        self.model.forensic_session.close()

    def __enter__(self) -> PixelLibSegmenter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def weights_sha256(self) -> str:
        """sha256 of the weights file (computed once, on first use)."""
        if self._weights_sha256 is None:
            self._weights_sha256 = weights_fingerprint(self.weights_path)
        return self._weights_sha256

    def network_outputs(self, image_bgr: np.ndarray) -> dict[str, np.ndarray]:
        """The raw outputs of the Keras model for one BGR frame (see :func:`network_outputs`)."""
        return network_outputs(self.model, np.ascontiguousarray(_as_bgr_image(image_bgr)[:, :, ::-1]))

    def people(self, image_bgr: np.ndarray) -> PeopleMask:
        image = _as_bgr_image(image_bgr)
        rgb = np.ascontiguousarray(image[:, :, ::-1])  # a new array: the caller's frame is never touched
        out = network_outputs(self.model, rgb)
        rois, class_ids, scores, masks = self.model.unmold_detections(
            out["detections"][0], out["mrcnn_mask"][0], rgb.shape, out["molded_shape"], out["window"]
        )
        return people_from_detections(rois, class_ids, scores, masks, image.shape, self.min_score, self.name)


_OUTPUT_NAMES = ("detections", "mrcnn_class", "mrcnn_bbox", "mrcnn_mask", "rpn_rois", "rpn_class", "rpn_bbox")


def network_outputs(maskrcnn: Any, image_rgb: np.ndarray) -> dict[str, np.ndarray]:
    """Run PixelLib's inference Keras model on one RGB image (what ``MaskRCNN.detect`` does).

    Returns the model's seven outputs by name (batch of 1): ``detections`` [1, 100, (y1, x1, y2,
    x2, class_id, score)] normalised, ``mrcnn_class``, ``mrcnn_bbox``, ``mrcnn_mask``,
    ``rpn_rois``, ``rpn_class``, ``rpn_bbox``; plus ``molded_shape`` and ``window`` for
    ``unmold_detections``.
    """
    image_rgb = np.asarray(image_rgb)
    molded, metas, windows = maskrcnn.mold_inputs([image_rgb])  # resizes into a new array
    anchors = maskrcnn.get_anchors(molded[0].shape)
    anchors = np.broadcast_to(anchors, (1,) + anchors.shape)
    with model_scope(maskrcnn):
        outs = maskrcnn.keras_model.predict([molded, metas, anchors], verbose=0)
    result = dict(zip(_OUTPUT_NAMES, outs))
    result["molded_shape"] = molded[0].shape
    result["window"] = windows[0]
    return result


# --------------------------------------------------------------------------------------------
# Weights files: fingerprint, download, random test weights
# --------------------------------------------------------------------------------------------


def weights_fingerprint(path: str) -> str:
    """sha256 (hex) of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _open_url(url: str, timeout: float) -> Any:
    """urlopen with a hard deadline on name lookup + connect + response headers.

    ``urlopen``'s own timeout does not cover the DNS lookup, so the opening runs in a daemon
    thread that is abandoned when the deadline passes.
    """
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            req = urllib.request.Request(url, headers={"User-Agent": "forensic-models-fetch"})
            box["response"] = urllib.request.urlopen(req, timeout=timeout)
        except BaseException as exc:  # noqa: BLE001  (handed to the caller)
            box["error"] = exc

    t = threading.Thread(target=work, name="fetch-coco-weights", daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise TimeoutError(f"no answer within {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box["response"]


def fetch_coco_weights(
    dest: str,
    timeout: float = 20.0,
    *,
    url: str = COCO_WEIGHTS_URL,
    expected_sha256: str | None = COCO_WEIGHTS_SHA256,
) -> str:
    """Download PixelLib's ``mask_rcnn_coco.h5`` to ``dest``; returns ``dest``.

    Downloads into a temporary file next to ``dest``, checks the length announced by the
    server, the sha256 when ``expected_sha256`` is known (``COCO_WEIGHTS_SHA256``) and that the
    result is a Keras weights file, then renames it into place (``dest`` is never left half
    written). ``timeout`` bounds the lookup and connection and any stall while reading.
    Raises ``RuntimeError`` when the URL cannot be reached (offline machine) or the download is
    bad, with how to place the file by hand.
    """
    dest = os.path.abspath(os.fspath(dest))
    folder = os.path.dirname(dest)
    by_hand = (
        f"On a machine with internet access, download {url} and copy the file to {dest} "
        f"(the default place is {DEFAULT_WEIGHTS_PATH}), or give its path with --maskrcnn-weights."
    )
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".mask_rcnn_coco.", suffix=".part", dir=folder)
    try:
        try:
            response = _open_url(url, timeout)
            h = hashlib.sha256()
            got = 0
            with response, os.fdopen(fd, "wb") as out:
                fd = -1
                expected_len = response.headers.get("Content-Length")
                while True:
                    chunk = response.read(1 << 20)  # each read is bounded by the socket timeout
                    if not chunk:
                        break
                    out.write(chunk)
                    h.update(chunk)
                    got += len(chunk)
        except (TimeoutError, urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
            if isinstance(exc, urllib.error.HTTPError):
                reason = f"HTTP {exc.code} {exc.reason}"
            else:
                reason = getattr(exc, "reason", None) or exc
            raise RuntimeError(
                f"Could not download the Mask R-CNN COCO weights from {url}: {reason}. "
                "This machine looks offline, or the URL cannot be reached. " + by_hand
            ) from exc
        if expected_len is not None and expected_len.isdigit() and int(expected_len) != got:
            raise RuntimeError(
                f"The download of {url} was cut short ({got} of {expected_len} bytes). Try again. " + by_hand
            )
        digest = h.hexdigest()
        if expected_sha256 is not None and digest.lower() != expected_sha256.lower():
            raise RuntimeError(
                f"The file downloaded from {url} has sha256 {digest}, not the published {expected_sha256}: "
                "refused. " + by_hand
            )
        try:
            (f, _group), layers = _h5_layer_weights(tmp)
            f.close()
        except ValueError as exc:
            raise RuntimeError(f"The file downloaded from {url} is not Keras weights: {exc}. " + by_hand) from exc
        if not layers:
            raise RuntimeError(f"The file downloaded from {url} holds no layer weights. " + by_hand)
        os.replace(tmp, dest)
        if expected_sha256 is None:
            print(f"mask_rcnn_coco.h5 sha256 {digest} (no published hash to check it against)", file=sys.stderr)
        return dest
    finally:
        if fd != -1:
            os.close(fd)
        if os.path.exists(tmp):
            os.remove(tmp)


def _seeded_values(keras_model: Any, seed: int) -> list[np.ndarray]:
    """Deterministic random values for every weight of the model, from ``seed``.

    Kernels: Glorot-uniform (Keras' default for these layers); the box-regression kernels
    (``rpn_bbox_pred``, ``mrcnn_bbox_fc``) scaled by 0.1 so that random box deltas stay finite.
    Biases, beta, moving mean: 0; gamma, moving variance: 1 (Keras' defaults).
    """
    rng = np.random.default_rng(seed)
    values = []
    for w in keras_model.weights:
        name = w.name
        shape = tuple(int(d) for d in w.shape)
        base = name.rsplit("/", 1)[-1].split(":")[0]
        if base in ("gamma", "moving_variance"):
            v = np.ones(shape)
        elif len(shape) <= 1:
            v = np.zeros(shape)
        else:
            receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
            fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            if "bbox" in name:
                limit *= 0.1
            v = rng.uniform(-limit, limit, shape)
        values.append(v.astype(np.float32))
    return values


def save_random_weights(path: str, image_max_dim: int = 256, seed: int = 0) -> None:
    """Save seeded random weights for the same architecture as Keras HDF5 weights (for tests).

    The layer names and weight shapes do not depend on ``image_max_dim``, so the file loads by
    name into a :class:`PixelLibSegmenter` of any image size. Same seed, same values.
    """
    maskrcnn = build_maskrcnn(image_max_dim=image_max_dim, optimize_graph=False)
    keras_model = maskrcnn.keras_model
    try:
        with model_scope(maskrcnn):
            keras_model.set_weights(_seeded_values(keras_model, seed))  # same order as keras_model.weights
            keras_model.save_weights(os.fspath(path), save_format="h5")
    finally:
        maskrcnn.forensic_session.close()


__all__ = [
    "BACKBONE",
    "COCO_NUM_CLASSES",
    "COCO_WEIGHTS_SHA256",
    "COCO_WEIGHTS_URL",
    "DEFAULT_WEIGHTS_PATH",
    "PERSON_CLASS_ID",
    "PixelLibSegmenter",
    "build_maskrcnn",
    "fetch_coco_weights",
    "load_weights_by_name",
    "model_scope",
    "network_outputs",
    "people_from_detections",
    "save_random_weights",
    "weights_fingerprint",
]
