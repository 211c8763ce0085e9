"""Latency of .tflite files in one process, interleaved so a noisy machine affects all alike.

For every (model, threads) pair one interpreter is built and warmed up; then, one thread count
at a time, each round invokes every model's interpreter once on the same random input, in a
rotated order (at more than one thread, :data:`MT_BLOCK` times in a row), until each has
``runs`` timed invokes. Reported: median and p90 milliseconds per invoke, model size, MACs (from our metadata or
None for foreign models). Foreign models (no posenet_mobile metadata) are accepted.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..errors import ConfigError, ModelError
from ..io import check_output_file, write_json_atomic
from ..runtime.runner import TFLiteRunner


def _input_for(runner, rng):
    shape = tuple(int(s) for s in runner._in["shape"])
    dtype = runner.input_dtype
    if dtype == np.uint8:
        return rng.integers(0, 256, shape, dtype=np.uint8)
    if dtype == np.int8:
        return rng.integers(-128, 128, shape, dtype=np.int8)
    return rng.random(shape, dtype=np.float32) * (255.0 if runner.meta else 1.0)


#: Invokes in a row per file and round at more than one thread (the first is not timed).
MT_BLOCK = 6


def bench(
    models,
    threads=(1, 2),
    runs: int = 50,
    warmup: int = 5,
    kernels: str = "xnnpack",
    report=None,
    seed: int = 0,
) -> dict:
    """Benchmark ``models`` (paths) at each thread count; returns (and writes) the JSON report."""
    if runs < 1:
        raise ConfigError(f"--runs: expected >= 1 timed rounds, got {runs}")
    if warmup < 0:
        raise ConfigError(f"--warmup: expected >= 0, got {warmup}")
    if not threads or any(int(t) < 1 for t in threads):
        raise ConfigError(f"--threads: expected thread counts >= 1, got {list(threads)}")
    if report:
        check_output_file(report, "--report")
    rng = np.random.default_rng(seed)
    entries = []
    for m in models:
        if not Path(m).exists():
            raise ModelError(f"{m}: no such model file")
        for t in threads:
            r = TFLiteRunner(m, threads=int(t), kernels=kernels, require_metadata=False)
            x = _input_for(r, rng)
            for _ in range(warmup):
                r.invoke_raw(x)
            entries.append(
                {"model": str(m), "threads": int(t), "runner": r, "input": x, "times": []}
            )
    # The files are interleaved (each round invokes every one, in a rotating order) so a shared
    # machine's changing load falls on all of them alike. Each thread count has its own pass: a
    # several-thread interpreter's pool workers stay busy waiting for a moment after an invoke,
    # and would take a core from the next interpreter's invoke. So at more than one thread each
    # round gives every file a block of MT_BLOCK invokes in a row, the first one untimed.
    for t in dict.fromkeys(int(t) for t in threads):
        group = [e for e in entries if e["threads"] == t]
        block = 1 if t == 1 else MT_BLOCK
        i = 0
        while min(len(e["times"]) for e in group) < runs:
            k = i % len(group)
            for e in group[k:] + group[:k]:
                for j in range(block):
                    t0 = time.perf_counter()
                    e["runner"].interp.set_tensor(e["runner"]._in["index"], e["input"])
                    e["runner"].interp.invoke()
                    if (j or block == 1) and len(e["times"]) < runs:
                        e["times"].append(time.perf_counter() - t0)
            i += 1
    rows = []
    for e in entries:
        ms = np.array(e["times"]) * 1e3
        meta = e["runner"].meta
        rows.append(
            {
                "model": e["model"],
                "threads": e["threads"],
                "median_ms": round(float(np.median(ms)), 3),
                "p90_ms": round(float(np.percentile(ms, 90)), 3),
                "runs": len(ms),
                "size_bytes": e["runner"].size_bytes,
                "input": list(e["runner"].input_size),
                "input_dtype": e["runner"].input_dtype.name,
                "format": meta.format if meta else None,
                "head": meta.head if meta else None,
                "macs": meta.get("macs") if meta else None,
                "ours": meta is not None,
            }
        )
    out = {"kernels": kernels, "runs": runs, "warmup": warmup, "results": rows}
    if report:
        write_json_atomic(report, out, indent=1)
    return out
