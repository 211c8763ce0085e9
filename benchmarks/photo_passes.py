"""How many passes ``predict`` takes over a photo with no detector (``runtime.predict.predict_photo``):
PCK@0.2 of one exported model after 1 to ``--max-passes`` passes, on every image of a COCO folder
that holds exactly one labelled person (a whole-image prediction has no way to say which of
several people it was asked about). Prints JSON and writes a row of
benchmarks/results/photo_passes.json.

Pick the package's default on held-out synthetic people; the real-people dev set is a
thermometer, scored after the choice, never used to make it.

Usage: .venv/bin/python benchmarks/photo_passes.py --model P.tflite --data DIR --label L
"""

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "photo_passes.json"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--max-passes", type=int, default=4)
    ap.add_argument("--results", default=str(RESULTS))
    a = ap.parse_args()

    from posenet_mobile.data.coco import load_coco, read_image
    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.io import write_row
    from posenet_mobile.metrics import score
    from posenet_mobile.runtime.predict import PHOTO_PASSES, predict_photo
    from posenet_mobile.runtime.runner import TFLiteRunner

    data = load_coco(a.data)
    runner = TFLiteRunner(a.model, threads=1)
    per_image = Counter(s.image_path for s in data.samples)
    idx = np.array([i for i, s in enumerate(data.samples) if per_image[s.image_path] == 1])
    k = data.schema.num_keypoints
    kp = np.zeros((a.max_passes, len(idx), k, 2))
    sc = np.zeros((a.max_passes, len(idx), k))
    ran = np.zeros((a.max_passes, len(idx)), int)
    for j, i in enumerate(idx):
        img = read_image(data.samples[i].image_path)
        for p in range(a.max_passes):
            res = predict_photo(runner, img, p + 1)
            kp[p, j], sc[p, j], ran[p, j] = res["keypoints"], res["scores"], res["passes"]
    rows = []
    for p in range(a.max_passes):
        m = score(data, idx, kp[p], sc[p])
        rows.append(
            {
                "passes": p + 1,
                "pck": round(float(m["pck"]), 4),
                "AP": round(float(m["AP"]), 4),
                "stopped_early": int((ran[p] < p + 1).sum()),
            }
        )
    row = {
        "command": f"python benchmarks/photo_passes.py --model {a.model} --data {a.data} "
        f"--label {a.label}",
        "model": a.model,
        "crop_rule": runner.meta.input.crop.method,
        "data": a.data,
        "people": int(len(idx)),
        "default_passes": PHOTO_PASSES,
        "by_passes": rows,
        "provenance": provenance(),
    }
    write_row(a.results, "photo_passes", a.label, row)
    print(json.dumps({a.label: row}, indent=1))


if __name__ == "__main__":
    main()
