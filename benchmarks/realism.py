"""How human do the synthetic people look to a model trained on real ones? Prints JSON (not a test).

Scores MediaPipe's BlazePose Full landmark model (trained on real people) on GT-box crops of
synthetic people, beside the same model on the real-people dev set. If the generator drew real
looking people, the two figures would be close. A guide, not a target: BlazePose has its own
crop conventions and sees 256 px crops.

The model file is ``mediapipe/modules/pose_landmark/pose_landmark_full.tflite`` inside the
``mediapipe==0.10.14`` wheel, fetched once with ``pip download --no-deps`` into ``--cache``
(``benchmarks/peers.py``); mediapipe is never installed and nothing is downloaded at the
package's run time. Its 33 landmarks map to COCO-17 by indices 0, 2, 5, 7, 8, 11-16, 23-28;
their scores are the sigmoid of its visibility logits.

Usage: .venv/bin/python benchmarks/realism.py [--styles human,capsule] [--people 300] [--out FILE]
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))
from posenet_mobile.data.real import DEV_SET  # noqa: E402  (one definition of where the dev set lives)

COCO_FROM_BLAZEPOSE = [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]


def blazepose_scores(model_path, data_dir, padding=1.25) -> dict:
    """PCK@0.2 / OKS AP of BlazePose Full on GT-box crops (``padding`` x the box, square)."""
    from ai_edge_litert.interpreter import Interpreter

    from posenet_mobile import geometry as G
    from posenet_mobile.data.coco import load_coco, read_image
    from posenet_mobile.harness.validate import by_source
    from posenet_mobile.metrics import score

    it = Interpreter(model_path=str(model_path), num_threads=2)
    it.allocate_tensors()
    inp = it.get_input_details()[0]
    outs = it.get_output_details()
    lm = next(o for o in outs if tuple(o["shape"]) == (1, 195))
    size = (int(inp["shape"][1]), int(inp["shape"][2]))
    ds = load_coco(data_dir)
    idx, kps, scs = [], [], []
    for i, s in enumerate(ds.samples):
        img = read_image(s.image_path)
        if img is None:
            continue
        crop = G.box_to_crop(s.bbox, size, padding)
        patch = G.warp(img, crop, size).astype(np.float32) / 255.0
        it.set_tensor(inp["index"], patch[None])
        it.invoke()
        out = it.get_tensor(lm["index"]).reshape(39, 5)[COCO_FROM_BLAZEPOSE]
        kps.append(G.to_image(crop, size, out[:, :2]))
        scs.append(1.0 / (1.0 + np.exp(-out[:, 3])))
        idx.append(i)
    idx = np.array(idx, int)
    m = score(ds, idx, np.stack(kps), np.stack(scs))
    res = {"pck": round(m["pck"], 4), "AP": round(m["AP"], 4), "count": m["count"]}
    groups = by_source(ds, {"indices": idx, "keypoints": np.stack(kps), "scores": np.stack(scs)})
    if groups:
        res["by_source_pck"] = {k: round(v["pck"], 4) for k, v in groups.items()}
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--styles", default="human,capsule")
    ap.add_argument(
        "--people", type=int, default=300, help="synthetic images per style (seed 1, 256 px)"
    )
    ap.add_argument("--real", default=str(DEV_SET))
    ap.add_argument("--cache", default=str(ROOT / "benchmarks" / ".cache"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "realism.json"))
    a = ap.parse_args()

    from peers import peer_model

    from posenet_mobile.data.synthetic import SynthConfig, synthesize
    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.io import write_json_atomic

    model, err = peer_model(Path(a.cache))
    if model is None:
        sys.exit(f"realism.py: {err}")
    rows = {}
    if Path(a.real).exists():
        rows["real_people_dev"] = blazepose_scores(model, a.real)
    tmp = Path(tempfile.mkdtemp(prefix="realism_"))
    for style in a.styles.split(","):
        cfg = SynthConfig() if style == "human" else SynthConfig.capsule()
        folder = tmp / style
        synthesize(folder, a.people, seed=1, cfg=cfg, progress=False)
        rows[f"synthetic_{style}"] = blazepose_scores(model, folder)
    doc = {
        "benchmark": "realism",
        "model": "BlazePose Full (pose_landmark_full.tflite, mediapipe 0.10.14)",
        **provenance(),
        "results": rows,
    }
    print(json.dumps(doc, indent=1))
    os.makedirs(Path(a.out).parent, exist_ok=True)
    write_json_atomic(a.out, doc, indent=1)


if __name__ == "__main__":
    main()
