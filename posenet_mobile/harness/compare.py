"""``compare-heads``: the BlazePose question on your data — heatmap vs regression heads, speed vs quality.

Trains, under one identical budget (same backbone, data, schedule, epochs, batch, seed; asserted),
the four heads of :mod:`posenet_mobile.models.heads`:

* ``heatmap``: heatmaps + offsets, argmax + offset decoding (the common approach);
* ``integral``: soft-argmax over heatmaps (integral regression, Sun et al. 2018);
* ``direct``: DeepPose-style regression, no heatmap supervision (Toshev & Szegedy 2014);
* ``regression``: BlazePose-style, heatmap supervision during training only, heatmap branch cut
  at export (Bazarevsky et al. 2020);
* ``simcc``: coordinate classification, one 1-D distribution per axis (Li et al. 2022; RTMPose);
* ``regression_sg``: ``regression`` with the paper's stop-gradient between its encoder and the
  heatmap path (``model.regression_stop_gradient``);
* ``regression_laplace``: ``regression`` trained by a Laplace likelihood with a predicted scale
  per coordinate (``model.coord_loss: laplace``; RLE without the flow, Li et al. 2021);
* ``heatmap_s8``: the heatmap head at output stride 8 (``model.output_stride: 8``), as PoseNet
  decodes heatmaps plus offsets at a coarse stride (Papandreou et al. 2017): no stride-4 decoder
  stage, the Gaussian's width kept in input pixels (:func:`row_config`);
* ``simcc_hm``: ``simcc`` whose backbone and decoder also learn from a heatmap + offset branch
  at the preset's output stride, cut at export (``model.heatmap_supervision``): BlazePose's
  heatmap supervision given to the simcc head, so the exported graph is plain simcc's;
* ``simcc_hm_sides``: ``simcc_hm`` with the preset's facing output, exported, so each
  left/right pair takes its sides from it (decode method ``simcc_sides``);

the preset's left/right options (``model.facing_head``, ``model.facing_channels``) stay on the
heatmap rows and on ``simcc_hm_sides`` only: the plain simcc row trains without one, as it did
not help there at the quickstart budget (docs/heads.md); ``model.global_context`` stays on the
heads whose trunks take it (:func:`row_model`);

then exports each to int8 (post-training quantization) and measures in one process: parameters
and MACs of the exported graph, int8 file size, int8 latency at 1 and 2 threads (one interleaved
benchmark), PCK@0.2 and OKS AP of the float Keras model and of the int8 file, and the int8 drop;
each row's speed-up and PCK gap against the heatmap row; and, where the real-people folder
exists (``real_data``), each int8 file's PCK@0.2 and AP on it: scored only, never used to pick.
Writes ``OUT/heads.json``, ``OUT/heads.md`` and ``OUT/heads.png`` (accuracy vs latency with
the Pareto frontier). Re-running the same command resumes: finished rows are not retrained.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ..errors import ConfigError, ModelError
from ..io import check_output_dir, read_json, write_bytes_atomic, write_json_atomic

HEADS = ("heatmap", "integral", "direct", "regression", "simcc")
#: Rows that are a head with other training settings: ``{row: (head, model settings)}``.
VARIANTS = {
    "regression_sg": ("regression", {"regression_stop_gradient": True}),
    "regression_laplace": ("regression", {"coord_loss": "laplace"}),
    "heatmap_s8": ("heatmap", {"output_stride": 8}),
    "simcc_hm": ("simcc", {"heatmap_supervision": True}),
    "simcc_hm_sides": ("simcc", {"heatmap_supervision": True, "facing_head": True}),
}
ROWS = HEADS + tuple(VARIANTS)


#: Model settings a row may change with its head: the left/right options the heatmap rows keep
#: (``facing_head`` is read by their decoder), ``global_context``, which feeds the heatmap and
#: simcc heads' trunks, the variants' settings, and the heatmap's output stride.
HEAD_OPTIONS = (
    "head",
    "facing_head",
    "facing_channels",
    "facing_pool",
    "global_context",
    "regression_stop_gradient",
    "coord_loss",
    "output_stride",
    "heatmap_supervision",
)


def row_model(model, row: str):
    """``model`` for ``row`` (a head or a :data:`VARIANTS` name), with the left/right options kept
    only where that head uses them and the variants' settings only on their rows."""
    if row not in ROWS:
        raise ConfigError(f"compare-heads: unknown row {row!r}; expected one of {ROWS}")
    head, settings = VARIANTS.get(row, (row, {}))
    settings = dict(settings)
    # the left/right options: the heatmap rows, and a variant that asks for the facing output
    sides = head == "heatmap" or settings.pop("facing_head", False)
    plain = {"regression_stop_gradient": False, "coord_loss": "l1", "heatmap_supervision": False}
    return dataclasses.replace(
        model,
        head=head,
        facing_head=model.facing_head and sides,
        facing_channels=model.facing_channels if sides else 0,
        global_context=model.global_context and head in ("heatmap", "simcc"),
        **{**plain, **settings},
    )


def row_config(cfg, row: str):
    """The experiment config of ``row``: :func:`row_model`, and, where the row's output stride
    differs from the preset's, the heatmap Gaussian's ``sigma`` (heatmap cells) scaled so the
    target keeps its width in input pixels."""
    model = row_model(cfg.model, row)
    codec = cfg.codec
    if model.output_stride != cfg.model.output_stride:
        codec = dataclasses.replace(
            codec, sigma=codec.sigma * cfg.model.output_stride / model.output_stride
        )
    return dataclasses.replace(cfg, model=model, codec=codec)


def budget(cfg) -> dict:
    """Everything but the head (and its :data:`HEAD_OPTIONS`) that decides how much training a
    row gets."""
    d = cfg.to_dict()
    d["model"] = {k: v for k, v in d["model"].items() if k not in HEAD_OPTIONS}
    d["codec"] = {
        k: v for k, v in d["codec"].items() if k != "sigma"
    }  # cells: goes with the stride
    d.pop("name", None)
    return d


def _bench_apart(files, threads, runs: int) -> dict:
    """:func:`posenet_mobile.harness.bench.bench` in a fresh Python process (``posenet-mobile
    bench``). Run in the process that had just trained and exported the rows, its rounds
    scattered and the several-thread figures came out no faster than one thread; in a fresh
    process neither happened (docs/heads.md). The cause inside that process was not found."""
    with tempfile.TemporaryDirectory(prefix="posenet_bench_") as tmp:
        report = Path(tmp) / "bench.json"
        cmd = [sys.executable, "-m", "posenet_mobile", "bench", "--runs", str(runs)]
        cmd += ["--warmup", "5", "--report", str(report), "--threads", *map(str, threads)]
        for f in files:
            cmd += ["--model", str(f)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
            raise ModelError(f"compare-heads: the latency benchmark failed: {' '.join(tail)}")
        return read_json(report)


def compare_heads(
    config="quickstart",
    train_data=None,
    val_data=None,
    out="compare_heads",
    overrides=None,
    heads=ROWS,
    threads=(1, 2),
    bench_runs: int = 60,
    bench_rounds: int = 5,
    real_data="default",
    progress=print,
) -> dict:
    """``heads``: the rows, in order (heads and :data:`VARIANTS`). ``real_data``: a COCO folder of
    real people to score every int8 file on; ``"default"``: the first found by
    :func:`posenet_mobile.data.real.real_people_data`, if any; ``None``: none.

    Latency: ``bench_rounds`` interleaved benchmarks of ``bench_runs`` invokes each; a row's time
    is the median of its rounds' medians, and its speed-up the median of the rounds' ratios (a
    ratio within one round cancels what a shared machine's load does to both files). Every
    round's figure is kept in the row (``int8_ms_1t_rounds``...)."""
    from ..export.exporter import export_run
    from ..train.config import load_config
    from ..train.trainer import train

    if bench_rounds < 1 or bench_runs < 1:
        raise ConfigError(
            f"compare-heads: bench_rounds and bench_runs must be >= 1, got {bench_rounds} "
            f"and {bench_runs}"
        )
    from .provenance import cpu_model, provenance
    from .validate import validate

    if real_data == "default":
        from ..data.real import real_people_data

        real_data = real_people_data()
    if real_data is not None and not Path(real_data).exists():
        raise ConfigError(f"compare-heads: --real-data {real_data}: no such folder")

    prov = (
        provenance()
    )  # at the start: the code that runs, not what the checkout holds when it ends
    out = check_output_dir(out, "--out")
    base = load_config(config, overrides)
    out.mkdir(parents=True, exist_ok=True)
    cfgs = {h: row_config(base, h) for h in heads}
    budgets = {h: budget(c) for h, c in cfgs.items()}
    first = budgets[heads[0]]
    for h, b in budgets.items():  # identical budgets, asserted rather than assumed
        if b != first:
            raise ConfigError(
                f"compare-heads: the {h} row's training budget differs from {heads[0]}'s"
            )
    rows, files = {}, []
    for h in heads:
        t0 = time.perf_counter()
        progress(f"compare-heads: training {h}")
        res = train(cfgs[h], out / h, train_data, val_data, verbose=0, progress=progress)
        if (
            train_data is None or val_data is None
        ):  # the first row generated the synthetic sets: share them
            d = read_json(out / h / "config.json")["data"]
            train_data, val_data = d["train"], d["val"]
        rep = export_run(
            out / h,
            "int8",
            out / f"{h}_int8.tflite",
            weights="float",
            quantization="ptq",
            force=True,
            progress=progress,
        )
        files.append(out / f"{h}_int8.tflite")
        v = rep["validation"]
        rows[h] = {
            "head": h,
            "params": rep["params"],
            "macs": rep["macs"],
            "int8_bytes": rep["size_bytes"],
            "float_pck": v["keras_float"]["pck"],
            "float_AP": v["keras_float"]["AP"],
            "int8_pck": v["tflite"]["pck"],
            "int8_AP": v["tflite"]["AP"],
            "int8_pck_drop_points": v["pck_drop_points"],
            "train_seconds": res.get("train_seconds"),
            "epochs": res.get("epochs_completed"),
            "wall_seconds": round(time.perf_counter() - t0, 1),
        }
        if h in VARIANTS:
            rows[h]["variant"] = VARIANTS[h][1]
        if (
            real_data is not None
        ):  # a thermometer: scored after training, read by nothing that trains
            real = validate(out / f"{h}_int8.tflite", real_data, progress=lambda *_: None)[
                "metrics"
            ]
            rows[h].update(real_pck=real["pck"], real_AP=real["AP"])
    progress(f"compare-heads: benchmarking int8 latency ({bench_rounds} interleaved rounds)")
    for _ in range(bench_rounds):
        for r in _bench_apart(files, threads, bench_runs)["results"]:
            h = Path(r["model"]).stem.replace("_int8", "")
            rows[h].setdefault(f"int8_ms_{r['threads']}t_rounds", []).append(r["median_ms"])
    for r in rows.values():
        for t in threads:
            r[f"int8_ms_{t}t"] = round(float(np.median(r[f"int8_ms_{t}t_rounds"])), 3)
    if "heatmap" in rows:
        ref = rows["heatmap"]
        key = f"int8_ms_{threads[0]}t_rounds"
        for r in rows.values():
            ratios = np.asarray(ref[key]) / np.asarray(r[key])
            r["speedup_vs_heatmap_1t"] = round(float(np.median(ratios)), 3)
            r["speedup_vs_heatmap_1t_rounds"] = [round(float(v), 3) for v in ratios]
            r["pck_vs_heatmap_points"] = round(100 * (r["int8_pck"] - ref["int8_pck"]), 2)
    doc = {
        "config": config,
        "overrides": list(overrides or []),
        "budget": first,
        "rows": [rows[h] for h in heads],
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {cpu_model()}",
        "provenance": prov,
        "data": {
            "train": train_data,
            "val": val_data,
            "real": str(real_data) if real_data else None,
        },
    }
    write_json_atomic(out / "heads.json", doc, indent=1)
    write_bytes_atomic(out / "heads.md", markdown_table(doc).encode())
    plot_heads(doc, out / "heads.png", threads[0])
    return doc


def markdown_table(doc) -> str:
    """The rows as a Markdown table; the speed-up and real-people columns where measured."""
    rows = doc["rows"]
    t = [k for k in rows[0] if k.startswith("int8_ms_") and k.endswith("t")]
    vs = "speedup_vs_heatmap_1t" in rows[0]
    real = "real_pck" in rows[0]
    head = (
        "| head | params | MACs (M) | int8 bytes | "
        + " | ".join(f"int8 ms ({k[8:-1]} thr)" for k in t)
        + (" | speed-up vs heatmap (1 thr) | PCK vs heatmap (pts)" if vs else "")
        + " | float PCK@0.2 | int8 PCK@0.2 | int8 drop (pts) | float AP | int8 AP |"
        + (" real PCK@0.2 | real AP |" if real else "")
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['head']} | {r['params']:,} | {r['macs'] / 1e6:.1f} | {r['int8_bytes']:,} | "
            + " | ".join(f"{r[k]:.2f}" for k in t)
            + (
                f" | {r['speedup_vs_heatmap_1t']:.2f}x | {r['pck_vs_heatmap_points']:+.1f}"
                if vs
                else ""
            )
            + f" | {r['float_pck']:.3f} | {r['int8_pck']:.3f} | {r['int8_pck_drop_points']:.2f} | "
            f"{r['float_AP']:.3f} | {r['int8_AP']:.3f} |"
            + (f" {r['real_pck']:.3f} | {r['real_AP']:.3f} |" if real else "")
        )
    return "\n".join(lines) + "\n"


def pareto_front(rows, key: str) -> list:
    """Rows no other row beats on both ``key`` (latency, lower is better) and int8 PCK@0.2, by
    increasing latency."""
    front, best = [], -1.0
    for r in sorted(rows, key=lambda r: (r[key], -r["int8_pck"])):
        if r["int8_pck"] > best:
            front.append(r)
            best = r["int8_pck"]
    return front


#: The smallest PCK range the plot's axis shows: about the run-to-run spread of a row.
MIN_PCK_SPAN = 0.04


def plot_heads(doc, path, threads: int = 1) -> None:
    import matplotlib

    from ..viz import save_figure

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    key = f"int8_ms_{threads}t"
    fig, ax = plt.subplots(figsize=(5.5, 4))
    front = pareto_front(doc["rows"], key)
    ax.step(
        [r[key] for r in front],
        [r["int8_pck"] for r in front],
        where="post",
        color="0.6",
        lw=1,
        zorder=1,
        label="Pareto frontier",
    )
    # dominated points are often close together: by latency, their labels alternate below-left
    # and below-right, so that neighbours' labels point away from each other
    side = {
        r["head"]: i % 2
        for i, r in enumerate(
            sorted((r for r in doc["rows"] if r not in front), key=lambda r: r[key])
        )
    }
    for r in doc["rows"]:
        ax.scatter(r[key], r["int8_pck"], s=40, zorder=2, marker="o" if r in front else "x")
        off = (5, 5) if r in front else ((5, -12) if side[r["head"]] else (-5, -12))
        ax.annotate(
            r["head"],
            (r[key], r["int8_pck"]),
            textcoords="offset points",
            xytext=off,
            ha="left" if off[0] > 0 else "right",
            fontsize=9,
        )
    ax.margins(x=0.2, y=0.15)  # room for the labels beside the outermost points
    # at least MIN_PCK_SPAN on the PCK axis: rows a fraction of a point apart are not drawn as
    # far apart as the whole plot
    lo, hi = ax.get_ylim()
    if hi - lo < MIN_PCK_SPAN:
        mid = (hi + lo) / 2
        ax.set_ylim(mid - MIN_PCK_SPAN / 2, mid + MIN_PCK_SPAN / 2)
    ax.legend(loc="best", fontsize=8)
    ax.set_xlabel(f"int8 latency, ms ({threads} thread, XNNPACK)")
    ax.set_ylabel("int8 PCK@0.2 (held-out)")
    ax.set_title("accuracy vs latency by head")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path, dpi=100)
