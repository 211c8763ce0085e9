"""How well a model trained on synthetic people sees real ones. Prints JSON and writes it.

Scores an exported model with the harness (``validate``: the replayed phone pipeline on crops
from the labels by the model's own rule, ``crop_rule`` in the result: the GT box, or for a model
with aligned crops the alignment of the labelled keypoints, a stronger hint than a box; XNNPACK
kernels) on the real-people dev set, overall and per ``source`` (COCO, MPII,
Human3.6M, JHMDB, MHP), beside the same file on its synthetic validation set. A model with
aligned crops is scored on GT-box crops as well (``real_box_crops``, ``synthetic_val_box_crops``):
the footing of a box model's figure and of BlazePose Full's in ``benchmarks/realism.py``.

``--flip-test`` adds each figure with the flip test (``*_flip_test``: every crop also run
mirrored, the two outputs averaged; :func:`posenet_mobile.codec.flip_test`) beside the plain one.

The real photographs are a thermometer: never train on them, tune on them or pick checkpoints
with them. At about 300 labelled keypoints, a difference under ~4 PCK points is noise.

Usage: .venv/bin/python benchmarks/real_people.py RUN_OR_TFLITE [--data DIR] [--out FILE] [--flip-test]
  RUN_OR_TFLITE: a .tflite exported by posenet-mobile, a run folder (its int8 export) or a
  ``make demo`` output folder (``export/posenet_int8.tflite``).
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from posenet_mobile.data.real import DEV_SET  # noqa: E402  (one definition of where the dev set lives)


def find_model(path: Path) -> Path:
    if path.is_file():
        return path
    for cand in [
        path / "export" / "posenet_int8.tflite",
        *sorted((path / "export").glob("posenet_*_int8.tflite")),
    ]:
        if cand.is_file():
            return cand
    sys.exit(
        f"real_people.py: {path}: no .tflite, and no int8 export in {path / 'export'} (run posenet-mobile export)"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument(
        "--data",
        default=str(DEV_SET),
        help="real people, COCO format (default: the shared dev set)",
    )
    ap.add_argument(
        "--synthetic-data", default=None, help="default: the validation set recorded in the model"
    )
    ap.add_argument(
        "--synthetic-limit", type=int, default=None, help="score only the first N synthetic people"
    )
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "real_people.json"))
    ap.add_argument("--label", default=None, help="a name for this row (default: the model path)")
    ap.add_argument("--flip-test", action="store_true", help="also each figure with the flip test")
    a = ap.parse_args()

    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.harness.validate import validate
    from posenet_mobile.io import write_json_atomic
    from posenet_mobile.runtime.runner import TFLiteRunner

    model = find_model(Path(a.model))
    meta = TFLiteRunner(model).meta
    quiet = lambda *_: None  # noqa: E731
    aligned = meta.input.crop.method != "box"
    flips = (False, True) if a.flip_test else (False,)
    row = {
        "model": str(model),
        "format": meta.format,
        "head": meta.head,
        "crop_rule": meta.input.crop.method,
        "training": {
            "config": meta.get("training", {}).get("config"),
            "fingerprint": meta.get("training", {}).get("fingerprint"),
        },
    }
    # (result key, data, people limit, per-source figures)
    sets = [("real", a.data, None, True)]
    syn = a.synthetic_data or (meta.get("training", {}).get("data") or {}).get("val")
    if syn and Path(syn).exists():
        sets.append(("synthetic_val", syn, a.synthetic_limit, False))
    for name, data, limit, sources in sets:
        for rule in (None, "box") if aligned else (None,):
            for flip in flips:
                res = validate(
                    model, data, limit=limit, progress=quiet, crop_rule=rule, flip_test=flip
                )
                m = res["metrics"]
                fig = {"data": data, "pck": m["pck"], "AP": m["AP"], "count": m["count"]}
                if sources:
                    fig["by_source"] = res.get("by_source", {})
                key = name + ("_box_crops" if rule else "") + ("_flip_test" if flip else "")
                row[key] = fig
    doc = {
        "benchmark": "real_people",
        "label": a.label or str(model),
        **provenance(),
        "result": row,
    }
    print(json.dumps(doc, indent=1))
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out, doc, indent=1)


if __name__ == "__main__":
    main()
