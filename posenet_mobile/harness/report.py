"""Human-readable validation report: HTML with PNGs beside it (error chart, comparison, samples)."""

from __future__ import annotations

import html as H
from pathlib import Path

import cv2
import numpy as np

from .. import viz
from ..data.coco import read_image
from ..io import write_bytes_atomic


def _bar_chart(result, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(result["metrics"]["per_keypoint_error_px"])
    err = [result["metrics"]["per_keypoint_error_px"][n] or 0 for n in names]
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(10, 3.4))
    ref = result.get("reference")
    wdt = 0.4 if ref else 0.8
    ax.bar(x - (wdt / 2 if ref else 0), err, wdt, label="model")
    if ref:
        rerr = [ref["metrics"]["per_keypoint_error_px"].get(n) or 0 for n in names]
        ax.bar(x + wdt / 2, rerr, wdt, label="reference")
    ax.set_xticks(x, names, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("mean error (image px)")
    ax.set_title("per-keypoint error")
    ax.legend()
    fig.tight_layout()
    viz.save_figure(fig, path)


def _sample_grid(dataset, pred, path, count: int = 16) -> None:
    """Worst cases first: samples sorted by mean error over labelled keypoints / torso size."""
    from ..metrics import torso_size

    idx = pred["indices"]
    if len(idx) == 0:
        return
    gt = np.stack([dataset.samples[i].keypoints for i in idx])
    vis = np.stack([dataset.samples[i].visibility for i in idx])
    boxes = np.array([dataset.samples[i].bbox for i in idx], np.float64)
    err = np.linalg.norm(pred["keypoints"] - gt, axis=-1)
    lab = vis > 0
    norm = (
        (err * lab).sum(1) / np.maximum(lab.sum(1), 1) / torso_size(gt, vis, dataset.schema, boxes)
    )
    order = np.argsort(-np.nan_to_num(norm, nan=-1))[:count]
    tiles, labels = [], []
    for j in order:
        s = dataset.samples[idx[j]]
        img = read_image(s.image_path)
        if img is None:
            continue
        img = viz.draw_pose(
            img, np.c_[s.keypoints, s.visibility], dataset.schema, colour=(255, 255, 255)
        )
        img = viz.draw_pose(img, pred["keypoints"][j], dataset.schema)
        tiles.append(img)
        labels.append(f"err {norm[j]:.2f} torso")
    if tiles:
        size = tiles[0].shape[:2]
        tiles = [t if t.shape[:2] == size else cv2.resize(t, size[::-1]) for t in tiles]
        viz.write_image(path, viz.contact_sheet(tiles, 4, labels))


def _fmt(v):
    return "" if v is None else (f"{v:.4f}" if isinstance(v, float) else str(v))


def write_validation_report(result: dict, dataset, pred, path) -> Path:
    """Write ``path`` (HTML) and ``path``-stem PNGs beside it; returns the HTML path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    chart = path.with_name(path.stem + "_keypoint_error.png")
    grid = path.with_name(path.stem + "_worst_cases.png")
    _bar_chart(result, chart)
    _sample_grid(dataset, pred, grid)
    m, ref = result["metrics"], result.get("reference")
    rows = [
        "<tr><th></th><th>PCK@0.2</th><th>OKS AP</th><th>AP50</th><th>AP75</th><th>mean error px</th></tr>"
    ]
    for label, mm in [(result["model"], m)] + ([(ref["model"], ref["metrics"])] if ref else []):
        rows.append(
            "<tr><td>"
            + H.escape(label)
            + "</td>"
            + "".join(
                f"<td>{_fmt(mm.get(k))}</td>"
                for k in ("pck", "AP", "AP50", "AP75", "mean_error_px")
            )
            + "</tr>"
        )
    k = result["kernels"]
    status = "PASSED" if result["passed"] else "FAILED: " + "; ".join(result["failures"])
    body = f"""<!doctype html><html><head><meta charset="utf-8"><title>posenet_mobile validation</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto}}td,th{{padding:2px 8px;text-align:right}}
td:first-child{{text-align:left}}</style></head><body>
<h1>Validation of {H.escape(Path(result["model"]).name)}</h1>
<p><b>{H.escape(status)}</b></p>
<p>Data: {H.escape(result["data"])} ({m.get("count")} people). Format {H.escape(str(result.get("format")))},
head {H.escape(str(result.get("head")))}, {result["size_bytes"]:,} bytes.</p>
<h2>Model vs reference</h2><table>{"".join(rows)}</table>
{f"<p>PCK drop {ref['pck_drop_points']} points (bound {ref['max_pck_drop_points']}), AP drop {ref['ap_drop_points']} points.</p>" if ref else ""}
<h2>XNNPACK vs reference kernels</h2>
<p>{k["crops"]} crops. Keypoints (input px): max {k["keypoint_px"].get("max", 0):.3f}, p99 {k["keypoint_px"].get("p99", 0):.3f},
mean {k["keypoint_px"].get("mean", 0):.4f}. PCK@0.2 {k["pck_xnnpack"]:.4f} (XNNPACK) vs {k["pck_reference"]:.4f}
(reference), bound {k["max_pck_diff_points"]} points.
Raw outputs: {H.escape(str(k["outputs"]))}</p>
<h2>Per-keypoint error</h2><img src="{chart.name}" width="100%">
<h2>Samples, worst first</h2><p>white: ground truth; colours: prediction (left orange, right blue, centre green).</p>
<img src="{grid.name}" width="100%">
</body></html>"""
    write_bytes_atomic(path, body.encode())
    return path
