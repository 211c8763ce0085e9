"""How the whole-image pipeline decides who is a person (:mod:`posenet_mobile.runtime.pipeline`):
the detector alone at each threshold, against candidates that the pose model checks
(:func:`~posenet_mobile.runtime.pipeline.person_score` with each pose weight and threshold, and
:func:`~posenet_mobile.runtime.pipeline.select_people`'s one-pose-per-person rule). Prints JSON
and writes benchmarks/results/pipeline_rule.json (not a test).

Found people and precision are counted as the whole-image score counts them
(:func:`posenet_mobile.harness.whole_image.match_detections`). The rule chosen is the one that
finds the most people at no lower precision than the detector alone at its exported threshold.
Run it on held-out synthetic scenes that the reported figures do not use (``--data``, e.g.
``posenet-mobile synth --detection`` with a seed of its own), never on the real photographs.

Usage: .venv/bin/python benchmarks/pipeline_rule.py --detector D.tflite --model P.tflite --data DIR
"""

import json
from pathlib import Path

import numpy as np

from _whole_image_study import header, parse_args  # benchmarks/ is on the path when run

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "pipeline_rule.json"
WEIGHTS = (0.0, 1.0, 2.0, 4.0)
THRESHOLDS = tuple(round(v, 3) for v in np.arange(0.01, 0.6001, 0.01))


def main():
    a = parse_args(RESULTS)

    from posenet_mobile.data.coco import load_coco, read_image
    from posenet_mobile.detect.codec import THRESHOLD
    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.harness.whole_image import match_detections, matching_alignment
    from posenet_mobile.io import write_json_atomic
    from posenet_mobile.runtime import pipeline as P
    from posenet_mobile.schema import torso_indices

    data = load_coco(a.data)
    torso = torso_indices(data.schema.names)
    pipe = P.PosePipeline(a.detector, a.model)
    by_image: dict = {}
    for i, s in enumerate(data.samples):
        by_image.setdefault(s.image_path, []).append(i)
    frames = []
    for path, idx in by_image.items():
        img = read_image(path)
        if img is None:
            continue
        order = sorted(idx, key=lambda i: -data.samples[i].area)
        people = [(data.samples[i].bbox, matching_alignment(data.samples[i], torso)) for i in order]
        frames.append((people, pipe.candidates(img)))
    people = sum(len(p) for p, _ in frames)

    def count(pick):
        found = kept = 0
        for truth, cands in frames:
            chosen = pick(cands)
            kept += len(chosen)
            found += sum(
                j is not None for j in match_detections(truth, [c["detection"] for c in chosen])
            )
        return {
            "found": found,
            "kept": kept,
            "recall": round(found / max(people, 1), 4),
            "precision": round(found / max(kept, 1), 4),
        }

    alone = {
        t: count(lambda cs, t=t: [c for c in cs if c["detection"].score >= t]) for t in THRESHOLDS
    }
    checked = {}
    for w in WEIGHTS:
        for t in THRESHOLDS:

            def pick(cs, w=w, t=t):
                scored = [
                    {**c, "score": P.person_score(c["detection"].score, c["scores"], w)} for c in cs
                ]
                return P.select_people(scored, t)

            checked[f"weight {w:g}, threshold {t:g}"] = {"weight": w, "threshold": t, **count(pick)}
    ref = count(lambda cs: [c for c in cs if c["detection"].score >= THRESHOLD])
    ok = [r for r in checked.values() if r["precision"] >= ref["precision"]]
    best = max(ok, key=lambda r: (r["found"], r["precision"])) if ok else None
    doc = {
        **header("pipeline_rule", a, RESULTS),
        "people": people,
        "frames": len(frames),
        "candidate_threshold": P.CANDIDATE_THRESHOLD,
        "detector_alone_at_its_threshold": {"threshold": THRESHOLD, **ref},
        "chosen": best,
        "current": {
            "weight": P.POSE_WEIGHT,
            "threshold": P.PERSON_THRESHOLD,
            **checked.get(f"weight {P.POSE_WEIGHT:g}, threshold {P.PERSON_THRESHOLD:g}", {}),
        },
        "detector_alone": {f"{t:g}": r for t, r in alone.items()},
        "pose_checked": checked,
        "provenance": provenance(),
    }
    write_json_atomic(Path(a.results), doc, indent=1)
    print(json.dumps({k: v for k, v in doc.items() if k not in ("pose_checked",)}, indent=1))


if __name__ == "__main__":
    main()
