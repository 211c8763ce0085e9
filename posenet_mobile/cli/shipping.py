"""Subcommands that make and open the files that ship: .tflite export, inspection, int8 debugging, golden vectors."""

from __future__ import annotations

import json
from ._common import err, add_unsafe_load


def cmd_export(args) -> int:
    from ..export.exporter import export_run
    from ..io import FolderLock
    from ..runs import load_run

    if args.fallback:
        return _export_fallback(args)
    with FolderLock(load_run(args.run).path, "run folder"):
        rep = export_run(
            args.run,
            args.format,
            args.out,
            overrides=args.set,
            weights=args.weights,
            quantization=args.quantization,
            decode_in_graph=args.decode_in_graph,
            max_pck_drop=args.max_pck_drop,
            force=args.force,
            eval_limit=args.eval_limit,
            per_channel=not args.per_tensor,
            keep_tensor_names=args.keep_tensor_names,
            unsafe_load=args.unsafe_load,
            progress=err,
        )
    v = rep["validation"]
    print(
        json.dumps(
            {
                "file": rep["file"],
                "format": rep["format"],
                "produced_by": rep["produced_by"],
                "size_bytes": rep["size_bytes"],
                "gzip_bytes": rep["gzip_bytes"],
                "sparsity": rep["sparsity"],
                "pck": v["tflite"]["pck"],
                "AP": v["tflite"]["AP"],
                "keras_pck": v["keras_float"]["pck"],
                "pck_drop_points": v["pck_drop_points"],
                "keras_vs_tflite": v["keras_vs_tflite"],
            }
        )
    )
    return 0


def _export_fallback(args) -> int:
    from ..errors import ExportError
    from ..export.policy import export_int8_with_fallback
    from ..io import FolderLock
    from ..runs import load_run

    if args.format != "int8" or args.quantization != "auto" or args.weights != "auto":
        raise ExportError(
            "--fallback: int8 only, and it picks the quantization and weights itself "
            "(drop --quantization / --weights, or drop --fallback)"
        )
    if args.decode_in_graph:
        raise ExportError("--fallback: not with --decode-in-graph")
    run = load_run(args.run, args.set, unsafe_load=args.unsafe_load)
    out = args.out or run.path / "export" / f"posenet_{run.cfg.model.head}_int8.tflite"
    with FolderLock(run.path, "run folder"):
        res = export_int8_with_fallback(
            args.run,
            out,
            max_pck_drop=args.max_pck_drop,
            force=args.force,
            per_channel=not args.per_tensor,
            overrides=args.set,
            eval_limit=args.eval_limit,
            keep_tensor_names=args.keep_tensor_names,
            unsafe_load=args.unsafe_load,
            progress=err,
        )
    rep, v = res["int8"], res["int8"]["validation"]
    print(
        json.dumps(
            {
                "file": rep["file"],
                "produced_by": rep["produced_by"],
                "policy_step": rep["policy_step"],
                "tried": res["tried"],
                "kept_beside": res["rejected"] and res["rejected"]["file"],
                "size_bytes": rep["size_bytes"],
                "gzip_bytes": rep["gzip_bytes"],
                "pck": v["tflite"]["pck"],
                "keras_pck": v["keras_float"]["pck"],
                "pck_drop_points": v["pck_drop_points"],
            }
        )
    )
    return 0


def cmd_inspect(args) -> int:
    from ..export.exporter import inspect

    print(json.dumps(inspect(args.model), indent=2))
    return 0


def cmd_quant_debug(args) -> int:
    from ..harness.quant_debug import quant_debug

    res = quant_debug(
        args.run,
        args.keep_float,
        args.out,
        args.eval_limit,
        unsafe_load=args.unsafe_load,
        progress=err,
    )
    print(
        json.dumps(
            {
                "worst_layers": [
                    (r["tensor"], round(r["rmse_over_scale"], 3))
                    for r in res["ranking"][: args.keep_float]
                ],
                "variants": {
                    k: {kk: v[kk] for kk in ("size_bytes", "pck", "AP", "median_ms_1t")}
                    for k, v in res["variants"].items()
                },
                "trade": res["trade"],
            }
        )
    )
    return 0


def cmd_golden(args) -> int:
    from ..harness.golden import write_golden

    print(json.dumps({"files": write_golden(args.model, args.out)}))
    return 0


def add_parsers(sub) -> None:
    """The parsers of this module's subcommands."""
    s = sub.add_parser(
        "export", help="write a .tflite (with metadata and sidecar JSON), checked against Keras"
    )
    s.add_argument("--run", required=True)
    s.add_argument("--format", default="int8", choices=["float32", "float16", "dynamic", "int8"])
    s.add_argument(
        "--out", default=None, help="FILE.tflite (default RUN/export/posenet_HEAD_FORMAT.tflite)"
    )
    s.add_argument(
        "--weights",
        default="auto",
        choices=["auto", "float", "pruned"],
        help="auto: pruned when present",
    )
    s.add_argument(
        "--quantization",
        default="auto",
        choices=["auto", "ptq", "qat"],
        help="int8 only; auto: the QAT stage when present, else post-training",
    )
    s.add_argument(
        "--decode-in-graph", action="store_true", help="heatmap head: output K x (x, y, score)"
    )
    s.add_argument(
        "--max-pck-drop",
        type=float,
        default=None,
        help="int8 gate in PCK points (default compress.max_pck_drop)",
    )
    s.add_argument("--force", action="store_true", help="write an int8 file that fails the gate")
    s.add_argument(
        "--fallback",
        action="store_true",
        help="int8: try PQAT, then PTQ of the pruned weights, then of the dense ones; ship the "
        "first within the gate (with --force, the smallest drop); the first try is kept beside "
        "it as FILE_pqat.tflite when something else ships",
    )
    s.add_argument(
        "--per-tensor",
        action="store_true",
        help="int8 PTQ: one weight scale per kernel (smaller file)",
    )
    s.add_argument(
        "--keep-tensor-names",
        action="store_true",
        help="keep the converter's tensor names (default: input 'image', outputs named after their "
        "contents, others t<index>; saves ~20 KB)",
    )
    s.add_argument(
        "--eval-limit", type=int, default=None, help="score on the first N validation people only"
    )
    s.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="compress.KEY=VALUE",
        help="compression settings (must match those `compress` used for a QAT stage to be reused)",
    )
    add_unsafe_load(s)
    s.set_defaults(func=cmd_export)

    s = sub.add_parser("inspect", help="print a .tflite file's metadata, tensors and op list")
    s.add_argument("model")
    s.set_defaults(func=cmd_inspect)

    s = sub.add_parser(
        "quant-debug",
        help="rank layers by int8 error (QuantizationDebugger); re-export with the worst in float",
    )
    s.add_argument("--run", required=True)
    s.add_argument(
        "--keep-float", type=int, default=5, help="worst layers kept in float in the selective file"
    )
    s.add_argument("--out", default=None, help="folder (default RUN/quant_debug)")
    s.add_argument(
        "--eval-limit", type=int, default=None, help="score on the first N validation people only"
    )
    add_unsafe_load(s)
    s.set_defaults(func=cmd_quant_debug)

    s = sub.add_parser(
        "golden",
        help="golden vectors (raw outputs, crops, decoded keypoints) for the Android posecore tests",
    )
    s.add_argument(
        "--model", action="append", required=True, help="FILE.tflite (repeat for several)"
    )
    s.add_argument("--out", required=True, help="output folder")
    s.set_defaults(func=cmd_golden)
