"""Quantization: the exported graph's pixel input, and quantization-aware models (QAT / PQAT).

Every exported model takes **RGB pixel values** (uint8 for int8 files, float32 0..255 otherwise):
:func:`with_pixel_input` prepends a frozen 1x1 ``DepthwiseConv2D`` named ``normalize`` computing
``x / 127.5 - 1`` (the training normalisation). As a stock conv it quantizes like any other layer,
and with the input range pinned to [0, 255] the converted int8 file's input is exactly scale 1,
zero point 0 on uint8: the camera's bytes go in unchanged. The exporter then folds that op into
the input's quantization (:func:`posenet_mobile.export.tflite.fold_input_normalization`), and the
bytes still go in unchanged.

QAT uses tfmot's ``Default8BitPrunePreserveQuantizeScheme`` by default (pruning-preserving QAT,
"PQAT"): plain QAT would fill the pruned zeros back in during fine-tuning.
"""

from __future__ import annotations

import copy

import numpy as np

from ..errors import ModelError
from ..keras import keras, tfmot
from ..geometry import INPUT_MEAN, INPUT_STD

NORMALIZE_LAYER = "normalize"
PIXEL_RANGE = (0.0, 255.0)


def has_pixel_input(model) -> bool:
    return any(_inner(l).name == NORMALIZE_LAYER for l in model.layers)


def _inner(layer):
    return getattr(layer, "layer", layer)


def with_pixel_input(model) -> "keras.Model":
    """A flat copy of ``model`` that takes float RGB pixels in [0, 255] (see the module doc).

    The copy shares no layers with ``model``; its weights are copied by layer name.
    """
    if has_pixel_input(model):
        return model
    cfg = copy.deepcopy(model.get_config())
    inputs = cfg["input_layers"]
    if len(inputs) != 1:
        raise ModelError(f"model {model.name!r}: expected one image input, found {len(inputs)}")
    in_name = inputs[0][0]
    for layer in cfg["layers"]:
        for node in layer.get("inbound_nodes", []):
            for conn in node:
                if conn[0] == in_name:
                    conn[0] = NORMALIZE_LAYER
    norm = {
        "class_name": "DepthwiseConv2D",
        "name": NORMALIZE_LAYER,
        "config": {
            "name": NORMALIZE_LAYER,
            "kernel_size": [1, 1],
            "strides": [1, 1],
            "padding": "valid",
            "depth_multiplier": 1,
            "use_bias": True,
            "trainable": False,
            "dtype": "float32",
        },
        "inbound_nodes": [[[in_name, 0, 0, {}]]],
    }
    pos = next(i for i, l in enumerate(cfg["layers"]) if l["name"] == in_name) + 1
    cfg["layers"].insert(pos, norm)
    out = keras.Model.from_config(cfg)
    by_name = {l.name: l for l in model.layers}
    for layer in out.layers:
        if layer.name == NORMALIZE_LAYER:
            layer.set_weights(
                [
                    np.full((1, 1, 3, 1), 1.0 / INPUT_STD, np.float32),
                    np.full((3,), -INPUT_MEAN / INPUT_STD, np.float32),
                ]
            )
            layer.trainable = False
        elif layer.weights:
            layer.set_weights(by_name[layer.name].get_weights())
            layer.trainable = by_name[layer.name].trainable
    return out


def qat_model(model, preserve_sparsity: bool = True) -> "keras.Model":
    """Quantization-aware copy of ``model`` (pixel input added if missing), ready to fine-tune.

    preserve_sparsity: tfmot's prune-preserving scheme (keeps pruned zeros at zero); False gives
    plain default 8-bit QAT. The input quantizer's range is pinned to [0, 255].
    """
    q = tfmot().quantization.keras
    base = with_pixel_input(model)
    annotated = q.quantize_annotate_model(base)
    with q.quantize_scope():
        if preserve_sparsity:
            scheme = tfmot().experimental.combine.Default8BitPrunePreserveQuantizeScheme()
            qm = q.quantize_apply(annotated, scheme)
        else:
            qm = q.quantize_apply(annotated)
    # tfmot's wrapper lists the wrapped kernel among its trainable weights whatever the layer's
    # `trainable` says: the fine-tune would turn the frozen normalisation into a learned gain per
    # channel, which the exporter then cannot fold into the input's quantization
    for layer in qm.layers:
        if _inner(layer).name == NORMALIZE_LAYER and layer is not _inner(layer):
            # moved in place, not dropped: the wrapper's weights (what a checkpoint and the
            # converter track) are its two lists, and assigning a list re-sorts its variables by
            # their own trainable flag
            tracked = layer._trainable_weights
            for i in reversed(range(len(tracked))):
                if tracked[i].name.startswith(NORMALIZE_LAYER + "/"):
                    layer._non_trainable_weights.append(tracked[i])
                    del tracked[i]
    pin_input_range(qm)
    return qm


#: Batches and EMA decay of :func:`calibrate_ranges` (0.8 ** 30: the [-6, 6] start is forgotten).
CALIBRATION_BATCHES, CALIBRATION_DECAY = 30, 0.8


def calibrate_ranges(qat, batches, decay: float = CALIBRATION_DECAY) -> int:
    """Start a QAT model's activation ranges from data instead of tfmot's [-6, 6].

    tfmot's moving-average quantizers start every activation range at [-6, 6] and move it by an
    EMA with decay 0.999 per training step, so a fine-tune of a few hundred steps keeps about 75%
    of that default (0.999 ** 279 = 0.76 for the quickstart's 3 epochs): it trains through
    badly clipped or coarse activations and the int8 file inherits the wide ranges. Without this
    calibration the QAT model scores almost nothing before its fine-tune and ends below the pruned
    float model; with it, it starts level with it (docs/accuracy.md, "Values chosen by
    measurement").

    Runs ``batches`` (an iterable of input batches, pixel values) through ``qat`` in training mode
    with tfmot's own range update at ``decay``, then pins the input range again. Returns the
    number of batches used.
    """
    import contextlib

    from tensorflow_model_optimization.python.core.quantization.keras import quant_ops

    @contextlib.contextmanager
    def ema(d):
        orig = quant_ops.MovingAvgQuantize

        def fast(*args, **kwargs):
            kwargs["ema_decay"] = d
            return orig(*args, **kwargs)

        quant_ops.MovingAvgQuantize = fast
        try:
            yield
        finally:
            quant_ops.MovingAvgQuantize = orig

    n = 0
    with ema(decay):
        for x in batches:
            qat(x, training=True)
            n += 1
    pin_input_range(qat)
    return n


#: The normalize layer's output range, pinned like the pixel range: x / 127.5 - 1 of [0, 255].
NORMALIZED_RANGE = (-1.0, 1.0)


def pin_input_range(qat) -> None:
    """Set the QAT input quantizer to exactly [0, 255] (uint8 scale 1, zero point 0), and the
    normalize layer's output quantizer to [-1, 1], the normalisation of that range: the moving
    averages of a fine-tune drift from both when a batch lacks a black or a white pixel. The
    exporter pins them again before converting, so the int8 file's first step is exactly the
    normalisation and folds into the input's quantization
    (:func:`posenet_mobile.export.tflite.fold_input_normalization`)."""
    found = False
    for layer in qat.layers:
        if _inner(layer).name == NORMALIZE_LAYER and layer is not _inner(layer):
            for w in layer.weights:
                if w.name.endswith("post_activation_min:0"):
                    w.assign(NORMALIZED_RANGE[0])
                elif w.name.endswith("post_activation_max:0"):
                    w.assign(NORMALIZED_RANGE[1])
        if type(layer).__name__ == "QuantizeLayer":
            for w in layer.weights:
                if w.name.split("/")[-1].startswith(layer.name + "_min") or w.name.endswith(
                    "_min:0"
                ):
                    w.assign(PIXEL_RANGE[0])
                    found = True
                elif w.name.endswith("_max:0"):
                    w.assign(PIXEL_RANGE[1])
    if not found:
        raise ModelError(f"model {qat.name!r}: no input QuantizeLayer found to pin the pixel range")
