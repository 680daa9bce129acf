"""The fusion model and the comparison models (forensic.model.architecture): every size the paper
states, the layers it names, and the Table 2 models."""

from __future__ import annotations

import pytest

from forensic.model import architecture as A


@pytest.fixture(scope="module")
def fusion():
    return A.build_model("fusion")


def layers_of(model, cls: str):
    return [layer for layer in model.layers if type(layer).__name__ == cls]


def test_every_size_the_paper_states(fusion):
    sizes = A.output_sizes(fusion)
    expected = {
        "frames": (5, 128, 128, 3),
        "convlstm_1": (5, 126, 126, 4),
        "pool_1": (5, 63, 63, 4),
        "convlstm_2": (5, 61, 61, 8),
        "pool_2": (5, 31, 31, 8),
        "convlstm_3": (5, 29, 29, 14),
        "pool_3": (5, 15, 15, 14),
        "convlstm_4": (5, 13, 13, 16),
        "pool_4": (5, 7, 7, 16),
        "flatten": (3920,),
        "cnn_dense": (1024,),
        "cnn_out": (4,),
        "vectors": (5, 29),
        "mlp_out": (4,),
        "concat": (8,),
        "score": (1,),
    }
    for name, shape in expected.items():
        assert sizes[name] == shape, name
    assert A.PAPER_SIZES == expected
    assert sizes["flatten"] == (3920,) and 5 * 7 * 7 * 16 == 3920


def test_convlstm_blocks_as_the_paper(fusion):
    convs = layers_of(fusion, "ConvLSTM2D")
    assert [c.filters for c in convs] == [4, 8, 14, 16]
    assert all(c.kernel_size == (3, 3) and c.padding == "valid" and c.return_sequences for c in convs)
    pools = layers_of(fusion, "MaxPooling3D")
    assert len(pools) == 4 and all(p.pool_size == (1, 2, 2) and p.padding == "same" for p in pools)
    td = layers_of(fusion, "TimeDistributed")
    assert len(td) == 4 and all(type(t.layer).__name__ == "Dropout" for t in td)
    # each block is ConvLSTM2D -> MaxPooling3D -> TimeDistributed, in that order
    names = [layer.name for layer in fusion.layers]
    for i in range(1, 5):
        assert names.index(f"convlstm_{i}") < names.index(f"pool_{i}") < names.index(f"time_dropout_{i}")
    dense = fusion.get_layer("cnn_dense")
    assert dense.units == 1024 and fusion.get_layer("cnn_dropout").rate == 0.5
    assert fusion.get_layer("cnn_out").units == 4


def test_valid_pooling_would_not_give_the_papers_sizes():
    sizes = A.output_sizes(A.build_model("convlstm", A.ArchitectureConfig(pool_padding="valid")))
    assert sizes["pool_2"] == (5, 30, 30, 8) and sizes["flatten"] != (3920,)


def test_mlp_stream_and_fusion_head(fusion):
    mlp = [fusion.get_layer(n) for n in ("mlp_1", "mlp_2", "mlp_out")]
    assert [d.units for d in mlp][-1] == 4
    assert all(d.activation.__name__ == "relu" for d in mlp)
    assert A.output_sizes(fusion)["mlp_flatten"] == (145,)
    heads = [fusion.get_layer(n) for n in ("fusion_1", "fusion_2")]
    assert all(d.activation.__name__ == "relu" for d in heads)
    score = fusion.get_layer("score")
    assert score.units == 1 and score.activation.__name__ == "sigmoid"
    concat = fusion.get_layer("concat")
    assert [t._keras_history.layer.name for t in concat.input] == ["cnn_out", "mlp_out"]
    assert sorted(fusion.input_names) == ["frames", "vectors"]


def test_the_comparison_models_of_table_2():
    convlstm = A.build_model("convlstm")
    assert convlstm.input_names == ["frames"]
    assert A.output_sizes(convlstm)["flatten"] == (3920,)
    assert "concat" not in A.output_sizes(convlstm)

    vgg = A.build_model("vgg16")
    assert vgg.input_names == ["frames"] and A.output_sizes(vgg)["frames"] == (128, 128, 3)  # one frame
    base = vgg.get_layer("vgg16")
    assert len(layers_of(base, "Conv2D")) == 13 and len(layers_of(base, "MaxPooling2D")) == 5
    fc = [vgg.get_layer(n) for n in ("vgg_fc_1", "vgg_fc_2", "cnn_out")]  # three fully connected layers
    assert fc[-1].units == 4

    vgg_mlp = A.build_model("vgg16_mlp")
    sizes = A.output_sizes(vgg_mlp)
    assert sorted(vgg_mlp.input_names) == ["frames", "vectors"]
    assert sizes["vectors"] == (29,) and sizes["concat"] == (8,) and sizes["score"] == (1,)
    assert [name for name, _ in A.TABLE2_ROWS] == ["vgg16", "convlstm", "vgg16_mlp", "fusion"]
    assert A.FRAME_LEVEL == {"vgg16", "vgg16_mlp"}


def test_bad_architecture_or_weights(tmp_path):
    with pytest.raises(ValueError, match="unknown architecture"):
        A.build_model("resnet")
    with pytest.raises(ValueError, match="vgg16"):
        A.build_model("fusion", vgg16_weights=str(tmp_path / "w.h5"))
    with pytest.raises(FileNotFoundError):
        A.build_model("vgg16", vgg16_weights=str(tmp_path / "missing.h5"))


def test_supplied_vgg16_weights_are_loaded(tmp_path):
    """A user's weights file (ImageNet cannot be downloaded here): made from a VGG16 of known weights."""
    import numpy as np

    k = A.keras()
    A.keras().utils.set_random_seed(3)
    src = k.applications.VGG16(include_top=False, weights=None, input_shape=(128, 128, 3))
    path = str(tmp_path / "vgg16_notop.h5")
    src.save_weights(path)
    model = A.build_model("vgg16", vgg16_weights=path)
    got = model.get_layer("vgg16").get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(got, src.get_weights(), strict=True))
    assert model.get_layer("vgg_preprocess").trainable is False  # ImageNet-style input, fixed
