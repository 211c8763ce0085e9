"""Measure every compression step of a trained run and print JSON (not a test).

For RUN (default: trains the quickstart preset into runs/bench_quickstart first, like
benchmarks/train_quickstart.py): prune (compress.target_sparsity), fine-tune with
prune-preserving QAT, then export and score on the held-out synthetic set:

  float32 (trained weights), float16, int8 PTQ of the dense model, int8 PTQ of the pruned model,
  both again with per-tensor weight scales, int8 PQAT (per channel: see export_run).

The float model is the epoch that scored best on the validation set, so its validation figure
can sit above the model's level (docs/accuracy.md), and a compressed model's "drop" measured
there would carry that bias. ``test`` scores the Keras float model and every file again on a
third synthetic set (``--test-people``, seed synthetic_seed + 2) that chose nothing. (On the
quickstart preset's model the bias did not show: 0.631 on 600 test people, 0.632 on validation.)

Usage: .venv/bin/python benchmarks/compression.py [--run RUN] [--set compress.k=v ...] [--label L]

The result is printed and stored as ``rows[LABEL]`` of benchmarks/results/compression.json (with
the commit, the machine and the run's config fingerprint); ``scripts/update_compression_doc.py``
makes docs/compression.md's table from it.
"""

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "compression.json"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", default="runs/bench_quickstart")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument(
        "--test-people", type=int, default=600, help="held-out test people (0: skip the test set)"
    )
    ap.add_argument(
        "--label",
        default=None,
        help="row name in the results file (default: the overrides, or 'preset' without any)",
    )
    ap.add_argument("--results", default=str(RESULTS))
    a = ap.parse_args()
    quiet = lambda *_: None  # noqa: E731
    run = Path(a.run)
    if not (run / "model.keras").exists():
        from posenet_mobile.train.config import load_config
        from posenet_mobile.train.trainer import train

        train(load_config("quickstart"), run, verbose=0, progress=quiet)

    from posenet_mobile.compress.chain import compress_run
    from posenet_mobile.export.exporter import export_run
    from posenet_mobile.runs import load_run

    t0 = time.perf_counter()
    stages = compress_run(load_run(run, a.set), progress=quiet)
    compress_s = time.perf_counter() - t0
    out = run / "bench_export"
    rows = {}
    variants = {
        "float32": dict(fmt="float32", weights="float"),
        "float16": dict(fmt="float16", weights="float"),
        "int8_ptq_dense": dict(fmt="int8", weights="float", quantization="ptq"),
        "int8_ptq_pruned": dict(fmt="int8", weights="pruned", quantization="ptq"),
        "int8_ptq_dense_per_tensor": dict(
            fmt="int8", weights="float", quantization="ptq", per_channel=False
        ),
        "int8_ptq_pruned_per_tensor": dict(
            fmt="int8", weights="pruned", quantization="ptq", per_channel=False
        ),
        "int8_pqat": dict(fmt="int8", quantization="qat"),
    }
    keras_float = None
    for name, kw in variants.items():
        fmt = kw.pop("fmt")
        rep = export_run(
            run, fmt, out / f"{name}.tflite", force=True, overrides=a.set, progress=quiet, **kw
        )
        v = rep["validation"]
        keras_float = v["keras_float"]
        rows[name] = {
            "produced_by": rep["produced_by"],
            "size_bytes": rep["size_bytes"],
            "gzip_bytes": rep["gzip_bytes"],
            "sparsity": rep["sparsity"],
            "pck": round(v["tflite"]["pck"], 4),
            "AP": round(v["tflite"]["AP"], 4),
            "pck_drop_points": v["pck_drop_points"],
            "ap_drop_points": v["ap_drop_points"],
            "keras_vs_tflite": v["keras_vs_tflite"],
            "gzip_by_part": {
                k: p.get("gzip_bytes") for k, p in rep["size_breakdown"].items() if k != "structure"
            },
            "raw_by_part": {k: p["bytes"] for k, p in rep["size_breakdown"].items()},
        }
    test = (
        score_test_set(run, a.set, out, list(variants), a.test_people)
        if a.test_people > 0
        else None
    )
    f32 = rows["float32"]["size_bytes"]
    dense_gz = rows["int8_ptq_dense"]["gzip_bytes"]
    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.io import write_json_atomic

    row = {
        "run": str(run),
        "config_fingerprint": load_run(run).fingerprint,
        "overrides": a.set,
        "compress_settings": load_run(run, a.set).cfg.to_dict()["compress"],
        "compress_seconds": round(compress_s, 1),
        "provenance": provenance(),
        "keras_float": {
            "pck": round(keras_float["pck"], 4),
            "AP": round(keras_float["AP"], 4),
        },
        "keras_pruned": stages["pruned"]["val"],
        "keras_pqat": stages["qat"]["val"],
        "sparsity_prunable": stages["pruned"]["sparsity"]["prunable_sparsity"],
        "sparsity_all_kernels": stages["pruned"]["sparsity"]["overall_sparsity"],
        "sparsity_after_pqat": stages["qat"]["sparsity"]["prunable_sparsity"],
        "variants": rows,
        "test": test,
        "int8_pqat_over_float32_raw": round(rows["int8_pqat"]["size_bytes"] / f32, 3),
        "int8_ptq_per_tensor_over_float32_raw": round(
            rows["int8_ptq_dense_per_tensor"]["size_bytes"] / f32, 3
        ),
        "int8_pruned_gzip_over_dense_gzip": round(
            rows["int8_ptq_pruned"]["gzip_bytes"] / dense_gz, 3
        ),
        "int8_pqat_gzip_over_dense_gzip": round(rows["int8_pqat"]["gzip_bytes"] / dense_gz, 3),
        # the same ratio for the prunable weights alone: the other parts do not shrink with pruning
        "int8_pqat_prunable_weights_gzip_over_dense": round(
            rows["int8_pqat"]["gzip_by_part"]["prunable_weights"]
            / rows["int8_ptq_dense"]["gzip_by_part"]["prunable_weights"],
            3,
        ),
        "int8_dense_gzip_share_not_prunable": round(
            1 - rows["int8_ptq_dense"]["gzip_by_part"]["prunable_weights"] / dense_gz, 3
        ),
        "int8_ptq_pruned_per_tensor_over_float32_raw": round(
            rows["int8_ptq_pruned_per_tensor"]["size_bytes"] / f32, 3
        ),
        "int8_pruned_per_tensor_gzip_over_dense_per_tensor_gzip": round(
            rows["int8_ptq_pruned_per_tensor"]["gzip_bytes"]
            / rows["int8_ptq_dense_per_tensor"]["gzip_bytes"],
            3,
        ),
    }
    label = a.label or (" ".join(a.set) if a.set else "preset")
    results = Path(a.results)
    doc = (
        json.loads(results.read_text())
        if results.exists()
        else {"benchmark": "compression", "rows": {}}
    )
    doc["rows"][label] = row
    results.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(results, doc, indent=1)
    print(json.dumps({label: row}, indent=1))


def score_test_set(run_dir, overrides, export_dir, variants, people: int) -> dict:
    """PCK@0.2 / OKS AP of the Keras float model and each exported file on a synthetic set that
    neither training nor the choice of the best epoch saw; drops in points against the float."""
    from posenet_mobile.data.coco import load_coco
    from posenet_mobile.data.pipeline import KeypointPipeline
    from posenet_mobile.runtime.evaluate import evaluate_tflite
    from posenet_mobile.models.build import output_names
    from posenet_mobile.runs import load_run
    from posenet_mobile.runtime.runner import TFLiteRunner
    from posenet_mobile.train.data import synthetic_set

    run = load_run(run_dir, overrides)
    d = run.cfg.data
    seed = d.synthetic_seed + 2
    folder = synthetic_set(
        Path(run_dir) / f"bench_test_s{seed}_{people}",
        people,
        seed,
        d.synthetic_image_size,
        progress=lambda *_: None,
    )
    data = load_coco(folder, min_box_area=d.min_box_area)
    model = run.load_float()
    ref = run.evaluate_float(data, model=model)
    pipe = KeypointPipeline(
        data,
        run.codec,
        output_names(model),
        training=False,
        padding=d.padding,
        crop_rule=d.crop_rule,
        pixels=True,
        simcc=run.simcc,
    )
    out = {
        "seed": seed,
        "people": people,
        "keras_float": {"pck": round(ref["pck"], 4), "AP": round(ref["AP"], 4)},
    }
    for name in variants:
        m, _ = evaluate_tflite(TFLiteRunner(export_dir / f"{name}.tflite"), pipe)
        out[name] = {
            "pck": round(m["pck"], 4),
            "AP": round(m["AP"], 4),
            "pck_drop_points": round(100 * (ref["pck"] - m["pck"]), 3),
            "ap_drop_points": round(100 * (ref["AP"] - m["AP"]), 3),
        }
    return out


if __name__ == "__main__":
    main()
