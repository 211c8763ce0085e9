"""Which views of a detected person the pipeline poses (not a test). Prints JSON and writes
benchmarks/results/pipeline_views.json.

For each person the detector finds who has a labelled alignment, the pose model (aligned crops)
runs on several crops about the detection: its own alignment, the crop from that pose (a second
pass, :func:`posenet_mobile.runtime.pipeline.follow`) and the detection's crop turned by a few
angles either way. Each set of views keeps every keypoint from the view whose pose scores it
highest (:func:`posenet_mobile.runtime.pipeline.most_confident`) and is scored with PCK@0.2 on
those people. :data:`posenet_mobile.runtime.pipeline.VIEW_TURNS` was chosen with it on scenes that
the pipeline rows do not use (``runs/detector_rule``, seed 3).

Usage: .venv/bin/python benchmarks/pipeline_views.py --detector D.tflite --model P.tflite --data DIR
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
RESULTS = ROOT / "benchmarks" / "results" / "pipeline_views.json"
#: The angles (degrees, either way) of the turned views compared.
TURNS = (10, 15, 20, 30)
#: The sets of views compared, by their names: ``detection``, ``follow`` and ``turn<A>`` (both
#: ``-A`` and ``+A``).
SETS = (
    ("detection",),
    ("detection", "follow"),
    ("detection", "turn15"),
    ("detection", "turn20"),
    ("detection", "turn30"),
    ("detection", "follow", "turn10"),
    ("detection", "follow", "turn15"),
    ("detection", "follow", "turn20"),
    ("detection", "follow", "turn30"),
    ("detection", "follow", "turn15", "turn30"),
)


def main():
    a = parse_args(RESULTS)

    import numpy as np

    from posenet_mobile.geometry import Alignment
    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.io import write_json_atomic
    from posenet_mobile.metrics import score
    from posenet_mobile.runtime import pipeline as P

    pipe, data = aligned_pipeline("pipeline_views", a, views=False)
    pose = pipe.pose
    views: dict = {}  # name -> sample index -> the pose in that view (turns: a list of two)
    used, counts = [], {}
    for img, i, _, D in found_people(pipe, data, counts):
        first = pose.predict_frame(img, alignment=D)
        views.setdefault("detection", {})[i] = [first]
        views.setdefault("follow", {})[i] = [P.follow(pose, img, first, 2)]
        for t in TURNS:
            views.setdefault(f"turn{t}", {})[i] = [
                pose.predict_frame(img, alignment=Alignment(D.cx, D.cy, D.radius, D.angle + s * t))
                for s in (-1.0, 1.0)
            ]
        used.append(i)
    idx = np.array(used, int)

    def pck(names) -> float:
        picked = [P.most_confident([v for n in names for v in views[n][i]]) for i in idx]
        kp = np.stack([p["keypoints"] for p in picked])
        sc = np.stack([p["scores"] for p in picked])
        return round(float(score(data, idx, kp, sc)["pck"]), 4)

    chosen = ("detection", "follow") + tuple(f"turn{t:g}" for t in P.VIEW_TURNS)
    doc = {
        **header("pipeline_views", a, RESULTS),
        **counts,
        "scored": len(idx),
        "pck": {"+".join(s): pck(s) for s in SETS},
        "pipeline_views": "+".join(chosen),
        "provenance": provenance(),
    }
    write_json_atomic(Path(a.results), doc, indent=1)
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
