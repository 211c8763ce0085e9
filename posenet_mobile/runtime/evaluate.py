"""Score a .tflite file on a dataset through the replayed mobile pipeline.

Crops come from the same :class:`~posenet_mobile.data.pipeline.KeypointPipeline` (evaluation
mode, pixel values) as Keras evaluation, so Keras and TFLite numbers differ only by the model;
both end in :func:`posenet_mobile.metrics.score`.
"""

from __future__ import annotations

import numpy as np

from ..geometry import keypoints_to_image
from ..metrics import score


def predict_tflite(runner, pipeline, limit: int | None = None, keep_raw: bool = False):
    """Run ``runner`` on every evaluation crop of ``pipeline``.

    Returns ``{"indices" (N,), "keypoints" (N, K, 2) image pixels, "scores" (N, K),
    "input_keypoints" (N, K, 2) input pixels, "crops" (N, 7), "raw": [per-sample raw outputs]}``
    (``raw`` only with ``keep_raw``: the plain crop's, also under the runner's flip test).
    """
    idx, kps, kin, scs, crops, raws = [], [], [], [], [], []
    for x, _, meta in pipeline.dataset(16, with_crops=True):
        x, meta = x.numpy(), meta.numpy()
        for img, row in zip(x, meta):
            crop = np.clip(np.rint(img), 0, 255).astype(np.uint8)
            raw = runner.invoke_raw(runner.prepare(crop))
            kp, sc = runner.decode(runner.with_flip(runner.dequantize(raw), crop))
            kin.append(kp[0])
            kps.append(keypoints_to_image(kp, row[None], runner.input_size)[0])
            scs.append(sc[0])
            idx.append(int(row[6]))
            crops.append(row)
            if keep_raw:
                raws.append(raw)
            if limit and len(idx) >= limit:
                break
        if limit and len(idx) >= limit:
            break
    k = pipeline.data.schema.num_keypoints
    stack = lambda a, shape: np.stack(a) if a else np.zeros(shape)  # noqa: E731
    return {
        "indices": np.array(idx, int),
        "keypoints": stack(kps, (0, k, 2)),
        "scores": stack(scs, (0, k)),
        "input_keypoints": stack(kin, (0, k, 2)),
        "crops": stack(crops, (0, 7)),
        "raw": raws,
    }


def evaluate_tflite(runner, pipeline, limit: int | None = None) -> tuple[dict, dict]:
    """``(metrics, predictions)``: :func:`score` of :func:`predict_tflite`."""
    pred = predict_tflite(runner, pipeline, limit)
    m = score(pipeline.data, pred["indices"], pred["keypoints"], pred["scores"])
    m["skipped_images"] = pipeline.corrupt
    m["size_mismatch_images"] = pipeline.size_mismatch
    return m, pred
