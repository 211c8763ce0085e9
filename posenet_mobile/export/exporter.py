"""Export a run directory to a .tflite file with embedded metadata, checked before it is written.

Sources by format (``--weights auto`` picks the pruned stage when the run has one):

* ``float32`` / ``float16`` / ``dynamic``: the trained (or pruned) Keras model.
* ``int8``: ``quantization="qat"`` converts the saved quantization-aware stage
  (``RUN/compress/qat_checkpoint/``, prune-preserving); ``"ptq"`` calibrates the trained (or pruned)
  model with ``compress.representative_samples`` training crops made by the inference pipeline;
  ``"auto"`` takes QAT when that stage exists, else PTQ. The result says which produced the file.

Checks: Keras vs TFLite outputs on validation crops (max abs difference), TFLite PCK@0.2 / OKS AP
on the validation set beside the float Keras model's, and for int8 the accuracy gate
(``max_pck_drop`` points of PCK@0.2, refused unless ``force``). Nothing is written until every
check has passed; the .tflite and its sidecar JSON are written to temporary names and renamed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import __version__
from ..codec import PAIR_MIN_CELLS, PAIR_MIN_FRACTION, SideRule, decode_outputs
from ..contract import expected_shapes
from ..errors import ExportError
from ..io import check_output_file, commit_files, json_bytes, sha256_bytes, sweep_temps
from ..runs import Run, load_run
from .. import metadata as M
from . import tflite as T

DECODER_FLOAT_OPS = {
    "DEQUANTIZE",
    "RESHAPE",
    "ARG_MAX",
    "REDUCE_MAX",
    "GATHER",
    "GATHER_ND",
    "CAST",
    "FLOOR_DIV",
    "FLOOR_MOD",
    "SUB",
    "ADD",
    "MUL",
    "TRANSPOSE",
    "CONCATENATION",
    "PACK",
    "MINIMUM",
    "MAXIMUM",
    "STRIDED_SLICE",
    "ONE_HOT",
    "SUM",
    "BATCH_MATMUL",
    "FULLY_CONNECTED",
    "SQUEEZE",
}


def _in_graph_decoder(model, codec):
    """Wrap a heatmap model: argmax + offset decoding in the graph -> ``keypoints (N, K, 3)``
    (x, y input pixels, score = heatmap peak clipped to [0, 1]); same maths as ``codec.decode``."""
    from ..keras import tf
    from ..models.build import output_names

    names = output_names(model)
    if "facing" in names:
        raise ExportError(
            "--decode-in-graph: this model decodes left from right with its facing output "
            "(codec.decode_sides), which is not built in the graph; export without --decode-in-graph"
        )
    if names != ["heatmaps", "offsets"]:
        raise ExportError(
            f"--decode-in-graph: needs a heatmap + offsets model, this one outputs {names} "
            "(regression and integral heads already output coordinates)"
        )
    hh, ww = codec.heatmap_size
    k = int(model.outputs[0].shape[-1])
    stride = float(codec.stride)
    h, w = codec.input_size

    @tf.function(input_signature=[tf.TensorSpec((1, h, w, 3), tf.float32, name="image")])
    def serve(image):
        hm, off = model(image, training=False)
        flat = tf.reshape(hm, (-1, hh * ww, k))
        idx = tf.argmax(flat, axis=1, output_type=tf.int32)  # (N, K), first maximum as np.argmax
        score = tf.clip_by_value(tf.reduce_max(flat, axis=1), 0.0, 1.0)
        off = tf.transpose(tf.reshape(off, (-1, hh * ww, k, 2)), (0, 2, 1, 3))  # (N, K, HW, 2)
        d = tf.gather(off, idx, batch_dims=2)  # (N, K, 2)
        ix = tf.cast(idx % ww, tf.float32)
        iy = tf.cast(idx // ww, tf.float32)
        x = (ix + d[..., 0] + 0.5) * stride
        y = (iy + d[..., 1] + 0.5) * stride
        return {"keypoints": tf.stack([x, y, score], axis=-1)}

    serve.model = model  # the trackable object the converter wants beside the concrete function
    return serve


def _convert_decoder(serve, fmt, representative, qat) -> bytes:
    return T.run_converter(
        T.concrete_converter(serve, serve.model), fmt, representative, qat=qat, extra_float_ok=True
    )


def output_names_by_signature(
    model_bytes: bytes, model_names, k: int, heatmap_size, simcc_bins=None
) -> list[str]:
    """The name of each output tensor of ``model_bytes``, in the interpreter's output order.

    The converter's subgraph does not keep the model's output order (two outputs of one shape,
    such as ``simcc_x`` and ``simcc_y`` of a square input, came out swapped), but its signature
    does: a function that returns a list names its outputs ``output_<i>`` in the model's order
    (``model_names``), one that returns a dict by its keys. Each name is checked against the shape
    that output must have.
    """
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_content=model_bytes)
    sig = it.get_signature_runner().get_output_details()
    by_index = {}
    for key, d in sig.items():
        i = key.rsplit("_", 1)[-1]
        by_index[int(d["index"])] = (
            model_names[int(i)] if key.startswith("output_") and i.isdigit() else key
        )
    expected = expected_shapes(k, heatmap_size, simcc_bins)
    names = []
    for d in it.get_output_details():
        name = by_index.get(int(d["index"]))
        shape = tuple(int(s) for s in d["shape"])
        if name not in expected or expected[name] != shape:
            raise ExportError(
                f"exported output tensor {d['name']!r} ({name}) has unexpected shape {list(shape)}"
            )
        names.append(name)
    return names


def build_metadata(
    run: Run,
    model_bytes: bytes,
    fmt: str,
    method: str,
    schema,
    sparsity,
    decode_in_graph: bool,
    names,
) -> dict:
    """The metadata document; ``names``: the output tensors' names in the interpreter's output order
    (:func:`output_names_by_signature`)."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_content=model_bytes)
    inp = it.get_input_details()[0]
    outs = sorted(it.get_output_details(), key=lambda d: d["index"])
    codec = run.codec
    simcc = run.simcc
    names = [n for _, n in sorted(zip([int(d["index"]) for d in it.get_output_details()], names))]
    m = run.cfg.model
    method_name = "heatmap_offset_sides" if "facing" in names else "heatmap_offset"
    decode = {
        "method": "in_graph"
        if decode_in_graph
        else ("regression" if "coords" in names else method_name),
        "stride": codec.stride,
        "heatmap_size_hw": list(codec.heatmap_size),
        "sigma": codec.sigma,
        "offset_radius": codec.offset_radius,
        "refine": "offset",
        "score": "sigmoid(visibility)" if "coords" in names else "heatmap peak clipped to [0, 1]",
        "argmax_ties": "first maximum in row-major (y, x) order",
    }
    if simcc is not None and not decode_in_graph:
        decode = {
            "method": "simcc_sides" if "facing" in names else "simcc",
            "stride": codec.stride,
            "split_ratio": simcc.split_ratio,
            "bins_xy": list(simcc.bins),
            "sigma_bins": simcc.sigma,
            "beta": simcc.beta,
            "rule": "per axis: the first maximum bin b, plus the vertex of the parabola through bins b-1, b, "
            "b+1 (clipped to 0.5; none at the ends or where they do not curve down); x = (b + 0.5) / "
            "split_ratio input pixels",
            "score": "per axis max softmax(beta * logits) / the same for a perfect target (simcc.SimCCCodec."
            "peak_probability), clipped to [0, 1]; the smaller of the two axes",
        }
    if "facing" in names and simcc is not None:
        rule = SideRule.from_names(schema.names, schema.flip_index)
        decode["sides"] = {
            "rule": "codec.order_sides: each left/right pair's two decoded points keep their places; the one "
            "further to the image right of the torso axis (shoulder centre -> hip centre, each centre "
            "the midpoint of that pair's two points) is the person's left when facing > 0, else their "
            "right, and takes its score with it; equal projections, or an axis of no length, keep the "
            "decoded order",
            "pairs_left_right": [list(p) for p in rule.pairs],
            "torso": list(rule.torso),
        }
    elif "facing" in names:
        rule = SideRule.from_names(schema.names, schema.flip_index)
        decode["sides"] = {
            "rule": "codec.decode_sides: per left/right pair, the two peaks of the summed maps (second peak: a 3x3 "
            f"local maximum >= {PAIR_MIN_CELLS} cells from the first and >= {PAIR_MIN_FRACTION} of its "
            "height); the one on the image right of the torso axis (shoulder centre -> hip centre) is the "
            "person's left when facing > 0; offset and score from the pair's higher channel at that cell",
            "pairs_left_right": [list(p) for p in rule.pairs],
            "torso": list(rule.torso),
            "min_cells": PAIR_MIN_CELLS,
            "min_fraction": PAIR_MIN_FRACTION,
        }
    q = inp["quantization"]
    return {
        "schema_version": M.SCHEMA_VERSION,
        "producer": f"posenet_mobile {__version__}",
        "head": m.head,
        "format": fmt,
        "width": m.width,
        "keypoints": {
            "names": list(schema.names),
            "skeleton": [list(e) for e in schema.skeleton],
            "flip_index": [int(i) for i in schema.flip_index],
            "flip_pairs": [list(p) for p in schema.flip_pairs],
            "sigmas": [float(s) for s in schema.sigmas],
        },
        "input": {
            "name": inp["name"],
            "size_hw": list(m.input_size),
            "shape": [int(s) for s in inp["shape"]],
            "dtype": np.dtype(inp["dtype"]).name,
            "layout": "NHWC",
            "colour": "RGB",
            "range": [0, 255],
            "normalization": T.normalization_text(float(q[0])),
            "quantization": {"scale": float(q[0]), "zero_point": int(q[1])} if q[0] else None,
            "crop": {
                "method": run.cfg.data.crop_rule,
                "rule": CROP_RULE_TEXT[run.cfg.data.crop_rule],
                "crop_padding": run.cfg.data.padding,
            },
        },
        "outputs": [
            M.output_entry(d["index"], n, d["shape"], np.dtype(d["dtype"]).name, d["quantization"])
            for d, n in zip(outs, names)
        ],
        "decode": decode,
        "quantization": {"method": method, "sparsity": sparsity},
        "tracking": M.Tracking().to_json(),
        "training": {"config": run.cfg.name, "fingerprint": run.fingerprint, "data": run.data},
    }


#: ``input.crop.rule`` of the metadata, per ``input.crop.method``.
CROP_RULE_TEXT = {
    "box": "person box [x, y, w, h] -> centre, grow to the input aspect ratio, scale by padding; "
    "full frame: letterbox (padding 1); pixel i centred on i + 0.5",
    "aligned": "alignment (hip centre, radius of the circle about it holding the body, incline of "
    "hip centre -> shoulder centre from upright, degrees counter-clockwise on screen) -> crop "
    "centred on the hip centre, turned by the incline, shorter side 2 x radius x padding, the "
    "input's aspect ratio (geometry.aligned_crop); alignment from a detector or from the previous "
    "frame's keypoints; without one: the person box rule, or the full frame letterboxed; pixel i "
    "centred on i + 0.5",
}


def export_run(
    run_dir,
    fmt: str = "int8",
    out=None,
    weights: str = "auto",
    quantization: str = "auto",
    decode_in_graph: bool = False,
    max_pck_drop: float | None = None,
    force: bool = False,
    eval_limit: int | None = None,
    threads: int = 1,
    overrides=None,
    per_channel: bool = True,
    keep_tensor_names: bool = False,
    unsafe_load: bool = False,
    progress=print,
) -> dict:
    """Export ``run_dir`` as ``fmt``; returns the export report (also in the sidecar's ``export``).

    per_channel: int8 PTQ weight scales per output channel (default) or per kernel. A QAT stage
    always exports per channel. Per-tensor QAT was tried and dropped: with tfmot's
    ``disable_per_axis`` scheme the converter left every conv float, and with BatchNorm folded
    before QAT it wrote the kernels per channel anyway (TF 2.21, tfmot 0.8).
    keep_tensor_names: keep the converter's long tensor names; by default the input is renamed
    ``image``, outputs after what they hold (``heatmaps``, ``offsets``, ...), the rest ``t<index>``.
    unsafe_load: let the run's Keras files load in any format (:mod:`posenet_mobile.models.saved`).

    The output folder is checked for writing before any work. The file and its sidecar
    ``FILE.tflite.json`` (which records the file's sha256) are written to temporary names, both
    complete, then renamed, the sidecar first and the model last; a failure leaves whatever was
    there before untouched.
    """
    if fmt not in T.FORMATS:
        raise ExportError(f"--format: expected one of {', '.join(T.FORMATS)}, got {fmt!r}")
    if quantization not in ("auto", "ptq", "qat"):
        raise ExportError(f"--quantization: expected auto, ptq or qat, got {quantization!r}")
    run = load_run(run_dir, overrides, unsafe_load=unsafe_load)
    c = run.cfg.compress
    max_pck_drop = c.max_pck_drop if max_pck_drop is None else float(max_pck_drop)
    out = Path(out) if out else run.path / "export" / f"posenet_{run.cfg.model.head}_{fmt}.tflite"
    if out.suffix != ".tflite":
        raise ExportError(f"--out {out}: expected a .tflite path")
    check_output_file(out, "--out")
    check_output_file(sidecar_path(out), "--out (its sidecar)")
    sweep_temps(out.parent)

    from ..models.build import output_names

    float_model = run.load_float()
    source, weights = _source_weights(run, weights, float_model)
    keras_model, plan = _inference_graph(
        run, source, weights, fmt, quantization, per_channel, progress
    )
    model_bytes, names = _convert(
        run, keras_model, fmt, plan, decode_in_graph, keep_tensor_names, progress
    )
    val_pipe = run.pipeline("val", output_names(keras_model), pixels=True)
    doc = _metadata(
        run, source, model_bytes, fmt, plan, val_pipe.data.schema, decode_in_graph, names
    )
    progress("export: checking against Keras on the validation set")
    validation = _validate(
        run,
        keras_model,
        float_model,
        M.embed(model_bytes, doc),
        val_pipe,
        decode_in_graph,
        eval_limit,
        threads,
        max_pck_drop,
    )
    doc["validation"] = validation
    drop_pck = validation["pck_drop_points"]
    if fmt == "int8" and drop_pck > max_pck_drop and not force:
        raise ExportError(
            f"int8 PCK@0.2 {validation['tflite']['pck']:.4f} is {drop_pck:.2f} points below the float "
            f"model's {validation['keras_float']['pck']:.4f} (bound {max_pck_drop}); nothing written "
            "(--force to export anyway)"
        )
    final = M.embed(model_bytes, doc)
    parts = T.size_breakdown(final)
    report = {
        "file": str(out),
        "format": fmt,
        "head": run.cfg.model.head,
        "weights": plan["weights"],
        "produced_by": plan["method"],
        "decode_in_graph": decode_in_graph,
        "size_bytes": len(final),
        "gzip_bytes": parts["total"]["gzip_bytes"],
        "size_breakdown": parts,
        "sparsity": plan["sparsity"],
        "validation": validation,
        "params": doc["params"],
        "macs": doc["macs"],
        "int8_audit": plan.get("audit"),
        # None: folded into the input's quantization (tflite.fold_input_normalization); else why
        # the normalize op stayed
        "normalize_op_kept": plan.get("normalize_kept") if fmt == "int8" else None,
        "forced": bool(force and fmt == "int8" and drop_pck > max_pck_drop),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    report["sha256"] = sha256_bytes(final)
    sidecar = {**doc, "export": report, "tflite_sha256": report["sha256"]}
    # both complete before either is renamed; the model, which readers look for, comes last
    commit_files([(sidecar_path(out), json_bytes(sidecar)), (out, final)])
    return report


# --- the steps of export_run ---------------------------------------------------------------------


def _source_weights(run: Run, weights: str, float_model):
    """The Keras weights to export (``auto``: the pruned stage when there is one) and their name."""
    pruned_path = run.model_path("pruned")
    if weights == "auto":
        weights = "pruned" if pruned_path.exists() else "float"
    if weights == "pruned":
        if not pruned_path.exists():
            raise ExportError(
                f"{pruned_path}: missing; run `posenet-mobile compress --run {run.path}` first"
            )
        return run.load_keras("pruned"), weights
    if weights == "float":
        return float_model, weights
    raise ExportError(f"--weights: expected auto, float or pruned, got {weights!r}")


def _inference_graph(run: Run, source, weights, fmt, quantization, per_channel, progress):
    """The graph to convert (the QAT stage's for int8 QAT, else ``source`` taking pixels), with
    the inference heads only, and the plan: ``method``, ``qat``, ``per_channel``, ``weights``,
    ``sparsity``."""
    from ..compress import chain
    from ..compress import prune as P
    from ..compress import quantize as Q
    from ..models.build import inference_model

    method = {
        "float32": "none",
        "float16": "float16 weights",
        "dynamic": "dynamic range (int8 weights)",
    }.get(fmt)
    qat = False
    if fmt == "int8":
        if quantization == "auto":
            quantization = "qat" if run.model_path("qat").exists() else "ptq"
        qat = quantization == "qat"
    per_channel = per_channel or qat
    granularity = "" if per_channel else ", per-tensor weights"
    if qat:
        keras_model, qreport = chain.qat_stage(run, progress=progress)
        Q.pin_input_range(keras_model)
        method = (
            "PQAT (prune-preserving quantization-aware training)"
            if qreport.get("scheme") == "prune_preserve"
            else "QAT (quantization-aware training)"
        )
        weights = "qat stage"
    else:
        keras_model = Q.with_pixel_input(source)
        if fmt == "int8":
            method = "PTQ (post-training, calibrated" + granularity + ")"
    keras_model = inference_model(keras_model, run.cfg.model.head)
    plan = {
        "method": method,
        "qat": qat,
        "per_channel": per_channel,
        "weights": weights,
        "sparsity": P.sparsity_report(keras_model)["prunable_sparsity"],
    }
    return keras_model, plan


def _convert(run: Run, keras_model, fmt, plan, decode_in_graph, keep_tensor_names, progress):
    """Convert (calibrating on training crops), name the outputs by their shapes and audit an
    int8 file; returns ``(model bytes, output names in tensor order)``."""
    from ..models.build import output_names

    train_pipe = run.pipeline("train", output_names(keras_model), pixels=True)
    representative = T.representative_dataset(
        lambda: (x.numpy() for x, _ in train_pipe.dataset(16)),
        run.cfg.compress.representative_samples,
    )
    progress(
        f"export: converting {plan['weights']} weights to {fmt}"
        + (f" ({plan['method']})" if fmt == "int8" else "")
    )
    qat = plan["qat"]
    if decode_in_graph:
        decoder = _in_graph_decoder(keras_model, run.codec)
        model_bytes = _convert_decoder(decoder, fmt, representative, qat)
    else:
        model_bytes = T.convert(
            keras_model, fmt, representative, qat=qat, per_channel=plan["per_channel"]
        )
    simcc = run.simcc
    names = output_names_by_signature(
        model_bytes,
        ["keypoints"] if decode_in_graph else output_names(keras_model),
        train_pipe.data.schema.num_keypoints,
        run.codec.heatmap_size,
        simcc and simcc.bins,
    )
    if fmt == "int8":
        model_bytes, plan["normalize_kept"] = T.fold_input_normalization(model_bytes)
    if not keep_tensor_names:
        model_bytes = T.short_tensor_names(model_bytes, names)
    if fmt == "int8":
        plan["audit"] = T.audit_int8(model_bytes, DECODER_FLOAT_OPS if decode_in_graph else None)
    return model_bytes, names


def _metadata(run: Run, source, model_bytes, fmt, plan, schema, decode_in_graph, names) -> dict:
    """The metadata document, with the plain model's MACs and parameters; an int8 file must
    take raw uint8 pixels."""
    from ..models.build import inference_model
    from ..models.profile import count_macs

    doc = build_metadata(
        run, model_bytes, fmt, plan["method"], schema, plan["sparsity"], decode_in_graph, names
    )
    plain = inference_model(source, run.cfg.model.head)
    doc["macs"], doc["params"] = int(count_macs(plain)), int(plain.count_params())
    if fmt == "int8" and doc["input"]["dtype"] != "uint8":
        raise ExportError(f"int8 export: input dtype is {doc['input']['dtype']}, expected uint8")
    q = doc["input"]["quantization"]
    if fmt == "int8" and not (q and T.raw_pixel_input(q["scale"], q["zero_point"])):
        raise ExportError(
            f"int8 export: input quantization {q}, expected raw uint8 pixels: scale 1, zero "
            "point 0, or the folded normalisation (scale 1/127.5, zero point 127 or 128)"
        )
    return doc


def _validate(
    run,
    keras_model,
    float_model,
    model_bytes,
    val_pipe,
    decode_in_graph,
    eval_limit,
    threads,
    max_pck_drop,
) -> dict:
    """The file against the graph it came from (per-output differences on 8 crops) and against
    the float model (PCK and AP on the validation set): the ``validation`` section."""
    from ..runtime.evaluate import evaluate_tflite
    from ..runtime.runner import TFLiteRunner

    runner = TFLiteRunner(model_bytes, threads=threads)
    parity = keras_parity(keras_model, runner, val_pipe, 8, decode_in_graph)
    tfl_metrics, _ = evaluate_tflite(runner, val_pipe, eval_limit)
    ref = run.evaluate_float(val_pipe.data, eval_limit, float_model)
    keep = ("pck", "AP", "AP50", "AP75", "count", "mean_error_px")
    return {
        "keras_float": {k: ref[k] for k in keep},
        "tflite": {k: tfl_metrics[k] for k in keep},
        "pck_drop_points": round(100.0 * (ref["pck"] - tfl_metrics["pck"]), 3),
        "ap_drop_points": round(100.0 * (ref["AP"] - tfl_metrics["AP"]), 3),
        "max_pck_drop_points": max_pck_drop,
        "keras_vs_tflite": parity,
        "val_data": run.data.get("val"),
    }


def sidecar_path(model_path) -> Path:
    """``FILE.tflite.json``, the sidecar beside an exported model."""
    return Path(str(model_path) + ".json")


def keras_parity(keras_model, runner, pipeline, n: int, decoded: bool) -> dict:
    """Max abs difference per output between Keras (float or fake-quant) and TFLite on ``n``
    validation crops, in output units; for quantized outputs also in LSB (units of the scale)."""
    from ..models.build import output_names

    names = output_names(keras_model)
    diffs: dict = {}
    done = 0
    for x, _ in pipeline.dataset(n):
        x = x.numpy()
        ko = keras_model(x, training=False)
        ko = ko if isinstance(ko, (list, tuple)) else [ko]
        kd = {nm: np.asarray(o) for nm, o in zip(names, ko)}
        if decoded:
            kp, sc = decode_outputs(kd, runner.codec, sides=runner.sides, simcc=runner.simcc)
            kd = {"keypoints": np.concatenate([kp, sc[..., None]], -1)}
        for i, img in enumerate(x):
            td = runner.run_crop(np.clip(np.rint(img), 0, 255).astype(np.uint8))
            for nm, val in td.items():
                d = float(np.max(np.abs(val[0] - kd[nm][i])))
                diffs[nm] = max(diffs.get(nm, 0.0), d)
        done += len(x)
        if done >= n:
            break
    out = {"max_abs_diff": {k: float(f"{v:.3g}") for k, v in diffs.items()}, "crops": done}
    lsb = {}
    for d, nm in zip(runner._out, runner.outputs):
        if d["quantization"][0]:
            lsb[nm] = round(diffs.get(nm, 0.0) / d["quantization"][0], 2)
    if lsb:
        out["max_diff_lsb"] = lsb
    return out


def inspect(path) -> dict:
    """Metadata, tensors and op counts of a .tflite file (ours or foreign)."""
    from ..runtime.runner import read_model_file

    p = Path(path)
    data = read_model_file(p)
    doc = M.read(data)
    ops = T.op_list(data)
    counts: dict = {}
    for op in ops:
        counts[op["op"]] = counts.get(op["op"], 0) + 1
    parts = T.size_breakdown(data)
    return {
        "file": str(p),
        "size_bytes": len(data),
        "gzip_bytes": parts["total"]["gzip_bytes"],
        "size_breakdown": parts,
        "metadata_entries": M.metadata_names(data),
        "metadata": doc,
        "ops": counts,
        "float_ops": T.float_ops(ops),
    }
