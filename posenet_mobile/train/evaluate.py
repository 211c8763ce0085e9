"""Evaluate a Keras model on a dataset: predict on crops, decode, map to image pixels, score.

The harness does the same for TFLite files (:mod:`posenet_mobile.runtime.evaluate`); both end in
:func:`posenet_mobile.metrics.score`, so Keras and TFLite numbers are computed identically (PCK@0.2
with the torso rule, pycocotools OKS AP).
"""

from __future__ import annotations

import numpy as np

from ..codec import HeatmapCodec, SideRule, decode_outputs, flip_test as merge_flip
from ..geometry import keypoints_to_image
from ..metrics import score
from ..models.build import output_names


def predict(model, pipeline, batch_size: int = 64, flip_test: bool = False):
    """Run ``model`` over ``pipeline`` (evaluation mode); with ``flip_test`` also on the mirrored
    crops, the two outputs averaged (:func:`~posenet_mobile.codec.flip_test`).

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
        if flip_test:
            back = model(x[:, :, ::-1, :], training=False)
            back = back if isinstance(back, (list, tuple)) else [back]
            mirrored = {n: np.asarray(o) for n, o in zip(names, back)}
            named = merge_flip(named, mirrored, schema.flip_index, codec.input_size[1])
        kp, sc = decode_outputs(named, codec, sides=sides, simcc=pipeline.simcc)
        meta = meta.numpy()
        kps.append(keypoints_to_image(kp, meta, codec.input_size))
        scs.append(sc)
        idx.append(meta[:, 6].astype(int))
    if not idx:
        k = pipeline.data.schema.num_keypoints
        return np.zeros(0, int), np.zeros((0, k, 2)), np.zeros((0, k))
    return np.concatenate(idx), np.concatenate(kps), np.concatenate(scs)


def evaluate(model, pipeline, batch_size: int = 64, flip_test: bool = False) -> dict:
    """Predict and score; see :func:`posenet_mobile.metrics.score`."""
    idx, kp, sc = predict(model, pipeline, batch_size, flip_test)
    out = score(pipeline.data, idx, kp, sc)
    out["skipped_images"] = pipeline.corrupt
    return out
