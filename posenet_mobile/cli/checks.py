"""Subcommands that use an exported file: validation, latency, predictions on images and video."""

from __future__ import annotations

import json
import sys
from ..geometry import CROP_RULES
from ._common import err, add_unsafe_load


def cmd_validate(args) -> int:
    from ..harness.validate import validate

    res = validate(
        args.model,
        args.data,
        reference=args.reference,
        max_pck_drop=args.max_pck_drop,
        report=args.report,
        predictions=args.predictions,
        html=args.html,
        threads=args.threads,
        limit=args.limit,
        kernel_max_pck_diff=args.kernel_max_pck_diff,
        unsafe_load=args.unsafe_load,
        progress=err,
        crop_rule=args.crop_rule,
        flip_test=args.flip_test,
    )
    ref = res.get("reference") or {}
    print(
        json.dumps(
            {
                "passed": res["passed"],
                "pck": res["metrics"]["pck"],
                "AP": res["metrics"]["AP"],
                "crop_rule": res["crop_rule"],
                "flip_test": res["flip_test"],
                "reference_pck": (ref.get("metrics") or {}).get("pck"),
                "pck_drop_points": ref.get("pck_drop_points"),
                "kernels_keypoint_px": res["kernels"]["keypoint_px"],
                "kernels_pck_diff_points": res["kernels"]["pck_diff_points"],
                "report": args.report,
            }
        )
    )
    if not res["passed"]:
        print(f"posenet-mobile validate: gate failed: {res['failures'][0]}", file=sys.stderr)
        return 1
    return 0


def cmd_bench(args) -> int:
    from ..harness.bench import bench

    res = bench(args.model, args.threads, runs=args.runs, warmup=args.warmup, report=args.report)
    for r in res["results"]:
        print(
            f"{r['model']}  threads={r['threads']}  median {r['median_ms']:.2f} ms  p90 {r['p90_ms']:.2f} ms  "
            f"{r['size_bytes']:,} bytes"
        )
    return 0


def cmd_predict(args) -> int:
    from ..runtime.predict import PHOTO_PASSES, predict

    res = predict(
        args.model,
        args.input,
        args.out,
        threads=args.threads,
        progress=err,
        detector=args.detector,
        passes=PHOTO_PASSES if args.passes is None else args.passes,
        flip_test=args.flip_test,
    )
    print(json.dumps(res))
    return 0


def add_flip_test(s) -> None:
    s.add_argument(
        "--flip-test",
        action="store_true",
        help="also run each crop mirrored and average the two (twice the latency)",
    )


def add_parsers(sub) -> None:
    """The parsers of this module's subcommands."""
    s = sub.add_parser(
        "validate",
        help="score a .tflite through the replayed phone pipeline; exit 1 when a gate fails",
    )
    s.add_argument("--model", required=True, help="FILE.tflite exported by posenet-mobile")
    s.add_argument("--data", required=True, help="COCO dataset folder or JSON")
    s.add_argument(
        "--reference", default=None, help="FILE.tflite or RUN_DIR (its float Keras model)"
    )
    s.add_argument(
        "--max-pck-drop", type=float, default=1.0, help="gate, PCK@0.2 points below the reference"
    )
    s.add_argument(
        "--kernel-max-pck-diff",
        type=float,
        default=1.0,
        help="gate, PCK points between XNNPACK and reference kernels",
    )
    s.add_argument("--report", default=None, help="report.json")
    s.add_argument("--predictions", default=None, help="predictions in COCO results format")
    s.add_argument("--html", default=None, help="report.html (PNGs beside it)")
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--limit", type=int, default=None, help="first N people only")
    s.add_argument(
        "--crop-rule",
        choices=CROP_RULES,
        default=None,
        help="how crops are made from the labels (default: the model's own; 'box' scores a "
        "model with aligned crops given only person boxes)",
    )
    add_flip_test(s)
    add_unsafe_load(s)
    s.set_defaults(func=cmd_validate)

    s = sub.add_parser("bench", help="interleaved latency of .tflite files (ours or foreign)")
    s.add_argument(
        "--model", action="append", required=True, help="FILE.tflite (repeat for several)"
    )
    s.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    s.add_argument("--runs", type=int, default=50)
    s.add_argument("--warmup", type=int, default=5)
    s.add_argument("--report", default=None, help="bench.json")
    s.set_defaults(func=cmd_bench)

    s = sub.add_parser(
        "predict",
        help="keypoints for an image, a folder of images or a video (skeletons drawn, JSON)",
    )
    s.add_argument("--model", required=True, help="FILE.tflite exported by posenet-mobile")
    s.add_argument("input", help="image, folder or video file")
    s.add_argument(
        "--detector",
        default=None,
        help="FILE.tflite person detector (benchmarks/detector.py exports one): every person in a "
        "photo gets their own crop; a video is detected on its first frame and when the pose is lost",
    )
    s.add_argument(
        "--passes",
        type=int,
        default=None,
        help="photos without --detector: the whole image, then crops from the last pose, this "
        "many passes in all (default: the package's choice, runtime.predict.PHOTO_PASSES)",
    )
    s.add_argument("--out", default="predictions", help="output folder")
    s.add_argument("--threads", type=int, default=1)
    add_flip_test(s)
    s.set_defaults(func=cmd_predict)
