"""What ``make demo`` measured, as a results file (not a test).

Reads a finished demo folder's stage records (``DEMO/stages/*.json``) and writes
``benchmarks/results/demo.json``: each stage's seconds, the float, pruned, PQAT and shipped int8
PCK@0.2 / OKS AP on the synthetic validation set, the int8 drop against float and the method
that produced the file, file sizes, latency, XNNPACK against the reference kernels, the gate, and
the real-photographs score when the demo had the dev set. ``docs/measured.md`` is generated from
it (``python scripts/update_docs.py``).

Usage, after a demo on a fresh clone (``time make demo``):
  .venv/bin/python benchmarks/demo.py demo_output --wall-seconds 1834 --fresh-clone
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _metrics(m: dict) -> dict:
    return {"pck": round(m["pck"], 4), "AP": round(m["AP"], 4)}


def summarize(demo: Path) -> dict:
    """The figures of a finished demo folder (its stage records)."""
    stages = demo / "stages"
    need = ("train", "compress", "export", "validate", "bench")
    missing = [s for s in need if not (stages / f"{s}.json").exists()]
    if missing:
        sys.exit(
            f"demo.py: {stages}: no record of stage(s) {', '.join(missing)}: finish the demo first"
        )
    rec = {p.stem: json.loads(p.read_text()) for p in stages.glob("*.json")}
    tr, comp, ex, va, be = (rec[s] for s in need)
    f32, i8 = ex["float32"], ex["int8"]
    doc = {
        "benchmark": "demo",
        "stage_seconds": {
            k: rec[k].get("seconds")
            for k in (
                "train",
                "compress",
                "export",
                "validate",
                "real",
                "bench",
                "detector",
                "whole_image",
                "report",
            )
            if k in rec
        },
        "epochs": tr.get("epochs_completed"),
        "crop_rule": va.get("crop_rule", "box"),
        "float": _metrics(tr["best"]),
        "pruned": {
            **_metrics(comp["pruned"]["val"]),
            "sparsity": comp["pruned"]["sparsity"].get("prunable_sparsity"),
        },
        "pqat": _metrics(comp["qat"]["val"]),
        "int8": {
            **_metrics(va["metrics"]),
            "produced_by": i8["produced_by"],
            "drop_points": va.get("reference", {}).get("pck_drop_points"),
            "bytes": i8["size_bytes"],
            "gzip_bytes": i8["gzip_bytes"],
            "tried": ex.get("int8_tried", []),
        },
        "float32": {
            **_metrics(f32["validation"]["tflite"]),
            "bytes": f32["size_bytes"],
            "gzip_bytes": f32["gzip_bytes"],
        },
        "latency_ms": [
            {"file": Path(r["model"]).name, "threads": r["threads"], "median_ms": r["median_ms"]}
            for r in be["results"]
        ],
        "kernels": {
            "max_lsb": {
                k: v.get("max_lsb", v.get("max_abs")) for k, v in va["kernels"]["outputs"].items()
            },
            "pck_diff_points": va["kernels"]["pck_diff_points"],
            "keypoint_px": va["kernels"]["keypoint_px"],
        },
        "gate_passed": bool(va["passed"]),
        "failures": va.get("failures", []),
    }
    if "real" in rec:
        r = rec["real"]
        doc["real"] = {
            "data": Path(r["data"]).name,
            "pck": round(r["pck"], 4),
            "AP": round(r["AP"], 4),
            "count": r["count"],
            "crop_rule": r.get("crop_rule", "box"),
            "by_source_pck": {k: round(v["pck"], 4) for k, v in r.get("by_source", {}).items()},
        }
        if r.get("box_crops"):
            doc["real"]["box_crops"] = {k: round(v, 4) for k, v in r["box_crops"].items()}
        if r.get("flip_test"):
            doc["real"]["flip_test"] = {
                rule: {k: round(v, 4) for k, v in m.items()} for rule, m in r["flip_test"].items()
            }
    if "detector" in rec:
        d = rec["detector"]
        doc["detector"] = {
            "settings": d["settings"],
            "bytes": d["bytes"],
            "int8": {k: d["int8"].get(k) for k in ("ap50", "people", "matched_people")},
        }
    if "whole_image" in rec:
        doc["whole_image"] = {
            name: {
                k: row[k]
                for k in ("people", "found", "whole_image", "labelled_crops", "gt_box_crops")
                if k in row  # stages scored before the GT-box crops were lack them
            }
            for name, row in rec["whole_image"]["rows"].items()
        }
    return doc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("demo", nargs="?", default="demo_output", help="the demo's --out folder")
    ap.add_argument("--wall-seconds", type=float, default=None, help="the whole command's time")
    ap.add_argument("--fresh-clone", action="store_true", help="the demo ran on a fresh clone")
    ap.add_argument("--command", default="make demo", help="what was timed")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "demo.json"))
    a = ap.parse_args()

    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.io import write_json_atomic

    doc = summarize(Path(a.demo))
    doc.update(
        command=a.command,
        wall_seconds=a.wall_seconds,
        fresh_clone=a.fresh_clone,
        provenance=provenance(),
    )
    write_json_atomic(Path(a.out), doc, indent=1)
    print(json.dumps(doc))


if __name__ == "__main__":
    main()
