import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from posenet_mobile.codec import HeatmapCodec
from posenet_mobile.config import HEAD_TYPES, ModelConfig
from posenet_mobile.errors import ConfigError
from posenet_mobile.keras import keras, layers, tfmot
from posenet_mobile.geometry import normalize_input
from posenet_mobile.models import build_model, count_macs, inference_model, output_names, profile
from posenet_mobile.models.backbone import copy_weights_by_name

EXPECTED = {
    "heatmap": lambda h, w, k: {"heatmaps": (h, w, k), "offsets": (h, w, 2 * k)},
    "regression": lambda h, w, k: {
        "heatmaps": (h, w, k),
        "offsets": (h, w, 2 * k),
        "coords": (k, 2),
        "visibility": (k,),
    },
    "integral": lambda h, w, k: {"coords": (k, 2), "visibility": (k,)},
    "direct": lambda h, w, k: {"coords": (k, 2), "visibility": (k,)},
    "simcc": lambda h, w, k: {
        "simcc_x": (k, 8 * w),
        "simcc_y": (k, 8 * h),
    },  # stride-4 cells, split ratio 2
}


def tiny(head, size=(96, 96), **kw):
    return ModelConfig(
        input_size=size, width=0.35, head=head, decoder_channels=16, regression_channels=16, **kw
    )


@pytest.mark.parametrize("head", HEAD_TYPES)
@pytest.mark.parametrize("size", [(96, 96), (128, 96)])
def test_output_shapes_at_two_input_sizes(head, size):
    cfg = tiny(head, size)
    model = build_model(cfg)
    hh, ww = cfg.heatmap_size
    want = EXPECTED[head](hh, ww, 17)
    got = {n: tuple(t.shape[1:]) for n, t in zip(model.output_names, model.outputs)}
    assert got == want
    out = model(normalize_input(np.zeros((2, *size, 3), np.uint8)), training=False)
    assert [tuple(o.shape) for o in out] == [(2, *want[n]) for n in model.output_names]


def test_output_stride_8_and_custom_keypoint_count():
    model = build_model(tiny("heatmap", output_stride=8, num_keypoints=5))
    assert tuple(model.outputs[0].shape[1:]) == (12, 12, 5)


def test_models_are_tf_keras_even_if_keras3_is_imported_first():
    code = textwrap.dedent(
        """
        import keras  # Keras 3, imported by the user before us
        import tf_keras
        from posenet_mobile.config import ModelConfig
        from posenet_mobile.models import build_model
        m = build_model(ModelConfig(input_size=(64, 64), width=0.35, decoder_channels=8))
        print(keras.__version__.split('.')[0], isinstance(m, tf_keras.Model), isinstance(m, keras.Model))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    major, is_tfk, is_k3 = out.stdout.split()[-3:]
    assert major == "3" and is_tfk == "True" and is_k3 == "False"


@pytest.mark.parametrize("head", HEAD_TYPES)
def test_get_config_from_config_round_trip(head, rng):
    model = build_model(tiny(head, (64, 64)))
    clone = keras.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    assert clone.output_names == model.output_names
    x = rng.uniform(-1, 1, (2, 64, 64, 3)).astype(np.float32)
    for a, b in zip(model.predict(x, verbose=0), clone.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, atol=1e-6)
    json.loads(model.to_json())  # serialisable as JSON too (grid kernel of the integral head)


def _no_forbidden_layers(model):
    bad = [
        l.name
        for l in model.layers
        if type(l).__name__
        in ("Lambda", "TFOpLambda", "SlicingOpLambda", "Resizing", "Rescaling", "Multiply")
    ]
    relu6_strings = [
        l.name
        for l in model.layers
        if getattr(l, "activation", None) is not None
        and getattr(l.activation, "__name__", "") == "relu6"
    ]
    return bad + relu6_strings


@pytest.mark.parametrize("head", HEAD_TYPES)
def test_qat_and_pruning_wrap_every_head(head):
    model = build_model(tiny(head, (64, 64)))
    assert _no_forbidden_layers(model) == []
    t = tfmot()
    q = t.quantization.keras.quantize_model(model)
    assert any("quant" in l.name for l in q.layers)
    p = t.sparsity.keras.prune_low_magnitude(model)
    assert output_names(q) == output_names(p) == model.output_names
    wrapped = [l for l in p.layers if type(l).__name__ == "PruneLowMagnitude"]
    assert len(wrapped) > 10
    x = np.zeros((1, 64, 64, 3), np.float32)
    assert [o.shape for o in q(x)] == [o.shape for o in model(x)]


def test_facing_pool_max_takes_the_largest_response_and_wraps_for_qat():
    import dataclasses

    cfg = dataclasses.replace(
        tiny("simcc", (64, 64)), facing_head=True, facing_channels=8, facing_pool="max"
    )
    model = build_model(cfg)
    pool = model.get_layer("facing_pool")
    assert type(pool).__name__ == "GlobalMaxPooling2D"
    trunk = keras.Model(model.input, [pool.input, pool.output])
    maps, pooled = trunk(np.random.default_rng(0).random((2, 64, 64, 3), np.float32))
    np.testing.assert_allclose(pooled, np.max(maps, axis=(1, 2)), rtol=1e-6)
    q = tfmot().quantization.keras.quantize_model(model)
    assert output_names(q) == model.output_names
    with pytest.raises(ConfigError, match=r"model\.facing_pool"):
        dataclasses.replace(cfg, facing_pool="median")


def test_regression_export_cuts_the_heatmap_branch_and_is_cheaper():
    model = build_model(tiny("regression", (96, 96)))
    exp = inference_model(model, "regression")
    assert exp.output_names == ["coords", "visibility"]
    names = {l.name for l in exp.layers}
    assert "heatmaps" not in names and "dec4_fuse_pw" not in names
    assert count_macs(exp) < count_macs(model)
    hm = build_model(tiny("heatmap", (96, 96)))
    assert inference_model(hm, "heatmap") is hm
    assert count_macs(exp) < count_macs(hm)


@pytest.mark.parametrize("head", ["heatmap", "regression", "simcc"])
def test_facing_is_exported_with_the_heads_whose_decoders_read_it(head):
    import dataclasses

    model = build_model(dataclasses.replace(tiny(head, (64, 64)), facing_head=True))
    assert model.output_names[-1] == "facing" and model.outputs[-1].shape[1:] == (1,)
    exp = inference_model(model, head)
    if head == "heatmap":  # its decoder reads it (codec.decode_sides)
        assert output_names(exp) == ["heatmaps", "offsets", "facing"]
    elif head == "simcc":  # codec.order_sides
        assert output_names(exp) == ["simcc_x", "simcc_y", "facing"]
    else:  # regression outputs coordinates: the facing branch is training-only
        assert "facing" not in exp.output_names and "facing" not in {l.name for l in exp.layers}


def test_facing_channels_give_the_facing_output_its_own_trunk():
    import dataclasses

    plain = build_model(dataclasses.replace(tiny("heatmap", (64, 64)), facing_head=True))
    own = build_model(
        dataclasses.replace(tiny("heatmap", (64, 64)), facing_head=True, facing_channels=16)
    )
    assert "facing_trunk_pw" not in {l.name for l in plain.layers}
    trunk = own.get_layer("facing_trunk_pw")
    assert trunk.filters == 16 and own.get_layer("facing").input.shape[-1] == 16
    assert own.outputs[-1].shape[1:] == (1,)
    assert output_names(inference_model(own, "heatmap")) == ["heatmaps", "offsets", "facing"]


def test_simcc_kernel_sets_the_trunks_depthwise_kernel_and_keeps_the_outputs():
    plain = build_model(tiny("simcc", (64, 64)))
    wide = build_model(tiny("simcc", (64, 64), simcc_kernel=7))
    assert plain.get_layer("simcc_trunk_dw").kernel_size == (3, 3)
    assert wide.get_layer("simcc_trunk_dw").kernel_size == (7, 7)
    assert [o.shape[1:] for o in wide.outputs] == [o.shape[1:] for o in plain.outputs]
    assert count_macs(wide) > count_macs(plain)
    with pytest.raises(ConfigError, match=r"model\.simcc_kernel"):
        tiny("simcc", (64, 64), simcc_kernel=4)


def test_integral_head_matches_the_numpy_soft_argmax(rng):
    cfg = tiny("integral", (64, 64))
    model = build_model(cfg)
    x = rng.uniform(-1, 1, (2, 64, 64, 3)).astype(np.float32)
    logits_model = keras.Model(model.input, model.get_layer("int_logits").output)
    logits = logits_model.predict(x, verbose=0)
    coords = model.predict(x, verbose=0)[0]
    codec = HeatmapCodec(cfg.input_size, cfg.output_stride)
    np.testing.assert_allclose(coords, codec.soft_argmax(logits), atol=1e-5)
    assert model.get_layer("coords").trainable is False


def test_mac_count_hand_checked():
    inp = keras.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, strides=2, padding="same")(inp)  # 4*4 * 3*3*3*4 = 1728
    x = layers.DepthwiseConv2D(3, padding="same")(x)  # 4*4 * 9*4 = 576
    x = layers.Flatten()(x)
    x = layers.Dense(5)(x)  # 64*5 = 320
    m = keras.Model(inp, x)
    assert count_macs(m) == 1728 + 576 + 320
    assert profile(m)["params"] == m.count_params()


def test_backbone_layer_names_match_keras_mobilenet_v2():
    """ImageNet weights (optional, needs the Keras cache) copy across by layer name."""
    cfg = ModelConfig(input_size=(96, 96), width=0.35, decoder_channels=16)
    model = build_model(cfg)
    ref = keras.applications.MobileNetV2(
        input_shape=(96, 96, 3), alpha=0.35, include_top=False, weights=None
    )
    ref_weighted = [l for l in ref.layers if l.weights and l.name not in ("Conv_1", "Conv_1_bn")]
    assert copy_weights_by_name(ref, model) == len(ref_weighted)
    np.testing.assert_array_equal(
        model.get_layer("block_16_project").get_weights()[0],
        ref.get_layer("block_16_project").get_weights()[0],
    )


def test_a_shallower_backbone_keeps_the_first_blocks_of_each_stage_under_their_keras_names():
    full = build_model(ModelConfig(input_size=(96, 96), width=0.35, decoder_channels=16))
    cfg = ModelConfig(input_size=(96, 96), width=0.35, decoder_channels=16, depth=0.5)
    shallow = build_model(cfg)
    blocks = lambda m: sorted(  # noqa: E731
        {int(l.name.split("_")[1]) for l in m.layers if l.name.startswith("block_")}
    )
    assert blocks(full) == list(range(1, 17))
    # stages of 2, 3, 4, 3, 3 blocks keep 1, 2, 2, 2, 2 of them: their first blocks' ids
    assert blocks(shallow) == [1, 3, 4, 6, 7, 10, 11, 13, 14, 16]
    assert shallow.output_names == full.output_names
    assert [o.shape for o in shallow.outputs] == [o.shape for o in full.outputs]
    assert count_macs(shallow) < count_macs(full)
    ref = keras.applications.MobileNetV2(
        input_shape=(96, 96, 3), alpha=0.35, include_top=False, weights=None
    )
    ref_names = {l.name for l in ref.layers}
    assert copy_weights_by_name(ref, shallow) == sum(
        1 for l in shallow.layers if l.weights and l.name in ref_names
    )
    with pytest.raises(ConfigError, match="model.depth"):
        ModelConfig(depth=0)
    with pytest.raises(ConfigError, match="model.depth"):
        ModelConfig(depth=1.5)


def test_block_pruning_zeroes_runs_of_input_weights():
    """compress.block_size=(4, 1): each 1x1 conv / Dense kernel loses whole runs of 4 consecutive
    input weights of an output channel (a run of zero bytes in the .tflite filter layout); the
    3x3 stem is pruned weight by weight. Guards the relaxed tfmot check (prune._allow_squeezed_blocks)."""
    from posenet_mobile.compress import prune as P
    from posenet_mobile.errors import ConfigError

    model = build_model(tiny("heatmap", (64, 64)))
    before = [w.copy() for w in model.get_weights()]
    wrapped = P.prune_model(model, 0.5, begin_step=0, end_step=1, frequency=1, block_size=(4, 1))
    for layer in wrapped.layers:
        if hasattr(layer, "pruning_step"):
            layer.pruning_step.assign(0)
    wrapped(np.zeros((1, 64, 64, 3), np.float32), training=True)  # one mask update at step 0
    pruned = P.strip(wrapped)
    blocks = plain = 0
    for layer in pruned.layers:
        if not P.is_prunable(layer):
            continue
        k = layer.get_weights()[0]
        assert (k == 0).mean() == pytest.approx(0.5, abs=0.1), layer.name
        if P.is_block_prunable(layer) and k.reshape(-1, k.shape[-1]).shape[0] % 4 == 0:
            runs = (k.reshape(-1, 4, k.shape[-1]) == 0).sum(axis=1)  # zeros per run of 4 inputs
            assert set(np.unique(runs)) <= {0, 4}, layer.name
            blocks += 1
        elif not P.is_block_prunable(layer):
            runs = (
                k.reshape(-1, k.shape[-1])[: k.size // k.shape[-1] // 4 * 4].reshape(
                    -1, 4, k.shape[-1]
                )
                == 0
            ).sum(axis=1)
            assert set(np.unique(runs)) - {0, 4}, layer.name  # scattered zeros
            plain += 1
    assert blocks > 10 and plain >= 1
    for a, b in zip(before, model.get_weights()):  # the base model is untouched
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ConfigError, match="compress.block_size"):
        P.prune_model(model, 0.5, block_size=(4,))


def test_regression_stop_gradient_trains_the_encoder_only_and_is_not_saved(tmp_path, rng):
    from posenet_mobile.keras import tf
    from posenet_mobile.models.saved import load_keras_model
    from posenet_mobile.train.saving import save_model_atomic

    x = tf.constant(rng.uniform(-1, 1, (2, 64, 64, 3)).astype(np.float32))
    reached = {}
    for sg in (False, True):
        model = build_model(tiny("regression", (64, 64), regression_stop_gradient=sg))
        with tf.GradientTape() as tape:
            coords = model(x, training=True)[output_names(model).index("coords")]
            loss = tf.reduce_sum(coords)
        grads = tape.gradient(loss, model.trainable_variables)
        reached[sg] = {
            v.name.split("/")[0] for v, g in zip(model.trainable_variables, grads) if g is not None
        }
    assert "Conv1" in reached[False] and "dec8_lateral" in reached[False]
    assert reached[True] and all(n.startswith("reg") for n in reached[True]), sorted(reached[True])
    assert (
        sum(type(layer).__name__ == "TFOpLambda" for layer in model.layers) == 4
    )  # the encoder's 4 inputs
    save_model_atomic(model, tmp_path / "model.keras")
    saved = load_keras_model(tmp_path / "model.keras")  # stock layers only: loads in safe mode
    assert _no_forbidden_layers(saved) == [] and output_names(saved) == output_names(model)
    for a, b in zip(model(x), saved(x)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert inference_model(saved, "regression").output_names == ["coords", "visibility"]


@pytest.mark.parametrize("head", ["regression", "direct"])
def test_laplace_coord_loss_adds_a_training_only_distribution_output(head):
    from posenet_mobile.errors import ConfigError

    model = build_model(tiny(head, (64, 64), coord_loss="laplace"))
    got = {n: tuple(t.shape[1:]) for n, t in zip(output_names(model), model.outputs)}
    assert got["coords_dist"] == (17, 4) and got["coords"] == (17, 2)
    assert inference_model(model, head).output_names == ["coords", "visibility"]
    with pytest.raises(ConfigError, match="model.coord_loss"):
        tiny("heatmap", coord_loss="laplace")
    with pytest.raises(ConfigError, match="model.regression_stop_gradient"):
        tiny("direct", regression_stop_gradient=True)
