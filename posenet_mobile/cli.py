"""``posenet-mobile`` command line: parse, call one library function, print its result.

Every failure is one line on stderr and a non-zero exit: user errors
(:class:`~posenet_mobile.errors.PoseNetError`, and file errors the library did not foresee) exit
2, a failed gate exits 1, anything else is an internal error (exit 3). ``--debug`` shows the
traceback instead. ``SIGTERM`` is turned into an exit that runs every clean-up, so no temporary
file stays behind; warnings print as one line each.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .config import HEAD_TYPES
from .errors import ConfigError, PoseNetError


def _size(text: str) -> tuple:
    parts = text.lower().replace("x", ",").split(",")
    try:
        vals = tuple(int(p) for p in parts if p)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HEIGHT,WIDTH or SIZE, got {text!r}") from None
    if len(vals) == 1:
        vals = vals * 2
    if len(vals) != 2:
        raise argparse.ArgumentTypeError(f"expected HEIGHT,WIDTH or SIZE, got {text!r}")
    return vals


def cmd_info(args) -> int:
    from importlib import metadata

    from .config import preset_names
    from .schema import get_schema

    versions = {}
    for dist in (
        "tensorflow",
        "tf-keras",
        "tensorflow-model-optimization",
        "ai-edge-litert",
        "numpy",
        "opencv-python-headless",
        "pycocotools",
    ):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    print(
        json.dumps(
            {
                "posenet_mobile": __version__,
                "schema": get_schema(args.schema).to_dict(),
                "presets": preset_names(),
                "dependencies": versions,
            },
            indent=2,
        )
    )
    return 0


def cmd_profile(args) -> int:
    from .models.profile import profile_heads

    rows = profile_heads(args.input_size, args.width, args.head, output_stride=args.output_stride)
    print(json.dumps(rows, indent=2))
    return 0


def cmd_synth(args) -> int:
    from .data.synthetic import SynthConfig, synthesize

    if args.num_images < 1:
        raise ConfigError(f"--num-images: expected >= 1, got {args.num_images}")
    if args.image_size < 64 or args.max_people < 1:
        raise ConfigError("--image-size must be >= 64 and --max-people >= 1")
    cfg = SynthConfig(image_size=args.image_size, max_people=args.max_people)
    summary = synthesize(
        args.out, args.num_images, args.seed, cfg, workers=args.workers, progress=not args.quiet
    )
    if args.preview:
        from .data.preview import dataset_sheet

        summary["preview"] = dataset_sheet(args.out, f"{args.out}/preview.png")
    print(json.dumps(summary))
    return 0


def cmd_preview(args) -> int:
    from .data.preview import dataset_sheet, training_sheet

    if args.training:
        path = training_sheet(args.data, args.out, args.input_size, args.stride, seed=args.seed)
    else:
        path = dataset_sheet(args.data, args.out)
    print(path)
    return 0


def cmd_train(args) -> int:
    from .train.config import load_config
    from .train.trainer import train

    cfg = load_config(args.config, args.set)
    result = train(
        cfg,
        args.out,
        args.train_data,
        args.val_data,
        strategy=args.strategy,
        stop_after_epoch=args.stop_after_epoch,
        overwrite=args.overwrite,
        progress=_err,
    )
    best = result.get("best") or {}
    print(
        json.dumps(
            {
                "run": args.out,
                "epochs_completed": result.get("epochs_completed"),
                "best_epoch": result.get("best_epoch"),
                "val_pck": best.get("pck"),
                "val_AP": best.get("AP"),
                "train_seconds": result.get("train_seconds"),
            }
        )
    )
    return 0


def cmd_compress(args) -> int:
    from .compress.chain import compress_run, reset
    from .io import FolderLock
    from .runs import load_run

    run = load_run(args.run, args.set, unsafe_load=args.unsafe_load)
    with FolderLock(run.path, "run folder"):
        run.load_float()  # a model that cannot be loaded fails now, before anything is discarded
        if args.redo:
            reset(run)
        result = compress_run(
            run, tuple(args.stages), preserve_sparsity=not args.plain_qat, progress=_err
        )
    print(
        json.dumps(
            {
                k: {
                    "sparsity": v["sparsity"]["prunable_sparsity"],
                    "val": v["val"],
                    "seconds": v.get("seconds"),
                }
                for k, v in result.items()
            }
        )
    )
    return 0


def cmd_export(args) -> int:
    from .export.exporter import export_run
    from .io import FolderLock
    from .runs import load_run

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
            progress=_err,
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
    from .errors import ExportError
    from .export.policy import export_int8_with_fallback
    from .io import FolderLock
    from .runs import load_run

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
            progress=_err,
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
    from .export.exporter import inspect

    print(json.dumps(inspect(args.model), indent=2))
    return 0


def cmd_validate(args) -> int:
    from .harness.validate import validate

    res = validate(
        args.model,
        args.data,
        reference=args.reference,
        max_pck_drop=args.max_pck_drop,
        report=args.report,
        predictions=args.predictions,
        html=args.html,
        threads=args.threads,
        limit=args.limit,
        kernel_max_pck_diff=args.kernel_max_pck_diff,
        unsafe_load=args.unsafe_load,
        progress=_err,
    )
    ref = res.get("reference") or {}
    print(
        json.dumps(
            {
                "passed": res["passed"],
                "pck": res["metrics"]["pck"],
                "AP": res["metrics"]["AP"],
                "reference_pck": (ref.get("metrics") or {}).get("pck"),
                "pck_drop_points": ref.get("pck_drop_points"),
                "kernels_keypoint_px": res["kernels"]["keypoint_px"],
                "kernels_pck_diff_points": res["kernels"]["pck_diff_points"],
                "report": args.report,
            }
        )
    )
    if not res["passed"]:
        print(f"posenet-mobile validate: gate failed: {res['failures'][0]}", file=sys.stderr)
        return 1
    return 0


def cmd_bench(args) -> int:
    from .harness.bench import bench

    res = bench(args.model, args.threads, runs=args.runs, warmup=args.warmup, report=args.report)
    for r in res["results"]:
        print(
            f"{r['model']}  threads={r['threads']}  median {r['median_ms']:.2f} ms  p90 {r['p90_ms']:.2f} ms  "
            f"{r['size_bytes']:,} bytes"
        )
    return 0


def cmd_predict(args) -> int:
    from .runtime.predict import predict

    res = predict(args.model, args.input, args.out, threads=args.threads, progress=_err)
    print(json.dumps(res))
    return 0


def cmd_compare_heads(args) -> int:
    from .harness.compare import ROWS, compare_heads, markdown_table

    real = None if args.no_real else (args.real_data or "default")
    doc = compare_heads(
        args.config,
        args.train_data,
        args.val_data,
        args.out,
        args.set,
        heads=tuple(args.heads or ROWS),
        real_data=real,
        progress=_err,
    )
    print(markdown_table(doc), end="")
    return 0


def cmd_quant_debug(args) -> int:
    from .harness.quant_debug import quant_debug

    res = quant_debug(
        args.run,
        args.keep_float,
        args.out,
        args.eval_limit,
        unsafe_load=args.unsafe_load,
        progress=_err,
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
    from .harness.golden import write_golden

    print(json.dumps({"files": write_golden(args.model, args.out)}))
    return 0


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cmd_demo(args) -> int:
    from .demo import run_demo

    res = run_demo(args.out, args.config, args.set, real_data=args.real_data)
    print(json.dumps(res))
    if not res["passed"]:
        print(
            f"posenet-mobile demo: int8 gate failed: {res.get('gate')} (report: {res['report']})",
            file=sys.stderr,
        )
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .harness.compare import (
        ROWS,
    )  # the rows' names (a light module: nothing heavy at parse time)

    p = argparse.ArgumentParser(
        prog="posenet-mobile",
        description="Single-person 2D pose estimation for phones: synthetic or COCO data, training, compression, TFLite export and validation.",
    )
    p.add_argument("--version", action="version", version=f"posenet_mobile {__version__}")
    p.add_argument("--debug", action="store_true", help="show the traceback of an error")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser(
        "info", help="versions of the package and its toolchain, and the keypoint schema"
    )
    s.add_argument("--schema", default="coco17")
    s.set_defaults(func=cmd_info)

    s = sub.add_parser(
        "profile", help="parameters and MACs of each head (training and exported graphs)"
    )
    s.add_argument(
        "--input-size", type=_size, default=(192, 192), help="HEIGHT,WIDTH or SIZE (default 192)"
    )
    s.add_argument("--width", type=float, nargs="+", default=[0.35, 0.5])
    s.add_argument("--head", nargs="+", choices=list(HEAD_TYPES), default=None)
    s.add_argument("--output-stride", type=int, choices=[4, 8], default=4)
    s.set_defaults(func=cmd_profile)

    s = sub.add_parser(
        "synth", help="write a synthetic COCO person-keypoints dataset (the embedded default data)"
    )
    s.add_argument("--out", required=True, help="dataset folder (images/ and annotations.json)")
    s.add_argument("--num-images", type=int, required=True)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--image-size", type=int, default=256)
    s.add_argument("--max-people", type=int, default=1)
    s.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    s.add_argument(
        "--preview",
        action="store_true",
        help="also write OUT/preview.png, 16 images with keypoints",
    )
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_synth)

    s = sub.add_parser("preview", help="contact sheet of a dataset, or of augmented training crops")
    s.add_argument("--data", required=True)
    s.add_argument("--out", required=True, help="PNG path")
    s.add_argument(
        "--training", action="store_true", help="show augmented crops with heatmap targets"
    )
    s.add_argument("--input-size", type=_size, default=(192, 192))
    s.add_argument("--stride", type=int, default=4)
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(func=cmd_preview)

    s = sub.add_parser("train", help="train a model (resumes when OUT holds the same run)")
    s.add_argument(
        "--config", default="quickstart", help="preset name (training/configs) or YAML path"
    )
    s.add_argument(
        "--train-data", default=None, help="COCO dataset folder or JSON (default: synthetic)"
    )
    s.add_argument("--val-data", default=None)
    s.add_argument("--out", required=True, help="run directory")
    s.add_argument(
        "--strategy", default="auto", choices=["auto", "default", "mirrored", "multi_worker"]
    )
    s.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a config value",
    )
    s.add_argument("--overwrite", action="store_true", help="discard a different run in OUT")
    s.add_argument("--stop-after-epoch", type=int, default=None, help=argparse.SUPPRESS)
    s.set_defaults(func=cmd_train)

    s = sub.add_parser(
        "compress",
        help="prune and quantization-aware fine-tune a trained run (stages saved in RUN/compress)",
    )
    s.add_argument("--run", required=True, help="run directory written by `train`")
    s.add_argument("--stages", nargs="+", choices=["prune", "qat"], default=["prune", "qat"])
    s.add_argument(
        "--plain-qat", action="store_true", help="default 8-bit QAT instead of prune-preserving QAT"
    )
    s.add_argument("--redo", action="store_true", help="discard saved stages first")
    _unsafe(s)
    s.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="compress.KEY=VALUE",
        help="override a compression setting (target_sparsity, prune_epochs, qat_epochs, fine_tune_lr, ...)",
    )
    s.set_defaults(func=cmd_compress)

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
    _unsafe(s)
    s.set_defaults(func=cmd_export)

    s = sub.add_parser("inspect", help="print a .tflite file's metadata, tensors and op list")
    s.add_argument("model")
    s.set_defaults(func=cmd_inspect)

    s = sub.add_parser(
        "validate",
        help="score a .tflite through the replayed phone pipeline; exit 1 when a gate fails",
    )
    s.add_argument("--model", required=True, help="FILE.tflite exported by posenet-mobile")
    s.add_argument("--data", required=True, help="COCO dataset folder or JSON")
    s.add_argument(
        "--reference", default=None, help="FILE.tflite or RUN_DIR (its float Keras model)"
    )
    s.add_argument(
        "--max-pck-drop", type=float, default=1.0, help="gate, PCK@0.2 points below the reference"
    )
    s.add_argument(
        "--kernel-max-pck-diff",
        type=float,
        default=1.0,
        help="gate, PCK points between XNNPACK and reference kernels",
    )
    s.add_argument("--report", default=None, help="report.json")
    s.add_argument("--predictions", default=None, help="predictions in COCO results format")
    s.add_argument("--html", default=None, help="report.html (PNGs beside it)")
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--limit", type=int, default=None, help="first N people only")
    _unsafe(s)
    s.set_defaults(func=cmd_validate)

    s = sub.add_parser("bench", help="interleaved latency of .tflite files (ours or foreign)")
    s.add_argument(
        "--model", action="append", required=True, help="FILE.tflite (repeat for several)"
    )
    s.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    s.add_argument("--runs", type=int, default=50)
    s.add_argument("--warmup", type=int, default=5)
    s.add_argument("--report", default=None, help="bench.json")
    s.set_defaults(func=cmd_bench)

    s = sub.add_parser(
        "predict",
        help="keypoints for an image, a folder of images or a video (skeletons drawn, JSON)",
    )
    s.add_argument("--model", required=True, help="FILE.tflite exported by posenet-mobile")
    s.add_argument("input", help="image, folder or video file")
    s.add_argument("--out", default="predictions", help="output folder")
    s.add_argument("--threads", type=int, default=1)
    s.set_defaults(func=cmd_predict)

    s = sub.add_parser(
        "compare-heads",
        help="train heatmap / integral / direct / regression / simcc heads on one budget; int8 speed vs quality",
    )
    s.add_argument(
        "--config", default="quickstart", help="preset name or YAML (the head is set per row)"
    )
    s.add_argument(
        "--train-data", default=None, help="COCO dataset folder or JSON (default: synthetic)"
    )
    s.add_argument("--val-data", default=None)
    s.add_argument(
        "--out", default="compare_heads", help="output folder (runs, int8 files, heads.md/json/png)"
    )
    s.add_argument(
        "--heads",
        nargs="+",
        choices=list(ROWS),
        default=None,
        help="the rows, in order (default: every head and variant)",
    )
    s.add_argument(
        "--real-data",
        default=None,
        help="real people (COCO) to score each int8 file on (default: $POSENET_REAL_PEOPLE or "
        "../shared/data/real_people_dev beside the working directory or the checkout, when present)",
    )
    s.add_argument("--no-real", action="store_true", help="skip the real-people column")
    s.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a config value",
    )
    s.set_defaults(func=cmd_compare_heads)

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
    _unsafe(s)
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

    s = sub.add_parser(
        "demo", help="the whole pipeline on embedded synthetic data (resumes finished stages)"
    )
    s.add_argument("--out", default="demo_output")
    s.add_argument("--config", default="quickstart", help="preset or YAML")
    s.add_argument(
        "--real-data",
        default=None,
        help="real photographs (COCO) to score the int8 file on too (default: $POSENET_REAL_PEOPLE or "
        "../shared/data/real_people_dev beside the working directory or the checkout, when present)",
    )
    s.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a config value",
    )
    s.set_defaults(func=cmd_demo)
    return p


def _unsafe(s) -> None:
    s.add_argument(
        "--unsafe-load",
        action="store_true",
        help="load the run's Keras files in any format, running code they may contain (trusted files only)",
    )


def cli_reference() -> str:
    """Markdown reference of every subcommand, generated from the parser (kept in docs/cli.md)."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help for a in sub._choices_actions}
    lines = []
    for name, sp in sub.choices.items():
        lines.append(f"- `posenet-mobile {name}`: {helps.get(name, '')}")
        for a in sp._actions:
            if a.help == argparse.SUPPRESS or isinstance(a, argparse._HelpAction):
                continue
            flag = ", ".join(a.option_strings) or a.dest
            extra = []
            if a.choices:
                extra.append("one of " + "/".join(str(c) for c in a.choices))
            shown = (
                a.default is not None
                and a.default is not False
                and a.default != []
                and a.default != argparse.SUPPRESS
            )
            if a.option_strings and shown and not a.required:
                extra.append(f"default {a.default}")
            if a.required and a.option_strings:
                extra.append("required")
            text = (a.help or "") + (f" ({'; '.join(extra)})" if extra else "")
            lines.append(f"  - `{flag}` {text}".rstrip())
    return "\n".join(lines) + "\n"


def _on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # unwinds like an exception: clean-ups and temp-file removal run


def _one_line_warnings() -> None:
    import warnings

    from .errors import PoseNetWarning

    def show(message, category, filename, lineno, file=None, line=None):
        tag = "warning" if issubclass(category, PoseNetWarning) else category.__name__
        print(f"posenet-mobile: {tag}: {message}", file=sys.stderr, flush=True)

    warnings.showwarning = show


def main(argv=None) -> int:
    import signal
    import threading

    args = build_parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():  # handlers can only be set there
        signal.signal(signal.SIGTERM, _on_sigterm)
    _one_line_warnings()
    try:
        return int(args.func(args) or 0)
    except PoseNetError as exc:
        if args.debug:
            raise
        print(f"posenet-mobile {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"posenet-mobile {args.command}: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a file problem the library did not put into words
        if args.debug:
            raise
        name = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"posenet-mobile {args.command}: error: {name}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if args.debug:
            raise
        text = " ".join(str(exc).split())[:300] or "no message"
        print(
            f"posenet-mobile {args.command}: internal error: {type(exc).__name__}: {text} "
            "(--debug shows the traceback; please report it)",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
