"""The embedded default dataset: synthetic people written as a COCO person-keypoints dataset.

``synthesize(out_dir, num_images, seed)`` writes ``out_dir/images/*.jpg`` and
``out_dir/annotations.json``. Each image is a pure function of ``(seed, index)``, so the same
seed gives the same bytes whatever the number of worker processes. Keypoints are in image pixels
with pixel ``i`` centred on ``i + 0.5``; visibility follows COCO (2 visible, 1 labelled but
occluded, 0 outside the image, written as ``[0, 0, 0]``).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass

import cv2
import numpy as np

from ..io import write_json_atomic
from ..schema import COCO17
from . import body as B
from . import render as R

PERSON_ID_BASE = 1


@dataclass(frozen=True)
class SynthConfig:
    """Synthetic dataset settings. image_size: square side, pixels."""

    image_size: int = 256
    max_people: int = 1
    occluder_prob: float = 0.35
    truncation_prob: float = 0.15
    full_roll_prob: float = 0.08


def render_sample(seed: int, index: int, cfg: SynthConfig = SynthConfig()):
    """Render image ``index`` of dataset ``seed``.

    Returns ``(image (S, S, 3) uint8 RGB, people)`` where each person is a dict with
    ``keypoints (17, 3)`` [x, y, v] image pixels, ``bbox`` [x, y, w, h], ``area`` (visible
    silhouette pixels), ``category`` (the pose prior's category) and ``camera`` (yaw, pitch, roll
    in radians, distance in metres).
    """
    rng = np.random.default_rng([int(seed), int(index)])
    s = int(cfg.image_size)
    img = R.make_background(rng, s, s)
    n_people = 1 if cfg.max_people <= 1 else int(rng.integers(1, cfg.max_people + 1))
    people = []
    for i in range(n_people):
        prop = B.sample_proportions(rng)
        pose = B.sample_pose(rng)
        fk = B.forward_kinematics(prop, pose)
        if i == 0:
            scale = rng.uniform(0.55, 0.95)
            spread = 0.45 if rng.random() < cfg.truncation_prob else 0.12
            if spread > 0.2:
                scale = rng.uniform(0.8, 1.3)
            centre = s * (0.5 + rng.uniform(-spread, spread, 2))
        else:
            scale = rng.uniform(0.3, 0.7)
            centre = rng.uniform(0.1, 0.9, 2) * s
        cam = R.camera_for(fk, rng, (s, s), scale, centre, rng.random() < cfg.full_roll_prob)
        people.append({"id": PERSON_ID_BASE + i, "proportions": prop, "pose": pose, "fk": fk,
                       "look": R.sample_appearance(rng), "cam": cam})  # fmt: skip
    people.sort(key=lambda p: -p["cam"]["distance"])  # far to near
    ang = rng.uniform(0, 2 * np.pi)
    light = (np.cos(ang), np.sin(ang))
    mask = np.zeros((s, s), np.uint8)
    for p in people:
        p["xy"], _, p["surface"] = R.render_person(img, mask, rng, p["cam"], p, light)
    occ = np.zeros((s, s), bool)
    if rng.random() < cfg.occluder_prob:
        occ = R.add_occluders(img, rng, int(rng.integers(1, 4)))
        mask[occ] = 0
    img = R.photometric(img, rng)
    out = []
    for p in sorted(people, key=lambda p: p["id"]):
        xy = p["xy"]
        inside = np.all(np.isfinite(xy), -1) & (xy[:, 0] >= 0) & (xy[:, 0] < s) & (xy[:, 1] >= 0) & (xy[:, 1] < s)
        ix = np.clip(np.floor(np.nan_to_num(xy)).astype(int), 0, s - 1)
        front = mask[ix[:, 1], ix[:, 0]]
        covered = occ[ix[:, 1], ix[:, 0]] | ((front != p["id"]) & (front != 0))
        vis = np.where(inside, np.where(p["surface"] & ~covered, 2, 1), 0)
        kps = np.concatenate([np.where(inside[:, None], xy, 0.0), vis[:, None]], -1)
        if not (vis > 0).any():
            continue
        sil = mask == p["id"]
        area = int(sil.sum())
        if area > 0:
            x0, y0, w, h = cv2.boundingRect(sil.astype(np.uint8))
        else:
            lab = xy[vis > 0]
            x0, y0 = lab.min(0)
            w, h = np.maximum(lab.max(0) - lab.min(0), 1.0)
            area = int(w * h)
        cam = p["cam"]
        out.append({"keypoints": kps, "bbox": [float(x0), float(y0), float(w), float(h)], "area": float(area),
                    "category": p["pose"]["category"],
                    "camera": {k: float(cam[k]) for k in ("yaw", "pitch", "roll", "distance")}})  # fmt: skip
    return img, out


def _encode_jpeg(img_rgb, rng_q):
    quality = int(rng_q.integers(30, 60)) if rng_q.random() < 0.15 else int(rng_q.integers(60, 96))
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img_rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()


def _work(args):
    """Render, encode and write one image (runs in a worker process)."""
    seed, index, cfg, img_dir = args
    img, people = render_sample(seed, index, cfg)
    data = _encode_jpeg(img, np.random.default_rng([int(seed), int(index), 7]))
    name = f"{index:06d}.jpg"
    path = os.path.join(img_dir, name)
    tmp = path + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    return index, name, people


def _run_workers(seed, num_images, cfg, img_dir, workers, bar):
    """Render in ``workers`` subprocesses (``python -m posenet_mobile.data.synthetic``).

    Subprocesses rather than multiprocessing: a spawn pool re-imports the caller's ``__main__``,
    which hangs scripts that lack an ``if __name__ == "__main__"`` guard.
    """
    import subprocess
    import sys
    import tempfile
    import threading

    lock = threading.Lock()
    procs, parts = [], []
    tmpdir = tempfile.mkdtemp(prefix="synth_parts_")
    for w in range(workers):
        part = os.path.join(tmpdir, f"part{w}.json")
        job = {"seed": seed, "start": w, "step": workers, "num_images": num_images,
               "cfg": {k: getattr(cfg, k) for k in cfg.__dataclass_fields__}, "img_dir": img_dir, "out": part}  # fmt: skip
        proc = subprocess.Popen([sys.executable, "-m", "posenet_mobile.data.synthetic", json.dumps(job)],
                                stdout=subprocess.PIPE, text=True)  # fmt: skip
        procs.append(proc)
        parts.append(part)

    def pump(proc):
        for _ in proc.stdout:
            with lock:
                bar.update()

    threads = [threading.Thread(target=pump, args=(p,), daemon=True) for p in procs]
    for t in threads:
        t.start()
    codes = [p.wait() for p in procs]
    for t in threads:
        t.join()
    if any(codes):
        raise RuntimeError(f"synthetic data worker failed (exit codes {codes})")
    results = []
    for part in parts:
        with open(part) as fh:
            for index, name, people in json.load(fh):
                for p in people:
                    p["keypoints"] = np.asarray(p["keypoints"], np.float64)
                results.append((index, name, people))
    import shutil

    shutil.rmtree(tmpdir, ignore_errors=True)
    return sorted(results, key=lambda r: r[0])


def _worker_main(job: dict) -> None:
    cfg = SynthConfig(**job["cfg"])
    out = []
    for i in range(job["start"], job["num_images"], job["step"]):
        index, name, people = _work((job["seed"], i, cfg, job["img_dir"]))
        for p in people:
            p["keypoints"] = p["keypoints"].tolist()
        out.append((index, name, people))
        print(i, flush=True)
    write_json_atomic(job["out"], out)


def synthesize(out_dir, num_images: int, seed: int = 0, cfg: SynthConfig = SynthConfig(),
               workers: int | None = None, progress: bool = True) -> dict:  # fmt: skip
    """Write a COCO person-keypoints dataset of ``num_images`` synthetic images.

    Returns a summary ``{"images", "annotations", "seconds", "images_per_second", ...}``. The
    annotations file is written last, atomically, so a dataset without it is incomplete.
    """
    from tqdm import tqdm

    img_dir = os.path.join(out_dir, "images")
    os.makedirs(img_dir, exist_ok=True)
    workers = workers or min(os.cpu_count() or 1, 8)
    t0 = time.perf_counter()
    results = []
    bar = tqdm(total=num_images, desc="synth", unit="img", disable=not progress)
    if workers > 1 and num_images >= 8:
        results = _run_workers(seed, num_images, cfg, img_dir, workers, bar)
    else:
        for i in range(num_images):
            results.append(_work((seed, i, cfg, img_dir)))
            bar.update()
    bar.close()
    images, anns = [], []
    for index, name, people in results:
        images.append({"id": index + 1, "file_name": name, "width": cfg.image_size, "height": cfg.image_size})
        for p in people:
            kps = p["keypoints"]
            anns.append({
                "id": len(anns) + 1, "image_id": index + 1, "category_id": 1, "iscrowd": 0,
                "keypoints": [round(float(v), 3) if j % 3 < 2 else int(v) for j, v in enumerate(kps.ravel())],
                "num_keypoints": int((kps[:, 2] > 0).sum()), "bbox": [round(v, 2) for v in p["bbox"]],
                "area": p["area"], "pose_category": p["category"],
                "camera": {k: round(v, 4) for k, v in p["camera"].items()},
            })  # fmt: skip
    seconds = time.perf_counter() - t0
    coco = {
        "info": {"description": "posenet_mobile synthetic people", "seed": seed, "generator": "posenet_mobile.data.synthetic",
                 "config": {k: getattr(cfg, k) for k in cfg.__dataclass_fields__}},
        "images": images, "annotations": anns, "categories": [COCO17.to_coco_category()],
    }  # fmt: skip
    write_json_atomic(os.path.join(out_dir, "annotations.json"), coco)
    vis = np.array([a["keypoints"][2::3] for a in anns]) if anns else np.zeros((0, 17))
    return {
        "out": str(out_dir), "images": len(images), "annotations": len(anns), "seconds": round(seconds, 2),
        "images_per_second": round(len(images) / max(seconds, 1e-9), 1), "workers": workers,
        "visibility_fractions": {str(v): round(float((vis == v).mean()), 3) for v in (0, 1, 2)} if anns else {},
    }  # fmt: skip


if __name__ == "__main__":  # worker entry point of _run_workers
    import sys

    _worker_main(json.loads(sys.argv[1]))
