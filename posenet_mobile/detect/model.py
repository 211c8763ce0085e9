"""The person detector: MobileNetV2 features, the pose models' top-down decoder to stride 8, and
two heads on it: ``det_heatmap`` (sigmoid: the score of a hip centre in each cell) and
``det_geometry`` (the 9 values :mod:`.codec` reads at a peak). Stock tf_keras layers only, so
the chain that compresses and converts the pose models can take it."""

from __future__ import annotations

import math

from ..keras import keras
from ..models.backbone import mobilenet_v2_features, separable_block
from ..models.heads import top_down_decoder
from .codec import GEOMETRY_CHANNELS

#: Output names, in the model's order.
OUTPUTS = ("det_heatmap", "det_geometry")
#: Start the heatmap near the share of cells that hold a person, not at 0.5: the loss then
#: begins with the background right (RetinaNet's prior).
PRIOR = 0.01


def build_detector(
    input_size=(160, 160),
    width: float = 0.35,
    channels: int = 48,
    stride: int = 8,
    depth: float = 1.0,
):
    """The detector for ``input_size`` (h, w) pixels, normalised input as the pose models';
    ``width`` and ``depth`` are the backbone's multipliers (``model.width``, ``model.depth``)."""
    layers = keras.layers
    inputs = keras.Input((*input_size, 3), name="image")
    feats = mobilenet_v2_features(inputs, width, depth)
    x = top_down_decoder(feats, stride, channels)[stride]
    x = separable_block(x, channels, name="det_trunk")
    heat = layers.Conv2D(
        1,
        1,
        activation="sigmoid",
        bias_initializer=keras.initializers.Constant(-math.log((1 - PRIOR) / PRIOR)),
        name="det_heatmap",
        dtype="float32",
    )(x)
    geo = layers.Conv2D(GEOMETRY_CHANNELS, 1, name="det_geometry", dtype="float32")(x)
    return keras.Model(inputs, [heat, geo], name="person_detector")


def detector_loss(foreground: float = 20.0, geometry_weight: float = 1.0):
    """One loss on the packed targets ``(N, Hg, Wg, 11)`` (heatmap, geometry, mask) against the
    model's two outputs concatenated: the heatmap's squared error, weighted up on the Gaussians
    (``1 + foreground * target``), plus the geometry's L1 at the people's peak cells."""
    import tensorflow as tf

    def loss(y_true, y_pred):
        t_heat, t_geo, mask = y_true[..., :1], y_true[..., 1:-1], y_true[..., -1:]
        p_heat, p_geo = y_pred[..., :1], y_pred[..., 1:]
        w = 1.0 + foreground * t_heat
        heat = tf.reduce_mean(w * tf.square(p_heat - t_heat)) * 100.0
        n = tf.maximum(tf.reduce_sum(mask), 1.0)
        geo = tf.reduce_sum(mask * tf.abs(p_geo - t_geo)) / n
        return heat + geometry_weight * geo

    return loss


def training_model(detector):
    """``detector`` with its two outputs concatenated into one tensor (the packed targets' layout),
    for ``fit``; shares every layer with ``detector``."""
    out = keras.layers.Concatenate(name="det_packed")(detector.outputs)
    return keras.Model(detector.inputs, out, name="person_detector_train")
