"""Losses for the heads, reading the packed ``y_true`` of :func:`posenet_mobile.targets.pack_targets`.

Keras hands each loss one ``y_true`` per output, so per-keypoint weights travel packed with the
targets (``N`` images, ``K`` keypoints, ``Hh x Wh`` heatmap cells):

==========  ============================  ===============================================
output      packed y_true                 contents
==========  ============================  ===============================================
heatmaps    ``(N, Hh, Wh, 2K)``           ``[target heatmaps (K) | weights broadcast (K)]``
offsets     ``(N, Hh, Wh, 3K)``           ``[offsets interleaved (2K) | offset mask (K)]``
coords      ``(N, K, 3)``                 ``(x, y)`` normalised, then weight
visibility  ``(N, K, 2)``                 target in {0, 1}, then weight
facing      ``(N, 1, 2)``                 target in {0, 1} (1: faces the camera), then weight
coords_dist ``(N, K, 3)``             as ``coords`` (read by the Laplace NLL)
simcc_x     ``(N, K, Bx + 1)``            Gaussian over the x bins (Bx), then weight
simcc_y     ``(N, K, By + 1)``            Gaussian over the y bins (By), then weight
==========  ============================  ===============================================

Every loss returns one value per image ``(N,)``: a weighted mean over that image's keypoints,
so Keras' default batch averaging stays correct under ``tf.distribute``. Each is 0 for a perfect
prediction and grows with the error; weights of 0 (unlabelled or outside the crop) remove a
keypoint from every loss.
"""

from __future__ import annotations

from .keras import keras, tf

#: Default foreground weight of :func:`heatmap_mse`.
DEFAULT_FOREGROUND = 20.0


def heatmap_mse(target, pred, weights, foreground: float = DEFAULT_FOREGROUND):
    """Keypoint-weighted heatmap MSE (SimpleBaseline) with foreground emphasis.

    target/pred ``(N,Hh,Wh,K)``, weights ``(N,K)``. Each cell's squared error is weighted by
    ``1 + foreground * target``: plain MSE (``foreground=0``) spends almost all of its signal on
    background cells and sits for thousands of steps on the all-zero solution (docs/accuracy.md,
    "Values chosen by measurement"). Mean over cells, then weighted mean over the image's
    keypoints. Returns ``(N,)``.
    """
    cell_w = 1.0 + foreground * target
    per_kp = tf.reduce_mean(tf.square(pred - target) * cell_w, axis=[1, 2])  # (N, K)
    return _weighted_mean(per_kp, weights)


def offset_loss(target, pred, mask):
    """Smooth-L1 offset loss only in cells near labelled keypoints.

    target/pred ``(N,Hh,Wh,2K)`` interleaved (dx, dy) cells; mask ``(N,Hh,Wh,K)``. Averaged over
    supervised (cell, keypoint) pairs of each image. Returns ``(N,)``.
    """
    shape = tf.shape(pred)
    err = tf.reshape(pred - target, tf.concat([shape[:-1], [-1, 2]], 0))
    a = tf.abs(err)
    huber = tf.reduce_sum(tf.where(a < 1.0, 0.5 * tf.square(a), a - 0.5), axis=-1)  # (N,Hh,Wh,K)
    return tf.reduce_sum(huber * mask, axis=[1, 2, 3]) / tf.maximum(
        tf.reduce_sum(mask, axis=[1, 2, 3]), 1.0
    )


def coordinate_loss(target, pred, weights):
    """Visibility-aware L1 on normalised coordinates (DeepPose / integral regression).

    target/pred ``(N,K,2)`` normalised (x, y); weights ``(N,K)``. Returns ``(N,)``.
    """
    return _weighted_mean(tf.reduce_sum(tf.abs(pred - target), axis=-1), weights)


#: Smallest Laplace scale of :func:`laplace_nll`, normalised units: a floor that keeps the
#: likelihood bounded for a coordinate that is already exact.
LAPLACE_MIN_SCALE = 1e-3


def laplace_nll(target, pred, weights, min_scale: float = LAPLACE_MIN_SCALE):
    """Laplace negative log-likelihood on normalised coordinates with a predicted scale per
    coordinate: RLE's likelihood (Li et al. 2021) with a fixed Laplace density instead of the flow.

    target ``(N,K,2)``; pred ``(N,K,4)``: ``(x, y, log bx, log by)``; weights ``(N,K)``. The scale
    is ``b = min_scale + exp(log b)``; per coordinate ``|e| / b + log(b / min_scale)``, the NLL
    up to a constant, so it is 0 for an exact coordinate at the smallest scale. A keypoint that
    the model finds hard gets a large ``b`` and pulls less on the shared features. Returns ``(N,)``.
    """
    mu, log_b = pred[..., :2], pred[..., 2:4]
    b = min_scale + tf.exp(tf.minimum(log_b, 5.0))
    nll = tf.abs(target - mu) / b + tf.math.log(b / min_scale)
    return _weighted_mean(tf.reduce_sum(nll, axis=-1), weights)


def visibility_bce(target, logits, weights):
    """Weighted binary cross-entropy on visibility logits ``(N,K)``; target in {0, 1}.

    Shifted by the target's own entropy, so it is exactly 0 when the predicted probability equals
    the target (for hard 0/1 targets the shift is 0 and this is plain BCE).
    """
    bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=logits)
    t = tf.clip_by_value(target, 1e-7, 1 - 1e-7)
    entropy = -(t * tf.math.log(t) + (1 - t) * tf.math.log(1 - t))
    ent = tf.where((target > 0) & (target < 1), entropy, tf.zeros_like(entropy))
    return _weighted_mean(bce - ent, weights)


def simcc_kl(target, logits, weights, beta: float):
    """RTMPose's KL loss with temperature: ``KL(softmax(beta * target) || softmax(beta * logits))``
    summed over an axis's bins, then weighted mean over the image's keypoints.

    target/logits ``(N,K,B)`` (target: the codec's Gaussians, peak 1); weights ``(N,K)``. Returns
    ``(N,)``; 0 when ``logits`` equal ``target`` up to a constant per keypoint.
    """
    log_t = tf.nn.log_softmax(beta * target, axis=-1)
    log_p = tf.nn.log_softmax(beta * logits, axis=-1)
    per_kp = tf.reduce_sum(tf.exp(log_t) * (log_t - log_p), axis=-1)
    return _weighted_mean(per_kp, weights)


def _weighted_mean(per_kp, weights):
    """``(N,K)`` values, ``(N,K)`` weights -> ``(N,)`` weighted mean (0 where no weight)."""
    return tf.reduce_sum(per_kp * weights, axis=-1) / tf.maximum(
        tf.reduce_sum(weights, axis=-1), 1.0
    )


class _PackedLoss(keras.losses.Loss):
    """A Keras loss over a packed ``y_true``; subclasses split it and call the function above."""

    def __init__(self, name=None, **kwargs):
        super().__init__(name=name or self.default_name, **kwargs)


class HeatmapLoss(_PackedLoss):
    default_name = "heatmap_mse"

    def __init__(self, foreground: float = DEFAULT_FOREGROUND, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.foreground = float(foreground)

    def call(self, y_true, y_pred):
        k = tf.shape(y_pred)[-1]
        return heatmap_mse(y_true[..., :k], y_pred, y_true[:, 0, 0, k:], self.foreground)

    def get_config(self):
        return {**super().get_config(), "foreground": self.foreground}


class OffsetLoss(_PackedLoss):
    default_name = "offset_smooth_l1"

    def call(self, y_true, y_pred):
        k2 = tf.shape(y_pred)[-1]
        return offset_loss(y_true[..., :k2], y_pred, y_true[..., k2:])


class CoordinateLoss(_PackedLoss):
    default_name = "coord_l1"

    def call(self, y_true, y_pred):
        return coordinate_loss(y_true[..., :2], y_pred, y_true[..., 2])


class LaplaceLoss(_PackedLoss):
    default_name = "coord_laplace_nll"

    def call(self, y_true, y_pred):
        return laplace_nll(y_true[..., :2], y_pred, y_true[..., 2])


class VisibilityLoss(_PackedLoss):
    default_name = "visibility_bce"

    def call(self, y_true, y_pred):
        return visibility_bce(y_true[..., 0], y_pred, y_true[..., 1])


class FacingLoss(VisibilityLoss):
    default_name = "facing_bce"


class SimCCLoss(_PackedLoss):
    default_name = "simcc_kl"

    def __init__(self, beta: float = 10.0, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.beta = float(beta)

    def call(self, y_true, y_pred):
        return simcc_kl(y_true[..., :-1], y_pred, y_true[..., -1], self.beta)

    def get_config(self):
        return {**super().get_config(), "beta": self.beta}


LOSSES = {
    "heatmaps": HeatmapLoss,
    "offsets": OffsetLoss,
    "coords": CoordinateLoss,
    "visibility": VisibilityLoss,
    "coords_dist": LaplaceLoss,
    "facing": FacingLoss,
    "simcc_x": SimCCLoss,
    "simcc_y": SimCCLoss,
}


def losses_for(
    output_names, heatmap_foreground: float = DEFAULT_FOREGROUND, simcc_beta: float = 10.0
) -> dict:
    """``{output name: loss instance}`` for a model's outputs."""
    out = {}
    for name in output_names:
        if name == "heatmaps":
            out[name] = HeatmapLoss(heatmap_foreground)
        elif name in ("simcc_x", "simcc_y"):
            out[name] = SimCCLoss(simcc_beta, name=f"{name}_kl")
        else:
            out[name] = LOSSES[name]()
    return out
