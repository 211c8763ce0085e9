"""Where the whole-image pipeline loses to crops from the labels (not a test). Prints JSON and
writes benchmarks/results/pipeline_gap.json.

The whole-image figure (``benchmarks/pipeline.py``) is below the same pose model on crops from
the labels for two reasons: people the detector misses (all their keypoints are misses), and
the people it finds being cropped from the detection's alignment instead of the labelled one.
This splits the second part for a pose model with aligned crops. For each person the detector
finds who has a labelled alignment (a labelled shoulder and hip), the pose model runs on crops
that take each part of the alignment (hip centre, body radius, incline) from the detection and
the rest from the labels, and on the crops that follow the detection's and the labels' pose
for a second pass (:func:`posenet_mobile.runtime.pipeline.follow`). With the detection's errors
on those people: hip centre in body radii, radius as a ratio, incline in degrees.

Usage: .venv/bin/python benchmarks/pipeline_gap.py --detector D.tflite --model P.tflite --data DIR
       [--results FILE]
"""

import json
from pathlib import Path


from _whole_image_study import (
    aligned_pipeline,
    found_people,
    header,
    parse_args,
)  # benchmarks/ is on the path when run

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "pipeline_gap.json"
#: The crops compared, in order: which parts come from the detection.
CROPS = {
    "labels": "the labelled alignment",
    "detection": "the detection's alignment (what the pipeline uses)",
    "detection_centre": "the detection's hip centre, the labelled radius and incline",
    "detection_radius": "the detection's radius, the labelled hip centre and incline",
    "detection_incline": "the detection's incline, the labelled hip centre and radius",
    "detection_then_pose": "the detection's alignment, then a second pass from that pose",
    "labels_then_pose": "the labelled alignment, then a second pass from that pose",
}


def main():
    a = parse_args(RESULTS)

    import numpy as np

    from posenet_mobile.geometry import Alignment
    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.io import write_json_atomic
    from posenet_mobile.metrics import score
    from posenet_mobile.runtime.pipeline import follow

    pipe, data = aligned_pipeline("pipeline_gap", a)
    pose = pipe.pose
    k = data.schema.num_keypoints
    kps = {c: np.zeros((len(data), k, 2)) for c in CROPS}
    scs = {c: np.zeros((len(data), k)) for c in CROPS}
    used, errors, counts = [], [], {}
    for img, i, L, D in found_people(pipe, data, counts):
        crops = {
            "labels": L,
            "detection": D,
            "detection_centre": Alignment(D.cx, D.cy, L.radius, L.angle),
            "detection_radius": Alignment(L.cx, L.cy, D.radius, L.angle),
            "detection_incline": Alignment(L.cx, L.cy, L.radius, D.angle),
        }
        res = {c: pose.predict_frame(img, alignment=al) for c, al in crops.items()}
        res["detection_then_pose"] = follow(pose, img, res["detection"], 2)
        res["labels_then_pose"] = follow(pose, img, res["labels"], 2)
        for c, r in res.items():
            kps[c][i], scs[c][i] = r["keypoints"], r["scores"]
        used.append(i)
        errors.append(
            (
                np.hypot(D.cx - L.cx, D.cy - L.cy) / L.radius,
                D.radius / L.radius,
                abs((D.angle - L.angle + 180.0) % 360.0 - 180.0),
            )
        )
    idx, e = np.array(used, int), np.array(errors).reshape(-1, 3)

    def q(v):
        return {p: round(float(np.percentile(v, p)), 3) for p in (10, 50, 90)} if len(v) else None

    pck = {c: round(float(score(data, idx, kps[c][idx], scs[c][idx])["pck"]), 4) for c in CROPS}
    doc = {
        **header("pipeline_gap", a, RESULTS),
        **counts,
        "scored": len(idx),
        "crops": CROPS,
        "pck": pck,
        "detection_errors_percentiles": {
            "centre_radii": q(e[:, 0]),
            "radius_ratio": q(e[:, 1]),
            "incline_degrees": q(e[:, 2]),
        },
        "provenance": provenance(),
    }
    write_json_atomic(Path(a.results), doc, indent=1)
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
