"""The fusion model of the paper (section III.I, Figure 6) and the three comparison models of
Table 2, built with tf-keras 2.x.

``fusion`` (CNN + LSTM + MLP, the proposed model)
    ConvLSTM stream: frames 5 x 128 x 128 x 3 -> 4 blocks of [ConvLSTM2D (kernel 3, no padding,
    return_sequences) -> MaxPooling3D (1, 2, 2), padding "same" -> TimeDistributed(Dropout)] with
    4, 8, 14, 16 filters: 126 -> 63 -> 61 -> 31 -> 29 -> 15 -> 13 -> 7; Flatten 5*7*7*16 = 3920;
    Dense 1024 (ReLU); Dropout 0.5; Dense 4 (ReLU).
    MLP stream: vectors 5 x 29 -> Flatten (145) -> Dense, Dense, Dense 4 (ReLU).
    Fusion: concatenate the two 4-vectors -> Dense, Dense (ReLU) -> Dense 1 (sigmoid).
``convlstm`` (CNN + LSTM, "without fusion")
    The ConvLSTM stream alone, then the same head as the fusion (Dense, Dense, Dense 1 sigmoid).
``vgg16`` (CNN, frame level)
    VGG16's 13 convolution and 5 pooling layers on one 128 x 128 x 3 frame, then 3 fully
    connected layers (512, 512, 4), then the same head. Classifies single frames.
``vgg16_mlp`` (CNN + MLP with fusion, frame level)
    The VGG16 stream on one frame and the MLP stream on that frame's 29 numbers, fused as above.

Frame-level models classify single frames (the paper: "the CNN and CNN-MLP models alone classify
individual frames"); a clip's score is the mean of its 5 frames' scores
(:mod:`forensic.model.store`).

The paper does not state: the widths of the MLP and fusion layers, the activations of the stream
outputs, dropout inside the ConvLSTM blocks, the VGG16 fully connected widths at 128 px, input
scaling. :data:`CHOICES` records what is used here and goes into every model card.

ImageNet weights for VGG16 cannot be downloaded on this machine: VGG16 is trained from scratch
unless the user supplies a weights file (Keras' ``vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5``).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

FRAMES = 5
FRAME_SIZE = 128
CHANNELS = 3
N_FEATURES = 29

ARCHITECTURES: tuple[str, ...] = ("fusion", "convlstm", "vgg16", "vgg16_mlp", "fusion_relational")
FRAME_LEVEL = frozenset({"vgg16", "vgg16_mlp"})  # classify single frames
USES_VECTORS = frozenset({"fusion", "vgg16_mlp", "fusion_relational"})  # have the MLP stream (the paper's "fusion")
# beyond the paper: the fusion model whose MLP stream also gets relational numbers derived from the
# 29 (forensic.model.relational), as the extra row of Table 2
RELATIONAL = frozenset({"fusion_relational"})
# (CNN, LSTM, MLP) ticks of the paper's Table 2, in its row order
TABLE2_ROWS: tuple[tuple[str, tuple[bool, bool, bool]], ...] = (
    ("vgg16", (True, False, False)),
    ("convlstm", (True, True, False)),
    ("vgg16_mlp", (True, False, True)),
    ("fusion", (True, True, True)),
)
# rows after the paper's four: the variants beyond the paper, same ticks as the model they extend
TABLE2_VARIANTS: tuple[tuple[str, tuple[bool, bool, bool]], ...] = (("fusion_relational", (True, True, True)),)

# Every size the paper states for the ConvLSTM stream (section III.I.1), by layer name.
PAPER_SIZES: dict[str, tuple[int, ...]] = {
    "frames": (FRAMES, 128, 128, 3),
    "convlstm_1": (FRAMES, 126, 126, 4),
    "pool_1": (FRAMES, 63, 63, 4),
    "convlstm_2": (FRAMES, 61, 61, 8),
    "pool_2": (FRAMES, 31, 31, 8),
    "convlstm_3": (FRAMES, 29, 29, 14),
    "pool_3": (FRAMES, 15, 15, 14),
    "convlstm_4": (FRAMES, 13, 13, 16),
    "pool_4": (FRAMES, 7, 7, 16),
    "flatten": (3920,),
    "cnn_dense": (1024,),
    "cnn_out": (4,),
    "vectors": (FRAMES, N_FEATURES),
    "mlp_out": (4,),
    "concat": (8,),
    "score": (1,),
}


@dataclass(frozen=True)
class ArchitectureConfig:
    """Sizes of every layer; the paper's where it states them, ours (see :data:`CHOICES`) where not."""

    convlstm_filters: tuple[int, ...] = (4, 8, 14, 16)  # paper
    kernel: int = 3  # paper ("no padding": 128 -> 126)
    pool: tuple[int, int, int] = (1, 2, 2)  # paper: halves each frame, keeps the 5 frames
    pool_padding: str = "same"  # reproduces 61 -> 31, 29 -> 15, 13 -> 7 ("valid" would give 30, 14, 6)
    block_dropout: float = 0.2  # ours: the TimeDistributed layer of each block is a Dropout
    cnn_dense: int = 1024  # paper
    cnn_dropout: float = 0.5  # paper
    stream_out: int = 4  # paper: each stream ends in 4 neurons
    mlp_units: tuple[int, ...] = (64, 32)  # ours: the first two of the MLP's three Dense layers
    fusion_units: tuple[int, ...] = (16, 8)  # ours: the two Dense ReLU layers after concatenation
    vgg_fc: tuple[int, ...] = (512, 512)  # ours: VGG16's first two fully connected layers at 128 px
    vgg_dropout: float = 0.5  # ours (as VGG16's own fully connected layers)

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArchitectureConfig:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


# Where the paper is silent: what is done here, and why. Written into every model card.
CHOICES: tuple[dict[str, str], ...] = (
    {
        "topic": "pooling padding",
        "choice": "MaxPooling3D pool (1, 2, 2), padding 'same'",
        "why": "the only setting that reproduces the paper's sizes 61 -> 31, 29 -> 15, 13 -> 7 and the Flatten of 3920",
    },
    {
        "topic": "TimeDistributed layer of each block",
        "choice": "TimeDistributed(Dropout(0.2)) after each MaxPooling3D, in all 4 blocks",
        "why": "the paper names a TimeDistributed layer in every block but not what it wraps; per-frame dropout is the common "
        "ConvLSTM recipe with these filter counts (4, 8, 14, 16); no recurrent dropout (twice the CPU time)",
    },
    {"topic": "ConvLSTM activations", "choice": "tanh (Keras default), recurrent sigmoid", "why": "paper silent"},
    {
        "topic": "stream outputs",
        "choice": "Dense 1024 ReLU; both 4-neuron stream outputs ReLU",
        "why": "the paper says the MLP stream uses ReLU; the ConvLSTM stream is given the same for symmetry",
    },
    {
        "topic": "MLP widths",
        "choice": "Flatten 145 -> Dense 64 -> Dense 32 -> Dense 4, all ReLU",
        "why": "the paper gives three hidden layers, the last of 4, not the other two widths",
    },
    {
        "topic": "fusion widths",
        "choice": "concatenate (8) -> Dense 16 -> Dense 8, ReLU -> Dense 1 sigmoid",
        "why": "the paper gives two Dense ReLU layers and a sigmoid neuron, not their widths",
    },
    {
        "topic": "comparison models' heads",
        "choice": "every model of Table 2 ends in the same head (Dense 16, Dense 8, Dense 1 sigmoid)",
        "why": "so that the models differ only in their streams; models without the MLP feed only the CNN stream's 4 neurons",
    },
    {
        "topic": "VGG16 stream",
        "choice": "VGG16's 13 conv + 5 pool layers at 128 x 128, Flatten 8192, Dense 512, Dense 512 "
        "(dropout 0.5 each), Dense 4 (ReLU): the paper's '3 fully connected layers' with a 4-neuron output like the ConvLSTM stream",
        "why": "the paper names VGG16 but not its input size or fully connected widths (4096 at 224 px)",
    },
    {
        "topic": "VGG16 weights",
        "choice": "trained from scratch (weights=None) unless a weights file is given",
        "why": "ImageNet weights cannot be downloaded on this machine",
    },
    {
        "topic": "frame-level models",
        "choice": "VGG16 and VGG16+MLP are trained on single frames labelled with their clip's "
        "label; a clip's score is the mean of its 5 frame scores",
        "why": "the paper: the CNN and CNN-MLP models classify individual frames",
    },
    {
        "topic": "input scaling",
        "choice": "frames enter as uint8 RGB and are scaled inside the model: x / 255 (VGG16 with "
        "supplied ImageNet weights: RGB -> BGR and ImageNet mean subtracted, as Keras' VGG16 expects)",
        "why": "the saved model then needs no outside preprocessing for its frames",
    },
)


def keras():
    """tf-keras 2.x (the ``tf_keras`` package, whatever ``tf.keras`` resolves to)."""
    import tf_keras

    return tf_keras


def _input_frames(frame_level: bool):
    k = keras()
    shape = (FRAME_SIZE, FRAME_SIZE, CHANNELS) if frame_level else (FRAMES, FRAME_SIZE, FRAME_SIZE, CHANNELS)
    return k.layers.Input(shape, dtype="uint8", name="frames")


def vector_columns(architecture: str) -> tuple[str, ...]:
    """The columns of the MLP stream's input per frame: the paper's 29, and for the relational
    variant the 11 relational numbers of the frame and the 8 of the clip (the same in each frame)."""
    from forensic.features.table import FEATURE_COLUMNS
    from forensic.model.relational import RELATIONAL_COLUMNS

    return (*FEATURE_COLUMNS, *RELATIONAL_COLUMNS) if architecture in RELATIONAL else tuple(FEATURE_COLUMNS)


def model_vectors(architecture: str, vectors):
    """(clips, 5, 29) -> what the architecture's MLP stream reads before scaling: the 29 as they
    are, or for the relational variant the 29 with its relational numbers appended per frame."""
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float64)
    if architecture not in RELATIONAL:
        return vectors
    from forensic.model.relational import relational_per_frame

    return np.concatenate([vectors, relational_per_frame(vectors)], axis=2)


def _input_vectors(frame_level: bool, width: int = N_FEATURES):
    k = keras()
    return k.layers.Input((width,) if frame_level else (FRAMES, width), dtype="float32", name="vectors")


def convlstm_stream(frames, config: ArchitectureConfig):
    """The paper's CNN-LSTM stream: 4 x [ConvLSTM2D, MaxPooling3D, TimeDistributed] -> 3920 -> 1024 -> 4."""
    L = keras().layers
    x = L.Rescaling(1.0 / 255.0, name="scale")(frames)
    for i, filters in enumerate(config.convlstm_filters, start=1):
        x = L.ConvLSTM2D(filters, config.kernel, padding="valid", return_sequences=True, name=f"convlstm_{i}")(x)
        x = L.MaxPooling3D(config.pool, padding=config.pool_padding, name=f"pool_{i}")(x)
        x = L.TimeDistributed(L.Dropout(config.block_dropout), name=f"time_dropout_{i}")(x)
    x = L.Flatten(name="flatten")(x)
    x = L.Dense(config.cnn_dense, activation="relu", name="cnn_dense")(x)
    x = L.Dropout(config.cnn_dropout, name="cnn_dropout")(x)
    return L.Dense(config.stream_out, activation="relu", name="cnn_out")(x)


def mlp_stream(vectors, config: ArchitectureConfig):
    """The paper's MLP stream: Flatten -> three Dense ReLU layers, the last of 4."""
    L = keras().layers
    x = L.Flatten(name="mlp_flatten")(vectors)
    for i, units in enumerate(config.mlp_units, start=1):
        x = L.Dense(units, activation="relu", name=f"mlp_{i}")(x)
    return L.Dense(config.stream_out, activation="relu", name="mlp_out")(x)


def vgg16_stream(frame, config: ArchitectureConfig, weights: str | None = None):
    """VGG16 (13 conv, 5 pool) on one frame, then 3 fully connected layers, the last of 4."""
    k = keras()
    L = k.layers
    if weights:
        # Keras' VGG16 ImageNet weights expect BGR with the ImageNet mean subtracted ("caffe" mode):
        # a fixed 1x1 convolution swaps the channels and subtracts the mean, so the model stays
        # loadable without custom code.
        import numpy as np

        kernel = np.zeros((1, 1, 3, 3), np.float32)
        for out_c in range(3):
            kernel[0, 0, 2 - out_c, out_c] = 1.0
        bias = -np.array([103.939, 116.779, 123.68], np.float32)
        x = L.Rescaling(1.0, name="scale")(frame)
        pre = L.Conv2D(3, 1, name="vgg_preprocess", trainable=False)
        x = pre(x)
        pre.set_weights([kernel, bias])
    else:
        x = L.Rescaling(1.0 / 255.0, name="scale")(frame)
    base = k.applications.VGG16(include_top=False, weights=weights, input_shape=(FRAME_SIZE, FRAME_SIZE, CHANNELS))
    x = base(x)
    x = L.Flatten(name="flatten")(x)
    for i, units in enumerate(config.vgg_fc, start=1):
        x = L.Dense(units, activation="relu", name=f"vgg_fc_{i}")(x)
        x = L.Dropout(config.vgg_dropout, name=f"vgg_dropout_{i}")(x)
    return L.Dense(config.stream_out, activation="relu", name="cnn_out")(x)


def head(streams: list, config: ArchitectureConfig):
    """Fusion: concatenate the 4-neuron stream outputs -> Dense, Dense (ReLU) -> Dense 1 sigmoid."""
    L = keras().layers
    x = L.Concatenate(name="concat")(streams) if len(streams) > 1 else streams[0]
    for i, units in enumerate(config.fusion_units, start=1):
        x = L.Dense(units, activation="relu", name=f"fusion_{i}")(x)
    return L.Dense(1, activation="sigmoid", name="score")(x)


def build_model(
    architecture: str = "fusion", config: ArchitectureConfig = ArchitectureConfig(), vgg16_weights: str | None = None
):
    """A new, uncompiled tf-keras model with named inputs ``frames`` (and ``vectors`` for the
    models with an MLP stream) and one sigmoid output, P(stalking)."""
    if architecture not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {architecture!r}: {', '.join(ARCHITECTURES)}")
    if vgg16_weights and architecture not in FRAME_LEVEL:
        raise ValueError(f"--vgg16-weights applies to vgg16 and vgg16_mlp, not {architecture}")
    if vgg16_weights and not os.path.isfile(vgg16_weights):
        raise FileNotFoundError(f"VGG16 weights file not found: {vgg16_weights}")
    k = keras()
    frame_level = architecture in FRAME_LEVEL
    frames = _input_frames(frame_level)
    inputs = {"frames": frames}
    cnn = vgg16_stream(frames, config, vgg16_weights) if frame_level else convlstm_stream(frames, config)
    streams = [cnn]
    if architecture in USES_VECTORS:
        vectors = _input_vectors(frame_level, len(vector_columns(architecture)))
        inputs["vectors"] = vectors
        streams.append(mlp_stream(vectors, config))
    return k.Model(inputs=inputs, outputs=head(streams, config), name=architecture)


def layer_table(model) -> list[dict[str, Any]]:
    """Every layer: name, class, output shape (without the batch axis), parameters."""
    out = []
    for layer in model.layers:
        shape = layer.output_shape
        if isinstance(shape, list):
            shape = shape[0]
        out.append(
            {
                "name": layer.name,
                "class": type(layer).__name__,
                "output_shape": [int(s) for s in shape[1:]] if shape is not None else None,
                "parameters": int(layer.count_params()),
            }
        )
    return out


def output_sizes(model) -> dict[str, tuple[int, ...]]:
    """Output size (without the batch axis) of every layer, by name."""
    return {row["name"]: tuple(row["output_shape"]) for row in layer_table(model)}
