"""Box crops against aligned crops (``data.crop_rule``): PCK@0.2 by pose class and camera roll.
Prints JSON and writes benchmarks/results/alignment.json (not a test).

Two runs trained alike but for the crop rule are scored, each with its own rule's crops made
from the labels (the box rule from the person box, the aligned rule from the labelled keypoints'
hip centre, body circle and incline: both are the crops a perfect detector or tracker would
give), on:

* the run's synthetic validation set (mostly upright people, as the training mix);
* a hard-pose set: every pose category alike and half the people turned by any angle
  (``posenet-mobile synth --out DIR --pose-mix uniform --roll-prob 0.5 --seed 7``), broken down
  by pose category and by camera roll (``benchmarks/error_analysis.py --data``);
* the real-people dev set (a thermometer: never used to train or choose). The aligned crop is
  made from the labelled keypoints there too, a stronger hint than a box (it knows where the hips
  are), so that column compares each rule with its own ideal input, not the two on equal input.

Usage: .venv/bin/python benchmarks/alignment.py --box runs/base --aligned runs/aligned --hard runs/hard_poses
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "alignment.json"


def analysis(run: str, data: str | None) -> dict:
    cmd = [sys.executable, str(ROOT / "benchmarks" / "error_analysis.py"), run]
    if data:
        cmd += ["--data", data]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out[out.index("{") :])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--box", required=True, help="run trained with data.crop_rule: box")
    ap.add_argument("--aligned", required=True, help="the same but data.crop_rule: aligned")
    ap.add_argument("--hard", required=True, help="hard-pose COCO folder (see the docstring)")
    ap.add_argument("--real", default=None, help="real people (default: the shared dev set)")
    ap.add_argument("--out", default=str(RESULTS))
    a = ap.parse_args()

    from posenet_mobile.data.coco import load_coco
    from posenet_mobile.data.real import real_people_data
    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.io import write_json_atomic
    from posenet_mobile.runs import load_run

    real = real_people_data(a.real)
    rows = {}
    for rule, run_dir in (("box", a.box), ("aligned", a.aligned)):
        run = load_run(run_dir)
        if run.cfg.data.crop_rule != rule:
            sys.exit(
                f"alignment.py: {run_dir} was trained with data.crop_rule {run.cfg.data.crop_rule}"
            )
        val, hard = analysis(run_dir, None), analysis(run_dir, a.hard)
        row = {
            "run": run_dir,
            "config_fingerprint": run.fingerprint,
            "val": {k: val[k] for k in ("people", "pck", "by_category")},
            "hard": {
                k: hard[k]
                for k in (
                    "people",
                    "pck",
                    "by_category",
                    "people_by_category",
                    "by_roll",
                    "people_by_roll",
                )
            },
        }
        if real:
            m = run.evaluate_float(load_coco(real))
            row["real"] = {
                "people": int(m["count"]),
                "pck": round(m["pck"], 4),
                "AP": round(m["AP"], 4),
            }
        rows[rule] = row
    doc = {
        "benchmark": "alignment",
        "command": "python benchmarks/alignment.py --box "
        + a.box
        + " --aligned "
        + a.aligned
        + " --hard "
        + a.hard,
        "hard_set": a.hard,
        "real_set": real and Path(real).name,
        "provenance": provenance(),
        "rows": rows,
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(Path(a.out), doc, indent=1)
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
