"""Training input pipelines alone, on 1 and 2 cores, printed as JSON (not a test).

Times the two ways a training batch is made, with no model attached:

* ``numpy``: :class:`~posenet_mobile.data.pipeline.KeypointPipeline` (decode, crop, augment and
  encode per sample in Python inside ``tf.numpy_function``);
* ``cache``: :class:`~posenet_mobile.data.crop_cache.CropCache` (crops rendered once, then
  warped, augmented and encoded batch by batch in the TF graph).

Each is run in its own process pinned with ``taskset`` to 1 core and to 2 cores, interleaved
round by round; the figures are medians over rounds of images/s and CPU ms per image. The
scaling from 1 to 2 cores tells whether a pipeline can use more cores at all; images/s per
core is what sizes the CPU that must feed a GPU (cores = the GPU's images/s from memory over
the pipeline's images/s per core).

Usage: .venv/bin/python benchmarks/input_pipeline.py [--config quickstart] [--rounds 3]
       [--batches 40] [--images 600] [--out benchmarks/results/input_pipeline_quickstart.json]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PIPELINES = ("numpy", "cache")


def worker(a):
    from posenet_mobile.data.coco import load_coco
    from posenet_mobile.data.crop_cache import CropCache
    from posenet_mobile.data.pipeline import KeypointPipeline
    from posenet_mobile.models import build_model, output_names
    from posenet_mobile.train.config import load_config

    cfg = load_config(a.config, a.set)
    names = output_names(build_model(cfg.model))
    pipe = KeypointPipeline(
        load_coco(a.data),
        cfg.heatmap_codec(),
        names,
        training=True,
        augment=cfg.augment,
        padding=cfg.data.padding,
        crop_rule=cfg.data.crop_rule,
        simcc=cfg.simcc_codec(),
    )
    bs = cfg.train.batch_size
    t0 = time.perf_counter()
    if a.worker == "cache":
        source = CropCache(pipe, cfg.data.crop_cache_context)
    else:
        source = pipe
    setup = time.perf_counter() - t0
    it = iter(source.dataset(bs, epochs=range(1000)))
    for _ in range(3):  # warm up: traces, fills prefetch buffers
        next(it)
    t, c = time.perf_counter(), time.process_time()
    for _ in range(a.batches):
        next(it)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    n = a.batches * bs
    print(
        json.dumps(
            {
                "images_per_second": round(n / wall, 1),
                "cpu_ms_per_image": round(cpu / n * 1e3, 3),
                "setup_seconds": round(setup, 2),
            }
        )
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="quickstart")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--images", type=int, default=600)
    ap.add_argument("--out")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        return worker(a)

    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.io import write_json_atomic
    from posenet_mobile.train.config import load_config
    from posenet_mobile.train.data import synthetic_set

    if shutil.which("taskset") is None:
        sys.exit("input_pipeline.py: error: needs taskset (util-linux) to pin cores")
    cores = os.cpu_count() or 1
    core_sets = [c for c in (1, 2) if c <= cores]
    cfg = load_config(a.config, a.set)
    tmp = tempfile.mkdtemp(prefix="pm_inpipe_")
    data = synthetic_set(
        Path(tmp) / "train",
        a.images,
        0,
        cfg.data.synthetic_image_size,
        progress=lambda *_: None,
        synth=cfg.data.synth,
    )
    runs = []
    for r in range(a.rounds):
        for n_cores in core_sets:
            for name in PIPELINES:
                cmd = ["taskset", "-c", ",".join(str(i) for i in range(n_cores)), sys.executable]
                cmd += [__file__, "--worker", name, "--data", str(data), "--config", a.config]
                cmd += ["--batches", str(a.batches)] + [f"--set={s}" for s in a.set]
                res = subprocess.run(cmd, capture_output=True, text=True)
                lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
                if not lines:
                    sys.exit(
                        f"input_pipeline.py: {name} on {n_cores} core(s) failed:\n{res.stderr[-800:]}"
                    )
                row = {"round": r, "pipeline": name, "cores": n_cores, **json.loads(lines[-1])}
                print(json.dumps(row), file=sys.stderr)
                runs.append(row)
    shutil.rmtree(tmp, ignore_errors=True)
    med = statistics.median
    summary = {}
    for name in PIPELINES:
        for n_cores in core_sets:
            rows = [x for x in runs if x["pipeline"] == name and x["cores"] == n_cores]
            summary[f"{name}_{n_cores}core"] = {
                "images_per_second": med(x["images_per_second"] for x in rows),
                "cpu_ms_per_image": med(x["cpu_ms_per_image"] for x in rows),
                "setup_seconds": med(x["setup_seconds"] for x in rows),
            }
        if len(core_sets) == 2:
            one, two = (summary[f"{name}_{c}core"]["images_per_second"] for c in core_sets)
            summary[f"{name}_2_over_1_core"] = round(two / one, 3)
    for n_cores in core_sets:
        summary[f"cache_over_numpy_{n_cores}core"] = round(
            summary[f"cache_{n_cores}core"]["images_per_second"]
            / summary[f"numpy_{n_cores}core"]["images_per_second"],
            3,
        )
    doc = {
        "benchmark": "input_pipeline",
        **provenance(),
        "config": a.config,
        "overrides": a.set,
        "input_size": list(cfg.model.input_size),
        "batch_size": cfg.train.batch_size,
        "images": a.images,
        "batches_timed": a.batches,
        "rounds": a.rounds,
        "summary": summary,
        "runs": runs,
    }
    print(json.dumps({"summary": summary}))
    out = a.out or HERE / "results" / f"input_pipeline_{a.config}.json"
    write_json_atomic(out, doc, indent=1)


if __name__ == "__main__":
    main()
