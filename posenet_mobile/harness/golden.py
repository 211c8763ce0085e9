"""Golden vectors for the Android ``posecore`` port: raw interpreter outputs and Python's decode.

For a model, ``DIR/<model>.golden.json`` holds the metadata and, for a few synthetic images and
crops (person box, letterboxed full frame, rotated and mirrored), the crop parameters, the output
tensors exactly as the interpreter returned them (integers for int8), and the keypoints the
Python harness decodes, in input and image pixels; ``flip_test_cases`` hold the outputs on a crop
and on its mirror image, their flip-test mean and its keypoints. ``DIR/tracking.golden.json`` holds One Euro
filter and ROI tracker sequences computed by :mod:`posenet_mobile.runtime.tracking`, and crop
transforms from :mod:`posenet_mobile.geometry`. posecore's JUnit tests must reproduce them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import geometry as G
from ..codec import flip_test
from ..data.synthetic import SynthConfig, render_sample
from ..io import write_json_atomic
from ..runtime.runner import TFLiteRunner
from ..metadata import Tracking
from ..runtime.tracking import OneEuroFilter, RoiTracker
from ..schema import COCO17, torso_indices
from ..detect.codec import Detection, DetectionCodec, Person, to_frame
from ..export.detector import detector_metadata
from ..runtime.pipeline import VIEW_TURNS, most_confident, person_box, turned_views


def _tensor(raw: np.ndarray) -> dict:
    kind = raw.dtype.kind
    data = raw.ravel().astype(np.int64 if kind in "iu" else np.float64).tolist()
    return {"dtype": raw.dtype.name, "shape": list(raw.shape), "data": data}


def golden_for_model(model, out_dir, images: int = 3, seed: int = 7) -> Path:
    runner = TFLiteRunner(model)
    size = runner.input_size
    cases = []
    for i in range(images):
        img, people = render_sample(seed, i, SynthConfig(image_size=160))
        box = people[0]["bbox"]
        crops = [
            G.box_to_crop(box, size, runner.meta.input.crop.crop_padding),
            G.letterbox_crop(img.shape[:2], size),
        ]
        if i == 0:
            crops.append(
                G.jitter(crops[0], scale=1.1, rotation=20.0, shift=(0.05, -0.03), flip=True)
            )
        for crop in crops:
            raw = runner.invoke_raw(runner.prepare(G.warp(img, crop, size)))
            kp, sc = runner.decode(runner.dequantize(raw))
            img_kp = G.to_image(crop, size, kp[0])
            cases.append(
                {
                    "crop": crop.as_array().tolist(),
                    "outputs": {n: _tensor(r) for n, r in zip(runner.outputs, raw)},
                    "keypoints_input": np.c_[kp[0], sc[0]].tolist(),
                    "keypoints_image": np.c_[img_kp, sc[0]].tolist(),
                }
            )
    if runner.meta.decode.method == "heatmap_offset_sides":
        cases += _side_cases(runner, cases[0]["crop"], seed)
    if runner.meta.decode.method == "simcc_sides":
        cases += _simcc_side_cases(runner, cases[0]["crop"], seed)
    out = Path(out_dir) / f"{Path(str(model)).stem}.golden.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(
        out,
        {
            "model": str(model),
            "metadata": runner.meta.to_json(),
            "cases": cases,
            "flip_test_cases": _flip_test_cases(runner, images, seed),
        },
    )
    return out


def _flip_test_cases(runner, images: int, seed: int) -> list:
    """The flip test (:func:`~posenet_mobile.codec.flip_test`): for each image's box crop, the raw
    outputs on the crop and on its mirror image (``patch[:, ::-1]``, as
    :meth:`~posenet_mobile.runtime.runner.TFLiteRunner.with_flip` runs it), their mean as the
    harness forms it and its decoded keypoints; then one case of random raw outputs, where every
    element differs, so a wrong index in the mirror mapping shows in the mean."""
    size, meta = runner.input_size, runner.meta
    pairs = []
    for i in range(images):
        img, people = render_sample(seed, i, SynthConfig(image_size=160))
        crop = G.box_to_crop(people[0]["bbox"], size, meta.input.crop.crop_padding)
        patch = G.warp(img, crop, size)
        pairs.append(
            (
                crop,
                runner.invoke_raw(runner.prepare(patch)),
                runner.invoke_raw(runner.prepare(np.ascontiguousarray(patch[:, ::-1]))),
            )
        )
    rng = np.random.default_rng(seed)
    pairs.append((pairs[0][0], _random_raw(runner, rng), _random_raw(runner, rng)))
    cases = []
    for crop, raw, raw_mirrored in pairs:
        mean = flip_test(
            runner.dequantize(raw),
            runner.dequantize(raw_mirrored),
            meta.keypoints.flip_index,
            size[1],
        )
        kp, sc = runner.decode(mean)
        cases.append(
            {
                "crop": crop.as_array().tolist(),
                "outputs": {n: _tensor(r) for n, r in zip(runner.outputs, raw)},
                "mirrored_outputs": {n: _tensor(r) for n, r in zip(runner.outputs, raw_mirrored)},
                "mean_outputs": {n: _tensor(v) for n, v in mean.items()},
                "keypoints_input": np.c_[kp[0], sc[0]].tolist(),
                "keypoints_image": np.c_[G.to_image(crop, size, kp[0]), sc[0]].tolist(),
            }
        )
    return cases


def _random_raw(runner, rng) -> list:
    """Raw outputs of every element drawn at random: the whole int8 range, or floats in [0, 1)."""
    raw = []
    for d in runner._out:
        shape, dtype = tuple(int(v) for v in d["shape"]), np.dtype(d["dtype"])
        if dtype.kind in "iu":
            info = np.iinfo(dtype)
            raw.append(rng.integers(info.min, info.max + 1, shape).astype(dtype))
        else:
            raw.append(rng.uniform(0.0, 1.0, shape).astype(dtype))
    return raw


def _side_cases(runner, crop, seed, count: int = 6) -> list:
    """Made-up outputs that exercise every branch of ``codec.decode_sides`` (a briefly trained
    model rarely has two peaks per pair): each pair gets two blobs, one channel higher on each or
    both on one (a collapse), some pairs a single blob, facing of either sign; quantized with the
    output tensors' own parameters, decoded by the runner as any case."""
    rng = np.random.default_rng(seed)
    by_name = {n: d for n, d in zip(runner.outputs, runner._out)}
    _, hh, ww, k = (int(v) for v in by_name["heatmaps"]["shape"])
    cases = []
    for i in range(count):
        hm = rng.uniform(0.0, 0.05, (1, hh, ww, k))
        for j in range(k):
            r, c = rng.integers(0, [hh, ww])
            hm[0, r, c, j] = rng.uniform(0.5, 1.0)
        for a, b in runner.sides.pairs:
            (r1, c1), (r2, c2) = rng.integers(0, [hh, ww], (2, 2))
            if max(abs(r1 - r2), abs(c1 - c2)) < 2 or rng.uniform() < 0.15:
                continue  # one blob only
            hi, lo = rng.uniform(0.6, 1.0), rng.uniform(0.35, 0.6)
            collapsed = rng.uniform() < 0.5
            hm[0, r1, c1, a], hm[0, r2, c2, a] = hi, lo
            hm[0, r1, c1, b], hm[0, r2, c2, b] = (hi - 0.05, lo) if collapsed else (lo, hi)
        values = {
            "heatmaps": hm,
            "offsets": rng.uniform(-1.0, 1.0, (1, hh, ww, 2 * k)),
            "facing": _facing(runner, rng),
        }
        cases.append(_made_up_case(runner, crop, values))
    return cases


def _simcc_side_cases(runner, crop, seed, count: int = 6) -> list:
    """Made-up outputs for ``codec.order_sides``: every keypoint a Gaussian bump of logits at a
    random place (so pairs sit either way round the torso axis), facing of either sign."""
    rng = np.random.default_rng(seed)
    k = len(runner.meta.keypoints.names)
    cases = []
    for _ in range(count):
        values = {"facing": _facing(runner, rng)}
        for name, bins in zip(("simcc_x", "simcc_y"), runner.simcc.bins):
            centre = rng.uniform(0, bins, (1, k, 1))
            d = np.arange(bins)[None, None] - centre
            values[name] = rng.uniform(0.6, 1.0, (1, k, 1)) * np.exp(
                -(d**2) / (2.0 * runner.simcc.sigma**2)
            )
        cases.append(_made_up_case(runner, crop, values))
    return cases


def _facing(runner, rng):
    """A facing logit of random sign inside what the facing tensor can hold (a briefly trained
    model's int8 range may be a small part of [-3, 3], or not reach below 0)."""
    lo, hi = -3.0, 3.0
    d = runner._out[runner.outputs.index("facing")]
    scale, zp = d["quantization"]
    if scale:
        info = np.iinfo(d["dtype"])
        lo, hi = (info.min - zp) * scale, (info.max - zp) * scale
    return np.array([[rng.choice([lo, hi]) * rng.uniform(0.2, 1.0)]])


def _made_up_case(runner, crop, values) -> dict:
    """A golden case from made-up float outputs ``{name: array}``, quantized with the output
    tensors' own parameters and decoded by the runner as any case."""
    raw = []
    for name, d in zip(runner.outputs, runner._out):
        v, (scale, zp) = values[name], d["quantization"]
        if scale:
            info = np.iinfo(d["dtype"])
            v = np.clip(np.rint(v / scale) + zp, info.min, info.max)
        raw.append(v.astype(d["dtype"]))
    kp, sc = runner.decode(runner.dequantize(raw))
    img_kp = G.to_image(G.Crop(*crop[:5], flip=bool(crop[5])), runner.input_size, kp[0])
    return {
        "crop": crop,
        "outputs": {n: _tensor(r) for n, r in zip(runner.outputs, raw)},
        "keypoints_input": np.c_[kp[0], sc[0]].tolist(),
        "keypoints_image": np.c_[img_kp, sc[0]].tolist(),
        "made_up": True,
    }


def golden_tracking(out_dir, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.uniform(0.02, 0.05, 40))
    x = np.cumsum(rng.normal(0, 3, (40, 4)), axis=0) + np.where(
        np.arange(40)[:, None] > 20, 40.0, 0.0
    )
    sm, roi_cfg = Tracking().smoothing, Tracking().roi
    f = OneEuroFilter(sm.min_cutoff, sm.beta, sm.d_cutoff)
    one_euro = {
        "min_cutoff": sm.min_cutoff,
        "beta": sm.beta,
        "d_cutoff": sm.d_cutoff,
        "t": t.tolist(),
        "x": x.tolist(),
        "y": [f(xi, ti).tolist() for xi, ti in zip(x, t)],
    }
    roi = []
    torso = torso_indices(COCO17.names)
    tr = RoiTracker(roi_cfg.min_score, roi_cfg.min_keypoints, torso)
    for _ in range(6):
        kp = np.c_[rng.uniform(0, 200, (17, 2)), rng.uniform(0, 1, 17) * rng.choice([0.2, 1.0])]
        box = tr.update(kp)
        al = None if tr.alignment is None else tr.alignment.as_array().tolist()
        roi.append({"keypoints": kp.tolist(), "box": box, "alignment": al})
    transforms = []
    for _ in range(8):
        crop = G.Crop(
            *rng.uniform([20, 20, 40, 40, -90], [200, 200, 200, 200, 90]).tolist(),
            flip=bool(rng.integers(2)),
        )
        size = (int(rng.choice([64, 96])), int(rng.choice([64, 128])))
        pts = rng.uniform(-20, 220, (5, 2))
        transforms.append(
            {
                "crop": crop.as_array().tolist(),
                "input_hw": list(size),
                "image_points": pts.tolist(),
                "input_points": G.to_input(crop, size, pts).tolist(),
            }
        )
    boxes = []
    for _ in range(4):
        b = rng.uniform([0, 0, 10, 10], [100, 100, 120, 160]).tolist()
        size = (int(rng.choice([64, 96])), int(rng.choice([64, 128])))
        boxes.append(
            {
                "box": b,
                "input_hw": list(size),
                "padding": 1.25,
                "crop": G.box_to_crop(b, size, 1.25).as_array().tolist(),
            }
        )
    alignments = []
    for i in range(8):
        xy = rng.uniform(0, 300, (17, 2))
        valid = rng.random(17) < 0.8
        if i == 0:
            valid[[5, 6]] = False  # no shoulder: no alignment
        al = G.alignment_from_keypoints(xy, valid, torso)
        size = (int(rng.choice([64, 96])), int(rng.choice([64, 128])))
        alignments.append(
            {
                "keypoints": xy.tolist(),
                "valid": valid.tolist(),
                "torso": list(torso),
                "alignment": None if al is None else al.as_array().tolist(),
                "input_hw": list(size),
                "padding": 1.25,
                "crop": None if al is None else G.aligned_crop(al, size, 1.25).as_array().tolist(),
            }
        )
    # the app's input pixels: posecore's Crop.warp against geometry.warp (OpenCV) on a small frame
    frame = rng.integers(0, 256, (20, 28, 3)).astype(np.uint8)
    frame[5:12, 8:20] = [250, 10, 120]  # a sharp-edged block, where interpolation shows
    warps = []
    for crop in (
        G.box_to_crop([4, 3, 18, 14], (16, 12), 1.25),
        G.Crop(14.0, 10.0, 20.0, 26.0, rotation=33.0),
        G.Crop(9.3, 11.6, 30.0, 40.0, rotation=-120.0, flip=True),
    ):
        warps.append(
            {
                "crop": crop.as_array().tolist(),
                "input_hw": [16, 12],
                "output": G.warp(frame, crop, (16, 12)).tolist(),
                # the flip test's second input: the same pixels mirrored left to right
                "mirrored": G.warp(frame, crop, (16, 12))[:, ::-1].tolist(),
            }
        )
    # the detector's decoding: made-up outputs (encoded people, noise, a cell-edge tie), decoded
    detections = []
    for case in range(3):
        codec = DetectionCodec((64, 96), stride=8)
        people = []
        for _ in range(int(rng.integers(1, 4))):
            cx, cy = rng.uniform(4, 92), rng.uniform(4, 60)
            r = float(rng.uniform(6, 30))
            box = (cx - r * 0.5, cy - r * 0.9, r * 1.1, r * 1.8)
            people.append(Person(G.Alignment(cx, cy, r, float(rng.uniform(-180, 180))), box))
        if case == 2:  # a centre on a cell edge: a tie between two cells
            people.append(Person(G.Alignment(40.0, 28.0, 10.0, 0.0), (30.0, 20.0, 20.0, 30.0)))
        heat, geo, _ = codec.encode(people)
        heat = heat + rng.uniform(0, 0.05, heat.shape).astype(np.float32) * (case == 1)
        found = codec.decode(heat, geo, threshold=0.3, max_people=5)
        crop = G.letterbox_crop((120, 200), codec.input_size)
        detections.append(
            {
                "input_hw": list(codec.input_size),
                "stride": codec.stride,
                "threshold": 0.3,
                "max_people": 5,
                "heatmap": heat.astype(float).tolist(),
                "geometry": geo.astype(float).tolist(),
                "letterbox_crop": crop.as_array().tolist(),
                "detections": [
                    {
                        "score": d.score,
                        "alignment": d.alignment.as_array().tolist(),
                        "box": list(d.box),
                        "frame": _frame_detection(to_frame(d, crop, codec.input_size)),
                    }
                    for d in found
                ],
            }
        )
    # a detection whose box has no area (its edges decoded negative): the square about its circle
    flat = [
        Detection(0.9, G.Alignment(50.0, 40.0, 12.0, 30.0), (50.0, 40.0, 0.0, 20.0)),
        Detection(0.8, G.Alignment(20.0, 30.0, 8.0, -90.0), (14.0, 22.0, 12.0, 0.5)),
    ]
    detector_doc = detector_metadata(
        (160, 160),
        DetectionCodec((160, 160)),
        0.3,
        [
            (3, "det_geometry", [1, 20, 20, 9], (0.05, -3)),
            (2, "det_heatmap", [1, 20, 20, 1], (1 / 256, -128)),
        ],
    )
    # several poses of one person -> each keypoint from the pose surest of it (ties included)
    most_confident_cases = []
    for n in (1, 2, 4):
        kps = rng.uniform(0, 100, (n, 5, 2))
        scs = np.round(rng.uniform(0, 1, (n, 5)), 1)  # rounded: some keypoints tie
        got = most_confident([{"keypoints": k, "scores": c} for k, c in zip(kps, scs)])
        most_confident_cases.append(
            {
                "keypoints": kps.tolist(),
                "scores": scs.tolist(),
                "picked_keypoints": got["keypoints"].tolist(),
                "picked_scores": got["scores"].tolist(),
            }
        )
    out = Path(out_dir) / "tracking.golden.json"
    write_json_atomic(
        out,
        {
            "one_euro": one_euro,
            "roi": {**roi_cfg.to_json(), "torso": list(torso), "steps": roi},
            "transforms": transforms,
            "boxes": boxes,
            "alignments": alignments,
            "warp_frame": frame.tolist(),
            "warps": warps,
            "detections": detections,
            "pose_crop": {"input_hw": list(POSE_CROP_HW), "padding": POSE_CROP_PADDING},
            "flat_detections": [
                {
                    "score": d.score,
                    "alignment": d.alignment.as_array().tolist(),
                    "box": list(d.box),
                    "frame": _frame_detection(d),
                }
                for d in flat
            ],
            "detector_metadata": detector_doc,
            "view_turns": list(VIEW_TURNS),
            "most_confident": most_confident_cases,
        },
    )
    return out


#: The pose model a detection's crop is made for in the golden vectors (any size works).
POSE_CROP_HW, POSE_CROP_PADDING = (64, 48), 1.25


def _frame_detection(d) -> dict:
    """A detection in frame pixels, with the crop a pose model takes from it under each crop rule
    (:class:`~posenet_mobile.runtime.pipeline.PosePipeline`)."""
    return {
        "alignment": d.alignment.as_array().tolist(),
        "box": list(d.box),
        "person_box": list(person_box(d)),
        "pose_crop_box": G.box_to_crop(person_box(d), POSE_CROP_HW, POSE_CROP_PADDING)
        .as_array()
        .tolist(),
        "pose_crop_aligned": G.aligned_crop(d.alignment, POSE_CROP_HW, POSE_CROP_PADDING)
        .as_array()
        .tolist(),
        "pose_crop_views": [
            G.aligned_crop(t, POSE_CROP_HW, POSE_CROP_PADDING).as_array().tolist()
            for t in turned_views(d.alignment)
        ],
    }


def write_golden(models, out_dir) -> list[str]:
    """Golden vectors of each model and of the tracker into ``out_dir`` (checked for writing first)."""
    from ..io import check_output_dir

    check_output_dir(out_dir, "--out")
    files = [str(golden_for_model(m, out_dir)) for m in models]
    files.append(str(golden_tracking(out_dir)))
    return files
