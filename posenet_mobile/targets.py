"""Training targets as NumPy arrays: codec targets packed into the ``y_true`` each Keras loss
reads (:mod:`posenet_mobile.losses` gives the layout), and the facing target.

NumPy only, so the data pipeline builds targets without importing the TensorFlow loss module.
``N`` people, ``K`` keypoints.
"""

from __future__ import annotations

import numpy as np

from .codec import EncodedTargets, HeatmapCodec


def facing_target(keypoints: np.ndarray, visibility: np.ndarray, torso, margin: float = 0.3):
    """Whether each person faces the camera, from the handedness of their labelled 2D torso.

    keypoints ``(N, K, 2)`` (image or input pixels, y down), COCO ``visibility (N, K)``, ``torso``
    from :func:`posenet_mobile.schema.torso_indices`. With ``across`` = left minus right (shoulders plus hips) and
    ``down`` = hip centre minus shoulder centre, a person facing the camera has their left on the
    image's right, so ``cross(across, down) > 0``; the sign survives rotation and mirroring with
    left/right relabelled, as augmentation does. Returns ``(target (N,) in {0, 1}, weight (N,))``:
    weight 0 without all four torso points labelled, or when ``|cross| < margin |down|^2``: the
    torso's signed width is under ``margin`` of its length (side views, where the sign says little).
    """
    kp = np.asarray(keypoints, np.float64)
    n = kp.shape[0]
    if torso is None:
        return np.zeros(n, np.float32), np.zeros(n, np.float32)
    ls, rs, lh, rh = torso
    ok = np.all(np.asarray(visibility)[:, [ls, rs, lh, rh]] > 0, axis=1) & np.all(
        np.isfinite(kp[:, [ls, rs, lh, rh]]), axis=(1, 2)
    )
    kp = np.where(np.isfinite(kp), kp, 0.0)
    across = (kp[:, ls] - kp[:, rs]) + (kp[:, lh] - kp[:, rh])
    down = 0.5 * (kp[:, lh] + kp[:, rh]) - 0.5 * (kp[:, ls] + kp[:, rs])
    cross = across[:, 0] * down[:, 1] - across[:, 1] * down[:, 0]
    length2 = (down**2).sum(-1)
    clear = ok & (np.abs(cross) >= margin * length2) & (np.abs(cross) > 0)
    return (cross > 0).astype(np.float32), clear.astype(np.float32)


def pack_targets(
    codec: HeatmapCodec,
    keypoints: np.ndarray,
    visibility: np.ndarray,
    output_names,
    encoded: EncodedTargets | None = None,
    torso=None,
    simcc=None,
) -> dict:
    """Encode ``keypoints (N,K,2)`` input pixels + COCO ``visibility (N,K)`` into packed ``y_true``.

    Returns ``{output name: float32 array}`` for the names given. ``visibility`` targets are 1 for
    flag 2 (visible) inside the input and 0 otherwise (occluded, or pushed out of the crop); every
    labelled keypoint carries weight. ``torso`` (:func:`posenet_mobile.schema.torso_indices`) is needed for a
    ``facing`` output; without it that target has weight 0. ``simcc``
    (:class:`~posenet_mobile.simcc.SimCCCodec`) is needed for ``simcc_x`` / ``simcc_y`` outputs.
    """
    kp = np.asarray(keypoints, np.float64)
    vis = np.asarray(visibility)
    enc = encoded
    if enc is None and any(
        n in ("heatmaps", "offsets", "coords", "coords_dist", "visibility") for n in output_names
    ):
        enc = codec.encode(kp, vis)  # not for a simcc model: dense maps it never reads
    w = enc.weights if enc is not None else None
    sc = None
    if any(n in ("simcc_x", "simcc_y") for n in output_names):
        if simcc is None:
            raise KeyError("pack_targets: simcc outputs need the SimCC codec (simcc=...)")
        sc = simcc.encode(kp, vis)
    out = {}
    for name in output_names:
        if name == "heatmaps":
            wmap = np.broadcast_to(w[:, None, None, :], enc.heatmaps.shape)
            out[name] = np.concatenate([enc.heatmaps, wmap], axis=-1)
        elif name == "offsets":
            out[name] = np.concatenate([enc.offsets, enc.offset_mask], axis=-1)
        elif name in ("coords", "coords_dist"):
            xy = codec.pixels_to_normalized(np.where(np.isfinite(kp), kp, 0.0))
            out[name] = np.concatenate([xy, w[..., None]], axis=-1)
        elif name == "visibility":
            target = (vis == 2) & (w > 0)
            out[name] = np.stack([target.astype(np.float32), (vis > 0).astype(np.float32)], axis=-1)
        elif name == "facing":
            target, weight = facing_target(kp, vis, torso)
            out[name] = np.stack([target, weight], axis=-1)[:, None, :]
        elif name in ("simcc_x", "simcc_y"):
            dist = sc.x if name == "simcc_x" else sc.y
            out[name] = np.concatenate([dist, sc.weights[..., None]], axis=-1)
        else:
            raise KeyError(f"pack_targets: no target for model output {name!r}")
        out[name] = out[name].astype(np.float32)
    return out


__all__ = ["facing_target", "pack_targets"]
