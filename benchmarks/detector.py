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

The int8 file is written by :func:`posenet_mobile.export.detector.export_detector` (metadata
inside and beside it) and is what ``posenet-mobile predict --detector`` takes. Not done yet: the
detector's pruning and QAT, and its Android port.

Usage: .venv/bin/python benchmarks/detector.py [--out runs/detector] [--pose FILE.tflite]
"""

import argparse
import json
from pathlib import Path


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

    from posenet_mobile.data.synthetic import SynthConfig, synthesize
    from posenet_mobile.detect.train import train_detector
    from posenet_mobile.export.detector import export_detector
    from posenet_mobile.harness.bench import bench
    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.io import write_json_atomic

    out = Path(a.out)
    cfg = SynthConfig(max_people=3, purpose="detection")
    for name, n, seed in (("train", a.train, 0), ("val", a.val, 1)):
        if not (out / name / "annotations.json").exists():
            synthesize(out / name, n, seed=seed, cfg=cfg, progress=False)
    size = (a.input, a.input)
    keras_metrics = train_detector(
        out / "train", out / "val", out / "run", input_size=size, epochs=a.epochs
    )
    int8_path = out / "detector_int8.tflite"
    doc_int8 = export_detector(out / "run" / "detector.keras", out / "val", int8_path)
    int8_metrics = {**doc_int8["validation"], "bytes": int8_path.stat().st_size}
    lat = bench([str(int8_path), a.pose], threads=(1,), runs=200, warmup=20)
    ms = {Path(r["model"]).name: r["median_ms"] for r in lat["results"]}
    doc = {
        "benchmark": "detector",
        "command": f"python benchmarks/detector.py --out {a.out} --train {a.train} --val {a.val} "
        f"--input {a.input} --epochs {a.epochs} --pose {a.pose}",
        "provenance": provenance(),
        "keras": keras_metrics,
        "int8": int8_metrics,
        "latency_ms_1_thread": ms,
        "detector_over_pose": round(ms[int8_path.name] / ms[Path(a.pose).name], 2),
    }
    write_json_atomic(Path(a.results), doc, indent=1)
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
