"""Train the person detector on synthetic frames and measure it. Prints JSON and writes
benchmarks/results/detector.json (not a test).

1. Frames: ``posenet-mobile synth --detection`` (0 to 3 people anywhere, a tenth to nine tenths of
   the frame tall, cut by the edges, clutter): ``--train`` frames from seed 0, ``--val`` held out
   from seed 1.
2. Training (:func:`posenet_mobile.detect.train.train_detector`), then on the held-out frames:
   box AP50 (pycocotools) and the alignment error of the people it finds (hip centre in body
   radii, incline in degrees), for the Keras model and for an int8 post-training-quantized
   TFLite file of it.
3. With ``--pqat``: the trained detector pruned and fine-tuned with prune-preserving QAT
   (:func:`posenet_mobile.detect.compress.pqat_detector`), exported to a second int8 file and
   scored the same way, with both files' gzipped sizes.
4. Latency at 1 thread, interleaved in one process with the pose model's int8 file (``--pose``):
   the issue's budget is the detector at most twice the pose model.

A finished training in ``OUT/run`` (same input, epochs and frames) is reused, not redone. The
int8 files are written by :func:`posenet_mobile.export.detector.export_detector` (metadata inside
and beside them) and are what ``posenet-mobile predict --detector`` and the Android app take.

Usage: .venv/bin/python benchmarks/detector.py [--out runs/detector] [--pose FILE.tflite] [--pqat]
"""

import argparse
import gzip
import json
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "detector.json"


def main():
    from posenet_mobile.detect.model import INPUT_SIZE, WIDTH

    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="runs/detector")
    ap.add_argument("--train", type=int, default=8000)
    ap.add_argument("--val", type=int, default=200)
    ap.add_argument("--input", type=int, default=INPUT_SIZE[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--width", type=float, default=WIDTH, help="the backbone's width multiplier")
    ap.add_argument("--pose", default="runs/base/bench_export/int8_pqat.tflite")
    ap.add_argument(
        "--pqat",
        action="store_true",
        help="also prune and QAT-fine-tune the detector and export that int8 file beside the PTQ one",
    )
    ap.add_argument("--sparsity", type=float, default=0.3)
    ap.add_argument("--prune-epochs", type=int, default=4)
    ap.add_argument("--qat-epochs", type=int, default=2)
    ap.add_argument(
        "--zoom",
        type=float,
        nargs=2,
        default=None,
        metavar=("LOW", "HIGH"),
        help="zoom training frames by a factor drawn from [LOW, HIGH] (default: DetectorTargets')",
    )
    ap.add_argument(
        "--shift",
        type=float,
        default=None,
        help="move training frames by up to this share of their side (default: DetectorTargets')",
    )
    ap.add_argument("--results", default=str(RESULTS))
    a = ap.parse_args()

    from posenet_mobile.data.synthetic import SynthConfig, synthesize
    from posenet_mobile.detect.data import FrameJitter
    from posenet_mobile.detect.model import DetectorTargets
    from posenet_mobile.detect.train import train_detector
    from posenet_mobile.export.detector import export_detector
    from posenet_mobile.harness.bench import bench
    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.io import write_json_atomic

    targets = DetectorTargets()
    if a.zoom is not None or a.shift is not None:
        j = targets.jitter
        jitter = FrameJitter(
            j.zoom if a.zoom is None else a.zoom, j.shift if a.shift is None else a.shift
        )
        targets = DetectorTargets(jitter=jitter)
    out = Path(a.out)
    cfg = SynthConfig(max_people=3, purpose="detection")
    for name, n, seed in (("train", a.train, 0), ("val", a.val, 1)):
        if not (out / name / "annotations.json").exists():
            synthesize(out / name, n, seed=seed, cfg=cfg, progress=False)
    size = (a.input, a.input)
    run = out / "run"
    done = run / "metrics.json"
    if (run / "detector.keras").exists() and done.exists():  # a finished training is reused
        keras_metrics = json.loads(done.read_text())
        want = {
            "input_size": list(size),
            "epochs": a.epochs,
            "train_frames": a.train,
            "width": a.width,
            "targets": targets.settings(),
        }
        got = {k: keras_metrics.get(k) for k in want}
        if got != want:
            raise SystemExit(
                f"detector.py: {run} was trained with {got}, not {want}; use another --out"
            )
        print(f"reusing the trained detector in {run}")
        # trained by an earlier invocation: its training figures are kept, its scores redone by
        # this code (a score added since then is there too)
        from posenet_mobile.detect.codec import DetectionCodec
        from posenet_mobile.detect.train import evaluate_detector
        from posenet_mobile.models.saved import load_keras_model

        scores = evaluate_detector(
            load_keras_model(run / "detector.keras"), out / "val", DetectionCodec(size)
        )
        keras_metrics = {**keras_metrics, **scores, "reused": True}
    else:
        keras_metrics = train_detector(
            out / "train",
            out / "val",
            run,
            input_size=size,
            epochs=a.epochs,
            width=a.width,
            targets=targets,
        )
    int8_path = out / "detector_int8.tflite"
    for stale in (int8_path, Path(f"{int8_path}.json")):
        stale.unlink(missing_ok=True)
    doc_int8 = export_detector(run / "detector.keras", out / "val", int8_path)
    int8_metrics = {**doc_int8["validation"], "bytes": int8_path.stat().st_size}
    files = [str(int8_path)]
    pqat = None
    if a.pqat:
        from posenet_mobile.detect.compress import pqat_detector

        qat, report = pqat_detector(
            run / "detector.keras",
            out / "train",
            target_sparsity=a.sparsity,
            prune_epochs=a.prune_epochs,
            qat_epochs=a.qat_epochs,
            targets=targets,
        )
        pqat_path = out / "detector_pqat_int8.tflite"
        for stale in (pqat_path, Path(f"{pqat_path}.json")):
            stale.unlink(missing_ok=True)
        doc_pqat = export_detector(
            run / "detector.keras", out / "val", pqat_path, qat=qat, compression=report
        )
        pqat = {
            **doc_pqat["validation"],
            "bytes": pqat_path.stat().st_size,
            "gzip_bytes": len(gzip.compress(pqat_path.read_bytes(), 9)),
            "compression": {k: v for k, v in report.items() if k != "sparsity"}
            | {"prunable_sparsity": report["sparsity"]["prunable_sparsity"]},
        }
        int8_metrics["gzip_bytes"] = len(gzip.compress(int8_path.read_bytes(), 9))
        files.append(str(pqat_path))
    lat = bench(files + [a.pose], threads=(1,), runs=200, warmup=20)
    ms = {Path(r["model"]).name: r["median_ms"] for r in lat["results"]}
    doc = {
        "benchmark": "detector",
        "command": f"python benchmarks/detector.py --out {a.out} --train {a.train} --val {a.val} "
        f"--input {a.input} --epochs {a.epochs} --pose {a.pose}"
        + (f" --width {a.width}" if a.width != WIDTH else "")
        + (
            f" --pqat --sparsity {a.sparsity} --prune-epochs {a.prune_epochs} "
            f"--qat-epochs {a.qat_epochs}"
            if a.pqat
            else ""
        )
        + (f" --zoom {a.zoom[0]} {a.zoom[1]}" if a.zoom is not None else "")
        + (f" --shift {a.shift}" if a.shift is not None else ""),
        "provenance": provenance(),
        "keras": keras_metrics,
        "int8": int8_metrics,
        **({"pqat_int8": pqat} if pqat else {}),
        "latency_ms_1_thread": ms,
        "detector_over_pose": round(ms[int8_path.name] / ms[Path(a.pose).name], 2),
    }
    write_json_atomic(Path(a.results), doc, indent=1)
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
