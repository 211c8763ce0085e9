"""``quant-debug``: rank layers by int8 quantization error, re-export with the worst kept in float.

Uses ``tf.lite.experimental.QuantizationDebugger`` on the post-training (calibrated) conversion of
a run's model (it does not apply to QAT models: their ranges come from training). Each quantized
tensor is scored by ``sqrt(mean squared error) / scale`` (error in LSB, the debugger guide's
``rmse/scale``) over the debug dataset. Selective quantization re-converts with the ``keep_float``
worst layers deny-listed (they run in float, fed by dequantize/quantize pairs) and measures what
it buys: PCK@0.2 / OKS AP on the validation set and latency, against full int8 in one benchmark.
"""

from __future__ import annotations

import csv
import io
import math

from ..errors import ConfigError
from ..io import write_bytes_atomic, write_json_atomic


def _debugger(model, representative, denylist=None):
    from ..export.tflite import _quiet_converter, keras_converter
    from ..keras import tf

    conv = keras_converter(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.inference_input_type = tf.uint8
    conv.inference_output_type = tf.int8
    opts = (
        tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=list(denylist))
        if denylist
        else None
    )
    with _quiet_converter():
        return tf.lite.experimental.QuantizationDebugger(
            converter=conv, debug_dataset=representative, debug_options=opts
        )


def rank_layers(debugger) -> list[dict]:
    from ..export.tflite import _quiet_converter

    with _quiet_converter():
        debugger.run()
    buf = io.StringIO()
    debugger.layer_statistics_dump(buf)
    rows = []
    for r in csv.DictReader(io.StringIO(buf.getvalue())):
        scale = float(r["scale"] or 0)
        mse = float(r["mean_squared_error"] or 0)
        rows.append(
            {
                "op": r["op_name"],
                "tensor": r["tensor_name"],
                "rmse_over_scale": math.sqrt(mse) / scale if scale else 0.0,
                "max_abs_error": float(r["max_abs_error"] or 0),
                "scale": scale,
            }
        )
    return sorted(rows, key=lambda r: -r["rmse_over_scale"])


def quant_debug(
    run_dir,
    keep_float: int = 5,
    out=None,
    eval_limit=None,
    unsafe_load: bool = False,
    progress=print,
) -> dict:
    from ..compress.quantize import with_pixel_input
    from .. import metadata as M
    from ..export import tflite as T
    from ..export.exporter import build_metadata, output_names_by_signature
    from ..models.build import inference_model, output_names
    from ..runs import load_run
    from ..runtime.runner import TFLiteRunner
    from .bench import bench
    from ..runtime.evaluate import evaluate_tflite

    from ..io import check_output_dir

    run = load_run(run_dir, unsafe_load=unsafe_load)
    out = check_output_dir(out or run.path / "quant_debug", "--out")
    if keep_float < 0:
        raise ConfigError(f"--keep-float: expected >= 0 layers, got {keep_float}")
    run.load_float()  # fails now, not after the debugger, when the model cannot be loaded
    out.mkdir(parents=True, exist_ok=True)
    model = inference_model(with_pixel_input(run.load_float()), run.cfg.model.head)
    names = output_names(model)
    train_pipe = run.pipeline("train", names, pixels=True)
    rep = T.representative_dataset(
        lambda: (x.numpy() for x, _ in train_pipe.dataset(16)),
        min(64, run.cfg.compress.representative_samples),
    )
    progress("quant-debug: running the quantization debugger")
    dbg = _debugger(model, rep)
    ranked = rank_layers(dbg)
    full = dbg.get_nondebug_quantized_model()
    worst = [r["tensor"] for r in ranked[:keep_float]]
    progress(f"quant-debug: re-converting with {len(worst)} layers kept in float")
    selective = _debugger(model, rep, worst).get_nondebug_quantized_model()
    schema = run.datasets("val").schema
    val_pipe = run.pipeline("val", names, pixels=True)
    result = {"run": str(run.path), "keep_float": worst, "ranking": ranked[:20], "variants": {}}
    paths = []
    for label, data in (("full_int8", full), ("selective", selective)):
        # as the exporter does: the pixel normalisation into the input's quantization, where the
        # file allows it; the debugger's conversion may keep a float input, which does not
        data, kept = T.fold_input_normalization(data)
        simcc = run.simcc
        tensors = output_names_by_signature(
            data, names, schema.num_keypoints, run.codec.heatmap_size, simcc and simcc.bins
        )
        doc = build_metadata(
            run,
            data,
            "int8",
            "PTQ" if label == "full_int8" else f"PTQ, {len(worst)} layers float",
            schema,
            0.0,
            False,
            tensors,
        )
        final = M.embed(data, doc)
        path = out / f"{label}.tflite"
        write_bytes_atomic(path, final)
        paths.append(path)
        m, _ = evaluate_tflite(TFLiteRunner(path), val_pipe, eval_limit)
        result["variants"][label] = {
            "file": str(path),
            "size_bytes": len(final),
            "pck": m["pck"],
            "AP": m["AP"],
            "float_ops": T.float_ops(T.op_list(final))[:20],
            # None: folded into the input's quantization; else why the op stayed
            "normalize_op_kept": kept,
        }
    lat = bench(paths, (1,), runs=40, warmup=5)
    for r, label in zip(lat["results"], ("full_int8", "selective")):
        result["variants"][label]["median_ms_1t"] = r["median_ms"]
    v = result["variants"]
    result["trade"] = {
        "pck_gain_points": round(100 * (v["selective"]["pck"] - v["full_int8"]["pck"]), 3),
        "latency_ratio": round(v["selective"]["median_ms_1t"] / v["full_int8"]["median_ms_1t"], 3),
    }
    write_json_atomic(out / "quant_debug.json", result, indent=1)
    return result


__all__ = ["quant_debug", "rank_layers"]
