"""Where a training step's time goes: a TensorFlow profiler trace of ``fit``, summed by op kind.

The model is built and compiled as training does (:func:`posenet_mobile.train.trainer.compiled_model`)
and fed one pipeline batch held in memory, so the trace holds the step alone. Op times come from
the trace's host plane (every TF op's own duration on the compute threads, summed: with two
inter-op threads this exceeds wall time) and are grouped into depthwise convolutions, other
convolutions, BatchNorm, the losses, the optimizer and the rest, forward and backward apart.
Printed as JSON and written to a results file (not a test).

Usage: .venv/bin/python benchmarks/train_profile.py [--config quickstart] [--steps 10] [--batch-size 32]
"""

import argparse
import collections
import glob
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
LOSS_SCOPES = ("heatmap_mse", "offset_smooth_l1", "coordinate", "visibility_bce", "facing", "loss")


def category(name: str) -> str:
    """An op event's kind from its ``scope/name:OpType`` trace name."""
    scope, _, op = name.rpartition(":")
    backward = scope.startswith("gradient_tape") or "Grad" in op or "Backprop" in op
    if "ResourceApply" in op or "AdamW" in scope.split("/")[0]:
        return "optimizer"
    top = scope.removeprefix("gradient_tape/").split("/")[
        0
    ]  # the model's own layers sit under its name
    if any(s in top for s in LOSS_SCOPES):
        kind = "losses"
    elif "Depthwise" in op:
        kind = "depthwise conv"
    elif "Conv2D" in op:
        kind = "conv (1x1 and 3x3)"
    elif "BatchNorm" in op:
        kind = "batchnorm"
    elif "Relu" in op:
        kind = "relu6"
    else:
        kind = "other"
    return kind + (", backward" if backward else ", forward")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="quickstart")
    ap.add_argument(
        "--set", action="append", default=[], help="config override, as for train --set"
    )
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=0, help="0: the preset's")
    ap.add_argument("--top", type=int, default=12, help="also list the N costliest single ops")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "train_profile.json"))
    a = ap.parse_args()

    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    from posenet_mobile.data.coco import load_coco
    from posenet_mobile.data.pipeline import KeypointPipeline
    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.io import write_json_atomic
    from posenet_mobile.keras import tf
    from posenet_mobile.models import output_names
    from posenet_mobile.train.config import load_config
    from posenet_mobile.train.data import synthetic_set
    from posenet_mobile.train.trainer import compiled_model

    sets = list(a.set) + ([f"train.batch_size={a.batch_size}"] if a.batch_size else [])
    cfg = load_config(a.config, sets)
    bs = cfg.train.batch_size
    tmp = Path(tempfile.mkdtemp(prefix="pm_prof_"))
    data = synthetic_set(
        tmp / "data",
        max(bs, 64),
        0,
        cfg.data.synthetic_image_size,
        progress=lambda *_: None,
        synth=cfg.data.synth,
    )
    model, _ = compiled_model(cfg, a.steps)
    names = output_names(model)
    m = cfg.model
    codec = cfg.heatmap_codec()
    pipe = KeypointPipeline(load_coco(data), codec, names, training=True, augment=cfg.augment)
    x, y = next(iter(pipe.dataset(bs)))
    mem = tf.data.Dataset.from_tensors((x, y)).repeat()
    model.fit(mem, steps_per_epoch=4, epochs=1, verbose=0)  # trace and warm up outside the profile
    trace = tmp / "trace"
    tf.profiler.experimental.start(str(trace))
    t0 = time.perf_counter()
    model.fit(mem, steps_per_epoch=a.steps, epochs=1, verbose=0)
    wall = time.perf_counter() - t0
    tf.profiler.experimental.stop()

    space = xplane_pb2.XSpace()
    space.ParseFromString(
        Path(glob.glob(str(trace / "**" / "*.xplane.pb"), recursive=True)[0]).read_bytes()
    )
    host = next(p for p in space.planes if p.name.startswith("/host:CPU"))
    per_op = collections.Counter()
    for line in host.lines:
        if not (line.name.startswith("tf_Compute") or "Eigen" in line.name):
            continue
        for ev in line.events:
            name = host.event_metadata[ev.metadata_id].name
            if (
                ":" in name and "::" not in name
            ):  # op events; executor and thread-pool spans hold them
                per_op[name] += ev.duration_ps / 1e9  # ms
    total = sum(per_op.values())
    by_kind = collections.Counter()
    for name, ms in per_op.items():
        by_kind[category(name)] += ms
    step = lambda ms: round(ms / a.steps, 2)  # noqa: E731
    doc = {
        "benchmark": "train_profile",
        **provenance(),
        "config": a.config,
        "overrides": sets,
        "model": {"input_size": list(m.input_size), "width": m.width, "head": m.head},
        "batch_size": bs,
        "steps": a.steps,
        "wall_ms_per_step_under_profiler": round(wall * 1e3 / a.steps, 1),
        "op_ms_per_step": step(total),
        "by_kind": [
            {"kind": k, "ms_per_step": step(v), "share": round(v / total, 3)}
            for k, v in by_kind.most_common()
        ],
        "top_ops": [{"op": k, "ms_per_step": step(v)} for k, v in per_op.most_common(a.top)],
    }
    shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(doc))
    write_json_atomic(a.out, doc, indent=1)


if __name__ == "__main__":
    main()
