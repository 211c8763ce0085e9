"""Whole images through the person detector and the pose model, against the same pose model on
crops from the labels. Prints JSON and writes a row of benchmarks/results/pipeline.json.

For each labelled person of a COCO folder (``load_coco``'s filters: people with a box of 32x32
pixels or more and a labelled keypoint):

* ``labelled_crops``: the pose model on the crop its rule makes from the labels (the box, or the
  alignment of the labelled keypoints for a model with aligned crops), as ``validate`` scores it;
* ``whole_image``: :class:`posenet_mobile.runtime.pipeline.PosePipeline` on the whole image; each
  labelled person takes the detection whose box overlaps theirs most (IoU >= 0.5, each detection
  used once, best scores first). A person no detection matches counts as missed: every labelled
  keypoint of theirs is a miss.

Usage: .venv/bin/python benchmarks/pipeline.py --detector D.tflite --model P.tflite --data DIR --label L
"""

import argparse
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "pipeline.json"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--detector", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--results", default=str(RESULTS))
    a = ap.parse_args()

    from posenet_mobile import geometry as G
    from posenet_mobile.data.coco import load_coco, read_image
    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.io import write_json_atomic
    from posenet_mobile.metrics import box_iou, score
    from posenet_mobile.runtime.pipeline import PosePipeline
    from posenet_mobile.schema import torso_indices

    data = load_coco(a.data)
    pipe = PosePipeline(a.detector, a.model)
    pose = pipe.pose
    torso = torso_indices(data.schema.names)
    by_image: dict = {}
    for i, s in enumerate(data.samples):
        by_image.setdefault(s.image_path, []).append(i)
    k = data.schema.num_keypoints
    whole = np.full((len(data), k, 2), -1e6)  # a missed person: far from every truth
    whole_sc = np.zeros((len(data), k))
    crops = np.zeros((len(data), k, 2))
    crops_sc = np.zeros((len(data), k))
    found, detections = 0, 0
    for path, idx in by_image.items():
        img = read_image(path)
        if img is None:
            continue
        people = pipe(img)
        detections += len(people)
        free = list(range(len(people)))
        for i in sorted(idx, key=lambda i: -data.samples[i].area):
            s = data.samples[i]
            best = max(
                free, key=lambda j: box_iou(people[j]["detection"].box, s.bbox), default=None
            )
            if best is not None and box_iou(people[best]["detection"].box, s.bbox) >= 0.5:
                free.remove(best)
                whole[i], whole_sc[i] = people[best]["keypoints"], people[best]["scores"]
                found += 1
            al = None
            if pipe.aligned:
                al = G.alignment_from_keypoints(s.keypoints, s.visibility > 0, torso)
            res = pose.predict_frame(img, box=s.bbox, alignment=al)
            crops[i], crops_sc[i] = res["keypoints"], res["scores"]
    idx = np.arange(len(data))
    m_whole, m_crops = score(data, idx, whole, whole_sc), score(data, idx, crops, crops_sc)
    keep = ("pck", "AP", "AP50")
    row = {
        "command": f"python benchmarks/pipeline.py --detector {a.detector} --model {a.model} "
        f"--data {a.data} --label {a.label}",
        "detector": a.detector,
        "model": a.model,
        "crop_rule": "aligned" if pipe.aligned else "box",
        "data": a.data,
        "people": len(data),
        "found": found,
        "detections": detections,
        "whole_image": {x: round(float(m_whole[x]), 4) for x in keep},
        "labelled_crops": {x: round(float(m_crops[x]), 4) for x in keep},
        "provenance": provenance(),
    }
    results = Path(a.results)
    doc = (
        json.loads(results.read_text())
        if results.exists()
        else {"benchmark": "pipeline", "rows": {}}
    )
    doc["rows"][a.label] = row
    write_json_atomic(results, doc, indent=1)
    print(json.dumps({a.label: row}, indent=1))


if __name__ == "__main__":
    main()
