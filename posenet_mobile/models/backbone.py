"""MobileNetV2 backbone (Sandler et al. 2018), built flat so QAT and pruning can wrap every layer.

``keras.applications.MobileNetV2`` would arrive as a nested model (tfmot cannot quantize a model
inside a model) and ends in a 1280-channel conv a pose decoder does not need. This builder uses
the same layer names, so ImageNet weights can be copied across by name for users who have them.
All activations are separate ``ReLU(6.)`` layers: ``Conv2D(activation='relu6')`` breaks QAT.
"""

from __future__ import annotations

import math

from ..errors import ModelError
from ..keras import keras, layers

# (expansion t, output channels c, repeats n, first stride s), Sandler et al. 2018, Table 2.
MOBILENET_V2_BLOCKS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)

# Momentum 0.99 (Keras MobileNetV2 uses 0.999): short CPU runs of a few thousand steps need
# moving statistics that settle within ~100 steps, or evaluation-mode outputs lag training.
BN_KW = dict(epsilon=1e-3, momentum=0.99)


def make_divisible(v: float, divisor: int = 8) -> int:
    """Round channels to a multiple of ``divisor`` without dropping more than 10% (MobileNet)."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def conv_bn_relu(x, filters, kernel=1, stride=1, name="conv"):
    """Conv2D (no bias) -> BatchNorm -> ReLU(6.)."""
    x = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False, name=name)(x)
    x = layers.BatchNormalization(name=name + "_BN", **BN_KW)(x)
    return layers.ReLU(6.0, name=name + "_relu")(x)


def separable_block(x, filters, stride=1, name="sep", kernel=3):
    """Depthwise ``kernel`` x ``kernel`` (3 unless told) -> BN -> ReLU(6.) -> pointwise 1x1 -> BN
    -> ReLU(6.)."""
    x = layers.DepthwiseConv2D(
        kernel, strides=stride, padding="same", use_bias=False, name=name + "_dw"
    )(x)
    x = layers.BatchNormalization(name=name + "_dw_BN", **BN_KW)(x)
    x = layers.ReLU(6.0, name=name + "_dw_relu")(x)
    return conv_bn_relu(x, filters, 1, name=name + "_pw")


def inverted_residual(x, expansion, filters, stride, block_id):
    """MobileNetV2 inverted residual block with Keras' layer names (``block_{id}_*``)."""
    in_ch = x.shape[-1]
    prefix = f"block_{block_id}_" if block_id else "expanded_conv_"
    inputs = x
    if block_id:
        x = layers.Conv2D(
            expansion * in_ch, 1, padding="same", use_bias=False, name=prefix + "expand"
        )(x)
        x = layers.BatchNormalization(name=prefix + "expand_BN", **BN_KW)(x)
        x = layers.ReLU(6.0, name=prefix + "expand_relu")(x)
    x = layers.DepthwiseConv2D(
        3, strides=stride, padding="same", use_bias=False, name=prefix + "depthwise"
    )(x)
    x = layers.BatchNormalization(name=prefix + "depthwise_BN", **BN_KW)(x)
    x = layers.ReLU(6.0, name=prefix + "depthwise_relu")(x)
    x = layers.Conv2D(filters, 1, padding="same", use_bias=False, name=prefix + "project")(x)
    x = layers.BatchNormalization(name=prefix + "project_BN", **BN_KW)(x)
    if stride == 1 and in_ch == filters:
        x = layers.Add(name=prefix + "add")([inputs, x])
    return x


def stage_repeats(depth: float = 1.0) -> list[int]:
    """Blocks per stage at depth multiplier ``depth`` (EfficientNet's depth coefficient, applied
    to MobileNetV2's repeats): ``ceil(n * depth)``, at least one block per stage."""
    return [max(1, math.ceil(n * depth - 1e-9)) for _, _, n, _ in MOBILENET_V2_BLOCKS]


def mobilenet_v2_features(inputs, width: float, depth: float = 1.0):
    """Build the backbone on ``inputs`` (N, H, W, 3), float RGB in [-1, 1].

    depth: a multiplier on each stage's repeats (:func:`stage_repeats`); 1.0 is MobileNetV2. A
    shallower backbone keeps the first blocks of each stage under their Keras names
    (``block_{id}_*`` as in the full network), so ImageNet weights still copy by name.

    Returns ``{stride: tensor}`` for strides 4, 8, 16 and 32 (the last block output of each
    resolution), NHWC.
    """
    first = make_divisible(32 * width)
    x = layers.Conv2D(first, 3, strides=2, padding="same", use_bias=False, name="Conv1")(inputs)
    x = layers.BatchNormalization(name="bn_Conv1", **BN_KW)(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    feats, stride, block_id = {}, 2, 0
    for (t, c, n, s), keep in zip(MOBILENET_V2_BLOCKS, stage_repeats(depth)):
        filters = make_divisible(int(c * width))
        for i in range(keep):
            st = s if i == 0 else 1
            if st == 2:
                feats[stride] = x
                stride *= 2
            x = inverted_residual(x, t, filters, st, block_id + i)
        block_id += n
    feats[stride] = x
    return {s: feats[s] for s in (4, 8, 16, 32)}


def load_imagenet_weights(model, width: float, input_size) -> int:
    """Copy Keras' MobileNetV2 ImageNet weights into matching layer names of ``model``.

    Needs the weights in the Keras cache or internet access; the package never downloads by
    default. Returns the number of layers copied.
    """
    try:
        ref = keras.applications.MobileNetV2(
            input_shape=(*input_size, 3), alpha=width, include_top=False, weights="imagenet"
        )
    except Exception as exc:  # network or unsupported alpha
        raise ModelError(
            f"model.backbone_weights: could not load ImageNet MobileNetV2 weights for width {width}: {exc}"
        ) from None
    return copy_weights_by_name(ref, model)


def copy_weights_by_name(src, dst) -> int:
    """Copy weights from layers of ``src`` to same-named layers of ``dst`` with equal shapes."""
    copied = 0
    names = {layer.name for layer in dst.layers}
    for layer in src.layers:
        if layer.name in names and layer.weights:
            target = dst.get_layer(layer.name)
            w = layer.get_weights()
            if [a.shape for a in w] == [b.shape for b in target.get_weights()]:
                target.set_weights(w)
                copied += 1
    return copied
