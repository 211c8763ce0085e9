"""Train the quickstart preset on fresh synthetic data and print JSON (not a test).

Generates the training set (seed S) and a held-out validation set (seed S+1), trains, and
reports wall time, training images/s and the best validation PCK@0.2 / OKS AP.

Writes the JSON it prints to ``--results`` (default ``benchmarks/results/train_quickstart.json``)
with the commit and the machine; ``docs/measured.md`` is generated from it.

Usage: .venv/bin/python benchmarks/train_quickstart.py [--out runs/bench_quickstart] [--set k=v ...]
"""

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="runs/bench_quickstart")
    ap.add_argument("--config", default="quickstart")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument(
        "--keep", action="store_true", help="resume an existing run instead of starting fresh"
    )
    ap.add_argument(
        "--results", default=str(ROOT / "benchmarks" / "results" / "train_quickstart.json")
    )
    a = ap.parse_args()
    if not a.keep:
        shutil.rmtree(a.out, ignore_errors=True)

    sys.path.insert(0, str(ROOT))
    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.io import write_json_atomic
    from posenet_mobile.train.config import load_config
    from posenet_mobile.train.trainer import train

    cfg = load_config(a.config, a.set)
    t0 = time.perf_counter()
    res = train(cfg, a.out, verbose=0)
    wall = time.perf_counter() - t0
    hist = json.load(open(f"{a.out}/history.json"))
    train_s = sum(hist["train_seconds"])
    steps = cfg.train.steps_per_epoch or res["train_people"] // res["global_batch"]
    per_epoch = steps * res["global_batch"]
    images = per_epoch * len(hist["epoch"])  # at whichever input size each epoch ran
    low, small = cfg.progressive()
    phases = [(cfg.model.input_size, hist["train_seconds"][low:])]
    if low:  # progressive resizing's first epochs run at a smaller input size
        phases.insert(0, (small, hist["train_seconds"][:low]))
    sizes = {
        f"{h}x{w}": round(per_epoch * len(secs) / sum(secs), 1) for (h, w), secs in phases if secs
    }
    doc = {
        "benchmark": "train_quickstart",
        "config": a.config,
        "overrides": a.set,
        "wall_seconds_including_data": round(wall, 1),
        "train_and_eval_seconds": round(sum(hist["seconds"]), 1),
        "fit_seconds": round(train_s, 1),
        "train_images_per_second": round(images / train_s, 1),
        "epochs": len(hist["epoch"]),
        "best_epoch": res["best_epoch"],
        "val_pck@0.2": round(res["best"]["pck"], 4),
        "val_oks_ap": round(res["best"]["AP"], 4),
        "val_ap50": round(res["best"]["AP50"], 4),
        "input_pipeline": res.get("input_pipeline"),
        "progressive": {"epochs": low, "input_size": list(small) if small else None},
        "images_per_second_by_input_size": sizes,
        # validation PCK against the training clock, for comparisons at equal wall time
        "curve": {
            "epoch": hist["epoch"],
            "seconds": [round(sum(hist["seconds"][: i + 1]), 1) for i in range(len(hist["epoch"]))],
            "val_pck": hist.get("val_pck"),
        },
        "train_people": res["train_people"],
        "val_people": res["val_people"],
        "learning_curve": f"{a.out}/learning_curve.png",
        "provenance": provenance(),
    }
    write_json_atomic(Path(a.results), doc, indent=1)
    print(json.dumps(doc))


if __name__ == "__main__":
    main()
