"""``predict``: run an exported model on an image, a folder of images or a video file.

Images: the whole image is the person crop (letterboxed), as for a single-person photo. Writes
``OUT/<name>.jpg`` with the skeleton and ``OUT/keypoints.json`` in the COCO results format (plus
``file_name``). Video: each frame is cropped around the previous frame's pose
(:class:`~posenet_mobile.runtime.tracking.RoiTracker`, full frame when lost) and smoothed with the
One Euro filter; writes ``OUT/<name>.mp4`` and ``OUT/<name>.json`` with one record per frame.
Unreadable or unsupported files are reported and skipped; the run goes on.
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from .. import viz
from ..data.coco import read_image
from ..errors import DataError
from ..io import write_json_atomic
from ..schema import KeypointSchema
from .runner import TFLiteRunner
from .tracking import OneEuroFilter, RoiTracker

IMAGE_EXT = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
VIDEO_EXT = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v"}


def _schema(runner) -> KeypointSchema:
    k = runner.meta["keypoints"]
    return KeypointSchema(tuple(k["names"]), tuple(tuple(p) for p in k["flip_pairs"]),
                          tuple(tuple(e) for e in k["skeleton"]), tuple(k["sigmas"]))  # fmt: skip


def _timed(runner, frame, box=None):
    t0 = time.perf_counter()
    res = runner.predict_frame(frame, box)
    return res, time.perf_counter() - t0


def predict(model, inputs, out, threads: int = 1, min_score: float = 0.2, progress=print) -> dict:
    """Predict on ``inputs`` (file or folder); returns a summary with per-file problems."""
    runner = TFLiteRunner(model, threads=threads)
    schema = _schema(runner)
    src = Path(inputs)
    if not src.exists():
        raise DataError(f"{src}: no such file or folder")
    files = sorted(p for p in src.iterdir() if p.is_file()) if src.is_dir() else [src]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results, problems, times, videos = [], [], [], []
    for i, f in enumerate(files):
        ext = f.suffix.lower()
        if ext in VIDEO_EXT:
            try:
                videos.append(predict_video(runner, schema, f, out, min_score, times))
            except DataError as exc:
                problems.append(str(exc))
                progress(f"skipped: {exc}")
            continue
        if ext not in IMAGE_EXT:
            problems.append(f"{f}: unsupported file type {ext or '(none)'}")
            progress(f"skipped: {problems[-1]}")
            continue
        img = read_image(f)
        if img is None:
            problems.append(f"{f}: unreadable or corrupt image")
            progress(f"skipped: {problems[-1]}")
            continue
        res, dt = _timed(runner, img)
        times.append(dt)
        kp = np.concatenate([res["keypoints"], res["scores"][:, None]], 1)
        drawn = viz.draw_pose(img, np.where(kp[:, 2:] >= min_score, kp, kp * [1, 1, 0]), schema)
        viz.write_image(out / f"{f.stem}.jpg", drawn)
        results.append({"image_id": i + 1, "file_name": f.name, "category_id": 1,
                        "keypoints": [round(float(v), 2) for v in kp.ravel()], "score": round(float(kp[:, 2].mean()), 4)})  # fmt: skip
    if results:
        write_json_atomic(out / "keypoints.json", results)
    summary = {"model": str(model), "inputs": len(files), "images": len(results), "videos": videos,
               "skipped": len(problems), "problems": problems, "out": str(out),
               "mean_inference_ms": round(1e3 * float(np.mean(times)), 3) if times else None}  # fmt: skip
    return summary


def predict_video(runner, schema, path: Path, out: Path, min_score: float, times: list) -> dict:
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise DataError(f"{path}: cannot open as a video")
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    tracker, smoother = RoiTracker(), OneEuroFilter()
    writer, records, n = None, [], 0
    tmp = out / f".{path.stem}.tmp.mp4"
    try:
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            frame = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            box = tracker.box
            res, dt = _timed(runner, frame, box)
            times.append(dt)
            xy = smoother(res["keypoints"], n / fps)
            kp = np.concatenate([xy, res["scores"][:, None]], 1)
            tracker.update(kp)
            if tracker.box is None:
                smoother.reset()
            records.append({"frame": n, "time_s": round(n / fps, 4), "roi": box,
                            "keypoints": [round(float(v), 2) for v in kp.ravel()]})  # fmt: skip
            drawn = viz.draw_pose(frame, np.where(kp[:, 2:] >= min_score, kp, kp * [1, 1, 0]), schema)
            if writer is None:
                h, w = frame.shape[:2]
                writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
            writer.write(cv2.cvtColor(drawn, cv2.COLOR_RGB2BGR))
            n += 1
    finally:
        cap.release()
        if writer is not None:
            writer.release()
    if n == 0:
        tmp.unlink(missing_ok=True)
        raise DataError(f"{path}: no readable frames")
    tmp.replace(out / f"{path.stem}.mp4")
    write_json_atomic(out / f"{path.stem}.json", {"video": str(path), "fps": fps, "frames": records})
    return {"file": str(path), "frames": n, "out": str(out / f"{path.stem}.mp4")}
