"""Train and score the person detector on COCO-format frames (the synthetic ``--detection``
frames by default). Scores: box AP50 with pycocotools, and, for the detections that match a
person (IoU >= 0.5), the alignment error: hip centre in body radii and incline in degrees."""

from __future__ import annotations

import contextlib
import io
import time
from pathlib import Path

import numpy as np

from ..io import write_json_atomic
from ..metrics import box_iou
from .codec import CENTRE_RADII, THRESHOLD, DetectionCodec, centre_error, to_frame
from .data import FramePipeline, load_frames
from .model import INPUT_SIZE, WIDTH, DetectorTargets, build_detector, training_model


def train_detector(
    train_dir,
    val_dir,
    out_dir,
    input_size=INPUT_SIZE,
    width: float = WIDTH,
    epochs: int = 12,
    batch_size: int = 16,
    learning_rate: float = 4e-3,
    seed: int = 0,
    progress=print,
    depth: float = 1.0,
    targets: DetectorTargets = DetectorTargets(),
) -> dict:
    """Train, keep ``OUT/detector.keras`` and ``OUT/metrics.json``; returns the metrics.
    ``width`` and ``depth``: the backbone's multipliers (:func:`.model.build_detector`);
    ``targets``: how it is taught (:class:`.model.DetectorTargets`)."""
    from ..keras import build_training_state, keras, tf

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tf.keras.utils.set_random_seed(seed)
    codec = DetectionCodec(tuple(input_size))
    train = FramePipeline(
        load_frames(train_dir),
        targets.codec(input_size),
        training=True,
        seed=seed,
        jitter=targets.jitter,
    )
    det = build_detector(tuple(input_size), width, depth=depth)
    model = training_model(det)
    steps = max(len(train) // batch_size, 1)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps * epochs, alpha=0.02)
    model.compile(keras.optimizers.Adam(schedule), loss=targets.loss())
    build_training_state(model)
    t0 = time.perf_counter()
    for epoch in range(epochs):
        hist = model.fit(train.dataset(batch_size, epoch), epochs=1, verbose=0)
        progress(f"detector epoch {epoch + 1}/{epochs}  loss {hist.history['loss'][-1]:.4f}")
    fit_s = time.perf_counter() - t0
    det.save(out / "detector.keras")
    metrics = evaluate_detector(det, val_dir, codec)
    metrics.update(
        {
            "fit_seconds": round(fit_s, 1),
            "train_frames": len(train),
            "skipped_images": len(train.corrupt),
            "input_size": list(input_size),
            "width": width,
            "depth": depth,
            "epochs": epochs,
            "targets": targets.settings(),
        }
    )
    write_json_atomic(out / "metrics.json", metrics, indent=1)
    return metrics


def detect_frames(det, pipe: FramePipeline, threshold: float = 0.1, batch: int = 32):
    """``[(frame index, [Detection in image pixels])]`` for every readable frame of ``pipe``."""
    codec = pipe.codec
    out, items = [], []
    for i in range(len(pipe)):
        item = pipe.prepare(i)
        if item is not None:
            items.append((i, item))
    for k in range(0, len(items), batch):
        chunk = items[k : k + batch]
        x = np.stack([it[1][0] for it in chunk])
        heat, geo = (np.asarray(v) for v in det(x, training=False))
        for (i, (_, _, crop, _)), h, g in zip(chunk, heat, geo):
            found = []
            for d in codec.decode(h[..., 0], g, threshold=threshold):
                found.append(to_frame(d, crop, codec.input_size))
            out.append((i, found))
    return out


#: ``centre_found`` counts a person found when a detection scoring at least the exported files'
#: default threshold puts the hip centre within ``CENTRE_RADII`` body radii of theirs, each
#: detection used once.


def evaluate_detector(det, val_dir, codec: DetectionCodec) -> dict:
    """Box AP50 (pycocotools, all frames), the alignment error of the detections that match a
    person's box (IoU >= 0.5: ``matched_people``), and ``centre_found``."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    frames = load_frames(val_dir)
    pipe = FramePipeline(frames, codec, training=False)
    found = detect_frames(det, pipe)
    gt = {
        "images": [{"id": i + 1} for i in range(len(frames))],
        "annotations": [],
        "categories": [{"id": 1, "name": "person"}],
    }
    for i, f in enumerate(frames):
        for al, box in f.people:
            gt["annotations"].append(
                {
                    "id": len(gt["annotations"]) + 1,
                    "image_id": i + 1,
                    "category_id": 1,
                    "bbox": list(box),
                    "area": float(box[2] * box[3]),
                    "iscrowd": 0,
                }
            )
    dets = [
        {"image_id": i + 1, "category_id": 1, "bbox": list(d.box), "score": d.score}
        for i, ds in found
        for d in ds
    ]
    coco = COCO()
    coco.dataset = gt
    ap50 = 0.0
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
        coco.createIndex()
        if dets and gt["annotations"]:
            ev = COCOeval(coco, coco.loadRes(dets), "bbox")
            ev.params.iouThrs = np.array([0.5])
            ev.evaluate()
            ev.accumulate()
            prec = ev.eval["precision"][0, :, 0, 0, -1]  # IoU 0.5, all recall points, all areas
            ap50 = float(np.mean(prec[prec > -1])) if (prec > -1).any() else 0.0
    centre, angle, matched = [], [], 0
    by_centre = 0
    for i, ds in found:
        free = [d for d in ds if d.score >= THRESHOLD]
        for al, _ in sorted(frames[i].people, key=lambda p: -p[0].radius):
            near = [d for d in free if centre_error(d, al) < CENTRE_RADII]
            if near:
                free.remove(min(near, key=lambda d: centre_error(d, al)))
                by_centre += 1
    for i, ds in found:
        for al, box in frames[i].people:
            best = max(ds, key=lambda d: box_iou(d.box, box), default=None)
            if best is None or box_iou(best.box, box) < 0.5:
                continue
            matched += 1
            centre.append(centre_error(best, al))
            angle.append(abs((best.alignment.angle - al.angle + 180.0) % 360.0 - 180.0))
    people = sum(len(f.people) for f in frames)
    return {
        "frames": len(frames),
        "people": people,
        "ap50": round(ap50, 4),
        "matched_people": matched,
        "centre_found": by_centre,
        "centre_error_radii_median": round(float(np.median(centre)), 4) if centre else None,
        "angle_error_degrees_median": round(float(np.median(angle)), 2) if angle else None,
        "angle_error_degrees_p90": round(float(np.percentile(angle, 90)), 2) if angle else None,
    }
