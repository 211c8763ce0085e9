"""Training targets encoded in the TF graph from keypoints: the same packed ``y_true`` as
:func:`posenet_mobile.targets.pack_targets`, for a batch, without dense maps through tf.data.

This is a port of the NumPy encoders (:meth:`posenet_mobile.codec.HeatmapCodec.encode`,
:meth:`posenet_mobile.simcc.SimCCCodec.encode`, :func:`posenet_mobile.targets.facing_target`)
to TF ops, kept beside them by a test that both give the same targets within 1e-4
(``tests/test_crop_cache.py``). Those NumPy functions stay the definition; change both together.
``B`` people, ``K`` keypoints; keypoints are input pixels, NaN where unlabelled.
"""

from __future__ import annotations

from ..keras import tf


def _weights(kp, vis, input_size):
    h, w = input_size
    finite = tf.reduce_all(tf.math.is_finite(kp), axis=-1)
    x, y = kp[..., 0], kp[..., 1]
    inside = finite & (x >= 0) & (x < w) & (y >= 0) & (y < h)
    weights = tf.cast((vis > 0) & inside, tf.float32)
    return tf.where(finite[..., None], kp, tf.zeros_like(kp)), weights


def _heatmaps(codec, kp, weights):
    """``(heatmaps (B, Hh, Wh, K), offsets (B, Hh, Wh, 2K), mask (B, Hh, Wh, K))``.

    The Gaussian is separable, so it is made from one row and one column per keypoint."""
    hh, ww = codec.heatmap_size
    uv = kp / codec.stride - 0.5
    jj = tf.range(ww, dtype=tf.float32)[None, None, :, None]
    ii = tf.range(hh, dtype=tf.float32)[None, :, None, None]
    dx = uv[:, None, None, :, 0] - jj  # (B, 1, Wh, K)
    dy = uv[:, None, None, :, 1] - ii  # (B, Hh, 1, K)
    wk = weights[:, None, None, :]
    s2 = 2.0 * codec.sigma**2
    heat = (tf.exp(-dx * dx / s2) * wk) * tf.exp(-dy * dy / s2)
    mask = tf.cast((dx * dx + dy * dy <= codec.offset_radius**2) & (wk > 0), tf.float32)
    off = tf.stack([dx * mask, dy * mask], axis=-1)  # (B, Hh, Wh, K, 2)
    shape = tf.shape(off)
    off = tf.reshape(off, tf.concat([shape[:3], [-1]], axis=0))
    return heat, off, mask


def _facing(kp, vis, torso, margin: float = 0.3):
    n = tf.shape(kp)[0]
    if torso is None:
        z = tf.zeros([n], tf.float32)
        return z, z
    ls, rs, lh, rh = torso
    idx = [ls, rs, lh, rh]
    pts = tf.gather(kp, idx, axis=1)
    ok = tf.reduce_all(tf.gather(vis, idx, axis=1) > 0, axis=1) & tf.reduce_all(
        tf.math.is_finite(pts), axis=[1, 2]
    )
    kp = tf.where(tf.math.is_finite(kp), kp, tf.zeros_like(kp))
    across = (kp[:, ls] - kp[:, rs]) + (kp[:, lh] - kp[:, rh])
    down = 0.5 * (kp[:, lh] + kp[:, rh]) - 0.5 * (kp[:, ls] + kp[:, rs])
    cross = across[:, 0] * down[:, 1] - across[:, 1] * down[:, 0]
    length2 = tf.reduce_sum(down * down, axis=-1)
    clear = ok & (tf.abs(cross) >= margin * length2) & (tf.abs(cross) > 0)
    return tf.cast(cross > 0, tf.float32), tf.cast(clear, tf.float32)


def encode_batch(codec, keypoints, visibility, output_names, torso=None, simcc=None) -> dict:
    """``keypoints (B, K, 2)`` float32 input pixels, COCO ``visibility (B, K)`` -> ``{output name:
    packed target}``, as :func:`posenet_mobile.targets.pack_targets` packs them."""
    kp_raw = tf.cast(keypoints, tf.float32)
    vis = tf.cast(visibility, tf.float32)
    kp, weights = _weights(kp_raw, vis, codec.input_size)
    out = {}
    heat = None
    for name in output_names:
        if name in ("heatmaps", "offsets") and heat is None:
            heat = _heatmaps(codec, kp, weights)
        if name == "heatmaps":
            wmap = tf.broadcast_to(weights[:, None, None, :], tf.shape(heat[0]))
            out[name] = tf.concat([heat[0], wmap], axis=-1)
        elif name == "offsets":
            out[name] = tf.concat([heat[1], heat[2]], axis=-1)
        elif name in ("coords", "coords_dist"):
            h, w = codec.input_size
            xy = kp / tf.constant([w, h], tf.float32)
            out[name] = tf.concat([xy, weights[..., None]], axis=-1)
        elif name == "visibility":
            target = tf.cast((vis == 2) & (weights > 0), tf.float32)
            out[name] = tf.stack([target, tf.cast(vis > 0, tf.float32)], axis=-1)
        elif name == "facing":
            target, weight = _facing(kp_raw, vis, torso)
            out[name] = tf.stack([target, weight], axis=-1)[:, None, :]
        elif name in ("simcc_x", "simcc_y"):
            if simcc is None:
                raise KeyError("encode_batch: simcc outputs need the SimCC codec (simcc=...)")
            _, sw = _weights(kp_raw, vis, simcc.input_size)
            axis, bins = (0, simcc.bins[0]) if name == "simcc_x" else (1, simcc.bins[1])
            u = kp[..., axis] * simcc.split_ratio - 0.5
            d = tf.range(bins, dtype=tf.float32)[None, None, :] - u[..., None]
            dist = tf.exp(-(d * d) / (2.0 * simcc.sigma**2)) * sw[..., None]
            out[name] = tf.concat([dist, sw[..., None]], axis=-1)
        else:
            raise KeyError(f"encode_batch: no target for model output {name!r}")
    return out


__all__ = ["encode_batch"]
