"""Top-down decoder and the three pose heads, all from QAT-friendly stock tf_keras layers.

Output tensors (``N`` images, ``K`` keypoints, ``Hh x Wh`` heatmap cells; the one declaration of
names, shapes and frames is :mod:`posenet_mobile.contract`):

* ``heatmaps`` ``(N, Hh, Wh, K)``: linear Gaussian-heatmap regression (SimpleBaseline, Xiao et
  al. 2018), decoded by :class:`posenet_mobile.codec.HeatmapCodec`.
* ``offsets`` ``(N, Hh, Wh, 2K)``: interleaved (dx, dy) in heatmap cells (Papandreou et al. 2017).
* ``coords`` ``(N, K, 2)``: normalised (x, y) in [0, 1] of the input.
* ``visibility`` ``(N, K)``: visibility logits (sigmoid gives the probability).
* ``simcc_x`` ``(N, K, W*s)``, ``simcc_y`` ``(N, K, H*s)``: per-axis bin logits for split ratio
  ``s``, decoded by :class:`posenet_mobile.simcc.SimCCCodec`.
"""

from __future__ import annotations

import numpy as np

from ..codec import normalized_grid
from ..keras import keras, layers
from .backbone import BN_KW, conv_bn_relu, separable_block


def top_down_decoder(feats: dict, output_stride: int, channels: int) -> dict:
    """FPN-style decoder: stride 32 -> ``output_stride`` with nearest upsampling and lateral adds.

    feats: ``{stride: (N, H/stride, W/stride, C)}`` from the backbone.
    Returns ``{stride: (N, H/stride, W/stride, channels)}`` for each decoded stride.
    """
    x = conv_bn_relu(feats[32], channels, 1, name="dec32_lateral")
    out = {32: x}
    stride = 32
    while stride > output_stride:
        stride //= 2
        x = layers.UpSampling2D(2, interpolation="nearest", name=f"dec{stride}_up")(x)
        lateral = conv_bn_relu(feats[stride], channels, 1, name=f"dec{stride}_lateral")
        x = layers.Add(name=f"dec{stride}_add")([x, lateral])
        x = separable_block(x, channels, name=f"dec{stride}_fuse")
        out[stride] = x
    return out


#: Output layers compute in float32 even under a mixed-precision policy (training on GPUs): the
#: losses read them, and half-precision heatmap values near 0 lose the peak. Under the default
#: float32 policy this changes nothing, saved configs included.
OUT = {"dtype": "float32"}


def _small():
    """Output-layer init N(0, 0.001) as in SimpleBaseline: start from near-zero maps instead of
    spending the first hundreds of steps shrinking large random outputs."""
    return keras.initializers.RandomNormal(stddev=0.001)


def global_context(feat32, size_hw, channels: int):
    """The whole crop summarised and broadcast to every cell ``(N, H, W, channels)``: average pool
    over the whole stride-32 map -> 1x1 conv -> ReLU(6.) -> tiled by nearest upsampling.

    Telling a left knee from a right one is a global decision (which way the person faces) applied
    to a local detection; added to the heatmap trunk's input, this hands every cell the global half
    directly. Added, not concatenated: tfmot's QAT model of a ``Concatenate`` here came out wrong
    (its output far from the float model's while both inputs matched; docs/accuracy.md, run e7),
    while ``Add`` quantizes like the residuals.
    """
    h, w = int(feat32.shape[1]), int(feat32.shape[2])
    v = layers.AveragePooling2D((h, w), name="ctx_pool")(feat32)
    v = layers.Conv2D(channels, 1, name="ctx_dense")(v)
    v = layers.ReLU(6.0, name="ctx_relu")(v)
    return layers.UpSampling2D(
        tuple(int(s) for s in size_hw), interpolation="nearest", name="ctx_tile"
    )(v)


def heatmap_head(x, num_keypoints: int, channels: int, context=None):
    """Heatmaps + offsets at the decoder's resolution (the common approach BlazePose starts from).
    ``context``: optional :func:`global_context` tensor added to the trunk's input."""
    if context is not None:
        x = layers.Add(name="hm_context")([x, context])
    x = separable_block(x, channels, name="hm_trunk")
    heatmaps = layers.Conv2D(num_keypoints, 1, kernel_initializer=_small(), name="heatmaps", **OUT)(
        x
    )
    offsets = layers.Conv2D(
        2 * num_keypoints, 1, kernel_initializer=_small(), name="offsets", **OUT
    )(x)
    return heatmaps, offsets


def regression_head(
    decoded: dict,
    feats: dict,
    output_stride: int,
    num_keypoints: int,
    channels: int,
    stop_gradient: bool = False,
    laplace: bool = False,
):
    """BlazePose-style regression encoder (Bazarevsky et al. 2020, Fig. 4).

    A second encoder walks back down from the decoder's stride-8 features to stride 32, taking a
    skip connection from the heatmap path at every scale, then regresses ``coords`` and
    ``visibility``. The heatmap branch (including the stride-4 decoder stage when
    ``output_stride`` is 4) only supervises training and is cut off by
    :func:`posenet_mobile.models.build.inference_model`: that is where the speed-up comes from.

    ``stop_gradient``: as in the paper, the encoder reads every heatmap-path tensor through
    ``tf.stop_gradient``, so the shared features learn from the heatmap loss alone. The op exists
    only in the training graph: the saved model is rebuilt without it
    (:func:`posenet_mobile.models.build.strip_stop_gradients`), so QAT and the exporter see stock
    layers. ``laplace``: also return ``coords_dist`` ``(N, K, 4)``, the coordinates and a log
    scale per coordinate, for :func:`posenet_mobile.losses.laplace_nll` (training-only).
    Returns ``(coords, visibility)`` or ``(coords, visibility, coords_dist)``.
    """
    from ..keras import tf

    sg = tf.stop_gradient if stop_gradient else (lambda t: t)
    stride = max(output_stride, 8)
    x = sg(decoded[stride])
    while stride < 32:
        stride *= 2
        x = separable_block(x, channels, stride=2, name=f"reg{stride}_down")
        skip = conv_bn_relu(sg(decoded[stride]), channels, 1, name=f"reg{stride}_skip")
        x = layers.Add(name=f"reg{stride}_add")([x, skip])
    x = layers.Concatenate(name="reg32_concat")([x, sg(feats[32])])
    x = separable_block(x, channels, name="reg32_fuse")
    x = conv_bn_relu(x, 32, 1, name="reg_squeeze")
    x = layers.Flatten(name="reg_flatten")(x)
    coords = layers.Dense(2 * num_keypoints, name="reg_coords_dense", **OUT)(x)
    coords = layers.Reshape((num_keypoints, 2), name="coords", **OUT)(coords)
    visibility = layers.Dense(num_keypoints, name="visibility", **OUT)(x)
    if not laplace:
        return coords, visibility
    log_b = layers.Dense(
        2 * num_keypoints, kernel_initializer=_small(), name="reg_logscale_dense", **OUT
    )(x)
    log_b = layers.Reshape((num_keypoints, 2), name="coords_logscale", **OUT)(log_b)
    dist = layers.Concatenate(axis=-1, name="coords_dist", **OUT)([coords, log_b])
    return coords, visibility, dist


def integral_head(x, num_keypoints: int, channels: int):
    """Integral (soft-argmax) regression over heatmap logits (Sun et al. 2018).

    ``coords = sum_p softmax(logits)_p * grid_p`` per keypoint, built from Reshape -> Permute ->
    Softmax -> a Dense whose frozen kernel is :func:`posenet_mobile.codec.normalized_grid`, so the
    graph is stock layers only and the NumPy reference ``HeatmapCodec.soft_argmax`` matches it.
    """
    hh, ww = int(x.shape[1]), int(x.shape[2])
    trunk = separable_block(x, channels, name="int_trunk")
    logits = layers.Conv2D(num_keypoints, 1, name="int_logits")(trunk)
    flat = layers.Reshape((hh * ww, num_keypoints), name="int_flatten")(logits)
    flat = layers.Permute((2, 1), name="int_transpose")(flat)
    probs = layers.Softmax(axis=-1, name="int_softmax", **OUT)(flat)
    grid = normalized_grid(hh, ww).astype(np.float32)
    coords = layers.Dense(
        2,
        use_bias=False,
        trainable=False,
        name="coords",
        **OUT,
        kernel_initializer=keras.initializers.Constant(grid.tolist()),
    )(probs)
    pooled = layers.GlobalAveragePooling2D(name="int_pool")(trunk)
    visibility = layers.Dense(num_keypoints, name="visibility", **OUT)(pooled)
    return coords, visibility


def simcc_head(
    x, num_keypoints: int, channels: int, hidden: int, bins_xy, context=None, kernel: int = 3
):
    """SimCC coordinate classification (Li et al. 2022; RTMPose's head, Jiang et al. 2023).

    From stride-8 features ``x``: a separable trunk, a 1x1 conv to one map per keypoint, each map
    flattened into a vector; a Dense (shared by the keypoints) to ``hidden`` units and ReLU(6.),
    then one Dense to the x bins and one to the y bins. RTMPose's gated attention unit between
    them is left out: it is not a stock layer. No stride-4 decoder stage is needed, which is where
    the heatmap head spends its extra multiply-adds. ``context``: optional :func:`global_context`
    tensor added to the trunk's input. ``kernel``: the trunk's depthwise kernel; RTMPose reads
    its features with a 7x7 conv, a large receptive field for each keypoint's map. Returns
    ``(simcc_x, simcc_y)``.
    """
    if context is not None:
        x = layers.Add(name="simcc_context")([x, context])
    hh, ww = int(x.shape[1]), int(x.shape[2])
    x = separable_block(x, channels, name="simcc_trunk", kernel=kernel)
    maps = layers.Conv2D(num_keypoints, 1, name="simcc_maps")(x)
    flat = layers.Reshape((hh * ww, num_keypoints), name="simcc_flatten")(maps)
    flat = layers.Permute((2, 1), name="simcc_transpose")(flat)  # (N, K, hh * ww)
    h = layers.Dense(hidden, name="simcc_hidden")(flat)
    h = layers.ReLU(6.0, name="simcc_relu")(h)
    bx, by = (int(b) for b in bins_xy)
    sx = layers.Dense(bx, kernel_initializer=_small(), name="simcc_x", **OUT)(h)
    sy = layers.Dense(by, kernel_initializer=_small(), name="simcc_y", **OUT)(h)
    return sx, sy


def facing_head(x, channels: int = 0, pool: str = "average"):
    """The ``facing`` logit ``(N, 1)``: a global pool, then a Dense. Supervised by
    :func:`posenet_mobile.targets.facing_target`. ``channels`` > 0 first runs ``x`` through a
    separable block of its own (``facing_trunk``) so the cue does not have to be linear in the
    pooled shared features. ``pool``: ``average`` or ``max``; the cues (a face, a neckline) fill
    a few cells of the map, and a maximum asks whether one is anywhere instead of how much of the
    crop it covers."""
    if channels:
        x = separable_block(x, channels, name="facing_trunk")
    if pool == "max":
        pooled = layers.GlobalMaxPooling2D(name="facing_pool")(x)
    else:
        pooled = layers.GlobalAveragePooling2D(name="facing_pool")(x)
    return layers.Dense(1, name="facing", **OUT)(pooled)


__all__ = [
    "facing_head",
    "global_context",
    "top_down_decoder",
    "heatmap_head",
    "regression_head",
    "integral_head",
    "simcc_head",
    "BN_KW",
]
