"""Pose metrics: PCK@alpha (torso-normalised), COCO OKS AP via pycocotools, per-keypoint error.

Shapes: ``N`` people (one per image here), ``K`` keypoints. All coordinates are in one frame,
normally image pixels; ``visibility`` uses COCO flags (0 unlabelled, 1 occluded, 2 visible) and
only labelled keypoints (flag > 0) are scored.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np

from .errors import DataError
from .schema import COCO17, KeypointSchema


def torso_size(
    gt: np.ndarray, visibility: np.ndarray, schema: KeypointSchema = COCO17, boxes=None
) -> np.ndarray:
    """Per-person PCK tolerance unit ``(N,)``, in the coordinates' frame.

    The torso size is the mean length of the labelled torso diagonals (left shoulder to right hip,
    right shoulder to left hip), the "torso diameter" of LSP-style PCK that BlazePose's PCK@0.2
    uses. Fallback when neither diagonal is labelled (or the schema has no shoulders/hips): half
    the diagonal of the person box, ``boxes (N, 4)`` as COCO ``[x, y, w, h]`` if given, else the
    tight box of the labelled keypoints. A person with no usable size gets NaN (not scored).
    """
    gt = np.asarray(gt, np.float64)
    lab = np.asarray(visibility) > 0
    n = gt.shape[0]
    sums, counts = np.zeros(n), np.zeros(n)
    for a, b in schema.torso_diagonals():
        ok = lab[:, a] & lab[:, b]
        d = np.linalg.norm(gt[:, a] - gt[:, b], axis=-1)
        sums += np.where(ok, d, 0.0)
        counts += ok
    size = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    if boxes is not None:
        b = np.asarray(boxes, np.float64)
        fallback = 0.5 * np.hypot(b[:, 2], b[:, 3])
    else:
        big = np.where(lab[..., None], gt, np.nan)
        with _quiet():
            span = np.nanmax(big, axis=1) - np.nanmin(big, axis=1)
        fallback = 0.5 * np.hypot(span[:, 0], span[:, 1])
    size = np.where(np.isfinite(size) & (size > 0), size, fallback)
    return np.where(size > 0, size, np.nan)


def pck(
    pred, gt, visibility, alpha: float = 0.2, schema: KeypointSchema = COCO17, boxes=None
) -> dict:
    """PCK@alpha: fraction of labelled keypoints within ``alpha * torso_size`` of the truth.

    pred/gt ``(N, K, 2)``; visibility ``(N, K)``. Returns ``{"pck": float, "per_keypoint": (K,)
    array (NaN where a keypoint is never labelled), "count": labelled keypoints scored}``.
    """
    pred, gt = _check(pred, gt, visibility)
    size = torso_size(gt, visibility, schema, boxes)
    lab = (np.asarray(visibility) > 0) & np.isfinite(size)[:, None]
    err = np.linalg.norm(pred - gt, axis=-1)
    hit = (err <= alpha * size[:, None]) & lab
    per_kp = np.where(lab.sum(0) > 0, hit.sum(0) / np.maximum(lab.sum(0), 1), np.nan)
    count = int(lab.sum())
    return {
        "pck": float(hit.sum() / count) if count else float("nan"),
        "per_keypoint": per_kp,
        "count": count,
    }


def keypoint_errors(pred, gt, visibility) -> np.ndarray:
    """Mean Euclidean error per keypoint ``(K,)`` over labelled instances (NaN if none)."""
    pred, gt = _check(pred, gt, visibility)
    lab = np.asarray(visibility) > 0
    err = np.linalg.norm(pred - gt, axis=-1)
    return np.where(lab.sum(0) > 0, (err * lab).sum(0) / np.maximum(lab.sum(0), 1), np.nan)


def oks_ap(
    pred, scores, gt, visibility, boxes=None, areas=None, schema: KeypointSchema = COCO17
) -> dict:
    """COCO keypoint AP, AP50 and AP75 from pycocotools ``COCOeval`` with the schema's sigmas.

    pred ``(N, K, 2)`` and gt ``(N, K, 2)`` image pixels (one person per image); scores ``(N,)``
    instance scores or ``(N, K)`` keypoint scores (averaged); boxes ``(N, 4)`` COCO ``[x, y, w,
    h]`` (default: tight box of the labelled keypoints); areas ``(N,)`` segment areas OKS scales
    by (default: box area, as COCO does for people without masks). People with no labelled
    keypoint are ignored by COCOeval, as in COCO.
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    pred, gt = _check(pred, gt, visibility)
    vis = np.asarray(visibility).astype(int)
    n, k = vis.shape
    if k != schema.num_keypoints:
        raise DataError(
            f"oks_ap: keypoints have K={k}, schema {schema.name!r} has {schema.num_keypoints}"
        )
    sc = np.asarray(scores, np.float64)
    sc = sc.mean(-1) if sc.ndim == 2 else sc
    if boxes is None:
        boxes = _tight_boxes(gt, vis)
    boxes = np.asarray(boxes, np.float64)
    areas = boxes[:, 2] * boxes[:, 3] if areas is None else np.asarray(areas, np.float64)
    images, anns, results = [], [], []
    for i in range(n):
        images.append({"id": i + 1, "width": 1, "height": 1})
        kps = np.concatenate([np.where(vis[i, :, None] > 0, gt[i], 0.0), vis[i, :, None]], -1)
        anns.append(
            {
                "id": i + 1,
                "image_id": i + 1,
                "category_id": 1,
                "iscrowd": 0,
                "keypoints": kps.ravel().tolist(),
                "num_keypoints": int((vis[i] > 0).sum()),
                "bbox": boxes[i].tolist(),
                "area": float(max(areas[i], 1.0)),
            }
        )
        rk = np.concatenate([pred[i], np.ones((k, 1))], -1)
        results.append(
            {
                "image_id": i + 1,
                "category_id": 1,
                "keypoints": rk.ravel().tolist(),
                "score": float(sc[i]),
            }
        )
    dataset = {"images": images, "annotations": anns, "categories": [schema.to_coco_category()]}
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = dataset
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(results) if results else COCO()
        ev = COCOeval(coco_gt, coco_dt, iouType="keypoints")
        ev.params.kpt_oks_sigmas = schema.sigmas_array
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    ap, ap50, ap75 = (float(v) for v in ev.stats[:3])
    return {"AP": ap, "AP50": ap50, "AP75": ap75}


def score(dataset, indices, keypoints, scores) -> dict:
    """PCK@0.2, OKS AP/AP50/AP75 and per-keypoint error (image pixels) for predicted samples: the
    one scoring of Keras evaluation, the TFLite harness and the benchmarks.

    dataset: a :class:`~posenet_mobile.data.coco.CocoDataset` (``samples``, ``schema``);
    indices ``(N,)`` into its samples; keypoints ``(N, K, 2)`` image pixels; scores ``(N, K)``.
    """
    samples = [dataset.samples[i] for i in indices]
    if not samples:
        return {
            "pck": float("nan"),
            "AP": float("nan"),
            "AP50": float("nan"),
            "AP75": float("nan"),
            "count": 0,
        }
    gt = np.stack([s.keypoints for s in samples]).astype(np.float64)
    vis = np.stack([s.visibility for s in samples])
    boxes = np.array([s.bbox for s in samples], np.float64)
    areas = np.array([s.area for s in samples], np.float64)
    p = pck(keypoints, gt, vis, 0.2, dataset.schema, boxes)
    ap = oks_ap(keypoints, scores, gt, vis, boxes, areas, dataset.schema)
    err = keypoint_errors(keypoints, gt, vis)
    return {
        "pck": p["pck"],
        **ap,
        "count": len(samples),
        "per_keypoint_pck": {n: _f(v) for n, v in zip(dataset.schema.names, p["per_keypoint"])},
        "per_keypoint_error_px": {n: _f(v) for n, v in zip(dataset.schema.names, err)},
        "mean_error_px": _f(np.nanmean(err)),
    }


def _f(v):
    v = float(v)
    return None if not np.isfinite(v) else round(v, 5)


def _tight_boxes(gt, vis):
    lab = vis > 0
    big = np.where(lab[..., None], gt, np.nan)
    with _quiet():
        lo = np.nanmin(big, axis=1)
        hi = np.nanmax(big, axis=1)
    lo = np.nan_to_num(lo)
    wh = np.nan_to_num(hi - lo)
    return np.concatenate([lo, np.maximum(wh, 1.0)], axis=-1)


def _check(pred, gt, visibility):
    pred = np.asarray(pred, np.float64)
    gt = np.asarray(gt, np.float64)
    vis = np.asarray(visibility)
    if pred.shape != gt.shape or pred.shape[-1] != 2 or gt.shape[:-1] != vis.shape:
        raise DataError(
            f"metrics: expected pred and gt (N, K, 2) and visibility (N, K); got {pred.shape}, {gt.shape}, {vis.shape}"
        )
    return pred, gt


@contextlib.contextmanager
def _quiet():
    """Silence NumPy's all-NaN slice warnings (people with no labelled keypoint)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def box_iou(a, b) -> float:
    """Intersection over union of two boxes ``[x, y, w, h]`` (0 when either has no area)."""
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0.0, min(ax1, bx1) - max(a[0], b[0]))
    ih = max(0.0, min(ay1, by1) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0
