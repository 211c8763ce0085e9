"""The person detector: MobileNetV2 features, the pose models' top-down decoder to stride 8, and
two heads on it: ``det_heatmap`` (sigmoid: the score of a hip centre in each cell) and
``det_geometry`` (the 9 values :mod:`.codec` reads at a peak). Stock tf_keras layers only, so
the chain that compresses and converts the pose models can take it."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from ..keras import keras
from ..models.backbone import mobilenet_v2_features, separable_block
from ..models.heads import top_down_decoder
from ..errors import ConfigError
from .codec import GEOMETRY_CHANNELS, DetectionCodec
from .data import FrameJitter

#: Output names, in the model's order.
OUTPUTS = ("det_heatmap", "det_geometry")
#: Start the heatmap near the share of cells that hold a person, not at 0.5: the loss then
#: begins with the background right (RetinaNet's prior).
PRIOR = 0.01
#: The detector's input (h, w) pixels. The issue's range is 160 to 224; at the same training
#: budget 192 found more people, boxes and hip centres than 160, within the latency budget
#: (benchmarks/detector.py, docs/alignment.md).
INPUT_SIZE = (192, 192)
#: The backbone's width multiplier by default.
WIDTH = 0.35


def build_detector(
    input_size=INPUT_SIZE,
    width: float = WIDTH,
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


#: The heatmap losses :func:`detector_loss` knows.
HEAT_LOSSES = ("mse", "focal")


def _check_heat_loss(heat_loss: str) -> None:
    if heat_loss not in HEAT_LOSSES:
        raise ConfigError(f"detector heat_loss: expected one of {HEAT_LOSSES}, got {heat_loss!r}")


def detector_loss(heat_loss: str, foreground: float = 20.0, geometry_weight: float = 1.0):
    """One loss on the packed targets ``(N, Hg, Wg, 12)`` (heatmap, geometry, geometry mask,
    peaks: :class:`~.data.FramePipeline`) against the model's two outputs concatenated: a heatmap
    loss plus the geometry's L1 on the mask's cells.

    ``heat_loss``: ``mse``, the squared error weighted up on the Gaussians
    (``1 + foreground * target``); or ``focal``, CenterNet's penalty-reduced focal loss (Zhou et
    al., 2019: alpha 2, beta 4) with the peak cells as positives, per person in the batch."""
    _check_heat_loss(heat_loss)
    import tensorflow as tf

    def loss(y_true, y_pred):
        t_heat, t_geo = y_true[..., :1], y_true[..., 1 : 1 + GEOMETRY_CHANNELS]
        mask, peaks = y_true[..., -2:-1], y_true[..., -1:]
        p_heat, p_geo = y_pred[..., :1], y_pred[..., 1:]
        if heat_loss == "focal":
            p = tf.clip_by_value(p_heat, 1e-4, 1.0 - 1e-4)
            pos = peaks * tf.square(1.0 - p) * tf.math.log(p)
            neg = (1.0 - peaks) * tf.pow(1.0 - t_heat, 4.0) * tf.square(p) * tf.math.log(1.0 - p)
            people = tf.maximum(tf.reduce_sum(peaks), 1.0)
            heat = -tf.reduce_sum(pos + neg) / people
        else:
            w = 1.0 + foreground * t_heat
            heat = tf.reduce_mean(w * tf.square(p_heat - t_heat)) * 100.0
        n = tf.maximum(tf.reduce_sum(mask), 1.0)
        geo = tf.reduce_sum(mask * tf.abs(p_geo - t_geo)) / n
        return heat + geometry_weight * geo

    return loss


@dataclass(frozen=True)
class DetectorTargets:
    """How the detector is taught, one setting for its training and its compression's fine-tunes.

    The defaults are what ``benchmarks/detector.py`` measured best (docs/alignment.md):
    ``heat_loss``: :func:`detector_loss`'s (CenterNet's focal loss); ``geometry_cells`` and
    ``reach``: the codec's (the geometry taught on the 3x3 cells about each peak, and people cut
    by the frame's edge kept while their hip centre is within half a body radius of it).
    ``jitter``: how training frames are moved and zoomed (:class:`.data.FrameJitter`; none by
    default, :data:`.data.FRAME_JITTER` measured it)."""

    heat_loss: str = "focal"
    geometry_cells: int = 3
    reach: float = 0.5
    jitter: FrameJitter = FrameJitter()

    def __post_init__(self):
        _check_heat_loss(self.heat_loss)
        self.codec((8, 8))  # the codec checks its own settings

    def settings(self) -> dict:
        """These settings as JSON values, as a run's records keep them. ``jitter`` is left out
        when it leaves frames as they are, so records made before it existed still match."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "jitter"}
        if self.jitter.active:
            out["jitter"] = {"zoom": list(self.jitter.zoom), "shift": self.jitter.shift}
        return out

    def codec(self, input_size) -> DetectionCodec:
        """The codec that encodes training targets for an input of ``input_size`` (h, w)."""
        return DetectionCodec(
            tuple(input_size), geometry_cells=self.geometry_cells, reach=self.reach
        )

    def loss(self):
        return detector_loss(self.heat_loss)


def training_model(detector):
    """``detector`` with its two outputs concatenated into one tensor (the packed targets' layout),
    for ``fit``; shares every layer with ``detector``."""
    out = keras.layers.Concatenate(name="det_packed")(detector.outputs)
    return keras.Model(detector.inputs, out, name="person_detector_train")
