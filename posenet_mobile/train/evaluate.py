"""Evaluate a Keras model on a dataset: predict on crops, decode, map to image pixels, score.

The harness does the same for TFLite files; both end in :func:`score`, so Keras and TFLite
numbers are computed identically (PCK@0.2 with the torso rule, pycocotools OKS AP).
"""

from __future__ import annotations

import numpy as np

from .. import geometry as G
from .. import metrics
from ..codec import HeatmapCodec, SideRule, decode_outputs
from ..models.build import output_names


def keypoints_to_image(kp_input: np.ndarray, crops: np.ndarray, input_size) -> np.ndarray:
    """``(N, K, 2)`` input pixels + ``(N, >=6)`` crop rows -> ``(N, K, 2)`` image pixels."""
    out = np.empty_like(kp_input, dtype=np.float64)
    for i, row in enumerate(crops):
        crop = G.Crop(*row[:5].tolist(), flip=bool(row[5]))
        out[i] = G.to_image(crop, input_size, kp_input[i])
    return out


def predict(model, pipeline, batch_size: int = 64):
    """Run ``model`` over ``pipeline`` (evaluation mode).

    Returns ``(indices (N,), keypoints (N, K, 2) image pixels, scores (N, K))`` for the samples
    whose image could be read.
    """
    codec: HeatmapCodec = pipeline.codec
    names = output_names(model)
    schema = pipeline.data.schema
    sides = SideRule.from_names(schema.names, schema.flip_index)
    idx, kps, scs = [], [], []
    for x, _, meta in pipeline.dataset(batch_size, with_crops=True):
        out = model(x, training=False)
        out = out if isinstance(out, (list, tuple)) else [out]
        named = {n: np.asarray(o) for n, o in zip(names, out)}
        kp, sc = decode_outputs(named, codec, sides=sides, simcc=pipeline.simcc)
        meta = meta.numpy()
        kps.append(keypoints_to_image(kp, meta, codec.input_size))
        scs.append(sc)
        idx.append(meta[:, 6].astype(int))
    if not idx:
        k = pipeline.data.schema.num_keypoints
        return np.zeros(0, int), np.zeros((0, k, 2)), np.zeros((0, k))
    return np.concatenate(idx), np.concatenate(kps), np.concatenate(scs)


def score(dataset, indices, keypoints, scores) -> dict:
    """PCK@0.2, OKS AP/AP50/AP75 and per-keypoint error (image pixels) for predicted samples."""
    samples = [dataset.samples[i] for i in indices]
    if not samples:
        return {"pck": float("nan"), "AP": float("nan"), "AP50": float("nan"), "AP75": float("nan"), "count": 0}
    gt = np.stack([s.keypoints for s in samples]).astype(np.float64)
    vis = np.stack([s.visibility for s in samples])
    boxes = np.array([s.bbox for s in samples], np.float64)
    areas = np.array([s.area for s in samples], np.float64)
    p = metrics.pck(keypoints, gt, vis, 0.2, dataset.schema, boxes)
    ap = metrics.oks_ap(keypoints, scores, gt, vis, boxes, areas, dataset.schema)
    err = metrics.keypoint_errors(keypoints, gt, vis)
    return {
        "pck": p["pck"], **ap, "count": len(samples),
        "per_keypoint_pck": {n: _f(v) for n, v in zip(dataset.schema.names, p["per_keypoint"])},
        "per_keypoint_error_px": {n: _f(v) for n, v in zip(dataset.schema.names, err)},
        "mean_error_px": _f(np.nanmean(err)),
    }  # fmt: skip


def evaluate(model, pipeline, batch_size: int = 64) -> dict:
    """Predict and score; see :func:`score`."""
    idx, kp, sc = predict(model, pipeline, batch_size)
    out = score(pipeline.data, idx, kp, sc)
    out["skipped_images"] = pipeline.corrupt
    return out


def _f(v):
    v = float(v)
    return None if not np.isfinite(v) else round(v, 5)
