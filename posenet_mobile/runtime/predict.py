"""``predict``: run an exported model on an image, a folder of images or a video file.

Images: one person per photo, found as a camera would follow them (:func:`predict_photo`): the
whole image (letterboxed) first, then crops taken from the last pose; with a person detector
(``detector``) every person it finds gets their own crop, and all are drawn. Writes
``OUT/<name>.jpg`` with the skeleton, ``OUT/<name>.json`` and ``OUT/keypoints.json`` (all images)
in the COCO results format (plus ``file_name``). Video: each frame is cropped around the previous frame's pose
(:class:`~posenet_mobile.runtime.tracking.RoiTracker`, full frame when lost) and smoothed with the
One Euro filter; writes ``OUT/<name>.mp4`` and ``OUT/<name>.json`` with one record per frame.
``<name>`` is the input's stem, unique within a run (:func:`output_stems`).
Unreadable or unsupported files are reported and skipped; the run goes on.
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from .. import viz
from ..data.coco import read_image
from ..errors import ConfigError, DataError
from ..io import check_output_dir, sweep_temps, temp_path, write_json_atomic
from ..schema import KeypointSchema
from .pipeline import PosePipeline, follow
from .runner import TFLiteRunner
from .tracking import from_metadata

IMAGE_EXT = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
VIDEO_EXT = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v"}


def _schema(runner) -> KeypointSchema:
    k = runner.meta.keypoints
    return KeypointSchema(
        k.names, tuple(tuple(p) for p in k.extra["flip_pairs"]), k.skeleton, k.sigmas
    )


#: Passes over a photo with no detector (:func:`predict_photo`); chosen on held-out synthetic
#: single-person images (``benchmarks/photo_passes.py``): the third pass still gained, a fourth not.
PHOTO_PASSES = 3


def predict_photo(runner, frame, passes: int = PHOTO_PASSES) -> dict:
    """The pose of one person in a photo without a detector, as the video tracker would find it
    over ``passes`` frames of a still camera: the whole image first, then each next crop from the
    last pose (:func:`~posenet_mobile.runtime.pipeline.follow`). Returns
    :meth:`TFLiteRunner.predict_frame`'s dict plus ``passes``, the passes run."""
    if passes < 1:  # before the first pass, not after it
        raise ConfigError(f"--passes: expected >= 1, got {passes}")
    return follow(runner, frame, runner.predict_frame(frame), passes)


def _timed(runner, frame, box=None, alignment=None):
    t0 = time.perf_counter()
    res = runner.predict_frame(frame, box, alignment)
    return res, time.perf_counter() - t0


#: Names ``predict`` writes for the whole run; an input whose stem is one of them is renamed too.
RESERVED = {"keypoints"}


def output_stems(files) -> list[str]:
    """One output stem per input file, unique within the run: the file's stem, or, when two
    inputs share it (``a.jpg`` and ``a.png``) or it is reserved, the name with its extension kept
    (``a_jpg``, ``a_png``); a numeric suffix settles anything still equal."""
    stems = [f.stem for f in files]
    counts: dict = {}
    for st in stems:
        counts[st] = counts.get(st, 0) + 1
    out, used = [], set(RESERVED)
    for f, st in zip(files, stems):
        name = (
            st
            if counts[st] == 1 and st not in RESERVED
            else f"{st}_{f.suffix.lstrip('.').lower() or 'file'}"
        )
        cand, n = name, 2
        while cand in used:
            cand, n = f"{name}_{n}", n + 1
        used.add(cand)
        out.append(cand)
    return out


def predict(
    model,
    inputs,
    out,
    threads: int = 1,
    min_score: float = 0.2,
    progress=print,
    detector=None,
    passes: int = PHOTO_PASSES,
    flip_test: bool = False,
) -> dict:
    """Predict on ``inputs`` (file or folder); returns a summary with per-file problems.

    Per input ``<stem>``: ``OUT/<stem>.jpg`` (or ``.mp4``) with the skeleton drawn and
    ``OUT/<stem>.json`` with its keypoints; all images together in ``OUT/keypoints.json``. Output
    names never collide within a run (:func:`output_stems`); ``--out`` is checked before work.
    With ``detector`` (an exported person detector) each image's JSON lists every person found
    (``people``: keypoints, mean keypoint score, person score, detection score, box and
    alignment; :class:`~.pipeline.PosePipeline`), and a video is detected on its first frame
    and whenever the pose is lost. Without one, each photo's person is found in ``passes``
    passes (:func:`predict_photo`). ``flip_test``: every crop is also run mirrored and the two
    outputs averaged (:func:`~posenet_mobile.codec.flip_test`), at twice the latency.
    """
    src = Path(inputs)
    if not src.exists():
        raise DataError(f"{src}: no such file or folder")
    out = check_output_dir(out, "--out")
    if out.resolve() == (src if src.is_dir() else src.parent).resolve():
        raise ConfigError(
            f"--out {out}: is the folder of the inputs; drawn images would replace them; "
            "choose another folder"
        )
    if threads < 1:
        raise ConfigError(f"--threads: expected >= 1, got {threads}")
    if passes < 1:
        raise ConfigError(f"--passes: expected >= 1, got {passes}")
    runner = TFLiteRunner(model, threads=threads, flip_test=flip_test)
    schema = _schema(runner)
    pipeline = PosePipeline(detector, runner, threads) if detector is not None else None
    files = (
        sorted(p for p in src.iterdir() if p.is_file() and not p.name.startswith("."))
        if src.is_dir()
        else [src]
    )
    out.mkdir(parents=True, exist_ok=True)
    sweep_temps(out)
    results, problems, times, videos = [], [], [], []
    for i, (f, stem) in enumerate(zip(files, output_stems(files))):
        ext = f.suffix.lower()
        if ext in VIDEO_EXT:
            try:
                videos.append(
                    predict_video(runner, schema, f, out, min_score, times, stem, pipeline)
                )
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
        if pipeline is not None:
            results += _predict_people(pipeline, img, f, i, stem, out, min_score, schema, times)
            continue
        t0 = time.perf_counter()
        res = predict_photo(runner, img, passes)
        times.append(time.perf_counter() - t0)
        kp = np.concatenate([res["keypoints"], res["scores"][:, None]], 1)
        drawn = viz.draw_pose(img, np.where(kp[:, 2:] >= min_score, kp, kp * [1, 1, 0]), schema)
        viz.write_image(out / f"{stem}.jpg", drawn)
        rec = {
            "image_id": i + 1,
            "file_name": f.name,
            "category_id": 1,
            "keypoints": [round(float(v), 2) for v in kp.ravel()],
            "score": round(float(kp[:, 2].mean()), 4),
            "passes": res["passes"],
            "output": f"{stem}.jpg",
        }
        write_json_atomic(out / f"{stem}.json", rec)
        results.append(rec)
    if results:
        write_json_atomic(out / "keypoints.json", results)
    summary = {
        "model": str(model),
        "inputs": len(files),
        "images": len(results),
        "videos": videos,
        "skipped": len(problems),
        "problems": problems,
        "out": str(out),
        "mean_inference_ms": round(1e3 * float(np.mean(times)), 3) if times else None,
    }
    return summary


def _predict_people(pipeline, img, f, i, stem, out, min_score, schema, times) -> list:
    """Every person the detector finds in one image: drawn together, one record each."""
    t0 = time.perf_counter()
    people = pipeline(img)
    times.append(time.perf_counter() - t0)
    drawn, records = img, []
    for p in people:
        kp = np.concatenate([p["keypoints"], p["scores"][:, None]], 1)
        drawn = viz.draw_pose(drawn, np.where(kp[:, 2:] >= min_score, kp, kp * [1, 1, 0]), schema)
        d = p["detection"]
        records.append(
            {
                "image_id": i + 1,
                "file_name": f.name,
                "category_id": 1,
                "keypoints": [round(float(v), 2) for v in kp.ravel()],
                "score": round(float(kp[:, 2].mean()), 4),
                "person_score": round(float(p["score"]), 4),
                "detection_score": round(d.score, 4),
                "bbox": [round(float(v), 2) for v in d.box],
                "alignment": [round(float(v), 3) for v in d.alignment.as_array()],
                "output": f"{stem}.jpg",
            }
        )
    viz.write_image(out / f"{stem}.jpg", drawn)
    write_json_atomic(out / f"{stem}.json", {"file_name": f.name, "people": records})
    return records


def predict_video(
    runner,
    schema,
    path: Path,
    out: Path,
    min_score: float,
    times: list,
    stem: str | None = None,
    pipeline=None,
) -> dict:
    """Track and draw a video: ``OUT/<stem>.mp4`` and ``OUT/<stem>.json`` (``video``, ``fps`` and
    ``frames``, one record per frame:
    ``frame``, ``time_s``, ``roi`` (the tracked box, or null), ``crop`` (the crop the model saw:
    centre x, y, width, height, rotation in degrees, mirrored) and ``keypoints`` (x, y, score)).
    A model with aligned crops is followed with crops turned by the last pose's alignment."""
    stem = stem or path.stem
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise DataError(f"{path}: cannot open as a video")
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    tracker, smoother = from_metadata(runner.meta)
    writer, records, n = None, [], 0
    tmp = temp_path(out / f"{stem}.mp4", keep_suffix=True)
    try:
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            frame = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            box = tracker.box
            if box is None and pipeline is not None:  # first frame, or the pose was lost
                t0 = time.perf_counter()
                found = pipeline.detector.detect(frame, max_people=1)
                res = pipeline.pose_for(frame, found[0]) if found else runner.predict_frame(frame)
                dt = time.perf_counter() - t0
            else:
                res, dt = _timed(runner, frame, box, tracker.alignment)
            times.append(dt)
            xy = smoother(res["keypoints"], n / fps)
            kp = np.concatenate([xy, res["scores"][:, None]], 1)
            tracker.update(kp)
            if tracker.box is None:
                smoother.reset()
            records.append(
                {
                    "frame": n,
                    "time_s": round(n / fps, 4),
                    "roi": box,
                    "crop": [round(float(v), 2) for v in res["crop"].as_array()],
                    "keypoints": [round(float(v), 2) for v in kp.ravel()],
                }
            )
            drawn = viz.draw_pose(
                frame, np.where(kp[:, 2:] >= min_score, kp, kp * [1, 1, 0]), schema
            )
            if writer is None:
                h, w = frame.shape[:2]
                writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
            writer.write(cv2.cvtColor(drawn, cv2.COLOR_RGB2BGR))
            n += 1
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        cap.release()
        if writer is not None:
            writer.release()
    if n == 0:
        tmp.unlink(missing_ok=True)
        raise DataError(f"{path}: no readable frames")
    tmp.replace(out / f"{stem}.mp4")
    write_json_atomic(out / f"{stem}.json", {"video": str(path), "fps": fps, "frames": records})
    return {
        "file": str(path),
        "frames": n,
        "out": str(out / f"{stem}.mp4"),
        "json": str(out / f"{stem}.json"),
    }
