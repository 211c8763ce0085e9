"""Exported person detectors side by side on one larger set of held-out synthetic frames (not a
test). Prints JSON and writes a row per detector to benchmarks/results/detector_compare.json.

``benchmarks/detector.py`` scores each detector it trains on its own 200 held-out frames (about
300 people), where a handful of people decide between two ways of teaching it. This scores
finished int8 files (``LABEL=FILE``) on more frames, made once from a seed no other set uses
(``posenet-mobile synth --detection --max-people 3``; train frames are seed 0, the detector's
held-out frames seed 1, the passes and rule sets seeds 2 and 3). Scores as
:func:`posenet_mobile.detect.train.evaluate_detector` gives them for the Keras model: box AP50,
people whose box is found (IoU >= 0.5), people whose hip centre is found (within half a body
radius, at the file's threshold) and the alignment error of the people found.

Usage: .venv/bin/python benchmarks/detector_compare.py LABEL=FILE.tflite [LABEL=FILE ...]
       [--data runs/detector_eval5] [--frames 1000] [--seed 5] [--results FILE]
"""

import argparse
import json
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "detector_compare.json"
SEED = 5


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+", metavar="LABEL=FILE")
    ap.add_argument("--data", default="runs/detector_eval5")
    ap.add_argument("--frames", type=int, default=1000, help="frames made when --data is missing")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--results", default=str(RESULTS))
    a = ap.parse_args()
    pairs = []
    for item in a.files:
        label, sep, path = item.partition("=")
        if not sep or not label or not path:
            raise SystemExit(f"detector_compare.py: expected LABEL=FILE, got {item!r}")
        pairs.append((label, path))

    from posenet_mobile.data.synthetic import SynthConfig, synthesize
    from posenet_mobile.detect.train import evaluate_detector
    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.io import write_row
    from posenet_mobile.runtime.detector import DetectorRunner

    data = Path(a.data)
    if not (data / "annotations.json").exists():
        cfg = SynthConfig(max_people=3, purpose="detection")
        synthesize(data, a.frames, seed=a.seed, cfg=cfg, progress=False)
    out = {}
    for label, path in pairs:
        runner = DetectorRunner(path)
        row = {
            "command": f"python benchmarks/detector_compare.py {label}={path} --data {a.data}"
            + (
                f" --frames {a.frames} --seed {a.seed}"
                if a.seed != SEED or a.frames != 1000
                else ""
            ),
            "file": path,
            "data": a.data,
            **evaluate_detector(runner.as_keras(), data, runner.codec),
            "provenance": provenance(),
        }
        write_row(a.results, "detector_compare", label, row)
        out[label] = row
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
