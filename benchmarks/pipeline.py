"""Whole images through the person detector and the pose model, against the same pose model on
crops from the labels (:func:`posenet_mobile.harness.whole_image.score_whole_images`). Prints JSON
and writes a row of benchmarks/results/pipeline.json.

Usage: .venv/bin/python benchmarks/pipeline.py --detector D.tflite --model P.tflite --data DIR --label L
       [--passes N] [--single-view] [--rule detector|pose_checked] [--results FILE]
"""

import argparse
import json
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "pipeline.json"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--detector", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument(
        "--passes",
        type=int,
        default=None,
        help="pose passes per detected person (default: the pipeline's PERSON_PASSES)",
    )
    ap.add_argument(
        "--single-view",
        action="store_true",
        help="pose each detection in its own crop only, not in the pipeline's views (VIEW_TURNS)",
    )
    ap.add_argument(
        "--rule",
        default=None,
        choices=("detector", "pose_checked"),
        help="who is a person (default: the pipeline's PERSON_RULE): every detection at the "
        "detector's threshold, or the candidates the pose model checks",
    )
    ap.add_argument("--results", default=str(RESULTS))
    a = ap.parse_args()

    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.harness.whole_image import score_whole_images
    from posenet_mobile.io import write_row

    scored = score_whole_images(
        a.detector, a.model, a.data, a.passes, a.rule, views=not a.single_view
    )
    row = {
        "command": f"python benchmarks/pipeline.py --detector {a.detector} --model {a.model} "
        f"--data {a.data} --label {a.label}"
        + (f" --passes {a.passes}" if a.passes is not None else "")
        + (" --single-view" if a.single_view else "")
        + (f" --rule {a.rule}" if a.rule is not None else "")
        + (f" --results {a.results}" if Path(a.results) != RESULTS else ""),
        "detector": a.detector,
        "model": a.model,
        "data": a.data,
        **scored,
        "provenance": provenance(),
    }
    write_row(a.results, "pipeline", a.label, row)
    print(json.dumps({a.label: row}, indent=1))


if __name__ == "__main__":
    main()
