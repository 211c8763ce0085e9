"""Data throughput on this machine, printed as JSON (not a test).

* synth: synthetic images written per second at 256x256 (all cores), median of --repeats runs,
  for each generator style (``--styles``, interleaved run by run so a noisy machine affects
  both alike); the ratio to the capsule generator is the machine-independent figure.
* pipeline: training-pipeline images per second (decode, jittered crop, augmentation, targets).
* train_step: images per second that `fit` consumes for the quickstart model, fed from tensors
  already in memory, and fed from the pipeline (if the two match, the pipeline is not the
  bottleneck).

Usage: .venv/bin/python benchmarks/data_throughput.py [--images 600] [--repeats 3] [--synth-only]
"""

import argparse
import json
import os
import statistics
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=600)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--config", default="quickstart")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--steps", type=int, default=15)
    ap.add_argument("--styles", default="human,capsule")
    ap.add_argument("--synth-only", action="store_true", help="measure the generators only")
    ap.add_argument(
        "--out", default=os.path.join(os.path.dirname(__file__), "results", "data_throughput.json")
    )
    a = ap.parse_args()

    from posenet_mobile.data.synthetic import SynthConfig, synthesize
    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.io import write_json_atomic

    tmp = tempfile.mkdtemp(prefix="pm_bench_")
    styles = a.styles.split(",")
    by_style = {st: [] for st in styles}
    for r in range(a.repeats):
        for st in styles:
            cfg = (
                SynthConfig(image_size=256)
                if st == "human"
                else SynthConfig.capsule(image_size=256)
            )
            s = synthesize(os.path.join(tmp, f"{st}{r}"), a.images, seed=r, cfg=cfg, progress=False)
            by_style[st].append(s["images_per_second"])
    data_dir = os.path.join(tmp, f"{styles[0]}0")
    med = statistics.median
    synth = {f"synth_images_per_second_256px_{st}": med(v) for st, v in by_style.items()}
    synth["synth_runs"] = by_style
    if "human" in by_style and "capsule" in by_style:
        synth["human_over_capsule"] = round(med(by_style["human"]) / med(by_style["capsule"]), 3)
    if a.synth_only:
        doc = {"benchmark": "data_throughput", **provenance(), "images": a.images, **synth}
        print(json.dumps(doc))
        write_json_atomic(a.out, doc, indent=1)
        return

    from posenet_mobile.train.config import load_config
    from posenet_mobile.data.coco import load_coco
    from posenet_mobile.data.pipeline import KeypointPipeline
    from posenet_mobile.keras import keras, tf
    from posenet_mobile.losses import losses_for
    from posenet_mobile.models import build_model

    exp = load_config(a.config)
    cfg = exp.model
    codec = exp.heatmap_codec()
    model = build_model(cfg)
    names = list(model.output_names)
    pipe = KeypointPipeline(load_coco(data_dir), codec, names, training=True, seed=0)

    pipe_rates = []
    for r in range(a.repeats):
        ds = pipe.dataset(a.batch_size, epochs=[r])
        it = iter(ds)
        next(it)  # warm-up
        t0, n = time.perf_counter(), 0
        for x, _ in it:
            n += int(x.shape[0])
        pipe_rates.append(n / (time.perf_counter() - t0))

    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=losses_for(names))
    x, y = next(iter(pipe.dataset(a.batch_size, epochs=[0])))
    mem = tf.data.Dataset.from_tensors((x, y)).repeat()
    model.fit(mem, steps_per_epoch=3, epochs=1, verbose=0)  # compile/trace
    step_rates, fed_rates = [], []
    for r in range(a.repeats):
        t0 = time.perf_counter()
        model.fit(mem, steps_per_epoch=a.steps, epochs=1, verbose=0)
        step_rates.append(a.steps * a.batch_size / (time.perf_counter() - t0))
        ds = pipe.dataset(a.batch_size, epochs=[r + 10]).repeat()
        t0 = time.perf_counter()
        model.fit(ds, steps_per_epoch=a.steps, epochs=1, verbose=0)
        fed_rates.append(a.steps * a.batch_size / (time.perf_counter() - t0))
    out = {
        "benchmark": "data_throughput",
        **provenance(),
        "images": a.images,
        **synth,
        "pipeline_images_per_second": round(med(pipe_rates), 1),
        "model": {
            "config": a.config,
            "input_size": list(cfg.input_size),
            "width": cfg.width,
            "head": cfg.head,
        },
        "train_step_images_per_second_from_memory": round(med(step_rates), 1),
        "train_images_per_second_from_pipeline": round(med(fed_rates), 1),
        "pipeline_over_train_step": round(med(pipe_rates) / med(step_rates), 2),
        "batch_size": a.batch_size,
    }
    print(json.dumps(out))
    write_json_atomic(a.out, out, indent=1)


if __name__ == "__main__":
    main()
