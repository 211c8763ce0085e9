"""Train the person detector on synthetic frames and measure it. Prints JSON and writes
benchmarks/results/detector.json (not a test).

1. Frames: ``posenet-mobile synth --detection`` (0 to 3 people anywhere, a tenth to nine tenths of
   the frame tall, cut by the edges, clutter): ``--train`` frames from seed 0, ``--val`` held out
   from seed 1.
2. Training (:func:`posenet_mobile.detect.train.train_detector`), then on the held-out frames:
   box AP50 (pycocotools) and the alignment error of the people it finds (hip centre in body
   radii, incline in degrees), for the Keras model and for an int8 post-training-quantized
   TFLite file of it.
3. Latency at 1 thread, interleaved in one process with the pose model's int8 file (``--pose``):
   the issue's budget is the detector at most twice the pose model.

This is a measurement of the design. The detector is not yet exported through the package's
chain (pruning, metadata, harness), nor used by ``predict``.

Usage: .venv/bin/python benchmarks/detector.py [--out runs/detector] [--pose FILE.tflite]
"""

import argparse
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "detector.json"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="runs/detector")
    ap.add_argument("--train", type=int, default=2000)
    ap.add_argument("--val", type=int, default=200)
    ap.add_argument("--input", type=int, default=160)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--pose", default="runs/base/bench_export/int8_pqat.tflite")
    ap.add_argument("--results", default=str(RESULTS))
    a = ap.parse_args()

    from posenet_mobile.compress.quantize import with_pixel_input
    from posenet_mobile.data.synthetic import SynthConfig, synthesize
    from posenet_mobile.detect.codec import DetectionCodec
    from posenet_mobile.detect.data import FramePipeline, load_frames
    from posenet_mobile.detect.train import evaluate_detector, train_detector
    from posenet_mobile.export.tflite import convert, representative_dataset
    from posenet_mobile.harness.bench import bench
    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.io import write_bytes_atomic, write_json_atomic
    from posenet_mobile.models.saved import load_keras_model

    out = Path(a.out)
    cfg = SynthConfig(max_people=3, purpose="detection")
    for name, n, seed in (("train", a.train, 0), ("val", a.val, 1)):
        if not (out / name / "annotations.json").exists():
            synthesize(out / name, n, seed=seed, cfg=cfg, progress=False)
    size = (a.input, a.input)
    keras_metrics = train_detector(
        out / "train", out / "val", out / "run", input_size=size, epochs=a.epochs
    )
    det = load_keras_model(out / "run" / "detector.keras")
    codec = DetectionCodec(size)
    val = FramePipeline(load_frames(out / "val"), codec, training=False)

    def pixels():
        for i in range(len(val)):
            item = val.prepare(i)
            if item is not None:
                yield ((item[0] + 1.0) * 127.5)[None]

    tfl = convert(with_pixel_input(det), "int8", representative_dataset(pixels, 100))
    int8_path = out / "detector_int8.tflite"
    write_bytes_atomic(int8_path, tfl)
    int8_metrics = evaluate_detector(_TFLiteDetector(int8_path), out / "val", codec)
    lat = bench([str(int8_path), a.pose], threads=(1,), runs=200, warmup=20)
    ms = {Path(r["model"]).name: r["median_ms"] for r in lat["results"]}
    doc = {
        "benchmark": "detector",
        "command": f"python benchmarks/detector.py --out {a.out} --train {a.train} --val {a.val} "
        f"--input {a.input} --epochs {a.epochs} --pose {a.pose}",
        "provenance": provenance(),
        "keras": keras_metrics,
        "int8": {**int8_metrics, "bytes": len(tfl)},
        "latency_ms_1_thread": ms,
        "detector_over_pose": round(ms[int8_path.name] / ms[Path(a.pose).name], 2),
    }
    write_json_atomic(Path(a.results), doc, indent=1)
    print(json.dumps(doc, indent=1))


class _TFLiteDetector:
    """The int8 file behind the Keras call signature ``evaluate_detector`` uses: normalised
    input batches in, ``(heatmap, geometry)`` out (dequantised)."""

    def __init__(self, path):
        from posenet_mobile.runtime.runner import TFLiteRunner

        self.runner = TFLiteRunner(path, require_metadata=False)

    def __call__(self, x, training=False):
        heats, geos = [], []
        for img in np.asarray(x):
            pix = np.clip(np.round((img + 1.0) * 127.5), 0, 255).astype(np.uint8)
            outs = list(self.runner.run_crop(pix).values())
            heat = next(o for o in outs if o.shape[-1] == 1)
            geo = next(o for o in outs if o.shape[-1] != 1)
            heats.append(heat[0])
            geos.append(geo[0])
        return np.stack(heats), np.stack(geos)


if __name__ == "__main__":
    main()
