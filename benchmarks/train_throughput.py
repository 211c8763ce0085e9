"""Training throughput levers, side by side in one run on this machine, printed as JSON (not a test).

The variants are built in one process and interleaved round by round, so a noisy machine slows
them alike; the figure to read is each variant's ratio to ``baseline`` within a round (median
over rounds). ``xla`` runs beside a baseline of its own, ``inter1`` in a process of its own.
Every process builds and compiles the model exactly as training does
(:func:`posenet_mobile.train.trainer.compiled_model`) and feeds ``fit`` from the training
pipeline unless the variant says otherwise.

Variants (``--variants``):

* ``baseline``: the preset fed from the NumPy input pipeline (``data.crop_cache=off``).
* ``cache``: fed from the crop cache (:mod:`posenet_mobile.data.crop_cache`): crops rendered
  once, augmented and encoded in the graph.
* ``memory``: one batch held in memory and repeated: the ceiling of any input-pipeline lever.
* ``bf16``: ``train.mixed_precision=mixed_bfloat16`` (bfloat16 compute; float32 variables,
  outputs and losses).
* ``spe4``: ``train.steps_per_execution=4``.
* ``batch16``: ``train.batch_size=16`` (per-image cost of a smaller batch; changes the optimisation).
* ``depth05``: ``model.depth=0.5``, 11 of MobileNetV2's 17 backbone blocks (changes the model).
* ``inter1``: one inter-op thread (ops of a step run one after another).
* ``xla``: ``jit_compile=True`` on the train step (with the upsampling stand-in below).
* ``eval``: seconds of one validation pass (what ``train.eval_every`` saves), beside an epoch's.

Also reported: images/s and CPU ms per image (process time; the machine's CPU share varies).

Usage: .venv/bin/python benchmarks/train_throughput.py [--config quickstart] [--rounds 3]
       [--steps 16] [--variants baseline,cache,memory,spe4,batch16,depth05,inter1,xla,eval]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
VARIANTS = (
    "baseline",
    "cache",
    "memory",
    "bf16",
    "spe4",
    "batch16",
    "depth05",
    "inter1",
    "xla",
    "eval",
)


def _xla_compatible_upsampling():
    """XLA on the CPU has no kernel for the gradient of nearest resizing (``UpSampling2D``), so the
    stock model does not compile. For this measurement only, the decoder's upsampling computes
    the same values with ``tf.repeat``, which XLA differentiates."""
    from posenet_mobile.keras import keras, tf

    class RepeatUpSampling2D(keras.layers.UpSampling2D):
        def call(self, x):
            a, b = self.size
            return tf.repeat(tf.repeat(x, a, axis=1), b, axis=2)

    keras.layers.UpSampling2D = RepeatUpSampling2D


def _variant(a, name, data):
    """Build variant ``name``: ``(model, dataset, batch size, steps for the timed images)``, traced."""
    from posenet_mobile.data.coco import load_coco
    from posenet_mobile.data.pipeline import KeypointPipeline
    from posenet_mobile.keras import tf
    from posenet_mobile.models import output_names
    from posenet_mobile.train.config import load_config
    from posenet_mobile.train.trainer import compiled_model

    sets = {
        "spe4": ["train.steps_per_execution=4"],
        "batch16": ["train.batch_size=16"],
        "depth05": ["model.depth=0.5"],
        "bf16": ["train.mixed_precision=mixed_bfloat16"],
    }
    cfg = load_config(a.config, list(a.set) + sets.get(name, []))
    bs = cfg.train.batch_size
    steps = a.steps * 32 // bs  # the same number of images for every batch size
    if name == "xla":
        _xla_compatible_upsampling()
    model, _ = compiled_model(cfg, steps)
    if name == "xla":
        model.jit_compile = True
    codec = cfg.heatmap_codec()
    pipe = KeypointPipeline(
        load_coco(os.path.join(data, "train")),
        codec,
        output_names(model),
        training=True,
        augment=cfg.augment,
        padding=cfg.data.padding,
        crop_rule=cfg.data.crop_rule,
    )
    if name == "cache":
        from posenet_mobile.data.crop_cache import CropCache

        ds = CropCache(pipe, cfg.data.crop_cache_context).dataset(bs, epochs=range(1000)).repeat()
    else:
        ds = pipe.dataset(bs, epochs=range(1000)).repeat()
    if name == "memory":
        x, y = next(iter(ds))
        ds = tf.data.Dataset.from_tensors((x, y)).repeat()
    model.fit(ds, steps_per_epoch=max(2, 64 // bs), epochs=1, verbose=0)  # trace and warm up
    return model, ds, bs, steps, cfg, codec


def _timed(model, ds, steps, bs) -> dict:
    t0, c0 = time.perf_counter(), time.process_time()
    model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "images": steps * bs,
        "seconds": round(wall, 3),
        "images_per_second": round(steps * bs / wall, 2),
        "cpu_ms_per_image": round(cpu / (steps * bs) * 1e3, 2),
    }


def _eval_seconds(a, model, cfg, codec, data) -> dict:
    from posenet_mobile.data.coco import load_coco
    from posenet_mobile.data.pipeline import KeypointPipeline
    from posenet_mobile.models import output_names
    from posenet_mobile.train.evaluate import evaluate

    vpipe = KeypointPipeline(
        load_coco(os.path.join(data, "val")),
        codec,
        output_names(model),
        training=False,
        padding=cfg.data.padding,
        crop_rule=cfg.data.crop_rule,
    )
    evaluate(model, vpipe, cfg.train.eval_batch_size)  # warm-up (traces the predict graph)
    t0 = time.perf_counter()
    evaluate(model, vpipe, cfg.train.eval_batch_size)
    return {"eval_seconds": round(time.perf_counter() - t0, 2), "val_people": len(vpipe)}


def worker(a):
    """Variants ``a.worker`` (comma-separated) in this process, interleaved over ``a.rounds``:
    one JSON line per timed segment, then ``{"eval": ...}`` if asked."""
    names = a.worker.split(",")
    if "inter1" in names:  # must precede any other TF work in the process
        from posenet_mobile.keras import tf

        tf.config.threading.set_inter_op_parallelism_threads(1)
    built = {}
    for n in names:
        if n == "eval":
            continue
        try:
            built[n] = _variant(a, n, a.data)
        except Exception as e:  # noqa: BLE001 - a lever that does not run here is a result
            lines = str(e).strip().splitlines()
            why = [ln for ln in lines if "unsupported" in ln or "No registered" in ln] or lines[:1]
            print(
                json.dumps({"variant": n, "error": f"{type(e).__name__}: {why[0].strip()[:300]}"}),
                flush=True,
            )
    for r in range(a.rounds):
        for n, (model, ds, bs, steps, _, _) in built.items():
            print(
                json.dumps(
                    {"round": r, "variant": n, "batch_size": bs, **_timed(model, ds, steps, bs)}
                ),
                flush=True,
            )
    if "eval" in names and "baseline" in built:
        model, _, _, _, cfg, codec = built["baseline"]
        print(
            json.dumps({"variant": "eval", **_eval_seconds(a, model, cfg, codec, a.data)}),
            flush=True,
        )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="quickstart")
    ap.add_argument(
        "--set", action="append", default=[], help="config override, as for train --set"
    )
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--steps",
        type=int,
        default=16,
        help="timed steps of batch 32 (the same images for every batch size)",
    )
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--train-images", type=int, default=600)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "train_throughput.json"))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        return worker(a)

    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.io import write_json_atomic
    from posenet_mobile.train.config import load_config
    from posenet_mobile.train.data import synthetic_set

    variants = a.variants.split(",")
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown or "baseline" not in variants:
        sys.exit(
            f"train_throughput.py: error: --variants: expected 'baseline' and any of {list(VARIANTS)}, got {unknown}"
        )
    cfg = load_config(a.config, a.set)
    data = tempfile.mkdtemp(prefix="pm_tput_")
    for split, n, seed in (("train", a.train_images, 0), ("val", cfg.data.synthetic_val, 1)):
        synthetic_set(
            Path(data) / split,
            n,
            seed,
            cfg.data.synthetic_image_size,
            progress=lambda *_: None,
            synth=cfg.data.synth,
        )
    # The variants run in one process, interleaved round by round, so each round's ratio to the
    # baseline is taken under the same machine load. xla runs beside a baseline of its own (its
    # stand-in layer is process-wide), inter1 in a process alone (threads are fixed when
    # TensorFlow starts), its ratio taken to the first process's baseline of the same round.
    procs = [("main", [v for v in variants if v not in ("inter1", "xla")])]
    if "xla" in variants:
        procs.append(("xla", ["baseline", "xla"]))
    if "inter1" in variants:
        procs.append(("inter1", ["inter1"]))
    segments, evals, errors = [], {}, {}
    for label, names in procs:
        cmd = [
            sys.executable,
            __file__,
            "--worker",
            ",".join(names),
            "--data",
            data,
            "--config",
            a.config,
            "--steps",
            str(a.steps),
            "--rounds",
            str(a.rounds),
        ] + [f"--set={s}" for s in a.set]
        res = subprocess.run(cmd, capture_output=True, text=True)
        lines = [json.loads(ln) for ln in res.stdout.splitlines() if ln.startswith("{")]
        if not lines:
            for n in names:
                errors[n] = res.stderr.strip()[-300:]
        for ln in lines:
            print(json.dumps({"process": label, **ln}), file=sys.stderr)
            if "error" in ln:
                errors[ln["variant"]] = ln["error"]
            elif ln["variant"] == "eval":
                evals = ln
            else:
                segments.append({"process": label, **ln})
    med = statistics.median
    summary = {}
    for label, names in procs:
        base_proc = "main" if label == "inter1" else label
        base = {
            s["round"]: s
            for s in segments
            if s["process"] == base_proc and s["variant"] == "baseline"
        }
        for v in names:
            if v in summary:
                continue
            if v in errors:
                summary[v] = {"error": errors[v]}
                continue
            ok = [
                s
                for s in segments
                if s["process"] == label and s["variant"] == ("baseline" if v == "eval" else v)
            ]
            if not ok:
                continue
            ratios = [
                s["images_per_second"] / base[s["round"]]["images_per_second"]
                for s in ok
                if s["round"] in base
            ]
            cpu = [
                base[s["round"]]["cpu_ms_per_image"] / s["cpu_ms_per_image"]
                for s in ok
                if s["round"] in base
            ]
            summary[v] = {
                "images_per_second": med(s["images_per_second"] for s in ok),
                "cpu_ms_per_image": med(s["cpu_ms_per_image"] for s in ok),
                "over_baseline": round(med(ratios), 3),
                "cpu_over_baseline": round(med(cpu), 3),
                "same_process_as_baseline": label != "inter1",
            }
            if v == "eval" and evals:
                epoch = cfg.data.synthetic_train / summary[v]["images_per_second"]
                summary[v].update(
                    eval_seconds=evals["eval_seconds"],
                    val_people=evals["val_people"],
                    preset_epoch_seconds=round(epoch, 1),
                    eval_over_epoch=round(evals["eval_seconds"] / epoch, 3),
                )
    doc = {
        "benchmark": "train_throughput",
        **provenance(),
        "config": a.config,
        "overrides": a.set,
        "model": {
            "input_size": list(cfg.model.input_size),
            "width": cfg.model.width,
            "head": cfg.model.head,
        },
        "batch_size": cfg.train.batch_size,
        "timed_images_per_round": a.steps * 32,
        "rounds": a.rounds,
        "summary": summary,
        "segments": segments,
    }
    print(json.dumps({"summary": summary}))
    write_json_atomic(a.out, doc, indent=1)


if __name__ == "__main__":
    main()
